// SPDX-License-Identifier: GPL-2.0
/*
 * Content-based page sharing: the scanner (knobs run, pages_to_scan,
 * sleep_millisecs, zero_only) merges equal pages of VM files of one sharing
 * domain into read-only frames, and zero pages of any VM into that VM's
 * zero frame; a write breaks copy-on-write and the other sharers keep their
 * bytes; run=2 and a domain change unmerge; punch, truncate and unlink
 * drop shared slots.  Counts are checked exactly: global (pages_shared,
 * pages_sharing, pages_zero, pages_unshared, cow_breaks, pages_resident)
 * and per VM (resident_pages, shared_pages, zero_pages, cow_breaks,
 * saved_pages, balloon_pages, OVC_IOC_VM_INFO).
 *
 * Every test saves the knobs, runs the scanner at its fastest and restores
 * them at the end after run=2.  Skipped when the module has no `run` knob.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include "ovc_test_util.h"
#include "ovc_share_util.h"
#include "ovc_nbd_util.h"

#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define NFILES		4
/* Other owners for files that must not share (mode 1777 directory). */
#define UID_A		OVC_NOBODY
#define UID_B		(OVC_NOBODY - 1)
/* Rounds to wait for fresh pages to merge: see ovc_wait_full_scans(). */
#define MERGE_ROUNDS	2
/* ...and for pages the scanner saw before with other contents. */
#define REMERGE_ROUNDS	3
#define WAIT_S		60

/* The per-VM statistics of one file, opened once. */
enum {
	VS_RESIDENT,
	VS_SHARED,
	VS_ZERO,
	VS_COW,
	VS_SAVED,
	VS_BALLOON,
	NR_VS,
};

static const char * const vs_names[NR_VS] = {
	[VS_RESIDENT]	= "resident_pages",
	[VS_SHARED]	= "shared_pages",
	[VS_ZERO]	= "zero_pages",
	[VS_COW]	= "cow_breaks",
	[VS_SAVED]	= "saved_pages",
	[VS_BALLOON]	= "balloon_pages",
};

struct sfile {
	char path[PATH_MAX];
	int fd;
	unsigned long long id;
	char *map;
	size_t len;
	int vs[NR_VS];
};

struct dio_test;
static void dio_test_end(struct __test_metadata *_metadata,
			 struct dio_test *d);

/*
 * A directory of mode 1777 under the mount for the test's VM files (other
 * uids create theirs there too), the global counters and the scanner.
 */
FIXTURE(share) {
	char dir[256];
	struct ovc_counters cnt;
	struct ovc_share sh;
	bool knobs_changed;
	long long base[OVC_NR_STATS];
	struct sfile f[NFILES];
	pid_t child;		/* a test's child that maps files, or -1 */
	char mnt[64];		/* a test's own ovcfs instance, or "" */
	struct dio_test *dio;	/* cow_odirect_write's device, or NULL */
};

FIXTURE_SETUP(share)
{
	int i, k;

	self->child = -1;
	self->mnt[0] = '\0';
	for (i = 0; i < NFILES; i++) {
		self->f[i].fd = -1;
		self->f[i].map = MAP_FAILED;
		for (k = 0; k < NR_VS; k++)
			self->f[i].vs[k] = -1;
	}
	OVC_SHARE_SETUP_REQUIRE();
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()));
	ASSERT_EQ(0, ovc_counters_open(&self->cnt));
	ASSERT_EQ(0, ovc_share_open(&self->sh)) TH_LOG("sharing statistics");
	snprintf(self->dir, sizeof(self->dir), "%s/ovcst-%d-%.64s",
		 ovc_mnt(), getpid(), _metadata->name);
	ASSERT_EQ(0, mkdir(self->dir, 0700)) TH_LOG("%s: %m", self->dir);
	if (chmod(self->dir, 01777)) {
		rmdir(self->dir);
		ASSERT_TRUE(false) TH_LOG("chmod %s: %m", self->dir);
	}
	/* From here on the teardown undoes everything. */
	self->knobs_changed = true;
	for (i = 0; i < OVC_NR_STATS; i++)
		self->base[i] = ovc_stat(&self->sh, i);
	ASSERT_EQ(0, ovc_share_fast());
}

static void sfile_close(struct sfile *f)
{
	int k;

	if (f->map != MAP_FAILED)
		munmap(f->map, f->len);
	f->map = MAP_FAILED;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	for (k = 0; k < NR_VS; k++) {
		if (f->vs[k] >= 0)
			close(f->vs[k]);
		f->vs[k] = -1;
	}
}

FIXTURE_TEARDOWN(share)
{
	int i;

	if (self->dio)		/* first: a writer may still read file 0's map */
		dio_test_end(_metadata, self->dio);
	self->dio = NULL;
	if (self->child > 0) {	/* a failed test left it: its maps too */
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->mnt[0]) {
		for (i = 0; i < NFILES; i++)
			sfile_close(&self->f[i]);
		EXPECT_EQ(0, umount2(self->mnt, MNT_DETACH));
		EXPECT_EQ(0, rmdir(self->mnt));
	}
	for (i = 0; i < NFILES; i++)
		sfile_close(&self->f[i]);
	if (self->knobs_changed)
		EXPECT_EQ(0, ovc_share_restore(&self->sh))
			TH_LOG("restoring the scanner's knobs");
	for (i = 0; i < OVC_NR_KNOBS; i++)
		EXPECT_EQ(self->sh.knob0[i], ovc_knob(i))
			TH_LOG("%s not restored", ovc_knob_name(i));
	EXPECT_EQ(0, ovc_rm_rf(self->dir)) TH_LOG("rm %s: %m", self->dir);
	EXPECT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt))
		TH_LOG("nr_vms not back after the test");
	EXPECT_EQ(self->cnt.pages0, ovc_pages(&self->cnt))
		TH_LOG("pages_resident not back after the test");
	for (i = OVC_ST_SHARED; i <= OVC_ST_UNSHARED; i++)
		EXPECT_EQ(self->base[i], ovc_stat(&self->sh, i))
			TH_LOG("%s not back after the test", ovc_stat_names[i]);
	ovc_share_close(&self->sh);
	ovc_counters_close(&self->cnt);
}

/*
 * Create file @k of @pages pages in the test's directory, as @uid (in a
 * child, so that the file is that uid's), then open and map it as root and
 * open its per-VM statistics.  The file stays in its own sharing domain,
 * the default.
 */
static void sfile_create_own(struct __test_metadata *_metadata,
			     FIXTURE_DATA(share) *self, int k, uid_t uid,
			     size_t pages)
{
	struct sfile *f = &self->f[k];
	struct ovc_vm_info info;
	int i;
	char path[sizeof(f->path)];

	snprintf(path, sizeof(path), "%s/vm%d", self->dir, k);
	memcpy(f->path, path, sizeof(path));
	if (uid) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd;

			if (ovc_become(uid, uid))
				_exit(100);
			fd = open(f->path, O_RDWR | O_CREAT | O_EXCL, 0600);
			_exit(fd < 0 ? 101 : 0);
		}
		ASSERT_EQ(0, ovc_wait_child(pid)) TH_LOG("create as %u", uid);
		f->fd = open(f->path, O_RDWR | O_CLOEXEC);
	} else {
		f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600);
	}
	ASSERT_LE(0, f->fd) TH_LOG("%s: %m", f->path);
	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ(uid, info.owner_uid);
	f->id = info.id;
	for (i = 0; i < NR_VS; i++) {
		f->vs[i] = ovc_sysfs_open("vms/%llu/%s", f->id, vs_names[i]);
		ASSERT_LE(0, f->vs[i]) TH_LOG("vms/%llu/%s", f->id, vs_names[i]);
	}
	f->len = pages * OVC_PG;
	ASSERT_EQ(0, ftruncate(f->fd, f->len));
	f->map = mmap(NULL, f->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	ASSERT_NE(MAP_FAILED, f->map);
}

/*
 * As sfile_create_own(), then group the file with the other files of @uid:
 * the administrator puts it in sharing domain @uid, as most tests want
 * files that share.
 */
static void sfile_create(struct __test_metadata *_metadata,
			 FIXTURE_DATA(share) *self, int k, uid_t uid,
			 size_t pages)
{
	sfile_create_own(_metadata, self, k, uid, pages);
	ASSERT_EQ(0, ovc_set_domain(self->f[k].fd, uid));
}

/* Pages [first, first + n) of @f get the pattern @seed (per offset). */
static void fill(struct sfile *f, size_t first, size_t n, unsigned int seed)
{
	ovc_fill(f->map + first * OVC_PG, n * OVC_PG, first * OVC_PG, seed);
}

/* Pages [first, first + n) of @f are touched and left zero. */
static void touch_zero(struct sfile *f, size_t first, size_t n)
{
	size_t i;

	for (i = first; i < first + n; i++)
		((volatile char *)f->map)[i * OVC_PG] = 0;
}

/* Return: the first page of [first, first + n) not holding @seed, or -1. */
static ssize_t bad_page(struct sfile *f, size_t first, size_t n,
			unsigned int seed)
{
	static char buf[OVC_PG];
	size_t i;

	for (i = first; i < first + n; i++) {
		if (ovc_check(f->map + i * OVC_PG, OVC_PG, i * OVC_PG, seed) >= 0)
			return i;
		if (pread(f->fd, buf, OVC_PG, i * OVC_PG) != (ssize_t)OVC_PG ||
		    ovc_check(buf, OVC_PG, i * OVC_PG, seed) >= 0)
			return i;
	}
	return -1;
}

/* Return: the first page of [first, first + n) not all zero, or -1. */
static ssize_t nonzero_page(struct sfile *f, size_t first, size_t n)
{
	static char buf[OVC_PG];
	size_t i;

	for (i = first; i < first + n; i++) {
		if (ovc_check_zero(f->map + i * OVC_PG, OVC_PG) >= 0)
			return i;
		if (pread(f->fd, buf, OVC_PG, i * OVC_PG) != (ssize_t)OVC_PG ||
		    ovc_check_zero(buf, OVC_PG) >= 0)
			return i;
	}
	return -1;
}

#define vstat(k, s)	ovc_counter(self->f[k].vs[s])
#define gstat(s)	ovc_stat(&self->sh, s)
/* A global statistic, relative to its value when the test started. */
#define gdelta(s)	(gstat(s) - self->base[s])

