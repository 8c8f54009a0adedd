// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM is charged to the memory cgroup of the task that faults it in
 * (issue 8, defect 3), as tmpfs pages are: a QEMU in a cgroup with
 * memory.max cannot touch more than that, memory.current shows the pages,
 * and they are uncharged when the VM file frees them.  At memory.max the
 * cgroup's reclaim stores its own VM's pages (ovc's shrinker is memcg
 * aware, issue 10) instead of OOM-killing it, when ovc has room for them.
 *
 * cgroup2 is mounted at /sys/fs/cgroup if it is not there already (the
 * test VM's init mounts none), with the memory controller enabled below
 * the root.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <linux/magic.h>
#include "ovc_test_util.h"
#include "ovc_share_util.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define MIB		(1024UL * 1024)

FIXTURE(memcg) {
	struct ovc_vmfile f;
	char cg[PATH_MAX];
	bool mounted;
	char max_percent[32], shrink[32];
};

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	ssize_t len = strlen(val);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		err = -errno;
	close(fd);
	return err;
}

static long long cg_read(const char *dir, const char *file)
{
	char path[PATH_MAX + 64], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

FIXTURE_SETUP(memcg)
{
	struct statfs sf;

	self->cg[0] = '\0';
	ovc_vmfile_setup(_metadata, &self->f);
	ovc_sysfs_get_str("compress_max_percent", self->max_percent,
			  sizeof(self->max_percent));
	ovc_sysfs_get_str("shrink", self->shrink, sizeof(self->shrink));
	ASSERT_NE(0, self->max_percent[0]);
	ASSERT_NE(0, self->shrink[0]);
	if (statfs(CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		ASSERT_EQ(0, mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2 on " CG_ROOT ": %m");
		self->mounted = true;
	}
	ASSERT_EQ(0, cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"))
		TH_LOG("enable the memory controller");
	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/ovcst-%d", getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755)) TH_LOG("mkdir %s: %m", self->cg);
}

FIXTURE_TEARDOWN(memcg)
{
	ovc_vmfile_teardown(_metadata, &self->f);
	if (self->cg[0])
		EXPECT_EQ(0, rmdir(self->cg)) TH_LOG("rmdir %s: %m", self->cg);
	if (self->mounted)
		EXPECT_EQ(0, umount(CG_ROOT));
	if (self->max_percent[0])
		EXPECT_EQ(0, ovc_sysfs_write("compress_max_percent",
					     self->max_percent));
	if (self->shrink[0])
		EXPECT_EQ(0, ovc_sysfs_write("shrink", self->shrink));
}

/* A "key value" line of the cgroup's @file (memory.stat, .events), or -1. */
static long long cg_key(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX + 64], line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * A task in a 32 MiB cgroup touching 128 MiB of a VM file does not get
 * there when ovc has nowhere to put pages (compressed cache off, no swap
 * store): the memcg OOM killer stops it (the pages stay charged, as tmpfs
 * pages without swap do).
 */
TEST_F_TIMEOUT(memcg, limit_holds, 120)
{
	struct ovc_vmfile *f = &self->f;
	const size_t len = 128 * MIB;
	long long cur, resident;
	char pid_s[32];
	pid_t pid;
	int rc;

	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "33554432"));
	ASSERT_EQ(0, ftruncate(f->fd, len));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *map;
		size_t i;

		snprintf(pid_s, sizeof(pid_s), "%d", getpid());
		if (cg_write(self->cg, "cgroup.procs", pid_s))
			_exit(100);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   f->fd, 0);
		if (map == MAP_FAILED)
			_exit(101);
		for (i = 0; i < len; i += OVC_PG)
			map[i] = 1;
		_exit(0);
	}
	rc = ovc_wait_child(pid);
	ASSERT_NE(0, rc) TH_LOG("touched 128 MiB in a 32 MiB cgroup");
	ASSERT_TRUE(rc != 100 && rc != 101) TH_LOG("child setup failed: %d", rc);
	TH_LOG("child ended with %d (128 + signal)", rc);
	resident = ovc_resident(f);
	cur = cg_read(self->cg, "memory.current");
	TH_LOG("resident %lld pages, memory.current %lld", resident, cur);
	ASSERT_GE(34 * (long long)MIB, resident * (long long)OVC_PG);
	/* The VM's pages are the cgroup's: most of its 32 MiB. */
	ASSERT_LE(resident * (long long)OVC_PG - 2 * (long long)MIB, cur);
	ASSERT_LE(16 * (long long)MIB, cur);

	/* Freed pages are uncharged. */
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ASSERT_EQ(0, ovc_resident(f));
	cur = cg_read(self->cg, "memory.current");
	ASSERT_GT(4 * (long long)MIB, cur) TH_LOG("memory.current %lld", cur);
}

/*
 * The same task, with room in the compressed cache: the cgroup's reclaim
 * stores its VM's pages (the memcg-aware shrinker), so the task writes
 * all 128 MiB and ends well, no OOM kill, memory.current stays within
 * the limit, and every page reads back intact.
 */
