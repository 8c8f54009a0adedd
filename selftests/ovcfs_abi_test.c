// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace ABI of a VM file: OVC_IOC_VM_INFO (uapi/linux/ovc.h), the
 * per-VM sysfs directory /sys/kernel/mm/ovc/vms/<id>/, and who may open a
 * VM file (its owner or root only, whatever its mode).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include "ovc_test_util.h"

OVC_VMFILE_FIXTURE();

/* A per-VM sysfs value of this fixture's file. */
static long long vm_attr(struct ovc_vmfile *f, const char *attr)
{
	return ovc_sysfs_value("vms/%llu/%s", f->id, attr);
}

/* VM_INFO fills every output field, and agrees with sysfs. */
TEST_F(vmfile, vm_info)
{
	struct ovc_vmfile *f = &self->f;
	struct ovc_vm_info info;
	char name[PATH_MAX];
	size_t i;
	int fd;

	ovc_vmfile_map(_metadata, f, 10 * OVC_PG + 1);	/* 11 pages */
	ovc_touch_pages(f->map, 2, 3, 0);

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	/* Output fields carry garbage in: all overwritten. */
	info.api_version = 0xdeadbeef;
	info.id = ~0ULL;
	info.size_pages = ~0ULL;
	info.resident_pages = ~0ULL;
	info.owner_uid = 0xdeadbeef;
	info.owner_pid = 0xdeadbeef;
	ASSERT_EQ(0, ioctl(f->fd, OVC_IOC_VM_INFO, &info)) TH_LOG("%m");
	ASSERT_EQ(sizeof(info), info.size);
	ASSERT_EQ((__u32)OVC_API_VERSION, info.api_version);
	ASSERT_EQ(f->id, info.id);
	ASSERT_TRUE(ovc_vm_dir_exists(info.id));
	ASSERT_EQ(11ULL, info.size_pages);
	ASSERT_EQ(3ULL, info.resident_pages);
	ASSERT_EQ(getuid(), info.owner_uid);
	ASSERT_EQ((unsigned int)getpid(), info.owner_pid);
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		ASSERT_EQ(0ULL, info.reserved[i]) TH_LOG("reserved[%zu]", i);

	/* The same values under vms/<id>/. */
	fd = ovc_sysfs_open("vms/%llu/name", info.id);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, ovc_sysfs_str(fd, name, sizeof(name)));
	close(fd);
	ASSERT_STREQ(f->name, name);
	ASSERT_EQ(11LL, vm_attr(f, "size_pages"));
	ASSERT_EQ(3LL, vm_attr(f, "resident_pages"));
	ASSERT_EQ((long long)getuid(), vm_attr(f, "owner_uid"));
	ASSERT_EQ((long long)getpid(), vm_attr(f, "owner_pid"));

	/* Another fd on the same file names the same VM. */
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ(f->id, info.id);
	ASSERT_EQ(3ULL, info.resident_pages);
	close(fd);
}

/* Each VM file has its own id and its own directory. */
TEST_F(vmfile, vm_ids_unique)
{
	struct ovc_vmfile *f = &self->f;
	struct ovc_vm_info info;
	char path[PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s.2", f->path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ovc_vm_info(fd, &info));
	EXPECT_NE(f->id, info.id);
	EXPECT_TRUE(ovc_vm_dir_exists(info.id));
	EXPECT_EQ(f->cnt.nr_vms0 + 2, ovc_nr_vms(&f->cnt));
	close(fd);
	ASSERT_EQ(0, unlink(path));
	EXPECT_FALSE(ovc_vm_dir_exists(info.id));
	EXPECT_EQ(f->cnt.nr_vms0 + 1, ovc_nr_vms(&f->cnt));
}

/* Any size but sizeof(struct ovc_vm_info) is refused. */
TEST_F(vmfile, vm_info_bad_size)
{
	static const __u32 sizes[] = {
		0, 4, 8, sizeof(struct ovc_vm_info) - 8,
		sizeof(struct ovc_vm_info) - 1, sizeof(struct ovc_vm_info) + 1,
		sizeof(struct ovc_vm_info) + 8, 2 * sizeof(struct ovc_vm_info),
		4096, 0xffffffff,
	};
	/* Room for whatever size is claimed, so no EFAULT gets in the way. */
	union {
		struct ovc_vm_info info;
		char room[2 * OVC_PG];
	} u;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&u, 0, sizeof(u));
		u.info.size = sizes[i];
		ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, &u.info))
			TH_LOG("size %u accepted", sizes[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}
}

