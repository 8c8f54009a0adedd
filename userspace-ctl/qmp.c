// SPDX-License-Identifier: GPL-2.0
/*
 * qmp - a small QMP client over a unix socket, with json-c.
 *
 * QEMU writes one JSON object per message (followed by CRLF): the
 * greeting, command replies ("return" or "error") in order, and
 * asynchronous events ("event") at any time.  Messages are cut out of the
 * byte stream by json-c's incremental tokener, so framing does not depend
 * on the line ends.  Replies are checked for their shape before use: a
 * peer that sends garbage gets an error, never a crash.
 *
 * At the end, ovcd's backend for plain QEMU (ovcd_qmp_ops, backend.h) on
 * top of this client: one QMP connection per VM, its balloon device found
 * with qom-list unless the configuration names it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "backend.h"
#include "config.h"
#include "qmp.h"

#define QMP_MSG_MAX	(1 << 20)	/* longer messages are refused */

static int __attribute__((format(printf, 2, 3)))
qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int qmp_fail_errno(struct qmp *q, const char *what, int e)
{
	char buf[128];

	return qmp_fail(q, "%s %s: %s", what, q->path, strerror_r(e, buf, sizeof(buf)));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void qmp_init(struct qmp *q, int timeout_ms, int cancel_fd)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->timeout_ms = timeout_ms;
	q->cancel_fd = cancel_fd;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	if (q->tok)
		json_tokener_free(q->tok);
	q->fd = -1;
	q->tok = NULL;
	q->off = q->len = q->msg_bytes = 0;
}

/* Wait until @fd is ready for @events; 0 when ready, -1 on timeout etc. */
static int qmp_wait(struct qmp *q, short events, int64_t deadline, const char *what)
{
	struct pollfd pfd[2] = {
		{ .fd = q->fd, .events = events },
		{ .fd = q->cancel_fd, .events = POLLIN },
	};
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0 && events == POLLOUT)
			return qmp_fail(q, "cannot write to %s within %d ms", q->path,
					q->timeout_ms);
		if (left <= 0)
			return qmp_fail(q, "no %s from %s within %d ms", what, q->path,
					q->timeout_ms);
		n = poll(pfd, q->cancel_fd >= 0 ? 2 : 1, left);
		if (n < 0 && errno != EINTR)
			return qmp_fail_errno(q, "cannot poll", errno);
		if (n > 0 && pfd[1].revents) {
			q->cancelled = 1;
			return qmp_fail(q, "interrupted while waiting for %s", q->path);
		}
		if (n > 0)
			return 0;
	}
}

/* Parse what is buffered: a message, or NULL with *@more set if none yet. */
static struct json_object *qmp_parse(struct qmp *q, int *more)
{
	enum json_tokener_error jerr;
	struct json_object *obj;
	size_t len = q->len - q->off;

	*more = 0;
	obj = json_tokener_parse_ex(q->tok, q->buf + q->off, len);
	jerr = json_tokener_get_error(q->tok);
	if (obj) {
		q->off += json_tokener_get_parse_end(q->tok);
		q->msg_bytes = 0;
		json_tokener_reset(q->tok);
		if (json_object_is_type(obj, json_type_object))
			return obj;
		json_object_put(obj);
		qmp_fail(q, "unexpected message from %s (not a JSON object)", q->path);
		return NULL;
	}
	if (jerr != json_tokener_continue) {
		qmp_fail(q, "malformed JSON from %s", q->path);
		return NULL;
	}
	q->off = q->len;
	q->msg_bytes += len;
	if (q->msg_bytes > QMP_MSG_MAX) {
		qmp_fail(q, "message from %s longer than %d bytes", q->path, QMP_MSG_MAX);
		return NULL;
	}
	*more = 1;
	return NULL;
}

/* Read more bytes; @deadline < 0: only if some are there now. */
static int qmp_fill(struct qmp *q, int64_t deadline, const char *what)
{
	ssize_t n;

	for (;;) {
		n = recv(q->fd, q->buf, sizeof(q->buf), MSG_DONTWAIT);
		if (n > 0) {
			q->off = 0;
			q->len = n;
			return 1;
		}
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return qmp_fail(q, "connection closed by %s", q->path);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return qmp_fail_errno(q, "cannot read from", errno);
		if (deadline < 0)
			return 0;
		if (qmp_wait(q, POLLIN, deadline, what))
			return -1;
	}
}

/* The next message from the peer, waiting until @deadline at most. */
static struct json_object *qmp_read(struct qmp *q, const char *what, int64_t deadline)
{
	struct json_object *obj;
	int more;

