/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the argument checks (kmod/uarg.c): fallocate() modes, the
 * flags and reserved fields of every ioctl argument in uapi/linux/ovc.h,
 * and its frozen layout.
 *
 * Included at the end of kmod/uarg.c (as DAMON includes its tests), so
 * static functions stay static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_UARG_KUNIT_H
#define _OVC_UARG_KUNIT_H

#include <kunit/test.h>
#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/ovc.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "../uarg.h"
#include "ovc_kunit.h"

/* ---- ovc_uarg_fallocate_mode() ---- */

/*
 * Every combination of the seven FALLOC_FL_* bits of Linux 6.1, then
 * modes with bits no kernel defines.  Only PUNCH_HOLE | KEEP_SIZE is
 * supported.  The parameters are indices into fl_rows, whose addresses
 * are all that is used: row i < FL_COMBOS is mode i.
 */
#define FL_KNOWN	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | \
			 FALLOC_FL_NO_HIDE_STALE | FALLOC_FL_COLLAPSE_RANGE | \
			 FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | \
			 FALLOC_FL_UNSHARE_RANGE)
#define FL_COMBOS	(FL_KNOWN + 1)
#define FL_SUPPORTED	(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static const int fl_unknown_modes[] = {
	FL_KNOWN + 1,
	FL_SUPPORTED | (FL_KNOWN + 1),
	FL_SUPPORTED | 0x100,
	FL_SUPPORTED | 0x40000000,
	INT_MAX,
	-1,
	INT_MIN,
	INT_MIN | FL_SUPPORTED,
};

static const char fl_rows[FL_COMBOS + ARRAY_SIZE(fl_unknown_modes)];

static const char * const fl_names[] = {
	"KEEP_SIZE", "PUNCH_HOLE", "NO_HIDE_STALE", "COLLAPSE_RANGE",
	"ZERO_RANGE", "INSERT_RANGE", "UNSHARE_RANGE",
};

static int fl_mode(const char *row)
{
	size_t i = row - fl_rows;

	return i < FL_COMBOS ? (int)i : fl_unknown_modes[i - FL_COMBOS];
}

static void fl_describe(int mode, char *desc)
{
	unsigned int left = mode;
	size_t len = 0, i;

	if (!mode) {
		strscpy(desc, "0 (allocate)", KUNIT_PARAM_DESC_SIZE);
		return;
	}
	desc[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(fl_names); i++) {
		if (!(left & BIT(i)))
			continue;
		left &= ~BIT(i);
		len += scnprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len,
				 "%s%s", len ? "|" : "", fl_names[i]);
	}
	if (left)
		scnprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len,
			  "%sunknown 0x%x", len ? "|" : "", left);
}

static const void *fl_gen_params(const void *prev, char *desc)
{
	const char *next = prev ? (const char *)prev + 1 : fl_rows;

	if (next >= fl_rows + ARRAY_SIZE(fl_rows))
		return NULL;
	fl_describe(fl_mode(next), desc);
	return next;
}

static void fallocate_mode_test(struct kunit *test)
{
	int mode = fl_mode(test->param_value);
	int want = mode == FL_SUPPORTED ? 0 : -EOPNOTSUPP;

	KUNIT_EXPECT_EQ_MSG(test, ovc_uarg_fallocate_mode(mode), want,
			    "mode %#x", mode);
}

/* ---- ovc_uarg_vm_info() and the other ioctl argument checks ---- */

/*
 * Every ioctl argument starts with a __u32 size and ends with reserved
 * __u64s; the others also have a __u32 flags that must be zero.
 */
struct uarg_type {
	const char *name;
	size_t size;
	size_t abi_size;	/* frozen: the ioctl number encodes it */
	unsigned int ioctl;
	long flags_off;		/* -1: no flags field */
	long zero_off;		/* a __u32 reserved32 besides flags, or -1 */
	size_t reserved_off;
	size_t nr_reserved;
	int (*check)(const void *arg);
};

static int uarg_vm_info(const void *arg)
{
	return ovc_uarg_vm_info(arg);
}

static int uarg_balloon_target(const void *arg)
{
	return ovc_uarg_balloon_target(arg);
}

static int uarg_guest_report(const void *arg)
{
	return ovc_uarg_guest_report(arg);
}

static int uarg_share_domain(const void *arg)
{
	return ovc_uarg_share_domain(arg);
}

static int uarg_swap_file(const void *arg)
{
	return ovc_uarg_swap_file(arg);
}

#define UARG_TYPE32(t, abi, nr, fl, z, fn) {				\
	.name = #t,							\
	.size = sizeof(struct t),					\
	.abi_size = abi,						\
	.ioctl = nr,							\
	.flags_off = fl,						\
	.zero_off = z,							\
	.reserved_off = offsetof(struct t, reserved),			\
	.nr_reserved = ARRAY_SIZE(((struct t *)0)->reserved),		\
	.check = fn,							\
}
#define UARG_TYPE(t, abi, nr, fl, fn) UARG_TYPE32(t, abi, nr, fl, -1, fn)

