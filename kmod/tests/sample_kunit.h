/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of idle sampling (kmod/sample.c): the moving averages, the
 * estimate and the guest bound, hand-computed and table-driven; and the
 * sampling itself on a real struct ovc_vm (a real slots xarray with real
 * pages, frames and ballooned markers, an inode whose address_space has no
 * mapping): uniform over private slots, never a shared, zero-frame,
 * ballooned or empty one; marks cleared at a period's end; a sampled slot
 * that is merged, punched or truncated leaves the sample.
 *
 * Included at the end of kmod/sample.c (as DAMON includes its tests), so
 * static functions stay static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_SAMPLE_KUNIT_H
#define _OVC_SAMPLE_KUNIT_H

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/xarray.h>

#include "../share.h"
#include "../slot.h"
#include "ovc_kunit.h"

/* ---- ovc_sample_ema() ---- */

struct ema_case {
	const char *name;
	u32 ema;		/* ppm */
	unsigned int permille;
	unsigned int w;
	u32 next;		/* ppm, by hand */
};

static const struct ema_case ema_cases[] = {
	{ "slow: 0 to 1000 goes half way", 0, 1000, 500, 500000 },
	{ "slow: 1000 to 0 goes half way", 1000000, 0, 500, 500000 },
	{ "fast: 200 to 800 goes three quarters", 200000, 800, 750, 650000 },
	{ "fast: 0 to 1000", 0, 1000, 750, 750000 },
	{ "rounds half up: 333333 / 2", 333333, 0, 500, 166667 },
	{ "smallest step is kept in ppm", 0, 1, 500, 500 },
	{ "steady stays", 1000000, 1000, 500, 1000000 },
	{ "never above a million", 999999, 1000, 500, 1000000 },
	{ "weight 0 keeps the average", 123456, 1000, 0, 123456 },
	{ "weight 1000 takes the value", 123456, 7, 1000, 7000 },
};

static void ema_case_desc(const struct ema_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ema, ema_cases, ema_case_desc);

static void sample_ema_test(struct kunit *test)
{
	const struct ema_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ovc_sample_ema(c->ema, c->permille, c->w),
			c->next);
}

/* ---- ovc_sample_combine() and ovc_sample_fraction() ---- */

struct combine_case {
	const char *name;
	u32 slow, fast;
	unsigned int last;
	unsigned int permille;
};

static const struct combine_case combine_cases[] = {
	{ "slow is largest", 500000, 200000, 100, 500 },
	{ "last is largest", 200000, 650000, 800, 800 },
	{ "fast is largest", 200000, 650000, 300, 650 },
	{ "rounds down below a half", 200499, 0, 0, 200 },
	{ "rounds up from a half", 200500, 0, 0, 201 },
	{ "all idle", 0, 0, 0, 0 },
	{ "all active", 1000000, 1000000, 1000, 1000 },
};

static void combine_case_desc(const struct combine_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(combine, combine_cases, combine_case_desc);

static void sample_combine_test(struct kunit *test)
{
	const struct combine_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ovc_sample_combine(c->slow, c->fast, c->last),
			c->permille);
}

static void sample_fraction_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(1, 3), 250U);
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(2, 1), 667U);
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(1, 2), 333U);
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(0, 100), 0U);
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(65536, 0), 1000U);
	KUNIT_EXPECT_EQ(test, ovc_sample_fraction(200, 800), 200U);
}

/* ---- the estimate over periods: ovc_sample_update() + combine ---- */

#define SEQ_MAX	8

struct seq_case {
	const char *name;
	unsigned int n;
	unsigned int in[SEQ_MAX];	/* each period's fraction */
	unsigned int out[SEQ_MAX];	/* the estimate after it, by hand */
};

