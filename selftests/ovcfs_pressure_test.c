// SPDX-License-Identifier: GPL-2.0
/*
 * Host memory pressure gives ovc memory back (issue 10): a VM file holds
 * 60 % of the test VM's RAM, then an anonymous process asks for 50 %.
 * The test VM has no swap, so only ovc's shrinker can make room, by
 * storing the VM's pages in the compressed cache.  Before it, both were
 * OOM-killed.  The hog must complete, the VM file must verify afterwards,
 * and the kernel log must show no OOM kill (nor /proc/vmstat's oom_kill
 * move, where the kernel counts it: the debug layer's tinyconfig kernel
 * has no VM event counters).
 *
 * The VM's pages compress (a 64-byte pattern, then a byte repeated), as
 * an idle guest's mostly do; pages that do not compress need the swap
 * store, which ovc does not have yet.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "ovc_test_util.h"

#define HEAD	64

static void fill_page(char *pg, size_t index)
{
	ovc_fill(pg, HEAD, index * OVC_PG, 21);
	memset(pg + HEAD, (int)(index & 0xff) | 1, OVC_PG - HEAD);
}

static bool page_ok(const char *pg, size_t index)
{
	const char c = (char)((index & 0xff) | 1);
	size_t j;

	if (ovc_check(pg, HEAD, index * OVC_PG, 21) != -1)
		return false;
	for (j = HEAD; j < OVC_PG; j++)
		if (pg[j] != c)
			return false;
	return true;
}

/* A /proc/meminfo or /proc/vmstat value (@key ends with its separator). */
static long long proc_value(const char *file, const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = atoll(line + strlen(key));
			break;
		}
	fclose(f);
	return v;
}

/*
 * /dev/kmsg, positioned after the last record: what the kernel logs from
 * now on.  Return: the fd, or -1.
 */
static int kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Copy the first record logged since kmsg_from_now() that tells of an
 * OOM kill into @line.  Return: whether there was one.
 */
static bool kmsg_oom(int fd, char *line, size_t len)
{
	char rec[1024];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;	/* overwritten records: go on */
		rec[n] = '\0';
		if (strstr(rec, "invoked oom-killer") ||
		    strstr(rec, "Out of memory") ||
		    strstr(rec, "Killed process")) {
			snprintf(line, len, "%s", rec);
			return true;
		}
	}
	return false;
}

OVC_VMFILE_FIXTURE();

/* Filling, the hog and the check take 30 s under TCG, more on the debug kernel. */
TEST_F_TIMEOUT(vmfile, anonymous_hog_completes, 600)
{
	struct ovc_vmfile *f = &self->f;
	long long total_kb = proc_value("/proc/meminfo", "MemTotal:");
	long long ooms = proc_value("/proc/vmstat", "oom_kill ");
	int kmsg = kmsg_from_now();
	size_t vm_pages, hog_bytes, i, bad = 0;
	char shrink[8] = "", line[1024];
	int fd, status;
	pid_t pid;

	ASSERT_LT(0, total_kb);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %m");
	fd = ovc_sysfs_open("shrink");
	ASSERT_LE(0, fd);
	ASSERT_LT(0, ovc_sysfs_str(fd, shrink, sizeof(shrink)));
	close(fd);
	ASSERT_STREQ("1", shrink) TH_LOG("the shrinker is off by default");
	vm_pages = total_kb / 4 * 60 / 100;
	hog_bytes = total_kb * 1024 / 2;
	ovc_vmfile_map(_metadata, f, vm_pages * OVC_PG);
	for (i = 0; i < vm_pages; i++)
		fill_page(f->map + i * OVC_PG, i);
	TH_LOG("VM file %zu MiB resident, hog %zu MiB, MemTotal %lld MiB",
	       (size_t)ovc_resident(f) / 256, hog_bytes >> 20, total_kb >> 10);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *hog = mmap(NULL, hog_bytes, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t off;

		if (hog == MAP_FAILED)
			_exit(2);
		for (off = 0; off < hog_bytes; off += OVC_PG)
			hog[off] = (char)(off >> 12) | 1;
		for (off = 0; off < hog_bytes; off += OVC_PG)
			if (hog[off] != ((char)(off >> 12) | 1))
				_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the hog %s %d", WIFEXITED(status) ? "exited" :
		       "was killed by signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
		       WTERMSIG(status));
	EXPECT_EQ(ooms, proc_value("/proc/vmstat", "oom_kill "))
		TH_LOG("the OOM killer ran");
	EXPECT_FALSE(kmsg_oom(kmsg, line, sizeof(line)))
		TH_LOG("the kernel logged: %s", line);
	close(kmsg);
	TH_LOG("after the hog: %lld pages resident, %lld compressed",
	       ovc_resident(f),
	       ovc_sysfs_value("vms/%llu/compressed_pages", f->id));
	EXPECT_LT(0, ovc_sysfs_value("vms/%llu/swap_outs", f->id));

	for (i = 0; i < vm_pages; i++)
		if (!page_ok(f->map + i * OVC_PG, i) && !bad++)
			TH_LOG("page %zu differs", i);
	EXPECT_EQ(0UL, bad) TH_LOG("%zu pages differ", bad);
}

TEST_HARNESS_MAIN
