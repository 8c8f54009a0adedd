// SPDX-License-Identifier: GPL-2.0
/*
 * Races of the scanner, running at full speed, with everything else a
 * host does to guest RAM (issue 8, "the tests that let these through"):
 * truncate and faults, unlink and evict, domain changes, fork, mremap,
 * MADV_DONTNEED / MADV_REMOVE / MADV_POPULATE_WRITE, and a VM killed
 * while its pages merge.  Each test checks every byte it can and that all
 * counters are back when the files are gone (the teardown); the harness
 * checks the console for any kernel report.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include "ovc_test_util.h"
#include "ovc_share_util.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define PAGES	256
#define GROUP	7777	/* the tests' files share with each other */
#define RACE_S	3.0

FIXTURE(race) {
	char dir[256];
	struct ovc_counters cnt;
	struct ovc_share sh;
	bool knobs;
	long long base[OVC_NR_STATS];
};

FIXTURE_SETUP(race)
{
	int i;

	OVC_SHARE_SETUP_REQUIRE();
	ASSERT_EQ(0, ovc_counters_open(&self->cnt));
	ASSERT_EQ(0, ovc_share_open(&self->sh));
	snprintf(self->dir, sizeof(self->dir), "%s/ovcst-race-%d-%.64s",
		 ovc_mnt(), getpid(), _metadata->name);
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	self->knobs = true;
	for (i = 0; i < OVC_NR_STATS; i++)
		self->base[i] = ovc_stat(&self->sh, i);
	ASSERT_EQ(0, ovc_share_fast());
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
}

FIXTURE_TEARDOWN(race)
{
	int i;

	if (self->knobs)
		EXPECT_EQ(0, ovc_share_restore(&self->sh));
	EXPECT_EQ(0, ovc_rm_rf(self->dir)) TH_LOG("rm %s: %m", self->dir);
	EXPECT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	EXPECT_EQ(self->cnt.pages0, ovc_pages(&self->cnt))
		TH_LOG("pages_resident not back");
	for (i = OVC_ST_SHARED; i <= OVC_ST_UNSHARED; i++)
		EXPECT_EQ(self->base[i], ovc_stat(&self->sh, i))
			TH_LOG("%s not back", ovc_stat_names[i]);
	ovc_share_close(&self->sh);
	ovc_counters_close(&self->cnt);
}

/* A VM file @name in the test's directory, @pages long, in GROUP. */
static int vm_open(FIXTURE_DATA(race) *self, const char *name, size_t pages)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", self->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, pages * OVC_PG) || ovc_set_domain(fd, GROUP)) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *vm_map(int fd, size_t pages)
{
	char *m = mmap(NULL, pages * OVC_PG, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

/* Files a and b in GROUP, mapped at a and b, both filled with @seed. */
#define PAIR_OPEN(seed) do {						\
	fd = vm_open(self, "a", PAGES);					\
	peer = vm_open(self, "b", PAGES);				\
	ASSERT_LE(0, fd);						\
	ASSERT_LE(0, peer);						\
	a = vm_map(fd, PAGES);						\
	b = vm_map(peer, PAGES);					\
	ASSERT_NE(NULL, a);						\
	ASSERT_NE(NULL, b);						\
	ovc_fill(b, PAGES * OVC_PG, 0, seed);				\
	ovc_fill(a, PAGES * OVC_PG, 0, seed);				\
} while (0)

#define PAIR_CLOSE() do {						\
	munmap(a, PAGES * OVC_PG);					\
	munmap(b, PAGES * OVC_PG);					\
	close(fd);							\
	close(peer);							\
} while (0)

