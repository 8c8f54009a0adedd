// SPDX-License-Identifier: GPL-2.0
/*
 * ovc idle sampling: how much of each VM's memory the guest really uses.
 *
 * DOC: Overview
 *
 * ESX's statistical sampling (Waldspurger, OSDI 2002, section 5.3).  Every
 * sample_period_ms the sampler thread, ovc_sampled, ends the current period
 * of every VM and starts the next one: it picks sample_pages slots holding
 * a private page, uniformly at random (random indexes, rejected unless the
 * slot holds a private page not yet picked, with a bounded number of draws:
 * never a shared, zero-frame, ballooned or empty slot), marks each in the
 * slots xarray (OVC_SLOT_SAMPLED) and unmaps its page, with the page
 * locked (vm.h).  The KVM MMU notifier drops the guest's mapping with the
 * host's, so the guest's next access faults into ovc_fault_fault(), which
 * clears the mark and counts the slot touched, under the xarray lock, so
 * that two faults never both count it (ovc_sample_fault()).
 *
 * At a period's end, f = touched / (touched + still marked); the remaining
 * marks are cleared.  A sampled page that leaves its private slot (merged,
 * punched, truncated, poisoned and dropped) loses its mark with the slot
 * change (slot.c) and counts neither way.  A period without samples leaves
 * the estimate as it was.
 *
 * The estimate is the largest of a slow and a fast exponential moving
 * average of f and the last period's f: quick to see a VM grow, slow to
 * decide it idled (ovc_sample_ema(), ovc_sample_combine()).  The first
 * period with samples sets both averages.  Then the memory the guest itself
 * reports free (ovcd's OVC_IOC_GUEST_REPORT) bounds it: that memory is idle
 * by definition, so active_pages <= guest_total - guest_free
 * (ovc_sample_bound()).
 *
 * Cost: at most sample_pages faults per VM per period, sample_pages page
 * locks and single-page unmaps to start it and a walk of the marked slots
 * to end it.  A fault on a VM with no sampled slot tests one bit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "range.h"
#include "sample.h"
#include "slot.h"
#include "trace.h"
#include "vm.h"

/*
 * Weights of a new period's value in the moving averages, permille.  With
 * gain g an average closes the gap to a steady value by g every period: the
 * slow one (1/2) from a wholly active start (1000) to within 25 permille
 * of 200 in 5 periods, the fast one (3/4) within 2; a rise shows at once in
 * the last period's value.  A fall from 800 to 200 still shows 350 after
 * two periods, 275 after three.
 */
#define OVC_SAMPLE_W_SLOW	500U
#define OVC_SAMPLE_W_FAST	750U
/* Averages are kept in parts per million: permille x OVC_SAMPLE_FP. */
#define OVC_SAMPLE_FP		1000U

/* Marks cleared per hold of the xarray lock at a period's end. */
#define OVC_SAMPLE_CLEAR_BATCH	64

struct ovc_sample_knobs ovc_sample_knobs = {
	.period_ms	= OVC_SAMPLE_PERIOD_DEF,
	.pages		= OVC_SAMPLE_PAGES_DEF,
};

/*
 * Held while the sampler works on one VM (found by id under ovc_vms_lock,
 * which is dropped at once): ovc_vm_ops.destroy takes it to wait for that
 * work.  Also protects the sampler's per-VM state (struct ovc_vm_sample,
 * but @touched), its random state and ovc_sample_marks_out.
 */
static DEFINE_MUTEX(ovc_sample_mutex);
/* The sampler's random numbers: not secret, only uniform. */
static struct rnd_state ovc_sample_rnd;
/* Some VM may have a started period (marks); under ovc_sample_mutex. */
static bool ovc_sample_marks_out;

static struct task_struct *ovc_sampled;
static DECLARE_WAIT_QUEUE_HEAD(ovc_sample_wait);
/* Bumped by every knob change, to cut the sampler's wait short. */
static atomic_t ovc_sample_gen = ATOMIC_INIT(0);

/* ---- pure functions: moving averages, the estimate, the guest bound ---- */

/*
 * One step of an exponential moving average: @ema and the return value in
 * parts per million, the period's value @permille, the weight @w of the
 * new value in permille.  Rounded to nearest.
 */
static u32 ovc_sample_ema(u32 ema, unsigned int permille, unsigned int w)
{
	u64 sum = (u64)ema * (1000 - w) + (u64)permille * OVC_SAMPLE_FP * w;

	return div_u64(sum + 500, 1000);
}

