/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stallable NBD server inside a test: /dev/nbd0 (the kernel's nbd
 * driver) backed by a buffer of the test process, served by a thread over
 * a socketpair.  Include after ovc_test_util.h.
 *
 * It exists to hold block I/O in flight on demand.  ovc_nbd_stall() makes
 * the server stop at its next request boundary; the kernel's end of the
 * socket has the smallest send buffer there is, so a write larger than a
 * few KiB blocks nbd's sendmsg() half-way, with nbd's tx_lock held, and
 * every request queued behind it waits too: their pages are referenced
 * by their bios but not yet read.  ovc_nbd_release() lets the server go on.
 *
 * Requires root and the nbd module (loaded here with nbds_max=1
 * max_part=0 if absent, and left loaded).  Nothing else may use
 * /dev/nbd0 meanwhile.  Every wait is bounded; ovc_nbd_stop() takes down
 * whatever ovc_nbd_start() set up, even half of it.  Needs _GNU_SOURCE
 * (pthread_timedjoin_np()).
 */
#ifndef OVC_NBD_UTIL_H
#define OVC_NBD_UTIL_H

#include <endian.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/nbd.h>
#include <linux/sockios.h>

#define OVC_NBD_DEV		"/dev/nbd0"
#define OVC_NBD_SYS		"/sys/block/nbd0"
#define OVC_NBD_BLKSIZE		4096
/*
 * nbd's own timeout, in seconds (the socket's send timeout): a send that
 * makes no progress for this long fails and nbd drops the connection,
 * erroring every request.  It bounds a stall in the kernel to a few times
 * this even if the test hangs; a test's stall must stay far below it.
 */
#define OVC_NBD_TIMEOUT_S	30
/* Every wait of these helpers, in seconds. */
#define OVC_NBD_WAIT_S		10

struct ovc_nbd {
	int dev_fd;		/* OVC_NBD_DEV, for the ioctls; -1 if not open */
	int sk[2];		/* [0] handed to nbd, [1] the server's; or -1 */
	bool sock_set;		/* NBD_SET_SOCK succeeded */
	bool srv_started, doit_started;
	pthread_t srv_th, doit_th;
	uint8_t *disk;		/* the device's bytes */
	uint8_t *bounce;	/* the server's receive buffer, as large */
	size_t size;
	const char *what;	/* the step that failed, for the test's log */

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t cond;
	bool stalled;
	bool srv_done;		/* the server left its loop */
	int srv_err;		/* 0 after NBD_CMD_DISC, else why it left */
	bool doit_done;
	int doit_err;		/* NBD_DO_IT's -errno, 0 on success */
	unsigned long nr_requests;
};