/* Wait for at least @n merged slots (pages_sharing + pages_zero). */
static bool merged(FIXTURE_DATA(race) *self, long long n)
{
	double end = ovc_now() + 60;

	while (ovc_now() < end) {
		if (ovc_stat(&self->sh, OVC_ST_SHARING) -
		    self->base[OVC_ST_SHARING] >= n)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * Store @v at @p and read it back.  Return: 0, 1 if it read back neither
 * @v nor zero (a truncate may zero it in between), -1 on SIGBUS.
 */
static __attribute__((noinline)) int poke(volatile char *p, char v)
{
	if (sigsetjmp(ovc_sigbus_env, 1))
		return -1;
	*p = v;
	return *p != v && *p;
}

/*
 * Truncate, faults and merges at once: one process truncates a file to
 * zero and back, another writes its pattern and checks it, while an equal
 * file keeps the frames alive.  Pages read back are the pattern or zero.
 */
TEST_F_TIMEOUT(race, truncate_fault_merge, 60)
{
	int fd, peer;
	pid_t pid;
	size_t i;
	char *a, *b;

	PAIR_OPEN(31);
	ASSERT_TRUE(merged(self, PAGES / 2));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		double end = ovc_now() + RACE_S;

		while (ovc_now() < end)
			if (ftruncate(fd, 0) || ftruncate(fd, PAGES * OVC_PG))
				_exit(1);
		_exit(0);
	}
	{
		double end = ovc_now() + RACE_S;
		unsigned long bad = 0, sigbus = 0;
		struct sigaction sa = { .sa_handler = ovc_sigbus_handler };

		/* A truncated page is SIGBUS until the size is back. */
		sigaction(SIGBUS, &sa, NULL);
		while (ovc_now() < end) {
			for (i = 0; i < PAGES; i++) {
				switch (poke(a + i * OVC_PG,
					     (char)ovc_pat(i * OVC_PG, 31))) {
				case -1:
					sigbus++;
					break;
				case 1:
					bad++;
				}
			}
		}
		signal(SIGBUS, SIG_DFL);
		TH_LOG("%lu accesses past the end while truncated", sigbus);
		ASSERT_EQ(0UL, bad);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 31))
		TH_LOG("the peer's pages changed");
	PAIR_CLOSE();
}

/*
 * Files created, filled, merged into each other's frames and unlinked in
 * a loop while the scanner runs: eviction of a VM the scanner is walking.
 */
TEST_F_TIMEOUT(race, unlink_while_scanning, 60)
{
	double end = ovc_now() + RACE_S;
	int peer = vm_open(self, "peer", PAGES), n = 0;
	char *b;

	ASSERT_LE(0, peer);
	b = vm_map(peer, PAGES);
	ASSERT_NE(NULL, b);
	ovc_fill(b, PAGES * OVC_PG, 0, 32);
	while (ovc_now() < end) {
		char name[32], path[PATH_MAX];
		int fd;
		char *a;

		snprintf(name, sizeof(name), "vm%d", n++);
		fd = vm_open(self, name, PAGES);
		ASSERT_LE(0, fd);
		a = vm_map(fd, PAGES);
		ASSERT_NE(NULL, a);
		ovc_fill(a, PAGES * OVC_PG, 0, 32);
		usleep(20000);
		ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 32));
		munmap(a, PAGES * OVC_PG);
		close(fd);
		snprintf(path, sizeof(path), "%s/%s", self->dir, name);
		ASSERT_EQ(0, unlink(path));
	}
	TH_LOG("%d files created, merged and unlinked", n);
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 32));
	munmap(b, PAGES * OVC_PG);
	close(peer);
}

/* A VM moved between domains over and over while it merges. */
TEST_F_TIMEOUT(race, domain_change_during_scan, 60)
{
	int fd, peer;
	double end = ovc_now() + RACE_S;
	struct ovc_vm_info info;
	unsigned long k = 0;
	char *a, *b;

	PAIR_OPEN(33);
	while (ovc_now() < end) {
		ASSERT_EQ(0, ovc_set_domain(fd, k++ & 1 ? GROUP :
					    OVC_SHARE_DOMAIN_OWN));
		/* A write of the byte it holds: a COW if merged. */
		((volatile char *)a)[(k % PAGES) * OVC_PG + 8] =
			a[(k % PAGES) * OVC_PG + 8];
		usleep(5000);
	}
	ASSERT_EQ(0, ovc_set_domain(fd, OVC_SHARE_DOMAIN_OWN));
	/* On its own now: nothing of it is on a frame with the peer. */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ(0ULL, info.shared_pages);
	ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 33));
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 33));
	TH_LOG("%lu domain changes", k);
	PAIR_CLOSE();
}

/*
 * A process that maps VM files forks children that write while the pages
 * merge: every process sees its own writes and the peer never does.
 */
TEST_F_TIMEOUT(race, fork_during_merge, 60)
{
	int fd, peer;
	pid_t pids[3];
	int c;
	char *a, *b;

	PAIR_OPEN(34);
	for (c = 0; c < 3; c++) {
		pids[c] = fork();
		ASSERT_LE(0, pids[c]);
		if (pids[c] == 0) {
			double end = ovc_now() + RACE_S;
			size_t i, first = c * PAGES / 3, last = first + PAGES / 3;
			unsigned int seed = 34;

			/* Rewrite its third with alternating seeds. */
			while (ovc_now() < end) {
				seed = seed == 34 ? 35 : 34;
				for (i = first; i < last; i++)
					ovc_fill(a + i * OVC_PG, OVC_PG,
						 i * OVC_PG, seed);
				for (i = first; i < last; i++)
					if (ovc_check(a + i * OVC_PG, OVC_PG,
						      i * OVC_PG, seed) >= 0)
						_exit(1);
				usleep(20000);
			}
			for (i = first; i < last; i++)
				ovc_fill(a + i * OVC_PG, OVC_PG, i * OVC_PG, 34);
			_exit(0);
		}
	}
	for (c = 0; c < 3; c++)
		ASSERT_EQ(0, ovc_wait_child(pids[c])) TH_LOG("child %d", c);
	ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 34));
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 34))
		TH_LOG("the peer saw a child's write");
	PAIR_CLOSE();
}

