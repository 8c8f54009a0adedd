// SPDX-License-Identifier: GPL-2.0
/*
 * ovc_scand: the page-sharing scanner.
 *
 * Walks the private pages of all VMs round-robin, pages_to_scan per pass
 * and sleep_millisecs between passes (KSM's knobs, same meaning).  For
 * each page: a zero page joins the zero frame; else its jhash2 is compared
 * with the hash of its previous scan (changed: volatile, skipped this
 * round), then looked up among shared frames and hints of its domain.
 * See share.h for frames and hints, merge.c for the transitions.
 *
 * Nothing here runs under a lock a fault of another VM needs: hashing and
 * comparing happen with at most the candidate pages' own locks held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "merge.h"
#include "scan.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

/*
 * Serialises the scanner's passes, rmap records (vm->rmap and the hint
 * table membership), sharing domains and run=2 / zero_only unmerging.
 */
DEFINE_MUTEX(ovc_scan_mutex);

struct ovc_scan_knobs ovc_scan_knobs = {
	.run		= OVC_SCAN_STOP,
	.pages_to_scan	= 100,
	.sleep_millisecs = 20,
	.zero_only	= 0,
};
struct ovc_scan_stats ovc_scan_stats;

static struct task_struct *ovc_scand;
/* struct ovc_rmap: one per scanned page, as KSM's rmap_item cache. */
static struct kmem_cache *ovc_rmap_cache;
static DECLARE_WAIT_QUEUE_HEAD(ovc_scan_wait);
/* Pages scanned per hold of ovc_scan_mutex. */
#define OVC_SCAN_CHUNK	64

/* Bumped by every knob change, to cut a sleep short. */
static atomic_t ovc_scan_gen = ATOMIC_INIT(0);

/* The cursor and this round's volatile count, under ovc_scan_mutex. */
static u64 ovc_scan_vm_id;
static unsigned long ovc_scan_index;
static unsigned long ovc_scan_volatile;

static bool ovc_scan_should_run(void)
{
	return READ_ONCE(ovc_scan_knobs.run) == OVC_SCAN_RUN &&
	       READ_ONCE(ovc_nr_vms);
}

/** ovc_scan_wake() - a knob changed or a VM appeared: wake ovc_scand */
void ovc_scan_wake(void)
{
	atomic_inc(&ovc_scan_gen);
	wake_up_interruptible(&ovc_scan_wait);
}

static void ovc_scan_count(int err)
{
	if (err == -EBUSY)
		WRITE_ONCE(ovc_scan_stats.pinned, ovc_scan_stats.pinned + 1);
	else if (err == -ESTALE)
		WRITE_ONCE(ovc_scan_stats.hint_stale,
			   ovc_scan_stats.hint_stale + 1);
}

/* The scanner's record of a slot, created on first sight. */
static struct ovc_rmap *ovc_scan_rmap(struct ovc_vm *vm, pgoff_t index,
				      u32 hash, bool *fresh)
{
	struct ovc_rmap *rmap = xa_load(&vm->rmap, index);

	*fresh = !rmap;
	if (rmap)
		return rmap;
	rmap = kmem_cache_zalloc(ovc_rmap_cache, GFP_KERNEL);
	if (!rmap)
		return NULL;
	rmap->vm = vm;
	rmap->index = index;
	rmap->hash = hash;
	if (xa_is_err(xa_store(&vm->rmap, index, rmap, GFP_KERNEL))) {
		kmem_cache_free(ovc_rmap_cache, rmap);
		return NULL;
	}
	return rmap;
}