/* Read exactly @len bytes.  Return: 0, or -errno (-EPIPE at EOF). */
static inline int ovc_nbd_recv(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t r;

	while (len) {
		r = recv(fd, p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		p += r;
		len -= r;
	}
	return 0;
}

static inline int ovc_nbd_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t r;

	while (len) {
		r = send(fd, p, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		p += r;
		len -= r;
	}
	return 0;
}

/* Answer one request whose header is @req.  Return: 0 or -errno. */
static inline int ovc_nbd_serve(struct ovc_nbd *n, const struct nbd_request *req)
{
	struct nbd_reply rep = { .magic = htonl(NBD_REPLY_MAGIC) };
	uint64_t from = be64toh(req->from);
	uint32_t len = ntohl(req->len);
	uint32_t type = ntohl(req->type) & 0xffff;	/* without flags */
	bool in_range = from <= n->size && len <= n->size - from;
	int err;

	memcpy(rep.handle, req->handle, sizeof(rep.handle));
	switch (type) {
	case NBD_CMD_WRITE:
		/* The data follows the header, even for a bad range. */
		if (len > n->size)
			return -EPROTO;
		err = ovc_nbd_recv(n->sk[1], n->bounce, len);
		if (err)
			return err;
		if (in_range) {
			pthread_mutex_lock(&n->lock);
			memcpy(n->disk + from, n->bounce, len);
			pthread_mutex_unlock(&n->lock);
		}
		break;
	case NBD_CMD_READ:
		if (in_range) {
			pthread_mutex_lock(&n->lock);
			memcpy(n->bounce, n->disk + from, len);
			pthread_mutex_unlock(&n->lock);
		}
		break;
	case NBD_CMD_FLUSH:
	case NBD_CMD_TRIM:
		in_range = true;	/* nothing to do */
		break;
	default:
		rep.error = htonl(EINVAL);
		return ovc_nbd_send(n->sk[1], &rep, sizeof(rep));
	}
	if (!in_range)
		rep.error = htonl(EINVAL);
	err = ovc_nbd_send(n->sk[1], &rep, sizeof(rep));
	if (!err && type == NBD_CMD_READ && in_range)
		err = ovc_nbd_send(n->sk[1], n->bounce, len);
	return err;
}

/*
 * The server: one request at a time, in order.  The stall is checked
 * after poll() says a request arrived and before its first byte is read,
 * so a request sent after ovc_nbd_stall() returned is not read until
 * ovc_nbd_release().  On leaving, shut its end down: nbd's receiver then
 * sees EOF and a send blocked on a full socket fails, so nothing in the
 * kernel waits for a server that is gone.
 */
static inline void *ovc_nbd_server(void *arg)
{
	struct ovc_nbd *n = arg;
	struct pollfd pfd = { .fd = n->sk[1], .events = POLLIN };
	struct nbd_request req;
	int err;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			err = -errno;
			if (err == -EINTR)
				continue;
			break;
		}
		pthread_mutex_lock(&n->lock);
		while (n->stalled)
			pthread_cond_wait(&n->cond, &n->lock);
		pthread_mutex_unlock(&n->lock);

		err = ovc_nbd_recv(n->sk[1], &req, sizeof(req));
		if (err)
			break;
		if (ntohl(req.magic) != NBD_REQUEST_MAGIC) {
			err = -EPROTO;
			break;
		}
		if ((ntohl(req.type) & 0xffff) == NBD_CMD_DISC)
			break;	/* err is 0 */
		err = ovc_nbd_serve(n, &req);
		if (err)
			break;
		pthread_mutex_lock(&n->lock);
		n->nr_requests++;
		pthread_mutex_unlock(&n->lock);
	}
	shutdown(n->sk[1], SHUT_RDWR);
	pthread_mutex_lock(&n->lock);
	n->srv_err = err;
	n->srv_done = true;
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* NBD_DO_IT runs the device until it is disconnected. */
static inline void *ovc_nbd_doit(void *arg)
{
	struct ovc_nbd *n = arg;
	int err = ioctl(n->dev_fd, NBD_DO_IT) ? -errno : 0;

	pthread_mutex_lock(&n->lock);
	n->doit_err = err;
	n->doit_done = true;
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* Join @th, waiting at most @secs seconds.  Return: 0 or -errno. */
static inline int ovc_nbd_join(pthread_t th, int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return -pthread_timedjoin_np(th, NULL, &ts);
}

/*
 * Wait until the device has @size bytes (NBD_DO_IT sets its capacity
 * after the thread started).  Return: 0, or -errno.
 */
static inline int ovc_nbd_wait_size(struct ovc_nbd *n)
{
	struct timespec start, now;
	bool done;
	off_t sz;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		sz = lseek(n->dev_fd, 0, SEEK_END);
		if (sz == (off_t)n->size)
			return 0;
		pthread_mutex_lock(&n->lock);
		done = n->doit_done;
		pthread_mutex_unlock(&n->lock);
		if (done)
			return n->doit_err ? n->doit_err : -EIO;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > OVC_NBD_WAIT_S)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/* Load the nbd module unless it is there.  Return: 0 or -ENODEV. */
static inline int ovc_nbd_load(void)
{
	if (!access(OVC_NBD_SYS, F_OK))
		return 0;
	if (system("modprobe nbd nbds_max=1 max_part=0 >/dev/null 2>&1"))
		return -ENODEV;
	return access(OVC_NBD_DEV, F_OK) ? -ENODEV : 0;
}

/*
 * Connect /dev/nbd0 to a new server with a zeroed disk of @size bytes (a
 * multiple of OVC_NBD_BLKSIZE).  On failure n->what names the step; the
 * caller still calls ovc_nbd_stop().
 * Return: 0, -ENODEV when there is no nbd driver, or another -errno.
 */
static inline int ovc_nbd_start(struct ovc_nbd *n, size_t size)
{
	int sndbuf = 1;		/* the kernel makes it its minimum, ~4 KiB */
	int err;

	memset(n, 0, sizeof(*n));
	n->dev_fd = n->sk[0] = n->sk[1] = -1;
	n->size = size;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);

	n->what = "modprobe nbd";
	err = ovc_nbd_load();
	if (err)
		return err;
	n->what = OVC_NBD_SYS "/pid exists: " OVC_NBD_DEV " is in use";
	if (!access(OVC_NBD_SYS "/pid", F_OK))
		return -EBUSY;
	n->what = "allocating the disk";
	n->disk = calloc(1, size);
	n->bounce = malloc(size);
	if (!n->disk || !n->bounce)
		return -ENOMEM;
	n->what = "socketpair";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, n->sk))
		return -errno;
	n->what = "SO_SNDBUF";
	if (setsockopt(n->sk[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
		       sizeof(sndbuf)))
		return -errno;
	n->what = "open " OVC_NBD_DEV;
	n->dev_fd = open(OVC_NBD_DEV, O_RDWR | O_CLOEXEC);
	if (n->dev_fd < 0)
		return -errno;
	n->what = "NBD_SET_BLKSIZE";
	if (ioctl(n->dev_fd, NBD_SET_BLKSIZE, (unsigned long)OVC_NBD_BLKSIZE))
		return -errno;
	n->what = "NBD_SET_SIZE_BLOCKS";
	if (ioctl(n->dev_fd, NBD_SET_SIZE_BLOCKS,
		  (unsigned long)(size / OVC_NBD_BLKSIZE)))
		return -errno;
	n->what = "NBD_SET_TIMEOUT";
	if (ioctl(n->dev_fd, NBD_SET_TIMEOUT, (unsigned long)OVC_NBD_TIMEOUT_S))
		return -errno;
	n->what = "NBD_SET_SOCK";
	if (ioctl(n->dev_fd, NBD_SET_SOCK, (unsigned long)n->sk[0]))
		return -errno;
	n->sock_set = true;
	n->what = "starting the server thread";
	err = pthread_create(&n->srv_th, NULL, ovc_nbd_server, n);
	if (err)
		return -err;
	n->srv_started = true;
	n->what = "starting the NBD_DO_IT thread";
	err = pthread_create(&n->doit_th, NULL, ovc_nbd_doit, n);
	if (err)
		return -err;
	n->doit_started = true;
	n->what = "waiting for the device's size (NBD_DO_IT)";
	err = ovc_nbd_wait_size(n);
	if (err)
		return err;
	n->what = NULL;
	return 0;
}

