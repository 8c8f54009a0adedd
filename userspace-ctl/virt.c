// SPDX-License-Identifier: GPL-2.0
/*
 * virt - ovcd's libvirt backend.
 *
 * One connection (virConnectPtr) to [global] libvirt_uri for the whole
 * daemon, owned by one thread, the event thread, which runs libvirt's
 * default event loop (virEventRegisterDefaultImpl, then
 * virEventRunDefaultImpl in a loop, woken at least every TICK_MS by a
 * timer and at once by ovcd's stop eventfd) and in it:
 *
 *   virConnectRegisterCloseCallback: libvirtd went away (a restart): the
 *     thread closes its end and opens a new connection, at once and then
 *     with a backoff of 0.5 s doubling to 30 s, one log line per distinct
 *     failure;
 *   virConnectDomainEventRegisterAny(VIR_DOMAIN_EVENT_ID_LIFECYCLE): a
 *     domain started or stopped: the VMs served through it are woken
 *     (their poll fd), and with libvirt_discover the running domains are
 *     scanned again (a listing that fails: again after 0.5 s doubling to
 *     30 s, logged once).
 *
 * The callbacks only take note; the thread acts once the loop iteration
 * has returned, never from inside libvirt.  Each VM's thread (ovcd.c)
 * makes its own calls (lookup, virDomainSetMemoryFlags,
 * virDomainMemoryStats: libvirt's API is thread-safe) through a
 * virDomainPtr of its own, which holds a reference on the connection it
 * came from, so that the event thread may replace the connection at any
 * time: calls on the old one fail, the VM's pass fails, and its next
 * connect() looks the domain up on the new one.
 *
 * Locking: virt.lock protects virt.conn, virt.gen (bumped on every new
 * connection), virt.why and the list of VM states (virt.hvs, with their
 * stale flags).  virt.conn is written only by the event thread (or by
 * virt_start() and virt_stop() while that thread does not run), which
 * therefore reads it without the lock; the other fields of virt are the
 * event thread's alone.  It is held only to read or change those, never across a
 * libvirt call that talks to the daemon, nor when calling ovcd's hooks;
 * ovcd's own locks are never held when ovcd calls in here.
 *
 * Discovery: how libvirt names a domain's memory file (libvirt 9.0,
 * src/qemu/qemu_conf.c):
 *   virQEMUDriverConfigLoadMemoryEntry(): qemu.conf's memory_backing_dir
 *     D becomes cfg->memoryBackingDir = "D/libvirt/qemu" (the default,
 *     without the key: /var/lib/libvirt/qemu/ram);
 *   qemuGetMemoryBackingDomainPath(): the domain's directory is
 *     "<memoryBackingDir>/<virDomainDefGetShortName(def)>", the short
 *     name being "<id>-<name>" with the name cut to 20 characters
 *     (VIR_DOMAIN_SHORT_NAME_MAX, src/conf/domain_conf.c) by mbstowcs(),
 *     so as libvirtd's locale says: 20 bytes in the C locale (through a
 *     UTF-8 character); ovcd does not redo the cut but takes the entry
 *     named "<id>-..." (domain_dir()); an embedded
 *     driver (a root=) whose memoryBackingDir is outside its root puts
 *     "<hash>-" in front: not handled here;
 *   qemuGetMemoryBackingPath(): each memory backend's file is
 *     "<domain dir>/<alias>", the alias being QEMU's default-ram-id
 *     ("pc.ram" on x86) for a domain without NUMA, "ram-node<N>" per
 *     NUMA cell, or the memory device's alias (src/qemu/qemu_command.c).
 * So with memory_backing_dir = /run/ovc (ovcfs mounted there), domain 3
 * "web" has its RAM at /run/ovc/libvirt/qemu/3-web/pc.ram.  ovcd looks
 * in /run/ovc/libvirt/qemu/3-* for the one file that is on ovcfs (ovc_file_open:
 * OVC_IOC_VM_INFO answers), whatever its name, and serves it; a domain
 * with several (NUMA cells, DIMMs) is logged and not served, as ovcd
 * gives one balloon target per ovcfs file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "backend.h"
#include "config.h"
#include "libovc.h"
#include "virt.h"

#define TICK_MS		200
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000

/* One VM's state: the domain it is served through. */
struct virt_hv {
	struct ovcd_hv hv;
	const char *domain;		/* conf->domain */
	const char *conf_file;		/* conf->file, or NULL */
	char file[PATH_MAX];		/* its RAM file as found by connect(), or "" */
	virDomainPtr dom;		/* while connected */
	uint64_t gen;			/* virt.gen dom was looked up on */
	int id;				/* the domain's id then */
	bool stale;			/* an event for the domain since */
	int wake_fd;			/* eventfd: the event thread has news */
	int cancel_fd;
	unsigned int stats_interval_s;
	struct virt_hv *next;		/* in virt.hvs */
};