/* The touched fraction of a period, permille, rounded to nearest. */
static unsigned int ovc_sample_fraction(unsigned long touched,
					unsigned long untouched)
{
	u64 n = (u64)touched + untouched;

	return n ? div64_u64((u64)touched * 1000 + n / 2, n) : 1000;
}

/* The estimate, permille: the largest of the two averages and @last. */
static unsigned int ovc_sample_combine(u32 slow, u32 fast, unsigned int last)
{
	unsigned int s = DIV_ROUND_CLOSEST(slow, OVC_SAMPLE_FP);
	unsigned int f = DIV_ROUND_CLOSEST(fast, OVC_SAMPLE_FP);

	return min(max3(s, f, last), 1000U);
}

/*
 * Fold a period's value into @s: the first one sets both averages.
 * Context: ovc_sample_mutex held, or a private @s (tests).
 */
static void ovc_sample_update(struct ovc_vm_sample *s, unsigned int permille)
{
	if (!s->known) {
		s->slow = permille * OVC_SAMPLE_FP;
		s->fast = permille * OVC_SAMPLE_FP;
		s->known = true;
	} else {
		s->slow = ovc_sample_ema(s->slow, permille, OVC_SAMPLE_W_SLOW);
		s->fast = ovc_sample_ema(s->fast, permille, OVC_SAMPLE_W_FAST);
	}
	s->last = permille;
}

/*
 * Active pages of a VM with @private resident private pages at @permille,
 * bounded by what the guest reports in use (@total - @free pages; no bound
 * while @total is 0, i.e. unknown).  *@permille is lowered to match a
 * bound that applies.  Return: the active pages.
 */
static unsigned long ovc_sample_bound(unsigned int *permille,
				      unsigned long private, u64 total,
				      u64 free)
{
	unsigned long pages = div_u64((u64)private * *permille, 1000);
	u64 used;

	if (!total)
		return pages;
	used = free < total ? total - free : 0;
	if (pages <= used)
		return pages;
	pages = used;
	*permille = private ? div64_u64((u64)pages * 1000, private) : 0;
	return pages;
}

/* ---- marks ---- */

/**
 * ovc_sample_touch() - a fault found slot @index of @vm sampled
 * @vm:		the VM
 * @index:	the slot, whose page the caller holds locked
 *
 * Clears the mark and counts the slot touched, once: a racing fault or the
 * period's end finds the mark gone.
 */
void ovc_sample_touch(struct ovc_vm *vm, pgoff_t index)
{
	XA_STATE(xas, &vm->slots, index);

	xas_lock(&xas);
	xas_load(&xas);
	if (xas_get_mark(&xas, OVC_SLOT_SAMPLED)) {
		xas_clear_mark(&xas, OVC_SLOT_SAMPLED);
		vm->sample.touched++;
	}
	xas_unlock(&xas);
}

/*
 * Sample slot @index of @vm if it holds a private page not sampled yet:
 * mark it and unmap the page, with the page locked so that a fault either
 * mapped it before (and the unmap zaps that) or sees the mark.
 * Return: true if the slot was sampled.
 */
static bool ovc_sample_one(struct ovc_vm *vm, pgoff_t index)
{
	struct page *page;
	bool marked = false;
	void *entry;

	page = ovc_slot_get(vm, index, &entry);
	if (!page)
		return false;
	if (!ovc_slot_page(entry) || unlikely(PageHWPoison(page)) ||
	    xa_get_mark(&vm->slots, index, OVC_SLOT_SAMPLED))
		goto out;
	lock_page(page);
	xa_lock(&vm->slots);
	if (xa_load(&vm->slots, index) == page &&
	    !xa_get_mark(&vm->slots, index, OVC_SLOT_SAMPLED)) {
		__xa_set_mark(&vm->slots, index, OVC_SLOT_SAMPLED);
		marked = true;
	}
	xa_unlock(&vm->slots);
	if (marked)
		unmap_mapping_pages(vm->inode->i_mapping, index, 1, false);
	unlock_page(page);
out:
	put_page(page);
	return marked;
}

/* A random index below @size (@size > 0). */
static pgoff_t ovc_sample_rand(struct rnd_state *rnd, unsigned long size)
{
	u64 r = ((u64)prandom_u32_state(rnd) << 32) | prandom_u32_state(rnd);
	u64 rem;

	div64_u64_rem(r, size, &rem);
	return rem;
}

