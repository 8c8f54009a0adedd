// SPDX-License-Identifier: GPL-2.0
/*
 * metrics - the module's sysfs numbers as OpenMetrics text.
 *
 * Two tables, one line per sysfs file: the global files at the root,
 * and the per-VM files of vms/<id>/, whose samples carry the labels
 * vm="<id>" and name="<file name>".  Every name gets the ovc_ prefix; a
 * counter's sample gets the _total suffix.  All samples of one metric
 * are printed together, as OpenMetrics wants a family in one piece.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libovc.h"
#include "metrics.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum metric_type { GAUGE, COUNTER };

/* Help texts: plain words (no backslash or quote), valid in both formats. */
static const struct metric {
	const char *file;	/* sysfs file */
	const char *name;	/* metric name, after ovc_ */
	enum metric_type type;
	const char *help;
	const char *unit;	/* OpenMetrics # UNIT, for a name ending in _<unit> */
} global_metrics[] = {
	{ "pages_resident",	"resident_pages",	GAUGE,	"Guest memory pages the module holds", NULL },
	{ "nr_vms",		"vms",			GAUGE,	"VMs (files on ovcfs)", NULL },
	{ "balloon_pages",	"balloon_pages",	GAUGE,	"Pages released by the guests' balloons", NULL },
	{ "pages_shared",	"shared_frames",	GAUGE,	"Shared frames in use", NULL },
	{ "pages_sharing",	"sharing_pages",	GAUGE,	"Pages saved by sharing", NULL },
	{ "pages_zero",		"zero_pages",		GAUGE,	"Guest pages on the zero frame", NULL },
	{ "pages_unshared",	"unshared_pages",	GAUGE,	"Scanned pages with no match yet", NULL },
	{ "pages_volatile",	"volatile_pages",	GAUGE,	"Pages changed since their previous scan, last full scan", NULL },
	{ "pages_scanned",	"scanned_pages",	COUNTER, "Private pages the scanner looked at", NULL },
	{ "full_scans",		"full_scans",		COUNTER, "Scanner rounds over all VMs", NULL },
	{ "cow_breaks",		"cow_breaks",		COUNTER, "Copy-on-write breaks of shared pages", NULL },
	{ "merges",		"merges",		COUNTER, "Guest pages the scanner merged into a shared or the zero frame", NULL },
	{ "hint_stale",		"hint_stale",		COUNTER, "Hints found no longer matching their page", NULL },
	{ "pages_pinned",	"pinned_skips",		COUNTER, "Merges skipped because the page was pinned or in use", NULL },
	{ "chain_capped",	"chain_capped",		COUNTER, "Times a share table bucket chain was full", NULL },
	{ "run",		"scanner_run",		GAUGE,	"Scanner setting: 0 stopped, 1 running, 2 unmerging", NULL },
	{ "policy_run",		"policy_run",		GAUGE,	"1 if the memory policy writes balloon targets", NULL },
	{ "host_budget_pages",	"host_budget_pages",	GAUGE,	"Effective memory budget of the VMs, pages", NULL },
	{ "host_reserve_pages",	"host_reserve_pages",	GAUGE,	"Memory kept for the host, pages", NULL },
	{ "free_pages",		"free_pages",		GAUGE,	"Free memory the state is computed from, pages", NULL },
	{ "low_waits",		"low_waits",		COUNTER, "Faults that waited in the low state", NULL },
	{ "rebalances",		"rebalances",		COUNTER, "Rebalances of the VMs' targets", NULL },
	{ "compressed_pages",	"compressed_pages",	GAUGE,	"Guest pages held in the compressed cache", NULL },
	{ "compressed_bytes",	"compressed_bytes",	GAUGE,	"Compressed size of those pages, without allocator overhead", "bytes" },
	{ "compressed_pool_pages", "compressed_pool_pages", GAUGE, "Pages the compressed cache's pool uses, overhead included", NULL },
	{ "swap_outs",		"swap_outs",		COUNTER, "Guest pages stored in the compressed cache or the swap store", NULL },
	{ "swap_ins",		"swap_ins",		COUNTER, "Guest pages read back from the compressed cache or the swap store", NULL },
	{ "compress_rejects",	"compress_rejects",	COUNTER, "Pages that did not compress to half a page", NULL },
	{ "compressed_written_back", "compressed_written_back", COUNTER, "Compressed pages moved to the swap store when the cache was full", NULL },
	{ "swap_ins_readahead",	"swap_ins_readahead",	COUNTER, "Of swap_ins, pages read ahead of a fault from the swap store", NULL },
	{ "swap_readahead",	"swap_readahead",	GAUGE,	"The most pages a swap-in reads after the faulting one", NULL },
	{ "store_errors",	"store_errors",		COUNTER, "Stores refused, the cache or swap store full, an allocation or a write failed", NULL },
	{ "swap_slots",		"swap_slots",		GAUGE,	"Pages the swap store can hold, 0 without one", NULL },
	{ "swapped_pages",	"swapped_pages",	GAUGE,	"Guest pages in the swap store", NULL },
}, vm_metrics[] = {
	{ "size_pages",		"vm_size_pages",	GAUGE,	"Guest memory size, pages", NULL },
	{ "resident_pages",	"vm_resident_pages",	GAUGE,	"Guest memory pages the module holds for the VM", NULL },
	{ "shared_pages",	"vm_shared_pages",	GAUGE,	"Guest pages on a shared frame", NULL },
	{ "zero_pages",		"vm_zero_pages",	GAUGE,	"Guest pages on the zero frame", NULL },
	{ "saved_pages",	"vm_saved_pages",	GAUGE,	"Pages the VM would hold privately without sharing", NULL },
	{ "cow_breaks",		"vm_cow_breaks",	COUNTER, "Copy-on-write breaks in the VM", NULL },
	{ "merges",		"vm_merges",		COUNTER, "Guest pages of the VM the scanner merged", NULL },
	{ "faults",		"vm_faults",		COUNTER, "Page faults that mapped a page of the VM", NULL },
	{ "balloon_pages",	"vm_balloon_pages",	GAUGE,	"Pages the guest's balloon released to the host", NULL },
	{ "balloon_target_pages", "vm_balloon_target_pages", GAUGE, "Balloon size the host asks for, pages", NULL },
	{ "balloon_actual_pages", "vm_balloon_actual_pages", GAUGE, "Balloon size QEMU last reported, pages", NULL },
	{ "guest_free_pages",	"vm_guest_free_pages",	GAUGE,	"Free memory the guest last reported, pages", NULL },
	{ "guest_total_pages",	"vm_guest_total_pages",	GAUGE,	"Total memory the guest last reported, pages", NULL },
	{ "swapped_pages",	"vm_swapped_pages",	GAUGE,	"Guest pages of the VM in the swap store", NULL },
	{ "active_permille",	"vm_active_permille",	GAUGE,	"Estimated active part of the VM's memory, per mille", NULL },
	{ "active_pages",	"vm_active_pages",	GAUGE,	"Estimated active pages of the VM", NULL },
	{ "sample_periods",	"vm_sample_periods",	COUNTER, "Idle sampling periods ended for the VM", NULL },
	{ "shares",		"vm_shares",		GAUGE,	"The VM's shares for the memory policy", NULL },
	{ "min_pages",		"vm_min_pages",		GAUGE,	"The policy's reservation for the VM, pages", NULL },
	{ "max_pages",		"vm_max_pages",		GAUGE,	"The most memory the policy gives the VM, pages", NULL },
	{ "target_pages",	"vm_target_pages",	GAUGE,	"The policy's allocation target for the VM, pages", NULL },
	{ "compressed_pages",	"vm_compressed_pages",	GAUGE,	"Guest pages of the VM held in the compressed cache", NULL },
	{ "compressed_bytes",	"vm_compressed_bytes",	GAUGE,	"Compressed size of those pages, without allocator overhead", "bytes" },
	{ "swap_outs",		"vm_swap_outs",		COUNTER, "Guest pages of the VM stored in the compressed cache", NULL },
	{ "swap_ins",		"vm_swap_ins",		COUNTER, "Guest pages of the VM read back from the compressed cache or the swap store", NULL },
	{ "store_errors",	"vm_store_errors",	COUNTER, "Stores of the VM's pages refused, the cache full or an allocation failed", NULL },
};

