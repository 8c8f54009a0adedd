/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virt - ovcd's libvirt backend (ovcd_virt_ops, backend.h) and the one
 * libvirt connection it shares among the VMs: opened, watched for
 * lifecycle events and reopened after libvirtd restarts by one thread,
 * the event thread; see virt.c.
 */
#ifndef OVCD_VIRT_H
#define OVCD_VIRT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ovcd_conf;

/*
 * What the event thread calls back into ovcd, never with a virt lock
 * held.  @found and @sweep may be NULL: no discovery.
 */
struct virt_hooks {
	void (*log)(int prio, const char *vm, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* scan @scan found the running domain @domain, its RAM at @file */
	void (*found)(const char *domain, const char *file, uint64_t scan);
	/* scan @scan is complete: drop discovered VMs it did not find */
	void (*sweep)(uint64_t scan);
};

/**
 * virt_start() - connect to @conf's libvirt_uri and start the event thread.
 * @conf:	the configuration (libvirt_uri, libvirt_discover,
 *		libvirt_memory_backing_dir); must outlive virt_stop().
 * @stop_fd:	readable when the daemon stops: the thread then ends.
 * @hooks:	logging and, with libvirt_discover, discovery.
 *
 * The first connection is tried before virt_start() returns (so that
 * ovcd --once finds it); a failure is logged and retried by the thread.
 * Return: 0, or -1 if the thread could not be started.
 */
int virt_start(const struct ovcd_conf *conf, int stop_fd, const struct virt_hooks *hooks);

/*
 * Stop the event thread (after @stop_fd became readable) and close the
 * connection, waiting for the thread until @deadline (CLOCK_REALTIME).
 * Return: 0, or -1 if the thread is still running then (inside a libvirt
 * call): nothing was closed, and the thread may still call the hooks.
 */
int virt_stop(const struct timespec *deadline);

#endif /* OVCD_VIRT_H */