/* File @k: resident, shared and zero pages; saved = shared + zero. */
#define ASSERT_VM(k, res, shared, zero) do {				\
	struct ovc_vm_info __i;						\
									\
	ASSERT_EQ((long long)(res), vstat(k, VS_RESIDENT))		\
		TH_LOG("vm%d resident_pages", k);			\
	ASSERT_EQ((long long)(shared), vstat(k, VS_SHARED))		\
		TH_LOG("vm%d shared_pages", k);				\
	ASSERT_EQ((long long)(zero), vstat(k, VS_ZERO))			\
		TH_LOG("vm%d zero_pages", k);				\
	ASSERT_EQ((long long)(shared) + (long long)(zero), vstat(k, VS_SAVED))	\
		TH_LOG("vm%d saved_pages", k);				\
	ASSERT_EQ(0, ovc_vm_info(self->f[k].fd, &__i));			\
	ASSERT_EQ((__u64)(res), __i.resident_pages);			\
	ASSERT_EQ((__u64)(shared), __i.shared_pages);			\
	ASSERT_EQ((__u64)(zero), __i.zero_pages);			\
} while (0)

/*
 * Pages [0, n) of files 0 and 1, mapped here, are one physical page each
 * (merged) or all distinct (not): proven by their PFNs, not ovc's counters.
 */
#define ASSERT_SAME_PFNS(n) do {					\
	size_t __p;							\
									\
	for (__p = 0; __p < (n); __p++) {				\
		uint64_t __a = ovc_pfn(self->f[0].map + __p * OVC_PG);	\
									\
		ASSERT_NE(0ULL, __a) TH_LOG("page %zu not mapped", __p); \
		ASSERT_EQ(__a, ovc_pfn(self->f[1].map + __p * OVC_PG))	\
			TH_LOG("page %zu: two PFNs", __p);		\
	}								\
} while (0)

#define ASSERT_DISTINCT_PFNS(n) do {					\
	size_t __p;							\
									\
	for (__p = 0; __p < (n); __p++) {				\
		uint64_t __a = ovc_pfn(self->f[0].map + __p * OVC_PG);	\
		uint64_t __b = ovc_pfn(self->f[1].map + __p * OVC_PG);	\
									\
		ASSERT_NE(0ULL, __a) TH_LOG("page %zu not mapped", __p); \
		ASSERT_NE(0ULL, __b) TH_LOG("page %zu not mapped", __p); \
		ASSERT_NE(__a, __b) TH_LOG("page %zu: one PFN", __p);	\
	}								\
} while (0)

/* Global: frames, sharing slots beyond them, zero slots (relative). */
#define ASSERT_GLOBAL(shared, sharing, zero) do {			\
	ASSERT_EQ((long long)(shared), gdelta(OVC_ST_SHARED))		\
		TH_LOG("pages_shared");					\
	ASSERT_EQ((long long)(sharing), gdelta(OVC_ST_SHARING))		\
		TH_LOG("pages_sharing");				\
	ASSERT_EQ((long long)(zero), gdelta(OVC_ST_ZERO))		\
		TH_LOG("pages_zero");					\
} while (0)

#define ASSERT_PAGES_RESIDENT(n) do {					\
	ASSERT_EQ(self->cnt.pages0 + (long long)(n), ovc_pages(&self->cnt)) \
		TH_LOG("global pages_resident");			\
} while (0)

/* Run the scanner for @rounds full scans, then stop it. */
#define SCAN(rounds) do {						\
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));			\
	ASSERT_EQ(0, ovc_wait_full_scans(&self->sh, rounds, WAIT_S))	\
		TH_LOG("full_scans did not rise by %d in %d s",		\
		       rounds, WAIT_S);					\
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));			\
} while (0)


static int set_domain_sysfs(struct sfile *f, const char *val)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "vms/%llu/share_domain", f->id);
	return ovc_sysfs_write(rel, val);
}

static long long domain_of(struct sfile *f)
{
	struct ovc_vm_info info;
	long long d = ovc_sysfs_value("vms/%llu/share_domain", f->id);

	if (ovc_vm_info(f->fd, &info) || info.share_domain != d)
		return -1;
	return d;
}

/* The files, their modes, the defaults; a new VM shares nothing. */
TEST_F(share, sysfs_files)
{
	static const struct {
		const char *name;
		mode_t mode;
	} files[] = {
		{ "run", 0644 }, { "pages_to_scan", 0644 },
		{ "sleep_millisecs", 0644 }, { "zero_only", 0644 },
		{ "pages_shared", 0444 }, { "pages_sharing", 0444 },
		{ "pages_zero", 0444 }, { "pages_unshared", 0444 },
		{ "pages_volatile", 0444 }, { "pages_scanned", 0444 },
		{ "full_scans", 0444 }, { "cow_breaks", 0444 },
		{ "hint_stale", 0444 }, { "pages_pinned", 0444 },
		{ "chain_capped", 0444 }, { "hash_seed", 0400 },
		{ "vms/%llu/shared_pages", 0444 },
		{ "vms/%llu/zero_pages", 0444 },
		{ "vms/%llu/cow_breaks", 0444 },
		{ "vms/%llu/saved_pages", 0444 },
		{ "vms/%llu/share_domain", 0644 },
	};
	char rel[PATH_MAX], path[PATH_MAX + 64];
	struct ovc_vm_info info;
	struct stat st;
	size_t i;
	int k;

	sfile_create_own(_metadata, self, 0, 0, 4);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(rel, sizeof(rel), files[i].name, self->f[0].id);
		snprintf(path, sizeof(path), "%s/%s", OVC_SYSFS_ROOT, rel);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %m", path);
		ASSERT_EQ(files[i].mode, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
		ASSERT_LE(0, ovc_sysfs_value("%s", rel))
			TH_LOG("%s: not a decimal value and a newline", rel);
		if (!(files[i].mode & 0200)) {
			ASSERT_EQ(-1, open(path, O_WRONLY | O_CLOEXEC));
			ASSERT_EQ(EACCES, errno) TH_LOG("%s", path);
		}
	}
	/* As the module was loaded (unless someone changed them). */
	for (k = 0; k < OVC_NR_KNOBS; k++)
		EXPECT_EQ(ovc_knob_defaults[k], self->sh.knob0[k])
			TH_LOG("%s: not the default", ovc_knob_name(k));

	ASSERT_VM(0, 0, 0, 0);
	ASSERT_EQ(0LL, vstat(0, VS_COW));
	/* A VM shares with no other VM until an administrator groups it. */
	ASSERT_EQ((long long)OVC_SHARE_DOMAIN_OWN, domain_of(&self->f[0]));
	ASSERT_EQ(0, ovc_vm_info(self->f[0].fd, &info));
	ASSERT_EQ(0ULL, info.cow_breaks);
	ASSERT_EQ(0U, info.reserved32);
}

/*
 * Two files with equal contents merge page by page; their pages stop
 * counting as resident; bytes are intact through the mapping and read().
 * Pages found only once stay private, as hints.
 */
TEST_F(share, equal_content_merges)
{
	const size_t n = 32, uniq = 4;
	long long scanned0 = gstat(OVC_ST_SCANNED);
	long long full0 = gstat(OVC_ST_FULL_SCANS);

	sfile_create(_metadata, self, 0, 0, n + uniq);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[0], 0, n, 1);
	fill(&self->f[0], n, uniq, 2);
	fill(&self->f[1], 0, n, 1);
	ASSERT_PAGES_RESIDENT(2 * n + uniq);

	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, 0);
	ASSERT_VM(0, uniq, n, 0);
	ASSERT_VM(1, 0, n, 0);
	ASSERT_PAGES_RESIDENT(uniq);
	ASSERT_EQ((long long)uniq, gdelta(OVC_ST_UNSHARED));
	ASSERT_LE(scanned0 + (long long)(2 * n + uniq), gstat(OVC_ST_SCANNED));
	ASSERT_LE(full0 + MERGE_ROUNDS, gstat(OVC_ST_FULL_SCANS));

	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 1));
	ASSERT_EQ(-1, bad_page(&self->f[0], n, uniq, 2));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 1));
	ASSERT_SAME_PFNS(n);
	/* Reading merged pages breaks nothing. */
	ASSERT_GLOBAL(n, n, 0);
	ASSERT_EQ(0LL, gdelta(OVC_ST_COW_BREAKS));
	ASSERT_EQ(0LL, vstat(0, VS_COW));

	/* Running on changes nothing: everything is merged already. */
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, 0);
	ASSERT_VM(0, uniq, n, 0);
	ASSERT_VM(1, 0, n, 0);
}

/* Three and four sharers of one frame: pages_sharing counts the saving. */
TEST_F(share, many_sharers)
{
	const size_t n = 8;
	int k;

	for (k = 0; k < NFILES; k++) {
		sfile_create(_metadata, self, k, 0, n);
		fill(&self->f[k], 0, n, 3);
	}
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, (NFILES - 1) * n, 0);
	for (k = 0; k < NFILES; k++) {
		ASSERT_VM(k, 0, n, 0);
		ASSERT_EQ(-1, bad_page(&self->f[k], 0, n, 3));
	}
	ASSERT_PAGES_RESIDENT(0);
}

/* Merge files 0 and 1, @n pages of pattern @seed each; stop the scanner. */
#define MERGE_TWO(n, seed) do {						\
	sfile_create(_metadata, self, 0, 0, n);				\
	sfile_create(_metadata, self, 1, 0, n);				\
	fill(&self->f[0], 0, n, seed);					\
	fill(&self->f[1], 0, n, seed);					\
	SCAN(MERGE_ROUNDS);						\
	ASSERT_GLOBAL(n, n, 0);						\
	ASSERT_VM(0, 0, n, 0);						\
	ASSERT_VM(1, 0, n, 0);						\
} while (0)

/*
 * A write to a merged page breaks copy-on-write: the writer gets its own
 * copy, the other sharer keeps its bytes.  The last sharer's write takes
 * the frame's page back.
 */
