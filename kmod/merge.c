// SPDX-License-Identifier: GPL-2.0
/*
 * ovc merge: the page-sharing transitions the scanner drives.  A private
 * page joins an existing frame, or two private pages become a new frame;
 * and a whole VM is unshared (run=2, a domain change).  The design is in
 * share.h; the slot-level steps (ovc_slot_share(), copy-on-write) live
 * in slot.c.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>

#include "merge.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

/**
 * ovc_merge_frame() - back a private page by an existing frame
 * @vm:		the VM
 * @index:	the slot
 * @page:	its private page, referenced by the caller
 * @frame:	a live frame (or the zero frame), referenced by the caller
 *
 * Context: ovc_scan_mutex held.
 * Return: 0 if merged (the page is freed once the caller puts its
 * reference); -EAGAIN (slot or frame changed), -EBUSY (pinned), -ESTALE
 * (contents differ).
 */
int ovc_merge_frame(struct ovc_vm *vm, pgoff_t index, struct page *page,
		       struct ovc_frame *frame)
{
	int err;

	if (unlikely(PageHWPoison(frame->page))) {
		if (frame->zero)
			ovc_share_zero_poisoned(vm, frame);
		else
			ovc_frame_poisoned(frame);
		return -EAGAIN;
	}
	err = ovc_slot_isolate(vm, index, page, false);
	if (err)
		return err;
	err = -ESTALE;
	if (!ovc_pages_same(page, frame->page))
		goto out;
	err = -EAGAIN;
	if (!ovc_frame_add_sharer(frame))
		goto out;
	err = ovc_slot_share(vm, index, page, frame, false, 0);
	if (err) {
		ovc_frame_drop_sharer(frame);
		goto out;
	}
	put_page(page);		/* the slot's reference */
out:
	unlock_page(page);
	return err;
}

/**
 * ovc_merge_pair() - make a new frame of a page and a hinted page
 * @vm:		the VM
 * @index:	the slot
 * @page:	its private page, referenced by the caller
 * @hint:	an unshared page with the same hash, taken out of the table
 * @hash:	the hash of @page
 *
 * The hinted page becomes the frame's page; @page is freed.
 *
 * Context: ovc_scan_mutex held (so @hint->vm is alive).
 * Return: 0 if merged; -ESTALE (the hint no longer holds those contents),
 * -EAGAIN, -EBUSY, -ENOMEM.
 */
int ovc_merge_pair(struct ovc_vm *vm, pgoff_t index, struct page *page,
		      struct ovc_rmap *hint, u32 hash)
{
	struct ovc_vm *hvm = hint->vm;
	struct ovc_frame *frame, *live;
	struct page *hpage;
	void *entry;
	int err;

	hpage = ovc_slot_get(hvm, hint->index, &entry);
	if (!hpage)
		return -ESTALE;
	err = -ESTALE;
	if (!ovc_slot_page(entry) || hpage == page)
		goto out_put;
	err = -ENOMEM;
	frame = ovc_frame_alloc();
	if (!frame)
		goto out_put;

	/* Only the scanner holds two page locks: no ordering needed. */
	err = ovc_slot_isolate(hvm, hint->index, hpage, false);
	if (err)
		goto out_free;
	err = ovc_slot_isolate(vm, index, page, false);
	if (err)
		goto out_unlock_h;
	err = -ESTALE;
	if (!ovc_pages_same(page, hpage))
		goto out_unlock;
	err = ovc_slot_share(hvm, hint->index, hpage, frame, true, hash);
	if (err)
		goto out_unlock;
	/*
	 * Live now, and hpage's slot reference is the frame's.  hpage stays
	 * locked, so the frame cannot die under us.
	 */
	live = frame;
	frame = NULL;
	if (ovc_frame_add_sharer(live)) {
		if (!ovc_slot_share(vm, index, page, live, false, 0))
			put_page(page);	/* the slot's reference */
		else
			ovc_frame_drop_sharer(live);
	}
	err = 0;
out_unlock:
	unlock_page(page);
out_unlock_h:
	unlock_page(hpage);
out_free:
	if (frame)
		ovc_frame_free_unused(frame);
out_put:
	put_page(hpage);
	return err;
}

/**
 * ovc_merge_unshare_all() - give every shared slot of a VM a private copy
 * @vm:		the VM
 * @keep_zero:	leave slots on the zero frame alone
 *
 * Context: process context; ovc_scan_mutex held, so nothing merges
 * meanwhile.
 * A frame lost to a memory error stays shared: its bytes cannot be copied.
 *
 * Return: 0, -ENOMEM, -ENOSPC (size=) or -EINTR (a signal; the rest
 * stays shared).
 */
int ovc_merge_unshare_all(struct ovc_vm *vm, bool keep_zero)
{
	unsigned long index;
	struct page *page;
	void *entry;
	int err = 0;

	xa_for_each(&vm->slots, index, entry) {
		if (ovc_slot_kind(entry) != OVC_SLOT_SHARED)
			continue;
		page = ovc_slot_get(vm, index, &entry);
		if (!page)
			continue;
		/* The reference on the frame's page keeps it readable. */
		if (ovc_slot_frame(entry) &&
		    !(keep_zero && ovc_slot_on_zero_frame(vm, index, page)))
			err = ovc_slot_unshare(vm, index, page, NULL);
		put_page(page);
		if (err == -EIO)	/* lost to a memory error: stays */
			err = 0;
		if (!err && signal_pending(current))
			err = -EINTR;
		if (err)
			break;
		cond_resched();
	}
	return err;
}
