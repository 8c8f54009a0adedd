// SPDX-License-Identifier: GPL-2.0
/*
 * ovc allocation policy: ESX's min-funding revocation with an idle tax
 * (Waldspurger, OSDI 2002, sections 5-6), the memory states and the
 * balloon target of an allocation target.  Pure functions: no locks, no
 * allocation, no globals; balance.c calls them, KUnit tests them.
 *
 * DOC: Targets
 *
 * A VM holding P pages, A of them active, pays for them at the rate
 * rho = S / (A + k (P - A)) with k = 100 / (100 - tax): an idle page
 * costs k active ones.  While the VMs' demands (max_pages) exceed the
 * budget, pages are revoked from the VM with the lowest rho, never below
 * its min_pages.  Revoking until no VM has a lower rho than another that
 * could give is water-filling to a common level: scaled by (100 - tax),
 * a VM's cost of P pages is
 *
 *	w(P) = (100 - tax) min(A, P) + 100 (P - min(A, P))
 *
 * (an integer, strictly increasing in P) and at a level T of cost per
 * share it keeps P(T), the most pages with w(P) <= T S, clamped to
 * [min, max].  T is fixed point (OVC_POLICY_FRAC bits), found by binary
 * search as the largest level whose pages fit the budget; the rounding
 * remainder, less than what the next level would add, goes to the VMs
 * that the next level grows, in index order, so the targets sum to the
 * budget exactly.  Everything is u64: pages are clamped to
 * OVC_POLICY_PAGES_MAX (2^40), so w < 2^47, w << 16 < 2^63, and T S is
 * only computed when it is at most w(max) << 16.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include "policy.h"

/*
 * Fractional bits of the level: one step of it grows a VM by at most
 * S / (2^16 (100 - tax)) pages, 16 at 10^6 shares.
 */
#define OVC_POLICY_FRAC	16

/* The inputs of one VM, clamped and ordered: min <= active <= max. */
struct ovc_policy_in {
	u64 min, max, active, shares;
	u64 sat;	/* levels above this give max */
};

static u64 ovc_policy_clamp(u64 pages)
{
	return min_t(u64, pages, OVC_POLICY_PAGES_MAX);
}

static void ovc_policy_in(const struct ovc_policy_vm *v, unsigned int cost,
			  struct ovc_policy_in *in)
{
	u64 w;

	in->max = ovc_policy_clamp(v->max_pages);
	in->min = min(ovc_policy_clamp(v->min_pages), in->max);
	in->active = min(ovc_policy_clamp(v->active_pages), in->max);
	in->shares = clamp_t(u64, v->shares, 1, OVC_POLICY_SHARES_MAX);
	w = cost * in->active + 100 * (in->max - in->active);
	in->sat = div64_u64(w << OVC_POLICY_FRAC, in->shares);
}

/* P(@level) of the DOC: the pages a VM keeps at that level. */
static u64 ovc_policy_pages_at(const struct ovc_policy_in *in,
			       unsigned int cost, u64 level)
{
	u64 x, p;

	if (level > in->sat)
		return in->max;
	x = (level * in->shares) >> OVC_POLICY_FRAC;
	if (x <= cost * in->active)
		p = div_u64(x, cost);
	else
		p = in->active + div_u64(x - cost * in->active, 100);
	return clamp(p, in->min, in->max);
}

static u64 ovc_policy_sum_at(const struct ovc_policy_vm *vms, unsigned int n,
			     unsigned int cost, u64 level)
{
	struct ovc_policy_in in;
	unsigned int i;
	u64 sum = 0;

	for (i = 0; i < n; i++) {
		ovc_policy_in(&vms[i], cost, &in);
		sum += ovc_policy_pages_at(&in, cost, level);
	}
	return sum;
}

/**
 * ovc_policy_targets() - allocation targets by min-funding revocation
 * @vms:	the VMs' inputs; target_pages is set in each
 * @n:		how many, at most 2^23 (the sums fit in u64)
 * @budget:	pages the VMs may hold together
 * @tax_percent: the idle tax, 0..OVC_POLICY_TAX_MAX (larger is taken as
 *		the maximum)
 *
 * See the DOC above.  If the demands fit the budget every VM gets its
 * demand (max_pages); if the reservations do not, every VM gets its
 * reservation (min_pages), and the targets sum to more than the budget;
 * else they sum to the budget exactly.  Deterministic: ties go by index.
 */