/* One private page: see the DOC at the top. */
static void ovc_scan_page_charged(struct ovc_vm *vm, pgoff_t index)
{
	struct ovc_rmap *rmap, *hint;
	struct ovc_frame *frame;
	struct page *page;
	void *entry;
	bool fresh;
	u32 hash;
	int err;

	page = ovc_slot_get(vm, index, &entry);
	if (!page)
		return;
	if (!ovc_slot_page(entry) || unlikely(PageHWPoison(page)))
		goto out;	/* shared, or lost: never read */
	WRITE_ONCE(ovc_scan_stats.pages_scanned,
		   ovc_scan_stats.pages_scanned + 1);

	if (ovc_page_is_zero(page)) {
		rmap = xa_load(&vm->rmap, index);
		if (rmap)
			ovc_hint_del(rmap);
		ovc_scan_count(ovc_merge_frame(vm, index, page,
					       ovc_share_zero(vm)));
		goto out;
	}
	if (READ_ONCE(ovc_scan_knobs.zero_only))
		goto out;

	hash = ovc_page_hash(page);
	rmap = ovc_scan_rmap(vm, index, hash, &fresh);
	if (!rmap)
		goto out;
	if (!fresh && rmap->hash != hash) {
		ovc_hint_del(rmap);
		rmap->hash = hash;
		ovc_scan_volatile++;
		goto out;
	}

	frame = ovc_frame_lookup(ovc_vm_share_key(vm), hash);
	if (frame) {
		err = ovc_merge_frame(vm, index, page, frame);
		ovc_frame_put(frame);
		if (!err)
			ovc_hint_del(rmap);
		ovc_scan_count(err);
		goto out;
	}
	if (rmap->hinted)
		goto out;
	hint = ovc_hint_take(ovc_vm_share_key(vm), hash, rmap);
	if (!hint) {
		ovc_hint_add(rmap);
		goto out;
	}
	err = ovc_merge_pair(vm, index, page, hint, hash);
	if (err == -ESTALE) {
		ovc_hint_add(rmap);	/* the old hint is dropped */
	} else if (err) {
		/*
		 * Pinned, busy or changed: the hint goes back and this page
		 * stays unhinted, so that its next scan takes the hint again.
		 * (Two hints of one hash would never look each other up.)
		 */
		ovc_hint_add(hint);
	}
	ovc_scan_count(err);
out:
	put_page(page);
}

/*
 * One private page: see the DOC at the top.  What it allocates (a record,
 * rmap xarray nodes, a frame) is charged to the VM's memory cgroup.
 */
static void ovc_scan_page(struct ovc_vm *vm, pgoff_t index)
{
	struct mem_cgroup *old = set_active_memcg(READ_ONCE(vm->memcg));

	ovc_scan_page_charged(vm, index);
	set_active_memcg(old);
}

static void ovc_scan_round_done(void)
{
	WRITE_ONCE(ovc_scan_stats.full_scans, ovc_scan_stats.full_scans + 1);
	WRITE_ONCE(ovc_scan_stats.pages_volatile, ovc_scan_volatile);
	ovc_scan_volatile = 0;
}

/*
 * Free @vm's records of slots in [@first, @end) that hold no private page
 * any more (punched, truncated or merged since the scan that made them),
 * at most @budget of them; *@next is where the walk stopped (@end if it
 * went through).  Return: the records freed.
 * Context: ovc_scan_mutex held.
 */
static unsigned int ovc_scan_prune(struct ovc_vm *vm, unsigned long first,
				   unsigned long end, unsigned int budget,
				   unsigned long *next)
{
	struct ovc_rmap *rmap;
	unsigned long index;
	unsigned int n = 0;

	*next = end;
	if (first >= end)
		return 0;
	xa_for_each_range(&vm->rmap, index, rmap, first, end - 1) {
		if (ovc_slot_page(xa_load(&vm->slots, index)))
			continue;
		if (n == budget) {
			*next = index;
			break;
		}
		ovc_hint_del(rmap);
		xa_erase(&vm->rmap, index);
		kmem_cache_free(ovc_rmap_cache, rmap);
		n++;
	}
	return n;
}

/*
 * Scan up to @budget slots, continuing at the cursor: private pages are
 * scanned, the records of slots that no longer hold one are freed.
 * Return: true if there is no private page to scan anywhere.
 */