/*
 * mremap of a mapping of merged pages, MADV_DONTNEED (drops PTEs, keeps
 * the bytes), MADV_REMOVE (a punch: zeroes, ballooned) and
 * MADV_POPULATE_WRITE (write faults: COW of every merged page, in place).
 */
TEST_F_TIMEOUT(race, mremap_and_madvise, 90)
{
	int fd, peer;
	struct ovc_vm_info info;
	char *a, *b, *moved;

	PAIR_OPEN(36);
	ASSERT_TRUE(merged(self, PAGES));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));

	/* Moved: still the frames, and a write through it is a COW. */
	moved = mmap(NULL, PAGES * OVC_PG, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);	/* a free place */
	ASSERT_NE(MAP_FAILED, moved);
	moved = mremap(a, PAGES * OVC_PG, PAGES * OVC_PG, MREMAP_MAYMOVE |
		       MREMAP_FIXED, moved);
	ASSERT_NE(MAP_FAILED, moved);
	a = moved;
	ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 36));
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 36));	/* maps b */
	ASSERT_EQ(ovc_pfn(a + 5 * OVC_PG), ovc_pfn(b + 5 * OVC_PG));
	a[5 * OVC_PG] ^= 1;
	ASSERT_NE(ovc_pfn(a + 5 * OVC_PG), ovc_pfn(b + 5 * OVC_PG));
	a[5 * OVC_PG] ^= 1;

	/* MADV_DONTNEED: the PTEs go, the bytes and the sharing stay. */
	ASSERT_EQ(0, madvise(a, PAGES * OVC_PG, MADV_DONTNEED));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ((__u64)PAGES - 1, info.shared_pages);
	ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 36));

	/* MADV_REMOVE: a punch through the mapping. */
	ASSERT_EQ(0, madvise(a + 16 * OVC_PG, 4 * OVC_PG, MADV_REMOVE));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ(4ULL, info.balloon_pages);
	ASSERT_EQ(-1, ovc_check_zero(a + 16 * OVC_PG, 4 * OVC_PG));
	ASSERT_EQ(-1, ovc_check(b + 16 * OVC_PG, 4 * OVC_PG, 16 * OVC_PG, 36));

	/* MADV_POPULATE_WRITE: every shared slot of the range is private. */
	ASSERT_EQ(0, madvise(a + 32 * OVC_PG, 32 * OVC_PG,
			     MADV_POPULATE_WRITE));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ((__u64)PAGES - 1 - 4 - 32, info.shared_pages);
	ASSERT_EQ(-1, ovc_check(a + 32 * OVC_PG, 32 * OVC_PG, 32 * OVC_PG, 36));
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 36));
	PAIR_CLOSE();
}

/*
 * A VM (the process writing its RAM) killed at random moments while its
 * pages merge: the file lives on with intact bytes, and goes cleanly.
 * The file holds its bytes before the first child starts (each child
 * writes the same bytes again: merges and copy-on-write breaks, no
 * change), so the check does not depend on how far a child got.
 */
TEST_F_TIMEOUT(race, vm_killed_mid_merge, 60)
{
	int fd = vm_open(self, "a", PAGES), peer = vm_open(self, "b", PAGES);
	char *a, *b;
	int k;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, peer);
	a = vm_map(fd, PAGES);
	b = vm_map(peer, PAGES);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ovc_fill(a, PAGES * OVC_PG, 0, 37);
	ovc_fill(b, PAGES * OVC_PG, 0, 37);
	munmap(a, PAGES * OVC_PG);
	for (k = 0; k < 8; k++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			a = vm_map(fd, PAGES);
			if (!a)
				_exit(1);
			for (;;)
				ovc_fill(a, PAGES * OVC_PG, 0, 37);
		}
		usleep(50000 + 30000 * k);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(128 + SIGKILL, ovc_wait_child(pid));
	}
	a = vm_map(fd, PAGES);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(-1, ovc_check(a, PAGES * OVC_PG, 0, 37));
	munmap(a, PAGES * OVC_PG);
	ASSERT_EQ(-1, ovc_check(b, PAGES * OVC_PG, 0, 37));
	munmap(b, PAGES * OVC_PG);
	close(fd);
	close(peer);
}

