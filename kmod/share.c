// SPDX-License-Identifier: GPL-2.0
/*
 * ovc page sharing: the frame and hint table, and the page content helpers
 * the scanner and the COW path use.  See share.h for the design.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "share.h"
#include "vm.h"

/*
 * Seed of the page hash, drawn at module load (ovc_share_init()) and then
 * constant: every stored hash (frames, hints, rmap records) is computed
 * with it.  The KUnit tests set it directly.
 *
 * jhash2 with a random seed rather than siphash: the page hash runs over
 * every scanned page, 4 KiB at a time, and jhash2 is the cheaper of the
 * two (KSM uses xxhash, as cheap and unkeyed).  With a public seed, jhash's
 * invertible final mix let a guest craft any number of distinct pages
 * with one chosen hash; with a secret seed it cannot aim at a bucket.
 * jhash is no keyed PRF, though, so seed-independent collisions are not
 * ruled out: that is why no bucket chain is ever longer than
 * OVC_CHAIN_MAX either, which bounds the work under ovc_share_lock
 * whatever the hash does.
 *
 * Secret from guests, not from the host's root: sysfs hash_seed (mode
 * 0400, ovc_share_hash_seed()) lets tests craft distinct pages with one
 * hash, to check that a hash match never merges without a full compare.
 */
static u32 ovc_hash_seed __read_mostly;

/*
 * Most entries a bucket chain of either table holds, and so most entries
 * a lookup or insertion walks under ovc_share_lock.  An entry that would
 * make a chain longer is not inserted, and counted in
 * ovc_share_stats.chain_capped: a hint stays unhinted (its page is tried
 * again at its next scan), a frame lives unlisted (its sharers keep it,
 * no new page joins it).  Pages not in the table just stay unmerged.
 *
 * The tables have a bucket per 4 (hints) or 8 (frames) pages of RAM, so
 * even with every page of RAM in them a chain averages at most 4, and by
 * chance reaches 16 in about one bucket in 200000: a rising chain_capped
 * means flooding.  That costs 2 + 1 bytes of bucket heads per page of RAM,
 * next to a 40-byte struct ovc_rmap per scanned page.  A fixed size would
 * not do: with a cap, a table too small for the RAM refuses entries.
 */
#define OVC_CHAIN_MAX		16

/* Table sizes: buckets per page of RAM, and the bounds, as powers of 2. */
#define OVC_HINT_PAGES_PER_BUCKET	4
#define OVC_FRAME_PAGES_PER_BUCKET	8
#define OVC_TABLE_MIN_BITS		10
#define OVC_HINT_MAX_BITS		24	/* 128 MiB, from 256 GiB of RAM */
#define OVC_FRAME_MAX_BITS		22	/* 32 MiB, from 128 GiB of RAM */

/*
 * Protects both tables' chains, every frame's @sharers and @dead, every rmap's
 * @hinted and @node, ovc_share_stats, the zero frame pointer and the list
 * of retired zero frames.  Held only for table updates and counters, with
 * chain walks of at most OVC_CHAIN_MAX entries: never while hashing,
 * comparing, allocating or unmapping.
 */
DEFINE_SPINLOCK(ovc_share_lock);
struct ovc_share_stats ovc_share_stats;

/* Zero frames replaced after a memory error, freed at module exit. */
static HLIST_HEAD(ovc_zero_retired);
/* Serialises the replacement of a poisoned zero frame (it allocates). */
static DEFINE_MUTEX(ovc_zero_mutex);

/*
 * The two tables: 1 << bits bucket heads each, allocated and sized by RAM
 * in ovc_share_init() and freed in ovc_share_exit(); the pointers and
 * sizes do not change in between.  Their chains are under ovc_share_lock.
 */
static struct hlist_head *ovc_frames;
static unsigned int ovc_frames_bits;
static struct hlist_head *ovc_hints;
static unsigned int ovc_hints_bits;

static u32 ovc_share_key(u64 domain, u32 hash)
{
	return hash ^ hash_64(domain, 32);
}

static struct hlist_head *ovc_frame_bucket(u64 domain, u32 hash)
{
	return &ovc_frames[hash_32(ovc_share_key(domain, hash),
				   ovc_frames_bits)];
}

static struct hlist_head *ovc_hint_bucket(u64 domain, u32 hash)
{
	return &ovc_hints[hash_32(ovc_share_key(domain, hash),
				  ovc_hints_bits)];
}

/*
 * Whether a chain already holds OVC_CHAIN_MAX entries (then it takes no
 * more, and this counts in chain_capped).  Called with ovc_share_lock held.
 */
