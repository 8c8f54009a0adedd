// SPDX-License-Identifier: GPL-2.0
/*
 * libovc - the ovc module's sysfs tree and ioctls, as C structures.
 *
 * Sysfs files hold one value each, at most a page long, ending in a
 * newline.  Extra files are ignored; a missing per-VM file leaves its
 * field unknown, so a tool built against an older or newer module
 * still works.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mntent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "libovc.h"

#define OVC_VALUE_MAX	4096	/* a sysfs show() writes at most a page */

/* The numeric files of vms/<id>/ and where each one lands. */
static const struct {
	const char *file;
	unsigned int bit;
	size_t offset;
} vm_numbers[] = {
	{ "owner_uid",      OVC_VM_UID,      offsetof(struct ovc_vm_stat, owner_uid) },
	{ "owner_pid",      OVC_VM_PID,      offsetof(struct ovc_vm_stat, owner_pid) },
	{ "size_pages",     OVC_VM_SIZE,     offsetof(struct ovc_vm_stat, size_pages) },
	{ "resident_pages", OVC_VM_RESIDENT, offsetof(struct ovc_vm_stat, resident_pages) },
	{ "balloon_target_pages", OVC_VM_BALLOON_TARGET, offsetof(struct ovc_vm_stat, balloon_target_pages) },
	{ "balloon_pages",  OVC_VM_BALLOON,  offsetof(struct ovc_vm_stat, balloon_pages) },
	{ "balloon_actual_pages", OVC_VM_BALLOON_ACTUAL, offsetof(struct ovc_vm_stat, balloon_actual_pages) },
	{ "guest_free_pages", OVC_VM_GUEST_FREE, offsetof(struct ovc_vm_stat, guest_free_pages) },
	{ "guest_total_pages", OVC_VM_GUEST_TOTAL, offsetof(struct ovc_vm_stat, guest_total_pages) },
	{ "shared_pages",   OVC_VM_SHARED,   offsetof(struct ovc_vm_stat, shared_pages) },
	{ "zero_pages",     OVC_VM_ZERO,     offsetof(struct ovc_vm_stat, zero_pages) },
	{ "cow_breaks",     OVC_VM_COW,      offsetof(struct ovc_vm_stat, cow_breaks) },
	{ "share_domain",   OVC_VM_SHARE_DOMAIN, offsetof(struct ovc_vm_stat, share_domain) },
	{ "active_permille", OVC_VM_ACTIVE,  offsetof(struct ovc_vm_stat, active_permille) },
	{ "shares",         OVC_VM_SHARES,   offsetof(struct ovc_vm_stat, shares) },
	{ "min_pages",      OVC_VM_MIN,      offsetof(struct ovc_vm_stat, min_pages) },
	{ "max_pages",      OVC_VM_MAX,      offsetof(struct ovc_vm_stat, max_pages) },
	{ "target_pages",   OVC_VM_ALLOC,    offsetof(struct ovc_vm_stat, alloc_pages) },
	{ "swapped_pages",  OVC_VM_SWAPPED,  offsetof(struct ovc_vm_stat, swapped_pages) },
	{ "merges",         OVC_VM_MERGES,   offsetof(struct ovc_vm_stat, merges) },
	{ "faults",         OVC_VM_FAULTS,   offsetof(struct ovc_vm_stat, faults) },
	{ "compressed_pages", OVC_VM_COMPRESSED, offsetof(struct ovc_vm_stat, compressed_pages) },
	{ "compressed_bytes", OVC_VM_COMPRESSED_BYTES, offsetof(struct ovc_vm_stat, compressed_bytes) },
	{ "swap_outs",      OVC_VM_SWAP_OUTS, offsetof(struct ovc_vm_stat, swap_outs) },
	{ "swap_ins",       OVC_VM_SWAP_INS, offsetof(struct ovc_vm_stat, swap_ins) },
	{ "store_errors",   OVC_VM_STORE_ERRORS, offsetof(struct ovc_vm_stat, store_errors) },
};