	for (;;) {
		if (q->off < q->len) {
			obj = qmp_parse(q, &more);
			if (!more)
				return obj;
		}
		if (qmp_fill(q, deadline, what) < 0)
			return NULL;
	}
}

int qmp_drain(struct qmp *q)
{
	struct json_object *obj;
	int more, rc, event, reads;

	for (reads = 0; reads < 64; reads++) {	/* a flood waits for the next pass */
		while (q->off < q->len) {
			obj = qmp_parse(q, &more);
			if (more)
				break;
			if (!obj)
				return -1;
			event = json_object_object_get_ex(obj, "event", NULL);
			json_object_put(obj);
			if (!event)
				return qmp_fail(q, "unexpected message from %s (not an event)",
						q->path);
		}
		rc = qmp_fill(q, -1, "event");
		if (rc <= 0)
			return rc;
	}
	return 0;
}

static int qmp_send(struct qmp *q, const char *msg)
{
	int64_t deadline = now_ms() + q->timeout_ms;
	size_t len = strlen(msg), done = 0;
	ssize_t n;

	while (done < len) {
		n = send(q->fd, msg + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return qmp_fail(q, "connection closed by %s", q->path);
		if (n < 0 && errno != EAGAIN)
			return qmp_fail_errno(q, "cannot write to", errno);
		if (qmp_wait(q, POLLOUT, deadline, NULL))
			return -1;
	}
	return 0;
}

/* Describe an {"error": {"class": ..., "desc": ...}} reply. */
static int qmp_error_reply(struct qmp *q, const char *cmd, struct json_object *err)
{
	struct json_object *class = NULL, *desc = NULL;

	if (json_object_is_type(err, json_type_object)) {
		json_object_object_get_ex(err, "class", &class);
		json_object_object_get_ex(err, "desc", &desc);
	}
	if (!json_object_is_type(desc, json_type_string))
		return qmp_fail(q, "%s: error from %s (no description)", cmd, q->path);
	return qmp_fail(q, "%s: error from %s: %s (%s)", cmd, q->path,
			json_object_get_string(desc),
			json_object_is_type(class, json_type_string) ?
			json_object_get_string(class) : "no class");
}

int qmp_execute(struct qmp *q, const char *cmd, struct json_object *args,
		struct json_object **ret)
{
	int64_t deadline = now_ms() + q->timeout_ms;	/* events do not extend it */
	struct json_object *msg, *reply, *v;
	int rc;

	msg = json_object_new_object();
	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	rc = qmp_send(q, json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(msg);
	if (!rc)
		rc = qmp_send(q, "\n");
	while (!rc) {
		reply = qmp_read(q, "answer", deadline);
		if (!reply)
			return -1;
		if (json_object_object_get_ex(reply, "event", &v)) {
			json_object_put(reply);
			continue;
		}
		if (json_object_object_get_ex(reply, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
		} else if (json_object_object_get_ex(reply, "error", &v)) {
			rc = qmp_error_reply(q, cmd, v);
		} else {
			rc = qmp_fail(q, "%s: reply from %s has neither return nor error",
				      cmd, q->path);
		}
		json_object_put(reply);
		return rc;
	}
	return rc;
}

/* "7.2.22" from {"QMP": {"version": {"qemu": {"major": 7, ...}}}}. */
static void qmp_read_version(struct qmp *q, struct json_object *greeting)
{
	struct json_object *v, *major, *minor, *micro;

	if (json_object_object_get_ex(greeting, "QMP", &v) &&
	    json_object_object_get_ex(v, "version", &v) &&
	    json_object_object_get_ex(v, "qemu", &v) &&
	    json_object_object_get_ex(v, "major", &major) &&
	    json_object_object_get_ex(v, "minor", &minor) &&
	    json_object_object_get_ex(v, "micro", &micro))
		snprintf(q->version, sizeof(q->version), "%" PRId64 ".%" PRId64 ".%" PRId64,
			 json_object_get_int64(major), json_object_get_int64(minor),
			 json_object_get_int64(micro));
}

int qmp_open(struct qmp *q, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct json_object *greeting, *v;

	qmp_close(q);
	q->cancelled = 0;
	snprintf(q->path, sizeof(q->path), "%s", path);
	snprintf(q->version, sizeof(q->version), "unknown");
	if (strlen(path) >= sizeof(sa.sun_path))
		return qmp_fail(q, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	q->tok = json_tokener_new();
	if (!q->tok)
		return qmp_fail(q, "out of memory");
	json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
			       JSON_TOKENER_VALIDATE_UTF8);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0)
		return qmp_fail_errno(q, "cannot create a socket for", errno);
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return qmp_fail_errno(q, "cannot connect to", errno);

	greeting = qmp_read(q, "greeting", now_ms() + q->timeout_ms);
	if (!greeting)
		return -1;
	if (!json_object_object_get_ex(greeting, "QMP", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		json_object_put(greeting);
		return qmp_fail(q, "no QMP greeting from %s", q->path);
	}
	qmp_read_version(q, greeting);
	json_object_put(greeting);
	return qmp_execute(q, "qmp_capabilities", NULL, NULL);
}

/* A non-negative integer member of @obj, or an error naming it. */
static int get_u64(struct qmp *q, const char *cmd, struct json_object *obj,
		   const char *key, uint64_t *val)
{
	struct json_object *v;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return qmp_fail(q, "%s: reply from %s lacks '%s'", cmd, q->path, key);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return qmp_fail(q, "%s: '%s' from %s is not a non-negative integer",
				cmd, key, q->path);
	*val = json_object_get_uint64(v);
	return 0;
}

int qmp_balloon(struct qmp *q, uint64_t bytes)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "value",
			       json_object_new_int64(bytes > INT64_MAX ? INT64_MAX : bytes));
	return qmp_execute(q, "balloon", args, NULL);
}

int qmp_query_balloon(struct qmp *q, uint64_t *actual)
{
	struct json_object *ret;
	int rc;

	if (qmp_execute(q, "query-balloon", NULL, &ret))
		return -1;
	rc = get_u64(q, "query-balloon", ret, "actual", actual);
	json_object_put(ret);
	return rc;
}

/* qom-list @dir: the name of its first child of a type starting @prefix. */
static int qom_find_child(struct qmp *q, const char *dir, const char *prefix,
			  char **name)
{
	struct json_object *args = json_object_new_object(), *ret, *prop, *n, *t;
	size_t i, len;
	int rc = 0;

	*name = NULL;
	json_object_object_add(args, "path", json_object_new_string(dir));
	if (qmp_execute(q, "qom-list", args, &ret))
		return -1;
	if (!json_object_is_type(ret, json_type_array)) {
		json_object_put(ret);
		return qmp_fail(q, "qom-list: reply from %s is not an array", q->path);
	}
	len = json_object_array_length(ret);
	for (i = 0; i < len && !*name && !rc; i++) {
		prop = json_object_array_get_idx(ret, i);
		if (!json_object_object_get_ex(prop, "name", &n) ||
		    !json_object_object_get_ex(prop, "type", &t) ||
		    !json_object_is_type(n, json_type_string) ||
		    !json_object_is_type(t, json_type_string))
			rc = qmp_fail(q, "qom-list: reply from %s has a property without "
				      "a string name and type", q->path);
		else if (!strncmp(json_object_get_string(t), prefix, strlen(prefix)) &&
			 asprintf(name, "%s/%s", dir, json_object_get_string(n)) < 0) {
			*name = NULL;
			rc = qmp_fail(q, "out of memory");
		}
	}
	json_object_put(ret);
	return rc;
}

int qmp_find_balloon(struct qmp *q, char **path)
{
	static const char *const dirs[] = { "/machine/peripheral", "/machine/peripheral-anon" };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (qom_find_child(q, dirs[i], "child<virtio-balloon", path))
			return -1;
		if (*path)
			return 0;
	}
	return qmp_fail(q, "no virtio-balloon device in %s or %s of %s "
			"(set balloon_qom_path?)", dirs[0], dirs[1], q->path);
}

