/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc writeback (writeback.c): the oldest compressed pages move on to the
 * swap store when the compressed cache is full.
 *
 * DOC: Writeback
 *
 * As zswap's shrink worker: when a store finds the compressed cache at
 * compress_max_percent and a swap store is attached, reclaim kicks a work
 * item (ovc_writeback_kick()).  It takes the oldest object of the cache
 * (store.h keeps them by age), decompresses it into a page of its own,
 * writes that to a new slot of the swap store and, if the VM's slot still
 * records the same object (same handle, same age: checked under vm->lock
 * before the copy and again after the write), points the slot at the swap
 * slot and frees the object; otherwise it gives the swap slot back.  It
 * goes on until the pool is at OVC_WRITEBACK_LOW_PERCENT of its bound,
 * the cache is empty, or the swap store is full or fails (store_errors,
 * one rate-limited line; the page stays compressed).  Nothing is ever
 * dropped.
 *
 * The work runs in process context on a WQ_MEM_RECLAIM workqueue, so it
 * may write the swap file (which the shrinker may not: reclaim.h): under
 * host memory pressure the shrinker compresses and the writeback makes
 * room in the cache for more.
 *
 * Locking: ovc_writeback_mutex (writeback.c) is held across the move of
 * one page and keeps its VM alive (ovc_vm_ops.destroy takes it).  Below
 * it: vm->lock (the slot checks and the copy), then, without vm->lock,
 * the swap file's locks and ovc_swap_lock.
 */
#ifndef _OVC_WRITEBACK_H
#define _OVC_WRITEBACK_H

/* The writeback empties the compressed cache down to this share of its bound. */
#define OVC_WRITEBACK_LOW_PERCENT	90

void ovc_writeback_kick(void);

int ovc_writeback_init(void);
void ovc_writeback_exit(void);

#endif /* _OVC_WRITEBACK_H */
