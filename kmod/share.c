// SPDX-License-Identifier: GPL-2.0
/*
 * ovc page sharing: the frame and hint table, and the page content helpers
 * the scanner and the COW path use.  See share.h for the design.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "share.h"
#include "vm.h"

/* Seed of the page hash; any constant. */
#define OVC_HASH_SEED		0x6f7663

/*
 * Protects both tables, every frame's @sharers and @dead, every rmap's
 * @hinted and @node, ovc_share_stats, the zero frame pointer and the list
 * of retired zero frames.  Held only for table updates and counters: never
 * while hashing, comparing, allocating or unmapping.
 */
DEFINE_SPINLOCK(ovc_share_lock);
struct ovc_share_stats ovc_share_stats;

/* Zero frames replaced after a memory error, freed at module exit. */
static HLIST_HEAD(ovc_zero_retired);
/* Serialises the replacement of a poisoned zero frame (it allocates). */
static DEFINE_MUTEX(ovc_zero_mutex);

static DEFINE_HASHTABLE(ovc_frames, 14);
static DEFINE_HASHTABLE(ovc_hints, 17);

static u32 ovc_share_key(u64 domain, u32 hash)
{
	return hash ^ hash_64(domain, 32);
}

/**
 * ovc_page_hash() - the jhash2 of a page's contents
 * @page:	the page, referenced by the caller
 *
 * Return: the hash.
 */
u32 ovc_page_hash(struct page *page)
{
	u32 *addr = kmap_local_page(page);
	u32 hash = jhash2(addr, PAGE_SIZE / sizeof(u32), OVC_HASH_SEED);

	kunmap_local(addr);
	return hash;
}

/**
 * ovc_page_is_zero() - whether a page holds only zero bytes
 * @page:	the page, referenced by the caller
 *
 * Return: true if every byte is zero.
 */
bool ovc_page_is_zero(struct page *page)
{
	void *addr = kmap_local_page(page);
	bool zero = !memchr_inv(addr, 0, PAGE_SIZE);

	kunmap_local(addr);
	return zero;
}

/**
 * ovc_pages_same() - compare the full contents of two pages
 * @a:	a page
 * @b:	another page
 *
 * Return: true if equal.
 */
bool ovc_pages_same(struct page *a, struct page *b)
{
	void *pa = kmap_local_page(a);
	void *pb = kmap_local_page(b);
	bool same = !memcmp(pa, pb, PAGE_SIZE);

	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

static void ovc_frame_release(struct kref *ref)
{
	struct ovc_frame *frame = container_of(ref, struct ovc_frame, ref);

	if (frame->page)
		put_page(frame->page);
	kfree_rcu(frame, rcu);
}

/**
 * ovc_zero_alloc() - a new zero frame, for a new VM
 *
 * Every VM has a zero frame of its own (vm->zero_frame), so that the page
 * lock of a zero frame, which every zero-slot fault and copy-on-write
 * takes, serialises one VM's faults only, never the host's; one page per
 * VM is the price.  It is charged to nobody, as the module's own.
 *
 * Return: the frame, or NULL.
 */
struct ovc_frame *ovc_zero_alloc(void)
{
	struct ovc_frame *frame = kzalloc(sizeof(*frame), GFP_KERNEL);

	if (!frame)
		return NULL;
	frame->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!frame->page) {
		kfree(frame);
		return NULL;
	}
	frame->zero = true;
	kref_init(&frame->ref);
	return frame;
}

/**
 * ovc_zero_free() - free a VM's zero frame when the VM dies
 * @frame:	from ovc_zero_alloc(); no slot points at it any more
 */
void ovc_zero_free(struct ovc_frame *frame)
{
	WARN_ON_ONCE(frame->sharers);
	ovc_frame_put(frame);
}

/**
 * ovc_share_zero() - the zero frame that @vm's zero pages join now
 * @vm:		the VM
 *
 * It lives as long as the VM (a replaced one is retired, not freed), but
 * it may be replaced at any time: a sharer is added with
 * ovc_frame_add_sharer(), which fails for a retired one.
 *
 * Return: the zero frame.
 */
struct ovc_frame *ovc_share_zero(struct ovc_vm *vm)
{
	return READ_ONCE(vm->zero_frame);
}

/**
 * ovc_share_zero_poisoned() - a zero frame's page had a memory error
 * @vm:		the VM whose zero frame it is or was
 * @frame:	the zero frame whose page is PG_hwpoison
 *
 * If @frame is still the VM's zero frame, a new one replaces it and it is
 * retired: marked dead, so that nothing joins it; its sharers move to
 * fresh zero pages as they fault (ovc_slot_cow_locked() clears, it never
 * reads the old page).  If the allocation fails the old frame stays, and
 * faults keep allocating private zero pages instead of mapping it.
 *
 * Context: process context, may sleep; no page lock held.
 */
