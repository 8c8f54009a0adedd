/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libovc - what the ovc module exposes: its sysfs tree and the ioctls on
 * an ovcfs file.  No output here; callers format the results.
 *
 * Every function returns 0 on success, or -1 with errno set, so a
 * caller can report failures with err(3).
 */
#ifndef OVC_LIBOVC_H
#define OVC_LIBOVC_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ovc.h>

/* Bits of struct ovc_vm_stat::known: which fields were read. */
enum {
	OVC_VM_NAME	= 1 << 0,
	OVC_VM_UID	= 1 << 1,
	OVC_VM_PID	= 1 << 2,
	OVC_VM_SIZE	= 1 << 3,
	OVC_VM_RESIDENT	= 1 << 4,
	OVC_VM_BALLOON_TARGET	= 1 << 5,
	OVC_VM_BALLOON		= 1 << 6,
	OVC_VM_BALLOON_ACTUAL	= 1 << 7,
	OVC_VM_GUEST_FREE	= 1 << 8,
	OVC_VM_GUEST_TOTAL	= 1 << 9,
	OVC_VM_SHARED		= 1 << 10,
	OVC_VM_ZERO		= 1 << 11,
	OVC_VM_COW		= 1 << 12,
	OVC_VM_SHARE_DOMAIN	= 1 << 13,
	OVC_VM_ACTIVE		= 1 << 14,	/* active_permille */
	OVC_VM_SHARES		= 1 << 15,
	OVC_VM_MIN		= 1 << 16,
	OVC_VM_MAX		= 1 << 17,
	OVC_VM_ALLOC		= 1 << 18,	/* target_pages */
	OVC_VM_SWAPPED		= 1 << 19,	/* swapped_pages (reclaim, issue 10) */
	OVC_VM_MERGES		= 1 << 20,	/* merges (counter) */
	OVC_VM_FAULTS		= 1 << 21,	/* faults (counter) */
	/* the compressed cache (reclaim without the guest, issue 10) */
	OVC_VM_COMPRESSED	= 1 << 22,	/* compressed_pages */
	OVC_VM_COMPRESSED_BYTES	= 1 << 23,	/* compressed_bytes */
	OVC_VM_SWAP_OUTS	= 1 << 24,	/* swap_outs (counter) */
	OVC_VM_SWAP_INS		= 1 << 25,	/* swap_ins (counter) */
	OVC_VM_STORE_ERRORS	= 1 << 26,	/* store_errors (counter) */
};

/* One VM as the module describes it; a field is valid if its bit is set. */
struct ovc_vm_stat {
	uint64_t id;
	char *name;			/* malloc'ed; freed by ovc_vm_stat_clear() */
	uint64_t owner_uid;
	uint64_t owner_pid;
	uint64_t size_pages;
	uint64_t resident_pages;
	uint64_t balloon_target_pages;	/* the host's target balloon size */
	uint64_t balloon_pages;		/* pages released by hole punching */
	uint64_t balloon_actual_pages;	/* balloon size ovcd last reported */
	uint64_t guest_free_pages;	/* guest's free memory, from ovcd */
	uint64_t guest_total_pages;	/* guest's total memory, from ovcd */
	uint64_t shared_pages;		/* slots on a shared frame */
	uint64_t zero_pages;		/* slots on the zero frame */
	uint64_t cow_breaks;		/* copy-on-write breaks */
	uint64_t share_domain;		/* sharing domain, OVC_SHARE_DOMAIN_OWN: its own */
	uint64_t active_permille;	/* the idle sampling's estimate, 0..1000 */
	uint64_t shares;		/* the policy's inputs: shares, */
	uint64_t min_pages;		/* reservation, */
	uint64_t max_pages;		/* and the most it gets (effective value) */
	uint64_t alloc_pages;		/* target_pages: the policy's allocation target */
	uint64_t swapped_pages;		/* pages the host reclaimed to its swap store */
	uint64_t merges;		/* pages the scanner merged, so far */
	uint64_t faults;		/* page faults that mapped a page, so far */
	uint64_t compressed_pages;	/* pages held in the compressed cache */
	uint64_t compressed_bytes;	/* their compressed size, bytes */
	uint64_t swap_outs;		/* pages stored compressed, so far */
	uint64_t swap_ins;		/* pages read back from the cache, so far */
	uint64_t store_errors;		/* stores refused (cache full, no memory), so far */
	unsigned int known;
};

