// SPDX-License-Identifier: GPL-2.0
/*
 * The rebalancer (kmod/balance.c) and its knobs: validation of every
 * knob, targets and balloon targets of two VM files under a small host
 * budget, shares, policy_run=0, the memory states as the budget is
 * lowered, the low state's fault wait, and the poll wake-up of a balloon
 * target the rebalancer changes.
 *
 * No sampler runs here: active_pages stays "unknown" (all active), so the
 * idle tax does not matter.  Nor does reclaim without the guest, which the
 * hard and low states start (ovcfs_reclaim_test has it): the compressed
 * cache is closed (compress_max_percent=0), so resident pages change only
 * by the tests' own faults.  Every global knob is saved in the setup and
 * restored in the teardown (host_budget_pages back to 0, automatic: a read
 * shows only the effective budget).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <time.h>

#include "ovc_test_util.h"

#define VM_PAGES	4096UL		/* 16 MiB each */
#define TOUCHED		3072UL		/* resident pages of each */
#define PERIOD_MS	200

static const char *const knobs[] = {
	"idle_tax_percent", "host_reserve_pages", "balance_period_ms",
	"balloon_max_percent", "policy_run", "state_high_percent",
	"state_soft_percent", "state_hard_percent", "state_low_percent",
};
#define NKNOBS	(sizeof(knobs) / sizeof(knobs[0]))

FIXTURE(policy) {
	struct ovc_vmfile a, b;
	char saved[NKNOBS][32];
	char compress_max[32];
	int rebalances_fd;
};

/*
 * The rebalances counter, and its value before the last put(): a
 * rebalance a store kicks may end before the store's caller reads it.
 */
static int rebalances_fd = -1;
static long long rebalances_before;

static int put(const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write a formatted value to OVC_SYSFS_ROOT/@rel.  Return: 0 or errno. */
static int put(const char *rel, const char *fmt, ...)
{
	char val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	rebalances_before = ovc_counter(rebalances_fd);
	return ovc_sysfs_write(rel, val);
}

static int vm_put(const struct ovc_vmfile *f, const char *file,
		  unsigned long long v)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "vms/%llu/%s", f->id, file);
	return put(rel, "%llu", v);
}

static long long vm_get(const struct ovc_vmfile *f, const char *file)
{
	return ovc_sysfs_value("vms/%llu/%s", f->id, file);
}

static long long get(const char *rel)
{
	return ovc_sysfs_value("%s", rel);
}

