// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi ioctls on an ovcfs regular file (uapi/linux/ovc.h).
 */
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

/**
 * ovc_ioctl() - unlocked_ioctl of an ovcfs regular file
 * @file:	the open VM file
 * @cmd:	an OVC_IOC_* command
 * @arg:	its argument, a user pointer
 *
 * Return: 0, -EFAULT, -EINVAL (bad size or non-zero reserved field), or
 * -ENOTTY for an unknown command.
 */
long ovc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ovc_vm *vm = file_inode(file)->i_private;

	switch (cmd) {
	case OVC_IOC_VM_INFO:
		return ovc_ioctl_vm_info(vm, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}
