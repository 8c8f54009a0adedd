// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi ioctls on an ovcfs regular file (uapi/linux/ovc.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/ovc.h>

#include "range.h"
#include "vm.h"

static long ovc_ioctl_vm_info(struct ovc_vm *vm,
			      struct ovc_vm_info __user *uinfo)
{
	struct ovc_vm_info info;
	u32 usize;
	int err;

	if (get_user(usize, &uinfo->size))
		return -EFAULT;
	if (usize != sizeof(info))
		return -EINVAL;
	if (copy_from_user(&info, uinfo, sizeof(info)))
		return -EFAULT;
	err = ovc_vm_info_check(&info, usize);
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

	if (get_user(t.size, &ut->size))
		return -EFAULT;
	if (t.size != sizeof(t))
		return -EINVAL;
	if (copy_from_user(&t, ut, sizeof(t)))
		return -EFAULT;
	err = ovc_balloon_target_check(&t, t.size);
	if (err)
		return err;
	return ovc_vm_set_balloon_target(vm, t.target_pages);
}

static long ovc_ioctl_guest_report(struct ovc_vm *vm,
				   struct ovc_guest_report __user *ur)
{
	struct ovc_guest_report r;
	int err;

	if (get_user(r.size, &ur->size))
		return -EFAULT;
	if (r.size != sizeof(r))
		return -EINVAL;
	if (copy_from_user(&r, ur, sizeof(r)))
		return -EFAULT;
	err = ovc_guest_report_check(&r, r.size);
	if (err)
		return err;
	return ovc_vm_guest_report(vm, &r);
}

/**
 * ovc_ioctl() - unlocked_ioctl of an ovcfs regular file
 * @file:	the open VM file
 * @cmd:	an OVC_IOC_* command
 * @arg:	its argument, a user pointer
 *
 * Setting a balloon target and reporting guest state are the host's
 * business (ovcd, the admin), not the VM owner's: they need CAP_SYS_ADMIN.
 *
 * Return: 0, -EFAULT, -EINVAL (bad size, flags or non-zero reserved field),
 * -ERANGE (a size beyond the VM's), -EPERM, or -ENOTTY for an unknown
 * command.
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
	default:
		return -ENOTTY;
	}
}
