// SPDX-License-Identifier: GPL-2.0
/*
 * A raw KVM guest on a merged page.
 *
 * Two VM files hold the same code page and the same data page; the
 * scanner merges them.  A 16-bit real-mode guest whose RAM is the first
 * file then executes from the merged code page, reads the merged data
 * page (reported through an OUT to port 0x10), writes it and reads it
 * back.  Its write must break copy-on-write: the guest sees its own byte,
 * the other file keeps the old one, and ovc counts a COW break.
 *
 * Needs /dev/kvm (in the test VM: kvm-amd on TCG's emulated SVM); a
 * machine skip without it.  Saves and restores the scanner knobs it changes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ovc_test_util.h"

#define GUEST_BYTES	(4 * OVC_PG)
#define CODE_GPA	0x1000
#define DATA_GPA	0x2000
#define OLD_BYTE	0x53
#define NEW_BYTE	0x77
#define PORT		0x10

/* mov al,[DATA]; mov dx,PORT; out dx,al; mov byte [DATA],NEW;
 * mov al,[DATA]; out dx,al; hlt
 */
static const uint8_t guest_code[] = {
	0xa0, DATA_GPA & 0xff, DATA_GPA >> 8,
	0xba, PORT, 0x00,
	0xee,
	0xc6, 0x06, DATA_GPA & 0xff, DATA_GPA >> 8, NEW_BYTE,
	0xa0, DATA_GPA & 0xff, DATA_GPA >> 8,
	0xee,
	0xf4,
};

static const char *const knobs[] = {
	"run", "pages_to_scan", "sleep_millisecs",
};

static void fill_file(struct __test_metadata *_metadata, int fd)
{
	uint8_t page[OVC_PG];

	ASSERT_EQ(0, ftruncate(fd, GUEST_BYTES));
	memset(page, 0xf4, sizeof(page));	/* hlt everywhere */
	memcpy(page, guest_code, sizeof(guest_code));
	ASSERT_EQ((ssize_t)OVC_PG, pwrite(fd, page, OVC_PG, CODE_GPA));
	memset(page, OLD_BYTE, sizeof(page));
	ASSERT_EQ((ssize_t)OVC_PG, pwrite(fd, page, OVC_PG, DATA_GPA));
}

FIXTURE(kvm) {
	struct ovc_vmfile a;	/* the guest's RAM */
	int b_fd;		/* the other sharer */
	char b_path[PATH_MAX];
	char saved[3][32];
	bool knobs_saved;
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_len;
};

FIXTURE_SETUP(kvm)
{
	unsigned int i;

	self->b_fd = self->kvm = self->vm = self->vcpu = -1;
	self->run = MAP_FAILED;
	self->knobs_saved = false;
	/* Before the VM file exists: neither ends in the teardown. */
	if (!ovc_module_present())
		OVC_SETUP_FAIL(OVC_NO_MODULE_MSG);
	if (ovc_sysfs_value("run") < 0)
		OVC_SETUP_FAIL("%s/run absent or unreadable: no page sharing",
			       OVC_SYSFS_ROOT);
	if (access("/dev/kvm", F_OK) &&
	    system("modprobe -q kvm_amd || modprobe -q kvm_intel"))
		OVC_MACHINE_SKIP("no /dev/kvm (neither kvm_amd nor kvm_intel loads)");
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvm < 0)
		OVC_MACHINE_SKIP("no usable /dev/kvm (open: %m)");
	ovc_vmfile_setup(_metadata, &self->a);
	snprintf(self->b_path, sizeof(self->b_path), "%s.b", self->a.path);
	for (i = 0; i < 3; i++) {
		int fd = ovc_sysfs_open("%s", knobs[i]);

		ASSERT_LE(0, fd);
		ASSERT_LT(0, ovc_sysfs_str(fd, self->saved[i],
					   sizeof(self->saved[i])));
		close(fd);
	}
	self->knobs_saved = true;
	self->b_fd = open(self->b_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  0600);
	ASSERT_LE(0, self->b_fd);
	/* The two VMs share pages: an administrator groups them. */
	ASSERT_EQ(0, ovc_set_domain(self->a.fd, 4242));
	ASSERT_EQ(0, ovc_set_domain(self->b_fd, 4242));
}

