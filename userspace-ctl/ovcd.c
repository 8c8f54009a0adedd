// SPDX-License-Identifier: GPL-2.0
/*
 * ovcd - carry the ovc module's balloon targets to QEMU, over QMP or
 * through libvirt.
 *
 * One thread per VM, so that a QEMU that hangs or misbehaves delays
 * nobody else.  The VMs are those configured ([vm NAME]) and, with
 * libvirt_discover, the running libvirt domains whose RAM is on ovcfs,
 * found and dropped by virt.c's event thread (found_vm(), sweep_vms()).
 * The hypervisor is reached through a backend (backend.h: qmp.c or
 * virt.c); below, "QEMU" is whichever.  A VM's thread loops:
 *
 *   ask the module about the VM (OVC_IOC_VM_INFO on its ovcfs file)
 *   once per VM (per id): put it in its share_group if it is elsewhere
 *     (OVC_IOC_SET_SHARE_DOMAIN), and write the shares, min and max the
 *     file gives to vms/<id>/; a failure is logged, not fatal
 *   connect to QEMU if needed (ops->connect: for QMP capabilities, find
 *     the balloon device; turn on guest statistics)
 *   read vms/<id>/balloon_target_pages; if it changed, send it
 *     (ops->set_target: QMP "balloon", virDomainSetMemoryFlags)
 *   every stats_interval_s: the balloon's size and guest statistics
 *     (ops->query), handed to the module (OVC_IOC_GUEST_REPORT)
 *   sleep in poll() until the target changes (sysfs_notify wakes it with
 *     POLLPRI), QEMU says something, poll_interval_ms passes or the
 *     daemon stops
 *
 * Any failure closes the connection and retries after a backoff of 0.5 s
 * doubling to 30 s; a failure is logged once, not once per retry.  The
 * VM's file is opened for each pass and closed again: holding it open
 * would keep a stopped VM's memory alive.  The main thread only waits for
 * signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration.  It
 * writes the module's knobs ([global] policy, idle_tax, ..., scan) at the start
 * and, on SIGHUP, those whose value changed; the same for the swap store
 * ([global] swap_file, attach_swap()), which it never detaches.
 *
 * No thread ever waits unboundedly for a VM's thread, which may be stuck
 * in a libvirt call (a hung domain: libvirt's calls cannot be cut short):
 * the event thread drops a VM without waiting (drop_vm()), and SIGTERM and
 * SIGHUP wait STOP_TIMEOUT_MS at most; threads still running then are left
 * behind: ovcd exits (SIGTERM) or re-executes itself (SIGHUP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "libovc.h"
#include "virt.h"

#ifndef OVCD_VERSION
#define OVCD_VERSION "0.1"
#endif

#define QMP_TIMEOUT_MS	2000
#define STOP_TIMEOUT_MS	3000	/* SIGTERM, SIGHUP: the wait for the threads to end */
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000

struct vm {
	const struct ovcd_vm_conf *conf;
	const char *file;	/* its ovcfs file in this pass: conf's or the backend's */
	pthread_t thread;
	struct ovcd_hv *hv;	/* the backend's state */
	bool connected;		/* ops->connect() succeeded since the last disconnect */
	int target_fd;		/* vms/<id>/balloon_target_pages, or -1 */
	uint64_t id;		/* whose target_fd it is */
	uint64_t size_pages;	/* the VM's RAM */
	uint64_t sent_bytes;	/* last balloon value sent, 0: none on this connection */
	int64_t next_stats_ms;	/* when to query QEMU's sizes next */
	int backoff_ms;
	bool healthy;		/* last pass succeeded */
	unsigned int failures;	/* failed passes since the last good one */
	bool group_done;	/* share_group applied (or tried) for VM group_id */
	bool group_failed;	/* ... and that failed */
	uint64_t group_id;
	bool policy_done;	/* shares/min/max applied (or tried) for VM policy_id */
	bool policy_failed;	/* ... and that failed */
	uint64_t policy_id;
	char err[600];		/* what failed in this pass */
	char logged[600];	/* the failure last logged */
	/* discovered VMs only (found_vm()) */
	struct ovcd_vm_conf own_conf;	/* what conf points to */
	int drop_fd;		/* eventfd: readable when the VM is dropped; else -1 */
	uint64_t seen;		/* the last discovery scan that found it */
	struct vm *next;	/* in g.found or g.dropped */
};

static struct {
	const char *conf_path;
	struct ovcd_conf conf;
	struct vm *vms;		/* one per VM of conf */
	size_t nr_threads;	/* started, of vms */
	unsigned int knob_ok;	/* knobs of conf written (bits as conf.knob_set) */
	bool swap_ok;		/* conf's swap_file is the module's store (or none given) */
	bool verbose, syslog;
	long page_size;
	int stop_fd;		/* eventfd: readable when the threads must stop */
	/*
	 * The discovered VMs, and those dropped whose thread may still run
	 * (inside a call to a hung domain): changed only by virt.c's event
	 * thread (found_vm(), sweep_vms()) and by stop_threads() once
	 * virt_stop() joined that thread, so without a lock.
	 */
	struct vm *found, *dropped;
	char **argv;		/* main()'s: to re-execute ovcd */
} g = { .conf_path = "/etc/ovc/ovcd.conf", .stop_fd = -1 };

