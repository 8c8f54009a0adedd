// SPDX-License-Identifier: GPL-2.0
/*
 * libovc - the ovc module's sysfs tree and ioctls, as C structures.
 *
 * Sysfs files hold one value each, at most a page long, ending in a
 * newline.  Extra files are ignored; a missing per-VM file leaves its
 * field unknown, so a tool built against an older or newer module
 * still works.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "libovc.h"

#define OVC_VALUE_MAX	4096	/* a sysfs show() writes at most a page */

/* The numeric files of vms/<id>/ and where each one lands. */
static const struct {
	const char *file;
	unsigned int bit;
	size_t offset;
} vm_numbers[] = {
	{ "owner_uid",      OVC_VM_UID,      offsetof(struct ovc_vm_stat, owner_uid) },
	{ "owner_pid",      OVC_VM_PID,      offsetof(struct ovc_vm_stat, owner_pid) },
	{ "size_pages",     OVC_VM_SIZE,     offsetof(struct ovc_vm_stat, size_pages) },
	{ "resident_pages", OVC_VM_RESIDENT, offsetof(struct ovc_vm_stat, resident_pages) },
	{ "balloon_target_pages", OVC_VM_BALLOON_TARGET, offsetof(struct ovc_vm_stat, balloon_target_pages) },
	{ "balloon_pages",  OVC_VM_BALLOON,  offsetof(struct ovc_vm_stat, balloon_pages) },
	{ "balloon_actual_pages", OVC_VM_BALLOON_ACTUAL, offsetof(struct ovc_vm_stat, balloon_actual_pages) },
	{ "guest_free_pages", OVC_VM_GUEST_FREE, offsetof(struct ovc_vm_stat, guest_free_pages) },
	{ "guest_total_pages", OVC_VM_GUEST_TOTAL, offsetof(struct ovc_vm_stat, guest_total_pages) },
	{ "shared_pages",   OVC_VM_SHARED,   offsetof(struct ovc_vm_stat, shared_pages) },
	{ "zero_pages",     OVC_VM_ZERO,     offsetof(struct ovc_vm_stat, zero_pages) },
	{ "cow_breaks",     OVC_VM_COW,      offsetof(struct ovc_vm_stat, cow_breaks) },
	{ "share_domain",   OVC_VM_SHARE_DOMAIN, offsetof(struct ovc_vm_stat, share_domain) },
};

const char *ovc_sysfs_root(void)
{
	const char *env = getenv("OVC_SYSFS");

	return env && *env ? env : OVC_SYSFS_ROOT;
}

