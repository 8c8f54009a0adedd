// SPDX-License-Identifier: GPL-2.0
/*
 * ovcfs data path: a regular file is one VM's RAM.  Shared mappings,
 * zero-filled first touch, sharing between processes, persistence across
 * munmap and close, read()/write() coherence with the mapping, files past
 * 2 GiB, and refusal of private mappings.
 */
#define _GNU_SOURCE
#include "ovc_test_util.h"

OVC_VMFILE_FIXTURE();

/* Write a pattern through the mapping, read it back; count the pages. */
TEST_F(vmfile, pattern_roundtrip)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 64, len = pages * OVC_PG;
	int size_fd;

	ovc_vmfile_map(_metadata, f, len);
	size_fd = ovc_sysfs_open("vms/%llu/size_pages", f->id);
	ASSERT_LE(0, size_fd);
	EXPECT_EQ((long long)pages, ovc_counter(size_fd));
	close(size_fd);
	/* Setting the size allocates nothing. */
	ASSERT_EQ(0, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0, ovc_pages(&f->cnt));

	ovc_fill(f->map, len, 0, 1);
	ASSERT_EQ(-1, ovc_check(f->map, len, 0, 1));
	ASSERT_EQ((long long)pages, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + (long long)pages, ovc_pages(&f->cnt));
	ASSERT_EQ(f->cnt.nr_vms0 + 1, ovc_nr_vms(&f->cnt));
}

/*
 * A page is zero-filled when first touched by a write.  A read of an
 * untouched page maps the zero frame and allocates nothing (a migration
 * or a dump reads all of guest RAM); a write to it then gets a page.
 */
TEST_F(vmfile, zero_filled_first_touch)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 32, len = pages * OVC_PG;
	char buf[OVC_PG];
	size_t i;

	ovc_vmfile_map(_metadata, f, len);
	/* One byte written: exactly one page, zero around the byte. */
	f->map[3 * OVC_PG + 100] = 0x7f;
	ASSERT_EQ(1, ovc_resident(f));
	ASSERT_EQ(-1, ovc_check_zero(f->map + 3 * OVC_PG, 100));
	ASSERT_EQ(-1, ovc_check_zero(f->map + 3 * OVC_PG + 101,
				     OVC_PG - 101));
	ASSERT_EQ(1, ovc_resident(f));

	/* Every other page reads as zero, through the mapping and read(). */
	for (i = 0; i < pages; i++) {
		if (i == 3)
			continue;
		ASSERT_EQ(-1, ovc_check_zero(f->map + i * OVC_PG, OVC_PG))
			TH_LOG("page %zu not zero", i);
		ASSERT_EQ((ssize_t)OVC_PG, pread(f->fd, buf, OVC_PG, i * OVC_PG));
		ASSERT_EQ(-1, ovc_check_zero(buf, OVC_PG));
	}
	ASSERT_EQ((ssize_t)OVC_PG, pread(f->fd, buf, OVC_PG, 3 * OVC_PG));
	ASSERT_EQ(0x7f, buf[100]);
	ASSERT_EQ(1, ovc_resident(f)) TH_LOG("reads allocated pages");
	ASSERT_EQ(f->cnt.pages0 + 1, ovc_pages(&f->cnt));
	ASSERT_EQ((long long)pages - 1,
		  ovc_sysfs_value("vms/%llu/zero_pages", f->id));

	/* Writes after the reads: a page each, zero but for the byte. */
	f->map[5 * OVC_PG + 9] = 0x11;
	ASSERT_EQ(2, ovc_resident(f));
	ASSERT_EQ(0x11, f->map[5 * OVC_PG + 9]);
	ASSERT_EQ(-1, ovc_check_zero(f->map + 5 * OVC_PG, 9));
	ASSERT_EQ(-1, ovc_check_zero(f->map + 6 * OVC_PG, OVC_PG));
	ASSERT_EQ(1, pwrite(f->fd, "w", 1, 7 * OVC_PG));
	ASSERT_EQ(3, ovc_resident(f));
	ASSERT_EQ('w', f->map[7 * OVC_PG]);
	ASSERT_EQ((long long)pages - 3,
		  ovc_sysfs_value("vms/%llu/zero_pages", f->id));
}

/*
 * Child: map the file on its own, check what the parent wrote, write its
 * half, and check the parent's second half.  Exit codes say what failed.
 */
