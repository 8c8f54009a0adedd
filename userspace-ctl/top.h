/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top - the pure parts of ovcctl top: rates between two samples, the
 * option values and CSV fields.  No sysfs, no terminal: the unit test
 * tests/top-test.c calls them directly.
 */
#ifndef OVC_TOP_H
#define OVC_TOP_H

#include <stdint.h>
#include <stdio.h>

#define OVC_TOP_INTERVAL_MAX	3600.0	/* -d's largest value, seconds */

/*
 * The per-second rate of a counter that read @before, then @after
 * @seconds later, into *@rate.  -1 if there is none: no time passed, or
 * the counter went backwards (the module was reloaded).
 */
int ovc_rate(uint64_t before, uint64_t after, double seconds, double *rate);

/*
 * Merges per second, for a module without a merge counter: the growth
 * of the pages on shared or zero frames (@saved_*: shared_pages +
 * zero_pages) plus the pages that left them by copy-on-write (@cow_*:
 * cow_breaks), at least 0.  Pages unmerged or freed by ballooning or
 * truncation in the interval make it lower than the merges done.  -1 as
 * for ovc_rate() (the cow_breaks counter).
 */
int ovc_merge_rate(uint64_t saved_before, uint64_t saved_after, uint64_t cow_before,
		   uint64_t cow_after, double seconds, double *rate);

/*
 * -d SECONDS: a decimal number of seconds (digits, at most one '.'),
 * more than 0 and at most OVC_TOP_INTERVAL_MAX.  0, or -1 with errno
 * EINVAL (not such a number) or ERANGE (out of range).
 */
int ovc_parse_interval(const char *s, double *seconds);

/* -n COUNT: decimal, 1 to UINT32_MAX.  0, or -1 with errno EINVAL or ERANGE. */
int ovc_parse_count(const char *s, uint32_t *count);

/*
 * Write @s to @f as one CSV field (RFC 4180): quoted, with its quotes
 * doubled, if it holds a comma, a double quote, CR or LF; else as is.
 */
void ovc_csv_field(FILE *f, const char *s);

#endif /* OVC_TOP_H */
