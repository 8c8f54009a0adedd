/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc idle sampling: which fraction of each VM's private pages the guest
 * touches (sample.c has the design).
 */
#ifndef _OVC_SAMPLE_H
#define _OVC_SAMPLE_H

#include <linux/types.h>
#include <linux/xarray.h>

#include "slot.h"
#include "vm.h"

/* sample_period_ms: 0 (off), or OVC_SAMPLE_PERIOD_MIN..MAX; default 30 s */
#define OVC_SAMPLE_PERIOD_MIN	100U
#define OVC_SAMPLE_PERIOD_MAX	3600000U
#define OVC_SAMPLE_PERIOD_DEF	30000U
/* sample_pages: pages sampled per VM per period */
#define OVC_SAMPLE_PAGES_MAX	65536U
#define OVC_SAMPLE_PAGES_DEF	100U

/**
 * struct ovc_sample_knobs - the sampler's sysfs knobs (WRITE_ONCE/READ_ONCE)
 * @period_ms:	sample_period_ms: length of a sample period; 0 stops
 *		sampling and clears every mark
 * @pages:	sample_pages: slots sampled per VM per period
 */
struct ovc_sample_knobs {
	unsigned int period_ms;
	unsigned int pages;
};

extern struct ovc_sample_knobs ovc_sample_knobs;

int ovc_sample_set_period(unsigned int ms);
int ovc_sample_set_pages(unsigned int pages);
void ovc_sample_touch(struct ovc_vm *vm, pgoff_t index);
int ovc_sample_init(void);
void ovc_sample_exit(void);

/**
 * ovc_sample_fault() - a fault maps slot @index of @vm for the guest
 * @vm:		the VM
 * @index:	the slot, whose page the caller holds locked
 *
 * Counts a sampled slot touched (ovc_sample_touch()).  Costs one bit test
 * of the xarray's flags while no slot of @vm is sampled, one lockless walk
 * when one is; the xarray lock only for a sampled slot.
 */
static inline void ovc_sample_fault(struct ovc_vm *vm, pgoff_t index)
{
	if (unlikely(xa_marked(&vm->slots, OVC_SLOT_SAMPLED)) &&
	    xa_get_mark(&vm->slots, index, OVC_SLOT_SAMPLED))
		ovc_sample_touch(vm, index);
}

#endif /* _OVC_SAMPLE_H */
