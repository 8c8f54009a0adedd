/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovcd's configuration file: INI, read with inih, validated in full
 * before the daemon acts on any of it.  See ovcd(8) and ovcd.conf.example.
 */
#ifndef OVCD_CONFIG_H
#define OVCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libovc.h"

enum ovcd_log { OVCD_LOG_STDERR, OVCD_LOG_SYSLOG };

/* How ovcd reaches a VM's hypervisor (backend.h). */
enum ovcd_backend { OVCD_BACKEND_QMP, OVCD_BACKEND_LIBVIRT };

#define OVCD_LIBVIRT_URI	"qemu:///system"
#define OVCD_LIBVIRT_DIR	"/run/ovc"	/* qemu.conf's memory_backing_dir */

/* One [vm NAME] section. */
struct ovcd_vm_conf {
	char *name;		/* NAME, as used in log lines */
	char *file;		/* its ovcfs file; NULL (libvirt only): the domain's */
	enum ovcd_backend backend;	/* qmp if qmp is given, libvirt if domain is */
	char *qmp;		/* QEMU's QMP unix socket (backend qmp) */
	char *domain;		/* libvirt's domain name (backend libvirt) */
	char *balloon_qom_path;	/* balloon device's QOM path, NULL: find it */
	struct ovc_vm_policy policy;	/* shares, min, max: those given (policy.set) */
	uint32_t share_group;	/* sharing domain; OVC_SHARE_DOMAIN_OWN ("own", default) */
	int line;		/* line of the [vm NAME] header */
};

struct ovcd_conf {
	unsigned int poll_interval_ms;	/* re-read targets this often */
	unsigned int stats_interval_s;	/* query QEMU for sizes this often */
	enum ovcd_log log;
	char *libvirt_uri;		/* OVCD_LIBVIRT_URI unless given */
	bool libvirt_discover;		/* serve running domains found on ovcfs */
	char *libvirt_dir;		/* qemu.conf's memory_backing_dir */
	bool libvirt;			/* a VM uses libvirt, or libvirt_discover */
	char *swap_file;		/* the module's swap store, NULL: not given */
	uint64_t swap_size_pages;	/* create or grow it to this; 0: not given */
	/*
	 * The module's knobs ([global] policy, idle_tax, ..., scan), indexed like
	 * ovc_knobs[]: bit i of knob_set says knob[i] was given.  policy is
	 * always set (default on); policy_given says whether the file said so.
	 */
	uint64_t knob[OVC_NR_KNOBS];
	unsigned int knob_set;
	bool policy_given;
	struct ovcd_vm_conf *vms;
	size_t nr_vms;
};

/*
 * Read and validate @path into @conf.  Returns 0, or -1 with a message
 * "PATH:LINE: FIELD: PROBLEM" (or "PATH: PROBLEM") in @err; @conf then
 * holds nothing to free.
 */
int ovcd_conf_load(const char *path, struct ovcd_conf *conf, char *err, size_t errlen);

/* Free what ovcd_conf_load() allocated. */
void ovcd_conf_free(struct ovcd_conf *conf);

#endif /* OVCD_CONFIG_H */
