// SPDX-License-Identifier: GPL-2.0
/*
 * ovc_balanced: the rebalancer.
 *
 * Every balance_period_ms (and at once after a knob or a VM's shares, min
 * or max changed) it gathers each VM's inputs, computes the allocation
 * targets (policy.c), publishes them as vms/<id>/target_pages, computes
 * the free memory and the memory state, and with policy_run=1 writes the
 * VMs' balloon targets (ovcd carries them to QEMU).  In the hard and low
 * states, with policy_run=1, it stores the pages of each VM over its
 * target into the compressed cache (reclaim.c), down to the target, at
 * most OVC_RECLAIM_PER_PERIOD a rebalance; in the low state a fault that must allocate a page
 * for a VM above its target waits for the next rebalance, at most
 * OVC_LOW_WAIT_MS (ovc_balance_fault_wait()).
 *
 * The inputs are copied into an array allocated per rebalance (kvmalloc,
 * no lock held), sized by ovc_nr_vms; if VMs appeared meanwhile it is
 * allocated again.  A VM found stays alive while ovc_balance_mutex is
 * held: ovc_vm_ops.destroy waits for it (ovc_balance_forget_vm()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

#include "balance.h"
#include "balloon.h"
#include "policy.h"
#include "range.h"
#include "reclaim.h"
#include "slot.h"
#include "trace.h"
#include "vm.h"

/* Serialises rebalances; ovc_vm_ops.destroy waits for the one in flight. */
static DEFINE_MUTEX(ovc_balance_mutex);
/*
 * Serialises the stores that check one knob against another: the state
 * thresholds, a VM's min_pages against its max_pages.
 */
static DEFINE_MUTEX(ovc_balance_knob_mutex);

struct ovc_balance_knobs ovc_balance_knobs = {
	.idle_tax_percent	= 75,
	.balance_period_ms	= 15000,
	.balloon_max_percent	= 65,
	.policy_run		= 0,
	.thresholds		= { { 6, 4, 2, 1 } },
};
struct ovc_balance_stats ovc_balance_stats = {
	.state		= OVC_STATE_HIGH,
};

static struct task_struct *ovc_balanced;
/* ovc_balanced sleeps here between rebalances. */
static DECLARE_WAIT_QUEUE_HEAD(ovc_balance_sleep);
/* Bumped by every knob change, to cut a sleep short. */
static atomic_t ovc_balance_kick = ATOMIC_INIT(0);
/* Faults waiting in the low state; woken, with ovc_balance_gen bumped, by every rebalance. */
static DECLARE_WAIT_QUEUE_HEAD(ovc_balance_low_wq);
static atomic_t ovc_balance_gen = ATOMIC_INIT(0);

/* One VM's inputs besides the policy's own. */
struct ovc_balance_vm {
	struct ovc_vm *vm;
	u64 size;
	unsigned long resident;
};

/** ovc_balance_wake() - a knob changed: rebalance now */
void ovc_balance_wake(void)
{
	atomic_inc(&ovc_balance_kick);
	wake_up_interruptible(&ovc_balance_sleep);
}

/**
 * ovc_balance_run_changed() - policy_run was written
 *
 * Rebalance now; after policy_run=0, return only when a rebalance that
 * read policy_run=1 before the write is over, so that no balloon target
 * is written and no page stored for the policy once the write returned.
 *
 * Context: process context (a sysfs store); takes ovc_balance_mutex.
 */
void ovc_balance_run_changed(void)
{
	ovc_balance_wake();
	if (!READ_ONCE(ovc_balance_knobs.policy_run)) {
		mutex_lock(&ovc_balance_mutex);
		mutex_unlock(&ovc_balance_mutex);
	}
}

/**
 * ovc_balance_budget() - the effective host budget
 *
 * Return: host_budget_pages, or if it is 0 totalram minus the reserve.
 */
