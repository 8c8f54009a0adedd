// SPDX-License-Identifier: GPL-2.0
/*
 * ovc compressed cache: LZ4 into a zsmalloc pool (store.h has the design).
 * Modelled on mm/zswap.c (compressor and pool limit) and
 * drivers/block/zram (one object per page, its length stored with it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crypto.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/zsmalloc.h>

#include "store.h"

struct ovc_store_stats ovc_store_stats;
unsigned int ovc_store_max_percent = 10;

/**
 * struct ovc_store_hdr - the header of an object; the stream follows it
 * @seq:	its age: the index of its entry in ovc_store_age, unique
 *		while the module is loaded
 * @vm:		the id of the VM whose slot records it
 * @index:	that slot
 * @len:	the stream's length
 */
struct ovc_store_hdr {
	u64 seq;
	u64 vm;
	u64 index;
	u16 len;
} __packed;

/*
 * The largest stream kept: half a page (ESX's and zswap's rule of thumb:
 * a page that compresses worse saves too little for the cost of reading
 * it back).
 */
#define OVC_STORE_MAX_LEN	(PAGE_SIZE / 2)

static struct zs_pool *ovc_store_pool;
/* Protects ovc_store_tfm, ovc_store_buf and ovc_store_next (store.h). */
static DEFINE_MUTEX(ovc_store_mutex);
static struct crypto_comp *ovc_store_tfm;
static u8 *ovc_store_buf;	/* 2 pages: LZ4's worst case is larger than a page */
static u64 ovc_store_next;	/* the age of the next object */
/*
 * Every object by age (its header's @seq), oldest first: the writeback
 * (writeback.c) moves the oldest to the swap store.  Its xa_lock is a
 * leaf; an object is erased here before it is freed, so one found under
 * the xa_lock may be read until it is dropped.
 */
static DEFINE_XARRAY(ovc_store_age);

/*
 * No direct reclaim: the store runs in reclaim (the shrinker) and with
 * ovc_store_mutex held.  Highmem and movable as zswap, so zsmalloc can
 * compact.
 */
#define OVC_STORE_GFP	(__GFP_NORETRY | __GFP_NOWARN | __GFP_KSWAPD_RECLAIM | \
			 __GFP_HIGHMEM | __GFP_MOVABLE)

/* Return: pages the pool holds. */
unsigned long ovc_store_pool_pages(void)
{
	return ovc_store_pool ? zs_get_total_pages(ovc_store_pool) : 0;
}

/*
 * Compact the pool: objects freed one by one leave holes in its zspages,
 * which zs_get_total_pages() still counts.
 * Context: process context, may sleep.
 */
void ovc_store_compact(void)
{
	zs_compact(ovc_store_pool);
}

/* Return: the pool's bound in pages, compress_max_percent of the host's RAM. */
unsigned long ovc_store_max_pages(void)
{
	return totalram_pages() / 100 * READ_ONCE(ovc_store_max_percent);
}

/*
 * Whether the pool is at compress_max_percent of the host's RAM.  The
 * check and the allocation are not one step: racing stores may go past
 * the bound by a page each.
 */
bool ovc_store_full(void)
{
	return ovc_store_pool_pages() >= ovc_store_max_pages();
}

/**
 * ovc_store_page() - compress a page into the cache
 * @page:	the page; the caller keeps it locked and unmapped
 * @vm:		the id of the VM whose slot will record it
 * @index:	that slot
 * @handle:	set to the object's handle on success
 *
 * The object is the youngest (ovc_store_oldest() finds it last).
 * Context: process context; may be reclaim (no direct reclaim here).
 * Return: 0, -E2BIG (does not compress to half a page), -ENOSPC (the
 * cache is at compress_max_percent), -ENOMEM, or the compressor's error.
 */
int ovc_store_page(struct page *page, u64 vm, pgoff_t index,
		   unsigned long *handle)
{
	unsigned int len = 2 * PAGE_SIZE;
	struct ovc_store_hdr *hdr;
	unsigned long h;
	void *src;
	int err;

	if (ovc_store_full())
		return -ENOSPC;
	mutex_lock(&ovc_store_mutex);
	src = kmap_local_page(page);
	err = crypto_comp_compress(ovc_store_tfm, src, PAGE_SIZE,
				   ovc_store_buf, &len);
	kunmap_local(src);
	if (err)
		goto out;
	if (len > OVC_STORE_MAX_LEN) {
		atomic_long_inc(&ovc_store_stats.rejects);
		err = -E2BIG;
		goto out;
	}
	h = zs_malloc(ovc_store_pool, sizeof(*hdr) + len, OVC_STORE_GFP);
	if (IS_ERR_VALUE(h)) {
		err = -ENOMEM;
		goto out;
	}
	/* Handles are 8-byte aligned: a plain xarray entry. */
	err = xa_err(xa_store(&ovc_store_age, ovc_store_next, (void *)h,
			      GFP_NOWAIT | __GFP_NOWARN));
	if (err) {
		zs_free(ovc_store_pool, h);
		goto out;
	}
	hdr = zs_map_object(ovc_store_pool, h, ZS_MM_WO);
	hdr->seq = ovc_store_next++;
	hdr->vm = vm;
	hdr->index = index;
	hdr->len = len;
	memcpy(hdr + 1, ovc_store_buf, len);
	zs_unmap_object(ovc_store_pool, h);
	*handle = h;
	atomic_long_inc(&ovc_store_stats.pages);
	atomic_long_add(len, &ovc_store_stats.bytes);
	atomic_long_inc(&ovc_store_stats.stores);
out:
	mutex_unlock(&ovc_store_mutex);
	return err;
}