TEST_F(share, cow_break)
{
	const size_t n = 16;
	char buf[OVC_PG];

	MERGE_TWO(n, 4);

	/* A store through the mapping of file 0. */
	self->f[0].map[3 * OVC_PG + 10] ^= 0x5a;
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_VM(1, 0, n, 0);
	ASSERT_EQ(1LL, vstat(0, VS_COW));
	ASSERT_EQ(0LL, vstat(1, VS_COW));
	ASSERT_EQ(1LL, gdelta(OVC_ST_COW_BREAKS));
	ASSERT_GLOBAL(n, n - 1, 0);	/* frame 3 lives on for file 1 */
	ASSERT_PAGES_RESIDENT(1);
	ASSERT_EQ(10, ovc_check(self->f[0].map + 3 * OVC_PG, OVC_PG,
				3 * OVC_PG, 4));
	self->f[0].map[3 * OVC_PG + 10] ^= 0x5a;
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 4));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 4));
	/* Physically: page 3 is two pages now, the others one. */
	ASSERT_SAME_PFNS(3);
	ASSERT_NE(ovc_pfn(self->f[0].map + 3 * OVC_PG),
		  ovc_pfn(self->f[1].map + 3 * OVC_PG));
	ASSERT_EQ(ovc_pfn(self->f[0].map + 4 * OVC_PG),
		  ovc_pfn(self->f[1].map + 4 * OVC_PG));

	/* write() into file 1's page 3, the frame's last sharer. */
	memset(buf, 0x33, 100);
	ASSERT_EQ(100, pwrite(self->f[1].fd, buf, 100, 3 * OVC_PG + 200));
	ASSERT_VM(1, 1, n - 1, 0);
	ASSERT_EQ(1LL, vstat(1, VS_COW));
	ASSERT_EQ(2LL, gdelta(OVC_ST_COW_BREAKS));
	ASSERT_GLOBAL(n - 1, n - 1, 0);
	ASSERT_EQ(-1, ovc_check(self->f[1].map + 3 * OVC_PG, 200,
				3 * OVC_PG, 4));
	ASSERT_EQ(0, memcmp(self->f[1].map + 3 * OVC_PG + 200, buf, 100));
	ASSERT_EQ(-1, ovc_check(self->f[1].map + 3 * OVC_PG + 300,
				OVC_PG - 300, 3 * OVC_PG + 300, 4));
	/* File 0's page 3 did not see it. */
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 4));

	/* A write() spanning two merged pages breaks both. */
	ASSERT_EQ(2, pwrite(self->f[0].fd, "xy", 2, 6 * OVC_PG - 1));
	ASSERT_VM(0, 3, n - 3, 0);
	ASSERT_EQ(3LL, vstat(0, VS_COW));
	ASSERT_GLOBAL(n - 1, n - 3, 0);
	ASSERT_EQ('x', self->f[0].map[6 * OVC_PG - 1]);
	ASSERT_EQ('y', self->f[0].map[6 * OVC_PG]);
	ASSERT_EQ(-1, bad_page(&self->f[1], 4, 4, 4));
}

/*
 * Two processes map the same VM file: after a copy-on-write break in one,
 * the other sees the new page, not the frame it had mapped.
 */
TEST_F(share, cow_seen_by_other_mapping)
{
	const size_t n = 8;
	pid_t pid;

	MERGE_TWO(n, 5);
	/* Map the frames here first. */
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 5));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *map = mmap(NULL, n * OVC_PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->f[0].fd, 0);

		if (map == MAP_FAILED)
			_exit(1);
		map[2 * OVC_PG + 7] = 'c';
		_exit(0);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ('c', self->f[0].map[2 * OVC_PG + 7]);
	ASSERT_NE('c', self->f[1].map[2 * OVC_PG + 7]);
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 5));
}

/* Zero pages of any file join their VM's zero frame; writing one breaks it. */
TEST_F(share, zero_pages)
{
	const size_t n = 16;

	sfile_create(_metadata, self, 0, 0, n);
	sfile_create(_metadata, self, 1, UID_A, n);	/* another owner */
	touch_zero(&self->f[0], 0, n);
	/* Zeroes written over a pattern count as well. */
	fill(&self->f[1], 0, n, 6);
	memset(self->f[1].map, 0, n * OVC_PG);
	ASSERT_PAGES_RESIDENT(2 * n);

	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(0, 0, 2 * n);
	ASSERT_VM(0, 0, 0, n);
	ASSERT_VM(1, 0, 0, n);
	ASSERT_PAGES_RESIDENT(0);
	ASSERT_EQ(0LL, gdelta(OVC_ST_UNSHARED));
	ASSERT_EQ(-1, nonzero_page(&self->f[0], 0, n));
	ASSERT_EQ(-1, nonzero_page(&self->f[1], 0, n));
	/* One zero page per VM: each VM's zero frame, never another's. */
	ASSERT_NE(0ULL, ovc_pfn(self->f[0].map));
	ASSERT_EQ(ovc_pfn(self->f[0].map), ovc_pfn(self->f[0].map + 7 * OVC_PG));
	ASSERT_EQ(ovc_pfn(self->f[1].map), ovc_pfn(self->f[1].map + 7 * OVC_PG));
	ASSERT_NE(ovc_pfn(self->f[0].map), ovc_pfn(self->f[1].map));

	/* A store: a private zeroed copy with the byte. */
	self->f[0].map[5 * OVC_PG + 1] = 1;
	ASSERT_VM(0, 1, 0, n - 1);
	ASSERT_EQ(1LL, vstat(0, VS_COW));
	ASSERT_GLOBAL(0, 0, 2 * n - 1);
	ASSERT_EQ(1, ovc_check_zero(self->f[0].map + 5 * OVC_PG, OVC_PG));
	ASSERT_EQ(-1, ovc_check_zero(self->f[0].map + 5 * OVC_PG + 2,
				     OVC_PG - 2));
	/* write() too. */
	ASSERT_EQ(1, pwrite(self->f[1].fd, "z", 1, 0));
	ASSERT_VM(1, 1, 0, n - 1);
	ASSERT_EQ(-1, nonzero_page(&self->f[1], 1, n - 1));
	ASSERT_EQ(-1, nonzero_page(&self->f[0], 6, n - 6));
	ASSERT_EQ(2LL, gdelta(OVC_ST_COW_BREAKS));
}

/*
 * zero_only=1: only zero pages merge; turning it on unmerges the non-zero
 * frames at once and keeps the zero ones; turning it off lets them merge.
 */
TEST_F(share, zero_only)
{
	const size_t n = 8, z = 4;

	sfile_create(_metadata, self, 0, 0, n + z);
	sfile_create(_metadata, self, 1, 0, n + z);
	fill(&self->f[0], 0, n, 7);
	fill(&self->f[1], 0, n, 7);
	touch_zero(&self->f[0], n, z);
	touch_zero(&self->f[1], n, z);

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_ZERO_ONLY, 1));
	ASSERT_EQ(1LL, ovc_knob(OVC_KNOB_ZERO_ONLY));
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(0, 0, 2 * z);
	ASSERT_VM(0, n, 0, z);
	ASSERT_VM(1, n, 0, z);

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_ZERO_ONLY, 0));
	SCAN(REMERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, 2 * z);
	ASSERT_VM(0, 0, n, z);
	ASSERT_VM(1, 0, n, z);

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_ZERO_ONLY, 1));
	ASSERT_GLOBAL(0, 0, 2 * z);
	ASSERT_VM(0, n, 0, z);
	ASSERT_VM(1, n, 0, z);
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 7));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 7));
	ASSERT_EQ(-1, nonzero_page(&self->f[0], n, z));
	/* Setting it again to what it is unmerges nothing more. */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_ZERO_ONLY, 1));
	ASSERT_GLOBAL(0, 0, 2 * z);
}

/*
 * Files of different owners grouped by owner are in different domains:
 * their equal pages never share, zero pages do.  Putting them in one domain
 * (ioctl, sysfs) lets them share; moving one out unmerges it at once.
 */
TEST_F(share, domains)
{
	const size_t n = 8, z = 4;
	int k;

	sfile_create(_metadata, self, 0, UID_A, n + z);
	sfile_create(_metadata, self, 1, UID_B, n + z);
	sfile_create(_metadata, self, 2, 0, n + z);
	ASSERT_EQ((long long)UID_A, domain_of(&self->f[0]));
	ASSERT_EQ((long long)UID_B, domain_of(&self->f[1]));
	ASSERT_EQ(0LL, domain_of(&self->f[2]));
	for (k = 0; k < 3; k++) {
		fill(&self->f[k], 0, n, 8);
		touch_zero(&self->f[k], n, z);
	}

	SCAN(REMERGE_ROUNDS);
	ASSERT_GLOBAL(0, 0, 3 * z);
	for (k = 0; k < 3; k++)
		ASSERT_VM(k, n, 0, z);
	ASSERT_EQ(3 * (long long)n, gdelta(OVC_ST_UNSHARED));	/* all hints */

	/* Files 0 and 1 into domain 777. */
	ASSERT_EQ(0, ovc_set_domain(self->f[0].fd, 777));
	ASSERT_EQ(0, ovc_set_domain(self->f[1].fd, 777));
	ASSERT_EQ(777LL, domain_of(&self->f[0]));
	ASSERT_EQ(777LL, domain_of(&self->f[1]));
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, 3 * z);
	ASSERT_VM(0, 0, n, z);
	ASSERT_VM(1, 0, n, z);
	ASSERT_VM(2, n, 0, z);

	/* File 2 joins through sysfs. */
	ASSERT_EQ(0, set_domain_sysfs(&self->f[2], "777"));
	ASSERT_EQ(777LL, domain_of(&self->f[2]));
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, 2 * n, 3 * z);
	ASSERT_VM(2, 0, n, z);

	/* The same domain again: nothing happens. */
	ASSERT_EQ(0, ovc_set_domain(self->f[1].fd, 777));
	ASSERT_VM(1, 0, n, z);
	ASSERT_GLOBAL(n, 2 * n, 3 * z);

	/* File 0 leaves: unmerged at once, its zero pages stay. */
	ASSERT_EQ(0, ovc_set_domain(self->f[0].fd, 778));
	ASSERT_EQ(778LL, domain_of(&self->f[0]));
	ASSERT_VM(0, n, 0, z);
	ASSERT_GLOBAL(n, n, 3 * z);
	/* And does not come back while alone in its domain. */
	SCAN(REMERGE_ROUNDS);
	ASSERT_VM(0, n, 0, z);
	ASSERT_GLOBAL(n, n, 3 * z);
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(-1, bad_page(&self->f[k], 0, n, 8)) TH_LOG("vm%d", k);
		ASSERT_EQ(-1, nonzero_page(&self->f[k], n, z)) TH_LOG("vm%d", k);
	}
}

