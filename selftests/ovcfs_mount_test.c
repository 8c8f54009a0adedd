// SPDX-License-Identifier: GPL-2.0
/*
 * ovcfs as a filesystem: statfs, mount options, a second instance that
 * frees everything on unmount, and the module held while mounted.
 *
 * Extra instances are mounted on fresh directories under /tmp and always
 * unmounted again.  The test of unloading never lets the unload succeed:
 * it runs only while an ovcfs is mounted at $OVC_MNT and holds an fd on
 * it, which pins the module.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include "ovc_test_util.h"

/*
 * Tests of the global mount and the module.  (A fixture rather than TEST():
 * the 6.1 TEST() wrapper has an unused parameter, fatal with -Wextra.)
 */
FIXTURE(global) {
	int unused;
};

FIXTURE_SETUP(global)
{
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
}

FIXTURE_TEARDOWN(global)
{
}

/* --- statfs ----------------------------------------------------------- */

/*
 * The ovcfs magic, never hugetlbfs's (QEMU would take f_bsize as its page
 * size), and 4 KiB blocks.
 */
TEST_F(global, statfs_magic)
{
	char path[PATH_MAX];
	struct statfs sf;
	int fd;

	ASSERT_EQ(0, statfs(ovc_mnt(), &sf)) TH_LOG("%s: %m", ovc_mnt());
	ASSERT_EQ(OVCFS_MAGIC, sf.f_type);
	ASSERT_NE(HUGETLBFS_MAGIC, sf.f_type);
	ASSERT_EQ(4096, sf.f_bsize);

	snprintf(path, sizeof(path), "%s/ovcst-%d-statfs", ovc_mnt(), getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, fstatfs(fd, &sf));
	close(fd);
	ASSERT_EQ(OVCFS_MAGIC, sf.f_type);
	ASSERT_EQ(4096, sf.f_bsize);
}

/* --- a private instance ----------------------------------------------- */

struct tmpmnt {
	char dir[64];
	bool mounted;
	struct ovc_counters cnt;
};

