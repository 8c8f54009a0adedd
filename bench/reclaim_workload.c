// SPDX-License-Identifier: GPL-2.0
/*
 * reclaim_workload: one measured run of bench/reclaim, INSIDE the test VM.
 *
 * Maps --mib MiB, fills it with a mix of pages that depends only on
 * --seed (the same bytes in every run), pushes all of it out of memory
 * without touching it, then touches every page once, timing each first
 * touch, and checks every page's bytes.
 *
 *   --backend ovc: a file of --mib MiB created in --dir (an ovcfs mount),
 *	mapped MAP_SHARED; out through /sys/kernel/mm/ovc/vms/<id>/reclaim
 *	(the id from OVC_IOC_VM_INFO) into ovc's compressed cache, and with
 *	--swap-dev (a block device or file, opened O_DIRECT and attached
 *	with OVC_IOC_SET_SWAP_FILE for the run) what does not compress into
 *	ovc's swap store.
 *   --backend linux: MAP_PRIVATE|MAP_ANONYMOUS (MADV_NOHUGEPAGE: ovcfs has
 *	4 KiB pages only) in the memory cgroup --cgroup, which the program
 *	joins first; out through --cgroup/memory.reclaim to swap, through
 *	zswap when it is enabled (the caller sets it up).
 *
 * The pages (classes by a hash of seed and index; every page starts with
 * its index and the seed, so no two are alike and none is filled with one
 * value):
 *   35 % text: log-like lines from a small vocabulary, numbers random;
 *   30 % partly random: 3/8 of the page random bytes at a random offset,
 *	the rest zeros and a small counter every 64 bytes;
 *   25 % zero-ish: zeros but for the header and eight random words;
 *   10 % random: incompressible.
 * The first three compress with LZ4 to well under half a page (--dump
 * writes the pages to stdout, to check with another compressor); the
 * last does not: ovc writes those pages to its swap store (without one it
 * keeps them resident), zswap rejects them to the swap device.
 *
 * Push out: the wanted page count (bytes for memory.reclaim) is written
 * again while it answers EAGAIN, until three requests in a row brought no
 * page out (see push_out()).  Pages out: ovc: the VM's compressed_pages
 * and swapped_pages; linux: the process's VmSwap; of them in the
 * compressed pool: ovc's compressed_pages, zswap's stored_pages.  Touch back: one 8-byte
 * read per page, --order random (default: a seeded permutation) or seq,
 * each timed with clock_gettime(CLOCK_MONOTONIC); then every page is
 * compared with what was written.
 *
 * Output: "# ..." lines and one "bench: label=... key=value ..." line.
 * Exit status 0 only if pages went out and every page read back right.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/ovc.h>

#include "bench_util.h"

#define PG		4096UL
#define WORDS		(PG / sizeof(uint64_t))
#define OVC_SYS		"/sys/kernel/mm/ovc"
#define ZSWAP_DBG	"/sys/kernel/debug/zswap"
#define PAGE_MAGIC	0x6f76632d72636c6dULL	/* "ovc-rclm" */
#define MAX_TRIES	64
#define STALLS		3

enum backend { BK_OVC, BK_LINUX };
enum pclass { PC_TEXT, PC_PART, PC_ZERO, PC_RANDOM, PC_NR };
static const char *const class_name[PC_NR] = { "text", "part", "zeroish", "random" };

static struct {
	enum backend bk;
	unsigned long mib;
	uint64_t seed;
	const char *dir, *cgroup, *label, *swap_dev;
	bool random_order;
	unsigned long dump;
} o = {
	.bk = BK_OVC, .mib = 256, .seed = 1, .dir = "/run/ovc-bench",
	.random_order = true,
};

/* ---- page contents, identical in every run with the same seed ---- */

static enum pclass page_class(uint64_t p)
{
	unsigned int r = mix64(o.seed * 0x9e3779b97f4a7c15ULL ^ (p + 1)) % 100;

	return r < 35 ? PC_TEXT : r < 65 ? PC_PART : r < 90 ? PC_ZERO : PC_RANDOM;
}

