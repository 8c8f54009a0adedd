/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc reclaim without the guest (reclaim.c): taking private pages of a VM
 * into the compressed cache (store.h) and, when it cannot keep them, the
 * swap store (swap.h).
 *
 * DOC: Reclaim
 *
 * As ESX's hypervisor swapping: the pages taken are chosen at random among
 * the VM's private resident pages, so no guest access pattern can steer
 * the choice, preferring pages idle sampling saw idle (still marked
 * OVC_SLOT_SAMPLED: unmapped by the sampler and not touched since).  A page
 * is taken only after the merge's own check (ovc_slot_isolate(): locked,
 * unmapped, no pin, no other user); shared and zero frames are not taken.
 * A fault reads the page back (ovc_slot_get_page()).
 *
 * Who reclaims:
 *  - the rebalancer (balance.c), in the hard and low states with
 *    policy_run=1: each VM over its target, down to the target, at most
 *    OVC_RECLAIM_PER_PERIOD pages a rebalance;
 *  - the kernel's reclaim, through a shrinker (knob "shrink"): host
 *    memory pressure stores VMs' pages in the compressed cache, and in
 *    the swap store only if it is a block device (see
 *    ovc_reclaim_scan()), VMs over their targets first; the shrinker is
 *    memcg aware, so a cgroup's own reclaim
 *    (memory.high, memory.max) stores the pages of the VMs mapped from it;
 *  - an administrator or a test: vms/<id>/reclaim (as memory.reclaim).
 * A store that finds the compressed cache full kicks the writeback
 * (writeback.h), which moves the cache's oldest pages to the swap store.
 */
#ifndef _OVC_RECLAIM_H
#define _OVC_RECLAIM_H

#include <linux/types.h>

struct ovc_vm;

/* The rebalancer stores at most this many pages of a VM per rebalance. */
#define OVC_RECLAIM_PER_PERIOD	32768

/* The shrinker is registered and asked (1, default) or says 0 (0). */
extern bool ovc_reclaim_shrink;

/* ovc_reclaim_vm() flags */
#define OVC_RECLAIM_NOWAIT	0x1	/* only trylocks: reclaim context */
#define OVC_RECLAIM_SWAP	0x2	/* may write to the swap store */
/* Inside an allocation (the shrinker): the swap store only if a block device. */
#define OVC_RECLAIM_SHRINK	0x4

unsigned long ovc_reclaim_vm(struct ovc_vm *vm, unsigned long nr,
			     unsigned int flags);
int ovc_reclaim_request(struct ovc_vm *vm, unsigned long nr);
void ovc_reclaim_track_vm(struct ovc_vm *vm);

int ovc_reclaim_init(void);
void ovc_reclaim_exit(void);

#endif /* _OVC_RECLAIM_H */