/* The memory states, as the state file names them. */
static const char *const states[] = { "high", "soft", "hard", "low" };

/* One VM being written: its directory and its labels. */
struct vm_labels {
	int dir;
	char *labels;		/* vm="<id>",name="<escaped>" */
};

void ovc_metrics_escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" :
				  *s == '\n' ? "\\n" : NULL;

		if (esc && n + 2 >= len)
			break;
		if (esc) {
			buf[n++] = esc[0];
			buf[n++] = esc[1];
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
}

/* # TYPE and # HELP of @m: OpenMetrics names the family without _total. */
static void write_family(FILE *out, const struct metric *m, unsigned int flags)
{
	const char *type = m->type == COUNTER ? "counter" : "gauge";
	const char *suffix = m->type == COUNTER && (flags & OVC_METRICS_PROMETHEUS) ?
			     "_total" : "";

	fprintf(out, "# TYPE ovc_%s%s %s\n", m->name, suffix, type);
	fprintf(out, "# HELP ovc_%s%s %s.\n", m->name, suffix, m->help);
	if (m->unit && !(flags & OVC_METRICS_PROMETHEUS))
		fprintf(out, "# UNIT ovc_%s %s\n", m->name, m->unit);
}

static void write_sample(FILE *out, const struct metric *m, const char *labels,
			 uint64_t v)
{
	fprintf(out, "ovc_%s%s%s%s%s %" PRIu64 "\n", m->name,
		m->type == COUNTER ? "_total" : "", labels ? "{" : "",
		labels ? labels : "", labels ? "}" : "", v);
}

