/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the page-sharing table (kmod/share.c): frame insert,
 * lookup and removal, the sharer/refcount lifecycle, taking the last
 * sharer's page back, a table of frame lifecycle decisions, hints
 * (self-exclusion, staleness, domains), zero detection at every word,
 * the page hash and its seed, and flooded buckets (bounded chains).
 *
 * Included at the end of kmod/share.c (as DAMON includes its tests), so
 * static functions stay static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_SHARE_KUNIT_H
#define _OVC_SHARE_KUNIT_H

#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../share.h"
#include "../vm.h"
#include "ovc_kunit.h"

static struct page *page_filled(struct kunit *test, u8 byte)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), byte, PAGE_SIZE);
	return page;
}

/* A frame for @page (reference handed over) with @sharers sharers. */
static struct ovc_frame *frame_new(struct kunit *test, struct page *page,
				   u32 domain, unsigned long sharers)
{
	struct ovc_frame *frame = ovc_frame_alloc();

	KUNIT_ASSERT_NOT_NULL(test, frame);
	ovc_frame_insert(frame, page, domain, ovc_page_hash(page), sharers);
	return frame;
}

static void share_zero_detection(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, ovc_page_is_zero(page));
	((u8 *)page_address(page))[PAGE_SIZE - 1] = 1;
	KUNIT_EXPECT_FALSE(test, ovc_page_is_zero(page));
	((u8 *)page_address(page))[PAGE_SIZE - 1] = 0;
	((u8 *)page_address(page))[0] = 0x80;
	KUNIT_EXPECT_FALSE(test, ovc_page_is_zero(page));
	__free_page(page);
}

/*
 * A page is zero only if every word is: set each 8-byte word in turn, with
 * the bits of the row, in an otherwise zero page.
 */
struct zero_case {
	const char *name;
	u64 word;
};

static const struct zero_case zero_cases[] = {
	{ "each word: lowest bit", 0x1 },
	{ "each word: highest bit", 1ULL << 63 },
	{ "each word: a middle bit", 1ULL << 31 },
	{ "each word: all bits", ~0ULL },
};

static void zero_case_desc(const struct zero_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(zero, zero_cases, zero_case_desc);

static void share_zero_every_word(struct kunit *test)
{
	const struct zero_case *c = test->param_value;
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	unsigned int i, missed = 0, first = 0;
	u64 *words;

	KUNIT_ASSERT_NOT_NULL(test, page);
	words = page_address(page);
	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++) {
		words[i] = c->word;
		if (ovc_page_is_zero(page) && !missed++)
			first = i;
		words[i] = 0;
	}
	KUNIT_EXPECT_EQ_MSG(test, missed, 0U, "first missed at word %u", first);
	KUNIT_EXPECT_TRUE(test, ovc_page_is_zero(page));
	__free_page(page);
}

static void share_hash_and_compare(struct kunit *test)
{
	struct page *a = page_filled(test, 0x5a), *b = page_filled(test, 0x5a);

	KUNIT_EXPECT_EQ(test, ovc_page_hash(a), ovc_page_hash(b));
	KUNIT_EXPECT_TRUE(test, ovc_pages_same(a, b));
	((u8 *)page_address(b))[2049] ^= 1;
	KUNIT_EXPECT_NE(test, ovc_page_hash(a), ovc_page_hash(b));
	KUNIT_EXPECT_FALSE(test, ovc_pages_same(a, b));
	__free_page(a);
	__free_page(b);
}

static void share_frame_lookup_and_remove(struct kunit *test)
{
	struct page *page = page_filled(test, 1);
	u32 hash = ovc_page_hash(page);
	struct ovc_frame *frame, *found;
	unsigned long frames = ovc_share_stats.frames;

	frame = frame_new(test, page, 7, 1);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, frames + 1);

	found = ovc_frame_lookup(7, hash);
	KUNIT_EXPECT_PTR_EQ(test, found, frame);
	if (found)
		ovc_frame_put(found);
	/* Another domain or another hash: nothing. */
	KUNIT_EXPECT_NULL(test, ovc_frame_lookup(8, hash));
	KUNIT_EXPECT_NULL(test, ovc_frame_lookup(7, hash + 1));

	/* The last sharer goes: unhashed, no longer found. */
	ovc_frame_drop_sharer(frame);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, frames);
	KUNIT_EXPECT_NULL(test, ovc_frame_lookup(7, hash));
}

