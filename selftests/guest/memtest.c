// SPDX-License-Identifier: GPL-2.0
/*
 * memtest: /init of the nested guest.  Fills most of the guest's memory with
 * a per-page pattern, verifies it, optionally holds it (re-verifying every
 * second), prints a marker and powers off.  Parameters come from the kernel
 * command line as environment variables:
 *   ovc_mb=N     MiB to fill (default 160; shrunk to fit MemAvailable)
 *   ovc_seed=N   pattern seed (default 1): equal seeds give equal guests
 *   ovc_dup=N    repeat the pattern every N pages (default 0: all distinct)
 *   ovc_hold=S   keep the memory S seconds after filling (default 0)
 *   ovc_until_go=1  keep it, re-verifying every second, until a line "go"
 *                comes on the second serial port (ttyS1, as for ovc_mode
 *                below), at most ovc_wait seconds (300): the migration test
 *   ovc_zip=1    a pattern that compresses (each page repeats 64 bytes),
 *                for reclaim into the compressed cache
 *   ovc_quiet=1  while holding, do not re-verify (sleep, or wait for "go"):
 *                an idle guest; verify once at the end
 *   ovc_mode=M   balloon or fpr: a host-driven balloon scenario; active or
 *                idle: the idle-tax experiment's guests (below)
 * Markers: OVC-GUEST-BOOT, OVC-GUEST-HOLD <pages> (filled and verified,
 * holding: only with ovc_hold), then OVC-GUEST-OK <pages> or OVC-GUEST-FAIL ...
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE_WORDS (4096 / sizeof(uint64_t))

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static int zip;	/* ovc_zip=1 */

static uint64_t pattern(size_t page, size_t word, uint64_t seed, size_t dup)
{
	if (dup)
		page %= dup;
	if (zip)
		word &= 7;
	return (seed << 48) ^ ((uint64_t)page << 9) ^ word;
}

static void fill(uint64_t *mem, size_t pages, uint64_t seed, size_t dup)
{
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < PAGE_WORDS; w++)
			mem[p * PAGE_WORDS + w] = pattern(p, w, seed, dup);
}

/* Return: the number of bad pages; the first is described on stdout. */
static size_t verify(const uint64_t *mem, size_t pages, uint64_t seed, size_t dup)
{
	size_t bad = 0;

	for (size_t p = 0; p < pages; p++) {
		for (size_t w = 0; w < PAGE_WORDS; w++) {
			uint64_t got = mem[p * PAGE_WORDS + w];
			uint64_t want = pattern(p, w, seed, dup);

			if (got == want)
				continue;
			if (!bad)
				printf("memtest: page %zu word %zu: got %#" PRIx64
				       " want %#" PRIx64 "\n", p, w, got, want);
			bad++;
			break;
		}
	}
	return bad;
}

