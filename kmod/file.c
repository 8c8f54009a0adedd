// SPDX-License-Identifier: GPL-2.0
/*
 * ovc file operations on a VM's RAM that do not go through a mapping:
 * read(), write(), hole punch (fallocate) and truncate.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/uio.h>

#include "balloon.h"
#include "file.h"
#include "range.h"
#include "share.h"
#include "slot.h"
#include "vm.h"

/*
 * The private page of slot @index, referenced and locked, for a write that
 * does not come through a mapping (write(), zeroing).  The page lock keeps
 * the scanner from merging the page under the write (it isolates pages
 * with their lock held), and the slot is checked again under it.
 *
 * Return: as ovc_slot_get_page() with OVC_GET_PRIVATE | @flags, or
 * ERR_PTR(-EIO) for a page lost to a memory error.
 */
static struct page *ovc_file_lock_private(struct ovc_vm *vm, pgoff_t index,
					unsigned int flags)
{
	struct page *page;

	for (;;) {
		page = ovc_slot_get_page(vm, index, flags | OVC_GET_PRIVATE,
					 NULL);
		if (IS_ERR_OR_NULL(page))
			return page;
		lock_page(page);
		if (xa_load(&vm->slots, index) == page) {
			if (likely(!PageHWPoison(page)))
				return page;
			unlock_page(page);
			put_page(page);
			return ERR_PTR(-EIO);
		}
		unlock_page(page);
		put_page(page);
		cond_resched();
	}
}

/*
 * Zero @len bytes at @off of page @index, if that page holds memory.  A
 * page lost to a memory error is freed whole instead (ballooned with
 * @balloon, else erased): its bytes are gone anyway, and a punch is how a
 * guest gives it back.
 * Return: 0, or the error of breaking its sharing (-ENOMEM, -ENOSPC):
 * then the page stays as it was.
 */
static int ovc_file_zero_partial(struct ovc_vm *vm, pgoff_t index,
				 unsigned int off, unsigned int len,
				 bool balloon)
{
	struct page *page;
	void *entry;

	/* A page on a zero frame is zero already: no copy to zero it. */
	page = ovc_slot_get(vm, index, &entry);
	if (page) {
		bool zero = ovc_slot_on_zero_frame(vm, index, page);

		put_page(page);
		if (zero)
			return 0;
	}
	page = ovc_file_lock_private(vm, index,
				   OVC_GET_NOALLOC | OVC_GET_EXTEND);
	if (PTR_ERR(page) == -EIO) {
		ovc_slot_drop_range(vm, index, index + 1, balloon);
		return 0;
	}
	if (IS_ERR_OR_NULL(page))
		return PTR_ERR_OR_ZERO(page);
	memzero_page(page, off, len);
	unlock_page(page);
	put_page(page);
	return 0;
}

/**
 * ovc_file_punch() - free the pages of a byte range (fallocate PUNCH_HOLE)
 * @vm:		the VM; the caller holds the inode's i_rwsem
 * @offset:	first byte
 * @len:	length in bytes
 *
 * Whole pages are freed and read as zero from then on; the bytes of partially
 * covered pages are zeroed in place.  Bytes past the end of the file are
 * ignored, as the file size does not change.
 *
 * A partial page lost to a memory error is freed whole instead: its
 * bytes are gone anyway, and a punch is how the guest gives it back.
 *
 * Return: 0, -EINVAL for a bad range, or the error of zeroing a partial
 * page (-ENOMEM, -ENOSPC): the whole pages are freed all the same.
 */
int ovc_file_punch(struct ovc_vm *vm, loff_t offset, loff_t len)
{
	struct ovc_punch p;
	int err, ret = 0;

	err = ovc_range_punch(offset, len, &p);
	if (err)
		return err;
	if (p.head_page >= 0)
		ret = ovc_file_zero_partial(vm, p.head_page, p.head_off,
					    p.head_len, true);
	if (p.tail_page >= 0) {
		err = ovc_file_zero_partial(vm, p.tail_page, 0, p.tail_len,
					    true);
		if (!ret)
			ret = err;
	}
	ovc_slot_drop_range(vm, p.first, p.end, true);
	return ret;
}

/**
 * ovc_file_truncate_tail() - zero the tail of the last page before a shrink
 * @vm:		the VM; the caller holds i_rwsem, i_size is still the old one
 * @newsize:	the new size in bytes
 *
 * Done before the size changes, so that a failure changes nothing;
 * growing the file again then shows zeroes.
 *
 * Return: 0, or the error of zeroing the partial page (-ENOMEM, -ENOSPC):
 * the caller fails the truncate.
 */