static long long totalram(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 4;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Wait for @n more rebalances than before the last put().  Return: the
 * milliseconds it took, or -1 after 10 s.
 */
static double wait_rebalances(FIXTURE_DATA(policy) *self, int n)
{
	long long start = rebalances_before;
	double t0 = now_ms();

	while (now_ms() - t0 < 10000) {
		if (ovc_counter(self->rebalances_fd) >= start + n)
			return now_ms() - t0;
		usleep(5000);
	}
	return -1;
}

/*
 * Wait until VM a's target_pages is @pages.  Return: the milliseconds it
 * took, or -1 after 10 s.
 */
static double wait_target(FIXTURE_DATA(policy) *self, long long pages)
{
	double t0 = now_ms();

	while (now_ms() - t0 < 10000) {
		if (ovc_sysfs_value("vms/%llu/target_pages", self->a.id) ==
		    pages)
			return now_ms() - t0;
		usleep(5000);
	}
	return -1;
}

/*
 * A VM file of VM_PAGES with TOUCHED resident.  ovc_vmfile_setup() names
 * files after the test: the first one is renamed with @suffix, so that
 * the second can be created.
 */
static void vm_make(struct __test_metadata *_metadata, struct ovc_vmfile *f,
		    const char *suffix)
{
	char path[sizeof(f->path)];

	ovc_vmfile_setup(_metadata, f);
	if (suffix) {
		snprintf(path, sizeof(path), "%.*s%s",
			 (int)(sizeof(path) - strlen(suffix) - 1), f->path,
			 suffix);
		ASSERT_EQ(0, rename(f->path, path)) TH_LOG("rename: %m");
		memcpy(f->path, path, sizeof(path));
	}
	ovc_vmfile_map(_metadata, f, VM_PAGES * OVC_PG);
	ovc_touch_pages(f->map, 0, TOUCHED, 1);
	ASSERT_EQ((long long)TOUCHED, ovc_resident(f));
}

FIXTURE_SETUP(policy)
{
	unsigned int i;

	self->a.fd = self->b.fd = -1;
	self->rebalances_fd = -1;
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	for (i = 0; i < NKNOBS; i++) {
		ovc_sysfs_get_str(knobs[i], self->saved[i], sizeof(self->saved[i]));
		if (!self->saved[i][0])
			OVC_SETUP_FAIL("%s/%s absent", OVC_SYSFS_ROOT, knobs[i]);
	}
	ovc_sysfs_get_str("compress_max_percent", self->compress_max,
		sizeof(self->compress_max));
	if (!self->compress_max[0])
		OVC_SETUP_FAIL("%s/compress_max_percent absent", OVC_SYSFS_ROOT);
	ASSERT_EQ(0, ovc_sysfs_write("compress_max_percent", "0"));
	self->rebalances_fd = ovc_sysfs_open("rebalances");
	ASSERT_LE(0, self->rebalances_fd);
	rebalances_fd = self->rebalances_fd;
	vm_make(_metadata, &self->a, "-a");
	vm_make(_metadata, &self->b, NULL);
	ASSERT_EQ(0, put("balance_period_ms", "%d", PERIOD_MS));
}

/* Thresholds back through an order that keeps high > soft > hard > low. */
static void restore_thresholds(struct __test_metadata *_metadata,
			       FIXTURE_DATA(policy) *self)
{
	static const char *const steps[][2] = {
		{ "state_high_percent", "100" }, { "state_low_percent", "0" },
		{ "state_hard_percent", "1" }, { "state_soft_percent", "2" },
	};
	unsigned int i;

	int err = 0;

	for (i = 0; i < 4; i++)
		err = err ?: ovc_sysfs_write(steps[i][0], steps[i][1]);
	for (i = 5; i < NKNOBS; i++)
		err = err ?: ovc_sysfs_write(knobs[i], self->saved[i]);
	EXPECT_EQ(0, err);
}

FIXTURE_TEARDOWN(policy)
{
	unsigned int i;

	if (self->rebalances_fd >= 0)
		close(self->rebalances_fd);
	EXPECT_EQ(0, ovc_sysfs_write("policy_run", "0"));
	EXPECT_EQ(0, ovc_sysfs_write("host_budget_pages", "0"));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, ovc_sysfs_write(knobs[i], self->saved[i]))
			TH_LOG("%s=%s", knobs[i], self->saved[i]);
	restore_thresholds(_metadata, self);
	if (self->compress_max[0])
		EXPECT_EQ(0, ovc_sysfs_write("compress_max_percent",
					     self->compress_max));
	/* b's teardown finds a still there, with the pages a test gave it */
	if (self->a.resident_fd >= 0 && ovc_resident(&self->a) >= 0)
		self->b.cnt.pages0 += ovc_resident(&self->a) - TOUCHED;
	ovc_vmfile_teardown(_metadata, &self->b);
	ovc_vmfile_teardown(_metadata, &self->a);
}

/* @rel refuses @bad with @err and still reads @before. */
#define REFUSE(rel, bad, err) do {					\
	char _b[64], _a[64];						\
	ovc_sysfs_get_str(rel, _b, sizeof(_b));					\
	EXPECT_EQ(err, ovc_sysfs_write(rel, bad))			\
		TH_LOG("%s=%s", rel, bad);				\
	ovc_sysfs_get_str(rel, _a, sizeof(_a));					\
	EXPECT_STREQ(_b, _a) TH_LOG("%s changed by %s", rel, bad);	\
} while (0)

/* A read-only file whose value moves on its own (free_pages): the errno. */
#define REFUSE_RO(rel, bad) do {					\
	char _a[64];							\
	EXPECT_EQ(EACCES, ovc_sysfs_write(rel, bad))			\
		TH_LOG("%s=%s", rel, bad);				\
	ovc_sysfs_get_str(rel, _a, sizeof(_a));					\
	EXPECT_STRNE(bad, _a) TH_LOG("%s set to %s", rel, bad);		\
} while (0)