/* run=2 unmerges everything at once and stops; bytes are intact. */
TEST_F(share, unmerge_run2)
{
	const size_t n = 16, z = 8;

	sfile_create(_metadata, self, 0, 0, n + z);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[0], 0, n, 9);
	fill(&self->f[1], 0, n, 9);
	touch_zero(&self->f[0], n, z);
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, z);
	ASSERT_PAGES_RESIDENT(0);

	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 2));
	ASSERT_EQ(2LL, ovc_knob(OVC_KNOB_RUN));
	/* Zero pages stay on the zero frame: no page per zero slot. */
	ASSERT_GLOBAL(0, 0, z);
	ASSERT_EQ(0LL, gdelta(OVC_ST_UNSHARED));
	ASSERT_VM(0, n, 0, z);
	ASSERT_VM(1, n, 0, 0);
	ASSERT_PAGES_RESIDENT(2 * n);
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 9));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 9));
	ASSERT_EQ(-1, nonzero_page(&self->f[0], n, z));
	ASSERT_DISTINCT_PFNS(n);
	/* Nothing merges while stopped by run=2... */
	ASSERT_GLOBAL(0, 0, z);
	/* ...and everything merges again with run=1. */
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, n, z);
	ASSERT_VM(0, 0, n, z);
	ASSERT_VM(1, 0, n, 0);
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 9));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 9));
	ASSERT_SAME_PFNS(n);
	/* run=2 while stopped works as well. */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 2));
	ASSERT_GLOBAL(0, 0, z);
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 9));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 9));
	ASSERT_DISTINCT_PFNS(n);
}

/*
 * Punching, truncating and unlinking merged pages drop their slots: the
 * counts follow exactly, the other sharers keep their bytes, and frames
 * go away with their last sharer (the teardown checks that everything is
 * back to where it was).
 */
TEST_F(share, punch_truncate_unlink)
{
	const size_t n = 16, z = 4;
	int k;

	sfile_create(_metadata, self, 0, 0, n + z);
	sfile_create(_metadata, self, 1, 0, n);
	sfile_create(_metadata, self, 2, 0, n);
	for (k = 0; k < 3; k++)
		fill(&self->f[k], 0, n, 10);
	touch_zero(&self->f[0], n, z);
	SCAN(MERGE_ROUNDS);
	ASSERT_GLOBAL(n, 2 * n, z);
	ASSERT_VM(0, 0, n, z);

	/* Punch file 0's pages 0..3: ballooned, the frames live on. */
	ASSERT_EQ(0, fallocate(self->f[0].fd, PUNCH, 0, 4 * OVC_PG));
	ASSERT_VM(0, 0, n - 4, z);
	ASSERT_EQ(4LL, vstat(0, VS_BALLOON));
	ASSERT_GLOBAL(n, 2 * n - 4, z);
	/* Its zero pages too. */
	ASSERT_EQ(0, fallocate(self->f[0].fd, PUNCH, n * OVC_PG, z * OVC_PG));
	ASSERT_VM(0, 0, n - 4, 0);
	ASSERT_EQ(4LL + (long long)z, vstat(0, VS_BALLOON));
	ASSERT_GLOBAL(n, 2 * n - 4, 0);
	/* Read faults: the zero frame, no page. */
	ASSERT_EQ(-1, nonzero_page(&self->f[0], 0, 4));
	ASSERT_VM(0, 0, n - 4, 4);
	ASSERT_GLOBAL(n, 2 * n - 4, 4);
	ASSERT_EQ((long long)z, vstat(0, VS_BALLOON));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 10));
	ASSERT_EQ(-1, bad_page(&self->f[2], 0, n, 10));
	/* Truncating drops the ballooned zero-page slots. */
	ASSERT_EQ(0, ftruncate(self->f[0].fd, n * OVC_PG));
	ASSERT_EQ(0LL, vstat(0, VS_BALLOON));
	ASSERT_EQ(0, fallocate(self->f[0].fd, PUNCH, 0, 4 * OVC_PG));
	ASSERT_VM(0, 0, n - 4, 0);

	/*
	 * Truncate file 1 to 8 pages.  Sharers per frame: 0..3 {1, 2},
	 * 4..7 {0, 1, 2}, 8..15 {0, 2}: 36 slots on 16 frames.
	 */
	ASSERT_EQ(0, ftruncate(self->f[1].fd, 8 * OVC_PG));
	ASSERT_VM(1, 0, 8, 0);
	ASSERT_GLOBAL(n, 36 - n, 0);

	/* Unlink file 2 (closed): 0..3 {1}, 4..7 {0, 1}, 8..15 {0}. */
	sfile_close(&self->f[2]);
	ASSERT_EQ(0, unlink(self->f[2].path));
	ASSERT_GLOBAL(n, 20 - n, 0);
	ASSERT_EQ(-1, bad_page(&self->f[0], 4, n - 4, 10));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, 8, 10));

	/* The last sharers go: no frame is left. */
	ASSERT_EQ(0, ftruncate(self->f[0].fd, 0));
	ASSERT_GLOBAL(8, 0, 0);
	ASSERT_EQ(0, ftruncate(self->f[1].fd, 0));
	ASSERT_GLOBAL(0, 0, 0);
	ASSERT_PAGES_RESIDENT(0);
	ASSERT_EQ(0LL, gdelta(OVC_ST_COW_BREAKS));
}

/*
 * An unlinked file that is still open keeps its shared slots; the frames
 * lose it when the last reference goes.
 */
TEST_F(share, unlink_open_file)
{
	const size_t n = 8;

	MERGE_TWO(n, 11);
	ASSERT_EQ(0, unlink(self->f[1].path));
	ASSERT_GLOBAL(n, n, 0);
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 11));
	sfile_close(&self->f[1]);
	ASSERT_GLOBAL(n, 0, 0);		/* one sharer per frame */
	ASSERT_VM(0, 0, n, 0);
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 11));
	/* A write now takes the frame's page back: no copy, frame gone. */
	self->f[0].map[0] = 'w';
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_GLOBAL(n - 1, 0, 0);
}

/* Bad writes to the knobs and per-VM files: refused, nothing changes. */
TEST_F(share, sysfs_bad_writes)
{
	static const struct {
		const char *file, *val;
		int err;
	} bad[] = {
		{ "run", "3", EINVAL },
		{ "run", "-1", EINVAL },
		{ "run", "1x", EINVAL },
		{ "run", "", EINVAL },
		{ "run", "4294967296", ERANGE },
		{ "pages_to_scan", "0", EINVAL },
		{ "pages_to_scan", "100001", EINVAL },
		{ "pages_to_scan", "-5", EINVAL },
		{ "pages_to_scan", "abc", EINVAL },
		{ "pages_to_scan", "99999999999", ERANGE },
		{ "sleep_millisecs", "60001", EINVAL },
		{ "sleep_millisecs", "-1", EINVAL },
		{ "sleep_millisecs", "0x10", EINVAL },
		{ "sleep_millisecs", "4294967296", ERANGE },
		{ "zero_only", "2", EINVAL },
		{ "zero_only", "-1", EINVAL },
		{ "zero_only", "yes", EINVAL },
		{ "vms/%llu/share_domain", "-1", EINVAL },
		{ "vms/%llu/share_domain", "x", EINVAL },
		{ "vms/%llu/share_domain", "1 2", EINVAL },
		{ "vms/%llu/share_domain", "4294967296", ERANGE },
	};
	static const struct {
		const char *file, *val;
	} good[] = {
		{ "pages_to_scan", "1" }, { "pages_to_scan", "100000\n" },
		{ "sleep_millisecs", "60000" }, { "sleep_millisecs", "0" },
		{ "zero_only", "1" }, { "zero_only", "0" },
		{ "run", "0" },
		{ "vms/%llu/share_domain", "4294967295" },
		{ "vms/%llu/share_domain", "0" },
	};
	char rel[PATH_MAX], before[64], after[64];
	size_t i;
	int fd;

	sfile_create(_metadata, self, 0, 0, 1);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(rel, sizeof(rel), good[i].file, self->f[0].id);
		ASSERT_EQ(0, ovc_sysfs_write(rel, good[i].val))
			TH_LOG("%s < '%s'", rel, good[i].val);
		ASSERT_EQ(strtoll(good[i].val, NULL, 10),
			  ovc_sysfs_value("%s", rel)) TH_LOG("%s", rel);
	}
	/* Values to keep, not the defaults, so nothing resets to those. */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_PAGES_TO_SCAN, 1234));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_SLEEP, 321));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_ZERO_ONLY, 1));
	ASSERT_EQ(0, set_domain_sysfs(&self->f[0], "4242"));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(rel, sizeof(rel), bad[i].file, self->f[0].id);
		fd = ovc_sysfs_open("%s", rel);
		ASSERT_LE(0, fd);
		ASSERT_LT(0, ovc_sysfs_str(fd, before, sizeof(before)));
		if (!*bad[i].val) {
			/* write(fd, "", 0) never reaches the module */
			ASSERT_EQ(EINVAL, ovc_sysfs_write(rel, "\n"));
		} else {
			ASSERT_EQ(bad[i].err, ovc_sysfs_write(rel, bad[i].val))
				TH_LOG("%s < '%s'", rel, bad[i].val);
		}
		ASSERT_LT(0, ovc_sysfs_str(fd, after, sizeof(after)));
		close(fd);
		ASSERT_STREQ(before, after) TH_LOG("%s < '%s'", rel,
						   bad[i].val);
	}
	ASSERT_EQ(1234LL, ovc_knob(OVC_KNOB_PAGES_TO_SCAN));
	ASSERT_EQ(321LL, ovc_knob(OVC_KNOB_SLEEP));
	ASSERT_EQ(1LL, ovc_knob(OVC_KNOB_ZERO_ONLY));
	ASSERT_EQ(0LL, ovc_knob(OVC_KNOB_RUN));
	ASSERT_EQ(4242LL, domain_of(&self->f[0]));
}

/*
 * Only root writes the knobs and share_domain (mode 0644), and only root
 * reads hash_seed (mode 0400).
 */