/* Bits of struct ovc_stat::known for the optional global numbers. */
enum {
	OVC_STAT_SHARING	= 1 << 0,	/* pages_shared ... cow_breaks */
	OVC_STAT_BALLOON	= 1 << 1,	/* balloon_pages */
	OVC_STAT_STATE		= 1 << 2,	/* state */
	OVC_STAT_BUDGET		= 1 << 3,	/* host_budget_pages */
	OVC_STAT_FREE		= 1 << 4,	/* free_pages */
	OVC_STAT_MERGES		= 1 << 5,	/* merges */
	/* the compressed cache (issue 10), one bit per file */
	OVC_STAT_COMPRESSED	= 1 << 6,	/* compressed_pages */
	OVC_STAT_COMPRESSED_BYTES = 1 << 7,	/* compressed_bytes */
	OVC_STAT_POOL		= 1 << 8,	/* compressed_pool_pages */
	OVC_STAT_SWAP_OUTS	= 1 << 9,	/* swap_outs */
	OVC_STAT_SWAP_INS	= 1 << 10,	/* swap_ins */
	OVC_STAT_REJECTS	= 1 << 11,	/* compress_rejects */
	OVC_STAT_STORE_ERRORS	= 1 << 12,	/* store_errors */
	/* the swap store (issue 10) */
	OVC_STAT_SWAP_FILE	= 1 << 13,	/* swap_file */
	OVC_STAT_SWAP_SLOTS	= 1 << 14,	/* swap_slots */
	OVC_STAT_SWAPPED	= 1 << 15,	/* swapped_pages */
};

/* The module-wide numbers at the sysfs root. */
struct ovc_stat {
	uint64_t pages_resident;
	uint64_t nr_vms;
	uint64_t balloon_pages;
	uint64_t pages_shared;		/* live shared frames */
	uint64_t pages_sharing;		/* pages those frames save */
	uint64_t pages_zero;		/* slots on the zero frame */
	uint64_t cow_breaks;
	uint64_t merges;		/* pages merged so far, all VMs */
	char state[16];			/* the memory state: high, soft, hard or low */
	uint64_t host_budget_pages;	/* the effective budget */
	uint64_t free_pages;		/* free memory the state is computed from */
	uint64_t compressed_pages;	/* pages held in the compressed cache */
	uint64_t compressed_bytes;	/* their compressed bytes, without allocator overhead */
	uint64_t compressed_pool_pages;	/* pages the zsmalloc pool uses, overhead included */
	uint64_t swap_outs;		/* pages stored so far */
	uint64_t swap_ins;		/* pages read back so far */
	uint64_t compress_rejects;	/* pages that did not compress to half a page */
	uint64_t store_errors;		/* stores refused: cache full or no memory */
	char swap_file[4096];		/* the swap store's path, "" if none */
	uint64_t swap_slots;		/* pages it can hold, 0 if none */
	uint64_t swapped_pages;		/* pages in it now */
	unsigned int known;
};

/* The sysfs root: $OVC_SYSFS if set and not empty, else OVC_SYSFS_ROOT. */
const char *ovc_sysfs_root(void);

/* Open the sysfs root as a directory fd (ENOENT: module not loaded). */
int ovc_open_root(void);

/*
 * Read the global files: pages_resident and nr_vms are required, the
 * others optional (see struct ovc_stat::known).
 */
int ovc_read_stat(int root, struct ovc_stat *st);

/* List the VM ids under vms/, sorted; *ids is malloc'ed. */
int ovc_list_vms(int root, uint64_t **ids, size_t *nr);

/*
 * Read vms/<id>/.  A missing file leaves its field unknown; ENOENT for
 * the directory itself means the VM went away since it was listed.
 */
int ovc_read_vm_stat(int root, uint64_t id, struct ovc_vm_stat *vm);

/* Issue OVC_IOC_VM_INFO on an open ovcfs file. */
int ovc_get_vm_info(int fd, struct ovc_vm_info *info);

/* Fill @vm from an ioctl answer (name left unknown). */
void ovc_vm_stat_from_info(struct ovc_vm_stat *vm, const struct ovc_vm_info *info);

/* Free what @vm holds and reset it. */
void ovc_vm_stat_clear(struct ovc_vm_stat *vm);

/*
 * A decimal number as sysfs writes it (digits only, no sign or space):
 * EINVAL if it is not one, ERANGE past 64 bits.
 */
int ovc_parse_u64(const char *s, uint64_t *val);

/* Read one decimal value from @path relative to directory @dir. */
int ovc_read_u64(int dir, const char *path, uint64_t *val);

/* Read one line (without its newline) from @path relative to @dir into @buf. */
int ovc_read_str(int dir, const char *path, char *buf, size_t len);

/* Write one decimal value to @path relative to @dir (a sysfs store). */
int ovc_write_u64(int dir, const char *path, uint64_t val);

/*
 * Re-read an open sysfs file from offset 0, as needed after poll() woke
 * up on it.  EINVAL if it does not hold a number (e.g. being rewritten).
 */
int ovc_pread_u64(int fd, uint64_t *val);

/* Open vms/<id>/ under the sysfs root @root, as a directory fd. */
int ovc_open_vm_dir(int root, uint64_t id);

