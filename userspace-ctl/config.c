// SPDX-License-Identifier: GPL-2.0
/*
 * ovcd's configuration file, read with inih.
 *
 * inih calls a handler for each "key = value" and knows no line numbers
 * nor section boundaries, so it reads through a small line reader that
 * counts lines and spots the lines opening a section; inih itself parses
 * those header lines too (see section_name()).  Sections are begun and
 * ended there, keys are checked in the handler, and the first problem
 * stops the parse with "PATH:LINE: FIELD: PROBLEM".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "libovc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HEADER_MAX 4096

struct parser {
	struct ovcd_conf *conf;
	const char *path;
	FILE *f;
	int line;		/* line being read */
	bool at_line_start;
	char *section;		/* name of the current section, NULL before any */
	int section_line;	/* line of its header */
	struct ovcd_vm_conf *vm; /* the [vm NAME] being read, NULL for [global] */
	unsigned int seen;	/* keys of this section seen so far (bits) */
	unsigned int global_seen;	/* [global]'s own keys seen (G_*) */
	unsigned int knob_seen;		/* the knobs seen: bit i for ovc_knobs[i] */
	char *err;
	size_t errlen;
	bool failed;
	int swap_file_line, swap_size_line;	/* where [global] gave them */
};

static void __attribute__((format(printf, 4, 5)))
fail(struct parser *p, int line, const char *field, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "%s:%d: %s: ", p->path, line, field);
	va_start(ap, fmt);
	if (n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

/* A decimal number in [min, max]. */
static bool parse_uint(struct parser *p, const char *field, const char *val,
		       uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(val, &end, 10);
	if (*val < '0' || *val > '9' || *end) {
		fail(p, p->line, field, "'%s' is not a number", val);
		return false;
	}
	if (errno || *out < min || *out > max) {
		fail(p, p->line, field, "%s is out of range (%" PRIu64 "..%" PRIu64 ")",
		     val, min, max);
		return false;
	}
	return true;
}

/* A size in whole pages, into *@pages. */
static bool parse_pages(struct parser *p, const char *field, const char *val,
			uint64_t *pages)
{
	uint64_t page_size = sysconf(_SC_PAGESIZE), bytes;

	if (ovc_parse_size(val, page_size, &bytes)) {
		fail(p, p->line, field, "'%s' is not a size (bytes, or a number with K, M, G, "
		     "T or p)", val);
		return false;
	}
	if (bytes % page_size) {
		fail(p, p->line, field, "%s is not a whole number of pages (%" PRIu64 " bytes)",
		     val, page_size);
		return false;
	}
	*pages = bytes / page_size;
	return true;
}

static bool parse_path(struct parser *p, const char *field, const char *val,
		       size_t max, char **out)
{
	if (*val != '/') {
		fail(p, p->line, field, "'%s' is not an absolute path", val);
		return false;
	}
	if (strlen(val) > max) {
		fail(p, p->line, field, "path longer than %zu bytes", max);
		return false;
	}
	*out = strdup(val);
	if (!*out)
		fail(p, p->line, field, "out of memory");
	return *out != NULL;
}

/* A sharing domain: "own" or a group number, 0..OVC_SHARE_DOMAIN_OWN - 1. */
static bool parse_share_group(struct parser *p, const char *field, const char *val,
			      uint32_t *out)
{
	uint64_t v;

	if (!ovc_parse_share_domain(val, &v)) {
		*out = v;
		return true;
	}
	if (errno == ERANGE)
		fail(p, p->line, field, "%s is out of range (0..%u, or own)", val,
		     OVC_SHARE_DOMAIN_OWN - 1);
	else
		fail(p, p->line, field, "'%s' is neither own nor a group number (0..%u)", val,
		     OVC_SHARE_DOMAIN_OWN - 1);
	return false;
}

/* Another VM using the same @what (file or socket) as @vm? */
static void check_unique(struct parser *p, const char *field, size_t off)
{
	const char *mine = *(char **)((char *)p->vm + off);
	struct ovcd_vm_conf *o;

	for (o = p->conf->vms; o < p->vm; o++)
		if (*(char **)((char *)o + off) && !strcmp(*(char **)((char *)o + off), mine))
			fail(p, p->line, field, "%s is also used by [vm %s] (line %d)",
			     mine, o->name, o->line);
}

enum { K_FILE = 1, K_QMP = 2, K_QOM = 4, K_SHARES = 8, K_MIN = 16, K_MAX = 32,
       K_GROUP = 64, K_BACKEND = 128, K_DOMAIN = 256 };

/* A libvirt domain name: not empty, no '/' (libvirt's QEMU driver refuses it). */
static bool parse_domain(struct parser *p, const char *field, const char *val, char **out)
{
	if (!*val || strchr(val, '/') || strlen(val) > 1024) {
		fail(p, p->line, field, "'%s' is not a libvirt domain name (1..1024 bytes, "
		     "no '/')", val);
		return false;
	}
	*out = strdup(val);
	if (!*out)
		fail(p, p->line, field, "out of memory");
	return *out != NULL;
}

static void vm_key(struct parser *p, const char *name, const char *val)
{
	struct ovcd_vm_conf *vm = p->vm;
	static const struct { const char *name; unsigned int bit; } keys[] = {
		{ "file", K_FILE }, { "qmp", K_QMP }, { "balloon_qom_path", K_QOM },
		{ "shares", K_SHARES }, { "min", K_MIN }, { "max", K_MAX },
		{ "share_group", K_GROUP }, { "backend", K_BACKEND }, { "domain", K_DOMAIN },
	};
	unsigned int bit = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(name, keys[i].name))
			bit = keys[i].bit;
	if (!bit) {
		fail(p, p->line, name, "unknown key in [vm %s] (expected file, backend, qmp, "
		     "domain, balloon_qom_path, shares, min, max or share_group)", vm->name);
		return;
	}
	if (p->seen & bit) {
		fail(p, p->line, name, "given twice in [vm %s]", vm->name);
		return;
	}
	p->seen |= bit;

	switch (bit) {
	case K_FILE:
		if (parse_path(p, name, val, PATH_MAX - 1, &vm->file))
			check_unique(p, name, offsetof(struct ovcd_vm_conf, file));
		break;
	case K_QMP:
		if (parse_path(p, name, val, sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
			       &vm->qmp))
			check_unique(p, name, offsetof(struct ovcd_vm_conf, qmp));
		break;
	case K_QOM:
		parse_path(p, name, val, 1024, &vm->balloon_qom_path);
		break;
	case K_SHARES:
		if (parse_uint(p, name, val, OVC_SHARES_MIN, OVC_SHARES_MAX, &vm->policy.shares))
			vm->policy.set |= OVC_POL_SHARES;
		break;
	case K_MIN:
		if (parse_pages(p, name, val, &vm->policy.min_pages))
			vm->policy.set |= OVC_POL_MIN;
		break;
	case K_MAX:
		/* "size" (or 0): the VM's size */
		vm->policy.max_pages = 0;
		if (!strcmp(val, "size") || parse_pages(p, name, val, &vm->policy.max_pages))
			vm->policy.set |= OVC_POL_MAX;
		break;
	case K_GROUP:
		parse_share_group(p, name, val, &vm->share_group);
		break;
	case K_BACKEND:
		if (!strcmp(val, "qmp"))
			vm->backend = OVCD_BACKEND_QMP;
		else if (!strcmp(val, "libvirt"))
			vm->backend = OVCD_BACKEND_LIBVIRT;
		else
			fail(p, p->line, name, "'%s' is neither qmp nor libvirt", val);
		break;
	case K_DOMAIN:
		if (parse_domain(p, name, val, &vm->domain))
			check_unique(p, name, offsetof(struct ovcd_vm_conf, domain));
		break;
	}
}

