/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the allocation policy (kmod/policy.c): targets by
 * min-funding revocation with the idle tax, memory states, balloon
 * targets.  Hand-computed tables first, then properties over
 * pseudo-random inputs (a fixed seed: a failure is reproducible).
 *
 * Included at the end of kmod/policy.c; built only with
 * CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_POLICY_KUNIT_H
#define _OVC_POLICY_KUNIT_H

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/string.h>

#include "../policy.h"
#include "ovc_kunit.h"

#define UNK	ULONG_MAX	/* active_pages not known yet: all active */
#define PMAX	OVC_POLICY_PAGES_MAX

/* ---- ovc_policy_targets(): hand-computed ---- */

#define NVM	3

struct targets_case {
	const char *name;
	unsigned int n, tax;
	u64 budget;
	struct ovc_policy_vm in[NVM];	/* shares, min, max, active */
	u64 want[NVM];
};

/*
 * The arithmetic, with cost c = 100 - tax per active page and 100 per
 * idle page (w(P) of policy.c), and the level L a VM's cost per share
 * reaches: pages are revoked until every VM that can give is at L.
 */
static const struct targets_case targets_cases[] = {
	/*
	 * ESX, section 5.2: equal shares, one VM idle, tax 0: every page
	 * costs 100, so 100 P1 = 100 P2, P1 + P2 = 1000: 500 each.
	 */
	{ "equal shares, one idle, tax 0", 2, 0, 1000,
	  { { 1000, 0, 1000, 0 }, { 1000, 0, 1000, UNK } }, { 500, 500 } },
	/*
	 * Tax 75: k = 4; idle pages cost 100, active 25.  100 Pidle =
	 * 25 Pact, Pidle + Pact = 1000: the idle VM gives 4x, 200 / 800.
	 * Check with rho = S / (A + k (P - A)): idle 1000 / (4 * 200) =
	 * active 1000 / 800.
	 */
	{ "equal shares, one idle, tax 75", 2, 75, 1000,
	  { { 1000, 0, 1000, 0 }, { 1000, 0, 1000, UNK } }, { 200, 800 } },
	/* Tax 50: k = 2; 100 Pidle = 50 Pact, sum 900: 300 / 600. */
	{ "equal shares, one idle, tax 50", 2, 50, 900,
	  { { 1000, 0, 1000, 0 }, { 1000, 0, 1000, UNK } }, { 300, 600 } },
	/*
	 * Partly active, tax 75: A has 400 active pages (25 each, 10000 in
	 * all), then idle ones at 100; B is idle.  Above L = 10000: PB =
	 * L / 100, PA = 400 + (L - 10000) / 100; sum 1000 at L = 35000:
	 * B 350, A 650.  rho: A 400 + 4 * 250 = 1400 = B's 4 * 350.
	 */
	{ "400 of 1000 active vs idle, tax 75", 2, 75, 1000,
	  { { 1000, 0, 1000, 400 }, { 1000, 0, 1000, 0 } }, { 650, 350 } },
	/* Shares 2:1, both active, tax 0: P1 / 2 = P2, sum 900: 600 / 300. */
	{ "shares 2:1, tax 0", 2, 0, 900,
	  { { 2000, 0, 1000, UNK }, { 1000, 0, 1000, UNK } }, { 600, 300 } },
	/* Shares 2:1 and 2:1 active pages at tax 75: the tax needs idleness. */
	{ "shares 2:1, all active, tax 75", 2, 75, 900,
	  { { 2000, 0, 1000, UNK }, { 1000, 0, 1000, UNK } }, { 600, 300 } },
	/*
	 * Shares 1:3 against tax: A (1000 shares) all active, B (3000)
	 * idle, tax 75: A pays 25 / 1000, B 100 / 3000 per page and share:
	 * 25 PA / 1000 = 100 PB / 3000 -> PA = 4/3 PB, sum 700: 400 / 300.
	 */
	{ "3x shares but idle, tax 75", 2, 75, 700,
	  { { 1000, 0, 1000, UNK }, { 3000, 0, 1000, 0 } }, { 400, 300 } },
	/* min: the idle VM would get 200 (above) but keeps its 600. */
	{ "min respected", 2, 75, 1000,
	  { { 1000, 600, 1000, 0 }, { 1000, 0, 1000, UNK } }, { 600, 400 } },
	/* max: the active VM would get 800 but wants only 100. */
	{ "max respected", 2, 75, 1000,
	  { { 1000, 0, 1000, 0 }, { 1000, 0, 100, UNK } }, { 900, 100 } },
	{ "budget above the demands", 2, 75, 1000,
	  { { 1000, 0, 300, 0 }, { 1000, 0, 400, UNK } }, { 300, 400 } },
	{ "budget equal to the demands", 2, 75, 700,
	  { { 1000, 0, 300, 0 }, { 1000, 0, 400, UNK } }, { 300, 400 } },
	/* mins 1200 > 1000: every VM at its min, the sum above the budget. */
	{ "all at min", 2, 75, 1000,
	  { { 1000, 600, 1000, 0 }, { 1000, 600, 1000, UNK } }, { 600, 600 } },
	{ "budget 0", 2, 75, 0,
	  { { 1000, 0, 1000, 0 }, { 1000, 10, 1000, UNK } }, { 0, 10 } },
	{ "one VM", 1, 75, 700, { { 1000, 0, 1000, 0 } }, { 700 } },
	{ "one VM, min above the budget", 1, 75, 700,
	  { { 1000, 800, 1000, 0 } }, { 800 } },
	{ "zero active, equal shares", 2, 75, 1000,
	  { { 1000, 0, 1000, 0 }, { 1000, 0, 1000, 0 } }, { 500, 500 } },
	{ "unknown active, equal shares", 2, 75, 1000,
	  { { 1000, 0, 1000, UNK }, { 1000, 0, 1000, UNK } }, { 500, 500 } },
	/* active above max is all active: same as unknown. */
	{ "active above max", 2, 75, 1000,
	  { { 1000, 0, 1000, 5000 }, { 1000, 0, 1000, 0 } }, { 800, 200 } },
	/*
	 * The rounding remainder: 333 each at the level that fits, 334
	 * each at the next (1002); the one page left goes to index 0.
	 */
	{ "remainder by index", 3, 0, 1000,
	  { { 1000, 0, 1000, UNK }, { 1000, 0, 1000, UNK },
	    { 1000, 0, 1000, UNK } }, { 334, 333, 333 } },
	/* shares 0 counts as 1, like shares 1. */
	{ "shares 0 is 1", 2, 0, 100,
	  { { 0, 0, 1000, UNK }, { 1, 0, 1000, UNK } }, { 50, 50 } },
	/* 2^40 pages: 2^39 each, no overflow. */
	{ "2^40 pages, equal", 2, 75, PMAX,
	  { { 1000000, 0, PMAX, UNK }, { 1000000, 0, PMAX, UNK } },
	  { PMAX / 2, PMAX / 2 } },
	/* Above 2^40 is clamped to it: demands 2^40 + 2^40 fit 2^41. */
	{ "pages above 2^40 clamped", 2, 75, 2 * PMAX,
	  { { 1, 0, U64_MAX, 0 }, { 1000000, U64_MAX, U64_MAX, UNK } },
	  { PMAX, PMAX } },
	/*
	 * Shares 10^6 : 1, tax 0, 2^40 pages: P2 = P1 / 10^6, sum 2^40 ->
	 * P2 = 2^40 / 1000001 = 1099510.5: 1099510 (floor), the rest to
	 * VM 1.
	 */
	{ "shares 10^6 : 1 at 2^40", 2, 0, PMAX,
	  { { 1000000, 0, PMAX, UNK }, { 1, 0, PMAX, UNK } },
	  { PMAX - 1099510, 1099510 } },
};