static void __attribute__((format(printf, 3, 4)))
logmsg(int prio, const char *vm, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (prio == LOG_DEBUG && !g.verbose)
		return;
	n = snprintf(msg, sizeof(msg), "%s%s%s", g.syslog ? "" : "ovcd: ",
		     vm ? vm : "", vm ? ": " : "");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n - 1, fmt, ap);
	va_end(ap);
	if (g.syslog) {
		syslog(prio, "%s", msg);
		return;
	}
	n = strlen(msg);
	msg[n++] = '\n';
	if (write(STDERR_FILENO, msg, n) < 0)
		return;	/* nowhere left to complain */
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Say why this pass failed; -1.  "%m" (glibc): strerror(errno), thread-safe. */
static int __attribute__((format(printf, 2, 3)))
vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->err, sizeof(vm->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void vm_disconnect(struct vm *vm)
{
	if (vm->hv)
		vm->hv->ops->disconnect(vm->hv);
	vm->connected = false;
	if (vm->target_fd >= 0)
		close(vm->target_fd);
	vm->target_fd = -1;
}

static int open_target(struct vm *vm)
{
	int root, dir;

	root = ovc_open_root();
	dir = root < 0 ? -1 : ovc_open_vm_dir(root, vm->id);
	vm->target_fd = dir < 0 ? -1 :
		openat(dir, "balloon_target_pages", O_RDONLY | O_CLOEXEC);
	if (vm->target_fd < 0)
		vm_fail(vm, "sysfs: cannot open %s/vms/%" PRIu64 "/balloon_target_pages: %m",
			ovc_sysfs_root(), vm->id);
	if (dir >= 0)
		close(dir);
	if (root >= 0)
		close(root);
	return vm->target_fd < 0 ? -1 : 0;
}

/*
 * Put the VM in its configured sharing domain, once per VM id: a new
 * QEMU (a new id) starts on its own again, and an administrator's later
 * "ovcctl share-group" is left alone.  A failure (EPERM without
 * CAP_SYS_ADMIN, ENOTTY from a module without domains) is logged and
 * the VM still served.
 */
static void apply_share_group(struct vm *vm, struct ovc_file *f,
			      const struct ovc_vm_info *info)
{
	char want[16], was[16], msg[600];

	if (vm->group_done && vm->group_id == info->id)
		return;
	vm->group_done = true;
	vm->group_id = info->id;
	vm->group_failed = false;
	if (info->share_domain == vm->conf->share_group)
		return;
	ovc_format_share_domain(vm->conf->share_group, want, sizeof(want));
	ovc_format_share_domain(info->share_domain, was, sizeof(was));
	if (ovc_file_set_share_domain(f, vm->conf->share_group)) {
		snprintf(msg, sizeof(msg), "share_group: OVC_IOC_SET_SHARE_DOMAIN (%s) on %s "
			 "failed: %m", want, vm->file);
		logmsg(LOG_ERR, vm->conf->name, "%s", msg);
		vm->group_failed = true;
		return;
	}
	logmsg(LOG_INFO, vm->conf->name, "share_group: VM %" PRIu64 " now in %s (was %s)",
	       (uint64_t)info->id, want, was);
}

/*
 * Write the shares, min and max the configuration gives (only those) to
 * vms/<id>/, once per VM id like the share_group; values the module
 * holds already are not written again.  A failure is logged, not fatal.
 */
static void apply_policy(struct vm *vm)
{
	const char *name = vm->conf->name, *field, *file;
	struct ovc_vm_policy pol = vm->conf->policy;
	struct ovc_vm_stat st;
	char msg[200];
	int root, dir = -1, n = 0;

	if (!pol.set || (vm->policy_done && vm->policy_id == vm->id))
		return;
	vm->policy_done = true;
	vm->policy_id = vm->id;
	vm->policy_failed = true;	/* until it worked */
	root = ovc_open_root();
	if (root < 0 || ovc_read_vm_stat(root, vm->id, &st)) {
		logmsg(LOG_ERR, name, "policy: cannot read %s/vms/%" PRIu64 ": %m",
		       ovc_sysfs_root(), vm->id);
		goto out;
	}
	if (((pol.set & OVC_POL_SHARES) && !(st.known & OVC_VM_SHARES)) ||
	    ((pol.set & OVC_POL_MIN) && !(st.known & OVC_VM_MIN)) ||
	    ((pol.set & OVC_POL_MAX) && !(st.known & OVC_VM_MAX))) {
		logmsg(LOG_ERR, name, "policy: %s/vms/%" PRIu64 " has no shares, min_pages or "
		       "max_pages (a module without the memory policy)", ovc_sysfs_root(), vm->id);
		goto clear;
	}
	/* Leave out what the module holds already (max 0: the VM's size). */
	if ((pol.set & OVC_POL_SHARES) && pol.shares == st.shares)
		pol.set &= ~OVC_POL_SHARES;
	if ((pol.set & OVC_POL_MIN) && pol.min_pages == st.min_pages)
		pol.set &= ~OVC_POL_MIN;
	if ((pol.set & OVC_POL_MAX) &&
	    (pol.max_pages ? pol.max_pages : st.size_pages) == st.max_pages)
		pol.set &= ~OVC_POL_MAX;
	if (ovc_vm_policy_check(&pol, &st, &field)) {
		if (errno == ERANGE)
			logmsg(LOG_ERR, name, "%s: %" PRIu64 " pages is more than VM %" PRIu64
			       "'s size (%" PRIu64 " pages): not applied", field,
			       !strcmp(field, "min") ? pol.min_pages : pol.max_pages, vm->id,
			       st.size_pages);
		else
			logmsg(LOG_ERR, name, "%s: min would be more than max (%" PRIu64 " > %"
			       PRIu64 " pages): not applied", field,
			       pol.set & OVC_POL_MIN ? pol.min_pages : st.min_pages,
			       pol.set & OVC_POL_MAX ? (pol.max_pages ? pol.max_pages :
			       st.size_pages) : st.max_pages);
		goto clear;
	}
	if (!pol.set) {
		vm->policy_failed = false;
		goto clear;
	}
	dir = ovc_open_vm_dir(root, vm->id);
	if (dir < 0 || ovc_vm_policy_write(dir, &pol, &st, &file, NULL)) {
		logmsg(LOG_ERR, name, "policy: cannot write %s/vms/%" PRIu64 "/%s: %m",
		       ovc_sysfs_root(), vm->id, dir < 0 ? "" : file);
		goto clear;
	}
	vm->policy_failed = false;
	if (pol.set & OVC_POL_SHARES)
		n += snprintf(msg + n, sizeof(msg) - n, " shares=%" PRIu64, pol.shares);
	if (pol.set & OVC_POL_MIN)
		n += snprintf(msg + n, sizeof(msg) - n, " min_pages=%" PRIu64, pol.min_pages);
	if (pol.set & OVC_POL_MAX)
		n += snprintf(msg + n, sizeof(msg) - n, " max_pages=%" PRIu64 "%s",
			      pol.max_pages, pol.max_pages ? "" : " (its size)");
	logmsg(LOG_INFO, name, "policy: VM %" PRIu64 " now has%s", vm->id, msg);
clear:
	ovc_vm_stat_clear(&st);
out:
	if (dir >= 0)
		close(dir);
	if (root >= 0)
		close(root);
}

/*
 * Write the module's knobs that @conf gives, except those @old (the
 * configuration before a reload, or NULL) gave with the same value and
 * were written; sets g.knob_ok.  Returns -1 if a write failed.  policy,
 * on by default, is written (1) unless the file says off (0); a module
 * without policy_run is only warned about then.
 */
static int apply_knobs(const struct ovcd_conf *conf, const struct ovcd_conf *old,
		       unsigned int old_ok)
{
	unsigned int ok = 0;
	size_t i;
	int rc = 0, root = ovc_open_root();

	for (i = 0; i < OVC_NR_KNOBS; i++) {
		const struct ovc_knob *k = &ovc_knobs[i];
		unsigned int bit = 1u << i;

		if (!(conf->knob_set & bit))
			continue;
		if (old && (old_ok & bit) && old->knob[i] == conf->knob[i]) {
			ok |= bit;	/* unchanged: a change by hand stays */
			continue;
		}
		if (root >= 0 && !ovc_write_u64(root, k->file, conf->knob[i])) {
			logmsg(LOG_INFO, NULL, "%s: %s = %" PRIu64, k->key, k->file, conf->knob[i]);
			ok |= bit;
		} else if (!strcmp(k->key, "policy") && !conf->policy_given && errno == ENOENT) {
			logmsg(LOG_WARNING, NULL, "policy: no %s/%s (a module without the memory "
			       "policy): not turned on", ovc_sysfs_root(), k->file);
		} else {
			logmsg(LOG_ERR, NULL, "%s: cannot write %" PRIu64 " to %s/%s: %m", k->key,
			       conf->knob[i], ovc_sysfs_root(), k->file);
			rc = -1;
		}
	}
	if (root >= 0)
		close(root);
	g.knob_ok = ok;
	return rc;
}

/* Equal strings, or both NULL. */
static bool same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* Do @a and @b name one file?  As strings if either cannot be stat'ed. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) || stat(b, &sb))
		return !strcmp(a, b);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * swap_size: create @path (mode 0600) or grow it to @pages with
 * fallocate(); an existing file is never shrunk nor truncated.
 */
static int prepare_swap(const char *path, uint64_t pages)
{
	off_t size = pages * g.page_size;
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		logmsg(LOG_ERR, NULL, "swap_size: cannot create %s: %m", path);
		return -1;
	}
	if (fstat(fd, &st))
		logmsg(LOG_ERR, NULL, "swap_size: cannot stat %s: %m", path);
	else if (!S_ISREG(st.st_mode))
		logmsg(LOG_ERR, NULL, "swap_size: %s is not a regular file", path);
	else if (st.st_size >= size)
		rc = 0;
	else if (fallocate(fd, 0, 0, size))
		logmsg(LOG_ERR, NULL, "swap_size: cannot allocate %" PRIu64 " bytes for %s: %m",
		       (uint64_t)size, path);
	else {
		logmsg(LOG_INFO, NULL, "swap_size: %s %s to %" PRIu64 " bytes", path,
		       st.st_size ? "grown" : "allocated", (uint64_t)size);
		rc = 0;
	}
	close(fd);
	return rc;
}

