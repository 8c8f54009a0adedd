// SPDX-License-Identifier: GPL-2.0
/*
 * ovc - memory overcommit manager for KVM hosts.
 *
 * Module init and exit: sysfs first, then the filesystem.  The filesystem
 * type holds a module reference for every mounted ovcfs, so the module
 * cannot be unloaded while a VM's RAM exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/ovc.h>

#include "vm.h"

static int __init ovc_init(void)
{
	int err;

	err = ovc_sysfs_init();
	if (err)
		return err;
	err = ovcfs_init();
	if (err) {
		ovc_sysfs_exit();
		return err;
	}
	pr_info("loaded, API version %d\n", OVC_API_VERSION);
	return 0;
}

static void __exit ovc_exit(void)
{
	ovcfs_exit();
	ovc_sysfs_exit();
}

module_init(ovc_init);
module_exit(ovc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Memory overcommit manager for KVM hosts (ovcfs)");
MODULE_AUTHOR("The ovc developers");
MODULE_ALIAS_FS(OVCFS_NAME);
