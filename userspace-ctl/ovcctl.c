// SPDX-License-Identifier: GPL-2.0
/*
 * ovcctl - show what the ovc module holds of KVM guest memory.
 *
 * Commands sit in one dispatch table; output columns in one column
 * table that drives the header, -o/--output and --help, as util-linux's
 * zramctl and lsmem do.  Tables are printed by libsmartcols, also in
 * JSON; json-c only wraps that JSON with the summary numbers so that
 * --json prints a single object.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <libsmartcols.h>

#include "libovc.h"
#include "metrics.h"
#include "top.h"

#ifndef OVCCTL_VERSION
#define OVCCTL_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum { COL_ID, COL_NAME, COL_UID, COL_USER, COL_PID, COL_COMMAND,
       COL_SIZE, COL_RESIDENT, COL_TARGET, COL_ACTUAL, COL_BALLOONED,
       COL_GUEST_FREE, COL_SHARED, COL_ZERO, COL_COW, COL_SHARE_GROUP,
       COL_ACTIVE, COL_SHARES, COL_ALLOC, COL_MIN, COL_MAX,
       COL_MCTL, COL_SWAP, COL_MERGE_RATE, COL_COW_RATE, COL_FAULT_RATE,
       COL_ZIP, COL_ZIP_BYTES, COL_SWAP_OUTS, COL_SWAP_INS, COL_STORE_ERRORS,
       COL_SWPIN_RATE, COL_SWCUR };

/* Exit status of set and tune for a value refused before anything is written. */
#define EXIT_BADVALUE 2

