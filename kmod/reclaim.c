// SPDX-License-Identifier: GPL-2.0
/*
 * ovc reclaim: choosing a VM's pages and storing them (reclaim.h has the
 * design), the shrinker, and the administrator's vms/<id>/reclaim.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/shrinker.h>

#include "range.h"
#include "reclaim.h"
#include "slot.h"
#include "store.h"
#include "vm.h"

bool ovc_reclaim_shrink = true;

/*
 * Keeps the VMs ovc_reclaim_request() and the shrinker work on alive:
 * ovc_vm_ops.destroy takes it (ovc_reclaim_forget_vm()).  The shrinker
 * waits for it (a reclaimer that only tried it would make no progress
 * while another one stores, and the OOM killer would run), so nothing
 * under it may wait for a lock an allocation can hold: below it, page
 * locks and vm->lock are only tried, and no allocation enters direct
 * reclaim (store.h).
 */
static DEFINE_MUTEX(ovc_reclaim_mutex);

/*
 * Store the private page of slot @index of @vm.
 * Return: 0, -EAGAIN or -EBUSY (not now: changed, locked, pinned),
 * -E2BIG (does not compress), -ENOSPC or -ENOMEM (the store is full).
 */
static int ovc_reclaim_slot(struct ovc_vm *vm, pgoff_t index, bool nowait)
{
	unsigned long handle;
	struct page *page;
	void *entry;
	int err;

	err = ovc_store_room();	/* before a page is unmapped for nothing */
	if (err)
		return err;
	page = ovc_slot_get(vm, index, &entry);
	if (!page)
		return -EAGAIN;
	if (!ovc_slot_page(entry)) {
		put_page(page);
		return -EAGAIN;
	}
	err = ovc_slot_isolate(vm, index, page, nowait);
	if (err)
		goto out_put;
	err = ovc_store_page(page, &handle);
	if (err)
		goto out_unlock;
	err = ovc_slot_store(vm, index, page, handle, nowait);
	if (err)
		ovc_store_free(handle);
	else
		put_page(page);		/* the slot's reference */
out_unlock:
	unlock_page(page);
out_put:
	put_page(page);
	return err;
}

/* Consecutive failures (mostly pages that do not compress) that end a call. */
#define OVC_RECLAIM_MAX_FAILS	256

/**
 * ovc_reclaim_vm() - store up to @nr private pages of a VM
 * @vm:		the VM, kept alive by the caller
 * @nr:		how many
 * @nowait:	reclaim context: only trylocks (see ovc_slot_store())
 *
 * The walk starts at a random slot and goes once around the VM: first
 * over the slots idle sampling marked (sampled, not touched since), then
 * over every private slot, so each page is tried at most twice a call and
 * no guest access pattern steers the choice.  It ends early after
 * OVC_RECLAIM_MAX_FAILS failures in a row (pinned, racing, or mostly:
 * pages that do not compress, which stay until the swap store exists), or
 * at once when the store is full (counted in the VM's store_errors).
 *
 * Context: process context, may sleep unless @nowait.
 * Return: pages stored.
 */
unsigned long ovc_reclaim_vm(struct ovc_vm *vm, unsigned long nr,
			     bool nowait)
{
	unsigned long pages = ovc_range_pages(i_size_read(vm->inode));
	unsigned long done = 0, fails = 0, start, index, max;
	bool wrapped;
	void *entry;
	int pass, err;

	if (!pages || !nr)
		return 0;
	start = get_random_long() % pages;
	for (pass = 0; pass < 2; pass++) {
		index = start;
		wrapped = false;
		max = pages - 1;
		while (done < nr && fails < OVC_RECLAIM_MAX_FAILS) {
			entry = xa_find(&vm->slots, &index, max,
					pass ? XA_PRESENT : OVC_SLOT_SAMPLED);
			if (entry && ovc_slot_page(entry)) {
				err = ovc_reclaim_slot(vm, index, nowait);
				if (err == -ENOSPC || err == -ENOMEM) {
					atomic_long_inc(&vm->store_errors);
					return done;
				}
				if (err) {
					fails++;
				} else {
					done++;
					fails = 0;
				}
			}
			if (entry && index++ < max) {
				cond_resched();
				continue;
			}
			/* The end of [start, pages) or of [0, start). */
			if (wrapped || !start)
				break;
			wrapped = true;
			index = 0;
			max = start - 1;
		}
	}
	return done;
}

