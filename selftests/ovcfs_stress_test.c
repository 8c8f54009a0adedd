// SPDX-License-Identifier: GPL-2.0
/*
 * Integrity under page sharing: several processes write VM files while the
 * scanner merges and copy-on-write breaks as fast as it can; no byte may
 * ever be wrong.
 *
 * NPROC processes each map a VM file of PAGES pages.  Processes p and
 * p + NLOGICAL write the same "logical file" (replicas): they draw the
 * same sequence of operations, so their pages are equal most of the time
 * and merge, and every write to a merged page breaks COW.  Pages start
 * zero and often go back to zero (cleared or punched), so the zero frame
 * is busy too.  A data page carries a header (magic, logical file id,
 * page index, generation) and a checksum of all its other words (see
 * ovc_share_util.h); a write changes one body word, the generation and
 * the checksum.  Each process keeps every page's expected generation and
 * checksum in private memory and verifies every page periodically, at the
 * end, and again after run=2 has unmerged everything.
 *
 * Variants: "mmap" writes through the mapping only; "mixed" also uses
 * write() for a quarter of the updates and punches holes.
 *
 * All along, a storer process takes the VMs' private pages into the
 * compressed cache as fast as it can (vms/<id>/reclaim), so that faults
 * read pages back in while the scanner merges and writers COW and punch.
 * Variant "mixed_swap" attaches a swap store too (a file on a tmpfs of
 * the test's own), and the storer turns the compressed cache off and on
 * (compress_max_percent 0, then its value) every round, so that pages go
 * to both stores and come back from both, and the writeback moves
 * compressed pages to the swap store (a full cache) while faults read
 * them back.
 *
 * Under fault injection (the debug layer, selftests/vm/runner.sh):
 * OVC_MAKE_IT_FAIL=1 makes each writer write 1 to /proc/self/make-it-fail
 * once its file is mapped, so that failslab and fail_page_alloc fail some
 * of its allocations.  A fault then gets VM_FAULT_OOM and is retried by
 * the kernel; a write() or punch that fails with ENOMEM is retried here
 * (counted; more than MAX_ENOMEM_RETRIES in a row fail the writer), and
 * every checksum is still verified.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include "ovc_test_util.h"
#include "ovc_share_util.h"

#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define NPROC		4
#define NLOGICAL	2
#define PAGES		512UL
#define HOT_PAGES	(PAGES / 16)
/*
 * At least this many page writes in all (OVC_STRESS_WRITES overrides), and
 * more until STRESS_SECONDS have passed (OVC_STRESS_SECONDS).
 */
#define MIN_WRITES	1000000UL
#define STRESS_SECONDS	8
/* Full verifications per process during the run (plus the final ones). */
#define VERIFY_EVERY	8
#define ERR_LEN		256
/*
 * Replicas wait for each other every LOCKSTEP operations, so that their
 * pages are mostly equal: at most LOCKSTEP operations apart.
 */
#define LOCKSTEP	512
/* ENOMEM retries of one write() or punch before the writer gives up. */
#define MAX_ENOMEM_RETRIES	1000

/* One process's report, in memory shared with the parent. */
struct report {
	unsigned long ops, writes, pwrites, clears, punches, checks;
	unsigned long enomem;	/* ENOMEM retries (fault injection) */
	unsigned long errors;
	char err[ERR_LEN];
	int phase;		/* 1: done writing and verified; 2: exited */
};

struct shared {
	volatile int stop;		/* parent: time is up */
	volatile int go_unmerged;	/* parent: run=2 done, verify again */
	volatile unsigned long progress[NPROC];	/* operations done */
	struct report r[NPROC];
};

FIXTURE(stress) {
	char dir[256];
	struct ovc_counters cnt;
	struct ovc_share sh;
	struct shared *shm;
	pid_t pid[NPROC];
	pid_t storer;
	long long compressed0;
	char swap_dir[64];	/* the swap store's tmpfs, if mounted */
	char max_percent[32];	/* compress_max_percent before the test */
	int root;		/* the ovcfs mount, for OVC_IOC_SET_SWAP_FILE */
};

