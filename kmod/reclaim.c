// SPDX-License-Identifier: GPL-2.0
/*
 * ovc reclaim: choosing a VM's pages and storing them (reclaim.h has the
 * design), the shrinker, and the administrator's vms/<id>/reclaim.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/swap.h>

#include "range.h"
#include "reclaim.h"
#include "slot.h"
#include "store.h"
#include "swap.h"
#include "vm.h"
#include "writeback.h"

bool ovc_reclaim_shrink = true;

/*
 * Keeps the VMs ovc_reclaim_request() and the shrinker work on alive: a
 * VM found on ovc_vms or on ovc_reclaim_lru inside a read section is not
 * freed before the section ends (ovc_vm_ops.destroy, after the VM left
 * both, waits with synchronize_srcu(): ovc_reclaim_forget_vm()).  A read
 * section never blocks, so the shrinker, which runs inside allocations
 * with any lock held, neither waits for another reclaimer (a mutex here
 * did: its holder wrote the swap file, whose i_rwsem an allocation the
 * shrinker ran in held - lockdep's circular dependency) nor makes none of
 * them wait.
 */
DEFINE_STATIC_SRCU(ovc_reclaim_srcu);

/*
 * Protects vm->reclaim_node and the VM's membership of ovc_reclaim_lru
 * (add at mmap, under mmap_lock; del at destroy); nothing else is done
 * under it.
 */
static DEFINE_MUTEX(ovc_reclaim_mutex);

/**
 * struct ovc_reclaim_node - a VM on its memory cgroup's list
 * @lru:	on ovc_reclaim_lru, in the part of the cgroup it was charged to
 * @vm:		the VM
 *
 * The memcg-aware shrinker finds the VMs of the cgroup being reclaimed
 * (memory.high, memory.max) here.  A node is allocated charged to the
 * VM's cgroup (vm->memcg) with kmem_cache_alloc_lru(), which gives the
 * list its part for that cgroup; list_lru_add() marks the shrinker for the
 * cgroup, and list_lru moves the node to the parent when the cgroup goes.
 * Added at the first mmap, removed when the VM is destroyed, both under
 * ovc_reclaim_mutex; a walk inside an ovc_reclaim_srcu read section may
 * use @vm (alive: the destroy removes the node, then waits for the
 * section).
 */
struct ovc_reclaim_node {
	struct list_head lru;
	struct ovc_vm *vm;
};

static struct kmem_cache *ovc_reclaim_node_cache;
static struct list_lru ovc_reclaim_lru;
/* ovc_reclaim_lru is initialised (after the shrinker, which it needs). */
static bool ovc_reclaim_lru_ready;

/*
 * Write an isolated @page to a new slot of the swap store (@reclaim: from
 * the shrinker, only a block device store).
 * Return: 0 and the slot's entry in @stored, -ENOSPC (the store is
 * full) or the file's error.
 */
static int ovc_reclaim_swap(struct page *page, void **stored, bool reclaim)
{
	unsigned long slot;
	int err;

	err = ovc_swap_alloc(&slot, reclaim);
	if (err)
		return err == -ENODEV ? -ENOSPC : err;	/* detached meanwhile */
	err = ovc_swap_write(page, slot);
	if (err) {
		ovc_swap_free(slot);
		return err;
	}
	atomic_long_inc(&ovc_swap_stats.writes);
	*stored = ovc_slot_mk_swapped(slot);
	return 0;
}

/* Free a copy that no slot came to record. */
static void ovc_reclaim_unstore(void *stored)
{
	if (ovc_slot_kind(stored) == OVC_SLOT_SWAPPED)
		ovc_swap_free(ovc_slot_swap(stored));
	else
		ovc_store_free(ovc_slot_handle(stored));
}

/*
 * Store the private page of slot @index of @vm: compressed, or in the
 * swap store (OVC_RECLAIM_SWAP) when the cache is full or the page does
 * not compress.
 * Return: 0, -EAGAIN or -EBUSY (not now: changed, locked, pinned),
 * -E2BIG (does not compress, and no swap store), -ENOSPC or -ENOMEM
 * (nowhere to keep it), or the swap file's write error.
 */
