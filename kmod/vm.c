// SPDX-License-Identifier: GPL-2.0
/*
 * ovc VM object: the slots of one VM's RAM, the fault handlers that map
 * them, copy-on-write of shared slots, and the operations that free them
 * (punch, truncate, teardown).  The design and the lock order are
 * described in vm.h; sharing in share.h.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/ovc.h>

#include "compat.h"
#include "range.h"
#include "share.h"
#include "slot.h"
#include "trace.h"
#include "vm.h"

LIST_HEAD(ovc_vms);
DEFINE_MUTEX(ovc_vms_lock);
atomic_long_t ovc_pages_resident = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_pages_ballooned = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_cow_breaks = ATOMIC_LONG_INIT(0);
unsigned long ovc_nr_vms;

static atomic64_t ovc_next_vm_id = ATOMIC64_INIT(0);

/* Slots dropped per pass of ovc_vm_drop_range(), i.e. per vm->lock hold. */
#define OVC_DROP_BATCH	32

/**
 * ovc_vm_create() - set up the VM object of a new ovcfs regular file
 * @inode:	the new inode, not yet visible to anyone
 *
 * Context: process context, may sleep.
 * Return: the VM, or an ERR_PTR: -ENOMEM, or the error of the sysfs
 * registration.
 */
struct ovc_vm *ovc_vm_create(struct inode *inode)
{
	struct ovc_vm *vm;
	int err;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	xa_init(&vm->slots);
	xa_init(&vm->rmap);
	mutex_init(&vm->lock);
	vm->inode = inode;
	vm->share_domain = from_kuid_munged(&init_user_ns, inode->i_uid);
	vm->id = atomic64_inc_return(&ovc_next_vm_id);
	INIT_LIST_HEAD(&vm->node);

	/* On failure this drops the kobject, whose release frees @vm. */
	err = ovc_sysfs_add_vm(vm);
	if (err)
		return ERR_PTR(err);

	mutex_lock(&ovc_vms_lock);
	list_add_tail(&vm->node, &ovc_vms);
	WRITE_ONCE(ovc_nr_vms, ovc_nr_vms + 1);
	mutex_unlock(&ovc_vms_lock);
	ovc_scan_wake();
	return vm;
}

static void ovc_vm_ballooned_add(struct ovc_vm *vm, long n)
{
	atomic_long_add(n, &vm->ballooned);
	atomic_long_add(n, &ovc_pages_ballooned);
}

static void ovc_vm_resident_add(struct ovc_vm *vm, long n)
{
	atomic_long_add(n, &vm->resident);
	atomic_long_add(n, &ovc_pages_resident);
}

/* The slot counter a shared slot is counted in. */
static atomic_long_t *ovc_vm_shared_counter(struct ovc_vm *vm,
					    struct ovc_frame *frame)
{
	return frame->zero ? &vm->zero : &vm->shared;
}

/*
 * The page a slot entry maps: its private page or its frame's page.
 * Context: under RCU or with the entry pinned (vm->lock, or the frame
 * page's lock while the slot holds the frame).
 */
static struct page *ovc_entry_page(void *entry)
{
	struct ovc_frame *frame = ovc_slot_frame(entry);

	return frame ? frame->page : ovc_slot_page(entry);
}

struct ovc_drop {
	void *entry;
	pgoff_t index;
};