FIXTURE_VARIANT(stress) {
	bool use_write;		/* write() for some updates, and punches */
	bool swap;		/* a swap store attached */
};

FIXTURE_VARIANT_ADD(stress, mmap) { .use_write = false };
FIXTURE_VARIANT_ADD(stress, mixed) { .use_write = true };
FIXTURE_VARIANT_ADD(stress, mixed_swap) { .use_write = true, .swap = true };

FIXTURE_SETUP(stress)
{
	int i;

	for (i = 0; i < NPROC; i++)
		self->pid[i] = -1;
	self->storer = -1;
	self->shm = MAP_FAILED;
	self->root = -1;
	self->swap_dir[0] = '\0';
	self->max_percent[0] = '\0';
	OVC_SHARE_SETUP_REQUIRE();
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()));
	ASSERT_EQ(0, ovc_counters_open(&self->cnt));
	ASSERT_EQ(0, ovc_share_open(&self->sh));
	self->shm = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shm);
	snprintf(self->dir, sizeof(self->dir), "%s/ovcst-%d-%.64s",
		 ovc_mnt(), getpid(), _metadata->name);
	ASSERT_EQ(0, mkdir(self->dir, 0700)) TH_LOG("%s: %m", self->dir);
	ASSERT_EQ(0, ovc_share_fast());
	self->compressed0 = ovc_sysfs_value("compressed_pages");
	ASSERT_LE(0, self->compressed0);
	ovc_sysfs_get_str("compress_max_percent", self->max_percent,
			  sizeof(self->max_percent));
	ASSERT_NE(0, self->max_percent[0]);
	if (variant->swap) {
		char path[96];

		self->root = open(ovc_mnt(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, self->root);
		strcpy(self->swap_dir, "/tmp/ovcst-swap-XXXXXX");
		ASSERT_NE(NULL, mkdtemp(self->swap_dir));
		ASSERT_EQ(0, mount("tmpfs", self->swap_dir, "tmpfs", 0,
				   "mode=0700")) TH_LOG("mount tmpfs: %m");
		snprintf(path, sizeof(path), "%s/swap", self->swap_dir);
		ovc_swap_attach(_metadata, self->root, path, 65536);
	}
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < NPROC; i++) {
		if (self->pid[i] > 0) {
			kill(self->pid[i], SIGKILL);
			waitpid(self->pid[i], NULL, 0);
		}
	}
	if (self->storer > 0) {
		kill(self->storer, SIGKILL);
		waitpid(self->storer, NULL, 0);
	}
	EXPECT_EQ(0, ovc_share_restore(&self->sh));
	for (i = 0; i < OVC_NR_KNOBS; i++)
		EXPECT_EQ(self->sh.knob0[i], ovc_knob(i))
			TH_LOG("%s not restored", ovc_knob_name(i));
	EXPECT_EQ(0, ovc_rm_rf(self->dir)) TH_LOG("rm %s: %m", self->dir);
	EXPECT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	EXPECT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
	EXPECT_EQ(self->compressed0, ovc_sysfs_value("compressed_pages"))
		TH_LOG("compressed_pages not back after the test");
	EXPECT_EQ(0, ovc_sysfs_value("swapped_pages"))
		TH_LOG("swapped_pages not back after the test");
	if (self->max_percent[0])
		EXPECT_EQ(0, ovc_sysfs_write("compress_max_percent",
					     self->max_percent));
	if (self->root >= 0) {
		EXPECT_EQ(0, ovc_swap_set(self->root, OVC_SWAP_FILE_NONE, NULL));
		close(self->root);
	}
	if (self->swap_dir[0]) {
		EXPECT_EQ(0, umount(self->swap_dir));
		rmdir(self->swap_dir);
	}
	for (i = OVC_ST_SHARED; i <= OVC_ST_UNSHARED; i++)
		EXPECT_EQ(0LL, ovc_stat(&self->sh, i))
			TH_LOG("%s not 0 after the test", ovc_stat_names[i]);
	if (self->shm != MAP_FAILED)
		munmap(self->shm, sizeof(struct shared));
	ovc_share_close(&self->sh);
	ovc_counters_close(&self->cnt);
}

