/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the slot encoding (kmod/slot.h): every kind of entry is
 * built, decoded and stored in a real xarray, with real pages from
 * alloc_pages(), fake but aligned frame pointers, the ballooned marker and
 * store handles (8-byte aligned, as zsmalloc's), swap store slots;
 * and the transition of one slot of each kind when a hole punch or a
 * truncate drops it (ovc_slot_drop_step()).
 *
 * Included at the end of kmod/slot.c (as DAMON includes its tests), so
 * static functions stay static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_SLOT_KUNIT_H
#define _OVC_SLOT_KUNIT_H

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "../slot.h"
#include "ovc_kunit.h"

/* Where the test gets the thing a slot points to. */
enum slot_src {
	SRC_NONE,	/* an empty slot */
	SRC_PAGE,	/* page @nr of a real alloc_pages(@order) */
	SRC_FRAME_OBJ,	/* a real kmalloc()ed object of @val bytes */
	SRC_FRAME_FAKE,	/* the address @val, never dereferenced */
	SRC_BALLOON,	/* the ballooned marker */
	SRC_OUT_OBJ,	/* a real kmalloc()ed 8-byte object as a store handle */
	SRC_OUT_FAKE,	/* the handle @val, never dereferenced */
	SRC_SWAP,	/* swap store slot @val */
};

struct slot_case {
	const char *name;
	enum slot_src src;
	unsigned int order;
	unsigned int nr;
	unsigned long val;
	enum ovc_slot_kind kind;
};

static const struct slot_case slot_cases[] = {
	{ "empty slot", SRC_NONE, 0, 0, 0, OVC_SLOT_EMPTY },
	{ "private: order-0 page", SRC_PAGE, 0, 0, 0, OVC_SLOT_PRIVATE },
	{ "private: second page of an order-1 block",
	  SRC_PAGE, 1, 1, 0, OVC_SLOT_PRIVATE },
	{ "private: last page of an order-4 block",
	  SRC_PAGE, 4, 15, 0, OVC_SLOT_PRIVATE },
	{ "shared: kmalloc'ed 8-byte frame", SRC_FRAME_OBJ, 0, 0, 8,
	  OVC_SLOT_SHARED },
	{ "shared: kmalloc'ed 192-byte frame", SRC_FRAME_OBJ, 0, 0, 192,
	  OVC_SLOT_SHARED },
	{ "shared: fake frame at 0x4", SRC_FRAME_FAKE, 0, 0, 0x4,
	  OVC_SLOT_SHARED },
	{ "shared: fake page-aligned frame", SRC_FRAME_FAKE, 0, 0, 0x10000,
	  OVC_SLOT_SHARED },
	{ "shared: fake frame at the highest aligned address",
	  SRC_FRAME_FAKE, 0, 0, ULONG_MAX & ~3UL, OVC_SLOT_SHARED },
	{ "ballooned", SRC_BALLOON, 0, 0, 0, OVC_SLOT_BALLOONED },
	{ "out: a kmalloc'ed handle", SRC_OUT_OBJ, 0, 0, 8, OVC_SLOT_OUT },
	{ "out: handle 8", SRC_OUT_FAKE, 0, 0, 8, OVC_SLOT_OUT },
	{ "out: the highest 8-byte aligned handle", SRC_OUT_FAKE, 0, 0,
	  ULONG_MAX & ~7UL, OVC_SLOT_OUT },
	{ "swapped: slot 0", SRC_SWAP, 0, 0, 0, OVC_SLOT_SWAPPED },
	{ "swapped: slot 1", SRC_SWAP, 0, 0, 1, OVC_SLOT_SWAPPED },
	{ "swapped: the highest slot", SRC_SWAP, 0, 0,
	  ULONG_MAX >> OVC_SLOT_SWAP_SHIFT, OVC_SLOT_SWAPPED },
};

static void slot_case_desc(const struct slot_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(slot, slot_cases, slot_case_desc);

/* Check what every decoder says about @entry, built from @c and @ptr. */
static void slot_check_decode(struct kunit *test, const struct slot_case *c,
			      const void *entry, void *ptr)
{
	KUNIT_EXPECT_EQ(test, ovc_slot_kind(entry), c->kind);

	switch (c->kind) {
	case OVC_SLOT_EMPTY:
		KUNIT_EXPECT_NULL(test, entry);
		KUNIT_EXPECT_NULL(test, ovc_slot_page(entry));
		KUNIT_EXPECT_NULL(test, ovc_slot_frame(entry));
		break;
	case OVC_SLOT_PRIVATE:
		KUNIT_EXPECT_PTR_EQ(test, ovc_slot_page(entry),
				    (struct page *)ptr);
		KUNIT_EXPECT_NULL(test, ovc_slot_frame(entry));
		break;
	case OVC_SLOT_SHARED:
		KUNIT_EXPECT_PTR_EQ(test, ovc_slot_frame(entry),
				    (struct ovc_frame *)ptr);
		KUNIT_EXPECT_NULL(test, ovc_slot_page(entry));
		break;
	case OVC_SLOT_BALLOONED:
		/* Reads as zero like an empty slot, but is not one. */
		KUNIT_EXPECT_NOT_NULL(test, entry);
		KUNIT_EXPECT_NULL(test, ovc_slot_page(entry));
		KUNIT_EXPECT_NULL(test, ovc_slot_frame(entry));
		KUNIT_EXPECT_EQ(test, ovc_slot_handle(entry), 0UL);
		break;
	case OVC_SLOT_OUT:
		KUNIT_EXPECT_EQ(test, ovc_slot_handle(entry),
				(unsigned long)ptr);
		KUNIT_EXPECT_NULL(test, ovc_slot_page(entry));
		KUNIT_EXPECT_NULL(test, ovc_slot_frame(entry));
		KUNIT_EXPECT_FALSE(test, xa_is_internal(entry));
		break;
	case OVC_SLOT_SWAPPED:
		KUNIT_EXPECT_EQ(test, ovc_slot_swap(entry), c->val);
		KUNIT_EXPECT_NULL(test, ovc_slot_page(entry));
		KUNIT_EXPECT_NULL(test, ovc_slot_frame(entry));
		KUNIT_EXPECT_FALSE(test, xa_is_internal(entry));
		break;
	}
	if (c->kind != OVC_SLOT_OUT)
		KUNIT_EXPECT_EQ(test, ovc_slot_handle(entry), 0UL);
	KUNIT_EXPECT_EQ(test, ovc_slot_stored(entry),
			c->kind == OVC_SLOT_OUT || c->kind == OVC_SLOT_SWAPPED);
}

/*
 * Encode, decode, then store the entry in a real xarray at a low and at
 * the highest index and decode what comes back: a slot must never be an
 * internal entry, or the xarray would misread it.
 */
static void slot_round_trip_test(struct kunit *test)
{
	const struct slot_case *c = test->param_value;
	static const unsigned long indices[] = { 0, 1, ULONG_MAX };
	struct page *block = NULL;
	void *ptr = NULL, *entry = NULL;
	struct xarray xa;
	size_t i;

	switch (c->src) {
	case SRC_NONE:
		break;
	case SRC_PAGE:
		block = alloc_pages(GFP_KERNEL, c->order);
		KUNIT_ASSERT_NOT_NULL(test, block);
		ptr = block + c->nr;
		entry = ovc_slot_mk_private(ptr);
		break;
	case SRC_FRAME_OBJ:
		ptr = kunit_kmalloc(test, c->val, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ptr);
		entry = ovc_slot_mk_shared(ptr);
		break;
	case SRC_FRAME_FAKE:
		ptr = (void *)c->val;
		entry = ovc_slot_mk_shared(ptr);
		break;
	case SRC_BALLOON:
		entry = ovc_slot_mk_ballooned();
		break;
	case SRC_OUT_OBJ:
		ptr = kunit_kmalloc(test, c->val, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ptr);
		entry = ovc_slot_mk_out((unsigned long)ptr);
		break;
	case SRC_OUT_FAKE:
		ptr = (void *)c->val;
		entry = ovc_slot_mk_out(c->val);
		break;
	case SRC_SWAP:
		entry = ovc_slot_mk_swapped(c->val);
		break;
	}

	slot_check_decode(test, c, entry, ptr);

	xa_init(&xa);
	for (i = 0; i < ARRAY_SIZE(indices); i++) {
		void *old = xa_store(&xa, indices[i], entry, GFP_KERNEL);

		KUNIT_EXPECT_EQ(test, xa_err(old), 0);
		KUNIT_EXPECT_PTR_EQ(test, xa_load(&xa, indices[i]), entry);
		slot_check_decode(test, c, xa_load(&xa, indices[i]), ptr);
	}
	KUNIT_EXPECT_EQ(test, xa_empty(&xa), c->kind == OVC_SLOT_EMPTY);
	xa_destroy(&xa);

	if (block)
		__free_pages(block, c->order);
}

/*
 * A private page is never read as anything else: try every page of a
 * large block (struct page pointers of neighbouring pages differ in their
 * low bits only by multiples of sizeof(struct page)).
 */
static void slot_private_never_other_test(struct kunit *test)
{
	const unsigned int order = 6;
	struct page *block = alloc_pages(GFP_KERNEL, order);
	unsigned int i, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, block);
	for (i = 0; i < (1U << order); i++) {
		void *entry = ovc_slot_mk_private(block + i);

		if (ovc_slot_kind(entry) != OVC_SLOT_PRIVATE ||
		    ovc_slot_page(entry) != block + i ||
		    ovc_slot_frame(entry) || xa_is_internal(entry))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	__free_pages(block, order);
}

/*
 * The ballooned marker is the one value entry ovc uses: tag 3 and nothing
 * else, never an xarray internal entry (tag 2), never a pointer.
 */
static void slot_ballooned_marker_test(struct kunit *test)
{
	void *entry = ovc_slot_mk_ballooned();

	KUNIT_EXPECT_EQ(test, (unsigned long)entry, OVC_SLOT_TAG_SPECIAL);
	KUNIT_EXPECT_FALSE(test, xa_is_internal(entry));
	KUNIT_EXPECT_EQ(test, ovc_slot_kind(entry), OVC_SLOT_BALLOONED);
}

/* ---- ovc_slot_drop_step(): punch and truncate, one slot ---- */

enum drop_src { DROP_EMPTY, DROP_PRIVATE, DROP_SHARED, DROP_BALLOONED,
		DROP_OUT, DROP_SWAPPED };

struct drop_case {
	const char *name;
	enum drop_src src;
	bool balloon;		/* a hole punch; else truncate or teardown */
	bool change;
	enum ovc_slot_kind next;
	int ballooned, resident, shared;
	bool release;
	int out, swapped;
};

static const struct drop_case drop_cases[] = {
	{ "punch: empty stays empty", DROP_EMPTY, true, false,
	  OVC_SLOT_EMPTY, 0, 0, 0, false },
	{ "truncate: empty stays empty", DROP_EMPTY, false, false,
	  OVC_SLOT_EMPTY, 0, 0, 0, false },
	{ "punch: private becomes ballooned", DROP_PRIVATE, true, true,
	  OVC_SLOT_BALLOONED, 1, -1, 0, true },
	{ "truncate: private is erased", DROP_PRIVATE, false, true,
	  OVC_SLOT_EMPTY, 0, -1, 0, true },
	{ "punch: shared becomes ballooned", DROP_SHARED, true, true,
	  OVC_SLOT_BALLOONED, 1, 0, -1, true },
	{ "truncate: shared is erased", DROP_SHARED, false, true,
	  OVC_SLOT_EMPTY, 0, 0, -1, true },
	{ "punch: ballooned stays ballooned, counted once", DROP_BALLOONED,
	  true, false, OVC_SLOT_BALLOONED, 0, 0, 0, false },
	{ "truncate: ballooned is erased and uncounted", DROP_BALLOONED, false,
	  true, OVC_SLOT_EMPTY, -1, 0, 0, false },
	{ "punch: out becomes ballooned, its copy freed", DROP_OUT, true,
	  true, OVC_SLOT_BALLOONED, 1, 0, 0, true, -1 },
	{ "truncate: out is erased, its copy freed", DROP_OUT, false, true,
	  OVC_SLOT_EMPTY, 0, 0, 0, true, -1 },
	{ "punch: swapped becomes ballooned, its slot freed", DROP_SWAPPED,
	  true, true, OVC_SLOT_BALLOONED, 1, 0, 0, true, 0, -1 },
	{ "truncate: swapped is erased, its slot freed", DROP_SWAPPED, false,
	  true, OVC_SLOT_EMPTY, 0, 0, 0, true, 0, -1 },
};

static void drop_case_desc(const struct drop_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drop, drop_cases, drop_case_desc);

static void slot_drop_step_test(struct kunit *test)
{
	const struct drop_case *c = test->param_value;
	struct ovc_slot_step st;
	struct page *page = NULL;
	void *entry = NULL, *frame;
	enum ovc_slot_kind next;

	switch (c->src) {
	case DROP_EMPTY:
		break;
	case DROP_PRIVATE:
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		entry = ovc_slot_mk_private(page);
		break;
	case DROP_SHARED:
		frame = kunit_kzalloc(test, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, frame);
		entry = ovc_slot_mk_shared(frame);
		break;
	case DROP_BALLOONED:
		entry = ovc_slot_mk_ballooned();
		break;
	case DROP_OUT:
		entry = ovc_slot_mk_out(0x1000);
		break;
	case DROP_SWAPPED:
		entry = ovc_slot_mk_swapped(42);
		break;
	}

	memset(&st, 0x5a, sizeof(st));
	ovc_slot_drop_step(entry, c->balloon, &st);
	KUNIT_EXPECT_EQ(test, st.change, c->change);
	next = st.change ? ovc_slot_kind(st.next) : ovc_slot_kind(entry);
	KUNIT_EXPECT_EQ(test, next, c->next);
	KUNIT_EXPECT_EQ(test, st.ballooned, c->ballooned);
	KUNIT_EXPECT_EQ(test, st.resident, c->resident);
	KUNIT_EXPECT_EQ(test, st.shared, c->shared);
	KUNIT_EXPECT_EQ(test, st.out, c->out);
	KUNIT_EXPECT_EQ(test, st.swapped, c->swapped);
	KUNIT_EXPECT_EQ(test, st.release, c->release);
	/* Whatever the row, the slot holds no memory afterwards. */
	KUNIT_EXPECT_NULL(test, ovc_slot_page(st.change ? st.next : entry));
	KUNIT_EXPECT_NULL(test, ovc_slot_frame(st.change ? st.next : entry));
	KUNIT_EXPECT_EQ(test, ovc_slot_handle(st.change ? st.next : entry),
			0UL);
	/* Memory is released exactly when a counter of memory drops. */
	KUNIT_EXPECT_EQ(test, st.release,
			st.resident + st.shared + st.out + st.swapped == -1);
	KUNIT_EXPECT_FALSE(test, ovc_slot_stored(st.change ? st.next : entry));

	if (page)
		__free_page(page);
}

static struct kunit_case slot_test_cases[] = {
	KUNIT_CASE_PARAM(slot_round_trip_test, slot_gen_params),
	KUNIT_CASE(slot_private_never_other_test),
	KUNIT_CASE(slot_ballooned_marker_test),
	KUNIT_CASE_PARAM(slot_drop_step_test, drop_gen_params),
	{}
};

static struct kunit_suite slot_test_suite = {
	.name = "ovc_slot",
	.suite_init = ovc_kunit_suite_init,
	.exit = ovc_kunit_exit,
	.test_cases = slot_test_cases,
};

kunit_test_suites(&slot_test_suite);

MODULE_LICENSE("GPL");

#endif /* _OVC_SLOT_KUNIT_H */
