// SPDX-License-Identifier: GPL-2.0
/*
 * ovc balloon: the balloon target the host asks of a VM, and what ovcd
 * reports of the guest (balloon size, free and total memory).
 */
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/ovc.h>

#include "balloon.h"
#include "range.h"
#include "vm.h"

/**
 * ovc_balloon_set_target() - set the balloon size the host asks for
 * @vm:		the VM
 * @pages:	target in pages, at most the VM's size
 *
 * Wakes pollers of vms/<id>/balloon_target_pages (ovcd) on a change.  A
 * larger target starts an inflation: ovc_balloon_inflating() holds from
 * now, before the first report of a larger balloon.
 *
 * Return: 0, or -ERANGE if @pages exceeds the VM's size.
 */
int ovc_balloon_set_target(struct ovc_vm *vm, u64 pages)
{
	u64 old;

	if (pages > ovc_range_pages(i_size_read(vm->inode)))
		return -ERANGE;
	old = xchg(&vm->balloon_target, pages);
	if (old == pages)
		return 0;
	if (pages > old)
		WRITE_ONCE(vm->balloon_grew, jiffies);
	ovc_vm_target_changed(vm);
	return 0;
}

/**
 * ovc_balloon_guest_report() - record what ovcd learnt from QEMU
 * @vm:		the VM
 * @r:		checked by ovc_uarg_guest_report(); OVC_UNKNOWN fields are
 *		left as they were
 *
 * Return: 0, or -ERANGE if a size exceeds the VM's size or the report
 * would leave free memory above total memory; nothing is recorded then.
 */
int ovc_balloon_guest_report(struct ovc_vm *vm, const struct ovc_guest_report *r)
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
	if (actual != OVC_UNKNOWN) {
		if (actual > vm->balloon_actual)
			WRITE_ONCE(vm->balloon_grew, jiffies);
		WRITE_ONCE(vm->balloon_actual, actual);
	}
	WRITE_ONCE(vm->guest_free, free);
	WRITE_ONCE(vm->guest_total, total);
	err = 0;
out:
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * ovc_balloon_inflating() - is @vm's guest giving memory back right now?
 * @vm:		the VM
 *
 * True when its balloon is short of its target and, within
 * OVC_BALLOON_GREW_MS, ovcd reported it larger or the target was raised.
 * The guest's balloon driver writes the pages it takes (init_on_alloc
 * zeroes them), which faults in the slots an earlier balloon left empty:
 * braking those faults would stall the very inflation that brings the VM
 * down to its target, from its first page on.
 *
 * Context: any; lockless (READ_ONCE of what a report wrote).
 * Return: true if the balloon inflates.
 */
bool ovc_balloon_inflating(struct ovc_vm *vm)
{
	unsigned long grew = READ_ONCE(vm->balloon_grew);
	u64 actual = READ_ONCE(vm->balloon_actual);

	return actual < READ_ONCE(vm->balloon_target) &&
	       time_in_range(jiffies, grew,
			     grew + msecs_to_jiffies(OVC_BALLOON_GREW_MS));
}