/* --- the writer process ----------------------------------------------- */

struct writer {
	int fd;
	volatile uint64_t *map;		/* PAGES pages */
	uint64_t logical;		/* file id in the header */
	uint64_t rnd;
	uint64_t gen[PAGES];		/* expected generation */
	uint64_t sum[PAGES];		/* expected checksum; unused if zero */
	bool data[PAGES];		/* false: the page is all zero */
	bool use_write;
	struct report *r;
	volatile unsigned long *progress, *replica_progress;
};

static uint64_t next_rnd(struct writer *w)
{
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 7;
	w->rnd ^= w->rnd << 17;
	return w->rnd;
}

static volatile uint64_t *page_words(struct writer *w, size_t i)
{
	return w->map + i * OVC_PW_WORDS;
}

static void fail(struct writer *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->r->errors++) {
		va_start(ap, fmt);
		vsnprintf(w->r->err, ERR_LEN, fmt, ap);
		va_end(ap);
	}
}

/*
 * Whether to retry a write() or punch that failed (returned -1): only
 * ENOMEM, which fault injection makes common, and at most
 * MAX_ENOMEM_RETRIES times in a row (*@tries counts them).
 */
static bool retry_enomem(struct writer *w, unsigned int *tries)
{
	if (errno != ENOMEM || ++*tries > MAX_ENOMEM_RETRIES)
		return false;
	w->r->enomem++;
	return true;
}

/* pwrite() of @len bytes at @off, retried on ENOMEM.  Return: bytes. */
static ssize_t pwrite_retry(struct writer *w, const void *buf, size_t len,
			    off_t off)
{
	unsigned int tries = 0;
	ssize_t n;

	while ((n = pwrite(w->fd, buf, len, off)) < 0 && retry_enomem(w, &tries))
		;
	return n;
}

/* Punch page @i, retried on ENOMEM.  Return: fallocate()'s. */
static int punch_retry(struct writer *w, size_t i)
{
	unsigned int tries = 0;
	int ret;

	while ((ret = fallocate(w->fd, PUNCH, i * OVC_PG, OVC_PG)) &&
	       retry_enomem(w, &tries))
		;
	return ret;
}

/* Check page @i against what this process wrote there. */
static void check_page(struct writer *w, size_t i, const char *when)
{
	volatile uint64_t *p = page_words(w, i);
	unsigned int k;

	w->r->checks++;
	if (!w->data[i]) {
		for (k = 0; k < OVC_PW_WORDS; k++) {
			if (p[k]) {
				fail(w, "%s: page %zu (gen %llu) should be zero, word %u is %#llx",
				     when, i, (unsigned long long)w->gen[i], k,
				     (unsigned long long)p[k]);
				return;
			}
		}
		return;
	}
	if (p[0] != OVC_PW_MAGIC || p[OVC_PW_FILE] != w->logical ||
	    p[OVC_PW_INDEX] != i || p[OVC_PW_GEN] != w->gen[i] ||
	    p[OVC_PW_SUM] != w->sum[i] || ovc_pw_sum(p) != w->sum[i])
		fail(w, "%s: page %zu: header %#llx file %llu index %llu gen %llu (want %llu) sum %#llx (want %#llx, computed %#llx)",
		     when, i, (unsigned long long)p[0],
		     (unsigned long long)p[OVC_PW_FILE],
		     (unsigned long long)p[OVC_PW_INDEX],
		     (unsigned long long)p[OVC_PW_GEN],
		     (unsigned long long)w->gen[i],
		     (unsigned long long)p[OVC_PW_SUM],
		     (unsigned long long)w->sum[i],
		     (unsigned long long)ovc_pw_sum(p));
}

