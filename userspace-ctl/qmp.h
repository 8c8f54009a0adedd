/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qmp - a small QMP client (QEMU Machine Protocol over a unix socket),
 * just what ovcd needs: the greeting and capabilities negotiation, one
 * command at a time, and the balloon commands on top.
 *
 * Every wait is bounded by the timeout given to qmp_open() and ends early
 * when the cancel fd becomes readable.  A function that fails returns -1,
 * leaves one line describing the problem in q->err (naming the socket)
 * and the connection in an unknown state: the caller closes it.
 */
#ifndef OVC_QMP_H
#define OVC_QMP_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct json_tokener;

/* Guest statistics not (yet) provided by the guest. */
#define QMP_STAT_UNKNOWN	UINT64_MAX

struct qmp {
	int fd;				/* -1 when closed */
	char path[108];			/* the socket */
	int timeout_ms;			/* for each reply */
	int cancel_fd;			/* readable: stop waiting; -1 for none */
	struct json_tokener *tok;
	size_t msg_bytes;		/* bytes of the message being parsed */
	char buf[4096];			/* bytes read, buf[off..len) unparsed */
	size_t off, len;
	int cancelled;			/* the last failure was the cancel fd */
	char version[32];		/* QEMU's, from the greeting */
	char err[512];			/* what went wrong, for the log */
};

/* Prepare @q (closed); nothing to free until qmp_open(). */
void qmp_init(struct qmp *q, int timeout_ms, int cancel_fd);

/* Connect to @path, read the greeting, negotiate capabilities. */
int qmp_open(struct qmp *q, const char *path);

/* Close the connection, if any; @q can be opened again. */
void qmp_close(struct qmp *q);

/*
 * Run @cmd with @args (an object or NULL; always released) and wait for
 * its answer, skipping asynchronous events.  On success *@ret (if not
 * NULL) holds the "return" value, for the caller to json_object_put().
 */
int qmp_execute(struct qmp *q, const char *cmd, struct json_object *args,
		struct json_object **ret);

/* Read and drop the events already received, without waiting. */
int qmp_drain(struct qmp *q);

/* balloon: ask for a guest RAM size of @bytes (> 0). */
int qmp_balloon(struct qmp *q, uint64_t bytes);

/* query-balloon: the guest's RAM size now, after ballooning. */
int qmp_query_balloon(struct qmp *q, uint64_t *actual);

/*
 * Find the virtio-balloon device's QOM path under /machine/peripheral
 * and /machine/peripheral-anon (qom-list); *@path is malloc'ed.
 */
int qmp_find_balloon(struct qmp *q, char **path);

/* qom-set guest-stats-polling-interval of the balloon at @path. */
int qmp_set_stats_interval(struct qmp *q, const char *path, unsigned int seconds);

/*
 * qom-get guest-stats: the guest's free and total memory in bytes, each
 * QMP_STAT_UNKNOWN until the guest reported it.
 */
int qmp_guest_stats(struct qmp *q, const char *path, uint64_t *free_bytes,
		    uint64_t *total_bytes);

#endif /* OVC_QMP_H */
