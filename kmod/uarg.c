// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the arguments userspace passes: the ioctl structs of
 * uapi/linux/ovc.h (copied in by ovc_uarg_copy(), then their flags and
 * reserved fields checked) and the fallocate() mode.  Pure functions but
 * the copy-in; KUnit tests them (kmod/tests/uarg_kunit.c).
 */
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/ovc.h>

#include "uarg.h"

/**
 * ovc_uarg_copy() - copy an ioctl argument in
 * @karg:	the kernel copy
 * @uarg:	the caller's struct
 * @ksize:	its size as this module knows it
 *
 * Every ioctl argument starts with a __u32 size that must be the size
 * this module knows; the other fields are checked by the helpers below.
 *
 * Return: 0, -EFAULT, or -EINVAL for another size.
 */
int ovc_uarg_copy(void *karg, const void __user *uarg, size_t ksize)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize != ksize)
		return -EINVAL;
	if (copy_from_user(karg, uarg, ksize))
		return -EFAULT;
	return 0;
}

/**
 * ovc_uarg_fallocate_mode() - which fallocate() modes ovcfs supports
 * @mode:	the mode argument of fallocate()
 *
 * Only FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (what QEMU's balloon and
 * free page reporting use) is supported.
 *
 * Return: 0 if supported, else -EOPNOTSUPP.
 */
int ovc_uarg_fallocate_mode(int mode)
{
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return 0;
	return -EOPNOTSUPP;
}

/*
 * The size was checked on copy-in (ovc_uarg_copy()), so only the flags and
 * the reserved fields are left.
 * Return: 0, or -EINVAL unless @flags and @reserved are zero.
 */
static int ovc_uarg_fields(u32 flags, const u64 *reserved, size_t n)
{
	size_t i;

	if (flags)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (reserved[i])
			return -EINVAL;
	return 0;
}

/**
 * ovc_uarg_vm_info() - validate a struct ovc_vm_info from userspace
 * @info:	the copy of the caller's struct, from ovc_uarg_copy()
 *
 * Return: 0, or -EINVAL if reserved32 or a reserved field is not zero.
 */
int ovc_uarg_vm_info(const struct ovc_vm_info *info)
{
	return ovc_uarg_fields(info->reserved32, info->reserved,
			       ARRAY_SIZE(info->reserved));
}

/**
 * ovc_uarg_balloon_target() - validate a struct ovc_balloon_target
 * @t:		the copy of the caller's struct, from ovc_uarg_copy()
 *
 * The target itself is checked against the VM's size by the caller.
 *
 * Return: 0, or -EINVAL for non-zero flags or a non-zero reserved field.
 */
int ovc_uarg_balloon_target(const struct ovc_balloon_target *t)
{
	return ovc_uarg_fields(t->flags, t->reserved, ARRAY_SIZE(t->reserved));
}

/**
 * ovc_uarg_guest_report() - validate a struct ovc_guest_report
 * @r:		the copy of the caller's struct, from ovc_uarg_copy()
 *
 * Return: 0, or -EINVAL for non-zero flags or a non-zero reserved field.
 */
int ovc_uarg_guest_report(const struct ovc_guest_report *r)
{
	return ovc_uarg_fields(r->flags, r->reserved, ARRAY_SIZE(r->reserved));
}

/**
 * ovc_uarg_share_domain() - validate a struct ovc_share_domain
 * @d:		the copy of the caller's struct, from ovc_uarg_copy()
 *
 * Return: 0, or -EINVAL for non-zero flags or a non-zero reserved field.
 */
int ovc_uarg_share_domain(const struct ovc_share_domain *d)
{
	return ovc_uarg_fields(d->flags, d->reserved, ARRAY_SIZE(d->reserved));
}

/**
 * ovc_uarg_swap_file() - validate a struct ovc_swap_file
 * @f:		the copy of the caller's struct, from ovc_uarg_copy()
 *
 * The file itself is checked by the swap store (swap.c).
 *
 * Return: 0, or -EINVAL for non-zero flags, a non-zero reserved field or
 * a negative fd other than OVC_SWAP_FILE_NONE.
 */
int ovc_uarg_swap_file(const struct ovc_swap_file *f)
{
	if (f->reserved32 || (f->fd < 0 && f->fd != OVC_SWAP_FILE_NONE))
		return -EINVAL;
	return ovc_uarg_fields(f->flags, f->reserved, ARRAY_SIZE(f->reserved));
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/uarg_kunit.h"
#endif
