/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ovc - memory overcommit manager for KVM hosts: the userspace ABI.
 *
 * This is the only header shared by the kernel module and the userspace
 * tools.  Every structure has an explicit size; reserved fields must be
 * zero on input (the module answers -EINVAL otherwise) and are zeroed on
 * output.  Unknown ioctls are answered with -ENOTTY.
 *
 * The ioctls are issued on an open ovcfs regular file (one VM's RAM).
 */
#ifndef _UAPI_LINUX_OVC_H
#define _UAPI_LINUX_OVC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on every incompatible change; additions use reserved space. */
#define OVC_API_VERSION		1

/* The filesystem type name and its statfs magic ("OVCF"). */
#define OVCFS_NAME		"ovcfs"
#define OVCFS_MAGIC		0x4f564346

/* sysfs root of the module's knobs and statistics. */
#define OVC_SYSFS_ROOT		"/sys/kernel/mm/ovc"

/**
 * struct ovc_vm_info - what the module knows of one VM (one ovcfs file)
 * @size:		in: sizeof(struct ovc_vm_info) as the caller knows it
 * @api_version:	out: OVC_API_VERSION of the module
 * @id:			out: the VM's id, its directory name under vms/
 * @size_pages:		out: file size in pages (rounded up)
 * @resident_pages:	out: pages currently backed by memory
 * @owner_uid:		out: uid owning the file
 * @owner_pid:		out: tgid of the last process that mapped it, or 0
 * @reserved:		must be zero on input; zero on output
 */
struct ovc_vm_info {
	__u32 size;
	__u32 api_version;
	__u64 id;
	__u64 size_pages;
	__u64 resident_pages;
	__u32 owner_uid;
	__u32 owner_pid;
	__u64 reserved[8];
};

#define OVC_IOC_MAGIC		0xB8

#define OVC_IOC_VM_INFO		_IOWR(OVC_IOC_MAGIC, 0x01, struct ovc_vm_info)

#endif /* _UAPI_LINUX_OVC_H */