/*
 * Draws allowed to find @want of @private private pages among @size
 * slots: 11 per sample in a fully resident VM, more in a sparse one (a
 * draw hits a private slot with probability @private / @size: three
 * times the draws expected, plus 8), at most 128.  Fewer samples, never
 * biased ones, when the draws run out (a VM less than 1/40 resident).
 */
static unsigned long ovc_sample_tries(unsigned int want, unsigned long size,
				      unsigned long private)
{
	unsigned long per;

	if (!private || !size)
		return 0;
	per = clamp(3 * (size / private) + 8, 8UL, 128UL);
	return (unsigned long)want * per;
}

/*
 * Start a period of @vm: sample up to @want of its private slots,
 * uniformly.  Return: the slots sampled.
 * Context: ovc_sample_mutex held (or a test's own VM); may sleep.
 */
static unsigned int ovc_sample_pick(struct ovc_vm *vm, unsigned int want,
				    struct rnd_state *rnd)
{
	unsigned long size = ovc_range_pages(i_size_read(vm->inode));
	unsigned long tries, private = atomic_long_read(&vm->resident);
	unsigned int n = 0;

	want = min_t(unsigned long, want, private);
	for (tries = ovc_sample_tries(want, size, private);
	     tries && n < want; tries--) {
		if (ovc_sample_one(vm, ovc_sample_rand(rnd, size)))
			n++;
		cond_resched();
	}
	return n;
}

/*
 * Clear every mark of @vm and take its touched count: the period's end.
 * Return: the slots still marked (sampled, not touched); *@touched the
 * touched ones.  A fault counts a slot under the xarray lock, so one that
 * races with this walk is counted once, on one side.
 */
static unsigned long ovc_sample_clear(struct ovc_vm *vm,
				      unsigned long *touched)
{
	XA_STATE(xas, &vm->slots, 0);
	unsigned long untouched = 0;
	unsigned int batch = 0;
	void *entry;

	xas_lock(&xas);
	xas_for_each_marked(&xas, entry, ULONG_MAX, OVC_SLOT_SAMPLED) {
		xas_clear_mark(&xas, OVC_SLOT_SAMPLED);
		untouched++;
		if (++batch == OVC_SAMPLE_CLEAR_BATCH) {
			batch = 0;
			xas_pause(&xas);
			xas_unlock(&xas);
			cond_resched();
			xas_lock(&xas);
		}
	}
	*touched = vm->sample.touched;
	vm->sample.touched = 0;
	xas_unlock(&xas);
	return untouched;
}

/*
 * End @vm's period: fold its sample into the estimate and publish
 * active_permille and active_pages; then, with @start, start the next one
 * with @want samples (else leave it stopped).  A VM the sampler had not
 * started (new, or sampling was off) only gets its marks cleared.
 * Context: ovc_sample_mutex held.
 */
static void ovc_sample_vm(struct ovc_vm *vm, bool start, unsigned int want)
{
	struct ovc_vm_sample *s = &vm->sample;
	unsigned long touched, untouched, pages;
	unsigned int last = 0, permille, picked;
	bool ended = s->started;
	u64 total, free;

	untouched = ovc_sample_clear(vm, &touched);
	if (ended && touched + untouched) {
		last = ovc_sample_fraction(touched, untouched);
		ovc_sample_update(s, last);
	}
	if (ended && s->known) {
		mutex_lock(&vm->lock);		/* a consistent guest report */
		total = vm->guest_total;
		free = vm->guest_free;
		mutex_unlock(&vm->lock);
		permille = ovc_sample_combine(s->slow, s->fast, s->last);
		pages = ovc_sample_bound(&permille,
					 atomic_long_read(&vm->resident),
					 total, free);
		WRITE_ONCE(vm->active_permille, permille);
		WRITE_ONCE(vm->active_pages, pages);
	}
	picked = start ? ovc_sample_pick(vm, want, &ovc_sample_rnd) : 0;
	s->started = start;
	if (!ended)
		return;
	WRITE_ONCE(s->periods, s->periods + 1);
	trace_ovc_sample_period(vm->id, touched + untouched, touched, last,
				READ_ONCE(vm->active_permille),
				READ_ONCE(vm->active_pages), picked);
}

/*
 * End every VM's period and, with @start, start the next one; without it
 * (sampling stopped) the marks are cleared and the estimates stay.  One VM
 * per hold of ovc_sample_mutex, found by id as the scanner finds them.
 */
