// SPDX-License-Identifier: GPL-2.0
/*
 * ovc swap store: a host file or block device, one slot per page, a
 * bitmap of taken slots (swap.h has the design).  Modelled on
 * mm/swapfile.c (the slot map, a file the administrator names) and
 * drivers/block/loop.c (page I/O through a kiocb on a backing file).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/ovc.h>

#include "swap.h"

struct ovc_swap_stats ovc_swap_stats;
unsigned int ovc_swap_readahead = OVC_SWAP_RA_DEFAULT;

/**
 * struct ovc_swap - the attached store
 * @file:	the backing file, our own reference
 * @bdev:	the block device, if @file is one: its pages are read and
 *		written by bio, as the kernel's swap does (no page cache,
 *		no filesystem lock: the shrinker may write it); else NULL
 * @nr:		its slots: whole pages
 * @used:	slots taken
 * @next:	where the next search for a free slot starts
 * @map:	a bit per slot, set when taken
 */
struct ovc_swap {
	struct file *file;
	struct block_device *bdev;
	unsigned long nr;
	unsigned long used;
	unsigned long next;
	unsigned long *map;
};

/* Protects ovc_swap and its @used, @next and @map (a leaf). */
static DEFINE_SPINLOCK(ovc_swap_lock);
static struct ovc_swap *ovc_swap;
/* Serializes attach, detach and ovc_swap_path() (which sleep). */
static DEFINE_MUTEX(ovc_swap_mutex);

/* Return: whether a store is attached (it may be full). */
bool ovc_swap_attached(void)
{
	return READ_ONCE(ovc_swap);
}

/*
 * Return: whether the attached store is a block device, which reclaim
 * (the shrinker) may write (ovc_swap_alloc()).
 */
bool ovc_swap_in_reclaim(void)
{
	struct ovc_swap *s = READ_ONCE(ovc_swap);

	return s && s->bdev;
}

/* Return: the slots of the attached store, 0 if none. */
unsigned long ovc_swap_slots(void)
{
	unsigned long nr = 0;

	spin_lock(&ovc_swap_lock);
	if (ovc_swap)
		nr = ovc_swap->nr;
	spin_unlock(&ovc_swap_lock);
	return nr;
}

/*
 * The attached store's path into @buf, or "" if none.
 * Return: its length, or the error of d_path().
 */
ssize_t ovc_swap_path(char *buf, size_t len)
{
	ssize_t ret = 0;
	char *p;

	mutex_lock(&ovc_swap_mutex);
	buf[0] = '\0';
	if (ovc_swap) {
		p = d_path(&ovc_swap->file->f_path, buf, len);
		if (IS_ERR(p)) {
			ret = PTR_ERR(p);
		} else {
			ret = strlen(p);
			memmove(buf, p, ret + 1);
		}
	}
	mutex_unlock(&ovc_swap_mutex);
	return ret;
}

/**
 * ovc_swap_alloc() - take a free slot
 * @slot:	set to it
 * @reclaim:	for a write from inside an allocation (the shrinker): only
 *		in a block device store
 *
 * While a slot is taken the store cannot be detached.
 * Context: any; takes a spinlock.
 * Return: 0, -ENODEV (no store, or a file store and @reclaim) or -ENOSPC
 * (the store is full).
 */
int ovc_swap_alloc(unsigned long *slot, bool reclaim)
{
	struct ovc_swap *s;
	unsigned long n;
	int err = -ENODEV;

	spin_lock(&ovc_swap_lock);
	s = ovc_swap;
	if (!s || (reclaim && !s->bdev))
		goto out;
	err = -ENOSPC;
	if (s->used == s->nr)
		goto out;
	n = find_next_zero_bit(s->map, s->nr, s->next);
	if (n >= s->nr)
		n = find_first_zero_bit(s->map, s->nr);
	if (WARN_ON_ONCE(n >= s->nr))
		goto out;
	__set_bit(n, s->map);
	s->used++;
	s->next = n + 1 < s->nr ? n + 1 : 0;
	*slot = n;
	atomic_long_inc(&ovc_swap_stats.pages);
	err = 0;
out:
	spin_unlock(&ovc_swap_lock);
	return err;
}

/* Give back a slot no page slot records any more. */
void ovc_swap_free(unsigned long slot)
{
	struct ovc_swap *s;

	spin_lock(&ovc_swap_lock);
	s = ovc_swap;
	if (!WARN_ON_ONCE(!s || slot >= s->nr || !test_bit(slot, s->map))) {
		__clear_bit(slot, s->map);
		s->used--;
		atomic_long_dec(&ovc_swap_stats.pages);
	}
	spin_unlock(&ovc_swap_lock);
}

