// SPDX-License-Identifier: GPL-2.0
/*
 * The ovcfs namespace: directories, rename, unlink and links, and the
 * lifetime of a VM (its sysfs directory vms/<id>/, its pages) when its
 * last name, fd and mapping go away in various orders.
 */
#define _GNU_SOURCE
#include "ovc_test_util.h"

/* A private directory under the mount; everything is created below it. */
FIXTURE(ns) {
	char dir[PATH_MAX];	/* absolute */
	char rel[NAME_MAX + 2];	/* "/<dir>", its path inside the mount */
	struct ovc_counters cnt;
};

FIXTURE_SETUP(ns)
{
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()))
		TH_LOG("%s is not an ovcfs mount", ovc_mnt());
	ASSERT_EQ(0, ovc_counters_open(&self->cnt));
	snprintf(self->rel, sizeof(self->rel), "/ovcst-%d-%.64s", getpid(),
		 _metadata->name);
	snprintf(self->dir, sizeof(self->dir), "%s%s", ovc_mnt(), self->rel);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
}

FIXTURE_TEARDOWN(ns)
{
	EXPECT_EQ(0, ovc_rm_rf(self->dir));
	EXPECT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	EXPECT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
	ovc_counters_close(&self->cnt);
}

/* Absolute path of @sub below the test's directory. */
static const char *ns_path(const char *dir, const char *sub, char *buf)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, sub) >= PATH_MAX)
		abort();	/* cannot happen: dir is short */
	return buf;
}

/*
 * Create @sub and write @pages pages of pattern @seed into it with
 * pwrite().  Return: the open fd (ASSERTs on failure).
 */
static int ns_create(struct __test_metadata *_metadata, const char *dir,
		     const char *sub, size_t pages, unsigned int seed)
{
	char path[PATH_MAX], buf[OVC_PG];
	size_t i;
	int fd;

	fd = open(ns_path(dir, sub, path), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		  0600);
	ASSERT_LE(0, fd) TH_LOG("create %s: %m", path);
	for (i = 0; i < pages; i++) {
		ovc_fill(buf, OVC_PG, i * OVC_PG, seed);
		ASSERT_EQ((ssize_t)OVC_PG, pwrite(fd, buf, OVC_PG, i * OVC_PG));
	}
	return fd;
}

static unsigned long long ns_vm_id(struct __test_metadata *_metadata, int fd)
{
	struct ovc_vm_info info;

	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	return info.id;
}

/* vms/<id>/name is @want ("/dir/file", relative to the mount). */
#define ASSERT_VM_NAME(id, want) do {					\
	char __name[PATH_MAX];						\
	int __fd = ovc_sysfs_open("vms/%llu/name", (id));		\
									\
	ASSERT_LE(0, __fd);						\
	ASSERT_LT(0, ovc_sysfs_str(__fd, __name, sizeof(__name)));	\
	close(__fd);							\
	ASSERT_STREQ((want), __name);					\
} while (0)