/* A small PRNG (splitmix64) keyed by seed and page. */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static const char *const words[] = {
	"kernel:", "ovc:", "vm", "page", "fault", "reclaim", "stored", "resident",
	"balloon", "target", "info", "warn", "debug", "qemu", "guest", "memory",
	"pid", "uid", "state", "high", "low", "hard", "ok", "error", "retry",
	"shrink", "compress", "pool", "zsmalloc", "lz4", "swap", "in", "out",
	"the", "of", "to", "and", "from", "for", "with", "on", "at",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/*
 * Log-like text: "<date> <time> host<n> <word>... [<number>]\n" lines, one
 * date and host per page, the time rising line by line.
 */
static void gen_text(char *c, size_t from, struct rng *r)
{
	uint64_t x = rnd(r);
	unsigned int day = x % 28 + 1, host = (x >> 8) % 16;
	unsigned int sec = (x >> 16) % 80000, ms = (x >> 40) % 1000;
	size_t i = from;

	while (i < PG) {
		char line[160];
		uint64_t y = rnd(r);
		unsigned int k, nw = 3 + y % 6;
		int n;

		ms += 1 + (y >> 8) % 200;
		sec += ms / 1000;
		ms %= 1000;
		n = snprintf(line, sizeof(line), "2026-12-%02u %02u:%02u:%02u.%03u host%u ",
			     day, sec / 3600 % 24, sec / 60 % 60, sec % 60, ms, host);
		for (k = 0; k < nw && n < 120; k++)
			n += snprintf(line + n, sizeof(line) - n, "%s ",
				      words[(y >> (16 + 5 * k)) % NWORDS]);
		if (y & (1ULL << 60))
			n += snprintf(line + n, sizeof(line) - n, "%u ", (unsigned int)(y >> 48) % 1000);
		line[n - 1] = '\n';
		if ((size_t)n > PG - i)
			n = PG - i;
		memcpy(c + i, line, n);
		i += n;
	}
}

static void gen_page(uint64_t *w, uint64_t p)
{
	struct rng r = { mix64(o.seed ^ 0x72636c6d62656e63ULL) ^ mix64(p) };
	size_t i, off;

	w[0] = PAGE_MAGIC ^ p;
	w[1] = o.seed;
	switch (page_class(p)) {
	case PC_TEXT:
		gen_text((char *)w, 16, &r);
		break;
	case PC_PART:
		/* Zeros and a counter every 64 bytes, then 3/8 of the page random bytes. */
		memset(w + 2, 0, PG - 16);
		for (i = 8; i < WORDS; i += 8)
			w[i] = i;
		off = 2 + rnd(&r) % (WORDS - 2 - 3 * WORDS / 8);
		for (i = off; i < off + 3 * WORDS / 8; i++)
			w[i] = rnd(&r);
		break;
	case PC_ZERO:
		memset(w + 2, 0, PG - 16);
		for (i = 0; i < 8; i++)
			w[2 + rnd(&r) % (WORDS - 2)] = rnd(&r);
		break;
	default:
		for (i = 2; i < WORDS; i++)
			w[i] = rnd(&r);
		break;
	}
}

/* ---- sysfs, debugfs, /proc ---- */

static unsigned long stat_ul(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The number in the file named by @fmt; die if it cannot be read. */
static unsigned long stat_ul(const char *fmt, ...)
{
	char path[512];
	unsigned long v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (read_ul(path, &v))
		die("cannot read %s: %s", path, strerror(errno));
	return v;
}

/* Write @val to @path.  Return: 0 or errno. */
static int write_str(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = errno;
	else if ((size_t)n != strlen(val))
		err = EIO;
	close(fd);
	return err;
}

/* A "Key: value" field of @file (/proc/self/status, /proc/vmstat...); -1 if none. */
static long field(const char *file, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && (line[kl] == ':' || line[kl] == ' ')) {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* ---- the two backends ---- */

struct counts {
	unsigned long out;		/* pages out of memory */
	unsigned long pooled;		/* of them in the compressed pool */
	unsigned long pool_bytes;	/* the pool's memory */
	unsigned long comp_bytes;	/* ovc: compressed bytes (linux: 0) */
	unsigned long rejects;		/* did not compress (ovc: tries) */
	unsigned long disk;		/* linux: pages written to the device */
	unsigned long ins;		/* ovc: swap-ins; linux: pages read from the device */
	unsigned long errors;		/* ovc: store_errors (full or no memory) */
};

static char *map;
static unsigned long npages;
static uint64_t vm_id;
static char path[512];
static int vm_fd = -1;

/* Attach (@fd) or detach (OVC_SWAP_FILE_NONE) ovc's swap store. */
static void ovc_swap(int fd)
{
	struct ovc_swap_file sw = { .size = sizeof(sw), .fd = fd };

	if (ioctl(vm_fd, OVC_IOC_SET_SWAP_FILE, &sw))
		die("OVC_IOC_SET_SWAP_FILE %s %s: %s", fd == OVC_SWAP_FILE_NONE ? "detaching" : "attaching",
		    o.swap_dev, strerror(errno));
	if (fd != OVC_SWAP_FILE_NONE)
		printf("# %s: swap store %s attached: %llu slots\n", o.label, o.swap_dev,
		       (unsigned long long)sw.slots);
}

static void ovc_counts(struct counts *c)
{
	c->pooled = stat_ul(OVC_SYS "/vms/%" PRIu64 "/compressed_pages", vm_id);
	c->disk = stat_ul(OVC_SYS "/vms/%" PRIu64 "/swapped_pages", vm_id);
	c->out = c->pooled + c->disk;
	c->comp_bytes = stat_ul(OVC_SYS "/vms/%" PRIu64 "/compressed_bytes", vm_id);
	c->pool_bytes = stat_ul(OVC_SYS "/compressed_pool_pages") * PG;
	c->rejects = stat_ul(OVC_SYS "/compress_rejects");
	c->ins = stat_ul(OVC_SYS "/vms/%" PRIu64 "/swap_ins", vm_id);
	c->errors = stat_ul(OVC_SYS "/store_errors");
}

static void linux_counts(struct counts *c)
{
	long swap_kb = field("/proc/self/status", "VmSwap");

	if (swap_kb < 0)
		die("no VmSwap in /proc/self/status");
	c->out = swap_kb / 4;
	c->pooled = stat_ul(ZSWAP_DBG "/stored_pages");
	c->pool_bytes = stat_ul(ZSWAP_DBG "/pool_total_size");
	c->comp_bytes = 0;
	c->rejects = stat_ul(ZSWAP_DBG "/reject_compress_poor");
	c->disk = field("/proc/vmstat", "pswpout");
	c->ins = field("/proc/vmstat", "pswpin");
	c->errors = 0;
}

static void counts(struct counts *c)
{
	if (o.bk == BK_OVC)
		ovc_counts(c);
	else
		linux_counts(c);
}

static void setup(void)
{
	size_t len = npages * PG;

	if (o.bk == BK_OVC) {
		struct ovc_vm_info info = { .size = sizeof(info) };
		int fd;

		snprintf(path, sizeof(path), "%s/reclaim-%s", o.dir, o.label);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		if (ftruncate(fd, len))
			die("ftruncate %s: %s", path, strerror(errno));
		if (ioctl(fd, OVC_IOC_VM_INFO, &info))
			die("OVC_IOC_VM_INFO on %s: %s (not on ovcfs?)", path, strerror(errno));
		vm_id = info.id;
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		vm_fd = fd;
		if (o.swap_dev) {
			int sfd = open(o.swap_dev, O_RDWR | O_DIRECT | O_CLOEXEC);

			if (sfd < 0)
				die("open %s: %s", o.swap_dev, strerror(errno));
			ovc_swap(sfd);
			close(sfd);	/* the module keeps its own reference */
		}
	} else {
		char pid[32];
		int err;

		if (!o.cgroup)
			die("--backend linux needs --cgroup");
		snprintf(path, sizeof(path), "%s/cgroup.procs", o.cgroup);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		err = write_str(path, pid);
		if (err)
			die("joining %s: %s", o.cgroup, strerror(err));
		map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map != MAP_FAILED && madvise(map, len, MADV_NOHUGEPAGE))
			die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	}
	if (map == MAP_FAILED)
		die("mmap %zu bytes: %s", len, strerror(errno));
}

/*
 * Ask for the pages not out yet, again while the answer is EAGAIN, until
 * STALLS requests in a row brought none out (ovc's walk starts at a random
 * slot each time and gives up after 256 failures in a row, which a stretch
 * of pages already out and incompressible ones can be: a new start may
 * still find pages).  Return: the requests made; *@err the last one's
 * errno (0: all asked for went); *@first the pages the first one brought.
 */
static int push_out(unsigned long base, int *err, unsigned long *first)
{
	struct counts c;
	unsigned long last = base, want;
	char req[64], file[600];
	int tries, made = 0, stalls = 0;

	if (o.bk == BK_OVC)
		snprintf(file, sizeof(file), OVC_SYS "/vms/%" PRIu64 "/reclaim", vm_id);
	else
		snprintf(file, sizeof(file), "%s/memory.reclaim", o.cgroup);
	for (tries = 1; tries <= MAX_TRIES; tries++) {
		want = npages - (last - base);
		if (!want) {
			*err = 0;	/* memory.reclaim said EAGAIN, but all went */
			break;
		}
		if (o.bk == BK_OVC)
			snprintf(req, sizeof(req), "%lu", want);
		else
			snprintf(req, sizeof(req), "%lu", want * PG);
		*err = write_str(file, req);
		made++;
		counts(&c);
		printf("# %s: request %d: %s %s: %s; %lu out, %lu compress rejects, %lu store errors so far\n",
		       o.label, tries, req, o.bk == BK_OVC ? "pages" : "bytes",
		       *err ? strerror(*err) : "ok", c.out - base, c.rejects, c.errors);
		if (tries == 1)
			*first = c.out - base;
		stalls = c.out == last ? stalls + 1 : 0;
		last = c.out;
		if (*err != EAGAIN || stalls == STALLS)
			break;
	}
	return made;
}

/* ---- latencies ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Quantile @q of @v[0..@n) (sorted here), in µs. */
static double quant_us(uint32_t *v, size_t n, double q, bool sort)
{
	size_t i;

	if (!n)
		return 0;
	if (sort)
		qsort(v, n, sizeof(*v), cmp_u32);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: reclaim_workload --backend ovc|linux [--mib M] [--seed S]\n"
		"	[--dir OVCFS_DIR] [--swap-dev PATH] [--cgroup CGROUP_DIR] [--order random|seq]\n"
		"	[--label NAME] [--dump PAGES]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", 1, 0, 'b' }, { "mib", 1, 0, 'm' },
		{ "seed", 1, 0, 's' }, { "dir", 1, 0, 'd' },
		{ "cgroup", 1, 0, 'c' }, { "order", 1, 0, 'o' },
		{ "label", 1, 0, 'l' }, { "dump", 1, 0, 'D' },
		{ "swap-dev", 1, 0, 'w' }, { 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (pick(optarg, "ovc", "linux") < 0)
				usage();
			o.bk = pick(optarg, "ovc", "linux") ? BK_LINUX : BK_OVC;
			break;
		case 'm': o.mib = num(optarg, 1, 4096, "--mib"); break;
		case 's': o.seed = num(optarg, 0, ~0UL, "--seed"); break;
		case 'd': o.dir = optarg; break;
		case 'c': o.cgroup = optarg; break;
		case 'o':
			if (pick(optarg, "random", "seq") < 0)
				usage();
			o.random_order = !pick(optarg, "random", "seq");
			break;
		case 'l': o.label = optarg; break;
		case 'w': o.swap_dev = optarg; break;
		case 'D': o.dump = num(optarg, 1, 1UL << 20, "--dump"); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!o.label)
		o.label = o.bk == BK_OVC ? "ovc" : "linux";
}

int main(int argc, char **argv)
{
	static uint64_t buf[WORDS];
	unsigned long p, ncls[PC_NR] = { 0 }, bad = 0, badcls[PC_NR] = { 0 };
	unsigned long out, pooled, resident_after = 0;
	struct counts c0, c1, c2;
	double t, t_fill, t_out, t_back;
	uint32_t *lat, *lcls[PC_NR];
	size_t nl[PC_NR] = { 0 }, ncomp = 0;
	unsigned long *order;
	enum pclass k;
	unsigned long first = 0;
	int tries, err = 0;

	bench_prog = "reclaim_workload";
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	npages = o.mib * (1024 * 1024 / PG);
	if (o.dump) {
		for (p = 0; p < o.dump; p++) {
			gen_page(buf, p);
			if (fwrite(buf, PG, 1, stdout) != 1)
				die("write: %s", strerror(errno));
			fprintf(stderr, "%lu %s\n", p, class_name[page_class(p)]);
		}
		return 0;
	}
	for (p = 0; p < npages; p++)
		ncls[page_class(p)]++;
	printf("# %s: %lu MiB (%lu pages: %lu text, %lu partly random, %lu zero-ish, %lu random), seed %" PRIu64 ", %s order\n",
	       o.label, o.mib, npages, ncls[PC_TEXT], ncls[PC_PART], ncls[PC_ZERO],
	       ncls[PC_RANDOM], o.seed, o.random_order ? "random" : "sequential");

	lat = calloc(npages, sizeof(*lat));
	order = calloc(npages, sizeof(*order));
	for (k = 0; k < PC_NR; k++)
		lcls[k] = calloc(ncls[k] + 1, sizeof(uint32_t));
	if (!lat || !order || !lcls[0] || !lcls[1] || !lcls[2] || !lcls[3])
		die("out of memory");
	for (p = 0; p < npages; p++)
		order[p] = p;
	if (o.random_order) {
		struct rng r = { mix64(o.seed ^ 0x6f72646572ULL) };

		for (p = npages - 1; p > 0; p--) {
			unsigned long j = rnd(&r) % (p + 1), x = order[p];

			order[p] = order[j];
			order[j] = x;
		}
	}

	setup();
	t = now_s();
	for (p = 0; p < npages; p++)
		gen_page((uint64_t *)(map + p * PG), p);
	t_fill = now_s() - t;
	if (o.bk == BK_OVC && stat_ul(OVC_SYS "/vms/%" PRIu64 "/resident_pages", vm_id) != npages)
		printf("# %s: note: resident_pages %lu after the fill, expected %lu\n", o.label,
		       stat_ul(OVC_SYS "/vms/%" PRIu64 "/resident_pages", vm_id), npages);

	/* Out. */
	counts(&c0);
	t = now_s();
	tries = push_out(c0.out, &err, &first);
	t_out = now_s() - t;
	counts(&c1);
	out = c1.out - c0.out;
	pooled = c1.pooled - c0.pooled;
	printf("# %s: out: %lu of %lu pages in %.3f s, %d request(s), last %s; %lu in the compressed pool (%lu bytes of pool), %lu compress rejects, %lu written to the swap device\n",
	       o.label, out, npages, t_out, tries, err ? strerror(err) : "ok", pooled,
	       c1.pool_bytes - c0.pool_bytes, c1.rejects - c0.rejects, c1.disk - c0.disk);

	/* Back: one timed read per page, nothing else in between. */
	t = now_s();
	for (p = 0; p < npages; p++) {
		struct timespec a, b;
		unsigned long q = order[p];

		clock_gettime(CLOCK_MONOTONIC, &a);
		(void)*(volatile uint64_t *)(map + q * PG + 8);
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[q] = (uint32_t)((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec);
	}
	t_back = now_s() - t;
	counts(&c2);
	if (o.bk == BK_OVC)
		resident_after = stat_ul(OVC_SYS "/vms/%" PRIu64 "/resident_pages", vm_id);

	/* Verify. */
	for (p = 0; p < npages; p++) {
		k = page_class(p);
		lcls[k][nl[k]++] = lat[p];
		gen_page(buf, p);
		if (memcmp(buf, map + p * PG, PG)) {
			if (bad < 5)
				fprintf(stderr, "%s: %s: page %lu (%s) read back wrong\n",
					bench_prog, o.label, p, class_name[k]);
			bad++;
			badcls[k]++;
		}
	}

	{
		/* Sorted by the median's call, read as such by the next ones. */
		double med = quant_us(lat, npages, 0.5, true);
		double p99 = quant_us(lat, npages, 0.99, false);
		double mx = quant_us(lat, npages, 1.0, false), cmed, cp99, kmed;
		double mib_out = out * (double)PG / (1 << 20);
		uint32_t *cl = calloc(npages, sizeof(*cl));
		char ratio_b[32] = "-", ratio_p[32] = "-";

		if (!cl)
			die("out of memory");
		/* The classes that compress: what both backends hold in their pools. */
		for (k = 0; k < PC_NR; k++) {
			if (k != PC_RANDOM) {
				memcpy(cl + ncomp, lcls[k], nl[k] * sizeof(*cl));
				ncomp += nl[k];
			}
			kmed = quant_us(lcls[k], nl[k], 0.5, true);
			printf("# %s: class %-8s pages=%-6zu lat_med_us=%.1f lat_p99_us=%.1f bad=%lu\n",
			       o.label, class_name[k], nl[k], kmed,
			       quant_us(lcls[k], nl[k], 0.99, false), badcls[k]);
		}
		cmed = quant_us(cl, ncomp, 0.5, true);
		cp99 = quant_us(cl, ncomp, 0.99, false);
		if (pooled)
			snprintf(ratio_p, sizeof(ratio_p), "%.3f",
				 (double)(c1.pool_bytes - c0.pool_bytes) / ((double)pooled * PG));
		if (pooled && o.bk == BK_OVC)
			snprintf(ratio_b, sizeof(ratio_b), "%.3f",
				 (double)(c1.comp_bytes - c0.comp_bytes) / ((double)pooled * PG));
		printf("# %s: back: %lu pages in %.3f s; %s %lu; after: %lu pages still in the compressed pool%s\n",
		       o.label, npages, t_back,
		       o.bk == BK_OVC ? "swap-ins" : "pages read from the swap device",
		       c2.ins - c1.ins, c2.pooled - c0.pooled,
		       o.bk == BK_OVC ? "" : " (zswap keeps a loaded page's copy while its swap slot lives)");
		if (o.bk == BK_OVC)
			printf("# %s: resident_pages after the touches: %lu of %lu\n", o.label,
			       resident_after, npages);
		printf("bench: label=%s impl=%s mib=%lu pages=%lu seed=%" PRIu64 " order=%s"
		       " fill_s=%.3f out_pages=%lu pooled_pages=%lu disk_pages=%lu out_s=%.3f out_mib_s=%.1f out_requests=%d out_first=%lu"
		       " ratio_bytes=%s ratio_pool=%s pool_bytes=%lu rejects=%lu"
		       " back_s=%.3f back_mib_s=%.1f lat_med_us=%.2f lat_p99_us=%.2f lat_max_us=%.1f"
		       " lat_c_med_us=%.2f lat_c_p99_us=%.2f pooled_after=%lu verify_bad=%lu\n",
		       o.label, o.bk == BK_OVC ? "ovc" : "linux", o.mib, npages, o.seed,
		       o.random_order ? "random" : "seq", t_fill, out, pooled, c1.disk - c0.disk,
		       t_out, t_out > 0 ? mib_out / t_out : 0, tries, first, ratio_b, ratio_p,
		       c1.pool_bytes - c0.pool_bytes, c1.rejects - c0.rejects,
		       t_back, t_back > 0 ? mib_out / t_back : 0, med, p99, mx, cmed, cp99,
		       c2.pooled - c0.pooled, bad);
		free(cl);
	}

	munmap(map, npages * PG);
	if (o.bk == BK_OVC && o.swap_dev)
		ovc_swap(OVC_SWAP_FILE_NONE);
	if (vm_fd >= 0)
		close(vm_fd);
	if (o.bk == BK_OVC && unlink(path))
		fprintf(stderr, "%s: unlink %s: %s\n", bench_prog, path, strerror(errno));
	if (bad) {
		fprintf(stderr, "%s: %s: %lu pages read back wrong\n", bench_prog, o.label, bad);
		return 1;
	}
	if (!out) {
		fprintf(stderr, "%s: %s: no page went out\n", bench_prog, o.label);
		return 1;
	}
	return 0;
}
