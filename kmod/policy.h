/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc allocation policy (policy.c): pure functions, no locks, no
 * allocation, no globals.  The rebalancer (balance.c) gathers the inputs
 * and applies the results.
 */
#ifndef _OVC_POLICY_H
#define _OVC_POLICY_H

#include <linux/types.h>

/* Inputs are clamped to this many pages (4 PiB): the math fits in u64. */
#define OVC_POLICY_PAGES_MAX	(1ULL << 40)
#define OVC_POLICY_SHARES_MAX	1000000U
#define OVC_POLICY_TAX_MAX	99U

/**
 * struct ovc_policy_vm - one VM's inputs and output of ovc_policy_targets()
 * @shares:	its shares, 1..OVC_POLICY_SHARES_MAX (0 is taken as 1)
 * @min_pages:	reservation: the target is never below it
 * @max_pages:	demand: the target is never above it
 * @active_pages: pages in active use; above @max_pages (ULONG_MAX:
 *		unknown) the whole VM is active
 * @target_pages: output, the allocation target
 */
struct ovc_policy_vm {
	u32 shares;
	u64 min_pages;
	u64 max_pages;
	u64 active_pages;
	u64 target_pages;
};

/* Memory states, from the most free memory to the least. */
enum ovc_state {
	OVC_STATE_HIGH,
	OVC_STATE_SOFT,
	OVC_STATE_HARD,
	OVC_STATE_LOW,
	OVC_STATE_NR,
};

/**
 * struct ovc_policy_thresholds - state thresholds, percent of the budget
 * @pct:	indexed by enum ovc_state: high > soft > hard > low, <= 100
 */
struct ovc_policy_thresholds {
	unsigned int pct[OVC_STATE_NR];
};

void ovc_policy_targets(struct ovc_policy_vm *vms, unsigned int n,
			u64 budget, unsigned int tax_percent);
enum ovc_state ovc_policy_state(u64 free, u64 budget,
				const struct ovc_policy_thresholds *t,
				enum ovc_state cur);
bool ovc_policy_thresholds_valid(const struct ovc_policy_thresholds *t);
u64 ovc_policy_balloon(u64 size, u64 target, u64 reserve,
		       unsigned int max_percent, enum ovc_state state, u64 cur);
const char *ovc_policy_state_name(enum ovc_state state);

#endif /* _OVC_POLICY_H */
