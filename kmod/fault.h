/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc faults (fault.c): mmap of a VM file and its vm_operations.
 */
#ifndef _OVC_FAULT_H
#define _OVC_FAULT_H

struct ovc_vm;
struct vm_area_struct;

int ovc_fault_mmap(struct ovc_vm *vm, struct vm_area_struct *vma);

#endif /* _OVC_FAULT_H */
