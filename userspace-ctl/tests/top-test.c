// SPDX-License-Identifier: GPL-2.0
/*
 * top-test - unit tests of ovcctl top's and metrics' pure functions
 * (top.c, ovc_metrics_escape()), KUnit-like: top-test CASE runs one
 * case, prints what failed, and exits 1 if anything did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../metrics.h"
#include "../top.h"

static int failed;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		printf("%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		failed = 1;						\
	}								\
} while (0)

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_rate(void)
{
	double r = -7;

	EXPECT(!ovc_rate(10, 30, 2, &r) && near(r, 10));
	EXPECT(!ovc_rate(5, 5, 0.1, &r) && near(r, 0));
	EXPECT(!ovc_rate(0, 1, 0.1, &r) && near(r, 10));
	EXPECT(!ovc_rate(UINT64_MAX - 4, UINT64_MAX, 0.5, &r) && near(r, 8));
	r = -7;
	EXPECT(ovc_rate(30, 10, 2, &r) && errno == EINVAL && r == -7);	/* reset */
	EXPECT(ovc_rate(10, 30, 0, &r) && errno == EINVAL);		/* no time */
	EXPECT(ovc_rate(10, 30, -1, &r));
	EXPECT(ovc_rate(10, 30, NAN, &r));
}

static void test_merge_rate(void)
{
	double r = -7;

	EXPECT(!ovc_merge_rate(100, 150, 7, 7, 1, &r) && near(r, 50));
	/* 10 pages left sharing by COW, and 30 more joined: 40 merges */
	EXPECT(!ovc_merge_rate(100, 120, 0, 10, 2, &r) && near(r, 15));
	/* the COWs alone: shared pages went down, no merge */
	EXPECT(!ovc_merge_rate(100, 90, 0, 10, 1, &r) && near(r, 0));
	/* unmerged (run=2) more than the COWs explain: never below 0 */
	EXPECT(!ovc_merge_rate(100, 0, 0, 10, 1, &r) && near(r, 0));
	EXPECT(ovc_merge_rate(100, 150, 10, 0, 1, &r));		/* counter reset */
	EXPECT(ovc_merge_rate(100, 150, 0, 0, 0, &r));
}

static void test_interval(void)
{
	static const char *const bad[] = {
		"", ".", "abc", "-1", "+1", "1e3", "0x10", "inf", "nan", "1.2.3", "2s", " 2", "1,5",
	};
	double s = 0;
	size_t i;

	EXPECT(!ovc_parse_interval("2", &s) && near(s, 2));
	EXPECT(!ovc_parse_interval("0.1", &s) && near(s, 0.1));
	EXPECT(!ovc_parse_interval(".5", &s) && near(s, 0.5));
	EXPECT(!ovc_parse_interval("3.", &s) && near(s, 3));
	EXPECT(!ovc_parse_interval("3600", &s) && near(s, 3600));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (!ovc_parse_interval(bad[i], &s) || errno != EINVAL) {
			printf("interval '%s' not refused with EINVAL\n", bad[i]);
			failed = 1;
		}
	}
	EXPECT(ovc_parse_interval("0", &s) && errno == ERANGE);
	EXPECT(ovc_parse_interval("0.000", &s) && errno == ERANGE);
	EXPECT(ovc_parse_interval("3600.5", &s) && errno == ERANGE);
	EXPECT(ovc_parse_interval("99999999999999999999999", &s) && errno == ERANGE);
}

static void test_count(void)
{
	uint32_t n = 0;

	EXPECT(!ovc_parse_count("1", &n) && n == 1);
	EXPECT(!ovc_parse_count("4294967295", &n) && n == 4294967295u);
	EXPECT(ovc_parse_count("0", &n) && errno == ERANGE);
	EXPECT(ovc_parse_count("4294967296", &n) && errno == ERANGE);
	EXPECT(ovc_parse_count("99999999999999999999999", &n) && errno == ERANGE);
	EXPECT(ovc_parse_count("", &n) && errno == EINVAL);
	EXPECT(ovc_parse_count("-1", &n) && errno == EINVAL);
	EXPECT(ovc_parse_count("2x", &n) && errno == EINVAL);
	EXPECT(ovc_parse_count(" 2", &n) && errno == EINVAL);
}

/* ovc_csv_field(@in) must write @want. */
static void expect_csv(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ovc_csv_field(f, in);
	fclose(f);
	if (strcmp(buf, want)) {
		printf("csv field of [%s]: [%s], expected [%s]\n", in, buf, want);
		failed = 1;
	}
	free(buf);
}

static void test_csv(void)
{
	expect_csv("/vm1", "/vm1");
	expect_csv("", "");
	expect_csv("/a b\\c", "/a b\\c");
	expect_csv("/a,b", "\"/a,b\"");
	expect_csv("/say \"hi\"", "\"/say \"\"hi\"\"\"");
	expect_csv("\"", "\"\"\"\"");
	expect_csv("/two\nlines", "\"/two\nlines\"");
	expect_csv("/cr\r", "\"/cr\r\"");
}

static void expect_escape(const char *in, size_t len, const char *want)
{
	char buf[64];

	ovc_metrics_escape(in, buf, len);
	if (strcmp(buf, want)) {
		printf("label value of [%s] (%zu bytes): [%s], expected [%s]\n", in, len,
		       buf, want);
		failed = 1;
	}
}

static void test_escape(void)
{
	expect_escape("/vm1 (deleted)", 64, "/vm1 (deleted)");
	expect_escape("/a\"b", 64, "/a\\\"b");
	expect_escape("/a\\b", 64, "/a\\\\b");
	expect_escape("/a\nb", 64, "/a\\nb");
	expect_escape("\"\\\n", 64, "\\\"\\\\\\n");
	expect_escape("/a,b'c", 64, "/a,b'c");
	/* truncated, never half an escape */
	expect_escape("ab\"", 4, "ab");
	expect_escape("ab\"", 5, "ab\\\"");
	expect_escape("abcdef", 4, "abc");
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "rate", test_rate },
	{ "merge_rate", test_merge_rate },
	{ "interval", test_interval },
	{ "count", test_count },
	{ "csv", test_csv },
	{ "escape", test_escape },
};

int main(int argc, char **argv)
{
	size_t i, ran = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name))
			continue;
		cases[i].run();
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "top-test: no case %s\n", argv[1]);
		return 2;
	}
	return failed;
}