void ovc_share_zero_poisoned(struct ovc_vm *vm, struct ovc_frame *frame)
{
	struct ovc_frame *fresh;

	mutex_lock(&ovc_zero_mutex);
	if (READ_ONCE(vm->zero_frame) != frame)
		goto out;
	fresh = ovc_zero_alloc();
	if (!fresh)
		goto out;
	spin_lock(&ovc_share_lock);
	frame->dead = true;
	hlist_add_head(&frame->node, &ovc_zero_retired);
	WRITE_ONCE(vm->zero_frame, fresh);
	spin_unlock(&ovc_share_lock);
	pr_warn("memory error in the zero frame of VM %llu (pfn %#lx), replaced\n",
		vm->id, page_to_pfn(frame->page));
out:
	mutex_unlock(&ovc_zero_mutex);
}

/**
 * ovc_frame_put() - drop a reference from ovc_frame_lookup()
 * @frame:	the frame
 */
void ovc_frame_put(struct ovc_frame *frame)
{
	kref_put(&frame->ref, ovc_frame_release);
}

/**
 * ovc_frame_lookup() - find a live frame by domain and hash
 * @domain:	sharing domain key (ovc_vm_share_key())
 * @hash:	page hash
 *
 * Return: the frame with a reference (ovc_frame_put()), or NULL.
 */
struct ovc_frame *ovc_frame_lookup(u64 domain, u32 hash)
{
	struct ovc_frame *frame;

	spin_lock(&ovc_share_lock);
	hash_for_each_possible(ovc_frames, frame, node,
			       ovc_share_key(domain, hash)) {
		if (frame->hash == hash && frame->domain == domain &&
		    !frame->dead) {
			kref_get(&frame->ref);
			spin_unlock(&ovc_share_lock);
			return frame;
		}
	}
	spin_unlock(&ovc_share_lock);
	return NULL;
}

/**
 * ovc_frame_alloc() - allocate an empty frame for ovc_frame_insert()
 *
 * Return: the frame, or NULL.
 */
struct ovc_frame *ovc_frame_alloc(void)
{
	return kzalloc(sizeof(struct ovc_frame), GFP_KERNEL);
}

/**
 * ovc_frame_free_unused() - free a frame that was never inserted
 * @frame:	from ovc_frame_alloc()
 */
void ovc_frame_free_unused(struct ovc_frame *frame)
{
	kfree(frame);
}

/**
 * ovc_frame_insert() - make a new frame live
 * @frame:	from ovc_frame_alloc()
 * @page:	its contents; the caller hands over one page reference
 * @domain:	sharing domain key (ovc_vm_share_key())
 * @hash:	hash of @page
 * @sharers:	slots that will point at it
 */
void ovc_frame_insert(struct ovc_frame *frame, struct page *page, u64 domain,
		      u32 hash, unsigned long sharers)
{
	frame->page = page;
	frame->domain = domain;
	frame->hash = hash;
	frame->sharers = sharers;
	kref_init(&frame->ref);		/* the table's reference */

	spin_lock(&ovc_share_lock);
	hash_add(ovc_frames, &frame->node, ovc_share_key(domain, hash));
	ovc_share_stats.frames++;
	ovc_share_stats.sharers += sharers;
	spin_unlock(&ovc_share_lock);
}

/**
 * ovc_frame_add_sharer() - count one more slot pointing at a frame
 * @frame:	a frame the caller holds a reference on
 *
 * Return: false if the frame died meanwhile (then nothing changed).
 */
bool ovc_frame_add_sharer(struct ovc_frame *frame)
{
	bool ok;

	spin_lock(&ovc_share_lock);
	ok = !frame->dead;
	if (ok) {
		frame->sharers++;
		if (frame->zero)
			ovc_share_stats.zero++;
		else
			ovc_share_stats.sharers++;
	}
	spin_unlock(&ovc_share_lock);
	return ok;
}

/*
 * Unhash a frame: no slot joins it any more.  Called with ovc_share_lock
 * held; the table's reference stays until the last sharer leaves.
 */
static void ovc_frame_kill(struct ovc_frame *frame)
{
	if (frame->dead)
		return;
	frame->dead = true;
	hash_del(&frame->node);
	ovc_share_stats.frames--;
}

/**
 * ovc_frame_poisoned() - a non-zero frame's page had a memory error
 * @frame:	the frame, referenced by the caller
 *
 * Unhashes it, so that no page merges into lost bytes; its sharers stay
 * (they get SIGBUS) until they leave.
 */
