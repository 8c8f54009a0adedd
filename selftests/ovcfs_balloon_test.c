// SPDX-License-Identifier: GPL-2.0
/*
 * The balloon side of a VM file: hole punches turn resident pages into
 * ballooned slots (vms/<id>/balloon_pages, global balloon_pages) until they
 * are touched again; truncate and unlink drop them.  The balloon target
 * (vms/<id>/balloon_target_pages, OVC_IOC_SET_BALLOON_TARGET) with its
 * range rule and poll() notification; the guest report
 * (OVC_IOC_GUEST_REPORT); OVC_IOC_VM_INFO's balloon fields.  Counts are
 * checked exactly, per VM, globally and through VM_INFO.
 */
#define _GNU_SOURCE
#include <poll.h>
#include "ovc_test_util.h"

#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define PAGES		16UL
#define LEN		(PAGES * OVC_PG)
#define SEED		7
#define U		OVC_UNKNOWN

/*
 * A 16-page file, mapped and filled with a pattern (16 pages resident),
 * and its balloon counters.
 */
FIXTURE(balloon) {
	struct ovc_vmfile f;
	int bal_fd;		/* vms/<id>/balloon_pages */
	int gbal_fd;		/* balloon_pages */
	int target_fd;		/* vms/<id>/balloon_target_pages */
	long long gbal0;
};

FIXTURE_SETUP(balloon)
{
	struct ovc_vmfile *f = &self->f;

	self->bal_fd = self->gbal_fd = self->target_fd = -1;
	ovc_vmfile_setup(_metadata, f);
	self->bal_fd = ovc_sysfs_open("vms/%llu/balloon_pages", f->id);
	self->gbal_fd = ovc_sysfs_open("balloon_pages");
	self->target_fd = ovc_sysfs_open("vms/%llu/balloon_target_pages",
					 f->id);
	if (self->bal_fd < 0 || self->gbal_fd < 0 || self->target_fd < 0) {
		/* No teardown after a failed setup: undo everything here. */
		if (self->bal_fd >= 0)
			close(self->bal_fd);
		if (self->gbal_fd >= 0)
			close(self->gbal_fd);
		if (self->target_fd >= 0)
			close(self->target_fd);
		ovc_vmfile_release(f);
		unlink(f->path);
		ovc_counters_close(&f->cnt);
		OVC_SETUP_FAIL("%s/vms/%llu/balloon_pages, balloon_target_pages "
			       "or %s/balloon_pages absent", OVC_SYSFS_ROOT,
			       f->id, OVC_SYSFS_ROOT);
	}
	self->gbal0 = ovc_counter(self->gbal_fd);
	ASSERT_LE(0, self->gbal0);
	ovc_vmfile_map(_metadata, f, LEN);
	ovc_fill(f->map, LEN, 0, SEED);
	ASSERT_EQ((long long)PAGES, ovc_resident(f));
}

FIXTURE_TEARDOWN(balloon)
{
	ovc_vmfile_teardown(_metadata, &self->f);
	/* Removing the file dropped its ballooned slots. */
	EXPECT_EQ(self->gbal0, ovc_counter(self->gbal_fd))
		TH_LOG("balloon_pages not back after the test");
	close(self->bal_fd);
	close(self->gbal_fd);
	close(self->target_fd);
}

/* A per-VM sysfs value of this fixture's file. */
static long long vm_attr(struct ovc_vmfile *f, const char *attr)
{
	return ovc_sysfs_value("vms/%llu/%s", f->id, attr);
}

static int set_target_sysfs(struct ovc_vmfile *f, const char *val)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "vms/%llu/balloon_target_pages", f->id);
	return ovc_sysfs_write(rel, val);
}

/* OVC_IOC_SET_BALLOON_TARGET.  Return: 0 or errno. */
static int set_target_ioctl(int fd, __u64 pages)
{
	struct ovc_balloon_target t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.target_pages = pages;
	return ioctl(fd, OVC_IOC_SET_BALLOON_TARGET, &t) ? errno : 0;
}

/* Resident pages of this VM are @n, and globally pages0 + @n. */
#define ASSERT_RESIDENT(n) do {						\
	ASSERT_EQ((long long)(n), ovc_resident(&self->f));		\
	ASSERT_EQ(self->f.cnt.pages0 + (long long)(n),			\
		  ovc_pages(&self->f.cnt));				\
} while (0)

/* Slots of this VM on the zero frame are @n (VM_INFO). */
#define ASSERT_ZERO(n) do {						\
	struct ovc_vm_info __info;					\
									\
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &__info));			\
	ASSERT_EQ((__u64)(n), __info.zero_pages);			\
} while (0)

