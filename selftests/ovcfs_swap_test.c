// SPDX-License-Identifier: GPL-2.0
/*
 * The swap store of reclaim without the guest (issue 10): a file handed
 * to the module with OVC_IOC_SET_SWAP_FILE (checked: size, flags, fd,
 * access mode, file type, permissions, one store at a time, no detach
 * while pages are in it); pages that do not compress, or that meet a
 * full compressed cache, go there (slot state "swapped"), and so do the
 * oldest compressed pages when the cache is full (the writeback); faults,
 * read(), write(), punch and truncate find them; a full store and a
 * failing one (a sparse file on a tmpfs smaller than it) are errors the
 * writer sees (EAGAIN, store_errors), and every page stays intact.  Every test ends
 * with swapped_pages, compressed_pages back where they were and the store
 * detached.  The store lives on a tmpfs of the test's own.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>

#include "ovc_test_util.h"

#define PAGES	256UL

FIXTURE(swap) {
	struct ovc_vmfile f;
	char dir[64], path[128];
	int root;			/* the ovcfs mount's root directory */
	long long compressed0;
	char max_percent[32], shrink[32], readahead[32];
};

FIXTURE_SETUP(swap)
{
	ovc_vmfile_setup(_metadata, &self->f);
	self->root = open(ovc_mnt(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->root) TH_LOG("open %s: %m", ovc_mnt());
	ovc_sysfs_get_str("compress_max_percent", self->max_percent,
			  sizeof(self->max_percent));
	ovc_sysfs_get_str("shrink", self->shrink, sizeof(self->shrink));
	ovc_sysfs_get_str("swap_readahead", self->readahead,
			  sizeof(self->readahead));
	if (!self->max_percent[0] || !self->readahead[0] ||
	    ovc_sysfs_value("swap_slots") < 0)
		OVC_SETUP_FAIL("%s/compress_max_percent, swap_readahead or swap_slots absent",
			       OVC_SYSFS_ROOT);
	ASSERT_EQ(0, ovc_sysfs_value("swap_slots"))
		TH_LOG("a swap store is attached already");
	ASSERT_EQ(0, ovc_sysfs_write("shrink", "0"));
	/* One page a swap-in, so the counts below are exact (but readahead). */
	ASSERT_EQ(0, ovc_sysfs_write("swap_readahead", "0"));
	self->compressed0 = ovc_sysfs_value("compressed_pages");
	strcpy(self->dir, "/tmp/ovc-swap-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir)) TH_LOG("mkdtemp: %m");
	ASSERT_EQ(0, mount("tmpfs", self->dir, "tmpfs", 0, "size=8m,mode=0700"))
		TH_LOG("mount tmpfs on %s: %m", self->dir);
	snprintf(self->path, sizeof(self->path), "%s/swap", self->dir);
	ovc_vmfile_map(_metadata, &self->f, PAGES * OVC_PG);
}

FIXTURE_TEARDOWN(swap)
{
	ovc_vmfile_teardown(_metadata, &self->f);
	EXPECT_EQ(0, ovc_sysfs_value("swapped_pages"))
		TH_LOG("swapped_pages not back after the test");
	EXPECT_EQ(self->compressed0, ovc_sysfs_value("compressed_pages"));
	/* No page left in it: the store detaches (twice is fine). */
	EXPECT_EQ(0, ovc_swap_set(self->root, OVC_SWAP_FILE_NONE, NULL));
	EXPECT_EQ(0, ovc_swap_set(self->root, OVC_SWAP_FILE_NONE, NULL));
	EXPECT_EQ(0, ovc_sysfs_value("swap_slots"));
	close(self->root);
	EXPECT_EQ(0, umount(self->dir)) TH_LOG("umount %s: %m", self->dir);
	rmdir(self->dir);
	EXPECT_EQ(0, ovc_sysfs_write("compress_max_percent",
				     self->max_percent));
	EXPECT_EQ(0, ovc_sysfs_write("shrink", self->shrink));
	EXPECT_EQ(0, ovc_sysfs_write("swap_readahead", self->readahead));
}

/* Every bad argument and unfit file is refused, and nothing attaches. */
TEST_F(swap, attach_checks)
{
	struct ovc_swap_file s;
	char fifo[160], got[PATH_MAX];
	unsigned long long slots = 1;
	int fd;

	/* The argument: size, flags, reserved fields, fd. */
	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0600, O_RDWR);
	s = (struct ovc_swap_file){ .size = sizeof(s) - 8, .fd = fd };
	EXPECT_EQ(-1, ioctl(self->root, OVC_IOC_SET_SWAP_FILE, &s));
	EXPECT_EQ(EINVAL, errno);
	s = (struct ovc_swap_file){ .size = sizeof(s), .fd = fd, .flags = 1 };
	EXPECT_EQ(-1, ioctl(self->root, OVC_IOC_SET_SWAP_FILE, &s));
	EXPECT_EQ(EINVAL, errno);
	s = (struct ovc_swap_file){ .size = sizeof(s), .fd = fd,
				    .reserved32 = 1 };
	EXPECT_EQ(-1, ioctl(self->root, OVC_IOC_SET_SWAP_FILE, &s));
	EXPECT_EQ(EINVAL, errno);
	s = (struct ovc_swap_file){ .size = sizeof(s), .fd = fd,
				    .reserved = { 0, 1 } };
	EXPECT_EQ(-1, ioctl(self->root, OVC_IOC_SET_SWAP_FILE, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(EINVAL, ovc_swap_set(self->root, -2, NULL));
	EXPECT_EQ(EBADF, ovc_swap_set(self->root, 1000, NULL));
	close(fd);

	/* The file: opened read-write, a regular file, 0600, a page. */
	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0600, O_RDONLY);
	EXPECT_EQ(EBADF, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0600, O_WRONLY);
	EXPECT_EQ(EBADF, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0644, O_RDWR);
	EXPECT_EQ(EACCES, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	fd = ovc_swap_mkfile(_metadata, self->path, 0, 0600, O_RDWR);
	EXPECT_EQ(EINVAL, ovc_swap_set(self->root, fd, NULL));
	ASSERT_EQ(0, ftruncate(fd, OVC_PG - 1));
	EXPECT_EQ(EINVAL, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	snprintf(fifo, sizeof(fifo), "%s/fifo", self->dir);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	/* A VM file: its writes would come back into ovc. */
	EXPECT_EQ(EINVAL, ovc_swap_set(self->root, self->f.fd, NULL));
	EXPECT_EQ(0, ovc_sysfs_value("swap_slots"));
	ovc_sysfs_get_str("swap_file", got, sizeof(got));
	EXPECT_STREQ("", got);

	/* A good one, through a VM file this time; then one at a time. */
	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0600, O_RDWR);
	EXPECT_EQ(0, ovc_swap_set(self->f.fd, fd, &slots));
	EXPECT_EQ(64ULL, slots);
	EXPECT_EQ(EBUSY, ovc_swap_set(self->root, fd, NULL));
	close(fd);
	EXPECT_EQ(64, ovc_sysfs_value("swap_slots"));
	ovc_sysfs_get_str("swap_file", got, sizeof(got));
	EXPECT_STREQ(self->path, got);
	EXPECT_EQ(0, ovc_swap_set(self->root, OVC_SWAP_FILE_NONE, &slots));
	EXPECT_EQ(0ULL, slots);
	ovc_sysfs_get_str("swap_file", got, sizeof(got));
	EXPECT_STREQ("", got);
}

/*
 * Pages that do not compress go to the swap store, and the store cannot
 * be detached while they are there; faults bring each back intact.
 */
TEST_F(swap, incompressible_to_swap)
{
	struct ovc_vmfile *f = &self->f;
	long long ins, ra = ovc_sysfs_value("swap_ins_readahead");

	ASSERT_LE(0, ra) TH_LOG("%s/swap_ins_readahead absent",
				OVC_SYSFS_ROOT);
	ovc_swap_attach(_metadata, self->root, self->path, 1024);
	ovc_fill(f->map, PAGES * OVC_PG, 0, 21);
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	EXPECT_EQ(0, ovc_resident(f));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES, ovc_sysfs_value("swapped_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_outs"));
	EXPECT_EQ(EBUSY, ovc_swap_set(self->root, OVC_SWAP_FILE_NONE, NULL));
	EXPECT_EQ(1024, ovc_sysfs_value("swap_slots"));

	ins = ovc_sysfs_value("swap_ins");
	EXPECT_EQ(-1, ovc_check(f->map, PAGES * OVC_PG, 0, 21));
	EXPECT_EQ((long long)PAGES, ovc_resident(f));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ(0, ovc_sysfs_value("swapped_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_ins"));
	EXPECT_LE(ins + (long long)PAGES, ovc_sysfs_value("swap_ins"));
	EXPECT_EQ(ra, ovc_sysfs_value("swap_ins_readahead"))
		TH_LOG("swap_readahead is 0: one page a swap-in");
	/* Swapped out and in again: the freed slots are reused. */
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	EXPECT_EQ((long long)PAGES, ovc_sysfs_value("swapped_pages"));
	EXPECT_EQ(-1, ovc_check(f->map, PAGES * OVC_PG, 0, 21));
}

/*
 * Wait (30 s at most: the debug kernel is slow) until global counter
 * @name reaches @want.  Return: its value then.
 */
static long long wait_counter(const char *name, long long want)
{
	long long v = ovc_sysfs_value(name);
	int i;

	for (i = 0; i < 3000 && v < want; i++) {
		usleep(10000);
		v = ovc_sysfs_value(name);
	}
	return v;
}

/*
 * A full compressed cache sends pages that compress well to the swap
 * store, and the writeback moves the oldest compressed ones on to it
 * (here all of them: the bound is 0), each counted once in swap_outs.
 * Every page comes back intact.
 */
TEST_F(swap, cache_full_to_swap)
{
	struct ovc_vmfile *f = &self->f;
	long long wb = ovc_sysfs_value("compressed_written_back");

	ASSERT_LE(0, wb) TH_LOG("%s/compressed_written_back absent",
				OVC_SYSFS_ROOT);
	ovc_swap_attach(_metadata, self->root, self->path, 1024);
	ovc_fill_compressible(f->map, PAGES, 0, 23);
	ASSERT_EQ(0, ovc_vm_reclaim(f, 16));
	EXPECT_EQ(16, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(wb, ovc_sysfs_value("compressed_written_back"));
	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES - 16));
	EXPECT_EQ(0, ovc_resident(f));
	EXPECT_EQ(wb + 16, wait_counter("compressed_written_back", wb + 16));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_bytes"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_outs"));
	EXPECT_EQ(0, ovc_vm_stat(f, "store_errors"));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 23));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES, ovc_vm_stat(f, "swap_ins"));
}

