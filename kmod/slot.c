// SPDX-License-Identifier: GPL-2.0
/*
 * ovc slots: the transitions of one guest page's slot (slot.h has the
 * encoding).  Lookup, allocation of an empty slot, copy-on-write of a
 * shared slot, pointing a private slot at a frame, and dropping ranges of
 * slots (punch, truncate, teardown), each with the counters it changes.
 * The design and the lock order are in vm.h; sharing in share.h.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "range.h"
#include "share.h"
#include "slot.h"
#include "store.h"
#include "swap.h"
#include "vm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Pages held by all VMs; slots ballooned in all VMs; COW breaks and merges
 * so far.  (The store's counters are in store.c.)
 */
atomic_long_t ovc_pages_resident = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_pages_ballooned = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_cow_breaks = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_merges = ATOMIC_LONG_INIT(0);

/*
 * Per pass of ovc_slot_drop_range(), i.e. per vm->lock hold: slots whose
 * memory is released (unmapped and put after the pass), and slots visited
 * at all (a ballooned slot costs an erase or a look: a truncate or punch
 * of a mostly ballooned VM must not walk millions under one hold).
 */
#define OVC_DROP_BATCH	32
#define OVC_DROP_STEPS	512

static void ovc_slot_ballooned_add(struct ovc_vm *vm, long n)
{
	atomic_long_add(n, &vm->ballooned);
	atomic_long_add(n, &ovc_pages_ballooned);
}

static void ovc_slot_resident_add(struct ovc_vm *vm, long n)
{
	atomic_long_add(n, &vm->resident);
	atomic_long_add(n, &ovc_pages_resident);
	if (vm->limit)
		atomic_long_add(n, &vm->limit->used);
}

/*
 * A new page for a slot of @vm, @ahead slots after the one of @vmf, with
 * @gfp; ovc_slot_alloc() says the rest.  Within the mount's size= even
 * with the @ahead pages allocated before it (a readahead).
 */
static struct page *ovc_slot_alloc_gfp(struct ovc_vm *vm,
				       struct vm_fault *vmf, gfp_t gfp,
				       unsigned int ahead)
{
	struct ovc_slot_limit *limit = vm->limit;
	struct page *page;

	if (limit && limit->max &&
	    atomic_long_read(&limit->used) + ahead >= limit->max)
		return ERR_PTR(-ENOSPC);
	if (vmf) {
		unsigned long addr = vmf->address + PAGE_SIZE * ahead;

		if (addr >= vmf->vma->vm_end)
			addr = vmf->address;
		page = ovc_vma_alloc_page(gfp, vmf->vma, addr);
	} else {
		page = alloc_page(gfp);
	}
	return page ?: ERR_PTR(-ENOMEM);
}

/*
 * A new page for a slot of @vm, zero-filled if @zero.  It is charged to
 * the memory cgroup of the current task (__GFP_ACCOUNT): the one that
 * faults it in or write()s it, QEMU for a guest.  With @vmf (a fault) it
 * is placed by the VMA's NUMA policy (QEMU's host-nodes=, policy=), else
 * by the task's.
 *
 * Return: the page, ERR_PTR(-ENOSPC) if the mount's size= is reached, or
 * ERR_PTR(-ENOMEM) (also when the memory cgroup is at its limit).
 */
static struct page *ovc_slot_alloc(struct ovc_vm *vm, struct vm_fault *vmf,
				   bool zero)
{
	return ovc_slot_alloc_gfp(vm, vmf, GFP_HIGHUSER | __GFP_ACCOUNT |
				  (zero ? __GFP_ZERO : 0), 0);
}

/*
 * Replace a present entry of @vm->slots: that never allocates, so it
 * cannot fail.  The page the slot held leaves it, and so leaves idle
 * sampling's sample (xa_store() would keep the mark): cleared in the same
 * hold of the xarray lock, so a fault never counts the new entry touched.
 * Context: vm->lock held.
 */
static void ovc_slot_replace(struct ovc_vm *vm, pgoff_t index, void *entry)
{
	void *old;

	xa_lock(&vm->slots);
	old = __xa_store(&vm->slots, index, entry, GFP_NOWAIT);
	__xa_clear_mark(&vm->slots, index, OVC_SLOT_SAMPLED);
	xa_unlock(&vm->slots);
	WARN_ON_ONCE(xa_is_err(old) || !old);
}

/* The slot counter a shared slot is counted in. */
static atomic_long_t *ovc_slot_shared_counter(struct ovc_vm *vm,
					    struct ovc_frame *frame)
{
	return frame->zero ? &vm->zero : &vm->shared;
}