/* Ballooned slots of this VM are @n: sysfs, VM_INFO, and globally. */
#define ASSERT_BALLOON(n) do {						\
	struct ovc_vm_info __info;					\
									\
	ASSERT_EQ((long long)(n), ovc_counter(self->bal_fd));		\
	ASSERT_EQ(self->gbal0 + (long long)(n),				\
		  ovc_counter(self->gbal_fd));				\
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &__info));			\
	ASSERT_EQ((__u64)(n), __info.balloon_pages);			\
} while (0)

/* The balloon target is @n, in sysfs and in VM_INFO. */
#define ASSERT_TARGET(n) do {						\
	struct ovc_vm_info __info;					\
									\
	ASSERT_EQ((long long)(n), ovc_counter(self->target_fd));	\
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &__info));			\
	ASSERT_EQ((__u64)(n), __info.balloon_target_pages);		\
} while (0)

/* What the last accepted guest report recorded. */
#define ASSERT_REPORT(actual, free, total) do {				\
	struct ovc_vm_info __info;					\
									\
	ASSERT_EQ((long long)(actual),					\
		  vm_attr(&self->f, "balloon_actual_pages"));		\
	ASSERT_EQ((long long)(free), vm_attr(&self->f, "guest_free_pages")); \
	ASSERT_EQ((long long)(total),					\
		  vm_attr(&self->f, "guest_total_pages"));		\
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &__info));			\
	ASSERT_EQ((__u64)(actual), __info.balloon_actual_pages);	\
} while (0)

/* The new files: modes, one decimal value each, all zero for a new VM. */
TEST_F(balloon, sysfs_files)
{
	static const struct {
		const char *name;
		mode_t mode;
	} attrs[] = {
		{ "balloon_pages", 0444 },
		{ "balloon_target_pages", 0644 },
		{ "balloon_actual_pages", 0444 },
		{ "guest_free_pages", 0444 },
		{ "guest_total_pages", 0444 },
	};
	struct ovc_vm_info info;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), "%s/vms/%llu/%s", OVC_SYSFS_ROOT,
			 self->f.id, attrs[i].name);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %m", path);
		ASSERT_EQ(attrs[i].mode, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
		ASSERT_EQ(0U, st.st_uid) TH_LOG("%s", path);
		ASSERT_EQ(0LL, vm_attr(&self->f, attrs[i].name))
			TH_LOG("%s: not 0 and a newline", attrs[i].name);
	}
	snprintf(path, sizeof(path), "%s/balloon_pages", OVC_SYSFS_ROOT);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0444U, st.st_mode & 07777);
	/* A read-only file refuses writes, even root's. */
	ASSERT_EQ(-1, open(path, O_WRONLY | O_CLOEXEC));
	ASSERT_EQ(EACCES, errno);

	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &info));
	ASSERT_EQ(0ULL, info.balloon_target_pages);
	ASSERT_EQ(0ULL, info.balloon_actual_pages);
	ASSERT_EQ(0ULL, info.balloon_pages);
}

/*
 * A punch balloons the resident pages it frees, once each: punching them
 * again, or punching pages never touched, or only part of a page, adds
 * nothing.
 */
TEST_F(balloon, punch_counts_resident_pages)
{
	char buf[OVC_PG];
	size_t i;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 4 * OVC_PG, 4 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 4);
	ASSERT_BALLOON(4);

	/* The same hole again: already ballooned. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 4 * OVC_PG, 4 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 4);
	ASSERT_BALLOON(4);

	/* Overlapping: pages 2 and 3 are new. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 2 * OVC_PG, 4 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 6);
	ASSERT_BALLOON(6);

	/* Inside one page: zeroed in place, nothing freed. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 10 * OVC_PG + 100, 200));
	ASSERT_RESIDENT(PAGES - 6);
	ASSERT_BALLOON(6);

	/* Unaligned: page 12 is whole, 11 and 13 partial. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 11 * OVC_PG + 1,
			       2 * OVC_PG + 10));
	ASSERT_RESIDENT(PAGES - 7);
	ASSERT_BALLOON(7);

	/* Never-touched pages of a grown file: nothing to balloon. */
	ASSERT_EQ(0, ftruncate(self->f.fd, 2 * LEN));
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, LEN, LEN));
	ASSERT_RESIDENT(PAGES - 7);
	ASSERT_BALLOON(7);

	/* Everything: each page once. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 0, 2 * LEN));
	ASSERT_RESIDENT(0);
	ASSERT_BALLOON(PAGES);

	/* Ballooned pages read as zeroes; read() allocates nothing. */
	for (i = 0; i < 2 * PAGES; i++) {
		memset(buf, 0xa5, sizeof(buf));
		ASSERT_EQ((ssize_t)OVC_PG, pread(self->f.fd, buf, OVC_PG,
						 i * OVC_PG));
		ASSERT_EQ(-1, ovc_check_zero(buf, OVC_PG)) TH_LOG("page %zu", i);
	}
	ASSERT_RESIDENT(0);
	ASSERT_BALLOON(PAGES);
}

