// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim without the guest (issue 10): vms/<id>/reclaim stores a VM's
 * private pages into the compressed cache (slot state "out"); a read
 * fault, a write fault, read() and write() bring them back with their
 * bytes; punch and truncate free the stored copies; a page that does not
 * compress, or a full cache (compress_max_percent=0), is an error the
 * writer sees (EAGAIN), and the page stays resident and intact; the
 * rebalancer's hard state stores an over-target VM down to its target.
 * Every test ends with the global compressed_pages and compressed_bytes
 * back where they were.
 */
#define _GNU_SOURCE
#include "ovc_test_util.h"

#define PAGES	256UL

FIXTURE(reclaim) {
	struct ovc_vmfile f;
	long long compressed0, bytes0;
	char max_percent[32], shrink[32];
};

FIXTURE_SETUP(reclaim)
{
	ovc_vmfile_setup(_metadata, &self->f);
	ovc_sysfs_get_str("compress_max_percent", self->max_percent,
		sizeof(self->max_percent));
	ovc_sysfs_get_str("shrink", self->shrink, sizeof(self->shrink));
	if (!self->max_percent[0] || !self->shrink[0])
		OVC_SETUP_FAIL("%s/compress_max_percent or shrink absent",
			       OVC_SYSFS_ROOT);
	/* No host-pressure stores in the middle of a count. */
	ASSERT_EQ(0, ovc_sysfs_write("shrink", "0"));
	self->compressed0 = ovc_sysfs_value("compressed_pages");
	self->bytes0 = ovc_sysfs_value("compressed_bytes");
	ASSERT_LE(0, self->compressed0);
	ovc_vmfile_map(_metadata, &self->f, PAGES * OVC_PG);
}

FIXTURE_TEARDOWN(reclaim)
{
	ovc_vmfile_teardown(_metadata, &self->f);
	EXPECT_EQ(self->compressed0, ovc_sysfs_value("compressed_pages"))
		TH_LOG("compressed_pages not back after the test");
	EXPECT_EQ(self->bytes0, ovc_sysfs_value("compressed_bytes"))
		TH_LOG("compressed_bytes not back after the test");
	EXPECT_EQ(0, ovc_sysfs_write("compress_max_percent",
				     self->max_percent));
	EXPECT_EQ(0, ovc_sysfs_write("shrink", self->shrink));
}

/*
 * Every page stored, the VM's counters say so; read faults bring each
 * back with its bytes (a read fault of an out slot must not map zeroes).
 */
TEST_F(reclaim, store_and_read_back)
{
	struct ovc_vmfile *f = &self->f;
	long long outs, ins, bytes;

	ovc_fill_compressible(f->map, PAGES, 0, 3);
	ASSERT_EQ((long long)PAGES, ovc_resident(f));
	outs = ovc_sysfs_value("swap_outs");
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	EXPECT_EQ(0, ovc_resident(f));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_outs"));
	EXPECT_LE(outs + (long long)PAGES, ovc_sysfs_value("swap_outs"));
	bytes = ovc_vm_stat(f, "compressed_bytes");
	EXPECT_LT(0, bytes);
	EXPECT_GE((long long)(PAGES * OVC_PG / 2), bytes)
		TH_LOG("%lld compressed bytes for %lu pages", bytes, PAGES);
	/* Nothing left to store: EAGAIN, as memory.reclaim. */
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 1));

	ins = ovc_sysfs_value("swap_ins");
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 3));
	EXPECT_EQ((long long)PAGES, ovc_resident(f));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_bytes"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_ins"));
	EXPECT_LE(ins + (long long)PAGES, ovc_sysfs_value("swap_ins"));
}