/* Directories and renames within the fs; the VM follows its name. */
TEST_F(ns, dirs_and_rename)
{
	char p1[PATH_MAX], p2[PATH_MAX], want[PATH_MAX + 32], buf[OVC_PG];
	unsigned long long id;
	struct dirent *de;
	struct stat st;
	int fd, n;
	DIR *d;

	ASSERT_EQ(0, mkdir(ns_path(self->dir, "a", p1), 0755));
	ASSERT_EQ(0, mkdir(ns_path(self->dir, "b", p1), 0755));
	ASSERT_EQ(-1, mkdir(ns_path(self->dir, "a", p1), 0755));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(0, stat(self->dir, &st));
	ASSERT_EQ(4U, st.st_nlink);	/* ".", its name, "a/..", "b/.." */

	fd = ns_create(_metadata, self->dir, "a/f", 2, 3);
	id = ns_vm_id(_metadata, fd);
	close(fd);
	snprintf(want, sizeof(want), "%s/a/f", self->rel);
	ASSERT_VM_NAME(id, want);
	ASSERT_EQ(-1, open(ns_path(self->dir, "a/f", p1),
			   O_RDWR | O_CREAT | O_EXCL, 0600));
	ASSERT_EQ(EEXIST, errno);

	/* Within a directory. */
	ASSERT_EQ(0, rename(ns_path(self->dir, "a/f", p1),
			    ns_path(self->dir, "a/g", p2)));
	ASSERT_EQ(-1, stat(p1, &st));
	ASSERT_EQ(ENOENT, errno);
	snprintf(want, sizeof(want), "%s/a/g", self->rel);
	ASSERT_VM_NAME(id, want);

	/* Across directories. */
	ASSERT_EQ(0, rename(ns_path(self->dir, "a/g", p1),
			    ns_path(self->dir, "b/h", p2)));
	snprintf(want, sizeof(want), "%s/b/h", self->rel);
	ASSERT_VM_NAME(id, want);

	/* A directory, with the file in it. */
	ASSERT_EQ(0, rename(ns_path(self->dir, "b", p1),
			    ns_path(self->dir, "c", p2)));
	snprintf(want, sizeof(want), "%s/c/h", self->rel);
	ASSERT_VM_NAME(id, want);
	ASSERT_EQ(0, stat(self->dir, &st));
	ASSERT_EQ(4U, st.st_nlink);

	/* Same VM, same pages, same bytes. */
	fd = open(ns_path(self->dir, "c/h", p1), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(id, ns_vm_id(_metadata, fd));
	ASSERT_EQ(2LL, ovc_sysfs_value("vms/%llu/resident_pages", id));
	ASSERT_EQ((ssize_t)OVC_PG, pread(fd, buf, OVC_PG, OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, OVC_PG, 3));
	close(fd);

	/* Directory listing. */
	d = opendir(ns_path(self->dir, "c", p1));
	ASSERT_NE(NULL, d);
	n = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		EXPECT_STREQ("h", de->d_name);
		n++;
	}
	closedir(d);
	ASSERT_EQ(1, n);

	/* Out of the fs: EXDEV. */
	ASSERT_EQ(-1, rename(ns_path(self->dir, "c/h", p1), "/tmp/ovcst-exdev"));
	ASSERT_EQ(EXDEV, errno);

	/* rmdir only empty directories; unlink/rmdir check the type. */
	ASSERT_EQ(-1, rmdir(ns_path(self->dir, "c", p1)));
	ASSERT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(-1, rmdir(ns_path(self->dir, "c/h", p1)));
	ASSERT_EQ(ENOTDIR, errno);
	ASSERT_EQ(-1, unlink(ns_path(self->dir, "c", p1)));
	ASSERT_EQ(EISDIR, errno);

	ASSERT_EQ(0, unlink(ns_path(self->dir, "c/h", p1)));
	ASSERT_FALSE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
	ASSERT_EQ(0, rmdir(ns_path(self->dir, "c", p1)));
	ASSERT_EQ(0, rmdir(ns_path(self->dir, "a", p1)));
	ASSERT_EQ(0, stat(self->dir, &st));
	ASSERT_EQ(2U, st.st_nlink);
}

/* Renaming over an existing file frees the VM it replaced. */
TEST_F(ns, rename_over_existing)
{
	unsigned long long ida, idb;
	char p1[PATH_MAX], p2[PATH_MAX], buf[OVC_PG];
	int fd;

	fd = ns_create(_metadata, self->dir, "a", 3, 1);
	ida = ns_vm_id(_metadata, fd);
	close(fd);
	fd = ns_create(_metadata, self->dir, "b", 2, 2);
	idb = ns_vm_id(_metadata, fd);
	close(fd);
	ASSERT_EQ(self->cnt.nr_vms0 + 2, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0 + 5, ovc_pages(&self->cnt));

	ASSERT_EQ(0, rename(ns_path(self->dir, "a", p1),
			    ns_path(self->dir, "b", p2)));
	ASSERT_FALSE(ovc_vm_dir_exists(idb));
	ASSERT_TRUE(ovc_vm_dir_exists(ida));
	ASSERT_EQ(self->cnt.nr_vms0 + 1, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0 + 3, ovc_pages(&self->cnt));

	fd = open(p2, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(ida, ns_vm_id(_metadata, fd));
	ASSERT_EQ((ssize_t)OVC_PG, pread(fd, buf, OVC_PG, 2 * OVC_PG));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, 2 * OVC_PG, 1));
	close(fd);
}

/*
 * Unlinking a mapped file: the mapping keeps working (and may allocate)
 * until munmap; then the VM and all its pages are gone.
 */
