// SPDX-License-Identifier: GPL-2.0
/*
 * libovc-fake - the ovcfs ioctls emulated on a fake sysfs tree, for tests.
 * Linked only into the test binaries (tests/bin/ovcctl, tests/bin/ovcd), never into
 * ovcctl and ovcd.
 *
 * A test cannot create ovcfs files without the module, so with
 * OVC_FAKE_IOCTL=1 an ordinary file stands for a VM's ovcfs file: its VM
 * is the directory vms/<id>/ of $OVC_SYSFS whose name file holds the
 * file's absolute path, and the ioctls read and write that directory's
 * files the way the module's sysfs shows its state.  VM_INFO fills every
 * field the module's ovc_vm_fill_info() fills.  SET_SHARE_DOMAIN writes
 * vms/<id>/share_domain, and answers ENOTTY when that file is missing (a
 * module without sharing domains).
 *
 * An ordinary directory stands for an ovcfs directory (a mount's root):
 * only SET_SWAP_FILE works on it (and on a VM's file).  It checks what the
 * module checks, keeps the store in the tree's swap_file and swap_slots
 * (ENOTTY without swap_file: a module without the swap store), answers
 * EBUSY to a detach while swapped_pages is not 0, and appends a line per
 * call to $OVC_FAKE_SWAP_LOG if set, so that tests see what was passed:
 *   attach DIR PATH direct=0|1 -> 0 slots=N    (or -> ERRNO-NAME)
 *   detach DIR -> 0                             (or -> EBUSY)
 * $OVC_FAKE_MOUNTS replaces /proc/self/mounts, and a swap store opened
 * while $OVC_FAKE_NO_DIRECT is set is refused O_DIRECT (EINVAL), as by a
 * filesystem without it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libovc.h"

static uint64_t read_or_zero(int dir, const char *file)
{
	uint64_t v;

	return ovc_read_u64(dir, file, &v) ? 0 : v;
}

static int fake_info(struct ovc_file *f, struct ovc_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->api_version = OVC_API_VERSION;
	info->id = f->vm_id;
	info->size_pages = read_or_zero(f->vm_dir, "size_pages");
	info->resident_pages = read_or_zero(f->vm_dir, "resident_pages");
	info->owner_uid = read_or_zero(f->vm_dir, "owner_uid");
	info->owner_pid = read_or_zero(f->vm_dir, "owner_pid");
	info->balloon_target_pages = read_or_zero(f->vm_dir, "balloon_target_pages");
	info->balloon_actual_pages = read_or_zero(f->vm_dir, "balloon_actual_pages");
	info->balloon_pages = read_or_zero(f->vm_dir, "balloon_pages");
	info->shared_pages = read_or_zero(f->vm_dir, "shared_pages");
	info->zero_pages = read_or_zero(f->vm_dir, "zero_pages");
	info->cow_breaks = read_or_zero(f->vm_dir, "cow_breaks");
	info->share_domain = read_or_zero(f->vm_dir, "share_domain");
	return 0;
}

static int fake_set_target(struct ovc_file *f, const struct ovc_balloon_target *t)
{
	if (t->target_pages > read_or_zero(f->vm_dir, "size_pages")) {
		errno = ERANGE;
		return -1;
	}
	return ovc_write_u64(f->vm_dir, "balloon_target_pages", t->target_pages);
}

static int fake_report(struct ovc_file *f, const struct ovc_guest_report *rep)
{
	const struct {
		const char *file;
		uint64_t val;
	} fields[] = {
		{ "balloon_actual_pages", rep->balloon_actual_pages },
		{ "guest_free_pages", rep->guest_free_pages },
		{ "guest_total_pages", rep->guest_total_pages },
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].val != OVC_UNKNOWN &&
		    ovc_write_u64(f->vm_dir, fields[i].file, fields[i].val))
			return -1;
	return 0;
}

/* A tree without vms/<id>/share_domain stands for a module without the ioctl. */
static int fake_set_share_domain(struct ovc_file *f, const struct ovc_share_domain *d)
{
	if (d->size != sizeof(*d) || d->flags || d->reserved[0] || d->reserved[1]) {
		errno = EINVAL;
		return -1;
	}
	if (d->domain > UINT32_MAX) {
		errno = ERANGE;
		return -1;
	}
	if (ovc_write_u64(f->vm_dir, "share_domain", d->domain)) {
		if (errno == ENOENT)
			errno = ENOTTY;
		return -1;
	}
	return 0;
}

/* The path an open fd names, from /proc/self/fd. */
static void fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

