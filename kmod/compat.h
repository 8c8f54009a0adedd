/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API drift, in one place.  Debian 12's 6.1 is the reference;
 * newer kernels changed:
 *   6.3: inode operations take struct mnt_idmap * instead of
 *        struct user_namespace * (inode_init_owner, setattr_*, getattr,
 *        simple_rename, ...).
 *   6.3: vma->vm_flags is read-only: vm_flags_clear().
 *   6.6: i_ctime is private: inode_set_ctime_current().
 *   6.7: i_mtime/i_atime are private: inode_set_{m,a}time_to_ts().
 *   6.10: vma_alloc_folio() lost its hugepage argument.
 */
#ifndef _OVC_COMPAT_H
#define _OVC_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define OVC_IDMAP_ARG	struct mnt_idmap *idmap
#define OVC_IDMAP	(&nop_mnt_idmap)
#else
#define OVC_IDMAP_ARG	struct user_namespace *mnt_userns
#define OVC_IDMAP	(&init_user_ns)
#endif

static inline void ovc_vma_clear_flags(struct vm_area_struct *vma,
				       unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* An order-0 page placed by @vma's NUMA policy at @addr. */
static inline struct page *ovc_vma_alloc_page(gfp_t gfp,
					      struct vm_area_struct *vma,
					      unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	struct folio *folio = vma_alloc_folio(gfp, 0, vma, addr);
#else
	struct folio *folio = vma_alloc_folio(gfp, 0, vma, addr, false);
#endif

	return folio ? &folio->page : NULL;
}

static inline void ovc_vma_set_flags(struct vm_area_struct *vma,
				     unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* mtime and ctime to now. */
static inline void ovc_inode_touch(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	inode->i_mtime = inode_set_ctime_current(inode);
#else
	inode->i_mtime = current_time(inode);
	inode->i_ctime = inode->i_mtime;
#endif
}

/* All three times to now, for a new inode. */
static inline void ovc_inode_init_times(struct inode *inode)
{
	ovc_inode_touch(inode);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	inode_set_atime_to_ts(inode, inode_get_mtime(inode));
#else
	inode->i_atime = inode->i_mtime;
#endif
}

#endif /* _OVC_COMPAT_H */
