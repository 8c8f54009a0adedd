/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the page-sharing selftests (ovcfs_share_test.c,
 * ovcfs_stress_test.c); include after ovc_test_util.h.
 *
 * The scanner's knobs (/sys/kernel/mm/ovc/run, pages_to_scan,
 * sleep_millisecs, zero_only) are saved when a test starts and restored
 * when it ends, after run=2 has unmerged everything; the statistics are
 * opened once and read with pread().  Tests wait for the scanner by
 * watching full_scans rise, never by sleeping a guessed time.
 */
#ifndef OVC_SHARE_UTIL_H
#define OVC_SHARE_UTIL_H

#include <time.h>

enum ovc_knob {
	OVC_KNOB_RUN,
	OVC_KNOB_PAGES_TO_SCAN,
	OVC_KNOB_SLEEP,
	OVC_KNOB_ZERO_ONLY,
	OVC_NR_KNOBS,
};

static const char * const ovc_knob_names[OVC_NR_KNOBS] OVC_UNUSED = {
	[OVC_KNOB_RUN]		= "run",
	[OVC_KNOB_PAGES_TO_SCAN] = "pages_to_scan",
	[OVC_KNOB_SLEEP]	= "sleep_millisecs",
	[OVC_KNOB_ZERO_ONLY]	= "zero_only",
};

/* (Never NULL: gcc cannot tell inside the harness's macros.) */
static inline const char *ovc_knob_name(int k)
{
	return k >= 0 && k < OVC_NR_KNOBS ? ovc_knob_names[k] : "?";
}

/* KSM's defaults, which ovc.ko starts with. */
static const long long ovc_knob_defaults[OVC_NR_KNOBS] OVC_UNUSED = {
	[OVC_KNOB_RUN]		= 0,
	[OVC_KNOB_PAGES_TO_SCAN] = 100,
	[OVC_KNOB_SLEEP]	= 20,
	[OVC_KNOB_ZERO_ONLY]	= 0,
};

enum ovc_stat {
	OVC_ST_SHARED,		/* pages_shared: live non-zero frames */
	OVC_ST_SHARING,		/* pages_sharing: slots on them - frames */
	OVC_ST_ZERO,		/* pages_zero: slots on the zero frame */
	OVC_ST_UNSHARED,	/* pages_unshared: hints */
	OVC_ST_VOLATILE,
	OVC_ST_SCANNED,
	OVC_ST_FULL_SCANS,
	OVC_ST_COW_BREAKS,
	OVC_ST_HINT_STALE,
	OVC_ST_PINNED,
	OVC_NR_STATS,
};

static const char * const ovc_stat_names[OVC_NR_STATS] OVC_UNUSED = {
	[OVC_ST_SHARED]		= "pages_shared",
	[OVC_ST_SHARING]	= "pages_sharing",
	[OVC_ST_ZERO]		= "pages_zero",
	[OVC_ST_UNSHARED]	= "pages_unshared",
	[OVC_ST_VOLATILE]	= "pages_volatile",
	[OVC_ST_SCANNED]	= "pages_scanned",
	[OVC_ST_FULL_SCANS]	= "full_scans",
	[OVC_ST_COW_BREAKS]	= "cow_breaks",
	[OVC_ST_HINT_STALE]	= "hint_stale",
	[OVC_ST_PINNED]		= "pages_pinned",
};

/* The scanner as a test found it, and its statistics. */
struct ovc_share {
	int stat_fd[OVC_NR_STATS];
	long long knob0[OVC_NR_KNOBS];
};

/* Whether this ovc.ko shares pages at all. */
static inline bool ovc_share_present(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/run", OVC_SYSFS_ROOT);
	return !access(path, F_OK);
}

/* In a fixture setup: fail without ovc.ko or without its page sharing. */
#define OVC_SHARE_SETUP_REQUIRE() do {					\
	if (!ovc_module_present())					\
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);			\
	if (!ovc_share_present())					\
		OVC_SETUP_FAIL("%s/run absent: no page sharing in this ovc.ko", \
			       OVC_SYSFS_ROOT);				\
} while (0)

static inline int ovc_knob_set(enum ovc_knob k, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return ovc_sysfs_write(ovc_knob_names[k], buf);
}

static inline long long ovc_knob(enum ovc_knob k)
{
	return ovc_sysfs_value("%s", ovc_knob_names[k]);
}

static inline long long ovc_stat(const struct ovc_share *s, enum ovc_stat st)
{
	return ovc_counter(s->stat_fd[st]);
}