TEST_F_TIMEOUT(memcg, limit_reclaims, 300)
{
	struct ovc_vmfile *f = &self->f;
	const size_t len = 128 * MIB;
	long long cur, stored;
	char pid_s[32];
	pid_t pid;

	ASSERT_EQ(0, ovc_sysfs_write("shrink", "1"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "33554432"));
	ASSERT_EQ(0, ftruncate(f->fd, len));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *map;

		snprintf(pid_s, sizeof(pid_s), "%d", getpid());
		if (cg_write(self->cg, "cgroup.procs", pid_s))
			_exit(100);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   f->fd, 0);
		if (map == MAP_FAILED)
			_exit(101);
		ovc_fill_compressible(map, len / OVC_PG, 0, 43);
		_exit(0);
	}
	ASSERT_EQ(0, ovc_wait_child(pid))
		TH_LOG("128 MiB in a 32 MiB cgroup: not reclaimed");
	stored = ovc_vm_stat(f, "compressed_pages");
	cur = cg_read(self->cg, "memory.current");
	TH_LOG("%lld pages stored, resident %lld, memory.current %lld",
	       stored, ovc_resident(f), cur);
	EXPECT_LE(cur, 32 * (long long)MIB);
	EXPECT_LE(64 * (long long)MIB, stored * (long long)OVC_PG);
	EXPECT_EQ(0, cg_key(self->cg, "memory.events", "oom_kill"));
	ovc_vmfile_map(_metadata, f, len);
	EXPECT_EQ(-1, ovc_check_compressible(f->map, len / OVC_PG, 0, 43));
}

/* write() is charged to the writer's cgroup too. */
TEST_F(memcg, write_charged)
{
	struct ovc_vmfile *f = &self->f;
	char pid_s[32];
	pid_t pid;

	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "max"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static char buf[1024 * 1024];
		int i;

		snprintf(pid_s, sizeof(pid_s), "%d", getpid());
		if (cg_write(self->cg, "cgroup.procs", pid_s))
			_exit(100);
		memset(buf, 1, sizeof(buf));
		for (i = 0; i < 16; i++)
			if (pwrite(f->fd, buf, sizeof(buf), i * sizeof(buf)) !=
			    (ssize_t)sizeof(buf))
				_exit(101);
		_exit(0);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ(4096, ovc_resident(f));
	ASSERT_LE(16 * (long long)MIB, cg_read(self->cg, "memory.current"));
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ASSERT_GT(4 * (long long)MIB, cg_read(self->cg, "memory.current"));
}

/*
 * The scanner, a kernel thread, charges what it allocates for a VM (its
 * records, their xarray, frames) to the cgroup of the process that mapped
 * the VM, and the records of pages that are gone are freed again: the
 * cgroup's slab follows.
 */
TEST_F_TIMEOUT(memcg, scanner_overhead_charged, 180)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 8192;
	long long s0, s1, s2;
	struct ovc_share sh;
	char pid_s[32];
	pid_t pid;

	ASSERT_EQ(0, ovc_share_open(&sh));
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "max"));
	ASSERT_EQ(0, ftruncate(f->fd, pages * OVC_PG));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *map;

		snprintf(pid_s, sizeof(pid_s), "%d", getpid());
		if (cg_write(self->cg, "cgroup.procs", pid_s))
			_exit(100);
		map = mmap(NULL, pages * OVC_PG, PROT_READ | PROT_WRITE,
			   MAP_SHARED, f->fd, 0);
		if (map == MAP_FAILED)
			_exit(101);
		ovc_fill(map, pages * OVC_PG, 0, 41);	/* all distinct */
		_exit(0);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	sleep(3);	/* memcg statistics are flushed every 2 s */
	s0 = cg_key(self->cg, "memory.stat", "slab");
	ASSERT_LE(0, s0);
	ASSERT_EQ(0, ovc_share_fast());
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	EXPECT_EQ(0, ovc_wait_full_scans(&sh, 2, 120));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	sleep(3);
	s1 = cg_key(self->cg, "memory.stat", "slab");
	TH_LOG("cgroup slab %lld -> %lld bytes for %zu records", s0, s1, pages);
	/* A record is 40 bytes; a hint in the table costs no more. */
	EXPECT_LE(s0 + 32 * (long long)pages, s1)
		TH_LOG("the scanner's records are not the cgroup's");

	/* The pages go, the next round frees their records. */
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	EXPECT_EQ(0, ovc_wait_full_scans(&sh, 2, 120));
	sleep(3);
	s2 = cg_key(self->cg, "memory.stat", "slab");
	TH_LOG("after the truncate: %lld bytes", s2);
	EXPECT_GE(s1 - 16 * (long long)pages, s2)
		TH_LOG("records of truncated pages not freed");
	EXPECT_EQ(0, ovc_share_restore(&sh));
	ovc_share_close(&sh);
}

TEST_HARNESS_MAIN