unsigned long ovc_balance_budget(void)
{
	unsigned long budget = READ_ONCE(ovc_balance_knobs.host_budget_pages);
	unsigned long reserve = READ_ONCE(ovc_balance_knobs.host_reserve_pages);
	unsigned long total = totalram_pages();

	if (budget)
		return budget;
	return total > reserve ? total - reserve : 0;
}

/**
 * ovc_balance_set_threshold() - set one state threshold
 * @state:	which
 * @pct:	percent of the budget
 *
 * Return: 0, or -EINVAL if high > soft > hard > low would not hold.
 */
int ovc_balance_set_threshold(enum ovc_state state, unsigned int pct)
{
	struct ovc_policy_thresholds t;
	int err = -EINVAL;

	if (state >= OVC_STATE_NR)
		return -EINVAL;
	mutex_lock(&ovc_balance_knob_mutex);
	t = ovc_balance_knobs.thresholds;
	t.pct[state] = pct;
	if (ovc_policy_thresholds_valid(&t)) {
		WRITE_ONCE(ovc_balance_knobs.thresholds.pct[state], pct);
		err = 0;
	}
	mutex_unlock(&ovc_balance_knob_mutex);
	if (!err)
		ovc_balance_wake();
	return err;
}

static u64 ovc_balance_size(struct ovc_vm *vm)
{
	return ovc_range_pages(i_size_read(vm->inode));
}

/**
 * ovc_balance_max_pages() - a VM's effective max_pages
 * @vm:	the VM
 *
 * Return: its max_pages, or its size if that is unset (0) or larger.
 */
unsigned long ovc_balance_max_pages(struct ovc_vm *vm)
{
	unsigned long max = READ_ONCE(vm->max_pages);
	u64 size = ovc_balance_size(vm);

	return max && max < size ? max : size;
}

/**
 * ovc_balance_set_min() - set a VM's reservation
 * @vm:		the VM
 * @pages:	min_pages
 *
 * Return: 0, -ERANGE above the VM's size, -EINVAL above its max_pages.
 */
int ovc_balance_set_min(struct ovc_vm *vm, unsigned long pages)
{
	int err = 0;

	if (pages > ovc_balance_size(vm))
		return -ERANGE;
	mutex_lock(&ovc_balance_knob_mutex);
	if (pages > ovc_balance_max_pages(vm))
		err = -EINVAL;
	else
		WRITE_ONCE(vm->min_pages, pages);
	mutex_unlock(&ovc_balance_knob_mutex);
	if (!err)
		ovc_balance_wake();
	return err;
}

/**
 * ovc_balance_set_max() - set a VM's demand
 * @vm:		the VM
 * @pages:	max_pages, 0 for the file size
 *
 * Return: 0, -ERANGE above the VM's size, -EINVAL below its min_pages.
 */
int ovc_balance_set_max(struct ovc_vm *vm, unsigned long pages)
{
	int err = 0;

	if (pages > ovc_balance_size(vm))
		return -ERANGE;
	mutex_lock(&ovc_balance_knob_mutex);
	if (pages && pages < READ_ONCE(vm->min_pages))
		err = -EINVAL;
	else
		WRITE_ONCE(vm->max_pages, pages);
	mutex_unlock(&ovc_balance_knob_mutex);
	if (!err)
		ovc_balance_wake();
	return err;
}

/*
 * Copy the inputs of up to @cap VMs.  Only reads of each VM, under
 * ovc_vms_lock, which is not held across any other work.
 * Return: the VMs found, @cap + 1 if there are more.
 */
static unsigned int ovc_balance_gather(struct ovc_policy_vm *in,
				       struct ovc_balance_vm *bv,
				       unsigned int cap)
{
	unsigned int n = 0;
	struct ovc_vm *vm;

	mutex_lock(&ovc_vms_lock);
	list_for_each_entry(vm, &ovc_vms, node) {
		u64 max, min;

		if (n == cap) {
			n++;
			break;
		}
		bv[n].vm = vm;
		bv[n].size = ovc_balance_size(vm);
		bv[n].resident = atomic_long_read(&vm->resident);
		/* A file shrunk under min, or a store between the reads. */
		max = ovc_balance_max_pages(vm);
		min = min_t(u64, READ_ONCE(vm->min_pages), max);
		in[n].shares = READ_ONCE(vm->shares);
		in[n].min_pages = min;
		in[n].max_pages = max;
		in[n].active_pages = READ_ONCE(vm->active_pages);
		n++;
	}
	mutex_unlock(&ovc_vms_lock);
	return n;
}