/*
 * The page a slot entry maps: its private page or its frame's page.
 * Context: under RCU or with the entry pinned (vm->lock, or the frame
 * page's lock while the slot holds the frame).
 */
struct page *ovc_slot_entry_page(void *entry)
{
	struct ovc_frame *frame = ovc_slot_frame(entry);

	return frame ? frame->page : ovc_slot_page(entry);
}

/**
 * ovc_slot_on_zero_frame() - whether a slot maps a zero frame's page
 * @vm:		the VM
 * @index:	the slot
 * @page:	a page the caller found in the slot and holds a reference on
 *
 * Return: true if slot @index still points at a zero frame whose page is
 * @page.
 */
bool ovc_slot_on_zero_frame(struct ovc_vm *vm, pgoff_t index,
			    struct page *page)
{
	struct ovc_frame *frame;
	bool zero;

	rcu_read_lock();	/* frames are freed after a grace period */
	frame = ovc_slot_frame(xa_load(&vm->slots, index));
	zero = frame && frame->page == page && frame->zero;
	rcu_read_unlock();
	return zero;
}

struct ovc_slot_drop {
	void *entry;
	pgoff_t index;
};

/* Free the copy of a stored slot (out, swapped) that no longer records it. */
static void ovc_slot_free_stored(struct ovc_vm *vm, const void *entry)
{
	if (ovc_slot_kind(entry) == OVC_SLOT_SWAPPED)
		ovc_swap_free(ovc_slot_swap(entry));
	else
		atomic_long_sub(ovc_store_free(ovc_slot_handle(entry)),
				&vm->compressed_bytes);
}

/* Unmap and release one dropped slot; vm->lock is not held. */
static void ovc_slot_release(struct ovc_vm *vm, struct ovc_slot_drop *d)
{
	struct address_space *mapping = vm->inode->i_mapping;
	struct ovc_frame *frame = ovc_slot_frame(d->entry);
	struct page *page = ovc_slot_entry_page(d->entry);

	if (!page) {	/* stored: no page, nothing mapped */
		ovc_slot_free_stored(vm, d->entry);
		return;
	}
	/* Wait for a racing fault that may have mapped it. */
	lock_page(page);
	if (frame || page_mapped(page))
		unmap_mapping_pages(mapping, d->index, 1, false);
	unlock_page(page);
	if (frame)
		ovc_frame_drop_sharer(frame);
	else
		put_page(page);
}

/**
 * struct ovc_slot_step - what dropping one slot does (ovc_slot_drop_step())
 * @change:	the slot changes at all
 * @next:	the entry it holds afterwards; NULL: it is erased
 * @ballooned:	change of the VM's ballooned count
 * @resident:	change of the VM's resident count
 * @shared:	change of the VM's shared or zero count (the frame's kind
 *		says which)
 * @out:	change of the VM's compressed count
 * @swapped:	change of the VM's swapped count
 * @release:	the old entry held memory or a stored copy: unmap it and
 *		drop the reference, or free the copy
 */
struct ovc_slot_step {
	bool change;
	void *next;
	int ballooned;
	int resident;
	int shared;
	int out;
	int swapped;
	bool release;
};

/*
 * The transition of one slot holding @entry when a hole punch (@balloon)
 * or a truncate or teardown (!@balloon) drops it: a slot holding memory
 * or a stored copy (out) becomes ballooned or is erased; a ballooned slot stays so on a punch
 * and is erased otherwise.  A pure function (KUnit tests it).
 */
static void ovc_slot_drop_step(const void *entry, bool balloon,
			       struct ovc_slot_step *st)
{
	*st = (struct ovc_slot_step){ .change = true };
	switch (ovc_slot_kind(entry)) {
	case OVC_SLOT_EMPTY:
		st->change = false;
		return;
	case OVC_SLOT_BALLOONED:
		st->change = !balloon;
		st->ballooned = balloon ? 0 : -1;
		return;
	case OVC_SLOT_PRIVATE:
		st->resident = -1;
		break;
	case OVC_SLOT_SHARED:
		st->shared = -1;
		break;
	case OVC_SLOT_OUT:
		st->out = -1;
		break;
	case OVC_SLOT_SWAPPED:
		st->swapped = -1;
		break;
	}
	st->release = true;
	if (balloon) {
		st->next = ovc_slot_mk_ballooned();
		st->ballooned = 1;
	}
}

/*
 * Remove the slots of [@first, @end) from @vm, unmap them from every
 * mapping of the VM and drop the slots' references: each slot as
 * ovc_slot_drop_step() says.  Works in batches so that vm->lock is never
 * held for long.
 */