static bool ovc_chain_full(struct hlist_head *head)
{
	struct hlist_node *pos;
	unsigned int n = 0;

	hlist_for_each(pos, head) {
		if (++n == OVC_CHAIN_MAX) {
			ovc_share_stats.chain_capped++;
			return true;
		}
	}
	return false;
}

/**
 * ovc_page_hash() - the jhash2 of a page's contents, with the random seed
 * @page:	the page, referenced by the caller
 *
 * Return: the hash.
 */
u32 ovc_page_hash(struct page *page)
{
	u32 *addr = kmap_local_page(page);
	u32 hash = jhash2(addr, PAGE_SIZE / sizeof(u32),
			  READ_ONCE(ovc_hash_seed));

	kunmap_local(addr);
	return hash;
}

/**
 * ovc_share_hash_seed() - the seed of ovc_page_hash(), for sysfs hash_seed
 *
 * Return: the seed, constant from module load on.
 */
u32 ovc_share_hash_seed(void)
{
	return READ_ONCE(ovc_hash_seed);
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

/*
 * The first live frame of @domain and @hash in its chain, or NULL; at most
 * OVC_CHAIN_MAX entries are looked at, and *@visited tells how many.
 * Insertions keep chains that short, so the bound only stops a walk (and
 * counts in chain_capped) if that ever failed.  Called with
 * ovc_share_lock held.
 */
static struct ovc_frame *ovc_frame_find(u64 domain, u32 hash,
					unsigned int *visited)
{
	struct ovc_frame *frame;
	unsigned int n = 0;

	hlist_for_each_entry(frame, ovc_frame_bucket(domain, hash), node) {
		if (n == OVC_CHAIN_MAX) {
			ovc_share_stats.chain_capped++;
			break;
		}
		n++;
		if (frame->hash == hash && frame->domain == domain &&
		    !frame->dead) {
			*visited = n;
			return frame;
		}
	}
	*visited = n;
	return NULL;
}

/**
 * ovc_frame_lookup() - find a live frame by domain and hash
 * @domain:	sharing domain key (ovc_vm_share_key())
 * @hash:	page hash
 *
 * Walks at most OVC_CHAIN_MAX entries of the table.
 *
 * Return: the frame with a reference (ovc_frame_put()), or NULL.
 */
struct ovc_frame *ovc_frame_lookup(u64 domain, u32 hash)
{
	struct ovc_frame *frame;
	unsigned int visited;

	spin_lock(&ovc_share_lock);
	frame = ovc_frame_find(domain, hash, &visited);
	if (frame)
		kref_get(&frame->ref);
	spin_unlock(&ovc_share_lock);
	return frame;
}

/**
 * ovc_frame_alloc() - allocate an empty frame for ovc_frame_insert()
 *
 * Return: the frame, or NULL.
 */
struct ovc_frame *ovc_frame_alloc(void)
{
	/* Charged to the active memory cgroup: the scanner sets the VM's. */
	return kzalloc(sizeof(struct ovc_frame), GFP_KERNEL_ACCOUNT);
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
 *
 * The frame is live either way.  If its bucket chain is full
 * (OVC_CHAIN_MAX) it is not listed: lookups never find it, so no new page
 * joins it, but it counts and lives (and dies) like any other.
 *
 * Return: true if listed in the table, false if its chain was full.
 */
bool ovc_frame_insert(struct ovc_frame *frame, struct page *page, u64 domain,
		      u32 hash, unsigned long sharers)
{
	struct hlist_head *head = ovc_frame_bucket(domain, hash);
	bool listed;

	frame->page = page;
	frame->domain = domain;
	frame->hash = hash;
	frame->sharers = sharers;
	INIT_HLIST_NODE(&frame->node);	/* unlisted: ovc_frame_kill() copes */
	kref_init(&frame->ref);		/* the table's reference */

	spin_lock(&ovc_share_lock);
	listed = !ovc_chain_full(head);
	if (listed)
		hlist_add_head(&frame->node, head);
	ovc_share_stats.frames++;
	ovc_share_stats.sharers += sharers;
	spin_unlock(&ovc_share_lock);
	return listed;
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
 * Unhash a frame (if it was listed): no slot joins it any more.  Called
 * with ovc_share_lock held; the table's reference stays until the last
 * sharer leaves.
 */
static void ovc_frame_kill(struct ovc_frame *frame)
{
	if (frame->dead)
		return;
	frame->dead = true;
	hlist_del_init(&frame->node);
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

/*
 * The first hint of @domain and @hash in its chain other than @self, or
 * NULL; looks at most OVC_CHAIN_MAX entries, as ovc_frame_find().  Called
 * with ovc_share_lock and ovc_scan_mutex held.
 */
static struct ovc_rmap *ovc_hint_find(u64 domain, u32 hash,
				      struct ovc_rmap *self,
				      unsigned int *visited)
{
	struct ovc_rmap *rmap;
	unsigned int n = 0;

	hlist_for_each_entry(rmap, ovc_hint_bucket(domain, hash), node) {
		if (n == OVC_CHAIN_MAX) {
			ovc_share_stats.chain_capped++;
			break;
		}
		n++;
		if (rmap != self && rmap->hash == hash &&
		    ovc_vm_share_key(rmap->vm) == domain) {
			*visited = n;
			return rmap;
		}
	}
	*visited = n;
	return NULL;
}

/**
 * ovc_hint_take() - remove and return a hint matching domain and hash
 * @domain:	sharing domain key (ovc_vm_share_key())
 * @hash:	page hash
 * @self:	the caller's own record, never returned
 *
 * Walks at most OVC_CHAIN_MAX entries of the table.
 *
 * Context: ovc_scan_mutex held.
 * Return: the hint, unlinked, or NULL.
 */
struct ovc_rmap *ovc_hint_take(u64 domain, u32 hash, struct ovc_rmap *self)
{
	struct ovc_rmap *rmap;
	unsigned int visited;

	spin_lock(&ovc_share_lock);
	rmap = ovc_hint_find(domain, hash, self, &visited);
	if (rmap) {
		hlist_del_init(&rmap->node);
		rmap->hinted = false;
		ovc_share_stats.hints--;
	}
	spin_unlock(&ovc_share_lock);
	return rmap;
}

/**
 * ovc_hint_add() - record an unshared page as a hint
 * @rmap:	its record, not hinted yet
 *
 * Refused if the bucket chain already holds OVC_CHAIN_MAX hints (counted
 * in chain_capped): the record stays unhinted, so the scanner tries again
 * at the page's next scan, and the page stays unmerged meanwhile unless it
 * joins a frame.  Refusing rather than evicting keeps a flood from pushing
 * out the hints already there.
 *
 * Context: ovc_scan_mutex held.
 * Return: true if hinted.
 */
bool ovc_hint_add(struct ovc_rmap *rmap)
{
	struct hlist_head *head;
	bool added;

	head = ovc_hint_bucket(ovc_vm_share_key(rmap->vm), rmap->hash);
	spin_lock(&ovc_share_lock);
	added = !ovc_chain_full(head);
	if (added) {
		hlist_add_head(&rmap->node, head);
		rmap->hinted = true;
		ovc_share_stats.hints++;
	}
	spin_unlock(&ovc_share_lock);
	return added;
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
	hlist_del_init(&rmap->node);
	rmap->hinted = false;
	ovc_share_stats.hints--;
	spin_unlock(&ovc_share_lock);
}

/*
 * log2 of a table's buckets: one per @pages_per_bucket pages of RAM,
 * rounded up to a power of two, at least 1 << OVC_TABLE_MIN_BITS and at
 * most 1 << @max_bits.
 */
static unsigned int ovc_share_table_bits(unsigned long pages_per_bucket,
					 unsigned int max_bits)
{
	unsigned long buckets = totalram_pages() / pages_per_bucket;

	buckets = clamp(buckets, 1UL << OVC_TABLE_MIN_BITS, 1UL << max_bits);
	return order_base_2(buckets);
}

static void ovc_share_free_tables(void)
{
	kvfree(ovc_frames);
	kvfree(ovc_hints);
	ovc_frames = NULL;
	ovc_hints = NULL;
}

/**
 * ovc_share_init() - seed the hash, allocate the tables
 *
 * Context: module load, before any other use of the table; may sleep.
 * Return: 0 or -ENOMEM.
 */
int ovc_share_init(void)
{
	ovc_hash_seed = get_random_u32();
	ovc_frames_bits = ovc_share_table_bits(OVC_FRAME_PAGES_PER_BUCKET,
					       OVC_FRAME_MAX_BITS);
	ovc_hints_bits = ovc_share_table_bits(OVC_HINT_PAGES_PER_BUCKET,
					      OVC_HINT_MAX_BITS);
	/* Zeroed heads are empty hlists. */
	ovc_frames = kvcalloc(1UL << ovc_frames_bits, sizeof(*ovc_frames),
			      GFP_KERNEL);
	ovc_hints = kvcalloc(1UL << ovc_hints_bits, sizeof(*ovc_hints),
			     GFP_KERNEL);
	if (!ovc_frames || !ovc_hints) {
		ovc_share_free_tables();
		return -ENOMEM;
	}
	pr_debug("%u frame buckets, %u hint buckets\n",
		 1U << ovc_frames_bits, 1U << ovc_hints_bits);
	return 0;
}

/** ovc_share_exit() - free the retired zero frames and the tables */
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
	ovc_share_free_tables();
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/share_kunit.h"
#endif