/*
 * Touching a ballooned page again, by a fault (read or write) or by
 * write(), deflates it: one less ballooned; a write makes it resident
 * again, zero-filled, a read maps the zero frame and allocates nothing.
 */
TEST_F(balloon, touch_deflates)
{
	char buf[OVC_PG];
	size_t i;

	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 0, 8 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 8);
	ASSERT_BALLOON(8);

	/* A read fault. */
	ASSERT_EQ(-1, ovc_check_zero(self->f.map, OVC_PG));
	ASSERT_RESIDENT(PAGES - 8);
	ASSERT_BALLOON(7);
	ASSERT_ZERO(1);

	/* A write fault: zero around the byte written. */
	self->f.map[OVC_PG + 300] = 0x11;
	ASSERT_RESIDENT(PAGES - 7);
	ASSERT_BALLOON(6);
	ASSERT_EQ(-1, ovc_check_zero(self->f.map + OVC_PG, 300));
	ASSERT_EQ(-1, ovc_check_zero(self->f.map + OVC_PG + 301,
				     OVC_PG - 301));

	/* write() of a whole page. */
	ovc_fill(buf, OVC_PG, 2 * OVC_PG, SEED + 1);
	ASSERT_EQ((ssize_t)OVC_PG, pwrite(self->f.fd, buf, OVC_PG,
					  2 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 6);
	ASSERT_BALLOON(5);
	ASSERT_EQ(-1, ovc_check(self->f.map + 2 * OVC_PG, OVC_PG, 2 * OVC_PG,
				SEED + 1));

	/* write() of a few bytes: the rest of the page is zero. */
	ASSERT_EQ(10, pwrite(self->f.fd, "0123456789", 10, 3 * OVC_PG + 50));
	ASSERT_RESIDENT(PAGES - 5);
	ASSERT_BALLOON(4);
	ASSERT_EQ((ssize_t)OVC_PG, pread(self->f.fd, buf, OVC_PG, 3 * OVC_PG));
	ASSERT_EQ(-1, ovc_check_zero(buf, 50));
	ASSERT_EQ(0, memcmp(buf + 50, "0123456789", 10));
	ASSERT_EQ(-1, ovc_check_zero(buf + 60, OVC_PG - 60));

	/* Touched pages balloon again when punched again. */
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 0, 2 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 6);
	ASSERT_BALLOON(6);
	ASSERT_ZERO(0);

	/* The pages never punched kept their bytes. */
	ASSERT_EQ(-1, ovc_check(self->f.map + 8 * OVC_PG, 8 * OVC_PG,
				8 * OVC_PG, SEED));
	/* And the still-ballooned ones read as zero (the zero frame). */
	for (i = 4; i < 8; i++)
		ASSERT_EQ(-1, ovc_check_zero(self->f.map + i * OVC_PG, OVC_PG));
	ASSERT_RESIDENT(PAGES - 6);
	ASSERT_BALLOON(2);
	ASSERT_ZERO(4);
}

/* Truncating drops the ballooned slots past the new end, exactly. */
TEST_F(balloon, truncate_drops)
{
	ASSERT_EQ(0, fallocate(self->f.fd, PUNCH, 2 * OVC_PG, 8 * OVC_PG));
	ASSERT_RESIDENT(PAGES - 8);
	ASSERT_BALLOON(8);

	/* Pages 2..5 stay ballooned, 6..9 are gone with 10..15. */
	ASSERT_EQ(0, ftruncate(self->f.fd, 6 * OVC_PG));
	ASSERT_RESIDENT(2);
	ASSERT_BALLOON(4);

	/* Growing again brings nothing back. */
	ASSERT_EQ(0, ftruncate(self->f.fd, LEN));
	ASSERT_RESIDENT(2);
	ASSERT_BALLOON(4);

	/* An unaligned size keeps its last partial page's slot. */
	ASSERT_EQ(0, ftruncate(self->f.fd, 4 * OVC_PG + 1));
	ASSERT_RESIDENT(2);
	ASSERT_BALLOON(3);

	ASSERT_EQ(0, ftruncate(self->f.fd, 0));
	ASSERT_RESIDENT(0);
	ASSERT_BALLOON(0);
}

/*
 * An unlinked file keeps its ballooned slots while it is open; they are
 * dropped with the VM when the last reference goes.
 */
