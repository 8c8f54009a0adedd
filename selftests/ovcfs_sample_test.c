// SPDX-License-Identifier: GPL-2.0
/*
 * Idle sampling (kmod/sample.c): a process keeps touching exactly a given
 * fraction of a 64 MiB VM file while the sampler estimates it
 * (vms/<id>/active_permille, active_pages, sample_periods).
 *
 * Sample size 1000 pages per period (sample_pages=1000) of the file's
 * 16384: binomial noise of f = 0.2 is sqrt(0.2 * 0.8 / 1000) = 1.3
 * points (with the default 100 it would be 4).  Periods of 1000 ms.
 *
 * Also: the guest's report bounds the estimate (OVC_IOC_GUEST_REPORT);
 * the knobs refuse bad values and 0 stops sampling; a period costs at most
 * sample_pages faults (the faults the process takes, from getrusage());
 * merged pages are never sampled (the ovc_sample_period tracepoint's
 * counts, and the faults again).  Knobs are saved and restored.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <time.h>
#include "ovc_test_util.h"

#define MIB		64UL
#define PAGES		(MIB * 1024 * 1024 / OVC_PG)
#define LEN		(PAGES * OVC_PG)
#define PERIOD_MS	1000
#define SAMPLE		1000
#define TRACEFS		"/sys/kernel/tracing"
#define EVENT		TRACEFS "/events/ovc/ovc_sample_period/enable"

static const char *const knobs[] = {
	"sample_period_ms", "sample_pages", "run", "pages_to_scan",
	"sleep_millisecs",
};
#define NR_KNOBS	(sizeof(knobs) / sizeof(knobs[0]))

FIXTURE(sample) {
	struct ovc_vmfile f;
	long long knob0[NR_KNOBS];
	int periods_fd, permille_fd, active_fd;
	volatile int *pct;	/* the child's touched percent; -1: exit */
	pid_t child;
};

static int set_knob(const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return ovc_sysfs_write(name, buf);
}

/* Stop the tracepoint if a test turned it on. */
static void trace_off(void)
{
	int fd = open(EVENT, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			perror(EVENT);
		close(fd);
	}
}

FIXTURE_SETUP(sample)
{
	size_t i;

	self->child = 0;
	self->pct = MAP_FAILED;
	ovc_vmfile_setup(_metadata, &self->f);
	for (i = 0; i < NR_KNOBS; i++)
		self->knob0[i] = ovc_sysfs_value("%s", knobs[i]);
	self->periods_fd = ovc_sysfs_open("vms/%llu/sample_periods",
					  self->f.id);
	self->permille_fd = ovc_sysfs_open("vms/%llu/active_permille",
					   self->f.id);
	self->active_fd = ovc_sysfs_open("vms/%llu/active_pages", self->f.id);
	if (self->knob0[0] < 0 || self->knob0[1] < 0 ||
	    self->periods_fd < 0 || self->permille_fd < 0 ||
	    self->active_fd < 0) {
		ovc_vmfile_release(&self->f);
		unlink(self->f.path);
		ovc_counters_close(&self->f.cnt);
		OVC_SETUP_FAIL("sample_period_ms, sample_pages or vms/%llu/"
			       "sample_periods, active_permille, active_pages "
			       "absent", self->f.id);
	}
	self->pct = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->pct);
	*self->pct = 0;
}

FIXTURE_TEARDOWN(sample)
{
	size_t i;

	if (self->child > 0) {
		*self->pct = -1;
		EXPECT_EQ(0, ovc_wait_child(self->child));
	}
	trace_off();
	/* Sampling stops first, so no mark outlives the file's pages. */
	for (i = 0; i < NR_KNOBS; i++)
		EXPECT_EQ(0, set_knob(knobs[i], self->knob0[i]))
			TH_LOG("restoring knob %zu", i);
	ovc_vmfile_teardown(_metadata, &self->f);
	close(self->periods_fd);
	close(self->permille_fd);
	close(self->active_fd);
	if (self->pct != MAP_FAILED)
		munmap((void *)self->pct, OVC_PG);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait until sample_periods reaches @target; return it, or -1 on timeout. */
static long long wait_periods(int fd, long long target, long long timeout_ms)
{
	long long end = now_ms() + timeout_ms, v;

	while ((v = ovc_counter(fd)) < target) {
		if (v < 0 || now_ms() > end)
			return -1;
		usleep(20000);
	}
	return v;
}

/* Wait for the next period's end; return the estimate then, or -1. */
static long long next_estimate(FIXTURE_DATA(sample) *self)
{
	long long p = ovc_counter(self->periods_fd);

	if (p < 0 || wait_periods(self->periods_fd, p + 1, 5 * PERIOD_MS) < 0)
		return -1;
	return ovc_counter(self->permille_fd);
}

/* Read and write one byte in each of the first @n pages. */
static void touch(char *map, unsigned long n, unsigned int pass)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		volatile char *p = map + i * OVC_PG + (pass % 64) * 8;

		*p = *p + 1;
	}
}