/* Unmap and release one dropped slot; vm->lock is not held. */
static void ovc_vm_release_slot(struct ovc_vm *vm, struct ovc_drop *d)
{
	struct address_space *mapping = vm->inode->i_mapping;
	struct ovc_frame *frame = ovc_slot_frame(d->entry);
	struct page *page = ovc_entry_page(d->entry);

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

/*
 * Remove the slots of [@first, @end) from @vm, unmap them from every
 * mapping of the VM and drop the slots' references.  With @balloon (a hole
 * punch) a slot holding memory becomes a ballooned one, counted until it
 * is touched again; else (truncate, teardown) every slot is erased.  Works
 * in batches so that vm->lock is never held for long.
 */
static void ovc_vm_drop_range(struct ovc_vm *vm, pgoff_t first, pgoff_t end,
			      bool balloon)
{
	struct address_space *mapping = vm->inode->i_mapping;
	struct ovc_drop batch[OVC_DROP_BATCH];
	unsigned long index, next;
	long ballooned, resident;
	unsigned int n, i;
	void *entry;

	if (first >= end)
		return;
	for (next = first; next < end; cond_resched()) {
		n = 0;
		ballooned = 0;
		resident = 0;
		first = next;
		next = end;
		mutex_lock(&vm->lock);
		xa_for_each_range(&vm->slots, index, entry, first, end - 1) {
			struct ovc_frame *frame = ovc_slot_frame(entry);

			if (ovc_slot_kind(entry) == OVC_SLOT_BALLOONED) {
				if (!balloon) {
					xa_erase(&vm->slots, index);
					ballooned--;
				}
				continue;
			}
			if (balloon) {
				/* Replacing a present entry never allocates. */
				xa_store(&vm->slots, index,
					 ovc_slot_mk_ballooned(), GFP_NOWAIT);
				ballooned++;
			} else {
				xa_erase(&vm->slots, index);
			}
			if (frame)
				atomic_long_dec(ovc_vm_shared_counter(vm, frame));
			else if (ovc_slot_page(entry))
				resident--;
			else
				continue;
			batch[n].entry = entry;
			batch[n++].index = index;
			if (n == OVC_DROP_BATCH) {
				next = index + 1;
				break;
			}
		}
		mutex_unlock(&vm->lock);
		ovc_vm_ballooned_add(vm, ballooned);
		ovc_vm_resident_add(vm, resident);
		if (!n)
			break;
		unmap_mapping_pages(mapping, first, next - first, false);
		for (i = 0; i < n; i++)
			ovc_vm_release_slot(vm, &batch[i]);
	}
}

/**
 * ovc_vm_destroy() - free a VM whose inode is being evicted
 * @vm:	the VM; no mapping of it can exist any more
 *
 * Frees every page and scanner record, removes the sysfs directory and
 * drops the last reference, which frees @vm.
 *
 * Context: process context, may sleep.
 */
void ovc_vm_destroy(struct ovc_vm *vm)
{
	/* Out of the list first: the scanner then never finds it again. */
	mutex_lock(&ovc_vms_lock);
	list_del(&vm->node);
	WRITE_ONCE(ovc_nr_vms, ovc_nr_vms - 1);
	mutex_unlock(&ovc_vms_lock);
	/* Waits for a scanner pass that may still use it. */
	ovc_scan_forget_vm(vm);

	ovc_vm_drop_range(vm, 0, ULONG_MAX, false);
	WARN_ON_ONCE(atomic_long_read(&vm->resident) ||
		     atomic_long_read(&vm->ballooned) ||
		     atomic_long_read(&vm->shared) ||
		     atomic_long_read(&vm->zero));
	xa_destroy(&vm->slots);
	ovc_sysfs_del_vm(vm);
}

/* Return: whether @index lies inside the file. */
static bool ovc_vm_index_valid(struct ovc_vm *vm, pgoff_t index)
{
	return index < ovc_range_pages(i_size_read(vm->inode));
}

/**
 * ovc_vm_slot_get() - the page a slot maps, with a reference
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
struct page *ovc_vm_slot_get(struct ovc_vm *vm, pgoff_t index, void **entryp)
{
	struct page *page;
	void *entry;

	rcu_read_lock();
repeat:
	entry = xa_load(&vm->slots, index);
	page = ovc_entry_page(entry);
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

/**
 * ovc_vm_get_page() - the page of a slot, allocated if empty
 * @vm:		the VM
 * @index:	the slot
 * @flags:	OVC_GET_EXTEND: allow @index past the end of the file
 *		(write() extending it, with i_rwsem held);
 *		OVC_GET_PRIVATE: break sharing first (the caller writes);
 *		OVC_GET_NOALLOC: return NULL rather than allocate
 *
 * Without OVC_GET_PRIVATE a shared slot gives its frame's page, which must
 * not be written.  A new page is zero-filled.  The allocation happens
 * before vm->lock is taken, so a racing fault on the same slot may win;
 * the loser's page is freed.
 *
 * Context: process context, may sleep.
 * Return: the page with a reference the caller must put, NULL (only with
 * OVC_GET_NOALLOC), or ERR_PTR: -EFAULT if @index is past the end of the
 * file, -ENOMEM.
 */
struct page *ovc_vm_get_page(struct ovc_vm *vm, pgoff_t index,
			     unsigned int flags)
{
	struct page *page, *new;
	void *entry, *old;
	int err;

again:
	page = ovc_vm_slot_get(vm, index, &entry);
	if (page) {
		if (!(flags & OVC_GET_PRIVATE) || ovc_slot_page(entry))
			return page;
		err = ovc_vm_unshare_page(vm, index, page);
		put_page(page);
		if (err)
			return ERR_PTR(err);
		goto again;
	}
	if (flags & OVC_GET_NOALLOC)
		return NULL;

	new = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	if (!new)
		return ERR_PTR(-ENOMEM);
	new->index = index;

	mutex_lock(&vm->lock);
	if (!(flags & OVC_GET_EXTEND) && !ovc_vm_index_valid(vm, index)) {
		page = ERR_PTR(-EFAULT);
		goto out_unlock;
	}
	entry = xa_load(&vm->slots, index);
	if (ovc_entry_page(entry)) {	/* a racing fault filled it */
		mutex_unlock(&vm->lock);
		__free_page(new);
		goto again;
	}
	old = xa_store(&vm->slots, index, ovc_slot_mk_private(new),
		       GFP_KERNEL);
	if (xa_is_err(old)) {
		page = ERR_PTR(xa_err(old));
		goto out_unlock;
	}
	if (ovc_slot_kind(entry) == OVC_SLOT_BALLOONED)
		ovc_vm_ballooned_add(vm, -1);	/* deflated: touched again */
	ovc_vm_resident_add(vm, 1);
	page = new;
	new = NULL;
	get_page(page);
out_unlock:
	mutex_unlock(&vm->lock);
	if (new)
		__free_page(new);
	return page;
}

/*
 * Break copy-on-write of slot @index, which points at @frame.  The frame's
 * page is locked by the caller and unlocked here.  The last sharer of a
 * non-zero frame takes its page back in place; everyone else gets a copy.
 *
 * Return: 0 (the caller retries its access), or -ENOMEM.
 */
static int ovc_vm_cow_locked(struct ovc_vm *vm, pgoff_t index,
			     struct ovc_frame *frame)
{
	struct page *fpage = frame->page, *new;
	void *entry = ovc_slot_mk_shared(frame);

	if (!frame->zero && READ_ONCE(frame->sharers) == 1) {
		mutex_lock(&vm->lock);
		if (xa_load(&vm->slots, index) == entry &&
		    ovc_frame_take_last(frame)) {
			fpage->index = index;
			xa_store(&vm->slots, index, ovc_slot_mk_private(fpage),
				 GFP_NOWAIT);
			atomic_long_dec(&vm->shared);
			ovc_vm_resident_add(vm, 1);
			mutex_unlock(&vm->lock);
			unlock_page(fpage);
			trace_ovc_cow(vm->id, index, true);
			goto counted;
		}
		mutex_unlock(&vm->lock);
	}

	new = alloc_page(GFP_HIGHUSER);
	if (!new) {
		unlock_page(fpage);
		return -ENOMEM;
	}
	if (frame->zero)
		clear_highpage(new);
	else
		copy_highpage(new, fpage);
	new->index = index;

	mutex_lock(&vm->lock);
	if (xa_load(&vm->slots, index) != entry) {	/* dropped meanwhile */
		mutex_unlock(&vm->lock);
		unlock_page(fpage);
		__free_page(new);
		return 0;
	}
	xa_store(&vm->slots, index, ovc_slot_mk_private(new), GFP_NOWAIT);
	atomic_long_dec(ovc_vm_shared_counter(vm, frame));
	ovc_vm_resident_add(vm, 1);
	mutex_unlock(&vm->lock);

	unmap_mapping_pages(vm->inode->i_mapping, index, 1, false);
	unlock_page(fpage);
	ovc_frame_drop_sharer(frame);
	trace_ovc_cow(vm->id, index, false);
counted:
	atomic_long_inc(&vm->cow_breaks);
	atomic_long_inc(&ovc_cow_breaks);
	return 0;
}

/**
 * ovc_vm_unshare_page() - break sharing of a slot
 * @vm:		the VM
 * @index:	the slot
 * @page:	the frame page the caller found there, referenced
 *
 * Nothing happens if the slot no longer points at @page's frame.
 *
 * Context: process context, may sleep; no page lock held.
 * Return: 0 or -ENOMEM.
 */
int ovc_vm_unshare_page(struct ovc_vm *vm, pgoff_t index, struct page *page)
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
	return ovc_vm_cow_locked(vm, index, frame);
}