TEST_F(balloon, unlink_drops)
{
	struct ovc_vmfile *f = &self->f;

	ASSERT_EQ(0, fallocate(f->fd, PUNCH, 0, 8 * OVC_PG));
	ASSERT_BALLOON(8);
	ASSERT_EQ(0, unlink(f->path));
	ASSERT_BALLOON(8);
	ASSERT_RESIDENT(PAGES - 8);

	ovc_vmfile_release(f);		/* munmap, close */
	ASSERT_FALSE(ovc_vm_dir_exists(f->id));
	ASSERT_EQ(self->gbal0, ovc_counter(self->gbal_fd));
	ASSERT_EQ(f->cnt.pages0, ovc_pages(&f->cnt));
	ASSERT_EQ(f->cnt.nr_vms0, ovc_nr_vms(&f->cnt));
}

/* The global count is the sum over the VMs. */
TEST_F(balloon, global_sum)
{
	char path[PATH_MAX + 8];
	struct ovc_vm_info info;
	int fd, bal2;

	snprintf(path, sizeof(path), "%s.2", self->f.path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ovc_vm_info(fd, &info)) unlink(path);
	bal2 = ovc_sysfs_open("vms/%llu/balloon_pages",
			      (unsigned long long)info.id);
	ASSERT_LE(0, bal2) unlink(path);

	EXPECT_EQ(0, ftruncate(fd, 8 * OVC_PG));
	EXPECT_EQ(0, fallocate(fd, PUNCH, 0, 8 * OVC_PG));
	EXPECT_EQ(0LL, ovc_counter(bal2));	/* nothing was resident */
	EXPECT_EQ(8 * (ssize_t)OVC_PG, pwrite(fd, self->f.map, 8 * OVC_PG, 0));
	EXPECT_EQ(0, fallocate(fd, PUNCH, OVC_PG, 5 * OVC_PG));
	EXPECT_EQ(5LL, ovc_counter(bal2));
	EXPECT_EQ(0, fallocate(self->f.fd, PUNCH, 0, 3 * OVC_PG));
	EXPECT_EQ(3LL, ovc_counter(self->bal_fd));
	EXPECT_EQ(self->gbal0 + 8, ovc_counter(self->gbal_fd));

	close(fd);
	close(bal2);
	ASSERT_EQ(0, unlink(path));
	ASSERT_FALSE(ovc_vm_dir_exists(info.id));
	ASSERT_BALLOON(3);
}

/*
 * Punches race with faults from another process: whatever interleaving,
 * every slot of a file whose pages were all touched is either resident or
 * ballooned, and the counts add up.  Each page holds at most its stamp.
 * The writer runs until the puncher is done, so both run all along.
 */
TEST_F_TIMEOUT(balloon, punch_fault_race, 120)
{
	const size_t pages = 64, len = pages * OVC_PG;
	const unsigned long punches = 20000;
	struct ovc_vmfile *f = &self->f;
	volatile unsigned long *shared;	/* [0] stop, [1] writes done */
	unsigned int rnd = 1;
	unsigned long k;
	long long res, bal;
	size_t i;
	pid_t pid;
	int ret;

	/* Start from zero-filled pages that hold their stamp only. */
	ASSERT_EQ(0, munmap(f->map, f->map_len));
	f->map = MAP_FAILED;
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ovc_vmfile_map(_metadata, f, len);
	for (i = 0; i < pages; i++)
		*(volatile uint64_t *)(f->map + i * OVC_PG) = i;
	ASSERT_RESIDENT(pages);
	shared = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int r = 12345;
		unsigned long n;

		for (n = 0; !shared[0]; n++) {
			r = r * 1103515245 + 12345;
			i = (r >> 8) % pages;
			*(volatile uint64_t *)(f->map + i * OVC_PG) =
				((uint64_t)(n + 1) << 16) | i;
			shared[1] = n + 1;
		}
		_exit(0);
	}
	for (k = 0; k < punches; k++) {
		off_t first, n;

		rnd = rnd * 1103515245 + 12345;
		first = (rnd >> 8) % pages;
		n = 1 + (rnd >> 20) % 8;
		if (fallocate(f->fd, PUNCH, first * OVC_PG, n * OVC_PG))
			break;
	}
	shared[0] = 1;
	ret = ovc_wait_child(pid);
	TH_LOG("%lu punches raced with %lu writes", k, shared[1]);
	munmap((void *)shared, OVC_PG);
	ASSERT_EQ(punches, k) TH_LOG("punch: %m");
	ASSERT_EQ(0, ret);

	res = ovc_resident(f);
	bal = ovc_counter(self->bal_fd);
	ASSERT_EQ((long long)pages, res + bal)
		TH_LOG("resident %lld + ballooned %lld", res, bal);
	ASSERT_EQ(f->cnt.pages0 + res, ovc_pages(&f->cnt));
	ASSERT_EQ(self->gbal0 + bal, ovc_counter(self->gbal_fd));
	for (i = 0; i < pages; i++) {
		uint64_t v = *(volatile uint64_t *)(f->map + i * OVC_PG);

		ASSERT_TRUE(v == 0 || (v & 0xffff) == i)
			TH_LOG("page %zu holds %#llx", i, (unsigned long long)v);
		ASSERT_EQ(-1, ovc_check_zero(f->map + i * OVC_PG + 8,
					     OVC_PG - 8)) TH_LOG("page %zu", i);
	}
	/* Reading every page deflated the ballooned ones to the zero frame. */
	ASSERT_RESIDENT(res);
	ASSERT_BALLOON(0);
	ASSERT_ZERO(bal);
}