void ovc_slot_drop_range(struct ovc_vm *vm, pgoff_t first, pgoff_t end,
		       bool balloon)
{
	struct address_space *mapping = vm->inode->i_mapping;
	struct ovc_slot_drop batch[OVC_DROP_BATCH];
	unsigned int n, i, steps;
	unsigned long index, next;
	long ballooned, resident;
	void *entry;

	if (first >= end)
		return;
	for (next = first; next < end; cond_resched()) {
		n = 0;
		steps = 0;
		ballooned = 0;
		resident = 0;
		first = next;
		next = end;
		mutex_lock(&vm->lock);
		xa_for_each_range(&vm->slots, index, entry, first, end - 1) {
			struct ovc_frame *frame = ovc_slot_frame(entry);
			struct ovc_slot_step st;

			if (steps++ == OVC_DROP_STEPS) {
				next = index;	/* not done: the next pass */
				break;
			}
			ovc_slot_drop_step(entry, balloon, &st);
			if (!st.change)
				continue;
			if (st.next)
				ovc_slot_replace(vm, index, st.next);
			else
				xa_erase(&vm->slots, index);
			ballooned += st.ballooned;
			resident += st.resident;
			if (st.shared)
				atomic_long_add(st.shared,
						ovc_slot_shared_counter(vm, frame));
			if (st.out)
				atomic_long_add(st.out, &vm->compressed);
			if (st.swapped)
				atomic_long_add(st.swapped, &vm->swapped);
			if (!st.release)
				continue;
			batch[n].entry = entry;
			batch[n++].index = index;
			if (n == OVC_DROP_BATCH) {
				next = index + 1;
				break;
			}
		}
		mutex_unlock(&vm->lock);
		ovc_slot_ballooned_add(vm, ballooned);
		ovc_slot_resident_add(vm, resident);
		if (!n)
			continue;	/* nothing to release (next == end: done) */
		unmap_mapping_pages(mapping, first, next - first, false);
		for (i = 0; i < n; i++)
			ovc_slot_release(vm, &batch[i]);
	}
}

/**
 * ovc_slot_get() - the page a slot maps, with a reference
 * @vm:		the VM
 * @index:	the slot
 * @entryp:	set to the slot entry the page was found in
 *
 * The reference is taken and the slot re-read, as filemap does, so the
 * page really belonged to the slot at that moment: never another VM's
 * page that was freed and reused meanwhile.
 *
 * Return: the private page or the shared frame's page, referenced; NULL
 * for a slot without memory (empty, ballooned).
 */
struct page *ovc_slot_get(struct ovc_vm *vm, pgoff_t index, void **entryp)
{
	struct page *page;
	void *entry;

	rcu_read_lock();
repeat:
	entry = xa_load(&vm->slots, index);
	page = ovc_slot_entry_page(entry);
	if (page) {
		if (!get_page_unless_zero(page))
			goto repeat;
		if (unlikely(xa_load(&vm->slots, index) != entry)) {
			put_page(page);
			goto repeat;
		}
	}
	rcu_read_unlock();
	*entryp = entry;
	return page;
}

/*
 * The readahead of swapped slot @index of @vm, whose entry is @entry: the
 * next slots of the file, at most @max, whose pages sit in the next slots
 * of the swap store; their entries go to @ra.  Reclaim walks a VM in file
 * order from a random slot and the store hands out slots in order, so
 * pages stored in one walk sit together; a page stored apart ends the run.
 * Context: vm->lock held; or none, for a guess (a swapped entry is a
 * value, never dereferenced).
 * Return: how many.
 */
static unsigned int ovc_slot_ra_window(struct ovc_vm *vm, pgoff_t index,
				       const void *entry, void **ra,
				       unsigned int max)
{
	unsigned long slot = ovc_slot_swap(entry);
	unsigned int n;

	for (n = 0; n < max; n++) {
		pgoff_t next = index + 1 + n;
		void *e;

		if (!ovc_vm_index_valid(vm, next))
			break;
		e = xa_load(&vm->slots, next);
		if (ovc_slot_kind(e) != OVC_SLOT_SWAPPED ||
		    ovc_slot_swap(e) != slot + 1 + n)
			break;
		ra[n] = e;
	}
	return n;
}

/*
 * Pages for the readahead of slot @index (ovc_slot_load()), into
 * @pages[1..]: as many as a look without the lock finds (at most
 * swap_readahead), and only those that come easily (no retry, no
 * warning: the page cache's readahead_gfp_mask()).
 * Return: how many.
 */
static unsigned int ovc_slot_ra_alloc(struct ovc_vm *vm, pgoff_t index,
				      struct vm_fault *vmf,
				      struct page **pages)
{
	void *ra[OVC_SWAP_IO_MAX - 1];
	unsigned int want, n;
	void *entry;

