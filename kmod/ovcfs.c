// SPDX-License-Identifier: GPL-2.0
/*
 * ovcfs: guest RAM as regular files.
 *
 * A small filesystem in the shape of fs/ramfs: directories and regular
 * files, libfs helpers for the namespace.  Each regular file is one VM's
 * RAM (struct ovc_vm, vm.c); its pages never enter the page cache.  QEMU
 * uses it unchanged through memory-backend-file,mem-path=...,share=on.
 *
 *	mount -t ovcfs ovc /run/ovc [-o mode=0755,uid=0,gid=0,size=64G]
 *
 * size= bounds the private pages all VM files of the mount hold together,
 * as tmpfs bounds its blocks (suffixes k, m, g, t; 0: no bound, the
 * default); past it a fault is SIGBUS and write() ENOSPC.  Pages on shared
 * frames count in no mount.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/ovc.h>

#include "compat.h"
#include "fault.h"
#include "file.h"
#include "ioctl.h"
#include "ovcfs.h"
#include "range.h"
#include "scan.h"
#include "slot.h"
#include "sysfs.h"
#include "uarg.h"
#include "vm.h"

#define OVCFS_DEFAULT_MODE	0755

/**
 * struct ovcfs_fs_info - mount options of one ovcfs instance
 * @mode:	permissions of the root directory
 * @uid:	owner of the root directory
 * @gid:	group of the root directory
 * @limit:	size=, and the private pages the mount's VMs hold
 */
struct ovcfs_fs_info {
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	struct ovc_slot_limit limit;
};

static const struct super_operations ovcfs_ops;
static const struct inode_operations ovcfs_dir_iops;
static const struct file_operations ovcfs_dir_fops;
static const struct inode_operations ovcfs_file_iops;
static const struct file_operations ovcfs_file_fops;

/* Nothing is ever in the page cache; dirtying a page needs no work. */
static const struct address_space_operations ovcfs_aops = {
	.dirty_folio	= noop_dirty_folio,
};

static struct inode *ovcfs_get_inode(struct super_block *sb,
				     const struct inode *dir, umode_t mode)
{
	struct inode *inode = new_inode(sb);
	struct ovc_vm *vm;
	int err;

	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode->i_ino = get_next_ino();
	inode_init_owner(OVC_IDMAP, inode, dir, mode);
	inode->i_mapping->a_ops = &ovcfs_aops;
	ovc_inode_init_times(inode);

	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ovcfs_file_iops;
		inode->i_fop = &ovcfs_file_fops;
		vm = ovc_vm_create(inode,
				   &((struct ovcfs_fs_info *)sb->s_fs_info)->limit);
		if (IS_ERR(vm)) {
			iput(inode);
			return ERR_CAST(vm);
		}
		err = ovc_sysfs_add_vm(vm);
		if (err) {
			ovc_vm_destroy(vm);
			iput(inode);
			return ERR_PTR(err);
		}
		inode->i_private = vm;
		ovc_scan_wake();	/* a VM appeared */
		break;
	case S_IFDIR:
		inode->i_op = &ovcfs_dir_iops;
		inode->i_fop = &ovcfs_dir_fops;
		inc_nlink(inode);	/* "." */
		break;
	default:
		iput(inode);
		return ERR_PTR(-EINVAL);
	}
	return inode;
}

static int ovcfs_mknod(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	struct inode *inode = ovcfs_get_inode(dir->i_sb, dir, mode);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	dget(dentry);	/* pin the dentry, as ramfs: the tree lives in the dcache */
	ovc_inode_touch(dir);
	return 0;
}

static int ovcfs_create(OVC_IDMAP_ARG, struct inode *dir,
			struct dentry *dentry, umode_t mode, bool excl)
{
	return ovcfs_mknod(dir, dentry, (mode & ~S_IFMT) | S_IFREG);
}

static int ovcfs_mkdir(OVC_IDMAP_ARG, struct inode *dir,
		       struct dentry *dentry, umode_t mode)
{
	int err = ovcfs_mknod(dir, dentry, (mode & ~S_IFMT) | S_IFDIR);

	if (!err)
		inc_nlink(dir);
	return err;
}

static const struct inode_operations ovcfs_dir_iops = {
	.create		= ovcfs_create,
	.lookup		= simple_lookup,
	.link		= simple_link,
	.unlink		= simple_unlink,
	.mkdir		= ovcfs_mkdir,
	.rmdir		= simple_rmdir,
	.rename		= simple_rename,
};

static int ovcfs_setattr(OVC_IDMAP_ARG, struct dentry *dentry,
			 struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = setattr_prepare(OVC_IDMAP, dentry, attr);
	if (err)
		return err;
	/* i_rwsem is held for a size change (do_truncate) */
	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size != inode->i_size) {
		loff_t oldsize = inode->i_size;

		err = ovc_file_truncate_tail(inode->i_private, attr->ia_size);
		if (err)
			return err;
		i_size_write(inode, attr->ia_size);
		ovc_file_truncate(inode->i_private, oldsize, attr->ia_size);
		ovc_inode_touch(inode);
	}
	setattr_copy(OVC_IDMAP, inode, attr);
	return 0;
}