/* Read @file in @dir: 1 if read, 0 if missing, -1 (warned) on error. */
static int read_metric(int dir, const char *file, uint64_t *v, int *failed)
{
	if (!ovc_read_u64(dir, file, v))
		return 1;
	if (errno == ENOENT)
		return 0;
	*failed = errno;
	return -1;
}

static void write_globals(FILE *out, int root, unsigned int flags, int *failed)
{
	static const struct metric state = {
		"state", "state", GAUGE, "1 for the memory state the host is in", NULL
	};
	static const struct metric page_size = {
		NULL, "page_size_bytes", GAUGE, "Page size, the unit of the _pages metrics", "bytes"
	};
	char buf[16];
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(global_metrics); i++) {
		if (read_metric(root, global_metrics[i].file, &v, failed) <= 0)
			continue;
		write_family(out, &global_metrics[i], flags);
		write_sample(out, &global_metrics[i], NULL, v);
	}
	if (!ovc_read_str(root, "state", buf, sizeof(buf))) {
		write_family(out, &state, flags);
		for (i = 0; i < ARRAY_SIZE(states); i++)
			fprintf(out, "ovc_state{state=\"%s\"} %d\n", states[i],
				!strcmp(buf, states[i]));
	} else if (errno != ENOENT) {
		*failed = errno;
	}
	write_family(out, &page_size, flags);
	write_sample(out, &page_size, NULL, sysconf(_SC_PAGESIZE));
}

/* Open vms/<id>/ of each VM and make its labels; *@nr: how many are left. */
static struct vm_labels *open_vms(int root, size_t *nr, int *failed)
{
	struct vm_labels *vms;
	uint64_t *ids;
	char name[4096], esc[2 * sizeof(name)];
	size_t i, n = 0;

	if (ovc_list_vms(root, &ids, nr))
		return NULL;
	vms = calloc(*nr ? *nr : 1, sizeof(*vms));
	if (!vms) {
		free(ids);
		return NULL;
	}
	for (i = 0; i < *nr; i++) {
		int dir = ovc_open_vm_dir(root, ids[i]);

		if (dir < 0) {
			if (errno != ENOENT)
				*failed = errno;
			continue;	/* gone since listed */
		}
		if (ovc_read_str(dir, "name", name, sizeof(name)))
			*name = '\0';
		ovc_metrics_escape(name, esc, sizeof(esc));
		if (asprintf(&vms[n].labels, "vm=\"%" PRIu64 "\",name=\"%s\"", ids[i], esc) < 0) {
			close(dir);
			*failed = ENOMEM;
			continue;
		}
		vms[n++].dir = dir;
	}
	free(ids);
	*nr = n;
	return vms;
}

static void write_vms(FILE *out, struct vm_labels *vms, size_t nr, unsigned int flags,
		      int *failed)
{
	uint64_t *val = calloc(nr ? nr : 1, sizeof(*val));
	char *have = calloc(nr ? nr : 1, 1);
	size_t i, j, any;

	if (!val || !have) {
		*failed = ENOMEM;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(vm_metrics); i++) {
		for (j = 0, any = 0; j < nr; j++) {
			have[j] = read_metric(vms[j].dir, vm_metrics[i].file, &val[j], failed) > 0;
			any += have[j];
		}
		if (!any)
			continue;	/* a module without this file */
		write_family(out, &vm_metrics[i], flags);
		for (j = 0; j < nr; j++)
			if (have[j])
				write_sample(out, &vm_metrics[i], vms[j].labels, val[j]);
	}
out:
	free(val);
	free(have);
}

int ovc_metrics_write(FILE *out, int root, unsigned int flags)
{
	struct vm_labels *vms;
	int failed = 0;
	size_t i, nr;

	write_globals(out, root, flags, &failed);
	vms = open_vms(root, &nr, &failed);
	if (vms)
		write_vms(out, vms, nr, flags, &failed);
	else
		failed = errno;
	for (i = 0; vms && i < nr; i++) {
		close(vms[i].dir);
		free(vms[i].labels);
	}
	free(vms);
	if (!(flags & OVC_METRICS_PROMETHEUS))
		fputs("# EOF\n", out);
	errno = failed;
	return failed ? -1 : 0;
}
