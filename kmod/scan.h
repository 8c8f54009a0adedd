/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc_scand, the page-sharing scanner (scan.c): its knobs and statistics
 * (sysfs.c shows them), sharing domains, start and stop.
 */
#ifndef _OVC_SCAN_H
#define _OVC_SCAN_H

#include <linux/mutex.h>
#include <linux/types.h>

struct ovc_vm;

enum {
	OVC_SCAN_STOP,
	OVC_SCAN_RUN,
	OVC_SCAN_UNMERGE,
};

#define OVC_PAGES_TO_SCAN_MAX	100000
#define OVC_SLEEP_MS_MAX	60000

/**
 * struct ovc_scan_knobs - set through sysfs, read with READ_ONCE
 * @run:		OVC_SCAN_STOP (default), OVC_SCAN_RUN, OVC_SCAN_UNMERGE
 * @pages_to_scan:	private pages per pass, 1..OVC_PAGES_TO_SCAN_MAX
 * @sleep_millisecs:	pause between passes, 0..OVC_SLEEP_MS_MAX
 * @zero_only:		share zero pages only
 */
struct ovc_scan_knobs {
	unsigned int run;
	unsigned int pages_to_scan;
	unsigned int sleep_millisecs;
	unsigned int zero_only;
};

/**
 * struct ovc_scan_stats - written by ovc_scand only, read with READ_ONCE
 * @pages_scanned:	private pages looked at, ever
 * @full_scans:		rounds over all VMs
 * @pages_volatile:	pages found changed since their previous scan,
 *			in the last full round
 * @hint_stale:		hints found no longer matching their page
 * @pinned:		merges skipped because the page was pinned or in use
 */
struct ovc_scan_stats {
	unsigned long pages_scanned;
	unsigned long full_scans;
	unsigned long pages_volatile;
	unsigned long hint_stale;
	unsigned long pinned;
};

extern struct ovc_scan_knobs ovc_scan_knobs;
extern struct ovc_scan_stats ovc_scan_stats;

extern struct mutex ovc_scan_mutex;

int ovc_scan_init(void);
void ovc_scan_exit(void);
void ovc_scan_wake(void);
int ovc_scan_set_run(unsigned int run);
int ovc_scan_set_zero_only(unsigned int on);
int ovc_scan_set_domain(struct ovc_vm *vm, u32 domain);

#endif /* _OVC_SCAN_H */
