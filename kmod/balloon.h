/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc balloon (balloon.c): a VM's balloon target and ovcd's guest reports.
 */
#ifndef _OVC_BALLOON_H
#define _OVC_BALLOON_H

#include <linux/types.h>

struct ovc_vm;
struct ovc_guest_report;

int ovc_balloon_set_target(struct ovc_vm *vm, u64 pages);
int ovc_balloon_guest_report(struct ovc_vm *vm, const struct ovc_guest_report *r);

#endif /* _OVC_BALLOON_H */
