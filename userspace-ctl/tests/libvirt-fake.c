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
 *
 * Each answer is one line on standard error, "fake-libvirt: ...".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void fake_libvirt_run(virConnectPtr conn, char *line)
{
	char *cmd = strtok(line, " \n"), *name = strtok(NULL, " \n"), mem[32];
	virDomainPtr dom;
	virDomainInfo info;
	int rc = -1;

	if (!cmd || !name)
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
	char line[256];
	FILE *f;

	/* O_RDWR: never EOF while the test has no writer open */
	f = fdopen(open(arg, O_RDWR | O_CLOEXEC), "r");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!conn)
			conn = virConnectOpen(uri && *uri ? uri : "test:///default");
		if (!conn)
			fake_libvirt_say("cannot connect%s%s", "", "");
		else
			fake_libvirt_run(conn, line);
	}
	return NULL;
}

__attribute__((constructor)) static void fake_libvirt_init(void)
{
	char *fifo = getenv("OVCD_FAKE_LIBVIRT");
	pthread_t t;

	if (fifo && *fifo && !pthread_create(&t, NULL, fake_libvirt_thread, fifo))
		pthread_detach(t);
}
