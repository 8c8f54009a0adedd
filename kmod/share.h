/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc content-based page sharing: frames, hints and the table that holds
 * them (share.c), the scanner that fills it (scan.c).
 *
 * DOC: Sharing
 *
 * As in ESX: the scanner hashes a VM's private page.  A *shared frame* is
 * one read-only page plus the number of slots pointing at it (sharers); a
 * *hint* is an unshared page's VM, index and hash.  The table maps
 * (domain, hash) to frames and hints; its hash seed is random and no
 * bucket chain grows past OVC_CHAIN_MAX, so a guest cannot make walks
 * under ovc_share_lock long (share.c).  A hash match is only a candidate:
 * the full contents are compared, with the candidate pages unmapped and
 * locked, before any slot changes.  A write to a shared slot breaks
 * copy-on-write (slot.c).
 *
 * A frame's page is never mapped writable: faults map it read-only (the
 * mapping has write-notify because of .page_mkwrite), and .page_mkwrite
 * breaks COW instead of making the PTE writable.
 *
 * Frame lifetime: @sharers counts slots, under ovc_share_lock.  When it
 * drops to zero the frame is unhashed and marked dead; @ref (one for the
 * table, one per scanner lookup) frees it and puts its page.  Whoever
 * removes a slot's pointer to a frame unmaps that slot first and only then
 * drops its sharer: when @sharers is 1, no other VM can still map the page,
 * so the last sharer may take the page back as its private page, provided
 * nothing outside ovc holds it either (a pipe, O_DIRECT, vhost: see
 * ovc_slot_cow_locked()).
 *
 * Memory errors: a frame whose page is poisoned (PG_hwpoison) is unhashed
 * at once, so that no page joins it; its sharers get SIGBUS (the bytes are
 * lost).  A zero frame's bytes are known, so when its page is poisoned a
 * new zero frame replaces it and each sharer of the old one gets a fresh
 * zero page at its next fault.
 *
 * Zero frames: one per VM (vm->zero_frame), never hashed; zero pages merge
 * within their VM only, and no VM's zero faults wait for another's.
 */
#ifndef _OVC_SHARE_H
#define _OVC_SHARE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct ovc_vm;

/**
 * struct ovc_frame - one read-only page shared by several slots
 * @page:	the contents; the frame holds one reference
 * @hash:	ovc_page_hash() of the contents
 * @domain:	key of the sharing domain of all its sharers
 *		(ovc_vm_share_key())
 * @sharers:	slots pointing here, under ovc_share_lock
 * @dead:	unhashed, no new sharers (under ovc_share_lock)
 * @zero:	a zero frame: a VM's (ovc_share_zero()), freed with the
 *		VM, or one retired after a memory error, freed when the
 *		module goes
 * @node:	in the frame table (unless its chain was full when it
 *		was inserted), or a retired zero frame in the list of
 *		those, under ovc_share_lock
 * @ref:	lifetime of this struct, see the DOC above
 * @rcu:	freed after a grace period: faults read slots under RCU
 */
struct ovc_frame {
	struct page *page;
	u32 hash;
	u64 domain;
	unsigned long sharers;
	bool dead;
	bool zero;
	struct hlist_node node;
	struct kref ref;
	struct rcu_head rcu;
};

/**
 * struct ovc_rmap - what the scanner knows of one private page
 * @vm:		the VM (records are freed before the VM, under
 *		ovc_scan_mutex, so this is valid while that is held)
 * @index:	the slot
 * @hash:	hash at the last scan, to detect volatile pages
 * @hinted:	in the hint table (@node is linked)
 * @node:	in the hint table, under ovc_share_lock
 *
 * Records live in vm->rmap and are created, changed and freed only by the
 * scanner and by VM teardown, both under ovc_scan_mutex.
 */
struct ovc_rmap {
	struct ovc_vm *vm;
	pgoff_t index;
	u32 hash;
	bool hinted;
	struct hlist_node node;
};

/**
 * struct ovc_share_stats - global sharing statistics (sysfs)
 * @frames:	live non-zero frames (KSM's pages_shared)
 * @sharers:	slots on non-zero frames; pages_sharing = sharers - frames
 * @zero:	slots on the zero frame
 * @hints:	hints in the table (KSM's pages_unshared)
 * @chain_capped: times a bucket chain was full (OVC_CHAIN_MAX entries,
 *		share.c): a hint or frame not inserted, or a lookup that
 *		gave up; rises steadily only under hash flooding
 *
 * Under ovc_share_lock.
 */
struct ovc_share_stats {
	unsigned long frames;
	unsigned long sharers;
	unsigned long zero;
	unsigned long hints;
	unsigned long chain_capped;
};

extern spinlock_t ovc_share_lock;
extern struct ovc_share_stats ovc_share_stats;

int ovc_share_init(void);
void ovc_share_exit(void);

u32 ovc_page_hash(struct page *page);
u32 ovc_share_hash_seed(void);
bool ovc_page_is_zero(struct page *page);
bool ovc_pages_same(struct page *a, struct page *b);

struct ovc_frame *ovc_zero_alloc(void);
void ovc_zero_free(struct ovc_frame *frame);
struct ovc_frame *ovc_share_zero(struct ovc_vm *vm);
void ovc_share_zero_poisoned(struct ovc_vm *vm, struct ovc_frame *frame);

struct ovc_frame *ovc_frame_lookup(u64 domain, u32 hash);
void ovc_frame_put(struct ovc_frame *frame);
struct ovc_frame *ovc_frame_alloc(void);
void ovc_frame_free_unused(struct ovc_frame *frame);
bool ovc_frame_add_sharer(struct ovc_frame *frame);
bool ovc_frame_insert(struct ovc_frame *frame, struct page *page, u64 domain,
		      u32 hash, unsigned long sharers);
void ovc_frame_drop_sharer(struct ovc_frame *frame);
bool ovc_frame_take_last(struct ovc_frame *frame);
void ovc_frame_poisoned(struct ovc_frame *frame);

struct ovc_rmap *ovc_hint_take(u64 domain, u32 hash, struct ovc_rmap *self);
bool ovc_hint_add(struct ovc_rmap *rmap);
void ovc_hint_del(struct ovc_rmap *rmap);

#endif /* _OVC_SHARE_H */
