// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/pinctl: the kernel's own page pinning, for pinctl. The file operations,
 * the ioctl dispatch and the module's load and unload.
 *
 * A misc device that exposes get_user_pages_fast(), pin_user_pages_fast()
 * and pin_user_pages_remote() to user space, and reports what /proc cannot
 * show: a page's refcount and whether it is DMA-pinned. The ABI, and who may
 * do what, lives in include/pinctl/pinctl_ioctl.h.
 *
 * Every caller is hostile. Every pin belongs to the open file that took it
 * (shared by every holder of that file): UNPIN and the last close release
 * it. A PIN's region is built privately and becomes visible to UNPIN only
 * after its handle has been copied out; nothing touches it after that.
 * Pins are charged to the pinning user's locked_vm against RLIMIT_MEMLOCK,
 * as io_uring charges registered buffers, and to the pinned mm's pinned_vm.
 * Each open file, the module as a whole and each page's reference count are
 * bounded, so that no sequence of calls reaches a refcount WARN; each user
 * (its namespaces' uids included) may hold only a share of the module-wide
 * bound, so that no one user can deny it to the others. Another
 * process is reached only through its /proc/PID/mem, whose open ran the
 * kernel's own ptrace check. PFNs follow /proc/PID/pagemap's rule.
 *
 * Models: mm/gup_test.c (BENCH), io_uring/rsrc.c (accounting),
 * drivers/infiniband/core/umem.c (runs) and fs/proc/task_mmu.c (PFNs).
 */

#include "pinctl_internal.h"

static unsigned long max_pages_per_fd = 1UL << 20;
module_param(max_pages_per_fd, ulong, 0644);
MODULE_PARM_DESC(max_pages_per_fd,
		 "Pages one open file may hold pinned (read at open; default 1M, at most 4M)");

static unsigned int max_handles_per_fd = 1024;
module_param(max_handles_per_fd, uint, 0644);
MODULE_PARM_DESC(max_handles_per_fd,
		 "PIN handles one open file may hold (read at open; default 1024, at most 65536)");

/*
 * Every open file, by its file_id (LIST): stored at open, erased at the
 * last close before anything of the file is freed, both under
 * pinctl_files_lock, which LIST holds while it reads a file (and that
 * file's lock while it reads its pins). Lock order: pinctl_files_lock,
 * then a file's lock.
 */
DEFINE_MUTEX(pinctl_files_lock);
DEFINE_XARRAY_ALLOC1(pinctl_files);
static u32 pinctl_next_file_id;

/**
 * pinctl_ioctl_version() - PINCTL_IOC_VERSION.
 * @pf: the file; its bounds and PFN visibility are reported.
 * @argp: user struct pinctl_version.
 *
 * Return: 0, or -EFAULT.
 */
static long pinctl_ioctl_version(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_version v = {
		.abi_version = PINCTL_ABI_VERSION,
		.features = PINCTL_FEAT_PIN | PINCTL_FEAT_QUERY |
			    PINCTL_FEAT_BENCH | PINCTL_FEAT_ACCOUNTING |
			    PINCTL_FEAT_BOUNDED | PINCTL_FEAT_USER_SHARE |
			    PINCTL_FEAT_LIST | PINCTL_FEAT_FRAMES,
		.max_pages_per_fd = pf->max_pages,
		.max_handles_per_fd = pf->max_handles,
		.max_pages_total = pinctl_total_limit(),
		.max_pages_per_user = pinctl_user_limit(),
		.package_version = PINCTL_VERSION_CODE,
		.max_page_refcount = min_t(unsigned int,
					   READ_ONCE(max_page_refcount),
					   PINCTL_MAX_REFCOUNT_CAP),
	};

	if (pinctl_proc_mem_fops)
		v.features |= PINCTL_FEAT_REMOTE | PINCTL_FEAT_MEM_FD;
	if (pf->show_pfn)
		v.features |= PINCTL_FEAT_PFNS;
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

static long pinctl_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct pinctl_file *pf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case PINCTL_IOC_VERSION:
		return pinctl_ioctl_version(pf, argp);
	case PINCTL_IOC_PIN:
		return pinctl_ioctl_pin(pf, argp);
	case PINCTL_IOC_UNPIN:
		return pinctl_ioctl_unpin(pf, argp);
	case PINCTL_IOC_QUERY:
		return pinctl_ioctl_query(pf, argp);
	case PINCTL_IOC_BENCH:
		return pinctl_ioctl_bench(pf, argp);
	case PINCTL_IOC_LIST:
		return pinctl_ioctl_list(pf, argp);
	case PINCTL_IOC_QUERY_FRAMES:
		return pinctl_ioctl_frames(pf, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * A new open file: its bounds are fixed now, and whether it is shown PFNs
 * is decided by its opener's credentials (file->f_cred), as pagemap does.
 * It is listed (LIST) from here until its last close.
 */
static int pinctl_open(struct inode *inode, struct file *file)
{
	struct pinctl_file *pf;
	int ret;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	xa_init_flags(&pf->pins, XA_FLAGS_ALLOC1);
	pf->max_pages = clamp(READ_ONCE(max_pages_per_fd), 1UL,
			      PINCTL_MAX_PAGES_CAP);
	pf->max_handles = clamp_t(unsigned long, READ_ONCE(max_handles_per_fd),
				  1, PINCTL_MAX_HANDLES_CAP);
	pf->show_pfn = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	pf->opener = get_pid(task_tgid(current));
	pf->opener_uid = file->f_cred->uid;
	get_task_comm(pf->comm, current);
	file->private_data = pf;
	mutex_lock(&pinctl_files_lock);
	ret = xa_alloc_cyclic(&pinctl_files, &pf->id, pf, xa_limit_32b,
			      &pinctl_next_file_id, GFP_KERNEL);
	mutex_unlock(&pinctl_files_lock);
	if (ret < 0) {
		put_pid(pf->opener);
		kfree(pf);
		return ret;
	}
	return nonseekable_open(inode, file);
}

/*
 * The last close of the file, by whichever holder: unpin all. No ioctl can
 * be running, so no handle is half handed out.
 */
static int pinctl_release(struct inode *inode, struct file *file)
{
	struct pinctl_file *pf = file->private_data;
	struct pinctl_region *r;
	unsigned long idx;

	/* LIST reads the file only under pinctl_files_lock. */
	mutex_lock(&pinctl_files_lock);
	xa_erase(&pinctl_files, pf->id);
	mutex_unlock(&pinctl_files_lock);
	xa_for_each(&pf->pins, idx, r) {
		pinctl_region_free(r);
		cond_resched();
	}
	xa_destroy(&pf->pins);
	mutex_destroy(&pf->lock);
	put_pid(pf->opener);
	kfree(pf);
	return 0;
}

static const struct file_operations pinctl_fops = {
	.owner = THIS_MODULE,
	.open = pinctl_open,
	.release = pinctl_release,
	.unlocked_ioctl = pinctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice pinctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pinctl",
	.fops = &pinctl_fops,
	.mode = 0600,
};

/*
 * Learns the file operations of /proc/PID/mem from the loader's own
 * /proc/self/mem (opening it checks nothing that can fail for oneself),
 * then registers the device. Without /proc, REMOTE is unavailable.
 */
static int __init pinctl_init(void)
{
	struct file *file;

	file = filp_open("/proc/self/mem", O_RDONLY, 0);
	if (IS_ERR(file)) {
		pr_warn("cannot open /proc/self/mem (%ld): remote pins disabled\n",
			PTR_ERR(file));
	} else {
		pinctl_proc_mem_fops = file->f_op;
		filp_close(file, NULL);
	}
	return misc_register(&pinctl_misc);
}

static void __exit pinctl_exit(void)
{
	misc_deregister(&pinctl_misc);
	pinctl_account_exit();
	xa_destroy(&pinctl_files);
}

module_init(pinctl_init);
module_exit(pinctl_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("pinctl");
MODULE_DESCRIPTION("Pin user pages with the kernel's GUP and report refcounts");
MODULE_VERSION(PINCTL_VERSION);