static int ovc_reclaim_slot(struct ovc_vm *vm, pgoff_t index,
			    unsigned int flags)
{
	bool nowait = flags & OVC_RECLAIM_NOWAIT;
	bool shrink = flags & OVC_RECLAIM_SHRINK;
	bool swap = (flags & OVC_RECLAIM_SWAP) &&
		    (shrink ? ovc_swap_in_reclaim() : ovc_swap_attached());
	unsigned long handle;
	struct page *page;
	void *entry, *stored = NULL;
	int err;

	if (ovc_store_full()) {
		ovc_writeback_kick();	/* its oldest pages to the swap store */
		if (!swap)		/* not unmapped for nothing */
			return -ENOSPC;
	}
	page = ovc_slot_get(vm, index, &entry);
	if (!page)
		return -EAGAIN;
	if (!ovc_slot_page(entry)) {
		put_page(page);
		return -EAGAIN;
	}
	err = ovc_slot_isolate(vm, index, page, nowait);
	if (err)
		goto out_put;
	err = ovc_store_page(page, vm->id, index, &handle);
	if (err == -ENOSPC)
		ovc_writeback_kick();
	if (!err)
		stored = ovc_slot_mk_out(handle);
	else if (swap && (err == -E2BIG || err == -ENOSPC || err == -ENOMEM))
		err = ovc_reclaim_swap(page, &stored, shrink);
	if (err)
		goto out_unlock;
	err = ovc_slot_store(vm, index, page, stored, nowait);
	if (err)
		ovc_reclaim_unstore(stored);
	else
		put_page(page);		/* the slot's reference */
out_unlock:
	unlock_page(page);
out_put:
	put_page(page);
	return err;
}

/* Consecutive failures (mostly pages that do not compress) that end a call. */
#define OVC_RECLAIM_MAX_FAILS	256

/*
 * A page reclaim could not keep anywhere: counted (store_errors, the
 * VM's and the global one) and logged at a limited rate; it stays
 * resident.
 */
static void ovc_reclaim_store_error(struct ovc_vm *vm, int err)
{
	atomic_long_inc(&vm->store_errors);
	atomic_long_inc(&ovc_store_stats.errors);
	pr_warn_ratelimited("no room for reclaimed pages (%d; compress_max_percent=%u, swap store %s): they stay resident\n",
			    err, READ_ONCE(ovc_store_max_percent),
			    ovc_swap_attached() ? "full or failing" : "none");
}

/**
 * ovc_reclaim_vm() - store up to @nr private pages of a VM
 * @vm:		the VM, kept alive by the caller
 * @nr:		how many
 * @flags:	OVC_RECLAIM_NOWAIT: reclaim context, only trylocks (see
 *		ovc_slot_store()); OVC_RECLAIM_SWAP: may write to the swap
 *		store; OVC_RECLAIM_SHRINK: inside an allocation, so only to
 *		a block device store (bio, no filesystem lock)
 *
 * The walk starts at a random slot and goes once around the VM: first
 * over the slots idle sampling marked (sampled, not touched since), then
 * over every private slot, so each page is tried at most twice a call and
 * no guest access pattern steers the choice.  It ends early after
 * OVC_RECLAIM_MAX_FAILS failures in a row (pinned, racing, or mostly:
 * pages that do not compress when there is no swap store), or at once
 * when a page could not be kept anywhere (ovc_reclaim_store_error()).
 *
 * Context: process context, may sleep unless OVC_RECLAIM_NOWAIT.
 * Return: pages stored.
 */
unsigned long ovc_reclaim_vm(struct ovc_vm *vm, unsigned long nr,
			     unsigned int flags)
{
	unsigned long pages = ovc_range_pages(i_size_read(vm->inode));
	unsigned long done = 0, fails = 0, start, index, max;
	bool wrapped;
	void *entry;
	int pass, err;

	if (!pages || !nr)
		return 0;
	start = get_random_long() % pages;
	for (pass = 0; pass < 2; pass++) {
		index = start;
		wrapped = false;
		max = pages - 1;
		while (done < nr && fails < OVC_RECLAIM_MAX_FAILS) {
			entry = xa_find(&vm->slots, &index, max,
					pass ? XA_PRESENT : OVC_SLOT_SAMPLED);
			if (entry && ovc_slot_page(entry)) {
				err = ovc_reclaim_slot(vm, index, flags);
				if (!err) {
					done++;
					fails = 0;
				} else if (err == -EAGAIN || err == -EBUSY ||
					   err == -E2BIG) {
					fails++;	/* not this page */
				} else {
					ovc_reclaim_store_error(vm, err);
					return done;
				}
			}
			if (entry && index++ < max) {
				cond_resched();
				continue;
			}
			/* The end of [start, pages) or of [0, start). */
			if (wrapped || !start)
				break;
			wrapped = true;
			index = 0;
			max = start - 1;
		}
	}
	return done;
}