static struct {
	pthread_mutex_t lock;
	virConnectPtr conn;		/* NULL: not connected */
	uint64_t gen;
	char why[512];			/* why conn is NULL */
	struct virt_hv *hvs;
	/* the event thread's own, or set before it starts */
	const struct ovcd_conf *conf;
	const struct virt_hooks *hooks;
	pthread_t thread;
	bool running;
	int stop_fd;
	int lifecycle_id;		/* virConnectDomainEventRegisterAny's */
	/* noted by the callbacks: close_callback runs in whichever thread
	 * saw the connection end, a VM thread's RPC included */
	atomic_bool lost, rescan, stopping;
	uint64_t scan;
	char logged[512];		/* the connection failure last logged */
	char list_logged[512];		/* the listing failure last logged */
} virt = { .lock = PTHREAD_MUTEX_INITIALIZER, .stop_fd = -1, .lifecycle_id = -1 };

static const char *last_error(void)
{
	const char *msg = virGetLastErrorMessage();

	return msg ? msg : "unknown libvirt error";
}

/* libvirt prints every error to stderr unless told otherwise. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static void init_once(void)
{
	virSetErrorFunc(NULL, quiet);
	if (virEventRegisterDefaultImpl() < 0)
		abort();	/* out of memory at the start */
}

/*
 * The directory of the running domain @id (@name) under @backing_dir:
 * the entry of <backing_dir>/libvirt/qemu named "<id>-...", into @dir.
 * libvirt's cut of the name (20 characters, or 20 bytes: it depends on
 * libvirtd's locale) is not recomputed; an entry left over from another
 * domain with that id (a libvirtd that crashed) is told apart by its
 * name, a prefix of @name.  Return: 1, 0 if none, -1 if that leaves
 * several.
 */
static int domain_dir(const char *backing_dir, int id, const char *name, char *dir,
		      size_t len)
{
	char qemu[PATH_MAX], prefix[16], any[NAME_MAX + 1], named[NAME_MAX + 1];
	const char *rest, *pick;
	int n_any = 0, n_named = 0;
	struct dirent *de;
	size_t plen;
	DIR *d;

	plen = snprintf(prefix, sizeof(prefix), "%d-", id);
	snprintf(qemu, sizeof(qemu), "%s/libvirt/qemu", backing_dir);
	d = opendir(qemu);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen))
			continue;
		rest = de->d_name + plen;
		if (!n_any++)
			snprintf(any, sizeof(any), "%s", de->d_name);
		if (*rest && !strncmp(rest, name, strlen(rest)) && !n_named++)
			snprintf(named, sizeof(named), "%s", de->d_name);
	}
	closedir(d);
	if (!n_any)
		return 0;
	pick = n_any == 1 ? any : n_named == 1 ? named : NULL;
	if (!pick)
		return -1;
	return snprintf(dir, len, "%s/%s", qemu, pick) < (int)len ? 1 : 0;
}

/* Wake the VMs served through @domain (all of them if NULL). */
static void wake_locked(const char *domain)
{
	struct virt_hv *h;

	for (h = virt.hvs; h; h = h->next) {
		if (domain && strcmp(domain, h->domain))
			continue;
		h->stale = true;
		if (eventfd_write(h->wake_fd, 1))
			abort();	/* cannot happen: the counter is never near full */
	}
}

