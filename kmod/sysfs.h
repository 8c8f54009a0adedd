/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc sysfs (sysfs.c): /sys/kernel/mm/ovc and its vms/<id>/ directories.
 */
#ifndef _OVC_SYSFS_H
#define _OVC_SYSFS_H

struct ovc_vm;

int ovc_sysfs_init(void);
void ovc_sysfs_exit(void);
int ovc_sysfs_add_vm(struct ovc_vm *vm);

#endif /* _OVC_SYSFS_H */
