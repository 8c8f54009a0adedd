/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovc file operations (file.c): read, write, hole punch and truncate of a
 * VM's RAM.
 */
#ifndef _OVC_FILE_H
#define _OVC_FILE_H

#include <linux/types.h>

struct ovc_vm;
struct kiocb;
struct iov_iter;

int ovc_file_punch(struct ovc_vm *vm, loff_t offset, loff_t len);
int ovc_file_truncate_tail(struct ovc_vm *vm, loff_t newsize);
void ovc_file_truncate(struct ovc_vm *vm, loff_t oldsize, loff_t newsize);
ssize_t ovc_file_read(struct ovc_vm *vm, struct kiocb *iocb, struct iov_iter *to);
ssize_t ovc_file_write(struct ovc_vm *vm, struct kiocb *iocb,
		     struct iov_iter *from);

#endif /* _OVC_FILE_H */
