// SPDX-License-Identifier: GPL-2.0
/*
 * Freeing a VM's pages: fallocate(PUNCH_HOLE | KEEP_SIZE) (what QEMU's
 * balloon and free page reporting use), other fallocate modes refused,
 * truncation that shrinks the file, and SIGBUS past the end of the file.
 * Page counts are checked exactly, per VM and globally.
 */
#define _GNU_SOURCE
#include "ovc_test_util.h"

#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define PAGES		16UL
#define LEN		(PAGES * OVC_PG)
#define SEED		5

/* A 16-page file, mapped and filled with a pattern: 16 pages resident. */
FIXTURE(punch) {
	struct ovc_vmfile f;
	/* what the file should hold */
	char expect[LEN];
};

FIXTURE_SETUP(punch)
{
	ovc_vmfile_setup(_metadata, &self->f);
	ovc_vmfile_map(_metadata, &self->f, LEN);
	ovc_fill(self->f.map, LEN, 0, SEED);
	ovc_fill(self->expect, LEN, 0, SEED);
	ASSERT_EQ((long long)PAGES, ovc_resident(&self->f));
}

FIXTURE_TEARDOWN(punch)
{
	ovc_vmfile_teardown(_metadata, &self->f);
}

/* Resident pages, per VM and globally, are @n. */
#define ASSERT_RESIDENT(n) do {						\
	ASSERT_EQ((long long)(n), ovc_resident(&self->f));		\
	ASSERT_EQ(self->f.cnt.pages0 + (long long)(n),			\
		  ovc_pages(&self->f.cnt));				\
} while (0)

/*
 * The whole file, through pread() and the mapping, is @expect.  Reading a
 * hole through the mapping may allocate a page: count before this.
 */
#define ASSERT_CONTENTS() do {						\
	static char __buf[LEN];						\
	size_t __i;							\
									\
	ASSERT_EQ((ssize_t)LEN, pread(self->f.fd, __buf, LEN, 0));	\
	for (__i = 0; __i < LEN; __i++) {				\
		ASSERT_EQ(self->expect[__i], __buf[__i])		\
			TH_LOG("pread: byte %zu (page %zu)", __i,	\
			       __i / OVC_PG);				\
		ASSERT_EQ(self->expect[__i], self->f.map[__i])		\
			TH_LOG("map: byte %zu (page %zu)", __i,		\
			       __i / OVC_PG);				\
	}								\
} while (0)

static void punch_expect(char *expect, off_t off, off_t len)
{
	if (off < (off_t)LEN)
		memset(expect + off, 0,
		       off + len > (off_t)LEN ? (off_t)LEN - off : len);
}

/*
 * Whole pages are freed at once and read back as zero; writing into the
 * hole allocates again, one page per page written.
 */
TEST_F(punch, frees_and_zeroes)
{
	struct stat st;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 4 * OVC_PG, 4 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 4);
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	ASSERT_EQ((off_t)LEN, st.st_size);
	punch_expect(self->expect, 4 * OVC_PG, 4 * OVC_PG);

	self->f.map[5 * OVC_PG] = 1;
	self->f.map[6 * OVC_PG + 17] = 2;
	self->expect[5 * OVC_PG] = 1;
	self->expect[6 * OVC_PG + 17] = 2;
	ASSERT_RESIDENT(PAGES - 2);
	ASSERT_CONTENTS();
}

/* Punching the whole file frees every page; the size stays. */
TEST_F(punch, whole_file)
{
	struct ovc_vm_info info;
	struct stat st;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 0, LEN));
	ASSERT_RESIDENT(0);
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &info));
	ASSERT_EQ(0ULL, info.resident_pages);
	ASSERT_EQ(PAGES, info.size_pages);
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	ASSERT_EQ((off_t)LEN, st.st_size);
	memset(self->expect, 0, LEN);
	ASSERT_CONTENTS();
}

/* A hole inside one page zeroes just those bytes and frees nothing. */
TEST_F(punch, partial_page)
{
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, OVC_PG + 100, 200));
	ASSERT_RESIDENT(PAGES);
	punch_expect(self->expect, OVC_PG + 100, 200);
	ASSERT_CONTENTS();
	ASSERT_RESIDENT(PAGES);

	/* The first and last bytes of a page. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 2 * OVC_PG, 1));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 3 * OVC_PG - 1, 1));
	punch_expect(self->expect, 2 * OVC_PG, 1);
	punch_expect(self->expect, 3 * OVC_PG - 1, 1);
	ASSERT_RESIDENT(PAGES);
	ASSERT_CONTENTS();
}

/*
 * An unaligned hole: the partial pages at both edges are zeroed in place,
 * the whole page between them is freed.
 */
