/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libovc - read what the ovc module exposes: its sysfs tree and the
 * OVC_IOC_VM_INFO ioctl.  No output here; callers format the results.
 *
 * Every function returns 0 on success, or -1 with errno set, so a
 * caller can report failures with err(3).
 */
#ifndef OVC_LIBOVC_H
#define OVC_LIBOVC_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ovc.h>

/* Bits of struct ovc_vm::known: which fields were read. */
enum {
	OVC_VM_NAME	= 1 << 0,
	OVC_VM_UID	= 1 << 1,
	OVC_VM_PID	= 1 << 2,
	OVC_VM_SIZE	= 1 << 3,
	OVC_VM_RESIDENT	= 1 << 4,
};

/* One VM as the module describes it; a field is valid if its bit is set. */
struct ovc_vm {
	uint64_t id;
	char *name;			/* malloc'ed; freed by ovc_vm_clear() */
	uint64_t owner_uid;
	uint64_t owner_pid;
	uint64_t size_pages;
	uint64_t resident_pages;
	unsigned int known;
};

/* The module-wide numbers at the sysfs root. */
struct ovc_stat {
	uint64_t pages_resident;
	uint64_t nr_vms;
};

/* The sysfs root: $OVC_SYSFS if set and not empty, else OVC_SYSFS_ROOT. */
const char *ovc_sysfs_root(void);

/* Open the sysfs root as a directory fd (ENOENT: module not loaded). */
int ovc_open_root(void);

/* Read the global files.  Every one of them is required. */
int ovc_read_stat(int root, struct ovc_stat *st);

/* List the VM ids under vms/, sorted; *ids is malloc'ed. */
int ovc_list_vms(int root, uint64_t **ids, size_t *nr);

/*
 * Read vms/<id>/.  A missing file leaves its field unknown; ENOENT for
 * the directory itself means the VM went away since it was listed.
 */
int ovc_read_vm(int root, uint64_t id, struct ovc_vm *vm);

/* Issue OVC_IOC_VM_INFO on an open ovcfs file. */
int ovc_get_vm_info(int fd, struct ovc_vm_info *info);

/* Fill @vm from an ioctl answer (name left unknown). */
void ovc_vm_from_info(struct ovc_vm *vm, const struct ovc_vm_info *info);

/* Free what @vm holds and reset it. */
void ovc_vm_clear(struct ovc_vm *vm);

#endif /* OVC_LIBOVC_H */