/*
 * A size: decimal bytes with an optional binary suffix K, M, G or T
 * (upper or lower case), or "<n>p" for pages of @page_size bytes.
 * EINVAL if malformed, ERANGE if it does not fit in 64 bits.
 */
int ovc_parse_size(const char *s, uint64_t page_size, uint64_t *bytes);

/*
 * The module-wide policy and scanner knobs at the sysfs root, as ovcctl
 * tune and ovcd.conf's [global] name them.  One table for both tools, so that
 * both accept and refuse the same values with the same words.
 */
enum ovc_knob_kind {
	OVC_KNOB_NUMBER,	/* decimal, in [min, max] (or 0 if zero_ok) */
	OVC_KNOB_SIZE,		/* a size (ovc_parse_size), whole pages; written in pages */
	OVC_KNOB_SIZE_AUTO,	/* the same, or "auto" (written as 0) */
	OVC_KNOB_SWITCH,	/* on, off, 1 or 0; written as 1 or 0 */
};

struct ovc_knob {
	const char *key;	/* tune KEY, ovcd.conf key */
	const char *file;	/* its file at the sysfs root */
	enum ovc_knob_kind kind;
	uint64_t min, max;	/* OVC_KNOB_NUMBER's range */
	int zero_ok;		/* OVC_KNOB_NUMBER: 0 is valid too */
	const char *help;	/* one line, for listings */
};

#define OVC_NR_KNOBS 18
extern const struct ovc_knob ovc_knobs[OVC_NR_KNOBS];
extern const size_t ovc_nr_knobs;	/* OVC_NR_KNOBS */

/* The knob called @key, or NULL. */
const struct ovc_knob *ovc_knob_find(const char *key);

/*
 * Parse @val for @k into the value its file takes.  -1 with errno EINVAL
 * (malformed), ERANGE (out of range) or EDOM (a size that is not a whole
 * number of pages of @page_size bytes).
 */
int ovc_knob_parse(const struct ovc_knob *k, const char *val, uint64_t page_size,
		   uint64_t *out);

/* What @k accepts, e.g. "0..99", for messages and listings. */
void ovc_knob_range(const struct ovc_knob *k, char *buf, size_t len);

/*
 * Why ovc_knob_parse() refused @val (errno @e), e.g. "120 is out of range
 * (0..99)", into @buf: callers prefix it with their context.
 */
void ovc_knob_error(const struct ovc_knob *k, const char *val, int e,
		    uint64_t page_size, char *buf, size_t len);

/*
 * A VM's policy settings, as ovcctl set and ovcd.conf's [vm NAME] give
 * them: the OVC_POL_* bits of @set say which.  max_pages 0 resets the
 * maximum to the VM's size.
 */
enum { OVC_POL_SHARES = 1 << 0, OVC_POL_MIN = 1 << 1, OVC_POL_MAX = 1 << 2 };

#define OVC_SHARES_MIN	1
#define OVC_SHARES_MAX	1000000

struct ovc_vm_policy {
	unsigned int set;
	uint64_t shares;
	uint64_t min_pages;
	uint64_t max_pages;
};

/*
 * Check @p against the VM @vm (its size_pages, min_pages, max_pages;
 * what @p leaves out keeps @vm's value).  0, or -1 with *@field naming
 * the field ("shares", "min" or "max") and errno ERANGE (out of its
 * range: shares 1..1000000, sizes 0..size_pages) or EINVAL (min would be
 * more than max).
 */
int ovc_vm_policy_check(const struct ovc_vm_policy *p, const struct ovc_vm_stat *vm,
			const char **field);

/*
 * Write @p to the VM's directory @vm_dir (shares, min_pages, max_pages),
 * min and max in an order the module accepts given @vm's current values;
 * @written (may be NULL) is called after each write with the file, its
 * old value (from @vm) and the new one.  0, or -1/errno with *@file
 * naming the file whose write failed.
 */
int ovc_vm_policy_write(int vm_dir, const struct ovc_vm_policy *p,
			const struct ovc_vm_stat *vm, const char **file,
			void (*written)(const char *file, uint64_t old, uint64_t val));

/*
 * A sharing domain as an administrator writes it: "own"
 * (OVC_SHARE_DOMAIN_OWN) or a group number, decimal, 0 to
 * OVC_SHARE_DOMAIN_OWN - 1.  EINVAL if neither, ERANGE if too big.
 */
int ovc_parse_share_domain(const char *s, uint64_t *domain);

/* @domain as "own" or its number, into @buf. */
void ovc_format_share_domain(uint64_t domain, char *buf, size_t len);

/*
 * A VM reached through its ovcfs file.  The operations are the uapi
 * ioctls.  Only the test binaries (tests/bin/ovcctl, tests/bin/ovcd, linked with
 * tests/libovc-fake.o) can emulate them on a sysfs tree instead, with
 * OVC_FAKE_IOCTL=1 in the environment; ovcctl and ovcd cannot.
 */