static unsigned long mem_available_mb(void)
{
	char line[128];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

static void setup(void)
{
	int fd;

	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mount("dev", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void finish(void)
{
	fflush(stdout);
	sync();
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
}

/*
 * ovc_mode=balloon|fpr: scenarios driven by the host (selftests/
 * nested_balloon.sh, bench/balloon).  The initramfs carries virtio_balloon
 * and the modules it needs in /mod, their load order in /mod/order.  The
 * host moves the guest on with a line "go" on the second serial port
 * (ttyS1); while waiting, the guest prints its MemTotal and MemFree every
 * second.  More parameters:
 *   ovc_keep_mb=N    MiB filled first and verified at the end (16)
 *   ovc_margin_mb=N  MiB left free when filling "nearly all" memory (24)
 *   ovc_wait=S       seconds to wait for each "go" (300)
 *   ovc_mb=N         MiB of the buffer below (default: nearly all free
 *                    memory; 0: none)
 * balloon: fill the buffer and free it again (its pages stay resident on
 *   the host), print OVC-GUEST-FILLED <pages>; on "go" (the host inflated
 *   and deflated the balloon) wait until MemTotal is back to its value at
 *   boot, fill nearly all free memory (at least what was free before),
 *   print OVC-GUEST-TOUCHED <pages> <ms>, verify everything.
 * fpr: fill the buffer, print OVC-GUEST-FILLED <pages>; on "go" free it,
 *   print OVC-GUEST-FREED <pages>; on "go" (the host saw free page
 *   reporting return it) fill as much again, print OVC-GUEST-TOUCHED, and
 *   verify everything.
 */
static int ctl_fd = -1;

static unsigned long meminfo_kb(const char *key)
{
	char line[128];
	size_t len = strlen(key);
	unsigned long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoul(line + len + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load_modules(void)
{
	char name[128], path[160];
	FILE *f = fopen("/mod/order", "r");
	int n = 0, fd;

	if (!f) {
		printf("memtest: no /mod/order in the initramfs\n");
		return -1;
	}
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!*name)
			continue;
		snprintf(path, sizeof(path), "/mod/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
			printf("memtest: loading %s: %s\n", path, strerror(errno));
			fclose(f);
			return -1;
		}
		close(fd);
		n++;
	}
	fclose(f);
	printf("memtest: loaded %d modules\n", n);
	return 0;
}

static int ctl_open(void)
{
	struct termios t;

	ctl_fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (ctl_fd < 0) {
		printf("memtest: /dev/ttyS1: %s\n", strerror(errno));
		return -1;
	}
	if (tcgetattr(ctl_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(ctl_fd, TCSANOW, &t);
	}
	tcflush(ctl_fd, TCIFLUSH);
	return 0;
}

/* Read what ttyS1 has, waiting up to @ms: 1 if a line "go" came, else 0. */
static int ctl_go(int ms)
{
	static char line[32];
	static size_t len;
	struct pollfd p = { .fd = ctl_fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	while (read(ctl_fd, &c, 1) == 1) {
		if (c != '\n' && c != '\r') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!strcmp(line, "go"))
			return 1;
	}
	return 0;
}

/* Wait for a line "go" on ttyS1; 0 when it came, -1 after @secs. */
static int ctl_wait(const char *step, unsigned long secs)
{
	double end = now_ms() + secs * 1e3, next = 0;

	printf("memtest: waiting for 'go' (%s)\n", step);
	while (now_ms() < end) {
		if (now_ms() >= next) {
			printf("memtest: MemTotal %lu MiB, MemFree %lu MiB\n",
			       meminfo_kb("MemTotal") / 1024, meminfo_kb("MemFree") / 1024);
			next = now_ms() + 1000;
		}
		if (ctl_go(200))
			return 0;
	}
	printf("memtest: no 'go' (%s) within %lu s\n", step, secs);
	return -1;
}

static void print_uptime(void)
{
	char up[32] = "?";
	FILE *f = fopen("/proc/uptime", "r");

	if (f && fscanf(f, "%31s", up) != 1)
		strcpy(up, "?");
	if (f)
		fclose(f);
	printf("memtest: up %s s\n", up);
}

/* A filled anonymous mapping of @pages pages, or NULL. */
static uint64_t *map_fill(size_t pages, uint64_t seed)
{
	double t0 = now_ms();
	uint64_t *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		printf("memtest: mmap %zu pages: %s\n", pages, strerror(errno));
		return NULL;
	}
	fill(mem, pages, seed, 0);
	printf("memtest: filled %zu MiB in %.0f ms\n", pages / 256, now_ms() - t0);
	return mem;
}

/* The MiB to fill for "nearly all free memory". */
static unsigned long nearly_all_mb(void)
{
	unsigned long avail = meminfo_kb("MemAvailable") / 1024;
	unsigned long margin = env_ul("ovc_margin_mb", 24);

	return avail > margin + 16 ? avail - margin : 16;
}

/* Return: non-zero on failure, after printing OVC-GUEST-FAIL. */
static size_t balloon_mode(const char *mode, uint64_t seed)
{
	size_t keep_pages = env_ul("ovc_keep_mb", 16) * 256, pages, pages2, bad;
	unsigned long wait_s = env_ul("ovc_wait", 300), total0, mb, mb2, free_mb;
	int fpr = !strcmp(mode, "fpr");
	uint64_t *keep, *mem;
	double t0;

	if (!fpr && strcmp(mode, "balloon")) {
		printf("OVC-GUEST-FAIL unknown ovc_mode=%s\n", mode);
		return 1;
	}
	print_uptime();
	if (load_modules() || ctl_open()) {
		printf("OVC-GUEST-FAIL setup\n");
		return 1;
	}
	total0 = meminfo_kb("MemTotal");
	keep = map_fill(keep_pages, seed + 1);
	mb = nearly_all_mb();
	if (getenv("ovc_mb") && env_ul("ovc_mb", 0) < mb)
		mb = env_ul("ovc_mb", 0);
	pages = mb * 256;
	mem = keep && pages ? map_fill(pages, seed) : NULL;
	if (!keep || (pages && !mem)) {
		printf("OVC-GUEST-FAIL fill\n");
		return 1;
	}
	if (!fpr && pages)
		munmap(mem, pages * 4096);
	free_mb = nearly_all_mb();
	printf("OVC-GUEST-FILLED %zu\n", pages);
	if (fpr) {
		if (ctl_wait("free", wait_s)) {
			printf("OVC-GUEST-FAIL no go\n");
			return 1;
		}
		if (pages)
			munmap(mem, pages * 4096);
		printf("OVC-GUEST-FREED %zu\n", pages);
	}
	if (ctl_wait("refill", wait_s)) {
		printf("OVC-GUEST-FAIL no go\n");
		return 1;
	}
	/* A deflated balloon hands its pages back: wait for all of them. */
	for (int i = 0; i < 300 && meminfo_kb("MemTotal") + 1024 < total0; i++)
		usleep(100000);
	printf("memtest: MemTotal %lu MiB (%lu at boot)\n",
	       meminfo_kb("MemTotal") / 1024, total0 / 1024);
	mb2 = nearly_all_mb();
	if (!fpr && mb2 + 8 < free_mb) {
		printf("OVC-GUEST-FAIL only %lu MiB free, %lu before\n", mb2, free_mb);
		return 1;
	}
	if (fpr && mb < mb2)
		mb2 = mb;
	pages2 = mb2 * 256;
	t0 = now_ms();
	mem = map_fill(pages2, seed + 2);
	if (!mem) {
		printf("OVC-GUEST-FAIL refill\n");
		return 1;
	}
	printf("OVC-GUEST-TOUCHED %zu %.0f\n", pages2, now_ms() - t0);
	bad = verify(mem, pages2, seed + 2, 0) + verify(keep, keep_pages, seed + 1, 0);
	if (bad)
		printf("OVC-GUEST-FAIL %zu of %zu pages bad\n", bad, pages2 + keep_pages);
	else
		printf("OVC-GUEST-OK %zu\n", pages2 + keep_pages);
	return bad;
}

/*
 * ovc_mode=active|idle: the two guests of the idle-tax experiment
 * (selftests/bench/nested_idle_tax.sh).  Both fill ovc_keep_mb (active 4, idle
 * 16) and a buffer
 * of ovc_mb MiB (active 176, idle 240), print OVC-GUEST-FILLED <pages> and
 * then read one word of every buffer page, over and over, until "go".
 * active: on that "go", verify and end.  idle: on the first "go", free the
 * buffer, print OVC-GUEST-FREED <pages> and sit idle until a second "go",
 * then verify what it kept and end.  Each pass over the buffer is counted
 * and printed at the end.
 */
static size_t touch_until_go(const uint64_t *mem, size_t pages, unsigned long secs)
{
	double end = now_ms() + secs * 1e3, next = 0;
	volatile uint64_t sum = 0;
	size_t passes = 0;

	while (now_ms() < end) {
		for (size_t i = 0; i < pages; i++)
			sum += mem[i * PAGE_WORDS];
		passes++;
		if (now_ms() >= next) {
			printf("memtest: MemTotal %lu MiB, MemFree %lu MiB, %zu passes\n",
			       meminfo_kb("MemTotal") / 1024, meminfo_kb("MemFree") / 1024, passes);
			next = now_ms() + 5000;
		}
		if (ctl_go(0))
			return passes;
	}
	printf("memtest: no 'go' within %lu s\n", secs);
	return 0;
}

/* Return: non-zero on failure, after printing OVC-GUEST-FAIL. */
static size_t tax_mode(int idle, uint64_t seed)
{
	size_t keep_pages = env_ul("ovc_keep_mb", idle ? 16 : 4) * 256;
	size_t pages, bad = 0, passes;
	unsigned long wait_s = env_ul("ovc_wait", 600);
	uint64_t *keep, *mem;

	print_uptime();
	if (load_modules() || ctl_open()) {
		printf("OVC-GUEST-FAIL setup\n");
		return 1;
	}
	pages = env_ul("ovc_mb", idle ? 240 : 176) * 256;
	keep = map_fill(keep_pages, seed + 1);
	mem = keep ? map_fill(pages, seed) : NULL;
	if (!mem) {
		printf("OVC-GUEST-FAIL fill\n");
		return 1;
	}
	printf("OVC-GUEST-FILLED %zu\n", pages);
	passes = touch_until_go(mem, pages, wait_s);
	if (!passes) {
		printf("OVC-GUEST-FAIL no go\n");
		return 1;
	}
	printf("memtest: %zu passes over %zu pages\n", passes, pages);
	if (idle) {
		munmap(mem, pages * 4096);
		printf("OVC-GUEST-FREED %zu\n", pages);
		if (ctl_wait("end", wait_s)) {
			printf("OVC-GUEST-FAIL no go\n");
			return 1;
		}
	} else {
		bad = verify(mem, pages, seed, 0);
	}
	bad += verify(keep, keep_pages, seed + 1, 0);
	if (bad)
		printf("OVC-GUEST-FAIL %zu pages bad\n", bad);
	else
		printf("OVC-GUEST-OK %zu\n", keep_pages + (idle ? 0 : pages));
	return bad;
}

int main(void)
{
	unsigned long mb = env_ul("ovc_mb", 160), avail;
	uint64_t seed = env_ul("ovc_seed", 1);
	size_t dup = env_ul("ovc_dup", 0);
	unsigned long hold = env_ul("ovc_hold", 0);
	int until_go = env_ul("ovc_until_go", 0) != 0, went = 0;
	int quiet = env_ul("ovc_quiet", 0) != 0;
	size_t pages, bad;
	uint64_t *mem;

	if (getpid() == 1)
		setup();
	printf("\nOVC-GUEST-BOOT\n");
	zip = env_ul("ovc_zip", 0) != 0;
	if (getenv("ovc_mode")) {
		const char *m = getenv("ovc_mode");

		if (!strcmp(m, "active") || !strcmp(m, "idle"))
			bad = tax_mode(!strcmp(m, "idle"), seed);
		else
			bad = balloon_mode(m, seed);
		finish();
		return bad != 0;
	}
	avail = mem_available_mb();
	if (avail > 32 && mb > avail - 32) {
		printf("memtest: %lu MiB available, filling %lu\n", avail, avail - 32);
		mb = avail - 32;
	}
	pages = mb * 256;
	mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		printf("OVC-GUEST-FAIL mmap %lu MiB\n", mb);
		finish();
		return 1;
	}
	fill(mem, pages, seed, dup);
	bad = verify(mem, pages, seed, dup);
	if (until_go) {
		hold = env_ul("ovc_wait", 300);
		if (ctl_open())
			bad = pages;
	}
	if (!bad && hold) {
		printf("OVC-GUEST-HOLD %zu\n", pages);
		fflush(stdout);
	}
	for (unsigned long s = 0; !bad && s < hold && !went; s++) {
		if (until_go)
			went = ctl_go(1000);
		else
			sleep(1);
		if (!quiet)
			bad = verify(mem, pages, seed, dup);
	}
	if (quiet && !bad)
		bad = verify(mem, pages, seed, dup);
	if (until_go && !bad && !went) {
		printf("OVC-GUEST-FAIL no 'go' within %lu s\n", hold);
		finish();
		return 1;
	}
	if (bad)
		printf("OVC-GUEST-FAIL %zu of %zu pages bad\n", bad, pages);
	else
		printf("OVC-GUEST-OK %zu\n", pages);
	finish();
	return bad != 0;
}