/**
 * ovc_vm_slot_share() - point a private slot at a shared frame
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
int ovc_vm_slot_share(struct ovc_vm *vm, pgoff_t index, struct page *page,
		      struct ovc_frame *frame, bool insert, u32 hash)
{
	mutex_lock(&vm->lock);
	if (xa_load(&vm->slots, index) != page) {
		mutex_unlock(&vm->lock);
		return -EAGAIN;
	}
	if (insert)
		ovc_frame_insert(frame, page, vm->share_domain, hash, 1);
	xa_store(&vm->slots, index, ovc_slot_mk_shared(frame), GFP_NOWAIT);
	ovc_vm_resident_add(vm, -1);
	atomic_long_inc(ovc_vm_shared_counter(vm, frame));
	mutex_unlock(&vm->lock);
	trace_ovc_merge(vm->id, index, frame->hash, frame->zero, insert);
	return 0;
}

static vm_fault_t ovc_vm_fault(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page;
	bool same;

	if (!ovc_vm_index_valid(vm, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	page = ovc_vm_get_page(vm, vmf->pgoff, 0);
	if (IS_ERR(page))
		return PTR_ERR(page) == -ENOMEM ? VM_FAULT_OOM :
						 VM_FAULT_SIGBUS;

	/* See vm.h: the PTE is installed with the page locked. */
	lock_page(page);
	rcu_read_lock();
	same = ovc_entry_page(xa_load(&vm->slots, vmf->pgoff)) == page;
	rcu_read_unlock();
	if (!same) {
		unlock_page(page);
		put_page(page);
		return VM_FAULT_NOPAGE;		/* slot changed: retry */
	}
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * A write to a page mapped read-only.  A private page is made writable:
 * it must come back locked, as our pages have no page->mapping and
 * do_page_mkwrite() would otherwise take it for truncated and retry
 * forever.  A shared frame's page is never made writable: copy-on-write
 * replaces the slot, unmaps it and the write is retried.
 */