/*
 * The writeback stops when the swap store is full: what it could not
 * move stays compressed, nothing is lost, and the store ends full.
 */
TEST_F(swap, writeback_store_full)
{
	struct ovc_vmfile *f = &self->f;
	long long wb = ovc_sysfs_value("compressed_written_back"), moved;
	int err;

	ovc_swap_attach(_metadata, self->root, self->path, 8);
	ovc_fill_compressible(f->map, PAGES, 0, 31);
	ASSERT_EQ(0, ovc_vm_reclaim(f, 32));
	ASSERT_EQ(32, ovc_vm_stat(f, "compressed_pages"));
	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	/* Kicks the writeback; it and this page race for the 8 slots. */
	err = ovc_vm_reclaim(f, 1);
	EXPECT_TRUE(!err || err == EAGAIN) TH_LOG("reclaim: %d", err);
	EXPECT_EQ(8, wait_counter("swapped_pages", 8));
	usleep(100000);		/* it would go on if it did not stop */
	moved = ovc_sysfs_value("compressed_written_back") - wb;
	EXPECT_LE(7, moved);
	EXPECT_GE(8, moved);
	EXPECT_EQ(32 - moved, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(8, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES - 32 - (8 - moved), ovc_resident(f));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 31));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
}

/*
 * A failing store under the writeback (a sparse 1 MiB file on a 64 KiB
 * tmpfs): store_errors rises, the pages it could not write stay
 * compressed, and every page comes back intact.
 */