static const struct uarg_type uarg_types[] = {
	/* reserved32 must be zero on input, as a flags field. */
	UARG_TYPE(ovc_vm_info, 104, OVC_IOC_VM_INFO,
		  offsetof(struct ovc_vm_info, reserved32), uarg_vm_info),
	UARG_TYPE(ovc_balloon_target, 48, OVC_IOC_SET_BALLOON_TARGET,
		  offsetof(struct ovc_balloon_target, flags),
		  uarg_balloon_target),
	UARG_TYPE(ovc_guest_report, 64, OVC_IOC_GUEST_REPORT,
		  offsetof(struct ovc_guest_report, flags), uarg_guest_report),
	UARG_TYPE(ovc_share_domain, 32, OVC_IOC_SET_SHARE_DOMAIN,
		  offsetof(struct ovc_share_domain, flags), uarg_share_domain),
	/* fd -1 (all ones: "other fields set") is OVC_SWAP_FILE_NONE. */
	UARG_TYPE32(ovc_swap_file, 40, OVC_IOC_SET_SWAP_FILE,
		    offsetof(struct ovc_swap_file, flags),
		    offsetof(struct ovc_swap_file, reserved32), uarg_swap_file),
};

#define UARG_NR_RESERVED						\
	(ARRAY_SIZE(((struct ovc_vm_info *)0)->reserved) +		\
	 ARRAY_SIZE(((struct ovc_balloon_target *)0)->reserved) +	\
	 ARRAY_SIZE(((struct ovc_guest_report *)0)->reserved) +	\
	 ARRAY_SIZE(((struct ovc_share_domain *)0)->reserved) +	\
	 ARRAY_SIZE(((struct ovc_swap_file *)0)->reserved))

/*
 * The size field is not among them: ovc_uarg_copy() refuses any size but
 * the module's before a check runs, so every row claims the exact size.
 */
struct uarg_variant {
	const char *name;
	bool fill;		/* every field but size, flags, reserved set */
	u32 flags;		/* rows with flags apply to types with flags */
	int ret;
};

static const struct uarg_variant uarg_variants[] = {
	{ "all zero", false, 0, 0 },
	{ "other fields set", true, 0, 0 },
	{ "flags 1", false, 1, -EINVAL },
	{ "flags top bit", true, 0x80000000, -EINVAL },
};

/* Fill @buf as a caller of @t would, with the exact size. */
static void uarg_fill(void *buf, const struct uarg_type *t, bool fill,
		      u32 flags)
{
	u32 usize = t->size;

	memset(buf, 0, t->size);
	if (fill)
		memset(buf, 0xff, t->reserved_off);
	if (t->zero_off >= 0)
		memset(buf + t->zero_off, 0, sizeof(u32));
	if (t->flags_off >= 0)
		memcpy(buf + t->flags_off, &flags, sizeof(flags));
	memcpy(buf, &usize, sizeof(usize));
}

/*
 * The parameters of the next two tests are addresses in these arrays,
 * nothing else: row i of uarg_rows is variant i % ARRAY_SIZE(uarg_variants)
 * of type i / ARRAY_SIZE(uarg_variants); row i of uarg_reserved_rows is
 * the i-th reserved field, counting through the types in order.
 */
static const char uarg_rows[ARRAY_SIZE(uarg_types) *
			    ARRAY_SIZE(uarg_variants)];
static const char uarg_reserved_rows[UARG_NR_RESERVED];

static const void *uarg_gen_params(const void *prev, char *desc)
{
	const char *next = prev ? (const char *)prev + 1 : uarg_rows;

	for (; next < uarg_rows + ARRAY_SIZE(uarg_rows); next++) {
		size_t i = next - uarg_rows;
		const struct uarg_type *t =
			&uarg_types[i / ARRAY_SIZE(uarg_variants)];
		const struct uarg_variant *v =
			&uarg_variants[i % ARRAY_SIZE(uarg_variants)];

		if (v->flags && t->flags_off < 0)
			continue;
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: %s", t->name,
			 v->name);
		return next;
	}
	return NULL;
}

static void uarg_check_test(struct kunit *test)
{
	size_t i = (const char *)test->param_value - uarg_rows;
	const struct uarg_type *t = &uarg_types[i / ARRAY_SIZE(uarg_variants)];
	const struct uarg_variant *v =
		&uarg_variants[i % ARRAY_SIZE(uarg_variants)];
	u64 buf[32];

	KUNIT_ASSERT_LE(test, t->size, sizeof(buf));
	uarg_fill(buf, t, v->fill, v->flags);
	KUNIT_EXPECT_EQ(test, t->check(buf), v->ret);
}