static vm_fault_t ovc_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page = vmf->page;
	struct ovc_frame *frame;
	void *entry;

	bool ours;

	lock_page(page);
	entry = xa_load(&vm->slots, vmf->pgoff);
	if (ovc_slot_page(entry) == page &&
	    ovc_vm_index_valid(vm, vmf->pgoff))
		return VM_FAULT_LOCKED;
	/* As in ovc_vm_unshare_page(). */
	rcu_read_lock();
	frame = ovc_slot_frame(xa_load(&vm->slots, vmf->pgoff));
	ours = frame && frame->page == page;
	rcu_read_unlock();
	if (ours)
		return ovc_vm_cow_locked(vm, vmf->pgoff, frame) ?
			VM_FAULT_OOM : VM_FAULT_NOPAGE;
	unlock_page(page);
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct ovc_vm_ops = {
	.fault		= ovc_vm_fault,
	.page_mkwrite	= ovc_vm_page_mkwrite,
};

/**
 * ovc_vm_mmap() - map a VM's RAM
 * @vm:		the VM
 * @vma:	the new mapping
 *
 * Only shared mappings: a private mapping would give the process
 * anonymous copies that the module neither sees nor controls.  Guest RAM
 * is never executed by the host; refusing exec also keeps khugepaged
 * (READ_ONLY_THP_FOR_FS, MADV_COLLAPSE) from trying to read these files
 * through the page cache, which they do not use.
 *
 * Return: 0, -EINVAL for a private mapping, -EPERM for an executable one.
 */
int ovc_vm_mmap(struct ovc_vm *vm, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	ovc_vma_clear_flags(vma, VM_MAYEXEC);
	vma->vm_ops = &ovc_vm_ops;
	WRITE_ONCE(vm->owner_pid, task_tgid_nr(current));
	return 0;
}

/*
 * The private page of slot @index, referenced and locked, for a write that
 * does not come through a mapping (write(), zeroing).  The page lock keeps
 * the scanner from merging the page under the write (it isolates pages
 * with their lock held), and the slot is checked again under it.
 *
 * Return: as ovc_vm_get_page() with OVC_GET_PRIVATE | @flags.
 */
static struct page *ovc_vm_lock_private(struct ovc_vm *vm, pgoff_t index,
					unsigned int flags)
{
	struct page *page;

	for (;;) {
		page = ovc_vm_get_page(vm, index, flags | OVC_GET_PRIVATE);
		if (IS_ERR_OR_NULL(page))
			return page;
		lock_page(page);
		if (xa_load(&vm->slots, index) == page)
			return page;
		unlock_page(page);
		put_page(page);
		cond_resched();
	}
}

