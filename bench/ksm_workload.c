// SPDX-License-Identifier: GPL-2.0
/*
 * ksm_workload: one measured run of bench/ksm-compare, INSIDE the test VM.
 *
 * Forks N processes that each map 64 MiB (--mib) and fill it with the same
 * mix of pages: ~50 % "shared" contents (every process holds each of them
 * once: half at the same offset in every process, half at rotated offsets),
 * ~20 % zero pages, ~30 % unique random pages.  The page classes and
 * contents depend only on --seed, so the ovc run and the KSM run see the
 * same bytes.
 *
 *   --backend ovc: MAP_SHARED mappings of files created in --dir (an ovcfs
 *	mount); the scanner is ovc_scand, /sys/kernel/mm/ovc.
 *   --backend ksm: MAP_PRIVATE|MAP_ANONYMOUS + MADV_MERGEABLE (and
 *	MADV_NOHUGEPAGE: ovcfs has 4 KiB pages only); the scanner is ksmd,
 *	/sys/kernel/mm/ksm, with use_zero_pages=--ksm-zero-pages.
 *
 * Once all processes have filled their memory, the scanner gets
 * pages_to_scan/sleep_millisecs and run=1, and the savings are sampled every
 * --interval-ms until stable: unchanged for --stable-ms AND for two full
 * scans (KSM merges nothing in its first full scan), or --cap-s.  Then the
 * scanner stops, every process re-reads and checks its memory (which also
 * maps the merged pages again, for the Pss cross-check), the scanner
 * unmerges everything (run=2) and the processes exit.
 *
 * Saved pages, over time:
 *   ovc: touched - (pages_resident + pages_shared); touched is
 *	pages_resident before run=1.
 *   ksm: pages_sharing + drop of the processes' RssAnon (6.1's KSM counts a
 *	page merged into the zero page nowhere but in RssAnon; a page merged
 *	into a KSM page stays in the RssAnon of every process mapping it).
 * Cross-checks at the end: the drop of the processes' summed Pss (Pss_File
 * for ovc, Pss_Anon for KSM: exact distinct pages, as every mapped page
 * counts 1/mapcount), and the rise of free pages, per-CPU lists included
 * (net of the scanners' own metadata).
 *
 * Output: "sample: ..." lines (the time series), "timeline: ..." and one
 * "bench: key=value ..." result line.  Exit status 0 only if the run
 * completed and every process read back what it wrote.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/ovc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "bench_util.h"

#define PG		4096UL
#define WORDS		(PG / sizeof(uint64_t))
#define OVC_SYS		"/sys/kernel/mm/ovc"
#define KSM_SYS		"/sys/kernel/mm/ksm"
#define MAX_PROCS	64

enum backend { BK_OVC, BK_KSM };
enum pclass { PC_SHARED, PC_ZERO, PC_UNIQUE };

static struct {
	enum backend bk;
	int procs;
	unsigned long mib;
	uint64_t seed;
	const char *dir;
	unsigned int pts, sleep_ms;
	int ksm_zero;
	unsigned int interval_ms, stable_ms, cap_s, wait_s;
	const char *label;
} o = {
	.bk = BK_OVC, .procs = 4, .mib = 64, .seed = 1, .dir = "/run/ovc-bench",
	.pts = 100, .sleep_ms = 20, .ksm_zero = 1,
	.interval_ms = 100, .stable_ms = 3000, .cap_s = 300, .wait_s = 180,
	.label = NULL,
};

static const char *sysdir(void)
{
	return o.bk == BK_OVC ? OVC_SYS : KSM_SYS;
}

static const char *impl(void)
{
	return o.bk == BK_OVC ? "ovc" : "ksm";
}

/* ---- page contents, identical in every run with the same seed ---- */

static enum pclass page_class(uint64_t p)
{
	unsigned int r = mix64(o.seed * 0x9e3779b97f4a7c15ULL ^ (p + 1)) % 10;

	return r < 5 ? PC_SHARED : r < 7 ? PC_ZERO : PC_UNIQUE;
}

/* Fill one page from a splitmix64 stream keyed by (seed, a, b). */
static void gen_page(uint64_t *w, uint64_t a, uint64_t b)
{
	uint64_t s = mix64(mix64(o.seed ^ 0x6f76632d62656e63ULL) ^ a) ^ mix64(b);
	size_t i;

	for (i = 0; i < WORDS; i++) {
		s += 0x9e3779b97f4a7c15ULL;
		w[i] = mix64(s);
	}
}