static void check_all(struct writer *w, const char *when)
{
	size_t i;

	for (i = 0; i < PAGES; i++)
		check_page(w, i, when);
}

/* Store @v at word @k of page @i, through the mapping or write(). */
static void put_word(struct writer *w, size_t i, unsigned int k, uint64_t v,
		     bool by_write)
{
	if (by_write) {
		if (pwrite_retry(w, &v, 8, i * OVC_PG + k * 8) != 8)
			fail(w, "pwrite page %zu word %u: %m", i, k);
	} else {
		page_words(w, i)[k] = v;
	}
}

/* A zero page becomes a data page: header, empty body, checksum. */
static void init_page(struct writer *w, size_t i, bool by_write)
{
	volatile uint64_t *p = page_words(w, i);
	uint64_t hdr[OVC_PW_BODY] = {
		OVC_PW_MAGIC, w->logical, i, w->gen[i], 0,
	};

	hdr[OVC_PW_SUM] = ovc_pw_term(0, hdr[0]) +
			  ovc_pw_term(OVC_PW_FILE, hdr[OVC_PW_FILE]) +
			  ovc_pw_term(OVC_PW_INDEX, hdr[OVC_PW_INDEX]) +
			  ovc_pw_term(OVC_PW_GEN, hdr[OVC_PW_GEN]);
	for (unsigned int k = OVC_PW_BODY; k < OVC_PW_WORDS; k++)
		hdr[OVC_PW_SUM] += ovc_pw_term(k, 0);
	if (by_write) {
		if (pwrite_retry(w, hdr, sizeof(hdr), i * OVC_PG) !=
		    (ssize_t)sizeof(hdr))
			fail(w, "pwrite header of page %zu: %m", i);
	} else {
		for (unsigned int k = 0; k < OVC_PW_BODY; k++)
			p[k] = hdr[k];
	}
	w->sum[i] = hdr[OVC_PW_SUM];
	w->data[i] = true;
}

/*
 * One write to page @i: a new generation, one body word changed, the
 * checksum updated in O(1).  Which word and what value follow from
 * (logical file, page, generation), so replicas write the same bytes.
 */
static void update_page(struct writer *w, size_t i, bool by_write)
{
	volatile uint64_t *p = page_words(w, i);
	uint64_t seed, v, old, gen;
	unsigned int k;

	if (!w->data[i]) {
		init_page(w, i, by_write);
		return;
	}
	gen = w->gen[i] + 1;
	seed = ovc_mix64(w->logical * 0x100000001b3ULL + i * 0x9e37ULL + gen);
	k = OVC_PW_BODY + seed % (OVC_PW_WORDS - OVC_PW_BODY);
	v = ovc_mix64(seed) | 1;
	old = p[k];
	w->sum[i] += ovc_pw_term(k, v) - ovc_pw_term(k, old) +
		     ovc_pw_term(OVC_PW_GEN, gen) -
		     ovc_pw_term(OVC_PW_GEN, w->gen[i]);
	w->gen[i] = gen;
	put_word(w, i, k, v, by_write);
	if (by_write) {
		uint64_t pair[2] = { gen, w->sum[i] };

		if (pwrite_retry(w, pair, 16, i * OVC_PG + OVC_PW_GEN * 8) != 16)
			fail(w, "pwrite gen of page %zu: %m", i);
	} else {
		p[OVC_PW_GEN] = gen;
		p[OVC_PW_SUM] = w->sum[i];
	}
}

/*
 * At least @min_ops operations, more until the parent says stop (a
 * replica that stops early no longer holds the other back).
 */
static int writer_main(struct writer *w, unsigned long min_ops,
		       struct shared *shm)
{
	const unsigned long verify_every = min_ops / VERIFY_EVERY;
	unsigned long op, next_verify = verify_every;
	size_t i;