static const struct colinfo {
	const char *name;
	double whint;
	int flags;
	int json_type;
	const char *help;
} infos[] = {
	[COL_ID]       = { "ID",       3, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "VM id (directory name under vms/)" },
	[COL_NAME]     = { "NAME",   0.3, 0,              SCOLS_JSON_STRING, "file path inside ovcfs (or FILE for info)" },
	[COL_UID]      = { "UID",      5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "owner user id" },
	[COL_USER]     = { "USER",     8, 0,              SCOLS_JSON_STRING, "owner user name" },
	[COL_PID]      = { "PID",      6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "last process that mapped the VM, 0 if none" },
	[COL_COMMAND]  = { "COMMAND", 10, 0,              SCOLS_JSON_STRING, "command name of PID" },
	[COL_SIZE]     = { "SIZE",     5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory size" },
	[COL_RESIDENT] = { "RESIDENT", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory the module holds" },
	[COL_TARGET]   = { "TARGET",   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "balloon size the host asks for" },
	[COL_ACTUAL]   = { "ACTUAL",   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "balloon size QEMU last reported (via ovcd)" },
	[COL_BALLOONED] = { "BALLOONED", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory released to the host (hole punching)" },
	[COL_GUEST_FREE] = { "GUEST-FREE", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "free memory the guest last reported (via ovcd)" },
	[COL_SHARED]   = { "SHARED",   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory backed by shared frames" },
	[COL_ZERO]     = { "ZERO",     5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory backed by the zero frame" },
	[COL_COW]      = { "COW",      4, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "copy-on-write breaks" },
	[COL_SHARE_GROUP] = { "SHARE-GROUP", 5, SCOLS_FL_RIGHT, SCOLS_JSON_STRING, "sharing domain: own, or the group whose VMs share pages" },
	[COL_ACTIVE]   = { "ACTIVE%",  6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "estimated active part of the VM's memory (idle sampling)" },
	[COL_SHARES]   = { "SHARES",   6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "the VM's shares for the memory policy" },
	[COL_ALLOC]    = { "ALLOC",    5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "the policy's allocation target (target_pages)" },
	[COL_MIN]      = { "MIN",      5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "the policy's reservation for the VM" },
	[COL_MAX]      = { "MAX",      5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "the most memory the policy gives the VM" },
	[COL_MCTL]     = { "MCTL",     5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "BALLOONED, as esxtop calls it" },
	[COL_SWAP]     = { "SWAP",     5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory in the module's swap store (swapped_pages)" },
	[COL_MERGE_RATE] = { "MERGE/s", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "top: pages merged per second (the merges counter; estimated on a module without it)" },
	[COL_COW_RATE] = { "COW/s",    6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "top: copy-on-write breaks per second" },
	[COL_FAULT_RATE] = { "FAULT/s", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "top: page faults per second that mapped a page of the VM" },
	[COL_ZIP]      = { "ZIP",      5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "guest memory held in the compressed cache (esxtop's ZIP)" },
	[COL_ZIP_BYTES] = { "ZIP-BYTES", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "what ZIP takes compressed (without allocator overhead)" },
	[COL_SWAP_OUTS] = { "SWAP-OUTS", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "pages stored in the compressed cache or the swap store so far" },
	[COL_SWAP_INS] = { "SWAP-INS", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "pages read back from the compressed cache or the swap store so far" },
	[COL_STORE_ERRORS] = { "STORE-ERRORS", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "stores refused (cache or swap store full, no memory, I/O error) so far" },
	[COL_SWPIN_RATE] = { "SWPIN/s", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "top: pages read back from the compressed cache or the swap store per second (swap_ins)" },
	[COL_SWCUR]    = { "SWCUR",    5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "SWAP, as esxtop calls it (top)" },
};

static const int default_columns[] = {
	COL_ID, COL_NAME, COL_UID, COL_PID, COL_SIZE, COL_RESIDENT,
	COL_ACTIVE, COL_SHARES, COL_ALLOC, COL_TARGET, COL_ACTUAL, COL_BALLOONED, COL_GUEST_FREE, COL_SHARED,
	COL_ZERO, COL_ZIP, COL_SWAP, COL_SHARE_GROUP,
};

struct ctl {
	int columns[ARRAY_SIZE(infos) * 2];
	size_t ncolumns;
	unsigned int json:1, raw:1, noheadings:1, bytes:1;
	unsigned int dashes:1;	/* "-" for every value the module did not tell (top) */
};

/* A number printed above the table, or as a key of the JSON object. */
struct summary {
	const char *key;	/* JSON key, NULL: text only */
	const char *label;	/* text label, NULL: JSON only */
	uint64_t value;
	int pages;		/* value counts pages: also print its size */
	const char *str;	/* not NULL: the value is this string instead */
	int bytes;		/* value counts bytes: "bytes", and the size */
	int json_null;		/* with str: null in JSON (str is for the text) */
};

struct command {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
	const char *args;
	const char *help;
	int own_options;	/* run() parses the options after the command */
};

/* What ovcctl top computed for one VM between two samples; < 0: none. */
struct vm_rates {
	double merge, cow, fault, swap_in;
};

static long page_size;

static void __attribute__((noreturn)) errtryhelp(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	exit(EXIT_FAILURE);
}

static void __attribute__((noreturn)) usage(void);

/* The sysfs root as a directory fd, or exit: "not loaded" if it is missing. */
static int open_root(void)
{
	int root = ovc_open_root();

	if (root < 0 && errno == ENOENT)
		errx(EXIT_FAILURE, "ovc module not loaded (no %s)", ovc_sysfs_root());
	if (root < 0)
		err(EXIT_FAILURE, "cannot open %s", ovc_sysfs_root());
	return root;
}

static int column_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(infos); i++)
		if (strlen(infos[i].name) == len &&
		    !strncasecmp(infos[i].name, name, len))
			return i;
	/* SWAP's name before the swap store: -o SWAPPED still works */
	if (len == strlen("SWAPPED") && !strncasecmp(name, "SWAPPED", len))
		return COL_SWAP;
	return -1;
}

/* Parse -o LIST; a leading '+' appends to the default columns. */
static void parse_columns(struct ctl *ctl, const char *list)
{
	const char *p, *end;
	int id;

	ctl->ncolumns = 0;
	if (*list == '+') {
		memcpy(ctl->columns, default_columns, sizeof(default_columns));
		ctl->ncolumns = ARRAY_SIZE(default_columns);
		list++;
	}
	for (p = list; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ',');
		id = column_by_name(p, end - p);
		if (id < 0)
			errx(EXIT_FAILURE, "unknown column: %.*s", (int)(end - p), p);
		if (ctl->ncolumns == ARRAY_SIZE(ctl->columns))
			errx(EXIT_FAILURE, "too many columns in: %s", list);
		ctl->columns[ctl->ncolumns++] = id;
	}
	if (!ctl->ncolumns)
		errx(EXIT_FAILURE, "no columns in --output");
}

/* "4GiB", "1.5GiB", "512MiB": binary units, one decimal when needed. */
static void size_to_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = bytes;
	size_t u = 0;

	while (v >= 1024 && u < ARRAY_SIZE(units) - 1) {
		v /= 1024;
		u++;
	}
	if (v - (uint64_t)v < 0.05 || v >= 1000)
		snprintf(buf, len, "%.0f%s", v, units[u]);
	else
		snprintf(buf, len, "%.1f%s", v, units[u]);
}

static void format_bytes(const struct ctl *ctl, uint64_t bytes, char *buf, size_t len)
{
	if (ctl->bytes)
		snprintf(buf, len, "%" PRIu64, bytes);
	else
		size_to_human(bytes, buf, len);
}

static void format_pages(const struct ctl *ctl, uint64_t pages, char *buf, size_t len)
{
	format_bytes(ctl, pages * (uint64_t)page_size, buf, len);
}

static void read_comm(uint64_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	*buf = '\0';
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/comm", pid);
	f = pid ? fopen(path, "re") : NULL;
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void format_rate(const struct vm_rates *r, double v, char *buf, size_t len)
{
	if (r && v >= 0)
		snprintf(buf, len, "%.1f", v);
}

/* Format one cell; an empty cell means the module did not tell. */
static void format_cell(const struct ctl *ctl, const struct ovc_vm_stat *vm,
			const struct vm_rates *r, int col, char *buf, size_t len)
{
	struct passwd *pw;

	*buf = '\0';
	switch (col) {
	case COL_ID:
		snprintf(buf, len, "%" PRIu64, vm->id);
		break;
	case COL_NAME:
		if (vm->known & OVC_VM_NAME)
			snprintf(buf, len, "%s", vm->name);
		break;
	case COL_UID:
		if (vm->known & OVC_VM_UID)
			snprintf(buf, len, "%" PRIu64, vm->owner_uid);
		break;
	case COL_USER:
		if (!(vm->known & OVC_VM_UID))
			break;
		pw = getpwuid(vm->owner_uid);
		if (pw)
			snprintf(buf, len, "%s", pw->pw_name);
		else
			snprintf(buf, len, "%" PRIu64, vm->owner_uid);
		break;
	case COL_PID:
		if (vm->known & OVC_VM_PID)
			snprintf(buf, len, "%" PRIu64, vm->owner_pid);
		break;
	case COL_COMMAND:
		if (vm->known & OVC_VM_PID)
			read_comm(vm->owner_pid, buf, len);
		break;
	case COL_SIZE:
		if (vm->known & OVC_VM_SIZE)
			format_pages(ctl, vm->size_pages, buf, len);
		break;
	case COL_RESIDENT:
		if (vm->known & OVC_VM_RESIDENT)
			format_pages(ctl, vm->resident_pages, buf, len);
		break;
	case COL_TARGET:
		if (vm->known & OVC_VM_BALLOON_TARGET)
			format_pages(ctl, vm->balloon_target_pages, buf, len);
		break;
	case COL_ACTUAL:
		if (vm->known & OVC_VM_BALLOON_ACTUAL)
			format_pages(ctl, vm->balloon_actual_pages, buf, len);
		break;
	case COL_BALLOONED:
	case COL_MCTL:
		if (vm->known & OVC_VM_BALLOON)
			format_pages(ctl, vm->balloon_pages, buf, len);
		break;
	case COL_GUEST_FREE:
		if (vm->known & OVC_VM_GUEST_FREE)
			format_pages(ctl, vm->guest_free_pages, buf, len);
		break;
	case COL_SHARED:
		if (vm->known & OVC_VM_SHARED)
			format_pages(ctl, vm->shared_pages, buf, len);
		break;
	case COL_ZERO:
		if (vm->known & OVC_VM_ZERO)
			format_pages(ctl, vm->zero_pages, buf, len);
		break;
	case COL_COW:
		if (vm->known & OVC_VM_COW)
			snprintf(buf, len, "%" PRIu64, vm->cow_breaks);
		break;
	case COL_SHARE_GROUP:
		if (vm->known & OVC_VM_SHARE_DOMAIN)
			ovc_format_share_domain(vm->share_domain, buf, len);
		break;
	case COL_ACTIVE:
		if (vm->known & OVC_VM_ACTIVE)
			snprintf(buf, len, "%" PRIu64 ".%" PRIu64, vm->active_permille / 10,
				 vm->active_permille % 10);
		break;
	case COL_SHARES:
		if (vm->known & OVC_VM_SHARES)
			snprintf(buf, len, "%" PRIu64, vm->shares);
		break;
	case COL_ALLOC:
		if (vm->known & OVC_VM_ALLOC)
			format_pages(ctl, vm->alloc_pages, buf, len);
		break;
	case COL_MIN:
		if (vm->known & OVC_VM_MIN)
			format_pages(ctl, vm->min_pages, buf, len);
		break;
	case COL_MAX:
		if (vm->known & OVC_VM_MAX)
			format_pages(ctl, vm->max_pages, buf, len);
		break;
	case COL_SWAP:
	case COL_SWCUR:
		if (vm->known & OVC_VM_SWAPPED)
			format_pages(ctl, vm->swapped_pages, buf, len);
		break;
	case COL_MERGE_RATE:
		format_rate(r, r ? r->merge : -1, buf, len);
		break;
	case COL_COW_RATE:
		format_rate(r, r ? r->cow : -1, buf, len);
		break;
	case COL_FAULT_RATE:
		format_rate(r, r ? r->fault : -1, buf, len);
		break;
	case COL_ZIP:
		if (vm->known & OVC_VM_COMPRESSED)
			format_pages(ctl, vm->compressed_pages, buf, len);
		break;
	case COL_ZIP_BYTES:
		if (vm->known & OVC_VM_COMPRESSED_BYTES)
			format_bytes(ctl, vm->compressed_bytes, buf, len);
		break;
	case COL_SWAP_OUTS:
		if (vm->known & OVC_VM_SWAP_OUTS)
			snprintf(buf, len, "%" PRIu64, vm->swap_outs);
		break;
	case COL_SWAP_INS:
		if (vm->known & OVC_VM_SWAP_INS)
			snprintf(buf, len, "%" PRIu64, vm->swap_ins);
		break;
	case COL_STORE_ERRORS:
		if (vm->known & OVC_VM_STORE_ERRORS)
			snprintf(buf, len, "%" PRIu64, vm->store_errors);
		break;
	case COL_SWPIN_RATE:
		format_rate(r, r ? r->swap_in : -1, buf, len);
		break;
	}
	/* The policy's columns say "-" (JSON: null) on a module without them. */
	if (!*buf && (col >= COL_ACTIVE || ctl->dashes) && !ctl->json)
		snprintf(buf, len, "-");
}

static struct libscols_table *new_table(const struct ctl *ctl)
{
	struct libscols_table *tb = scols_new_table();
	struct libscols_column *cl;
	size_t i;

	if (!tb)
		err(EXIT_FAILURE, "failed to allocate output table");
	scols_table_enable_json(tb, ctl->json);
	scols_table_enable_raw(tb, ctl->raw);
	scols_table_enable_noheadings(tb, ctl->noheadings);
	scols_table_set_name(tb, "vms");
	for (i = 0; i < ctl->ncolumns; i++) {
		const struct colinfo *ci = &infos[ctl->columns[i]];

		cl = scols_table_new_column(tb, ci->name, ci->whint, ci->flags);
		if (!cl)
			err(EXIT_FAILURE, "failed to allocate output column");
		scols_column_set_json_type(cl, ci->json_type);
	}
	return tb;
}

static void add_vm_line(const struct ctl *ctl, struct libscols_table *tb,
			const struct ovc_vm_stat *vm, const struct vm_rates *r)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	char buf[4096];
	size_t i;

	if (!ln)
		err(EXIT_FAILURE, "failed to allocate output line");
	for (i = 0; i < ctl->ncolumns; i++) {
		format_cell(ctl, vm, r, ctl->columns[i], buf, sizeof(buf));
		if (*buf && scols_line_set_data(ln, i, buf))
			err(EXIT_FAILURE, "failed to add output data");
	}
}

/* One JSON object: the summary keys, then the table's "vms" array. */
static void print_json(struct libscols_table *tb, const struct summary *sum, size_t nsum)
{
	struct json_object *root, *tbl, *vms;
	char *data = NULL;
	size_t i;

	if (scols_print_table_to_string(tb, &data))
		errx(EXIT_FAILURE, "failed to format the table");
	tbl = json_tokener_parse(data);
	if (!tbl || !json_object_object_get_ex(tbl, "vms", &vms))
		errx(EXIT_FAILURE, "libsmartcols produced unexpected JSON");
	root = json_object_new_object();
	for (i = 0; i < nsum; i++)
		if (sum[i].key)
			json_object_object_add(root, sum[i].key, sum[i].json_null ? NULL :
					       sum[i].str ? json_object_new_string(sum[i].str) :
					       json_object_new_uint64(sum[i].value));
	json_object_object_add(root, "vms", json_object_get(vms));
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	json_object_put(tbl);
	free(data);
}

static void print_text(const struct ctl *ctl, struct libscols_table *tb,
		       const struct summary *sum, size_t nsum)
{
	int w = 0;
	size_t i;

	/* The summary is for people; --raw and --noheadings are for scripts. */
	for (i = 0; !ctl->raw && !ctl->noheadings && i < nsum; i++)
		if (sum[i].label && (int)strlen(sum[i].label) > w)
			w = strlen(sum[i].label);
	for (i = 0; w && i < nsum; i++) {
		if (!sum[i].label)
			continue;
		if (sum[i].str) {
			printf("%s:%*s %s\n", sum[i].label,
			       w - (int)strlen(sum[i].label), "", sum[i].str);
			continue;
		}
		printf("%s:%*s %" PRIu64, sum[i].label,
		       w - (int)strlen(sum[i].label), "", sum[i].value);
		if (sum[i].pages && ctl->bytes)
			printf(" pages (%" PRIu64 " bytes)",
			       sum[i].value * (uint64_t)page_size);
		else if (sum[i].pages)
			printf(" pages (%.1f MiB)",
			       (double)sum[i].value * page_size / (1 << 20));
		else if (sum[i].bytes && ctl->bytes)
			printf(" bytes");
		else if (sum[i].bytes)
			printf(" bytes (%.1f MiB)", (double)sum[i].value / (1 << 20));
		putchar('\n');
	}
	if (!scols_table_is_empty(tb)) {
		if (w)
			putchar('\n');
		scols_print_table(tb);
	}
}

static void print_report(const struct ctl *ctl, struct libscols_table *tb,
			 const struct summary *sum, size_t nsum)
{
	if (ctl->json)
		print_json(tb, sum, nsum);
	else
		print_text(ctl, tb, sum, nsum);
}

static int cmd_status(struct ctl *ctl, int argc, char **argv)
{
	struct libscols_table *tb;
	struct ovc_stat st;
	struct ovc_vm_stat vm;
	uint64_t *ids;
	size_t i, n;
	int root;

	if (argc > 1)
		errx(EXIT_FAILURE, "status: unexpected argument '%s'", argv[1]);
	root = open_root();
	if (ovc_read_stat(root, &st))
		err(EXIT_FAILURE, "cannot read the global numbers in %s", ovc_sysfs_root());
	if (ovc_list_vms(root, &ids, &n))
		err(EXIT_FAILURE, "cannot list %s/vms", ovc_sysfs_root());

	tb = new_table(ctl);
	for (i = 0; i < n; i++) {
		if (ovc_read_vm_stat(root, ids[i], &vm)) {
			if (errno == ENOENT)
				continue;	/* destroyed since listed */
			err(EXIT_FAILURE, "cannot read %s/vms/%" PRIu64,
			    ovc_sysfs_root(), ids[i]);
		}
		add_vm_line(ctl, tb, &vm, NULL);
		ovc_vm_stat_clear(&vm);
	}

	struct summary sum[32] = {
		{ "pages_resident", "Resident", st.pages_resident, 1, NULL, 0, 0 },
		{ "nr_vms", "VMs", st.nr_vms, 0, NULL, 0, 0 },
		{ "page_size", NULL, page_size, 0, NULL, 0, 0 },
	};
	char ratio[32];
	size_t nsum = 3;

	/* Optional numbers: shown when this module has them. */
	if (st.known & OVC_STAT_BALLOON)
		sum[nsum++] = (struct summary){ "balloon_pages", "Ballooned",
						st.balloon_pages, 1, NULL, 0, 0 };
	if (st.known & OVC_STAT_SHARING) {
		sum[nsum++] = (struct summary){ "pages_shared", "Shared frames",
						st.pages_shared, 1, NULL, 0, 0 };
		sum[nsum++] = (struct summary){ "pages_sharing", "Saved by sharing",
						st.pages_sharing, 1, NULL, 0, 0 };
		sum[nsum++] = (struct summary){ "pages_zero", "Zero pages",
						st.pages_zero, 1, NULL, 0, 0 };
		sum[nsum++] = (struct summary){ "cow_breaks", "COW breaks",
						st.cow_breaks, 0, NULL, 0, 0 };
	}
	if (st.known & OVC_STAT_STATE)
		sum[nsum++] = (struct summary){ "state", "Host state", 0, 0, st.state, 0, 0 };
	if (st.known & OVC_STAT_BUDGET)
		sum[nsum++] = (struct summary){ "host_budget_pages", "Host budget",
						st.host_budget_pages, 1, NULL, 0, 0 };
	if (st.known & OVC_STAT_FREE)
		sum[nsum++] = (struct summary){ "free_pages", "Host free",
						st.free_pages, 1, NULL, 0, 0 };
	/* The compressed cache (issue 10); its counters in JSON only. */
	if (st.known & OVC_STAT_COMPRESSED)
		sum[nsum++] = (struct summary){ "compressed_pages", "Compressed",
						st.compressed_pages, 1, NULL, 0, 0 };
	if (st.known & OVC_STAT_COMPRESSED_BYTES)
		sum[nsum++] = (struct summary){ "compressed_bytes", "Compressed bytes",
						st.compressed_bytes, 0, NULL, 1, 0 };
	if ((st.known & OVC_STAT_COMPRESSED) && (st.known & OVC_STAT_COMPRESSED_BYTES)) {
		/* as zram's: the original size over the compressed size */
		if (st.compressed_bytes)
			snprintf(ratio, sizeof(ratio), "%.2f", (double)st.compressed_pages *
				 page_size / st.compressed_bytes);
		else
			snprintf(ratio, sizeof(ratio), "-");
		sum[nsum++] = (struct summary){ NULL, "Compression ratio", 0, 0, ratio, 0, 0 };
	}
	if (st.known & OVC_STAT_POOL)
		sum[nsum++] = (struct summary){ "compressed_pool_pages", "Compressed pool",
						st.compressed_pool_pages, 1, NULL, 0, 0 };
	if (st.known & OVC_STAT_STORE_ERRORS)
		sum[nsum++] = (struct summary){ "store_errors", "Store errors",
						st.store_errors, 0, NULL, 0, 0 };
	if (st.known & OVC_STAT_SWAP_OUTS)
		sum[nsum++] = (struct summary){ "swap_outs", NULL, st.swap_outs, 0, NULL, 0, 0 };
	if (st.known & OVC_STAT_SWAP_INS)
		sum[nsum++] = (struct summary){ "swap_ins", NULL, st.swap_ins, 0, NULL, 0, 0 };
	if (st.known & OVC_STAT_REJECTS)
		sum[nsum++] = (struct summary){ "compress_rejects", NULL, st.compress_rejects,
						0, NULL, 0, 0 };
	/* The swap store (issue 10); swap_file null in JSON when there is none. */
	if (st.known & OVC_STAT_SWAP_FILE)
		sum[nsum++] = (struct summary){ "swap_file", "Swap file", 0, 0,
						*st.swap_file ? st.swap_file : "none", 0,
						!*st.swap_file };
	if (st.known & OVC_STAT_SWAP_SLOTS)
		sum[nsum++] = (struct summary){ "swap_slots", "Swap slots", st.swap_slots, 1,
						NULL, 0, 0 };
	if (st.known & OVC_STAT_SWAPPED)
		sum[nsum++] = (struct summary){ "swapped_pages", "Swapped", st.swapped_pages, 1,
						NULL, 0, 0 };
	print_report(ctl, tb, sum, nsum);

	scols_unref_table(tb);
	free(ids);
	close(root);
	return EXIT_SUCCESS;
}

static int cmd_info(struct ctl *ctl, int argc, char **argv)
{
	struct libscols_table *tb;
	struct ovc_vm_info info;
	struct ovc_vm_stat vm;
	struct ovc_file f;
	int i, rc = EXIT_SUCCESS;
	uint32_t api = 0;

	if (argc < 2)
		errx(EXIT_FAILURE, "info: no FILE specified");
	tb = new_table(ctl);
	for (i = 1; i < argc; i++) {
		if (ovc_file_open(&f, argv[i], O_RDONLY)) {
			if (errno == EMEDIUMTYPE)
				warnx("%s: not a file on %s", argv[i], OVCFS_NAME);
			else
				warn("cannot open %s", argv[i]);
			rc = EXIT_FAILURE;
			continue;
		}
		if (ovc_file_info(&f, &info)) {
			warn("%s: OVC_IOC_VM_INFO failed", argv[i]);
			rc = EXIT_FAILURE;
		} else {
			if (info.api_version != OVC_API_VERSION)
				warnx("%s: module speaks ovc API %u, ovcctl API %d",
				      argv[i], info.api_version, OVC_API_VERSION);
			api = info.api_version;
			ovc_vm_stat_from_info(&vm, &info);
			vm.name = argv[i];
			vm.known |= OVC_VM_NAME;
			add_vm_line(ctl, tb, &vm, NULL);
		}
		ovc_file_close(&f);
	}
	if (!scols_table_is_empty(tb)) {
		const struct summary sum[] = {
			{ "api_version", "API version", api, 0, NULL, 0, 0 },
		};
		print_report(ctl, tb, sum, ARRAY_SIZE(sum));
	}
	scols_unref_table(tb);
	return rc;
}

/* SIZE of command @cmd (balloon, reclaim) as a number of pages; exits on a bad one. */
static uint64_t parse_pages_size(const char *cmd, const char *arg)
{
	uint64_t bytes;

	if (ovc_parse_size(arg, page_size, &bytes))
		errx(EXIT_FAILURE, "%s: SIZE: '%s' is not a size (bytes, or a number "
		     "with K, M, G, T or p)", cmd, arg);
	if (bytes % page_size)
		errx(EXIT_FAILURE, "%s: SIZE %s is not a multiple of the page size (%ld)",
		     cmd, arg, page_size);
	return bytes / page_size;
}

static void check_balloon_size(const char *arg, const char *vm, uint64_t pages,
			       uint64_t size_pages)
{
	char buf[32];

	if (pages <= size_pages)
		return;
	size_to_human(size_pages * page_size, buf, sizeof(buf));
	errx(EXIT_FAILURE, "balloon: SIZE %s is more than VM %s's memory (%s)", arg, vm, buf);
}

/*
 * For command @cmd on VM @id (@vm_id): open the sysfs root and read the
 * VM's statistics into @vm, or exit with a message.  Return: the root fd.
 */
static int read_vm_by_id(const char *cmd, const char *id, uint64_t vm_id,
			 struct ovc_vm_stat *vm)
{
	int root = ovc_open_root();

	if (root < 0)
		err(EXIT_FAILURE, "cannot open %s", ovc_sysfs_root());
	if (ovc_read_vm_stat(root, vm_id, vm)) {
		if (errno == ENOENT)
			errx(EXIT_FAILURE, "%s: no VM %s in %s/vms", cmd, id, ovc_sysfs_root());
		err(EXIT_FAILURE, "%s: cannot read %s/vms/%s", cmd, ovc_sysfs_root(), id);
	}
	return root;
}

/* VM is an id: write vms/<id>/balloon_target_pages. */
static void balloon_by_id(const char *id, uint64_t vm_id, const char *arg, uint64_t pages)
{
	struct ovc_vm_stat vm;
	int root, dir;

	root = read_vm_by_id("balloon", id, vm_id, &vm);
	if (vm.known & OVC_VM_SIZE)
		check_balloon_size(arg, id, pages, vm.size_pages);
	ovc_vm_stat_clear(&vm);
	dir = ovc_open_vm_dir(root, vm_id);
	if (dir < 0 || ovc_write_u64(dir, "balloon_target_pages", pages))
		err(EXIT_FAILURE, "balloon: cannot write %s/vms/%s/balloon_target_pages",
		    ovc_sysfs_root(), id);
	close(dir);
	close(root);
}

/* VM is the path of its ovcfs file: OVC_IOC_SET_BALLOON_TARGET. */
static void balloon_by_file(const char *path, const char *arg, uint64_t pages)
{
	struct ovc_vm_info info;
	struct ovc_file f;

	if (ovc_file_open(&f, path, O_RDWR)) {
		if (errno == EMEDIUMTYPE)
			errx(EXIT_FAILURE, "balloon: %s: not a file on %s", path, OVCFS_NAME);
		err(EXIT_FAILURE, "balloon: cannot open %s", path);
	}
	if (ovc_file_info(&f, &info))
		err(EXIT_FAILURE, "balloon: %s: OVC_IOC_VM_INFO failed", path);
	check_balloon_size(arg, path, pages, info.size_pages);
	if (ovc_file_set_target(&f, pages))
		err(EXIT_FAILURE, "balloon: %s: OVC_IOC_SET_BALLOON_TARGET failed", path);
	ovc_file_close(&f);
}

static int cmd_balloon(struct ctl *ctl, int argc, char **argv)
{
	uint64_t pages, id;
	char *end;

	(void)ctl;
	if (argc != 3)
		errx(EXIT_FAILURE, "balloon: expected VM and SIZE, e.g. 'balloon 1 512M'");
	pages = parse_pages_size("balloon", argv[2]);
	errno = 0;
	id = strtoull(argv[1], &end, 10);
	if (isdigit((unsigned char)*argv[1]) && !*end && !errno)
		balloon_by_id(argv[1], id, argv[2], pages);
	else
		balloon_by_file(argv[1], argv[2], pages);
	return EXIT_SUCCESS;
}

/* Print a sharing domain as share-group shows it: "own" or the number. */
static void print_share_domain(uint64_t domain)
{
	char buf[24];

	ovc_format_share_domain(domain, buf, sizeof(buf));
	puts(buf);
}

/* VM is an id: read or write vms/<id>/share_domain. */
static void share_group_by_id(const char *id, uint64_t vm_id, const char *group,
			      uint64_t domain)
{
	struct ovc_vm_stat vm;
	int root, dir;

	root = read_vm_by_id("share-group", id, vm_id, &vm);
	if (!(vm.known & OVC_VM_SHARE_DOMAIN))
		errx(EXIT_FAILURE, "share-group: %s/vms/%s has no share_domain (a module "
		     "without sharing domains)", ovc_sysfs_root(), id);
	if (group) {
		dir = ovc_open_vm_dir(root, vm_id);
		if (dir < 0 || ovc_write_u64(dir, "share_domain", domain))
			err(EXIT_FAILURE, "share-group: cannot write %s/vms/%s/share_domain",
			    ovc_sysfs_root(), id);
		close(dir);
	} else {
		print_share_domain(vm.share_domain);
	}
	ovc_vm_stat_clear(&vm);
	close(root);
}

/* VM is the path of its ovcfs file: OVC_IOC_VM_INFO, OVC_IOC_SET_SHARE_DOMAIN. */
static void share_group_by_file(const char *path, const char *group, uint64_t domain)
{
	struct ovc_vm_info info;
	struct ovc_file f;

	if (ovc_file_open(&f, path, group ? O_RDWR : O_RDONLY)) {
		if (errno == EMEDIUMTYPE)
			errx(EXIT_FAILURE, "share-group: %s: not a file on %s", path, OVCFS_NAME);
		err(EXIT_FAILURE, "share-group: cannot open %s", path);
	}
	if (group && ovc_file_set_share_domain(&f, domain))
		err(EXIT_FAILURE, "share-group: %s: OVC_IOC_SET_SHARE_DOMAIN failed", path);
	if (!group && ovc_file_info(&f, &info))
		err(EXIT_FAILURE, "share-group: %s: OVC_IOC_VM_INFO failed", path);
	if (!group)
		print_share_domain(info.share_domain);
	ovc_file_close(&f);
}

/* share-group VM [GROUP|own]: set the VM's sharing domain, or print it. */
static int cmd_share_group(struct ctl *ctl, int argc, char **argv)
{
	const char *group = argc == 3 ? argv[2] : NULL;
	uint64_t domain = 0, id;
	char *end;

	(void)ctl;
	if (argc != 2 && argc != 3)
		errx(EXIT_FAILURE, "share-group: expected VM and GROUP, e.g. 'share-group 1 7', "
		     "or VM alone to print it");
	if (group && ovc_parse_share_domain(group, &domain)) {
		if (errno == ERANGE)
			errx(EXIT_FAILURE, "share-group: GROUP %s is out of range (0..%u, or own)",
			     group, OVC_SHARE_DOMAIN_OWN - 1);
		errx(EXIT_FAILURE, "share-group: GROUP: '%s' is neither own nor a group "
		     "number (0..%u)", group, OVC_SHARE_DOMAIN_OWN - 1);
	}
	errno = 0;
	id = strtoull(argv[1], &end, 10);
	if (isdigit((unsigned char)*argv[1]) && !*end && !errno)
		share_group_by_id(argv[1], id, group, domain);
	else
		share_group_by_file(argv[1], group, domain);
	return EXIT_SUCCESS;
}


/* "ovcctl: CMD: " + message, exit EXIT_BADVALUE: a value refused, nothing written. */
static void __attribute__((noreturn, format(printf, 1, 2))) badvalue(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_BADVALUE);
}

/* Split "KEY=VALUE" in place; exits on an argument without '='. */
static char *split_assignment(const char *cmd, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		badvalue("%s: '%s' is not KEY=VALUE", cmd, arg);
	*eq = '\0';
	return eq + 1;
}

/* A size for set's min and max, in pages; exits on a bad one. */
static uint64_t parse_vm_size(const char *key, const char *val)
{
	uint64_t bytes;

	if (ovc_parse_size(val, page_size, &bytes))
		badvalue("set: %s: '%s' is not a size (bytes, or a number with K, M, G, T "
			 "or p%s)", key, val, strcmp(key, "max") ? "" : "; size: the VM's size");
	if (bytes % page_size)
		badvalue("set: %s: %s is not a whole number of pages (%ld bytes)", key, val,
			 page_size);
	return bytes / page_size;
}

/*
 * For set: VM (an id, or its ovcfs file, asked with OVC_IOC_VM_INFO) as
 * its sysfs numbers in @vm; returns the sysfs root, *@dir its vms/<id>/.
 */
static int open_vm(const char *cmd, const char *arg, struct ovc_vm_stat *vm, int *dir)
{
	struct ovc_vm_info info;
	struct ovc_file f;
	char id[24];
	uint64_t vm_id;
	char *end;
	int root;

	errno = 0;
	vm_id = strtoull(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || errno) {
		if (ovc_file_open(&f, arg, O_RDONLY)) {
			if (errno == EMEDIUMTYPE)
				errx(EXIT_FAILURE, "%s: %s: not a file on %s", cmd, arg, OVCFS_NAME);
			err(EXIT_FAILURE, "%s: cannot open %s", cmd, arg);
		}
		if (ovc_file_info(&f, &info))
			err(EXIT_FAILURE, "%s: %s: OVC_IOC_VM_INFO failed", cmd, arg);
		ovc_file_close(&f);
		vm_id = info.id;
	}
	snprintf(id, sizeof(id), "%" PRIu64, vm_id);
	root = read_vm_by_id(cmd, id, vm_id, vm);
	*dir = ovc_open_vm_dir(root, vm_id);
	if (*dir < 0)
		err(EXIT_FAILURE, "%s: cannot open %s/vms/%s", cmd, ovc_sysfs_root(), id);
	return root;
}

/* What set and tune wrote, one line per file in the order written. */
static void print_write(const char *file, uint64_t old, uint64_t val)
{
	printf("%s: %" PRIu64 " -> %" PRIu64 "\n", file, old, val);
}

/* set VM shares=N min=SIZE max=SIZE: the VM's policy settings. */
static int cmd_set(struct ctl *ctl, int argc, char **argv)
{
	static const struct { const char *key, *file; unsigned int bit, known; } fields[] = {
		{ "shares", "shares", OVC_POL_SHARES, OVC_VM_SHARES },
		{ "min", "min_pages", OVC_POL_MIN, OVC_VM_MIN },
		{ "max", "max_pages", OVC_POL_MAX, OVC_VM_MAX },
	};
	struct ovc_vm_policy pol = { 0 };
	const char *what[3] = { NULL }, *field, *file;
	struct ovc_vm_stat vm;
	char a[32], b[32];
	int root, dir, i;
	size_t f;

	(void)ctl;
	if (argc < 3)
		errx(EXIT_FAILURE, "set: expected VM and KEY=VALUE, e.g. 'set 1 shares=2000 "
		     "min=1G max=4G'");
	for (i = 2; i < argc; i++) {
		char *val = split_assignment("set", argv[i]);

		for (f = 0; f < ARRAY_SIZE(fields); f++)
			if (!strcmp(argv[i], fields[f].key))
				break;
		if (f == ARRAY_SIZE(fields))
			badvalue("set: %s: unknown key (expected shares, min or max)", argv[i]);
		if (pol.set & fields[f].bit)
			badvalue("set: %s: given twice", argv[i]);
		pol.set |= fields[f].bit;
		what[f] = val;
		if (fields[f].bit == OVC_POL_SHARES) {
			char *end;

			errno = 0;
			pol.shares = strtoull(val, &end, 10);
			if (!isdigit((unsigned char)*val) || *end)
				badvalue("set: shares: '%s' is not a number (%d..%d)", val,
					 OVC_SHARES_MIN, OVC_SHARES_MAX);
			if (errno || pol.shares < OVC_SHARES_MIN || pol.shares > OVC_SHARES_MAX)
				badvalue("set: shares: %s is out of range (%d..%d)", val,
					 OVC_SHARES_MIN, OVC_SHARES_MAX);
		} else if (fields[f].bit == OVC_POL_MIN) {
			pol.min_pages = parse_vm_size("min", val);
		} else {
			pol.max_pages = strcmp(val, "size") ? parse_vm_size("max", val) : 0;
		}
	}

	root = open_vm("set", argv[1], &vm, &dir);
	for (f = 0; f < ARRAY_SIZE(fields); f++)
		if ((pol.set & fields[f].bit) && !(vm.known & fields[f].known))
			errx(EXIT_FAILURE, "set: %s/vms/%" PRIu64 " has no %s (a module without "
			     "the memory policy)", ovc_sysfs_root(), vm.id, fields[f].file);
	if (!(vm.known & OVC_VM_SIZE))
		errx(EXIT_FAILURE, "set: %s/vms/%" PRIu64 " has no size_pages",
		     ovc_sysfs_root(), vm.id);
	if (ovc_vm_policy_check(&pol, &vm, &field)) {
		format_pages(ctl, vm.size_pages, a, sizeof(a));
		if (!strcmp(field, "shares"))
			badvalue("set: shares: %s is out of range (%d..%d)", what[0],
				 OVC_SHARES_MIN, OVC_SHARES_MAX);
		if (errno == ERANGE && !strcmp(field, "min"))
			badvalue("set: min: %s is out of range (0..%s, the VM's size)", what[1], a);
		if (errno == ERANGE)
			badvalue("set: max: %s is out of range (1..%s, the VM's size; 0 or size: "
				 "the VM's size)", what[2], a);
		if (!strcmp(field, "min")) {
			format_pages(ctl, pol.set & OVC_POL_MAX ? (pol.max_pages ? pol.max_pages :
				     vm.size_pages) : vm.max_pages, b, sizeof(b));
			badvalue("set: min: %s is more than max (%s)", what[1], b);
		}
		format_pages(ctl, vm.min_pages, b, sizeof(b));
		badvalue("set: max: %s is less than min (%s)", what[2], b);
	}
	if (ovc_vm_policy_write(dir, &pol, &vm, &file, print_write))
		err(EXIT_FAILURE, "set: cannot write %s/vms/%" PRIu64 "/%s", ovc_sysfs_root(),
		    vm.id, file);
	ovc_vm_stat_clear(&vm);
	close(dir);
	close(root);
	return EXIT_SUCCESS;
}

/*
 * reclaim VM SIZE: store that much of the VM's private memory in the
 * compressed cache now (vms/<id>/reclaim, like cgroup v2's memory.reclaim).
 */
static int cmd_reclaim(struct ctl *ctl, int argc, char **argv)
{
	struct ovc_vm_stat vm;
	uint64_t pages;
	int root, dir;

	(void)ctl;
	if (argc != 3)
		errx(EXIT_FAILURE, "reclaim: expected VM and SIZE, e.g. 'reclaim 1 256M' or "
		     "'reclaim 1 1000p'");
	pages = parse_pages_size("reclaim", argv[2]);
	root = open_vm("reclaim", argv[1], &vm, &dir);
	if (ovc_write_u64(dir, "reclaim", pages)) {
		if (errno == ENOENT)
			errx(EXIT_FAILURE, "reclaim: %s/vms/%" PRIu64 " has no reclaim (a module "
			     "without the compressed cache)", ovc_sysfs_root(), vm.id);
		if (errno == EAGAIN)
			errx(EXIT_FAILURE, "reclaim: VM %" PRIu64 ": fewer than %" PRIu64 " pages "
			     "could be stored compressed (%s)", vm.id, pages, argv[2]);
		err(EXIT_FAILURE, "reclaim: cannot write %s/vms/%" PRIu64 "/reclaim",
		    ovc_sysfs_root(), vm.id);
	}
	ovc_vm_stat_clear(&vm);
	close(dir);
	close(root);
	return EXIT_SUCCESS;
}

/* Why the module said EBUSY to swapfile: the store it has, and its pages. */
static void __attribute__((noreturn)) swap_busy(const char *path)
{
	struct ovc_stat st;
	int root = ovc_open_root();

	if (root < 0 || ovc_read_stat(root, &st) || !(st.known & OVC_STAT_SWAP_FILE))
		errx(EXIT_FAILURE, "swapfile: %s: the module is busy (EBUSY): a swap store is "
		     "attached, or pages are still in it", path);
	if (!path)
		errx(EXIT_FAILURE, "swapfile: none: %s still holds %" PRIu64 " pages "
		     "(swapped_pages): not detached", st.swap_file, st.swapped_pages);
	errx(EXIT_FAILURE, "swapfile: %s: the module has a swap store already (%s): detach it "
	     "first with 'ovcctl swapfile none'", path, st.swap_file);
}

/*
 * swapfile PATH|none: attach PATH as the module's swap store, opened as
 * ovcd opens it, or detach the store; OVC_IOC_SET_SWAP_FILE on the first
 * ovcfs mount.  Prints the pages the store can hold.
 */
static int cmd_swapfile(struct ctl *ctl, int argc, char **argv)
{
	const char *path = argc == 2 && strcmp(argv[1], "none") ? argv[1] : NULL;
	int fd = OVC_SWAP_FILE_NONE, direct = 1;
	char mnt[PATH_MAX];
	uint64_t slots;

	(void)ctl;
	if (argc != 2)
		errx(EXIT_FAILURE, "swapfile: expected PATH (a regular file or block device) "
		     "or none");
	if (path) {
		fd = ovc_swap_open(path, &direct);
		if (fd < 0 && errno == EINVAL)
			errx(EXIT_FAILURE, "swapfile: %s is neither a regular file nor a block "
			     "device", path);
		if (fd < 0)
			err(EXIT_FAILURE, "swapfile: cannot open %s", path);
		if (!direct)
			warnx("swapfile: %s: its filesystem refuses O_DIRECT: opened without it, so "
			      "the page cache will hold swapped pages too", path);
	}
	if (ovc_mount_set_swap(fd, &slots, mnt, sizeof(mnt))) {
		if (!*mnt && errno == ENODEV)
			errx(EXIT_FAILURE, "swapfile: no %s mount in %s", OVCFS_NAME,
			     ovc_mounts_file);
		if (!*mnt)
			err(EXIT_FAILURE, "swapfile: cannot read %s", ovc_mounts_file);
		if (errno == EBUSY)
			swap_busy(path);
		if (errno == ENOTTY)
			errx(EXIT_FAILURE, "swapfile: OVC_IOC_SET_SWAP_FILE on %s failed: a module "
			     "without the swap store", mnt);
		err(EXIT_FAILURE, "swapfile: OVC_IOC_SET_SWAP_FILE on %s failed", mnt);
	}
	if (path) {
		printf("%" PRIu64 "\n", slots);
		close(fd);	/* the module holds its own reference */
	}
	return EXIT_SUCCESS;
}

/* A knob's value as tune prints it: sizes as sizes, the switch as on/off. */
static void format_knob(const struct ctl *ctl, const struct ovc_knob *k, uint64_t v,
			char *buf, size_t len)
{
	if (k->kind == OVC_KNOB_SIZE || k->kind == OVC_KNOB_SIZE_AUTO)
		format_pages(ctl, v, buf, len);
	else if (k->kind == OVC_KNOB_SWITCH)
		snprintf(buf, len, "%s", v ? "on" : "off");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* tune without arguments: every knob and its value. */
static int list_knobs(const struct ctl *ctl, int root)
{
	static const char *const cols[] = { "KEY", "VALUE", "RANGE", "FILE" };
	struct libscols_table *tb = scols_new_table();
	struct json_object *obj = json_object_new_object();
	char val[64], range[80];
	uint64_t v;
	size_t i;

	if (!tb || !obj)
		err(EXIT_FAILURE, "failed to allocate output table");
	scols_table_enable_raw(tb, ctl->raw);
	scols_table_enable_noheadings(tb, ctl->noheadings);
	for (i = 0; i < ARRAY_SIZE(cols); i++)
		if (!scols_table_new_column(tb, cols[i], 0, i == 1 ? SCOLS_FL_RIGHT : 0))
			err(EXIT_FAILURE, "failed to allocate output column");
	for (i = 0; i < ovc_nr_knobs; i++) {
		const struct ovc_knob *k = &ovc_knobs[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		int have = !ovc_read_u64(root, k->file, &v);

		if (!have && errno != ENOENT)
			err(EXIT_FAILURE, "tune: cannot read %s/%s", ovc_sysfs_root(), k->file);
		if (have)
			format_knob(ctl, k, v, val, sizeof(val));
		else
			snprintf(val, sizeof(val), "-");
		ovc_knob_range(k, range, sizeof(range));
		if (!ln || scols_line_set_data(ln, 0, k->key) || scols_line_set_data(ln, 1, val) ||
		    scols_line_set_data(ln, 2, range) || scols_line_set_data(ln, 3, k->file))
			err(EXIT_FAILURE, "failed to add output data");
		/* JSON: sizes in bytes, the switch as "on"/"off", null if missing */
		json_object_object_add(obj, k->key, !have ? NULL :
				       k->kind == OVC_KNOB_SWITCH ? json_object_new_string(val) :
				       k->kind == OVC_KNOB_NUMBER ? json_object_new_uint64(v) :
				       json_object_new_uint64(v * (uint64_t)page_size));
	}
	if (ctl->json)
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED));
	else
		scols_print_table(tb);
	json_object_put(obj);
	scols_unref_table(tb);
	return EXIT_SUCCESS;
}

/* The state thresholds, highest first, as tune's keys name them. */
static const char *const state_keys[] = { "state_high", "state_soft", "state_hard", "state_low" };
#define NR_STATES ARRAY_SIZE(state_keys)

static void write_knob(int root, const struct ovc_knob *k, uint64_t old, uint64_t v)
{
	if (ovc_write_u64(root, k->file, v))
		err(EXIT_FAILURE, "tune: cannot write %s/%s", ovc_sysfs_root(), k->file);
	print_write(k->file, old, v);
}

/* tune KEY=VALUE...: validate them all, then write them. */
static int cmd_tune(struct ctl *ctl, int argc, char **argv)
{
	const struct ovc_knob *k, *state[NR_STATES];
	uint64_t val[OVC_NR_KNOBS], old[OVC_NR_KNOBS];
	uint64_t st_old[NR_STATES], st_new[NR_STATES];
	int given[OVC_NR_KNOBS] = { 0 }, nstate = 0;
	char msg[256], a[32];
	struct sysinfo si;
	size_t i, j;
	int root;

	root = open_root();
	if (argc == 1)
		return list_knobs(ctl, root);

	/* Every value, checked on its own. */
	for (i = 1; i < (size_t)argc; i++) {
		const char *v = split_assignment("tune", argv[i]);

		k = ovc_knob_find(argv[i]);
		if (!k) {
			size_t n = 0;

			for (j = 0; j < ovc_nr_knobs; j++)
				n += snprintf(msg + n, sizeof(msg) - n, "%s%s", j ? ", " : "",
					      ovc_knobs[j].key);
			badvalue("tune: %s: unknown key (expected %s)", argv[i], msg);
		}
		j = k - ovc_knobs;
		if (given[j])
			badvalue("tune: %s: given twice", k->key);
		if (ovc_knob_parse(k, v, page_size, &val[j])) {
			ovc_knob_error(k, v, errno, page_size, msg, sizeof(msg));
			badvalue("tune: %s: %s", k->key, msg);
		}
		if (k->kind != OVC_KNOB_NUMBER && k->kind != OVC_KNOB_SWITCH && !sysinfo(&si) &&
		    val[j] > (uint64_t)si.totalram * si.mem_unit / page_size) {
			format_pages(ctl, (uint64_t)si.totalram * si.mem_unit / page_size, a,
				     sizeof(a));
			badvalue("tune: %s: %s is more than the host's memory (%s)", k->key, v, a);
		}
		given[j] = 1;
	}

	/* The module's current values: every file must be there. */
	for (i = 0; i < NR_STATES; i++) {
		state[i] = ovc_knob_find(state_keys[i]);
		nstate += given[state[i] - ovc_knobs];
	}
	for (i = 0; i < ovc_nr_knobs; i++) {
		int is_state = !strncmp(ovc_knobs[i].key, "state_", 6);

		if (!given[i] && !(nstate && is_state))
			continue;
		if (ovc_read_u64(root, ovc_knobs[i].file, &old[i])) {
			if (errno == ENOENT)
				errx(EXIT_FAILURE, "tune: %s: %s has no %s (a module without it)",
				     ovc_knobs[i].key, ovc_sysfs_root(), ovc_knobs[i].file);
			err(EXIT_FAILURE, "tune: cannot read %s/%s", ovc_sysfs_root(),
			    ovc_knobs[i].file);
		}
	}

	/* The thresholds, given ones over current ones, must stay ordered. */
	if (nstate) {
		for (i = 0; i < NR_STATES; i++) {
			j = state[i] - ovc_knobs;
			st_old[i] = old[j];
			st_new[i] = given[j] ? val[j] : old[j];
		}
		for (i = 0; i + 1 < NR_STATES; i++) {
			if (st_new[i] > st_new[i + 1])
				continue;
			k = given[state[i + 1] - ovc_knobs] ? state[i + 1] : state[i];
			badvalue("tune: %s: %" PRIu64 " breaks state_high > state_soft > state_hard "
				 "> state_low (%" PRIu64 " > %" PRIu64 " > %" PRIu64 " > %" PRIu64
				 " would be the thresholds)", k->key,
				 st_new[k == state[i] ? i : i + 1],
				 st_new[0], st_new[1], st_new[2], st_new[3]);
		}
	}

	/* Write: the other knobs, then the thresholds in an order the module accepts. */
	for (i = 0; i < ovc_nr_knobs; i++)
		if (given[i] && strncmp(ovc_knobs[i].key, "state_", 6))
			write_knob(root, &ovc_knobs[i], old[i], val[i]);
	/* Raised ones top down, then lowered ones bottom up: always ordered. */
	for (i = 0; nstate && i < NR_STATES; i++)
		if (st_new[i] > st_old[i])
			write_knob(root, state[i], st_old[i], st_new[i]);
	for (i = NR_STATES; nstate && i-- > 0;)
		if (st_new[i] < st_old[i])
			write_knob(root, state[i], st_old[i], st_new[i]);
	close(root);
	return EXIT_SUCCESS;
}

/* metrics [--prometheus]: OpenMetrics text for a scraper or a textfile collector. */
static int cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help",       no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int flags = 0;
	int c, root, rc;

	(void)ctl;
	while ((c = getopt_long(argc, argv, "ph", longopts, NULL)) != -1) {
		if (c == 'h')
			usage();
		if (c != 'p')
			errtryhelp();
		flags |= OVC_METRICS_PROMETHEUS;
	}
	if (optind < argc)
		errx(EXIT_FAILURE, "metrics: unexpected argument '%s'", argv[optind]);
	root = open_root();
	rc = ovc_metrics_write(stdout, root, flags);
	if (rc)
		warn("metrics: cannot read all of %s", ovc_sysfs_root());
	if (fflush(stdout) || ferror(stdout))
		err(EXIT_FAILURE, "metrics: write error");
	close(root);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* top's columns: esxtop's memory screen, virt-top's rates. */
static const int top_columns[] = {
	COL_ID, COL_NAME, COL_RESIDENT, COL_SHARED, COL_ZERO, COL_MCTL, COL_SWCUR,
	COL_ACTIVE, COL_TARGET, COL_MERGE_RATE, COL_COW_RATE, COL_FAULT_RATE,
	COL_ZIP, COL_SWPIN_RATE,	/* new ones last: scripts read -r's fields by position */
};

/* One sample of the module: the global numbers and every VM. */
struct top_sample {
	double when;			/* CLOCK_MONOTONIC, seconds */
	double wall;			/* CLOCK_REALTIME, seconds */
	struct ovc_stat st;
	uint64_t scanned, low_waits;
	unsigned int have_scanned:1, have_low_waits:1;
	struct ovc_vm_stat *vms;
	struct vm_rates *rates;
	size_t nr;
};

static double clock_seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void top_read(int root, struct top_sample *s)
{
	uint64_t *ids;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->when = clock_seconds(CLOCK_MONOTONIC);
	s->wall = clock_seconds(CLOCK_REALTIME);
	if (ovc_read_stat(root, &s->st))
		err(EXIT_FAILURE, "top: cannot read the global numbers in %s", ovc_sysfs_root());
	s->have_scanned = !ovc_read_u64(root, "pages_scanned", &s->scanned);
	s->have_low_waits = !ovc_read_u64(root, "low_waits", &s->low_waits);
	if (ovc_list_vms(root, &ids, &s->nr))
		err(EXIT_FAILURE, "top: cannot list %s/vms", ovc_sysfs_root());
	s->vms = calloc(s->nr ? s->nr : 1, sizeof(*s->vms));
	s->rates = calloc(s->nr ? s->nr : 1, sizeof(*s->rates));
	if (!s->vms || !s->rates)
		err(EXIT_FAILURE, "top");
	for (i = 0; i < s->nr; i++) {
		if (ovc_read_vm_stat(root, ids[i], &s->vms[i])) {
			if (errno != ENOENT)
				err(EXIT_FAILURE, "top: cannot read %s/vms/%" PRIu64,
				    ovc_sysfs_root(), ids[i]);
			s->vms[i].id = UINT64_MAX;	/* destroyed since listed */
		}
	}
	free(ids);
}

static void top_free(struct top_sample *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		ovc_vm_stat_clear(&s->vms[i]);
	free(s->vms);
	free(s->rates);
	s->nr = 0;
}

/* Pages on a shared or the zero frame (what merging saves). */
static uint64_t vm_saved(const struct ovc_vm_stat *vm)
{
	return vm->shared_pages + vm->zero_pages;
}

/* The rates of @cur's VMs since @prev (NULL: the first sample, none). */
static void top_rates(const struct top_sample *prev, struct top_sample *cur)
{
	const unsigned int merge_bits = OVC_VM_SHARED | OVC_VM_ZERO | OVC_VM_COW;
	size_t i, j = 0;

	for (i = 0; i < cur->nr; i++) {
		const struct ovc_vm_stat *v = &cur->vms[i], *p = NULL;
		struct vm_rates *r = &cur->rates[i];
		double dt = prev ? cur->when - prev->when : 0;

		r->merge = r->cow = r->fault = r->swap_in = -1;
		/* both lists are sorted by id */
		while (prev && j < prev->nr && prev->vms[j].id < v->id)
			j++;
		if (prev && j < prev->nr && prev->vms[j].id == v->id)
			p = &prev->vms[j];
		if (!p)
			continue;
		if ((v->known & p->known & OVC_VM_COW) &&
		    ovc_rate(p->cow_breaks, v->cow_breaks, dt, &r->cow))
			r->cow = -1;
		if (v->known & p->known & OVC_VM_MERGES) {
			if (ovc_rate(p->merges, v->merges, dt, &r->merge))
				r->merge = -1;
		} else if ((v->known & p->known & merge_bits) == merge_bits &&
			   ovc_merge_rate(vm_saved(p), vm_saved(v), p->cow_breaks, v->cow_breaks,
					  dt, &r->merge)) {
			r->merge = -1;	/* a module without the counter: estimated */
		}
		if ((v->known & p->known & OVC_VM_FAULTS) &&
		    ovc_rate(p->faults, v->faults, dt, &r->fault))
			r->fault = -1;
		if ((v->known & p->known & OVC_VM_SWAP_INS) &&
		    ovc_rate(p->swap_ins, v->swap_ins, dt, &r->swap_in))
			r->swap_in = -1;
	}
}

/* " merges/s 1.0": a global rate for the summary, "-" without one. */
static void print_global_rate(const char *label, int have, uint64_t before, uint64_t after,
			      double dt)
{
	double r;

	if (have && !ovc_rate(before, after, dt, &r))
		printf(", %s %.1f", label, r);
	else
		printf(", %s -", label);
}

/* The summary above the table: the module-wide numbers and rates. */
static void top_summary(const struct ctl *ctl, const struct top_sample *prev,
			const struct top_sample *cur, double interval)
{
	const struct ovc_stat *st = &cur->st, *ps = prev ? &prev->st : NULL;
	int sharing = (st->known & OVC_STAT_SHARING) && ps && (ps->known & OVC_STAT_SHARING);
	double dt = prev ? cur->when - prev->when : 0, merge;
	char a[32], b[32], c[32], when[32];
	time_t t = cur->wall;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	printf("ovcctl top - %s, every %gs, %" PRIu64 " VMs", when, interval, st->nr_vms);
	if (st->known & OVC_STAT_STATE)
		printf(", state %s", st->state);
	format_pages(ctl, st->pages_resident, a, sizeof(a));
	format_pages(ctl, st->pages_shared + st->pages_sharing, b, sizeof(b));
	format_pages(ctl, st->pages_zero, c, sizeof(c));
	printf("\nResident %s, shared %s, zero %s", a, b, c);
	if (ps && (st->known & ps->known & OVC_STAT_MERGES))
		print_global_rate("merges/s", 1, ps->merges, st->merges, dt);
	else if (sharing && !ovc_merge_rate(ps->pages_shared + ps->pages_sharing + ps->pages_zero,
					    st->pages_shared + st->pages_sharing + st->pages_zero,
					    ps->cow_breaks, st->cow_breaks, dt, &merge))
		printf(", merges/s %.1f", merge);	/* estimated: no counter */
	else
		printf(", merges/s -");
	print_global_rate("COW/s", sharing, sharing ? ps->cow_breaks : 0, st->cow_breaks, dt);
	print_global_rate("scanned/s", prev && prev->have_scanned && cur->have_scanned,
			  prev ? prev->scanned : 0, cur->scanned, dt);
	print_global_rate("low-state waits/s", prev && prev->have_low_waits &&
			  cur->have_low_waits, prev ? prev->low_waits : 0, cur->low_waits, dt);
	/* The compressed cache (issue 10): a third line on a module with it. */
	if (st->known & OVC_STAT_COMPRESSED) {
		format_pages(ctl, st->compressed_pages, a, sizeof(a));
		printf("\nCompressed %s", a);
		if (st->known & OVC_STAT_POOL) {
			format_pages(ctl, st->compressed_pool_pages, b, sizeof(b));
			printf(" in a %s pool", b);
		}
		print_global_rate("swap-outs/s", ps && (ps->known & st->known & OVC_STAT_SWAP_OUTS),
				  ps ? ps->swap_outs : 0, st->swap_outs, dt);
		print_global_rate("swap-ins/s", ps && (ps->known & st->known & OVC_STAT_SWAP_INS),
				  ps ? ps->swap_ins : 0, st->swap_ins, dt);
		if (st->known & OVC_STAT_STORE_ERRORS)
			printf(", store errors %" PRIu64, st->store_errors);
	}
	printf("\n\n");
}

/* --record: a CSV header, then one row per VM per sample. */
static const char *const record_header =
	"time,id,name,resident_bytes,shared_bytes,zero_bytes,ballooned_bytes,swapped_bytes,"
	"active_percent,target_bytes,merges_per_s,cow_per_s,faults_per_s,"
	"compressed_bytes,swap_ins,swap_ins_per_s";	/* new columns go last */

static void record_bytes(FILE *f, const struct ovc_vm_stat *vm, unsigned int bit, uint64_t pages)
{
	if (vm->known & bit)
		fprintf(f, ",%" PRIu64, pages * (uint64_t)page_size);
	else
		fputc(',', f);
}

static void record_rate(FILE *f, double r)
{
	if (r >= 0)
		fprintf(f, ",%.3f", r);
	else
		fputc(',', f);
}

static void top_record(FILE *f, const struct top_sample *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		const struct ovc_vm_stat *vm = &s->vms[i];

		if (vm->id == UINT64_MAX)
			continue;
		fprintf(f, "%.3f,%" PRIu64 ",", s->wall, vm->id);
		ovc_csv_field(f, vm->known & OVC_VM_NAME ? vm->name : "");
		record_bytes(f, vm, OVC_VM_RESIDENT, vm->resident_pages);
		record_bytes(f, vm, OVC_VM_SHARED, vm->shared_pages);
		record_bytes(f, vm, OVC_VM_ZERO, vm->zero_pages);
		record_bytes(f, vm, OVC_VM_BALLOON, vm->balloon_pages);
		record_bytes(f, vm, OVC_VM_SWAPPED, vm->swapped_pages);
		if (vm->known & OVC_VM_ACTIVE)
			fprintf(f, ",%.1f", vm->active_permille / 10.0);
		else
			fputc(',', f);
		record_bytes(f, vm, OVC_VM_BALLOON_TARGET, vm->balloon_target_pages);
		record_rate(f, s->rates[i].merge);
		record_rate(f, s->rates[i].cow);
		record_rate(f, s->rates[i].fault);
		if (vm->known & OVC_VM_COMPRESSED_BYTES)	/* already bytes */
			fprintf(f, ",%" PRIu64, vm->compressed_bytes);
		else
			fputc(',', f);
		if (vm->known & OVC_VM_SWAP_INS)		/* the counter */
			fprintf(f, ",%" PRIu64, vm->swap_ins);
		else
			fputc(',', f);
		record_rate(f, s->rates[i].swap_in);
		fputc('\n', f);
	}
	if (fflush(f) || ferror(f))
		err(EXIT_FAILURE, "top: --record: write error");
}

