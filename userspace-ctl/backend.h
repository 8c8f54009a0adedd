/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend - how ovcd talks to one VM's hypervisor: QMP to a plain QEMU
 * (qmp.c) or libvirt's API (virt.c).  ovcd.c's loop is written once
 * against these operations; a backend keeps its connection state behind
 * a struct ovcd_hv, which it embeds in its own.
 *
 * Sizes are bytes, with the meaning QMP gives them: the target and the
 * actual size are the guest's RAM size after ballooning, not the size of
 * the balloon.  A call that fails returns -1 with one line in hv->err
 * (naming the socket, domain or URI); ovcd logs it prefixed with
 * ops->name and calls disconnect().
 */
#ifndef OVCD_BACKEND_H
#define OVCD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ovcd_vm_conf;

/* Guest statistics not (yet) provided by the guest. */
#define OVCD_STAT_UNKNOWN	UINT64_MAX

/* What every backend is given when a VM's state is created. */
struct ovcd_hv_env {
	int timeout_ms;			/* bound on each wait for the hypervisor */
	int cancel_fd;			/* readable: the daemon stops, stop waiting */
	unsigned int stats_interval_s;	/* the guest's statistics period */
};

/* One VM's hypervisor state; a backend's own struct begins with it. */
struct ovcd_hv {
	const struct ovcd_backend_ops *ops;
	char err[512];			/* why the last call failed */
};

/**
 * struct ovcd_backend_ops - a hypervisor interface.
 * @name:	"qmp" or "libvirt": the prefix of its log lines.
 * @create:	Allocate the state for the VM @conf (not connected yet).
 *		Return: the state, or NULL when out of memory.
 * @destroy:	Disconnect and free what create() returned.
 * @connect:	Connect if not connected (or no longer: a new QEMU, a
 *		restarted libvirtd, a restarted domain), turn on the guest's
 *		statistics every env->stats_interval_s; if connected, take in
 *		what the hypervisor sent meanwhile.  Return: 1 on a new
 *		connection (the target must be sent again), 0 if it was
 *		connected, -1 on failure.
 * @disconnect:	Drop the connection, if any; connect() may follow.
 * @set_target:	Ask for a guest RAM size of @bytes (> 0).  Return: 0 or -1.
 * @query:	The guest's RAM size now (*@actual) and its free and total
 *		memory (OVCD_STAT_UNKNOWN until the guest reported them), in
 *		bytes.  Return: 0 or -1.
 * @poll_fd:	An fd that becomes readable (POLLIN) when the hypervisor
 *		has something to say, so that ovcd's poll() wakes; -1 if none.
 *		ovcd polls it while connected, and while it waits to retry
 *		after disconnect() (a libvirt connection coming back up ends
 *		the wait); connect() and disconnect() consume what it said.
 * @cancelled:	Did the last failure come from env->cancel_fd (the daemon
 *		stopping) rather than from the hypervisor?
 * @describe:	What the VM is served through, for the "serving:" log
 *		line, into @buf (connected only).
 * @file:	The VM's ovcfs file as the hypervisor places it, found by
 *		connect() (libvirt: in the running domain's directory, so anew
 *		at each start); NULL if not known.  connect() fails instead
 *		when the configuration gives no file and this is not known.
 *		NULL op (qmp): the configuration's file is the one.
 */
struct ovcd_backend_ops {
	const char *name;
	struct ovcd_hv *(*create)(const struct ovcd_vm_conf *conf,
				  const struct ovcd_hv_env *env);
	void (*destroy)(struct ovcd_hv *hv);
	int (*connect)(struct ovcd_hv *hv);
	void (*disconnect)(struct ovcd_hv *hv);
	int (*set_target)(struct ovcd_hv *hv, uint64_t bytes);
	int (*query)(struct ovcd_hv *hv, uint64_t *actual, uint64_t *free_bytes,
		     uint64_t *total_bytes);
	int (*poll_fd)(struct ovcd_hv *hv);
	bool (*cancelled)(struct ovcd_hv *hv);
	void (*describe)(struct ovcd_hv *hv, char *buf, size_t len);
	const char *(*file)(struct ovcd_hv *hv);
};

/* qmp.c and virt.c. */
extern const struct ovcd_backend_ops ovcd_qmp_ops;
extern const struct ovcd_backend_ops ovcd_virt_ops;

#endif /* OVCD_BACKEND_H */