/* Zero @len bytes at @off of page @index, if that page holds memory. */
static void ovc_vm_zero_partial(struct ovc_vm *vm, pgoff_t index,
				unsigned int off, unsigned int len)
{
	struct page *page;

	page = ovc_vm_lock_private(vm, index,
				   OVC_GET_NOALLOC | OVC_GET_EXTEND);
	if (IS_ERR_OR_NULL(page))
		return;	/* -ENOMEM: a shared page stays as it was */
	memzero_page(page, off, len);
	unlock_page(page);
	put_page(page);
}

/**
 * ovc_vm_punch() - free the pages of a byte range (fallocate PUNCH_HOLE)
 * @vm:		the VM; the caller holds the inode's i_rwsem
 * @offset:	first byte
 * @len:	length in bytes
 *
 * Whole pages are freed and read as zero from then on; the bytes of partially
 * covered pages are zeroed in place.  Bytes past the end of the file are
 * ignored, as the file size does not change.
 *
 * Return: 0, or -EINVAL for a bad range.
 */
int ovc_vm_punch(struct ovc_vm *vm, loff_t offset, loff_t len)
{
	struct ovc_punch p;
	int err;

	err = ovc_range_punch(offset, len, &p);
	if (err)
		return err;
	if (p.head_page >= 0)
		ovc_vm_zero_partial(vm, p.head_page, p.head_off, p.head_len);
	if (p.tail_page >= 0)
		ovc_vm_zero_partial(vm, p.tail_page, 0, p.tail_len);
	ovc_vm_drop_range(vm, p.first, p.end, true);
	return 0;
}

/**
 * ovc_vm_truncate() - the file size changed
 * @vm:		the VM; the caller holds i_rwsem and has set the new i_size
 * @oldsize:	the old size in bytes
 * @newsize:	the new size in bytes
 *
 * Shrinking frees the pages past the new end and zeroes the tail of the
 * last partial page, so that growing the file again shows zeroes.
 */
void ovc_vm_truncate(struct ovc_vm *vm, loff_t oldsize, loff_t newsize)
{
	if (newsize >= oldsize)
		return;
	if (newsize & ~PAGE_MASK)
		ovc_vm_zero_partial(vm, newsize >> PAGE_SHIFT,
				    newsize & ~PAGE_MASK,
				    PAGE_SIZE - (newsize & ~PAGE_MASK));
	ovc_vm_drop_range(vm, ovc_range_pages(newsize), ULONG_MAX, false);
	/* A target larger than the VM makes no sense any more. */
	if (READ_ONCE(vm->balloon_target) > ovc_range_pages(newsize))
		ovc_vm_set_balloon_target(vm, ovc_range_pages(newsize));
}

/**
 * ovc_vm_read() - read() of a VM file; holes read as zeroes
 * @vm:		the VM
 * @iocb:	position
 * @to:		destination
 *
 * Return: bytes read, or -EFAULT if nothing could be copied.
 */
ssize_t ovc_vm_read(struct ovc_vm *vm, struct kiocb *iocb, struct iov_iter *to)
{
	loff_t pos = iocb->ki_pos, size = i_size_read(vm->inode);
	ssize_t done = 0;

	while (iov_iter_count(to) && pos < size) {
		unsigned int off = pos & ~PAGE_MASK;
		size_t n = min_t(loff_t, PAGE_SIZE - off, size - pos);
		struct page *page;
		size_t copied;
		void *entry;

		n = min(n, iov_iter_count(to));
		page = ovc_vm_slot_get(vm, pos >> PAGE_SHIFT, &entry);
		if (page) {
			copied = copy_page_to_iter(page, off, n, to);
			put_page(page);
		} else {
			copied = iov_iter_zero(n, to);
		}
		done += copied;
		pos += copied;
		if (copied < n)
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : (iov_iter_count(to) && pos < size ? -EFAULT : 0);
}

/**
 * ovc_vm_write() - write() of a VM file
 * @vm:		the VM; the caller holds i_rwsem and ran generic_write_checks()
 * @iocb:	position
 * @from:	source
 *
 * Return: bytes written, or -ENOMEM/-EFAULT if nothing was written.
 */
ssize_t ovc_vm_write(struct ovc_vm *vm, struct kiocb *iocb,
		     struct iov_iter *from)
{
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0, err = 0;

	while (iov_iter_count(from)) {
		unsigned int off = pos & ~PAGE_MASK;
		size_t n = min_t(size_t, PAGE_SIZE - off, iov_iter_count(from));
		struct page *page;
		size_t copied;

		/*
		 * The copy runs with the page locked and page faults off
		 * (the source may be a mapping of this very page), so fault
		 * the source in first, as generic_perform_write() does.
		 */
		if (unlikely(fault_in_iov_iter_readable(from, n) == n)) {
			err = -EFAULT;
			break;
		}
		page = ovc_vm_lock_private(vm, pos >> PAGE_SHIFT,
					   OVC_GET_EXTEND);
		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			break;
		}
		pagefault_disable();
		copied = copy_page_from_iter_atomic(page, off, n, from);
		pagefault_enable();
		unlock_page(page);
		put_page(page);
		done += copied;
		pos += copied;
		cond_resched();	/* copied == 0: fault in again and retry */
	}
	if (pos > i_size_read(vm->inode))
		i_size_write(vm->inode, pos);
	if (err)	/* a page allocated past the end may be left */
		ovc_vm_drop_range(vm, ovc_range_pages(i_size_read(vm->inode)),
				  ULONG_MAX, false);
	iocb->ki_pos = pos;
	return done ? done : err;
}