static bool ovc_scan_pass(unsigned int budget)
{
	unsigned long index, end, next;
	bool idle_round = false;
	struct ovc_vm *vm;
	void *entry;

	while (budget && !kthread_should_stop()) {
		vm = ovc_vm_find(ovc_scan_vm_id);
		if (!vm) {
			ovc_scan_round_done();
			ovc_scan_vm_id = 0;
			ovc_scan_index = 0;
			if (idle_round)		/* no private page anywhere */
				return true;
			idle_round = true;
			continue;
		}
		if (vm->id != ovc_scan_vm_id) {
			ovc_scan_vm_id = vm->id;
			ovc_scan_index = 0;
		}
		index = ovc_scan_index;
		entry = xa_find(&vm->slots, &index, ULONG_MAX, XA_PRESENT);
		/* Stale records up to this slot, and of it if not private. */
		end = !entry ? ULONG_MAX :
		      ovc_slot_page(entry) ? index : index + 1;
		budget -= ovc_scan_prune(vm, ovc_scan_index, end, budget,
					 &next);
		if (next < end || !budget) {
			ovc_scan_index = next;	/* the rest next time */
			continue;
		}
		if (!entry) {
			ovc_scan_vm_id = vm->id + 1;
			ovc_scan_index = 0;
			continue;
		}
		ovc_scan_index = index + 1;
		cond_resched();
		/*
		 * Every slot visited costs budget, not only the private pages
		 * scanned: a mostly merged or ballooned host is walked in
		 * bounded chunks too.
		 */
		budget--;
		if (!ovc_slot_page(entry))
			continue;
		ovc_scan_page(vm, index);
		idle_round = false;
	}
	return false;
}

/*
 * One pass of pages_to_scan pages, in chunks: ovc_scan_mutex is dropped
 * between them, so knob writes, domain changes and VM teardown never wait
 * for more than a chunk.  The cursor names the VM by id, so nothing is
 * held across chunks.
 */
static void ovc_scan_chunks(unsigned int budget)
{
	while (budget && !kthread_should_stop()) {
		unsigned int chunk = min(budget, OVC_SCAN_CHUNK);
		bool idle = true;

		mutex_lock(&ovc_scan_mutex);
		if (ovc_scan_should_run())
			idle = ovc_scan_pass(chunk);
		mutex_unlock(&ovc_scan_mutex);
		if (idle)
			return;
		budget -= chunk;
		cond_resched();
	}
}

static int ovc_scand_fn(void *unused)
{
	set_freezable();
	set_user_nice(current, 5);

	while (!kthread_should_stop()) {
		int gen = atomic_read(&ovc_scan_gen);
		unsigned int ms;

		ovc_scan_chunks(READ_ONCE(ovc_scan_knobs.pages_to_scan));

		if (!ovc_scan_should_run()) {
			wait_event_freezable(ovc_scan_wait,
					     ovc_scan_should_run() ||
					     kthread_should_stop());
			continue;
		}
		ms = READ_ONCE(ovc_scan_knobs.sleep_millisecs);
		if (ms)
			wait_event_freezable_timeout(ovc_scan_wait,
				atomic_read(&ovc_scan_gen) != gen ||
				kthread_should_stop(),
				msecs_to_jiffies(ms));
		else
			cond_resched();
	}
	return 0;
}

/*
 * Free a VM's scanner records and hints.  Context: ovc_scan_mutex held.
 */
static void ovc_scan_drop_rmaps(struct ovc_vm *vm)
{
	struct ovc_rmap *rmap;
	unsigned long index;

	xa_for_each(&vm->rmap, index, rmap) {
		ovc_hint_del(rmap);
		xa_erase(&vm->rmap, index);
		kmem_cache_free(ovc_rmap_cache, rmap);
		cond_resched();
	}
}

/*
 * ovc_vm_ops.destroy: drop a VM the scanner will never see again (it is
 * off ovc_vms); waits for a pass that may still use it.
 */
static void ovc_scan_forget_vm(struct ovc_vm *vm)
{
	mutex_lock(&ovc_scan_mutex);
	ovc_scan_drop_rmaps(vm);
	xa_destroy(&vm->rmap);
	mutex_unlock(&ovc_scan_mutex);
}

static struct ovc_vm_ops ovc_scan_vm_ops = {
	.destroy	= ovc_scan_forget_vm,
};