static int share_child(const char *path, char *inherited, size_t len,
		       int rd, int wr)
{
	size_t half = len / 2;
	char *map, c = 0;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return 10;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 11;
	close(fd);
	/* 1: the parent wrote the first half with seed 1 */
	if (read(rd, &c, 1) != 1)
		return 12;
	if (ovc_check(map, half, 0, 1) != -1)
		return 13;
	/* 2: write the second half with seed 2, through our own mapping */
	ovc_fill(map + half, half, half, 2);
	if (write(wr, &c, 1) != 1)
		return 14;
	/* 3: the parent rewrote the first half with seed 3 */
	if (read(rd, &c, 1) != 1)
		return 15;
	if (ovc_check(map, half, 0, 3) != -1)
		return 16;
	if (ovc_check(inherited, half, 0, 3) != -1)
		return 17;
	if (ovc_check(inherited + half, half, half, 2) != -1)
		return 18;
	munmap(map, len);
	return 0;
}

/* Two processes mapping one file see each other's writes, both ways. */
TEST_F(vmfile, two_processes_share)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 16, len = pages * OVC_PG, half = len / 2;
	int p2c[2], c2p[2], ret;
	char c = 0;
	pid_t pid;

	ovc_vmfile_map(_metadata, f, len);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		_exit(share_child(f->path, f->map, len, p2c[0], c2p[1]));
	}
	close(p2c[0]);
	close(c2p[1]);

	ovc_fill(f->map, half, 0, 1);
	ASSERT_EQ(1, write(p2c[1], &c, 1));
	ASSERT_EQ(1, read(c2p[0], &c, 1)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ASSERT_EQ(-1, ovc_check(f->map + half, half, half, 2)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ovc_fill(f->map, half, 0, 3);
	ASSERT_EQ(1, write(p2c[1], &c, 1));
	ret = ovc_wait_child(pid);
	ASSERT_EQ(0, ret) TH_LOG("child failed at step %d", ret);
	close(p2c[1]);
	close(c2p[0]);

	ASSERT_EQ((long long)pages, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + (long long)pages, ovc_pages(&f->cnt));
}

/*
 * Several processes fault the same fresh pages at once: each page is
 * allocated once (the losers of a race free theirs) and keeps every write.
 */
TEST_F_TIMEOUT(vmfile, concurrent_first_touch, 120)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 256, nproc = 4;
	pid_t pids[4];
	size_t i, k;

	ovc_vmfile_map(_metadata, f, pages * OVC_PG);
	for (k = 0; k < nproc; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (pids[k] == 0) {
			/*
			 * Child k writes byte k of every page, starting at a
			 * different page; the values differ between pages.
			 */
			for (i = 0; i < pages; i++) {
				size_t pg = (i + k * pages / nproc) % pages;

				f->map[pg * OVC_PG + k] = (char)(pg + k + 1);
			}
			_exit(0);
		}
	}
	for (k = 0; k < nproc; k++)
		ASSERT_EQ(0, ovc_wait_child(pids[k]));

	for (i = 0; i < pages; i++)
		for (k = 0; k < nproc; k++)
			ASSERT_EQ((char)(i + k + 1), f->map[i * OVC_PG + k])
				TH_LOG("page %zu byte %zu lost", i, k);
	ASSERT_EQ((long long)pages, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + (long long)pages, ovc_pages(&f->cnt));
}

/* Contents survive munmap + mmap, and close + reopen. */
TEST_F(vmfile, survives_remap_and_reopen)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 32, len = pages * OVC_PG;
	char *map;
	int fd;

	ovc_vmfile_map(_metadata, f, len);
	ovc_fill(f->map, len, 0, 7);
	ASSERT_EQ(0, munmap(f->map, len));
	f->map = MAP_FAILED;
	ASSERT_EQ((long long)pages, ovc_resident(f));

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(-1, ovc_check(map, len, 0, 7));
	ASSERT_EQ(0, munmap(map, len));

	/* Close the only fd and map: the file keeps its pages. */
	ASSERT_EQ(0, close(f->fd));
	f->fd = -1;
	ASSERT_EQ((long long)pages, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + (long long)pages, ovc_pages(&f->cnt));

	fd = open(f->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	f->fd = fd;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	f->map = map;
	f->map_len = len;
	ASSERT_EQ(-1, ovc_check(map, len, 0, 7));
	ASSERT_EQ((long long)pages, ovc_resident(f));

	/* A mapping of a middle part, at a page offset. */
	map = mmap(NULL, 4 * OVC_PG, PROT_READ, MAP_SHARED, fd, 10 * OVC_PG);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(-1, ovc_check(map, 4 * OVC_PG, 10 * OVC_PG, 7));
	munmap(map, 4 * OVC_PG);
}

