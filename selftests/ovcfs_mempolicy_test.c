// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM is placed by NUMA policy (issue 8, defect 9), as shmem's is:
 * a fault allocates by the VMA's policy (QEMU's memory-backend
 * host-nodes=, policy=bind is an mbind() of the mapping), a write() by
 * the writer's task policy, and a copy-on-write copy, of a merged page or
 * of the zero frame, by the writing VMA's policy too.
 *
 * The test VM has two NUMA nodes (selftests/vm/lib.sh); each test binds to
 * node 0 and then to node 1, so that a module ignoring the policy (pages
 * from the local node) fails one of the two.  Where a page lies comes
 * from move_pages(2) without nodes (a query).
 */
#define _GNU_SOURCE
#include <linux/mempolicy.h>
#include <sys/syscall.h>
#include "ovc_test_util.h"
#include "ovc_share_util.h"

#define NPAGES		64
#define NR_NODES	2

OVC_VMFILE_FIXTURE();

/* Whether the test VM has the two nodes the tests bind to. */
static bool two_nodes(void)
{
	char buf[32] = "";
	int fd = open("/sys/devices/system/node/online", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strncmp(buf, "0-1", 3);
}

#define REQUIRE_TWO_NODES() do {					\
	ASSERT_TRUE(two_nodes())					\
		TH_LOG("the test VM needs nodes 0-1 (vm/lib.sh boots two)"); \
} while (0)

static long mbind_node(void *addr, size_t len, int node)
{
	unsigned long mask = 1UL << node;

	return syscall(SYS_mbind, addr, len, MPOL_BIND, &mask,
		       sizeof(mask) * 8, 0);
}

static long set_policy_node(int node)
{
	unsigned long mask = 1UL << node;

	if (node < 0)
		return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0);
	return syscall(SYS_set_mempolicy, MPOL_BIND, &mask,
		       sizeof(mask) * 8);
}

/*
 * How many of the @n pages at @addr lie on @node; the first other answer
 * (a node, or -errno as move_pages() gives it) in *@other.
 */
static int pages_on_node(char *addr, int n, int node, int *other)
{
	void *pages[NPAGES];
	int status[NPAGES], i, on = 0;

	*other = node;
	for (i = 0; i < n; i++)
		pages[i] = addr + (size_t)i * OVC_PG;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		return -errno;
	for (i = 0; i < n; i++) {
		if (status[i] == node)
			on++;
		else if (*other == node)
			*other = status[i];
	}
	return on;
}

#define ASSERT_ON_NODE(addr, n, node) do {				\
	int __other, __on = pages_on_node((addr), (n), (node), &__other); \
	ASSERT_EQ((n), __on)						\
		TH_LOG("%d of %d pages on node %d, another on %d",	\
		       __on, (n), (node), __other);			\
} while (0)

/* Write faults allocate on the node the mapping is bound to. */
TEST_F(vmfile, fault_by_vma_policy)
{
	struct ovc_vmfile *f = &self->f;
	int node;

	REQUIRE_TWO_NODES();
	ovc_vmfile_map(_metadata, f, NR_NODES * NPAGES * OVC_PG);
	for (node = 0; node < NR_NODES; node++) {
		char *part = f->map + (size_t)node * NPAGES * OVC_PG;

		ASSERT_EQ(0, mbind_node(part, NPAGES * OVC_PG, node))
			TH_LOG("mbind: %m");
		ovc_fill(part, NPAGES * OVC_PG, part - f->map, 3);
		ASSERT_ON_NODE(part, NPAGES, node);
	}
	ASSERT_EQ(NR_NODES * NPAGES, ovc_resident(f));
}

/*
 * A read of a hole maps the VM's zero frame; the write that follows
 * copies it, and the copy lands where the mapping is bound.
 */
TEST_F(vmfile, zero_cow_by_vma_policy)
{
	struct ovc_vmfile *f = &self->f;
	volatile char sum = 0;
	int node, i;

	REQUIRE_TWO_NODES();
	ovc_vmfile_map(_metadata, f, NR_NODES * NPAGES * OVC_PG);
	for (node = 0; node < NR_NODES; node++) {
		char *part = f->map + (size_t)node * NPAGES * OVC_PG;

		ASSERT_EQ(0, mbind_node(part, NPAGES * OVC_PG, node));
		for (i = 0; i < NPAGES; i++)
			sum += part[(size_t)i * OVC_PG];
		ASSERT_EQ(0, ovc_resident(f) - node * NPAGES)
			TH_LOG("a read fault allocated");
		for (i = 0; i < NPAGES; i++)
			part[(size_t)i * OVC_PG + 1] = 1;
		ASSERT_ON_NODE(part, NPAGES, node);
	}
	ASSERT_EQ(0, sum);
}