static void share_frame_refcount(struct kunit *test)
{
	struct page *page = page_filled(test, 2);
	u32 hash = ovc_page_hash(page);
	struct ovc_frame *frame, *held;

	frame = frame_new(test, page, 1, 1);
	get_page(page);		/* watch the page outlive the frame */
	held = ovc_frame_lookup(1, hash);
	KUNIT_ASSERT_PTR_EQ(test, held, frame);

	KUNIT_EXPECT_TRUE(test, ovc_frame_add_sharer(held));
	KUNIT_EXPECT_EQ(test, held->sharers, 2UL);
	ovc_frame_drop_sharer(held);
	ovc_frame_drop_sharer(held);	/* dies, but we still hold a ref */
	KUNIT_EXPECT_TRUE(test, held->dead);
	KUNIT_EXPECT_FALSE(test, ovc_frame_add_sharer(held));
	KUNIT_EXPECT_EQ(test, page_count(page), 2);	/* ours + frame's */
	ovc_frame_put(held);				/* frees the frame */
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	put_page(page);
}

static void share_take_last(struct kunit *test)
{
	struct page *page = page_filled(test, 3);
	struct ovc_frame *frame = frame_new(test, page, 1, 2);
	unsigned long sharers = ovc_share_stats.sharers;

	/* Two sharers: nobody may take the page. */
	KUNIT_EXPECT_FALSE(test, ovc_frame_take_last(frame));
	ovc_frame_drop_sharer(frame);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.sharers, sharers - 1);

	/* One: the page comes back with a reference for the slot. */
	KUNIT_ASSERT_TRUE(test, ovc_frame_take_last(frame));
	KUNIT_EXPECT_EQ(test, ovc_share_stats.sharers, sharers - 2);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	put_page(page);

	/* A zero frame is never taken and never dies of its sharers. */
	frame = ovc_zero_alloc();
	KUNIT_ASSERT_NOT_NULL(test, frame);
	KUNIT_EXPECT_TRUE(test, ovc_frame_add_sharer(frame));
	KUNIT_EXPECT_FALSE(test, ovc_frame_take_last(frame));
	ovc_frame_drop_sharer(frame);
	KUNIT_EXPECT_FALSE(test, frame->dead);
	KUNIT_EXPECT_TRUE(test, ovc_page_is_zero(frame->page));
	ovc_zero_free(frame);
}

/*
 * The frame decisions merge and copy-on-write rely on, without a VM: who
 * may take a frame's page back (the last sharer of a non-zero frame only),
 * and that a dead frame (last sharer gone, or taken) takes no new sharer,
 * while the zero frame never dies.
 */
struct life_case {
	const char *name;
	bool zero;		/* the zero frame, else a new one */
	unsigned long sharers;	/* sharers to start with */
	bool drop_all;		/* then every one of them leaves */
	bool take;		/* ovc_frame_take_last() succeeds */
	bool add;		/* then ovc_frame_add_sharer() succeeds */
	bool dead;		/* and the frame is dead */
};

static const struct life_case life_cases[] = {
	{ "one sharer: the last sharer takes the page; then dead, no new sharer",
	  false, 1, false, true, false, true },
	{ "two sharers: take_last refused, a new sharer joins",
	  false, 2, false, false, true, false },
	{ "three sharers: take_last refused",
	  false, 3, false, false, true, false },
	{ "the only sharer left: dead, take_last and add_sharer refused",
	  false, 1, true, false, false, true },
	{ "two sharers left: dead, take_last and add_sharer refused",
	  false, 2, true, false, false, true },
	{ "zero frame with one sharer: take_last refused",
	  true, 1, false, false, true, false },
	{ "zero frame, every sharer left: never dies",
	  true, 1, true, false, true, false },
};