	want = min_t(unsigned int, READ_ONCE(ovc_swap_readahead),
		     OVC_SWAP_IO_MAX - 1);
	entry = xa_load(&vm->slots, index);
	if (!want || ovc_slot_kind(entry) != OVC_SLOT_SWAPPED)
		return 0;
	want = ovc_slot_ra_window(vm, index, entry, ra, want);
	for (n = 0; n < want; n++) {
		struct page *page = ovc_slot_alloc_gfp(vm, vmf,
				GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NORETRY |
				__GFP_NOWARN, n + 1);

		if (IS_ERR(page))
			break;
		page->index = index + 1 + n;
		pages[n + 1] = page;
	}
	return n;
}

/*
 * Read a stored slot back in (swap-in): a new page, charged and placed as
 * any (ovc_slot_alloc()), filled from the compressed cache or the swap
 * store under vm->lock, which keeps the copy from being freed meanwhile;
 * the copy is freed once the slot holds the page.  A page from the swap
 * store comes with a small readahead (ovc_slot_ra_window(): the next
 * slots of the file stored next to it, at most swap_readahead), read in
 * the same I/O and left resident, unmapped, for the faults that follow; a
 * failed readahead is dropped and the page read alone.  The compressed
 * cache has none: a decompression costs microseconds, and would only
 * grow the VM by pages it may not want.
 * Return: the page, referenced; NULL if the slot is not stored any more
 * (the caller looks again); ERR_PTR(-ENOMEM), -ENOSPC, -EIO or the swap
 * file's read error.
 */
static struct page *ovc_slot_load(struct ovc_vm *vm, pgoff_t index,
				  struct vm_fault *vmf)
{
	struct page *pages[OVC_SWAP_IO_MAX], *new;
	void *ra[OVC_SWAP_IO_MAX - 1];
	unsigned int got, n = 0, i;
	bool swapped;
	void *entry;
	int err;

	new = ovc_slot_alloc(vm, vmf, false);
	if (IS_ERR(new))
		return new;
	new->index = index;
	pages[0] = new;
	got = ovc_slot_ra_alloc(vm, index, vmf, pages);
	mutex_lock(&vm->lock);
	entry = xa_load(&vm->slots, index);
	if (!ovc_slot_stored(entry)) {
		new = NULL;
		goto out_unlock;
	}
	swapped = ovc_slot_kind(entry) == OVC_SLOT_SWAPPED;
	if (swapped) {
		n = ovc_slot_ra_window(vm, index, entry, ra, got);
		err = ovc_swap_read(ovc_slot_swap(entry), pages, n + 1);
		if (err && n) {	/* a neighbour's block: this page alone */
			n = 0;
			err = ovc_swap_read(ovc_slot_swap(entry), pages, 1);
		}
	} else {
		err = ovc_store_load(ovc_slot_handle(entry), new);
	}
	if (err) {
		new = ERR_PTR(err);
		goto out_unlock;
	}
	for (i = 0; i <= n; i++)
		ovc_slot_replace(vm, index + i, ovc_slot_mk_private(pages[i]));
	atomic_long_sub(n + 1, swapped ? &vm->swapped : &vm->compressed);
	ovc_slot_resident_add(vm, n + 1);
	atomic_long_add(n + 1, &vm->swap_ins);
	get_page(new);
	mutex_unlock(&vm->lock);
	ovc_slot_free_stored(vm, entry);
	for (i = 0; i < n; i++)
		ovc_slot_free_stored(vm, ra[i]);
	atomic_long_add(n, &ovc_swap_stats.readahead);
	trace_ovc_swap_in(vm->id, index);
	for (i = n + 1; i <= got; i++)
		put_page(pages[i]);
	return new;

out_unlock:
	mutex_unlock(&vm->lock);
	for (i = 0; i <= got; i++)
		put_page(pages[i]);
	return new;
}

/*
 * Fill the empty slot of @xas with @entry.  The xarray node it may need is
 * allocated here without reclaim (xas_store() under the xa_lock takes
 * GFP_NOWAIT): reclaim under vm->lock could not store this VM's pages
 * (the shrinker only tries vm->lock), so a memory cgroup at its limit
 * would OOM-kill the faulting task instead; on -ENOMEM the caller drops
 * vm->lock and allocates it with xas_nomem(), as filemap does.
 * Context: vm->lock held.
 * Return: 0 or -ENOMEM.
 */
static int ovc_slot_fill(struct xa_state *xas, void *entry)
{
	xas_lock(xas);
	xas_store(xas, entry);
	xas_unlock(xas);
	return xas_error(xas);
}

