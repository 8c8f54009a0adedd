/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovcfs (ovcfs.c): the filesystem whose regular files are VMs' RAM.
 */
#ifndef _OVC_OVCFS_H
#define _OVC_OVCFS_H

int ovcfs_init(void);
void ovcfs_exit(void);

#endif /* _OVC_OVCFS_H */