#define ACCEPT(rel, good) do {						\
	char _v[64];							\
	EXPECT_EQ(0, ovc_sysfs_write(rel, good)) TH_LOG("%s=%s", rel, good); \
	ovc_sysfs_get_str(rel, _v, sizeof(_v));					\
	EXPECT_STREQ(good, _v) TH_LOG("%s", rel);			\
} while (0)

/* Every knob: garbage and values out of range are refused, nothing changes. */
TEST_F(policy, knobs)
{
	static const struct { const char *knob, *bad[3], *good[2]; } k[] = {
		{ "idle_tax_percent", { "x", "100", "-1" }, { "0", "99" } },
		{ "balance_period_ms", { "99", "3600001", "1e3" },
		  { "100", "3600000" } },
		{ "balloon_max_percent", { "101", "abc", "65%" }, { "0", "100" } },
		{ "policy_run", { "2", "on", "-1" }, { "1", "0" } },
	};
	long long ram = totalram();
	char big[32], v[64], rel[128];
	unsigned int i, j;

	ASSERT_LT(0, ram);
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		for (j = 0; j < 3; j++)
			REFUSE(k[i].knob, k[i].bad[j], EINVAL);
		for (j = 0; j < 2; j++)
			ACCEPT(k[i].knob, k[i].good[j]);
	}

	snprintf(big, sizeof(big), "%lld", ram + 1);
	REFUSE("host_reserve_pages", "x", EINVAL);
	REFUSE("host_reserve_pages", big, ERANGE);
	REFUSE("host_budget_pages", "x", EINVAL);
	REFUSE("host_budget_pages", "-5", EINVAL);
	REFUSE("host_budget_pages", big, ERANGE);
	ACCEPT("host_budget_pages", "5");
	ASSERT_EQ(0, ovc_sysfs_write("host_reserve_pages", "1000"));
	ASSERT_EQ(0, ovc_sysfs_write("host_budget_pages", "0"));
	EXPECT_EQ(ram - 1000, get("host_budget_pages"));	/* automatic */

	/* 6 4 2 1: each store must keep high > soft > hard > low */
	REFUSE("state_high_percent", "101", EINVAL);
	REFUSE("state_high_percent", "4", EINVAL);
	REFUSE("state_soft_percent", "6", EINVAL);
	REFUSE("state_soft_percent", "2", EINVAL);
	REFUSE("state_hard_percent", "4", EINVAL);
	REFUSE("state_hard_percent", "1", EINVAL);
	REFUSE("state_low_percent", "2", EINVAL);
	REFUSE("state_low_percent", "x", EINVAL);
	ACCEPT("state_low_percent", "0");
	ACCEPT("state_high_percent", "100");

	/* read-only files */
	REFUSE("state", "high", EACCES);
	REFUSE_RO("free_pages", "1");
	REFUSE("low_waits", "0", EACCES);

	/* per VM */
	snprintf(rel, sizeof(rel), "vms/%llu/shares", self->a.id);
	REFUSE(rel, "0", EINVAL);
	REFUSE(rel, "1000001", EINVAL);
	REFUSE(rel, "x", EINVAL);
	ovc_sysfs_get_str(rel, v, sizeof(v));
	EXPECT_STREQ("1000", v);
	ACCEPT(rel, "1000000");
	ACCEPT(rel, "1");

	snprintf(rel, sizeof(rel), "vms/%llu/min_pages", self->a.id);
	snprintf(big, sizeof(big), "%lu", VM_PAGES + 1);
	REFUSE(rel, big, ERANGE);
	REFUSE(rel, "x", EINVAL);
	ACCEPT(rel, "100");
	snprintf(rel, sizeof(rel), "vms/%llu/max_pages", self->a.id);
	EXPECT_EQ((long long)VM_PAGES, vm_get(&self->a, "max_pages"));
	REFUSE(rel, big, ERANGE);
	REFUSE(rel, "99", EINVAL);		/* below min */
	REFUSE(rel, "x", EINVAL);
	ACCEPT(rel, "200");
	snprintf(rel, sizeof(rel), "vms/%llu/min_pages", self->a.id);
	REFUSE(rel, "201", EINVAL);		/* above max */
	ACCEPT(rel, "200");
	EXPECT_EQ(0, vm_put(&self->a, "max_pages", 0));	/* the size again */
	EXPECT_EQ((long long)VM_PAGES, vm_get(&self->a, "max_pages"));
	/*
	 * The max_pages writes woke the rebalancer, which moves target_pages
	 * on its own: wait until it has (the budget covers both VMs whole),
	 * so that the read-only check below sees only what the write does.
	 */
	ASSERT_LE(0, wait_target(self, VM_PAGES));
	snprintf(rel, sizeof(rel), "vms/%llu/target_pages", self->a.id);
	REFUSE(rel, "5", EACCES);
}