/*
 * Free a node xas_nomem() allocated and the store did not use
 * (xas_destroy() is not exported: xas_nomem() without an -ENOMEM does it).
 */
static void ovc_slot_fill_done(struct xa_state *xas)
{
	WARN_ON_ONCE(xas_nomem(xas, GFP_KERNEL));
}

/**
 * ovc_slot_get_page() - the page of a slot, allocated if empty
 * @vm:		the VM
 * @index:	the slot
 * @flags:	OVC_GET_EXTEND: allow @index past the end of the file
 *		(write() extending it, with i_rwsem held);
 *		OVC_GET_PRIVATE: break sharing first (the caller writes);
 *		OVC_GET_NOALLOC: return NULL rather than allocate;
 *		OVC_GET_READ: a read fault: an empty slot joins the zero
 *		frame instead of getting a page of its own
 * @vmf:	the fault, for the VMA's NUMA policy; NULL outside faults
 *
 * Without OVC_GET_PRIVATE a shared slot gives its frame's page, which must
 * not be written.  A new page is zero-filled.  The allocation happens
 * before vm->lock is taken, so a racing fault on the same slot may win;
 * the loser's page is freed.
 *
 * Context: process context, may sleep.
 * Return: the page with a reference the caller must put, NULL (only with
 * OVC_GET_NOALLOC), or ERR_PTR: -EFAULT if @index is past the end of the
 * file, -ENOMEM, -ENOSPC (size=), -EIO (a shared page lost to a memory
 * error, with OVC_GET_PRIVATE; a stored copy that does not decompress).
 */
struct page *ovc_slot_get_page(struct ovc_vm *vm, pgoff_t index,
			       unsigned int flags, struct vm_fault *vmf)
{
	XA_STATE(xas, &vm->slots, index);
	struct ovc_frame *zero = NULL;
	struct page *page, *new = NULL;
	void *entry;
	int err;

again:
	page = ovc_slot_get(vm, index, &entry);
	if (page) {
		if (!(flags & OVC_GET_PRIVATE) || ovc_slot_page(entry))
			return page;
		err = ovc_slot_unshare(vm, index, page, vmf);
		put_page(page);
		if (err)
			return ERR_PTR(err);
		goto again;
	}
	if (ovc_slot_stored(entry)) {
		page = ovc_slot_load(vm, index, vmf);
		if (!page)
			goto again;	/* the slot changed meanwhile */
		return page;
	}
	if (flags & OVC_GET_NOALLOC)
		return NULL;

	if (flags & OVC_GET_READ) {
		zero = ovc_share_zero(vm);
		if (unlikely(PageHWPoison(zero->page))) {
			ovc_share_zero_poisoned(vm, zero);
			zero = ovc_share_zero(vm);
			if (PageHWPoison(zero->page))
				zero = NULL;	/* no new one: a page, then */
		}
	}
	if (!zero) {
		new = ovc_slot_alloc(vm, vmf, true);
		if (IS_ERR(new))
			return new;
		new->index = index;
	}

relock:
	mutex_lock(&vm->lock);
	xas_reset(&xas);
	if (!(flags & OVC_GET_EXTEND) && !ovc_vm_index_valid(vm, index)) {
		page = ERR_PTR(-EFAULT);
		goto out_unlock;
	}
	entry = xa_load(&vm->slots, index);
	if (ovc_slot_entry_page(entry) ||	/* a racing fault filled it */
	    ovc_slot_stored(entry)) {		/* or reclaim stored it */
		mutex_unlock(&vm->lock);
		ovc_slot_fill_done(&xas);
		if (new)
			put_page(new);
		new = NULL;
		zero = NULL;
		goto again;
	}
	if (zero) {
		if (!ovc_frame_add_sharer(zero)) {	/* replaced meanwhile */
			mutex_unlock(&vm->lock);
			ovc_slot_fill_done(&xas);
			zero = NULL;
			goto again;
		}
		err = ovc_slot_fill(&xas, ovc_slot_mk_shared(zero));
		if (err) {
			ovc_frame_drop_sharer(zero);
			goto out_nomem;
		}
		atomic_long_inc(&vm->zero);
		page = zero->page;
	} else {
		err = ovc_slot_fill(&xas, ovc_slot_mk_private(new));
		if (err)
			goto out_nomem;
		ovc_slot_resident_add(vm, 1);
		page = new;
		new = NULL;
	}
	if (ovc_slot_kind(entry) == OVC_SLOT_BALLOONED)
		ovc_slot_ballooned_add(vm, -1);	/* deflated: touched again */
	get_page(page);
out_unlock:
	mutex_unlock(&vm->lock);
	ovc_slot_fill_done(&xas);
out_put:
	if (new)
		put_page(new);
	return page;

out_nomem:
	/* The node the slot needs, allocated without vm->lock: try again. */
	mutex_unlock(&vm->lock);
	if (xas_nomem(&xas, GFP_KERNEL))
		goto relock;
	page = ERR_PTR(err);	/* no node allocated: nothing to free */
	goto out_put;
}

