// SPDX-License-Identifier: GPL-2.0
/*
 * libvirt-fake - a second libvirt client inside ovcd, for tests.  Linked
 * only into the test binary tests/bin/ovcd, never into ovcd.
 *
 * libvirt's test driver (test:///default) keeps its domains in the
 * memory of the process that opened it: virsh in another process would
 * see domains of its own.  So with OVCD_FAKE_LIBVIRT=FIFO in the
 * environment, a thread of the test binary reads commands from FIFO, one
 * a line, and carries them out on a connection of its own to
 * $OVCD_FAKE_LIBVIRT_URI (default test:///default), which shares the
 * test driver's state with ovcd's connection:
 *
 *   destroy NAME   virDomainDestroy (ovcd gets a lifecycle event)
 *   start NAME     virDomainCreate (a new domain id)
 *   memory NAME    print the domain's current memory (virDomainGetInfo)
 *   hang NAME      ovcd's virDomainMemoryStats on NAME, as it runs now
 *                  (its id), blocks (a hung domain) until "unhang NAME",
 *                  saying "NAME (id ID) hangs" when it starts blocking
 *   actual NAME K  ovcd's virDomainMemoryStats on NAME answers
 *                  ACTUAL_BALLOON = K KiB (a balloon on its way), not the
 *                  current memory; K = none: no ACTUAL_BALLOON at all;
 *                  K = real: the test driver's answer again
 *
 * Each answer is one line on standard error, "fake-libvirt: ...".
 *
 * To do so it puts itself between ovcd and libvirt for a few calls:
 * these functions, defined here, are the ones ovcd's objects link to,
 * and call libvirt's own (dlsym RTLD_NEXT).  Besides the above:
 *
 *   OVCD_FAKE_LIBVIRT_FAIL_LIST=N  the first N virConnectListAllDomains
 *                  fail (libvirt's error for an unsupported flag)
 *   OVCD_FAKE_LIBVIRT_TRACE=1  one line per virConnectOpen, per
 *                  virConnectListAllDomains and per virDomainSetMemoryFlags
 *                  (its KiB and flags), with CLOCK_MONOTONIC milliseconds
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static void fake_libvirt_say(const char *fmt, const char *a, const char *b)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "fake-libvirt: ");
	n += snprintf(line + n, sizeof(line) - n, fmt, a, b);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int hang;		/* the domain id whose stats block, 0: none */
	char actual_dom[256];	/* the domain whose ACTUAL_BALLOON is set */
	long long actual_kib;	/* -1: left out */
	int fail_list;
	bool trace;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static long long fake_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* libvirt's own @name, the one this file hides. */
static void *fake_real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		abort();
	return f;
}

virConnectPtr virConnectOpen(const char *name)
{
	static virConnectPtr (*real)(const char *);
	char ms[32];

	if (!real)
		real = fake_real("virConnectOpen");
	if (fake.trace) {
		snprintf(ms, sizeof(ms), "%lld", fake_ms());
		fake_libvirt_say("virConnectOpen %s at %s ms", name ? name : "(null)", ms);
	}
	return real(name);
}

int virConnectListAllDomains(virConnectPtr conn, virDomainPtr **domains, unsigned int flags)
{
	static int (*real)(virConnectPtr, virDomainPtr **, unsigned int);
	bool fail;
	char ms[32];

	if (!real)
		real = fake_real("virConnectListAllDomains");
	pthread_mutex_lock(&fake.lock);
	fail = fake.fail_list > 0;
	if (fail)
		fake.fail_list--;
	pthread_mutex_unlock(&fake.lock);
	if (fake.trace) {
		snprintf(ms, sizeof(ms), "%lld", fake_ms());
		fake_libvirt_say("virConnectListAllDomains%s at %s ms", fail ? " fails" : "", ms);
	}
	return real(conn, domains, fail ? 1u << 31 : flags);	/* unknown flag: an error */
}

int virDomainSetMemoryFlags(virDomainPtr dom, unsigned long memory, unsigned int flags)
{
	static int (*real)(virDomainPtr, unsigned long, unsigned int);
	char what[128];

	if (!real)
		real = fake_real("virDomainSetMemoryFlags");
	if (fake.trace) {
		snprintf(what, sizeof(what), "%lu KiB flags %u", memory, flags);
		fake_libvirt_say("virDomainSetMemoryFlags %s %s", virDomainGetName(dom), what);
	}
	return real(dom, memory, flags);
}