/* Read one byte of each page of [0, n). */
static void read_all(const char *map, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		(void)((const volatile char *)map)[i * OVC_PG];
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Map and fill the file (distinct pages), fork the touching child; return
 * once it has made its first pass.  That pass faults in every page of its
 * share (fork copies no PTEs of a shared file mapping): on a slow kernel
 * (the debug layer's, under TCG) it took longer than a sample period, and
 * the first estimate saw a child not yet touching its share.
 */
static void start_child(struct __test_metadata *_metadata,
			FIXTURE_DATA(sample) *self, int pct)
{
	volatile int *passes = self->pct + 1;
	long long end;

	ovc_vmfile_map(_metadata, &self->f, LEN);
	touch(self->f.map, PAGES, 0);
	ASSERT_EQ((long long)PAGES, ovc_resident(&self->f));
	*self->pct = pct;
	*passes = 0;
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		unsigned int pass = 1;
		int p;

		while ((p = *self->pct) >= 0) {
			touch(self->f.map, PAGES * p / 100, pass++);
			*passes = *passes + 1;
		}
		_exit(0);
	}
	end = now_ms() + 60000;
	while (!*passes && now_ms() < end)
		usleep(10000);
	ASSERT_LT(0, *passes) TH_LOG("the child made no pass in 60 s");
}

/*
 * 20 %, then 80 %, then 20 % again.  The brief's bounds: within 5 points of
 * 200 after 5 periods; 750 or more within 2 periods of the rise; still well
 * above 200 (at least 300; the averages say 350) 2 periods after the fall.
 */
TEST_F_TIMEOUT(sample, accuracy, 120)
{
	long long est[5], e, err = 0;
	int i;

	start_child(_metadata, self, 20);
	ASSERT_EQ(0, set_knob("sample_pages", SAMPLE));
	ASSERT_EQ(0, set_knob("sample_period_ms", PERIOD_MS));
	for (i = 0; i < 5; i++) {
		est[i] = next_estimate(self);
		ASSERT_LE(0, est[i]) TH_LOG("no period ended");
	}
	TH_LOG("20%%: estimates %lld %lld %lld %lld %lld (permille)", est[0],
	       est[1], est[2], est[3], est[4]);
	for (i = 0; i < 5; i++)
		err = llabs(est[i] - 200) > err ? llabs(est[i] - 200) : err;
	TH_LOG("20%%: largest error %lld permille over 5 periods, %lld at "
	       "the 5th", err, llabs(est[4] - 200));
	ASSERT_LE(llabs(est[4] - 200), 50);

	*self->pct = 80;
	est[0] = next_estimate(self);
	est[1] = next_estimate(self);
	TH_LOG("80%%: estimates %lld %lld", est[0], est[1]);
	ASSERT_LE(750, est[0] > est[1] ? est[0] : est[1]);
	ASSERT_LE(750, est[1]);
	TH_LOG("80%%: error %lld permille after 2 periods", llabs(est[1] - 800));

	*self->pct = 20;
	est[0] = next_estimate(self);
	est[1] = next_estimate(self);
	TH_LOG("back to 20%%: estimates %lld %lld", est[0], est[1]);
	ASSERT_LE(300, est[1]) TH_LOG("the fall was followed too fast");
	ASSERT_GE(est[0] + 30, est[1]);	/* decaying, not jumping */
	e = ovc_counter(self->active_fd);
	ASSERT_LE(0, e);
	ASSERT_LE(e, (long long)PAGES);
	/* active_pages = permille x resident / 1000 (no guest report) */
	ASSERT_LE(llabs(e - ovc_counter(self->permille_fd) *
			(long long)PAGES / 1000), 20);
}

/*
 * All pages touched: active ~ 1000.  The guest reports 3/4 of its memory
 * free: active_pages <= 4096 and active_permille lowered to match; a
 * report of nothing free lifts the bound.
 */
TEST_F_TIMEOUT(sample, guest_bound, 60)
{
	long long pm, ap;

	/* Before the first period: unknown, all active. */
	ovc_vmfile_map(_metadata, &self->f, LEN);
	touch(self->f.map, PAGES, 0);
	ASSERT_EQ(1000LL, ovc_counter(self->permille_fd));
	ASSERT_EQ((long long)PAGES, ovc_counter(self->active_fd));
	munmap(self->f.map, LEN);
	self->f.map = MAP_FAILED;

	start_child(_metadata, self, 100);
	ASSERT_EQ(0, set_knob("sample_pages", SAMPLE));
	ASSERT_EQ(0, set_knob("sample_period_ms", PERIOD_MS));
	ASSERT_LE(950, next_estimate(self));
	ASSERT_LE((long long)PAGES * 95 / 100, ovc_counter(self->active_fd));

	ASSERT_EQ(0, ovc_guest_report(self->f.fd, OVC_UNKNOWN, PAGES * 3 / 4, PAGES));
	next_estimate(self);
	pm = next_estimate(self);
	ap = ovc_counter(self->active_fd);
	TH_LOG("guest 3/4 free: active_permille %lld, active_pages %lld", pm,
	       ap);
	ASSERT_EQ((long long)PAGES / 4, ap);
	ASSERT_EQ(250LL, pm);

	ASSERT_EQ(0, ovc_guest_report(self->f.fd, OVC_UNKNOWN, 0, PAGES));
	ASSERT_LE(950, next_estimate(self));
	ASSERT_LE((long long)PAGES * 95 / 100, ovc_counter(self->active_fd));
}

/* Bad values are refused and change nothing; 0 stops sampling. */
TEST_F_TIMEOUT(sample, knobs, 60)
{
	static const struct { const char *knob, *val; } bad[] = {
		{ "sample_period_ms", "50" }, { "sample_period_ms", "99" },
		{ "sample_period_ms", "3600001" }, { "sample_period_ms", "abc" },
		{ "sample_period_ms", "-1" }, { "sample_period_ms", "1e3" },
		{ "sample_pages", "0" }, { "sample_pages", "65537" },
		{ "sample_pages", "x1" },
	};
	long long p, f0;
	size_t i;

	ASSERT_EQ(0, ovc_sysfs_write("sample_period_ms", "3600000"));
	ASSERT_EQ(0, ovc_sysfs_write("sample_period_ms", "100"));
	ASSERT_EQ(0, ovc_sysfs_write("sample_pages", "65536"));
	ASSERT_EQ(0, ovc_sysfs_write("sample_pages", "1"));
	ASSERT_EQ(0, ovc_sysfs_write("sample_period_ms", "1000"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(EINVAL, ovc_sysfs_write(bad[i].knob, bad[i].val))
			TH_LOG("%s = '%s'", bad[i].knob, bad[i].val);
	}
	ASSERT_EQ(1000LL, ovc_sysfs_value("sample_period_ms"));
	ASSERT_EQ(1LL, ovc_sysfs_value("sample_pages"));

	/* Sampling runs, then stops: no period ends, no page is unmapped. */
	ASSERT_EQ(0, set_knob("sample_pages", SAMPLE));
	ovc_vmfile_map(_metadata, &self->f, LEN);
	touch(self->f.map, PAGES, 0);
	ASSERT_LE(0, next_estimate(self));
	ASSERT_LE(0, next_estimate(self));
	ASSERT_EQ(0, ovc_sysfs_write("sample_period_ms", "0"));
	ASSERT_EQ(0LL, ovc_sysfs_value("sample_period_ms"));
	usleep(300000);
	p = ovc_counter(self->periods_fd);
	read_all(self->f.map, PAGES);	/* the last sample's unmapped pages */
	f0 = minflt();
	usleep(3 * PERIOD_MS * 1000);
	read_all(self->f.map, PAGES);
	ASSERT_EQ(0L, minflt() - f0) TH_LOG("pages unmapped while stopped");
	ASSERT_EQ(p, ovc_counter(self->periods_fd));
}

/* Lines of the trace for this VM: sampled, touched, picked. */
struct tp { long long sampled, touched, picked; };

static int read_trace(unsigned long long id, struct tp *out, int max)
{
	char line[512], key[64];
	unsigned long long vm;
	int n = 0;
	FILE *f = fopen(TRACEFS "/trace", "r");
	char *p;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), "vm=%llu ", id);
	while (n < max && fgets(line, sizeof(line), f)) {
		p = strstr(line, "ovc_sample_period: ");
		if (!p || !strstr(p, key))
			continue;
		if (sscanf(p, "ovc_sample_period: vm=%llu sampled=%lld "
			   "touched=%lld %*s %*s %*s picked=%lld", &vm, &out[n].sampled, &out[n].touched,
			   &out[n].picked) == 4 && vm == id)
			n++;
	}
	fclose(f);
	return n;
}