/* read()/write()/pread()/pwrite() see the same bytes as the mapping. */
TEST_F(vmfile, read_write_coherence)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 8, len = pages * OVC_PG;
	const off_t off = OVC_PG + 1000;
	const size_t n = 2 * OVC_PG + 500;	/* pages 1, 2 and 3 */
	static char buf[4 * OVC_PG];
	struct stat st;

	ovc_vmfile_map(_metadata, f, len);

	/* pwrite -> mapping */
	ovc_fill(buf, n, off, 11);
	ASSERT_EQ((ssize_t)n, pwrite(f->fd, buf, n, off));
	ASSERT_EQ(-1, ovc_check(f->map + off, n, off, 11));
	ASSERT_EQ(-1, ovc_check_zero(f->map + OVC_PG, 1000));
	ASSERT_EQ(3, ovc_resident(f));

	/* mapping -> pread */
	ovc_fill(f->map + 5 * OVC_PG, OVC_PG, 5 * OVC_PG, 12);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ((ssize_t)OVC_PG, pread(f->fd, buf, OVC_PG, 5 * OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, 5 * OVC_PG, 12));
	ASSERT_EQ(4, ovc_resident(f));

	/* write()/read() at the file position */
	ovc_fill(buf, 50, 100, 13);
	ASSERT_EQ(100, lseek(f->fd, 100, SEEK_SET));
	ASSERT_EQ(50, write(f->fd, buf, 50));
	ASSERT_EQ(150, lseek(f->fd, 0, SEEK_CUR));
	ASSERT_EQ(-1, ovc_check(f->map + 100, 50, 100, 13));
	memset(buf, 0, 50);
	ASSERT_EQ(100, lseek(f->fd, 100, SEEK_SET));
	ASSERT_EQ(50, read(f->fd, buf, 50));
	ASSERT_EQ(-1, ovc_check(buf, 50, 100, 13));
	ASSERT_EQ(5, ovc_resident(f));

	/* A write past the end extends the file; the gap reads as zero. */
	ovc_fill(buf, 20, len + 10, 14);
	ASSERT_EQ(20, pwrite(f->fd, buf, 20, len + 10));
	ASSERT_EQ(0, fstat(f->fd, &st));
	ASSERT_EQ((off_t)(len + 30), st.st_size);
	ASSERT_EQ(6, ovc_resident(f));
	memset(buf, 0xff, 64);
	ASSERT_EQ(30, pread(f->fd, buf, 64, len));
	ASSERT_EQ(-1, ovc_check_zero(buf, 10));
	ASSERT_EQ(-1, ovc_check(buf + 10, 20, len + 10, 14));

	/* Reads stop at the end of the file. */
	ASSERT_EQ(0, pread(f->fd, buf, 64, len + 30));
	ASSERT_EQ(0, pread(f->fd, buf, 64, len + 10 * OVC_PG));
	ASSERT_EQ(10, pread(f->fd, buf, 64, len + 20));
	ASSERT_EQ(6, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + 6, ovc_pages(&f->cnt));
}

/* Files past 2 GiB (and 4 GiB): sparse, exact page counts. */
TEST_F_TIMEOUT(vmfile, large_sparse_file, 90)
{
	struct ovc_vmfile *f = &self->f;
	const off_t gib = 1024L * 1024 * 1024, size = 8 * gib;
	struct ovc_vm_info info;
	char buf[64], *beyond;
	struct stat st;

	ovc_vmfile_map(_metadata, f, size);
	ASSERT_EQ(0, fstat(f->fd, &st));
	ASSERT_EQ(size, st.st_size);
	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ((unsigned long long)(size / OVC_PG), info.size_pages);
	ASSERT_EQ((long long)(size / OVC_PG),
		  ovc_sysfs_value("vms/%llu/size_pages", f->id));
	ASSERT_EQ(0, ovc_resident(f));

	/* One page at 6 GiB. */
	f->map[6 * gib] = 0x11;
	f->map[6 * gib + OVC_PG - 1] = 0x22;
	ASSERT_EQ(1, ovc_resident(f));
	ASSERT_EQ(2, pread(f->fd, buf, 2, 6 * gib + OVC_PG - 1));
	ASSERT_EQ(0x22, buf[0]);
	ASSERT_EQ(0, buf[1]);
	ASSERT_EQ(1, pread(f->fd, buf, 1, 6 * gib));
	ASSERT_EQ(0x11, buf[0]);

	/* A pwrite across a page boundary near 7 GiB: two pages. */
	ovc_fill(buf, 20, 7 * gib - 10, 21);
	ASSERT_EQ(20, pwrite(f->fd, buf, 20, 7 * gib - 10));
	ASSERT_EQ(-1, ovc_check(f->map + 7 * gib - 10, 20, 7 * gib - 10, 21));
	ASSERT_EQ(3, ovc_resident(f));

	/* The last byte of the file. */
	f->map[size - 1] = 0x33;
	ASSERT_EQ(1, pread(f->fd, buf, 2, size - 1));
	ASSERT_EQ(0x33, buf[0]);
	ASSERT_EQ(4, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + 4, ovc_pages(&f->cnt));

	/* Punch far out frees that page. */
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       6 * gib, OVC_PG));
	ASSERT_EQ(3, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + 3, ovc_pages(&f->cnt));
	ASSERT_EQ(0, f->map[6 * gib]);

	/* A page mapped at the end of the file faults with SIGBUS. */
	beyond = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd,
		      size);
	ASSERT_NE(MAP_FAILED, beyond);
	EXPECT_TRUE(ovc_access_sigbus(beyond, false));
	EXPECT_TRUE(ovc_access_sigbus(beyond, true));
	munmap(beyond, OVC_PG);
}