/* ovc_mount_set_swap() found no ovcfs mount (errno) for @path: logged. */
static void no_mount(const char *path)
{
	if (errno == ENODEV)
		logmsg(LOG_ERR, NULL, "swap_file: no %s mount in %s to attach %s on", OVCFS_NAME,
		       ovc_mounts_file, path);
	else
		logmsg(LOG_ERR, NULL, "swap_file: no %s mount in %s to attach %s on: %m",
		       OVCFS_NAME, ovc_mounts_file, path);
}

/*
 * Make @conf's swap_file the module's swap store, on the first ovcfs
 * mount: nothing if it is already (an ovcd restart); else open it (and
 * create it, swap_size), detach the store the module has (kept if pages
 * are still in it: EBUSY), attach it.  Failures are logged; -1.
 */
static int attach_swap(const struct ovcd_conf *conf)
{
	const char *path = conf->swap_file;
	char cur[PATH_MAX] = "", mnt[PATH_MAX];
	uint64_t slots, swapped;
	int root, fd = -1, direct, rc = -1;

	root = ovc_open_root();
	if (root >= 0 && ovc_read_str(root, "swap_file", cur, sizeof(cur)))
		*cur = '\0';	/* a module without it: the ioctl will say */
	if (*cur && same_file(cur, path)) {
		logmsg(LOG_DEBUG, NULL, "swap_file: %s is the swap store already", path);
		rc = 0;
		goto out;
	}
	if (conf->swap_size_pages && prepare_swap(path, conf->swap_size_pages))
		goto out;
	fd = ovc_swap_open(path, &direct);
	if (fd < 0) {
		if (errno == EINVAL)
			logmsg(LOG_ERR, NULL, "swap_file: %s is neither a regular file nor a block "
			       "device", path);
		else
			logmsg(LOG_ERR, NULL, "swap_file: cannot open %s: %m", path);
		goto out;
	}
	if (!direct)
		logmsg(LOG_WARNING, NULL, "swap_file: %s: its filesystem refuses O_DIRECT: "
		       "opened without it, so the page cache will hold swapped pages too", path);
	if (*cur && ovc_mount_set_swap(OVC_SWAP_FILE_NONE, NULL, mnt, sizeof(mnt))) {
		if (!*mnt)
			no_mount(path);
		else if (errno == EBUSY && root >= 0 &&
			 !ovc_read_u64(root, "swapped_pages", &swapped))
			logmsg(LOG_ERR, NULL, "swap_file: %s still holds %" PRIu64 " pages: kept "
			       "as the swap store, %s not attached", cur, swapped, path);
		else
			logmsg(LOG_ERR, NULL, "swap_file: cannot detach %s (for %s) on %s: %m",
			       cur, path, mnt);
		goto out;
	}
	if (*cur)
		logmsg(LOG_INFO, NULL, "swap_file: %s detached", cur);
	if (ovc_mount_set_swap(fd, &slots, mnt, sizeof(mnt))) {
		if (!*mnt)
			no_mount(path);
		else
			logmsg(LOG_ERR, NULL, "swap_file: OVC_IOC_SET_SWAP_FILE (%s) on %s failed: "
			       "%m%s", path, mnt,
			       errno == ENOTTY ? " (a module without the swap store)" : "");
		goto out;
	}
	logmsg(LOG_INFO, NULL, "swap_file: %s attached: %" PRIu64 " pages%s", path, slots,
	       direct ? "" : " (without O_DIRECT)");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);	/* the module holds its own reference */
	if (root >= 0)
		close(root);
	return rc;
}

