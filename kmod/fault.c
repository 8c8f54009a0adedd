// SPDX-License-Identifier: GPL-2.0
/*
 * ovc faults: mmap of a VM file, the fault handler that maps a slot's page
 * and page_mkwrite, which makes a private page writable or breaks
 * copy-on-write of a shared one.  See vm.h for the page-lock protocol.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "balance.h"
#include "compat.h"
#include "fault.h"
#include "reclaim.h"
#include "sample.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

/*
 * Lock @page for a fault, as the fault asks: without waiting
 * (FAULT_FLAG_RETRY_NOWAIT, KVM's async page faults: VM_FAULT_RETRY, the
 * mmap lock still held), or killably (FAULT_FLAG_KILLABLE: a task being
 * killed returns to die, VM_FAULT_NOPAGE; GUP sees the fatal signal and
 * stops), or not at all interruptibly.
 * Return: true with @page locked, else false and *@ret set.
 */
static bool ovc_fault_lock_page(struct vm_fault *vmf, struct page *page,
				vm_fault_t *ret)
{
	if (trylock_page(page))
		return true;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
		*ret = VM_FAULT_RETRY;
		return false;
	}
	if (vmf->flags & FAULT_FLAG_KILLABLE) {
		if (!lock_page_killable(page))
			return true;
		*ret = VM_FAULT_NOPAGE;
		return false;
	}
	lock_page(page);
	return true;
}

/* The fault code of a slot operation's error (0: retry the access). */
static vm_fault_t ovc_fault_error(int err)
{
	switch (err) {
	case 0:
		return VM_FAULT_NOPAGE;
	case -ENOMEM:
		return VM_FAULT_OOM;
	case -EIO:
		return VM_FAULT_HWPOISON;
	case -EAGAIN:	/* would wait, under FAULT_FLAG_RETRY_NOWAIT */
		return VM_FAULT_RETRY;
	case -EINTR:	/* killed while waiting: return to die */
		return VM_FAULT_NOPAGE;
	default:	/* -ENOSPC (size=), -EFAULT (past the end) */
		return VM_FAULT_SIGBUS;
	}
}

/*
 * The page of slot @vmf->pgoff had a memory error; it is locked and
 * referenced.  memory_failure() could not unmap it (it has no mapping and
 * is not on the LRU), so this does, from every mapping of the VM: each
 * access faults here from now on.  Returning the page would oops in 6.1's
 * __do_fault(), which unmaps a poisoned page through its NULL mapping.
 * A zero frame's bytes are known: the slot gets a fresh zero page and a
 * new zero frame replaces the poisoned one.  Any other page's bytes are
 * lost: SIGBUS (BUS_MCEERR_AR; KVM passes it to QEMU, which injects a
 * machine check into the guest), until a punch or truncate frees it.
 */
static vm_fault_t ovc_fault_poisoned(struct ovc_vm *vm, struct vm_fault *vmf,
				     struct page *page, struct ovc_frame *frame)
{
	int err;

	unmap_mapping_pages(vm->inode->i_mapping, vmf->pgoff, 1, false);
	if (frame && frame->zero) {
		err = ovc_slot_cow_locked(vm, vmf->pgoff, frame, vmf);
		put_page(page);
		ovc_share_zero_poisoned(vm, frame);
		return ovc_fault_error(err);
	}
	if (frame)
		ovc_frame_poisoned(frame);
	unlock_page(page);
	put_page(page);
	return VM_FAULT_HWPOISON;
}

/*
 * The page of slot @vmf->pgoff for a fault.  A write fault on a slot
 * without memory allocates a page: in the low state an over-target VM
 * first waits for the rebalancer (ovc_balance_fault_wait()).  A read fault
 * maps the zero frame, which allocates nothing.
 * Return: as ovc_slot_get_page(), or ERR_PTR(-EAGAIN) or ERR_PTR(-EINTR).
 */
static struct page *ovc_fault_get_page(struct ovc_vm *vm,
				       struct vm_fault *vmf)
{
	struct page *page;
	int err;

	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return ovc_slot_get_page(vm, vmf->pgoff, OVC_GET_READ, vmf);
	page = ovc_slot_get_page(vm, vmf->pgoff, OVC_GET_NOALLOC, vmf);
	if (page)
		return page;
	err = ovc_balance_fault_wait(vm, vmf);
	if (err)
		return ERR_PTR(err);
	return ovc_slot_get_page(vm, vmf->pgoff, 0, vmf);
}