static void targets_case_desc(const struct targets_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(targets, targets_cases, targets_case_desc);

static void targets_table_test(struct kunit *test)
{
	const struct targets_case *c = test->param_value;
	struct ovc_policy_vm vms[NVM];
	unsigned int i;

	memcpy(vms, c->in, sizeof(vms));
	ovc_policy_targets(vms, c->n, c->budget, c->tax);
	for (i = 0; i < c->n; i++)
		KUNIT_EXPECT_EQ_MSG(test, vms[i].target_pages, c->want[i],
				    "VM %u", i);
}

/* ---- ovc_policy_targets(): properties over random inputs ---- */

#define PROP_VMS	8
#define PROP_ROUNDS	1500

struct prop_input {
	struct ovc_policy_vm vms[PROP_VMS];
	unsigned int n, tax;
	u64 budget;
};

/* A value spread over magnitudes: up to 2^@bits, often small. */
static u64 prop_rand(struct rnd_state *rnd, unsigned int bits)
{
	unsigned int b = prandom_u32_state(rnd) % (bits + 1);
	u64 v = ((u64)prandom_u32_state(rnd) << 32) | prandom_u32_state(rnd);

	return b ? v & ((1ULL << b) - 1) : 0;
}

static void prop_gen(struct rnd_state *rnd, struct prop_input *p)
{
	u64 sum = 0;
	unsigned int i;

	p->n = 1 + prandom_u32_state(rnd) % PROP_VMS;
	p->tax = prandom_u32_state(rnd) % 100;
	for (i = 0; i < p->n; i++) {
		struct ovc_policy_vm *v = &p->vms[i];
		unsigned int bits = 4 + prandom_u32_state(rnd) % 37;

		v->shares = 1 + prop_rand(rnd, 20) % OVC_POLICY_SHARES_MAX;
		v->max_pages = 1 + prop_rand(rnd, bits);
		v->min_pages = prandom_u32_state(rnd) % 3 ? 0 :
			       prop_rand(rnd, bits) % (v->max_pages + 1);
		v->active_pages = prandom_u32_state(rnd) % 4 ? UNK :
				  prop_rand(rnd, bits) % (v->max_pages + 1);
		sum += v->max_pages;
	}
	p->budget = prop_rand(rnd, 42) % (sum + sum / 4 + 1);
}

static void prop_run(struct prop_input *p)
{
	ovc_policy_targets(p->vms, p->n, p->budget, p->tax);
}

/* Every target in [min, max]; the sum at the budget unless all at min or max. */
static void targets_bounds_test(struct kunit *test)
{
	struct rnd_state rnd;
	struct prop_input p;
	unsigned int r, i;

	prandom_seed_state(&rnd, 1);
	for (r = 0; r < PROP_ROUNDS; r++) {
		u64 sum = 0, sum_min = 0, sum_max = 0;

		prop_gen(&rnd, &p);
		prop_run(&p);
		for (i = 0; i < p.n; i++) {
			struct ovc_policy_vm *v = &p.vms[i];

			KUNIT_ASSERT_GE_MSG(test, v->target_pages, v->min_pages,
					    "round %u VM %u", r, i);
			KUNIT_ASSERT_LE_MSG(test, v->target_pages, v->max_pages,
					    "round %u VM %u", r, i);
			sum += v->target_pages;
			sum_min += v->min_pages;
			sum_max += v->max_pages;
		}
		if (sum_min >= p.budget)
			KUNIT_ASSERT_EQ_MSG(test, sum, sum_min, "round %u", r);
		else if (sum_max <= p.budget)
			KUNIT_ASSERT_EQ_MSG(test, sum, sum_max, "round %u", r);
		else
			KUNIT_ASSERT_EQ_MSG(test, sum, p.budget, "round %u", r);
	}
}

/*
 * Monotonicity: changing one input of VM @i in @q (a copy of @p) never
 * gives it less.  @what says which change.
 */
static void prop_no_less(struct kunit *test, struct prop_input *p,
			 struct prop_input *q, unsigned int i, unsigned int r,
			 const char *what)
{
	prop_run(p);
	prop_run(q);
	KUNIT_ASSERT_GE_MSG(test, q->vms[i].target_pages, p->vms[i].target_pages,
			    "round %u VM %u: %s", r, i, what);
}

static void targets_monotone_test(struct kunit *test)
{
	struct prop_input p, q;
	struct rnd_state rnd;
	unsigned int r, i;

	prandom_seed_state(&rnd, 2);
	for (r = 0; r < PROP_ROUNDS; r++) {
		prop_gen(&rnd, &p);
		i = prandom_u32_state(&rnd) % p.n;

		q = p;
		q.vms[i].shares += prandom_u32_state(&rnd) %
			(OVC_POLICY_SHARES_MAX - p.vms[i].shares + 1);
		prop_no_less(test, &p, &q, i, r, "more shares");

		q = p;
		if (p.tax && p.vms[i].active_pages != UNK) {
			q.vms[i].active_pages += prop_rand(&rnd, 40) %
				(p.vms[i].max_pages - p.vms[i].active_pages + 1);
			if (prandom_u32_state(&rnd) % 4 == 0)
				q.vms[i].active_pages = UNK;
			prop_no_less(test, &p, &q, i, r, "more activity");
		}

		q = p;
		q.budget += prop_rand(&rnd, 40);
		prop_no_less(test, &p, &q, i, r, "more budget");
	}
}

/* At tax 0 activity is irrelevant: the same targets whatever it is. */
static void targets_tax0_test(struct kunit *test)
{
	struct prop_input p, q;
	struct rnd_state rnd;
	unsigned int r, i;

	prandom_seed_state(&rnd, 3);
	for (r = 0; r < PROP_ROUNDS; r++) {
		prop_gen(&rnd, &p);
		p.tax = 0;
		q = p;
		for (i = 0; i < p.n; i++)
			q.vms[i].active_pages = prandom_u32_state(&rnd) % 2 ?
				UNK : prop_rand(&rnd, 40);
		prop_run(&p);
		prop_run(&q);
		for (i = 0; i < p.n; i++)
			KUNIT_ASSERT_EQ_MSG(test, q.vms[i].target_pages,
					    p.vms[i].target_pages,
					    "round %u VM %u", r, i);
	}
}

/* ---- ovc_policy_state() ---- */

static const struct ovc_policy_thresholds esx = { { 6, 4, 2, 1 } };

struct state_case {
	const char *name;
	u64 free, budget;
	enum ovc_state cur, want;
};

#define H	OVC_STATE_HIGH
#define S	OVC_STATE_SOFT
#define D	OVC_STATE_HARD
#define L	OVC_STATE_LOW

/* ESX's thresholds, budget 10000: 600 is 6 %, 100 is 1 %. */
static const struct state_case state_cases[] = {
	{ "6 % is high", 600, 10000, S, H },
	{ "all free is high", 10000, 10000, L, H },
	{ "free above the budget is high", 20000, 10000, H, H },
	{ "just under 6 % is soft", 599, 10000, H, S },
	{ "4 % is soft", 400, 10000, L, S },
	{ "just under 4 % is hard", 399, 10000, S, D },
	{ "2 % is hard, also from low", 200, 10000, L, D },
	{ "[1, 2) % from high is hard", 199, 10000, H, D },
	{ "[1, 2) % from hard stays hard", 100, 10000, D, D },
	{ "[1, 2) % from low stays low", 199, 10000, L, L },
	{ "1 % from low stays low", 100, 10000, L, L },
	{ "under 1 % is low", 99, 10000, H, L },
	{ "nothing free is low", 0, 10000, S, L },
	{ "budget 0 is low", 0, 0, H, L },
	/* 2^40 pages: 100 * free still fits; 2^40 / 100 is not whole */
	{ "2^40 budget, 6 %", (PMAX + 99) / 100 * 6, PMAX, L, H },
	{ "2^40 budget, just under 6 %", PMAX / 100 * 6, PMAX, L, S },
};

static void state_case_desc(const struct state_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(state, state_cases, state_case_desc);

static void state_table_test(struct kunit *test)
{
	const struct state_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ovc_policy_state(c->free, c->budget, &esx, c->cur),
			c->want);
}

static void thresholds_test(struct kunit *test)
{
	static const struct ovc_policy_thresholds ok[] = {
		{ { 6, 4, 2, 1 } }, { { 100, 50, 1, 0 } }, { { 3, 2, 1, 0 } },
	};
	static const struct ovc_policy_thresholds bad[] = {
		{ { 6, 4, 4, 1 } }, { { 101, 4, 2, 1 } }, { { 3, 4, 2, 1 } },
		{ { 6, 4, 2, 2 } }, { { 0, 0, 0, 0 } },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		KUNIT_EXPECT_TRUE_MSG(test, ovc_policy_thresholds_valid(&ok[i]),
				      "ok %u", i);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       ovc_policy_thresholds_valid(&bad[i]),
				       "bad %u", i);
	KUNIT_EXPECT_STREQ(test, ovc_policy_state_name(H), "high");
	KUNIT_EXPECT_STREQ(test, ovc_policy_state_name(S), "soft");
	KUNIT_EXPECT_STREQ(test, ovc_policy_state_name(D), "hard");
	KUNIT_EXPECT_STREQ(test, ovc_policy_state_name(L), "low");
}

/* ---- ovc_policy_balloon() ---- */

struct balloon_case {
	const char *name;
	u64 size, target, min;
	unsigned int pct;
	enum ovc_state state;
	u64 cur, want;
};

static const struct balloon_case balloon_cases[] = {
	{ "size - target", 1000, 400, 0, 65, S, 0, 600 },
	{ "65 % cap", 1000, 100, 0, 65, S, 0, 650 },
	{ "100 % cap is size - target", 1000, 100, 0, 100, D, 0, 900 },
	{ "0 % never balloons", 1000, 100, 0, 0, L, 500, 0 },
	{ "never below min", 1000, 100, 500, 65, S, 0, 500 },
	{ "target = size deflates", 1000, 1000, 0, 65, S, 300, 0 },
	{ "target above size (shrunk file)", 1000, 1200, 0, 65, S, 300, 0 },
	{ "min above size", 1000, 0, 2000, 65, S, 300, 0 },
	{ "high: not raised", 1000, 400, 0, 65, H, 300, 300 },
	{ "high: lowered", 1000, 900, 0, 65, H, 300, 100 },
	{ "soft: raised", 1000, 400, 0, 65, S, 300, 600 },
	{ "65 % rounds down", 999, 0, 0, 65, L, 0, 649 },
	{ "2^40 pages", PMAX, 0, 0, 65, L, 0, PMAX / 100 * 65 +
	  (PMAX % 100) * 65 / 100 },
};

static void balloon_case_desc(const struct balloon_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(balloon, balloon_cases, balloon_case_desc);

static void balloon_table_test(struct kunit *test)
{
	const struct balloon_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ovc_policy_balloon(c->size, c->target, c->min,
						 c->pct, c->state, c->cur),
			c->want);
}

#undef H
#undef S
#undef D
#undef L

static struct kunit_case policy_test_cases[] = {
	KUNIT_CASE_PARAM(targets_table_test, targets_gen_params),
	KUNIT_CASE(targets_bounds_test),
	KUNIT_CASE(targets_monotone_test),
	KUNIT_CASE(targets_tax0_test),
	KUNIT_CASE_PARAM(state_table_test, state_gen_params),
	KUNIT_CASE(thresholds_test),
	KUNIT_CASE_PARAM(balloon_table_test, balloon_gen_params),
	{}
};

static struct kunit_suite policy_test_suite = {
	.name = "ovc_policy",
	.suite_init = ovc_kunit_suite_init,
	.exit = ovc_kunit_exit,
	.test_cases = policy_test_cases,
};

kunit_test_suites(&policy_test_suite);

MODULE_LICENSE("GPL");

#endif /* _OVC_POLICY_KUNIT_H */
