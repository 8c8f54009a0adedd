/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc merge (merge.c): the page-sharing transitions the scanner drives.
 */
#ifndef _OVC_MERGE_H
#define _OVC_MERGE_H

#include <linux/types.h>

struct ovc_frame;
struct ovc_rmap;
struct ovc_vm;
struct page;

int ovc_merge_frame(struct ovc_vm *vm, pgoff_t index, struct page *page,
		    struct ovc_frame *frame);
int ovc_merge_pair(struct ovc_vm *vm, pgoff_t index, struct page *page,
		   struct ovc_rmap *hint, u32 hash);
int ovc_merge_unshare_all(struct ovc_vm *vm, bool keep_zero);

#endif /* _OVC_MERGE_H */