TEST_F(share, sysfs_root_only)
{
	char rel[64];
	pid_t pid;

	sfile_create(_metadata, self, 0, 0, 1);
	snprintf(rel, sizeof(rel), "vms/%llu/share_domain", self->f[0].id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int k;

		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		for (k = 0; k < OVC_NR_KNOBS; k++)
			if (ovc_knob_set(k, 1) != EACCES)
				_exit(1 + k);
		if (ovc_sysfs_open("hash_seed") >= 0 || errno != EACCES)
			_exit(20);
		_exit(ovc_sysfs_write(rel, "5") == EACCES ? 0 : 10);
	}
	ASSERT_EQ(0, ovc_wait_child(pid))
		TH_LOG("as uid %d: 1 + k knob k written, 10 share_domain written, 20 hash_seed read (or not EACCES)",
		       OVC_NOBODY);
	ASSERT_EQ(0LL, ovc_knob(OVC_KNOB_RUN));
	ASSERT_EQ(0LL, domain_of(&self->f[0]));
}

/* OVC_IOC_SET_SHARE_DOMAIN: CAP_SYS_ADMIN, struct checks, u32 range. */
TEST_F(share, domain_ioctl_errors)
{
	static const __u32 sizes[] = {
		0, 8, sizeof(struct ovc_share_domain) - 8,
		sizeof(struct ovc_share_domain) - 1,
		sizeof(struct ovc_share_domain) + 1,
		sizeof(struct ovc_share_domain) + 8, 4096, 0xffffffff,
	};
	union {
		struct ovc_share_domain d;
		char room[2 * OVC_PG];
	} u;
	int fd;
	size_t i;
	pid_t pid;

	sfile_create(_metadata, self, 0, 0, 1);
	fd = self->f[0].fd;
	ASSERT_EQ(0, ovc_set_domain(fd, 99));

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&u, 0, sizeof(u));
		u.d.size = sizes[i];
		u.d.domain = 5;
		ASSERT_EQ(-1, ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, &u.d))
			TH_LOG("size %u accepted", sizes[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}
	for (i = 0; i < 32; i += 31) {
		memset(&u, 0, sizeof(u));
		u.d.size = sizeof(u.d);
		u.d.flags = 1U << i;
		u.d.domain = 5;
		ASSERT_EQ(-1, ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, &u.d));
		ASSERT_EQ(EINVAL, errno);
	}
	for (i = 0; i < ARRAY_SIZE(u.d.reserved); i++) {
		memset(&u, 0, sizeof(u));
		u.d.size = sizeof(u.d);
		u.d.reserved[i] = 1;
		u.d.domain = 5;
		ASSERT_EQ(-1, ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, &u.d));
		ASSERT_EQ(EINVAL, errno) TH_LOG("reserved[%zu]", i);
	}
	ASSERT_EQ(ERANGE, ovc_set_domain(fd, 1ULL << 32));
	ASSERT_EQ(ERANGE, ovc_set_domain(fd, ~0ULL));
	ASSERT_EQ(-1, ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(99LL, domain_of(&self->f[0]));
	ASSERT_EQ(0, ovc_set_domain(fd, 0xffffffffULL));
	ASSERT_EQ(0xffffffffLL, domain_of(&self->f[0]));

	/* Not for the unprivileged, not even the file's owner. */
	ASSERT_EQ(0, fchown(fd, OVC_NOBODY, OVC_NOBODY));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ofd;

		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		if (ovc_set_domain(fd, 7) != EPERM)
			_exit(1);
		ofd = open(self->f[0].path, O_RDWR);
		if (ofd < 0)
			_exit(2);
		_exit(ovc_set_domain(ofd, 7) == EPERM ? 0 : 3);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ(0xffffffffLL, domain_of(&self->f[0]));
}

/*
 * A page the kernel holds a reference on (here: spliced into a pipe) is
 * not merged, and counts in pages_pinned; once released it merges.
 */
TEST_F(share, pinned_not_merged)
{
	const size_t n = 4;
	long long pinned0 = gstat(OVC_ST_PINNED);
	char buf[OVC_PG];
	struct iovec iov;
	int p[2];

	sfile_create(_metadata, self, 0, 0, n);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[0], 0, n, 12);
	fill(&self->f[1], 0, n, 12);
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = self->f[1].map + 2 * OVC_PG;
	iov.iov_len = OVC_PG;
	ASSERT_EQ((ssize_t)OVC_PG, vmsplice(p[1], &iov, 1, 0));

	SCAN(REMERGE_ROUNDS);
	ASSERT_VM(1, 1, n - 1, 0);
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_LT(pinned0, gstat(OVC_ST_PINNED));

	/* The pipe gives the page back (and its bytes were right). */
	ASSERT_EQ((ssize_t)OVC_PG, read(p[0], buf, OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, 2 * OVC_PG, 12));
	close(p[0]);
	close(p[1]);
	SCAN(REMERGE_ROUNDS);
	/* (A pair once found pinned must not stay unmerged forever.) */
	ASSERT_VM(1, 0, n, 0);
	ASSERT_VM(0, 0, n, 0);
	ASSERT_GLOBAL(n, n, 0);
}

/*
 * A page written all the time is found changed from one scan to the next
 * (pages_volatile) and never merged; the still ones merge.
 */
TEST_F_TIMEOUT(share, volatile_pages, 90)
{
	const size_t n = 8;
	volatile unsigned long *stop;
	long long seen = 0, end;
	pid_t pid;

	sfile_create(_metadata, self, 0, 0, n);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[0], 0, n, 13);
	fill(&self->f[1], 0, n, 13);
	stop = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		volatile uint64_t *w = (uint64_t *)self->f[0].map;
		uint64_t i;

		for (i = 1; !*stop; i++)
			w[1] = i;
		_exit(0);
	}
	/*
	 * One page per pass, 20 ms between passes: the writer runs between
	 * two scans of its page.
	 */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_SLEEP, 20));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_PAGES_TO_SCAN, 1));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	end = gstat(OVC_ST_FULL_SCANS) + 50;
	while (gstat(OVC_ST_FULL_SCANS) < end && !seen) {
		if (gstat(OVC_ST_VOLATILE) > 0)
			seen = gstat(OVC_ST_VOLATILE);
		usleep(1000);
	}
	*stop = 1;
	EXPECT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	ASSERT_LT(0, seen) TH_LOG("pages_volatile stayed 0 for 50 rounds");
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_PAGES_TO_SCAN, 10000));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_SLEEP, 0));
	/* Page 0 of file 0 differs now; the others merged meanwhile. */
	SCAN(MERGE_ROUNDS);
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_VM(1, 1, n - 1, 0);
	ASSERT_EQ(-1, bad_page(&self->f[0], 1, n - 1, 13));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 13));
}

/*
 * write() racing with merges: a writer changes page i of both files the
 * same way (so they stay equal and keep being merged) and reads it back
 * from each; a write that lands in a page being merged must not be lost,
 * nor show in the other file before its own write.
 */
TEST_F_TIMEOUT(share, write_vs_merge, 120)
{
	const size_t n = 256;
	const unsigned long iters = 100000;
	volatile unsigned long *shm;	/* [0] lost, [1] done, [2] leaked */
	unsigned long lost, leaked, done;
	pid_t pid;

	sfile_create(_metadata, self, 0, 0, n);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[0], 0, n, 14);
	fill(&self->f[1], 0, n, 14);
	shm = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shm);
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t v, got, rnd = 88172645463325252ULL;
		unsigned long k;
		size_t i;
		off_t off;

		for (k = 0; k < iters; k++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = rnd % n;
			off = i * OVC_PG + 64;
			v = rnd | 1;
			if (pwrite(self->f[0].fd, &v, 8, off) != 8)
				_exit(1);
			if (pread(self->f[1].fd, &got, 8, off) != 8)
				_exit(2);
			if (got == v)
				shm[2]++;	/* file 1 saw file 0's write */
			if (pwrite(self->f[1].fd, &v, 8, off) != 8)
				_exit(3);
			if (pread(self->f[0].fd, &got, 8, off) != 8)
				_exit(4);
			if (got != v)
				shm[0]++;	/* file 0 lost its write */
			shm[1] = k + 1;
		}
		_exit(0);
	}
	EXPECT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	lost = shm[0];
	done = shm[1];
	leaked = shm[2];
	munmap((void *)shm, OVC_PG);
	TH_LOG("%lu write pairs, %lld cow breaks, %lld merged now: %lu lost, %lu leaked",
	       done, gdelta(OVC_ST_COW_BREAKS), gdelta(OVC_ST_SHARING),
	       lost, leaked);
	ASSERT_EQ(iters, done);
	/* The race ran: pages merged under the writes and broke again. */
	ASSERT_LT(0LL, gdelta(OVC_ST_COW_BREAKS))
		TH_LOG("nothing merged during the writes: the race did not run");
	ASSERT_EQ(0UL, lost) TH_LOG("write() into a page being merged lost");
	ASSERT_EQ(0UL, leaked) TH_LOG("a write() showed in the other VM");
}

/*
 * The default (issue 8): every VM is in a domain of its own.  Equal pages
 * of two files of one owner (libvirt runs every QEMU as one user) never
 * merge with each other; equal pages inside one file do, and zero pages
 * of any file join the zero frame.  chown changes none of it.
 */
TEST_F(share, default_own_domain)
{
	const size_t n = 8, z = 2;
	int k;

	sfile_create_own(_metadata, self, 0, 0, 2 * n + z);
	sfile_create_own(_metadata, self, 1, 0, n + z);
	fill(&self->f[0], 0, n, 20);
	fill(&self->f[0], n, n, 20);	/* page n + i == page i, offset apart */
	for (k = 0; k < (int)n; k++)
		memcpy(self->f[0].map + (n + k) * OVC_PG,
		       self->f[0].map + k * OVC_PG, OVC_PG);
	touch_zero(&self->f[0], 2 * n, z);
	fill(&self->f[1], 0, n, 20);
	touch_zero(&self->f[1], n, z);
	ASSERT_EQ(0, fchown(self->f[1].fd, UID_A, UID_A));
	for (k = 0; k < 2; k++)
		ASSERT_EQ((long long)OVC_SHARE_DOMAIN_OWN,
			  domain_of(&self->f[k]));

	SCAN(REMERGE_ROUNDS);
	/* Inside file 0: n frames of two sharers each. */
	ASSERT_VM(0, 0, 2 * n, z);
	/* File 1 shares nothing but zero pages. */
	ASSERT_VM(1, n, 0, z);
	ASSERT_GLOBAL(n, n, 2 * z);
	ASSERT_EQ((long long)n, gdelta(OVC_ST_UNSHARED));
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, 20));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 20));

	/* Grouped by the administrator, they share; back on their own, not. */
	ASSERT_EQ(0, ovc_set_domain(self->f[0].fd, 31));
	ASSERT_EQ(0, ovc_set_domain(self->f[1].fd, 31));
	SCAN(REMERGE_ROUNDS);
	ASSERT_VM(1, 0, n, z);
	ASSERT_GLOBAL(n, 2 * n, 2 * z);
	ASSERT_EQ(0, ovc_set_domain(self->f[1].fd, OVC_SHARE_DOMAIN_OWN));
	ASSERT_EQ((long long)OVC_SHARE_DOMAIN_OWN, domain_of(&self->f[1]));
	ASSERT_VM(1, n, 0, z);
	SCAN(REMERGE_ROUNDS);
	ASSERT_VM(1, n, 0, z);
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 20));
}