/*
 * Only the owner of a VM's RAM, or root, may open it or truncate it by
 * path, whatever its mode: a VM's memory is never shown to, nor changed
 * by, another user.
 */
static int ovcfs_permission(OVC_IDMAP_ARG, struct inode *inode, int mask)
{
	if (!uid_eq(current_fsuid(), inode->i_uid) &&
	    !capable(CAP_DAC_OVERRIDE))
		return -EACCES;
	return generic_permission(OVC_IDMAP, inode, mask);
}

static const struct inode_operations ovcfs_file_iops = {
	.permission	= ovcfs_permission,
	.setattr	= ovcfs_setattr,
	.getattr	= simple_getattr,
};

static int ovcfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	int err = ovc_fault_mmap(file_inode(file)->i_private, vma);

	if (!err)
		file_accessed(file);
	return err;
}

static ssize_t ovcfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	ssize_t ret;

	ret = ovc_file_read(file_inode(file)->i_private, iocb, to);
	file_accessed(file);
	return ret;
}

static ssize_t ovcfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret > 0) {
		ret = file_update_time(iocb->ki_filp);
		if (!ret)
			ret = ovc_file_write(inode->i_private, iocb, from);
	}
	inode_unlock(inode);
	return ret;
}

static long ovcfs_fallocate(struct file *file, int mode, loff_t offset,
			    loff_t len)
{
	struct inode *inode = file_inode(file);
	int err;

	err = ovc_uarg_fallocate_mode(mode);
	if (err)
		return err;
	inode_lock(inode);
	err = ovc_file_punch(inode->i_private, offset, len);
	if (!err)
		ovc_inode_touch(inode);
	inode_unlock(inode);
	return err;
}

/*
 * Readahead would call into the page cache, which these files do not use
 * (ovcfs_aops has no read_folio).  All advice is accepted and ignored.
 */
static int ovcfs_fadvise(struct file *file, loff_t offset, loff_t len,
			 int advice)
{
	switch (advice) {
	case POSIX_FADV_NORMAL:
	case POSIX_FADV_RANDOM:
	case POSIX_FADV_SEQUENTIAL:
	case POSIX_FADV_WILLNEED:
	case POSIX_FADV_NOREUSE:
	case POSIX_FADV_DONTNEED:
		return 0;
	default:
		return -EINVAL;
	}
}

static const struct file_operations ovcfs_file_fops = {
	.owner		= THIS_MODULE,
	.open		= generic_file_open,
	.mmap		= ovcfs_mmap,
	.read_iter	= ovcfs_read_iter,
	.write_iter	= ovcfs_write_iter,
	.fallocate	= ovcfs_fallocate,
	.fadvise	= ovcfs_fadvise,
	.unlocked_ioctl	= ovc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= generic_file_llseek,
	.fsync		= noop_fsync,
};

/* simple_dir_operations, and the ioctl not about one VM (the swap store). */
static const struct file_operations ovcfs_dir_fops = {
	.owner		= THIS_MODULE,
	.open		= dcache_dir_open,
	.release	= dcache_dir_close,
	.llseek		= dcache_dir_lseek,
	.read		= generic_read_dir,
	.iterate_shared	= dcache_readdir,
	.fsync		= noop_fsync,
	.unlocked_ioctl	= ovc_ioctl_dir,
	.compat_ioctl	= compat_ptr_ioctl,
};

static void ovcfs_evict_inode(struct inode *inode)
{
	struct ovc_vm *vm = inode->i_private;

	if (vm)
		ovc_vm_destroy(vm);
	inode->i_private = NULL;
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

static int ovcfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct ovcfs_fs_info *fsi = root->d_sb->s_fs_info;

	if (fsi->mode != OVCFS_DEFAULT_MODE)
		seq_printf(m, ",mode=%o", fsi->mode);
	if (!uid_eq(fsi->uid, GLOBAL_ROOT_UID))
		seq_printf(m, ",uid=%u",
			   from_kuid_munged(&init_user_ns, fsi->uid));
	if (!gid_eq(fsi->gid, GLOBAL_ROOT_GID))
		seq_printf(m, ",gid=%u",
			   from_kgid_munged(&init_user_ns, fsi->gid));
	if (fsi->limit.max)
		seq_printf(m, ",size=%luk", fsi->limit.max << (PAGE_SHIFT - 10));
	return 0;
}

