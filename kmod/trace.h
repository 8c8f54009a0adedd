/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc tracepoints: events/ovc/ovc_merge and events/ovc/ovc_cow (sharing);
 * ovc_sample_period (idle sampling, sample.c); ovc_state, ovc_target and
 * ovc_reclaim (the rebalancer, balance.c); ovc_swap_out and ovc_swap_in
 * (a slot to and from the compressed cache or the swap store, slot.c).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ovc

#if !defined(_OVC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _OVC_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(ovc_merge,
	TP_PROTO(u64 vm, unsigned long index, u32 hash, bool zero, bool new),
	TP_ARGS(vm, index, hash, zero, new),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(unsigned long, index)
		__field(u32, hash)
		__field(bool, zero)
		__field(bool, new)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->index = index;
		__entry->hash = hash;
		__entry->zero = zero;
		__entry->new = new;
	),
	TP_printk("vm=%llu index=%lu hash=%08x zero=%d new_frame=%d",
		  __entry->vm, __entry->index, __entry->hash, __entry->zero,
		  __entry->new)
);

TRACE_EVENT(ovc_cow,
	TP_PROTO(u64 vm, unsigned long index, bool reused),
	TP_ARGS(vm, index, reused),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(unsigned long, index)
		__field(bool, reused)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->index = index;
		__entry->reused = reused;
	),
	TP_printk("vm=%llu index=%lu reused=%d",
		  __entry->vm, __entry->index, __entry->reused)
);

/* The memory state changed (enum ovc_state: 0 high .. 3 low). */
TRACE_EVENT(ovc_state,
	TP_PROTO(unsigned int old, unsigned int new, u64 free, u64 budget),
	TP_ARGS(old, new, free, budget),
	TP_STRUCT__entry(
		__field(unsigned int, old)
		__field(unsigned int, new)
		__field(u64, free)
		__field(u64, budget)
	),
	TP_fast_assign(
		__entry->old = old;
		__entry->new = new;
		__entry->free = free;
		__entry->budget = budget;
	),
	TP_printk("old=%s new=%s free=%llu budget=%llu",
		  __print_symbolic(__entry->old, { 0, "high" }, { 1, "soft" },
				   { 2, "hard" }, { 3, "low" }),
		  __print_symbolic(__entry->new, { 0, "high" }, { 1, "soft" },
				   { 2, "hard" }, { 3, "low" }),
		  __entry->free, __entry->budget)
);

/* A rebalance set a VM's allocation target; its balloon target now. */
TRACE_EVENT(ovc_target,
	TP_PROTO(u64 vm, u64 target, u64 balloon),
	TP_ARGS(vm, target, balloon),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(u64, target)
		__field(u64, balloon)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->target = target;
		__entry->balloon = balloon;
	),
	TP_printk("vm=%llu target=%llu balloon=%llu",
		  __entry->vm, __entry->target, __entry->balloon)
);

/* Hard or low state: how far a VM is over its target (balance.c stores it). */
TRACE_EVENT(ovc_reclaim,
	TP_PROTO(u64 vm, u64 pages, unsigned int state),
	TP_ARGS(vm, pages, state),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(u64, pages)
		__field(unsigned int, state)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->pages = pages;
		__entry->state = state;
	),
	TP_printk("vm=%llu pages=%llu state=%u",
		  __entry->vm, __entry->pages, __entry->state)
);

/*
 * A VM's sample period ended (sample.c): @sampled slots counted (touched
 * plus still marked; pages that left their slot count neither way),
 * @touched of them, the period's fraction @last (permille; 0 without
 * samples), the new estimate @permille and @active_pages (bounded by the
 * guest's report), and @picked slots sampled for the next period.
 */
TRACE_EVENT(ovc_sample_period,
	TP_PROTO(u64 vm, unsigned long sampled, unsigned long touched,
		 unsigned int last, unsigned int permille,
		 unsigned long active_pages, unsigned int picked),
	TP_ARGS(vm, sampled, touched, last, permille, active_pages, picked),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(unsigned long, sampled)
		__field(unsigned long, touched)
		__field(unsigned int, last)
		__field(unsigned int, permille)
		__field(unsigned long, active_pages)
		__field(unsigned int, picked)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->sampled = sampled;
		__entry->touched = touched;
		__entry->last = last;
		__entry->permille = permille;
		__entry->active_pages = active_pages;
		__entry->picked = picked;
	),
	TP_printk("vm=%llu sampled=%lu touched=%lu last=%u estimate=%u active_pages=%lu picked=%u",
		  __entry->vm, __entry->sampled, __entry->touched,
		  __entry->last, __entry->permille, __entry->active_pages,
		  __entry->picked)
);

DECLARE_EVENT_CLASS(ovc_swap,
	TP_PROTO(u64 vm, unsigned long index),
	TP_ARGS(vm, index),
	TP_STRUCT__entry(
		__field(u64, vm)
		__field(unsigned long, index)
	),
	TP_fast_assign(
		__entry->vm = vm;
		__entry->index = index;
	),
	TP_printk("vm=%llu index=%lu", __entry->vm, __entry->index)
);

DEFINE_EVENT(ovc_swap, ovc_swap_out,
	TP_PROTO(u64 vm, unsigned long index),
	TP_ARGS(vm, index)
);

DEFINE_EVENT(ovc_swap, ovc_swap_in,
	TP_PROTO(u64 vm, unsigned long index),
	TP_ARGS(vm, index)
);

#endif /* _OVC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
