// SPDX-License-Identifier: GPL-2.0
/*
 * ovc VM object: the slots of one VM's RAM, the fault handlers that map
 * them, and the operations that free them (punch, truncate, teardown).
 * The design and the lock order are described in vm.h.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/ovc.h>

#include "compat.h"
#include "range.h"
#include "slot.h"
#include "vm.h"

LIST_HEAD(ovc_vms);
DEFINE_MUTEX(ovc_vms_lock);
atomic_long_t ovc_pages_resident = ATOMIC_LONG_INIT(0);
atomic_long_t ovc_pages_ballooned = ATOMIC_LONG_INIT(0);
unsigned long ovc_nr_vms;

static atomic64_t ovc_next_vm_id = ATOMIC64_INIT(0);

/* Pages freed per pass of ovc_vm_drop_range(), i.e. per vm->lock hold. */
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
	mutex_init(&vm->lock);
	vm->inode = inode;
	atomic_long_set(&vm->resident, 0);
	atomic_long_set(&vm->ballooned, 0);
	vm->id = atomic64_inc_return(&ovc_next_vm_id);
	INIT_LIST_HEAD(&vm->node);

	/* On failure this drops the kobject, whose release frees @vm. */
	err = ovc_sysfs_add_vm(vm);
	if (err)
		return ERR_PTR(err);

	mutex_lock(&ovc_vms_lock);
	list_add_tail(&vm->node, &ovc_vms);
	ovc_nr_vms++;
	mutex_unlock(&ovc_vms_lock);
	return vm;
}

static void ovc_vm_ballooned_add(struct ovc_vm *vm, long n)
{
	atomic_long_add(n, &vm->ballooned);
	atomic_long_add(n, &ovc_pages_ballooned);
}

/*
 * Remove the slots of [@first, @end) from @vm, unmap their pages from every
 * mapping of the VM and drop the slots' references.  With @balloon (a hole
 * punch) a resident slot becomes a ballooned one, counted until it is
 * touched again; else (truncate, teardown) every slot is erased.  Works in
 * batches so that vm->lock is never held for long.
 */
static void ovc_vm_drop_range(struct ovc_vm *vm, pgoff_t first, pgoff_t end,
			      bool balloon)
{
	struct address_space *mapping = vm->inode->i_mapping;
	struct page *batch[OVC_DROP_BATCH];
	unsigned long index, next;
	unsigned int n, i;
	long ballooned;
	void *entry;

	if (first >= end)
		return;
	for (next = first; next < end; cond_resched()) {
		n = 0;
		ballooned = 0;
		first = next;
		next = end;
		mutex_lock(&vm->lock);
		xa_for_each_range(&vm->slots, index, entry, first, end - 1) {
			struct page *page = ovc_slot_page(entry);

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
			if (!page)
				continue;
			batch[n++] = page;
			if (n == OVC_DROP_BATCH) {
				next = index + 1;
				break;
			}
		}
		mutex_unlock(&vm->lock);
		ovc_vm_ballooned_add(vm, ballooned);
		if (!n)
			break;
		atomic_long_sub(n, &vm->resident);
		atomic_long_sub(n, &ovc_pages_resident);

		unmap_mapping_pages(mapping, first, next - first, false);
		for (i = 0; i < n; i++) {
			struct page *page = batch[i];

			/* Wait for a racing fault that may have mapped it. */
			lock_page(page);
			if (page_mapped(page))
				unmap_mapping_pages(mapping, page->index, 1,
						    false);
			unlock_page(page);
			put_page(page);
		}
	}
}

/**
 * ovc_vm_destroy() - free a VM whose inode is being evicted
 * @vm:	the VM; no mapping of it can exist any more
 *
 * Frees every page, removes the sysfs directory and drops the last
 * reference, which frees @vm.
 *
 * Context: process context, may sleep.
 */
void ovc_vm_destroy(struct ovc_vm *vm)
{
	ovc_vm_drop_range(vm, 0, ULONG_MAX, false);
	WARN_ON_ONCE(atomic_long_read(&vm->resident));
	WARN_ON_ONCE(atomic_long_read(&vm->ballooned));
	xa_destroy(&vm->slots);

	mutex_lock(&ovc_vms_lock);
	list_del(&vm->node);
	ovc_nr_vms--;
	mutex_unlock(&ovc_vms_lock);

	ovc_sysfs_del_vm(vm);
}