/*
 * The module's knobs that [global] may set: all but the state thresholds,
 * which only ovcctl tune sets (they must stay ordered, see cmd_tune()).
 */
static const struct ovc_knob *global_knob(const char *name)
{
	const struct ovc_knob *k = ovc_knob_find(name);

	return k && strncmp(k->key, "state_", 6) ? k : NULL;
}

/*
 * [global]'s own keys, by bit in parser.global_seen; the knobs have a set
 * of their own (parser.knob_seen, bit i for ovc_knobs[i]), so that neither
 * list can grow into the other.
 */
enum { G_POLL = 1 << 0, G_STATS = 1 << 1, G_LOG = 1 << 2, G_URI = 1 << 3,
       G_DISCOVER = 1 << 4, G_DIR = 1 << 5, G_SWAP_FILE = 1 << 6, G_SWAP_SIZE = 1 << 7 };

static const struct {
	const char *name;
	unsigned int bit;
} global_keys[] = {
	{ "poll_interval_ms", G_POLL }, { "stats_interval_s", G_STATS }, { "log", G_LOG },
	{ "libvirt_uri", G_URI }, { "libvirt_discover", G_DISCOVER },
	{ "libvirt_memory_backing_dir", G_DIR },
	{ "swap_file", G_SWAP_FILE }, { "swap_size", G_SWAP_SIZE },
};

