// SPDX-License-Identifier: GPL-2.0
/*
 * ovc sysfs: /sys/kernel/mm/ovc/, one value per file, as KSM's.
 *
 *   pages_resident	pages of guest RAM held by all VMs (read-only)
 *   balloon_pages	slots released by hole punches, all VMs (read-only)
 *   nr_vms		number of VM files (read-only)
 *   run, pages_to_scan, sleep_millisecs, zero_only	scanner knobs
 *   pages_shared, pages_sharing, ...			sharing statistics
 *   hash_seed		seed of the page hash (root only, read-only)
 *   sample_period_ms, sample_pages			idle sampling knobs
 *   idle_tax_percent, host_budget_pages, ...		the rebalancer's
 *			knobs and state (balance.h), see
 *			docs/ABI/sysfs-kernel-mm-ovc
 *   compress_max_percent, shrink, compressed_pages, swap_file, ...
 *			reclaim without the guest: knobs and statistics
 *			(reclaim.h, store.h, swap.h)
 *   vms/<id>/		one directory per VM, see ovc_vm_attrs below
 *
 * Stores parse with kstrto*() and answer -EINVAL for garbage or a value
 * out of range, as KSM's do, and -ERANGE for a size above what exists.
 */
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "balance.h"
#include "balloon.h"
#include "range.h"
#include "reclaim.h"
#include "sample.h"
#include "scan.h"
#include "share.h"
#include "slot.h"
#include "store.h"
#include "swap.h"
#include "sysfs.h"
#include "vm.h"

static struct kobject *ovc_kobj;
static struct kset *ovc_vms_kset;

#define OVC_ATTR_RO(_name) \
	static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

static ssize_t pages_resident_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ovc_pages_resident));
}
OVC_ATTR_RO(pages_resident);

static ssize_t balloon_pages_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ovc_pages_ballooned));
}
OVC_ATTR_RO(balloon_pages);

static ssize_t nr_vms_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(ovc_nr_vms));
}
OVC_ATTR_RO(nr_vms);

#define OVC_ATTR_RW(_name) \
	static struct kobj_attribute _name##_attr = __ATTR_RW(_name)

static ssize_t run_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ovc_scan_knobs.run));
}

static ssize_t run_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	unsigned int v;
	int err;

	err = kstrtouint(buf, 10, &v);
	if (!err)
		err = ovc_scan_set_run(v);
	return err ? err : count;
}
OVC_ATTR_RW(run);

static ssize_t zero_only_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ovc_scan_knobs.zero_only));
}

static ssize_t zero_only_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	unsigned int v;
	int err;

	err = kstrtouint(buf, 10, &v);
	if (!err)
		err = ovc_scan_set_zero_only(v);
	return err ? err : count;
}
OVC_ATTR_RW(zero_only);

/*
 * An unsigned knob _knobs._name in [_min, _max]; a change calls _wake()
 * (the scanner's and the rebalancer's knobs).
 */
#define OVC_UINT_KNOB(_knobs, _name, _min, _max, _wake)		\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(_knobs._name));	\
}									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t count)		\
{									\
	unsigned int v;							\
	int err;							\
									\
	err = kstrtouint(buf, 10, &v);					\
	if (err)							\
		return err;						\
	if (v < (_min) || v > (_max))					\
		return -EINVAL;						\
	WRITE_ONCE(_knobs._name, v);					\
	_wake();							\
	return count;							\
}									\
OVC_ATTR_RW(_name)

/* A scanner knob; a change wakes ovc_scand. */
#define OVC_KNOB(_name, _min, _max)					\
	OVC_UINT_KNOB(ovc_scan_knobs, _name, _min, _max, ovc_scan_wake)

OVC_KNOB(pages_to_scan, 1, OVC_PAGES_TO_SCAN_MAX);
OVC_KNOB(sleep_millisecs, 0, OVC_SLEEP_MS_MAX);

/* A scanner statistic. */
#define OVC_SCAN_STAT(_name, _field)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", READ_ONCE(ovc_scan_stats._field));\
}									\
OVC_ATTR_RO(_name)

OVC_SCAN_STAT(pages_scanned, pages_scanned);
OVC_SCAN_STAT(full_scans, full_scans);
OVC_SCAN_STAT(pages_volatile, pages_volatile);
OVC_SCAN_STAT(hint_stale, hint_stale);
OVC_SCAN_STAT(pages_pinned, pinned);