/* Sum of the two targets. */
static long long targets(FIXTURE_DATA(policy) *self)
{
	return vm_get(&self->a, "target_pages") +
	       vm_get(&self->b, "target_pages");
}

#define BALLOON(f)	vm_get(f, "balloon_target_pages")
#define TARGET(f)	vm_get(f, "target_pages")

/* Set the budget and wait two rebalances: within two periods. */
static void budget(struct __test_metadata *_metadata,
		   FIXTURE_DATA(policy) *self, unsigned long pages)
{
	double ms;

	ASSERT_EQ(0, put("host_budget_pages", "%lu", pages));
	ms = wait_rebalances(self, 2);
	ASSERT_LE(0, ms);
	EXPECT_GE(2 * PERIOD_MS + 300, ms);
}

/*
 * policy_run=1, budget 4096 for two VMs of 4096 pages: 2048 each; balloons
 * size - target, capped by balloon_max_percent, never below min_pages;
 * back to 0 when the budget is.
 */
TEST_F(policy, targets)
{
	ASSERT_EQ(0, put("policy_run", "1"));
	budget(_metadata, self, 4096);
	EXPECT_GE(4096, targets(self));
	EXPECT_EQ(2048, TARGET(&self->a));
	EXPECT_EQ(2048, TARGET(&self->b));
	EXPECT_EQ((long long)VM_PAGES - TARGET(&self->a), BALLOON(&self->a));
	EXPECT_EQ((long long)VM_PAGES - TARGET(&self->b), BALLOON(&self->b));

	/* 500 each: the balloon stops at 65 % (2662 pages) */
	budget(_metadata, self, 1000);
	EXPECT_EQ(1000, targets(self));
	EXPECT_EQ((long long)VM_PAGES * 65 / 100, BALLOON(&self->a));
	EXPECT_EQ((long long)VM_PAGES * 65 / 100, BALLOON(&self->b));
	ASSERT_EQ(0, put("balloon_max_percent", "50"));
	ASSERT_LE(0, wait_rebalances(self, 2));
	EXPECT_EQ((long long)VM_PAGES / 2, BALLOON(&self->a));

	/* min 3000 > budget: a keeps its min, b none; a's balloon 1096 */
	ASSERT_EQ(0, vm_put(&self->a, "min_pages", 3000));
	ASSERT_LE(0, wait_rebalances(self, 2));
	EXPECT_EQ(3000, TARGET(&self->a));
	EXPECT_EQ(0, TARGET(&self->b));
	EXPECT_EQ((long long)VM_PAGES - 3000, BALLOON(&self->a));
	EXPECT_EQ((long long)VM_PAGES / 2, BALLOON(&self->b));
	ASSERT_EQ(0, vm_put(&self->a, "min_pages", 0));

	/* the budget back: every balloon deflates */
	budget(_metadata, self, 0);
	EXPECT_EQ((long long)VM_PAGES, TARGET(&self->a));
	EXPECT_EQ((long long)VM_PAGES, TARGET(&self->b));
	EXPECT_EQ(0, BALLOON(&self->a));
	EXPECT_EQ(0, BALLOON(&self->b));
}

