// SPDX-License-Identifier: GPL-2.0
/*
 * zero_cow: K processes break copy-on-write of zero pages at once, each
 * on M pages, and the wall time from the start signal to the last one
 * done is printed.  Run by bench/zero-cow inside the test VM, on ovcfs.
 *
 *   zero_cow --dir DIR --procs K --pages M --files own|one
 *
 * Every page is read first: a read fault maps the VM's zero frame (no
 * scanner needed), so each write is a zero copy-on-write break, which
 * takes the zero frame's page lock.  "own": each process has a VM file of
 * its own (so a zero frame of its own); "one": all share one VM file, the
 * case of one lock for all, as the host-wide zero frame was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG	4096UL

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *map_file(const char *dir, int k, size_t pages)
{
	char path[4096];
	char *map;
	int fd;

	snprintf(path, sizeof(path), "%s/zero-cow-%d", dir, k);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, pages * PG)) {
		fprintf(stderr, "zero_cow: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	map = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "zero_cow: mmap: %s\n", strerror(errno));
		exit(1);
	}
	unlink(path);
	return map;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "procs", required_argument, NULL, 'k' },
		{ "pages", required_argument, NULL, 'm' },
		{ "files", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = "/run/ovc", *files = "own";
	size_t pages = 4096, i;
	int procs = 2, k, c, go[2], status, bad = 0;
	char **maps, sum = 0;
	double t0, t1;
	pid_t *pids;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'k': procs = atoi(optarg); break;
		case 'm': pages = strtoul(optarg, NULL, 0); break;
		case 'f': files = optarg; break;
		default: return 2;
		}
	}
	if (procs < 1 || !pages || (strcmp(files, "own") && strcmp(files, "one"))) {
		fprintf(stderr, "zero_cow: bad arguments\n");
		return 2;
	}
	maps = calloc(procs, sizeof(*maps));
	pids = calloc(procs, sizeof(*pids));
	if (!maps || !pids)
		return 1;
	if (!strcmp(files, "one")) {
		char *one = map_file(dir, 0, pages * procs);

		for (k = 0; k < procs; k++)
			maps[k] = one + k * pages * PG;
	} else {
		for (k = 0; k < procs; k++)
			maps[k] = map_file(dir, k, pages);
	}
	/* Read faults: every slot on its VM's zero frame. */
	for (k = 0; k < procs; k++)
		for (i = 0; i < pages; i++)
			sum += ((volatile char *)maps[k])[i * PG];
	if (pipe(go))
		return 1;
	for (k = 0; k < procs; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			return 1;
		if (!pids[k]) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)	/* EOF: go */
				_exit(3);
			for (i = 0; i < pages; i++)
				maps[k][i * PG] = 1;
			for (i = 0; i < pages; i++)
				if (maps[k][i * PG] != 1 || maps[k][i * PG + 1])
					_exit(4);
			_exit(0);
		}
	}
	close(go[0]);
	t0 = now_ms();
	close(go[1]);
	for (k = 0; k < procs; k++)
		if (waitpid(pids[k], &status, 0) != pids[k] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	t1 = now_ms();
	printf("zero-cow: files=%s procs=%d pages=%zu wall_ms=%.1f ms_per_1000=%.2f%s\n",
	       files, procs, pages, t1 - t0, (t1 - t0) * 1000 / pages,
	       bad ? " FAILED" : "");
	return bad || sum;
}