/*
 * A reference from outside ovc on a frame's page (here a pipe, through
 * vmsplice; an O_DIRECT write from guest RAM or vhost would hold one the
 * same way) outlives its sharer's copy-on-write.  The last sharer must
 * then copy too: taking the page back in place would let its next write
 * reach the pipe (issue 8, defect 1).
 */
TEST_F(share, cow_outside_ref)
{
	const size_t n = 4;
	char buf[OVC_PG];
	struct iovec iov;
	int p[2];

	MERGE_TWO(n, 21);
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = self->f[0].map + OVC_PG;
	iov.iov_len = OVC_PG;
	ASSERT_EQ((ssize_t)OVC_PG, vmsplice(p[1], &iov, 1, 0));
	/* File 0 writes: a copy; file 1 is the frame's last sharer. */
	memset(self->f[0].map + OVC_PG, 'a', OVC_PG);
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_GLOBAL(n, n - 1, 0);
	/* File 1 writes its page and write()s it. */
	memset(self->f[1].map + OVC_PG, 'b', OVC_PG / 2);
	ASSERT_EQ(10, pwrite(self->f[1].fd, "bbbbbbbbbb", 10, 2 * OVC_PG - 10));
	ASSERT_VM(1, 1, n - 1, 0);
	ASSERT_EQ(1LL, vstat(1, VS_COW));
	ASSERT_GLOBAL(n - 1, n - 1, 0);
	/* The pipe still holds the bytes the page had when spliced. */
	ASSERT_EQ((ssize_t)OVC_PG, read(p[0], buf, OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, OVC_PG, 21))
		TH_LOG("the pipe sees file 1's write");
	close(p[0]);
	close(p[1]);
	ASSERT_EQ('b', self->f[1].map[OVC_PG]);
	ASSERT_EQ('a', self->f[0].map[OVC_PG + 7]);
	ASSERT_EQ(-1, bad_page(&self->f[0], 2, n - 2, 21));
}

/* --- an O_DIRECT write in flight from a merged page ------------------- */

/* An O_DIRECT pwrite() in a thread of its own, which blocks in it. */
struct dio_write {
	pthread_t th;
	bool started;
	int fd;
	const void *buf;
	size_t len;
	off_t off;
	int tid;		/* the thread's, once it runs */
	bool done;		/* pwrite() returned */
	ssize_t ret;
	int err;
};

/* cow_odirect_write's device and writers, ended by the fixture. */
struct dio_test {
	struct ovc_nbd nbd;
	bool nbd_started;
	int fd;			/* OVC_NBD_DEV, O_DIRECT */
	void *filler;		/* DIO_FILLER bytes, anonymous */
	struct dio_write w[2];
};

#define DIO_DISK	(1024 * 1024UL)
/* Many times the socket's send buffer: nbd's send of it cannot finish. */
#define DIO_FILLER	(64 * 1024UL)
#define DIO_FILLER_OFF	(DIO_DISK / 2)
#define DIO_TARGET_OFF	0UL

static void *dio_write_fn(void *arg)
{
	struct dio_write *w = arg;
	ssize_t r;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
	r = pwrite(w->fd, w->buf, w->len, w->off);
	w->err = r < 0 ? errno : 0;
	w->ret = r;
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int dio_write_start(struct dio_write *w, int fd, const void *buf,
			   size_t len, off_t off)
{
	int err;

	w->fd = fd;
	w->buf = buf;
	w->len = len;
	w->off = off;
	err = pthread_create(&w->th, NULL, dio_write_fn, w);
	w->started = !err;
	return -err;
}

static bool dio_write_done(struct dio_write *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

/* Join the writer within @secs seconds.  Return: 0 or -errno. */
static int dio_write_join(struct dio_write *w, int secs)
{
	int err;

	if (!w->started)
		return 0;
	err = ovc_nbd_join(w->th, secs);
	if (!err)
		w->started = false;
	return err;
}

/*
 * Wait until the writer sleeps uninterruptibly in its pwrite().  For an
 * O_DIRECT write to a block device that is its wait for the bio, which
 * is submitted only after bio_iov_iter_get_pages() took a reference on
 * every page of the buffer (the buffer is mapped already, so nothing
 * before that sleeps).  Return: 0, or -ETIMEDOUT; an early return is -EIO.
 */
static int dio_write_wait_blocked(struct dio_write *w)
{
	double end = ovc_now() + OVC_NBD_WAIT_S;
	int tid;

	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)) ||
	       ovc_proc_state(tid) != 'D') {
		if (dio_write_done(w))
			return -EIO;
		if (ovc_now() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/*
 * In the fixture's teardown (EXPECT only): stop the device, which lets
 * the writers return (done or failed), join them, free the rest.  The
 * logs come before their EXPECTs: after a failed ASSERT, the 6.1 harness
 * prints the TH_LOG of the next EXPECT even when that one holds.
 */
static void dio_test_end(struct __test_metadata *_metadata,
			 struct dio_test *d)
{
	int i, err;

	if (d->nbd_started) {
		err = ovc_nbd_stop(&d->nbd);
		if (err)
			TH_LOG("stopping nbd: %s: %s", d->nbd.what,
			       strerror(-err));
		EXPECT_EQ(0, err);
	}
	for (i = 0; i < 2; i++) {
		err = dio_write_join(&d->w[i], OVC_NBD_WAIT_S);
		if (err)
			TH_LOG("O_DIRECT writer %d did not return", i);
		EXPECT_EQ(0, err);
	}
	/* A writer still in pwrite() uses the fd and its buffer: leak them. */
	if (d->w[0].started || d->w[1].started)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->filler != MAP_FAILED)
		munmap(d->filler, DIO_FILLER);
	free(d);
}

/* What the device can receive, for the log. */
static const char * const dio_verdicts[] = {
	"the merged page's bytes (X)",
	"file 1's write (Z): the last sharer took the frame's page back in place under the O_DIRECT write",
	"file 0's write (Y): the O_DIRECT write took its page after file 0's copy-on-write: the test's synchronisation failed, not the module",
	"neither X, Y nor Z",
};

/* Return: all OVC_PG bytes of @buf are @c. */
static bool all_bytes(const char *buf, char c)
{
	size_t i;

	for (i = 0; i < OVC_PG; i++)
		if (buf[i] != c)
			return false;
	return true;
}

static const char *dio_verdict(const char *buf, unsigned int seed)
{
	if (ovc_check(buf, OVC_PG, OVC_PG, seed) < 0)
		return dio_verdicts[0];
	if (all_bytes(buf, 'z'))
		return dio_verdicts[1];
	if (all_bytes(buf, 'y'))
		return dio_verdicts[2];
	return dio_verdicts[3];
}

/*
 * The O_DIRECT case of cow_outside_ref, the one that loses data: a guest
 * page written to a disk with O_DIRECT is referenced by the bio (GUP),
 * and the device copies its bytes later.  Files 0 and 1 merge (X); an
 * O_DIRECT write from file 0's mapping of the page to a block device is
 * held in flight (the in-test nbd server stalls, and a larger write
 * ahead of it blocks nbd's send); file 0 writes Y (a copy), file 1 writes
 * Z (the last sharer, which must copy as well: the bio holds the page);
 * then the device goes on and must receive X (issue 8, defect 1).
 */
TEST_F_TIMEOUT(share, cow_odirect_write, 120)
{
	const size_t n = 4;
	const unsigned int seed = 27;
	struct nbd_request req;
	struct dio_test *d;
	char buf[OVC_PG];
	char *p0, *p1;
	long queued;
	size_t off;
	int err;

	MERGE_TWO(n, seed);
	p0 = self->f[0].map + OVC_PG;
	p1 = self->f[1].map + OVC_PG;
	/*
	 * Reading maps the frame's page in both (the merge unmapped them):
	 * the GUP below needs no fault.
	 */
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, n, seed));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, seed));
	ASSERT_SAME_PFNS(n);

	d = calloc(1, sizeof(*d));
	ASSERT_NE(NULL, d);
	d->fd = -1;
	d->filler = MAP_FAILED;
	self->dio = d;
	d->nbd_started = true;
	err = ovc_nbd_start(&d->nbd, DIO_DISK);
	if (err == -ENODEV)
		OVC_MACHINE_SKIP("no nbd driver");
	ASSERT_EQ(0, err) TH_LOG("nbd: %s: %s", d->nbd.what, strerror(-err));
	d->fd = open(OVC_NBD_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, d->fd) TH_LOG("open %s O_DIRECT: %m", OVC_NBD_DEV);
	d->filler = mmap(NULL, DIO_FILLER, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, d->filler);
	ovc_fill(d->filler, DIO_FILLER, 0, seed + 1);

	/* The filler: the server holds it unread, nbd's send of it blocks. */
	ovc_nbd_stall(&d->nbd);
	ASSERT_EQ(0, dio_write_start(&d->w[0], d->fd, d->filler, DIO_FILLER,
				     DIO_FILLER_OFF));
	ASSERT_EQ(0, ovc_nbd_peek(&d->nbd, &req))
		TH_LOG("the filler write sent no request");
	ASSERT_EQ((uint32_t)NBD_CMD_WRITE, ntohl(req.type) & 0xffff);
	ASSERT_EQ(DIO_FILLER_OFF, be64toh(req.from))
		TH_LOG("the first request is not the filler");
	ASSERT_EQ(DIO_FILLER, ntohl(req.len));

	/* The target: queued behind the filler, its bio holding the page. */
	ASSERT_EQ(0, dio_write_start(&d->w[1], d->fd, p0, OVC_PG,
				     DIO_TARGET_OFF));
	err = dio_write_wait_blocked(&d->w[1]);
	ASSERT_EQ(0, err) TH_LOG("the O_DIRECT write did not block: %s (%zd, %s)",
				 strerror(-err), d->w[1].ret,
				 strerror(d->w[1].err));

	/* File 0 writes: a copy; file 1 is the frame's last sharer. */
	memset(p0, 'y', OVC_PG);
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_GLOBAL(n, n - 1, 0);
	memset(p1, 'z', OVC_PG);
	ASSERT_VM(1, 1, n - 1, 0);
	ASSERT_EQ(1LL, vstat(1, VS_COW));
	ASSERT_GLOBAL(n - 1, n - 1, 0);

	/*
	 * Not even the filler is all in the socket yet, so none of the
	 * target's bytes were read: the device reads them only now.
	 */
	queued = ovc_nbd_queued(&d->nbd);
	ASSERT_GT((long)(sizeof(req) + DIO_FILLER), queued)
		TH_LOG("the filler went through (%ld bytes queued): no stall",
		       queued);
	ASSERT_FALSE(dio_write_done(&d->w[0]));
	ASSERT_FALSE(dio_write_done(&d->w[1]));
	ovc_nbd_release(&d->nbd);

	ASSERT_EQ(0, dio_write_join(&d->w[1], OVC_NBD_WAIT_S))
		TH_LOG("the O_DIRECT write did not complete");
	ASSERT_EQ((ssize_t)OVC_PG, d->w[1].ret)
		TH_LOG("O_DIRECT write: %s", strerror(d->w[1].err));
	ASSERT_EQ(0, dio_write_join(&d->w[0], OVC_NBD_WAIT_S))
		TH_LOG("the filler write did not complete");
	ASSERT_EQ((ssize_t)DIO_FILLER, d->w[0].ret)
		TH_LOG("filler write: %s", strerror(d->w[0].err));
	ovc_nbd_read(&d->nbd, buf, OVC_PG, DIO_TARGET_OFF);
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, OVC_PG, seed))
		TH_LOG("the device received %s", dio_verdict(buf, seed));

	/* The filler arrived whole; each file kept its own write. */
	for (off = 0; off < DIO_FILLER; off += OVC_PG) {
		ovc_nbd_read(&d->nbd, buf, OVC_PG, DIO_FILLER_OFF + off);
		ASSERT_EQ(-1, ovc_check(buf, OVC_PG, off, seed + 1))
			TH_LOG("filler page %zu", off / OVC_PG);
	}
	memset(buf, 'y', OVC_PG);
	ASSERT_EQ(0, memcmp(p0, buf, OVC_PG));
	memset(buf, 'z', OVC_PG);
	ASSERT_EQ(0, memcmp(p1, buf, OVC_PG));
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, 1, seed));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, 1, seed));
	ASSERT_EQ(-1, bad_page(&self->f[0], 2, n - 2, seed));
	ASSERT_EQ(-1, bad_page(&self->f[1], 2, n - 2, seed));
}