static void trace_on(struct __test_metadata *_metadata)
{
	struct stat st;

	if (stat(TRACEFS "/trace", &st))
		ASSERT_EQ(0, system("mount -t tracefs nodev " TRACEFS));
	ASSERT_EQ(0, system("echo > " TRACEFS "/trace"));
	ASSERT_EQ(0, system("echo 1 > " EVENT));
}

/*
 * Sample @want pages a period; read the first @pages pages of the map in a
 * loop through the period that starts, then through 3 more.  Return: the
 * process's faults in those 3 periods.
 */
static long long faults_in_3_periods(struct __test_metadata *_metadata,
				     FIXTURE_DATA(sample) *self,
				     unsigned long pages, long long want)
{
	long long p, f0;

	ASSERT_EQ(0, set_knob("sample_pages", want));
	ASSERT_EQ(0, set_knob("sample_period_ms", PERIOD_MS));
	p = ovc_counter(self->periods_fd);
	while (ovc_counter(self->periods_fd) < p + 1)
		read_all(self->f.map, pages);
	f0 = minflt();
	while (ovc_counter(self->periods_fd) < p + 4)
		read_all(self->f.map, pages);
	return minflt() - f0;
}

/*
 * All pages read in a loop: every sampled page faults once (a read then a
 * write would fault twice: the read maps it read-only, the write goes
 * through page_mkwrite).
 * The faults of the process over 3 periods stay within 3 periods'
 * sample_pages plus one period's worth of pages unmapped before; the
 * tracepoint says no period picked or counted more than sample_pages.
 */
