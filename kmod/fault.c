// SPDX-License-Identifier: GPL-2.0
/*
 * ovc faults: mmap of a VM file, the fault handler that maps a slot's page
 * and page_mkwrite, which makes a private page writable or breaks
 * copy-on-write of a shared one.  See vm.h for the page-lock protocol.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "compat.h"
#include "fault.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

static vm_fault_t ovc_fault_fault(struct vm_fault *vmf)
{
	struct ovc_vm *vm = file_inode(vmf->vma->vm_file)->i_private;
	struct page *page;
	bool same;

	if (!ovc_vm_index_valid(vm, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	page = ovc_slot_get_page(vm, vmf->pgoff, 0);
	if (IS_ERR(page))
		return PTR_ERR(page) == -ENOMEM ? VM_FAULT_OOM :
						 VM_FAULT_SIGBUS;

	/* See vm.h: the PTE is installed with the page locked. */
	lock_page(page);
	rcu_read_lock();
	same = ovc_slot_entry_page(xa_load(&vm->slots, vmf->pgoff)) == page;
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
static vm_fault_t ovc_fault_page_mkwrite(struct vm_fault *vmf)
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
	/* As in ovc_slot_unshare(). */
	rcu_read_lock();
	frame = ovc_slot_frame(xa_load(&vm->slots, vmf->pgoff));
	ours = frame && frame->page == page;
	rcu_read_unlock();
	if (ours)
		return ovc_slot_cow_locked(vm, vmf->pgoff, frame) ?
			VM_FAULT_OOM : VM_FAULT_NOPAGE;
	unlock_page(page);
	return VM_FAULT_NOPAGE;
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
 * Return: 0, -EINVAL for a private mapping, -EPERM for an executable one.
 */
int ovc_fault_mmap(struct ovc_vm *vm, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	ovc_vma_clear_flags(vma, VM_MAYEXEC);
	vma->vm_ops = &ovc_fault_vm_ops;
	WRITE_ONCE(vm->owner_pid, task_tgid_nr(current));
	return 0;
}