/* Return: whether @index lies inside the file. */
static bool ovc_vm_index_valid(struct ovc_vm *vm, pgoff_t index)
{
	return index < ovc_size_to_pages(i_size_read(vm->inode));
}

/**
 * ovc_vm_get_page() - the private page of a slot, allocated if empty
 * @vm:		the VM
 * @index:	the slot
 * @extend:	allow @index past the end of the file (write() that extends
 *		it, with i_rwsem held); else such an index is refused
 *
 * A new page is zero-filled.  The allocation happens before vm->lock is
 * taken, so a racing fault on the same slot may win; the loser's page is
 * freed.
 *
 * Context: process context, may sleep.
 * Return: the page with a reference the caller must put, or ERR_PTR:
 * -EFAULT if @index is past the end of the file, -ENOMEM.
 */
struct page *ovc_vm_get_page(struct ovc_vm *vm, pgoff_t index, bool extend)
{
	struct page *page, *new;
	void *old, *entry;

	rcu_read_lock();
	page = ovc_slot_page(xa_load(&vm->slots, index));
	if (page && !get_page_unless_zero(page))
		page = NULL;
	rcu_read_unlock();
	if (page)
		return page;

	new = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	if (!new)
		return ERR_PTR(-ENOMEM);
	new->index = index;

	mutex_lock(&vm->lock);
	if (!extend && !ovc_vm_index_valid(vm, index)) {
		page = ERR_PTR(-EFAULT);
		goto out_unlock;
	}
	entry = xa_load(&vm->slots, index);
	page = ovc_slot_page(entry);
	if (page) {
		get_page(page);
		goto out_unlock;
	}
	old = xa_store(&vm->slots, index, ovc_slot_mk_private(new),
		       GFP_KERNEL);
	if (xa_is_err(old)) {
		page = ERR_PTR(xa_err(old));
		goto out_unlock;
	}
	if (ovc_slot_kind(entry) == OVC_SLOT_BALLOONED)
		ovc_vm_ballooned_add(vm, -1);	/* deflated: touched again */
	atomic_long_inc(&vm->resident);
	atomic_long_inc(&ovc_pages_resident);
	page = new;
	new = NULL;
	get_page(page);
out_unlock:
	mutex_unlock(&vm->lock);
	if (new)
		__free_page(new);
	return page;
}