struct layout {
	unsigned long npages;
	enum pclass *cls;	/* per page */
	unsigned long *rank;	/* per shared page: its rank among them */
	unsigned long nshared, nzero, nunique;
};

static struct layout lay;

static void layout_init(void)
{
	unsigned long p;

	lay.npages = o.mib * (1024 * 1024 / PG);
	lay.cls = calloc(lay.npages, sizeof(*lay.cls));
	lay.rank = calloc(lay.npages, sizeof(*lay.rank));
	if (!lay.cls || !lay.rank)
		die("out of memory");
	for (p = 0; p < lay.npages; p++) {
		lay.cls[p] = page_class(p);
		if (lay.cls[p] == PC_SHARED)
			lay.rank[p] = lay.nshared++;
		else if (lay.cls[p] == PC_ZERO)
			lay.nzero++;
		else
			lay.nunique++;
	}
}

/*
 * Content id of shared page @p in process @i: the first half of the shared
 * pages hold the same content at the same offset in every process, the
 * second half is rotated per process (same contents, other offsets).
 */
static unsigned long shared_id(unsigned long p, int i)
{
	unsigned long q = lay.rank[p], half = lay.nshared / 2;
	unsigned long rest = lay.nshared - half;

	if (q < half || !rest)
		return q;
	return half + (q - half + (unsigned long)i * (rest / o.procs + 1)) % rest;
}

static void expected_page(uint64_t *w, unsigned long p, int i)
{
	switch (lay.cls[p]) {
	case PC_SHARED:
		gen_page(w, 0x5eed, shared_id(p, i));
		break;
	case PC_ZERO:
		memset(w, 0, PG);
		break;
	case PC_UNIQUE:
		gen_page(w, 0x1000 + i, p);
		break;
	}
}

/* ---- sysfs and /proc ---- */

static unsigned long knob(const char *name)
{
	char path[256];
	unsigned long v;

	snprintf(path, sizeof(path), "%s/%s", sysdir(), name);
	if (read_ul(path, &v))
		die("cannot read %s: %s", path, strerror(errno));
	return v;
}

static void set_knob(const char *name, unsigned long v)
{
	char path[256], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", sysdir(), name);
	n = snprintf(buf, sizeof(buf), "%lu", v);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	if (write(fd, buf, n) != n)
		die("writing %s to %s: %s", buf, path, strerror(errno));
	close(fd);
}

/* A kernel thread by name, e.g. "ksmd"; 0 if none. */
static pid_t find_thread(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!d)
		die("opendir /proc: %s", strerror(errno));
	while (!found && (e = readdir(d))) {
		char path[300], buf[64];
		FILE *f;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, comm))
				found = atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

struct cpu {
	unsigned long long ticks;	/* utime + stime, /proc/PID/stat */
	unsigned long long ns;		/* sum_exec_runtime, /proc/PID/schedstat */
};

static void read_cpu(pid_t pid, struct cpu *c)
{
	char path[64], buf[1024], *s;
	unsigned long long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("scanner thread %d gone: %s", pid, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("read %s", path);
	buf[n] = 0;
	s = strrchr(buf, ')');
	/* after ")": state(3) ... utime(14) stime(15) */
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		die("cannot parse %s", path);
	c->ticks = ut + st;
	c->ns = 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			c->ns = strtoull(buf, NULL, 10);
		}
		close(fd);
	}
}

/* A "Key:   N kB" field of a /proc file, in kB; -1 if absent. */
static long proc_kb(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/*
 * Free pages, including those parked on the per-CPU lists (MemFree leaves
 * those out, and a freed page usually lands there first).
 */
static long free_pages(void)
{
	char line[256];
	long v = 0, n;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %ld", &n) == 1)
			v += n;
		else if (sscanf(line, " count: %ld", &n) == 1)
			v += n;
	}
	fclose(f);
	return v;
}

/* ---- the worker processes ---- */

struct child {
	pid_t pid;
	int cmd;	/* parent writes commands */
	int rep;	/* child writes reports */
	char buf[128];
	size_t len;
};

static struct child kids[MAX_PROCS];