static void life_case_desc(const struct life_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(life, life_cases, life_case_desc);

static void share_frame_lifecycle(struct kunit *test)
{
	const struct life_case *c = test->param_value;
	struct ovc_share_stats before = ovc_share_stats;
	struct page *page = NULL;
	struct ovc_frame *frame;
	unsigned long i, left;
	bool took, added;

	if (c->zero) {
		frame = ovc_zero_alloc();
		KUNIT_ASSERT_NOT_NULL(test, frame);
		for (i = 0; i < c->sharers; i++)
			KUNIT_ASSERT_TRUE(test, ovc_frame_add_sharer(frame));
	} else {
		page = page_filled(test, 0x40 + c->sharers);
		frame = frame_new(test, page, 4242, c->sharers);
	}
	kref_get(&frame->ref);	/* ours: the frame outlives its death */
	if (c->drop_all)
		for (i = 0; i < c->sharers; i++)
			ovc_frame_drop_sharer(frame);

	took = ovc_frame_take_last(frame);
	KUNIT_EXPECT_EQ(test, took, c->take);
	if (took)
		put_page(page);	/* the reference for the slot */
	added = ovc_frame_add_sharer(frame);
	KUNIT_EXPECT_EQ(test, added, c->add);
	KUNIT_EXPECT_EQ(test, frame->dead, c->dead);

	left = (c->drop_all ? 0 : c->sharers) - took + added;
	for (i = 0; i < left; i++)
		ovc_frame_drop_sharer(frame);
	KUNIT_EXPECT_EQ(test, frame->dead, !c->zero);
	ovc_frame_put(frame);
	if (c->zero)
		ovc_zero_free(frame);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, before.frames);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.sharers, before.sharers);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.zero, before.zero);
}

struct hint_case {
	const char *name;
	u32 domain_a, domain_b;	/* the two VMs' domains */
	bool same_hash;
	bool match;		/* b's lookup takes a's hint */
};

static const struct hint_case hint_cases[] = {
	{ "same domain, same hash", 1000, 1000, true, true },
	{ "other domain, same hash", 1000, 1001, true, false },
	{ "same domain, other hash", 1000, 1000, false, false },
	{ "domain 0 is not a wildcard", 0, 1000, true, false },
	{ "two VMs on their own", OVC_SHARE_DOMAIN_OWN, OVC_SHARE_DOMAIN_OWN,
	  true, false },
	{ "own domain vs the highest group", OVC_SHARE_DOMAIN_OWN,
	  OVC_SHARE_DOMAIN_OWN - 1, true, false },
	{ "own domain vs group 1 (the other VM's id)", OVC_SHARE_DOMAIN_OWN, 1,
	  true, false },
};

static void hint_case_desc(const struct hint_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hint, hint_cases, hint_case_desc);

static void share_hint_rules(struct kunit *test)
{
	const struct hint_case *c = test->param_value;
	struct ovc_vm *va, *vb;
	struct ovc_rmap *a, *b, *got;
	unsigned long hints = ovc_share_stats.hints;

	va = kunit_kzalloc(test, sizeof(*va), GFP_KERNEL);
	vb = kunit_kzalloc(test, sizeof(*vb), GFP_KERNEL);
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, va && vb && a && b);
	va->share_domain = c->domain_a;
	vb->share_domain = c->domain_b;
	va->id = 1;
	vb->id = 2;
	*a = (struct ovc_rmap){ .vm = va, .index = 3, .hash = 0xabcd };
	*b = (struct ovc_rmap){ .vm = vb, .index = 9,
				.hash = c->same_hash ? 0xabcd : 0xabce };

	ovc_hint_add(a);
	KUNIT_EXPECT_TRUE(test, a->hinted);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.hints, hints + 1);
	/* A record never finds its own hint. */
	KUNIT_EXPECT_NULL(test, ovc_hint_take(ovc_vm_share_key(va), a->hash,
					      a));

	got = ovc_hint_take(ovc_vm_share_key(vb), b->hash, b);
	if (c->match) {
		KUNIT_EXPECT_PTR_EQ(test, got, a);
		KUNIT_EXPECT_FALSE(test, a->hinted);	/* taken out */
		KUNIT_EXPECT_EQ(test, ovc_share_stats.hints, hints);
		/* Taken hints are gone: a second lookup finds nothing. */
		KUNIT_EXPECT_NULL(test, ovc_hint_take(ovc_vm_share_key(vb),
						      b->hash, b));
	} else {
		KUNIT_EXPECT_NULL(test, got);
		KUNIT_EXPECT_TRUE(test, a->hinted);
	}
	ovc_hint_del(a);	/* idempotent for an unhinted record */
	ovc_hint_del(a);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.hints, hints);
}

