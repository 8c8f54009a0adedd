// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi ioctls on an ovcfs regular file (uapi/linux/ovc.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/ovc.h>

#include "balloon.h"
#include "ioctl.h"
#include "scan.h"
#include "swap.h"
#include "uarg.h"
#include "vm.h"

static long ovc_ioctl_vm_info(struct ovc_vm *vm,
			      struct ovc_vm_info __user *uinfo)
{
	struct ovc_vm_info info;
	int err;

	err = ovc_uarg_copy(&info, uinfo, sizeof(info));
	if (!err)
		err = ovc_uarg_vm_info(&info);
	if (err)
		return err;
	ovc_vm_fill_info(vm, &info);
	if (copy_to_user(uinfo, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long ovc_ioctl_balloon_target(struct ovc_vm *vm,
				     struct ovc_balloon_target __user *ut)
{
	struct ovc_balloon_target t;
	int err;

	err = ovc_uarg_copy(&t, ut, sizeof(t));
	if (!err)
		err = ovc_uarg_balloon_target(&t);
	if (err)
		return err;
	return ovc_balloon_set_target(vm, t.target_pages);
}

static long ovc_ioctl_guest_report(struct ovc_vm *vm,
				   struct ovc_guest_report __user *ur)
{
	struct ovc_guest_report r;
	int err;

	err = ovc_uarg_copy(&r, ur, sizeof(r));
	if (!err)
		err = ovc_uarg_guest_report(&r);
	if (err)
		return err;
	return ovc_balloon_guest_report(vm, &r);
}

static long ovc_ioctl_share_domain(struct ovc_vm *vm,
				   struct ovc_share_domain __user *ud)
{
	struct ovc_share_domain d;
	int err;

	err = ovc_uarg_copy(&d, ud, sizeof(d));
	if (!err)
		err = ovc_uarg_share_domain(&d);
	if (err)
		return err;
	if (d.domain > U32_MAX)
		return -ERANGE;
	return ovc_scan_set_domain(vm, d.domain);
}

static long ovc_ioctl_swap_file(struct ovc_swap_file __user *uf)
{
	struct ovc_swap_file f;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = ovc_uarg_copy(&f, uf, sizeof(f));
	if (!err)
		err = ovc_uarg_swap_file(&f);
	if (!err)
		err = ovc_swap_set_file(f.fd, &f.slots);
	if (err)
		return err;
	if (copy_to_user(uf, &f, sizeof(f)))
		return -EFAULT;
	return 0;
}

/**
 * ovc_ioctl_dir() - unlocked_ioctl of an ovcfs directory
 * @file:	the open directory (e.g. a mount's root)
 * @cmd:	OVC_IOC_SET_SWAP_FILE, the one command not about a VM
 * @arg:	its argument, a user pointer
 *
 * Return: as ovc_ioctl_swap_file(), or -ENOTTY for any other command.
 */
long ovc_ioctl_dir(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != OVC_IOC_SET_SWAP_FILE)
		return -ENOTTY;
	return ovc_ioctl_swap_file((void __user *)arg);
}

/**
 * ovc_ioctl() - unlocked_ioctl of an ovcfs regular file
 * @file:	the open VM file
 * @cmd:	an OVC_IOC_* command
 * @arg:	its argument, a user pointer
 *
 * Setting a balloon target, reporting guest state, choosing a sharing
 * domain and attaching the swap store are the host's business (ovcd, the
 * admin), not the VM owner's: they need CAP_SYS_ADMIN.
 *
 * Return: 0, -EFAULT, -EINVAL (bad size, flags or non-zero reserved field),
 * -ERANGE (a size beyond the VM's), -EPERM, the swap store's errors
 * (ovc_swap_set_file()), or -ENOTTY for an unknown command.
 */
long ovc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ovc_vm *vm = file_inode(file)->i_private;

	switch (cmd) {
	case OVC_IOC_VM_INFO:
		return ovc_ioctl_vm_info(vm, (void __user *)arg);
	case OVC_IOC_SET_BALLOON_TARGET:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return ovc_ioctl_balloon_target(vm, (void __user *)arg);
	case OVC_IOC_GUEST_REPORT:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return ovc_ioctl_guest_report(vm, (void __user *)arg);
	case OVC_IOC_SET_SHARE_DOMAIN:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return ovc_ioctl_share_domain(vm, (void __user *)arg);
	case OVC_IOC_SET_SWAP_FILE:
		return ovc_ioctl_swap_file((void __user *)arg);
	default:
		return -ENOTTY;
	}
}