static void file_path(char *buf, size_t len, int i)
{
	snprintf(buf, len, "%s/ksm-compare-%d", o.dir, i);
}

static void report(int fd, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(fd, buf, n) != n)
		_exit(3);
}

static void child_main(int i, int cmd, int rep)
{
	size_t len = lay.npages * PG;
	uint64_t *exp = malloc(PG);
	unsigned long p, bad = 0;
	char *mem, c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!exp)
		report(rep, "error malloc\n"), _exit(2);
	if (o.bk == BK_OVC) {
		char path[300];
		int fd;

		file_path(path, sizeof(path), i);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			report(rep, "error open %s: %s\n", path, strerror(errno)), _exit(2);
		if (ftruncate(fd, len))
			report(rep, "error ftruncate: %s\n", strerror(errno)), _exit(2);
		/* KSM merges across processes: group the VMs the same way. */
		struct ovc_share_domain d = { .size = sizeof(d), .domain = 1 };

		if (ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, &d))
			report(rep, "error share domain: %s\n", strerror(errno)), _exit(2);
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (mem == MAP_FAILED)
			report(rep, "error mmap: %s\n", strerror(errno)), _exit(2);
	} else {
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			report(rep, "error mmap: %s\n", strerror(errno)), _exit(2);
		if (madvise(mem, len, MADV_NOHUGEPAGE))
			report(rep, "error MADV_NOHUGEPAGE: %s\n", strerror(errno)), _exit(2);
		if (madvise(mem, len, MADV_MERGEABLE))
			report(rep, "error MADV_MERGEABLE: %s\n", strerror(errno)), _exit(2);
	}
	for (p = 0; p < lay.npages; p++) {
		if (lay.cls[p] == PC_ZERO)
			memset(mem + p * PG, 0, PG);	/* touch: allocate */
		else
			expected_page((uint64_t *)(mem + p * PG), p, i);
	}
	report(rep, "ready\n");

	while (read(cmd, &c, 1) == 1) {
		if (c == 'V') {
			bad = 0;
			for (p = 0; p < lay.npages; p++) {
				expected_page(exp, p, i);
				bad += !!memcmp(mem + p * PG, exp, PG);
			}
			report(rep, "verified %lu\n", bad);
		} else if (c == 'Q') {
			break;
		}
	}
	munmap(mem, len);
	_exit(bad ? 1 : 0);
}

static void spawn(void)
{
	int i;

	for (i = 0; i < o.procs; i++) {
		int c[2], r[2];
		pid_t pid;

		if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC))
			die("pipe: %s", strerror(errno));
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(c[1]);
			close(r[0]);
			child_main(i, c[0], r[1]);
		}
		close(c[0]);
		close(r[1]);
		kids[i] = (struct child){ .pid = pid, .cmd = c[1], .rep = r[0] };
	}
}

/* Wait up to @secs for one line from every child; die on error lines. */
static void wait_lines(const char *what, unsigned int secs,
		       unsigned long *vals)
{
	double end = now_s() + secs;
	int left = o.procs, i;

	for (i = 0; i < o.procs; i++)
		kids[i].len = 0;
	while (left) {
		struct pollfd pf[MAX_PROCS];
		int n = 0, ms = (int)((end - now_s()) * 1000);

		if (ms <= 0)
			die("timed out after %us waiting for %d process(es) to report %s",
			    secs, left, what);
		for (i = 0; i < o.procs; i++)
			pf[i] = (struct pollfd){ .fd = kids[i].len == (size_t)-1 ? -1 : kids[i].rep,
						 .events = POLLIN };
		n = poll(pf, o.procs, ms);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; n > 0 && i < o.procs; i++) {
			struct child *k = &kids[i];
			ssize_t r;
			char *nl;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(k->rep, k->buf + k->len, sizeof(k->buf) - 1 - k->len);
			if (r <= 0)
				die("process %d (pid %d) died before reporting %s",
				    i, k->pid, what);
			k->len += r;
			k->buf[k->len] = 0;
			nl = strchr(k->buf, '\n');
			if (!nl)
				continue;
			*nl = 0;
			if (!strncmp(k->buf, "error", 5))
				die("process %d: %s", i, k->buf);
			if (strncmp(k->buf, what, strlen(what)))
				die("process %d: unexpected \"%s\"", i, k->buf);
			if (vals)
				vals[i] = strtoul(k->buf + strlen(what), NULL, 10);
			k->len = (size_t)-1;
			left--;
		}
	}
}

