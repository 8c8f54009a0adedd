/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the pure range helpers (kmod/range.c): hole punches and
 * file sizes.
 *
 * Included at the end of kmod/range.c (as DAMON includes its tests), so
 * static functions stay static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_RANGE_KUNIT_H
#define _OVC_RANGE_KUNIT_H

#include <kunit/test.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/ovc.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "../range.h"
#include "ovc_kunit.h"

#define P	((loff_t)PAGE_SIZE)
/* The page holding the last bytes a file can have; never a whole page. */
#define LASTPG	(MAX_LFS_FILESIZE >> PAGE_SHIFT)
#define LASTPG_BYTES	(MAX_LFS_FILESIZE - LASTPG * P)

/* ---- ovc_range_punch() ---- */

struct punch_case {
	const char *name;
	loff_t offset, len;
	int ret;
	/* Expected on success; first == end means "no whole page". */
	pgoff_t first, end;
	long long head_page;
	unsigned int head_off, head_len;
	long long tail_page;
	unsigned int tail_len;
};

/* Rows: name, offset, len, result (error ones need nothing more). */
#define PUNCH_ERR(n, o, l)	{ n, o, l, -EINVAL }
/* Whole pages [f, e), no partial page. */
#define PUNCH_WHOLE(n, o, l, f, e)	{ n, o, l, 0, f, e, -1, 0, 0, -1, 0 }
/* Whole pages [f, e), then head (page, offset, length), tail (page, length). */
#define PUNCH(n, o, l, f, e, hp, ho, hl, tp, tl) \
	{ n, o, l, 0, f, e, hp, ho, hl, tp, tl }

static const struct punch_case punch_cases[] = {
	PUNCH_ERR("negative offset", -1, P),
	PUNCH_ERR("offset LLONG_MIN", LLONG_MIN, P),
	PUNCH_ERR("zero length", 0, 0),
	PUNCH_ERR("zero length at an unaligned offset", 100, 0),
	PUNCH_ERR("negative length", P, -1),
	PUNCH_ERR("length LLONG_MIN", 0, LLONG_MIN),
	PUNCH_ERR("offset at MAX_LFS_FILESIZE", MAX_LFS_FILESIZE, 1),
	PUNCH_ERR("one byte past MAX_LFS_FILESIZE", 1, MAX_LFS_FILESIZE),
	PUNCH_ERR("end overflows loff_t", LLONG_MAX, LLONG_MAX),
	PUNCH_ERR("end overflows loff_t by one", LLONG_MAX / 2 + 1,
		  LLONG_MAX / 2 + 1),
	PUNCH_ERR("last page plus one byte past the end", LASTPG * P,
		  LASTPG_BYTES + 1),

	PUNCH_WHOLE("offset 0, exactly one page", 0, P, 0, 1),
	PUNCH_WHOLE("exactly one page, not the first", 5 * P, P, 5, 6),
	PUNCH_WHOLE("offset 0, many pages", 0, 16 * P, 0, 16),
	PUNCH_WHOLE("256 MiB guest at 1 GiB", 1LL << 30, 256LL << 20,
		    (1LL << 30) / P, ((1LL << 30) + (256LL << 20)) / P),
	PUNCH_WHOLE("last whole page", (LASTPG - 1) * P, P, LASTPG - 1,
		    LASTPG),

	PUNCH("offset 0, unaligned tail", 0, 2 * P + 100, 0, 2,
	      -1, 0, 0, 2, 100),
	PUNCH("unaligned head, aligned end", 100, 2 * P - 100, 1, 2,
	      0, 100, P - 100, -1, 0),
	PUNCH("unaligned head and tail", 100, 3 * P, 1, 3,
	      0, 100, P - 100, 3, 100),
	PUNCH("one byte at offset 0", 0, 1, 0, 0, 0, 0, 1, -1, 0),
	PUNCH("hole inside one page", P + 10, 20, 1, 1, 1, 10, 20, -1, 0),
	PUNCH("hole at the start of a page", 2 * P, 1, 2, 2, 2, 0, 1, -1, 0),
	PUNCH("hole up to the end of a page", 2 * P + 1, P - 1, 2, 2,
	      2, 1, P - 1, -1, 0),
	PUNCH("last byte of a page", 3 * P - 1, 1, 2, 2, 2, P - 1, 1, -1, 0),
	PUNCH("all of a page but its first and last byte", P + 1, P - 2, 1, 1,
	      1, 1, P - 2, -1, 0),
	PUNCH("two bytes across a page boundary", P - 1, 2, 1, 1,
	      0, P - 1, 1, 1, 1),
	PUNCH("page-sized but unaligned", 100, P, 1, 1,
	      0, 100, P - 100, 1, 100),
	PUNCH("almost two pages, no whole one", 1, 2 * P - 2, 1, 1,
	      0, 1, P - 1, 1, P - 1),
	PUNCH("one whole page between two partial ones", P - 1, P + 2, 1, 2,
	      0, P - 1, 1, 2, 1),
	PUNCH("0 to MAX_LFS_FILESIZE", 0, MAX_LFS_FILESIZE, 0, LASTPG,
	      -1, 0, 0, LASTPG, LASTPG_BYTES),
	PUNCH("unaligned start to MAX_LFS_FILESIZE", 100,
	      MAX_LFS_FILESIZE - 100, 1, LASTPG,
	      0, 100, P - 100, LASTPG, LASTPG_BYTES),
	PUNCH("the whole last page", LASTPG * P, LASTPG_BYTES, LASTPG, LASTPG,
	      LASTPG, 0, LASTPG_BYTES, -1, 0),
	PUNCH("hole inside the last page", LASTPG * P + 10, 20, LASTPG, LASTPG,
	      LASTPG, 10, 20, -1, 0),
	PUNCH("unaligned start in the last page to MAX_LFS_FILESIZE",
	      LASTPG * P + 1, LASTPG_BYTES - 1, LASTPG, LASTPG,
	      LASTPG, 1, LASTPG_BYTES - 1, -1, 0),
	PUNCH("last byte a file can have", MAX_LFS_FILESIZE - 1, 1,
	      LASTPG, LASTPG, LASTPG, LASTPG_BYTES - 1, 1, -1, 0),
	PUNCH("across the boundary of the last page", LASTPG * P - 10, 20,
	      LASTPG, LASTPG, LASTPG - 1, P - 10, 10, LASTPG, 10),
};

