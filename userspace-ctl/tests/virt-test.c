// SPDX-License-Identifier: GPL-2.0
/*
 * virt-test - unit tests of the libvirt backend's conversions (virt.c's
 * set_target and query), with the three libvirt calls they make defined
 * here instead of libvirt's (this binary's own, linked before
 * libvirt.so): no connection, no domain.  virt-test CASE runs one case,
 * prints what failed, and exits 1 if anything did.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "../backend.h"
#include "../config.h"

static int failed;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		printf("%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		failed = 1;						\
	}								\
} while (0)

/* What virDomainSetMemoryFlags was given, and what the stats answer. */
static unsigned long set_kib;
static unsigned int set_flags;
static int set_calls;
static virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
static int nr_stats;
static unsigned long info_kib;

int virDomainSetMemoryFlags(virDomainPtr dom, unsigned long memory, unsigned int flags)
{
	(void)dom;
	set_kib = memory;
	set_flags = flags;
	set_calls++;
	return 0;
}

int virDomainMemoryStats(virDomainPtr dom, virDomainMemoryStatPtr st, unsigned int nr,
			 unsigned int flags)
{
	(void)dom;
	(void)flags;
	if (nr < (unsigned int)nr_stats)
		abort();
	memcpy(st, stats, nr_stats * sizeof(*st));
	return nr_stats;
}

int virDomainGetInfo(virDomainPtr dom, virDomainInfoPtr info)
{
	(void)dom;
	memset(info, 0, sizeof(*info));
	info->memory = info_kib;
	return 0;
}

static struct ovcd_hv *new_hv(void)
{
	static struct ovcd_vm_conf conf = { .name = "u", .domain = "u",
					    .backend = OVCD_BACKEND_LIBVIRT };
	static const struct ovcd_hv_env env = { .timeout_ms = 100, .cancel_fd = -1,
						.stats_interval_s = 1 };
	struct ovcd_hv *hv = ovcd_virt_ops.create(&conf, &env);

	if (!hv)
		abort();
	return hv;
}

/* The guest's size is sent in KiB: 4 KiB pages are 4 KiB each, live only. */
static void test_set_target_kib(void)
{
	static const uint64_t pages[] = { 1, 3, 1000, 262144, 3u << 20, 1ull << 30 };
	struct ovcd_hv *hv = new_hv();
	size_t i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		set_calls = 0;
		EXPECT(!hv->ops->set_target(hv, pages[i] * 4096));
		EXPECT(set_calls == 1);
		EXPECT(set_kib == pages[i] * 4);
		EXPECT(set_flags == VIR_DOMAIN_AFFECT_LIVE);
	}
	hv->ops->destroy(hv);
}

static void set_stat(int i, int tag, unsigned long long kib)
{
	stats[i].tag = tag;
	stats[i].val = kib;
}

/* ACTUAL_BALLOON is the size; virDomainGetInfo's memory only without it. */
static void test_query_actual(void)
{
	struct ovcd_hv *hv = new_hv();
	uint64_t actual, free_b, total_b;

	info_kib = 999;		/* the current memory: not the balloon's actual */
	set_stat(0, VIR_DOMAIN_MEMORY_STAT_SWAP_IN, 5);
	set_stat(1, VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 1048576);
	set_stat(2, VIR_DOMAIN_MEMORY_STAT_UNUSED, 1000);
	set_stat(3, VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 2000);
	nr_stats = 4;
	EXPECT(!hv->ops->query(hv, &actual, &free_b, &total_b));
	EXPECT(actual == 1048576ull * 1024);
	EXPECT(free_b == 1000 * 1024);
	EXPECT(total_b == 2000 * 1024);

	set_stat(1, VIR_DOMAIN_MEMORY_STAT_RSS, 7);	/* no ACTUAL_BALLOON, no guest stats */
	nr_stats = 2;
	EXPECT(!hv->ops->query(hv, &actual, &free_b, &total_b));
	EXPECT(actual == 999 * 1024);
	EXPECT(free_b == OVCD_STAT_UNKNOWN && total_b == OVCD_STAT_UNKNOWN);
	hv->ops->destroy(hv);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "set_target_kib", test_set_target_kib },
	{ "query_actual", test_query_actual },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2)
		goto usage;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(argv[1], cases[i].name)) {
			cases[i].fn();
			return failed;
		}
	}
usage:
	fprintf(stderr, "usage: virt-test CASE (set_target_kib, query_actual)\n");
	return 2;
}
