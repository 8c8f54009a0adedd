/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc_balanced, the rebalancer (balance.c): its knobs and statistics
 * (sysfs.c shows them), per-VM policy inputs, the low-state fault wait.
 */
#ifndef _OVC_BALANCE_H
#define _OVC_BALANCE_H

#include <linux/types.h>

#include "policy.h"

struct ovc_vm;
struct vm_fault;

#define OVC_SHARES_DEFAULT		1000U
#define OVC_BALANCE_PERIOD_MIN		100U
#define OVC_BALANCE_PERIOD_MAX		3600000U
/* A fault of an over-target VM in the low state waits at most this long. */
#define OVC_LOW_WAIT_MS			100U

/**
 * struct ovc_balance_knobs - set through sysfs, read with READ_ONCE
 * @idle_tax_percent:	0..OVC_POLICY_TAX_MAX (default 75)
 * @host_reserve_pages:	kept from guests when the budget is automatic,
 *			0..totalram_pages (default totalram / 16)
 * @host_budget_pages:	pages all VMs may hold; 0: totalram - reserve
 * @balance_period_ms:	OVC_BALANCE_PERIOD_MIN..MAX (default 15000)
 * @balloon_max_percent: never balloon more of a VM, 0..100 (default 65)
 * @policy_run:		1: write balloon targets and make faults wait in
 *			the low state; 0 (default): only compute targets
 * @thresholds:		state thresholds, percent of the budget (6 4 2 1);
 *			changed under ovc_balance_knob_mutex only
 */
struct ovc_balance_knobs {
	unsigned int idle_tax_percent;
	unsigned long host_reserve_pages;
	unsigned long host_budget_pages;
	unsigned int balance_period_ms;
	unsigned int balloon_max_percent;
	unsigned int policy_run;
	struct ovc_policy_thresholds thresholds;
};

/**
 * struct ovc_balance_stats - written by ovc_balanced (and faults for
 * @low_waits), read with READ_ONCE
 * @state:	the memory state (enum ovc_state)
 * @free_pages:	the free memory the state was computed from
 * @low_waits:	faults that waited in the low state
 * @rebalances:	rebalances done
 */
struct ovc_balance_stats {
	unsigned int state;
	unsigned long free_pages;
	atomic_long_t low_waits;
	unsigned long rebalances;
};

extern struct ovc_balance_knobs ovc_balance_knobs;
extern struct ovc_balance_stats ovc_balance_stats;

int ovc_balance_init(void);
void ovc_balance_exit(void);
void ovc_balance_wake(void);
void ovc_balance_run_changed(void);
unsigned long ovc_balance_budget(void);
int ovc_balance_set_threshold(enum ovc_state state, unsigned int pct);
unsigned long ovc_balance_max_pages(struct ovc_vm *vm);
int ovc_balance_set_min(struct ovc_vm *vm, unsigned long pages);
int ovc_balance_set_max(struct ovc_vm *vm, unsigned long pages);
int ovc_balance_fault_wait(struct ovc_vm *vm, struct vm_fault *vmf);

#endif /* _OVC_BALANCE_H */