TEST_F(punch, unaligned_span)
{
	const off_t off = 2 * OVC_PG + 4000, len = OVC_PG + 200;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, off, len));
	ASSERT_RESIDENT(PAGES - 1);
	/* Across one page boundary without a whole page: nothing freed. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 8 * OVC_PG - 10, 20));
	ASSERT_RESIDENT(PAGES - 1);

	punch_expect(self->expect, off, len);
	punch_expect(self->expect, 8 * OVC_PG - 10, 20);
	ASSERT_CONTENTS();
}

/* A hole reaching past the end frees up to the end; the size stays. */
TEST_F(punch, beyond_eof)
{
	struct stat st;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 12 * OVC_PG, 100 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 4);
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 2 * LEN, OVC_PG));
	ASSERT_RESIDENT(PAGES - 4);
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	ASSERT_EQ((off_t)LEN, st.st_size);
	punch_expect(self->expect, 12 * OVC_PG, 4 * OVC_PG);
	ASSERT_CONTENTS();
}

/* Pages written with pwrite() and never mapped are freed the same way. */
TEST_F(punch, unmapped_pages)
{
	char buf[OVC_PG];
	int i;

	ASSERT_EQ(0, munmap(self->f.map, LEN));
	self->f.map = MAP_FAILED;
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 0, LEN));
	ASSERT_RESIDENT(0);
	for (i = 0; i < 4; i++) {
		ovc_fill(buf, OVC_PG, i * OVC_PG, 9);
		ASSERT_EQ((ssize_t)OVC_PG, pwrite(self->f.fd, buf, OVC_PG,
						  i * OVC_PG));
	}
	ASSERT_RESIDENT(4);
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, OVC_PG, 2 * OVC_PG));
	ASSERT_RESIDENT(2);
	ASSERT_EQ((ssize_t)OVC_PG, pread(self->f.fd, buf, OVC_PG, OVC_PG));
	ASSERT_EQ(-1, ovc_check_zero(buf, OVC_PG));
	ASSERT_EQ((ssize_t)OVC_PG, pread(self->f.fd, buf, OVC_PG, 3 * OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, 3 * OVC_PG, 9));
}

/* Bad ranges are refused by the VFS before the module sees them. */
TEST_F(punch, bad_range)
{
	ASSERT_EQ(-1, fallocate(self->f.fd, PUNCH, -OVC_PG, OVC_PG));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, fallocate(self->f.fd, PUNCH, 0, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_RESIDENT(PAGES);
	ASSERT_CONTENTS();
}

/*
 * The largest offsets a file can have (MAX_LFS_FILESIZE, LLONG_MAX on
 * 64-bit): punching there works and frees nothing; beyond, the VFS says
 * EFBIG.
 */
TEST_F(punch, edge_offsets)
{
	const off_t max = LLONG_MAX;
	struct stat st;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, max - OVC_PG, OVC_PG));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, max - 10, 10));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, max - OVC_PG - 10, 20));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, OVC_PG, max - OVC_PG));
	ASSERT_RESIDENT(1);
	ASSERT_EQ(-1, fallocate(self->f.fd, PUNCH, max - 10, 11));
	ASSERT_EQ(EFBIG, errno);
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	ASSERT_EQ((off_t)LEN, st.st_size);

	/* A file as large as can be: sparse, and truncated back. */
	ASSERT_EQ(0, ftruncate(self->f.fd, max));
	ASSERT_EQ((long long)(((unsigned long long)max >> 12) + 1),
		  ovc_sysfs_value("vms/%llu/size_pages", self->f.id));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, max - 3 * OVC_PG, OVC_PG));
	ASSERT_RESIDENT(1);
	ASSERT_EQ(0, ftruncate(self->f.fd, LEN));
	ASSERT_RESIDENT(1);
	memset(self->expect + OVC_PG, 0, LEN - OVC_PG);
	ASSERT_CONTENTS();
}

/* Truncating frees the pages past the new end, exactly. */
TEST_F(punch, shrink_frees)
{
	ASSERT_EQ(0, ftruncate(self->f.fd, 8 * OVC_PG));
	ASSERT_RESIDENT(8);
	ASSERT_EQ(8LL, ovc_sysfs_value("vms/%llu/size_pages", self->f.id));

	/* Past the end: SIGBUS, for reads and writes. */
	EXPECT_TRUE(ovc_access_sigbus(self->f.map + 8 * OVC_PG, false));
	EXPECT_TRUE(ovc_access_sigbus(self->f.map + 10 * OVC_PG + 5, true));
	EXPECT_TRUE(ovc_access_sigbus(self->f.map + LEN - 1, false));
	ASSERT_RESIDENT(8);
	ASSERT_EQ(-1, ovc_check(self->f.map, 8 * OVC_PG, 0, SEED));

	/* Growing again shows zeroes where the freed pages were. */
	ASSERT_EQ(0, ftruncate(self->f.fd, LEN));
	ASSERT_RESIDENT(8);
	memset(self->expect + 8 * OVC_PG, 0, 8 * OVC_PG);
	ASSERT_CONTENTS();

	/* To zero: nothing left. */
	ASSERT_EQ(0, ftruncate(self->f.fd, 0));
	ASSERT_RESIDENT(0);
	EXPECT_TRUE(ovc_access_sigbus(self->f.map, false));
}