/* Only shared mappings: a private copy would escape the module. */
TEST_F(vmfile, map_private_refused)
{
	struct ovc_vmfile *f = &self->f;
	const size_t len = 4 * OVC_PG;
	char *map;

	static const struct {
		const char *name;
		int prot, flags;
	} maps[] = {
		{ "private rw", PROT_READ | PROT_WRITE, MAP_PRIVATE },
		{ "private ro", PROT_READ, MAP_PRIVATE },
		{ "private populate", PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_POPULATE },
	};
	size_t i;

	ASSERT_EQ(0, ftruncate(f->fd, len));
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		map = mmap(NULL, len, maps[i].prot, maps[i].flags, f->fd, 0);
		if (map != MAP_FAILED)
			munmap(map, len);
		ASSERT_EQ(MAP_FAILED, map) TH_LOG("%s mapping allowed",
						  maps[i].name);
		ASSERT_EQ(EINVAL, errno) TH_LOG("%s", maps[i].name);
	}
	ASSERT_EQ(0, ovc_resident(f));

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	ASSERT_EQ(1, ovc_resident(f));
	munmap(map, len);
}

/*
 * Guest RAM is never executed by the host: an executable mapping is
 * refused (EPERM), and a shared mapping cannot be made executable later.
 */
TEST_F(vmfile, map_exec_refused)
{
	struct ovc_vmfile *f = &self->f;
	const size_t len = 4 * OVC_PG;
	char *map;

	ASSERT_EQ(0, ftruncate(f->fd, len));
	map = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, f->fd, 0);
	if (map != MAP_FAILED)
		munmap(map, len);
	ASSERT_EQ(MAP_FAILED, map);
	ASSERT_EQ(EPERM, errno);

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(-1, mprotect(map, len, PROT_READ | PROT_EXEC));
	ASSERT_EQ(EACCES, errno);
	map[0] = 1;
	ASSERT_EQ(1, ovc_resident(f));
	munmap(map, len);
}

/*
 * A write from a bad buffer: nothing is written, the size stays and no
 * page is left allocated past the end of the file; a write whose buffer
 * goes bad halfway is short.
 */
TEST_F(vmfile, write_bad_buffer)
{
	struct ovc_vmfile *f = &self->f;
	char *buf, *bad, rbuf[16];
	struct stat st;

	/* An inaccessible page. */
	bad = mmap(NULL, OVC_PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(-1, pwrite(f->fd, bad, OVC_PG, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, fstat(f->fd, &st));
	ASSERT_EQ(0, st.st_size);
	ASSERT_EQ(0, ovc_resident(f));

	/* Two pages, the second one unmapped. */
	buf = mmap(NULL, 2 * OVC_PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf + OVC_PG, OVC_PG));
	ovc_fill(buf, OVC_PG, 3 * OVC_PG, 15);
	/* From the middle of page 3 into page 4: only page 3's part lands. */
	ASSERT_EQ((ssize_t)(OVC_PG / 2),
		  pwrite(f->fd, buf + OVC_PG / 2, OVC_PG, 3 * OVC_PG + OVC_PG / 2));
	ASSERT_EQ(0, fstat(f->fd, &st));
	ASSERT_EQ((off_t)(4 * OVC_PG), st.st_size);
	ASSERT_EQ(1, ovc_resident(f));
	ASSERT_EQ(f->cnt.pages0 + 1, ovc_pages(&f->cnt));

	/* Into a bad buffer: EFAULT. */
	ASSERT_EQ(-1, pread(f->fd, bad, 16, 3 * OVC_PG));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(16, pread(f->fd, rbuf, 16, 4 * OVC_PG - 16));
	ASSERT_EQ(-1, ovc_check(rbuf, 16, 4 * OVC_PG - 16, 15));
	munmap(buf, OVC_PG);
	munmap(bad, OVC_PG);
}

TEST_HARNESS_MAIN