	/* Every page resident and zero to begin with. */
	for (i = 0; i < PAGES; i++)
		page_words(w, i)[0] = 0;
	for (op = 0; (op < min_ops || !shm->stop) && !w->r->errors; op++) {
		uint64_t x = next_rnd(w);
		unsigned int action = x % 100;

		i = (x >> 8) % 4 ? (x >> 16) % HOT_PAGES : (x >> 16) % PAGES;
		if (action < 86) {
			bool by_write = w->use_write && (x >> 40) % 4 == 0;

			update_page(w, i, by_write);
			w->r->writes++;
			w->r->pwrites += by_write;
		} else if (action < 93 || (action < 96 && !w->use_write)) {
			memset((void *)page_words(w, i), 0, OVC_PG);
			w->data[i] = false;
			w->gen[i]++;
			w->r->writes++;
			w->r->clears++;
		} else if (action < 96) {
			if (punch_retry(w, i))
				fail(w, "punch page %zu: %m", i);
			w->data[i] = false;
			w->gen[i]++;
			w->r->punches++;
		} else {
			check_page(w, i, "spot check");
		}
		w->r->ops++;
		if (op % LOCKSTEP == 0) {
			unsigned int spins = 0;

			*w->progress = op;
			while (*w->replica_progress + LOCKSTEP < op &&
			       *w->replica_progress != ~0UL) {
				if (++spins < 16)
					sched_yield();
				else
					usleep(100);
			}
		}
		if (op == next_verify) {
			check_all(w, "periodic check");
			next_verify += verify_every;
		}
	}
	*w->progress = ~0UL;	/* the replica need not wait any more */
	check_all(w, "final check");
	w->r->phase = 1;
	while (!shm->go_unmerged)
		usleep(1000);
	check_all(w, "check after run=2");
	return w->r->errors ? 1 : 0;
}

/* --- the storer process ---------------------------------------------- */

/*
 * Until told to stop: store 64 private pages of each VM in turn (EAGAIN:
 * fewer were there to take); with @max_percent, write 0 and it to
 * compress_max_percent in turn, one round each.  Return: 0, or 1 if a
 * write failed otherwise.
 */
static int storer_main(const unsigned long long *ids, struct shared *shm,
		       const char *max_percent)
{
	unsigned long round = 0;
	char rel[64];
	int p, err;

	while (!shm->stop) {
		if (max_percent &&
		    ovc_sysfs_write("compress_max_percent",
				    round++ & 1 ? max_percent : "0"))
			return 1;
		for (p = 0; p < NPROC; p++) {
			snprintf(rel, sizeof(rel), "vms/%llu/reclaim", ids[p]);
			err = ovc_sysfs_write(rel, "64");
			if (err && err != EAGAIN) {
				fprintf(stderr, "# storer: %s: %s\n", rel,
					strerror(err));
				return 1;
			}
		}
	}
	return 0;
}

/* Sum of vms/<id>/@name over the test's VMs. */
static long long vms_stat(const unsigned long long *ids, const char *name)
{
	long long sum = 0;
	int p;

	for (p = 0; p < NPROC; p++)
		sum += ovc_sysfs_value("vms/%llu/%s", ids[p], name);
	return sum;
}

/*
 * Put this process under fault injection (CONFIG_FAULT_INJECTION's
 * task filter).  Return: 0 or -1.
 */
