/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc slot encoding: one xarray entry per guest page of a VM.
 *
 * The xarray stores tagged pointers (never value entries, see
 * Documentation/core-api/xarray.rst), so the two low bits say what a slot is:
 *
 *   NULL                    empty: never touched, or punched; reads as zero
 *   tag 0: struct page *    a private page owned by this VM
 *   tag 1: struct ovc_frame * a shared frame (content sharing, share.h)
 *   tag 3 (the value 3)     ballooned: released by a hole punch (balloon
 *                           inflation, free page reporting); reads as zero
 *   tag 3, a handle         out: reclaimed without the guest, its bytes
 *                           compressed in the store under this zsmalloc
 *                           handle (store.h; handles are 8-byte aligned,
 *                           so bit 2 is clear)
 *   tag 3, bit 2, slot << 3 swapped: reclaimed without the guest, its
 *                           bytes in this slot of the swap store (swap.h)
 *
 * Tag 2 is the xarray's internal-entry tag and is never used.  Per-slot
 * flags that change often (e.g. "sampled out") live in xarray marks, not in
 * the entry.
 */
#ifndef _OVC_SLOT_H
#define _OVC_SLOT_H

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/xarray.h>
#include <linux/mm_types.h>

struct ovc_frame;

enum ovc_slot_kind {
	OVC_SLOT_EMPTY,
	OVC_SLOT_PRIVATE,
	OVC_SLOT_SHARED,
	OVC_SLOT_BALLOONED,
	OVC_SLOT_OUT,
	OVC_SLOT_SWAPPED,
};

/*
 * The xarray mark of a slot whose private page idle sampling has unmapped
 * this period (sample.c); a fault on it clears the mark and counts the page
 * touched.  vm->slots is not an allocating xarray (XA_FLAGS_ACCOUNT only),
 * so XA_MARK_0 would be free too; XA_MARK_1 leaves it to a future
 * XA_FLAGS_ALLOC.  Only private slots carry it: xa_store() keeps an entry's
 * marks, so every replacement of a slot (ovc_slot_replace(): merge, punch,
 * copy-on-write) clears it, and xa_erase() (truncate, teardown) clears
 * every mark anyway.
 */
#define OVC_SLOT_SAMPLED	XA_MARK_1

#define OVC_SLOT_TAG_SHARED	1UL
#define OVC_SLOT_TAG_SPECIAL	3UL
#define OVC_SLOT_SWAP_BIT	4UL
#define OVC_SLOT_SWAP_SHIFT	3

static inline enum ovc_slot_kind ovc_slot_kind(const void *entry)
{
	if (!entry)
		return OVC_SLOT_EMPTY;
	switch (xa_pointer_tag((void *)entry)) {
	case 0:
		return OVC_SLOT_PRIVATE;
	case OVC_SLOT_TAG_SHARED:
		return OVC_SLOT_SHARED;
	default:
		if (!xa_untag_pointer((void *)entry))
			return OVC_SLOT_BALLOONED;
		return (unsigned long)entry & OVC_SLOT_SWAP_BIT ?
			OVC_SLOT_SWAPPED : OVC_SLOT_OUT;
	}
}

static inline void *ovc_slot_mk_private(struct page *page)
{
	return page;
}

static inline void *ovc_slot_mk_shared(struct ovc_frame *frame)
{
	return xa_tag_pointer(frame, OVC_SLOT_TAG_SHARED);
}

static inline void *ovc_slot_mk_ballooned(void)
{
	return (void *)OVC_SLOT_TAG_SPECIAL;
}

static inline void *ovc_slot_mk_out(unsigned long handle)
{
	WARN_ON_ONCE(handle & (OVC_SLOT_SWAP_BIT | OVC_SLOT_TAG_SPECIAL));
	return xa_tag_pointer((void *)handle, OVC_SLOT_TAG_SPECIAL);
}

static inline void *ovc_slot_mk_swapped(unsigned long slot)
{
	return (void *)((slot << OVC_SLOT_SWAP_SHIFT) | OVC_SLOT_SWAP_BIT |
			OVC_SLOT_TAG_SPECIAL);
}