/* A non-zero reserved field, any of them, is refused. */
TEST_F(vmfile, vm_info_reserved_nonzero)
{
	struct ovc_vm_info info;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(info.reserved); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.reserved[i] = i % 2 ? ~0ULL : 1ULL << (i * 8);
		ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, &info))
			TH_LOG("reserved[%zu] = %llx accepted", i,
			       (unsigned long long)info.reserved[i]);
		ASSERT_EQ(EINVAL, errno);
	}
}

/* Commands the module does not know: ENOTTY. */
TEST_F(vmfile, unknown_ioctl)
{
	static const struct {
		const char *name;
		unsigned long cmd;
	} cmds[] = {
		{ "_IO(OVC_IOC_MAGIC, 0x7f)", _IO(OVC_IOC_MAGIC, 0x7f) },
		{ "_IOWR(OVC_IOC_MAGIC, 0x7e, info)",
		  _IOWR(OVC_IOC_MAGIC, 0x7e, struct ovc_vm_info) },
		{ "_IO(OVC_IOC_MAGIC, 0)", _IO(OVC_IOC_MAGIC, 0) },
		{ "VM_INFO's number, another type",
		  _IOWR('q', 0x01, struct ovc_vm_info) },
		{ "_IOR('q', 0x42, int)", _IOR('q', 0x42, int) },
		{ "TCGETS", TCGETS },
	};
	struct ovc_vm_info info;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		ASSERT_EQ(-1, ioctl(self->f.fd, cmds[i].cmd, &info))
			TH_LOG("%s accepted", cmds[i].name);
		ASSERT_EQ(ENOTTY, errno) TH_LOG("%s", cmds[i].name);
	}
	ASSERT_EQ(0, isatty(self->f.fd));
	ASSERT_EQ(ENOTTY, errno);
}

/* VM_INFO is an ioctl of VM files only: a directory answers ENOTTY. */
TEST_F(vmfile, vm_info_on_directory)
{
	struct ovc_vm_info info;
	int dfd;

	dfd = open(ovc_mnt(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(-ENOTTY, ovc_vm_info(dfd, &info));
	close(dfd);
}

/* Bad pointers: EFAULT, on the way in and on the way out. */
TEST_F(vmfile, vm_info_efault)
{
	const size_t sz = sizeof(struct ovc_vm_info);
	struct ovc_vm_info *info;
	char *pages;

	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, (void *)8));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO,
			    (void *)0xffff888000000000UL));
	ASSERT_EQ(EFAULT, errno);

	pages = mmap(NULL, 2 * OVC_PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);

	/* Readable and valid, but not writable: the answer cannot be copied. */
	info = (struct ovc_vm_info *)pages;
	info->size = sz;
	ASSERT_EQ(0, mprotect(pages, OVC_PG, PROT_READ));
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, info));
	ASSERT_EQ(EFAULT, errno);

	/* The size is readable, the rest of the struct is not mapped. */
	ASSERT_EQ(0, mprotect(pages, OVC_PG, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, munmap(pages + OVC_PG, OVC_PG));
	info = (struct ovc_vm_info *)(pages + OVC_PG - 16);
	memset(info, 0, 16);
	info->size = sz;
	ASSERT_EQ(-1, ioctl(self->f.fd, OVC_IOC_VM_INFO, info));
	ASSERT_EQ(EFAULT, errno);
	munmap(pages, OVC_PG);
}

/* The per-VM files: one decimal value (or the name) and a newline. */
TEST_F(vmfile, sysfs_vm_attrs)
{
	static const char * const attrs[] = {
		"owner_uid", "owner_pid", "size_pages", "resident_pages",
	};
	struct ovc_vmfile *f = &self->f;
	char buf[PATH_MAX];
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		fd = ovc_sysfs_open("vms/%llu/%s", f->id, attrs[i]);
		ASSERT_LE(0, fd) TH_LOG("vms/%llu/%s: %m", f->id, attrs[i]);
		ASSERT_LE(0, ovc_counter(fd))
			TH_LOG("%s: not a decimal value and a newline",
			       attrs[i]);
		close(fd);
	}
	fd = ovc_sysfs_open("vms/%llu/name", f->id);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(f->name), ovc_sysfs_str(fd, buf, sizeof(buf)));
	ASSERT_STREQ(f->name, buf);
	close(fd);
	ASSERT_LE(0, ovc_pages(&f->cnt));
	ASSERT_LE(1, ovc_nr_vms(&f->cnt));

	/* A new file: empty, owned by us, never mapped. */
	ASSERT_EQ(0LL, vm_attr(f, "size_pages"));
	ASSERT_EQ(0LL, vm_attr(f, "resident_pages"));
	ASSERT_EQ((long long)getuid(), vm_attr(f, "owner_uid"));
	ASSERT_EQ(0LL, vm_attr(f, "owner_pid"));

	/* Growing the file shows in size_pages, rounded up. */
	ASSERT_EQ(0, ftruncate(f->fd, 1));
	ASSERT_EQ(1LL, vm_attr(f, "size_pages"));
	ASSERT_EQ(0, ftruncate(f->fd, 5 * OVC_PG));
	ASSERT_EQ(5LL, vm_attr(f, "size_pages"));
	ASSERT_EQ(0LL, vm_attr(f, "resident_pages"));
	ASSERT_EQ(0LL, vm_attr(f, "owner_pid"));
}