static const struct seq_case seq_cases[] = {
	/* slow 1/2: 1000 -> 600, 400, 300, 250, 225; within 25 after 5 */
	{ "steady 200 after an all-active first period", 6,
	  { 1000, 200, 200, 200, 200, 200 },
	  { 1000, 600, 400, 300, 250, 225 } },
	{ "steady from the start: the first period sets the averages", 3,
	  { 200, 200, 200 }, { 200, 200, 200 } },
	/* a rise shows at once (last), and stays */
	{ "rise 200 -> 800", 4, { 200, 200, 800, 800 },
	  { 200, 200, 800, 800 } },
	/* slow 800 -> 500, 350, 275, 238 (237.5 rounds up) */
	{ "fall 800 -> 200 is followed slowly", 6,
	  { 800, 800, 200, 200, 200, 200 },
	  { 800, 800, 500, 350, 275, 238 } },
	/* a dip of one period: the fast average (3/4) is the largest after */
	{ "one idle period in a busy VM", 4, { 800, 0, 800, 800 },
	  { 800, 400, 800, 800 } },
	/* slow 0 -> 500000 -> 250000 -> 125000, fast 750000 -> 187500 */
	{ "a burst decays through the averages", 4, { 0, 1000, 0, 0 },
	  { 0, 1000, 250, 125 } },
};

static void seq_case_desc(const struct seq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(seq, seq_cases, seq_case_desc);

static void sample_sequence_test(struct kunit *test)
{
	const struct seq_case *c = test->param_value;
	struct ovc_vm_sample s = {};
	unsigned int i;

	for (i = 0; i < c->n; i++) {
		ovc_sample_update(&s, c->in[i]);
		KUNIT_EXPECT_EQ_MSG(test, ovc_sample_combine(s.slow, s.fast,
							     s.last),
				    c->out[i], "after period %u", i);
	}
}

/*
 * The brief's requirements, over every start and end value in steps of
 * 50: from any steady state, a steady value is within 50 (5 points) after
 * 5 periods; a rise to at least 750 shows within 2; a fall of 400 or more
 * still shows at least 100 above the new value after 2 (slow).
 */
static void sample_response_test(struct kunit *test)
{
	unsigned int from, to, i, est;

	for (from = 0; from <= 1000; from += 50) {
		for (to = 0; to <= 1000; to += 50) {
			struct ovc_vm_sample s = {};

			ovc_sample_update(&s, from);
			for (i = 1; i <= 5; i++) {
				ovc_sample_update(&s, to);
				est = ovc_sample_combine(s.slow, s.fast, s.last);
				if (i <= 2 && to >= 750)
					KUNIT_EXPECT_GE(test, est, to - 50);
				if (i == 2 && from >= to + 400)
					KUNIT_EXPECT_GE(test, est, to + 100);
			}
			KUNIT_EXPECT_LE_MSG(test, est, to + 50,
					    "from %u to %u", from, to);
			KUNIT_EXPECT_GE(test, est, to);
		}
	}
}

/* ---- ovc_sample_bound(): the guest's report ---- */

struct bound_case {
	const char *name;
	unsigned int permille;
	unsigned long private;
	u64 total, free;
	unsigned long pages;	/* expected */
	unsigned int out;	/* expected permille */
};

static const struct bound_case bound_cases[] = {
	{ "no report: f x private", 500, 1000, 0, 0, 500, 500 },
	{ "guest uses less: bounded", 500, 1000, 2000, 1800, 200, 200 },
	{ "guest uses more: unchanged", 500, 1000, 2000, 1000, 500, 500 },
	{ "guest uses exactly that", 500, 1000, 2000, 1500, 500, 500 },
	{ "guest all free: nothing active", 1000, 4096, 4096, 4096, 0, 0 },
	{ "no private page: 0 pages, f kept", 1000, 0, 100, 50, 0, 1000 },
	{ "rounds down", 333, 3, 10, 9, 0, 333 },
	{ "bound lowers permille", 750, 1000, 1000, 900, 100, 100 },
	{ "bound rounds permille down", 1000, 3, 3, 2, 1, 333 },
	{ "free above total (never stored): bound 0", 500, 10, 5, 6, 0, 0 },
};

static void bound_case_desc(const struct bound_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bound, bound_cases, bound_case_desc);

static void sample_bound_test(struct kunit *test)
{
	const struct bound_case *c = test->param_value;
	unsigned int permille = c->permille;

	KUNIT_EXPECT_EQ(test, ovc_sample_bound(&permille, c->private, c->total,
					       c->free), c->pages);
	KUNIT_EXPECT_EQ(test, permille, c->out);
}

/* ---- sampling on a real VM ---- */

enum svm_kind { SVM_EMPTY, SVM_PRIVATE, SVM_SHARED, SVM_ZERO, SVM_BALLOON };

struct svm {
	struct ovc_vm *vm;
	struct page **pages;		/* per slot: private or frame page */
	unsigned long size;
	long resident0, ballooned0;	/* the global counters before */
};

/* A VM of @size slots, all empty, with an inode whose mapping is empty. */
static void svm_init(struct kunit *test, struct svm *t, unsigned long size)
{
	struct inode *inode = kunit_kzalloc(test, sizeof(*inode), GFP_KERNEL);
	struct ovc_vm *vm = kunit_kzalloc(test, sizeof(*vm), GFP_KERNEL);

	KUNIT_ASSERT_TRUE(test, inode && vm);
	t->pages = kunit_kcalloc(test, size, sizeof(*t->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->pages);
	address_space_init_once(&inode->i_data);
	inode->i_mapping = &inode->i_data;
	inode->i_size = (loff_t)size << PAGE_SHIFT;
	xa_init_flags(&vm->slots, XA_FLAGS_ACCOUNT);
	mutex_init(&vm->lock);
	vm->inode = inode;
	vm->id = 4242;
	vm->active_pages = ULONG_MAX;
	vm->active_permille = 1000;
	t->vm = vm;
	t->size = size;
	t->resident0 = atomic_long_read(&ovc_pages_resident);
	t->ballooned0 = atomic_long_read(&ovc_pages_ballooned);
}

static void svm_set(struct kunit *test, struct svm *t, unsigned long i,
		    enum svm_kind kind)
{
	struct ovc_vm *vm = t->vm;
	struct ovc_frame *frame;
	void *entry = NULL;

	if (kind == SVM_EMPTY)
		return;
	if (kind != SVM_BALLOON) {
		t->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, t->pages[i]);
		t->pages[i]->index = i;
	}
	switch (kind) {
	case SVM_PRIVATE:
		entry = ovc_slot_mk_private(t->pages[i]);
		atomic_long_inc(&vm->resident);
		break;
	case SVM_SHARED:
	case SVM_ZERO:
		frame = kunit_kzalloc(test, sizeof(*frame), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, frame);
		frame->page = t->pages[i];
		frame->sharers = 1;
		frame->zero = kind == SVM_ZERO;
		entry = ovc_slot_mk_shared(frame);
		atomic_long_inc(frame->zero ? &vm->zero : &vm->shared);
		break;
	case SVM_BALLOON:
		entry = ovc_slot_mk_ballooned();
		atomic_long_inc(&vm->ballooned);
		break;
	default:
		break;
	}
	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&vm->slots, i, entry,
					      GFP_KERNEL)), 0);
}

