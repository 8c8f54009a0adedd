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
#include <unistd.h>

#include "libovc.h"

#define OVC_VALUE_MAX	4096	/* a sysfs show() writes at most a page */

/* The numeric files of vms/<id>/ and where each one lands. */
static const struct {
	const char *file;
	unsigned int bit;
	size_t offset;
} vm_numbers[] = {
	{ "owner_uid",      OVC_VM_UID,      offsetof(struct ovc_vm, owner_uid) },
	{ "owner_pid",      OVC_VM_PID,      offsetof(struct ovc_vm, owner_pid) },
	{ "size_pages",     OVC_VM_SIZE,     offsetof(struct ovc_vm, size_pages) },
	{ "resident_pages", OVC_VM_RESIDENT, offsetof(struct ovc_vm, resident_pages) },
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

static int read_u64(int dir, const char *path, uint64_t *val)
{
	char buf[OVC_VALUE_MAX];

	if (read_value(dir, path, buf, sizeof(buf)))
		return -1;
	return parse_u64(buf, val);
}

int ovc_read_stat(int root, struct ovc_stat *st)
{
	if (read_u64(root, "pages_resident", &st->pages_resident))
		return -1;
	return read_u64(root, "nr_vms", &st->nr_vms);
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

int ovc_read_vm(int root, uint64_t id, struct ovc_vm *vm)
{
	char path[64], buf[OVC_VALUE_MAX];
	size_t i;
	int dir, e;

	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	snprintf(path, sizeof(path), "vms/%" PRIu64, id);
	dir = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

		if (!read_u64(dir, vm_numbers[i].file, field))
			vm->known |= vm_numbers[i].bit;
		else if (errno != ENOENT)
			goto fail;
	}
	close(dir);
	return 0;
fail:
	e = errno;
	close(dir);
	ovc_vm_clear(vm);
	errno = e;
	return -1;
}

int ovc_get_vm_info(int fd, struct ovc_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, OVC_IOC_VM_INFO, info) < 0 ? -1 : 0;
}

void ovc_vm_from_info(struct ovc_vm *vm, const struct ovc_vm_info *info)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = info->id;
	vm->owner_uid = info->owner_uid;
	vm->owner_pid = info->owner_pid;
	vm->size_pages = info->size_pages;
	vm->resident_pages = info->resident_pages;
	vm->known = OVC_VM_UID | OVC_VM_PID | OVC_VM_SIZE | OVC_VM_RESIDENT;
}

void ovc_vm_clear(struct ovc_vm *vm)
{
	free(vm->name);
	memset(vm, 0, sizeof(*vm));
}