void ovc_policy_targets(struct ovc_policy_vm *vms, unsigned int n,
			u64 budget, unsigned int tax_percent)
{
	unsigned int cost = 100 - min(tax_percent, OVC_POLICY_TAX_MAX);
	u64 lo = 0, hi = 0, mid, rest, p_lo, p_hi, sum_min = 0, sum_max = 0;
	struct ovc_policy_in in;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ovc_policy_in(&vms[i], cost, &in);
		sum_min += in.min;
		sum_max += in.max;
		hi = max(hi, in.sat + 1);
	}
	if (sum_max <= budget || sum_min >= budget) {
		for (i = 0; i < n; i++) {
			ovc_policy_in(&vms[i], cost, &in);
			vms[i].target_pages = sum_max <= budget ? in.max :
					      in.min;
		}
		return;
	}
	/* sum_at(lo) <= budget < sum_at(hi): sum_at(0) is sum_min. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ovc_policy_sum_at(vms, n, cost, mid) <= budget)
			lo = mid;
		else
			hi = mid;
	}
	rest = budget - ovc_policy_sum_at(vms, n, cost, lo);
	for (i = 0; i < n; i++) {
		ovc_policy_in(&vms[i], cost, &in);
		p_lo = ovc_policy_pages_at(&in, cost, lo);
		p_hi = ovc_policy_pages_at(&in, cost, hi);
		mid = min(rest, p_hi - p_lo);
		vms[i].target_pages = p_lo + mid;
		rest -= mid;
	}
}

/**
 * ovc_policy_thresholds_valid() - whether high > soft > hard > low
 * @t:	the thresholds
 *
 * Return: true if they are strictly decreasing and at most 100.
 */
bool ovc_policy_thresholds_valid(const struct ovc_policy_thresholds *t)
{
	unsigned int s;

	if (t->pct[OVC_STATE_HIGH] > 100)
		return false;
	for (s = OVC_STATE_SOFT; s < OVC_STATE_NR; s++)
		if (t->pct[s] >= t->pct[s - 1])
			return false;
	return true;
}

/**
 * ovc_policy_state() - the memory state from free memory
 * @free:	free pages (see balance.c for what counts)
 * @budget:	the host budget; 0 means nothing is free: low
 * @t:		the thresholds, valid (ovc_policy_thresholds_valid())
 * @cur:	the current state
 *
 * With f = 100 @free / @budget: f >= high: high; >= soft: soft; >= hard:
 * hard; < low: low; in [low, hard) low stays low and any other state is
 * hard (the one hysteresis band: leaving low takes hard's threshold).
 *
 * Return: the new state.
 */
enum ovc_state ovc_policy_state(u64 free, u64 budget,
				const struct ovc_policy_thresholds *t,
				enum ovc_state cur)
{
	u64 f;

	budget = ovc_policy_clamp(budget);
	if (!budget)
		return OVC_STATE_LOW;
	f = 100 * min(ovc_policy_clamp(free), budget);
	if (f >= budget * t->pct[OVC_STATE_HIGH])
		return OVC_STATE_HIGH;
	if (f >= budget * t->pct[OVC_STATE_SOFT])
		return OVC_STATE_SOFT;
	if (f >= budget * t->pct[OVC_STATE_HARD])
		return OVC_STATE_HARD;
	if (f < budget * t->pct[OVC_STATE_LOW] || cur == OVC_STATE_LOW)
		return OVC_STATE_LOW;
	return OVC_STATE_HARD;
}

/**
 * ovc_policy_balloon() - the balloon target of an allocation target
 * @size:	the VM's size in pages
 * @target:	its allocation target
 * @reserve:	its reservation (min_pages)
 * @max_percent: never balloon more than this percent of @size (0..100)
 * @state:	the memory state
 * @cur:	the balloon target now
 *
 * Return: min(@size - @target, @size * @max_percent / 100, @size - @reserve),
 * and in the high state never above @cur (there balloons only deflate).
 */
u64 ovc_policy_balloon(u64 size, u64 target, u64 reserve,
		       unsigned int max_percent, enum ovc_state state, u64 cur)
{
	u64 b;

	size = ovc_policy_clamp(size);
	b = size - min(target, size);
	b = min(b, div_u64(size * min(max_percent, 100U), 100));
	b = min(b, size - min(reserve, size));
	if (state == OVC_STATE_HIGH)
		b = min(b, cur);
	return b;
}

/**
 * ovc_policy_state_name() - the name the state file shows
 * @state:	a state
 *
 * Return: "high", "soft", "hard" or "low".
 */
const char *ovc_policy_state_name(enum ovc_state state)
{
	static const char * const names[OVC_STATE_NR] = {
		[OVC_STATE_HIGH] = "high",
		[OVC_STATE_SOFT] = "soft",
		[OVC_STATE_HARD] = "hard",
		[OVC_STATE_LOW] = "low",
	};

	return state < OVC_STATE_NR ? names[state] : "?";
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/policy_kunit.h"
#endif