/*
 * mlocked guests (-overcommit mem-lock=on, libvirt <locked/>): their pages
 * still merge, copy-on-write and punch work, and the bytes stay right.
 * The mlock batch must not leave a reference that blocks merging.
 */
TEST_F(share, mlocked)
{
	const size_t n = 8;
	pid_t pid;

	sfile_create(_metadata, self, 0, 0, n);
	sfile_create(_metadata, self, 1, 0, n);
	fill(&self->f[1], 0, n, 22);
	pid = fork();
	ASSERT_LE(0, pid);
	self->child = pid;
	if (pid == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		char *map;

		if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    mlockall(MCL_CURRENT | MCL_FUTURE))
			_exit(1);
		map = mmap(NULL, n * OVC_PG, PROT_READ | PROT_WRITE,
			   MAP_SHARED, self->f[0].fd, 0);
		if (map == MAP_FAILED)
			_exit(2);
		ovc_fill(map, n * OVC_PG, 0, 22);
		pause();	/* the parent kills us */
		_exit(3);
	}
	/* Wait for the child's pages. */
	while (vstat(0, VS_RESIDENT) < (long long)n)
		usleep(10000);
	SCAN(MERGE_ROUNDS);
	ASSERT_VM(0, 0, n, 0);
	ASSERT_VM(1, 0, n, 0);
	/* COW through the parent's own mapping, a punch, bytes intact. */
	self->f[0].map[2 * OVC_PG] ^= 1;
	ASSERT_VM(0, 1, n - 1, 0);
	ASSERT_EQ(0, fallocate(self->f[0].fd, PUNCH, 3 * OVC_PG, OVC_PG));
	ASSERT_VM(0, 1, n - 2, 0);
	self->f[0].map[2 * OVC_PG] ^= 1;
	ASSERT_EQ(-1, bad_page(&self->f[0], 0, 3, 22));
	ASSERT_EQ(-1, bad_page(&self->f[0], 4, n - 4, 22));
	ASSERT_EQ(-1, nonzero_page(&self->f[0], 3, 1));
	ASSERT_EQ(-1, bad_page(&self->f[1], 0, n, 22));
	kill(pid, SIGKILL);
	self->child = -1;
	ASSERT_EQ(128 + SIGKILL, ovc_wait_child(pid));
}

/*
 * The scanner's records (and hints) of pages that are punched or
 * truncated away are freed by the next round: pages_unshared falls back,
 * it does not keep hints of pages that no longer exist.
 */
TEST_F(share, records_of_dropped_pages)
{
	const size_t n = 32;

	sfile_create(_metadata, self, 0, 0, 2 * n);
	fill(&self->f[0], 0, 2 * n, 23);
	SCAN(MERGE_ROUNDS);
	ASSERT_EQ(2 * (long long)n, gdelta(OVC_ST_UNSHARED));
	ASSERT_EQ(0, fallocate(self->f[0].fd, PUNCH, 0, n * OVC_PG));
	SCAN(MERGE_ROUNDS);
	ASSERT_EQ((long long)n, gdelta(OVC_ST_UNSHARED))
		TH_LOG("hints of punched pages left");
	ASSERT_EQ(0, ftruncate(self->f[0].fd, n * OVC_PG + OVC_PG / 2));
	ASSERT_EQ(0, ftruncate(self->f[0].fd, n * OVC_PG));
	ASSERT_EQ(0, ftruncate(self->f[0].fd, 0));
	SCAN(MERGE_ROUNDS);
	ASSERT_EQ(0LL, gdelta(OVC_ST_UNSHARED))
		TH_LOG("hints of truncated pages left");
	ASSERT_VM(0, 0, 0, 0);
}

/*
 * A punch whose partial edge pages are shared needs a copy of each to zero
 * its bytes; when that copy cannot be had (here the mount's size= is
 * reached) fallocate says so (ENOSPC), the edge bytes stay as they were,
 * and the whole pages in between are freed all the same.  A partial punch
 * of a zero-frame page needs no copy and succeeds.
 */
TEST_F(share, punch_edge_error)
{
	const size_t n = 4, fillp = 8;
	struct sfile *a = &self->f[0], *b = &self->f[1];
	int k;

	strcpy(self->mnt, "/tmp/ovcst-edge-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	if (mount("ovc", self->mnt, OVCFS_NAME, 0, "size=64k")) {
		rmdir(self->mnt);
		self->mnt[0] = '\0';
		ASSERT_TRUE(false) TH_LOG("mount -o size=64k: %m");
	}
	for (k = 0; k < 2; k++) {
		struct sfile *f = &self->f[k];

		snprintf(f->path, sizeof(f->path), "%s/vm%d", self->mnt, k);
		f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ASSERT_LE(0, f->fd);
		ASSERT_EQ(0, ovc_set_domain(f->fd, 9191));
		f->len = (n + fillp + 1) * OVC_PG;
		ASSERT_EQ(0, ftruncate(f->fd, f->len));
		f->map = mmap(NULL, f->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			      f->fd, 0);
		ASSERT_NE(MAP_FAILED, f->map);
		fill(f, 0, n, 24);
	}
	SCAN(MERGE_ROUNDS);
	ASSERT_EQ(-1, bad_page(a, 0, n, 24));
	/* Fill the mount: 16 private pages, nothing merges any more. */
	fill(a, n, fillp, 25);
	fill(b, n, fillp, 26);
	ASSERT_TRUE(ovc_access_sigbus(a->map + (n + fillp) * OVC_PG, true));

	/* Shared edges 1 and 3 need copies: ENOSPC; page 2 is freed. */
	ASSERT_EQ(-1, fallocate(a->fd, PUNCH, OVC_PG + 100, 2 * OVC_PG));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_EQ(-1, bad_page(a, 1, 1, 24));
	ASSERT_EQ(-1, bad_page(a, 3, 1, 24));
	ASSERT_EQ(-1, nonzero_page(a, 2, 1));
	ASSERT_EQ(-1, bad_page(b, 0, n, 24));
	/* A zero page's bytes are zero already: no copy needed. */
	ASSERT_EQ(0, fallocate(a->fd, PUNCH, 2 * OVC_PG + 10, 100));
	ASSERT_EQ(-1, nonzero_page(a, 2, 1));
}

/* --- hash collisions --------------------------------------------------- */

/*
 * jhash2() of include/linux/jhash.h (Linux 6.1), which ovc_page_hash() runs
 * over the 1024 words of a page with the seed as initval: the state
 * (a, b, c) starts at JHASH_INITVAL + (length << 2) + initval, each block
 * of 3 words is added to it and mixed (__jhash_mix()), the last 1 to 3
 * words go through __jhash_final().  Split into steps, as the collision
 * below needs the state after one block.
 */
#define JH_WORDS	(OVC_PG / sizeof(uint32_t))
#define JHASH_INITVAL	0xdeadbeef

struct jh_state {
	uint32_t a, b, c;
};

static inline uint32_t rol32(uint32_t word, unsigned int shift)
{
	return (word << (shift & 31)) | (word >> ((-shift) & 31));
}