/* A share table statistic, read under ovc_share_lock. */
static unsigned long ovc_sysfs_share_stat(unsigned long *field)
{
	unsigned long v;

	spin_lock(&ovc_share_lock);
	v = *field;
	spin_unlock(&ovc_share_lock);
	return v;
}

static ssize_t pages_shared_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  ovc_sysfs_share_stat(&ovc_share_stats.frames));
}
OVC_ATTR_RO(pages_shared);

static ssize_t pages_sharing_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	unsigned long sharers, frames;

	spin_lock(&ovc_share_lock);
	sharers = ovc_share_stats.sharers;
	frames = ovc_share_stats.frames;
	spin_unlock(&ovc_share_lock);
	return sysfs_emit(buf, "%lu\n", sharers - frames);
}
OVC_ATTR_RO(pages_sharing);

static ssize_t pages_zero_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", ovc_sysfs_share_stat(&ovc_share_stats.zero));
}
OVC_ATTR_RO(pages_zero);

static ssize_t pages_unshared_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  ovc_sysfs_share_stat(&ovc_share_stats.hints));
}
OVC_ATTR_RO(pages_unshared);

static ssize_t chain_capped_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  ovc_sysfs_share_stat(&ovc_share_stats.chain_capped));
}
OVC_ATTR_RO(chain_capped);

static ssize_t cow_breaks_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ovc_cow_breaks));
}
OVC_ATTR_RO(cow_breaks);

static ssize_t merges_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ovc_merges));
}
OVC_ATTR_RO(merges);

/*
 * Root only (mode 0400): whoever knows the seed can craft distinct pages
 * with one hash, which is what the tests need (a match must never merge
 * without the full compare); guests never see it.
 */
static ssize_t hash_seed_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", ovc_share_hash_seed());
}
static struct kobj_attribute hash_seed_attr =
	__ATTR(hash_seed, 0400, hash_seed_show, NULL);

/*
 * The rebalancer (balance.c): knobs, state and statistics.  Every store
 * that changes something wakes ovc_balanced.
 */
#define OVC_BALANCE_KNOB(_name, _min, _max)				\
	OVC_UINT_KNOB(ovc_balance_knobs, _name, _min, _max, ovc_balance_wake)

OVC_BALANCE_KNOB(idle_tax_percent, 0, OVC_POLICY_TAX_MAX);
OVC_BALANCE_KNOB(balance_period_ms, OVC_BALANCE_PERIOD_MIN,
		 OVC_BALANCE_PERIOD_MAX);
OVC_BALANCE_KNOB(balloon_max_percent, 0, 100);
/* policy_run=0 returns once no rebalance may still act on the policy. */
OVC_UINT_KNOB(ovc_balance_knobs, policy_run, 0, 1, ovc_balance_run_changed);

/* A page count up to totalram_pages; -ERANGE above. */
static int ovc_sysfs_host_pages(const char *buf, unsigned long *pages)
{
	int err = kstrtoul(buf, 10, pages);

	if (err)
		return err;
	return *pages > totalram_pages() ? -ERANGE : 0;
}

static ssize_t host_reserve_pages_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(ovc_balance_knobs.host_reserve_pages));
}

static ssize_t host_reserve_pages_store(struct kobject *kobj,
					struct kobj_attribute *attr,
					const char *buf, size_t count)
{
	unsigned long pages;
	int err;

	err = ovc_sysfs_host_pages(buf, &pages);
	if (err)
		return err;
	WRITE_ONCE(ovc_balance_knobs.host_reserve_pages, pages);
	ovc_balance_wake();
	return count;
}
OVC_ATTR_RW(host_reserve_pages);

/* Reads show the effective budget; 0 stores "automatic". */
static ssize_t host_budget_pages_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", ovc_balance_budget());
}

static ssize_t host_budget_pages_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned long pages;
	int err;

	err = ovc_sysfs_host_pages(buf, &pages);
	if (err)
		return err;
	WRITE_ONCE(ovc_balance_knobs.host_budget_pages, pages);
	ovc_balance_wake();
	return count;
}
OVC_ATTR_RW(host_budget_pages);