/* The faulter of truncate_ballooned_latency: its longest fault. */
struct faulter {
	char *map;
	size_t pages;
	volatile int stop;
	double max_ms;
	volatile unsigned long faults;
};

static void *faulter_fn(void *arg)
{
	struct faulter *f = arg;
	size_t i = 0;

	/* A new page each time (a punch to reuse them would wait for i_rwsem). */
	while (!f->stop && i < f->pages) {
		double t0 = ovc_now(), ms;

		f->map[i++ * OVC_PG] = 1;
		ms = (ovc_now() - t0) * 1000;
		if (ms > f->max_ms)
			f->max_ms = ms;
		f->faults++;
	}
	return NULL;
}

/*
 * A truncate that erases many ballooned slots (a guest that gave most of
 * its RAM back, then is resized or torn down) must not hold the VM's lock
 * all along: a fault of the same VM, which needs that lock, waits at most
 * one batch.  Measured against the truncate itself, in the same run: the
 * longest fault is a small part of it, not nearly all of it.
 *
 * Under TCG a fault now and then takes 10-20 ms whatever the truncate
 * does (the vCPU is not running); a truncate of 48 ms made that a quarter
 * of it.  So a round that took less than OVC_TRUNC_MIN_MS doubles the
 * slots of the next (up to 2^20): the floor stays a small part of the
 * truncate, and a lock held all along still makes the ratio about 1.
 */
#define OVC_TRUNC_MIN_MS	250

TEST_F_TIMEOUT(race, truncate_ballooned_latency, 300)
{
	const size_t keep = 65536;
	size_t pages = 262144;
	double best = 1e9;
	struct faulter f;
	pthread_t th;
	int fd, round;
	char *map;

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	fd = vm_open(self, "big", pages);
	ASSERT_LE(0, fd);
	for (round = 0; round < 3; round++) {
		double t0, t1, ms, ratio;

		ASSERT_EQ(0, ftruncate(fd, pages * OVC_PG));
		map = vm_map(fd, pages);
		ASSERT_NE(NULL, map);
		/* Read faults (zero frame slots), then all punched: ballooned. */
		ASSERT_EQ(0, madvise(map, pages * OVC_PG, MADV_POPULATE_READ));
		ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, 0, pages * OVC_PG));
		memset(&f, 0, sizeof(f));
		f.map = map;
		f.pages = keep;
		ASSERT_EQ(0, pthread_create(&th, NULL, faulter_fn, &f));
		usleep(100000);
		t0 = ovc_now();
		ASSERT_EQ(0, ftruncate(fd, keep * OVC_PG));
		t1 = ovc_now();
		/* The faulter ran all along: it has pages left to fault. */
		ASSERT_GT(keep, f.faults);
		usleep(20000);
		f.stop = 1;
		pthread_join(th, NULL);
		ms = (t1 - t0) * 1000;
		ratio = f.max_ms / ms;
		TH_LOG("truncate of %zu ballooned slots: %.1f ms; longest of %lu faults meanwhile: %.2f ms (%.2f of it)",
		       pages - keep, ms, f.faults, f.max_ms, ratio);
		if (ratio < best)
			best = ratio;
		munmap(map, pages * OVC_PG);
		ASSERT_EQ(0, ftruncate(fd, 0));
		if (ms < OVC_TRUNC_MIN_MS && pages < (1UL << 20))
			pages *= 2;
	}
	close(fd);
	ASSERT_GT(0.25, best) TH_LOG("faults waited for most of the truncate");
}

/* The kernel log from now on: /dev/kmsg, at its end, not blocking. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The first record since kmsg_open() that reports a CPU held too long (a
 * soft lockup, an RCU stall, a hung task) or any other kernel bug, copied
 * into @buf; false if there is none.
 */
static bool kmsg_report(int fd, char *buf, size_t len)
{
	static const char * const bad[] = {
		"soft lockup", "rcu_preempt detected stall",
		"rcu_sched detected stall", "blocked for more than",
		"BUG:", "WARNING:",
	};
	char rec[1024];
	ssize_t n;
	size_t i;

	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten: go on */
				continue;
			break;			/* EAGAIN: the end */
		}
		rec[n] = '\0';
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(rec, bad[i])) {
				snprintf(buf, len, "%s", rec);
				return true;
			}
		}
	}
	return false;
}