/*
 * A frame whose page had a memory error is unhashed at once and takes no
 * new sharer; its sharers leave as usual and the last one frees it, with
 * the frame count dropped once, not twice.
 */
static void share_frame_poisoned(struct kunit *test)
{
	struct page *page = page_filled(test, 3);
	u32 hash = ovc_page_hash(page);
	unsigned long frames = ovc_share_stats.frames;
	struct ovc_frame *frame;

	frame = frame_new(test, page, 5, 2);
	ovc_frame_poisoned(frame);
	KUNIT_EXPECT_TRUE(test, frame->dead);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, frames);
	KUNIT_EXPECT_NULL(test, ovc_frame_lookup(5, hash));
	KUNIT_EXPECT_FALSE(test, ovc_frame_add_sharer(frame));
	KUNIT_EXPECT_FALSE(test, ovc_frame_take_last(frame));
	ovc_frame_poisoned(frame);		/* twice: no change */
	ovc_frame_drop_sharer(frame);
	ovc_frame_drop_sharer(frame);		/* frees it */
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, frames);
}

/*
 * A poisoned zero frame is replaced: the old one is retired (dead, still
 * there for its sharers, no new ones), the new one takes zero pages.  A
 * second report of the old one changes nothing.
 */
static void share_zero_renewal(struct kunit *test)
{
	unsigned long zero = ovc_share_stats.zero;
	struct ovc_frame *old, *fresh;
	struct ovc_vm *vm;

	vm = kunit_kzalloc(test, sizeof(*vm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	vm->zero_frame = ovc_zero_alloc();
	KUNIT_ASSERT_NOT_NULL(test, vm->zero_frame);
	old = ovc_share_zero(vm);
	KUNIT_ASSERT_TRUE(test, ovc_frame_add_sharer(old));
	ovc_share_zero_poisoned(vm, old);
	fresh = ovc_share_zero(vm);
	KUNIT_ASSERT_PTR_NE(test, fresh, old);
	KUNIT_EXPECT_TRUE(test, fresh->zero);
	KUNIT_EXPECT_FALSE(test, fresh->dead);
	KUNIT_EXPECT_TRUE(test, ovc_page_is_zero(fresh->page));
	KUNIT_EXPECT_TRUE(test, old->dead);
	KUNIT_EXPECT_FALSE(test, ovc_frame_add_sharer(old));
	KUNIT_EXPECT_TRUE(test, ovc_frame_add_sharer(fresh));
	ovc_share_zero_poisoned(vm, old);
	KUNIT_EXPECT_PTR_EQ(test, ovc_share_zero(vm), fresh);
	/* The old frame's sharer leaves; the old frame is not freed. */
	ovc_frame_drop_sharer(old);
	ovc_frame_drop_sharer(fresh);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.zero, zero);
	KUNIT_EXPECT_EQ(test, old->sharers, 0UL);
	KUNIT_EXPECT_FALSE(test, hlist_unhashed(&old->node));
	ovc_zero_free(fresh);	/* the old one stays retired until exit */
}

/* The page hash depends on the seed drawn at load; same seed, same hash. */
static void share_hash_seed(struct kunit *test)
{
	struct page *page = page_filled(test, 0x33);
	u32 seed = ovc_hash_seed, h1, h2;

	ovc_hash_seed = 0x6f7663;	/* the old public constant */
	h1 = ovc_page_hash(page);
	ovc_hash_seed = 0x6f7664;
	h2 = ovc_page_hash(page);
	KUNIT_EXPECT_NE(test, h1, h2);
	ovc_hash_seed = 0x6f7663;
	KUNIT_EXPECT_EQ(test, ovc_page_hash(page), h1);
	/* What sysfs hash_seed shows is the seed in use. */
	KUNIT_EXPECT_EQ(test, ovc_share_hash_seed(), 0x6f7663U);
	ovc_hash_seed = seed;
	__free_page(page);
}

/* Each table has a power-of-two size within its bounds, by RAM. */
static void share_table_size(struct kunit *test)
{
	unsigned long pages = totalram_pages();

	KUNIT_EXPECT_GE(test, ovc_frames_bits, OVC_TABLE_MIN_BITS);
	KUNIT_EXPECT_LE(test, ovc_frames_bits, OVC_FRAME_MAX_BITS);
	KUNIT_EXPECT_GE(test, ovc_hints_bits, OVC_TABLE_MIN_BITS);
	KUNIT_EXPECT_LE(test, ovc_hints_bits, OVC_HINT_MAX_BITS);
	if (ovc_frames_bits < OVC_FRAME_MAX_BITS)
		KUNIT_EXPECT_GE(test, 1UL << ovc_frames_bits,
				pages / OVC_FRAME_PAGES_PER_BUCKET);
	if (ovc_hints_bits < OVC_HINT_MAX_BITS)
		KUNIT_EXPECT_GE(test, 1UL << ovc_hints_bits,
				pages / OVC_HINT_PAGES_PER_BUCKET);
}

/* A flood of entries for one bucket: three times what a chain holds. */
#define FLOOD_N		(3 * OVC_CHAIN_MAX)

/*
 * Fill @out with @n distinct hashes whose (@domain, hash) fall into the
 * bucket of (@domain, @first), @first included, by trying hashes in turn
 * (what a guest that knew the seed could do).
 */
static void same_bucket_hashes(struct hlist_head *(*bucket)(u64, u32),
			       u64 domain, u32 first, u32 *out, unsigned int n)
{
	struct hlist_head *head = bucket(domain, first);
	unsigned int i = 0;
	u32 h = first;

	do {
		if (bucket(domain, h) == head)
			out[i++] = h;
		h++;
	} while (i < n);
}

/*
 * Frames: a chain takes OVC_CHAIN_MAX frames of one bucket, the rest live
 * unlisted and count in chain_capped; every listed one is found, after at
 * most OVC_CHAIN_MAX entries; a miss looks at OVC_CHAIN_MAX entries, no
 * more even if a chain were longer; removal restores the counts.
 */
static void share_frame_flood(struct kunit *test)
{
	struct ovc_share_stats before = ovc_share_stats;
	struct ovc_frame **frames, *found;
	unsigned int i, visited;
	u32 hashes[FLOOD_N + 1];
	const u64 domain = 77;
	bool listed;

	frames = kunit_kcalloc(test, FLOOD_N, sizeof(*frames), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	same_bucket_hashes(ovc_frame_bucket, domain, 0x1000, hashes,
			   FLOOD_N + 1);
	for (i = 0; i < FLOOD_N; i++) {
		frames[i] = ovc_frame_alloc();
		KUNIT_ASSERT_NOT_NULL(test, frames[i]);
		listed = ovc_frame_insert(frames[i], page_filled(test, i),
					  domain, hashes[i], 1);
		KUNIT_EXPECT_EQ(test, listed, i < OVC_CHAIN_MAX);
		KUNIT_EXPECT_EQ(test, hlist_unhashed(&frames[i]->node),
				i >= OVC_CHAIN_MAX);
	}
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, before.frames + FLOOD_N);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.chain_capped,
			before.chain_capped + FLOOD_N - OVC_CHAIN_MAX);

	for (i = 0; i < FLOOD_N; i++) {
		spin_lock(&ovc_share_lock);
		found = ovc_frame_find(domain, hashes[i], &visited);
		spin_unlock(&ovc_share_lock);
		KUNIT_EXPECT_PTR_EQ(test, found,
				    i < OVC_CHAIN_MAX ? frames[i] : NULL);
		KUNIT_EXPECT_LE(test, visited, (unsigned int)OVC_CHAIN_MAX);
		found = ovc_frame_lookup(domain, hashes[i]);
		KUNIT_EXPECT_PTR_EQ(test, found,
				    i < OVC_CHAIN_MAX ? frames[i] : NULL);
		if (found)
			ovc_frame_put(found);
	}
	/* A miss in the full bucket: OVC_CHAIN_MAX entries, nothing capped. */
	spin_lock(&ovc_share_lock);
	before.chain_capped = ovc_share_stats.chain_capped;
	found = ovc_frame_find(domain, hashes[FLOOD_N], &visited);
	spin_unlock(&ovc_share_lock);
	KUNIT_EXPECT_NULL(test, found);
	KUNIT_EXPECT_EQ(test, visited, (unsigned int)OVC_CHAIN_MAX);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.chain_capped,
			before.chain_capped);

	/*
	 * Were the chain ever longer, a lookup still stops at the bound: link
	 * the unlisted frames too (ovc_frame_kill() unlinks them).
	 */
	spin_lock(&ovc_share_lock);
	for (i = 0; i < FLOOD_N; i++)
		if (hlist_unhashed(&frames[i]->node))
			hlist_add_head(&frames[i]->node,
				       ovc_frame_bucket(domain, hashes[i]));
	found = ovc_frame_find(domain, hashes[FLOOD_N], &visited);
	spin_unlock(&ovc_share_lock);
	KUNIT_EXPECT_NULL(test, found);
	KUNIT_EXPECT_EQ(test, visited, (unsigned int)OVC_CHAIN_MAX);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.chain_capped,
			before.chain_capped + 1);
	/* The oldest, beyond the bound, are out of reach. */
	KUNIT_EXPECT_NULL(test, ovc_frame_lookup(domain, hashes[0]));

	for (i = 0; i < FLOOD_N; i++)
		ovc_frame_drop_sharer(frames[i]);	/* frees them */
	KUNIT_EXPECT_EQ(test, ovc_share_stats.frames, before.frames);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.sharers, before.sharers);
	KUNIT_EXPECT_TRUE(test, hlist_empty(ovc_frame_bucket(domain,
							     hashes[0])));
}