/* The free memory and the state; traces a transition. */
static enum ovc_state ovc_balance_state(u64 budget)
{
	long resident = atomic_long_read(&ovc_pages_resident);
	unsigned long host = global_zone_page_state(NR_FREE_PAGES);
	enum ovc_state old = READ_ONCE(ovc_balance_stats.state), state;
	struct ovc_policy_thresholds t;
	u64 free;
	int i;

	for (i = 0; i < OVC_STATE_NR; i++)
		t.pct[i] = READ_ONCE(ovc_balance_knobs.thresholds.pct[i]);
	free = resident < 0 || budget <= resident ? 0 : budget - resident;
	free = min_t(u64, free, host);
	state = ovc_policy_state(free, budget, &t, old);
	if (state != old)
		trace_ovc_state(old, state, free, budget);
	WRITE_ONCE(ovc_balance_stats.free_pages, free);
	WRITE_ONCE(ovc_balance_stats.state, state);
	return state;
}

/* Publish the targets, write the balloons and reclaim (policy_run). */
static void ovc_balance_apply(struct ovc_policy_vm *in,
			      struct ovc_balance_vm *bv, unsigned int n,
			      enum ovc_state state)
{
	unsigned int pct = READ_ONCE(ovc_balance_knobs.balloon_max_percent);
	bool run = READ_ONCE(ovc_balance_knobs.policy_run);
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ovc_vm *vm = bv[i].vm;
		u64 target = in[i].target_pages;
		u64 balloon = READ_ONCE(vm->balloon_target);

		WRITE_ONCE(vm->target_pages, target);
		if (run) {
			balloon = ovc_policy_balloon(bv[i].size, target,
						     in[i].min_pages, pct,
						     state, balloon);
			/* -ERANGE: the file shrank since; next time. */
			ovc_balloon_set_target(vm, balloon);
		}
		trace_ovc_target(vm->id, target, balloon);
		if ((state == OVC_STATE_HARD || state == OVC_STATE_LOW) &&
		    bv[i].resident > target) {
			u64 over = bv[i].resident - target;

			trace_ovc_reclaim(vm->id, over, state);
			if (run)
				ovc_reclaim_vm(vm, min_t(u64, over,
							 OVC_RECLAIM_PER_PERIOD),
					       OVC_RECLAIM_SWAP);
		}
	}
}

/* One rebalance.  Context: ovc_balanced. */
static void ovc_balance_run(void)
{
	struct ovc_policy_vm *in = NULL;
	struct ovc_balance_vm *bv = NULL;
	unsigned int cap, n;
	u64 budget;

	mutex_lock(&ovc_balance_mutex);
	for (;;) {
		cap = READ_ONCE(ovc_nr_vms) + 4;
		in = kvcalloc(cap, sizeof(*in), GFP_KERNEL);
		bv = kvcalloc(cap, sizeof(*bv), GFP_KERNEL);
		if (!in || !bv) {
			pr_warn_ratelimited("no memory for a rebalance of %u VMs\n",
					    cap);
			goto out;
		}
		n = ovc_balance_gather(in, bv, cap);
		if (n <= cap)
			break;
		kvfree(in);
		kvfree(bv);
	}
	budget = ovc_balance_budget();
	ovc_policy_targets(in, n, budget,
			   READ_ONCE(ovc_balance_knobs.idle_tax_percent));
	ovc_balance_apply(in, bv, n, ovc_balance_state(budget));
	WRITE_ONCE(ovc_balance_stats.rebalances,
		   ovc_balance_stats.rebalances + 1);
out:
	mutex_unlock(&ovc_balance_mutex);
	kvfree(in);
	kvfree(bv);
	/* Faults waiting in the low state look at the new targets. */
	atomic_inc(&ovc_balance_gen);
	wake_up_all(&ovc_balance_low_wq);
}