/* Stored pages written through the mapping, by write(), read by read(). */
TEST_F(reclaim, write_and_syscalls)
{
	struct ovc_vmfile *f = &self->f;
	char buf[OVC_PG];
	size_t i;

	ovc_fill_compressible(f->map, PAGES, 0, 5);
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	ASSERT_EQ(0, ovc_resident(f));

	/* read() of a stored page: its bytes */
	ASSERT_EQ((ssize_t)OVC_PG, pread(f->fd, buf, OVC_PG, 7 * OVC_PG));
	EXPECT_EQ(-1, ovc_check_compressible(buf, 1, 7, 5));
	/* a write fault on a stored page keeps the rest of its bytes */
	f->map[9 * OVC_PG + OVC_PG / 2] = 'w';
	/* write() into a stored page, partly */
	ASSERT_EQ(1, pwrite(f->fd, "p", 1, 11 * OVC_PG + OVC_PG - 1));
	/* a punch of part of a stored page zeroes that part only */
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, 13 * OVC_PG + OVC_PG / 2,
			       16));
	for (i = 0; i < PAGES; i++) {
		char *pg = f->map + i * OVC_PG;

		if (i == 9) {
			EXPECT_EQ('w', pg[OVC_PG / 2]);
			pg[OVC_PG / 2] = (char)(((i + 5) & 0xff) | 1);
		} else if (i == 11) {
			EXPECT_EQ('p', pg[OVC_PG - 1]);
			pg[OVC_PG - 1] = (char)(((i + 5) & 0xff) | 1);
		} else if (i == 13) {
			EXPECT_EQ(-1, ovc_check_zero(pg + OVC_PG / 2, 16));
			memset(pg + OVC_PG / 2, ((i + 5) & 0xff) | 1, 16);
		}
		EXPECT_EQ(-1, ovc_check_compressible(pg, 1, i, 5))
			TH_LOG("page %zu", i);
	}
}

/*
 * Punching or truncating stored pages frees their copies; a punched
 * page reads as zero, ballooned.
 */
TEST_F(reclaim, punch_and_truncate_free)
{
	struct ovc_vmfile *f = &self->f;
	long long balloon;

	ovc_fill_compressible(f->map, PAGES, 0, 7);
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	balloon = ovc_sysfs_value("vms/%llu/balloon_pages", f->id);
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, 0, 64 * OVC_PG));
	EXPECT_EQ((long long)PAGES - 64, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(balloon + 64,
		  ovc_sysfs_value("vms/%llu/balloon_pages", f->id));
	EXPECT_EQ(-1, ovc_check_zero(f->map, 64 * OVC_PG));
	EXPECT_EQ(0, ovc_resident(f));	/* read as zero: no page */
	EXPECT_EQ(-1, ovc_check_compressible(f->map + 64 * OVC_PG, 1, 64, 7));

	ASSERT_EQ(0, ftruncate(f->fd, 128 * OVC_PG));
	EXPECT_EQ(128 - 65, ovc_vm_stat(f, "compressed_pages"));
	/* the rest goes with the file (the teardown checks the counters) */
}

/*
 * Pages that do not compress to half a page are not stored: EAGAIN,
 * compress_rejects rises, the pages stay resident with their bytes.
 */
TEST_F(reclaim, incompressible_stays)
{
	struct ovc_vmfile *f = &self->f;
	long long rejects = ovc_sysfs_value("compress_rejects");

	ovc_fill(f->map, PAGES * OVC_PG, 0, 9);
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 16));
	EXPECT_EQ((long long)PAGES, ovc_resident(f));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_LT(rejects, ovc_sysfs_value("compress_rejects"));
	EXPECT_EQ(-1, ovc_check(f->map, PAGES * OVC_PG, 0, 9));
}

/*
 * A full cache (compress_max_percent=0) is an error the writer sees, the
 * VM's and the global store_errors count it, nothing is lost.
 */
TEST_F(reclaim, store_full)
{
	struct ovc_vmfile *f = &self->f;
	long long errors = ovc_sysfs_value("store_errors");

	ovc_fill_compressible(f->map, PAGES, 0, 11);
	ASSERT_EQ(0, ovc_vm_reclaim(f, 8));
	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 8));
	EXPECT_EQ((long long)PAGES - 8, ovc_resident(f));
	EXPECT_EQ(8, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_LT(0, ovc_vm_stat(f, "store_errors"));
	EXPECT_LT(errors, ovc_sysfs_value("store_errors"));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 11));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
}