struct ovc_file_ops;

struct ovc_file {
	int fd;				/* the open file */
	int vm_dir;			/* test build: vms/<id>/ of the tree; else -1 */
	uint64_t vm_id;			/* test build: that <id> */
	const struct ovc_file_ops *ops;
};

/* How the operations below are carried out: each returns 0 or -1/errno. */
struct ovc_file_ops {
	int (*info)(struct ovc_file *f, struct ovc_vm_info *info);
	int (*set_target)(struct ovc_file *f, const struct ovc_balloon_target *t);
	int (*report)(struct ovc_file *f, const struct ovc_guest_report *rep);
	int (*set_share_domain)(struct ovc_file *f, const struct ovc_share_domain *d);
	int (*set_swap_file)(struct ovc_file *f, struct ovc_swap_file *sw);
};

/*
 * Open @path with @flags.  EMEDIUMTYPE if it is not on ovcfs; in the test
 * build's emulation ENXIO if the tree has no VM of that name.
 */
int ovc_file_open(struct ovc_file *f, const char *path, int flags);

/* OVC_IOC_VM_INFO. */
int ovc_file_info(struct ovc_file *f, struct ovc_vm_info *info);

/* OVC_IOC_SET_BALLOON_TARGET (ERANGE past the VM's size). */
int ovc_file_set_target(struct ovc_file *f, uint64_t target_pages);

/*
 * OVC_IOC_SET_SHARE_DOMAIN: @domain is a group number or
 * OVC_SHARE_DOMAIN_OWN (ERANGE past U32_MAX; EPERM without CAP_SYS_ADMIN).
 */
int ovc_file_set_share_domain(struct ovc_file *f, uint64_t domain);

/* OVC_IOC_GUEST_REPORT; OVC_UNKNOWN fields are left as they were. */
int ovc_file_report(struct ovc_file *f, const struct ovc_guest_report *rep);

/*
 * OVC_IOC_SET_SWAP_FILE on @f, any ovcfs file or directory (a mount's
 * root, see ovc_find_mount()): attach @swap_fd (ovc_swap_open()) as the
 * module's swap store, or detach it with OVC_SWAP_FILE_NONE.  *@slots (may
 * be NULL): the pages the store can hold.  EBUSY: another store is
 * attached, or (detach) pages are still in it; EPERM without
 * CAP_SYS_ADMIN; ENOTTY from a module without the swap store.
 */
int ovc_file_set_swap(struct ovc_file *f, int swap_fd, uint64_t *slots);

/* Close what ovc_file_open() opened; safe on a closed ovc_file. */
void ovc_file_close(struct ovc_file *f);

/*
 * Open @path as a swap store is opened, by ovcd and ovcctl swapfile alike:
 * O_RDWR | O_CLOEXEC | O_NOCTTY | O_DIRECT, and without O_DIRECT if the
 * filesystem refuses it (EINVAL): *@direct says which.  The fd, or -1 with
 * errno from open(), or EINVAL if it is neither a regular file nor a
 * block device.
 */
int ovc_swap_open(const char *path, int *direct);

/*
 * The mount point of the first ovcfs mount in the mount table
 * (ovc_mounts_file), into @buf.  ENODEV if there is none; errno from
 * setmntent() if the table cannot be read.
 */
int ovc_find_mount(char *buf, size_t len);

/*
 * ovc_file_set_swap() on the first ovcfs mount (ovc_find_mount()), whose
 * mount point goes to @mnt: the module has one swap store, so any ovcfs
 * mount will do.  -1/errno with *@mnt "" if no mount was found (ENODEV:
 * none in the table); else the errno of opening the mount or of the ioctl.
 */
int ovc_mount_set_swap(int swap_fd, uint64_t *slots, char *mnt, size_t len);

/* "/proc/self/mounts"; the test build's tests/libovc-fake.c may change it. */
extern const char *ovc_mounts_file;

/*
 * The test seam of ovc_swap_open(): NULL in ovcctl and ovcd; the test
 * build's open(2) for it, which can refuse O_DIRECT on demand.
 */
extern int (*ovc_swap_open_hook)(const char *path, int flags);

/*
 * The test seam: NULL in ovcctl and ovcd.  The test build's
 * tests/libovc-fake.c sets it from a constructor.  Called by
 * ovc_file_open() once @path is open as f->fd, with f->ops the ioctls:
 * returns 1 to go on as usual, 0 having set f->ops (and f->vm_dir,
 * f->vm_id) to its own, or -1/errno.
 */
extern int (*ovc_file_open_hook)(struct ovc_file *f, const char *path);

#endif /* OVC_LIBOVC_H */