#define OVC_STATE_PCT(_name, _state)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n",					\
		READ_ONCE(ovc_balance_knobs.thresholds.pct[_state]));	\
}									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t count)		\
{									\
	unsigned int v;							\
	int err;							\
									\
	err = kstrtouint(buf, 10, &v);					\
	if (!err)							\
		err = v > 100 ? -EINVAL :				\
		      ovc_balance_set_threshold(_state, v);		\
	return err ? err : count;					\
}									\
OVC_ATTR_RW(_name)

OVC_STATE_PCT(state_high_percent, OVC_STATE_HIGH);
OVC_STATE_PCT(state_soft_percent, OVC_STATE_SOFT);
OVC_STATE_PCT(state_hard_percent, OVC_STATE_HARD);
OVC_STATE_PCT(state_low_percent, OVC_STATE_LOW);

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", ovc_policy_state_name(
				  READ_ONCE(ovc_balance_stats.state)));
}
OVC_ATTR_RO(state);

static ssize_t free_pages_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(ovc_balance_stats.free_pages));
}
OVC_ATTR_RO(free_pages);

static ssize_t low_waits_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&ovc_balance_stats.low_waits));
}
OVC_ATTR_RO(low_waits);

static ssize_t rebalances_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(ovc_balance_stats.rebalances));
}
OVC_ATTR_RO(rebalances);

/*
 * Idle sampling (sample.c): sample_period_ms (0 stops it, else
 * OVC_SAMPLE_PERIOD_MIN..MAX) and sample_pages (1..OVC_SAMPLE_PAGES_MAX).
 */
#define OVC_SAMPLE_KNOB(_name, _field, _set)				\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(ovc_sample_knobs._field));\
}									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t count)		\
{									\
	unsigned int v;							\
	int err;							\
									\
	err = kstrtouint(buf, 10, &v);					\
	if (!err)							\
		err = _set(v);						\
	return err ? err : count;					\
}									\
OVC_ATTR_RW(_name)

OVC_SAMPLE_KNOB(sample_period_ms, period_ms, ovc_sample_set_period);
OVC_SAMPLE_KNOB(sample_pages, pages, ovc_sample_set_pages);

static ssize_t compress_max_percent_show(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ovc_store_max_percent));
}

/* Parse @buf into *@knob, at most @max (-EINVAL above). */
static ssize_t ovc_knob_store_uint(const char *buf, size_t count,
				   unsigned int *knob, unsigned int max)
{
	unsigned int v;
	int err;

	err = kstrtouint(buf, 10, &v);
	if (err)
		return err;
	if (v > max)
		return -EINVAL;
	WRITE_ONCE(*knob, v);
	return count;
}

/* 0: store nothing more; at most 100 (of the host's RAM). */
static ssize_t compress_max_percent_store(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  const char *buf, size_t count)
{
	return ovc_knob_store_uint(buf, count, &ovc_store_max_percent, 100);
}
OVC_ATTR_RW(compress_max_percent);

static ssize_t shrink_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ovc_reclaim_shrink));
}

/* 0 or 1 only, as run; kstrtobool() would take "yes" and "n". */
static ssize_t shrink_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned int v;
	int err;

	err = kstrtouint(buf, 10, &v);
	if (err)
		return err;
	if (v > 1)
		return -EINVAL;
	WRITE_ONCE(ovc_reclaim_shrink, v);
	return count;
}
OVC_ATTR_RW(shrink);

/* A statistic kept in the atomic_long_t @_counter. */
#define OVC_LONG_STAT(_name, _counter)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&(_counter)));	\
}									\
OVC_ATTR_RO(_name)

/* A compressed cache statistic. */
#define OVC_STORE_STAT(_name, _field)					\
	OVC_LONG_STAT(_name, ovc_store_stats._field)

OVC_STORE_STAT(compressed_pages, pages);
OVC_STORE_STAT(compressed_bytes, bytes);
OVC_STORE_STAT(compress_rejects, rejects);
OVC_STORE_STAT(compressed_written_back, written_back);
OVC_STORE_STAT(store_errors, errors);

static ssize_t compressed_pool_pages_show(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  char *buf)
{
	return sysfs_emit(buf, "%lu\n", ovc_store_pool_pages());
}
OVC_ATTR_RO(compressed_pool_pages);

