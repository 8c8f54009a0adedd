/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure helpers: byte ranges to page ranges (hole punches, file sizes).
 * No locks, no allocation: KUnit tests them exhaustively
 * (kmod/tests/range_kunit.c).
 */
#ifndef _OVC_RANGE_H
#define _OVC_RANGE_H

#include <linux/types.h>

/**
 * struct ovc_punch - what a hole punch does to a file
 * @first:	first page freed whole
 * @end:	one past the last page freed whole (@first == @end: none)
 * @head_page:	page holding the unaligned start, or -1 if none
 * @head_off:	offset in @head_page where zeroing starts
 * @head_len:	bytes to zero in @head_page
 * @tail_page:	page holding the unaligned end, or -1 if none
 * @tail_len:	bytes to zero from the start of @tail_page
 */
struct ovc_punch {
	pgoff_t first;
	pgoff_t end;
	long long head_page;
	unsigned int head_off;
	unsigned int head_len;
	long long tail_page;
	unsigned int tail_len;
};

int ovc_range_punch(loff_t offset, loff_t len, struct ovc_punch *p);
pgoff_t ovc_range_pages(loff_t size);

#endif /* _OVC_RANGE_H */
