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
#include <linux/zsmalloc.h>

#include "store.h"

struct ovc_store_stats ovc_store_stats;
unsigned int ovc_store_max_percent = 10;

/* The length header of an object; the stream follows it. */
typedef u16 ovc_store_len_t;

/*
 * The largest stream kept: half a page (ESX's and zswap's rule of thumb:
 * a page that compresses worse saves too little for the cost of reading
 * it back).
 */
#define OVC_STORE_MAX_LEN	(PAGE_SIZE / 2)

static struct zs_pool *ovc_store_pool;
/* Protects ovc_store_tfm and ovc_store_buf; a leaf lock (store.h). */
static DEFINE_MUTEX(ovc_store_mutex);
static struct crypto_comp *ovc_store_tfm;
static u8 *ovc_store_buf;	/* 2 pages: LZ4's worst case is larger than a page */

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
 * Whether the pool is at compress_max_percent of the host's RAM.  The
 * check and the allocation are not one step: racing stores may go past
 * the bound by a page each.
 */
bool ovc_store_full(void)
{
	unsigned int pct = READ_ONCE(ovc_store_max_percent);

	return ovc_store_pool_pages() >= totalram_pages() / 100 * pct;
}

/**
 * ovc_store_page() - compress a page into the cache
 * @page:	the page; the caller keeps it locked and unmapped
 * @handle:	set to the object's handle on success
 *
 * Context: process context; may be reclaim (no direct reclaim here).
 * Return: 0, -E2BIG (does not compress to half a page), -ENOSPC (the
 * cache is at compress_max_percent), -ENOMEM, or the compressor's error.
 */
int ovc_store_page(struct page *page, unsigned long *handle)
{
	unsigned int len = 2 * PAGE_SIZE;
	unsigned long h;
	void *src, *dst;
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
	h = zs_malloc(ovc_store_pool, sizeof(ovc_store_len_t) + len,
		      OVC_STORE_GFP);
	if (IS_ERR_VALUE(h)) {
		err = -ENOMEM;
		goto out;
	}
	dst = zs_map_object(ovc_store_pool, h, ZS_MM_WO);
	*(ovc_store_len_t *)dst = len;
	memcpy(dst + sizeof(ovc_store_len_t), ovc_store_buf, len);
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
 * ovc_store_load() - decompress an object into a page
 * @handle:	the object; the caller keeps it from being freed meanwhile
 * @page:	the destination, a page no one else sees yet
 *
 * The object stays: the caller frees it once the slot holds @page.
 * Context: process context, may sleep.
 * Return: 0, or -EIO if the object does not decompress to a page.
 */
int ovc_store_load(unsigned long handle, struct page *page)
{
	unsigned int len = PAGE_SIZE, slen;
	void *src, *dst;
	int err;

	mutex_lock(&ovc_store_mutex);
	src = zs_map_object(ovc_store_pool, handle, ZS_MM_RO);
	slen = *(ovc_store_len_t *)src;
	dst = kmap_local_page(page);
	err = crypto_comp_decompress(ovc_store_tfm,
				     src + sizeof(ovc_store_len_t), slen,
				     dst, &len);
	kunmap_local(dst);
	zs_unmap_object(ovc_store_pool, handle);
	mutex_unlock(&ovc_store_mutex);
	if (err || len != PAGE_SIZE) {
		pr_err_ratelimited("a compressed page does not decompress (%d, %u bytes)\n",
				   err, len);
		return -EIO;
	}
	atomic_long_inc(&ovc_store_stats.loads);
	return 0;
}

/* Return: the compressed length of an object. */
unsigned int ovc_store_size(unsigned long handle)
{
	unsigned int len;
	void *src;

	src = zs_map_object(ovc_store_pool, handle, ZS_MM_RO);
	len = *(ovc_store_len_t *)src;
	zs_unmap_object(ovc_store_pool, handle);
	return len;
}

/*
 * Free an object no slot records any more.
 * Return: its compressed length.
 */
unsigned int ovc_store_free(unsigned long handle)
{
	unsigned int len = ovc_store_size(handle);

	atomic_long_sub(len, &ovc_store_stats.bytes);
	atomic_long_dec(&ovc_store_stats.pages);
	zs_free(ovc_store_pool, handle);
	return len;
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
	zs_destroy_pool(ovc_store_pool);
	ovc_store_pool = NULL;
	crypto_free_comp(ovc_store_tfm);
	kfree(ovc_store_buf);
}