static inline void ovc_share_close(struct ovc_share *s)
{
	int i;

	for (i = 0; i < OVC_NR_STATS; i++) {
		if (s->stat_fd[i] >= 0)
			close(s->stat_fd[i]);
		s->stat_fd[i] = -1;
	}
}

/*
 * Open the statistics and save the knobs.
 * Return: 0, or -1 (a file is missing or unreadable).
 */
static inline int ovc_share_open(struct ovc_share *s)
{
	int i;

	for (i = 0; i < OVC_NR_STATS; i++)
		s->stat_fd[i] = -1;
	for (i = 0; i < OVC_NR_STATS; i++) {
		s->stat_fd[i] = ovc_sysfs_open("%s", ovc_stat_names[i]);
		if (s->stat_fd[i] < 0 || ovc_counter(s->stat_fd[i]) < 0)
			goto fail;
	}
	for (i = 0; i < OVC_NR_KNOBS; i++) {
		s->knob0[i] = ovc_knob(i);
		if (s->knob0[i] < 0)
			goto fail;
	}
	return 0;
fail:
	ovc_share_close(s);
	return -1;
}

/*
 * The scanner at its fastest, stopped for now: a test sets run=1 when its
 * pages are ready.  No sleep between passes; 10000 pages a pass is many
 * rounds over a test's files, and short enough that writes which wait for
 * the scanner's mutex (run, zero_only, share_domain, VM teardown: it is
 * held for a whole pass) do not wait long.
 * Return: 0 or the errno of the first failed write.
 */
static inline int ovc_share_fast(void)
{
	int err;

	err = ovc_knob_set(OVC_KNOB_RUN, 0);
	if (!err)
		err = ovc_knob_set(OVC_KNOB_ZERO_ONLY, 0);
	if (!err)
		err = ovc_knob_set(OVC_KNOB_PAGES_TO_SCAN, 10000);
	if (!err)
		err = ovc_knob_set(OVC_KNOB_SLEEP, 0);
	return err;
}

/*
 * Unmerge everything (run=2), then put every knob back as it was.
 * Return: 0 or the errno of the first failed write.
 */
static inline int ovc_share_restore(const struct ovc_share *s)
{
	int err, e, i;

	err = ovc_knob_set(OVC_KNOB_RUN, 2);
	for (i = OVC_KNOB_PAGES_TO_SCAN; i < OVC_NR_KNOBS; i++) {
		e = ovc_knob_set(i, s->knob0[i]);
		if (!err)
			err = e;
	}
	/* run=2 is a command; what stays afterwards is "stopped". */
	e = ovc_knob_set(OVC_KNOB_RUN, s->knob0[OVC_KNOB_RUN] == 1 ? 1 : 0);
	return err ? err : e;
}

static inline double ovc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until full_scans has risen by @n (the scanner must be running): a
 * round that started before the call ends with the first one, so @n = 2
 * means one whole round over every page since.  Polls every millisecond;
 * gives up after @timeout_s seconds.  Return: 0, or -1 on timeout.
 */
static inline int ovc_wait_full_scans(const struct ovc_share *s, long long n,
				      double timeout_s)
{
	long long target = ovc_stat(s, OVC_ST_FULL_SCANS) + n;
	double end = ovc_now() + timeout_s;

	while (ovc_stat(s, OVC_ST_FULL_SCANS) < target) {
		if (ovc_now() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* --- a page with a header and a checksum ------------------------------ */

/*
 * A data page of the stress test: 512 words.  w[0] magic, w[1] file id,
 * w[2] page index, w[3] generation, w[4] checksum of every other word;
 * the rest is the body.  The checksum is a sum of position-mixed words, so
 * changing one word updates it in O(1).
 */
#define OVC_PW_MAGIC		0x6f76632d70616765ULL	/* "ovc-page" */
#define OVC_PW_FILE		1
#define OVC_PW_INDEX		2
#define OVC_PW_GEN		3
#define OVC_PW_SUM		4
#define OVC_PW_BODY		5
#define OVC_PW_WORDS		(OVC_PG / 8)

static inline uint64_t ovc_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* What word @k holding @v adds to the checksum. */
static inline uint64_t ovc_pw_term(unsigned int k, uint64_t v)
{
	return ovc_mix64(v + (k + 1) * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t ovc_pw_sum(const volatile uint64_t *w)
{
	uint64_t sum = 0;
	unsigned int k;

	for (k = 0; k < OVC_PW_WORDS; k++)
		if (k != OVC_PW_SUM)
			sum += ovc_pw_term(k, w[k]);
	return sum;
}

#endif /* OVC_SHARE_UTIL_H */
