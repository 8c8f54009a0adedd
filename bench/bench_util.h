/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the benchmarks' C programs (bench/ksm_workload.c,
 * bench/reclaim_workload.c): errors, the clock, a seeded hash for page
 * contents, sysfs numbers, option numbers and choices.  Each program sets
 * bench_prog (its name in messages) first thing in main().
 */
#ifndef OVC_BENCH_UTIL_H
#define OVC_BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *bench_prog = "bench";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64's finalizer: page contents and classes from a seed. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The first number in file @path into @v.  Return: 0, or -1 on error. */
static int read_ul(const char *path, unsigned long *v)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	*v = strtoul(buf, NULL, 10);
	return 0;
}

/* Option @what's value @s, within [@lo, @hi], or die. */
static unsigned long num(const char *s, unsigned long lo, unsigned long hi,
			 const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v < lo || v > hi)
		die("bad %s '%s' (%lu..%lu)", what, s, lo, hi);
	return v;
}

/* Which of @a (0) and @b (1) option value @s is; -1 if neither. */
static int pick(const char *s, const char *a, const char *b)
{
	return !strcmp(s, a) ? 0 : !strcmp(s, b) ? 1 : -1;
}

#endif /* OVC_BENCH_UTIL_H */