static void tmpmnt_setup(struct __test_metadata *_metadata, struct tmpmnt *t)
{
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	ASSERT_EQ(0, ovc_counters_open(&t->cnt));
	strcpy(t->dir, "/tmp/ovcst-mnt-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(t->dir)) TH_LOG("mkdtemp: %m");
}

static int tmpmnt_mount(struct tmpmnt *t, const char *opts)
{
	if (mount("ovc", t->dir, OVCFS_NAME, 0, opts))
		return -errno;
	t->mounted = true;
	return 0;
}

static int tmpmnt_umount(struct tmpmnt *t, int flags)
{
	if (umount2(t->dir, flags))
		return -errno;
	t->mounted = false;
	return 0;
}

static void tmpmnt_teardown(struct __test_metadata *_metadata,
			    struct tmpmnt *t)
{
	if (t->mounted)
		EXPECT_EQ(0, tmpmnt_umount(t, MNT_DETACH));
	EXPECT_EQ(0, rmdir(t->dir)) TH_LOG("rmdir %s: %m", t->dir);
	EXPECT_EQ(t->cnt.nr_vms0, ovc_nr_vms(&t->cnt));
	EXPECT_EQ(t->cnt.pages0, ovc_pages(&t->cnt));
	ovc_counters_close(&t->cnt);
}

/* Mount options are applied to the root directory. */
FIXTURE(mount_opts) {
	struct tmpmnt t;
};

FIXTURE_VARIANT(mount_opts) {
	const char *opts;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

FIXTURE_VARIANT_ADD(mount_opts, defaults) {
	.opts = NULL, .mode = 0755, .uid = 0, .gid = 0 };
FIXTURE_VARIANT_ADD(mount_opts, mode) {
	.opts = "mode=0700", .mode = 0700, .uid = 0, .gid = 0 };
FIXTURE_VARIANT_ADD(mount_opts, mode_sticky) {
	.opts = "mode=1777", .mode = 01777, .uid = 0, .gid = 0 };
FIXTURE_VARIANT_ADD(mount_opts, uid_gid) {
	.opts = "uid=65534,gid=65534", .mode = 0755, .uid = 65534, .gid = 65534 };
FIXTURE_VARIANT_ADD(mount_opts, all) {
	.opts = "mode=0750,uid=1234,gid=4321", .mode = 0750, .uid = 1234,
	.gid = 4321 };

FIXTURE_SETUP(mount_opts)
{
	tmpmnt_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(mount_opts)
{
	tmpmnt_teardown(_metadata, &self->t);
}

TEST_F(mount_opts, applied)
{
	struct statfs sf;
	struct stat st;

	ASSERT_EQ(0, tmpmnt_mount(&self->t, variant->opts))
		TH_LOG("mount -o %s: %s", variant->opts ?: "",
		       strerror(errno));
	ASSERT_EQ(0, statfs(self->t.dir, &sf));
	ASSERT_EQ(OVCFS_MAGIC, sf.f_type);
	ASSERT_EQ(4096, sf.f_bsize);
	ASSERT_EQ(0, stat(self->t.dir, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(variant->mode, st.st_mode & 07777);
	ASSERT_EQ(variant->uid, st.st_uid);
	ASSERT_EQ(variant->gid, st.st_gid);
	ASSERT_EQ(0, tmpmnt_umount(&self->t, 0));
}

static char *tmpmnt_vm(struct __test_metadata *_metadata, struct tmpmnt *t,
		       const char *sub, size_t pages, unsigned long long *id);

/*
 * size= bounds the private pages the instance's VM files hold together
 * (as tmpfs bounds its blocks): past it a fault is SIGBUS and write()
 * ENOSPC; a punch makes room again.  statfs and /proc/mounts show it.
 */
TEST_F(mount_opts, size_limit)
{
	const size_t limit = 16;
	unsigned long long ida, idb;
	char line[512], want[128];
	struct statfs sf;
	bool found = false;
	char *a, *b;
	FILE *mounts;
	int fd, vfd;

	if (variant->opts)
		return;		/* once, not for every variant */
	ASSERT_EQ(0, tmpmnt_mount(&self->t, "size=64k"));
	ASSERT_EQ(0, statfs(self->t.dir, &sf));
	ASSERT_EQ((long)limit, (long)sf.f_blocks);
	ASSERT_EQ((long)limit, (long)sf.f_bfree);
	mounts = fopen("/proc/mounts", "re");
	ASSERT_NE(NULL, mounts);
	snprintf(want, sizeof(want), " %s ovcfs ", self->t.dir);
	while (fgets(line, sizeof(line), mounts))
		if (strstr(line, want) && strstr(line, ",size=64k"))
			found = true;
	fclose(mounts);
	ASSERT_TRUE(found) TH_LOG("size=64k not in /proc/mounts");

	a = tmpmnt_vm(_metadata, &self->t, "a", 2 * limit, &ida);
	b = tmpmnt_vm(_metadata, &self->t, "b", 2 * limit, &idb);
	ovc_fill(a, (limit - 2) * OVC_PG, 0, 1);
	ovc_touch_pages(b, 0, 2, 2);
	ASSERT_EQ(0, statfs(self->t.dir, &sf));
	ASSERT_EQ(0L, (long)sf.f_bfree);
	/* Full: a write fault in either file is SIGBUS, write() ENOSPC. */
	ASSERT_TRUE(ovc_access_sigbus(a + (limit - 1) * OVC_PG, true));
	ASSERT_TRUE(ovc_access_sigbus(b + 5 * OVC_PG, true));
	fd = open(self->t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vfd = openat(fd, "b", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(-1, pwrite(vfd, "x", 1, 9 * OVC_PG));
	ASSERT_EQ(ENOSPC, errno);
	/* Pages it holds take writes; reads of holes cost nothing. */
	ASSERT_EQ(1, pwrite(vfd, "x", 1, OVC_PG));
	ASSERT_FALSE(ovc_access_sigbus(b + 20 * OVC_PG, false));
	/* A punch frees one: room for one more. */
	ASSERT_EQ(0, fallocate(vfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, OVC_PG));
	ASSERT_EQ(1, pwrite(vfd, "y", 1, 9 * OVC_PG));
	ASSERT_TRUE(ovc_access_sigbus(b + 10 * OVC_PG, true));
	close(vfd);
	close(fd);
	ASSERT_EQ(-1, ovc_check(a, (limit - 2) * OVC_PG, 0, 1));
	ASSERT_EQ((long long)limit - 2,
		  ovc_sysfs_value("vms/%llu/resident_pages", ida));
	ASSERT_EQ(2LL, ovc_sysfs_value("vms/%llu/resident_pages", idb));
	munmap(a, 2 * limit * OVC_PG);
	munmap(b, 2 * limit * OVC_PG);
	ASSERT_EQ(0, tmpmnt_umount(&self->t, 0));
	ASSERT_EQ(self->t.cnt.pages0, ovc_pages(&self->t.cnt));
}

/* Unknown options and bad values fail the mount with EINVAL. */
FIXTURE(bad_opts) {
	struct tmpmnt t;
};

FIXTURE_VARIANT(bad_opts) {
	const char *opts;
};

FIXTURE_VARIANT_ADD(bad_opts, unknown) { .opts = "bogus=1" };
FIXTURE_VARIANT_ADD(bad_opts, unknown_flag) { .opts = "mode=0755,noexist" };
FIXTURE_VARIANT_ADD(bad_opts, size_bad_suffix) { .opts = "size=1Q" };
FIXTURE_VARIANT_ADD(bad_opts, size_negative) { .opts = "size=-1" };
FIXTURE_VARIANT_ADD(bad_opts, size_no_value) { .opts = "size" };
FIXTURE_VARIANT_ADD(bad_opts, size_not_number) { .opts = "size=lots" };
FIXTURE_VARIANT_ADD(bad_opts, mode_not_octal) { .opts = "mode=0800" };
FIXTURE_VARIANT_ADD(bad_opts, mode_too_big) { .opts = "mode=10000" };
FIXTURE_VARIANT_ADD(bad_opts, mode_no_value) { .opts = "mode" };
FIXTURE_VARIANT_ADD(bad_opts, uid_not_number) { .opts = "uid=abc" };
FIXTURE_VARIANT_ADD(bad_opts, uid_negative) { .opts = "uid=-1" };
FIXTURE_VARIANT_ADD(bad_opts, uid_invalid) { .opts = "uid=4294967295" };
FIXTURE_VARIANT_ADD(bad_opts, gid_invalid) { .opts = "gid=4294967295" };

FIXTURE_SETUP(bad_opts)
{
	tmpmnt_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(bad_opts)
{
	tmpmnt_teardown(_metadata, &self->t);
}

TEST_F(bad_opts, refused)
{
	ASSERT_EQ(-EINVAL, tmpmnt_mount(&self->t, variant->opts))
		TH_LOG("mount -o %s", variant->opts);
	ASSERT_FALSE(ovc_is_ovcfs(self->t.dir));
}

FIXTURE(instance) {
	struct tmpmnt t;
};

FIXTURE_SETUP(instance)
{
	tmpmnt_setup(_metadata, &self->t);
	ASSERT_EQ(0, tmpmnt_mount(&self->t, NULL));
}

FIXTURE_TEARDOWN(instance)
{
	tmpmnt_teardown(_metadata, &self->t);
}

/* Create @sub in the instance, @pages pages long, and map it. */
static char *tmpmnt_vm(struct __test_metadata *_metadata, struct tmpmnt *t,
		       const char *sub, size_t pages, unsigned long long *id)
{
	char path[PATH_MAX];
	struct ovc_vm_info info;
	char *map;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, sub);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("create %s: %m", path);
	ASSERT_EQ(0, ftruncate(fd, pages * OVC_PG));
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	*id = info.id;
	map = mmap(NULL, pages * OVC_PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	return map;
}

/* Unmounting frees every VM of the instance and every page. */
TEST_F(instance, unmount_frees_everything)
{
	unsigned long long ida, idb;
	char path[PATH_MAX];
	struct stat st;
	char *a, *b;

	snprintf(path, sizeof(path), "%s/sub", self->t.dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	a = tmpmnt_vm(_metadata, &self->t, "a", 16, &ida);
	b = tmpmnt_vm(_metadata, &self->t, "sub/b", 16, &idb);
	ovc_touch_pages(a, 0, 5, 1);
	ovc_touch_pages(b, 3, 7, 2);
	ASSERT_EQ(self->t.cnt.pages0 + 12, ovc_pages(&self->t.cnt));
	ASSERT_EQ(self->t.cnt.nr_vms0 + 2, ovc_nr_vms(&self->t.cnt));
	ASSERT_TRUE(ovc_vm_dir_exists(ida));
	ASSERT_TRUE(ovc_vm_dir_exists(idb));
	ASSERT_EQ(5LL, ovc_sysfs_value("vms/%llu/resident_pages", ida));
	ASSERT_EQ(7LL, ovc_sysfs_value("vms/%llu/resident_pages", idb));

	/* A separate instance: its files are not in $OVC_MNT. */
	snprintf(path, sizeof(path), "%s/sub", ovc_mnt());
	ASSERT_EQ(-1, stat(path, &st));

	munmap(a, 16 * OVC_PG);
	munmap(b, 16 * OVC_PG);
	/* Files that are neither open nor mapped keep their pages... */
	ASSERT_EQ(self->t.cnt.pages0 + 12, ovc_pages(&self->t.cnt));
	/* ...until the unmount. */
	ASSERT_EQ(0, tmpmnt_umount(&self->t, 0));
	ASSERT_EQ(self->t.cnt.pages0, ovc_pages(&self->t.cnt));
	ASSERT_EQ(self->t.cnt.nr_vms0, ovc_nr_vms(&self->t.cnt));
	ASSERT_FALSE(ovc_vm_dir_exists(ida));
	ASSERT_FALSE(ovc_vm_dir_exists(idb));
}

/*
 * A mapped file keeps the instance busy; after a lazy unmount the mapping
 * still works, and its munmap frees everything.
 */
TEST_F(instance, lazy_unmount_while_mapped)
{
	unsigned long long id;
	char *map;

	map = tmpmnt_vm(_metadata, &self->t, "vm", 8, &id);
	ovc_fill(map, 4 * OVC_PG, 0, 3);
	ASSERT_EQ(self->t.cnt.pages0 + 4, ovc_pages(&self->t.cnt));

	ASSERT_EQ(-EBUSY, tmpmnt_umount(&self->t, 0));
	ASSERT_EQ(0, tmpmnt_umount(&self->t, MNT_DETACH));
	ASSERT_FALSE(ovc_is_ovcfs(self->t.dir));

	ASSERT_EQ(self->t.cnt.pages0 + 4, ovc_pages(&self->t.cnt));
	ASSERT_TRUE(ovc_vm_dir_exists(id));
	ASSERT_EQ(-1, ovc_check(map, 4 * OVC_PG, 0, 3));
	map[5 * OVC_PG] = 1;
	ASSERT_EQ(self->t.cnt.pages0 + 5, ovc_pages(&self->t.cnt));

	ASSERT_EQ(0, munmap(map, 8 * OVC_PG));
	ASSERT_EQ(self->t.cnt.pages0, ovc_pages(&self->t.cnt));
	ASSERT_EQ(self->t.cnt.nr_vms0, ovc_nr_vms(&self->t.cnt));
	ASSERT_FALSE(ovc_vm_dir_exists(id));
}

/* --- the module ------------------------------------------------------- */

/*
 * While an ovcfs is mounted the module cannot go: delete_module() with
 * O_NONBLOCK fails.  Linux 6.1 answers EWOULDBLOCK for a module that is
 * in use (try_stop_module()); EBUSY is accepted too.
 */
TEST_F(global, unload_refused_while_mounted)
{
	long long refcnt, refcnt2;
	struct stat st;
	int dfd, fd, ret, err;

	ASSERT_EQ(0, stat("/sys/module/ovc", &st))
		TH_LOG("/sys/module/ovc absent: ovc.ko not loaded");
	/* Pin the mount (and through its superblock, the module). */
	dfd = open(ovc_mnt(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dfd) TH_LOG("open %s: %m", ovc_mnt());
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()))
		TH_LOG("no ovcfs at %s, an unload could succeed", ovc_mnt());
	fd = open("/sys/module/ovc/refcnt", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	refcnt = ovc_counter(fd);
	/* Never try the unload when nothing holds the module. */
	ASSERT_LE(1, refcnt)
		TH_LOG("ovcfs mounted, yet ovc's refcnt is %lld", refcnt);

	ret = syscall(SYS_delete_module, "ovc", O_NONBLOCK);
	err = errno;
	ASSERT_EQ(-1, ret) TH_LOG("ovc.ko was unloaded while mounted");
	ASSERT_TRUE(err == EWOULDBLOCK || err == EBUSY)
		TH_LOG("delete_module: %s", strerror(err));
	TH_LOG("delete_module refused: %s", strerror(err));

	ASSERT_EQ(0, stat("/sys/module/ovc", &st));
	ASSERT_TRUE(ovc_module_present());
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()));
	refcnt2 = ovc_counter(fd);
	ASSERT_EQ(refcnt, refcnt2);
	close(fd);
	close(dfd);
}

TEST_HARNESS_MAIN