/* balloon_target_pages: any number of pages up to size_pages. */
TEST_F(balloon, target_sysfs)
{
	static const struct {
		const char *val;
		int err;
	} bad[] = {
		{ "17", ERANGE },			/* size_pages + 1 */
		{ "1000000", ERANGE },
		{ "18446744073709551615", ERANGE },	/* U64_MAX */
		{ "18446744073709551616", ERANGE },	/* overflows u64 */
		{ "-1", EINVAL },
		{ "-0", EINVAL },
		{ "abc", EINVAL },
		{ "5x", EINVAL },
		{ "0x5", EINVAL },
		{ " 5", EINVAL },
		{ "5 5", EINVAL },
		{ "1.5", EINVAL },
		{ "\n", EINVAL },
	};
	struct ovc_vmfile *f = &self->f;
	size_t i;

	ASSERT_TARGET(0);
	ASSERT_EQ(0, set_target_sysfs(f, "5"));
	ASSERT_TARGET(5);
	ASSERT_EQ(0, set_target_sysfs(f, "16\n"));	/* size_pages */
	ASSERT_TARGET(PAGES);
	ASSERT_EQ(0, set_target_sysfs(f, "3"));
	ASSERT_TARGET(3);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(bad[i].err, set_target_sysfs(f, bad[i].val))
			TH_LOG("'%s'", bad[i].val);
		ASSERT_TARGET(3);
	}

	ASSERT_EQ(0, set_target_sysfs(f, "0"));
	ASSERT_TARGET(0);

	/* An empty file takes a target of 0 only. */
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ASSERT_EQ(ERANGE, set_target_sysfs(f, "1"));
	ASSERT_EQ(0, set_target_sysfs(f, "0"));
	ASSERT_TARGET(0);
	/* A size in bytes rounds up to pages. */
	ASSERT_EQ(0, ftruncate(f->fd, 2 * OVC_PG + 1));
	ASSERT_EQ(0, set_target_sysfs(f, "3"));
	ASSERT_EQ(ERANGE, set_target_sysfs(f, "4"));
	ASSERT_TARGET(3);
	/* Setting the target touches no page (the truncate freed them). */
	ASSERT_RESIDENT(0);
	ASSERT_BALLOON(0);
}

/* Shrinking the file below the target lowers the target; growing doesn't. */
TEST_F(balloon, target_follows_shrink)
{
	struct ovc_vmfile *f = &self->f;

	ASSERT_EQ(0, set_target_ioctl(f->fd, 12));
	ASSERT_EQ(0, ftruncate(f->fd, 14 * OVC_PG));
	ASSERT_TARGET(12);
	ASSERT_EQ(0, ftruncate(f->fd, 8 * OVC_PG));
	ASSERT_TARGET(8);
	ASSERT_EQ(0, ftruncate(f->fd, 3 * OVC_PG + 1));	/* 4 pages */
	ASSERT_TARGET(4);
	ASSERT_EQ(0, ftruncate(f->fd, LEN));
	ASSERT_TARGET(4);
	ASSERT_EQ(0, set_target_ioctl(f->fd, 2));
	ASSERT_EQ(0, ftruncate(f->fd, 5 * OVC_PG));
	ASSERT_TARGET(2);
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ASSERT_TARGET(0);
}