void ovc_frame_poisoned(struct ovc_frame *frame)
{
	spin_lock(&ovc_share_lock);
	if (!frame->zero)
		ovc_frame_kill(frame);
	spin_unlock(&ovc_share_lock);
}

/**
 * ovc_frame_drop_sharer() - a slot no longer points at a frame
 * @frame:	the frame; the caller has unmapped that slot already
 *
 * Frees the frame when its last sharer goes (never the zero frame).
 */
void ovc_frame_drop_sharer(struct ovc_frame *frame)
{
	bool last;

	spin_lock(&ovc_share_lock);
	frame->sharers--;
	if (frame->zero)
		ovc_share_stats.zero--;
	else
		ovc_share_stats.sharers--;
	last = !frame->sharers && !frame->zero;
	if (last)
		ovc_frame_kill(frame);	/* unless a memory error did */
	spin_unlock(&ovc_share_lock);
	if (last)
		ovc_frame_put(frame);
}

/**
 * ovc_frame_take_last() - take a frame's page back as a private page
 * @frame:	the frame, whose page the caller has locked
 *
 * Succeeds only for a non-zero frame whose single sharer is the caller's
 * slot: no other slot points at it and, as every former sharer unmapped
 * itself before leaving, no other VM maps the page.  The frame dies.
 *
 * Return: true with a new reference on the page for the caller's slot.
 */
bool ovc_frame_take_last(struct ovc_frame *frame)
{
	bool took;

	spin_lock(&ovc_share_lock);
	took = !frame->zero && !frame->dead && frame->sharers == 1;
	if (took) {
		frame->sharers = 0;
		ovc_share_stats.sharers--;
		ovc_frame_kill(frame);
		get_page(frame->page);
	}
	spin_unlock(&ovc_share_lock);
	if (took)
		ovc_frame_put(frame);
	return took;
}

/**
 * ovc_hint_take() - remove and return a hint matching domain and hash
 * @domain:	sharing domain key (ovc_vm_share_key())
 * @hash:	page hash
 * @self:	the caller's own record, never returned
 *
 * Context: ovc_scan_mutex held.
 * Return: the hint, unlinked, or NULL.
 */
struct ovc_rmap *ovc_hint_take(u64 domain, u32 hash, struct ovc_rmap *self)
{
	struct ovc_rmap *rmap;

	spin_lock(&ovc_share_lock);
	hash_for_each_possible(ovc_hints, rmap, node,
			       ovc_share_key(domain, hash)) {
		if (rmap != self && rmap->hash == hash &&
		    ovc_vm_share_key(rmap->vm) == domain) {
			hash_del(&rmap->node);
			rmap->hinted = false;
			ovc_share_stats.hints--;
			spin_unlock(&ovc_share_lock);
			return rmap;
		}
	}
	spin_unlock(&ovc_share_lock);
	return NULL;
}

/**
 * ovc_hint_add() - record an unshared page as a hint
 * @rmap:	its record, not hinted yet
 *
 * Context: ovc_scan_mutex held.
 */
void ovc_hint_add(struct ovc_rmap *rmap)
{
	spin_lock(&ovc_share_lock);
	hash_add(ovc_hints, &rmap->node,
		 ovc_share_key(ovc_vm_share_key(rmap->vm), rmap->hash));
	rmap->hinted = true;
	ovc_share_stats.hints++;
	spin_unlock(&ovc_share_lock);
}

/**
 * ovc_hint_del() - drop a record's hint, if it has one
 * @rmap:	the record
 *
 * Context: ovc_scan_mutex held.
 */
void ovc_hint_del(struct ovc_rmap *rmap)
{
	if (!rmap->hinted)
		return;
	spin_lock(&ovc_share_lock);
	hash_del(&rmap->node);
	rmap->hinted = false;
	ovc_share_stats.hints--;
	spin_unlock(&ovc_share_lock);
}

/**
 * ovc_share_init() - set up page sharing
 *
 * Return: 0.
 */
int ovc_share_init(void)
{
	return 0;
}

/** ovc_share_exit() - free the retired zero frames; no VM is left */
void ovc_share_exit(void)
{
	struct ovc_frame *frame;
	struct hlist_node *tmp;

	WARN_ON_ONCE(ovc_share_stats.zero || ovc_share_stats.frames ||
		     ovc_share_stats.hints);
	hlist_for_each_entry_safe(frame, tmp, &ovc_zero_retired, node) {
		WARN_ON_ONCE(frame->sharers);
		hlist_del(&frame->node);
		ovc_frame_put(frame);	/* a poisoned page stays out of use */
	}
	rcu_barrier();	/* kfree_rcu() callbacks of frames */
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/share_kunit.h"
#endif