int qmp_set_stats_interval(struct qmp *q, const char *path, unsigned int seconds)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property",
			       json_object_new_string("guest-stats-polling-interval"));
	json_object_object_add(args, "value", json_object_new_int64(seconds));
	return qmp_execute(q, "qom-set", args, NULL);
}

int qmp_guest_stats(struct qmp *q, const char *path, uint64_t *free_bytes,
		    uint64_t *total_bytes)
{
	struct json_object *args = json_object_new_object(), *ret, *stats = NULL;
	uint64_t last_update;
	int rc;

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property", json_object_new_string("guest-stats"));
	if (qmp_execute(q, "qom-get", args, &ret))
		return -1;
	rc = get_u64(q, "qom-get guest-stats", ret, "last-update", &last_update);
	if (!rc && (!json_object_object_get_ex(ret, "stats", &stats) ||
		    !json_object_is_type(stats, json_type_object)))
		rc = qmp_fail(q, "qom-get guest-stats: reply from %s lacks 'stats'", q->path);
	if (!rc)
		rc = get_u64(q, "qom-get guest-stats", stats, "stat-free-memory", free_bytes);
	if (!rc)
		rc = get_u64(q, "qom-get guest-stats", stats, "stat-total-memory",
			     total_bytes);
	json_object_put(ret);
	/* No report from the guest yet: QEMU answers 0 and all ones. */
	if (!rc && !last_update)
		*free_bytes = *total_bytes = QMP_STAT_UNKNOWN;
	return rc;
}