/* Free every slot's memory; put the global counters back. */
static void svm_free(struct svm *t)
{
	unsigned long i;

	xa_destroy(&t->vm->slots);
	for (i = 0; i < t->size; i++)
		if (t->pages[i])
			put_page(t->pages[i]);
	atomic_long_set(&ovc_pages_resident, t->resident0);
	atomic_long_set(&ovc_pages_ballooned, t->ballooned0);
}

/* Slots marked now; every one must hold a private page. */
static unsigned long svm_marked(struct kunit *test, struct svm *t,
				unsigned int *counts)
{
	unsigned long index, n = 0;
	void *entry;

	xa_for_each_marked(&t->vm->slots, index, entry, OVC_SLOT_SAMPLED) {
		KUNIT_EXPECT_EQ_MSG(test, ovc_slot_kind(entry),
				    OVC_SLOT_PRIVATE,
				    "slot %lu sampled but not private", index);
		if (counts)
			counts[index]++;
		n++;
	}
	return n;
}

/*
 * 256 slots: 16 private in a dense run, 16 private each after a gap of
 * 7 empty slots, and shared, zero-frame and ballooned slots among them.
 * A sampler that took "the next private slot after a random index" would
 * pick a slot after a gap 8 times as often as one in the run.
 */
#define UNI_SIZE	256
#define UNI_ROUNDS	1000
#define UNI_WANT	8