static void *map_in_thread(void *arg)
{
	int fd = *(int *)arg;
	void *map;

	map = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	munmap(map, OVC_PG);
	return (void *)(long)syscall(SYS_gettid);
}

/* owner_pid is the thread group of the process that mapped it last. */
TEST_F(vmfile, owner_pid)
{
	struct ovc_vmfile *f = &self->f;
	struct ovc_vm_info info;
	pthread_t thread;
	void *tid = NULL;
	pid_t pid;

	ASSERT_EQ(0, ftruncate(f->fd, 4 * OVC_PG));
	ASSERT_EQ(0LL, vm_attr(f, "owner_pid"));
	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ(0U, info.owner_pid);

	/* A child maps it: the child. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *map = mmap(NULL, OVC_PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED, f->fd, 0);

		_exit(map == MAP_FAILED);
	}
	ASSERT_EQ(0, ovc_wait_child(pid));
	ASSERT_EQ((long long)pid, vm_attr(f, "owner_pid"));
	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ((unsigned int)pid, info.owner_pid);

	/* A thread of ours maps it: our tgid, not the thread's id. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, map_in_thread, &f->fd));
	ASSERT_EQ(0, pthread_join(thread, &tid));
	ASSERT_NE(NULL, tid);
	ASSERT_NE((long)getpid(), (long)tid);
	ASSERT_EQ((long long)getpid(), vm_attr(f, "owner_pid"));
	ASSERT_EQ(0, ovc_vm_info(f->fd, &info));
	ASSERT_EQ((unsigned int)getpid(), info.owner_pid);
}

/*
 * Permissions: a private directory under the mount, world-writable so an
 * unprivileged child can create files in it.
 */
FIXTURE(perm) {
	char dir[PATH_MAX];
	struct ovc_counters cnt;
};

FIXTURE_SETUP(perm)
{
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()));
	ASSERT_EQ(0, ovc_counters_open(&self->cnt));
	snprintf(self->dir, sizeof(self->dir), "%s/ovcst-%d-%.64s",
		 ovc_mnt(), getpid(), _metadata->name);
	ASSERT_EQ(0, mkdir(self->dir, 0700));
	if (chmod(self->dir, 0777)) {
		rmdir(self->dir);
		ASSERT_TRUE(false) TH_LOG("chmod %s: %m", self->dir);
	}
}

FIXTURE_TEARDOWN(perm)
{
	EXPECT_EQ(0, ovc_rm_rf(self->dir));
	EXPECT_EQ(self->cnt.nr_vms0, ovc_nr_vms(&self->cnt));
	EXPECT_EQ(self->cnt.pages0, ovc_pages(&self->cnt));
	ovc_counters_close(&self->cnt);
}

/* In a child as @uid: errno of open(@path, @flags), 0 if it opened. */
static int open_as(const char *path, int flags, uid_t uid)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (ovc_become(uid, uid))
			_exit(100);
		fd = open(path, flags);
		_exit(fd < 0 ? errno : 0);
	}
	return ovc_wait_child(pid);
}

/* In a child as @uid: errno of truncate(@path, @len), 0 if it worked. */
static int truncate_as(const char *path, off_t len, uid_t uid)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (ovc_become(uid, uid))
			_exit(100);
		_exit(truncate(path, len) ? errno : 0);
	}
	return ovc_wait_child(pid);
}

/*
 * Nobody but the owner (and root) opens a VM file, even a 0666 one, nor
 * truncates it by path (truncate(2) opens nothing).
 */
