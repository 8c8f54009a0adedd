// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hold: keep one KVM VM (an in-kernel irqchip and one vCPU that never
 * runs) alive until killed.  The test VM's runner starts it before the
 * tests, so the nested guests that come and go never move KVM's static
 * keys between 0 and 1: preempt_notifier_key (a jump site in __schedule,
 * flipped by the first kvm_create_vm() and the last kvm_destroy_vm()) and
 * the LAPIC keys (apic_hw_disabled, apic_sw_disabled).
 *
 * Why: flipping a static key rewrites kernel text (text_poke_bp(): int3,
 * sync, bytes, sync) and QEMU 7.2's multi-threaded TCG does not always
 * drop another vCPU's translation of the rewritten code.  Caught in the
 * act (issue 14, docs/nested-kvm-on-tcg.md): a vCPU kept executing the
 * int3 at __schedule+0x2ab (preempt_notifier_key) long after memory held
 * the NOP again; kprobe_int3_handler() found no int3 in memory and backed
 * RIP up over it, forever, with the runqueue lock held and interrupts off,
 * and the other vCPU spun on that lock: a silent test VM.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvm-hold: /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvm-hold: KVM_CREATE_VM");
		return 1;
	}
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
		perror("kvm-hold: KVM_CREATE_IRQCHIP");
		return 1;
	}
	if (ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("kvm-hold: KVM_CREATE_VCPU");
		return 1;
	}
	pause();	/* until killed; exit frees the VM */
	return 0;
}
