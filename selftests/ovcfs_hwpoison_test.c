// SPDX-License-Identifier: GPL-2.0
/*
 * Memory errors in guest RAM (issue 8, defect 2).  MADV_HWPOISON marks a
 * page as failed, as memory_failure() does for a real uncorrectable error;
 * ovc pages are not on the LRU and have no page->mapping, so the core mm
 * cannot unmap them: ovc must.  A poisoned private page is SIGBUS through
 * every mapping and EIO for read(), never a host oops; punching it frees
 * the slot.  A poisoned zero frame loses nothing (its bytes are known):
 * the VM still reads zeroes and writes.
 *
 * Needs CONFIG_MEMORY_FAILURE (Debian's kernel has it) and root.  Poisoned
 * pages stay out of the allocator until the test VM reboots.
 */
#define _GNU_SOURCE
#include "ovc_test_util.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif

OVC_VMFILE_FIXTURE();

/*
 * Poison the page at @p.  memory_failure() answers EBUSY for a page it
 * could not handle itself (ovc's are such), after marking it poisoned.
 */
static int poison(char *p)
{
	if (!madvise(p, OVC_PG, MADV_HWPOISON))
		return 0;
	return errno == EBUSY ? 0 : -errno;
}

/* A poisoned private page: SIGBUS through both mappings, EIO, punch. */
TEST_F(vmfile, private_page)
{
	struct ovc_vmfile *f = &self->f;
	const size_t pages = 4;
	char buf[OVC_PG], *m2;

	ovc_vmfile_map(_metadata, f, pages * OVC_PG);
	ovc_fill(f->map, pages * OVC_PG, 0, 1);
	ASSERT_EQ(0, poison(f->map + OVC_PG)) TH_LOG("MADV_HWPOISON: %m");

	/*
	 * A second mapping, faulted after the error (f->map still maps the
	 * page: memory_failure() cannot unmap it): the fault must see the
	 * poison, and from then on every mapping faults.
	 */
	m2 = mmap(NULL, pages * OVC_PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		  f->fd, 0);
	ASSERT_NE(MAP_FAILED, m2);
	ASSERT_TRUE(ovc_access_sigbus(m2 + OVC_PG + 5, false));
	ASSERT_TRUE(ovc_access_sigbus(m2 + OVC_PG, true));
	ASSERT_TRUE(ovc_access_sigbus(f->map + OVC_PG + 9, false));
	ASSERT_EQ(-1, pread(f->fd, buf, OVC_PG, OVC_PG));
	ASSERT_EQ(EIO, errno);
	ASSERT_EQ(-1, pwrite(f->fd, "x", 1, OVC_PG + 3));
	ASSERT_EQ(EIO, errno);
	/* The neighbours are fine. */
	ASSERT_EQ(-1, ovc_check(m2, OVC_PG, 0, 1));
	ASSERT_EQ(-1, ovc_check(f->map + 2 * OVC_PG, 2 * OVC_PG,
				2 * OVC_PG, 1));

	/* The balloon (a punch) takes the page away: zeroes again. */
	ASSERT_EQ(0, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, OVC_PG, OVC_PG));
	ASSERT_FALSE(ovc_access_sigbus(m2 + OVC_PG, false));
	ASSERT_EQ(-1, ovc_check_zero(m2 + OVC_PG, OVC_PG));
	m2[OVC_PG] = 7;
	ASSERT_EQ(7, f->map[OVC_PG]);
	ASSERT_EQ(0, munmap(m2, pages * OVC_PG));
}

/*
 * A VM's zero frame poisoned through its read-only mapping: the VM still
 * reads zeroes through new faults and can write (a fresh zero frame and
 * fresh zero pages replace it); another VM, with a zero frame of its own,
 * never noticed.
 */
TEST_F(vmfile, zero_frame)
{
	struct ovc_vmfile *f = &self->f;
	char path[PATH_MAX + 8], *other;
	int ofd;

	ovc_vmfile_map(_metadata, f, 4 * OVC_PG);
	snprintf(path, sizeof(path), "%s.other", f->path);
	ofd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, ofd);
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, ftruncate(ofd, 4 * OVC_PG));
	other = mmap(NULL, 4 * OVC_PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		     ofd, 0);
	ASSERT_NE(MAP_FAILED, other);
	/* Read faults map the zero frame; the other VM maps it too. */
	ASSERT_EQ(-1, ovc_check_zero(f->map, 4 * OVC_PG));
	ASSERT_EQ(-1, ovc_check_zero(other, OVC_PG));
	ASSERT_EQ(0, ovc_resident(f));
	ASSERT_EQ(0, poison(f->map + 2 * OVC_PG)) TH_LOG("MADV_HWPOISON: %m");

	/* New faults, not the PTEs that were there. */
	ASSERT_EQ(0, munmap(f->map, f->map_len));
	f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	ASSERT_NE(MAP_FAILED, f->map);
	ASSERT_FALSE(ovc_access_sigbus(f->map + 2 * OVC_PG, false));
	ASSERT_EQ(-1, ovc_check_zero(f->map, 4 * OVC_PG));
	ASSERT_FALSE(ovc_access_sigbus(other, false));
	ASSERT_FALSE(ovc_access_sigbus(other + 3 * OVC_PG, false));
	ASSERT_EQ(-1, ovc_check_zero(other, 4 * OVC_PG));
	f->map[2 * OVC_PG + 1] = 3;
	other[1] = 4;
	ASSERT_EQ(3, f->map[2 * OVC_PG + 1]);
	ASSERT_EQ(4, other[1]);
	ASSERT_EQ(-1, ovc_check_zero(f->map + 3 * OVC_PG, OVC_PG));
	ASSERT_EQ(0, munmap(other, 4 * OVC_PG));
	close(ofd);
}

TEST_HARNESS_MAIN
