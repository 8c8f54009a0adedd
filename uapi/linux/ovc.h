/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ovc - memory overcommit manager for KVM hosts: the userspace ABI.
 *
 * This is the only header shared by the kernel module and the userspace
 * tools.  Every structure has an explicit size; reserved fields must be
 * zero on input (the module answers -EINVAL otherwise) and are zeroed on
 * output.  Unknown ioctls are answered with -ENOTTY.
 *
 * The ioctls are issued on an open ovcfs regular file (one VM's RAM);
 * OVC_IOC_SET_SWAP_FILE, which concerns the whole module, also on an open
 * ovcfs directory (a mount's root).
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
 * @balloon_target_pages: out: balloon size the host asks for, in pages
 * @balloon_actual_pages: out: balloon size last reported by ovcd
 * @balloon_pages:	out: pages released by hole punching (balloon
 *			inflation, free page reporting) and not touched since
 * @shared_pages:	out: pages backed by a shared frame (not the zero one)
 * @zero_pages:		out: pages backed by the zero frame
 * @cow_breaks:		out: copy-on-write breaks of this VM so far
 * @share_domain:	out: the VM's sharing domain (default:
 *			OVC_SHARE_DOMAIN_OWN, a domain of its own)
 * @reserved32:		must be zero on input; zero on output
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
	__u64 balloon_target_pages;
	__u64 balloon_actual_pages;
	__u64 balloon_pages;
	__u64 shared_pages;
	__u64 zero_pages;
	__u64 cow_breaks;
	__u32 share_domain;
	__u32 reserved32;
	__u64 reserved[1];
};

/**
 * struct ovc_balloon_target - set a VM's balloon target
 * @size:		sizeof(struct ovc_balloon_target)
 * @flags:		must be zero
 * @target_pages:	balloon size in pages: 0 deflates fully; at most the
 *			VM's size_pages (else -ERANGE)
 * @reserved:		must be zero
 *
 * Also writable as vms/<id>/balloon_target_pages.  A change wakes pollers
 * of that sysfs file (POLLPRI), which is how ovcd notices it.
 */
struct ovc_balloon_target {
	__u32 size;
	__u32 flags;
	__u64 target_pages;
	__u64 reserved[4];
};

/* Field not known: leave it as it was. */
#define OVC_UNKNOWN		((__u64)-1)

/**
 * struct ovc_guest_report - what ovcd learnt from QEMU about a VM
 * @size:		sizeof(struct ovc_guest_report)
 * @flags:		must be zero
 * @balloon_actual_pages: balloon size from query-balloon, in pages
 * @guest_free_pages:	the guest's free memory (virtio-balloon stats)
 * @guest_total_pages:	the guest's total memory (virtio-balloon stats)
 * @reserved:		must be zero
 *
 * Any field may be OVC_UNKNOWN.  Known values are shown as
 * vms/<id>/balloon_actual_pages, guest_free_pages, guest_total_pages.
 */
struct ovc_guest_report {
	__u32 size;
	__u32 flags;
	__u64 balloon_actual_pages;
	__u64 guest_free_pages;
	__u64 guest_total_pages;
	__u64 reserved[4];
};

/**
 * struct ovc_share_domain - set a VM's page sharing domain
 * @size:	sizeof(struct ovc_share_domain)
 * @flags:	must be zero
 * @domain:	pages are only ever shared between VMs of one domain (the
 *		zero page excepted); at most U32_MAX (else -ERANGE).
 *		OVC_SHARE_DOMAIN_OWN puts the VM back in a domain of its
 *		own, where it starts: its pages merge only with each other.
 *		Changing it unmerges the VM's pages.
 * @reserved:	must be zero
 */
/* A domain of the VM's own, shared with no other VM: the default. */
#define OVC_SHARE_DOMAIN_OWN	0xffffffffU

struct ovc_share_domain {
	__u32 size;
	__u32 flags;
	__u64 domain;
	__u64 reserved[2];
};

/**
 * struct ovc_swap_file - give the module its swap store (ovcd does)
 * @size:	sizeof(struct ovc_swap_file)
 * @fd:		in: an open regular file or block device, opened for reading
 *		and writing (O_DIRECT advised: no page cache is filled with
 *		what reclaim takes out); its size in whole pages is the
 *		store's.  The module keeps its own reference: the caller may
 *		close it.  OVC_SWAP_FILE_NONE detaches the store, which must
 *		hold no page then (else -EBUSY).
 * @flags:	must be zero
 * @slots:	out: pages the store can hold (0 after a detach)
 * @reserved:	must be zero
 *
 * One store for the whole module; setting one while another is attached
 * is -EBUSY (detach it first).  Pages go there when the compressed cache
 * is full or they do not compress to half a page; a full or failing
 * store leaves the page resident (store_errors).  Needs CAP_SYS_ADMIN.
 */
#define OVC_SWAP_FILE_NONE	(-1)

struct ovc_swap_file {
	__u32 size;
	__s32 fd;
	__u32 flags;
	__u32 reserved32;
	__u64 slots;
	__u64 reserved[2];
};

#define OVC_IOC_MAGIC		0xB8

#define OVC_IOC_VM_INFO		_IOWR(OVC_IOC_MAGIC, 0x01, struct ovc_vm_info)
#define OVC_IOC_SET_BALLOON_TARGET \
	_IOW(OVC_IOC_MAGIC, 0x02, struct ovc_balloon_target)
#define OVC_IOC_GUEST_REPORT	_IOW(OVC_IOC_MAGIC, 0x03, struct ovc_guest_report)
#define OVC_IOC_SET_SHARE_DOMAIN \
	_IOW(OVC_IOC_MAGIC, 0x04, struct ovc_share_domain)
#define OVC_IOC_SET_SWAP_FILE	_IOWR(OVC_IOC_MAGIC, 0x05, struct ovc_swap_file)

#endif /* _UAPI_LINUX_OVC_H */
