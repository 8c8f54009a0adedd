// SPDX-License-Identifier: GPL-2.0
/*
 * ovc - memory overcommit manager for KVM hosts.
 *
 * Module init and exit: the zero frame, sysfs, the scanner thread, the
 * rebalancer and sampler threads, the compressed cache and the shrinker,
 * then the filesystem.  The filesystem
 * type holds a module reference for every mounted ovcfs, so the module
 * cannot be unloaded while a VM's RAM exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/ovc.h>

#include "balance.h"
#include "ovcfs.h"
#include "reclaim.h"
#include "sample.h"
#include "scan.h"
#include "share.h"
#include "sysfs.h"

static int __init ovc_init(void)
{
	int err;

	err = ovc_share_init();
	if (err)
		return err;
	err = ovc_sysfs_init();
	if (err)
		goto out_share;
	err = ovc_scan_init();
	if (err)
		goto out_sysfs;
	err = ovc_balance_init();
	if (err)
		goto out_scan;
	err = ovc_sample_init();
	if (err)
		goto out_balance;
	err = ovc_reclaim_init();
	if (err)
		goto out_sample;
	err = ovcfs_init();
	if (err)
		goto out_reclaim;
	pr_info("loaded, API version %d\n", OVC_API_VERSION);
	return 0;

out_reclaim:
	ovc_reclaim_exit();
out_sample:
	ovc_sample_exit();
out_balance:
	ovc_balance_exit();
out_scan:
	ovc_scan_exit();
out_sysfs:
	ovc_sysfs_exit();
out_share:
	ovc_share_exit();
	return err;
}

static void __exit ovc_exit(void)
{
	ovcfs_exit();
	ovc_reclaim_exit();
	ovc_sample_exit();
	ovc_balance_exit();
	ovc_scan_exit();
	ovc_sysfs_exit();
	ovc_share_exit();
}

module_init(ovc_init);
module_exit(ovc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Memory overcommit manager for KVM hosts (ovcfs)");
MODULE_AUTHOR("The ovc developers");
MODULE_ALIAS_FS(OVCFS_NAME);