static void tell_all(char c)
{
	int i;

	for (i = 0; i < o.procs; i++)
		if (write(kids[i].cmd, &c, 1) != 1)
			die("process %d: command pipe: %s", i, strerror(errno));
}

static void reap_all(unsigned int secs)
{
	double end = now_s() + secs;
	int i, st;

	for (i = 0; i < o.procs; i++) {
		while (waitpid(kids[i].pid, &st, WNOHANG) == 0) {
			if (now_s() > end) {
				kill(kids[i].pid, SIGKILL);
				waitpid(kids[i].pid, &st, 0);
				fprintf(stderr, "ksm_workload: process %d killed after %us\n",
					i, secs);
				break;
			}
			usleep(20000);
		}
		close(kids[i].cmd);
		close(kids[i].rep);
	}
}

static bool kids_alive(void)
{
	int i, st;

	for (i = 0; i < o.procs; i++)
		if (waitpid(kids[i].pid, &st, WNOHANG) != 0)
			return false;
	return true;
}

static long sum_kb(const char *file, const char *key)
{
	long s = 0, v;
	int i;

	for (i = 0; i < o.procs; i++) {
		v = proc_kb(kids[i].pid, file, key);
		if (v < 0)
			die("no %s in /proc/%d/%s", key, kids[i].pid, file);
		s += v;
	}
	return s;
}

/* ---- the measured run ---- */

struct sample {
	double t;
	long saved;
	unsigned long scans;
	struct cpu cpu;
};

static unsigned long touched;	/* ovc: pages_resident before run=1 */
static long rss0_kb;		/* ksm: summed RssAnon before run=1 */

