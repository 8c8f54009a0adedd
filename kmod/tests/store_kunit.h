/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the compressed cache (store.c): a real LZ4 compressor
 * and zsmalloc pool.  The age index the writeback reads: objects come out
 * oldest first with the VM and slot they were stored for, a freed object
 * leaves it, a page comes back byte for byte, and a page that does not
 * compress to half a page is refused.
 */
#include <linux/random.h>

#include "ovc_kunit.h"

/* A page that compresses well: @seed's byte, with a few others in it. */
static struct page *store_test_page(struct kunit *test, u8 seed)
{
	struct page *page = alloc_page(GFP_KERNEL);
	u8 *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	p = kmap_local_page(page);
	memset(p, seed, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i += 97)
		p[i] = seed + i;
	kunmap_local(p);
	return page;
}

static bool store_test_same(struct page *a, struct page *b)
{
	void *pa = kmap_local_page(a), *pb = kmap_local_page(b);
	bool same = !memcmp(pa, pb, PAGE_SIZE);

	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

/* Three objects come out by age, with their VM and slot; frees remove them. */
static void store_oldest_test(struct kunit *test)
{
	unsigned long h[3], handle;
	struct page *pages[3];
	u64 seq = 0, first, vm;
	pgoff_t index;
	int i;

	for (i = 0; i < 3; i++) {
		pages[i] = store_test_page(test, 'a' + i);
		KUNIT_ASSERT_EQ(test, ovc_store_page(pages[i], 100 + i, 7 * i,
						     &h[i]), 0);
	}
	KUNIT_ASSERT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &handle), 0);
	first = seq;
	KUNIT_EXPECT_EQ(test, handle, h[0]);
	KUNIT_EXPECT_EQ(test, vm, 100ULL);
	KUNIT_EXPECT_EQ(test, index, 0UL);
	KUNIT_EXPECT_EQ(test, ovc_store_seq(h[0]), first);
	KUNIT_EXPECT_EQ(test, ovc_store_seq(h[1]), first + 1);
	KUNIT_EXPECT_EQ(test, ovc_store_seq(h[2]), first + 2);

	/* Past the first: the second. */
	seq = first + 1;
	KUNIT_ASSERT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &handle), 0);
	KUNIT_EXPECT_EQ(test, handle, h[1]);
	KUNIT_EXPECT_EQ(test, vm, 101ULL);
	KUNIT_EXPECT_EQ(test, index, 7UL);

	/* The oldest freed: the search from 0 finds the second. */
	ovc_store_free(h[0]);
	seq = 0;
	KUNIT_ASSERT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &handle), 0);
	KUNIT_EXPECT_EQ(test, handle, h[1]);
	KUNIT_EXPECT_EQ(test, seq, first + 1);

	/* The middle one freed: the third follows the first. */
	ovc_store_free(h[1]);
	seq = first + 1;
	KUNIT_ASSERT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &handle), 0);
	KUNIT_EXPECT_EQ(test, handle, h[2]);
	KUNIT_EXPECT_EQ(test, vm, 102ULL);
	KUNIT_EXPECT_EQ(test, index, 14UL);
	ovc_store_free(h[2]);
	seq = 0;
	KUNIT_EXPECT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &handle),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.pages), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.bytes), 0L);
	for (i = 0; i < 3; i++)
		__free_page(pages[i]);
}

/* A page comes back intact; copy does not count a swap-in, load does. */
static void store_round_trip_test(struct kunit *test)
{
	struct page *page = store_test_page(test, 'z'), *back;
	long loads = atomic_long_read(&ovc_store_stats.loads);
	unsigned long h;

	back = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_ASSERT_EQ(test, ovc_store_page(page, 1, 2, &h), 0);
	KUNIT_EXPECT_GT(test, ovc_store_size(h), 0U);
	KUNIT_EXPECT_LE(test, ovc_store_size(h), (unsigned int)PAGE_SIZE / 2);
	KUNIT_EXPECT_EQ(test, ovc_store_copy(h, back), 0);
	KUNIT_EXPECT_TRUE(test, store_test_same(page, back));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.loads), loads);
	clear_highpage(back);
	KUNIT_EXPECT_EQ(test, ovc_store_load(h, back), 0);
	KUNIT_EXPECT_TRUE(test, store_test_same(page, back));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.loads),
			loads + 1);
	ovc_store_free(h);
	__free_page(back);
	__free_page(page);
}

/* Random bytes do not compress to half a page: refused, nothing kept. */
static void store_reject_test(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	long rejects = atomic_long_read(&ovc_store_stats.rejects);
	unsigned long h = 0;
	u64 seq = 0, vm;
	pgoff_t index;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, page);
	p = kmap_local_page(page);
	get_random_bytes(p, PAGE_SIZE);
	kunmap_local(p);
	KUNIT_EXPECT_EQ(test, ovc_store_page(page, 1, 2, &h), -E2BIG);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.rejects),
			rejects + 1);
	KUNIT_EXPECT_EQ(test, ovc_store_oldest(&seq, &vm, &index, &h),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ovc_store_stats.pages), 0L);
	__free_page(page);
}

static int store_suite_init(struct kunit_suite *suite)
{
	ovc_kunit_suite_init(suite);
	return ovc_store_init();
}

static void store_suite_exit(struct kunit_suite *suite)
{
	ovc_store_exit();
}

static struct kunit_case store_cases[] = {
	KUNIT_CASE(store_oldest_test),
	KUNIT_CASE(store_round_trip_test),
	KUNIT_CASE(store_reject_test),
	{}
};

static struct kunit_suite store_suite = {
	.name		= "ovc_store",
	.suite_init	= store_suite_init,
	.suite_exit	= store_suite_exit,
	.exit		= ovc_kunit_exit,
	.test_cases	= store_cases,
};
kunit_test_suite(store_suite);