/*
 * [global] swap_file: at the start (@old NULL), and on SIGHUP if it or
 * swap_size changed or the last attach failed.  Not given: the module's
 * store is left as it is; ovcd never detaches it when it stops.
 */
static int apply_swap(const struct ovcd_conf *conf, const struct ovcd_conf *old)
{
	if (!conf->swap_file) {
		g.swap_ok = true;
		return 0;
	}
	if (old && g.swap_ok && same_str(old->swap_file, conf->swap_file) &&
	    old->swap_size_pages == conf->swap_size_pages)
		return 0;
	g.swap_ok = !attach_swap(conf);
	return g.swap_ok ? 0 : -1;
}

/*
 * The VM's file for this pass, into vm->file: the configuration's, or
 * the one the backend found (libvirt: the running domain's, anew at each
 * start), which must then be the same.
 */
static int find_file(struct vm *vm)
{
	const char *hv_file = vm->hv->ops->file ? vm->hv->ops->file(vm->hv) : NULL;

	vm->file = vm->conf->file ? vm->conf->file : hv_file;
	if (!vm->file)	/* cannot happen: connect() failed then */
		return vm_fail(vm, "file: not known");
	if (vm->conf->file && hv_file && !same_file(vm->conf->file, hv_file)) {
		char how[600];

		vm->hv->ops->describe(vm->hv, how, sizeof(how));
		return vm_fail(vm, "file: %s is not the RAM of %s, which is %s",
			       vm->conf->file, how, hv_file);
	}
	return 0;
}

/* Open the VM's file, learn its id and size; @f stays open on success. */
static int open_file(struct vm *vm, struct ovc_file *f)
{
	const char *path = vm->file;
	struct ovc_vm_info info;

	if (ovc_file_open(f, path, O_RDWR)) {
		if (errno == EMEDIUMTYPE)
			return vm_fail(vm, "file: %s is not on %s", path, OVCFS_NAME);
		if (errno == ENXIO)
			return vm_fail(vm, "file: no VM named %s in %s", path,
				       ovc_sysfs_root());
		return vm_fail(vm, "file: cannot open %s: %m", path);
	}
	if (ovc_file_info(f, &info)) {
		vm_fail(vm, "file: OVC_IOC_VM_INFO on %s failed: %m", path);
		ovc_file_close(f);
		return -1;
	}
	if (vm->target_fd >= 0 && info.id != vm->id) {
		logmsg(LOG_INFO, vm->conf->name, "file: %s is now VM %" PRIu64 " (was %" PRIu64 ")",
		       path, (uint64_t)info.id, vm->id);
		vm_disconnect(vm);	/* a new QEMU, most likely */
	}
	vm->id = info.id;
	vm->size_pages = info.size_pages;
	apply_share_group(vm, f, &info);
	if (vm->target_fd < 0 && open_target(vm)) {
		ovc_file_close(f);
		return -1;
	}
	return 0;
}

/* The backend's last failure, under its name: -1. */
static int hv_fail(struct vm *vm)
{
	return vm_fail(vm, "%s: %s", vm->hv->ops->name, vm->hv->err);
}

static int connect_hv(struct vm *vm)
{
	int rc = vm->hv->ops->connect(vm->hv);

	if (rc < 0)
		return hv_fail(vm);
	vm->connected = true;
	if (rc) {	/* a new connection: send the target, query at once */
		vm->sent_bytes = 0;
		vm->next_stats_ms = now_ms();
	}
	return 0;
}

