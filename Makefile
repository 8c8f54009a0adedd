# SPDX-License-Identifier: GPL-2.0
#
# ovc top-level Makefile.
#
#   make            build ovc.ko (against KDIR) and the userspace tools
#   make check      the project's test command: KUnit (UML) + selftests in a test VM
#   make kunit      only the KUnit suites, under UML
#   make vm-test    only the selftests, inside the test VM
#   make demo       boot the test VM, run two nested guests on ovcfs, show ovcctl status
#   make bench      bench/ksm-compare, bench/balloon, bench/idle-tax (BENCH_ARGS for the first)
#   make deps       install what the above need (Debian 12, apt-get)
#
# KDIR defaults to the build dir of the newest Debian kernel installed in
# /lib/modules (the one the test VM boots), not the running kernel: the
# build machines' own kernel ships no headers.

KVER	?= $(shell ls /lib/modules 2>/dev/null | grep -E -- '-amd64$$' | sort -V | tail -n1)
KDIR	?= /lib/modules/$(KVER)/build
OVC_CACHE ?= $(HOME)/.cache/ovc
BUILD	:= $(CURDIR)/build

export KVER KDIR OVC_CACHE BUILD

.PHONY: all module userspace selftests clean deps kunit vm-test check demo checkpatch \
	bench bench-ksm bench-balloon bench-idle-tax

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace-ctl

selftests:
	$(MAKE) -C selftests

deps:
	bash selftests/vm/install-deps.sh

kunit:
	bash kmod/tests/run-kunit.sh

vm-test: all selftests
	bash selftests/vm/run-tests.sh

check:
	bash selftests/check.sh

demo: all
	$(MAKE) -C selftests $(BUILD)/vm/kvm-hold
	bash selftests/vm/demo.sh

bench: bench-ksm bench-balloon bench-idle-tax

bench-ksm: all
	bash bench/ksm-compare $(BENCH_ARGS)

bench-balloon: all
	bash bench/balloon

checkpatch:
	$(KDIR)/scripts/checkpatch.pl --no-tree -f kmod/*.c kmod/*.h kmod/tests/*.h 2>/dev/null || \
	  $(OVC_CACHE)/linux-source-6.1/scripts/checkpatch.pl --no-tree -f kmod/*.c kmod/*.h kmod/tests/*.h

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace-ctl clean
	-$(MAKE) -C selftests clean
	rm -rf $(BUILD)

bench-idle-tax: all selftests
	bash bench/idle-tax $(IDLE_TAX_ARGS)
