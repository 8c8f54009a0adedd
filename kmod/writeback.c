// SPDX-License-Identifier: GPL-2.0
/*
 * ovc writeback: the oldest compressed pages to the swap store when the
 * compressed cache is full (writeback.h has the design).  Modelled on
 * mm/zswap.c's shrink worker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "slot.h"
#include "store.h"
#include "swap.h"
#include "vm.h"
#include "writeback.h"

/*
 * Held across the move of one page (ovc_writeback_one()); the destroy
 * callback takes it, so a VM found while it is held stays alive.
 */
static DEFINE_MUTEX(ovc_writeback_mutex);
static struct workqueue_struct *ovc_writeback_wq;
static struct work_struct ovc_writeback_work;

/* Whether the pool is above the share of its bound the work stops at. */
static bool ovc_writeback_wanted(void)
{
	return ovc_swap_attached() &&
	       ovc_store_pool_pages() >
	       ovc_store_max_pages() / 100 * OVC_WRITEBACK_LOW_PERCENT;
}

/**
 * ovc_writeback_kick() - the compressed cache is full: make room
 *
 * Does nothing without a swap store.
 * Context: any (reclaim too): queues the work.
 */
void ovc_writeback_kick(void)
{
	if (ovc_swap_attached() && ovc_writeback_wq)
		queue_work(ovc_writeback_wq, &ovc_writeback_work);
}

/*
 * A page the writeback could not write: it stays compressed; counted in
 * store_errors (the swap file already logged the error).
 */
static void ovc_writeback_error(struct ovc_vm *vm)
{
	atomic_long_inc(&vm->store_errors);
	atomic_long_inc(&ovc_store_stats.errors);
}

/*
 * Move the oldest object of age *@seq or younger to the swap store, with
 * @buf as the page in between; *@seq is moved past it, whether it went or
 * cannot go now (read back or punched meanwhile, its VM being destroyed,
 * or not decompressing).
 * Return: 0 (one moved or passed over), -ENOENT (none left), -ENOSPC or
 * -ENODEV (the swap store is full or gone), or the swap file's error.
 */
static int ovc_writeback_one(u64 *seq, struct page *buf)
{
	unsigned long handle, slot;
	bool moved = false;
	struct ovc_vm *vm;
	pgoff_t index;
	int err;
	u64 id;

	err = ovc_store_oldest(seq, &id, &index, &handle);
	if (err)
		return err;
	/*
	 * A swap slot is taken only for a VM found under the mutex, and
	 * given back before it is dropped: once the destroy callback has
	 * passed it, no slot is held for the VM (so an emptied store can be
	 * detached as soon as the VM is gone).
	 */
	mutex_lock(&ovc_writeback_mutex);
	vm = ovc_vm_find(id);
	if (!vm || vm->id != id)	/* being destroyed: its objects go */
		goto out;
	if (ovc_slot_copy_out(vm, index, handle, *seq, buf))
		goto out;
	err = ovc_swap_alloc(&slot, false);
	if (err)
		goto out;
	err = ovc_swap_write(buf, slot);
	if (err)
		ovc_writeback_error(vm);
	else
		moved = !ovc_slot_write_back(vm, index, handle, *seq, slot);
	if (moved)
		atomic_long_inc(&ovc_store_stats.written_back);
	else
		ovc_swap_free(slot);
out:
	mutex_unlock(&ovc_writeback_mutex);
	(*seq)++;
	return err;
}

/* The work compacts the pool after this many pages (and at the end). */
#define OVC_WRITEBACK_BATCH	512

/*
 * The work: from the oldest object on, while the pool is above its low
 * mark; stops at the first swap store error.  The objects it frees leave
 * holes in the pool's pages, so it compacts the pool now and then rather
 * than move far more than the pool is over.
 */
static void ovc_writeback_fn(struct work_struct *work)
{
	unsigned int n = 0;
	struct page *buf;
	u64 seq = 0;

	if (!ovc_writeback_wanted())
		return;
	buf = alloc_page(GFP_KERNEL);
	if (!buf)
		return;
	while (ovc_writeback_wanted() && !ovc_writeback_one(&seq, buf)) {
		if (++n % OVC_WRITEBACK_BATCH == 0)
			ovc_store_compact();
		cond_resched();
	}
	if (n)
		ovc_store_compact();
	__free_page(buf);
}

/* ovc_vm_ops.destroy: @vm is off ovc_vms; wait for a move using it. */
static void ovc_writeback_forget_vm(struct ovc_vm *vm)
{
	mutex_lock(&ovc_writeback_mutex);
	mutex_unlock(&ovc_writeback_mutex);
}

static struct ovc_vm_ops ovc_writeback_vm_ops = {
	.destroy	= ovc_writeback_forget_vm,
};

/* Return: 0, or -ENOMEM (no workqueue). */
int ovc_writeback_init(void)
{
	INIT_WORK(&ovc_writeback_work, ovc_writeback_fn);
	ovc_writeback_wq = alloc_workqueue("ovc_writeback",
					   WQ_UNBOUND | WQ_MEM_RECLAIM, 1);
	if (!ovc_writeback_wq)
		return -ENOMEM;
	ovc_vm_register_ops(&ovc_writeback_vm_ops);
	return 0;
}

/* No VM is left, so nothing kicks the work any more. */
void ovc_writeback_exit(void)
{
	ovc_vm_unregister_ops(&ovc_writeback_vm_ops);
	destroy_workqueue(ovc_writeback_wq);
	ovc_writeback_wq = NULL;
}