/*
 * Hints: many records of one (domain, hash) key.  A chain takes
 * OVC_CHAIN_MAX, the others are refused (unhinted, counted); takes find
 * each hint after one entry, and a miss in that bucket stops after
 * OVC_CHAIN_MAX, even in a chain grown past the bound; once the chain is
 * empty a refused record goes in; the hint count comes back.
 */
static void share_hint_flood(struct kunit *test)
{
	struct ovc_share_stats before = ovc_share_stats;
	struct ovc_rmap *rmaps, *got;
	unsigned int i, visited, taken = 0;
	struct ovc_vm *vm;
	u32 hashes[2];
	u64 domain;

	vm = kunit_kzalloc(test, sizeof(*vm), GFP_KERNEL);
	rmaps = kunit_kcalloc(test, FLOOD_N, sizeof(*rmaps), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, vm && rmaps);
	vm->share_domain = 1000;
	vm->id = 1;
	domain = ovc_vm_share_key(vm);
	same_bucket_hashes(ovc_hint_bucket, domain, 0xbeef, hashes, 2);

	for (i = 0; i < FLOOD_N; i++) {
		rmaps[i] = (struct ovc_rmap){ .vm = vm, .index = i,
					      .hash = hashes[0] };
		KUNIT_EXPECT_EQ(test, ovc_hint_add(&rmaps[i]),
				i < OVC_CHAIN_MAX);
		KUNIT_EXPECT_EQ(test, rmaps[i].hinted, i < OVC_CHAIN_MAX);
	}
	KUNIT_EXPECT_EQ(test, ovc_share_stats.hints,
			before.hints + OVC_CHAIN_MAX);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.chain_capped,
			before.chain_capped + FLOOD_N - OVC_CHAIN_MAX);

	/* Another hash of the same bucket: a miss after OVC_CHAIN_MAX. */
	spin_lock(&ovc_share_lock);
	before.chain_capped = ovc_share_stats.chain_capped;
	got = ovc_hint_find(domain, hashes[1], NULL, &visited);
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, visited, (unsigned int)OVC_CHAIN_MAX);
	/* A chain grown past the bound is cut short, and counted. */
	for (i = 0; i < FLOOD_N; i++)
		if (!rmaps[i].hinted)
			hlist_add_head(&rmaps[i].node,
				       ovc_hint_bucket(domain, hashes[0]));
	got = ovc_hint_find(domain, hashes[1], NULL, &visited);
	for (i = 0; i < FLOOD_N; i++)
		if (!rmaps[i].hinted)
			hlist_del_init(&rmaps[i].node);
	spin_unlock(&ovc_share_lock);
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, visited, (unsigned int)OVC_CHAIN_MAX);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.chain_capped,
			before.chain_capped + 1);

	/* Every hint is found, first in its chain; a record never itself. */
	for (i = 0; i < FLOOD_N; i++) {
		spin_lock(&ovc_share_lock);
		got = ovc_hint_find(domain, hashes[0], &rmaps[0], &visited);
		spin_unlock(&ovc_share_lock);
		KUNIT_EXPECT_LE(test, visited, 2U);
		got = ovc_hint_take(domain, hashes[0], &rmaps[0]);
		if (!got)
			break;
		KUNIT_EXPECT_FALSE(test, got->hinted);
		KUNIT_EXPECT_PTR_NE(test, got, &rmaps[0]);
		taken++;
	}
	KUNIT_EXPECT_EQ(test, taken, OVC_CHAIN_MAX - 1U);
	KUNIT_EXPECT_TRUE(test, rmaps[0].hinted);
	got = ovc_hint_take(domain, hashes[0], NULL);
	KUNIT_EXPECT_PTR_EQ(test, got, &rmaps[0]);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.hints, before.hints);

	/* The chain has room again: a refused record goes in now. */
	KUNIT_EXPECT_TRUE(test, ovc_hint_add(&rmaps[FLOOD_N - 1]));
	ovc_hint_del(&rmaps[FLOOD_N - 1]);
	for (i = 0; i < FLOOD_N; i++)
		KUNIT_EXPECT_FALSE(test, rmaps[i].hinted);
	KUNIT_EXPECT_EQ(test, ovc_share_stats.hints, before.hints);
	KUNIT_EXPECT_TRUE(test, hlist_empty(ovc_hint_bucket(domain,
							    hashes[0])));
}