static void ovc_sample_round(bool start)
{
	unsigned int want = READ_ONCE(ovc_sample_knobs.pages);
	struct ovc_vm *vm;
	u64 id = 0;

	while (!kthread_should_stop()) {
		mutex_lock(&ovc_sample_mutex);
		vm = ovc_vm_find(id);
		if (!vm) {
			ovc_sample_marks_out = start;
			mutex_unlock(&ovc_sample_mutex);
			return;
		}
		id = vm->id + 1;
		ovc_sample_vm(vm, start, want);
		mutex_unlock(&ovc_sample_mutex);
		cond_resched();
	}
}

static int ovc_sampled_fn(void *unused)
{
	unsigned long start = jiffies;	/* of the current periods */
	bool first = true;

	set_freezable();
	set_user_nice(current, 5);

	while (!kthread_should_stop()) {
		int gen = atomic_read(&ovc_sample_gen);
		unsigned int ms = READ_ONCE(ovc_sample_knobs.period_ms);
		unsigned long deadline = start + msecs_to_jiffies(ms);

		if (!ms) {
			if (READ_ONCE(ovc_sample_marks_out))
				ovc_sample_round(false);
			wait_event_freezable(ovc_sample_wait,
					     READ_ONCE(ovc_sample_knobs.period_ms) ||
					     kthread_should_stop());
			first = true;
			continue;
		}
		if (!first && time_before(jiffies, deadline)) {
			/* A knob change recomputes the deadline at once. */
			wait_event_freezable_timeout(ovc_sample_wait,
				atomic_read(&ovc_sample_gen) != gen ||
				kthread_should_stop(),
				deadline - jiffies);
			continue;
		}
		first = false;
		start = jiffies;
		ovc_sample_round(true);
	}
	return 0;
}

/* Wake ovc_sampled: a knob changed. */
static void ovc_sample_wake(void)
{
	atomic_inc(&ovc_sample_gen);
	wake_up_interruptible(&ovc_sample_wait);
}

/**
 * ovc_sample_set_period() - the sample_period_ms knob
 * @ms:	0 (stop sampling, clear every mark) or OVC_SAMPLE_PERIOD_MIN..MAX
 *
 * Takes effect at once: a period already longer than @ms ends now.
 *
 * Return: 0 or -EINVAL.
 */
int ovc_sample_set_period(unsigned int ms)
{
	if (ms && (ms < OVC_SAMPLE_PERIOD_MIN || ms > OVC_SAMPLE_PERIOD_MAX))
		return -EINVAL;
	WRITE_ONCE(ovc_sample_knobs.period_ms, ms);
	ovc_sample_wake();
	return 0;
}

/**
 * ovc_sample_set_pages() - the sample_pages knob
 * @pages:	1..OVC_SAMPLE_PAGES_MAX; used from the next period on
 *
 * Return: 0 or -EINVAL.
 */
int ovc_sample_set_pages(unsigned int pages)
{
	if (!pages || pages > OVC_SAMPLE_PAGES_MAX)
		return -EINVAL;
	WRITE_ONCE(ovc_sample_knobs.pages, pages);
	return 0;
}

/*
 * ovc_vm_ops.destroy: @vm is off ovc_vms, so the sampler never finds it
 * again; wait for work on it in flight.  Its marks go with its slots.
 */
static void ovc_sample_forget_vm(struct ovc_vm *vm)
{
	mutex_lock(&ovc_sample_mutex);
	mutex_unlock(&ovc_sample_mutex);
}

static struct ovc_vm_ops ovc_sample_vm_ops = {
	.destroy	= ovc_sample_forget_vm,
};

/**
 * ovc_sample_init() - start ovc_sampled
 *
 * Return: 0 or the kthread_run() error.
 */
int ovc_sample_init(void)
{
	prandom_seed_state(&ovc_sample_rnd, get_random_u64());
	ovc_sampled = kthread_run(ovc_sampled_fn, NULL, "ovc_sampled");
	if (IS_ERR(ovc_sampled))
		return PTR_ERR(ovc_sampled);
	ovc_vm_register_ops(&ovc_sample_vm_ops);
	return 0;
}

/** ovc_sample_exit() - stop ovc_sampled; no VM is left */
void ovc_sample_exit(void)
{
	ovc_vm_unregister_ops(&ovc_sample_vm_ops);
	kthread_stop(ovc_sampled);
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/sample_kunit.h"
#endif
