/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ovcfs selftests; includes kselftest_harness.h.
 *
 * The tests run as root inside the test VM, with ovc.ko loaded and an
 * ovcfs mounted at $OVC_MNT (default /run/ovc).  Without
 * /sys/kernel/mm/ovc, or without ovcfs there, they fail.  sysfs counters are opened once and read
 * with pread(); a test that creates a file, a directory or a mount removes
 * it again, and every fixture checks in its teardown that the
 * global counters are back where they were.
 */
#ifndef OVC_TEST_UTIL_H
#define OVC_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/ovc.h>

/*
 * The 6.1 harness does not build with -Wextra: __timeout_handler() has an
 * unused parameter.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/* ovcfs pages are 4 KiB (statfs f_bsize). */
#define OVC_PG			4096UL
#define OVC_DEFAULT_MNT		"/run/ovc"
/* A uid/gid with no rights on anything the tests create. */
#define OVC_NOBODY		65534

#define OVC_UNUSED		__attribute__((unused))

static inline const char *ovc_mnt(void)
{
	const char *m = getenv("OVC_MNT");

	return m && *m ? m : OVC_DEFAULT_MNT;
}

static inline bool ovc_module_present(void)
{
	struct stat st;

	return !stat(OVC_SYSFS_ROOT, &st) && S_ISDIR(st.st_mode);
}

static inline bool ovc_is_ovcfs(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == OVCFS_MAGIC;
}

/*
 * End the current test from a FIXTURE_SETUP() without running its body or
 * teardown.  The 6.1 harness still runs the test body after a setup that
 * merely SKIP()ped and returned, so jump back to the harness's setjmp()
 * instead.  (The tests use fixtures only: the 6.1 TEST() wrapper has an
 * unused parameter, which -Wextra -Werror refuses.)
 *
 * In this tree a missing ovc.ko, sysfs file or ovcfs is a failure
 * (OVC_SETUP_FAIL, naming the missing path), never a skip.  The only skips
 * are machine conditions (OVC_MACHINE_SKIP, e.g. no /dev/kvm): their TAP
 * line reads "ok N # SKIP machine: <condition> (<fixture>.<test>)", which
 * tap.awk counts as an allowed skip; any other skip fails CI.
 */
#define OVC_NO_MODULE_MSG	OVC_SYSFS_ROOT " absent: ovc.ko not loaded"
#define OVC_SETUP_FAIL(fmt, ...) do {					\
	TH_LOG("%s.%s: " fmt, _metadata->fixture->name,			\
	       _metadata->name, ##__VA_ARGS__);				\
	_metadata->passed = 0;						\
	longjmp(_metadata->env, 1);					\
} while (0)
#define OVC_MACHINE_SKIP(fmt, ...)					\
	SKIP(longjmp(_metadata->env, 1), "machine: " fmt " (%s.%s)",	\
	     ##__VA_ARGS__, _metadata->fixture->name, _metadata->name)

/* --- sysfs ------------------------------------------------------------ */

/* Open OVC_SYSFS_ROOT/<fmt...> read-only; -1 on error. */
static inline int __attribute__((format(printf, 1, 2)))
ovc_sysfs_open(const char *fmt, ...)
{
	char rel[PATH_MAX], path[PATH_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", OVC_SYSFS_ROOT, rel);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Write @val to OVC_SYSFS_ROOT/@rel.  Return: 0 or errno. */
static inline int ovc_sysfs_write(const char *rel, const char *val)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", OVC_SYSFS_ROOT, rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = errno;
	else if ((size_t)n != strlen(val))
		err = EIO;
	close(fd);
	return err;
}

/*
 * Read a whole sysfs file with pread(), strip the one trailing newline.
 * Return: its length, or -1 on error or when the newline is missing.
 */
static inline ssize_t ovc_sysfs_str(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n <= 0 || buf[n - 1] != '\n')
		return -1;
	buf[--n] = '\0';
	return n;
}

/* OVC_SYSFS_ROOT/@rel's value without its newline into @buf; "" on error. */
static inline void ovc_sysfs_get_str(const char *rel, char *buf, size_t len)
{
	int fd = ovc_sysfs_open("%s", rel);

	buf[0] = '\0';
	if (fd >= 0) {
		if (ovc_sysfs_str(fd, buf, len) < 0)
			buf[0] = '\0';
		close(fd);
	}
}

/*
 * A counter: one decimal number and a newline, nothing else.
 * Return: its value, or -1 on error or a malformed value.
 */
static inline long long ovc_counter(int fd)
{
	char buf[64], *end;
	long long v;

	if (ovc_sysfs_str(fd, buf, sizeof(buf)) <= 0)
		return -1;
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -1;
	return v;
}

/* Read a counter from a path, for a one-off value (not a polled one). */
static inline long long __attribute__((format(printf, 1, 2)))
ovc_sysfs_value(const char *fmt, ...)
{
	char rel[PATH_MAX];
	long long v;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	fd = ovc_sysfs_open("%s", rel);
	if (fd < 0)
		return -1;
	v = ovc_counter(fd);
	close(fd);
	return v;
}

static inline bool ovc_vm_dir_exists(unsigned long long id)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/vms/%llu", OVC_SYSFS_ROOT, id);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* OVC_IOC_GUEST_REPORT on @fd, as ovcd sends it.  Return: 0 or errno. */
static inline int ovc_guest_report(int fd, __u64 actual, __u64 free,
				   __u64 total)
{
	struct ovc_guest_report r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.balloon_actual_pages = actual;
	r.guest_free_pages = free;
	r.guest_total_pages = total;
	return ioctl(fd, OVC_IOC_GUEST_REPORT, &r) ? errno : 0;
}

/* OVC_IOC_VM_INFO on @fd; 0 or -errno. */
static inline int ovc_vm_info(int fd, struct ovc_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, OVC_IOC_VM_INFO, info) ? -errno : 0;
}