_Static_assert(OVC_NR_KNOBS <= sizeof(((struct parser *)0)->knob_seen) * CHAR_BIT,
	       "a bit of parser.knob_seen (and ovcd_conf.knob_set) per knob");

/* libvirt_discover: on, off, 1 or 0, in the knobs' words. */
static const struct ovc_knob discover_switch = {
	.key = "libvirt_discover", .kind = OVC_KNOB_SWITCH,
};

/* "unknown key in [global] (expected a, b, ... or z)": every key [global] takes. */
static void unknown_global(struct parser *p, const char *name)
{
	const char *keys[ARRAY_SIZE(global_keys) + OVC_NR_KNOBS];
	char list[1024];
	size_t i, nr = 0, n = 0;

	for (i = 0; i < ARRAY_SIZE(global_keys); i++)
		keys[nr++] = global_keys[i].name;
	for (i = 0; i < ovc_nr_knobs; i++)
		if (global_knob(ovc_knobs[i].key))
			keys[nr++] = ovc_knobs[i].key;
	for (i = 0; i < nr && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s",
			      !i ? "" : i + 1 == nr ? " or " : ", ", keys[i]);
	fail(p, p->line, name, "unknown key in [global] (expected %s)", list);
}

static void global_key(struct parser *p, const char *name, const char *val)
{
	const struct ovc_knob *k = global_knob(name);
	struct ovcd_conf *c = p->conf;
	char msg[256];
	uint64_t v;
	unsigned int bit = 0, *seen = k ? &p->knob_seen : &p->global_seen;
	size_t i;

	if (k)
		bit = 1u << (k - ovc_knobs);
	for (i = 0; !k && i < ARRAY_SIZE(global_keys); i++)
		if (!strcmp(name, global_keys[i].name))
			bit = global_keys[i].bit;
	if (!bit) {
		unknown_global(p, name);
		return;
	}
	if (*seen & bit) {
		fail(p, p->line, name, "given twice in [global]");
		return;
	}
	*seen |= bit;

	if (k) {
		if (ovc_knob_parse(k, val, sysconf(_SC_PAGESIZE), &v)) {
			ovc_knob_error(k, val, errno, sysconf(_SC_PAGESIZE), msg, sizeof(msg));
			fail(p, p->line, name, "%s", msg);
			return;
		}
		c->knob[k - ovc_knobs] = v;
		c->knob_set |= 1u << (k - ovc_knobs);
		if (!strcmp(k->key, "policy"))
			c->policy_given = true;
	} else if (bit == G_POLL && parse_uint(p, name, val, 10, 3600000, &v))
		c->poll_interval_ms = v;
	else if (bit == G_STATS && parse_uint(p, name, val, 1, 3600, &v))
		c->stats_interval_s = v;
	else if (bit == G_LOG && !strcmp(val, "stderr"))
		c->log = OVCD_LOG_STDERR;
	else if (bit == G_LOG && !strcmp(val, "syslog"))
		c->log = OVCD_LOG_SYSLOG;
	else if (bit == G_LOG)
		fail(p, p->line, name, "'%s' is neither stderr nor syslog", val);
	else if (bit == G_URI && !*val)
		fail(p, p->line, name, "empty (a libvirt URI, e.g. %s)", OVCD_LIBVIRT_URI);
	else if (bit == G_URI && !(c->libvirt_uri = strdup(val)))
		fail(p, p->line, name, "out of memory");
	else if (bit == G_DIR)
		parse_path(p, name, val, PATH_MAX - 64, &c->libvirt_dir);
	else if (bit == G_SWAP_FILE && parse_path(p, name, val, PATH_MAX - 1, &c->swap_file))
		p->swap_file_line = p->line;
	else if (bit == G_SWAP_SIZE && parse_pages(p, name, val, &c->swap_size_pages)) {
		p->swap_size_line = p->line;
		if (!c->swap_size_pages)
			fail(p, p->line, name, "0 is less than a page");
	}
	else if (bit == G_DISCOVER) {
		if (ovc_knob_parse(&discover_switch, val, sysconf(_SC_PAGESIZE), &v)) {
			ovc_knob_error(&discover_switch, val, errno, sysconf(_SC_PAGESIZE), msg,
				       sizeof(msg));
			fail(p, p->line, name, "%s", msg);
		} else {
			c->libvirt_discover = v;
		}
	}
}