/* Send the target if it changed (or was never sent on this connection). */
static int carry_target(struct vm *vm)
{
	uint64_t target, bytes;

	if (ovc_pread_u64(vm->target_fd, &target)) {
		if (errno == EINVAL)	/* being rewritten: next time */
			return 0;
		return vm_fail(vm, "sysfs: cannot read %s/vms/%" PRIu64 "/balloon_target_pages: %m",
			       ovc_sysfs_root(), vm->id);
	}
	if (target > vm->size_pages)
		target = vm->size_pages;
	/* QEMU wants the guest's size, and refuses 0: leave it a page. */
	bytes = (vm->size_pages - target) * g.page_size;
	if (!bytes)
		bytes = g.page_size;
	if (bytes == vm->sent_bytes)
		return 0;
	if (vm->hv->ops->set_target(vm->hv, bytes))
		return hv_fail(vm);
	logmsg(LOG_DEBUG, vm->conf->name, "balloon target %" PRIu64 " pages: balloon value=%" PRIu64,
	       target, bytes);
	vm->sent_bytes = bytes;
	return 0;
}

static uint64_t to_pages(uint64_t bytes)
{
	return bytes == OVCD_STAT_UNKNOWN ? OVC_UNKNOWN : bytes / g.page_size;
}

/* The balloon's size and the guest's statistics, reported to the module. */
static int report(struct vm *vm, struct ovc_file *f)
{
	struct ovc_guest_report rep = { .size = sizeof(rep) };
	uint64_t ram = vm->size_pages * g.page_size, actual, free_b, total_b;

	if (vm->hv->ops->query(vm->hv, &actual, &free_b, &total_b))
		return hv_fail(vm);
	rep.balloon_actual_pages = actual >= ram ? 0 : (ram - actual) / g.page_size;
	rep.guest_free_pages = to_pages(free_b);
	rep.guest_total_pages = to_pages(total_b);
	if (ovc_file_report(f, &rep))
		return vm_fail(vm, "file: OVC_IOC_GUEST_REPORT on %s failed: %m",
			       vm->file);
	logmsg(LOG_DEBUG, vm->conf->name, "balloon %" PRIu64 " pages, guest free %" PRId64
	       " of %" PRId64 " pages (-1: not reported)", (uint64_t)rep.balloon_actual_pages,
	       (int64_t)rep.guest_free_pages, (int64_t)rep.guest_total_pages);
	vm->next_stats_ms = now_ms() + g.conf.stats_interval_s * 1000LL;
	return 0;
}

/* One pass over a VM; -1 with vm->err set on failure. */
static int vm_pass(struct vm *vm)
{
	struct ovc_file f;
	int rc;

	/* a backend that finds the file: connect first, to learn it */
	if (vm->hv->ops->file && connect_hv(vm))
		return -1;
	vm->file = vm->conf->file;
	if ((vm->hv->ops->file && find_file(vm)) || open_file(vm, &f))
		return -1;
	if (!vm->size_pages) {	/* not sized yet: QEMU is starting */
		ovc_file_close(&f);
		return 0;
	}
	apply_policy(vm);
	rc = connect_hv(vm);
	if (!rc)
		rc = carry_target(vm);
	if (!rc && now_ms() >= vm->next_stats_ms)
		rc = report(vm, &f);
	ovc_file_close(&f);
	return rc;
}

static void vm_passed(struct vm *vm, int rc)
{
	const char *name = vm->conf->name;
	char how[600];

	if (rc) {
		if (vm->hv->ops->cancelled(vm->hv))
			return;	/* stopping: not a failure of this VM */
		vm_disconnect(vm);
		if (strcmp(vm->err, vm->logged))
			logmsg(LOG_ERR, name, "%s", vm->err);
		snprintf(vm->logged, sizeof(vm->logged), "%s", vm->err);
		vm->healthy = false;
		vm->failures++;
		return;
	}
	if (!vm->healthy && vm->connected) {
		vm->hv->ops->describe(vm->hv, how, sizeof(how));
		logmsg(LOG_INFO, name, "serving: %s%s", how, vm->failures ? " (recovered)" : "");
		vm->healthy = true;
		vm->failures = 0;
		vm->logged[0] = '\0';
	}
}

/* Sleep up to @ms or until woken; false when the daemon stops or drops the VM. */
static bool vm_sleep(struct vm *vm, int64_t ms, bool wake_on_events)
{
	/* retrying (after ops->disconnect()) or connected: the backend may wake us */
	bool hv_fd = !wake_on_events || vm->connected;
	struct pollfd pfd[4] = {
		{ .fd = g.stop_fd, .events = POLLIN },
		{ .fd = vm->drop_fd, .events = POLLIN },
		{ .fd = wake_on_events ? vm->target_fd : -1, .events = POLLPRI },
		{ .fd = hv_fd && vm->hv ? vm->hv->ops->poll_fd(vm->hv) : -1, .events = POLLIN },
	};

	if (ms < 0)
		ms = 0;
	while (poll(pfd, 4, ms) < 0 && errno == EINTR)
		;
	return !pfd[0].revents && !pfd[1].revents;
}

static void *vm_thread(void *arg)
{
	struct vm *vm = arg;
	int64_t ms;
	bool run = true;
	int rc;

	vm->backoff_ms = BACKOFF_MIN_MS;
	while (run) {
		rc = vm_pass(vm);
		vm_passed(vm, rc);
		if (rc) {
			run = vm_sleep(vm, vm->backoff_ms, false);
			vm->backoff_ms = vm->backoff_ms * 2 > BACKOFF_MAX_MS ?
					 BACKOFF_MAX_MS : vm->backoff_ms * 2;
			continue;
		}
		vm->backoff_ms = BACKOFF_MIN_MS;
		ms = vm->next_stats_ms - now_ms();
		if (ms > g.conf.poll_interval_ms || !vm->connected)
			ms = g.conf.poll_interval_ms;
		run = vm_sleep(vm, ms, true);
	}
	vm_disconnect(vm);
	return NULL;
}