TEST_F_TIMEOUT(sample, fault_bound, 60)
{
	const long long want = 200;
	long long faults;
	struct tp tp[16];
	int n, i;

	trace_on(_metadata);
	ovc_vmfile_map(_metadata, &self->f, LEN);
	touch(self->f.map, PAGES, 0);
	faults = faults_in_3_periods(_metadata, self, PAGES, want);
	TH_LOG("%lld faults in 3 periods of sample_pages=%lld", faults, want);
	ASSERT_LE(faults, 4 * want);
	ASSERT_LE(2 * want, faults) TH_LOG("sampling unmapped too little");

	n = read_trace(self->f.id, tp, 16);
	ASSERT_LE(3, n) TH_LOG("ovc_sample_period events: %d", n);
	for (i = 0; i < n; i++) {
		ASSERT_LE(tp[i].picked, want);
		ASSERT_LE(tp[i].sampled, want);
		ASSERT_LE(tp[i].touched, tp[i].sampled);
	}
	/* every page is touched each pass: a full period counts them all */
	for (i = 0; i < n; i++)
		if (tp[i].sampled == want && tp[i].touched == want)
			break;
	ASSERT_LT(i, n) TH_LOG("no period found every sample touched");
}

/*
 * 4096 equal pages and 96 distinct ones, merged by the scanner: only the
 * 96 private pages are ever sampled (picked, counted), and reading every
 * page faults no more than the private ones do.
 */
TEST_F_TIMEOUT(sample, merged_not_sampled, 90)
{
	const unsigned long equal = 4096, distinct = 96;
	const unsigned long n = equal + distinct;
	long long faults, resident;
	struct tp tp[16];
	unsigned long i;
	long long end;
	int k, m;

	ovc_vmfile_map(_metadata, &self->f, n * OVC_PG);
	for (i = 0; i < n; i++)
		memset(self->f.map + i * OVC_PG, i < equal ? 0x5a : (int)i,
		       OVC_PG);
	ASSERT_EQ(0, set_knob("pages_to_scan", 10000));
	ASSERT_EQ(0, set_knob("sleep_millisecs", 20));
	ASSERT_EQ(0, set_knob("run", 1));
	end = now_ms() + 60000;
	while (ovc_resident(&self->f) > (long long)distinct + 1 &&
	       now_ms() < end)
		usleep(50000);
	ASSERT_EQ(0, set_knob("run", 0));
	resident = ovc_resident(&self->f);
	TH_LOG("resident after merging: %lld of %lu", resident, n);
	ASSERT_GE((long long)distinct + 1, resident);
	trace_on(_metadata);	/* periods started before the merge: gone */

	faults = faults_in_3_periods(_metadata, self, n, SAMPLE);
	TH_LOG("%lld faults in 3 periods, %lld private pages", faults,
	       resident);
	ASSERT_LE(faults, 4 * resident);

	m = read_trace(self->f.id, tp, 16);
	ASSERT_LE(3, m);
	for (k = 0; k < m; k++) {
		ASSERT_LE(tp[k].picked, resident);
		ASSERT_LE(tp[k].sampled, resident);
	}
	ASSERT_LT(0, tp[m - 1].picked) TH_LOG("the private pages not sampled");
}

TEST_HARNESS_MAIN