FIXTURE_TEARDOWN(kvm)
{
	unsigned int i;

	if (self->run != MAP_FAILED)
		munmap(self->run, self->run_len);
	if (self->vcpu >= 0)
		close(self->vcpu);
	if (self->vm >= 0)
		close(self->vm);
	if (self->kvm >= 0)
		close(self->kvm);
	if (self->knobs_saved) {
		EXPECT_EQ(0, ovc_sysfs_write("run", "2"));	/* unmerge all */
		for (i = 0; i < 3; i++)
			EXPECT_EQ(0, ovc_sysfs_write(knobs[i], self->saved[i]));
	}
	if (self->b_fd >= 0) {
		close(self->b_fd);
		EXPECT_EQ(0, unlink(self->b_path));
	}
	ovc_vmfile_teardown(_metadata, &self->a);
}

/* Wait until both files' code and data pages are merged. */
static bool wait_merged(unsigned long long a, unsigned long long b)
{
	time_t end = time(NULL) + 60;

	while (time(NULL) < end) {
		if (ovc_sysfs_value("vms/%llu/shared_pages", a) >= 2 &&
		    ovc_sysfs_value("vms/%llu/shared_pages", b) >= 2)
			return true;
		usleep(20000);
	}
	return false;
}

static void run_until(struct __test_metadata *_metadata,
		      FIXTURE_DATA(kvm) *self, unsigned int reason,
		      uint8_t *out)
{
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_RUN, 0)) TH_LOG("KVM_RUN: %m");
	ASSERT_EQ(reason, self->run->exit_reason)
		TH_LOG("exit reason %u, rip in guest unknown",
		       self->run->exit_reason);
	if (reason == KVM_EXIT_IO) {
		ASSERT_EQ(KVM_EXIT_IO_OUT, self->run->io.direction);
		ASSERT_EQ(PORT, self->run->io.port);
		*out = *((uint8_t *)self->run + self->run->io.data_offset);
	}
}

TEST_F(kvm, guest_write_breaks_cow)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct ovc_vm_info ib = { .size = sizeof(ib) };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	long long cow0;
	uint8_t seen = 0, page[OVC_PG];
	char *mem;
	int i;

	fill_file(_metadata, self->a.fd);
	fill_file(_metadata, self->b_fd);
	ASSERT_EQ(0, ioctl(self->b_fd, OVC_IOC_VM_INFO, &ib));

	ASSERT_EQ(0, ovc_sysfs_write("pages_to_scan", "1000"));
	ASSERT_EQ(0, ovc_sysfs_write("sleep_millisecs", "0"));
	ASSERT_EQ(0, ovc_sysfs_write("run", "1"));
	ASSERT_TRUE(wait_merged(self->a.id, ib.id))
		TH_LOG("code and data pages not merged within 60 s");
	ASSERT_EQ(0, ovc_sysfs_write("run", "0"));	/* nothing merges back */
	cow0 = ovc_sysfs_value("vms/%llu/cow_breaks", self->a.id);

	mem = mmap(NULL, GUEST_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->a.fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %m");
	region.memory_size = GUEST_BYTES;
	region.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &region));
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	self->run_len = ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	self->run = mmap(NULL, self->run_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);

	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));

	/* The guest reads the merged page: the shared bytes. */
	run_until(_metadata, self, KVM_EXIT_IO, &seen);
	EXPECT_EQ(OLD_BYTE, seen);
	/* It writes it and reads back its own byte. */
	run_until(_metadata, self, KVM_EXIT_IO, &seen);
	EXPECT_EQ(NEW_BYTE, seen);
	run_until(_metadata, self, KVM_EXIT_HLT, NULL);

	/* The write broke COW in the guest's file only. */
	EXPECT_LT(cow0, ovc_sysfs_value("vms/%llu/cow_breaks", self->a.id));
	EXPECT_EQ(NEW_BYTE, (uint8_t)mem[DATA_GPA]);
	ASSERT_EQ((ssize_t)OVC_PG, pread(self->a.fd, page, OVC_PG, DATA_GPA));
	EXPECT_EQ(NEW_BYTE, page[0]);
	for (i = 1; i < (int)OVC_PG; i++)
		if (page[i] != OLD_BYTE)
			break;
	EXPECT_EQ((int)OVC_PG, i) TH_LOG("guest file byte %d changed", i);
	ASSERT_EQ((ssize_t)OVC_PG, pread(self->b_fd, page, OVC_PG, DATA_GPA));
	for (i = 0; i < (int)OVC_PG; i++)
		if (page[i] != OLD_BYTE)
			break;
	EXPECT_EQ((int)OVC_PG, i)
		TH_LOG("the other sharer's byte %d changed to %#x", i, page[i]);
	/* The code page the guest ran from stays shared. */
	EXPECT_LE(1, ovc_sysfs_value("vms/%llu/shared_pages", ib.id));
	munmap(mem, GUEST_BYTES);
}

TEST_HARNESS_MAIN