static int make_me_fail(void)
{
	int fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* --- the test ----------------------------------------------------------- */

TEST_F_TIMEOUT(stress, integrity, 420)
{
	unsigned long total = MIN_WRITES, min_ops, writes = 0, all_ops = 0;
	long long cow0 = ovc_stat(&self->sh, OVC_ST_COW_BREAKS);
	long long full0 = ovc_stat(&self->sh, OVC_ST_FULL_SCANS);
	long long pinned0 = ovc_stat(&self->sh, OVC_ST_PINNED);
	long long stale0 = ovc_stat(&self->sh, OVC_ST_HINT_STALE);
	long long seen, max_seen = 0, max_zero = 0, max_sharing = 0;
	long long max_swapped = 0;
	long long wb0 = ovc_sysfs_value("compressed_written_back");
	unsigned long punches = 0, pwrites = 0, clears = 0, checks = 0;
	unsigned long enomem = 0;
	const char *fail_env = getenv("OVC_MAKE_IT_FAIL");
	bool make_it_fail = fail_env && *fail_env && strcmp(fail_env, "0");
	const char *env = getenv("OVC_STRESS_WRITES");
	const char *env_s = getenv("OVC_STRESS_SECONDS");
	double secs = STRESS_SECONDS, t0, t1, t2, t3;
	int fds[NPROC], p, running, errors = 0;
	unsigned long long ids[NPROC];
	struct ovc_vm_info info;
	char path[PATH_MAX];

	if (env && *env)
		total = strtoul(env, NULL, 0);
	if (env_s && *env_s)
		secs = strtod(env_s, NULL);
	/* 93% of the operations write a page (96% in "mmap"). */
	min_ops = total / NPROC * 100 / 93 + 1;

	for (p = 0; p < NPROC; p++) {
		snprintf(path, sizeof(path), "%s/vm%d", self->dir, p);
		fds[p] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ASSERT_LE(0, fds[p]) TH_LOG("%s: %m", path);
		ASSERT_EQ(0, ftruncate(fds[p], PAGES * OVC_PG));
		/* Replicas are other VMs: one domain for all. */
		ASSERT_EQ(0, ovc_set_domain(fds[p], 1));
		ASSERT_EQ(0, ovc_vm_info(fds[p], &info));
		ids[p] = info.id;
	}
	/*
	 * No sleep between passes, and passes as long as a few rounds: the
	 * scanner holds its mutex for a whole pass, which run=2 below waits
	 * for (with 100000 pages a pass, that took tens of seconds in TCG).
	 */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_PAGES_TO_SCAN, 4 * NPROC * PAGES));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));

	t0 = ovc_now();
	for (p = 0; p < NPROC; p++) {
		self->pid[p] = fork();
		ASSERT_LE(0, self->pid[p]);
		if (self->pid[p] == 0) {
			static struct writer w;

			/* Leave the scanner (nice 5) its share of the CPUs. */
			if (nice(10) < 0)
				_exit(3);
			w.fd = fds[p];
			w.map = mmap(NULL, PAGES * OVC_PG,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     fds[p], 0);
			if (w.map == MAP_FAILED)
				_exit(2);
			/* From here on, under fault injection. */
			if (make_it_fail && make_me_fail())
				_exit(4);
			w.logical = p % NLOGICAL;
			w.rnd = 0x2545f4914f6cdd1dULL * (w.logical + 1);
			w.use_write = variant->use_write;
			w.r = &self->shm->r[p];
			w.progress = &self->shm->progress[p];
			w.replica_progress =
				&self->shm->progress[(p + NLOGICAL) % NPROC];
			_exit(writer_main(&w, min_ops, self->shm));
		}
	}

	self->storer = fork();
	ASSERT_LE(0, self->storer);
	if (self->storer == 0)
		_exit(storer_main(ids, self->shm,
				  variant->swap ? self->max_percent : NULL));

	/* Watch the sharing while they write. */
	do {
		running = 0;
		for (p = 0; p < NPROC; p++)
			running += self->shm->r[p].phase == 0;
		seen = ovc_stat(&self->sh, OVC_ST_SHARING) +
		       ovc_stat(&self->sh, OVC_ST_ZERO);
		if (seen > max_seen)
			max_seen = seen;
		if (ovc_stat(&self->sh, OVC_ST_ZERO) > max_zero)
			max_zero = ovc_stat(&self->sh, OVC_ST_ZERO);
		if (ovc_sysfs_value("swapped_pages") > max_swapped)
			max_swapped = ovc_sysfs_value("swapped_pages");
		if (ovc_stat(&self->sh, OVC_ST_SHARING) > max_sharing)
			max_sharing = ovc_stat(&self->sh, OVC_ST_SHARING);
		for (p = 0; p < NPROC && running; p++) {
			/* A writer that died early: stop watching. */
			if (self->shm->r[p].phase == 0 &&
			    waitpid(self->pid[p], NULL, WNOHANG) == self->pid[p]) {
				self->pid[p] = -1;
				self->shm->r[p].phase = 2;
				self->shm->progress[p] = ~0UL;
			}
		}
		if (ovc_now() - t0 >= secs)
			self->shm->stop = 1;
		usleep(5000);
	} while (running);
	t1 = ovc_now();
	self->shm->stop = 1;	/* the storer too */
	ASSERT_EQ(0, ovc_wait_child(self->storer)) TH_LOG("the storer failed");
	self->storer = -1;

	/* Unmerge everything under them, then they check once more. */
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 2));
	ASSERT_EQ(0LL, ovc_stat(&self->sh, OVC_ST_SHARED));
	ASSERT_EQ(0LL, ovc_stat(&self->sh, OVC_ST_SHARING));
	/* (Zero slots stay on their zero frames: run=2 keeps them.) */
	t2 = ovc_now();
	self->shm->go_unmerged = 1;
	for (p = 0; p < NPROC; p++) {
		struct report *r = &self->shm->r[p];
		int ret = self->pid[p] > 0 ? ovc_wait_child(self->pid[p]) : -1;

		self->pid[p] = -1;
		if (ret || r->errors) {
			errors++;
			TH_LOG("writer %d: exit %d, %lu errors; first: %s", p,
			       ret, r->errors, r->err);
		}
		writes += r->writes;
		all_ops += r->ops;
		punches += r->punches;
		pwrites += r->pwrites;
		clears += r->clears;
		checks += r->checks;
		enomem += r->enomem;
	}
	for (p = 0; p < NPROC; p++)
		close(fds[p]);
	t3 = ovc_now();

	ksft_print_msg("stress.%s: %lld pages stored, %lld read back, at most %lld in the swap store, %lld moved there from the compressed cache\n",
		       variant->swap ? "mixed_swap" :
		       variant->use_write ? "mixed" : "mmap",
		       vms_stat(ids, "swap_outs"), vms_stat(ids, "swap_ins"),
		       max_swapped,
		       ovc_sysfs_value("compressed_written_back") - wb0);
	ksft_print_msg("stress.%s: %lu ops in %.1f s (unmerge %.1f s, last check %.1f s): %lu page writes (%lu by write(), %lu clears), %lu punches, %lu page checks; merged at most %lld slots (pages_sharing %lld, pages_zero %lld), %lld cow breaks, %lld full scans, %lld pinned, %lld stale hints%s%lu ENOMEM retries\n",
		       variant->swap ? "mixed_swap" :
		       variant->use_write ? "mixed" : "mmap", all_ops, t1 - t0,
		       t2 - t1, t3 - t2,
		       writes, pwrites, clears, punches, checks, max_seen,
		       max_sharing, max_zero,
		       ovc_stat(&self->sh, OVC_ST_COW_BREAKS) - cow0,
		       ovc_stat(&self->sh, OVC_ST_FULL_SCANS) - full0,
		       ovc_stat(&self->sh, OVC_ST_PINNED) - pinned0,
		       ovc_stat(&self->sh, OVC_ST_HINT_STALE) - stale0,
		       make_it_fail ? "; under fault injection: " : "; ", enomem);
	ASSERT_EQ(0, errors) TH_LOG("corruption (or a writer failed)");
	ASSERT_LE(total, writes);
	/* The run did exercise sharing. */
	ASSERT_LT(0, max_sharing);
	ASSERT_LT(0, max_zero);
	ASSERT_LT(0, ovc_stat(&self->sh, OVC_ST_COW_BREAKS) - cow0);
	/* ... and storing: pages went out and came back in. */
	ASSERT_LT(0, vms_stat(ids, "swap_outs"));
	ASSERT_LT(0, vms_stat(ids, "swap_ins"));
	if (variant->swap)
		ASSERT_LT(0, max_swapped);
}

TEST_HARNESS_MAIN