/*
 * An unaligned new size keeps the last partial page; its bytes past the
 * end read as zero and stay zero when the file grows again (POSIX).
 */
TEST_F(punch, shrink_unaligned)
{
	const off_t size = 8 * OVC_PG + 100;

	ASSERT_EQ(0, ftruncate(self->f.fd, size));
	ASSERT_RESIDENT(9);
	ASSERT_EQ(9LL, ovc_sysfs_value("vms/%llu/size_pages", self->f.id));
	/* Inside the last page but past the end: mapped, reads zero. */
	ASSERT_FALSE(ovc_access_sigbus(self->f.map + size + 50, false));
	ASSERT_EQ(0, self->f.map[size + 50]);
	ASSERT_EQ(-1, ovc_check(self->f.map, size, 0, SEED));
	EXPECT_TRUE(ovc_access_sigbus(self->f.map + 9 * OVC_PG, false));

	ASSERT_EQ(0, ftruncate(self->f.fd, LEN));
	memset(self->expect + size, 0, LEN - size);
	ASSERT_CONTENTS();
}

/* A mapping longer than the file: SIGBUS past the end, fine before it. */
TEST_F(punch, fault_beyond_eof)
{
	char *map;

	map = mmap(NULL, 2 * LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->f.fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(-1, ovc_check(map, LEN, 0, SEED));
	EXPECT_TRUE(ovc_access_sigbus(map + LEN, false));
	EXPECT_TRUE(ovc_access_sigbus(map + LEN + 3 * OVC_PG, true));
	EXPECT_TRUE(ovc_access_sigbus(map + 2 * LEN - 1, true));
	/* Nothing was allocated for the faults. */
	ASSERT_RESIDENT(PAGES);
	munmap(map, 2 * LEN);
}

/* Every fallocate() mode but PUNCH_HOLE | KEEP_SIZE is refused. */
FIXTURE(falloc) {
	struct ovc_vmfile f;
};

FIXTURE_VARIANT(falloc) {
	int mode;
	int err;
};

FIXTURE_VARIANT_ADD(falloc, allocate) { .mode = 0, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, keep_size) {
	.mode = FALLOC_FL_KEEP_SIZE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, punch_without_keep_size) {
	.mode = FALLOC_FL_PUNCH_HOLE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, zero_range) {
	.mode = FALLOC_FL_ZERO_RANGE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, zero_range_keep_size) {
	.mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, collapse_range) {
	.mode = FALLOC_FL_COLLAPSE_RANGE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, insert_range) {
	.mode = FALLOC_FL_INSERT_RANGE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, unshare_range) {
	.mode = FALLOC_FL_UNSHARE_RANGE, .err = EOPNOTSUPP };
FIXTURE_VARIANT_ADD(falloc, unshare_keep_size) {
	.mode = FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE,
	.err = EOPNOTSUPP };

FIXTURE_SETUP(falloc)
{
	ovc_vmfile_setup(_metadata, &self->f);
	ovc_vmfile_map(_metadata, &self->f, LEN);
	ovc_fill(self->f.map, LEN, 0, SEED);
}

FIXTURE_TEARDOWN(falloc)
{
	ovc_vmfile_teardown(_metadata, &self->f);
}

TEST_F(falloc, refused)
{
	struct stat st;

	ASSERT_EQ(-1, fallocate(self->f.fd, variant->mode, 0, 4 * OVC_PG));
	ASSERT_EQ(variant->err, errno);
	/* Past the end too (a growing allocation). */
	ASSERT_EQ(-1, fallocate(self->f.fd, variant->mode, LEN, 4 * OVC_PG));
	ASSERT_EQ(variant->err, errno);

	/* Nothing changed. */
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	ASSERT_EQ((off_t)LEN, st.st_size);
	ASSERT_EQ((long long)PAGES, ovc_resident(&self->f));
	ASSERT_EQ(-1, ovc_check(self->f.map, LEN, 0, SEED));
}

TEST_HARNESS_MAIN
