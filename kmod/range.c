// SPDX-License-Identifier: GPL-2.0
/*
 * Pure helpers: byte ranges to page ranges.  See range.h.
 */
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>

#include "range.h"

/**
 * ovc_range_punch() - split a hole punch into whole pages and partial edges
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
int ovc_range_punch(loff_t offset, loff_t len, struct ovc_punch *p)
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
 * ovc_range_pages() - number of pages that back a file of @size bytes
 * @size:	file size in bytes, not negative
 *
 * Return: @size rounded up to whole pages, in pages.
 */
pgoff_t ovc_range_pages(loff_t size)
{
	if (size <= 0)
		return 0;
	return (pgoff_t)((size - 1) >> PAGE_SHIFT) + 1;
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/range_kunit.h"
#endif