/* Only root writes balloon_target_pages. */
TEST_F(balloon, target_sysfs_root_only)
{
	pid_t pid;

	ASSERT_EQ(0, set_target_sysfs(&self->f, "6"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		_exit(set_target_sysfs(&self->f, "2"));
	}
	ASSERT_EQ(EACCES, ovc_wait_child(pid));
	ASSERT_TARGET(6);
}

/* Wait for POLLPRI on @fd.  Return: revents, 0 on timeout, -1 on error. */
static int wait_pri(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -1 : n ? p.revents : 0;
}

#define POLL_WAKE	(POLLPRI | POLLERR)

/*
 * A change of the target, by sysfs, ioctl or a shrinking file, wakes
 * poll() on an open balloon_target_pages (read once, then poll, then
 * pread again at 0).  No change, no wake.
 */
TEST_F(balloon, target_poll)
{
	struct ovc_vmfile *f = &self->f;
	int fd;

	fd = ovc_sysfs_open("vms/%llu/balloon_target_pages", f->id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0LL, ovc_counter(fd));
	ASSERT_EQ(0, wait_pri(fd, 0));

	ASSERT_EQ(0, set_target_sysfs(f, "7"));
	ASSERT_EQ(POLL_WAKE, wait_pri(fd, 5000) & POLL_WAKE);
	ASSERT_EQ(7LL, ovc_counter(fd));
	ASSERT_EQ(0, wait_pri(fd, 0));

	ASSERT_EQ(0, set_target_ioctl(f->fd, 3));
	ASSERT_EQ(POLL_WAKE, wait_pri(fd, 5000) & POLL_WAKE);
	ASSERT_EQ(3LL, ovc_counter(fd));

	/* The same value, refused values: no change, no wake. */
	ASSERT_EQ(0, set_target_ioctl(f->fd, 3));
	ASSERT_EQ(0, set_target_sysfs(f, "3"));
	ASSERT_EQ(ERANGE, set_target_ioctl(f->fd, PAGES + 1));
	ASSERT_EQ(EINVAL, set_target_sysfs(f, "x"));
	ASSERT_EQ(0, wait_pri(fd, 0));

	/* The file shrinks below the target. */
	ASSERT_EQ(0, ftruncate(f->fd, 2 * OVC_PG));
	ASSERT_EQ(POLL_WAKE, wait_pri(fd, 5000) & POLL_WAKE);
	ASSERT_EQ(2LL, ovc_counter(fd));
	ASSERT_EQ(0, wait_pri(fd, 0));
	close(fd);
}

/* A poller asleep in poll() (as ovcd is) wakes up when the target changes. */
TEST_F(balloon, target_poll_sleeper)
{
	struct ovc_vmfile *f = &self->f;
	int ready[2], i;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = ovc_sysfs_open("vms/%llu/balloon_target_pages",
					f->id);

		close(ready[0]);
		if (fd < 0 || ovc_counter(fd) != 0)
			_exit(100);
		if (write(ready[1], "r", 1) != 1)
			_exit(101);
		if ((wait_pri(fd, 20000) & POLL_WAKE) != POLL_WAKE)
			_exit(102);
		_exit(ovc_counter(fd) == 9 ? 0 : 103);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	/* Wait until it sleeps (in poll(), there is nothing else left). */
	for (i = 0; i < 10000 && ovc_proc_state(pid) != 'S'; i++)
		usleep(1000);
	ASSERT_EQ(0, set_target_sysfs(f, "9"));
	ASSERT_EQ(0, ovc_wait_child(pid));
}

/* OVC_IOC_SET_BALLOON_TARGET: the same range rule as sysfs. */
TEST_F(balloon, target_ioctl)
{
	struct ovc_vmfile *f = &self->f;

	ASSERT_EQ(0, set_target_ioctl(f->fd, 9));
	ASSERT_TARGET(9);
	ASSERT_EQ(0, set_target_ioctl(f->fd, PAGES));
	ASSERT_TARGET(PAGES);
	ASSERT_EQ(0, set_target_ioctl(f->fd, 1));
	ASSERT_TARGET(1);
	ASSERT_EQ(ERANGE, set_target_ioctl(f->fd, PAGES + 1));
	ASSERT_EQ(ERANGE, set_target_ioctl(f->fd, 1ULL << 40));
	ASSERT_EQ(ERANGE, set_target_ioctl(f->fd, ~0ULL));
	ASSERT_TARGET(1);
	ASSERT_EQ(0, set_target_ioctl(f->fd, 0));
	ASSERT_TARGET(0);
	ASSERT_RESIDENT(PAGES);
	ASSERT_BALLOON(0);
}

/* The balloon target's struct: size, flags and reserved checked. */
TEST_F(balloon, target_ioctl_einval)
{
	static const __u32 sizes[] = {
		0, 4, sizeof(struct ovc_balloon_target) - 8,
		sizeof(struct ovc_balloon_target) - 1,
		sizeof(struct ovc_balloon_target) + 1,
		sizeof(struct ovc_balloon_target) + 8, 4096, 0xffffffff,
	};
	union {
		struct ovc_balloon_target t;
		char room[2 * OVC_PG];
	} u;
	struct ovc_vmfile *f = &self->f;
	size_t i;

	ASSERT_EQ(0, set_target_ioctl(f->fd, 4));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&u, 0, sizeof(u));
		u.t.size = sizes[i];
		u.t.target_pages = 5;
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, &u.t))
			TH_LOG("size %u accepted", sizes[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}
	for (i = 0; i < 32; i += 31) {
		memset(&u, 0, sizeof(u));
		u.t.size = sizeof(u.t);
		u.t.flags = 1U << i;
		u.t.target_pages = 5;
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, &u.t));
		ASSERT_EQ(EINVAL, errno) TH_LOG("flags %#x", u.t.flags);
	}
	for (i = 0; i < ARRAY_SIZE(u.t.reserved); i++) {
		memset(&u, 0, sizeof(u));
		u.t.size = sizeof(u.t);
		u.t.reserved[i] = 1ULL << (i * 16 + 3);
		u.t.target_pages = 5;
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, &u.t))
			TH_LOG("reserved[%zu] accepted", i);
		ASSERT_EQ(EINVAL, errno);
	}
	/* A bad struct and a bad target: the struct is checked first. */
	memset(&u, 0, sizeof(u));
	u.t.size = sizeof(u.t);
	u.t.flags = 2;
	u.t.target_pages = PAGES + 1;
	ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, &u.t));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_TARGET(4);
}