static int handler(void *user, const char *section, const char *name, const char *val)
{
	struct parser *p = user;

	if (!p->section)
		fail(p, p->line, name, "key outside a section");
	else if (p->vm)
		vm_key(p, name, val);
	else
		global_key(p, name, val);
	(void)section;	/* p->section, from the header line */
	return !p->failed;
}

/*
 * swap_file and swap_size together: swap_size creates or grows a regular
 * file, so it needs swap_file and refuses a block device (whose size is
 * the store's).  What is not there yet is ovcd's to create (or report).
 */
static void check_swap(struct parser *p)
{
	const struct ovcd_conf *c = p->conf;
	struct stat st;

	if (c->swap_size_pages && !c->swap_file) {
		fail(p, p->swap_size_line, "swap_size", "given without swap_file");
		return;
	}
	if (!c->swap_file || stat(c->swap_file, &st))
		return;
	if (S_ISBLK(st.st_mode) && c->swap_size_pages)
		fail(p, p->swap_size_line, "swap_size", "not for a block device (%s): the "
		     "store is the whole device", c->swap_file);
	else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		fail(p, p->swap_file_line, "swap_file", "%s is neither a regular file nor a "
		     "block device", c->swap_file);
}

/* Checks that need the whole section. */
static void end_section(struct parser *p)
{
	struct ovcd_vm_conf *vm = p->vm;

	if (!vm)
		return;
	/* the backend: as given, else libvirt if domain is given, else qmp */
	if (!(p->seen & K_BACKEND) && vm->domain && !vm->qmp)
		vm->backend = OVCD_BACKEND_LIBVIRT;
	if (vm->backend == OVCD_BACKEND_LIBVIRT)
		p->conf->libvirt = true;
	/* libvirt: without file, ovcd finds it from the domain at each start */
	if (!vm->file && vm->backend == OVCD_BACKEND_QMP)
		fail(p, vm->line, "file", "missing in [vm %s]", vm->name);
	else if (vm->backend == OVCD_BACKEND_QMP && !vm->qmp)
		fail(p, vm->line, "qmp", "missing in [vm %s]", vm->name);
	else if (vm->backend == OVCD_BACKEND_QMP && vm->domain)
		fail(p, vm->line, "domain", "given in [vm %s], whose backend is qmp (a VM has "
		     "one backend: qmp = or domain =)", vm->name);
	else if (vm->backend == OVCD_BACKEND_LIBVIRT && !vm->domain)
		fail(p, vm->line, "domain", "missing in [vm %s] (backend = libvirt)", vm->name);
	else if (vm->backend == OVCD_BACKEND_LIBVIRT && (vm->qmp || vm->balloon_qom_path))
		fail(p, vm->line, vm->qmp ? "qmp" : "balloon_qom_path", "given in [vm %s], "
		     "whose backend is libvirt (libvirt owns the QMP socket)", vm->name);
	else if ((vm->policy.set & (OVC_POL_MIN | OVC_POL_MAX)) == (OVC_POL_MIN | OVC_POL_MAX) &&
		 vm->policy.max_pages && vm->policy.min_pages > vm->policy.max_pages)
		fail(p, vm->line, "min", "min is more than max in [vm %s]", vm->name);
	p->vm = NULL;
}

static int probe(void *user, const char *section, const char *name, const char *val)
{
	(void)name;
	(void)val;
	*(char **)user = strdup(section);
	return 0;
}

/* Let inih parse a header line alone: the section name, or NULL. */
static char *section_name(const char *header)
{
	char buf[HEADER_MAX + 8];
	char *name = NULL;

	snprintf(buf, sizeof(buf), "%s\n_=_\n", header);
	ini_parse_string(buf, probe, &name);
	return name;
}

static bool valid_vm_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-") == strlen(s);
}

