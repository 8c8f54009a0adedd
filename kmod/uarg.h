/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of userspace arguments (uarg.c): the ioctl structs of
 * uapi/linux/ovc.h and the fallocate() mode.
 */
#ifndef _OVC_UARG_H
#define _OVC_UARG_H

#include <linux/types.h>

struct ovc_vm_info;
struct ovc_balloon_target;
struct ovc_guest_report;
struct ovc_share_domain;

int ovc_uarg_copy(void *karg, const void __user *uarg, size_t ksize);
int ovc_uarg_fallocate_mode(int mode);
int ovc_uarg_vm_info(const struct ovc_vm_info *info);
int ovc_uarg_balloon_target(const struct ovc_balloon_target *t);
int ovc_uarg_guest_report(const struct ovc_guest_report *r);
int ovc_uarg_share_domain(const struct ovc_share_domain *d);
int ovc_uarg_swap_file(const struct ovc_swap_file *f);

#endif /* _OVC_UARG_H */