/* Pages stored so far: compressed and written to the swap store. */
static ssize_t swap_outs_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&ovc_store_stats.stores) +
			  atomic_long_read(&ovc_swap_stats.writes));
}
OVC_ATTR_RO(swap_outs);

/* Pages read back so far: decompressed and read from the swap store. */
static ssize_t swap_ins_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&ovc_store_stats.loads) +
			  atomic_long_read(&ovc_swap_stats.reads));
}
OVC_ATTR_RO(swap_ins);

/* Of swap_ins, the pages read ahead of a fault. */
OVC_LONG_STAT(swap_ins_readahead, ovc_swap_stats.readahead);

static ssize_t swap_readahead_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ovc_swap_readahead));
}

/* 0 (none) to OVC_SWAP_IO_MAX - 1 pages after the faulting one. */
static ssize_t swap_readahead_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	return ovc_knob_store_uint(buf, count, &ovc_swap_readahead,
				   OVC_SWAP_IO_MAX - 1);
}
OVC_ATTR_RW(swap_readahead);

OVC_LONG_STAT(swapped_pages, ovc_swap_stats.pages);

static ssize_t swap_slots_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", ovc_swap_slots());
}
OVC_ATTR_RO(swap_slots);

/* The swap store's path (as ovcd opened it), or an empty line. */
static ssize_t swap_file_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	ssize_t len = ovc_swap_path(buf, PAGE_SIZE - 1);

	if (len < 0)
		return len;
	buf[len] = '\n';
	return len + 1;
}
OVC_ATTR_RO(swap_file);

static struct attribute *ovc_attrs[] = {
	&pages_resident_attr.attr,
	&balloon_pages_attr.attr,
	&nr_vms_attr.attr,
	&run_attr.attr,
	&pages_to_scan_attr.attr,
	&sleep_millisecs_attr.attr,
	&zero_only_attr.attr,
	&pages_shared_attr.attr,
	&pages_sharing_attr.attr,
	&pages_zero_attr.attr,
	&pages_unshared_attr.attr,
	&pages_volatile_attr.attr,
	&pages_scanned_attr.attr,
	&full_scans_attr.attr,
	&cow_breaks_attr.attr,
	&merges_attr.attr,
	&hint_stale_attr.attr,
	&pages_pinned_attr.attr,
	&chain_capped_attr.attr,
	&hash_seed_attr.attr,
	/* idle sampling */
	&sample_period_ms_attr.attr,
	&sample_pages_attr.attr,
	/* the rebalancer */
	&idle_tax_percent_attr.attr,
	&host_reserve_pages_attr.attr,
	&host_budget_pages_attr.attr,
	&balance_period_ms_attr.attr,
	&balloon_max_percent_attr.attr,
	&policy_run_attr.attr,
	&state_attr.attr,
	&free_pages_attr.attr,
	&state_high_percent_attr.attr,
	&state_soft_percent_attr.attr,
	&state_hard_percent_attr.attr,
	&state_low_percent_attr.attr,
	&low_waits_attr.attr,
	&rebalances_attr.attr,
	/* reclaim without the guest */
	&compress_max_percent_attr.attr,
	&shrink_attr.attr,
	&compressed_pages_attr.attr,
	&compressed_bytes_attr.attr,
	&compressed_pool_pages_attr.attr,
	&compressed_written_back_attr.attr,
	&swap_outs_attr.attr,
	&swap_ins_attr.attr,
	&swap_ins_readahead_attr.attr,
	&swap_readahead_attr.attr,
	&compress_rejects_attr.attr,
	&store_errors_attr.attr,
	&swap_file_attr.attr,
	&swap_slots_attr.attr,
	&swapped_pages_attr.attr,
	NULL,
};

static const struct attribute_group ovc_attr_group = {
	.attrs = ovc_attrs,
};

/*
 * Per-VM files.  A show can run until ovc_vm_destroy() has removed the
 * directory (kernfs drains active readers), so vm and vm->inode are valid.
 */
static inline struct ovc_vm *kobj_to_vm(struct kobject *kobj)
{
	return container_of(kobj, struct ovc_vm, kobj);
}