/*
 * Setting targets and reporting are for CAP_SYS_ADMIN only, even for the
 * file's owner; VM_INFO is for anyone who could open the file.  Runs in a
 * child without privileges.  Return: 0, or the step that went wrong.
 */
static int unprivileged_ioctls(int fd)
{
	struct ovc_vm_info info;

	if (set_target_ioctl(fd, 2) != EPERM)
		return 1;
	if (ovc_guest_report(fd, 1, 1, 1) != EPERM)
		return 2;
	/* Even a malformed call: the capability is checked first. */
	if (ovc_guest_report(fd, PAGES + 1, U, U) != EPERM)
		return 3;
	if (ovc_vm_info(fd, &info) || info.balloon_target_pages != 6)
		return 4;
	return 0;
}

TEST_F(balloon, admin_only)
{
	struct ovc_vmfile *f = &self->f;
	pid_t pid;
	int ret;

	ASSERT_EQ(0, set_target_ioctl(f->fd, 6));
	ASSERT_EQ(0, ovc_guest_report(f->fd, 5, 4, 12));

	/* Opened as root, used after dropping root. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		_exit(unprivileged_ioctls(f->fd));
	}
	ret = ovc_wait_child(pid);
	ASSERT_EQ(0, ret) TH_LOG("opened as root: step %d", ret);

	/* The file's unprivileged owner. */
	ASSERT_EQ(0, fchown(f->fd, OVC_NOBODY, OVC_NOBODY));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		fd = open(f->path, O_RDWR);
		if (fd < 0)
			_exit(101);
		_exit(unprivileged_ioctls(fd));
	}
	ret = ovc_wait_child(pid);
	ASSERT_EQ(0, ret) TH_LOG("opened by its owner: step %d", ret);

	ASSERT_TARGET(6);
	ASSERT_REPORT(5, 4, 12);
}

/* Reported fields show up; OVC_UNKNOWN ones keep their old value. */
TEST_F(balloon, guest_report)
{
	struct ovc_vmfile *f = &self->f;

	ASSERT_REPORT(0, 0, 0);
	ASSERT_EQ(0, ovc_guest_report(f->fd, 3, 5, 12));
	ASSERT_REPORT(3, 5, 12);
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, 7, U));
	ASSERT_REPORT(3, 7, 12);
	ASSERT_EQ(0, ovc_guest_report(f->fd, 4, U, U));
	ASSERT_REPORT(4, 7, 12);
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, U, PAGES));
	ASSERT_REPORT(4, 7, PAGES);
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, U, U));
	ASSERT_REPORT(4, 7, PAGES);
	/* The largest values: the VM's size, free = total. */
	ASSERT_EQ(0, ovc_guest_report(f->fd, PAGES, PAGES, PAGES));
	ASSERT_REPORT(PAGES, PAGES, PAGES);
	ASSERT_EQ(0, ovc_guest_report(f->fd, 0, 0, 0));
	ASSERT_REPORT(0, 0, 0);
	/* A report neither sets the target nor touches pages. */
	ASSERT_TARGET(0);
	ASSERT_RESIDENT(PAGES);
	ASSERT_BALLOON(0);
}

/* Out of range: ERANGE and nothing recorded, not even the valid fields. */
TEST_F(balloon, guest_report_erange)
{
	static const struct {
		const char *what;
		__u64 actual, free, total;
	} bad[] = {
		{ "actual > size", PAGES + 1, U, U },
		{ "actual > size, rest valid", PAGES + 1, 1, 2 },
		{ "actual huge", U - 1, U, U },
		{ "total > size", U, U, PAGES + 1 },
		{ "total > size, rest valid", 1, 1, PAGES + 1 },
		{ "total huge", U, U, 1ULL << 63 },
		{ "free > total", U, 11, 10 },
		{ "free > total, actual valid", 1, 9, 8 },
		{ "free > recorded total", U, 11, U },
		{ "free > recorded total, actual valid", 1, 11, U },
	};
	struct ovc_vmfile *f = &self->f;
	size_t i;

	/* Nothing recorded yet: free memory is bounded by the VM's size. */
	ASSERT_EQ(ERANGE, ovc_guest_report(f->fd, U, PAGES + 1, U));
	ASSERT_REPORT(0, 0, 0);

	ASSERT_EQ(0, ovc_guest_report(f->fd, 2, 4, 10));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(ERANGE, ovc_guest_report(f->fd, bad[i].actual,
					       bad[i].free, bad[i].total))
			TH_LOG("%s", bad[i].what);
		ASSERT_REPORT(2, 4, 10);
	}
	/* A larger total in the same report makes room for more free. */
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, 11, 12));
	ASSERT_REPORT(2, 11, 12);
	/* Less free memory, total unknown: checked against the recorded one. */
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, 3, U));
	ASSERT_REPORT(2, 3, 12);
}