static void close_callback(virConnectPtr conn, int reason, void *opaque)
{
	static const char *const reasons[] = {
		[VIR_CONNECT_CLOSE_REASON_ERROR] = "an error",
		[VIR_CONNECT_CLOSE_REASON_EOF] = "end of file",
		[VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "keepalive timeout",
		[VIR_CONNECT_CLOSE_REASON_CLIENT] = "closed by the client",
	};

	(void)conn;
	(void)opaque;
	virt.lost = true;
	virt.hooks->log(LOG_ERR, NULL, "libvirt: connection to %s closed (%s); reconnecting",
			virt.conf->libvirt_uri, reason >= 0 && reason < 4 ? reasons[reason] :
			"unknown reason");
}

static int lifecycle_callback(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			      void *opaque)
{
	(void)conn;
	(void)detail;
	(void)opaque;
	pthread_mutex_lock(&virt.lock);
	wake_locked(virDomainGetName(dom));
	pthread_mutex_unlock(&virt.lock);
	if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_STOPPED)
		virt.rescan = true;
	return 0;
}

/* Open the connection, register the callbacks; 0 or -1 (logged once). */
static int virt_open(void)
{
	const char *uri = virt.conf->libvirt_uri;
	virConnectPtr conn;
	char msg[512];

	conn = virConnectOpen(uri);
	if (!conn) {
		snprintf(msg, sizeof(msg), "cannot connect to %s: %s", uri, last_error());
		goto fail;
	}
	if (virConnectRegisterCloseCallback(conn, close_callback, NULL, NULL) < 0 ||
	    (virt.lifecycle_id = virConnectDomainEventRegisterAny(conn, NULL,
				VIR_DOMAIN_EVENT_ID_LIFECYCLE,
				VIR_DOMAIN_EVENT_CALLBACK(lifecycle_callback), NULL, NULL)) < 0) {
		snprintf(msg, sizeof(msg), "cannot follow %s's events: %s", uri, last_error());
		virConnectUnregisterCloseCallback(conn, close_callback);
		virConnectClose(conn);
		goto fail;
	}
	/* a hung libvirtd or a dead link ends in close_callback (5 s x 3) */
	if (virConnectSetKeepAlive(conn, 5, 3) < 0)
		virt.hooks->log(LOG_WARNING, NULL, "libvirt: no keepalive on %s: %s", uri,
				last_error());
	virt.lost = false;
	virt.rescan = true;
	pthread_mutex_lock(&virt.lock);
	virt.conn = conn;
	virt.gen++;
	wake_locked(NULL);
	pthread_mutex_unlock(&virt.lock);
	virt.hooks->log(LOG_INFO, NULL, "libvirt: connected to %s%s", uri,
			virt.logged[0] ? " (recovered)" : "");
	virt.logged[0] = '\0';
	return 0;
fail:
	pthread_mutex_lock(&virt.lock);
	snprintf(virt.why, sizeof(virt.why), "%s", msg);
	pthread_mutex_unlock(&virt.lock);
	if (strcmp(msg, virt.logged))
		virt.hooks->log(LOG_ERR, NULL, "libvirt: %s", msg);
	snprintf(virt.logged, sizeof(virt.logged), "%s", msg);
	return -1;
}

static void virt_close(const char *why)
{
	virConnectPtr conn;

	pthread_mutex_lock(&virt.lock);
	conn = virt.conn;
	virt.conn = NULL;
	snprintf(virt.why, sizeof(virt.why), "%s", why);
	wake_locked(NULL);
	pthread_mutex_unlock(&virt.lock);
	if (!conn)
		return;
	if (virt.lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(conn, virt.lifecycle_id);
	virt.lifecycle_id = -1;
	virConnectUnregisterCloseCallback(conn, close_callback);
	virConnectClose(conn);
}

/* The one file on ovcfs in @dir into @file: 1, 0 if none, -1 if several. */
static int find_ram_file(const char *dir, char *file, size_t len)
{
	char path[PATH_MAX];
	struct ovc_file f;
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    ovc_file_open(&f, path, O_RDONLY))
			continue;
		ovc_file_close(&f);
		if (found++)
			break;
		snprintf(file, len, "%s", path);
	}
	closedir(d);
	return found > 1 ? -1 : found;
}

/*
 * libvirt_discover: the running domains with their RAM on ovcfs.
 * Return: 0, or -1 if they could not be listed (logged once).
 */