_Static_assert(QMP_STAT_UNKNOWN == OVCD_STAT_UNKNOWN, "one 'unknown' for both");

/* ovcd's QMP backend: one struct qmp_hv per VM. */
struct qmp_hv {
	struct ovcd_hv hv;
	struct qmp qmp;
	const char *socket;		/* the VM's conf->qmp */
	const char *qom_conf;		/* its conf->balloon_qom_path, or NULL */
	char *qom_path;			/* the balloon device, while connected */
	unsigned int stats_interval_s;
};

static struct qmp_hv *to_qmp(struct ovcd_hv *hv)
{
	return (struct qmp_hv *)hv;	/* hv is its first member */
}

static struct ovcd_hv *qmp_hv_create(const struct ovcd_vm_conf *conf,
				     const struct ovcd_hv_env *env)
{
	struct qmp_hv *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->hv.ops = &ovcd_qmp_ops;
	h->socket = conf->qmp;
	h->qom_conf = conf->balloon_qom_path;
	h->stats_interval_s = env->stats_interval_s;
	qmp_init(&h->qmp, env->timeout_ms, env->cancel_fd);
	return &h->hv;
}

/* q->err into hv->err: the message of the call that just failed. */
static int qmp_hv_fail(struct qmp_hv *h)
{
	snprintf(h->hv.err, sizeof(h->hv.err), "%s", h->qmp.err);
	return -1;
}

static void qmp_hv_disconnect(struct ovcd_hv *hv)
{
	struct qmp_hv *h = to_qmp(hv);

	qmp_close(&h->qmp);
	free(h->qom_path);
	h->qom_path = NULL;
}

static void qmp_hv_destroy(struct ovcd_hv *hv)
{
	if (!hv)
		return;
	qmp_hv_disconnect(hv);
	free(to_qmp(hv));
}

/* Capabilities, the balloon device, guest statistics on. */
static int qmp_hv_connect(struct ovcd_hv *hv)
{
	struct qmp_hv *h = to_qmp(hv);
	struct qmp *q = &h->qmp;

	if (q->fd >= 0)
		return qmp_drain(q) ? qmp_hv_fail(h) : 0;
	if (qmp_open(q, h->socket))
		return qmp_hv_fail(h);
	if (h->qom_conf)
		h->qom_path = strdup(h->qom_conf);
	else if (qmp_find_balloon(q, &h->qom_path))
		return qmp_hv_fail(h);
	if (!h->qom_path) {
		snprintf(hv->err, sizeof(hv->err), "out of memory");
		return -1;
	}
	if (qmp_set_stats_interval(q, h->qom_path, h->stats_interval_s))
		return qmp_hv_fail(h);
	return 1;
}

static int qmp_hv_set_target(struct ovcd_hv *hv, uint64_t bytes)
{
	struct qmp_hv *h = to_qmp(hv);

	return qmp_balloon(&h->qmp, bytes) ? qmp_hv_fail(h) : 0;
}

/* query-balloon and the balloon's guest-stats. */
static int qmp_hv_query(struct ovcd_hv *hv, uint64_t *actual, uint64_t *free_bytes,
			uint64_t *total_bytes)
{
	struct qmp_hv *h = to_qmp(hv);

	if (qmp_query_balloon(&h->qmp, actual) ||
	    qmp_guest_stats(&h->qmp, h->qom_path, free_bytes, total_bytes))
		return qmp_hv_fail(h);
	return 0;
}

static int qmp_hv_poll_fd(struct ovcd_hv *hv)
{
	return to_qmp(hv)->qmp.fd;
}

static bool qmp_hv_cancelled(struct ovcd_hv *hv)
{
	return to_qmp(hv)->qmp.cancelled;
}

static void qmp_hv_describe(struct ovcd_hv *hv, char *buf, size_t len)
{
	struct qmp_hv *h = to_qmp(hv);

	snprintf(buf, len, "QEMU %s on %s, balloon %s", h->qmp.version, h->socket,
		 h->qom_path);
}

const struct ovcd_backend_ops ovcd_qmp_ops = {
	.name		= "qmp",
	.create		= qmp_hv_create,
	.destroy	= qmp_hv_destroy,
	.connect	= qmp_hv_connect,
	.disconnect	= qmp_hv_disconnect,
	.set_target	= qmp_hv_set_target,
	.query		= qmp_hv_query,
	.poll_fd	= qmp_hv_poll_fd,
	.cancelled	= qmp_hv_cancelled,
	.describe	= qmp_hv_describe,
};