/*
 * Whether the last sharer may take @fpage, its frame's page, back in place:
 * with the page locked and the slot unmapped, nothing but the frame and
 * the caller may hold it.  Any other reference may be a reader that must
 * keep seeing the frame's bytes: a pipe that vmsplice() filled from
 * another sharer, an O_DIRECT write or vhost reading guest RAM (GUP, or a
 * FOLL_PIN, which adds GUP_PIN_COUNTING_BIAS to the count as well).
 * Writing into the page would show it this sharer's next bytes.
 */
static bool ovc_slot_cow_reusable(struct page *fpage)
{
	return page_count(fpage) == 2 && !page_mapped(fpage) &&
	       !folio_maybe_dma_pinned(page_folio(fpage));
}

/**
 * ovc_slot_cow_locked() - break copy-on-write of a shared slot
 * @vm:		the VM
 * @index:	the slot, which points at @frame
 * @frame:	its frame; the caller holds the frame page locked and one
 *		reference on it
 * @vmf:	the fault, for the NUMA policy of a copy; NULL outside faults
 *
 * The frame page is unlocked here.  The last sharer of a non-zero frame
 * takes its page back in place if nobody else holds it (see
 * ovc_slot_cow_reusable()); everyone else gets a copy, or for a zero frame
 * a new zero page (so a zero frame's page is never read here: it may have
 * been lost to a memory error).
 *
 * Return: 0 (the caller retries its access), -ENOMEM, -ENOSPC, or -EIO
 * if a memory error took the frame's bytes.
 */
int ovc_slot_cow_locked(struct ovc_vm *vm, pgoff_t index,
			struct ovc_frame *frame, struct vm_fault *vmf)
{
	struct address_space *mapping = vm->inode->i_mapping;
	void *entry = ovc_slot_mk_shared(frame);
	struct page *fpage = frame->page, *new;

	if (unlikely(!frame->zero && PageHWPoison(fpage))) {
		ovc_frame_poisoned(frame);
		unlock_page(fpage);
		return -EIO;
	}
	if (!frame->zero && READ_ONCE(frame->sharers) == 1) {
		unmap_mapping_pages(mapping, index, 1, false);
		mutex_lock(&vm->lock);
		if (xa_load(&vm->slots, index) == entry &&
		    ovc_slot_cow_reusable(fpage) &&
		    ovc_frame_take_last(frame)) {
			fpage->index = index;
			ovc_slot_replace(vm, index, ovc_slot_mk_private(fpage));
			atomic_long_dec(&vm->shared);
			ovc_slot_resident_add(vm, 1);
			mutex_unlock(&vm->lock);
			unlock_page(fpage);
			trace_ovc_cow(vm->id, index, true);
			goto counted;
		}
		mutex_unlock(&vm->lock);
	}

	if (frame->zero) {
		/*
		 * Every zero-slot fault and COW of the VM takes this lock:
		 * allocate without it (a zero frame lives as long as its VM,
		 * and its bytes need no copy), then take it back for the
		 * slot change alone.
		 */
		unlock_page(fpage);
		new = ovc_slot_alloc(vm, vmf, true);
		if (IS_ERR(new))
			return PTR_ERR(new);
		lock_page(fpage);
	} else {
		new = ovc_slot_alloc(vm, vmf, false);
		if (IS_ERR(new)) {
			unlock_page(fpage);
			return PTR_ERR(new);
		}
		copy_highpage(new, fpage);
	}
	new->index = index;

	mutex_lock(&vm->lock);
	if (xa_load(&vm->slots, index) != entry) {	/* dropped meanwhile */
		mutex_unlock(&vm->lock);
		unlock_page(fpage);
		put_page(new);
		return 0;
	}
	ovc_slot_replace(vm, index, ovc_slot_mk_private(new));
	atomic_long_dec(ovc_slot_shared_counter(vm, frame));
	ovc_slot_resident_add(vm, 1);
	mutex_unlock(&vm->lock);
	/*
	 * A fault that maps the frame's page here rechecks the slot under
	 * the page lock, so once the slot changed under it none can: PTEs
	 * mapped before are zapped now, without the lock (the new page holds
	 * the same bytes until the writer, retrying after this, writes it).
	 * The sharer goes only after the unmap (share.h).
	 */
	unlock_page(fpage);
	unmap_mapping_pages(mapping, index, 1, false);
	ovc_frame_drop_sharer(frame);
	trace_ovc_cow(vm->id, index, false);
counted:
	atomic_long_inc(&vm->cow_breaks);
	atomic_long_inc(&ovc_cow_breaks);
	return 0;
}