int ovc_file_truncate_tail(struct ovc_vm *vm, loff_t newsize)
{
	if (!(newsize & ~PAGE_MASK) || newsize >= i_size_read(vm->inode))
		return 0;
	return ovc_file_zero_partial(vm, newsize >> PAGE_SHIFT,
				     newsize & ~PAGE_MASK,
				     PAGE_SIZE - (newsize & ~PAGE_MASK), false);
}

/**
 * ovc_file_truncate() - the file size changed
 * @vm:		the VM; the caller holds i_rwsem, has set the new i_size and
 *		zeroed a partial last page (ovc_file_truncate_tail())
 * @oldsize:	the old size in bytes
 * @newsize:	the new size in bytes
 *
 * Shrinking frees the pages past the new end.
 */
void ovc_file_truncate(struct ovc_vm *vm, loff_t oldsize, loff_t newsize)
{
	if (newsize >= oldsize)
		return;
	ovc_slot_drop_range(vm, ovc_range_pages(newsize), ULONG_MAX, false);
	/* A target larger than the VM makes no sense any more. */
	if (READ_ONCE(vm->balloon_target) > ovc_range_pages(newsize))
		ovc_balloon_set_target(vm, ovc_range_pages(newsize));
}

/**
 * ovc_file_read() - read() of a VM file; holes read as zeroes
 * @vm:		the VM
 * @iocb:	position
 * @to:		destination
 *
 * A page lost to a memory error is never read: -EIO, as for tmpfs (a
 * poisoned zero frame reads as the zeroes it held).  A page in the
 * compressed cache or the swap store is read back into its slot first.
 *
 * Return: bytes read, or -EFAULT, -EIO or -ENOMEM if nothing could be
 * copied.
 */
ssize_t ovc_file_read(struct ovc_vm *vm, struct kiocb *iocb, struct iov_iter *to)
{
	loff_t pos = iocb->ki_pos, size = i_size_read(vm->inode);
	ssize_t done = 0, err = -EFAULT;
	bool zero;

	while (iov_iter_count(to) && pos < size) {
		unsigned int off = pos & ~PAGE_MASK;
		size_t n = min_t(loff_t, PAGE_SIZE - off, size - pos);
		struct page *page;
		size_t copied;
		void *entry;

		n = min(n, iov_iter_count(to));
		page = ovc_slot_get(vm, pos >> PAGE_SHIFT, &entry);
		if (!page && ovc_slot_stored(entry)) {
			/* stored: read it back, as shmem reads from swap */
			page = ovc_slot_get_page(vm, pos >> PAGE_SHIFT,
						 OVC_GET_NOALLOC, NULL);
			if (IS_ERR(page)) {
				err = PTR_ERR(page);
				break;
			}
		}
		if (page && unlikely(PageHWPoison(page))) {
			zero = ovc_slot_on_zero_frame(vm, pos >> PAGE_SHIFT,
						      page);
			put_page(page);
			if (!zero) {
				err = -EIO;
				break;
			}
			page = NULL;
		}
		if (page) {
			copied = copy_page_to_iter(page, off, n, to);
			put_page(page);
		} else {
			copied = iov_iter_zero(n, to);
		}
		done += copied;
		pos += copied;
		if (copied < n)
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : (iov_iter_count(to) && pos < size ? err : 0);
}

/**
 * ovc_file_write() - write() of a VM file
 * @vm:		the VM; the caller holds i_rwsem and ran generic_write_checks()
 * @iocb:	position
 * @from:	source
 *
 * Return: bytes written, or -ENOMEM/-EFAULT if nothing was written.
 */
ssize_t ovc_file_write(struct ovc_vm *vm, struct kiocb *iocb,
		     struct iov_iter *from)
{
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0, err = 0;

	while (iov_iter_count(from)) {
		unsigned int off = pos & ~PAGE_MASK;
		size_t n = min_t(size_t, PAGE_SIZE - off, iov_iter_count(from));
		struct page *page;
		size_t copied;

		/*
		 * The copy runs with the page locked and page faults off
		 * (the source may be a mapping of this very page), so fault
		 * the source in first, as generic_perform_write() does.
		 */
		if (unlikely(fault_in_iov_iter_readable(from, n) == n)) {
			err = -EFAULT;
			break;
		}
		page = ovc_file_lock_private(vm, pos >> PAGE_SHIFT,
					   OVC_GET_EXTEND);
		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			break;
		}
		pagefault_disable();
		copied = copy_page_from_iter_atomic(page, off, n, from);
		pagefault_enable();
		unlock_page(page);
		put_page(page);
		done += copied;
		pos += copied;
		cond_resched();	/* copied == 0: fault in again and retry */
	}
	if (pos > i_size_read(vm->inode))
		i_size_write(vm->inode, pos);
	if (err)	/* a page allocated past the end may be left */
		ovc_slot_drop_range(vm, ovc_range_pages(i_size_read(vm->inode)),
				  ULONG_MAX, false);
	iocb->ki_pos = pos;
	return done ? done : err;
}