/* --- data ------------------------------------------------------------- */

/* The byte a pattern with @seed puts at file offset @off. */
static inline uint8_t ovc_pat(uint64_t off, unsigned int seed)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL + seed * 0xbf58476d1ce4e5b9ULL;

	return (uint8_t)(x >> 56);
}

static inline void ovc_fill(void *p, size_t len, uint64_t off,
			    unsigned int seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = ovc_pat(off + i, seed);
}

/* Return: index of the first byte that differs from the pattern, or -1. */
static inline ssize_t ovc_check(const void *p, size_t len, uint64_t off,
				unsigned int seed)
{
	const volatile uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != ovc_pat(off + i, seed))
			return i;
	return -1;
}

/* Return: index of the first non-zero byte, or -1. */
static inline ssize_t ovc_check_zero(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return i;
	return -1;
}

/* Write one byte in each of pages [first, first + n) of a mapping. */
static inline void ovc_touch_pages(char *map, size_t first, size_t n,
				   unsigned int seed)
{
	size_t i;

	for (i = first; i < first + n; i++)
		((volatile char *)map)[i * OVC_PG] = (char)(seed + i + 1);
}

/*
 * Put the VM of @fd in sharing domain @domain (root): VMs share pages only
 * when an administrator groups them.  Return: 0 or an errno.
 */
static inline int ovc_set_domain(int fd, __u64 domain)
{
	struct ovc_share_domain d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.domain = domain;
	return ioctl(fd, OVC_IOC_SET_SHARE_DOMAIN, &d) ? errno : 0;
}

/*
 * The PFN mapped at @p in this process, from /proc/self/pagemap (root
 * sees PFNs), as tools/testing/selftests/mm/ksm_functional_tests.c proves
 * sharing physically.  Return: the PFN, or 0 if not present.
 */
static inline uint64_t ovc_pfn(const void *p)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (uintptr_t)p / OVC_PG * sizeof(ent)) !=
	    (ssize_t)sizeof(ent))
		ent = 0;
	close(fd);
	return ent >> 63 ? ent & ((1ULL << 55) - 1) : 0;
}

/*
 * The state letter of process or thread @pid ("R", "S", "D", ...) from
 * /proc/<pid>/stat (a thread's id works there too), or 0.
 */
static inline char ovc_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, even ')' */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* --- SIGBUS probe ----------------------------------------------------- */

static sigjmp_buf ovc_sigbus_env OVC_UNUSED;

static OVC_UNUSED void ovc_sigbus_handler(int sig)
{
	(void)sig;
	siglongjmp(ovc_sigbus_env, 1);
}

/*
 * Read (or write) one byte at @p.
 * Return: true if the access raised SIGBUS.
 */
static inline bool ovc_access_sigbus(volatile char *p, bool write)
{
	struct sigaction sa, old;
	bool faulted;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ovc_sigbus_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(ovc_sigbus_env, 1) == 0) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
		faulted = false;
	} else {
		faulted = true;
	}
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/* --- processes -------------------------------------------------------- */

/*
 * Wait for a child that reports with its exit code (0 = fine).
 * Return: the exit code, or 128 + signal, or -1 if waitpid() failed.
 */
static inline int ovc_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Drop root in a child: become @uid/@gid with no capabilities. */
static inline int ovc_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* --- files ------------------------------------------------------------ */

/*
 * Remove @path and everything below it (regular files and directories, as
 * ovcfs has nothing else).  Return: 0, or -1 with errno set.
 */
