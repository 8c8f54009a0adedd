# SPDX-License-Identifier: GPL-2.0
#
# ovc top-level Makefile.
#
#   make            build ovc.ko (against KDIR) and the userspace tools
#   make check      the project's test command: KUnit (UML) + selftests in a test VM
#   make kunit      only the KUnit suites, under UML
#   make vm-test    only the selftests, inside the test VM
#   make debug-test the selftests in the test VM on a debug kernel (KASAN, lockdep,
#                   DEBUG_VM, KFENCE, fault injection; built once into OVC_CACHE)
#   make demo       boot the test VM, run two nested guests on ovcfs, show ovcctl status
#   make bench      bench/ksm-compare, bench/balloon, bench/idle-tax, bench/reclaim
#                   (BENCH_ARGS for the first, RECLAIM_ARGS for the last)
#   make deps       install what the above need (Debian 12, apt-get)
#   make install    ovc.ko to /lib/modules/KVER/updates (depmod), the tools, man
#                   pages, units (run-ovc.mount, ovcd.service) under PREFIX
#                   (/usr/local), modules-load.d/ovc.conf, /etc/ovc/ovcd.conf
#                   if none; DESTDIR=DIR stages it all (no depmod then)
#   make uninstall  removes what install put (ovcd.conf only if unedited), the
#                   module for whichever kernel install put it for
#   make dkms-src   the module's sources and dkms.conf to /usr/src/ovc-VERSION
#
# KDIR defaults to the build dir of the newest Debian kernel installed in
# /lib/modules (the one the test VM boots), not the running kernel: the
# build machines' own kernel ships no headers.

KVER	?= $(shell ls /lib/modules 2>/dev/null | grep -E -- '-amd64$$' | sort -V | tail -n1)
KDIR	?= /lib/modules/$(KVER)/build
OVC_CACHE ?= $(HOME)/.cache/ovc
BUILD	:= $(CURDIR)/build
VERSION	:= $(shell cat $(CURDIR)/VERSION)
PREFIX	?= /usr/local
MODLOADDIR ?= /etc/modules-load.d
DKMSDIR	:= /usr/src/ovc-$(VERSION)
# What the module's build needs (Kbuild's include paths: uapi/, kmod/).
DKMS_FILES := Kbuild $(wildcard kmod/*.c kmod/*.h) uapi/linux/ovc.h

export KVER KDIR OVC_CACHE BUILD

.PHONY: all module userspace selftests clean deps kunit vm-test debug-test check demo checkpatch \
	bench bench-ksm bench-balloon bench-idle-tax bench-reclaim install uninstall dkms-src

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace-ctl

selftests:
	$(MAKE) -C selftests

deps:
	bash selftests/vm/install-deps.sh

# depmod only for the running system's tree: a DESTDIR is someone's staging
# area (a package's), whose depmod runs where it is installed.
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		DEPMOD=true modules_install
	install -d $(DESTDIR)$(MODLOADDIR)
	echo ovc >$(DESTDIR)$(MODLOADDIR)/ovc.conf
	$(MAKE) -C userspace-ctl install PREFIX=$(PREFIX)
	$(if $(DESTDIR),,depmod -a $(KVER))

# install put ovc.ko in updates/ of the KVER of that day, which need not be
# today's default (a newer kernel installed since): every kernel's
# updates/ovc.ko goes, whatever KVER says (DKMS's is updates/dkms/ovc.ko), and
# depmod runs for each of those kernels.
INSTALLED_KVERS = $(patsubst $(DESTDIR)/lib/modules/%/updates/ovc.ko,%,\
		  $(wildcard $(DESTDIR)/lib/modules/*/updates/ovc.ko))

uninstall:
	for k in $(INSTALLED_KVERS); do \
		rm -f $(DESTDIR)/lib/modules/$$k/updates/ovc.ko && \
		rmdir --ignore-fail-on-non-empty $(DESTDIR)/lib/modules/$$k/updates && \
		$(if $(DESTDIR),:,depmod -a $$k) || exit 1; \
	done
	rm -f $(DESTDIR)$(MODLOADDIR)/ovc.conf
	$(MAKE) -C userspace-ctl uninstall PREFIX=$(PREFIX)

dkms-src:
	install -d $(DESTDIR)$(DKMSDIR)
	tar --owner=0 --group=0 -cf - $(DKMS_FILES) | tar -xf - -C $(DESTDIR)$(DKMSDIR)
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DESTDIR)$(DKMSDIR)/dkms.conf

kunit:
	bash kmod/tests/run-kunit.sh

vm-test: all selftests
	bash selftests/vm/run-tests.sh

debug-test: all selftests
	bash selftests/vm/debug-test.sh

check:
	bash selftests/check.sh

demo: all
	$(MAKE) -C selftests $(BUILD)/vm/kvm-hold
	bash selftests/vm/demo.sh

bench: bench-ksm bench-balloon bench-idle-tax bench-reclaim

bench-ksm: all
	bash bench/ksm-compare $(BENCH_ARGS)

bench-balloon: all
	bash bench/balloon

bench-reclaim: all
	bash bench/reclaim $(RECLAIM_ARGS)

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