/* The server stops before the next request it has not begun to read. */
static inline void ovc_nbd_stall(struct ovc_nbd *n)
{
	pthread_mutex_lock(&n->lock);
	n->stalled = true;
	pthread_mutex_unlock(&n->lock);
}

static inline void ovc_nbd_release(struct ovc_nbd *n)
{
	pthread_mutex_lock(&n->lock);
	n->stalled = false;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

/* Bytes the kernel sent that the server has not read.  -1 on error. */
static inline long ovc_nbd_queued(struct ovc_nbd *n)
{
	int q;

	return ioctl(n->sk[1], SIOCINQ, &q) ? -1 : q;
}

/*
 * While stalled: wait until the header of the next request has arrived
 * and copy it to @req, without consuming it.  Return: 0 or -ETIMEDOUT.
 */
static inline int ovc_nbd_peek(struct ovc_nbd *n, struct nbd_request *req)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ovc_nbd_queued(n) < (long)sizeof(*req) ||
	       recv(n->sk[1], req, sizeof(*req), MSG_PEEK | MSG_DONTWAIT) !=
	       (ssize_t)sizeof(*req)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > OVC_NBD_WAIT_S)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/* Copy @len bytes at @off of the disk (as the server received them). */
static inline void ovc_nbd_read(struct ovc_nbd *n, void *buf, size_t len,
				size_t off)
{
	pthread_mutex_lock(&n->lock);
	memcpy(buf, n->disk + off, len);
	pthread_mutex_unlock(&n->lock);
}

/*
 * Take everything down: release a stall (a disconnect queues behind a
 * stalled send), NBD_DISCONNECT, which the server answers by leaving, so
 * that NBD_DO_IT returns; if either thread does not end in time, shut the
 * server's end down, which fails every request.  Then NBD_CLEAR_SOCK
 * drops nbd's hold of the socket, and the device is free again.
 * Call it once after ovc_nbd_start(), whatever that returned.
 * Return: 0 if both threads ended and the server left on NBD_CMD_DISC,
 * else -errno (n->what says which step).
 */
static inline int ovc_nbd_stop(struct ovc_nbd *n)
{
	int ret = 0, err;

	n->what = NULL;
	if (n->srv_started || n->doit_started)
		ovc_nbd_release(n);
	if (n->doit_started) {
		if (ioctl(n->dev_fd, NBD_DISCONNECT)) {
			ret = -errno;
			n->what = "NBD_DISCONNECT";
		}
		err = ovc_nbd_join(n->doit_th, OVC_NBD_WAIT_S);
		if (err) {
			shutdown(n->sk[1], SHUT_RDWR);
			err = ovc_nbd_join(n->doit_th, OVC_NBD_WAIT_S);
			ret = ret ? ret : -ETIMEDOUT;
			n->what = n->what ? n->what : "NBD_DO_IT did not return";
		}
		if (!err)
			n->doit_started = false;
	}
	if (n->srv_started) {
		err = ovc_nbd_join(n->srv_th, OVC_NBD_WAIT_S);
		if (err) {
			shutdown(n->sk[1], SHUT_RDWR);
			err = ovc_nbd_join(n->srv_th, OVC_NBD_WAIT_S);
			ret = ret ? ret : -ETIMEDOUT;
			n->what = n->what ? n->what : "the server did not end";
		}
		if (!err) {
			n->srv_started = false;
			if (n->srv_err && !ret) {
				ret = n->srv_err;
				n->what = "the server failed";
			}
		}
	}
	if (n->sock_set && ioctl(n->dev_fd, NBD_CLEAR_SOCK) && !ret) {
		ret = -errno;
		n->what = "NBD_CLEAR_SOCK";
	}
	n->sock_set = false;
	/* A thread that is still running uses these: leave them to exit. */
	if (n->srv_started || n->doit_started)
		return ret ? ret : -EBUSY;
	if (n->dev_fd >= 0)
		close(n->dev_fd);
	if (n->sk[0] >= 0)
		close(n->sk[0]);
	if (n->sk[1] >= 0)
		close(n->sk[1]);
	n->dev_fd = n->sk[0] = n->sk[1] = -1;
	free(n->disk);
	free(n->bounce);
	n->disk = n->bounce = NULL;
	return ret;
}

#endif /* OVC_NBD_UTIL_H */