/* Return: whether a slot's page is in a store (out or swapped). */
static inline bool ovc_slot_stored(const void *entry)
{
	enum ovc_slot_kind kind = ovc_slot_kind(entry);

	return kind == OVC_SLOT_OUT || kind == OVC_SLOT_SWAPPED;
}

/* Return: the swap store slot of a swapped slot (the caller checked). */
static inline unsigned long ovc_slot_swap(const void *entry)
{
	return (unsigned long)entry >> OVC_SLOT_SWAP_SHIFT;
}

/* Return: the store handle of an out slot, or 0 for any other. */
static inline unsigned long ovc_slot_handle(const void *entry)
{
	return ovc_slot_kind(entry) == OVC_SLOT_OUT ?
		(unsigned long)xa_untag_pointer((void *)entry) : 0;
}

/* Return: the private page of a slot, or NULL if it holds none. */
static inline struct page *ovc_slot_page(const void *entry)
{
	return ovc_slot_kind(entry) == OVC_SLOT_PRIVATE ?
		(struct page *)entry : NULL;
}

/* Return: the shared frame of a slot, or NULL if it holds none. */
static inline struct ovc_frame *ovc_slot_frame(const void *entry)
{
	return ovc_slot_kind(entry) == OVC_SLOT_SHARED ?
		xa_untag_pointer((void *)entry) : NULL;
}

struct ovc_vm;
struct vm_fault;

/**
 * struct ovc_slot_limit - private pages the VMs of one mount may hold
 * @max:	at most this many (ovcfs' size= option); 0: no limit
 * @used:	private pages its VMs hold (resident), changed with the VMs'
 *		resident counts
 *
 * The check before an allocation and the count after it are not one
 * atomic step: concurrent faults may go past @max by one page each.
 */
struct ovc_slot_limit {
	unsigned long max;
	atomic_long_t used;
};

/*
 * Pages held by all VMs, slots ballooned in all VMs, copy-on-write breaks
 * so far (slot.c changes them with the per-VM counters).
 */
extern atomic_long_t ovc_pages_resident;
extern atomic_long_t ovc_pages_ballooned;
extern atomic_long_t ovc_cow_breaks;
extern atomic_long_t ovc_merges;

/* ovc_slot_get_page() flags */
#define OVC_GET_EXTEND	0x1	/* may be past EOF: write() extending it */
#define OVC_GET_PRIVATE	0x2	/* break sharing: the caller writes */
#define OVC_GET_NOALLOC	0x4	/* NULL for an empty slot */
#define OVC_GET_READ	0x8	/* a read fault: an empty slot maps the zero frame */

struct page *ovc_slot_entry_page(void *entry);
bool ovc_slot_on_zero_frame(struct ovc_vm *vm, pgoff_t index,
			    struct page *page);
struct page *ovc_slot_get(struct ovc_vm *vm, pgoff_t index, void **entryp);
struct page *ovc_slot_get_page(struct ovc_vm *vm, pgoff_t index,
			       unsigned int flags, struct vm_fault *vmf);
int ovc_slot_cow_locked(struct ovc_vm *vm, pgoff_t index,
			struct ovc_frame *frame, struct vm_fault *vmf);
int ovc_slot_unshare(struct ovc_vm *vm, pgoff_t index, struct page *page,
		     struct vm_fault *vmf);
int ovc_slot_share(struct ovc_vm *vm, pgoff_t index, struct page *page,
		      struct ovc_frame *frame, bool insert, u32 hash);
int ovc_slot_store(struct ovc_vm *vm, pgoff_t index, struct page *page,
		   void *stored, bool nowait);
int ovc_slot_isolate(struct ovc_vm *vm, pgoff_t index, struct page *page,
		     bool nowait);
int ovc_slot_copy_out(struct ovc_vm *vm, pgoff_t index, unsigned long handle,
		      u64 seq, struct page *page);
int ovc_slot_write_back(struct ovc_vm *vm, pgoff_t index, unsigned long handle,
			u64 seq, unsigned long slot);
void ovc_slot_drop_range(struct ovc_vm *vm, pgoff_t first, pgoff_t end,
		       bool balloon);

#endif /* _OVC_SLOT_H */