/* The optional global files that are one number each, read the same way. */
static const struct {
	const char *file;
	unsigned int bit;
	size_t offset;
} stat_numbers[] = {
	{ "compressed_pages", OVC_STAT_COMPRESSED, offsetof(struct ovc_stat, compressed_pages) },
	{ "compressed_bytes", OVC_STAT_COMPRESSED_BYTES, offsetof(struct ovc_stat, compressed_bytes) },
	{ "compressed_pool_pages", OVC_STAT_POOL, offsetof(struct ovc_stat, compressed_pool_pages) },
	{ "swap_outs",      OVC_STAT_SWAP_OUTS, offsetof(struct ovc_stat, swap_outs) },
	{ "swap_ins",       OVC_STAT_SWAP_INS, offsetof(struct ovc_stat, swap_ins) },
	{ "compress_rejects", OVC_STAT_REJECTS, offsetof(struct ovc_stat, compress_rejects) },
	{ "store_errors",   OVC_STAT_STORE_ERRORS, offsetof(struct ovc_stat, store_errors) },
	{ "swap_slots",     OVC_STAT_SWAP_SLOTS, offsetof(struct ovc_stat, swap_slots) },
	{ "swapped_pages",  OVC_STAT_SWAPPED, offsetof(struct ovc_stat, swapped_pages) },
};

const char *ovc_sysfs_root(void)
{
	const char *env = getenv("OVC_SYSFS");

	return env && *env ? env : OVC_SYSFS_ROOT;
}

