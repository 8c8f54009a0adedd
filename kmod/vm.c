// SPDX-License-Identifier: GPL-2.0
/*
 * ovc VM object: one per ovcfs regular file, its counters and its whole
 * lifetime.  The design and the lock order are described in vm.h; the
 * slots in slot.h, sharing in share.h.
 */
#include <linux/kobject.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ovc.h>

#include "balloon.h"
#include "range.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

LIST_HEAD(ovc_vms);
DEFINE_MUTEX(ovc_vms_lock);
unsigned long ovc_nr_vms;

static atomic64_t ovc_next_vm_id = ATOMIC64_INIT(0);

/*
 * Registered struct ovc_vm_ops.  They are registered at module init before
 * ovcfs is, and unregistered after it is gone: the list never changes
 * while a VM exists, so it is walked without a lock.
 */
static LIST_HEAD(ovc_vm_ops_list);

/**
 * ovc_vm_register_ops() - hear of every VM's destruction and target changes
 * @ops:	the callbacks, see struct ovc_vm_ops
 *
 * Context: module init, before ovcfs is registered.
 */
void ovc_vm_register_ops(struct ovc_vm_ops *ops)
{
	list_add_tail(&ops->node, &ovc_vm_ops_list);
}

/**
 * ovc_vm_unregister_ops() - undo ovc_vm_register_ops()
 * @ops:	the callbacks
 *
 * Context: module init or exit, while no VM exists.
 */
void ovc_vm_unregister_ops(struct ovc_vm_ops *ops)
{
	list_del(&ops->node);
}

/**
 * ovc_vm_target_changed() - tell the ops that @vm's balloon target changed
 * @vm:	the VM
 */
void ovc_vm_target_changed(struct ovc_vm *vm)
{
	struct ovc_vm_ops *ops;

	list_for_each_entry(ops, &ovc_vm_ops_list, node)
		if (ops->target_changed)
			ops->target_changed(vm);
}

/* The last reference to the VM's kobject is gone: the VM dies here. */
static void ovc_vm_release(struct kobject *kobj)
{
	struct ovc_vm *vm = container_of(kobj, struct ovc_vm, kobj);

	percpu_counter_destroy(&vm->faults);
	kfree(vm);
}

/* sysfs.c adds the kobject and its files (ovc_sysfs_add_vm()). */
static const struct kobj_type ovc_vm_ktype = {
	.release	= ovc_vm_release,
	.sysfs_ops	= &kobj_sysfs_ops,
};

/**
 * ovc_vm_find() - the first VM with an id >= @id, for a worker walking all
 * VMs one at a time (the scanner, the sampler)
 * @id:		where the walk is
 *
 * ovc_vms_lock is held only to find it, never across the work on it: the
 * caller keeps the VM alive by holding the mutex its ovc_vm_ops.destroy
 * callback takes (ovc_scan_mutex, ovc_sample_mutex).
 *
 * Return: the VM, or NULL if none has an id >= @id.
 */
struct ovc_vm *ovc_vm_find(u64 id)
{
	struct ovc_vm *vm, *found = NULL;

	mutex_lock(&ovc_vms_lock);
	list_for_each_entry(vm, &ovc_vms, node) {
		if (vm->id >= id) {
			found = vm;
			break;
		}
	}
	mutex_unlock(&ovc_vms_lock);
	return found;
}

/**
 * ovc_vm_create() - set up the VM object of a new ovcfs regular file
 * @inode:	the new inode, not yet visible to anyone
 * @limit:	its mount's bound of private pages
 *
 * The VM is on ovc_vms on return; ovcfs then registers it with sysfs and
 * wakes the scanner.  Its kobject holds the one reference to it, dropped
 * by ovc_vm_destroy().
 *
 * Context: process context, may sleep.
 * Return: the VM, or ERR_PTR(-ENOMEM).
 */
struct ovc_vm *ovc_vm_create(struct inode *inode,
			     struct ovc_slot_limit *limit)
{
	struct ovc_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	if (percpu_counter_init(&vm->faults, 0, GFP_KERNEL)) {
		kfree(vm);
		return ERR_PTR(-ENOMEM);
	}
	vm->zero_frame = ovc_zero_alloc();
	if (!vm->zero_frame) {
		percpu_counter_destroy(&vm->faults);
		kfree(vm);
		return ERR_PTR(-ENOMEM);
	}
	/* xarray nodes are charged to the memory cgroup that allocates them */
	xa_init_flags(&vm->slots, XA_FLAGS_ACCOUNT);
	xa_init_flags(&vm->rmap, XA_FLAGS_ACCOUNT);
	mutex_init(&vm->lock);
	vm->inode = inode;
	vm->limit = limit;
	vm->share_domain = OVC_SHARE_DOMAIN_OWN;
	vm->active_pages = ULONG_MAX;	/* unknown until sampled: all active */
	vm->active_permille = 1000;
	vm->shares = 1000;
	vm->target_pages = ULONG_MAX;
	/* no inflation yet: out of ovc_balloon_inflating()'s window */
	vm->balloon_grew = jiffies - msecs_to_jiffies(OVC_BALLOON_GREW_MS) - 1;
	vm->id = atomic64_inc_return(&ovc_next_vm_id);
	kobject_init(&vm->kobj, &ovc_vm_ktype);