static inline int ovc_rm_rf(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path,
			     de->d_name) >= (int)sizeof(sub) || ovc_rm_rf(sub))
			ret = -1;
	}
	closedir(d);
	if (rmdir(path))
		ret = -1;
	return ret;
}

/*
 * The global counters, opened once per test.  ovc_counters_open() records
 * their values; ovc_counters_unchanged() says whether they are back.
 */
struct ovc_counters {
	int pages_fd;		/* pages_resident */
	int nr_vms_fd;		/* nr_vms */
	long long pages0;
	long long nr_vms0;
};

static inline int ovc_counters_open(struct ovc_counters *c)
{
	c->pages_fd = ovc_sysfs_open("pages_resident");
	c->nr_vms_fd = ovc_sysfs_open("nr_vms");
	if (c->pages_fd < 0 || c->nr_vms_fd < 0)
		return -1;
	c->pages0 = ovc_counter(c->pages_fd);
	c->nr_vms0 = ovc_counter(c->nr_vms_fd);
	return c->pages0 < 0 || c->nr_vms0 < 0 ? -1 : 0;
}

static inline long long ovc_pages(const struct ovc_counters *c)
{
	return ovc_counter(c->pages_fd);
}

static inline long long ovc_nr_vms(const struct ovc_counters *c)
{
	return ovc_counter(c->nr_vms_fd);
}

static inline void ovc_counters_close(struct ovc_counters *c)
{
	if (c->pages_fd >= 0)
		close(c->pages_fd);
	if (c->nr_vms_fd >= 0)
		close(c->nr_vms_fd);
	c->pages_fd = c->nr_vms_fd = -1;
}

/*
 * A page that LZ4 compresses to well under half a page: a quarter of
 * pattern (the test's usual pseudo-random bytes), then a byte repeated.
 */
static inline void ovc_fill_compressible(char *p, size_t pages, size_t first,
					 unsigned int seed)
{
	size_t i;

	for (i = 0; i < pages; i++) {
		char *pg = p + i * OVC_PG;

		ovc_fill(pg, OVC_PG / 4, (first + i) * OVC_PG, seed);
		memset(pg + OVC_PG / 4, (int)((first + i + seed) & 0xff) | 1,
		       OVC_PG - OVC_PG / 4);
	}
}

/* Return: the index of the first page of @p that differs, or -1. */
static inline ssize_t ovc_check_compressible(const char *p, size_t pages,
					     size_t first, unsigned int seed)
{
	size_t i, j;

	for (i = 0; i < pages; i++) {
		const volatile char *pg = p + i * OVC_PG;

		if (ovc_check((const void *)pg, OVC_PG / 4,
			      (first + i) * OVC_PG, seed) != -1)
			return i;
		for (j = OVC_PG / 4; j < OVC_PG; j++)
			if (pg[j] != (char)(((first + i + seed) & 0xff) | 1))
				return i;
	}
	return -1;
}

/* --- the swap store (OVC_IOC_SET_SWAP_FILE) --- */

/* OVC_IOC_SET_SWAP_FILE on @on with @fd.  Return: 0 or errno. */
static inline int ovc_swap_set(int on, int fd, unsigned long long *slots)
{
	struct ovc_swap_file s = { .size = sizeof(s), .fd = fd };

	if (ioctl(on, OVC_IOC_SET_SWAP_FILE, &s))
		return errno;
	if (slots)
		*slots = s.slots;
	return 0;
}