/* Find the type and index of reserved field @i counting through all types. */
static const struct uarg_type *uarg_reserved(size_t i, size_t *idx)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(uarg_types); k++) {
		if (i < uarg_types[k].nr_reserved) {
			*idx = i;
			return &uarg_types[k];
		}
		i -= uarg_types[k].nr_reserved;
	}
	return NULL;
}

static const void *uarg_reserved_gen_params(const void *prev, char *desc)
{
	const char *next = prev ? (const char *)prev + 1 : uarg_reserved_rows;
	const struct uarg_type *t;
	size_t idx;

	if (next >= uarg_reserved_rows + ARRAY_SIZE(uarg_reserved_rows))
		return NULL;
	t = uarg_reserved(next - uarg_reserved_rows, &idx);
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s.reserved[%zu] not zero",
		 t ? t->name : "?", idx);
	return next;
}

/*
 * Each reserved field is refused when it is 1, when only its top bit is
 * set, and when all of it and every other field are set.
 */
static void uarg_reserved_test(struct kunit *test)
{
	static const u64 values[] = { 1, 1ULL << 63, U64_MAX };
	size_t i = (const char *)test->param_value - uarg_reserved_rows;
	const struct uarg_type *t;
	u64 buf[32];
	size_t idx, v;

	t = uarg_reserved(i, &idx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_LE(test, t->size, sizeof(buf));
	for (v = 0; v < ARRAY_SIZE(values); v++) {
		uarg_fill(buf, t, v == ARRAY_SIZE(values) - 1, 0);
		memcpy((void *)buf + t->reserved_off + idx * sizeof(u64),
		       &values[v], sizeof(u64));
		KUNIT_EXPECT_EQ_MSG(test, t->check(buf), -EINVAL,
				    "reserved[%zu] = %#llx", idx,
				    (unsigned long long)values[v]);
	}
}

static void uarg_type_desc(const struct uarg_type *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(uarg_type, uarg_types, uarg_type_desc);

/*
 * The ABI: the ioctl number encodes the size, so new fields take reserved
 * space and the size never changes.  size comes first, reserved last.
 */
static void uarg_layout_test(struct kunit *test)
{
	const struct uarg_type *t = test->param_value;

	KUNIT_EXPECT_EQ(test, t->size, t->abi_size);
	KUNIT_EXPECT_EQ(test, (size_t)_IOC_SIZE(t->ioctl), t->size);
	KUNIT_EXPECT_EQ(test, _IOC_TYPE(t->ioctl), OVC_IOC_MAGIC);
	KUNIT_EXPECT_EQ(test, t->reserved_off + t->nr_reserved * sizeof(u64),
			t->size);
	KUNIT_EXPECT_GT(test, t->nr_reserved, (size_t)0);
}

/*
 * The swap file's fd: OVC_SWAP_FILE_NONE or a descriptor, no other
 * negative number; reserved32 must be zero.
 */
static void uarg_swap_file_test(struct kunit *test)
{
	static const struct { s32 fd; u32 reserved32; int ret; } rows[] = {
		{ 0, 0, 0 }, { 3, 0, 0 }, { S32_MAX, 0, 0 },
		{ OVC_SWAP_FILE_NONE, 0, 0 }, { -2, 0, -EINVAL },
		{ S32_MIN, 0, -EINVAL }, { 3, 1, -EINVAL },
		{ 3, 0x80000000, -EINVAL },
	};
	struct ovc_swap_file f;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		f = (struct ovc_swap_file){ .size = sizeof(f), .fd = rows[i].fd,
					    .reserved32 = rows[i].reserved32 };
		KUNIT_EXPECT_EQ_MSG(test, ovc_uarg_swap_file(&f), rows[i].ret,
				    "fd %d reserved32 %#x", rows[i].fd,
				    rows[i].reserved32);
	}
}

static struct kunit_case uarg_test_cases[] = {
	KUNIT_CASE(uarg_swap_file_test),
	KUNIT_CASE_PARAM(fallocate_mode_test, fl_gen_params),
	KUNIT_CASE_PARAM(uarg_check_test, uarg_gen_params),
	KUNIT_CASE_PARAM(uarg_reserved_test, uarg_reserved_gen_params),
	KUNIT_CASE_PARAM(uarg_layout_test, uarg_type_gen_params),
	{}
};

static struct kunit_suite uarg_test_suite = {
	.name = "ovc_uarg",
	.suite_init = ovc_kunit_suite_init,
	.exit = ovc_kunit_exit,
	.test_cases = uarg_test_cases,
};

kunit_test_suites(&uarg_test_suite);

MODULE_LICENSE("GPL");

#endif /* _OVC_UARG_KUNIT_H */