#define OVC_VM_ATTR_RO(_name)						\
	static struct kobj_attribute vm_##_name##_attr =		\
		__ATTR(_name, 0444, vm_##_name##_show, NULL)

static ssize_t vm_name_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct ovc_vm *vm = kobj_to_vm(kobj);
	struct dentry *dentry;
	ssize_t ret;
	char *tmp, *path;

	dentry = d_find_any_alias(vm->inode);
	if (!dentry)
		return sysfs_emit(buf, "(deleted)\n");
	tmp = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!tmp) {
		dput(dentry);
		return -ENOMEM;
	}
	path = dentry_path_raw(dentry, tmp, PATH_MAX);
	if (IS_ERR(path))
		ret = PTR_ERR(path);
	else
		ret = sysfs_emit(buf, "%s%s\n", path,
				 d_unlinked(dentry) ? " (deleted)" : "");
	kfree(tmp);
	dput(dentry);
	return ret;
}
OVC_VM_ATTR_RO(name);

static ssize_t vm_owner_uid_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  from_kuid_munged(&init_user_ns,
					   kobj_to_vm(kobj)->inode->i_uid));
}
OVC_VM_ATTR_RO(owner_uid);

static ssize_t vm_owner_pid_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kobj_to_vm(kobj)->owner_pid));
}
OVC_VM_ATTR_RO(owner_pid);

static ssize_t vm_size_pages_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct inode *inode = kobj_to_vm(kobj)->inode;

	return sysfs_emit(buf, "%lu\n", ovc_range_pages(i_size_read(inode)));
}
OVC_VM_ATTR_RO(size_pages);

static ssize_t vm_resident_pages_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&kobj_to_vm(kobj)->resident));
}
OVC_VM_ATTR_RO(resident_pages);

static ssize_t vm_balloon_pages_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&kobj_to_vm(kobj)->ballooned));
}
OVC_VM_ATTR_RO(balloon_pages);

/* What ovcd reported (OVC_IOC_GUEST_REPORT); 0 until it did. */
#define OVC_VM_U64_ATTR_RO(_name, _field)				\
static ssize_t vm_##_name##_show(struct kobject *kobj,			\
				 struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  READ_ONCE(kobj_to_vm(kobj)->_field));		\
}									\
OVC_VM_ATTR_RO(_name)

OVC_VM_U64_ATTR_RO(balloon_actual_pages, balloon_actual);
OVC_VM_U64_ATTR_RO(guest_free_pages, guest_free);
OVC_VM_U64_ATTR_RO(guest_total_pages, guest_total);

static ssize_t vm_balloon_target_pages_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(kobj_to_vm(kobj)->balloon_target));
}

/* Root only (mode 0644); the ioctl is the other way in. */
static ssize_t vm_balloon_target_pages_store(struct kobject *kobj,
					     struct kobj_attribute *attr,
					     const char *buf, size_t count)
{
	u64 pages;
	int err;

	err = kstrtou64(buf, 10, &pages);
	if (err)
		return err;
	err = ovc_balloon_set_target(kobj_to_vm(kobj), pages);
	return err ? err : count;
}
static struct kobj_attribute vm_balloon_target_pages_attr =
	__ATTR(balloon_target_pages, 0644, vm_balloon_target_pages_show,
	       vm_balloon_target_pages_store);

#define OVC_VM_LONG_ATTR_RO(_name, _field)				\
static ssize_t vm_##_name##_show(struct kobject *kobj,			\
				 struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n",				\
			  atomic_long_read(&kobj_to_vm(kobj)->_field));	\
}									\
OVC_VM_ATTR_RO(_name)

OVC_VM_LONG_ATTR_RO(shared_pages, shared);
OVC_VM_LONG_ATTR_RO(zero_pages, zero);
OVC_VM_LONG_ATTR_RO(cow_breaks, cow_breaks);
OVC_VM_LONG_ATTR_RO(merges, merges);
OVC_VM_LONG_ATTR_RO(compressed_pages, compressed);
OVC_VM_LONG_ATTR_RO(compressed_bytes, compressed_bytes);
OVC_VM_LONG_ATTR_RO(swapped_pages, swapped);
OVC_VM_LONG_ATTR_RO(swap_outs, swap_outs);
OVC_VM_LONG_ATTR_RO(swap_ins, swap_ins);
OVC_VM_LONG_ATTR_RO(store_errors, store_errors);