static int watchdog_thresh(int set)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/watchdog_thresh", O_RDWR | O_CLOEXEC);
	int old = -1;

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		old = atoi(buf);
	snprintf(buf, sizeof(buf), "%d\n", set);
	if (pwrite(fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf))
		old = -1;
	close(fd);
	return old;
}

/*
 * A VM file @name of @pages slots, every one ballooned: read-faulted (the
 * zero frame), then punched, as a guest that gave all its RAM back.
 * Return: its fd, or -1.
 */
static int vm_ballooned(FIXTURE_DATA(race) *self, const char *name,
			size_t pages)
{
	int fd = vm_open(self, name, pages);
	char *map = fd < 0 ? NULL : vm_map(fd, pages);
	int err;

	if (!map) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	err = madvise(map, pages * OVC_PG, MADV_POPULATE_READ);
	munmap(map, pages * OVC_PG);
	if (!err)
		err = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, pages * OVC_PG);
	if (err) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A million ballooned slots (4 GiB of a guest that gave it all back)
 * truncated with the soft-lockup watchdog at 2 s (watchdog_thresh=1):
 * the erase goes in batches that reschedule, so the console stays clean.
 */
TEST_F_TIMEOUT(race, truncate_million_ballooned_watchdog, 600)
{
	const size_t pages = 1UL << 20;
	char rep[1024];
	int fd, kmsg, old;
	double t0, t1;

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	fd = vm_ballooned(self, "huge", pages);
	ASSERT_LE(0, fd);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %m");
	old = watchdog_thresh(1);
	ASSERT_LT(0, old) TH_LOG("watchdog_thresh: %m");
	t0 = ovc_now();
	ASSERT_EQ(0, ftruncate(fd, 0));
	t1 = ovc_now();
	close(fd);
	sleep(3);	/* a lockup is reported 2 s after it began */
	EXPECT_EQ(1, watchdog_thresh(old));
	TH_LOG("truncate of %zu ballooned slots: %.0f ms", pages,
	       (t1 - t0) * 1000);
	EXPECT_FALSE(kmsg_report(kmsg, rep, sizeof(rep)))
		TH_LOG("kernel log: %s", rep);
	close(kmsg);
}

/* unlink_latency_while_scanning: close, unmap and unlink @name. */
static double vm_remove(FIXTURE_DATA(race) *self, const char *name, int fd,
			char *map, size_t pages)
{
	char path[PATH_MAX];
	double t0 = ovc_now();

	snprintf(path, sizeof(path), "%s/%s", self->dir, name);
	munmap(map, pages * OVC_PG);
	close(fd);
	if (unlink(path))
		return -1;
	return ovc_now() - t0;
}

/*
 * A VM torn down (the last unmap, close and unlink: eviction) while the
 * scanner runs at full speed over a big, mostly ballooned host waits for
 * one chunk of the scanner's walk at most, not for a whole walk.  Measured
 * against the time of a full scan, in the same run.
 */
TEST_F_TIMEOUT(race, unlink_latency_while_scanning, 300)
{
	const size_t big = 1UL << 19;
	double t0, full, worst = 0;
	int bfd, fd, round;
	char *map;

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	bfd = vm_ballooned(self, "big", big);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	ASSERT_EQ(0, ovc_wait_full_scans(&self->sh, 1, 60));
	t0 = ovc_now();
	ASSERT_EQ(0, ovc_wait_full_scans(&self->sh, 2, 60));
	full = (ovc_now() - t0) / 2;
	for (round = 0; round < 3; round++) {
		double t;

		fd = vm_open(self, "vm", PAGES);
		ASSERT_LE(0, fd);
		map = vm_map(fd, PAGES);
		ASSERT_NE(NULL, map);
		ovc_fill(map, PAGES * OVC_PG, 0, 40 + round);
		/* The scanner has records of the VM's pages to drop. */
		ASSERT_EQ(0, ovc_wait_full_scans(&self->sh, 2, 60));
		usleep(full * 1e6 / 2);	/* somewhere in the walk */
		t = vm_remove(self, "vm", fd, map, PAGES);
		ASSERT_LE(0, t);
		TH_LOG("teardown while scanning: %.2f ms (a full scan %.1f ms)",
		       t * 1000, full * 1000);
		if (t > worst)
			worst = t;
	}
	close(bfd);
	ASSERT_GT(0.25, worst / full)
		TH_LOG("a teardown waited for most of a scanner walk");
}

TEST_HARNESS_MAIN