/**
 * ovc_store_copy() - decompress an object into a page
 * @handle:	the object; the caller keeps it from being freed meanwhile
 * @page:	the destination, a page no one else sees yet
 *
 * The object stays: the caller frees it once the slot holds @page (or
 * records the page's new place: the writeback).
 * Context: process context, may sleep.
 * Return: 0, or -EIO if the object does not decompress to a page.
 */
int ovc_store_copy(unsigned long handle, struct page *page)
{
	unsigned int len = PAGE_SIZE;
	struct ovc_store_hdr *hdr;
	void *dst;
	int err;

	mutex_lock(&ovc_store_mutex);
	hdr = zs_map_object(ovc_store_pool, handle, ZS_MM_RO);
	dst = kmap_local_page(page);
	err = crypto_comp_decompress(ovc_store_tfm, (u8 *)(hdr + 1), hdr->len,
				     dst, &len);
	kunmap_local(dst);
	zs_unmap_object(ovc_store_pool, handle);
	mutex_unlock(&ovc_store_mutex);
	if (err || len != PAGE_SIZE) {
		pr_err_ratelimited("a compressed page does not decompress (%d, %u bytes)\n",
				   err, len);
		return -EIO;
	}
	return 0;
}

/**
 * ovc_store_load() - a swap-in: ovc_store_copy(), counted in swap_ins
 * @handle:	the object; the caller keeps it from being freed meanwhile
 * @page:	the destination, a page no one else sees yet
 *
 * Context: process context, may sleep.
 * Return: 0, or -EIO.
 */
int ovc_store_load(unsigned long handle, struct page *page)
{
	int err = ovc_store_copy(handle, page);

	if (!err)
		atomic_long_inc(&ovc_store_stats.loads);
	return err;
}

/* Read the header of an object the caller keeps from being freed. */
static void ovc_store_hdr(unsigned long handle, struct ovc_store_hdr *hdr)
{
	void *src = zs_map_object(ovc_store_pool, handle, ZS_MM_RO);

	memcpy(hdr, src, sizeof(*hdr));
	zs_unmap_object(ovc_store_pool, handle);
}

/* Return: the compressed length of an object. */
unsigned int ovc_store_size(unsigned long handle)
{
	struct ovc_store_hdr hdr;

	ovc_store_hdr(handle, &hdr);
	return hdr.len;
}

/* Return: the age of an object (what ovc_store_oldest() gave as @seq). */
u64 ovc_store_seq(unsigned long handle)
{
	struct ovc_store_hdr hdr;

	ovc_store_hdr(handle, &hdr);
	return hdr.seq;
}

/**
 * ovc_store_oldest() - the oldest object of an age or younger
 * @seq:	the age to start at; set to the object's
 * @vm:		set to the id of the VM whose slot recorded it when stored
 * @index:	set to that slot
 * @handle:	set to the object
 *
 * The object may be freed as soon as this returns: the caller checks,
 * with the slot's vm->lock held, that the slot records @handle and that
 * @handle is still of age @seq (ovc_store_seq()).
 * Context: any; takes a spinlock.
 * Return: 0, or -ENOENT if no object is that young.
 */
int ovc_store_oldest(u64 *seq, u64 *vm, pgoff_t *index,
		     unsigned long *handle)
{
	unsigned long i = *seq;
	struct ovc_store_hdr hdr;
	void *entry;

	xa_lock(&ovc_store_age);
	entry = xa_find(&ovc_store_age, &i, ULONG_MAX, XA_PRESENT);
	if (entry)
		ovc_store_hdr((unsigned long)entry, &hdr);
	xa_unlock(&ovc_store_age);
	if (!entry)
		return -ENOENT;
	*seq = hdr.seq;
	*vm = hdr.vm;
	*index = hdr.index;
	*handle = (unsigned long)entry;
	return 0;
}

/*
 * Free an object no slot records any more.
 * Return: its compressed length.
 */
unsigned int ovc_store_free(unsigned long handle)
{
	struct ovc_store_hdr hdr;

	ovc_store_hdr(handle, &hdr);
	xa_erase(&ovc_store_age, hdr.seq);
	atomic_long_sub(hdr.len, &ovc_store_stats.bytes);
	atomic_long_dec(&ovc_store_stats.pages);
	zs_free(ovc_store_pool, handle);
	return hdr.len;
}

/**
 * ovc_store_init() - the pool and the compressor
 *
 * Return: 0, -ENOMEM, or the crypto API's error (no "lz4" compressor).
 */
int ovc_store_init(void)
{
	ovc_store_buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	if (!ovc_store_buf)
		return -ENOMEM;
	ovc_store_tfm = crypto_alloc_comp("lz4", 0, 0);
	if (IS_ERR(ovc_store_tfm)) {
		int err = PTR_ERR(ovc_store_tfm);

		pr_err("no lz4 compressor (%d)\n", err);
		kfree(ovc_store_buf);
		return err;
	}
	ovc_store_pool = zs_create_pool("ovc");
	if (!ovc_store_pool) {
		crypto_free_comp(ovc_store_tfm);
		kfree(ovc_store_buf);
		return -ENOMEM;
	}
	return 0;
}

/* Free the pool; every object is freed already (no VM is left). */
void ovc_store_exit(void)
{
	WARN_ON(atomic_long_read(&ovc_store_stats.pages));
	WARN_ON(!xa_empty(&ovc_store_age));
	zs_destroy_pool(ovc_store_pool);
	ovc_store_pool = NULL;
	crypto_free_comp(ovc_store_tfm);
	kfree(ovc_store_buf);
}

#if IS_ENABLED(CONFIG_OVC_KUNIT_TEST)
#include "tests/store_kunit.h"
#endif
