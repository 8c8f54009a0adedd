/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc swap store (swap.c): where a reclaimed page goes when the compressed
 * cache (store.h) cannot keep it.
 *
 * DOC: Swap store
 *
 * One file for the whole module, a regular file or a block device on the
 * host that the administrator names: ovcd opens it and hands its file
 * descriptor over (OVC_IOC_SET_SWAP_FILE, uapi/linux/ovc.h), so the module
 * never resolves a path with its own credentials and the file's
 * permissions are checked when ovcd opens it.  Slot n of the store is the
 * page at offset n * PAGE_SIZE; a bitmap says which slots are taken.  A
 * page goes there (slot state "swapped", slot.h) when the compressed
 * cache is full or the page does not compress to half a page, and the
 * cache's oldest pages move there when it is full (writeback.h).  Pages are
 * written and read with the file's own ->write_iter() and ->read_iter()
 * through an asynchronous kiocb (as drivers/block/loop.c does), direct I/O
 * when the file was opened with O_DIRECT; a block device's by bio, as the
 * kernel's swap does (no page cache, no filesystem lock), so that the
 * shrinker may write it too.  The caller waits for the I/O: a write moves
 * one page, a read a fault's page and the neighbours of its file that
 * sit in the next slots (readahead, slot.c).  A full store (-ENOSPC) or a
 * failed write (the file's error) leaves the page resident: nothing is
 * ever dropped.
 *
 * The store cannot be detached while a slot is taken, so a slot number
 * keeps the file alive: only allocation and detach need ovc_swap_lock.
 *
 * Locking: ovc_swap_lock (swap.c, a spinlock) protects the store pointer,
 * its bitmap and its counts; it is a leaf.  A write runs with the page
 * locked, a read under vm->lock (slot.c); the file's own locks nest
 * inside those.
 */
#ifndef _OVC_SWAP_H
#define _OVC_SWAP_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct ovc_swap_file;

/**
 * struct ovc_swap_stats - the swap store's global counters
 * @pages:	slots taken (pages in the store)
 * @writes:	pages reclaim wrote to the store so far (swap-outs; the
 *		writeback's moves from the compressed cache are counted
 *		in ovc_store_stats.written_back)
 * @reads:	pages read back so far (swap-ins from the store), those
 *		read ahead included
 * @readahead:	of @reads, the pages read ahead of a fault (slot.c)
 */
struct ovc_swap_stats {
	atomic_long_t pages;
	atomic_long_t writes;
	atomic_long_t reads;
	atomic_long_t readahead;
};

/* The most pages one I/O moves: a fault's page and its readahead. */
#define OVC_SWAP_IO_MAX		16
/* swap_readahead's default: 8 pages an I/O, as the kernel's page-cluster. */
#define OVC_SWAP_RA_DEFAULT	7

extern struct ovc_swap_stats ovc_swap_stats;
/*
 * swap_readahead: the most pages a swap-in reads after the faulting one
 * (slot.c), at most OVC_SWAP_IO_MAX - 1; 0: none.
 */
extern unsigned int ovc_swap_readahead;

bool ovc_swap_attached(void);
unsigned long ovc_swap_slots(void);
ssize_t ovc_swap_path(char *buf, size_t len);

bool ovc_swap_in_reclaim(void);
int ovc_swap_alloc(unsigned long *slot, bool reclaim);
void ovc_swap_free(unsigned long slot);
int ovc_swap_write(struct page *page, unsigned long slot);
int ovc_swap_read(unsigned long slot, struct page **pages, unsigned int n);

int ovc_swap_set_file(int fd, u64 *slots);

void ovc_swap_exit(void);

#endif /* _OVC_SWAP_H */