static int discover(void)
{
	char dir[PATH_MAX], file[PATH_MAX];
	virDomainPtr *doms;
	const char *name;
	int i, id, n;

	n = virConnectListAllDomains(virt.conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "cannot list the domains of %s: %s",
			 virt.conf->libvirt_uri, last_error());
		if (strcmp(msg, virt.list_logged))
			virt.hooks->log(LOG_ERR, NULL, "libvirt: %s; retrying", msg);
		snprintf(virt.list_logged, sizeof(virt.list_logged), "%s", msg);
		return -1;
	}
	virt.list_logged[0] = '\0';
	virt.scan++;
	for (i = 0; i < n; i++) {
		name = virDomainGetName(doms[i]);
		id = virDomainGetID(doms[i]);
		switch (name ? domain_dir(virt.conf->libvirt_dir, id, name, dir, sizeof(dir)) : 0) {
		case 1:
			switch (find_ram_file(dir, file, sizeof(file))) {
			case 1:
				virt.hooks->found(name, file, virt.scan);
				break;
			case -1:
				virt.hooks->log(LOG_WARNING, name, "libvirt: several files on "
						"%s in %s (NUMA cells?): not served", OVCFS_NAME,
						dir);
				break;
			}
			break;
		case -1:
			virt.hooks->log(LOG_WARNING, name, "libvirt: several directories "
					"%s/libvirt/qemu/%d-*: not served", virt.conf->libvirt_dir,
					id);
			break;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	virt.hooks->sweep(virt.scan);
	return 0;
}

static void tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

static void stop_watch(int watch, int fd, int events, void *opaque)
{
	(void)watch;
	(void)fd;
	(void)events;
	(void)opaque;
	virt.stopping = true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int next_backoff(int ms)
{
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

/*
 * The connection and the listing of the domains are each retried after
 * a failure: after 0.5 s, then doubling up to 30 s (the first connection
 * was tried by virt_start(): the next after 0.5 s, then 1 s, ...).
 */
static void *virt_thread(void *arg)
{
	int timer, watch, backoff = BACKOFF_MIN_MS, list_backoff = BACKOFF_MIN_MS;
	int64_t retry_at = now_ms() + backoff, list_at = 0;
	uint64_t list_gen = 0;

	(void)arg;
	if (!virt.conn)
		backoff = next_backoff(backoff);
	timer = virEventAddTimeout(TICK_MS, tick, NULL, NULL);
	watch = virEventAddHandle(virt.stop_fd, VIR_EVENT_HANDLE_READABLE, stop_watch, NULL,
				  NULL);
	while (!virt.stopping) {
		if (virt.lost) {
			virt_close("the connection was closed");
			virt.lost = false;
			retry_at = now_ms();
			backoff = BACKOFF_MIN_MS;
		}
		if (!virt.conn && now_ms() >= retry_at) {
			if (!virt_open()) {
				backoff = BACKOFF_MIN_MS;
			} else {
				retry_at = now_ms() + backoff;
				backoff = next_backoff(backoff);
			}
		}
		if (list_gen != virt.gen) {	/* a new connection: list at once */
			list_gen = virt.gen;
			list_at = 0;
			list_backoff = BACKOFF_MIN_MS;
		}
		if (virt.conn && virt.rescan && virt.hooks->found && now_ms() >= list_at) {
			virt.rescan = false;
			if (!discover()) {
				list_backoff = BACKOFF_MIN_MS;
			} else {
				virt.rescan = true;
				list_at = now_ms() + list_backoff;
				list_backoff = next_backoff(list_backoff);
			}
		}
		if (virEventRunDefaultImpl() < 0)
			break;
	}
	if (watch >= 0)
		virEventRemoveHandle(watch);
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	return NULL;
}

int virt_start(const struct ovcd_conf *conf, int stop_fd, const struct virt_hooks *hooks)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int e;

	pthread_once(&once, init_once);
	virt.conf = conf;
	virt.hooks = hooks;
	virt.stop_fd = stop_fd;
	virt.stopping = false;
	virt.logged[0] = '\0';
	virt.list_logged[0] = '\0';
	virt_open();
	e = pthread_create(&virt.thread, NULL, virt_thread, NULL);
	if (e) {
		hooks->log(LOG_ERR, NULL, "libvirt: cannot start the event thread: %s",
			   strerror(e));
		virt_close("not started");
		return -1;
	}
	virt.running = true;
	return 0;
}

int virt_stop(const struct timespec *deadline)
{
	if (virt.running && pthread_timedjoin_np(virt.thread, NULL, deadline))
		return -1;	/* still in a libvirt call: left as it is */
	virt.running = false;
	virt_close("ovcd is stopping");
	return 0;
}

/* --- the backend: one struct virt_hv per VM ------------------------------ */

static struct virt_hv *to_virt(struct ovcd_hv *hv)
{
	return (struct virt_hv *)hv;	/* hv is its first member */
}

static int __attribute__((format(printf, 2, 3)))
virt_fail(struct virt_hv *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->hv.err, sizeof(h->hv.err), fmt, ap);
	va_end(ap);
	return -1;
}

static struct ovcd_hv *virt_hv_create(const struct ovcd_vm_conf *conf,
				      const struct ovcd_hv_env *env)
{
	struct virt_hv *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->hv.ops = &ovcd_virt_ops;
	h->domain = conf->domain;
	h->conf_file = conf->file;
	h->cancel_fd = env->cancel_fd;
	h->stats_interval_s = env->stats_interval_s;
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0) {
		free(h);
		return NULL;
	}
	pthread_mutex_lock(&virt.lock);
	h->next = virt.hvs;
	virt.hvs = h;
	pthread_mutex_unlock(&virt.lock);
	return &h->hv;
}

