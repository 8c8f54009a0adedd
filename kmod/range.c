// SPDX-License-Identifier: GPL-2.0
/*
 * Pure helpers: byte ranges to page ranges, and checks of userspace
 * arguments.  See range.h.
 */
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/ovc.h>

#include "range.h"

/**
 * ovc_punch_range() - split a hole punch into whole pages and partial edges
 * @offset:	first byte of the hole
 * @len:	length of the hole in bytes
 * @p:		filled in on success
 *
 * Whole pages in the hole are freed; the bytes of a partially covered page
 * at either end are zeroed in place, as shmem does.  A hole that starts and
 * ends inside one page has only a head part.
 *
 * Return: 0, or -EINVAL for a negative offset, a non-positive length or a
 * range that overflows loff_t or MAX_LFS_FILESIZE.
 */
int ovc_punch_range(loff_t offset, loff_t len, struct ovc_punch *p)
{
	loff_t end, first_full, end_full;

	if (offset < 0 || len <= 0)
		return -EINVAL;
	if (check_add_overflow(offset, len, &end) || end > MAX_LFS_FILESIZE)
		return -EINVAL;

	p->head_page = -1;
	p->head_off = 0;
	p->head_len = 0;
	p->tail_page = -1;
	p->tail_len = 0;

	/*
	 * In pages: round_up(offset, PAGE_SIZE) overflows loff_t for an
	 * unaligned offset in the last page below MAX_LFS_FILESIZE.
	 */
	first_full = (offset >> PAGE_SHIFT) + !!(offset & ~PAGE_MASK);
	end_full = end >> PAGE_SHIFT;

	if (first_full >= end_full) {
		/* No whole page: one or two partial pages. */
		p->first = p->end = offset >> PAGE_SHIFT;
		if ((offset >> PAGE_SHIFT) == ((end - 1) >> PAGE_SHIFT)) {
			if (end - offset == PAGE_SIZE)	/* exactly one page */
				p->end = p->first + 1;
			else {
				p->head_page = offset >> PAGE_SHIFT;
				p->head_off = offset & ~PAGE_MASK;
				p->head_len = end - offset;
			}
			return 0;
		}
		/* Spans a page boundary without covering a whole page. */
		p->first = p->end = first_full;
	} else {
		p->first = first_full;
		p->end = end_full;
	}
	if (offset & ~PAGE_MASK) {
		p->head_page = offset >> PAGE_SHIFT;
		p->head_off = offset & ~PAGE_MASK;
		p->head_len = PAGE_SIZE - p->head_off;
	}
	if (end & ~PAGE_MASK) {
		p->tail_page = end >> PAGE_SHIFT;
		p->tail_len = end & ~PAGE_MASK;
	}
	return 0;
}

/**
 * ovc_fallocate_mode_check() - which fallocate() modes ovcfs supports
 * @mode:	the mode argument of fallocate()
 *
 * Only FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (what QEMU's balloon and
 * free page reporting use) is supported.
 *
 * Return: 0 if supported, else -EOPNOTSUPP.
 */
int ovc_fallocate_mode_check(int mode)
{
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return 0;
	return -EOPNOTSUPP;
}

/**
 * ovc_size_to_pages() - number of pages that back a file of @size bytes
 * @size:	file size in bytes, not negative
 *
 * Return: @size rounded up to whole pages, in pages.
 */
pgoff_t ovc_size_to_pages(loff_t size)
{
	if (size <= 0)
		return 0;
	return (pgoff_t)((size - 1) >> PAGE_SHIFT) + 1;
}

/* Return: 0, or -EINVAL unless the size matches and @reserved is zero. */
static int ovc_uarg_check(u32 usize, size_t ksize, u32 flags,
			  const u64 *reserved, size_t n)
{
	size_t i;

	if (usize != ksize || flags)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (reserved[i])
			return -EINVAL;
	return 0;
}

/**
 * ovc_vm_info_check() - validate a struct ovc_vm_info from userspace
 * @info:	the copy of the caller's struct
 * @usize:	the size the caller claimed in @info->size
 *
 * Return: 0, or -EINVAL if the size is not the one this module knows or a
 * reserved field is not zero.
 */
int ovc_vm_info_check(const struct ovc_vm_info *info, u32 usize)
{
	return ovc_uarg_check(usize, sizeof(*info), info->reserved32,
			      info->reserved, ARRAY_SIZE(info->reserved));
}

/**
 * ovc_balloon_target_check() - validate a struct ovc_balloon_target
 * @t:		the copy of the caller's struct
 * @usize:	the size the caller claimed in @t->size
 *
 * The target itself is checked against the VM's size by the caller.
 *
 * Return: 0, or -EINVAL for a wrong size, flags or a non-zero reserved field.
 */
int ovc_balloon_target_check(const struct ovc_balloon_target *t, u32 usize)
{
	return ovc_uarg_check(usize, sizeof(*t), t->flags, t->reserved,
			      ARRAY_SIZE(t->reserved));
}

/**
 * ovc_guest_report_check() - validate a struct ovc_guest_report
 * @r:		the copy of the caller's struct
 * @usize:	the size the caller claimed in @r->size
 *
 * Return: 0, or -EINVAL for a wrong size, flags or a non-zero reserved field.
 */
int ovc_guest_report_check(const struct ovc_guest_report *r, u32 usize)
{
	return ovc_uarg_check(usize, sizeof(*r), r->flags, r->reserved,
			      ARRAY_SIZE(r->reserved));
}

/**
 * ovc_share_domain_check() - validate a struct ovc_share_domain
 * @d:		the copy of the caller's struct
 * @usize:	the size the caller claimed in @d->size
 *
 * Return: 0, or -EINVAL for a wrong size, flags or a non-zero reserved field.
 */
int ovc_share_domain_check(const struct ovc_share_domain *d, u32 usize)
{
	return ovc_uarg_check(usize, sizeof(*d), d->flags, d->reserved,
			      ARRAY_SIZE(d->reserved));
}
