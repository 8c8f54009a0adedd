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
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

static const struct ovc_file_ops fake_ops = {
	.info		= fake_info,
	.set_target	= fake_set_target,
	.report		= fake_report,
	.set_share_domain = fake_set_share_domain,
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

/* ovc_file_open_hook: with OVC_FAKE_IOCTL=1, the VM of the fake tree. */
static int fake_open(struct ovc_file *f, const char *path)
{
	const char *env = getenv("OVC_FAKE_IOCTL");

	if (!env || strcmp(env, "1"))
		return 1;
	f->ops = &fake_ops;
	f->vm_dir = fake_find_vm(path, &f->vm_id);
	return f->vm_dir < 0 ? -1 : 0;
}

__attribute__((constructor)) static void fake_init(void)
{
	ovc_file_open_hook = fake_open;
}