/* __jhash_mix() */
static void jh_mix(struct jh_state *s)
{
	s->a -= s->c;  s->a ^= rol32(s->c, 4);  s->c += s->b;
	s->b -= s->a;  s->b ^= rol32(s->a, 6);  s->a += s->c;
	s->c -= s->b;  s->c ^= rol32(s->b, 8);  s->b += s->a;
	s->a -= s->c;  s->a ^= rol32(s->c, 16); s->c += s->b;
	s->b -= s->a;  s->b ^= rol32(s->a, 19); s->a += s->c;
	s->c -= s->b;  s->c ^= rol32(s->b, 4);  s->b += s->a;
}

/* __jhash_final() */
static void jh_final(struct jh_state *s)
{
	s->c ^= s->b; s->c -= rol32(s->b, 14);
	s->a ^= s->c; s->a -= rol32(s->c, 11);
	s->b ^= s->a; s->b -= rol32(s->a, 25);
	s->c ^= s->b; s->c -= rol32(s->b, 16);
	s->a ^= s->c; s->a -= rol32(s->c, 4);
	s->b ^= s->a; s->b -= rol32(s->a, 14);
	s->c ^= s->b; s->c -= rol32(s->b, 24);
}

static struct jh_state jh_init(uint32_t length, uint32_t initval)
{
	uint32_t v = JHASH_INITVAL + (length << 2) + initval;

	return (struct jh_state){ v, v, v };
}

/* One block of the "Handle most of the key" loop. */
static void jh_block(struct jh_state *s, const uint32_t *k)
{
	s->a += k[0];
	s->b += k[1];
	s->c += k[2];
	jh_mix(s);
}

static uint32_t jhash2_port(const uint32_t *k, uint32_t length,
			    uint32_t initval)
{
	struct jh_state s = jh_init(length, initval);

	while (length > 3) {
		jh_block(&s, k);
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3:
		s.c += k[2];
		__attribute__((__fallthrough__));
	case 2:
		s.b += k[1];
		__attribute__((__fallthrough__));
	case 1:
		s.a += k[0];
		jh_final(&s);
		break;
	case 0:
		break;
	}
	return s.c;
}

/*
 * @out: page @in with word @w of block 0 (0..2) changed by xor @flip, and
 * block 1 (words 3..5) changed so that the state after it is @in's again;
 * the other 1018 words are @in's, so the jhash2 with @seed is @in's.  As
 * a block is added to the state before the mix, adding s(in) - s(out)
 * (the states after block 0, per word, mod 2^32) does it: no search, and
 * nothing but jhash2's own steps assumed.
 */
static void jh_collide(const uint32_t *in, uint32_t *out, unsigned int w,
		       uint32_t flip, uint32_t seed)
{
	struct jh_state s = jh_init(JH_WORDS, seed), t = s;

	memcpy(out, in, OVC_PG);
	out[w] ^= flip;
	jh_block(&s, in);
	jh_block(&t, out);
	out[3] += s.a - t.a;
	out[4] += s.b - t.b;
	out[5] += s.c - t.c;
}

/* Whether page @i of @f holds @want, through the mapping and read(). */
static bool page_holds(struct sfile *f, size_t i, const void *want)
{
	static char buf[OVC_PG];

	if (memcmp(f->map + i * OVC_PG, want, OVC_PG))
		return false;
	return pread(f->fd, buf, OVC_PG, i * OVC_PG) == (ssize_t)OVC_PG &&
	       !memcmp(buf, want, OVC_PG);
}

/* Page @p of file @j and page @q of file @k are mapped, @op their PFNs. */
#define ASSERT_PFNS(j, p, op, k, q, what) do {				\
	uint64_t __x = ovc_pfn(self->f[j].map + (p) * OVC_PG);		\
	uint64_t __y = ovc_pfn(self->f[k].map + (q) * OVC_PG);		\
									\
	ASSERT_NE(0ULL, __x) TH_LOG("vm%d page %zu not mapped", j,	\
				    (size_t)(p));			\
	ASSERT_NE(0ULL, __y) TH_LOG("vm%d page %zu not mapped", k,	\
				    (size_t)(q));			\
	ASSERT_TRUE(__x op __y) TH_LOG("%s: PFNs %#llx, %#llx", what,	\
				       (unsigned long long)__x,		\
				       (unsigned long long)__y);	\
} while (0)

/*
 * Two different pages with one hash never merge: that would show one VM's
 * bytes to another.  With the seed (hash_seed, root only) the test crafts
 * B and C, different from A and from each other, with A's jhash2.  A and
 * B meet as a hint and a page (ovc_merge_pair()); a third copy of A
 * merges with A, so the scanner did run and compare; then B, and C
 * arriving fresh, meet A's frame (ovc_merge_frame()).  Each meeting is a
 * full compare that refuses them, and counts in hint_stale: with nothing
 * written during a scan, only a real hash collision counts there, so it
 * also shows that the kernel's hash of A and B agrees with the port.
 */
TEST_F(share, hash_collision)
{
	static uint32_t a[JH_WORDS], b[JH_WORDS], c[JH_WORDS];
	const size_t n = 8;	/* equal pages of files 0 and 1, as usual */
	struct sfile *f0 = &self->f[0], *f1 = &self->f[1];
	long long seed, stale0;
	uint32_t h;

	seed = ovc_sysfs_value("hash_seed");
	ASSERT_LE(0LL, seed) TH_LOG("%s/hash_seed: %m", OVC_SYSFS_ROOT);
	ASSERT_GE(0xffffffffLL, seed);
	ovc_fill(a, OVC_PG, 0, 31);
	jh_collide(a, b, 0, 1, seed);
	jh_collide(a, c, 1, 0x80000000, seed);
	h = jhash2_port(a, JH_WORDS, seed);
	ASSERT_EQ(h, jhash2_port(b, JH_WORDS, seed));
	ASSERT_EQ(h, jhash2_port(c, JH_WORDS, seed));
	ASSERT_NE(0, memcmp(a, b, OVC_PG));
	ASSERT_NE(0, memcmp(a, c, OVC_PG));
	ASSERT_NE(0, memcmp(b, c, OVC_PG));

	/* Domain 0: file 0 [P * n, A, -], file 1 [P * n, B, -]. */
	sfile_create(_metadata, self, 0, 0, n + 2);
	sfile_create(_metadata, self, 1, 0, n + 2);
	fill(f0, 0, n, 30);
	fill(f1, 0, n, 30);
	memcpy(f0->map + n * OVC_PG, a, OVC_PG);
	memcpy(f1->map + n * OVC_PG, b, OVC_PG);

	/* A hint and a page of one hash: compared, refused. */
	stale0 = gstat(OVC_ST_HINT_STALE);
	SCAN(MERGE_ROUNDS);
	ASSERT_TRUE(page_holds(f0, n, a)) TH_LOG("vm0 page %zu: not A", n);
	ASSERT_TRUE(page_holds(f1, n, b))
		TH_LOG("vm1 page %zu: not B (merged with A?)", n);
	ASSERT_PFNS(0, n, !=, 1, n, "A and B on one page");
	ASSERT_EQ(-1, bad_page(f0, 0, n, 30));
	ASSERT_EQ(-1, bad_page(f1, 0, n, 30));
	ASSERT_SAME_PFNS(n);
	ASSERT_GLOBAL(n, n, 0);
	ASSERT_VM(0, 1, n, 0);
	ASSERT_VM(1, 1, n, 0);
	ASSERT_PAGES_RESIDENT(2);
	/* One of A and B is the hint, the other took it and gave it back. */
	ASSERT_EQ(1LL, gdelta(OVC_ST_UNSHARED));
	ASSERT_LT(stale0, gstat(OVC_ST_HINT_STALE))
		TH_LOG("A and B never compared: are their hashes different?");

	/* A third copy of A merges with A; B meets their frame. */
	memcpy(f1->map + (n + 1) * OVC_PG, a, OVC_PG);
	SCAN(REMERGE_ROUNDS);
	ASSERT_TRUE(page_holds(f0, n, a)) TH_LOG("vm0 page %zu: not A", n);
	ASSERT_TRUE(page_holds(f1, n, b))
		TH_LOG("vm1 page %zu: not B (merged with A's frame?)", n);
	ASSERT_TRUE(page_holds(f1, n + 1, a))
		TH_LOG("vm1 page %zu: not A", n + 1);
	ASSERT_PFNS(0, n, ==, 1, n + 1, "the copies of A not merged");
	ASSERT_PFNS(0, n, !=, 1, n, "A and B on one page");
	ASSERT_GLOBAL(n + 1, n + 1, 0);
	ASSERT_VM(0, 0, n + 1, 0);
	ASSERT_VM(1, 1, n + 1, 0);
	ASSERT_PAGES_RESIDENT(1);
	/* B found A's frame by its hash, not a hint: it is none. */
	ASSERT_EQ(0LL, gdelta(OVC_ST_UNSHARED));

	/* C arrives while A's frame exists: compared with it, refused. */
	memcpy(f0->map + (n + 1) * OVC_PG, c, OVC_PG);
	stale0 = gstat(OVC_ST_HINT_STALE);
	SCAN(MERGE_ROUNDS);
	ASSERT_TRUE(page_holds(f0, n + 1, c))
		TH_LOG("vm0 page %zu: not C (merged with A's frame?)", n + 1);
	ASSERT_TRUE(page_holds(f0, n, a)) TH_LOG("vm0 page %zu: not A", n);
	ASSERT_TRUE(page_holds(f1, n, b)) TH_LOG("vm1 page %zu: not B", n);
	ASSERT_TRUE(page_holds(f1, n + 1, a))
		TH_LOG("vm1 page %zu: not A", n + 1);
	ASSERT_PFNS(0, n + 1, !=, 0, n, "C and A on one page");
	ASSERT_PFNS(0, n + 1, !=, 1, n, "C and B on one page");
	ASSERT_PFNS(0, n, ==, 1, n + 1, "the copies of A unmerged");
	ASSERT_GLOBAL(n + 1, n + 1, 0);
	ASSERT_VM(0, 1, n + 1, 0);
	ASSERT_VM(1, 1, n + 1, 0);
	ASSERT_PAGES_RESIDENT(2);
	ASSERT_EQ(0LL, gdelta(OVC_ST_UNSHARED)) TH_LOG("C did not meet the frame");
	/* A whole round saw B and C, each compared with the frame. */
	ASSERT_LE(stale0 + 2, gstat(OVC_ST_HINT_STALE));
}

TEST_HARNESS_MAIN