/* write() has no VMA: the writer's task policy places the page. */
TEST_F(vmfile, write_by_task_policy)
{
	struct ovc_vmfile *f = &self->f;
	static char buf[NPAGES * OVC_PG];
	int node, i;

	REQUIRE_TWO_NODES();
	memset(buf, 'w', sizeof(buf));
	for (node = 0; node < NR_NODES; node++) {
		off_t off = (off_t)node * sizeof(buf);
		ssize_t n;

		ASSERT_EQ(0, set_policy_node(node)) TH_LOG("set_mempolicy: %m");
		n = pwrite(f->fd, buf, sizeof(buf), off);
		ASSERT_EQ(0, set_policy_node(-1));
		ASSERT_EQ((ssize_t)sizeof(buf), n);
	}
	/* Mapped afterwards, unbound: read faults find the pages written. */
	ovc_vmfile_map(_metadata, f, NR_NODES * sizeof(buf));
	for (i = 0; i < (int)(NR_NODES * sizeof(buf)); i += OVC_PG) {
		ASSERT_EQ('w', f->map[i]);
	}
	for (node = 0; node < NR_NODES; node++)
		ASSERT_ON_NODE(f->map + (size_t)node * sizeof(buf), NPAGES,
			       node);
	ASSERT_EQ(NR_NODES * NPAGES, ovc_resident(f));
}

/*
 * Pages merged by the scanner (two equal halves of one VM file), then
 * written through a mapping bound to a node: each copy-on-write copy
 * lands on that node.
 */
TEST_F_TIMEOUT(vmfile, merged_cow_by_vma_policy, 180)
{
	struct ovc_vmfile *f = &self->f;
	const size_t half = NPAGES * OVC_PG;
	struct ovc_share sh;
	int node, i;

	REQUIRE_TWO_NODES();
	ASSERT_EQ(0, ovc_share_open(&sh));
	ovc_vmfile_map(_metadata, f, 2 * half);
	ovc_fill(f->map, half, 0, 5);
	ovc_fill(f->map + half, half, 0, 5);	/* the same bytes */
	ASSERT_EQ(0, ovc_share_fast());
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 1));
	EXPECT_EQ(0, ovc_wait_full_scans(&sh, 2, 120));
	ASSERT_EQ(0, ovc_knob_set(OVC_KNOB_RUN, 0));
	for (i = 0; i < NPAGES; i++) {
		uint64_t pfn;

		/* Read faults map the frames (the merge unmapped the pages). */
		ASSERT_EQ(f->map[(size_t)i * OVC_PG],
			  f->map[half + (size_t)i * OVC_PG]);
		pfn = ovc_pfn(f->map + (size_t)i * OVC_PG);

		ASSERT_NE(0ULL, (unsigned long long)pfn);
		ASSERT_EQ(pfn, ovc_pfn(f->map + half + (size_t)i * OVC_PG))
			TH_LOG("page %d did not merge", i);
	}

	/* The first half's pages copy to node 0, then to node 1. */
	for (node = 0; node < NR_NODES; node++) {
		char *part = f->map + (size_t)node * (NPAGES / 2) * OVC_PG;
		const int n = NPAGES / 2;

		ASSERT_EQ(0, mbind_node(part, n * OVC_PG, node));
		for (i = 0; i < n; i++)
			part[(size_t)i * OVC_PG + 8] ^= 0x5a;
		ASSERT_ON_NODE(part, n, node);
		for (i = 0; i < n; i++) {
			part[(size_t)i * OVC_PG + 8] ^= 0x5a;
			ASSERT_NE(ovc_pfn(part + (size_t)i * OVC_PG),
				  ovc_pfn(part + half + (size_t)i * OVC_PG))
				TH_LOG("page %d: no copy-on-write", i);
		}
	}
	ASSERT_EQ(-1, ovc_check(f->map, half, 0, 5));
	ASSERT_EQ(-1, ovc_check(f->map + half, half, 0, 5));
	/* (run=2 copies without a VMA: by the writer's task policy.) */
	EXPECT_EQ(0, ovc_share_restore(&sh));
	ovc_share_close(&sh);
}

TEST_HARNESS_MAIN