	mutex_lock(&ovc_vms_lock);
	list_add_tail(&vm->node, &ovc_vms);
	WRITE_ONCE(ovc_nr_vms, ovc_nr_vms + 1);
	mutex_unlock(&ovc_vms_lock);
	return vm;
}

/**
 * ovc_vm_destroy() - free a VM whose inode is being evicted
 * @vm:	the VM; no mapping of it can exist any more
 *
 * Takes it off ovc_vms, runs the destroy callbacks (the scanner frees its
 * records), frees every slot, removes the sysfs directory (kernfs waits
 * for the readers of its files) and drops the last reference: the kobject
 * release, ovc_vm_release(), frees @vm.  Also undoes a failed
 * ovc_sysfs_add_vm().
 *
 * Context: process context, may sleep.
 */
void ovc_vm_destroy(struct ovc_vm *vm)
{
	struct ovc_vm_ops *ops;

	/* Out of the list first: the scanner then never finds it again. */
	mutex_lock(&ovc_vms_lock);
	list_del(&vm->node);
	WRITE_ONCE(ovc_nr_vms, ovc_nr_vms - 1);
	mutex_unlock(&ovc_vms_lock);
	/* Each destroy callback waits for its users in flight (the scanner). */
	list_for_each_entry(ops, &ovc_vm_ops_list, node)
		if (ops->destroy)
			ops->destroy(vm);

	ovc_slot_drop_range(vm, 0, ULONG_MAX, false);
	WARN_ON_ONCE(atomic_long_read(&vm->resident) ||
		     atomic_long_read(&vm->ballooned) ||
		     atomic_long_read(&vm->shared) ||
		     atomic_long_read(&vm->zero) ||
		     atomic_long_read(&vm->compressed) ||
		     atomic_long_read(&vm->compressed_bytes) ||
		     atomic_long_read(&vm->swapped));
	xa_destroy(&vm->slots);
	ovc_zero_free(vm->zero_frame);
	mem_cgroup_put(vm->memcg);
	if (vm->kobj.state_in_sysfs)
		kobject_del(&vm->kobj);
	kobject_put(&vm->kobj);
}

/**
 * ovc_vm_set_memcg() - note the memory cgroup the VM's overhead goes to
 * @vm:	the VM, being mapped by the current process
 *
 * The first process that maps the VM (QEMU) gives it its memory cgroup:
 * the scanner, a kernel thread, charges the VM's records and frames there
 * (guest pages are charged by whoever faults them in, see slot.c).
 *
 * Context: process context (mmap).
 */
void ovc_vm_set_memcg(struct ovc_vm *vm)
{
	struct mem_cgroup *memcg;

	if (READ_ONCE(vm->memcg) || !current->mm)
		return;
	memcg = get_mem_cgroup_from_mm(current->mm);
	if (cmpxchg(&vm->memcg, NULL, memcg))
		mem_cgroup_put(memcg);
}

/**
 * ovc_vm_fill_info() - fill the output fields of struct ovc_vm_info
 * @vm:		the VM
 * @info:	checked by ovc_uarg_vm_info(); reserved fields stay zero
 */
void ovc_vm_fill_info(struct ovc_vm *vm, struct ovc_vm_info *info)
{
	info->api_version = OVC_API_VERSION;
	info->id = vm->id;
	info->size_pages = ovc_range_pages(i_size_read(vm->inode));
	info->resident_pages = atomic_long_read(&vm->resident);
	info->owner_uid = from_kuid_munged(current_user_ns(), vm->inode->i_uid);
	info->owner_pid = READ_ONCE(vm->owner_pid);
	info->balloon_target_pages = READ_ONCE(vm->balloon_target);
	info->balloon_actual_pages = READ_ONCE(vm->balloon_actual);
	info->balloon_pages = atomic_long_read(&vm->ballooned);
	info->shared_pages = atomic_long_read(&vm->shared);
	info->zero_pages = atomic_long_read(&vm->zero);
	info->cow_breaks = atomic_long_read(&vm->cow_breaks);
	info->share_domain = READ_ONCE(vm->share_domain);
}