TEST_F(ns, unlink_mapped)
{
	const size_t pages = 8, len = pages * OVC_PG;
	char path[PATH_MAX], name[PATH_MAX];
	unsigned long long id;
	struct stat st;
	char *map;
	int fd, rfd;

	fd = ns_create(_metadata, self->dir, "f", 0, 0);
	id = ns_vm_id(_metadata, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ovc_fill(map, 5 * OVC_PG, 0, 4);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, unlink(ns_path(self->dir, "f", path)));
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ENOENT, errno);

	/* Still there: sysfs directory, counts, contents. */
	ASSERT_TRUE(ovc_vm_dir_exists(id));
	rfd = ovc_sysfs_open("vms/%llu/name", id);
	ASSERT_LE(0, rfd);
	ASSERT_LT(0, ovc_sysfs_str(rfd, name, sizeof(name)));
	close(rfd);
	ASSERT_EQ(self->cnt.nr_vms0 + 1, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0 + 5, ovc_pages(&self->cnt));
	ASSERT_EQ(-1, ovc_check(map, 5 * OVC_PG, 0, 4));
	map[6 * OVC_PG] = 1;
	ASSERT_EQ(6LL, ovc_sysfs_value("vms/%llu/resident_pages", id));
	ASSERT_EQ(self->cnt.pages0 + 6, ovc_pages(&self->cnt));

	ASSERT_EQ(0, munmap(map, len));
	ASSERT_FALSE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
}

/*
 * vms/<id>/ appears with the file and goes away after unlink + close;
 * an unlinked open file still works through its fd.
 */
TEST_F(ns, sysfs_vm_dir_lifecycle)
{
	char path[PATH_MAX], want[PATH_MAX + 8], buf[OVC_PG];
	unsigned long long id;
	struct ovc_vm_info info;
	int fd;

	fd = ns_create(_metadata, self->dir, "vm", 0, 0);
	id = ns_vm_id(_metadata, fd);
	ASSERT_TRUE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0 + 1, ovc_nr_vms(&self->cnt));
	snprintf(want, sizeof(want), "%s/vm", self->rel);
	ASSERT_VM_NAME(id, want);
	ASSERT_EQ(0LL, ovc_sysfs_value("vms/%llu/resident_pages", id));

	ovc_fill(buf, OVC_PG, 0, 8);
	ASSERT_EQ((ssize_t)OVC_PG, pwrite(fd, buf, OVC_PG, 0));
	ASSERT_EQ(self->cnt.pages0 + 1, ovc_pages(&self->cnt));

	ASSERT_EQ(0, unlink(ns_path(self->dir, "vm", path)));
	ASSERT_TRUE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0 + 1, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0 + 1, ovc_pages(&self->cnt));

	/* The fd still works: read, write, ioctl, punch. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ((ssize_t)OVC_PG, pread(fd, buf, OVC_PG, 0));
	ASSERT_EQ(-1, ovc_check(buf, OVC_PG, 0, 8));
	ASSERT_EQ((ssize_t)OVC_PG, pwrite(fd, buf, OVC_PG, OVC_PG));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(2ULL, info.resident_pages);
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, OVC_PG));
	ASSERT_EQ(self->cnt.pages0 + 1, ovc_pages(&self->cnt));

	ASSERT_EQ(0, close(fd));
	ASSERT_FALSE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
}

/* A hard link is the same VM; it lives until the last name goes. */
TEST_F(ns, hard_link)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	unsigned long long id;
	struct stat st;
	int fd;

	fd = ns_create(_metadata, self->dir, "f", 2, 6);
	id = ns_vm_id(_metadata, fd);
	close(fd);
	ASSERT_EQ(0, link(ns_path(self->dir, "f", p1),
			  ns_path(self->dir, "g", p2)));
	ASSERT_EQ(0, stat(p2, &st));
	ASSERT_EQ(2U, st.st_nlink);
	ASSERT_EQ(self->cnt.nr_vms0 + 1, ovc_nr_vms(&self->cnt));

	ASSERT_EQ(0, unlink(p1));
	ASSERT_TRUE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.pages0 + 2, ovc_pages(&self->cnt));
	fd = open(p2, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(id, ns_vm_id(_metadata, fd));
	close(fd);

	ASSERT_EQ(0, unlink(p2));
	ASSERT_FALSE(ovc_vm_dir_exists(id));
	ASSERT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	ASSERT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
}

TEST_HARNESS_MAIN