static void begin_vm(struct parser *p, const char *name)
{
	struct ovcd_conf *c = p->conf;
	struct ovcd_vm_conf *vms;
	size_t i;

	if (!valid_vm_name(name)) {
		fail(p, p->line, "section", "[vm %s]: a VM name is letters, digits, "
		     "'_', '.' or '-'", name);
		return;
	}
	for (i = 0; i < c->nr_vms; i++) {
		if (!strcmp(c->vms[i].name, name)) {
			fail(p, p->line, "section", "[vm %s]: duplicate VM name "
			     "(first at line %d)", name, c->vms[i].line);
			return;
		}
	}
	vms = reallocarray(c->vms, c->nr_vms + 1, sizeof(*vms));
	if (!vms) {
		fail(p, p->line, "section", "out of memory");
		return;
	}
	c->vms = vms;
	p->vm = &vms[c->nr_vms];
	memset(p->vm, 0, sizeof(*p->vm));
	p->vm->name = strdup(name);
	p->vm->share_group = OVC_SHARE_DOMAIN_OWN;
	p->vm->line = p->line;
	c->nr_vms++;
	if (!p->vm->name)
		fail(p, p->line, "section", "out of memory");
}

static void begin_section(struct parser *p, const char *header)
{
	char *name = section_name(header);

	end_section(p);
	free(p->section);
	p->section = name;
	p->section_line = p->line;
	p->seen = 0;
	if (!name)
		fail(p, p->line, "section", "malformed section header");
	else if (!strncmp(name, "vm ", 3))
		begin_vm(p, name + 3);
	else if (strcmp(name, "global"))
		fail(p, p->line, "section", "[%s]: unknown section (expected [global] or "
		     "[vm NAME])", name);
}

/* inih's fgets: count lines, begin a section on each header line. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	bool start = p->at_line_start;
	char *s;
	size_t len;

	if (p->failed || !fgets(str, num, p->f))
		return NULL;
	len = strlen(str);
	p->at_line_start = len && str[len - 1] == '\n';
	if (!start)
		return str;
	p->line++;
	s = str + strspn(str, " \t");
	if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	if (*s == '[') {
		s[strcspn(s, "\r\n")] = '\0';
		begin_section(p, s);
		strcpy(str, "\n");	/* handled: nothing left for inih */
	}
	return str;
}

int ovcd_conf_load(const char *path, struct ovcd_conf *conf, char *err, size_t errlen)
{
	struct parser p = {
		.conf = conf, .path = path, .at_line_start = true,
		.err = err, .errlen = errlen,
	};
	int rc;

	memset(conf, 0, sizeof(*conf));
	conf->poll_interval_ms = 1000;
	conf->stats_interval_s = 2;
	conf->log = OVCD_LOG_STDERR;
	/* policy = on unless the file says otherwise: ovcd runs the policy */
	conf->knob[ovc_knob_find("policy") - ovc_knobs] = 1;
	conf->knob_set = 1u << (ovc_knob_find("policy") - ovc_knobs);

	p.f = fopen(path, "re");
	if (!p.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ini_use_stack = false;
	ini_max_line = HEADER_MAX;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc > 0 && !p.failed)
		fail(&p, rc, "syntax", "expected 'key = value', '[section]' or a comment");
	else if (rc < 0 && !p.failed)
		fail(&p, p.line, "syntax", "cannot parse (inih error %d)", rc);
	if (!p.failed && ferror(p.f))
		fail(&p, p.line, "read", "%s", strerror(errno));
	if (!p.failed)
		end_section(&p);
	if (!p.failed)
		check_swap(&p);
	if (conf->libvirt_discover)
		conf->libvirt = true;
	if (!p.failed && !conf->libvirt_uri && !(conf->libvirt_uri = strdup(OVCD_LIBVIRT_URI)))
		fail(&p, p.line, "libvirt_uri", "out of memory");
	if (!p.failed && !conf->libvirt_dir && !(conf->libvirt_dir = strdup(OVCD_LIBVIRT_DIR)))
		fail(&p, p.line, "libvirt_memory_backing_dir", "out of memory");
	fclose(p.f);
	free(p.section);
	if (p.failed)
		ovcd_conf_free(conf);
	return p.failed ? -1 : 0;
}

void ovcd_conf_free(struct ovcd_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->nr_vms; i++) {
		free(conf->vms[i].name);
		free(conf->vms[i].file);
		free(conf->vms[i].qmp);
		free(conf->vms[i].domain);
		free(conf->vms[i].balloon_qom_path);
	}
	free(conf->vms);
	free(conf->libvirt_uri);
	free(conf->libvirt_dir);
	free(conf->swap_file);
	memset(conf, 0, sizeof(*conf));
}