/**
 * ovc_reclaim_request() - vms/<id>/reclaim: store @nr pages of @vm now
 * @vm:		the VM of a sysfs file (valid, maybe being destroyed)
 * @nr:		pages
 *
 * Page locks and vm->lock are only tried: a page that is busy now is not
 * stored.  The swap store may be written (process context, no lock held
 * but the read section of ovc_reclaim_srcu, which keeps @vm alive).
 *
 * Return: 0 if @nr pages were stored, -EAGAIN if fewer were (as
 * memory.reclaim), -ENOENT if @vm is being destroyed, -EINTR if a fatal
 * signal came first.
 */
int ovc_reclaim_request(struct ovc_vm *vm, unsigned long nr)
{
	unsigned long done = 0;
	int idx, err = 0;

	idx = srcu_read_lock(&ovc_reclaim_srcu);
	if (ovc_vm_find(vm->id) != vm) {	/* off ovc_vms: destroyed */
		srcu_read_unlock(&ovc_reclaim_srcu, idx);
		return -ENOENT;
	}
	while (done < nr) {
		unsigned long n = min(nr - done, 1024UL), got;

		got = ovc_reclaim_vm(vm, n, OVC_RECLAIM_NOWAIT |
						OVC_RECLAIM_SWAP);
		done += got;
		/*
		 * A chunk that stored nothing ends it; one that stored some
		 * may have stopped on a run of failures (OVC_RECLAIM_MAX_FAILS)
		 * where a new random start finds more.
		 */
		if (!got)
			break;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
	}
	srcu_read_unlock(&ovc_reclaim_srcu, idx);
	if (err)
		return err;
	return done < nr ? -EAGAIN : 0;
}

/*
 * Whether the shrinker is asked for one memory cgroup, not the root
 * (root_mem_cgroup is not exported: the root has no parent).
 */
static bool ovc_reclaim_for_memcg(struct shrink_control *sc)
{
	return sc->memcg && parent_mem_cgroup(sc->memcg);
}

/* Walk the nodes of @sc's cgroup on every NUMA node, at most *@nr. */
static void ovc_reclaim_walk_memcg(struct shrink_control *sc,
				   list_lru_walk_cb fn, void *arg,
				   unsigned long *nr)
{
	int nid;

	/* Pairs with the release in ovc_reclaim_init(): the list is set up. */
	if (!smp_load_acquire(&ovc_reclaim_lru_ready))
		return;
	for_each_node_state(nid, N_MEMORY)
		if (*nr)
			list_lru_walk_one(&ovc_reclaim_lru, nid, sc->memcg, fn,
					  arg, nr);
}

static enum lru_status ovc_reclaim_count_one(struct list_head *item,
					     struct list_lru_one *list,
					     spinlock_t *lock, void *arg)
{
	struct ovc_reclaim_node *node = container_of(item, typeof(*node), lru);

	*(long *)arg += atomic_long_read(&node->vm->resident);
	return LRU_SKIP;
}

/*
 * What the shrinker could store: the VMs' private pages; asked for one
 * memory cgroup, those of the VMs mapped from it.
 */
static unsigned long ovc_reclaim_count(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long nr = ULONG_MAX;
	long n = 0;

	if (!READ_ONCE(ovc_reclaim_shrink))
		return 0;
	if (ovc_reclaim_for_memcg(sc)) {
		ovc_reclaim_walk_memcg(sc, ovc_reclaim_count_one, &n, &nr);
		/*
		 * Never SHRINK_EMPTY for a cgroup: shrink_slab_memcg() would
		 * clear its shrinker bit, and only list_lru_add() sets it
		 * again, so its VMs would not be asked once they refill.
		 */
		return n > 0 ? n : 0;
	}
	n = atomic_long_read(&ovc_pages_resident);
	return n > 0 ? n : SHRINK_EMPTY;
}

/* At most this many VMs of a cgroup are stored from per scan. */
#define OVC_RECLAIM_PICK	16

struct ovc_reclaim_pick {
	struct ovc_vm *vm[OVC_RECLAIM_PICK];
	unsigned int n;
};