static vm_fault_t ovc_vm_fault(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page;

	if (!ovc_vm_index_valid(vm, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	page = ovc_vm_get_page(vm, vmf->pgoff, false);
	if (IS_ERR(page))
		return PTR_ERR(page) == -ENOMEM ? VM_FAULT_OOM :
						 VM_FAULT_SIGBUS;

	/* See vm.h: the PTE is installed with the page locked. */
	lock_page(page);
	if (ovc_slot_page(xa_load(&vm->slots, vmf->pgoff)) != page) {
		unlock_page(page);
		put_page(page);
		return VM_FAULT_NOPAGE;		/* slot changed: retry */
	}
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * A write to a page mapped read-only.  Our pages have no page->mapping, so
 * the page must come back locked (do_page_mkwrite() would otherwise take it
 * for truncated and retry forever).  Copy-on-write of shared pages hooks in
 * here.
 */
static vm_fault_t ovc_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page = vmf->page;

	lock_page(page);
	if (ovc_slot_page(xa_load(&vm->slots, vmf->pgoff)) != page ||
	    !ovc_vm_index_valid(vm, vmf->pgoff)) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	return VM_FAULT_LOCKED;
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

/* Zero @len bytes at @off of page @index, if that page is resident. */
static void ovc_vm_zero_partial(struct ovc_vm *vm, pgoff_t index,
				unsigned int off, unsigned int len)
{
	struct page *page;

	rcu_read_lock();
	page = ovc_slot_page(xa_load(&vm->slots, index));
	if (page && !get_page_unless_zero(page))
		page = NULL;
	rcu_read_unlock();
	if (!page)
		return;
	memzero_page(page, off, len);
	put_page(page);
}

/**
 * ovc_vm_punch() - free the pages of a byte range (fallocate PUNCH_HOLE)
 * @vm:		the VM; the caller holds the inode's i_rwsem
 * @offset:	first byte
 * @len:	length in bytes
 *
 * Whole pages are freed and later read as zero; the bytes of partially
 * covered pages are zeroed in place.  Bytes past the end of the file are
 * ignored, as the file size does not change.
 *
 * Return: 0, or -EINVAL for a bad range.
 */
int ovc_vm_punch(struct ovc_vm *vm, loff_t offset, loff_t len)
{
	struct ovc_punch p;
	int err;

	err = ovc_punch_range(offset, len, &p);
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
	ovc_vm_drop_range(vm, ovc_size_to_pages(newsize), ULONG_MAX, false);
	/* A target larger than the VM makes no sense any more. */
	if (READ_ONCE(vm->balloon_target) > ovc_size_to_pages(newsize))
		ovc_vm_set_balloon_target(vm, ovc_size_to_pages(newsize));
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

		n = min(n, iov_iter_count(to));
		rcu_read_lock();
		page = ovc_slot_page(xa_load(&vm->slots, pos >> PAGE_SHIFT));
		if (page && !get_page_unless_zero(page))
			page = NULL;
		rcu_read_unlock();
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

		page = ovc_vm_get_page(vm, pos >> PAGE_SHIFT, true);
		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			break;
		}
		copied = copy_page_from_iter(page, off, n, from);
		put_page(page);
		done += copied;
		pos += copied;
		if (copied < n) {
			err = -EFAULT;
			break;
		}
		cond_resched();
	}
	if (pos > i_size_read(vm->inode))
		i_size_write(vm->inode, pos);
	if (err)	/* a page allocated past the end may be left */
		ovc_vm_drop_range(vm, ovc_size_to_pages(i_size_read(vm->inode)),
				  ULONG_MAX, false);
	iocb->ki_pos = pos;
	return done ? done : err;
}

/**
 * ovc_vm_fill_info() - fill the output fields of struct ovc_vm_info
 * @vm:		the VM
 * @info:	checked by ovc_vm_info_check(); reserved fields stay zero
 */
void ovc_vm_fill_info(struct ovc_vm *vm, struct ovc_vm_info *info)
{
	info->api_version = OVC_API_VERSION;
	info->id = vm->id;
	info->size_pages = ovc_size_to_pages(i_size_read(vm->inode));
	info->resident_pages = atomic_long_read(&vm->resident);
	info->owner_uid = from_kuid_munged(current_user_ns(), vm->inode->i_uid);
	info->owner_pid = READ_ONCE(vm->owner_pid);
	info->balloon_target_pages = READ_ONCE(vm->balloon_target);
	info->balloon_actual_pages = READ_ONCE(vm->balloon_actual);
	info->balloon_pages = atomic_long_read(&vm->ballooned);
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
	if (pages > ovc_size_to_pages(i_size_read(vm->inode)))
		return -ERANGE;
	if (xchg(&vm->balloon_target, pages) != pages)
		ovc_sysfs_notify_target(vm);
	return 0;
}

/**
 * ovc_vm_guest_report() - record what ovcd learnt from QEMU
 * @vm:		the VM
 * @r:		checked by ovc_guest_report_check(); OVC_UNKNOWN fields are
 *		left as they were
 *
 * Return: 0, or -ERANGE if a size exceeds the VM's size or free memory
 * exceeds total memory; nothing is recorded then.
 */
int ovc_vm_guest_report(struct ovc_vm *vm, const struct ovc_guest_report *r)
{
	u64 size = ovc_size_to_pages(i_size_read(vm->inode));
	u64 total = r->guest_total_pages;

	if (r->balloon_actual_pages != OVC_UNKNOWN &&
	    r->balloon_actual_pages > size)
		return -ERANGE;
	if (total != OVC_UNKNOWN && total > size)
		return -ERANGE;
	if (total == OVC_UNKNOWN)
		total = READ_ONCE(vm->guest_total);
	if (r->guest_free_pages != OVC_UNKNOWN &&
	    r->guest_free_pages > (total ? total : size))
		return -ERANGE;

	if (r->balloon_actual_pages != OVC_UNKNOWN)
		WRITE_ONCE(vm->balloon_actual, r->balloon_actual_pages);
	if (r->guest_total_pages != OVC_UNKNOWN)
		WRITE_ONCE(vm->guest_total, r->guest_total_pages);
	if (r->guest_free_pages != OVC_UNKNOWN)
		WRITE_ONCE(vm->guest_free, r->guest_free_pages);
	return 0;
}
