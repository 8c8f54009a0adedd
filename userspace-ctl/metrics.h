/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics - the module's sysfs numbers as OpenMetrics text, for
 * ovcctl metrics (and node_exporter's textfile collector).
 */
#ifndef OVC_METRICS_H
#define OVC_METRICS_H

#include <stdio.h>

/* Flags of ovc_metrics_write(). */
enum {
	/*
	 * The Prometheus text format 0.0.4 instead, which node_exporter's
	 * textfile collector parses: a counter's TYPE and HELP lines name
	 * its _total series, and there is no "# EOF".
	 */
	OVC_METRICS_PROMETHEUS = 1 << 0,
};

/*
 * Write the global and per-VM metrics read from the sysfs root @root to
 * @out.  A file the module lacks is left out; a VM that goes away while
 * it is read loses its samples.  0, or -1/errno if the VMs cannot be
 * listed or a file cannot be read (the output is then incomplete, but
 * still ends with "# EOF").
 */
int ovc_metrics_write(FILE *out, int root, unsigned int flags);

/*
 * @s as an OpenMetrics label value, without the quotes: backslash,
 * double quote and newline escaped, into @buf (truncated to @len).
 */
void ovc_metrics_escape(const char *s, char *buf, size_t len);

#endif /* OVC_METRICS_H */
