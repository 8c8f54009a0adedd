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
 * an idle guest's mostly do.  The second test has pages that do not
 * compress and a swap store on a block device (the test VM's scratch
 * disk), which the shrinker writes by bio.
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

/*
 * An anonymous process touching @hog_bytes, then checking them: it must
 * exit 0, and no OOM kill may happen meanwhile (the kernel log, and
 * /proc/vmstat's oom_kill where it exists).
 */
static void hog_completes(struct __test_metadata *_metadata, size_t hog_bytes)
{
	long long ooms = proc_value("/proc/vmstat", "oom_kill ");
	int kmsg = kmsg_from_now();
	char line[1024];
	int status;
	pid_t pid;

	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %m");
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
}

/* The shrinker is on (the default), as a host administrator finds it. */
static void shrink_on(struct __test_metadata *_metadata)
{
	char shrink[8] = "";
	int fd = ovc_sysfs_open("shrink");

	ASSERT_LE(0, fd);
	ASSERT_LT(0, ovc_sysfs_str(fd, shrink, sizeof(shrink)));
	close(fd);
	ASSERT_STREQ("1", shrink) TH_LOG("the shrinker is off by default");
}

OVC_VMFILE_FIXTURE();

/* Filling, the hog and the check take 30 s under TCG, more on the debug kernel. */
TEST_F_TIMEOUT(vmfile, anonymous_hog_completes, 600)
{
	struct ovc_vmfile *f = &self->f;
	long long total_kb = proc_value("/proc/meminfo", "MemTotal:");
	size_t vm_pages, hog_bytes, i, bad = 0;

	ASSERT_LT(0, total_kb);
	shrink_on(_metadata);
	vm_pages = total_kb / 4 * 60 / 100;
	hog_bytes = total_kb * 1024 / 2;
	ovc_vmfile_map(_metadata, f, vm_pages * OVC_PG);
	for (i = 0; i < vm_pages; i++)
		fill_page(f->map + i * OVC_PG, i);
	TH_LOG("VM file %zu MiB resident, hog %zu MiB, MemTotal %lld MiB",
	       (size_t)ovc_resident(f) / 256, hog_bytes >> 20, total_kb >> 10);

	hog_completes(_metadata, hog_bytes);
	TH_LOG("after the hog: %lld pages resident, %lld compressed",
	       ovc_resident(f),
	       ovc_sysfs_value("vms/%llu/compressed_pages", f->id));
	EXPECT_LT(0, ovc_sysfs_value("vms/%llu/swap_outs", f->id));

	for (i = 0; i < vm_pages; i++)
		if (!page_ok(f->map + i * OVC_PG, i) && !bad++)
			TH_LOG("page %zu differs", i);
	EXPECT_EQ(0UL, bad) TH_LOG("%zu pages differ", bad);
}

/*
 * The scratch disk of the test VM (selftests/vm/run-tests.sh): the first
 * virtio disk, /dev/vd?, opened read-write.  Return: the fd, or -1.
 */
static int scratch_disk(char *path, size_t len)
{
	char c;

	for (c = 'a'; c <= 'z'; c++) {
		snprintf(path, len, "/dev/vd%c", c);
		if (!access(path, F_OK))
			return open(path, O_RDWR | O_CLOEXEC);
	}
	return -1;
}

/*
 * The same with pages that do not compress and a block device swap
 * store: the shrinker writes them there by bio.  Before, it stored only
 * in the compressed cache, so nothing could make room and the OOM
 * killer ran.
 */
TEST_F_TIMEOUT(vmfile, incompressible_to_block_store, 600)
{
	struct ovc_vmfile *f = &self->f;
	long long total_kb = proc_value("/proc/meminfo", "MemTotal:");
	size_t vm_pages, hog_bytes;
	int root, disk, err;
	char path[32];
	ssize_t bad;

	ASSERT_LT(0, total_kb);
	shrink_on(_metadata);
	disk = scratch_disk(path, sizeof(path));
	ASSERT_LE(0, disk) TH_LOG("no scratch disk /dev/vd? (selftests/vm/run-tests.sh gives the test VM one): %m");
	root = open(ovc_mnt(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, root);
	err = ovc_swap_set(root, disk, NULL);
	close(disk);
	ASSERT_EQ(0, err) TH_LOG("attach %s: %s", path, strerror(err));
	vm_pages = total_kb / 4 * 60 / 100;
	hog_bytes = total_kb * 1024 / 2;
	ovc_vmfile_map(_metadata, f, vm_pages * OVC_PG);
	ovc_fill(f->map, vm_pages * OVC_PG, 0, 35);
	TH_LOG("VM file %zu MiB resident (incompressible), hog %zu MiB, store %s",
	       (size_t)ovc_resident(f) / 256, hog_bytes >> 20, path);

	hog_completes(_metadata, hog_bytes);
	TH_LOG("after the hog: %lld pages resident, %lld swapped, %lld compressed",
	       ovc_resident(f), ovc_vm_stat(f, "swapped_pages"),
	       ovc_vm_stat(f, "compressed_pages"));
	EXPECT_LT(0, ovc_vm_stat(f, "swapped_pages"));

	bad = ovc_check(f->map, vm_pages * OVC_PG, 0, 35);
	EXPECT_EQ(-1, bad) TH_LOG("byte %zd differs", bad);
	/*
	 * The check itself pushes some out again (the file is most of RAM):
	 * with the shrinker off, the counts hold still.  Each page is counted
	 * once out and once back in.
	 */
	EXPECT_EQ(0, ovc_sysfs_write("shrink", "0"));
	usleep(200000);		/* a scan in flight ends */
	TH_LOG("after the check: %lld swap-ins, %lld swapped",
	       ovc_vm_stat(f, "swap_ins"), ovc_vm_stat(f, "swapped_pages"));
	EXPECT_EQ(ovc_vm_stat(f, "swap_outs"), ovc_vm_stat(f, "swap_ins") +
		  ovc_vm_stat(f, "swapped_pages") +
		  ovc_vm_stat(f, "compressed_pages"));
	EXPECT_EQ(0, ovc_sysfs_write("shrink", "1"));
	ASSERT_EQ(0, munmap(f->map, f->map_len));
	f->map = NULL;
	ASSERT_EQ(0, ftruncate(f->fd, 0));
	EXPECT_EQ(0, ovc_sysfs_value("swapped_pages"));
	EXPECT_EQ(0, ovc_swap_set(root, OVC_SWAP_FILE_NONE, NULL));
	close(root);
}

TEST_HARNESS_MAIN