/* Shares 2:1 and a budget of 3000: 2000 and 1000 (within rounding). */
TEST_F(policy, shares)
{
	ASSERT_EQ(0, vm_put(&self->a, "shares", 2000));
	budget(_metadata, self, 3000);
	EXPECT_EQ(3000, targets(self));
	EXPECT_GE(2, llabs(TARGET(&self->a) - 2000));
	EXPECT_GE(2, llabs(TARGET(&self->b) - 1000));
	/* a VM's max is its demand: a wants 500 only, b gets the rest */
	ASSERT_EQ(0, vm_put(&self->a, "max_pages", 500));
	ASSERT_LE(0, wait_rebalances(self, 2));
	EXPECT_EQ(500, TARGET(&self->a));
	EXPECT_EQ(2500, TARGET(&self->b));
}

/* policy_run=0: targets computed and shown, balloon targets untouched. */
TEST_F(policy, run_off)
{
	ASSERT_EQ(0, vm_put(&self->a, "balloon_target_pages", 7));
	ASSERT_EQ(0, vm_put(&self->b, "balloon_target_pages", 7));
	ASSERT_EQ(0, put("policy_run", "0"));
	budget(_metadata, self, 3000);
	EXPECT_EQ(1500, TARGET(&self->a));
	EXPECT_EQ(1500, TARGET(&self->b));
	EXPECT_EQ(7, BALLOON(&self->a));
	EXPECT_EQ(7, BALLOON(&self->b));
}

static void state(char *buf, size_t len)
{
	ovc_sysfs_get_str("state", buf, len);
}

/*
 * The budget that leaves @permille of it free above what the VMs hold
 * (free_pages = budget - pages_resident while the host has more free).
 */
static unsigned long budget_free(unsigned int permille)
{
	long long r = get("pages_resident");

	return (unsigned long)((r * 1000 + (1000 - permille) - 1) /
			       (1000 - permille));
}

#define EXPECT_STATE(want) do {						\
	char _s[16];							\
	state(_s, sizeof(_s));						\
	EXPECT_STREQ(want, _s) TH_LOG("free_pages %lld of %lld",	\
				      get("free_pages"),		\
				      get("host_budget_pages"));	\
} while (0)

/* ESX's states as the budget is lowered, and the one hysteresis band. */
TEST_F(policy, states)
{
	budget(_metadata, self, budget_free(80));
	EXPECT_STATE("high");
	budget(_metadata, self, budget_free(50));
	EXPECT_STATE("soft");
	budget(_metadata, self, budget_free(30));
	EXPECT_STATE("hard");
	budget(_metadata, self, budget_free(15));
	EXPECT_STATE("hard");			/* [1, 2) % from hard */
	budget(_metadata, self, budget_free(5));
	EXPECT_STATE("low");
	budget(_metadata, self, budget_free(15));
	EXPECT_STATE("low");			/* [1, 2) % from low */
	budget(_metadata, self, budget_free(30));
	EXPECT_STATE("hard");
	budget(_metadata, self, budget_free(80));
	EXPECT_STATE("high");
	EXPECT_LE(get("pages_resident") * 7 / 100, get("free_pages"));
}

/* Milliseconds a write to byte 0 of page @index of @f takes. */
static double fault_ms(struct ovc_vmfile *f, size_t index)
{
	double t0 = now_ms();

	((volatile char *)f->map)[index * OVC_PG] = 1;
	return now_ms() - t0;
}

/*
 * Low state, policy_run=1: a's min is 0, b's its size, budget 4096: a's
 * target is 0, b's 4096.  A new page of a (a write to an empty slot, or a
 * write to a page read as the zero frame) waits ~100 ms, one of b does not;
 * nor one of a while its balloon inflates: from the raise of its balloon
 * target, and while ovcd reports it growing short of the target.  The
 * period is an hour: no rebalance ends the wait early.
 */