int ovc_open_root(void)
{
	return open(ovc_sysfs_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Read @path (relative to @dir) into @buf, without the trailing newline. */
static int read_value(int dir, const char *path, char *buf, size_t bufsz)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd, e;

	fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < bufsz - 1) {
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	e = n < 0 ? errno : len == bufsz - 1 ? EOVERFLOW : 0;
	close(fd);
	if (e) {
		errno = e;
		return -1;
	}
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

static int parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int ovc_read_u64(int dir, const char *path, uint64_t *val)
{
	char buf[OVC_VALUE_MAX];

	if (read_value(dir, path, buf, sizeof(buf)))
		return -1;
	return parse_u64(buf, val);
}

int ovc_write_u64(int dir, const char *path, uint64_t val)
{
	char buf[24];
	int fd, len, e = 0;
	ssize_t n;

	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", val);
	fd = openat(dir, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, buf, len);	/* a sysfs store takes one write */
	if (n < 0)
		e = errno;
	else if (n != len)
		e = EIO;
	if (close(fd) && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

int ovc_pread_u64(int fd, uint64_t *val)
{
	char buf[64];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return parse_u64(buf, val);
}

int ovc_open_vm_dir(int root, uint64_t id)
{
	char path[64];

	snprintf(path, sizeof(path), "vms/%" PRIu64, id);
	return openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int ovc_parse_size(const char *s, uint64_t page_size, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	const char *u;
	uint64_t v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'p' && !end[1]) {
		mult = page_size;
	} else if (*end) {
		u = end[1] ? NULL : strchr(units, *end | 0x20);
		if (!u || !*u) {
			errno = EINVAL;
			return -1;
		}
		mult = 1ULL << (10 * (u - units + 1));
	}
	if (v && mult > UINT64_MAX / v) {
		errno = ERANGE;
		return -1;
	}
	*bytes = v * mult;
	return 0;
}

int ovc_parse_share_domain(const char *s, uint64_t *domain)
{
	if (!strcmp(s, "own")) {
		*domain = OVC_SHARE_DOMAIN_OWN;
		return 0;
	}
	if (parse_u64(s, domain))
		return -1;
	if (*domain >= OVC_SHARE_DOMAIN_OWN) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

void ovc_format_share_domain(uint64_t domain, char *buf, size_t len)
{
	if (domain == OVC_SHARE_DOMAIN_OWN)
		snprintf(buf, len, "own");
	else
		snprintf(buf, len, "%" PRIu64, domain);
}

int ovc_read_stat(int root, struct ovc_stat *st)
{
	memset(st, 0, sizeof(*st));
	if (ovc_read_u64(root, "pages_resident", &st->pages_resident) ||
	    ovc_read_u64(root, "nr_vms", &st->nr_vms))
		return -1;
	if (!ovc_read_u64(root, "balloon_pages", &st->balloon_pages))
		st->known |= OVC_STAT_BALLOON;
	if (!ovc_read_u64(root, "pages_shared", &st->pages_shared) &&
	    !ovc_read_u64(root, "pages_sharing", &st->pages_sharing) &&
	    !ovc_read_u64(root, "pages_zero", &st->pages_zero) &&
	    !ovc_read_u64(root, "cow_breaks", &st->cow_breaks))
		st->known |= OVC_STAT_SHARING;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ovc_list_vms(int root, uint64_t **ids, size_t *nr)
{
	uint64_t *v = NULL, *nv, id;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(root, "vms", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir))) {
		if (parse_u64(de->d_name, &id))
			continue;	/* ".", ".." or not a VM */
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = reallocarray(v, cap, sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		v[n++] = id;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*ids = v;
	*nr = n;
	return 0;
}

int ovc_read_vm_stat(int root, uint64_t id, struct ovc_vm_stat *vm)
{
	char buf[OVC_VALUE_MAX];
	size_t i;
	int dir, e;

	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	dir = ovc_open_vm_dir(root, id);
	if (dir < 0)
		return -1;

	if (!read_value(dir, "name", buf, sizeof(buf))) {
		vm->name = strdup(buf);
		if (!vm->name)
			goto fail;
		vm->known |= OVC_VM_NAME;
	} else if (errno != ENOENT) {
		goto fail;
	}
	for (i = 0; i < sizeof(vm_numbers) / sizeof(vm_numbers[0]); i++) {
		uint64_t *field = (uint64_t *)((char *)vm + vm_numbers[i].offset);

		if (!ovc_read_u64(dir, vm_numbers[i].file, field))
			vm->known |= vm_numbers[i].bit;
		else if (errno != ENOENT)
			goto fail;
	}
	close(dir);
	return 0;
fail:
	e = errno;
	close(dir);
	ovc_vm_stat_clear(vm);
	errno = e;
	return -1;
}

int ovc_get_vm_info(int fd, struct ovc_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, OVC_IOC_VM_INFO, info) < 0 ? -1 : 0;
}

void ovc_vm_stat_from_info(struct ovc_vm_stat *vm, const struct ovc_vm_info *info)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = info->id;
	vm->owner_uid = info->owner_uid;
	vm->owner_pid = info->owner_pid;
	vm->size_pages = info->size_pages;
	vm->resident_pages = info->resident_pages;
	vm->balloon_target_pages = info->balloon_target_pages;
	vm->balloon_actual_pages = info->balloon_actual_pages;
	vm->balloon_pages = info->balloon_pages;
	vm->shared_pages = info->shared_pages;
	vm->zero_pages = info->zero_pages;
	vm->cow_breaks = info->cow_breaks;
	vm->share_domain = info->share_domain;
	vm->known = OVC_VM_UID | OVC_VM_PID | OVC_VM_SIZE | OVC_VM_RESIDENT |
		    OVC_VM_BALLOON_TARGET | OVC_VM_BALLOON_ACTUAL | OVC_VM_BALLOON |
		    OVC_VM_SHARED | OVC_VM_ZERO | OVC_VM_COW | OVC_VM_SHARE_DOMAIN;
}

void ovc_vm_stat_clear(struct ovc_vm_stat *vm)
{
	free(vm->name);
	memset(vm, 0, sizeof(*vm));
}

/* The real operations: the uapi ioctls on the open ovcfs file. */
static int ioctl_info(struct ovc_file *f, struct ovc_vm_info *info)
{
	return ovc_get_vm_info(f->fd, info);
}

static int ioctl_set_target(struct ovc_file *f, const struct ovc_balloon_target *t)
{
	return ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, t) < 0 ? -1 : 0;
}

static int ioctl_report(struct ovc_file *f, const struct ovc_guest_report *rep)
{
	return ioctl(f->fd, OVC_IOC_GUEST_REPORT, rep) < 0 ? -1 : 0;
}

static int ioctl_set_share_domain(struct ovc_file *f, const struct ovc_share_domain *d)
{
	return ioctl(f->fd, OVC_IOC_SET_SHARE_DOMAIN, d) < 0 ? -1 : 0;
}

static const struct ovc_file_ops ioctl_ops = {
	.info		= ioctl_info,
	.set_target	= ioctl_set_target,
	.report		= ioctl_report,
	.set_share_domain = ioctl_set_share_domain,
};

static int check_ovcfs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return -1;
	if (sfs.f_type != OVCFS_MAGIC) {
		errno = EMEDIUMTYPE;
		return -1;
	}
	return 0;
}

/* NULL in ovcctl and ovcd; set by the test build, see libovc.h. */
int (*ovc_file_open_hook)(struct ovc_file *f, const char *path);

int ovc_file_open(struct ovc_file *f, const char *path, int flags)
{
	int rc, e;

	f->vm_dir = -1;
	f->ops = &ioctl_ops;
	f->fd = open(path, flags | O_CLOEXEC);
	if (f->fd < 0)
		return -1;
	rc = ovc_file_open_hook ? ovc_file_open_hook(f, path) : 1;
	if (rc > 0)
		rc = check_ovcfs(f->fd);
	if (rc) {
		e = errno;
		ovc_file_close(f);
		errno = e;
	}
	return rc;
}

int ovc_file_info(struct ovc_file *f, struct ovc_vm_info *info)
{
	return f->ops->info(f, info);
}

int ovc_file_set_target(struct ovc_file *f, uint64_t target_pages)
{
	struct ovc_balloon_target t = {
		.size = sizeof(t),
		.target_pages = target_pages,
	};

	return f->ops->set_target(f, &t);
}

int ovc_file_set_share_domain(struct ovc_file *f, uint64_t domain)
{
	struct ovc_share_domain d = {
		.size = sizeof(d),
		.domain = domain,
	};

	return f->ops->set_share_domain(f, &d);
}

int ovc_file_report(struct ovc_file *f, const struct ovc_guest_report *rep)
{
	return f->ops->report(f, rep);
}

void ovc_file_close(struct ovc_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->vm_dir >= 0)
		close(f->vm_dir);
	f->fd = f->vm_dir = -1;
}