/* A swap file of @pages pages at @path, mode @mode, opened @oflags. */
static inline int ovc_swap_mkfile(struct __test_metadata *_metadata,
				  const char *path, unsigned long pages,
				  mode_t mode, int oflags)
{
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
	ASSERT_LE(0, fd) TH_LOG("create %s: %m", path);
	ASSERT_EQ(0, fchmod(fd, mode));
	ASSERT_EQ(0, ftruncate(fd, pages * OVC_PG));
	close(fd);
	fd = open(path, oflags | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %m", path);
	return fd;
}

/* Attach a @pages-page store; the module keeps the file, we close ours. */
static inline void ovc_swap_attach(struct __test_metadata *_metadata,
				   int root, const char *path,
				   unsigned long pages)
{
	unsigned long long slots = 0;
	int fd = ovc_swap_mkfile(_metadata, path, pages, 0600, O_RDWR);

	ASSERT_EQ(0, ovc_swap_set(root, fd, &slots));
	close(fd);
	ASSERT_EQ(pages, slots);
	ASSERT_EQ((long long)pages, ovc_sysfs_value("swap_slots"));
}

/*
 * The "vmfile" fixture shared by most tests: one VM file under $OVC_MNT,
 * named after the test and the test process, and its per-VM sysfs
 * resident_pages, both opened in the setup.
 */
struct ovc_vmfile {
	char path[PATH_MAX];	/* absolute */
	char name[NAME_MAX];	/* path inside the mount: "/<file>" */
	int fd;
	unsigned long long id;
	int resident_fd;	/* vms/<id>/resident_pages */
	char *map;
	size_t map_len;
	struct ovc_counters cnt;
};

/* Undo what ovc_vmfile_setup() did so far. */
static inline void ovc_vmfile_release(struct ovc_vmfile *f)
{
	if (f->map != MAP_FAILED)
		munmap(f->map, f->map_len);
	f->map = MAP_FAILED;
	if (f->resident_fd >= 0)
		close(f->resident_fd);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = f->resident_fd = -1;
}

static inline void ovc_vmfile_setup(struct __test_metadata *_metadata,
				    struct ovc_vmfile *f)
{
	struct ovc_vm_info info;
	int err;

	f->fd = f->resident_fd = -1;
	f->map = MAP_FAILED;
	f->path[0] = '\0';
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	ASSERT_TRUE(ovc_is_ovcfs(ovc_mnt()))
		TH_LOG("%s is not an ovcfs mount", ovc_mnt());
	ASSERT_EQ(0, ovc_counters_open(&f->cnt));
	snprintf(f->name, sizeof(f->name), "/ovcst-%d-%.64s", getpid(),
		 _metadata->name);
	snprintf(f->path, sizeof(f->path), "%s%s", ovc_mnt(), f->name);
	f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, f->fd) TH_LOG("create %s: %m", f->path);

	/* A failed ASSERT in a setup skips the teardown: clean up first. */
	err = ovc_vm_info(f->fd, &info);
	if (!err) {
		f->id = info.id;
		f->resident_fd = ovc_sysfs_open("vms/%llu/resident_pages",
						f->id);
		if (f->resident_fd < 0)
			err = -errno;
	}
	if (err) {
		ovc_vmfile_release(f);
		unlink(f->path);
	}
	ASSERT_EQ(0, err) TH_LOG("VM_INFO or vms/<id>/resident_pages: %s",
				 strerror(-err));
}

/*
 * Remove what the setup created and check that the global counters are
 * back (EXPECT, not ASSERT: an ASSERT in a teardown would jump back into
 * the 6.1 harness and run the teardown again).
 */
static inline void ovc_vmfile_teardown(struct __test_metadata *_metadata,
				       struct ovc_vmfile *f)
{
	ovc_vmfile_release(f);
	if (f->path[0])
		EXPECT_EQ(0, ovc_rm_rf(f->path)) TH_LOG("rm %s: %m", f->path);
	EXPECT_EQ(f->cnt.nr_vms0, ovc_nr_vms(&f->cnt))
		TH_LOG("nr_vms not back after the test");
	EXPECT_EQ(f->cnt.pages0, ovc_pages(&f->cnt))
		TH_LOG("pages_resident not back after the test");
	ovc_counters_close(&f->cnt);
}

/* Set the size and map the whole file shared, read-write. */
static inline void ovc_vmfile_map(struct __test_metadata *_metadata,
				  struct ovc_vmfile *f, size_t bytes)
{
	ASSERT_EQ(0, ftruncate(f->fd, bytes));
	f->map_len = bytes;
	f->map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	ASSERT_NE(MAP_FAILED, f->map) TH_LOG("mmap: %m");
}

/* vms/<id>/@name of a VM file, or -1. */
static inline long long ovc_vm_stat(struct ovc_vmfile *f, const char *name)
{
	return ovc_sysfs_value("vms/%llu/%s", f->id, name);
}

/* Write @pages to vms/<id>/reclaim.  Return: 0 or errno. */
static inline int ovc_vm_reclaim(struct ovc_vmfile *f, unsigned long pages)
{
	char rel[64], val[32];

	snprintf(rel, sizeof(rel), "vms/%llu/reclaim", f->id);
	snprintf(val, sizeof(val), "%lu", pages);
	return ovc_sysfs_write(rel, val);
}

#define ovc_resident(f)	ovc_counter((f)->resident_fd)

/* The fixture "vmfile": self->f, set up and torn down as above. */
#define OVC_VMFILE_FIXTURE()						\
FIXTURE(vmfile) {							\
	struct ovc_vmfile f;						\
};									\
FIXTURE_SETUP(vmfile)							\
{									\
	ovc_vmfile_setup(_metadata, &self->f);				\
}									\
FIXTURE_TEARDOWN(vmfile)						\
{									\
	ovc_vmfile_teardown(_metadata, &self->f);			\
}									\
struct ovc_vmfile_fixture_semicolon

#endif /* OVC_TEST_UTIL_H */