static enum svm_kind uni_kind(unsigned long i)
{
	if (i < 16)
		return SVM_PRIVATE;		/* the dense run */
	if (i >= 128)
		return i % 8 == 7 ? SVM_PRIVATE :
		       i % 8 == 1 ? SVM_SHARED :
		       i % 8 == 3 ? SVM_ZERO :
		       i % 8 == 5 ? SVM_BALLOON : SVM_EMPTY;
	/* 16..127: shared, zero, ballooned runs, never sampled */
	return i < 48 ? SVM_SHARED : i < 80 ? SVM_ZERO :
	       i < 112 ? SVM_BALLOON : SVM_EMPTY;
}

static void sample_uniform_test(struct kunit *test)
{
	unsigned int *counts, nprivate = 0, short_rounds = 0;
	unsigned long i, touched, untouched;
	struct rnd_state rnd;
	u64 chi2 = 0, expect;
	struct svm t;

	svm_init(test, &t, UNI_SIZE);
	counts = kunit_kcalloc(test, UNI_SIZE, sizeof(*counts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, counts);
	for (i = 0; i < UNI_SIZE; i++) {
		svm_set(test, &t, i, uni_kind(i));
		nprivate += uni_kind(i) == SVM_PRIVATE;
	}
	KUNIT_ASSERT_EQ(test, nprivate, 32U);
	prandom_seed_state(&rnd, 0x6f7663);

	for (i = 0; i < UNI_ROUNDS; i++) {
		unsigned int n = ovc_sample_pick(t.vm, UNI_WANT, &rnd);

		KUNIT_EXPECT_LE(test, n, UNI_WANT);
		short_rounds += n < UNI_WANT;
		KUNIT_EXPECT_EQ(test, svm_marked(test, &t, counts),
				(unsigned long)n);
		untouched = ovc_sample_clear(t.vm, &touched);
		KUNIT_EXPECT_EQ(test, untouched, (unsigned long)n);
		KUNIT_EXPECT_EQ(test, touched, 0UL);
		KUNIT_EXPECT_FALSE(test, xa_marked(&t.vm->slots,
						   OVC_SLOT_SAMPLED));
	}
	/*
	 * 32 draws per sample here, each a hit with probability 1/8 or a
	 * little less: fewer than 8 hits in 256 draws (mean 32) is a 1e-6
	 * event.
	 */
	KUNIT_EXPECT_EQ(test, short_rounds, 0U);

	/*
	 * Every private slot is picked 1000 x 8/32 = 250 times on average
	 * (binomial, variance 187.5); chi-square over the 32 slots has mean
	 * about 24 here: fail far in its tail, or if any slot is off by more
	 * than 6 standard deviations.
	 */
	expect = (u64)UNI_ROUNDS * UNI_WANT / nprivate;
	for (i = 0; i < UNI_SIZE; i++) {
		s64 d = (s64)counts[i] - (s64)expect;
		u64 off = d < 0 ? -d : d;

		if (uni_kind(i) != SVM_PRIVATE) {
			KUNIT_EXPECT_EQ_MSG(test, counts[i], 0U,
					    "slot %lu (kind %d) was sampled",
					    i, uni_kind(i));
			continue;
		}
		chi2 += div64_u64((u64)(d * d) * 100, expect);
		KUNIT_EXPECT_LE_MSG(test, off, 82ULL,
				    "slot %lu sampled %u times, expected %llu",
				    i, counts[i], expect);
	}
	/* chi2 is x100: the 31-degree statistic must stay below 70 */
	KUNIT_EXPECT_LT_MSG(test, chi2, 7000ULL, "chi-square x100 = %llu",
			    chi2);
	svm_free(&t);
}

/* Fewer private pages than asked: each is sampled once, nothing else. */
static void sample_few_test(struct kunit *test)
{
	struct rnd_state rnd;
	unsigned long i;
	struct svm t;

	svm_init(test, &t, 64);
	for (i = 0; i < 64; i++)
		svm_set(test, &t, i, i == 5 || i == 40 ? SVM_PRIVATE :
				     i % 3 ? SVM_ZERO : SVM_BALLOON);
	prandom_seed_state(&rnd, 7);
	KUNIT_EXPECT_LE(test, ovc_sample_pick(t.vm, 100, &rnd), 2U);
	KUNIT_EXPECT_LE(test, svm_marked(test, &t, NULL), 2UL);
	/* An empty VM: no draw at all. */
	KUNIT_EXPECT_EQ(test, ovc_sample_tries(100, 64, 0), 0UL);
	KUNIT_EXPECT_EQ(test, ovc_sample_tries(100, 64, 64), 1100UL);
	KUNIT_EXPECT_EQ(test, ovc_sample_tries(100, 256, 32), 3200UL);
	KUNIT_EXPECT_EQ(test, ovc_sample_tries(100, 1 << 20, 1), 12800UL);
	svm_free(&t);
}

/*
 * Touched once however often it faults; merged, punched and truncated
 * slots leave the sample; the period's end counts the rest and clears
 * every mark; slots of other kinds are never sampled.
 */
static void sample_leave_test(struct kunit *test)
{
	static const enum svm_kind others[] = { SVM_SHARED, SVM_ZERO,
						SVM_BALLOON, SVM_EMPTY };
	unsigned long i, touched, untouched;
	struct ovc_frame *frame;
	struct page *page;
	struct svm t;

	svm_init(test, &t, 16);
	for (i = 0; i < 16; i++)
		svm_set(test, &t, i, i < 8 ? SVM_PRIVATE : others[i % 4]);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_TRUE(test, ovc_sample_one(t.vm, i));
	KUNIT_EXPECT_FALSE(test, ovc_sample_one(t.vm, 0));	/* once */
	for (i = 8; i < 16; i++)
		KUNIT_EXPECT_FALSE_MSG(test, ovc_sample_one(t.vm, i),
				       "slot %lu, kind %d", i, others[i % 4]);
	KUNIT_EXPECT_EQ(test, svm_marked(test, &t, NULL), 6UL);

	ovc_sample_touch(t.vm, 0);
	ovc_sample_touch(t.vm, 0);		/* a second fault: once */
	ovc_sample_fault(t.vm, 1);		/* the fault path's check */
	ovc_sample_fault(t.vm, 7);		/* not sampled: nothing */
	KUNIT_EXPECT_FALSE(test, xa_get_mark(&t.vm->slots, 0,
					     OVC_SLOT_SAMPLED));

	/* Slot 2 merges into a frame (the scanner's ovc_merge_frame()). */
	frame = kunit_kzalloc(test, sizeof(*frame), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, frame);
	frame->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, frame->page);
	page = t.pages[2];
	KUNIT_EXPECT_EQ(test, ovc_slot_share(t.vm, 2, page, frame, false, 0),
			0);
	t.pages[2] = frame->page;	/* freed with the VM */
	put_page(page);			/* the slot's reference, now ours */
	KUNIT_EXPECT_FALSE(test, xa_get_mark(&t.vm->slots, 2,
					     OVC_SLOT_SAMPLED));
	/* Slot 3 is punched, slot 4 truncated: their pages are freed. */
	ovc_slot_drop_range(t.vm, 3, 4, true);
	ovc_slot_drop_range(t.vm, 4, 5, false);
	t.pages[3] = NULL;
	t.pages[4] = NULL;
	KUNIT_EXPECT_EQ(test, ovc_slot_kind(xa_load(&t.vm->slots, 3)),
			OVC_SLOT_BALLOONED);
	KUNIT_EXPECT_FALSE(test, xa_get_mark(&t.vm->slots, 3,
					     OVC_SLOT_SAMPLED));
	KUNIT_EXPECT_FALSE(test, ovc_sample_one(t.vm, 2));
	KUNIT_EXPECT_FALSE(test, ovc_sample_one(t.vm, 3));
	KUNIT_EXPECT_FALSE(test, ovc_sample_one(t.vm, 4));

	/* Left: slot 5 untouched; touched: 0 and 1. */
	untouched = ovc_sample_clear(t.vm, &touched);
	KUNIT_EXPECT_EQ(test, untouched, 1UL);
	KUNIT_EXPECT_EQ(test, touched, 2UL);
	KUNIT_EXPECT_FALSE(test, xa_marked(&t.vm->slots, OVC_SLOT_SAMPLED));
	KUNIT_EXPECT_EQ(test, t.vm->sample.touched, 0UL);
	/* A late fault on a slot of the ended period counts nothing. */
	ovc_sample_touch(t.vm, 5);
	KUNIT_EXPECT_EQ(test, t.vm->sample.touched, 0UL);
	svm_free(&t);
}

