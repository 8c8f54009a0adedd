/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by ovc's KUnit suites (kmod/tests/..._kunit.h), which run under
 * UML through kmod/tests/run-kunit.sh with KASAN and lockdep enabled.
 */
#ifndef _OVC_KUNIT_H
#define _OVC_KUNIT_H

#include <kunit/test.h>
#include <linux/debug_locks.h>

/*
 * A lockdep report never fails a test by itself: it only turns debug_locks
 * off for good (so does any report that taints the kernel, e.g. KASAN's).
 * Use these as the suite's .suite_init and .exit hooks: the test case after
 * which debug_locks went off fails, once; later ones cannot be checked.
 */
static bool ovc_kunit_locks_on;

static inline int ovc_kunit_suite_init(struct kunit_suite *suite)
{
	ovc_kunit_locks_on = debug_locks;
	return 0;
}

static inline void ovc_kunit_exit(struct kunit *test)
{
	if (!ovc_kunit_locks_on || debug_locks)
		return;
	ovc_kunit_locks_on = false;
	KUNIT_FAIL(test, "debug_locks went off in this test: lockdep (or KASAN) reported a problem, see the kernel log");
}

#endif /* _OVC_KUNIT_H */