/**
 * ovc_slot_unshare() - break sharing of a slot
 * @vm:		the VM
 * @index:	the slot
 * @page:	the frame page the caller found there, referenced once
 * @vmf:	the fault, for the NUMA policy of a copy; NULL outside faults
 *
 * Nothing happens if the slot no longer points at @page's frame.
 *
 * Context: process context, may sleep; no page lock held.
 * Return: 0, or as ovc_slot_cow_locked().
 */
int ovc_slot_unshare(struct ovc_vm *vm, pgoff_t index, struct page *page,
		     struct vm_fault *vmf)
{
	struct ovc_frame *frame;

	bool ours;

	lock_page(page);
	/*
	 * With the page locked, a slot on its frame keeps the frame alive;
	 * another frame may be freed meanwhile, hence RCU for the check.
	 */
	rcu_read_lock();
	frame = ovc_slot_frame(xa_load(&vm->slots, index));
	ours = frame && frame->page == page;
	rcu_read_unlock();
	if (!ours) {
		unlock_page(page);
		return 0;
	}
	return ovc_slot_cow_locked(vm, index, frame, vmf);
}

/**
 * ovc_slot_share() - point a private slot at a shared frame
 * @vm:		the VM
 * @index:	the slot
 * @page:	its private page, locked, unmapped and unpinned by the caller
 * @frame:	the frame; the caller has counted this slot as a sharer, or
 *		with @insert the frame is new and is made live here with
 *		this slot as its only sharer and @page as its page
 * @insert:	see @frame
 * @hash:	with @insert, the hash of @page
 *
 * On success the slot's reference on @page is the caller's to put, or with
 * @insert it became the frame's.
 *
 * Return: 0, or -EAGAIN if the slot no longer holds @page.
 */
int ovc_slot_share(struct ovc_vm *vm, pgoff_t index, struct page *page,
		      struct ovc_frame *frame, bool insert, u32 hash)
{
	mutex_lock(&vm->lock);
	if (xa_load(&vm->slots, index) != page) {
		mutex_unlock(&vm->lock);
		return -EAGAIN;
	}
	if (insert)
		ovc_frame_insert(frame, page, ovc_vm_share_key(vm), hash, 1);
	ovc_slot_replace(vm, index, ovc_slot_mk_shared(frame));
	ovc_slot_resident_add(vm, -1);
	atomic_long_inc(ovc_slot_shared_counter(vm, frame));
	atomic_long_inc(&vm->merges);
	atomic_long_inc(&ovc_merges);
	mutex_unlock(&vm->lock);
	trace_ovc_merge(vm->id, index, frame->hash, frame->zero, insert);
	return 0;
}

/**
 * ovc_slot_isolate() - lock and unmap a private page for a slot change
 * @vm:		the VM
 * @index:	the slot
 * @page:	its private page, referenced by the caller
 * @nowait:	only trylock the page (reclaim: the shrinker may run with
 *		any page lock held)
 *
 * On success @page is locked, unmapped from every mapping of the VM, not
 * poisoned, and nothing but the slot and the caller holds it.  After the
 * unmap a new mapping needs the page lock, so the contents can only change
 * through a GUP pin (vhost, O_DIRECT, vfio) or a read()/write() in
 * flight, which the reference count shows.  A page lost to a memory
 * error is never read, nor merged or stored.
 *
 * Return: 0, -EAGAIN (the slot changed, or the page is locked and
 * @nowait) or -EBUSY (pinned or in use, or poisoned).
 */
int ovc_slot_isolate(struct ovc_vm *vm, pgoff_t index, struct page *page,
		     bool nowait)
{
	if (nowait) {
		if (!trylock_page(page))
			return -EAGAIN;
	} else {
		lock_page(page);
	}
	if (xa_load(&vm->slots, index) != page) {
		unlock_page(page);
		return -EAGAIN;
	}
	if (unlikely(PageHWPoison(page))) {
		unlock_page(page);
		return -EBUSY;
	}
	unmap_mapping_pages(vm->inode->i_mapping, index, 1, false);
	/* The slot's reference and the caller's, nothing else. */
	if (page_count(page) != 2 || page_mapped(page) ||
	    folio_maybe_dma_pinned(page_folio(page))) {
		unlock_page(page);
		return -EBUSY;
	}
	return 0;
}

