/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc ioctls (ioctl.c): the uapi of uapi/linux/ovc.h on a VM file and on
 * an ovcfs directory.
 */
#ifndef _OVC_IOCTL_H
#define _OVC_IOCTL_H

struct file;

long ovc_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long ovc_ioctl_dir(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _OVC_IOCTL_H */