static void __attribute__((format(printf, 1, 2))) swap_log(const char *fmt, ...)
{
	const char *path = getenv("OVC_FAKE_SWAP_LOG");
	va_list ap;
	FILE *f;

	if (!path || !(f = fopen(path, "ae")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* Write @s and a newline to the tree's @file, as a sysfs store would hold it. */
static int write_str(int root, const char *file, const char *s)
{
	FILE *f;
	int fd = openat(root, file, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "%s\n", s);
	return fclose(f) ? -1 : 0;
}

/* What the module checks of the store @sw->fd; its slots into *@slots. */
static int check_swap_fd(const struct ovc_swap_file *sw, uint64_t *slots)
{
	uint64_t size;
	struct stat st;
	int fl;

	if (fstat(sw->fd, &st))
		return -1;		/* EBADF */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	fl = fcntl(sw->fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR) {
		errno = EBADF;
		return -1;
	}
	size = st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(sw->fd, BLKGETSIZE64, &size))
		return -1;
	if (size < (uint64_t)sysconf(_SC_PAGESIZE)) {
		errno = EINVAL;
		return -1;
	}
	*slots = size / sysconf(_SC_PAGESIZE);
	return 0;
}

static int fake_set_swap_file(struct ovc_file *f, struct ovc_swap_file *sw)
{
	char dir[PATH_MAX], path[PATH_MAX], cur[PATH_MAX], num[24];
	uint64_t slots = 0, swapped;
	int root, rc = -1, direct = 0;

	fd_path(f->fd, dir, sizeof(dir));
	root = ovc_open_root();
	if (root < 0)
		return -1;
	*path = '\0';
	if (sw->fd != OVC_SWAP_FILE_NONE) {
		fd_path(sw->fd, path, sizeof(path));
		direct = !!(fcntl(sw->fd, F_GETFL) & O_DIRECT);
	}
	if (sw->size != sizeof(*sw) || sw->flags || sw->reserved32 || sw->reserved[0] ||
	    sw->reserved[1] || (sw->fd < 0 && sw->fd != OVC_SWAP_FILE_NONE)) {
		errno = EINVAL;
	} else if (ovc_read_str(root, "swap_file", cur, sizeof(cur))) {
		if (errno == ENOENT)
			errno = ENOTTY;
	} else if (sw->fd == OVC_SWAP_FILE_NONE) {
		if (*cur && !ovc_read_u64(root, "swapped_pages", &swapped) && swapped)
			errno = EBUSY;
		else if (!write_str(root, "swap_file", "") &&
			 !ovc_write_u64(root, "swap_slots", 0))
			rc = 0;
	} else if (*cur) {
		errno = EBUSY;
	} else if (!check_swap_fd(sw, &slots) && !write_str(root, "swap_file", path) &&
		   !ovc_write_u64(root, "swap_slots", slots)) {
		rc = 0;
	}
	sw->slots = rc ? 0 : slots;
	snprintf(num, sizeof(num), "0 slots=%" PRIu64, slots);
	if (sw->fd == OVC_SWAP_FILE_NONE)
		swap_log("detach %s -> %s\n", dir, rc ? strerrorname_np(errno) : "0");
	else
		swap_log("attach %s %s direct=%d -> %s\n", dir, path, direct,
			 rc ? strerrorname_np(errno) : num);
	close(root);
	return rc;
}

static const struct ovc_file_ops fake_ops = {
	.info		= fake_info,
	.set_target	= fake_set_target,
	.report		= fake_report,
	.set_share_domain = fake_set_share_domain,
	.set_swap_file	= fake_set_swap_file,
};

/* Does vms/<id>/name (open as @dir) hold @want? */
static int name_is(int dir, const char *want)
{
	char name[PATH_MAX];
	ssize_t n;
	int fd;

	fd = openat(dir, "name", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, name, sizeof(name) - 1);
	close(fd);
	while (n > 0 && name[n - 1] == '\n')
		n--;
	if (n <= 0)
		return 0;
	name[n] = '\0';
	return !strcmp(name, want);
}

/* Find the fake tree's vms/<id>/ whose name is @path: a directory fd. */
static int fake_find_vm(const char *path, uint64_t *id)
{
	char want[PATH_MAX];
	uint64_t *ids;
	size_t i, nr;
	int root, dir = -1;

	if (!realpath(path, want))
		return -1;
	root = ovc_open_root();
	if (root < 0)
		return -1;
	if (ovc_list_vms(root, &ids, &nr)) {
		close(root);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		dir = ovc_open_vm_dir(root, ids[i]);
		if (dir >= 0 && name_is(dir, want)) {
			*id = ids[i];
			break;
		}
		if (dir >= 0)
			close(dir);
		dir = -1;
	}
	free(ids);
	close(root);
	if (dir < 0)
		errno = ENXIO;
	return dir;
}

/*
 * ovc_file_open_hook: with OVC_FAKE_IOCTL=1, the VM of the fake tree; a
 * directory stands for an ovcfs directory.
 */
static int fake_open(struct ovc_file *f, const char *path)
{
	const char *env = getenv("OVC_FAKE_IOCTL");
	struct stat st;

	if (!env || strcmp(env, "1"))
		return 1;
	f->ops = &fake_ops;
	if (!fstat(f->fd, &st) && S_ISDIR(st.st_mode))
		return 0;
	f->vm_dir = fake_find_vm(path, &f->vm_id);
	return f->vm_dir < 0 ? -1 : 0;
}

/* ovc_swap_open_hook: open(2), refusing O_DIRECT while $OVC_FAKE_NO_DIRECT is set. */
static int fake_swap_open(const char *path, int flags)
{
	if ((flags & O_DIRECT) && getenv("OVC_FAKE_NO_DIRECT")) {
		errno = EINVAL;
		return -1;
	}
	return open(path, flags);
}

__attribute__((constructor)) static void fake_init(void)
{
	const char *mounts = getenv("OVC_FAKE_MOUNTS");

	ovc_file_open_hook = fake_open;
	ovc_swap_open_hook = fake_swap_open;
	if (mounts && *mounts)
		ovc_mounts_file = mounts;
}