/**
 * ovc_slot_store() - point a private slot at its stored copy (swap-out)
 * @vm:		the VM
 * @index:	the slot
 * @page:	its private page, isolated by the caller (ovc_slot_isolate())
 * @stored:	the slot's new entry: @page's copy in the compressed cache
 *		(ovc_slot_mk_out()) or in the swap store
 *		(ovc_slot_mk_swapped())
 * @nowait:	only trylock vm->lock (the shrinker: an allocation under
 *		vm->lock may be what reclaims)
 *
 * On success the slot's reference on @page is the caller's to put, and
 * the slot owns the copy.
 * Return: 0, or -EAGAIN if the slot no longer holds @page or vm->lock is
 * taken and @nowait.
 */
int ovc_slot_store(struct ovc_vm *vm, pgoff_t index, struct page *page,
		   void *stored, bool nowait)
{
	bool swapped = ovc_slot_kind(stored) == OVC_SLOT_SWAPPED;

	if (WARN_ON_ONCE(!ovc_slot_stored(stored)))
		return -EINVAL;
	if (nowait) {
		if (!mutex_trylock(&vm->lock))
			return -EAGAIN;
	} else {
		mutex_lock(&vm->lock);
	}
	if (xa_load(&vm->slots, index) != page) {
		mutex_unlock(&vm->lock);
		return -EAGAIN;
	}
	ovc_slot_replace(vm, index, stored);
	ovc_slot_resident_add(vm, -1);
	if (swapped) {
		atomic_long_inc(&vm->swapped);
	} else {
		atomic_long_inc(&vm->compressed);
		atomic_long_add(ovc_store_size(ovc_slot_handle(stored)),
				&vm->compressed_bytes);
	}
	atomic_long_inc(&vm->swap_outs);
	mutex_unlock(&vm->lock);
	trace_ovc_swap_out(vm->id, index);
	return 0;
}

/*
 * Whether slot @index records the compressed object @handle of age @seq:
 * a handle freed and reused meanwhile (by a swap-in and a new swap-out
 * of the slot) is of another age, and holds other bytes.
 * Context: vm->lock held, which keeps the slot's object from being freed.
 */
static bool ovc_slot_records(struct ovc_vm *vm, pgoff_t index,
			     unsigned long handle, u64 seq)
{
	return ovc_slot_handle(xa_load(&vm->slots, index)) == handle &&
	       ovc_store_seq(handle) == seq;
}

/**
 * ovc_slot_copy_out() - the bytes of an out slot, for the writeback
 * @vm:		the VM, kept alive by the caller
 * @index:	the slot
 * @handle:	the compressed object the caller expects it to record
 * @seq:	that object's age (ovc_store_oldest())
 * @page:	the destination, a page of the caller's that no one maps
 *
 * Context: process context, may sleep; takes vm->lock.
 * Return: 0, -EAGAIN if the slot does not record that object any more,
 * or -EIO (ovc_store_copy()).
 */
int ovc_slot_copy_out(struct ovc_vm *vm, pgoff_t index, unsigned long handle,
		      u64 seq, struct page *page)
{
	int err = -EAGAIN;

	mutex_lock(&vm->lock);
	if (ovc_slot_records(vm, index, handle, seq))
		err = ovc_store_copy(handle, page);
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * ovc_slot_write_back() - point an out slot at a swap store copy
 * @vm:		the VM, kept alive by the caller
 * @index:	the slot
 * @handle:	the compressed object the slot recorded when the caller
 *		copied it (ovc_slot_copy_out())
 * @seq:	that object's age
 * @slot:	a swap store slot holding the same bytes
 *
 * On success the compressed object is freed and the page slot owns
 * @slot; otherwise @slot is still the caller's.
 * Context: process context, may sleep; takes vm->lock.
 * Return: 0, or -EAGAIN if the slot does not record that object any more
 * (read back, punched, truncated).
 */
int ovc_slot_write_back(struct ovc_vm *vm, pgoff_t index, unsigned long handle,
			u64 seq, unsigned long slot)
{
	mutex_lock(&vm->lock);
	if (!ovc_slot_records(vm, index, handle, seq)) {
		mutex_unlock(&vm->lock);
		return -EAGAIN;
	}
	ovc_slot_replace(vm, index, ovc_slot_mk_swapped(slot));
	atomic_long_dec(&vm->compressed);
	atomic_long_inc(&vm->swapped);
	ovc_slot_free_stored(vm, ovc_slot_mk_out(handle));
	mutex_unlock(&vm->lock);
	return 0;
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/slot_kunit.h"
#endif
