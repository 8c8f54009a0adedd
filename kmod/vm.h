/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc VM object: one per ovcfs regular file, i.e. one VM's RAM.
 *
 * DOC: Overview
 *
 * Every guest page of a VM is a slot in @slots (see slot.h for the
 * encoding).  The module supplies the pages itself: a fault on an empty
 * slot allocates a zero-filled page; nothing lives in the page cache and
 * the pages are not on the LRU, so the core mm never reclaims or migrates
 * them behind our back.  Each VM file has its own inode and so its own
 * address_space: unmap_mapping_range() on it hits exactly that VM's
 * mappings (and, through the MMU notifier, KVM's NPT/EPT entries).
 *
 * Host citizenship: every page is charged to the memory cgroup of the
 * task that allocates it and placed by the faulting VMA's NUMA policy
 * (ovc_slot_alloc()); a read fault of an empty slot maps the zero frame
 * instead of allocating; a page with a memory error is never read again
 * (fault.c, share.h).
 *
 * Page references: a slot holds one reference on its page; every PTE
 * holds one more (taken in the fault handler, dropped by the zap).  A page
 * is freed when the slot is gone and the last PTE is zapped.
 *
 * Races between a fault and a slot change (punch, truncate) are closed with
 * the page lock, as filemap does with page->mapping: the fault re-checks,
 * with the page locked, that the slot still holds the page and returns it
 * locked (VM_FAULT_LOCKED), so the PTE is installed under the page lock;
 * whoever removes a slot takes the page lock after removing it and unmaps
 * the page again if a racing fault had mapped it.
 *
 * Lock ordering (outermost first; a lock may be taken with any of its
 * ancestors held).  This is the only lock-order tree of ovc:
 *
 *   inode->i_rwsem			(write, fallocate, truncate)
 *     mm->mmap_lock			(page faults)
 *       ovc_reclaim_mutex		(mmap: vm->reclaim_node, the VM on
 *					 its cgroup's list; reclaim.c)
 *         (list_lru's lock)
 *       ovc_zero_mutex			(replacing a poisoned zero frame:
 *					 no page lock held; share.c)
 *         ovc_share_lock
 *       page lock			(fault, mkwrite, COW, write, zeroing,
 *					 slot release, reclaim; never taken
 *					 with vm->lock held)
 *         vm->lock			(slot transitions)
 *           xa_lock(&vm->slots)	(inside the xarray API)
 *           ovc_share_lock		(spinlock: frame and hint table)
 *           ovc_store_mutex		(the compressor: a swap-in; store.h)
 *           (ovc_store_age's xa_lock)	(freeing a compressed copy; store.c)
 *           (the swap file's locks)	(reading a swapped page; swap.h)
 *           ovc_swap_lock		(spinlock: freeing its slot)
 *         mapping->i_mmap_rwsem	(unmap_mapping_range)
 *
 *   ovc_balance_mutex			(a rebalance; balance.c)
 *     ovc_vms_lock			(gathering the VMs' inputs: reads
 *					 only)
 *     (kernfs, in sysfs_notify() of a balloon target)
 *   ovc_balance_knob_mutex		(stores checking one knob against
 *					 another: thresholds, min/max)
 *
 *   ovc_sample_mutex			(the sampler's work on one VM;
 *					 sample.c)
 *     ovc_vms_lock			(held only to find one VM)
 *     vm->lock			(reading the guest report)
 *     page lock			(marking and unmapping a sample)
 *       xa_lock(&vm->slots)		(sample marks, the touched count;
 *					 also taken by a fault with the
 *					 page locked)
 *       mapping->i_mmap_rwsem	(unmap_mapping_pages)
 *
 *   ovc_reclaim_srcu		(read: vms/<id>/reclaim and the shrinker
 *					 keep the VMs they store from alive;
 *					 never blocks, so taken inside any
 *					 allocation; reclaim.c)
 *     ovc_vms_lock			(held only to find one VM)
 *     page lock			(storing a page: only tried)
 *       vm->lock			(the slot change: only tried)
 *       ovc_store_mutex		(compressing it)
 *       ovc_swap_lock		(spinlock: taking a swap slot)
 *       (the swap file's locks)	(writing it to a file swap store:
 *					 never from the shrinker, which
 *					 writes only a block device store,
 *					 by bio: the block layer's locks)
 *       mapping->i_mmap_rwsem	(unmap_mapping_pages)
 *   The rebalancer stores pages too, under ovc_balance_mutex: the same
 *   order from the page lock down.
 *
 *   ovc_writeback_mutex		(moving one compressed page to the
 *					 swap store; writeback.c)
 *     ovc_vms_lock			(held only to find one VM)
 *     vm->lock			(checking the slot, decompressing)
 *       ovc_store_mutex, ovc_store_age's xa_lock, xa_lock(&vm->slots)
 *     (the swap file's locks)	(writing the page: vm->lock not held)
 *     ovc_swap_lock		(spinlock: taking or giving back a slot)
 *
 *   ovc_scan_mutex			(scanner work, rmap records, domains)
 *     ovc_zero_mutex			(a merge finding the zero frame
 *					 poisoned)
 *     ovc_vms_lock			(list of all VMs; held only to find
 *					 one, never across work on it)
 *       page lock			(the scanner: two at most, only it)
 *         vm->lock
 *           ovc_share_lock
 *
 * Files (kmod/), each with a header of its own (no internal.h: a file's
 * includes say what it depends on).  Calls go one way, down:
 *
 *   interfaces  main.c, ovcfs.c, ioctl.c, uarg.c, sysfs.c
 *   core        vm.c (this object and its lifetime), scan.c, fault.c,
 *               file.c, balloon.c, sample.c, balance.c (the rebalancer)
 *   mechanisms  merge.c, slot.c + slot.h, share.c, range.c, policy.c
 *               (pure: the allocation policy), reclaim.c (choosing
 *               pages to store, the shrinker), store.c (the compressed
 *               cache), swap.c (the swap store), writeback.c (the
 *               cache's oldest pages to the swap store)
 *
 * The core calls no interface and vm.c calls no other core file; the
 * scanner and sysfs hear of a VM's destruction and balloon target changes
 * through struct ovc_vm_ops below.
 *
 * Shared slots: a slot pointing at a frame holds one of the frame's
 * sharers.  Whoever changes such a slot holds the frame page's lock
 * while it changes the slot (a fault rechecks the slot under that lock
 * before it maps the frame's page), then unmaps the slot, and only then
 * drops the sharer (share.h).
 */
#ifndef _OVC_VM_H
#define _OVC_VM_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu_counter.h>
#include <linux/xarray.h>
#include <linux/ovc.h>

#include "range.h"

struct mem_cgroup;
struct ovc_frame;
struct ovc_reclaim_node;
struct ovc_slot_limit;
struct ovc_vm_info;

/**
 * struct ovc_vm_sample - a VM's idle sampling state (sample.c)
 * @touched:	sampled slots touched this period (under xa_lock(&slots):
 *		a fault clears a slot's mark and counts it in one hold)
 * @periods:	sample periods ended (written under ovc_sample_mutex,
 *		read with READ_ONCE)
 * @slow:	slow moving average of the touched fraction, in parts per
 *		million (under ovc_sample_mutex, as the rest)
 * @fast:	fast moving average, in parts per million
 * @last:	the last period's touched fraction, permille
 * @known:	a period with samples has ended: the fields above mean
 *		something
 * @started:	the sampler has started a period on this VM
 */
struct ovc_vm_sample {
	unsigned long touched;
	unsigned long periods;
	u32 slow;
	u32 fast;
	u16 last;
	bool known;
	bool started;
};

/**
 * struct ovc_vm - one VM's RAM
 * @slots:	one entry per guest page, see slot.h
 * @lock:	serialises slot transitions (empty, private, shared,
 *		ballooned); lookups use RCU and the page lock
 * @inode:	the ovcfs inode; its i_mapping is this VM's address_space
 * @limit:	the bound of its mount's private pages (slot.h)
 * @resident:	pages held in @slots
 * @ballooned:	slots released by a hole punch and not touched since
 * @balloon_target: balloon size asked for, in pages (WRITE_ONCE/READ_ONCE)
 * @balloon_actual: balloon size ovcd last reported, in pages
 * @guest_free:	guest free memory ovcd last reported, in pages
 * @guest_total: guest total memory ovcd last reported, in pages (these
 *		three change under @lock, readers use READ_ONCE)
 * @balloon_grew: jiffies of the last report that found the balloon larger
 *		than the one before (under @lock), or of a raise of
 *		@balloon_target; WRITE_ONCE/READ_ONCE
 * @zero_frame:	its zero frame (share.h; READ_ONCE, replaced under
 *		ovc_zero_mutex after a memory error)
 * @shared:	slots on a non-zero shared frame
 * @zero:	slots on the zero frame
 * @cow_breaks:	copy-on-write breaks so far
 * @merges:	slots the scanner pointed at a frame so far (one per
 *		ovc:ovc_merge event)
 * @compressed: out slots: their pages are in the compressed cache
 * @compressed_bytes: the compressed bytes of those pages
 * @swapped:	swapped slots: their pages are in the swap store
 * @swap_outs:	pages stored so far (reclaim without the guest)
 * @swap_ins:	stored pages read back so far
 * @store_errors: stores refused because the store was full so far
 * @faults:	page faults that mapped a page of the VM so far (->fault;
 *		write faults on a mapped page are not counted): a per-CPU
 *		counter, as every vCPU's first touch of a page comes here
 * @share_domain: pages are shared only within a domain (under
 *		ovc_scan_mutex for writers; default OVC_SHARE_DOMAIN_OWN:
 *		a domain of the VM's own, see ovc_vm_share_key())
 * @rmap:	scanner records (struct ovc_rmap) by index, under
 *		ovc_scan_mutex
 * @memcg:	the memory cgroup of the first process that mapped the file
 * @reclaim_node: the VM's entry on that cgroup's list of the memcg-aware
 *		shrinker (reclaim.c), or NULL; under ovc_reclaim_mutex
 *		(QEMU's), with a reference: the scanner charges the VM's
 *		records and frames to it (set once, cmpxchg)
 * @owner_pid:	tgid of the last process that mapped the file, 0 if none
 * @sample:	idle sampling state, see struct ovc_vm_sample
 * @active_pages: pages of the VM the guest uses, as idle sampling
 *		estimates them (active_permille x resident private pages),
 *		bounded by the guest's report of its used memory
 *		(guest_total - guest_free); ULONG_MAX ("unknown: all active")
 *		until the first sample period with samples ends.  Written by
 *		sample.c, read with READ_ONCE
 * @active_permille: the estimated fraction of the VM's private pages in
 *		use, 0..1000 (the largest of the slow and fast moving
 *		averages and the last period's value, lowered to match a
 *		guest bound on @active_pages); 1000 until then.  READ_ONCE
 * @shares:	its shares (balance.c; 1..1000000, default 1000)
 * @min_pages:	its reservation, default 0
 * @max_pages:	its demand, 0 (default): the file size; @min_pages and
 *		@max_pages change under ovc_balance_knob_mutex
 * @target_pages: the allocation target of the last rebalance, ULONG_MAX
 *		before the first (these four: WRITE_ONCE/READ_ONCE)
 * @id:		unique id, never reused while the module is loaded
 * @node:	entry in ovc_vms, under ovc_vms_lock
 * @kobj:	the vms/<id>/ sysfs directory (added by sysfs.c); it holds
 *		the one reference to the VM, whose release frees it (vm.c)
 */
struct ovc_vm {
	struct xarray slots;
	struct mutex lock;
	struct inode *inode;
	struct ovc_slot_limit *limit;
	atomic_long_t resident;
	atomic_long_t ballooned;
	u64 balloon_target;
	u64 balloon_actual;
	u64 guest_free;
	u64 guest_total;
	unsigned long balloon_grew;
	struct ovc_frame *zero_frame;
	atomic_long_t shared;
	atomic_long_t zero;
	atomic_long_t cow_breaks;
	atomic_long_t merges;
	atomic_long_t compressed;
	atomic_long_t compressed_bytes;
	atomic_long_t swapped;
	atomic_long_t swap_outs;
	atomic_long_t swap_ins;
	atomic_long_t store_errors;
	struct percpu_counter faults;
	u32 share_domain;
	struct xarray rmap;
	struct mem_cgroup *memcg;
	struct ovc_reclaim_node *reclaim_node;
	pid_t owner_pid;
	struct ovc_vm_sample sample;
	/* policy inputs and outputs (sample.c writes active_*, balance.c the rest) */
	unsigned long active_pages;	/* READ_ONCE; ULONG_MAX until the first sample period ends */
	unsigned int active_permille;	/* READ_ONCE; 1000 until then */
	u32 shares;
	unsigned long min_pages;
	unsigned long max_pages;
	unsigned long target_pages;
	u64 id;
	struct list_head node;
	struct kobject kobj;
};

/*
 * All VMs, for sysfs and the scanner; list and count change under
 * ovc_vms_lock, the count is read with READ_ONCE.
 */
extern struct list_head ovc_vms;
extern struct mutex ovc_vms_lock;
extern unsigned long ovc_nr_vms;

/**
 * struct ovc_vm_ops - what the layers above the VM object hear of its life
 * @destroy:	@vm is being destroyed: it is off ovc_vms already, so no new
 *		user finds it, and its slots are still there.  Drop every
 *		reference to it, waiting for users in flight (the scanner
 *		frees its records of @vm).  Process context, may sleep.
 * @target_changed: the balloon target of @vm changed (sysfs wakes the
 *		pollers of balloon_target_pages).  Process context, the
 *		inode's i_rwsem may be held.
 * @node:	in the list of registered ops, see ovc_vm_register_ops()
 *
 * As the core never calls the interfaces above it (sysfs) nor another
 * core file that calls it back (the scanner), these callbacks are how they
 * hear of a VM's life.  Either callback may be NULL.
 */
struct ovc_vm_ops {
	void (*destroy)(struct ovc_vm *vm);
	void (*target_changed)(struct ovc_vm *vm);
	struct list_head node;
};

void ovc_vm_register_ops(struct ovc_vm_ops *ops);
void ovc_vm_unregister_ops(struct ovc_vm_ops *ops);
void ovc_vm_target_changed(struct ovc_vm *vm);

struct ovc_vm *ovc_vm_create(struct inode *inode,
			     struct ovc_slot_limit *limit);
void ovc_vm_destroy(struct ovc_vm *vm);
struct ovc_vm *ovc_vm_find(u64 id);
void ovc_vm_set_memcg(struct ovc_vm *vm);
void ovc_vm_fill_info(struct ovc_vm *vm, struct ovc_vm_info *info);

/*
 * The key of @vm's sharing domain in the frame and hint tables.  Groups an
 * administrator made are 0..U32_MAX - 1; a VM on its own
 * (OVC_SHARE_DOMAIN_OWN, the default) gets a key above them, from its id,
 * which is never reused: it never meets another VM's pages, whoever owns
 * the file (libvirt runs every QEMU as one user) and whatever chown does.
 * Stable while ovc_scan_mutex is held.
 */
static inline u64 ovc_vm_share_key(const struct ovc_vm *vm)
{
	u32 domain = READ_ONCE(vm->share_domain);

	return domain == OVC_SHARE_DOMAIN_OWN ? (1ULL << 32) + vm->id : domain;
}

/* Return: whether @index lies inside the file. */
static inline bool ovc_vm_index_valid(struct ovc_vm *vm, pgoff_t index)
{
	return index < ovc_range_pages(i_size_read(vm->inode));
}

#endif /* _OVC_VM_H */