/**
 * ovc_reclaim_request() - vms/<id>/reclaim: store @nr pages of @vm now
 * @vm:		the VM of a sysfs file (valid, maybe being destroyed)
 * @nr:		pages
 *
 * Page locks and vm->lock are only tried (see ovc_reclaim_mutex): a page
 * that is busy now is not stored.
 *
 * Return: 0 if @nr pages were stored, -EAGAIN if fewer were (as
 * memory.reclaim), -ENOENT if @vm is being destroyed, -EINTR if a signal
 * came first.
 */
int ovc_reclaim_request(struct ovc_vm *vm, unsigned long nr)
{
	unsigned long done = 0;

	if (mutex_lock_killable(&ovc_reclaim_mutex))
		return -EINTR;
	if (ovc_vm_find(vm->id) != vm) {	/* off ovc_vms: destroyed */
		mutex_unlock(&ovc_reclaim_mutex);
		return -ENOENT;
	}
	while (done < nr && !fatal_signal_pending(current)) {
		unsigned long n = min(nr - done, 1024UL), got;

		got = ovc_reclaim_vm(vm, n, true);
		done += got;
		if (got < n)
			break;
	}
	mutex_unlock(&ovc_reclaim_mutex);
	return done < nr ? -EAGAIN : 0;
}

/* What the shrinker could store: the VMs' private pages. */
static unsigned long ovc_reclaim_count(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	long n = atomic_long_read(&ovc_pages_resident);

	if (!READ_ONCE(ovc_reclaim_shrink))
		return 0;
	return n > 0 ? n : SHRINK_EMPTY;
}

/*
 * Host memory pressure: store sc->nr_to_scan pages, from the VMs over
 * their targets first (as much as each is over), then from every VM in
 * turn.  Reclaim may run inside any allocation, ours included: page locks
 * and vm->lock are only tried, the store allocates without direct
 * reclaim, and ovc_reclaim_mutex is never held across anything that
 * allocates (see there).
 */
static unsigned long ovc_reclaim_scan(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long want = sc->nr_to_scan, done = 0;
	struct ovc_vm *vm;
	int pass;
	u64 id;

	if (!READ_ONCE(ovc_reclaim_shrink))
		return SHRINK_STOP;
	mutex_lock(&ovc_reclaim_mutex);
	for (pass = 0; pass < 2 && done < want; pass++) {
		for (id = 0; done < want && (vm = ovc_vm_find(id)); id = vm->id + 1) {
			unsigned long nr = want - done;
			long over = atomic_long_read(&vm->resident) -
				    READ_ONCE(vm->target_pages);

			if (!pass) {
				if (READ_ONCE(vm->target_pages) == ULONG_MAX ||
				    over <= 0)
					continue;
				nr = min_t(unsigned long, nr, over);
			}
			done += ovc_reclaim_vm(vm, nr, true);
		}
	}
	mutex_unlock(&ovc_reclaim_mutex);
	sc->nr_scanned = done;
	return done ?: SHRINK_STOP;
}

static struct shrinker ovc_reclaim_shrinker = {
	.count_objects	= ovc_reclaim_count,
	.scan_objects	= ovc_reclaim_scan,
	.seeks		= DEFAULT_SEEKS,
};

/*
 * ovc_vm_ops.destroy: @vm is off ovc_vms, so no later request or scan
 * finds it; wait for one that may still use it.
 */
static void ovc_reclaim_forget_vm(struct ovc_vm *vm)
{
	mutex_lock(&ovc_reclaim_mutex);
	mutex_unlock(&ovc_reclaim_mutex);
}

static struct ovc_vm_ops ovc_reclaim_vm_ops = {
	.destroy	= ovc_reclaim_forget_vm,
};

/**
 * ovc_reclaim_init() - the compressed cache and the shrinker
 *
 * Return: 0, or the error of ovc_store_init() or register_shrinker().
 */
int ovc_reclaim_init(void)
{
	int err;

	err = ovc_store_init();
	if (err)
		return err;
	err = register_shrinker(&ovc_reclaim_shrinker, "ovc");
	if (err) {
		ovc_store_exit();
		return err;
	}
	ovc_vm_register_ops(&ovc_reclaim_vm_ops);
	return 0;
}

/* ovc_reclaim_exit() - no VM is left */
void ovc_reclaim_exit(void)
{
	ovc_vm_unregister_ops(&ovc_reclaim_vm_ops);
	unregister_shrinker(&ovc_reclaim_shrinker);
	ovc_store_exit();
}
