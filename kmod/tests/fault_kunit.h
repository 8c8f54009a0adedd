/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of how a fault takes a page lock (ovc_fault_lock_page()):
 * KVM's async page faults ask it not to wait (FAULT_FLAG_RETRY_NOWAIT,
 * VM_FAULT_RETRY with the mmap lock still held), and a task being killed
 * must not wait either (FAULT_FLAG_KILLABLE).  A page the test holds
 * locked itself stands for one the scanner or a copy-on-write holds: a
 * fault that waited for it here would never return, and the suite would
 * fail on its timeout.  The fatal signal is a real SIGKILL, let through
 * to the test's kernel thread with allow_signal().
 *
 * Included at the end of kmod/fault.c (as DAMON includes its tests), so
 * the static function stays static; built only with CONFIG_OVC_KUNIT_TEST.
 */
#ifndef _OVC_FAULT_KUNIT_H
#define _OVC_FAULT_KUNIT_H

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>

#include "ovc_kunit.h"

struct lock_case {
	const char *name;
	unsigned int flags;	/* the fault's */
	bool held;		/* the page is locked by someone else */
	bool killed;		/* the faulting task has SIGKILL pending */
	bool locked;		/* expected: true with the page locked */
	vm_fault_t ret;		/* expected *ret when not */
};

#define RETRY	(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT)
#define KILL	(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE)

static const struct lock_case lock_cases[] = {
	{ "free page, plain fault", 0, false, false, true, 0 },
	{ "free page, no-wait fault", RETRY, false, false, true, 0 },
	{ "free page, killable fault of a killed task", KILL, false, true,
	  true, 0 },
	{ "held page, no-wait fault: retry", RETRY, true, false, false,
	  VM_FAULT_RETRY },
	{ "held page, no-wait killable fault: retry", RETRY | KILL, true,
	  false, false, VM_FAULT_RETRY },
	{ "held page, killable fault of a killed task: back to die", KILL,
	  true, true, false, VM_FAULT_NOPAGE },
};

static void lock_case_desc(const struct lock_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lock, lock_cases, lock_case_desc);

static void fault_lock_page_test(struct kunit *test)
{
	const struct lock_case *c = test->param_value;
	struct vm_fault vmf = { .flags = c->flags };
	vm_fault_t ret = 0;
	struct page *page;
	bool locked;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	if (c->held)
		lock_page(page);
	if (c->killed) {
		allow_signal(SIGKILL);
		send_sig(SIGKILL, current, 1);
		KUNIT_EXPECT_TRUE(test, fatal_signal_pending(current));
	}

	locked = ovc_fault_lock_page(&vmf, page, &ret);

	if (c->killed) {
		flush_signals(current);
		disallow_signal(SIGKILL);
	}
	KUNIT_EXPECT_EQ(test, locked, c->locked);
	/* Locked by someone: by the test or, if it says so, by the call. */
	KUNIT_EXPECT_EQ(test, PageLocked(page), c->held || locked);
	if (!locked)
		KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (c->held || locked)
		unlock_page(page);
	__free_page(page);
}

#undef RETRY
#undef KILL

static struct kunit_case fault_test_cases[] = {
	KUNIT_CASE_PARAM(fault_lock_page_test, lock_gen_params),
	{}
};

static struct kunit_suite fault_test_suite = {
	.name		= "ovc_fault",
	.suite_init	= ovc_kunit_suite_init,
	.exit		= ovc_kunit_exit,
	.test_cases	= fault_test_cases,
};
kunit_test_suite(fault_test_suite);

#endif /* _OVC_FAULT_KUNIT_H */