/*
 * Unshare the non-zero frames of every VM and drop all hints.  Zero slots
 * stay on their zero frames, as KSM leaves its zero pages: a copy each
 * could need more memory than the host has.  VMs are found by id, like
 * the scanner's cursor, so ovc_vms_lock is not held across the work (VMs
 * are created and destroyed meanwhile; a VM found stays alive while
 * ovc_scan_mutex is held, see ovc_scan_forget_vm()).
 * Context: ovc_scan_mutex held.
 */
static int ovc_scan_unmerge_all(void)
{
	struct ovc_vm *vm;
	u64 id = 0;
	int err;

	while ((vm = ovc_vm_find(id))) {
		err = ovc_merge_unshare_all(vm, true);
		if (err)
			return err;
		ovc_scan_drop_rmaps(vm);
		id = vm->id + 1;
	}
	return 0;
}

/**
 * ovc_scan_set_run() - the run knob
 * @run:	OVC_SCAN_STOP, OVC_SCAN_RUN, or OVC_SCAN_UNMERGE: stop and
 *		give every shared slot a private copy again
 *
 * Return: 0, -EINVAL for another value, or the unmerge error (-ENOMEM,
 * -EINTR), after which run is left as it was.
 */
int ovc_scan_set_run(unsigned int run)
{
	int err = 0;

	if (run > OVC_SCAN_UNMERGE)
		return -EINVAL;
	mutex_lock(&ovc_scan_mutex);
	if (run == OVC_SCAN_UNMERGE)
		err = ovc_scan_unmerge_all();
	if (!err)
		WRITE_ONCE(ovc_scan_knobs.run, run);
	mutex_unlock(&ovc_scan_mutex);
	ovc_scan_wake();
	return err;
}

/**
 * ovc_scan_set_zero_only() - the zero_only knob
 * @on:	0 or 1; turning it on unshares all non-zero frames
 *
 * Return: 0, -EINVAL, or the unmerge error.
 */
int ovc_scan_set_zero_only(unsigned int on)
{
	int err = 0;

	if (on > 1)
		return -EINVAL;
	mutex_lock(&ovc_scan_mutex);
	if (on && !ovc_scan_knobs.zero_only)
		err = ovc_scan_unmerge_all();
	if (!err)
		WRITE_ONCE(ovc_scan_knobs.zero_only, on);
	mutex_unlock(&ovc_scan_mutex);
	return err;
}

/**
 * ovc_scan_set_domain() - move a VM to another sharing domain
 * @vm:		the VM
 * @domain:	the new domain
 *
 * The VM's non-zero shared pages are unshared first, so that it never
 * shares with its old domain again.
 *
 * Return: 0, or the unmerge error (-ENOMEM, -EINTR): the domain is
 * unchanged then.
 */
int ovc_scan_set_domain(struct ovc_vm *vm, u32 domain)
{
	int err = 0;

	mutex_lock(&ovc_scan_mutex);
	if (vm->share_domain != domain) {
		err = ovc_merge_unshare_all(vm, true);
		if (!err) {
			ovc_scan_drop_rmaps(vm);
			WRITE_ONCE(vm->share_domain, domain);
		}
	}
	mutex_unlock(&ovc_scan_mutex);
	return err;
}

/**
 * ovc_scan_init() - start ovc_scand (idle until run is 1)
 *
 * Return: 0, -ENOMEM or the kthread_run() error.
 */
int ovc_scan_init(void)
{
	ovc_rmap_cache = KMEM_CACHE(ovc_rmap, SLAB_ACCOUNT);
	if (!ovc_rmap_cache)
		return -ENOMEM;
	ovc_scand = kthread_run(ovc_scand_fn, NULL, "ovc_scand");
	if (IS_ERR(ovc_scand)) {
		kmem_cache_destroy(ovc_rmap_cache);
		return PTR_ERR(ovc_scand);
	}
	ovc_vm_register_ops(&ovc_scan_vm_ops);
	return 0;
}

/** ovc_scan_exit() - stop ovc_scand; every record was freed with its VM */
void ovc_scan_exit(void)
{
	ovc_vm_unregister_ops(&ovc_scan_vm_ops);
	kthread_stop(ovc_scand);
	kmem_cache_destroy(ovc_rmap_cache);
}