static void virt_hv_disconnect(struct ovcd_hv *hv)
{
	struct virt_hv *h = to_virt(hv);
	uint64_t v;

	eventfd_read(h->wake_fd, &v);	/* news from now on wakes the retry */
	if (h->dom)
		virDomainFree(h->dom);
	h->dom = NULL;
}

static void virt_hv_destroy(struct ovcd_hv *hv)
{
	struct virt_hv *h = to_virt(hv), **p;

	if (!hv)
		return;
	virt_hv_disconnect(hv);
	pthread_mutex_lock(&virt.lock);
	for (p = &virt.hvs; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&virt.lock);
	close(h->wake_fd);
	free(h);
}

/*
 * The domain's RAM file, in its directory for this start (id), into
 * h->file ("" if not found).  Without a file in the configuration, not
 * finding it fails (-1, h->hv.err); with one, ovcd (ovcd.c) compares
 * the two when it is found, and else serves the configured file.
 */
static int find_domain_ram(struct virt_hv *h)
{
	const char *base = virt.conf->libvirt_dir;
	char dir[PATH_MAX];
	int rc;

	h->file[0] = '\0';
	rc = domain_dir(base, h->id, h->domain, dir, sizeof(dir));
	if (rc < 0) {
		if (!h->conf_file)
			return virt_fail(h, "domain %s (id %d): several directories %s/libvirt/"
					 "qemu/%d-*: give file =", h->domain, h->id, base, h->id);
		return 0;
	}
	rc = rc ? find_ram_file(dir, h->file, sizeof(h->file)) : 0;
	if (rc < 0) {
		h->file[0] = '\0';
		if (!h->conf_file)
			return virt_fail(h, "domain %s (id %d): several files on %s in %s (NUMA "
					 "cells?): give file =", h->domain, h->id, OVCFS_NAME, dir);
	} else if (!rc && !h->conf_file) {
		return virt_fail(h, "domain %s (id %d): no file on %s in %s/libvirt/qemu/%d-*",
				 h->domain, h->id, OVCFS_NAME, base, h->id);
	}
	return 0;
}