TEST_F(policy, low_wait)
{
	long long waits;
	double ms;

	ASSERT_EQ(0, vm_put(&self->b, "min_pages", VM_PAGES));
	ASSERT_EQ(0, put("policy_run", "1"));
	ASSERT_EQ(0, put("host_budget_pages", "4096"));
	ASSERT_LE(0, wait_rebalances(self, 2));
	ASSERT_EQ(0, put("balance_period_ms", "3600000"));
	ASSERT_LE(0, wait_rebalances(self, 1));
	/* the kick may have come during a rebalance: one more right after */
	usleep(100000);
	waits = ovc_counter(self->rebalances_fd);
	usleep(2 * PERIOD_MS * 1000);
	ASSERT_EQ(waits, ovc_counter(self->rebalances_fd));
	EXPECT_STATE("low");
	ASSERT_EQ(0, TARGET(&self->a));
	ASSERT_EQ((long long)VM_PAGES, TARGET(&self->b));

	/*
	 * a's balloon target was just raised (from 0, by the budget): the
	 * guest's balloon driver writes the pages it takes before ovcd
	 * reports a larger balloon, and must not be braked from the first
	 * page on (a balloon that starts from 0 would never start)
	 */
	ASSERT_LT(1, BALLOON(&self->a));
	waits = get("low_waits");
	ms = fault_ms(&self->a, TOUCHED + 5);
	EXPECT_GT(50, ms);
	EXPECT_EQ(waits, get("low_waits"));
	/* ovcd reports the balloon at its target: no longer inflating */
	ASSERT_EQ(0, ovc_guest_report(self->a.fd, BALLOON(&self->a),
				      OVC_UNKNOWN, OVC_UNKNOWN));

	ms = fault_ms(&self->a, TOUCHED);
	EXPECT_LE(50, ms);
	EXPECT_EQ(waits + 1, get("low_waits"));

	/* a read maps the zero frame, the write after it copies: waits */
	EXPECT_EQ(0, ((volatile char *)self->a.map)[(TOUCHED + 1) * OVC_PG]);
	EXPECT_EQ(waits + 1, get("low_waits"));
	ms = fault_ms(&self->a, TOUCHED + 1);
	EXPECT_LE(50, ms);
	EXPECT_EQ(waits + 2, get("low_waits"));

	/* a page a holds already: no wait */
	ms = fault_ms(&self->a, 0);
	EXPECT_GT(50, ms);

	/* b is under its target */
	ms = fault_ms(&self->b, TOUCHED);
	EXPECT_GT(50, ms);
	EXPECT_EQ(waits + 2, get("low_waits"));
	EXPECT_EQ((long long)TOUCHED + 3, ovc_resident(&self->a));
	EXPECT_EQ((long long)TOUCHED + 1, ovc_resident(&self->b));

	/*
	 * a's balloon inflates (ovcd reports it larger, short of its
	 * target): the balloon driver's own writes must not be braked
	 */
	ASSERT_EQ(0, ovc_guest_report(self->a.fd, 0, OVC_UNKNOWN, OVC_UNKNOWN));
	ASSERT_EQ(0, ovc_guest_report(self->a.fd, 1, OVC_UNKNOWN, OVC_UNKNOWN));
	ms = fault_ms(&self->a, TOUCHED + 3);
	EXPECT_GT(50, ms);
	EXPECT_EQ(waits + 2, get("low_waits"));
	/* at its target it no longer inflates: braked again */
	ASSERT_EQ(0, ovc_guest_report(self->a.fd, BALLOON(&self->a),
				      OVC_UNKNOWN, OVC_UNKNOWN));
	ms = fault_ms(&self->a, TOUCHED + 4);
	EXPECT_LE(50, ms);
	EXPECT_EQ(waits + 3, get("low_waits"));

	/* policy_run=0: no brake */
	ASSERT_EQ(0, put("policy_run", "0"));
	ms = fault_ms(&self->a, TOUCHED + 2);
	EXPECT_GT(50, ms);
	EXPECT_EQ(waits + 3, get("low_waits"));
}

/* A poller of balloon_target_pages (ovcd) is woken by the rebalancer. */
TEST_F(policy, poll)
{
	struct pollfd p;
	int fd;

	ASSERT_EQ(0, put("policy_run", "1"));
	ASSERT_LE(0, wait_rebalances(self, 2));
	fd = ovc_sysfs_open("vms/%llu/balloon_target_pages", self->a.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ovc_counter(fd));
	p.fd = fd;
	p.events = POLLPRI;
	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, put("host_budget_pages", "4096"));
	ASSERT_EQ(1, poll(&p, 1, 2 * PERIOD_MS + 1000));
	EXPECT_EQ(2048, ovc_counter(fd));
	close(fd);
}

TEST_HARNESS_MAIN