int virDomainMemoryStats(virDomainPtr dom, virDomainMemoryStatPtr stats, unsigned int nr_stats,
			 unsigned int flags)
{
	static int (*real)(virDomainPtr, virDomainMemoryStatPtr, unsigned int, unsigned int);
	const char *name = virDomainGetName(dom);
	int i, n, id = virDomainGetID(dom);
	long long kib = 0;
	char ids[16];
	bool set;

	if (!real)
		real = fake_real("virDomainMemoryStats");
	pthread_mutex_lock(&fake.lock);
	if (fake.hang && fake.hang == id) {
		snprintf(ids, sizeof(ids), "%d", id);
		fake_libvirt_say("%s (id %s) hangs", name, ids);
	}
	while (fake.hang && fake.hang == id)
		pthread_cond_wait(&fake.cond, &fake.lock);
	set = name && !strcmp(fake.actual_dom, name);
	if (set)
		kib = fake.actual_kib;
	pthread_mutex_unlock(&fake.lock);
	n = real(dom, stats, nr_stats, flags);
	for (i = 0; set && i < n; i++) {
		if (stats[i].tag != VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
			continue;
		if (kib >= 0) {
			stats[i].val = kib;
		} else {
			memmove(&stats[i], &stats[i + 1], (n - i - 1) * sizeof(*stats));
			n--;
		}
		break;
	}
	return n;
}

/* hang, unhang, actual: ovcd's calls, not the test driver's state. */
static bool fake_libvirt_set(virConnectPtr conn, const char *cmd, const char *name,
			     const char *arg)
{
	virDomainPtr dom = strcmp(cmd, "hang") ? NULL : virDomainLookupByName(conn, name);
	bool done = true;

	pthread_mutex_lock(&fake.lock);
	if (!strcmp(cmd, "hang")) {
		fake.hang = dom ? (int)virDomainGetID(dom) : 0;
	} else if (!strcmp(cmd, "unhang")) {
		fake.hang = 0;
		pthread_cond_broadcast(&fake.cond);
	} else if (!strcmp(cmd, "actual") && arg) {
		snprintf(fake.actual_dom, sizeof(fake.actual_dom), "%s",
			 strcmp(arg, "real") ? name : "");
		fake.actual_kib = strcmp(arg, "none") ? atoll(arg) : -1;
	} else {
		done = false;
	}
	pthread_mutex_unlock(&fake.lock);
	if (dom)
		virDomainFree(dom);
	if (done)
		fake_libvirt_say("%s %s: done", cmd, name);
	return done;
}

static void fake_libvirt_run(virConnectPtr conn, char *line)
{
	char *cmd = strtok(line, " \n"), *name = strtok(NULL, " \n"), *arg = strtok(NULL, " \n");
	char mem[32];
	virDomainPtr dom;
	virDomainInfo info;
	int rc = -1;

	if (!cmd || !name || fake_libvirt_set(conn, cmd, name, arg))
		return;
	dom = virDomainLookupByName(conn, name);
	if (!dom) {
		fake_libvirt_say("%s %s: no such domain", cmd, name);
		return;
	}
	if (!strcmp(cmd, "destroy"))
		rc = virDomainDestroy(dom);
	else if (!strcmp(cmd, "start"))
		rc = virDomainCreate(dom);
	else if (!strcmp(cmd, "memory") && !(rc = virDomainGetInfo(dom, &info)))
		snprintf(mem, sizeof(mem), "%lu", info.memory);
	if (rc)
		fake_libvirt_say("%s %s: failed", cmd, name);
	else if (!strcmp(cmd, "memory"))
		fake_libvirt_say("%s memory %s KiB", name, mem);
	else
		fake_libvirt_say("%s %s: done", cmd, name);
	virDomainFree(dom);
}

static void *fake_libvirt_thread(void *arg)
{
	const char *uri = getenv("OVCD_FAKE_LIBVIRT_URI");
	virConnectPtr conn = NULL;
	virConnectPtr (*open_conn)(const char *);
	char line[256];
	FILE *f;

	/* O_RDWR: never EOF while the test has no writer open */
	f = fdopen(open(arg, O_RDWR | O_CLOEXEC), "r");
	if (!f)
		return NULL;
	open_conn = fake_real("virConnectOpen");	/* not traced: not ovcd's */
	while (fgets(line, sizeof(line), f)) {
		if (!conn)
			conn = open_conn(uri && *uri ? uri : "test:///default");
		if (!conn)
			fake_libvirt_say("cannot connect%s%s", "", "");
		else
			fake_libvirt_run(conn, line);
	}
	return NULL;
}

__attribute__((constructor)) static void fake_libvirt_init(void)
{
	char *fifo = getenv("OVCD_FAKE_LIBVIRT"), *fail = getenv("OVCD_FAKE_LIBVIRT_FAIL_LIST");
	char *trace = getenv("OVCD_FAKE_LIBVIRT_TRACE");
	pthread_t t;

	fake.fail_list = fail ? atoi(fail) : 0;
	fake.trace = trace && !strcmp(trace, "1");
	if (fifo && *fifo && !pthread_create(&t, NULL, fake_libvirt_thread, fifo))
		pthread_detach(t);
}