int ovc_open_root(void)
{
	return open(ovc_sysfs_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Read @path (relative to @dir) into @buf, without the trailing newline. */
static int read_value(int dir, const char *path, char *buf, size_t bufsz)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd, e;

	fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < bufsz - 1) {
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	e = n < 0 ? errno : len == bufsz - 1 ? EOVERFLOW : 0;
	close(fd);
	if (e) {
		errno = e;
		return -1;
	}
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

int ovc_parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int ovc_read_u64(int dir, const char *path, uint64_t *val)
{
	char buf[OVC_VALUE_MAX];

	if (read_value(dir, path, buf, sizeof(buf)))
		return -1;
	return ovc_parse_u64(buf, val);
}

int ovc_read_str(int dir, const char *path, char *buf, size_t len)
{
	char value[OVC_VALUE_MAX];

	if (read_value(dir, path, value, sizeof(value)))
		return -1;
	if (strlen(value) >= len) {
		errno = EOVERFLOW;
		return -1;
	}
	strcpy(buf, value);
	return 0;
}

int ovc_write_u64(int dir, const char *path, uint64_t val)
{
	char buf[24];
	int fd, len, e = 0;
	ssize_t n;

	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", val);
	fd = openat(dir, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, buf, len);	/* a sysfs store takes one write */
	if (n < 0)
		e = errno;
	else if (n != len)
		e = EIO;
	if (close(fd) && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

int ovc_pread_u64(int fd, uint64_t *val)
{
	char buf[64];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return ovc_parse_u64(buf, val);
}

int ovc_open_vm_dir(int root, uint64_t id)
{
	char path[64];

	snprintf(path, sizeof(path), "vms/%" PRIu64, id);
	return openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int ovc_parse_size(const char *s, uint64_t page_size, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	const char *u;
	uint64_t v, mult = 1;
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'p' && !end[1]) {
		mult = page_size;
	} else if (*end) {
		u = end[1] ? NULL : strchr(units, *end | 0x20);
		if (!u || !*u) {
			errno = EINVAL;
			return -1;
		}
		mult = 1ULL << (10 * (u - units + 1));
	}
	if (v && mult > UINT64_MAX / v) {
		errno = ERANGE;
		return -1;
	}
	*bytes = v * mult;
	return 0;
}

const struct ovc_knob ovc_knobs[] = {
	{ "idle_tax", "idle_tax_percent", OVC_KNOB_NUMBER, 0, 99, 0,
	  "percent of a VM's idle memory taxed away (ESX's idle tax)" },
	{ "budget", "host_budget_pages", OVC_KNOB_SIZE_AUTO, 0, 0, 0,
	  "memory the VMs may have together; auto: total RAM minus reserve" },
	{ "reserve", "host_reserve_pages", OVC_KNOB_SIZE, 0, 0, 0,
	  "memory kept for the host (auto budget)" },
	{ "sample_period_ms", "sample_period_ms", OVC_KNOB_NUMBER, 100, 3600000, 1,
	  "idle sampling period; 0 stops sampling" },
	{ "sample_pages", "sample_pages", OVC_KNOB_NUMBER, 1, 65536, 0,
	  "pages sampled per VM per period" },
	{ "balance_period_ms", "balance_period_ms", OVC_KNOB_NUMBER, 100, 3600000, 0,
	  "how often targets are recomputed" },
	{ "balloon_max", "balloon_max_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "most of a VM the policy balloons, percent" },
	{ "policy", "policy_run", OVC_KNOB_SWITCH, 0, 1, 0,
	  "on: the policy writes balloon targets (ovcd turns it on)" },
	{ "state_high", "state_high_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "free memory, percent of the budget, for the high state" },
	{ "state_soft", "state_soft_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "... for the soft state (balloon)" },
	{ "state_hard", "state_hard_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "... for the hard state (reclaim)" },
	{ "state_low", "state_low_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "below it: the low state (faults wait)" },
	{ "scan", "run", OVC_KNOB_SWITCH, 0, 1, 0,
	  "on: ovc_scand merges equal pages; off stops it, merged pages stay" },
	{ "pages_to_scan", "pages_to_scan", OVC_KNOB_NUMBER, 1, 100000, 0,
	  "private pages the scanner looks at per pass" },
	{ "sleep_millisecs", "sleep_millisecs", OVC_KNOB_NUMBER, 0, 60000, 0,
	  "the scanner's pause between passes" },
	{ "compress_max", "compress_max_percent", OVC_KNOB_NUMBER, 0, 100, 0,
	  "the compressed cache's bound, percent of host RAM; 0 stores nothing more" },
	{ "shrink", "shrink", OVC_KNOB_SWITCH, 0, 1, 0,
	  "on: the kernel's memory-pressure shrinker stores VM pages compressed" },
	{ "swap_readahead", "swap_readahead", OVC_KNOB_NUMBER, 0, 15, 0,
	  "pages a swap-in from the swap store reads after the faulting one" },
};

const size_t ovc_nr_knobs = sizeof(ovc_knobs) / sizeof(ovc_knobs[0]);

const struct ovc_knob *ovc_knob_find(const char *key)
{
	size_t i;

	for (i = 0; i < ovc_nr_knobs; i++)
		if (!strcmp(ovc_knobs[i].key, key))
			return &ovc_knobs[i];
	return NULL;
}

int ovc_knob_parse(const struct ovc_knob *k, const char *val, uint64_t page_size,
		   uint64_t *out)
{
	uint64_t v;

	switch (k->kind) {
	case OVC_KNOB_NUMBER:
		if (ovc_parse_u64(val, &v))
			return -1;	/* EINVAL, or ERANGE past 64 bits */
		if ((v < k->min || v > k->max) && !(v == 0 && k->zero_ok)) {
			errno = ERANGE;
			return -1;
		}
		*out = v;
		return 0;
	case OVC_KNOB_SIZE_AUTO:
		if (!strcmp(val, "auto")) {
			*out = 0;
			return 0;
		}
		/* fall through */
	case OVC_KNOB_SIZE:
		if (ovc_parse_size(val, page_size, &v))
			return -1;
		if (v % page_size) {
			errno = EDOM;
			return -1;
		}
		*out = v / page_size;
		return 0;
	case OVC_KNOB_SWITCH:
		if (!strcmp(val, "on") || !strcmp(val, "1"))
			*out = 1;
		else if (!strcmp(val, "off") || !strcmp(val, "0"))
			*out = 0;
		else {
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	errno = EINVAL;
	return -1;
}

#define SIZE_WORDS "bytes, or a number with K, M, G, T or p"

void ovc_knob_range(const struct ovc_knob *k, char *buf, size_t len)
{
	switch (k->kind) {
	case OVC_KNOB_NUMBER:
		snprintf(buf, len, "%s%" PRIu64 "..%" PRIu64, k->zero_ok ? "0, or " : "",
			 k->min, k->max);
		break;
	case OVC_KNOB_SIZE:
		snprintf(buf, len, "a size");
		break;
	case OVC_KNOB_SIZE_AUTO:
		snprintf(buf, len, "a size, or auto");
		break;
	case OVC_KNOB_SWITCH:
		snprintf(buf, len, "on, off, 1 or 0");
		break;
	}
}

void ovc_knob_error(const struct ovc_knob *k, const char *val, int e,
		    uint64_t page_size, char *buf, size_t len)
{
	char range[80];

	ovc_knob_range(k, range, sizeof(range));
	if (e == EDOM)
		snprintf(buf, len, "%s is not a whole number of pages (%" PRIu64 " bytes)",
			 val, page_size);
	else if (e == ERANGE && k->kind == OVC_KNOB_NUMBER)
		snprintf(buf, len, "%s is out of range (%s)", val, range);
	else if (e == ERANGE)
		snprintf(buf, len, "%s is too big", val);
	else if (k->kind == OVC_KNOB_SIZE)
		snprintf(buf, len, "'%s' is not a size (" SIZE_WORDS ")", val);
	else if (k->kind == OVC_KNOB_SIZE_AUTO)
		snprintf(buf, len, "'%s' is neither auto nor a size (" SIZE_WORDS ")", val);
	else if (k->kind == OVC_KNOB_NUMBER)
		snprintf(buf, len, "'%s' is not a number (%s)", val, range);
	else
		snprintf(buf, len, "'%s' is not valid (%s)", val, range);
}

int ovc_vm_policy_check(const struct ovc_vm_policy *p, const struct ovc_vm_stat *vm,
			const char **field)
{
	uint64_t min = p->set & OVC_POL_MIN ? p->min_pages : vm->min_pages;
	uint64_t max = p->set & OVC_POL_MAX ? p->max_pages : vm->max_pages;

	errno = ERANGE;
	if ((p->set & OVC_POL_SHARES) &&
	    (p->shares < OVC_SHARES_MIN || p->shares > OVC_SHARES_MAX)) {
		*field = "shares";
		return -1;
	}
	if ((p->set & OVC_POL_MIN) && p->min_pages > vm->size_pages) {
		*field = "min";
		return -1;
	}
	if ((p->set & OVC_POL_MAX) && p->max_pages > vm->size_pages) {
		*field = "max";
		return -1;
	}
	if (!max)
		max = vm->size_pages;	/* 0: the VM's size */
	if (min > max) {
		errno = EINVAL;
		*field = p->set & OVC_POL_MIN ? "min" : "max";
		return -1;
	}
	return 0;
}

int ovc_vm_policy_write(int vm_dir, const struct ovc_vm_policy *p,
			const struct ovc_vm_stat *vm, const char **file,
			void (*written)(const char *file, uint64_t old, uint64_t val))
{
	/* The module refuses a min above the max: raise the max first if need be. */
	int max_first = (p->set & OVC_POL_MIN) && p->min_pages > vm->max_pages;
	const struct {
		unsigned int bit;
		const char *file;
		uint64_t old, val;
	} w[] = {
		{ OVC_POL_SHARES, "shares", vm->shares, p->shares },
		{ max_first ? OVC_POL_MAX : OVC_POL_MIN, max_first ? "max_pages" : "min_pages",
		  max_first ? vm->max_pages : vm->min_pages,
		  max_first ? p->max_pages : p->min_pages },
		{ max_first ? OVC_POL_MIN : OVC_POL_MAX, max_first ? "min_pages" : "max_pages",
		  max_first ? vm->min_pages : vm->max_pages,
		  max_first ? p->min_pages : p->max_pages },
	};
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(p->set & w[i].bit))
			continue;
		if (ovc_write_u64(vm_dir, w[i].file, w[i].val)) {
			*file = w[i].file;
			return -1;
		}
		if (written)
			written(w[i].file, w[i].old, w[i].val);
	}
	return 0;
}

int ovc_parse_share_domain(const char *s, uint64_t *domain)
{
	if (!strcmp(s, "own")) {
		*domain = OVC_SHARE_DOMAIN_OWN;
		return 0;
	}
	if (ovc_parse_u64(s, domain))
		return -1;
	if (*domain >= OVC_SHARE_DOMAIN_OWN) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

void ovc_format_share_domain(uint64_t domain, char *buf, size_t len)
{
	if (domain == OVC_SHARE_DOMAIN_OWN)
		snprintf(buf, len, "own");
	else
		snprintf(buf, len, "%" PRIu64, domain);
}

int ovc_read_stat(int root, struct ovc_stat *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (ovc_read_u64(root, "pages_resident", &st->pages_resident) ||
	    ovc_read_u64(root, "nr_vms", &st->nr_vms))
		return -1;
	if (!ovc_read_u64(root, "balloon_pages", &st->balloon_pages))
		st->known |= OVC_STAT_BALLOON;
	if (!ovc_read_u64(root, "pages_shared", &st->pages_shared) &&
	    !ovc_read_u64(root, "pages_sharing", &st->pages_sharing) &&
	    !ovc_read_u64(root, "pages_zero", &st->pages_zero) &&
	    !ovc_read_u64(root, "cow_breaks", &st->cow_breaks))
		st->known |= OVC_STAT_SHARING;
	if (!ovc_read_str(root, "state", st->state, sizeof(st->state)))
		st->known |= OVC_STAT_STATE;
	if (!ovc_read_u64(root, "host_budget_pages", &st->host_budget_pages))
		st->known |= OVC_STAT_BUDGET;
	if (!ovc_read_u64(root, "free_pages", &st->free_pages))
		st->known |= OVC_STAT_FREE;
	if (!ovc_read_u64(root, "merges", &st->merges))
		st->known |= OVC_STAT_MERGES;
	if (!ovc_read_str(root, "swap_file", st->swap_file, sizeof(st->swap_file)))
		st->known |= OVC_STAT_SWAP_FILE;
	for (i = 0; i < sizeof(stat_numbers) / sizeof(stat_numbers[0]); i++) {
		uint64_t *field = (uint64_t *)((char *)st + stat_numbers[i].offset);

		if (!ovc_read_u64(root, stat_numbers[i].file, field))
			st->known |= stat_numbers[i].bit;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ovc_list_vms(int root, uint64_t **ids, size_t *nr)
{
	uint64_t *v = NULL, *nv, id;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(root, "vms", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir))) {
		if (ovc_parse_u64(de->d_name, &id))
			continue;	/* ".", ".." or not a VM */
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = reallocarray(v, cap, sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		v[n++] = id;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*ids = v;
	*nr = n;
	return 0;
}

int ovc_read_vm_stat(int root, uint64_t id, struct ovc_vm_stat *vm)
{
	char buf[OVC_VALUE_MAX];
	size_t i;
	int dir, e;

	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	dir = ovc_open_vm_dir(root, id);
	if (dir < 0)
		return -1;

	if (!read_value(dir, "name", buf, sizeof(buf))) {
		vm->name = strdup(buf);
		if (!vm->name)
			goto fail;
		vm->known |= OVC_VM_NAME;
	} else if (errno != ENOENT) {
		goto fail;
	}
	for (i = 0; i < sizeof(vm_numbers) / sizeof(vm_numbers[0]); i++) {
		uint64_t *field = (uint64_t *)((char *)vm + vm_numbers[i].offset);

		if (!ovc_read_u64(dir, vm_numbers[i].file, field))
			vm->known |= vm_numbers[i].bit;
		else if (errno != ENOENT)
			goto fail;
	}
	close(dir);
	return 0;
fail:
	e = errno;
	close(dir);
	ovc_vm_stat_clear(vm);
	errno = e;
	return -1;
}

int ovc_get_vm_info(int fd, struct ovc_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, OVC_IOC_VM_INFO, info) < 0 ? -1 : 0;
}

void ovc_vm_stat_from_info(struct ovc_vm_stat *vm, const struct ovc_vm_info *info)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = info->id;
	vm->owner_uid = info->owner_uid;
	vm->owner_pid = info->owner_pid;
	vm->size_pages = info->size_pages;
	vm->resident_pages = info->resident_pages;
	vm->balloon_target_pages = info->balloon_target_pages;
	vm->balloon_actual_pages = info->balloon_actual_pages;
	vm->balloon_pages = info->balloon_pages;
	vm->shared_pages = info->shared_pages;
	vm->zero_pages = info->zero_pages;
	vm->cow_breaks = info->cow_breaks;
	vm->share_domain = info->share_domain;
	vm->known = OVC_VM_UID | OVC_VM_PID | OVC_VM_SIZE | OVC_VM_RESIDENT |
		    OVC_VM_BALLOON_TARGET | OVC_VM_BALLOON_ACTUAL | OVC_VM_BALLOON |
		    OVC_VM_SHARED | OVC_VM_ZERO | OVC_VM_COW | OVC_VM_SHARE_DOMAIN;
}

void ovc_vm_stat_clear(struct ovc_vm_stat *vm)
{
	free(vm->name);
	memset(vm, 0, sizeof(*vm));
}

/* The real operations: the uapi ioctls on the open ovcfs file. */
static int ioctl_info(struct ovc_file *f, struct ovc_vm_info *info)
{
	return ovc_get_vm_info(f->fd, info);
}

static int ioctl_set_target(struct ovc_file *f, const struct ovc_balloon_target *t)
{
	return ioctl(f->fd, OVC_IOC_SET_BALLOON_TARGET, t) < 0 ? -1 : 0;
}

static int ioctl_report(struct ovc_file *f, const struct ovc_guest_report *rep)
{
	return ioctl(f->fd, OVC_IOC_GUEST_REPORT, rep) < 0 ? -1 : 0;
}

static int ioctl_set_share_domain(struct ovc_file *f, const struct ovc_share_domain *d)
{
	return ioctl(f->fd, OVC_IOC_SET_SHARE_DOMAIN, d) < 0 ? -1 : 0;
}

static int ioctl_set_swap_file(struct ovc_file *f, struct ovc_swap_file *sw)
{
	return ioctl(f->fd, OVC_IOC_SET_SWAP_FILE, sw) < 0 ? -1 : 0;
}

static const struct ovc_file_ops ioctl_ops = {
	.info		= ioctl_info,
	.set_target	= ioctl_set_target,
	.report		= ioctl_report,
	.set_share_domain = ioctl_set_share_domain,
	.set_swap_file	= ioctl_set_swap_file,
};

static int check_ovcfs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return -1;
	if (sfs.f_type != OVCFS_MAGIC) {
		errno = EMEDIUMTYPE;
		return -1;
	}
	return 0;
}

/* NULL in ovcctl and ovcd; set by the test build, see libovc.h. */
int (*ovc_file_open_hook)(struct ovc_file *f, const char *path);

int ovc_file_open(struct ovc_file *f, const char *path, int flags)
{
	int rc, e;

	f->vm_dir = -1;
	f->ops = &ioctl_ops;
	f->fd = open(path, flags | O_CLOEXEC);
	if (f->fd < 0)
		return -1;
	rc = ovc_file_open_hook ? ovc_file_open_hook(f, path) : 1;
	if (rc > 0)
		rc = check_ovcfs(f->fd);
	if (rc) {
		e = errno;
		ovc_file_close(f);
		errno = e;
	}
	return rc;
}

int ovc_file_info(struct ovc_file *f, struct ovc_vm_info *info)
{
	return f->ops->info(f, info);
}

int ovc_file_set_target(struct ovc_file *f, uint64_t target_pages)
{
	struct ovc_balloon_target t = {
		.size = sizeof(t),
		.target_pages = target_pages,
	};

	return f->ops->set_target(f, &t);
}

int ovc_file_set_share_domain(struct ovc_file *f, uint64_t domain)
{
	struct ovc_share_domain d = {
		.size = sizeof(d),
		.domain = domain,
	};

	return f->ops->set_share_domain(f, &d);
}

int ovc_file_report(struct ovc_file *f, const struct ovc_guest_report *rep)
{
	return f->ops->report(f, rep);
}

int ovc_file_set_swap(struct ovc_file *f, int swap_fd, uint64_t *slots)
{
	struct ovc_swap_file sw = {
		.size = sizeof(sw),
		.fd = swap_fd,
	};

	if (f->ops->set_swap_file(f, &sw))
		return -1;
	if (slots)
		*slots = sw.slots;
	return 0;
}

/* NULL in ovcctl and ovcd; set by the test build, see libovc.h. */
int (*ovc_swap_open_hook)(const char *path, int flags);

/* open(2), or the test build's ovc_swap_open_hook */
static int swap_open(const char *path, int flags)
{
	return ovc_swap_open_hook ? ovc_swap_open_hook(path, flags) : open(path, flags);
}

int ovc_swap_open(const char *path, int *direct)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int fd, e;

	*direct = 1;
	fd = swap_open(path, flags | O_DIRECT);
	if (fd < 0 && errno == EINVAL) {	/* the filesystem refuses O_DIRECT */
		*direct = 0;
		fd = swap_open(path, flags);
	}
	if (fd < 0)
		return -1;
	e = fstat(fd, &st) ? errno : S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? 0 : EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

const char *ovc_mounts_file = "/proc/self/mounts";

int ovc_find_mount(char *buf, size_t len)
{
	struct mntent ent, *m;
	char line[4096];
	FILE *f = setmntent(ovc_mounts_file, "re");
	int e = ENODEV;

	if (!f)
		return -1;
	while ((m = getmntent_r(f, &ent, line, sizeof(line)))) {
		if (strcmp(m->mnt_type, OVCFS_NAME))
			continue;
		e = strlen(m->mnt_dir) < len ? 0 : ENAMETOOLONG;
		if (!e)
			strcpy(buf, m->mnt_dir);
		break;
	}
	endmntent(f);
	errno = e;
	return e ? -1 : 0;
}

int ovc_mount_set_swap(int swap_fd, uint64_t *slots, char *mnt, size_t len)
{
	struct ovc_file m;
	int rc, e;

	*mnt = '\0';
	if (ovc_find_mount(mnt, len)) {
		*mnt = '\0';
		return -1;
	}
	if (ovc_file_open(&m, mnt, O_RDONLY | O_DIRECTORY))
		return -1;
	rc = ovc_file_set_swap(&m, swap_fd, slots);
	e = errno;
	ovc_file_close(&m);
	errno = e;
	return rc;
}

void ovc_file_close(struct ovc_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->vm_dir >= 0)
		close(f->vm_dir);
	f->fd = f->vm_dir = -1;
}
