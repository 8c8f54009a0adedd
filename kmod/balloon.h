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
bool ovc_balloon_inflating(struct ovc_vm *vm);

/* A balloon that grew within this long, and is short of its target, inflates. */
#define OVC_BALLOON_GREW_MS	10000

#endif /* _OVC_BALLOON_H */