static vm_fault_t ovc_fault_fault(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct ovc_frame *frame;
	struct page *page;
	vm_fault_t ret;
	void *entry;
	bool same;

	if (!ovc_vm_index_valid(vm, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	page = ovc_fault_get_page(vm, vmf);
	if (IS_ERR(page))
		return ovc_fault_error(PTR_ERR(page));

	/* See vm.h: the PTE is installed with the page locked. */
	if (!ovc_fault_lock_page(vmf, page, &ret)) {
		put_page(page);
		return ret;
	}
	rcu_read_lock();
	entry = xa_load(&vm->slots, vmf->pgoff);
	same = ovc_slot_entry_page(entry) == page;
	/* With the page locked, a slot on a frame keeps the frame alive. */
	frame = ovc_slot_frame(entry);
	rcu_read_unlock();
	if (!same) {
		unlock_page(page);
		put_page(page);
		return VM_FAULT_NOPAGE;		/* slot changed: retry */
	}
	if (unlikely(PageHWPoison(page)))
		return ovc_fault_poisoned(vm, vmf, page, frame);
	ovc_sample_fault(vm, vmf->pgoff);	/* idle sampling: touched */
	percpu_counter_inc(&vm->faults);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * A write to a page mapped read-only.  A private page is made writable:
 * it must come back locked, as our pages have no page->mapping and
 * do_page_mkwrite() would otherwise take it for truncated and retry
 * forever.  A shared frame's page is never made writable: copy-on-write
 * replaces the slot, unmaps it and the write is retried.  A copy is a new
 * page: in the low state an over-target VM first waits for the rebalancer,
 * before the page lock is taken (not under FAULT_FLAG_RETRY_NOWAIT, where
 * do_page_mkwrite() has no VM_FAULT_RETRY to give back).
 */
static vm_fault_t ovc_fault_page_mkwrite(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page = vmf->page;
	struct ovc_frame *frame;
	bool ours, zero;
	vm_fault_t ret;
	void *entry;
	int err;

	if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
		rcu_read_lock();
		ours = ovc_slot_frame(xa_load(&vm->slots, vmf->pgoff));
		rcu_read_unlock();
		err = ours ? ovc_balance_fault_wait(vm, vmf) : 0;
		if (err)
			return ovc_fault_error(err);
	}
	/* A retry from do_page_mkwrite() would take our page for truncated. */
	if (!ovc_fault_lock_page(vmf, page, &ret))
		return VM_FAULT_NOPAGE;
	entry = xa_load(&vm->slots, vmf->pgoff);
	if (ovc_slot_page(entry) == page &&
	    ovc_vm_index_valid(vm, vmf->pgoff)) {
		if (likely(!PageHWPoison(page))) {
			ovc_sample_fault(vm, vmf->pgoff);
			return VM_FAULT_LOCKED;
		}
		unmap_mapping_pages(vm->inode->i_mapping, vmf->pgoff, 1,
				    false);
		unlock_page(page);
		return VM_FAULT_HWPOISON;
	}
	/* As in ovc_slot_unshare(). */
	rcu_read_lock();
	frame = ovc_slot_frame(xa_load(&vm->slots, vmf->pgoff));
	ours = frame && frame->page == page;
	rcu_read_unlock();
	if (!ours) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	zero = frame->zero;	/* a non-zero frame may be gone after the COW */
	err = ovc_slot_cow_locked(vm, vmf->pgoff, frame, vmf);
	if (zero && unlikely(PageHWPoison(page)))
		ovc_share_zero_poisoned(vm, frame);	/* zero frames live on */
	return ovc_fault_error(err);
}

static const struct vm_operations_struct ovc_fault_vm_ops = {
	.fault		= ovc_fault_fault,
	.page_mkwrite	= ovc_fault_page_mkwrite,
};

/**
 * ovc_fault_mmap() - map a VM's RAM
 * @vm:		the VM
 * @vma:	the new mapping
 *
 * Only shared mappings: a private mapping would give the process
 * anonymous copies that the module neither sees nor controls.  Guest RAM
 * is never executed by the host; refusing exec also keeps khugepaged
 * (READ_ONLY_THP_FOR_FS, MADV_COLLAPSE) from trying to read these files
 * through the page cache, which they do not use.
 *
 * VM_DONTEXPAND (a mapping of guest RAM never grows through mremap; it
 * may move) makes the core mm treat the mapping as special for mlock:
 * mlock and mlockall (QEMU's -overcommit mem-lock=on, libvirt's <locked/>)
 * leave it alone.  The core mm never reclaims ovc pages anyway (they are
 * not on the LRU), and otherwise every zap of an mlocked PTE parks a page
 * reference in a per-CPU mlock batch until that batch fills, so the
 * scanner would find the page in use and not merge it.
 *
 * Return: 0, -EINVAL for a private mapping, -EPERM for an executable one.
 */
int ovc_fault_mmap(struct ovc_vm *vm, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	ovc_vma_clear_flags(vma, VM_MAYEXEC);
	ovc_vma_set_flags(vma, VM_DONTEXPAND);
	vma->vm_ops = &ovc_fault_vm_ops;
	WRITE_ONCE(vm->owner_pid, task_tgid_nr(current));
	ovc_vm_set_memcg(vm);
	ovc_reclaim_track_vm(vm);
	return 0;
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/fault_kunit.h"
#endif