static volatile sig_atomic_t top_stop;

static void top_on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* Sleep until @deadline (CLOCK_MONOTONIC seconds); 0 if a signal stopped top. */
static int top_sleep(double deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (time_t)deadline) * 1e9),
	};

	while (!top_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !top_stop;
}

/* top [-d SECONDS] [-n COUNT] [--record FILE]: the VMs, redrawn every interval. */
static int cmd_top(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay",      required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "record",     required_argument, NULL, 'R' },
		{ "bytes",      no_argument,       NULL, 'b' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa = { .sa_handler = top_on_signal };
	struct top_sample prev = { 0 }, cur;
	const char *record = NULL;
	double interval = 2, next;
	uint32_t count = 0, i;
	struct libscols_table *tb;
	FILE *rec = NULL;
	int c, root, tty = isatty(STDOUT_FILENO);
	size_t j;

	while ((c = getopt_long(argc, argv, "d:n:bh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!ovc_parse_interval(optarg, &interval))
				break;
			if (errno == ERANGE)
				badvalue("top: -d: %s is out of range (more than 0, at most %g "
					 "seconds)", optarg, OVC_TOP_INTERVAL_MAX);
			badvalue("top: -d: '%s' is not a number of seconds (e.g. 2 or 0.5)", optarg);
		case 'n':
			if (!ovc_parse_count(optarg, &count))
				break;
			if (errno == ERANGE)
				badvalue("top: -n: %s is out of range (1..%" PRIu32 ")", optarg,
					 UINT32_MAX);
			badvalue("top: -n: '%s' is not a count (1..%" PRIu32 ")", optarg, UINT32_MAX);
		case 'R':
			record = optarg;
			break;
		case 'b':
			ctl->bytes = 1;
			break;
		case 'h':
			usage();
		default:
			errtryhelp();
		}
	}
	if (optind < argc)
		errx(EXIT_FAILURE, "top: unexpected argument '%s'", argv[optind]);
	if (ctl->json)
		errx(EXIT_FAILURE, "top: no --json (use --record FILE for a CSV file)");
	memcpy(ctl->columns, top_columns, sizeof(top_columns));
	ctl->ncolumns = ARRAY_SIZE(top_columns);
	ctl->dashes = 1;
	root = open_root();
	if (record) {
		rec = fopen(record, "we");
		if (!rec)
			err(EXIT_FAILURE, "top: cannot open %s", record);
		fprintf(rec, "%s\n", record_header);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	next = clock_seconds(CLOCK_MONOTONIC);
	for (i = 0; !top_stop; i++) {
		top_read(root, &cur);
		top_rates(i ? &prev : NULL, &cur);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (i)
			putchar('\n');
		top_summary(ctl, i ? &prev : NULL, &cur, interval);
		tb = new_table(ctl);
		for (j = 0; j < cur.nr; j++)
			if (cur.vms[j].id != UINT64_MAX)
				add_vm_line(ctl, tb, &cur.vms[j], &cur.rates[j]);
		scols_print_table(tb);
		scols_unref_table(tb);
		if (fflush(stdout))
			err(EXIT_FAILURE, "top: write error");
		if (rec)
			top_record(rec, &cur);
		top_free(&prev);
		prev = cur;
		if (count && i + 1 >= count)
			break;
		next += interval;
		if (next < prev.when)
			next = prev.when;	/* reading took longer than the interval */
		if (!top_sleep(next))
			break;
	}
	top_free(&prev);
	if (rec && fclose(rec))
		err(EXIT_FAILURE, "top: --record: cannot write %s", record);
	close(root);
	return EXIT_SUCCESS;
}

static const struct command commands[] = {
	{ "status",  cmd_status,  "",        "show the module's numbers and its VMs", 0 },
	{ "info",    cmd_info,    "FILE...", "ask ovcfs files about their VMs", 0 },
	{ "balloon", cmd_balloon, "VM SIZE", "set a VM's balloon target (VM: id or ovcfs file)", 0 },
	{ "share-group", cmd_share_group, "VM [GROUP|own]",
	  "set a VM's sharing group (0..4294967294) or own; alone: print it", 0 },
	{ "set",     cmd_set,     "VM KEY=VALUE...",
	  "set a VM's shares=N, min=SIZE, max=SIZE|size for the memory policy", 0 },
	{ "reclaim", cmd_reclaim, "VM SIZE",
	  "store that much of a VM's memory compressed now (VM: id or ovcfs file)", 0 },
	{ "swapfile", cmd_swapfile, "PATH|none",
	  "attach a file or block device as the module's swap store, or detach it", 0 },
	{ "tune",    cmd_tune,    "[KEY=VALUE...]",
	  "set the module's policy knobs; alone: list them", 0 },
	{ "top",     cmd_top,     "[-d SEC] [-n N]",
	  "show the VMs live, with rates; --record FILE writes CSV", 1 },
	{ "metrics", cmd_metrics, "[--prometheus]",
	  "print the module's numbers as OpenMetrics text", 1 },
};

static void __attribute__((noreturn)) usage(void)
{
	size_t i;

	printf("Usage:\n %s [options] <command> [options] [<args>]\n\n",
	       program_invocation_short_name);
	puts("Show what the ovc module holds of KVM guest memory.\n\nCommands:");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		printf(" %-11s %-16s %s\n", commands[i].name, commands[i].args,
		       commands[i].help);
	puts("\nOptions:\n"
	     " -b, --bytes          print sizes in bytes rather than in a human-readable form\n"
	     " -J, --json           use JSON output format (implies --bytes)\n"
	     " -n, --noheadings     don't print headings (nor the summary)\n"
	     " -o, --output <list>  columns to show (+<list> adds to the default)\n"
	     " -r, --raw            use raw output format (no summary)\n"
	     "\n"
	     " -h, --help           display this help\n"
	     " -V, --version        display version\n"
	     "\n"
	     "Options of top (after it):\n"
	     " -d, --delay <seconds>     interval between samples (default 2; e.g. 0.5)\n"
	     " -n, --iterations <count>  stop after that many samples\n"
	     "     --record <file>       also write every sample to file, as CSV\n"
	     " -b, --bytes               sizes in bytes\n"
	     "\n"
	     "Options of metrics (after it):\n"
	     "     --prometheus          Prometheus text format 0.0.4 (node_exporter's textfile\n"
	     "                           collector) rather than OpenMetrics\n"
	     "\nAvailable output columns:");
	for (i = 0; i < ARRAY_SIZE(infos); i++)
		printf(" %11s  %s\n", infos[i].name, infos[i].help);
	printf("\nThe sysfs root is %s, or $OVC_SYSFS.\nFor more details see ovcctl(8).\n",
	       OVC_SYSFS_ROOT);
	exit(EXIT_SUCCESS);
}

/*
 * Parse options from argv[optind].  Before the command, stop at the first
 * non-option (the command); after it, let getopt move operands last.
 */
static void parse_options(struct ctl *ctl, int argc, char **argv, int before_cmd)
{
	static const struct option longopts[] = {
		{ "bytes",      no_argument,       NULL, 'b' },
		{ "json",       no_argument,       NULL, 'J' },
		{ "noheadings", no_argument,       NULL, 'n' },
		{ "output",     required_argument, NULL, 'o' },
		{ "raw",        no_argument,       NULL, 'r' },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	const char *optstr = before_cmd ? "+bJno:rhV" : "bJno:rhV";

	while ((c = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			ctl->bytes = 1;
			break;
		case 'J':
			ctl->json = 1;
			break;
		case 'n':
			ctl->noheadings = 1;
			break;
		case 'o':
			parse_columns(ctl, optarg);
			break;
		case 'r':
			ctl->raw = 1;
			break;
		case 'h':
			usage();
		case 'V':
			printf("%s %s (ovc API %d)\n", program_invocation_short_name,
			       OVCCTL_VERSION, OVC_API_VERSION);
			exit(EXIT_SUCCESS);
		default:
			errtryhelp();
		}
	}
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .ncolumns = ARRAY_SIZE(default_columns) };
	const struct command *cmd = NULL;
	size_t i;

	memcpy(ctl.columns, default_columns, sizeof(default_columns));
	page_size = sysconf(_SC_PAGESIZE);
	scols_init_debug(0);

	parse_options(&ctl, argc, argv, 1);
	if (optind == argc) {
		warnx("no command specified");
		errtryhelp();
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		warnx("unknown command '%s'", argv[optind]);
		errtryhelp();
	}
	argv[optind] = argv[0];	/* getopt names the program in its errors */
	argc -= optind;
	argv += optind;
	optind = 0;		/* glibc: restart getopt on the command's argv */
	if (cmd->own_options)
		return cmd->run(&ctl, argc, argv);
	parse_options(&ctl, argc, argv, 0);
	if (ctl.json && ctl.raw)
		errx(EXIT_FAILURE, "mutually exclusive arguments: --json --raw");
	if (ctl.json)
		ctl.bytes = 1;	/* JSON numbers, not "4GiB" */

	/* Hand the command its operands after an argv[0]. */
	argv[optind - 1] = argv[0];
	return cmd->run(&ctl, argc - optind + 1, argv + optind - 1);
}