/* Take a VM of the cgroup, and rotate it for fairness among them. */
static enum lru_status ovc_reclaim_pick_one(struct list_head *item,
					    struct list_lru_one *list,
					    spinlock_t *lock, void *arg)
{
	struct ovc_reclaim_node *node = container_of(item, typeof(*node), lru);
	struct ovc_reclaim_pick *pick = arg;

	if (pick->n == OVC_RECLAIM_PICK)
		return LRU_SKIP;
	pick->vm[pick->n++] = node->vm;
	return LRU_ROTATE;
}

/*
 * Reclaim of one memory cgroup: store pages of the VMs mapped from it (so
 * that a VM at its memory.max gives pages back instead of the OOM killer
 * taking QEMU); the caller's ovc_reclaim_srcu read section keeps them
 * alive.
 */
static unsigned long ovc_reclaim_scan_memcg(struct shrink_control *sc,
					    unsigned int flags)
{
	struct ovc_reclaim_pick pick = { .n = 0 };
	unsigned long want = sc->nr_to_scan, done = 0;
	unsigned long nr = OVC_RECLAIM_PICK;
	unsigned int i;

	ovc_reclaim_walk_memcg(sc, ovc_reclaim_pick_one, &pick, &nr);
	for (i = 0; i < pick.n && done < want; i++)
		done += ovc_reclaim_vm(pick.vm[i], want - done, flags);
	return done;
}

/*
 * Global reclaim: store @want pages, from the VMs over their targets
 * first (as much as each is over), then from every VM in turn.
 */
static unsigned long ovc_reclaim_scan_all(unsigned long want,
					  unsigned int flags)
{
	unsigned long done = 0;
	struct ovc_vm *vm;
	int pass;
	u64 id;

	for (pass = 0; pass < 2 && done < want; pass++) {
		for (id = 0; done < want && (vm = ovc_vm_find(id));
		     id = vm->id + 1) {
			unsigned long nr = want - done;
			long over = atomic_long_read(&vm->resident) -
				    READ_ONCE(vm->target_pages);

			if (!pass) {
				if (READ_ONCE(vm->target_pages) == ULONG_MAX ||
				    over <= 0)
					continue;
				nr = min_t(unsigned long, nr, over);
			}
			done += ovc_reclaim_vm(vm, nr, flags);
		}
	}
	return done;
}

/*
 * Host memory pressure: store sc->nr_to_scan pages, from every VM
 * (ovc_reclaim_scan_all()) or, asked for one memory cgroup, from its VMs
 * (ovc_reclaim_scan_memcg()).  Reclaim may run inside any allocation,
 * ours included, with any lock held: page locks and vm->lock are only
 * tried, the compressed cache allocates without direct reclaim, and no
 * lock is waited for (ovc_reclaim_srcu).  A page that does not compress
 * (or meets a full cache) goes to the swap store only if that is a block
 * device, written by bio as the kernel's swap writes (swap.h); a file
 * store is not written here: its ->write_iter() takes the file's i_rwsem
 * and allocates page cache, which an allocation we run in may hold or
 * wait for.  The rebalancer's hard state and vms/<id>/reclaim write a
 * file store, from process context, and so does the writeback, a work
 * item kicked when the cache is full, which moves the cache's oldest
 * pages there and so makes room for more (writeback.h).
 */
static unsigned long ovc_reclaim_scan(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned int flags = OVC_RECLAIM_NOWAIT | OVC_RECLAIM_SWAP |
			     OVC_RECLAIM_SHRINK;
	unsigned long done;
	int idx;

	if (!READ_ONCE(ovc_reclaim_shrink))
		return SHRINK_STOP;
	idx = srcu_read_lock(&ovc_reclaim_srcu);
	if (ovc_reclaim_for_memcg(sc))
		done = ovc_reclaim_scan_memcg(sc, flags);
	else
		done = ovc_reclaim_scan_all(sc->nr_to_scan, flags);
	srcu_read_unlock(&ovc_reclaim_srcu, idx);
	/*
	 * Our pages are freed, not slab: tell reclaim, as slab frees do, or
	 * it would go on to lower priorities and ask for far more.
	 */
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += done;
	sc->nr_scanned = done;
	return done ?: SHRINK_STOP;
}

static struct shrinker ovc_reclaim_shrinker = {
	.count_objects	= ovc_reclaim_count,
	.scan_objects	= ovc_reclaim_scan,
	.seeks		= DEFAULT_SEEKS,
	.flags		= SHRINKER_MEMCG_AWARE,
};