TEST_F(perm, non_owner_cannot_open)
{
	char path[PATH_MAX + 8];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/vm", self->dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fchmod(fd, 0666));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0666U, st.st_mode & 07777);
	ASSERT_EQ(getuid(), st.st_uid);
	close(fd);

	ASSERT_EQ(EACCES, open_as(path, O_RDWR, OVC_NOBODY));
	ASSERT_EQ(EACCES, open_as(path, O_RDONLY, OVC_NOBODY));
	ASSERT_EQ(EACCES, open_as(path, O_WRONLY | O_TRUNC, OVC_NOBODY));
	/* Its size was not truncated by the refused open. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 3 * OVC_PG));
	close(fd);
	ASSERT_EQ(EACCES, open_as(path, O_WRONLY | O_TRUNC, OVC_NOBODY));
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ((off_t)(3 * OVC_PG), st.st_size);
	ASSERT_EQ(EACCES, truncate_as(path, 0, OVC_NOBODY));
	ASSERT_EQ(EACCES, truncate_as(path, 8 * OVC_PG, OVC_NOBODY));
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ((off_t)(3 * OVC_PG), st.st_size);
	/* Root (CAP_DAC_OVERRIDE) can. */
	ASSERT_EQ(0, open_as(path, O_RDWR, 0));
}

/*
 * A VM file belongs to its creator: an unprivileged creator owns it (uid,
 * owner_uid) and can use it; another uid cannot open it; root can.
 */
TEST_F(perm, owner_uid)
{
	char path[PATH_MAX + 8];
	struct ovc_vm_info info;
	struct stat st;
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/mine", self->dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ovc_vm_info ci;
		char *map;

		if (ovc_become(OVC_NOBODY, OVC_NOBODY))
			_exit(100);
		umask(022);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0666);
		if (fd < 0)
			_exit(101);
		if (fstat(fd, &st) || st.st_uid != OVC_NOBODY ||
		    st.st_gid != OVC_NOBODY || (st.st_mode & 07777) != 0644)
			_exit(102);
		if (ftruncate(fd, 4 * OVC_PG))
			_exit(103);
		map = mmap(NULL, 4 * OVC_PG, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			_exit(104);
		map[0] = 1;
		if (ovc_vm_info(fd, &ci) || ci.owner_uid != OVC_NOBODY ||
		    ci.resident_pages != 1)
			_exit(105);
		munmap(map, 4 * OVC_PG);
		close(fd);
		/* Reopen its own file, with a mode that lets only it in. */
		fd = open(path, O_RDWR);
		if (fd < 0)
			_exit(106);
		if (fchmod(fd, 0600))
			_exit(107);
		_exit(0);
	}
	ASSERT_EQ(0, ovc_wait_child(pid)) TH_LOG("child failed");

	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ((uid_t)OVC_NOBODY, st.st_uid);
	ASSERT_EQ(0600U, st.st_mode & 07777);
	fd = open(path, O_RDWR | O_CLOEXEC);	/* root may */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ovc_vm_info(fd, &info));
	ASSERT_EQ((unsigned int)OVC_NOBODY, info.owner_uid);
	ASSERT_EQ(1ULL, info.resident_pages);
	ASSERT_EQ((long long)OVC_NOBODY,
		  ovc_sysfs_value("vms/%llu/owner_uid", (unsigned long long)info.id));
	ASSERT_EQ((long long)pid,
		  ovc_sysfs_value("vms/%llu/owner_pid", (unsigned long long)info.id));
	ASSERT_EQ(0, fchmod(fd, 0666));
	close(fd);

	ASSERT_EQ(0, open_as(path, O_RDWR, OVC_NOBODY));
	ASSERT_EQ(EACCES, open_as(path, O_RDWR, OVC_NOBODY - 1));
	ASSERT_EQ(EACCES, open_as(path, O_RDONLY, OVC_NOBODY - 1));
}

/* Files get the requested mode minus the umask, and the creator's ids. */
TEST_F(perm, create_mode_umask)
{
	static const struct {
		mode_t umask, mode, want;
	} cases[] = {
		{ 022, 0666, 0644 },
		{ 027, 0666, 0640 },
		{ 077, 0666, 0600 },
		{ 0, 0604, 0604 },
		{ 0, 0600, 0600 },
	};
	char path[PATH_MAX + 16];
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(path, sizeof(path), "%s/f%zu", self->dir, i);
		umask(cases[i].umask);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  cases[i].mode);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fstat(fd, &st));
		close(fd);
		ASSERT_TRUE(S_ISREG(st.st_mode));
		ASSERT_EQ(cases[i].want, st.st_mode & 07777)
			TH_LOG("umask %03o mode %03o", cases[i].umask,
			       cases[i].mode);
		ASSERT_EQ(geteuid(), st.st_uid);
		ASSERT_EQ(getegid(), st.st_gid);
	}
	umask(022);
	/* Directories, too. */
	snprintf(path, sizeof(path), "%s/d", self->dir);
	ASSERT_EQ(0, mkdir(path, 0777));
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0755U, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