/* Each of @bad written to @rel is refused with @err (0: any error). */
static void refuse(struct __test_metadata *_metadata, const char *rel,
		   const char *const *bad, size_t n, int err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = ovc_sysfs_write(rel, bad[i]);

		if (err) {
			EXPECT_EQ(err, got) TH_LOG("%s=%s", rel, bad[i]);
		} else {
			EXPECT_NE(0, got) TH_LOG("%s=%s", rel, bad[i]);
		}
	}
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Bad input is refused and changes nothing. */
TEST_F(reclaim, bad_input)
{
	struct ovc_vmfile *f = &self->f;
	char rel[64], v[32];
	static const char *const bad_pages[] = { "abc", "-1", " ", "1x",
		"99999999999999999999999" };
	static const char *const bad_pct[] = { "101", "-1", "x", " " };
	static const char *const bad_shrink[] = { "2", "-1", "yes", " " };

	ovc_fill_compressible(f->map, PAGES, 0, 13);
	snprintf(rel, sizeof(rel), "vms/%llu/reclaim", f->id);
	refuse(_metadata, rel, bad_pages, NELEM(bad_pages), 0);
	EXPECT_EQ((long long)PAGES, ovc_resident(f));
	refuse(_metadata, "compress_max_percent", bad_pct, NELEM(bad_pct),
	       EINVAL);
	ovc_sysfs_get_str("compress_max_percent", v, sizeof(v));
	EXPECT_STREQ(self->max_percent, v);
	refuse(_metadata, "shrink", bad_shrink, NELEM(bad_shrink), EINVAL);
	ovc_sysfs_get_str("shrink", v, sizeof(v));
	EXPECT_STREQ("0", v);
	/* reclaim 0: nothing to do, done */
	EXPECT_EQ(0, ovc_vm_reclaim(f, 0));
	EXPECT_EQ((long long)PAGES, ovc_resident(f));
}

/*
 * Shared and zero slots are never stored: a VM whose pages are all on the
 * zero frame (read faults) has nothing to give.
 */
TEST_F(reclaim, zero_frame_not_stored)
{
	struct ovc_vmfile *f = &self->f;
	size_t i;

	for (i = 0; i < PAGES; i++)
		(void)((volatile char *)f->map)[i * OVC_PG];
	EXPECT_EQ(0, ovc_resident(f));
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 1));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "zero_pages"));
}

/*
 * A page a process has pinned with a pipe (vmsplice keeps a reference):
 * never stored while the reference is held.
 */
TEST_F(reclaim, referenced_page_not_stored)
{
	struct ovc_vmfile *f = &self->f;
	struct iovec iov;
	int p[2];

	ovc_fill_compressible(f->map, 1, 0, 15);
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = f->map;
	iov.iov_len = OVC_PG;
	ASSERT_EQ((ssize_t)OVC_PG, vmsplice(p[1], &iov, 1, 0));
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 1));
	EXPECT_EQ(1, ovc_resident(f));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, ovc_vm_reclaim(f, 1));
	EXPECT_EQ(0, ovc_resident(f));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, 1, 0, 15));
}

/*
 * The low state with policy_run=1: a host budget of 64 pages for a VM
 * holding 256 makes its target at most 64, and the rebalancer stores it
 * down to the target without the guest; its bytes come back.
 */
TEST_F(reclaim, policy_stores_to_target)
{
	static const char *const knobs[] = { "balance_period_ms",
		"policy_run" };
	struct ovc_vmfile *f = &self->f;
	char saved[2][32];
	long long target = -1, resident = -1;
	int i;

	for (i = 0; i < 2; i++) {
		ovc_sysfs_get_str(knobs[i], saved[i], sizeof(saved[i]));
		ASSERT_NE(0, saved[i][0]) TH_LOG("%s absent", knobs[i]);
	}
	ovc_fill_compressible(f->map, PAGES, 0, 17);
	ASSERT_EQ(0, ovc_sysfs_write("balance_period_ms", "100"));
	ASSERT_EQ(0, ovc_sysfs_write("host_budget_pages", "64"));
	ASSERT_EQ(0, ovc_sysfs_write("policy_run", "1"));
	for (i = 0; i < 100; i++) {
		usleep(100000);
		target = ovc_vm_stat(f, "target_pages");
		resident = ovc_resident(f);
		if (target <= 64 && resident <= target)
			break;
	}
	EXPECT_EQ(0, ovc_sysfs_write("policy_run", saved[1]));
	EXPECT_EQ(0, ovc_sysfs_write("host_budget_pages", "0"));
	EXPECT_EQ(0, ovc_sysfs_write("balance_period_ms", saved[0]));
	EXPECT_GE(64, target);
	EXPECT_GE(target, resident) TH_LOG("resident %lld, target %lld",
					   resident, target);
	EXPECT_EQ((long long)PAGES - resident, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 17));
}

TEST_HARNESS_MAIN