TEST_F(swap, writeback_write_error)
{
	struct ovc_vmfile *f = &self->f;
	long long errors = ovc_sysfs_value("store_errors"), moved;
	long long wb = ovc_sysfs_value("compressed_written_back");
	int err;

	ASSERT_EQ(0, mount("tmpfs", self->dir, "tmpfs", MS_REMOUNT,
			   "size=64k,mode=0700"));
	ovc_swap_attach(_metadata, self->root, self->path, 256);
	ovc_fill_compressible(f->map, PAGES, 0, 33);
	ASSERT_EQ(0, ovc_vm_reclaim(f, 64));
	ASSERT_EQ(64, ovc_vm_stat(f, "compressed_pages"));
	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	err = ovc_vm_reclaim(f, 1);
	EXPECT_TRUE(!err || err == EAGAIN) TH_LOG("reclaim: %d", err);
	EXPECT_LT(errors, wait_counter("store_errors", errors + 1));
	usleep(100000);
	moved = ovc_sysfs_value("compressed_written_back") - wb;
	EXPECT_GE(16, moved) TH_LOG("%lld pages in a 64 KiB tmpfs", moved);
	EXPECT_LE(1, 64 - moved);
	EXPECT_EQ(64 - moved, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(-1, ovc_check_compressible(f->map, PAGES, 0, 33));
	EXPECT_EQ(0, ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
}

/*
 * read() and write() of swapped pages, a partial write keeping the rest
 * of its page; punch and truncate free the store's slots.
 */
TEST_F(swap, syscalls_punch_truncate)
{
	struct ovc_vmfile *f = &self->f;
	char buf[OVC_PG], want[OVC_PG];
	size_t i;

	ovc_swap_attach(_metadata, self->root, self->path, 1024);
	ovc_fill(f->map, PAGES * OVC_PG, 0, 25);
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	ASSERT_EQ((long long)PAGES, ovc_vm_stat(f, "swapped_pages"));

	/* read() of page 3, a partial write() into page 4 */
	ASSERT_EQ((ssize_t)OVC_PG, pread(f->fd, buf, OVC_PG, 3 * OVC_PG));
	EXPECT_EQ(-1, ovc_check(buf, OVC_PG, 3 * OVC_PG, 25));
	memset(want, 0x5a, 100);
	ASSERT_EQ(100, pwrite(f->fd, want, 100, 4 * OVC_PG + 1000));
	EXPECT_EQ((long long)PAGES - 2, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ(-1, ovc_check(f->map + 4 * OVC_PG, 1000, 4 * OVC_PG, 25));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0x5a, f->map[4 * OVC_PG + 1000 + i]);
	EXPECT_EQ(-1, ovc_check(f->map + 4 * OVC_PG + 1100, OVC_PG - 1100,
				4 * OVC_PG + 1100, 25));

	/* punch pages 16..47: their slots go back, they read as zero */
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, 16 * OVC_PG, 32 * OVC_PG));
	EXPECT_EQ((long long)PAGES - 2 - 32, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES - 2 - 32, ovc_sysfs_value("swapped_pages"));
	for (i = 16; i < 48; i++)
		ASSERT_EQ(0, f->map[i * OVC_PG + 7]);
	/* truncate to 128 pages: the tail's slots go back too */
	ASSERT_EQ(0, munmap(f->map, f->map_len));
	f->map = NULL;
	ASSERT_EQ(0, ftruncate(f->fd, 128 * OVC_PG));
	EXPECT_EQ(128 - 2 - 32, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ(128 - 2 - 32, ovc_sysfs_value("swapped_pages"));
	/* the rest goes with the file (the teardown checks the counters) */
}

/*
 * A swap-in reads up to swap_readahead of the following pages of the file
 * that sit in the store's next slots, in one I/O: one reclaim walk stored
 * the file in order, so faults in order do about one I/O per 8 pages
 * (knob 7).  A punched page (5) and one written again (9) end a run: the
 * readahead never brings back a copy the slot no longer records.  Every
 * page comes back intact, counted once in swap_ins.
 */
TEST_F(swap, readahead)
{
	struct ovc_vmfile *f = &self->f;
	const long long back = PAGES - 2;	/* all but pages 5 and 9 */
	char period[32];
	long long ra, ins;
	size_t i;

	/* No idle sample: reclaim would store sampled pages first. */
	ovc_sysfs_get_str("sample_period_ms", period, sizeof(period));
	ASSERT_EQ(0, ovc_sysfs_write("sample_period_ms", "0"));

	EXPECT_EQ(EINVAL, ovc_sysfs_write("swap_readahead", "16"));
	EXPECT_EQ(EINVAL, ovc_sysfs_write("swap_readahead", "-1"));
	EXPECT_EQ(EINVAL, ovc_sysfs_write("swap_readahead", "x"));
	EXPECT_EQ(0, ovc_sysfs_value("swap_readahead"));
	ASSERT_EQ(0, ovc_sysfs_write("swap_readahead", "15"));
	EXPECT_EQ(15, ovc_sysfs_value("swap_readahead"));

	ovc_swap_attach(_metadata, self->root, self->path, 1024);
	ovc_fill(f->map, PAGES * OVC_PG, 0, 35);
	ASSERT_EQ(0, ovc_vm_reclaim(f, PAGES));
	ASSERT_EQ((long long)PAGES, ovc_vm_stat(f, "swapped_pages"));
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, 5 * OVC_PG, OVC_PG));
	ASSERT_EQ(0, ovc_sysfs_write("swap_readahead", "0"));
	memset(f->map + 9 * OVC_PG, 0x6b, OVC_PG);	/* swapped in alone */
	ASSERT_EQ(back, ovc_vm_stat(f, "swapped_pages"));
	ASSERT_EQ(0, ovc_vm_reclaim(f, 1));	/* page 9 again, elsewhere */

	ASSERT_EQ(0, ovc_sysfs_write("swap_readahead", "7"));
	ra = ovc_sysfs_value("swap_ins_readahead");
	ins = ovc_vm_stat(f, "swap_ins");
	for (i = 0; i < PAGES; i++) {
		const char *p = f->map + i * OVC_PG;

		if (i == 5) {
			ASSERT_EQ(0, p[0]);
			ASSERT_EQ(0, memcmp(p, p + 1, OVC_PG - 1));
		} else if (i == 9) {
			ASSERT_EQ(0x6b, p[0]);
			ASSERT_EQ(0, memcmp(p, p + 1, OVC_PG - 1));
		} else {
			ASSERT_EQ(-1, ovc_check(p, OVC_PG, i * OVC_PG, 35))
				TH_LOG("page %zu", i);
		}
	}
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ(back + 1, ovc_vm_stat(f, "swap_ins") - ins);
	ra = ovc_sysfs_value("swap_ins_readahead") - ra;
	TH_LOG("%lld of %lld pages read ahead", ra, back + 1);
	/*
	 * 255 pages: at least 32 reads of 8 at most; runs break at 5, at 9
	 * (stored apart), where the walk started and where it wrapped: at
	 * most 32 + 5 reads.
	 */
	EXPECT_LE(back + 1 - 37, ra) TH_LOG("%lld pages read ahead", ra);
	EXPECT_GE(back + 1 - 32, ra) TH_LOG("%lld pages read ahead", ra);
	EXPECT_EQ(0, ovc_sysfs_write("sample_period_ms", period));
}

