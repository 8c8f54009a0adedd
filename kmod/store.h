/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc compressed cache (store.c): where a reclaimed guest page goes.
 *
 * DOC: Compressed cache
 *
 * As ESX's memory compression and Linux's zswap: a page taken from a VM
 * without the guest's help (reclaim.c) is compressed with LZ4 (the
 * kernel's crypto API, "lz4") and kept in a zsmalloc pool when the result
 * is at most half a page; the slot then records the zsmalloc handle (slot
 * state "out", slot.h).  A page that does not compress that well is not
 * stored (-E2BIG, counted in compress_rejects): it stays resident.  The
 * pool may hold at most compress_max_percent of the host's RAM; past it a
 * store fails with -ENOSPC.  Either way the page goes on to the swap
 * store (swap.h) if one is attached; if none can keep it, it stays
 * resident (counted in store_errors, one rate-limited log line,
 * reclaim.c).  Nothing is ever dropped.
 *
 * An object is a header (its age, the VM and slot that recorded it when
 * stored, the stream's length) followed by the LZ4 stream.  The objects
 * are kept by age, so that when the cache is full and a swap store is
 * attached the oldest ones move on to it (writeback.h).
 *
 * Locking: ovc_store_mutex (store.c) protects the one compressor, its
 * buffer and the next age; it is a leaf but for zsmalloc's own locks and
 * the xa_lock of the age index (a spinlock, also taken alone), and no
 * allocation under it may enter direct reclaim, so the shrinker may take
 * it.
 */
#ifndef _OVC_STORE_H
#define _OVC_STORE_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/types.h>

/**
 * struct ovc_store_stats - the compressed cache's global counters
 * @pages:	pages held compressed
 * @bytes:	their compressed bytes (without zsmalloc's overhead)
 * @stores:	pages stored so far (swap-outs)
 * @loads:	pages read back so far (swap-ins)
 * @rejects:	pages that did not compress to half a page
 * @errors:	pages reclaim could not store anywhere: the cache and the
 *		swap store were full, an allocation or a swap write failed
 *		(reclaim.c counts them), and pages the writeback could not
 *		write to the swap store (they stay compressed)
 * @written_back: pages moved from the cache to the swap store so far
 *		(writeback.c)
 */
struct ovc_store_stats {
	atomic_long_t pages;
	atomic_long_t bytes;
	atomic_long_t stores;
	atomic_long_t loads;
	atomic_long_t rejects;
	atomic_long_t errors;
	atomic_long_t written_back;
};

extern struct ovc_store_stats ovc_store_stats;

/* At most this percentage of the host's RAM is compressed cache. */
extern unsigned int ovc_store_max_percent;

unsigned long ovc_store_max_pages(void);
bool ovc_store_full(void);
int ovc_store_page(struct page *page, u64 vm, pgoff_t index,
		   unsigned long *handle);
int ovc_store_copy(unsigned long handle, struct page *page);
int ovc_store_load(unsigned long handle, struct page *page);
unsigned int ovc_store_size(unsigned long handle);
u64 ovc_store_seq(unsigned long handle);
int ovc_store_oldest(u64 *seq, u64 *vm, pgoff_t *index,
		     unsigned long *handle);
unsigned int ovc_store_free(unsigned long handle);
unsigned long ovc_store_pool_pages(void);
void ovc_store_compact(void);

int ovc_store_init(void);
void ovc_store_exit(void);

#endif /* _OVC_STORE_H */