static void take(struct sample *s, pid_t scanner, double t0)
{
	s->t = now_s() - t0;
	if (o.bk == BK_OVC) {
		long held = knob("pages_resident") + knob("pages_shared");

		s->saved = (long)touched - held;
	} else {
		long sharing = knob("pages_sharing");

		s->saved = sharing + (rss0_kb - sum_kb("status", "RssAnon")) / 4;
	}
	s->scans = knob("full_scans");
	read_cpu(scanner, &s->cpu);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ksm_workload --backend ovc|ksm [--procs N] [--mib M] [--seed S]\n"
		"	[--dir OVCFS_DIR] [--pages-to-scan P] [--sleep-ms S]\n"
		"	[--ksm-zero-pages 0|1] [--interval-ms MS] [--stable-ms MS]\n"
		"	[--cap-s S] [--wait-s S] [--label NAME]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", 1, 0, 'b' }, { "procs", 1, 0, 'n' },
		{ "mib", 1, 0, 'm' }, { "seed", 1, 0, 's' },
		{ "dir", 1, 0, 'd' }, { "pages-to-scan", 1, 0, 'p' },
		{ "sleep-ms", 1, 0, 'S' }, { "ksm-zero-pages", 1, 0, 'z' },
		{ "interval-ms", 1, 0, 'i' }, { "stable-ms", 1, 0, 't' },
		{ "cap-s", 1, 0, 'c' }, { "wait-s", 1, 0, 'w' },
		{ "label", 1, 0, 'l' }, { 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (pick(optarg, "ovc", "ksm") < 0)
				usage();
			o.bk = pick(optarg, "ovc", "ksm") ? BK_KSM : BK_OVC;
			break;
		case 'n': o.procs = num(optarg, 2, MAX_PROCS, "--procs"); break;
		case 'm': o.mib = num(optarg, 1, 4096, "--mib"); break;
		case 's': o.seed = num(optarg, 0, ~0UL, "--seed"); break;
		case 'd': o.dir = optarg; break;
		case 'p': o.pts = num(optarg, 1, 100000, "--pages-to-scan"); break;
		case 'S': o.sleep_ms = num(optarg, 0, 60000, "--sleep-ms"); break;
		case 'z': o.ksm_zero = num(optarg, 0, 1, "--ksm-zero-pages"); break;
		case 'i': o.interval_ms = num(optarg, 10, 10000, "--interval-ms"); break;
		case 't': o.stable_ms = num(optarg, 0, 600000, "--stable-ms"); break;
		case 'c': o.cap_s = num(optarg, 1, 86400, "--cap-s"); break;
		case 'w': o.wait_s = num(optarg, 1, 86400, "--wait-s"); break;
		case 'l': o.label = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

int main(int argc, char **argv)
{
	const char *thread;
	struct sample *sm, base;
	size_t ns = 0, cap, i90 = 0, i100 = 0, k;
	unsigned long ideal, vbad[MAX_PROCS], bad = 0, scans_at_change;
	long pss0, pss1, mf0, mf1, last;
	const char *pss_key;
	double t0, t_change, t_end;
	pid_t scanner;
	bool capped = false;
	char path[300];
	int i;

	bench_prog = "ksm_workload";
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	thread = o.bk == BK_OVC ? "ovc_scand" : "ksmd";
	pss_key = o.bk == BK_OVC ? "Pss_File" : "Pss_Anon";
	if (!o.label)
		o.label = impl();
	if (access(sysdir(), F_OK))
		die("%s missing: %s", sysdir(),
		    o.bk == BK_OVC ? "is ovc.ko loaded?" : "kernel without CONFIG_KSM?");
	scanner = find_thread(thread);
	if (!scanner)
		die("no %s thread", thread);

	layout_init();
	/* ovc's zero frame and the kernel's zero page cost nothing extra. */
	ideal = (o.procs - 1) * lay.nshared + o.procs * lay.nzero;
	if (o.bk == BK_KSM && !o.ksm_zero)
		ideal -= 1;	/* one KSM page holds the zeroes */

	/* A quiet scanner with the run's knobs. */
	set_knob("run", 0);
	set_knob("pages_to_scan", o.pts);
	set_knob("sleep_millisecs", o.sleep_ms);
	if (o.bk == BK_OVC)
		set_knob("zero_only", 0);
	else
		set_knob("use_zero_pages", o.ksm_zero);

	printf("# %s: %d processes x %lu MiB (%lu pages: %lu shared, %lu zero, %lu unique), seed %" PRIu64 "\n",
	       o.label, o.procs, o.mib, lay.npages, lay.nshared, lay.nzero,
	       lay.nunique, o.seed);
	spawn();
	wait_lines("ready", o.wait_s, NULL);
	usleep(200000);

	if (o.bk == BK_OVC) {
		touched = knob("pages_resident");
		if (touched != o.procs * lay.npages)
			printf("# %s: note: pages_resident %lu before the scan, expected %lu\n",
			       o.label, touched, o.procs * lay.npages);
	} else {
		touched = o.procs * lay.npages;
		rss0_kb = sum_kb("status", "RssAnon");
	}
	pss0 = sum_kb("smaps_rollup", pss_key);
	mf0 = free_pages();

	cap = (size_t)o.cap_s * 1000 / o.interval_ms + 2;
	sm = calloc(cap, sizeof(*sm));
	if (!sm)
		die("out of memory");
	t0 = now_s();
	take(&base, scanner, t0);
	base.t = 0;
	sm[ns++] = base;
	set_knob("run", 1);
	t_change = 0;
	last = base.saved;
	scans_at_change = base.scans;

	for (;;) {
		struct timespec ts;
		double next = t0 + (double)ns * o.interval_ms / 1000.0;
		struct sample *s;

		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		/* CLOCK_MONOTONIC matches now_s() */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		if (!kids_alive())
			die("a worker process died during the scan");
		s = &sm[ns++];
		take(s, scanner, t0);
		if (s->saved != last) {
			last = s->saved;
			t_change = s->t;
			scans_at_change = s->scans;
		}
		if (s->t - t_change >= o.stable_ms / 1000.0 &&
		    s->scans >= scans_at_change + 2)
			break;
		if (ns == cap || s->t >= o.cap_s) {
			capped = true;
			break;
		}
	}
	t_end = sm[ns - 1].t;
	mf1 = free_pages();
	set_knob("run", 0);

	/* Read back; this also maps the merged pages again for Pss. */
	tell_all('V');
	wait_lines("verified", o.wait_s, vbad);
	for (i = 0; i < o.procs; i++)
		bad += vbad[i];
	pss1 = sum_kb("smaps_rollup", pss_key);

	{
		long final = sm[ns - 1].saved;
		double cpu_conv, cpu_tot, idle, us_pp, sns_conv;
		const long hz = sysconf(_SC_CLK_TCK);

		for (k = 0; k < ns; k++)
			if (sm[k].saved >= final) {
				i100 = k;
				break;
			}
		for (k = 0; k < ns; k++)
			if (final > 0 && sm[k].saved >= 0.9 * final) {
				i90 = k;
				break;
			}
		cpu_conv = (double)(sm[i100].cpu.ticks - base.cpu.ticks) / hz;
		cpu_tot = (double)(sm[ns - 1].cpu.ticks - base.cpu.ticks) / hz;
		sns_conv = (sm[i100].cpu.ns - base.cpu.ns) / 1e9;
		idle = t_end > sm[i100].t ?
			100.0 * (sm[ns - 1].cpu.ns - sm[i100].cpu.ns) / 1e9 /
			(t_end - sm[i100].t) : 0;
		us_pp = final > 0 ? cpu_conv * 1e6 / final : 0;

		for (k = 0; k < ns; k++)
			printf("sample: label=%s t=%.2f saved=%ld full_scans=%lu cpu_ticks=%llu cpu_ns=%llu\n",
			       o.label, sm[k].t, sm[k].saved,
			       sm[k].scans - base.scans,
			       sm[k].cpu.ticks - base.cpu.ticks,
			       sm[k].cpu.ns - base.cpu.ns);
		printf("timeline: %s", o.label);
		for (k = 1; k <= 10; k++) {
			size_t j = (ns - 1) * k / 10;

			printf(" %.1fs:%ld", sm[j].t, sm[j].saved);
		}
		printf("\n");
		if (o.bk == BK_OVC)
			printf("# %s: pages_shared=%lu pages_sharing=%lu pages_zero=%lu pages_unshared=%lu pages_scanned=%lu cow_breaks=%lu\n",
			       o.label, knob("pages_shared"), knob("pages_sharing"),
			       knob("pages_zero"), knob("pages_unshared"),
			       knob("pages_scanned"), knob("cow_breaks"));
		else
			printf("# %s: pages_shared=%lu pages_sharing=%lu pages_unshared=%lu pages_volatile=%lu rss_anon_drop=%ld\n",
			       o.label, knob("pages_shared"), knob("pages_sharing"),
			       knob("pages_unshared"), knob("pages_volatile"),
			       (rss0_kb - sum_kb("status", "RssAnon")) / 4);
		printf("bench: label=%s impl=%s pages_to_scan=%u sleep_ms=%u zero_pages=%d procs=%d mib=%lu seed=%" PRIu64
		       " touched=%lu ideal=%lu saved=%ld t90_s=%.2f t100_s=%.2f"
		       " cpu_conv_s=%.2f cpu_conv_sched_s=%.3f cpu_total_s=%.2f us_per_page=%.1f"
		       " idle_cpu_pct=%.1f full_scans=%lu pss_saved=%ld memfree_saved=%ld"
		       " verify_bad=%lu capped=%d elapsed_s=%.1f t0_mono=%.6f\n",
		       o.label, impl(), o.pts, o.sleep_ms,
		       o.bk == BK_OVC ? 1 : o.ksm_zero, o.procs, o.mib, o.seed,
		       touched, ideal, final, sm[i90].t, sm[i100].t,
		       cpu_conv, sns_conv, cpu_tot, us_pp, idle,
		       sm[ns - 1].scans - base.scans,
		       (pss0 - pss1) / 4, mf1 - mf0, bad, capped, t_end, t0);
	}

	/* Unmerge, stop, free. */
	set_knob("run", 2);
	set_knob("run", 0);
	tell_all('Q');
	reap_all(o.wait_s);
	if (o.bk == BK_OVC)
		for (i = 0; i < o.procs; i++) {
			file_path(path, sizeof(path), i);
			if (unlink(path))
				fprintf(stderr, "ksm_workload: unlink %s: %s\n", path,
					strerror(errno));
		}
	if (bad) {
		fprintf(stderr, "ksm_workload: %s: %lu pages read back wrong\n",
			o.label, bad);
		return 1;
	}
	if (capped)
		fprintf(stderr, "ksm_workload: %s: savings not stable after %us (--cap-s)\n",
			o.label, o.cap_s);
	return 0;
}