static void punch_case_desc(const struct punch_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(punch, punch_cases, punch_case_desc);

static void punch_range_test(struct kunit *test)
{
	const struct punch_case *c = test->param_value;
	struct ovc_punch p;
	loff_t covered;

	memset(&p, 0x5a, sizeof(p));
	KUNIT_ASSERT_EQ(test, ovc_range_punch(c->offset, c->len, &p), c->ret);
	if (c->ret)
		return;

	if (c->first == c->end) {
		KUNIT_EXPECT_EQ(test, p.first, p.end);
	} else {
		KUNIT_EXPECT_EQ(test, p.first, c->first);
		KUNIT_EXPECT_EQ(test, p.end, c->end);
	}
	KUNIT_EXPECT_EQ(test, p.head_page, c->head_page);
	KUNIT_EXPECT_EQ(test, p.head_off, c->head_off);
	KUNIT_EXPECT_EQ(test, p.head_len, c->head_len);
	KUNIT_EXPECT_EQ(test, p.tail_page, c->tail_page);
	KUNIT_EXPECT_EQ(test, p.tail_len, c->tail_len);

	/* Whatever the row, the parts add up to the hole, and in order. */
	KUNIT_EXPECT_LE(test, p.first, p.end);
	covered = (loff_t)(p.end - p.first) * P + p.head_len + p.tail_len;
	KUNIT_EXPECT_EQ(test, covered, c->len);
	if (p.head_page >= 0) {
		KUNIT_EXPECT_EQ(test, p.head_page, c->offset >> PAGE_SHIFT);
		KUNIT_EXPECT_LE(test, (loff_t)p.head_off + p.head_len, P);
		KUNIT_EXPECT_GT(test, p.head_len, 0U);
		if (p.first != p.end)
			KUNIT_EXPECT_LT(test, p.head_page, (long long)p.first);
	}
	if (p.tail_page >= 0) {
		KUNIT_EXPECT_EQ(test, p.tail_page,
				(c->offset + c->len) >> PAGE_SHIFT);
		KUNIT_EXPECT_GT(test, p.tail_len, 0U);
		KUNIT_EXPECT_LT(test, (loff_t)p.tail_len, P);
		KUNIT_EXPECT_GE(test, p.tail_page, (long long)p.end);
		KUNIT_EXPECT_NE(test, p.tail_page, p.head_page);
	}
}

/* ---- ovc_range_pages() ---- */

struct size_case {
	const char *name;
	loff_t size;
	pgoff_t pages;
};

static const struct size_case size_cases[] = {
	{ "0 bytes", 0, 0 },
	{ "negative size", -1, 0 },
	{ "LLONG_MIN", LLONG_MIN, 0 },
	{ "1 byte", 1, 1 },
	{ "one page less one byte", P - 1, 1 },
	{ "one page", P, 1 },
	{ "one page and one byte", P + 1, 2 },
	{ "256 MiB", 256LL << 20, (256LL << 20) / P },
	{ "256 MiB and one byte", (256LL << 20) + 1, (256LL << 20) / P + 1 },
	{ "4 TiB", 4LL << 40, (4LL << 40) / P },
	{ "up to the last page", LASTPG * P, LASTPG },
	{ "one byte into the last page", LASTPG * P + 1, LASTPG + 1 },
	{ "MAX_LFS_FILESIZE", MAX_LFS_FILESIZE, LASTPG + 1 },
};

static void size_case_desc(const struct size_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(size, size_cases, size_case_desc);

static void size_to_pages_test(struct kunit *test)
{
	const struct size_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, ovc_range_pages(c->size), c->pages);
}

static struct kunit_case range_test_cases[] = {
	KUNIT_CASE_PARAM(punch_range_test, punch_gen_params),
	KUNIT_CASE_PARAM(size_to_pages_test, size_gen_params),
	{}
};

static struct kunit_suite range_test_suite = {
	.name = "ovc_range",
	.suite_init = ovc_kunit_suite_init,
	.exit = ovc_kunit_exit,
	.test_cases = range_test_cases,
};

kunit_test_suites(&range_test_suite);

MODULE_LICENSE("GPL");

#endif /* _OVC_RANGE_KUNIT_H */