/*
 * The converse of "free > recorded total": a new total below the recorded
 * free memory, free unknown.  Accepting it would leave guest_free_pages >
 * guest_total_pages in sysfs.
 */
TEST_F(balloon, guest_report_total_below_free)
{
	struct ovc_vmfile *f = &self->f;

	ASSERT_EQ(0, ovc_guest_report(f->fd, U, 9, 12));
	ASSERT_EQ(ERANGE, ovc_guest_report(f->fd, U, U, 8));
	ASSERT_REPORT(0, 9, 12);
	/* With a consistent free value in the same report it is fine. */
	ASSERT_EQ(0, ovc_guest_report(f->fd, U, 8, 8));
	ASSERT_REPORT(0, 8, 8);
}

/* The guest report's struct: size, flags and reserved checked. */
TEST_F(balloon, guest_report_einval)
{
	static const __u32 sizes[] = {
		0, 8, sizeof(struct ovc_guest_report) - 8,
		sizeof(struct ovc_guest_report) - 1,
		sizeof(struct ovc_guest_report) + 1,
		sizeof(struct ovc_guest_report) + 8, 4096, 0xffffffff,
	};
	union {
		struct ovc_guest_report r;
		char room[2 * OVC_PG];
	} u;
	struct ovc_vmfile *f = &self->f;
	size_t i;

#define FILL_REPORT() do {						\
	memset(&u, 0, sizeof(u));					\
	u.r.size = sizeof(u.r);						\
	u.r.balloon_actual_pages = 1;					\
	u.r.guest_free_pages = 1;					\
	u.r.guest_total_pages = 1;					\
} while (0)

	ASSERT_EQ(0, ovc_guest_report(f->fd, 2, 3, 4));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		FILL_REPORT();
		u.r.size = sizes[i];
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_GUEST_REPORT, &u.r))
			TH_LOG("size %u accepted", sizes[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}
	for (i = 0; i < 32; i += 31) {
		FILL_REPORT();
		u.r.flags = 1U << i;
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_GUEST_REPORT, &u.r));
		ASSERT_EQ(EINVAL, errno) TH_LOG("flags %#x", u.r.flags);
	}
	for (i = 0; i < ARRAY_SIZE(u.r.reserved); i++) {
		FILL_REPORT();
		u.r.reserved[i] = ~0ULL;
		ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_GUEST_REPORT, &u.r))
			TH_LOG("reserved[%zu] accepted", i);
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(-1, ioctl(f->fd, OVC_IOC_GUEST_REPORT, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_REPORT(2, 3, 4);
#undef FILL_REPORT
}

/* VM_INFO's balloon fields agree with sysfs. */
TEST_F(balloon, vm_info_consistent)
{
	struct ovc_vmfile *f = &self->f;
	struct ovc_vm_info info;

	ASSERT_EQ(0, fallocate(f->fd, PUNCH, 5 * OVC_PG, 3 * OVC_PG));
	ASSERT_EQ(0, set_target_sysfs(f, "11"));
	ASSERT_EQ(0, ovc_guest_report(f->fd, 10, 2, 15));

	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ(PAGES, info.size_pages);
	ASSERT_EQ(PAGES - 3, info.resident_pages);
	ASSERT_EQ(11ULL, info.balloon_target_pages);
	ASSERT_EQ(10ULL, info.balloon_actual_pages);
	ASSERT_EQ(3ULL, info.balloon_pages);
	ASSERT_EQ((long long)info.resident_pages, ovc_resident(f));
	ASSERT_EQ((long long)info.balloon_target_pages,
		  ovc_counter(self->target_fd));
	ASSERT_EQ((long long)info.balloon_actual_pages,
		  vm_attr(f, "balloon_actual_pages"));
	ASSERT_EQ((long long)info.balloon_pages, ovc_counter(self->bal_fd));
}

/* reserved32 of struct ovc_vm_info must be zero on input. */
TEST_F(balloon, vm_info_reserved32)
{
	struct ovc_vm_info info;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.reserved32 = 1;
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
	info.reserved32 = 0x80000000;
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ovc_vm_info(self->f.fd, &info));
	ASSERT_EQ(0U, info.reserved32);
}

TEST_HARNESS_MAIN