/*
 * Root only (mode 0200), as memory.reclaim: store this many of the VM's
 * private pages now; -EAGAIN if fewer could be (pinned, incompressible,
 * the store full).
 */
static ssize_t vm_reclaim_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	unsigned long pages;
	int err;

	err = kstrtoul(buf, 10, &pages);
	if (err)
		return err;
	err = ovc_reclaim_request(kobj_to_vm(kobj), pages);
	return err ? err : count;
}
static struct kobj_attribute vm_reclaim_attr =
	__ATTR(reclaim, 0200, NULL, vm_reclaim_store);

static ssize_t vm_faults_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  percpu_counter_sum(&kobj_to_vm(kobj)->faults));
}
OVC_VM_ATTR_RO(faults);

/* Pages this VM would hold privately without sharing. */
static ssize_t vm_saved_pages_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct ovc_vm *vm = kobj_to_vm(kobj);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(&vm->shared) +
			  atomic_long_read(&vm->zero));
}
OVC_VM_ATTR_RO(saved_pages);

static ssize_t vm_share_domain_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(kobj_to_vm(kobj)->share_domain));
}

/* Root only (mode 0644); OVC_IOC_SET_SHARE_DOMAIN is the other way in. */
static ssize_t vm_share_domain_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	u32 domain;
	int err;

	err = kstrtou32(buf, 10, &domain);
	if (!err)
		err = ovc_scan_set_domain(kobj_to_vm(kobj), domain);
	return err ? err : count;
}
static struct kobj_attribute vm_share_domain_attr =
	__ATTR(share_domain, 0644, vm_share_domain_show,
	       vm_share_domain_store);

/*
 * The rebalancer's per-VM files (balance.c): shares, min_pages, max_pages
 * (root only, mode 0644) and target_pages.
 */
static ssize_t vm_shares_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_vm(kobj)->shares));
}

static ssize_t vm_shares_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	u32 shares;
	int err;

	err = kstrtou32(buf, 10, &shares);
	if (err)
		return err;
	if (!shares || shares > OVC_POLICY_SHARES_MAX)
		return -EINVAL;
	WRITE_ONCE(kobj_to_vm(kobj)->shares, shares);
	ovc_balance_wake();
	return count;
}
static struct kobj_attribute vm_shares_attr =
	__ATTR(shares, 0644, vm_shares_show, vm_shares_store);

static ssize_t vm_min_pages_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(kobj_to_vm(kobj)->min_pages));
}

static ssize_t vm_min_pages_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	unsigned long pages;
	int err;

	err = kstrtoul(buf, 10, &pages);
	if (!err)
		err = ovc_balance_set_min(kobj_to_vm(kobj), pages);
	return err ? err : count;
}
static struct kobj_attribute vm_min_pages_attr =
	__ATTR(min_pages, 0644, vm_min_pages_show, vm_min_pages_store);

/* Reads show the effective value: the file size when unset. */
static ssize_t vm_max_pages_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  ovc_balance_max_pages(kobj_to_vm(kobj)));
}

static ssize_t vm_max_pages_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	unsigned long pages;
	int err;

	err = kstrtoul(buf, 10, &pages);
	if (!err)
		err = ovc_balance_set_max(kobj_to_vm(kobj), pages);
	return err ? err : count;
}
static struct kobj_attribute vm_max_pages_attr =
	__ATTR(max_pages, 0644, vm_max_pages_show, vm_max_pages_store);

/* The size before the first rebalance. */
static ssize_t vm_target_pages_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct ovc_vm *vm = kobj_to_vm(kobj);
	unsigned long target = READ_ONCE(vm->target_pages);

	if (target == ULONG_MAX)
		target = ovc_range_pages(i_size_read(vm->inode));
	return sysfs_emit(buf, "%lu\n", target);
}
OVC_VM_ATTR_RO(target_pages);

/*
 * Idle sampling (sample.c): the estimate and its periods.  active_pages
 * shows resident_pages ("all active") until a period with samples ended.
 */
static ssize_t vm_active_permille_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(kobj_to_vm(kobj)->active_permille));
}
OVC_VM_ATTR_RO(active_permille);