static int ovc_balanced_fn(void *unused)
{
	set_freezable();

	while (!kthread_should_stop()) {
		int kick = atomic_read(&ovc_balance_kick);
		unsigned int ms;

		ovc_balance_run();
		ms = READ_ONCE(ovc_balance_knobs.balance_period_ms);
		wait_event_freezable_timeout(ovc_balance_sleep,
			atomic_read(&ovc_balance_kick) != kick ||
			kthread_should_stop(),
			msecs_to_jiffies(ms));
	}
	return 0;
}

/**
 * ovc_balance_fault_wait() - the low state's brake on a growing VM
 * @vm:		the VM a fault must allocate a new page for
 * @vmf:	the fault
 *
 * With policy_run=1 in the low state, a VM holding more than its target
 * waits for the next rebalance, at most OVC_LOW_WAIT_MS; killably if the
 * fault allows it.  Counted in low_waits.  Not while its balloon inflates
 * (ovc_balloon_inflating()): the balloon's own writes fault here.
 *
 * Context: process context, no page lock held (the mmap lock is).
 * Return: 0 (allocate), -EAGAIN under FAULT_FLAG_RETRY_NOWAIT (the fault
 * answers VM_FAULT_RETRY, without waiting), -EINTR if a fatal signal
 * came while waiting.
 */
int ovc_balance_fault_wait(struct ovc_vm *vm, struct vm_fault *vmf)
{
	unsigned long target = READ_ONCE(vm->target_pages);
	unsigned long timeout = msecs_to_jiffies(OVC_LOW_WAIT_MS);
	int gen;

	if (READ_ONCE(ovc_balance_stats.state) != OVC_STATE_LOW ||
	    !READ_ONCE(ovc_balance_knobs.policy_run) ||
	    atomic_long_read(&vm->resident) <= target ||
	    ovc_balloon_inflating(vm))
		return 0;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return -EAGAIN;
	atomic_long_inc(&ovc_balance_stats.low_waits);
	gen = atomic_read(&ovc_balance_gen);
	if (!(vmf->flags & FAULT_FLAG_KILLABLE)) {
		wait_event_timeout(ovc_balance_low_wq,
				   atomic_read(&ovc_balance_gen) != gen,
				   timeout);
		return 0;
	}
	if (wait_event_killable_timeout(ovc_balance_low_wq,
					atomic_read(&ovc_balance_gen) != gen,
					timeout) < 0)
		return -EINTR;
	return 0;
}

/*
 * ovc_vm_ops.destroy: @vm is off ovc_vms, so no later rebalance finds it;
 * wait for one that may still use it.
 */
static void ovc_balance_forget_vm(struct ovc_vm *vm)
{
	mutex_lock(&ovc_balance_mutex);
	mutex_unlock(&ovc_balance_mutex);
}

static struct ovc_vm_ops ovc_balance_vm_ops = {
	.destroy	= ovc_balance_forget_vm,
};

/**
 * ovc_balance_init() - start ovc_balanced
 *
 * Return: 0 or the kthread_run() error.
 */
int ovc_balance_init(void)
{
	ovc_balance_knobs.host_reserve_pages = totalram_pages() / 16;
	ovc_balanced = kthread_run(ovc_balanced_fn, NULL, "ovc_balanced");
	if (IS_ERR(ovc_balanced))
		return PTR_ERR(ovc_balanced);
	ovc_vm_register_ops(&ovc_balance_vm_ops);
	return 0;
}

/** ovc_balance_exit() - stop ovc_balanced; no VM is left */
void ovc_balance_exit(void)
{
	ovc_vm_unregister_ops(&ovc_balance_vm_ops);
	kthread_stop(ovc_balanced);
}