/* With size=, blocks are pages: the bound and what is left of it. */
static int ovcfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct ovcfs_fs_info *fsi = dentry->d_sb->s_fs_info;
	long used = atomic_long_read(&fsi->limit.used);
	int err;

	err = simple_statfs(dentry, buf);
	if (err || !fsi->limit.max)
		return err;
	buf->f_blocks = fsi->limit.max;
	buf->f_bfree = used < (long)fsi->limit.max ?
		       fsi->limit.max - used : 0;
	buf->f_bavail = buf->f_bfree;
	return 0;
}

static const struct super_operations ovcfs_ops = {
	.statfs		= ovcfs_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= ovcfs_evict_inode,
	.show_options	= ovcfs_show_options,
};

enum ovcfs_param {
	Opt_mode,
	Opt_uid,
	Opt_gid,
	Opt_size,
};

static const struct fs_parameter_spec ovcfs_fs_parameters[] = {
	fsparam_u32oct("mode",	Opt_mode),
	fsparam_u32("uid",	Opt_uid),
	fsparam_u32("gid",	Opt_gid),
	fsparam_string("size",	Opt_size),
	{}
};

static int ovcfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct ovcfs_fs_info *fsi = fc->s_fs_info;
	struct fs_parse_result result;
	unsigned long long size;
	kuid_t uid;
	kgid_t gid;
	char *rest;
	int opt;

	opt = fs_parse(fc, ovcfs_fs_parameters, param, &result);
	if (opt == -ENOPARAM)
		return vfs_parse_fs_param_source(fc, param);
	if (opt < 0)
		return opt;

	switch (opt) {
	case Opt_mode:
		if (result.uint_32 & ~S_IALLUGO)
			goto bad_value;
		fsi->mode = result.uint_32;
		break;
	case Opt_uid:
		uid = make_kuid(current_user_ns(), result.uint_32);
		if (!uid_valid(uid))
			goto bad_value;
		fsi->uid = uid;
		break;
	case Opt_gid:
		gid = make_kgid(current_user_ns(), result.uint_32);
		if (!gid_valid(gid))
			goto bad_value;
		fsi->gid = gid;
		break;
	case Opt_size:
		size = memparse(param->string, &rest);
		if (*rest || !isdigit(*param->string) ||
		    (size >> PAGE_SHIFT) >= LONG_MAX)
			goto bad_value;
		fsi->limit.max = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
		break;
	}
	return 0;

bad_value:
	return invalfc(fc, "Bad value '%s' for mount option '%s'",
		       param->string, param->key);
}

static int ovcfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct ovcfs_fs_info *fsi = sb->s_fs_info;
	struct inode *root;

	sb->s_maxbytes		= MAX_LFS_FILESIZE;
	sb->s_blocksize		= PAGE_SIZE;
	sb->s_blocksize_bits	= PAGE_SHIFT;
	sb->s_magic		= OVCFS_MAGIC;
	sb->s_op		= &ovcfs_ops;
	sb->s_time_gran		= 1;

	root = ovcfs_get_inode(sb, NULL, S_IFDIR | fsi->mode);
	if (IS_ERR(root))
		return PTR_ERR(root);
	root->i_uid = fsi->uid;
	root->i_gid = fsi->gid;
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

static int ovcfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, ovcfs_fill_super);
}

static void ovcfs_free_fc(struct fs_context *fc)
{
	kfree(fc->s_fs_info);
}

static const struct fs_context_operations ovcfs_context_ops = {
	.free		= ovcfs_free_fc,
	.parse_param	= ovcfs_parse_param,
	.get_tree	= ovcfs_get_tree,
};

static int ovcfs_init_fs_context(struct fs_context *fc)
{
	struct ovcfs_fs_info *fsi;

	fsi = kzalloc(sizeof(*fsi), GFP_KERNEL);
	if (!fsi)
		return -ENOMEM;
	fsi->mode = OVCFS_DEFAULT_MODE;
	fsi->uid = GLOBAL_ROOT_UID;
	fsi->gid = GLOBAL_ROOT_GID;
	fc->s_fs_info = fsi;
	fc->ops = &ovcfs_context_ops;
	return 0;
}

static void ovcfs_kill_sb(struct super_block *sb)
{
	struct ovcfs_fs_info *fsi = sb->s_fs_info;

	kill_litter_super(sb);
	kfree(fsi);
}

static struct file_system_type ovcfs_type = {
	.owner			= THIS_MODULE,
	.name			= OVCFS_NAME,
	.init_fs_context	= ovcfs_init_fs_context,
	.parameters		= ovcfs_fs_parameters,
	.kill_sb		= ovcfs_kill_sb,
};

/**
 * ovcfs_init() - register the filesystem
 *
 * Return: 0 or the error of register_filesystem().
 */
int ovcfs_init(void)
{
	return register_filesystem(&ovcfs_type);
}

/** ovcfs_exit() - unregister the filesystem; no instance is mounted */
void ovcfs_exit(void)
{
	unregister_filesystem(&ovcfs_type);
}