/* One page's I/O: a kiocb the file may complete later (direct I/O). */
struct ovc_swap_io {
	struct kiocb iocb;
	struct completion done;
	long ret;
};

static void ovc_swap_io_done(struct kiocb *iocb, long ret)
{
	struct ovc_swap_io *io = container_of(iocb, struct ovc_swap_io, iocb);

	io->ret = ret;
	complete(&io->done);
}

/*
 * A block device store's page I/O: one bio on the stack, waited for (as
 * blkdev_issue_flush()); what the kernel's swap does, without the page
 * cache or a filesystem lock, so reclaim may do it.
 */
static int ovc_swap_bio(struct block_device *bdev, int dir,
			struct page **pages, unsigned int n,
			unsigned long slot)
{
	struct bio_vec bv[OVC_SWAP_IO_MAX];
	struct bio bio;
	unsigned int i;
	int err;

	bio_init(&bio, bdev, bv, n, dir == WRITE ? REQ_OP_WRITE : REQ_OP_READ);
	bio.bi_iter.bi_sector = (sector_t)slot << (PAGE_SHIFT - SECTOR_SHIFT);
	for (i = 0; i < n; i++)
		__bio_add_page(&bio, pages[i], PAGE_SIZE, 0);
	err = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return err;
}

/*
 * Write (@dir WRITE) @n pages to, or read them (READ) from, the taken
 * slots from @slot on, and wait for it.  The slots keep the store
 * attached.
 * Return: 0, or the file's error (-EIO for a short transfer).
 */
static int ovc_swap_rw(int dir, struct page **pages, unsigned int n,
		       unsigned long slot)
{
	struct ovc_swap *s = READ_ONCE(ovc_swap);
	struct bio_vec bv[OVC_SWAP_IO_MAX];
	struct file *file = s->file;
	struct ovc_swap_io io;
	struct iov_iter iter;
	unsigned int i;
	ssize_t ret;

	if (WARN_ON_ONCE(!n || n > OVC_SWAP_IO_MAX))
		return -EINVAL;
	if (s->bdev)
		return ovc_swap_bio(s->bdev, dir, pages, n, slot);
	init_sync_kiocb(&io.iocb, file);
	io.iocb.ki_pos = (loff_t)slot << PAGE_SHIFT;
	io.iocb.ki_complete = ovc_swap_io_done;
	init_completion(&io.done);
	for (i = 0; i < n; i++)
		bvec_set_page(&bv[i], pages[i], PAGE_SIZE, 0);
	iov_iter_bvec(&iter, dir, bv, n, (size_t)n << PAGE_SHIFT);
	if (dir == WRITE) {
		file_start_write(file);
		ret = vfs_iocb_iter_write(file, &io.iocb, &iter);
	} else {
		ret = vfs_iocb_iter_read(file, &io.iocb, &iter);
	}
	if (ret == -EIOCBQUEUED) {
		wait_for_completion(&io.done);
		ret = io.ret;
	}
	if (dir == WRITE)
		file_end_write(file);
	if (ret == (ssize_t)n << PAGE_SHIFT)
		return 0;
	return ret < 0 ? ret : -EIO;
}

/**
 * ovc_swap_write() - write a page to a slot
 * @page:	the page; the caller keeps it locked and unmapped
 * @slot:	a slot the caller took (ovc_swap_alloc())
 *
 * Context: process context, may sleep; inside an allocation (the
 * shrinker) only to a block device store (ovc_swap_alloc()): a file's
 * ->write_iter() takes its i_rwsem and allocates.
 * The caller counts the write (reclaim: writes; the writeback:
 * written_back).
 * Return: 0, or the file's error (logged; the caller counts it in
 * store_errors).
 */
int ovc_swap_write(struct page *page, unsigned long slot)
{
	int err = ovc_swap_rw(WRITE, &page, 1, slot);

	if (err)
		pr_warn_ratelimited("swap store write error %d: the page stays resident\n",
				    err);
	return err;
}

/**
 * ovc_swap_read() - read consecutive slots into pages, in one I/O
 * @slot:	the first of @n taken slots; the caller keeps them taken
 * @pages:	the destinations, pages no one else sees yet
 * @n:		how many, at most OVC_SWAP_IO_MAX (a fault and its
 *		readahead)
 *
 * The slots stay taken: the caller frees each once its page slot holds
 * the page.  Counted in reads, page by page.
 * Context: process context, may sleep.
 * Return: 0, or the file's error (logged).
 */