/* Look the domain up on the current connection unless done already. */
static int virt_hv_connect(struct ovcd_hv *hv)
{
	struct virt_hv *h = to_virt(hv);
	virConnectPtr conn;
	virDomainPtr dom;
	uint64_t gen, v;
	char why[512];

	/* Take the wake before the check: one that comes after it stays. */
	eventfd_read(h->wake_fd, &v);
	pthread_mutex_lock(&virt.lock);
	if (h->dom && h->gen == virt.gen && !h->stale && virt.conn) {
		pthread_mutex_unlock(&virt.lock);
		return 0;
	}
	conn = virt.conn;
	gen = virt.gen;
	h->stale = false;
	if (conn)
		virConnectRef(conn);
	snprintf(why, sizeof(why), "%s", virt.why);
	pthread_mutex_unlock(&virt.lock);
	virt_hv_disconnect(hv);
	if (!conn)
		return virt_fail(h, "%s", why);
	dom = virDomainLookupByName(conn, h->domain);
	if (!dom)
		virt_fail(h, "domain %s: %s", h->domain, last_error());
	virConnectClose(conn);	/* dom holds its own reference; resets the error */
	if (!dom)
		return -1;
	h->dom = dom;
	if (virDomainIsActive(dom) != 1)
		return virt_fail(h, "domain %s is not running", h->domain);
	if (virDomainSetMemoryStatsPeriod(dom, h->stats_interval_s, VIR_DOMAIN_AFFECT_LIVE) < 0)
		return virt_fail(h, "virDomainSetMemoryStatsPeriod on %s: %s", h->domain,
				 last_error());
	h->id = virDomainGetID(dom);
	if (find_domain_ram(h))
		return -1;
	h->gen = gen;
	return 1;
}

/* libvirt takes the guest's size in KiB, as QMP's balloon takes bytes. */
static int virt_hv_set_target(struct ovcd_hv *hv, uint64_t bytes)
{
	struct virt_hv *h = to_virt(hv);

	if (virDomainSetMemoryFlags(h->dom, bytes / 1024, VIR_DOMAIN_AFFECT_LIVE) < 0)
		return virt_fail(h, "virDomainSetMemoryFlags on %s: %s", h->domain,
				 last_error());
	return 0;
}

/*
 * virDomainMemoryStats, in KiB: ACTUAL_BALLOON (query-balloon's actual;
 * virDomainGetInfo's memory if missing), UNUSED and AVAILABLE (the
 * balloon's stat-free-memory and stat-total-memory).
 */
static int virt_hv_query(struct ovcd_hv *hv, uint64_t *actual, uint64_t *free_bytes,
			 uint64_t *total_bytes)
{
	struct virt_hv *h = to_virt(hv);
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	virDomainInfo info;
	int i, n;

	n = virDomainMemoryStats(h->dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (n < 0)
		return virt_fail(h, "virDomainMemoryStats on %s: %s", h->domain, last_error());
	*actual = *free_bytes = *total_bytes = OVCD_STAT_UNKNOWN;
	for (i = 0; i < n; i++) {
		if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
			*actual = st[i].val * 1024;
		else if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_UNUSED)
			*free_bytes = st[i].val * 1024;
		else if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_AVAILABLE)
			*total_bytes = st[i].val * 1024;
	}
	if (*actual == OVCD_STAT_UNKNOWN) {
		if (virDomainGetInfo(h->dom, &info) < 0)
			return virt_fail(h, "virDomainGetInfo on %s: %s", h->domain,
					 last_error());
		*actual = (uint64_t)info.memory * 1024;
	}
	return 0;
}

static int virt_hv_poll_fd(struct ovcd_hv *hv)
{
	return to_virt(hv)->wake_fd;
}

/* libvirt's calls are not cut short: a failure while stopping is not news. */
static bool virt_hv_cancelled(struct ovcd_hv *hv)
{
	struct pollfd pfd = { .fd = to_virt(hv)->cancel_fd, .events = POLLIN };

	return pfd.fd >= 0 && poll(&pfd, 1, 0) == 1;
}

static const char *virt_hv_file(struct ovcd_hv *hv)
{
	struct virt_hv *h = to_virt(hv);

	return h->file[0] ? h->file : NULL;
}

static void virt_hv_describe(struct ovcd_hv *hv, char *buf, size_t len)
{
	struct virt_hv *h = to_virt(hv);

	snprintf(buf, len, "libvirt domain %s (id %d) on %s", h->domain, h->id,
		 virt.conf ? virt.conf->libvirt_uri : "?");
}

const struct ovcd_backend_ops ovcd_virt_ops = {
	.name		= "libvirt",
	.create		= virt_hv_create,
	.destroy	= virt_hv_destroy,
	.connect	= virt_hv_connect,
	.disconnect	= virt_hv_disconnect,
	.set_target	= virt_hv_set_target,
	.query		= virt_hv_query,
	.poll_fd	= virt_hv_poll_fd,
	.cancelled	= virt_hv_cancelled,
	.describe	= virt_hv_describe,
	.file		= virt_hv_file,
};