/**
 * ovc_reclaim_track_vm() - put a VM on its memory cgroup's list
 * @vm:		the VM, being mapped (vm->memcg is set, or it has none)
 *
 * Once per VM; if the node cannot be allocated (the cgroup is at its
 * limit), the VM is tracked at a later mmap, and only global reclaim
 * finds it meanwhile.
 * Context: process context (mmap); takes ovc_reclaim_mutex.
 */
void ovc_reclaim_track_vm(struct ovc_vm *vm)
{
	struct mem_cgroup *memcg = READ_ONCE(vm->memcg), *old;
	struct ovc_reclaim_node *node;

	if (!memcg || READ_ONCE(vm->reclaim_node))
		return;
	/* Pairs with the release in ovc_reclaim_init(). */
	if (!smp_load_acquire(&ovc_reclaim_lru_ready))
		return;
	old = set_active_memcg(memcg);
	node = kmem_cache_alloc_lru(ovc_reclaim_node_cache, &ovc_reclaim_lru,
				    GFP_KERNEL_ACCOUNT);
	set_active_memcg(old);
	if (!node)
		return;
	INIT_LIST_HEAD(&node->lru);
	node->vm = vm;
	mutex_lock(&ovc_reclaim_mutex);
	if (!vm->reclaim_node) {
		WRITE_ONCE(vm->reclaim_node, node);
		list_lru_add(&ovc_reclaim_lru, &node->lru);
		node = NULL;
	}
	mutex_unlock(&ovc_reclaim_mutex);
	if (node)	/* a racing mmap was first */
		kmem_cache_free(ovc_reclaim_node_cache, node);
}

/*
 * ovc_vm_ops.destroy: @vm is off ovc_vms, and off its cgroup's list once
 * the node is deleted, so no later request or scan finds it; wait for one
 * that may still use it.
 */
static void ovc_reclaim_forget_vm(struct ovc_vm *vm)
{
	struct ovc_reclaim_node *node;

	mutex_lock(&ovc_reclaim_mutex);
	node = vm->reclaim_node;
	if (node) {
		list_lru_del(&ovc_reclaim_lru, &node->lru);
		WRITE_ONCE(vm->reclaim_node, NULL);
	}
	mutex_unlock(&ovc_reclaim_mutex);
	synchronize_srcu(&ovc_reclaim_srcu);
	if (node)
		kmem_cache_free(ovc_reclaim_node_cache, node);
}

static struct ovc_vm_ops ovc_reclaim_vm_ops = {
	.destroy	= ovc_reclaim_forget_vm,
};

/**
 * ovc_reclaim_init() - the compressed cache, its writeback, the shrinker
 * and its memory cgroup lists (the swap store starts detached)
 *
 * Return: 0, or the error of ovc_store_init(), ovc_writeback_init() or
 * register_shrinker().
 */
int ovc_reclaim_init(void)
{
	int err;

	err = ovc_store_init();
	if (err)
		return err;
	err = ovc_writeback_init();
	if (err)
		goto out_store;
	err = -ENOMEM;
	ovc_reclaim_node_cache = KMEM_CACHE(ovc_reclaim_node, SLAB_ACCOUNT);
	if (!ovc_reclaim_node_cache)
		goto out_writeback;
	/* The list needs the shrinker's id: register first, count 0 till then. */
	err = register_shrinker(&ovc_reclaim_shrinker, "ovc");
	if (err)
		goto out_cache;
	err = list_lru_init_memcg(&ovc_reclaim_lru, &ovc_reclaim_shrinker);
	if (err)
		goto out_shrinker;
	/* The list is set up before a count or mmap may use it. */
	smp_store_release(&ovc_reclaim_lru_ready, true);
	ovc_vm_register_ops(&ovc_reclaim_vm_ops);
	return 0;

out_shrinker:
	unregister_shrinker(&ovc_reclaim_shrinker);
out_cache:
	kmem_cache_destroy(ovc_reclaim_node_cache);
out_writeback:
	ovc_writeback_exit();
out_store:
	ovc_store_exit();
	return err;
}

/* ovc_reclaim_exit() - no VM is left */
void ovc_reclaim_exit(void)
{
	ovc_vm_unregister_ops(&ovc_reclaim_vm_ops);
	unregister_shrinker(&ovc_reclaim_shrinker);
	list_lru_destroy(&ovc_reclaim_lru);
	kmem_cache_destroy(ovc_reclaim_node_cache);
	ovc_writeback_exit();
	ovc_swap_exit();
	ovc_store_exit();
}