/**
 * ovc_vm_fill_info() - fill the output fields of struct ovc_vm_info
 * @vm:		the VM
 * @info:	checked by ovc_uarg_vm_info(); reserved fields stay zero
 */
void ovc_vm_fill_info(struct ovc_vm *vm, struct ovc_vm_info *info)
{
	info->api_version = OVC_API_VERSION;
	info->id = vm->id;
	info->size_pages = ovc_range_pages(i_size_read(vm->inode));
	info->resident_pages = atomic_long_read(&vm->resident);
	info->owner_uid = from_kuid_munged(current_user_ns(), vm->inode->i_uid);
	info->owner_pid = READ_ONCE(vm->owner_pid);
	info->balloon_target_pages = READ_ONCE(vm->balloon_target);
	info->balloon_actual_pages = READ_ONCE(vm->balloon_actual);
	info->balloon_pages = atomic_long_read(&vm->ballooned);
	info->shared_pages = atomic_long_read(&vm->shared);
	info->zero_pages = atomic_long_read(&vm->zero);
	info->cow_breaks = atomic_long_read(&vm->cow_breaks);
	info->share_domain = READ_ONCE(vm->share_domain);
}

/**
 * ovc_vm_set_balloon_target() - set the balloon size the host asks for
 * @vm:		the VM
 * @pages:	target in pages, at most the VM's size
 *
 * Wakes pollers of vms/<id>/balloon_target_pages (ovcd) on a change.
 *
 * Return: 0, or -ERANGE if @pages exceeds the VM's size.
 */
int ovc_vm_set_balloon_target(struct ovc_vm *vm, u64 pages)
{
	if (pages > ovc_range_pages(i_size_read(vm->inode)))
		return -ERANGE;
	if (xchg(&vm->balloon_target, pages) != pages)
		ovc_sysfs_notify_target(vm);
	return 0;
}

/**
 * ovc_vm_guest_report() - record what ovcd learnt from QEMU
 * @vm:		the VM
 * @r:		checked by ovc_uarg_guest_report(); OVC_UNKNOWN fields are
 *		left as they were
 *
 * Return: 0, or -ERANGE if a size exceeds the VM's size or the report
 * would leave free memory above total memory; nothing is recorded then.
 */
int ovc_vm_guest_report(struct ovc_vm *vm, const struct ovc_guest_report *r)
{
	u64 size = ovc_range_pages(i_size_read(vm->inode));
	u64 actual = r->balloon_actual_pages, free = r->guest_free_pages;
	u64 total = r->guest_total_pages;
	int err = -ERANGE;

	if ((actual != OVC_UNKNOWN && actual > size) ||
	    (total != OVC_UNKNOWN && total > size))
		return -ERANGE;

	mutex_lock(&vm->lock);
	/* Check the state the report leaves, not only its own fields. */
	if (free == OVC_UNKNOWN)
		free = vm->guest_free;
	if (total == OVC_UNKNOWN)
		total = vm->guest_total;
	if (free > (total ? total : size))
		goto out;
	if (actual != OVC_UNKNOWN)
		WRITE_ONCE(vm->balloon_actual, actual);
	WRITE_ONCE(vm->guest_free, free);
	WRITE_ONCE(vm->guest_total, total);
	err = 0;
out:
	mutex_unlock(&vm->lock);
	return err;
}