/*
 * Periods of one VM through ovc_sample_vm(): the estimate appears at the
 * first period's end, a period without samples leaves it, the guest's
 * report bounds it.
 */
static void sample_period_test(struct kunit *test)
{
	unsigned long i, index, n = 0;
	struct svm t;
	void *entry;

	svm_init(test, &t, 64);
	for (i = 0; i < 64; i++)
		svm_set(test, &t, i, SVM_PRIVATE);
	prandom_seed_state(&ovc_sample_rnd, 99);

	ovc_sample_vm(t.vm, true, 16);		/* starts the first period */
	KUNIT_EXPECT_EQ(test, t.vm->sample.periods, 0UL);
	KUNIT_EXPECT_EQ(test, t.vm->active_pages, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, t.vm->active_permille, 1000U);
	KUNIT_ASSERT_EQ(test, svm_marked(test, &t, NULL), 16UL);
	xa_for_each_marked(&t.vm->slots, index, entry, OVC_SLOT_SAMPLED)
		if (n++ < 4)
			ovc_sample_touch(t.vm, index);

	ovc_sample_vm(t.vm, false, 0);		/* 4 of 16 touched */
	KUNIT_EXPECT_EQ(test, t.vm->sample.periods, 1UL);
	KUNIT_EXPECT_EQ(test, t.vm->active_permille, 250U);
	KUNIT_EXPECT_EQ(test, t.vm->active_pages, 16UL);
	KUNIT_EXPECT_FALSE(test, xa_marked(&t.vm->slots, OVC_SLOT_SAMPLED));
	KUNIT_EXPECT_FALSE(test, t.vm->sample.started);

	/* A period without samples: estimate unchanged, period counted. */
	t.vm->sample.started = true;
	ovc_sample_vm(t.vm, true, 8);
	KUNIT_EXPECT_EQ(test, t.vm->sample.periods, 2UL);
	KUNIT_EXPECT_EQ(test, t.vm->active_permille, 250U);
	KUNIT_EXPECT_EQ(test, svm_marked(test, &t, NULL), 8UL);

	/* The guest uses 4 pages: 8 untouched samples say 0 anyway... */
	t.vm->guest_total = 64;
	t.vm->guest_free = 60;
	xa_for_each_marked(&t.vm->slots, index, entry, OVC_SLOT_SAMPLED)
		ovc_sample_touch(t.vm, index);	/* ...so touch them all */
	ovc_sample_vm(t.vm, false, 0);
	KUNIT_EXPECT_EQ(test, t.vm->sample.periods, 3UL);
	KUNIT_EXPECT_EQ(test, t.vm->active_pages, 4UL);
	KUNIT_EXPECT_EQ(test, t.vm->active_permille, 62U);	/* 4/64 */
	/* The state keeps the unbounded estimate: 1000 last period. */
	KUNIT_EXPECT_EQ(test, t.vm->sample.last, 1000);
	svm_free(&t);
}

static struct kunit_case sample_test_cases[] = {
	KUNIT_CASE_PARAM(sample_ema_test, ema_gen_params),
	KUNIT_CASE_PARAM(sample_combine_test, combine_gen_params),
	KUNIT_CASE(sample_fraction_test),
	KUNIT_CASE_PARAM(sample_sequence_test, seq_gen_params),
	KUNIT_CASE(sample_response_test),
	KUNIT_CASE_PARAM(sample_bound_test, bound_gen_params),
	KUNIT_CASE(sample_uniform_test),
	KUNIT_CASE(sample_few_test),
	KUNIT_CASE(sample_leave_test),
	KUNIT_CASE(sample_period_test),
	{}
};

static struct kunit_suite sample_test_suite = {
	.name		= "ovc_sample",
	.suite_init	= ovc_kunit_suite_init,
	.exit		= ovc_kunit_exit,
	.test_cases	= sample_test_cases,
};
kunit_test_suite(sample_test_suite);

#endif /* _OVC_SAMPLE_KUNIT_H */