static ssize_t vm_active_pages_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct ovc_vm *vm = kobj_to_vm(kobj);
	unsigned long pages = READ_ONCE(vm->active_pages);

	if (pages == ULONG_MAX)
		pages = atomic_long_read(&vm->resident);
	return sysfs_emit(buf, "%lu\n", pages);
}
OVC_VM_ATTR_RO(active_pages);

static ssize_t vm_sample_periods_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(kobj_to_vm(kobj)->sample.periods));
}
OVC_VM_ATTR_RO(sample_periods);

/* A VM's balloon target changed: wake pollers of balloon_target_pages. */
static void ovc_sysfs_notify_target(struct ovc_vm *vm)
{
	sysfs_notify(&vm->kobj, NULL, "balloon_target_pages");
}

static struct ovc_vm_ops ovc_sysfs_vm_ops = {
	.target_changed	= ovc_sysfs_notify_target,
};

static struct attribute *ovc_vm_attrs[] = {
	&vm_name_attr.attr,
	&vm_owner_uid_attr.attr,
	&vm_owner_pid_attr.attr,
	&vm_size_pages_attr.attr,
	&vm_resident_pages_attr.attr,
	&vm_balloon_pages_attr.attr,
	&vm_balloon_target_pages_attr.attr,
	&vm_balloon_actual_pages_attr.attr,
	&vm_guest_free_pages_attr.attr,
	&vm_guest_total_pages_attr.attr,
	&vm_shared_pages_attr.attr,
	&vm_zero_pages_attr.attr,
	&vm_cow_breaks_attr.attr,
	&vm_merges_attr.attr,
	&vm_faults_attr.attr,
	&vm_saved_pages_attr.attr,
	&vm_share_domain_attr.attr,
	/* idle sampling */
	&vm_active_permille_attr.attr,
	&vm_active_pages_attr.attr,
	&vm_sample_periods_attr.attr,
	/* the rebalancer */
	&vm_shares_attr.attr,
	&vm_min_pages_attr.attr,
	&vm_max_pages_attr.attr,
	&vm_target_pages_attr.attr,
	/* reclaim without the guest */
	&vm_compressed_pages_attr.attr,
	&vm_compressed_bytes_attr.attr,
	&vm_swapped_pages_attr.attr,
	&vm_swap_outs_attr.attr,
	&vm_swap_ins_attr.attr,
	&vm_store_errors_attr.attr,
	&vm_reclaim_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ovc_vm);

/**
 * ovc_sysfs_add_vm() - create vms/<id>/ for a new VM
 * @vm:	the VM from ovc_vm_create(), whose kobject is initialised
 *
 * The directory goes away with the VM (ovc_vm_destroy()), which on
 * failure also removes whatever was added.
 *
 * Return: 0 or the error of kobject_add() or sysfs_create_groups().
 */
int ovc_sysfs_add_vm(struct ovc_vm *vm)
{
	int err;

	vm->kobj.kset = ovc_vms_kset;
	err = kobject_add(&vm->kobj, NULL, "%llu", vm->id);
	if (!err)
		err = sysfs_create_groups(&vm->kobj, ovc_vm_groups);
	return err;
}

/**
 * ovc_sysfs_init() - create /sys/kernel/mm/ovc
 *
 * Return: 0 or -ENOMEM.
 */
int ovc_sysfs_init(void)
{
	int err = -ENOMEM;

	ovc_kobj = kobject_create_and_add("ovc", mm_kobj);
	if (!ovc_kobj)
		return -ENOMEM;
	err = sysfs_create_group(ovc_kobj, &ovc_attr_group);
	if (err)
		goto out_put;
	ovc_vms_kset = kset_create_and_add("vms", NULL, ovc_kobj);
	if (!ovc_vms_kset) {
		err = -ENOMEM;
		goto out_group;
	}
	ovc_vm_register_ops(&ovc_sysfs_vm_ops);
	return 0;

out_group:
	sysfs_remove_group(ovc_kobj, &ovc_attr_group);
out_put:
	kobject_put(ovc_kobj);
	return err;
}

/** ovc_sysfs_exit() - remove /sys/kernel/mm/ovc; no VM may be left */
void ovc_sysfs_exit(void)
{
	ovc_vm_unregister_ops(&ovc_sysfs_vm_ops);
	kset_unregister(ovc_vms_kset);
	sysfs_remove_group(ovc_kobj, &ovc_attr_group);
	kobject_put(ovc_kobj);
}