static struct kunit_case share_cases[] = {
	KUNIT_CASE(share_zero_detection),
	KUNIT_CASE_PARAM(share_zero_every_word, zero_gen_params),
	KUNIT_CASE(share_hash_and_compare),
	KUNIT_CASE(share_frame_lookup_and_remove),
	KUNIT_CASE(share_frame_refcount),
	KUNIT_CASE(share_take_last),
	KUNIT_CASE(share_frame_poisoned),
	KUNIT_CASE(share_zero_renewal),
	KUNIT_CASE_PARAM(share_frame_lifecycle, life_gen_params),
	KUNIT_CASE_PARAM(share_hint_rules, hint_gen_params),
	KUNIT_CASE(share_hash_seed),
	KUNIT_CASE(share_table_size),
	KUNIT_CASE(share_frame_flood),
	KUNIT_CASE(share_hint_flood),
	{}
};

static int share_suite_init(struct kunit_suite *suite)
{
	ovc_kunit_suite_init(suite);
	return ovc_share_init();
}

static void share_suite_exit(struct kunit_suite *suite)
{
	ovc_share_exit();
}

static struct kunit_suite share_suite = {
	.name		= "ovc_share",
	.suite_init	= share_suite_init,
	.suite_exit	= share_suite_exit,
	.exit		= ovc_kunit_exit,
	.test_cases	= share_cases,
};
kunit_test_suite(share_suite);

MODULE_LICENSE("GPL");

#endif /* _OVC_SHARE_KUNIT_H */