int ovc_swap_read(unsigned long slot, struct page **pages, unsigned int n)
{
	int err = ovc_swap_rw(READ, pages, n, slot);

	if (!err)
		atomic_long_add(n, &ovc_swap_stats.reads);
	else
		pr_err_ratelimited("swap store read error %d at slots %lu-%lu\n",
				   err, slot, slot + n - 1);
	return err;
}

/*
 * A file fit to be the store: open for reading and writing, a regular
 * file or a block device with ->read_iter() and ->write_iter(), at least
 * a page, not on ovcfs (its writes would recurse into ovc), not a Linux
 * swap file, a regular file readable by its owner only (it holds guest
 * memory), a block device whose blocks are at most a page.
 * Return: its slots, or -EBADF, -EINVAL, -ETXTBSY or -EACCES.
 */
static long ovc_swap_check(struct file *file)
{
	struct inode *inode = file_inode(file);
	loff_t size = i_size_read(file->f_mapping->host);

	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EBADF;
	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode))
		return -EINVAL;
	if (!file->f_op->read_iter || !file->f_op->write_iter)
		return -EINVAL;
	if (inode->i_sb->s_magic == OVCFS_MAGIC)
		return -EINVAL;
	if (IS_SWAPFILE(file->f_mapping->host))
		return -ETXTBSY;
	if (S_ISREG(inode->i_mode) && (inode->i_mode & 0077)) {
		pr_warn("swap store: mode %04o, readable or writable by others (0600 needed)\n",
			inode->i_mode & 07777);
		return -EACCES;
	}
	if (size < PAGE_SIZE)
		return -EINVAL;
	if (S_ISBLK(inode->i_mode) &&
	    bdev_logical_block_size(I_BDEV(file->f_mapping->host)) > PAGE_SIZE)
		return -EINVAL;
	return size >> PAGE_SHIFT;
}

static int ovc_swap_attach(int fd, u64 *slots)
{
	struct ovc_swap *s;
	struct file *file;
	long nr;
	int err;

	file = fget(fd);
	if (!file)
		return -EBADF;
	nr = ovc_swap_check(file);
	err = nr < 0 ? nr : -ENOMEM;
	if (nr < 0)
		goto out_fput;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto out_fput;
	s->map = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!s->map)
		goto out_free;
	s->file = file;
	if (S_ISBLK(file_inode(file)->i_mode))
		s->bdev = I_BDEV(file->f_mapping->host);
	s->nr = nr;
	spin_lock(&ovc_swap_lock);
	err = ovc_swap ? -EBUSY : 0;
	if (!err)
		ovc_swap = s;
	spin_unlock(&ovc_swap_lock);
	if (err)
		goto out_free;
	*slots = nr;
	pr_info("swap store attached: %ld pages, %s I/O\n", nr,
		s->bdev ? "bio" :
		file->f_flags & O_DIRECT ? "direct" : "buffered");
	return 0;

out_free:
	kvfree(s->map);
	kfree(s);
out_fput:
	fput(file);
	return err;
}

/* Return: 0, or -EBUSY while a slot is taken. */
static int ovc_swap_detach(void)
{
	struct ovc_swap *s;

	spin_lock(&ovc_swap_lock);
	s = ovc_swap;
	if (s && s->used) {
		spin_unlock(&ovc_swap_lock);
		return -EBUSY;
	}
	ovc_swap = NULL;
	spin_unlock(&ovc_swap_lock);
	if (s) {
		fput(s->file);
		kvfree(s->map);
		kfree(s);
		pr_info("swap store detached\n");
	}
	return 0;
}

/**
 * ovc_swap_set_file() - OVC_IOC_SET_SWAP_FILE: attach or detach the store
 * @fd:		an open file (see ovc_swap_check()), or OVC_SWAP_FILE_NONE
 * @slots:	set to the store's slots (0 after a detach)
 *
 * Return: 0, -EBUSY (a store is attached; or, detaching, it holds pages),
 * -EBADF, -EINVAL, -ETXTBSY, -EACCES or -ENOMEM.
 */
int ovc_swap_set_file(int fd, u64 *slots)
{
	int err;

	*slots = 0;
	mutex_lock(&ovc_swap_mutex);
	if (fd == OVC_SWAP_FILE_NONE)
		err = ovc_swap_detach();
	else
		err = ovc_swap_attach(fd, slots);
	mutex_unlock(&ovc_swap_mutex);
	return err;
}

/* Detach the store; no VM is left, so no slot is taken. */
void ovc_swap_exit(void)
{
	mutex_lock(&ovc_swap_mutex);
	WARN_ON(ovc_swap_detach());
	mutex_unlock(&ovc_swap_mutex);
}