/*
 * A full store is an error the writer sees: EAGAIN, store_errors; the
 * pages it could not take stay resident, all of them intact.
 */
TEST_F(swap, store_full)
{
	struct ovc_vmfile *f = &self->f;
	long long errors = ovc_sysfs_value("store_errors");

	ovc_swap_attach(_metadata, self->root, self->path, 8);
	ovc_fill(f->map, PAGES * OVC_PG, 0, 27);
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, 32));
	EXPECT_EQ(8, ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ((long long)PAGES - 8, ovc_resident(f));
	EXPECT_LT(0, ovc_vm_stat(f, "store_errors"));
	EXPECT_LT(errors, ovc_sysfs_value("store_errors"));
	EXPECT_EQ(-1, ovc_check(f->map, PAGES * OVC_PG, 0, 27));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
}

/*
 * A failing store: a sparse 1 MiB file on a 64 KiB tmpfs, whose writes
 * fail with ENOSPC once the tmpfs is full.  The writer sees EAGAIN,
 * store_errors rises, no page is lost.
 */
TEST_F(swap, write_error)
{
	struct ovc_vmfile *f = &self->f;
	long long errors = ovc_sysfs_value("store_errors"), swapped;

	ASSERT_EQ(0, mount("tmpfs", self->dir, "tmpfs", MS_REMOUNT,
			   "size=64k,mode=0700"));
	ovc_swap_attach(_metadata, self->root, self->path, 256);
	ovc_fill(f->map, PAGES * OVC_PG, 0, 29);
	EXPECT_EQ(EAGAIN, ovc_vm_reclaim(f, PAGES));
	swapped = ovc_vm_stat(f, "swapped_pages");
	EXPECT_GE(16, swapped) TH_LOG("%lld pages in a 64 KiB tmpfs", swapped);
	EXPECT_EQ((long long)PAGES - swapped, ovc_resident(f));
	EXPECT_LT(errors, ovc_sysfs_value("store_errors"));
	EXPECT_EQ(-1, ovc_check(f->map, PAGES * OVC_PG, 0, 29));
	EXPECT_EQ(0, ovc_vm_stat(f, "swapped_pages"));
}

/* Only root attaches a store. */
TEST_F(swap, needs_cap_sys_admin)
{
	pid_t pid;
	int status, fd;

	fd = ovc_swap_mkfile(_metadata, self->path, 64, 0600, O_RDWR);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(ovc_swap_set(self->root, fd, NULL) == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	EXPECT_EQ(0, ovc_sysfs_value("swap_slots"));
}

TEST_HARNESS_MAIN