/*
 * Ready @vm (zeroed, but for a discovered VM's own_conf) to serve @conf:
 * its backend's state; -1 (logged) if out of memory.
 */
static int vm_init(struct vm *vm, const struct ovcd_vm_conf *conf)
{
	const struct ovcd_hv_env env = {
		.timeout_ms = QMP_TIMEOUT_MS,
		.cancel_fd = g.stop_fd,
		.stats_interval_s = g.conf.stats_interval_s,
	};
	const struct ovcd_backend_ops *ops =
		conf->backend == OVCD_BACKEND_LIBVIRT ? &ovcd_virt_ops : &ovcd_qmp_ops;

	vm->conf = conf;
	vm->target_fd = -1;
	vm->drop_fd = -1;
	vm->hv = ops->create(conf, &env);
	if (!vm->hv)
		logmsg(LOG_ERR, conf->name, "out of memory");
	return vm->hv ? 0 : -1;
}

/* Undo vm_init(), after the VM's thread (if any) ended. */
static void vm_free(struct vm *vm)
{
	vm_disconnect(vm);
	if (vm->hv)
		vm->hv->ops->destroy(vm->hv);
	vm->hv = NULL;
}

static const struct virt_hooks once_hooks = { .log = logmsg };

/* @ms from now, for pthread_timedjoin_np() (CLOCK_REALTIME). */
static struct timespec deadline_in(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Join @vm's thread by @dl; false, logged, if it is still running then. */
static bool join_by(struct vm *vm, const struct timespec *dl)
{
	if (!pthread_timedjoin_np(vm->thread, NULL, dl))
		return true;
	logmsg(LOG_WARNING, vm->conf->name, "still in a call to its hypervisor after %d ms: "
	       "left behind", STOP_TIMEOUT_MS);
	return false;
}

/* The libvirt connection if a VM needs it, with discovery if @hooks has it. */
static int start_virt(const struct virt_hooks *hooks)
{
	return g.conf.libvirt ? virt_start(&g.conf, g.stop_fd, hooks) : 0;
}

/* --once: one pass over each VM, in turn; 0 if all of them passed. */
static int run_once(void)
{
	struct vm vm;
	size_t i;
	int failed, rc;

	uint64_t v;

	failed = apply_knobs(&g.conf, NULL, 0) | apply_swap(&g.conf, NULL) |
		 start_virt(&once_hooks);
	for (i = 0; i < g.conf.nr_vms; i++) {
		memset(&vm, 0, sizeof(vm));
		if (vm_init(&vm, &g.conf.vms[i])) {
			failed = 1;
			continue;
		}
		rc = vm_pass(&vm);
		vm_passed(&vm, rc);
		failed |= rc | vm.group_failed | (vm.policy_done && vm.policy_failed);
		vm_free(&vm);
	}
	if (g.conf.libvirt) {
		struct timespec dl = deadline_in(STOP_TIMEOUT_MS);

		if (eventfd_write(g.stop_fd, 1))
			abort();	/* cannot happen: the counter is never near full */
		if (virt_stop(&dl)) {
			logmsg(LOG_WARNING, NULL, "libvirt: the event thread is still in a libvirt "
			       "call after %d ms: left behind", STOP_TIMEOUT_MS);
			_exit(EXIT_FAILURE);	/* nothing may be freed under it */
		}
		eventfd_read(g.stop_fd, &v);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static bool same_policy(const struct ovc_vm_policy *a, const struct ovc_vm_policy *b)
{
	return a->set == b->set &&
	       (!(a->set & OVC_POL_SHARES) || a->shares == b->shares) &&
	       (!(a->set & OVC_POL_MIN) || a->min_pages == b->min_pages) &&
	       (!(a->set & OVC_POL_MAX) || a->max_pages == b->max_pages);
}

/*
 * After a reload: if the VM's name, file and share_group did not change,
 * its group was applied already (to that VM id): not again.  The same
 * for its shares, min and max.
 */
static void keep_share_group(struct vm *vm, const struct vm *old, size_t nr_old)
{
	size_t i;

	for (i = 0; i < nr_old; i++) {
		const struct ovcd_vm_conf *oc = old[i].conf;

		if (strcmp(oc->name, vm->conf->name))
			continue;
		if (same_str(oc->file, vm->conf->file) &&
		    oc->share_group == vm->conf->share_group &&
		    old[i].group_done && !old[i].group_failed) {
			vm->group_done = true;
			vm->group_id = old[i].group_id;
		}
		if (same_str(oc->file, vm->conf->file) &&
		    same_policy(&oc->policy, &vm->conf->policy) &&
		    old[i].policy_done && !old[i].policy_failed) {
			vm->policy_done = true;
			vm->policy_id = old[i].policy_id;
		}
		return;
	}
}

/* Free a discovered VM whose thread ended. */
static void free_found(struct vm *vm)
{
	vm_free(vm);
	close(vm->drop_fd);
	free(vm->own_conf.name);
	free(vm->own_conf.file);
	free(vm->own_conf.domain);
	free(vm);
}

/* Free the dropped VMs whose thread has ended. */
static void reap_dropped(void)
{
	struct vm **p = &g.dropped, *vm;

	while ((vm = *p)) {
		if (pthread_tryjoin_np(vm->thread, NULL)) {
			p = &vm->next;
			continue;
		}
		*p = vm->next;
		free_found(vm);
	}
}

/*
 * Tell a discovered VM's thread to stop and say why (unless @why is
 * NULL).  Not waited for: the thread may be inside a call to a hung
 * domain, and the event thread must go on.  It is freed once it ended
 * (reap_dropped(), stop_threads()).
 */
static void drop_vm(struct vm *vm, const char *why)
{
	if (eventfd_write(vm->drop_fd, 1))
		abort();	/* cannot happen: the counter is never near full */
	if (why)
		logmsg(LOG_INFO, vm->conf->name, "dropped: %s", why);
	vm->next = g.dropped;
	g.dropped = vm;
}

/*
 * virt_hooks.found: a running domain with its RAM on ovcfs.  Served by a
 * thread of its own like a configured VM with domain = and no file (no
 * policy, its own sharing domain): it follows the domain through a
 * restart that the scans did not see.  Not if a [vm NAME] section names
 * the domain or the file.
 */
static void found_vm(const char *domain, const char *file, uint64_t scan)
{
	struct vm *vm, **p;
	size_t i;
	int e;

	for (i = 0; i < g.conf.nr_vms; i++)
		if (same_str(g.conf.vms[i].domain, domain) || same_str(g.conf.vms[i].file, file))
			return;
	for (p = &g.found; *p; p = &(*p)->next) {
		if (!strcmp((*p)->conf->domain, domain)) {
			(*p)->seen = scan;
			return;
		}
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm || !(vm->own_conf.name = strdup(domain)) ||
	    !(vm->own_conf.domain = strdup(domain))) {
		logmsg(LOG_ERR, domain, "found: out of memory");
		goto fail;
	}
	vm->own_conf.backend = OVCD_BACKEND_LIBVIRT;
	vm->own_conf.share_group = OVC_SHARE_DOMAIN_OWN;
	if (vm_init(vm, &vm->own_conf))
		goto fail;
	vm->drop_fd = eventfd(0, EFD_CLOEXEC);
	vm->seen = scan;
	e = vm->drop_fd < 0 ? errno : pthread_create(&vm->thread, NULL, vm_thread, vm);
	if (e) {
		logmsg(LOG_ERR, domain, "found: cannot start a thread: %s", strerror(e));
		vm_free(vm);
		if (vm->drop_fd >= 0)
			close(vm->drop_fd);
		goto fail;
	}
	logmsg(LOG_INFO, domain, "found: libvirt domain %s, RAM %s", domain, file);
	vm->next = g.found;
	g.found = vm;
	return;
fail:
	if (vm) {
		free(vm->own_conf.name);
		free(vm->own_conf.domain);
		free(vm->own_conf.file);
	}
	free(vm);
}

/* virt_hooks.sweep: drop the discovered VMs that scan @scan did not find. */
static void sweep_vms(uint64_t scan)
{
	struct vm **p = &g.found, *vm;

	reap_dropped();
	while ((vm = *p)) {
		if (vm->seen == scan) {
			p = &vm->next;
			continue;
		}
		*p = vm->next;
		drop_vm(vm, "libvirt domain no longer running");
	}
}

static const struct virt_hooks serve_hooks = {
	.log = logmsg, .found = found_vm, .sweep = sweep_vms,
};

/* Start a thread per VM of g.conf; @old: the threads' state before a reload. */
static int start_threads(const struct vm *old, size_t nr_old)
{
	size_t i;
	int e;

	g.vms = calloc(g.conf.nr_vms ? g.conf.nr_vms : 1, sizeof(*g.vms));
	if (!g.vms)
		return -1;
	/* before the VMs' threads, so that they find the connection up */
	if (start_virt(g.conf.libvirt_discover ? &serve_hooks : &once_hooks))
		return -1;
	for (i = 0; i < g.conf.nr_vms; i++) {
		if (vm_init(&g.vms[i], &g.conf.vms[i]))
			return -1;
		keep_share_group(&g.vms[i], old, nr_old);
		e = pthread_create(&g.vms[i].thread, NULL, vm_thread, &g.vms[i]);
		if (e) {
			logmsg(LOG_ERR, g.conf.vms[i].name, "cannot start a thread: %s",
			       strerror(e));
			vm_free(&g.vms[i]);
			return -1;
		}
		g.nr_threads++;
	}
	if (!g.conf.nr_vms && !g.conf.libvirt_discover)
		logmsg(LOG_WARNING, NULL, "%s: no [vm NAME] section: nothing to do",
		       g.conf_path);
	return 0;
}

/*
 * Stop and join the threads, waiting STOP_TIMEOUT_MS at most for them
 * all; returns their state (to free), *nr entries.  *stuck: how many are
 * still running then (inside a hypervisor call, logged): if any, nothing
 * may be freed nor started any more: the caller exits or re-executes.
 */
static struct vm *stop_threads(size_t *nr, unsigned int *stuck)
{
	struct timespec dl = deadline_in(STOP_TIMEOUT_MS);
	struct vm *vms = g.vms, *vm;
	bool virt_stuck;
	uint64_t v;
	size_t i;

	*stuck = 0;
	if (eventfd_write(g.stop_fd, 1))
		abort();	/* cannot happen: the counter is never near full */
	/* first: no more found_vm() and sweep_vms() */
	virt_stuck = g.conf.libvirt && virt_stop(&dl);
	if (virt_stuck) {
		logmsg(LOG_WARNING, NULL, "libvirt: the event thread is still in a libvirt call "
		       "after %d ms: left behind", STOP_TIMEOUT_MS);
		(*stuck)++;
	}
	for (i = 0; i < g.nr_threads; i++) {
		if (join_by(&g.vms[i], &dl))
			vm_free(&g.vms[i]);
		else
			(*stuck)++;
	}
	if (virt_stuck)
		return vms;	/* it may still use g.found and g.dropped */
	while ((vm = g.found)) {
		g.found = vm->next;
		drop_vm(vm, NULL);
	}
	while ((vm = g.dropped)) {
		g.dropped = vm->next;
		if (join_by(vm, &dl))
			free_found(vm);
		else
			(*stuck)++;
	}
	if (*stuck)
		return vms;
	*nr = g.nr_threads;
	g.vms = NULL;
	g.nr_threads = 0;
	eventfd_read(g.stop_fd, &v);
	return vms;
}

/* SIGHUP: a new configuration if it is valid, else keep the old one. */
static int reload(void)
{
	struct ovcd_conf conf, old_conf;
	struct vm *old;
	unsigned int stuck;
	char err[1024];
	size_t nr_old;
	int rc;

	if (ovcd_conf_load(g.conf_path, &conf, err, sizeof(err))) {
		logmsg(LOG_ERR, NULL, "%s; keeping the old configuration", err);
		return 0;
	}
	old = stop_threads(&nr_old, &stuck);
	if (stuck) {
		/* their state cannot be freed nor the threads stopped: a new process */
		logmsg(LOG_WARNING, NULL, "reload: %u thread%s still in a call: re-executing "
		       "ovcd", stuck, stuck > 1 ? "s" : "");
		execv("/proc/self/exe", g.argv);
		logmsg(LOG_ERR, NULL, "reload: cannot re-execute /proc/self/exe: %m");
		_exit(EXIT_FAILURE);
	}
	old_conf = g.conf;	/* old[].conf points into it */
	g.conf = conf;
	logmsg(LOG_INFO, NULL, "reloaded %s: %zu VMs", g.conf_path, g.conf.nr_vms);
	apply_knobs(&g.conf, &old_conf, g.knob_ok);
	apply_swap(&g.conf, &old_conf);
	rc = start_threads(old, nr_old);
	free(old);
	ovcd_conf_free(&old_conf);
	return rc;
}

static int serve(void)
{
	int sig, rc = EXIT_SUCCESS;
	unsigned int stuck;
	struct vm *vms;
	sigset_t set;
	size_t nr;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* inherited by the threads */
	apply_knobs(&g.conf, NULL, 0);	/* a failure is logged; VMs still served */
	apply_swap(&g.conf, NULL);	/* the same */
	if (start_threads(NULL, 0))
		rc = EXIT_FAILURE;
	while (rc == EXIT_SUCCESS) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGHUP && reload())
			rc = EXIT_FAILURE;
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	vms = stop_threads(&nr, &stuck);
	if (stuck) {
		/* exit without freeing what they may still use */
		logmsg(LOG_WARNING, NULL, "stopped, leaving %u thread%s in a call", stuck,
		       stuck > 1 ? "s" : "");
		_exit(rc);
	}
	free(vms);
	if (rc == EXIT_SUCCESS)
		logmsg(LOG_INFO, NULL, "stopped");
	return rc;
}

static void __attribute__((noreturn)) usage(int rc)
{
	FILE *out = rc ? stderr : stdout;

	fprintf(out, "Usage:\n %s [options]\n\n"
		"Carry the ovc module's balloon targets to QEMU over QMP or through\n"
		"libvirt, and set the module's policy knobs, its swap store and the\n"
		"VMs' shares, min and max from the configuration.\n\n"
		"Options:\n"
		" -c, --config <file>  configuration file (default /etc/ovc/ovcd.conf)\n"
		" -f, --foreground     stay in the foreground (else detach, log to syslog)\n"
		" -v, --verbose        also log every target sent and every report\n"
		"     --once           one pass over every VM, then exit (1 if one failed)\n"
		"     --check          only validate the configuration\n"
		"\n"
		" -h, --help           display this help\n"
		" -V, --version        display version\n"
		"\nFor more details see ovcd(8).\n", program_invocation_short_name);
	exit(rc);
}

int main(int argc, char **argv)
{
	enum { OPT_ONCE = 256, OPT_CHECK };
	static const struct option longopts[] = {
		{ "config",     required_argument, NULL, 'c' },
		{ "foreground", no_argument,       NULL, 'f' },
		{ "verbose",    no_argument,       NULL, 'v' },
		{ "once",       no_argument,       NULL, OPT_ONCE },
		{ "check",      no_argument,       NULL, OPT_CHECK },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	bool foreground = false, once = false, check = false;
	char err[1024];
	int c, rc;

	g.argv = argv;
	while ((c = getopt_long(argc, argv, "c:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g.conf_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			g.verbose = true;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'h':
			usage(EXIT_SUCCESS);
		case 'V':
			printf("ovcd %s (ovc API %d)\n", OVCD_VERSION, OVC_API_VERSION);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n",
				program_invocation_short_name);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ovcd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (ovcd_conf_load(g.conf_path, &g.conf, err, sizeof(err))) {
		fprintf(stderr, "ovcd: %s\n", err);
		return 2;
	}
	if (check) {
		ovcd_conf_free(&g.conf);
		return EXIT_SUCCESS;
	}
	g.page_size = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && !once && daemon(0, 0)) {
		fprintf(stderr, "ovcd: cannot detach: %s\n", strerror(errno));
		ovcd_conf_free(&g.conf);
		return EXIT_FAILURE;
	}
	g.syslog = g.conf.log == OVCD_LOG_SYSLOG || (!foreground && !once);
	if (g.syslog)
		openlog("ovcd", LOG_PID, LOG_DAEMON);
	g.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (g.stop_fd < 0) {
		logmsg(LOG_ERR, NULL, "cannot create an eventfd: %s", strerror(errno));
		rc = EXIT_FAILURE;
	} else {
		rc = once ? run_once() : serve();
		close(g.stop_fd);
	}
	ovcd_conf_free(&g.conf);
	return rc;
}
