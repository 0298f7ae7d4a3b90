// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl.c - /dev/pinctl: the kernel's own page pinning, for pinctl.
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

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/version.h>
#include <linux/xarray.h>

#include <pinctl/pinctl_ioctl.h>
#include <pinctl/pinctl_version.h>

/*
 * Upper bounds for the module parameters: keep BENCH's page array under
 * 32 MiB and a PIN's runs under 64 MiB even when no two pages are adjacent.
 */
#define PINCTL_MAX_PAGES_CAP	BIT(22)
#define PINCTL_MAX_HANDLES_CAP	BIT(16)
#define PINCTL_QUERY_MAX	BIT(20)
/*
 * Module-wide pages pinned or in flight. A small page gains
 * GUP_PIN_COUNTING_BIAS (1024) references per pin, so 2^20 pages add at
 * most 2^30 references to any one page: the module alone cannot take a
 * refcount near 2^31, where try_grab_folio() WARNs.
 */
#define PINCTL_MAX_TOTAL_CAP	BIT(20)
/* The highest max_page_refcount: half of the 2^31 where GUP WARNs. */
#define PINCTL_MAX_REFCOUNT_CAP	BIT(30)
/* Pages per GUP call of a BENCH: bounds the time between signal checks. */
#define PINCTL_BENCH_CHUNK	BIT(16)
/* Pages per QUERY batch: one small buffer, copied out without any lock. */
#define PINCTL_QUERY_BATCH	64
/* LIST records per batch, gathered under the locks and copied out after. */
#define PINCTL_LIST_BATCH	32
/* Files and pins LIST looks at per hold of the locks, shown or not. */
#define PINCTL_LIST_BUDGET	1024
/* Frames per QUERY_FRAMES batch. */
#define PINCTL_FRAMES_BATCH	128

static unsigned long max_pages_per_fd = 1UL << 20;
module_param(max_pages_per_fd, ulong, 0644);
MODULE_PARM_DESC(max_pages_per_fd,
		 "Pages one open file may hold pinned (read at open; default 1M, at most 4M)");

static unsigned int max_handles_per_fd = 1024;
module_param(max_handles_per_fd, uint, 0644);
MODULE_PARM_DESC(max_handles_per_fd,
		 "PIN handles one open file may hold (read at open; default 1024, at most 65536)");

static unsigned long max_pages_total = PINCTL_MAX_TOTAL_CAP;
module_param(max_pages_total, ulong, 0644);
MODULE_PARM_DESC(max_pages_total,
		 "Pages all files together may hold pinned or in flight (default and most 1M)");

/*
 * 0: a quarter of max_pages_total. Read at each PIN and BENCH, at most
 * max_pages_total.
 */
static unsigned long max_pages_per_user;
module_param(max_pages_per_user, ulong, 0644);
MODULE_PARM_DESC(max_pages_per_user,
		 "Pages one user may hold pinned or in flight, its namespaces' uids included (0, the default: a quarter of max_pages_total; at most max_pages_total; CAP_SYS_ADMIN exempt)");

static unsigned int max_page_refcount = PINCTL_MAX_REFCOUNT_CAP;
module_param(max_page_refcount, uint, 0644);
MODULE_PARM_DESC(max_page_refcount,
		 "A PIN whose pages exceed this reference count fails with EOVERFLOW (default and most 2^30)");

/* Pages pinned or in flight through every file: against max_pages_total. */
static atomic_long_t pinctl_total_pages = ATOMIC_LONG_INIT(0);

/*
 * Pages each user holds pinned or in flight, against max_pages_per_user:
 * an xarray of value entries indexed by the user's uid in the initial
 * namespace (see pinctl_share_uid()); an entry exists while non-zero.
 */
static DEFINE_MUTEX(pinctl_users_lock);
static DEFINE_XARRAY(pinctl_users);

/*
 * Every open file, by its file_id (LIST): stored at open, erased at the
 * last close before anything of the file is freed, both under
 * pinctl_files_lock, which LIST holds while it reads a file (and that
 * file's lock while it reads its pins). Lock order: pinctl_files_lock,
 * then a file's lock.
 */
static DEFINE_MUTEX(pinctl_files_lock);
static DEFINE_XARRAY_ALLOC1(pinctl_files);
static u32 pinctl_next_file_id;

/*
 * The file operations of /proc/PID/mem, learnt at load from
 * /proc/self/mem: how a REMOTE descriptor is recognised. NULL when /proc
 * could not be opened then; REMOTE is refused (-EOPNOTSUPP).
 */
static const struct file_operations *pinctl_proc_mem_fops;

/*
 * Pages per GUP call of a PIN, gathered in an 8 KiB scratch array and folded
 * into runs; also the most pages between fatal-signal checks.
 */
#define PINCTL_GUP_CHUNK	BIT(10)

/**
 * struct pinctl_run - pages whose PFNs follow one another.
 * @page: the first page.
 * @nr: pages in the run, at least 1.
 */
struct pinctl_run {
	struct page *page;
	unsigned long nr;
};

/**
 * struct pinctl_run_block - a page-sized array of runs, chained in address
 * order. A held pin costs 16 bytes per run of physically contiguous pages
 * (at most one per THP), not 8 bytes per page, and no large allocation, as
 * the coalesced scatterlist of drivers/infiniband/core/umem.c. A page array
 * would cost a 2 MiB allocation per GiB, which Debian's init_on_alloc
 * zeroes: ~6 ms in the VM, four times the GUP of a GiB of THP.
 * @next: the following block, or NULL.
 * @nr: runs used in @run.
 * @run: the runs.
 */
struct pinctl_run_block {
	struct pinctl_run_block *next;
	unsigned long nr;
	struct pinctl_run run[];
};

#define PINCTL_RUNS_PER_BLOCK						\
	((PAGE_SIZE - sizeof(struct pinctl_run_block)) / sizeof(struct pinctl_run))

/**
 * struct pinctl_charge - what a PIN (or a running BENCH) is charged to.
 * @user: the pinning user, whose locked_vm was charged against
 *        RLIMIT_MEMLOCK (get_uid()); NULL when the caller had CAP_IPC_LOCK.
 * @mm: the pinned address space, whose pinned_vm (VmPin) was raised
 *      (mmgrab()ed): released against it even after its process is gone.
 * @nr: pages charged, also reserved in pinctl_total_pages.
 * @share_uid: the uid (initial namespace) whose share in pinctl_users holds
 *             @nr too, when @shared.
 * @shared: false when the caller had CAP_SYS_ADMIN (no share taken).
 */
struct pinctl_charge {
	struct user_struct *user;
	struct mm_struct *mm;
	unsigned long nr;
	uid_t share_uid;
	bool shared;
};

/**
 * struct pinctl_region - the pages of one PIN, held until UNPIN or close.
 * @first: the first block of runs, in address order; NULL while empty.
 * @last: the block runs are appended to.
 * @held: pages referenced by the runs.
 * @nr_pages: pages requested; equals @held once pinned.
 * @charge: what the pages are charged to.
 * @get: the pages hold FOLL_GET references (put_page()), not pins.
 * @node: for releasing many regions outside the file's lock.
 * @addr: the first address pinned (LIST).
 * @flags: the PINCTL_PIN_* flags of the PIN (LIST).
 * @uid: the pinning user (current_uid()), whose records LIST shows it.
 * @pinner: the pinning process's tgid pid (get_pid()).
 * @target: the tgid pid of the process whose memory is pinned: the pinner,
 *          or for REMOTE the mm's owner at pin time; NULL if unknown.
 *
 * A region is built by one PIN call alone and only then stored in the
 * file's xarray; from then on it belongs to whoever erases it from there.
 * LIST reads it only under the file's lock while it is stored, and only
 * the fields fixed before it was stored.
 */
struct pinctl_region {
	struct pinctl_run_block *first;
	struct pinctl_run_block *last;
	unsigned long held;
	unsigned long nr_pages;
	struct pinctl_charge charge;
	bool get;
	struct list_head node;
	u64 addr;
	u32 flags;
	kuid_t uid;
	struct pid *pinner;
	struct pid *target;
};

/**
 * struct pinctl_file - the state of one open /dev/pinctl.
 * @lock: guards @pins, @nr_pages and @nr_handles.
 * @pins: handle -> struct pinctl_region; a handle being handed out is
 *        reserved (a NULL entry) until its region is complete.
 * @next_handle: cursor for cyclic handle allocation.
 * @nr_pages: pages held or reserved by this file.
 * @nr_handles: handles held or reserved by this file.
 * @max_pages: bound on @nr_pages, fixed at open.
 * @max_handles: bound on @nr_handles, fixed at open.
 * @show_pfn: the opener had CAP_SYS_ADMIN in the initial user namespace
 *            (fs/proc/task_mmu.c's rule for pagemap), fixed at open.
 * @id: the file's index in pinctl_files (LIST's file_id).
 * @opener: the opening process's tgid pid (get_pid()).
 * @opener_uid: the opener's real uid (file->f_cred).
 * @comm: the opener's comm at open.
 */
struct pinctl_file {
	struct mutex lock;	/* guards pins, nr_pages, nr_handles */
	struct xarray pins;
	u32 next_handle;
	unsigned long nr_pages;
	unsigned long nr_handles;
	unsigned long max_pages;
	unsigned long max_handles;
	bool show_pfn;
	u32 id;
	struct pid *opener;
	kuid_t opener_uid;
	char comm[TASK_COMM_LEN];
};

static bool pinctl_reserved_zero(const __u64 *reserved, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (reserved[i])
			return false;
	return true;
}

/**
 * pinctl_check_range() - validate a user range of whole pages.
 * @addr: start; must be page-aligned.
 * @nr_pages: length in pages; at least 1.
 * @max: the most pages allowed.
 *
 * Return: 0, or -EINVAL for an unaligned, empty, too long or wrapping range.
 */
static int pinctl_check_range(u64 addr, u64 nr_pages, u64 max)
{
	u64 end;

	if (!nr_pages || nr_pages > max || !PAGE_ALIGNED(addr))
		return -EINVAL;
	if (nr_pages > (U64_MAX >> PAGE_SHIFT) ||
	    check_add_overflow(addr, nr_pages << PAGE_SHIFT, &end))
		return -EINVAL;
	if (addr > ULONG_MAX || end - 1 > ULONG_MAX)
		return -EINVAL;
	return 0;
}

/**
 * pinctl_get_remote_mm() - the address space a /proc/PID/mem descriptor
 * was opened on.
 * @mem_fd: a descriptor of the caller's.
 * @fmode: what the call does there, as read(2) and write(2) on the
 *         descriptor would: FMODE_READ to look at or pin pages, with
 *         FMODE_WRITE to pin them for writing (FOLL_WRITE breaks COW and
 *         dirties shared file pages: a write, bar the data).
 * @mmp: out: the mm, with a mmget() reference for the caller to mmput().
 *
 * ptrace_may_access() and mm_access() are not exported to modules; the
 * open of /proc/PID/mem ran mm_access(PTRACE_MODE_ATTACH) itself, with the
 * LSM and Yama hooks and under the target's exec_update_lock, and keeps the
 * mm it found in ->private_data (mmgrab()ed). An exec after the open gives
 * the task a new mm and leaves this one without users: mmget_not_zero()
 * then fails, as /proc/PID/mem's own reads do. The open's access mode is
 * the rest of what the opener granted: a read-only descriptor, perhaps
 * handed over by a more privileged process, allows no write pin.
 *
 * Return: 0; -EBADF if @mem_fd is not open, or not open for @fmode;
 * -EINVAL if it is not a /proc/PID/mem file; -ESRCH if that address space
 * is gone (or was a kernel thread's); -EOPNOTSUPP if the module could not
 * learn the file's operations at load.
 */
static int pinctl_get_remote_mm(int mem_fd, fmode_t fmode,
				struct mm_struct **mmp)
{
	struct mm_struct *mm;
	struct file *file;
	int ret = 0;

	if (!pinctl_proc_mem_fops)
		return -EOPNOTSUPP;
	if (mem_fd < 0)
		return -EBADF;
	file = fget(mem_fd);
	if (!file)
		return -EBADF;
	if (file->f_op != pinctl_proc_mem_fops) {
		ret = -EINVAL;
		goto out_fput;
	}
	if ((file->f_mode & fmode) != fmode) {
		ret = -EBADF;
		goto out_fput;
	}
	mm = file->private_data;
	if (!mm || !mmget_not_zero(mm)) {
		ret = -ESRCH;
		goto out_fput;
	}
	*mmp = mm;
out_fput:
	fput(file);
	return ret;
}

static void pinctl_put_pages(struct page **pages, unsigned long nr, bool get)
{
	unsigned long i;

	if (!get) {
		unpin_user_pages(pages, nr);
		return;
	}
	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}

/*
 * The GUP calls that need the mmap lock. From 6.5 they lost the vmas
 * argument; @locked stays NULL, which on both sides means "the caller holds
 * mmap_read_lock and GUP must not drop it" (6.1 insists on it for
 * FOLL_LONGTERM in pin_user_pages_remote()).
 */
static long pinctl_gup_locked(struct mm_struct *mm, bool remote,
			      unsigned long start, unsigned long nr,
			      unsigned int gup_flags, struct page **pages,
			      bool get)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	if (remote)
		return get ? get_user_pages_remote(mm, start, nr, gup_flags,
						   pages, NULL) :
			     pin_user_pages_remote(mm, start, nr, gup_flags,
						   pages, NULL);
	return get ? get_user_pages(start, nr, gup_flags, pages) :
		     pin_user_pages(start, nr, gup_flags, pages);
#else
	if (remote)
		return get ? get_user_pages_remote(mm, start, nr, gup_flags,
						   pages, NULL, NULL) :
			     pin_user_pages_remote(mm, start, nr, gup_flags,
						   pages, NULL, NULL);
	return get ? get_user_pages(start, nr, gup_flags, pages, NULL) :
		     pin_user_pages(start, nr, gup_flags, pages, NULL);
#endif
}

static unsigned int pinctl_gup_flags(u32 flags)
{
	unsigned int gup_flags = 0;

	if (flags & PINCTL_PIN_WRITE)
		gup_flags |= FOLL_WRITE;
	if (flags & PINCTL_PIN_LONGTERM)
		gup_flags |= FOLL_LONGTERM;
	return gup_flags;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
/*
 * Before 6.6 GUP reached hugetlb pages through follow_hugetlb_page(), which
 * WARNs (and fails -ENOMEM) when try_grab_folio() refuses a FOLL_LONGTERM
 * pin of a page that is not long-term pinnable: hugetlb pages are
 * allocated movable, so with movablecore= (or memory hot-plugged as
 * movable, or CMA) they can sit in ZONE_MOVABLE, where
 * is_longterm_pinnable_page() says no. Seen on Debian's 6.1.192. 6.6
 * dropped follow_hugetlb_page() (commit 4849807114b8); the kernels between
 * are treated as 6.1.
 */
#define PINCTL_HUGETLB_LONGTERM_CHECK 1

/* Does [start, start + nr pages) meet a hugetlb VMA? mmap lock held. */
static bool pinctl_range_has_hugetlb(struct mm_struct *mm,
				     unsigned long start, unsigned long nr)
{
	unsigned long end = start + (nr << PAGE_SHIFT);
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end))
		if (is_vm_hugetlb_page(vma))
			return true;
	return false;
}

/*
 * Can this hugetlb page be pinned long-term? is_longterm_pinnable_page()
 * reads the pageblock's migratetype under CONFIG_CMA through
 * get_pfnblock_flags_mask(), which is not exported: there every hugetlb
 * page is taken as not pinnable.
 */
static bool pinctl_hugetlb_pinnable(struct page *page)
{
#ifdef CONFIG_CMA
	return false;
#else
	return is_longterm_pinnable_page(page);
#endif
}

/**
 * pinctl_pin_hugetlb_checked() - a FOLL_LONGTERM pin of a range with
 * hugetlb pages in it, refused up front where 6.1 would WARN.
 * @mm: the mm, mmap_write_lock()ed: no fault, MADV_DONTNEED or mremap can
 *      change its page tables meanwhile.
 * @remote: @mm is not current's.
 * @start: page-aligned start.
 * @nr: pages, 1..PINCTL_GUP_CHUNK.
 * @gup_flags: FOLL_* with FOLL_LONGTERM.
 * @pages: out: up to @nr entries.
 *
 * A short-term pin first faults in and unshares the pages exactly as the
 * long-term pin would (no WARN: try_grab_folio() refuses a page only for
 * FOLL_LONGTERM), and holds the hugetlb ones so they cannot migrate. If
 * each is long-term pinnable the long-term pin then finds those very pages.
 *
 * Return: the pages now pinned long-term, or a negative errno with none
 * held: -EOPNOTSUPP for a hugetlb page in ZONE_MOVABLE or CMA.
 */
static long pinctl_pin_hugetlb_checked(struct mm_struct *mm, bool remote,
				       unsigned long start, unsigned long nr,
				       unsigned int gup_flags,
				       struct page **pages)
{
	unsigned long i, held = 0;
	struct page **tmp;
	bool refuse = false;
	long ret;

	tmp = kmalloc_array(nr, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	ret = pinctl_gup_locked(mm, remote, start, nr,
				gup_flags & ~FOLL_LONGTERM, tmp, false);
	if (ret <= 0)
		goto out_free;
	for (i = 0; i < ret; i++) {
		if (!PageHuge(tmp[i])) {
			unpin_user_page(tmp[i]);
			continue;
		}
		if (!pinctl_hugetlb_pinnable(tmp[i]))
			refuse = true;
		tmp[held++] = tmp[i];
	}
	if (refuse)
		ret = -EOPNOTSUPP;
	else
		ret = pinctl_gup_locked(mm, remote, start, ret, gup_flags,
					pages, false);
	unpin_user_pages(tmp, held);
out_free:
	kfree(tmp);
	return ret;
}

/**
 * pinctl_pin_longterm_pre66() - a FOLL_LONGTERM pin before 6.6: the fast
 * path where it needs no fallback, else the locked path, checked where
 * the range meets a hugetlb VMA.
 * @mm: the mm to pin in; current->mm unless @remote.
 * @remote: @mm is another process's.
 * @start: page-aligned start.
 * @nr: pages, at least 1.
 * @flags: PINCTL_PIN_* bits with LONGTERM, without GET.
 * @pages: out: up to @nr entries.
 *
 * pin_user_pages_fast() cannot be used as it is: its slow-path fallback
 * would reach follow_hugetlb_page() without the check, so FAST takes what
 * pin_user_pages_fast_only() gets (it refuses unpinnable pages without a
 * WARN) and leaves the rest to the locked path.
 *
 * Return: the pages now held (1..@nr), 0, or a negative errno.
 */
static long pinctl_pin_longterm_pre66(struct mm_struct *mm, bool remote,
				      unsigned long start, unsigned long nr,
				      u32 flags, struct page **pages)
{
	unsigned int gup_flags = pinctl_gup_flags(flags);
	long ret;

	if (flags & PINCTL_PIN_FAST) {
		ret = pin_user_pages_fast_only(start,
					       min_t(unsigned long, nr, INT_MAX),
					       gup_flags, pages);
		if (ret > 0)
			return ret;
	}
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	if (!pinctl_range_has_hugetlb(mm, start, nr)) {
		ret = pinctl_gup_locked(mm, remote, start, nr, gup_flags,
					pages, false);
		mmap_read_unlock(mm);
		return ret;
	}
	mmap_read_unlock(mm);
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	ret = pinctl_pin_hugetlb_checked(mm, remote, start,
					 min(nr, PINCTL_GUP_CHUNK), gup_flags,
					 pages);
	mmap_write_unlock(mm);
	return ret;
}
#endif

/**
 * pinctl_gup_call() - one GUP call: pin (or get) up to @nr pages.
 * @mm: the mm to pin in; current->mm unless @remote.
 * @remote: @mm is another process's (pin_user_pages_remote()).
 * @start: page-aligned start.
 * @nr: pages, at least 1.
 * @flags: PINCTL_PIN_* bits, already validated.
 * @pages: out: up to @nr entries.
 *
 * Return: the pages now held (1..@nr), or a negative errno with none held.
 */
static long pinctl_gup_call(struct mm_struct *mm, bool remote,
			    unsigned long start, unsigned long nr, u32 flags,
			    struct page **pages)
{
	unsigned int gup_flags = pinctl_gup_flags(flags);
	bool get = flags & PINCTL_PIN_GET;
	long ret;

#ifdef PINCTL_HUGETLB_LONGTERM_CHECK
	if ((flags & PINCTL_PIN_LONGTERM) && !get) {
		ret = pinctl_pin_longterm_pre66(mm, remote, start, nr, flags,
						pages);
		return ret ?: -EFAULT;
	}
#endif
	if (flags & PINCTL_PIN_FAST) {
		ret = get ? get_user_pages_fast(start, nr, gup_flags, pages) :
			    pin_user_pages_fast(start, nr, gup_flags, pages);
	} else {
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		ret = pinctl_gup_locked(mm, remote, start, nr, gup_flags,
					pages, get);
		mmap_read_unlock(mm);
	}
	return ret ?: -EFAULT;
}

/**
 * pinctl_refs_ok() - are the pages GUP just returned within the per-page
 * reference bound?
 * @pages: @nr pages this call holds.
 * @nr: entries.
 *
 * A small page gains 1024 references per pin and overflows past 2^31, and
 * GUP WARNs before that (try_grab_folio()). The module-wide page bound
 * keeps the module's own share under 2^30; this check refuses to add to a
 * page whose count is already high (max_page_refcount, which root may
 * lower to test it).
 *
 * Return: true if every page's folio is at or below the bound.
 */
static bool pinctl_refs_ok(struct page **pages, unsigned long nr)
{
	unsigned int limit = min_t(unsigned int, READ_ONCE(max_page_refcount),
				   PINCTL_MAX_REFCOUNT_CAP);
	unsigned long i;

	for (i = 0; i < nr; i++)
		if ((unsigned int)folio_ref_count(page_folio(pages[i])) > limit)
			return false;
	return true;
}

/**
 * pinctl_stack_gap() - does a range reach unmapped addresses just below a
 * stack (VM_GROWSDOWN) VMA?
 * @mm: the mm the range is in.
 * @start: page-aligned start.
 * @nr: pages.
 *
 * From 6.5 GUP no longer grows stacks: asked for an address up to 64 KiB
 * below one it fails, and logs "GUP no longer grows the stack" with a
 * stack dump (hourly; gup_vma_lookup()). 6.1 grew the stack instead. The
 * module refuses such a range itself, on every kernel, as
 * access_remote_vm() avoids the message. A VMA mapped there after this
 * check (by the caller's own threads) can still reach it.
 *
 * Return: true if GUP would look below a stack for some page of the range.
 */
static bool pinctl_stack_gap(struct mm_struct *mm, unsigned long start,
			     unsigned long nr)
{
	unsigned long end = start + (nr << PAGE_SHIFT), pos = start, top;
	struct vm_area_struct *vma;
	bool hit = false;

	if (mmap_read_lock_killable(mm))
		return false;	/* GUP will fail with -EINTR itself */
	while (pos < end) {
		vma = find_vma(mm, pos);
		if (!vma)
			break;
		/* The highest page of the range in the hole below @vma. */
		top = min(end, vma->vm_start) - PAGE_SIZE;
		if (vma->vm_start > pos && (vma->vm_flags & VM_GROWSDOWN) &&
		    vma->vm_start - top <= 65536) {
			hit = true;
			break;
		}
		pos = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return hit;
}

/**
 * pinctl_gup() - pin (or get) every page of a range into one page array,
 * as mm/gup_test.c does (BENCH's baseline), or nothing.
 * @mm: current->mm.
 * @addr: page-aligned start.
 * @nr: pages.
 * @flags: PINCTL_PIN_* bits, already validated; not REMOTE.
 * @pages: out: @nr entries.
 *
 * Return: 0 with all @nr pages held, or a negative errno with none held:
 * a partial pin is undone here; -EINTR when a signal is pending.
 */
static int pinctl_gup(struct mm_struct *mm, unsigned long addr,
		      unsigned long nr, u32 flags, struct page **pages)
{
	unsigned long done = 0;
	long ret = 0;

	while (done < nr) {
		ret = pinctl_gup_call(mm, false, addr + (done << PAGE_SHIFT),
				      min(nr - done, PINCTL_BENCH_CHUNK), flags,
				      pages + done);
		if (ret < 0)
			break;
		done += ret;
		if (!pinctl_refs_ok(pages + done - ret, ret)) {
			ret = -EOVERFLOW;
			break;
		}
		if (done < nr && signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	if (ret >= 0)
		return 0;
	pinctl_put_pages(pages, done, flags & PINCTL_PIN_GET);
	return ret;
}

/* Releases @nr references (pins unless @get) on the pages from @page on. */
static void pinctl_put_run(struct page *page, unsigned long nr, bool get)
{
	unsigned long i, n;
	struct folio *folio;

	if (!get) {
		unpin_user_page_range_dirty_lock(page, nr, false);
		return;
	}
	/* One folio_put_refs() per folio, as gup_put_folio() does. */
	for (i = 0; i < nr; i += n) {
		struct page *p = nth_page(page, i);

		folio = page_folio(p);
		n = min(nr - i, folio_nr_pages(folio) -
				(page_to_pfn(p) - folio_pfn(folio)));
		folio_put_refs(folio, n);
	}
}

/* Releases every page a region's runs hold and frees the runs. */
static void pinctl_region_put(struct pinctl_region *r)
{
	struct pinctl_run_block *blk, *next;
	unsigned long i;

	for (blk = r->first; blk; blk = next) {
		for (i = 0; i < blk->nr; i++)
			pinctl_put_run(blk->run[i].page, blk->run[i].nr, r->get);
		next = blk->next;
		kfree(blk);
		cond_resched();
	}
	r->first = r->last = NULL;
	r->held = 0;
}

/*
 * The length of the stretch at the start of @pages (@nr >= 1 entries) whose
 * pages follow @pages[0] physically. It reads every entry (a pin's release
 * must match it exactly), eight per test: a THP's 512 entries are one
 * stretch, read at a fraction of what GUP took to write them.
 */
static unsigned long pinctl_stretch(struct page **pages, unsigned long nr)
{
	struct page *first = pages[0];
	unsigned long j = 1, k, diff;

	while (j + 8 <= nr) {
		diff = 0;
		for (k = 0; k < 8; k++)
			diff |= (unsigned long)pages[j + k] ^
				(unsigned long)nth_page(first, j + k);
		if (diff)
			break;
		j += 8;
	}
	while (j < nr && pages[j] == nth_page(first, j))
		j++;
	return j;
}

/**
 * pinctl_region_add() - fold held pages into a region's runs.
 * @r: the region; its pages so far end just before @pages[0]'s address.
 * @pages: @nr held pages, in address order.
 * @nr: at least 1.
 *
 * Return: 0 with all @nr pages in @r, or -ENOMEM with the pages not yet in
 * @r released here.
 */
static int pinctl_region_add(struct pinctl_region *r, struct page **pages,
			     unsigned long nr)
{
	struct pinctl_run *run = r->last && r->last->nr ?
				 &r->last->run[r->last->nr - 1] : NULL;
	unsigned long i = 0, j;

	while (i < nr) {
		j = i + pinctl_stretch(pages + i, nr - i);
		if (run && pages[i] == nth_page(run->page, run->nr) &&
		    run->nr <= LONG_MAX - (j - i)) {
			run->nr += j - i;
		} else {
			struct pinctl_run_block *blk = r->last;

			if (!blk || blk->nr == PINCTL_RUNS_PER_BLOCK) {
				blk = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
				if (!blk) {
					pinctl_put_pages(pages + i, nr - i,
							 r->get);
					return -ENOMEM;
				}
				blk->next = NULL;
				blk->nr = 0;
				if (r->last)
					r->last->next = blk;
				else
					r->first = blk;
				r->last = blk;
			}
			run = &blk->run[blk->nr++];
			run->page = pages[i];
			run->nr = j - i;
		}
		r->held += j - i;
		i = j;
	}
	return 0;
}

/**
 * pinctl_region_pin() - pin (or get) every page of a range into a region,
 * or nothing.
 * @r: an empty region: @r->nr_pages and @r->get set.
 * @mm: the mm to pin in; current->mm unless @remote.
 * @remote: @mm is another process's (pin_user_pages_remote()).
 * @addr: page-aligned start.
 * @flags: PINCTL_PIN_* bits, already validated.
 *
 * GUP fills a small scratch array, PINCTL_GUP_CHUNK pages at a time, whose
 * pages are folded into @r's runs.
 *
 * Return: 0 with all @r->nr_pages pages held, or a negative errno with none
 * held: a partial pin is undone here. -EOVERFLOW when a page's reference
 * count passed max_page_refcount.
 */
static int pinctl_region_pin(struct pinctl_region *r, struct mm_struct *mm,
			     bool remote, unsigned long addr, u32 flags)
{
	unsigned long nr = r->nr_pages;
	struct page **scratch;
	long ret = 0;

	if (pinctl_stack_gap(mm, addr, nr))
		return -EFAULT;
	scratch = kvmalloc_array(min(nr, PINCTL_GUP_CHUNK), sizeof(*scratch),
				 GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	while (r->held < nr) {
		ret = pinctl_gup_call(mm, remote,
				      addr + (r->held << PAGE_SHIFT),
				      min(nr - r->held, PINCTL_GUP_CHUNK),
				      flags, scratch);
		if (ret < 0)
			break;
		if (!pinctl_refs_ok(scratch, ret)) {
			pinctl_put_pages(scratch, ret, r->get);
			ret = -EOVERFLOW;
			break;
		}
		ret = pinctl_region_add(r, scratch, ret);
		if (ret)
			break;
		if (r->held < nr && fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(scratch);
	if (ret)
		pinctl_region_put(r);
	return ret;
}

/* The effective max_pages_total. */
static unsigned long pinctl_total_limit(void)
{
	return clamp(READ_ONCE(max_pages_total), 1UL, PINCTL_MAX_TOTAL_CAP);
}

/* The effective max_pages_per_user: 0 is a quarter of the total. */
static unsigned long pinctl_user_limit(void)
{
	unsigned long total = pinctl_total_limit();
	unsigned long share = READ_ONCE(max_pages_per_user);

	if (!share)
		return max(total / 4, 1UL);
	return min(share, total);
}

/**
 * pinctl_share_uid() - the user whose share current's pins count against.
 *
 * In the initial user namespace, current's uid. In any other, the owner of
 * the outermost namespace below the initial one (the child of
 * init_user_ns that current's namespace descends from), as the kernel
 * charges RLIMIT_MEMLOCK of shm through ucounts: the uids a user maps from
 * its subordinate range (newuidmap) all count against that user, not one
 * fresh share each.
 *
 * Return: a uid in the initial user namespace.
 */
static uid_t pinctl_share_uid(void)
{
	struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return from_kuid(&init_user_ns, current_uid());
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return from_kuid(&init_user_ns, ns->owner);
}

/* Takes @nr pages of @uid's share; -ENOSPC beyond max_pages_per_user. */
static int pinctl_share_take(uid_t uid, unsigned long nr)
{
	unsigned long limit = pinctl_user_limit(), cur;
	void *old;
	int ret = 0;

	mutex_lock(&pinctl_users_lock);
	old = xa_load(&pinctl_users, uid);
	cur = old ? xa_to_value(old) : 0;
	if (nr > limit || cur > limit - nr)
		ret = -ENOSPC;
	else
		ret = xa_err(xa_store(&pinctl_users, uid,
				      xa_mk_value(cur + nr), GFP_KERNEL));
	mutex_unlock(&pinctl_users_lock);
	return ret;
}

/* Returns @nr pages to @uid's share; its entry goes when it is empty. */
static void pinctl_share_put(uid_t uid, unsigned long nr)
{
	unsigned long cur;
	void *old;

	mutex_lock(&pinctl_users_lock);
	old = xa_load(&pinctl_users, uid);
	cur = old ? xa_to_value(old) : 0;
	if (WARN_ON_ONCE(cur < nr))
		cur = nr;
	if (cur == nr)
		xa_erase(&pinctl_users, uid);
	else	/* replaces an existing entry: allocates nothing */
		xa_store(&pinctl_users, uid, xa_mk_value(cur - nr), GFP_KERNEL);
	mutex_unlock(&pinctl_users_lock);
}

/**
 * pinctl_charge() - charge @nr pages to the calling user and to @mm.
 * @ch: out: the charge, for pinctl_uncharge().
 * @mm: the address space the pages are pinned in.
 * @nr: pages.
 *
 * The pages are charged to current's user_struct locked_vm against
 * RLIMIT_MEMLOCK unless current has CAP_IPC_LOCK, as io_uring's
 * __io_account_mem() does: the user, not the process, so no fork, exec,
 * exit or descriptor passing hands anyone a fresh budget. Then, unless
 * current has CAP_SYS_ADMIN, they are taken from the user's share of the
 * module-wide total, max_pages_per_user, counted per pinctl_share_uid()
 * (CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK does not lift it): no one
 * user, however many uids of its namespaces it runs as, can hold the whole
 * total and leave every other user, root included, -ENOSPC. Only then are
 * they reserved in the module-wide total (in-flight pins count): a request
 * the user cannot afford never touches the total, which everyone shares.
 * (Reserved first, a plain user with no budget at all hammering PINs of
 * max_pages_per_fd pages kept the total over its bound for the moment of
 * each refusal, and other users' PINs, root's too, failed -ENOSPC.) Last,
 * @mm's pinned_vm grows (VmPin), without a limit; @mm is mmgrab()ed so the
 * release finds it.
 *
 * Return: 0, -ENOMEM beyond RLIMIT_MEMLOCK, or -ENOSPC beyond
 * max_pages_per_user or max_pages_total.
 */
static int pinctl_charge(struct pinctl_charge *ch, struct mm_struct *mm,
			 unsigned long nr)
{
	unsigned long total_limit = pinctl_total_limit();
	unsigned long limit, cur, new;
	struct user_struct *user = NULL;
	bool shared = !capable(CAP_SYS_ADMIN);
	uid_t share_uid = 0;
	int ret;

	if (!capable(CAP_IPC_LOCK)) {
		user = get_uid(current_user());
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&user->locked_vm);
		do {
			if (check_add_overflow(cur, nr, &new) || new > limit) {
				free_uid(user);
				return -ENOMEM;
			}
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	}
	if (shared) {
		share_uid = pinctl_share_uid();
		ret = pinctl_share_take(share_uid, nr);
		if (ret)
			goto out_user;
	}
	if (atomic_long_add_return(nr, &pinctl_total_pages) > total_limit) {
		atomic_long_sub(nr, &pinctl_total_pages);
		ret = -ENOSPC;
		goto out_share;
	}
	atomic64_add(nr, &mm->pinned_vm);
	mmgrab(mm);
	ch->user = user;
	ch->mm = mm;
	ch->nr = nr;
	ch->share_uid = share_uid;
	ch->shared = shared;
	return 0;

out_share:
	if (shared)
		pinctl_share_put(share_uid, nr);
out_user:
	if (user) {
		atomic_long_sub(nr, &user->locked_vm);
		free_uid(user);
	}
	return ret;
}

/* Returns a charge to the user, share, mm and module total it was taken from. */
static void pinctl_uncharge(struct pinctl_charge *ch)
{
	if (ch->user) {
		atomic_long_sub(ch->nr, &ch->user->locked_vm);
		free_uid(ch->user);
	}
	if (ch->shared)
		pinctl_share_put(ch->share_uid, ch->nr);
	atomic64_sub(ch->nr, &ch->mm->pinned_vm);
	mmdrop(ch->mm);
	atomic_long_sub(ch->nr, &pinctl_total_pages);
}

/*
 * Reserve room in the file's budget before pinning, so that concurrent PINs
 * on one file cannot overshoot it.
 */
static int pinctl_reserve(struct pinctl_file *pf, unsigned long nr,
			  unsigned long handles)
{
	int ret = 0;

	mutex_lock(&pf->lock);
	if (nr > pf->max_pages - pf->nr_pages ||
	    handles > pf->max_handles - pf->nr_handles) {
		ret = -ENOSPC;
	} else {
		pf->nr_pages += nr;
		pf->nr_handles += handles;
	}
	mutex_unlock(&pf->lock);
	return ret;
}

static void pinctl_unreserve(struct pinctl_file *pf, unsigned long nr,
			     unsigned long handles)
{
	mutex_lock(&pf->lock);
	pf->nr_pages -= nr;
	pf->nr_handles -= handles;
	mutex_unlock(&pf->lock);
}

/**
 * pinctl_region_free() - release a region's pages, charge and memory.
 * @r: a region no longer reachable through any file.
 */
static void pinctl_region_free(struct pinctl_region *r)
{
	pinctl_region_put(r);
	pinctl_uncharge(&r->charge);
	put_pid(r->pinner);
	put_pid(r->target);
	kfree(r);
}

/*
 * The tgid pid of @mm's owner (mm->owner, kept by the memory cgroup code),
 * or NULL where the kernel keeps none. The task_struct is RCU-freed.
 */
static struct pid *pinctl_mm_owner(struct mm_struct *mm)
{
	struct pid *pid = NULL;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		pid = get_task_pid(owner, PIDTYPE_TGID);
	rcu_read_unlock();
#endif
	return pid;
}

/* BENCH's page array, as mm/gup_test.c allocates it. */
static struct page **pinctl_alloc_pages(unsigned long nr)
{
	return kvmalloc_array(nr, sizeof(struct page *),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
}

/* Copies the PFNs of a region to the user array @upfns in small pieces. */
static int pinctl_copy_pfns(u64 upfns, const struct pinctl_region *r)
{
	u64 __user *dst = u64_to_user_ptr(upfns);
	const struct pinctl_run_block *blk;
	unsigned long i, k, n = 0;
	u64 buf[64];

	for (blk = r->first; blk; blk = blk->next) {
		for (i = 0; i < blk->nr; i++) {
			u64 pfn = page_to_pfn(blk->run[i].page);

			for (k = 0; k < blk->run[i].nr; k++) {
				buf[n++] = pfn + k;
				if (n < ARRAY_SIZE(buf))
					continue;
				if (copy_to_user(dst, buf, sizeof(buf)))
					return -EFAULT;
				dst += n;
				n = 0;
			}
		}
	}
	if (n && copy_to_user(dst, buf, n * sizeof(buf[0])))
		return -EFAULT;
	return 0;
}

static int pinctl_check_pin_flags(u32 flags)
{
	if (flags & ~PINCTL_PIN_FLAGS_ALL)
		return -EINVAL;
	/* A FOLL_GET reference is never long-term (6.5+ warns and refuses). */
	if ((flags & PINCTL_PIN_GET) && (flags & PINCTL_PIN_LONGTERM))
		return -EINVAL;
	/* The fast variants walk current->mm only. */
	if ((flags & PINCTL_PIN_REMOTE) && (flags & PINCTL_PIN_FAST))
		return -EINVAL;
	return 0;
}

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

/**
 * pinctl_ioctl_pin() - PINCTL_IOC_PIN.
 * @pf: the file.
 * @argp: user struct pinctl_pin.
 *
 * The region is built here alone. Its handle is reserved (a NULL entry,
 * which lookups and UNPIN do not see), the answer is copied out from local
 * values, and only then is the region stored under that handle: from that
 * moment another thread may UNPIN and free it, so nothing here touches it
 * again.
 *
 * Return: 0 with a new handle in the user struct; else a negative errno and
 * nothing held.
 */
static long pinctl_ioctl_pin(struct pinctl_file *pf, void __user *argp)
{
	struct mm_struct *target = NULL;
	struct pinctl_region *r;
	struct pinctl_pin p;
	u32 handle;
	long ret;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	ret = pinctl_check_pin_flags(p.flags);
	if (ret)
		return ret;
	if (!pinctl_reserved_zero(p.reserved, ARRAY_SIZE(p.reserved)))
		return -EINVAL;
	if (!(p.flags & PINCTL_PIN_REMOTE) && p.mem_fd)
		return -EINVAL;
	ret = pinctl_check_range(p.addr, p.nr_pages, U64_MAX);
	if (ret)
		return ret;
	if (!current->mm)
		return -EINVAL;
	/* Held references that block migration need privilege. */
	if ((!(p.flags & PINCTL_PIN_LONGTERM) || (p.flags & PINCTL_PIN_GET)) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (p.pfns && !pf->show_pfn)
		return -EPERM;

	/* Beyond the file's budget (at most PINCTL_MAX_PAGES_CAP): ENOSPC. */
	ret = pinctl_reserve(pf, p.nr_pages, 1);
	if (ret)
		return ret;

	if (p.flags & PINCTL_PIN_REMOTE) {
		ret = pinctl_get_remote_mm(p.mem_fd,
					   p.flags & PINCTL_PIN_WRITE ?
					   FMODE_READ | FMODE_WRITE : FMODE_READ,
					   &target);
		if (ret)
			goto out_unreserve;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		ret = -ENOMEM;
		goto out_put_target;
	}
	r->nr_pages = p.nr_pages;
	r->get = p.flags & PINCTL_PIN_GET;
	r->addr = p.addr;
	r->flags = p.flags;
	r->uid = current_uid();
	r->pinner = get_pid(task_tgid(current));
	r->target = target ? pinctl_mm_owner(target) :
			     get_pid(task_tgid(current));

	ret = pinctl_charge(&r->charge, target ?: current->mm, r->nr_pages);
	if (ret)
		goto out_free_region;

	ret = pinctl_region_pin(r, target ?: current->mm, target, p.addr,
				p.flags);
	if (ret)
		goto out_uncharge;
	if (target) {
		mmput(target);
		target = NULL;
	}

	if (p.pfns) {
		ret = pinctl_copy_pfns(p.pfns, r);
		if (ret)
			goto out_unpin;
	}

	mutex_lock(&pf->lock);
	ret = xa_alloc_cyclic(&pf->pins, &handle, NULL, xa_limit_32b,
			      &pf->next_handle, GFP_KERNEL);
	mutex_unlock(&pf->lock);
	if (ret < 0)
		goto out_unpin;

	p.handle = handle;
	p.pinned = p.nr_pages;
	if (copy_to_user(argp, &p, sizeof(p))) {
		ret = -EFAULT;
		goto out_release_handle;
	}

	mutex_lock(&pf->lock);
	ret = xa_err(xa_store(&pf->pins, handle, r, GFP_KERNEL));
	mutex_unlock(&pf->lock);
	if (ret)
		goto out_release_handle;
	return 0;

out_release_handle:
	mutex_lock(&pf->lock);
	xa_release(&pf->pins, handle);
	mutex_unlock(&pf->lock);
out_unpin:
	pinctl_region_put(r);
out_uncharge:
	pinctl_uncharge(&r->charge);
out_free_region:
	put_pid(r->pinner);
	put_pid(r->target);
	kfree(r);
out_put_target:
	if (target)
		mmput(target);
out_unreserve:
	pinctl_unreserve(pf, p.nr_pages, 1);
	return ret;
}

/**
 * pinctl_release_list() - free regions taken out of a file.
 * @list: regions linked by ->node.
 *
 * Return: the pages released.
 */
static unsigned long pinctl_release_list(struct list_head *list)
{
	struct pinctl_region *r, *tmp;
	unsigned long pages = 0;

	list_for_each_entry_safe(r, tmp, list, node) {
		list_del(&r->node);
		pages += r->nr_pages;
		pinctl_region_free(r);
		cond_resched();
	}
	return pages;
}

/**
 * pinctl_ioctl_unpin() - PINCTL_IOC_UNPIN.
 * @pf: the file.
 * @argp: user struct pinctl_unpin.
 *
 * The regions are taken out of the file under its lock and released
 * outside it.
 *
 * Return: 0 with the pages released in the user struct; -ENOENT for a
 * handle this file does not hold (or is still handing out); -EINVAL;
 * -EFAULT.
 */
static long pinctl_ioctl_unpin(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_region *r;
	struct pinctl_unpin u;
	unsigned long idx;
	LIST_HEAD(list);

	if (copy_from_user(&u, argp, sizeof(u)))
		return -EFAULT;
	if ((u.flags & ~PINCTL_UNPIN_ALL) || u.reserved0 ||
	    !pinctl_reserved_zero(u.reserved, ARRAY_SIZE(u.reserved)))
		return -EINVAL;
	if ((u.flags & PINCTL_UNPIN_ALL) ? u.handle != 0 : u.handle == 0)
		return -EINVAL;

	mutex_lock(&pf->lock);
	if (u.flags & PINCTL_UNPIN_ALL) {
		xa_for_each(&pf->pins, idx, r) {
			xa_erase(&pf->pins, idx);
			list_add_tail(&r->node, &list);
		}
	} else if (u.handle <= U32_MAX) {
		/*
		 * A handle still being handed out is a NULL entry: xa_load()
		 * does not see it, and erasing it would free the index for a
		 * second PIN while the first still means to store there.
		 */
		r = xa_load(&pf->pins, u.handle);
		if (r) {
			xa_erase(&pf->pins, u.handle);
			list_add_tail(&r->node, &list);
		}
	}
	list_for_each_entry(r, &list, node) {
		pf->nr_pages -= r->nr_pages;
		pf->nr_handles--;
	}
	mutex_unlock(&pf->lock);

	if (!(u.flags & PINCTL_UNPIN_ALL) && list_empty(&list))
		return -ENOENT;
	u.unpinned = pinctl_release_list(&list);
	return copy_to_user(argp, &u, sizeof(u)) ? -EFAULT : 0;
}

/**
 * pinctl_describe() - fill one QUERY answer.
 * @page: the page; the query holds @held references on its folio.
 * @held: references this query holds on the folio (a batch may hold
 *        several pages of one large folio).
 * @out: the answer.
 * @show_pfn: report the PFN; else 0 and PINCTL_PAGE_PFN_HIDDEN.
 */
static void pinctl_describe(struct page *page, unsigned int held,
			    struct pinctl_page *out, bool show_pfn)
{
	struct folio *folio = page_folio(page);

	out->pfn = show_pfn ? page_to_pfn(page) : 0;
	out->refcount = folio_ref_count(folio) - held;
	/*
	 * page_mapcount() is gone in 6.12; folio_mapcount() is inline (and
	 * so usable by a module) from 6.11, out of line and unexported in
	 * 6.1.
	 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	out->mapcount = folio_mapcount(folio);
#else
	out->mapcount = page_mapcount(page);
#endif
	out->flags = PINCTL_PAGE_PRESENT;
	if (!show_pfn)
		out->flags |= PINCTL_PAGE_PFN_HIDDEN;
	if (folio_maybe_dma_pinned(folio))
		out->flags |= PINCTL_PAGE_DMA_PINNED;
	if (folio_test_large(folio))
		out->flags |= PINCTL_PAGE_COMPOUND;
	if (folio_test_anon(folio))
		out->flags |= PINCTL_PAGE_ANON;
	out->order = folio_order(folio);
}

/*
 * Describes @got pages that GUP returned with one reference each, dropping
 * each reference after its page is described, so that every answer is less
 * exactly the references still held on that folio.
 */
static void pinctl_describe_batch(struct page **pages, long got,
				  struct pinctl_page *out, bool show_pfn)
{
	long j, k;

	for (j = 0; j < got; j++) {
		struct folio *folio = page_folio(pages[j]);
		unsigned int held = 0;

		for (k = j; k < got; k++)
			if (page_folio(pages[k]) == folio)
				held++;
		pinctl_describe(pages[j], held, &out[j], show_pfn);
		put_page(pages[j]);
	}
}

/*
 * One QUERY batch in current->mm: get_user_pages_fast_only() walks the page
 * tables locklessly and never faults; it stops at the first page it cannot
 * take, which is reported absent.
 */
static void pinctl_query_local(unsigned long addr, unsigned long nr,
			       struct page **pages, struct pinctl_page *out,
			       bool show_pfn)
{
	unsigned long i = 0;
	int got;

	while (i < nr) {
		got = get_user_pages_fast_only(addr + (i << PAGE_SHIFT),
					       nr - i, 0, pages);
		pinctl_describe_batch(pages, got, out + i, show_pfn);
		i += max(got, 0);
		if (i < nr)
			i++;	/* out[i] stays zero: absent */
	}
}

/*
 * One QUERY batch in another mm, with its mmap lock held. FOLL_NOFAULT makes
 * GUP return -EFAULT where it would fault, so nothing is populated; the
 * FOLL_GET reference it takes is dropped before returning. The walk does mark
 * pages accessed (GUP adds FOLL_TOUCH), as /proc/PID/mem reads do; without
 * MGLRU that can queue a page for activation, and the per-CPU LRU batch holds
 * a reference until it drains, which the answer then includes. Local queries
 * (get_user_pages_fast_only()) touch nothing.
 */
static void pinctl_query_remote(struct mm_struct *mm, unsigned long addr,
				unsigned long nr, struct page **pages,
				struct pinctl_page *out, bool show_pfn)
{
	struct vm_area_struct *vma;
	unsigned long i = 0, n, vend;
	long got;

	while (i < nr) {
		unsigned long start = addr + (i << PAGE_SHIFT);

		vma = vma_lookup(mm, start);
		if (!vma) {
			i++;
			continue;
		}
		vend = (vma->vm_end - start) >> PAGE_SHIFT;
		n = min(nr - i, vend);
		/*
		 * GUP refuses VM_IO/VM_PFNMAP anyway. Before 6.6 (commit
		 * 4849807114b8) hugetlb VMAs went through
		 * follow_hugetlb_page(), which faults pages in regardless of
		 * FOLL_NOFAULT (seen on 6.1), so they are not looked into.
		 */
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    (LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0) &&
		     is_vm_hugetlb_page(vma))) {
			i += n;
			continue;
		}
		got = pinctl_gup_locked(mm, true, start, n, FOLL_NOFAULT,
					pages, true);
		pinctl_describe_batch(pages, got, out + i, show_pfn);
		i += max(got, 0L);
		if (got < (long)n)
			i++;	/* out[i] stays zero: absent */
	}
}

/**
 * pinctl_ioctl_query() - PINCTL_IOC_QUERY.
 * @pf: the file; whether it is shown PFNs.
 * @argp: user struct pinctl_query.
 *
 * Reports each page of the range in batches, faulting nothing in, in the
 * caller's mm or (REMOTE) the one its /proc/PID/mem descriptor names.
 *
 * Return: 0 with the answers written; -EINVAL, -EFAULT, -EBADF, -ESRCH,
 * -EINTR, -ENOMEM.
 */
static long pinctl_ioctl_query(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_page __user *dst;
	struct mm_struct *mm = NULL;
	struct pinctl_page *out;
	struct pinctl_query q;
	struct page **pages;
	unsigned long done, n;
	long ret;

	if (copy_from_user(&q, argp, sizeof(q)))
		return -EFAULT;
	if ((q.flags & ~PINCTL_PIN_REMOTE) ||
	    !pinctl_reserved_zero(q.reserved, ARRAY_SIZE(q.reserved)))
		return -EINVAL;
	if (!(q.flags & PINCTL_PIN_REMOTE) && q.mem_fd)
		return -EINVAL;
	ret = pinctl_check_range(q.addr, q.nr_pages, PINCTL_QUERY_MAX);
	if (ret)
		return ret;
	if (!current->mm)
		return -EINVAL;

	if (q.flags & PINCTL_PIN_REMOTE) {
		ret = pinctl_get_remote_mm(q.mem_fd, FMODE_READ, &mm);
		if (ret)
			return ret;
	}

	pages = kmalloc_array(PINCTL_QUERY_BATCH, sizeof(*pages), GFP_KERNEL);
	out = kmalloc_array(PINCTL_QUERY_BATCH, sizeof(*out), GFP_KERNEL);
	if (!pages || !out) {
		ret = -ENOMEM;
		goto out_free;
	}

	dst = u64_to_user_ptr(q.pages);
	for (done = 0; done < q.nr_pages; done += n) {
		unsigned long addr = q.addr + (done << PAGE_SHIFT);

		n = min_t(unsigned long, q.nr_pages - done,
			  PINCTL_QUERY_BATCH);
		memset(out, 0, n * sizeof(*out));
		if (mm) {
			if (mmap_read_lock_killable(mm)) {
				ret = -EINTR;
				goto out_free;
			}
			pinctl_query_remote(mm, addr, n, pages, out,
					    pf->show_pfn);
			mmap_read_unlock(mm);
		} else {
			pinctl_query_local(addr, n, pages, out,
					   pf->show_pfn);
		}
		/* No lock held here: the copy may fault on our own mm. */
		if (copy_to_user(dst + done, out, n * sizeof(*out))) {
			ret = -EFAULT;
			goto out_free;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free;
		}
		cond_resched();
	}
	ret = 0;

out_free:
	kfree(out);
	kfree(pages);
	if (mm)
		mmput(mm);
	return ret;
}

/**
 * pinctl_ioctl_bench() - PINCTL_IOC_BENCH, after mm/gup_test.c.
 * @pf: the file; the pages count against its budget while the bench runs.
 * @argp: user struct pinctl_bench.
 *
 * Pins (or gets) the range and releases it @iterations times, timing the
 * two halves with ktime_get(). Nothing outlives the call, so any caller may
 * run it with any flag; for its duration the range is charged, reserved and
 * bounded like a PIN. Up to 2^32 iterations can take hours, so any signal
 * the caller has to handle ends it (-EINTR), not only SIGKILL: a program
 * that catches SIGINT or SIGTERM is not left waiting for the bench.
 *
 * Return: 0 with the totals in the user struct, or a negative errno.
 */
static long pinctl_ioctl_bench(struct pinctl_file *pf, void __user *argp)
{
	struct mm_struct *mm = current->mm;
	struct pinctl_charge charge;
	struct pinctl_bench b;
	struct page **pages;
	ktime_t t0, t1;
	u64 get_ns = 0, put_ns = 0;
	u32 i;
	long ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	ret = pinctl_check_pin_flags(b.flags);
	if (ret)
		return ret;
	if ((b.flags & PINCTL_PIN_REMOTE) || !b.iterations ||
	    !pinctl_reserved_zero(b.reserved, ARRAY_SIZE(b.reserved)))
		return -EINVAL;
	ret = pinctl_check_range(b.addr, b.nr_pages, U64_MAX);
	if (ret)
		return ret;
	if (!mm)
		return -EINVAL;

	ret = pinctl_reserve(pf, b.nr_pages, 0);
	if (ret)
		return ret;
	ret = pinctl_charge(&charge, mm, b.nr_pages);
	if (ret)
		goto out_unreserve;
	if (pinctl_stack_gap(mm, b.addr, b.nr_pages)) {
		ret = -EFAULT;
		goto out_uncharge;
	}
	pages = pinctl_alloc_pages(b.nr_pages);
	if (!pages) {
		ret = -ENOMEM;
		goto out_uncharge;
	}

	for (i = 0; i < b.iterations; i++) {
		t0 = ktime_get();
		ret = pinctl_gup(mm, b.addr, b.nr_pages, b.flags, pages);
		t1 = ktime_get();
		if (ret)
			break;
		get_ns += ktime_to_ns(ktime_sub(t1, t0));

		t0 = ktime_get();
		pinctl_put_pages(pages, b.nr_pages, b.flags & PINCTL_PIN_GET);
		t1 = ktime_get();
		put_ns += ktime_to_ns(ktime_sub(t1, t0));

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}

	kvfree(pages);
out_uncharge:
	pinctl_uncharge(&charge);
out_unreserve:
	pinctl_unreserve(pf, b.nr_pages, 0);
	if (ret)
		return ret;
	b.get_ns = get_ns;
	b.put_ns = put_ns;
	return copy_to_user(argp, &b, sizeof(b)) ? -EFAULT : 0;
}

/**
 * struct pinctl_list_ctx - who is asking, for one LIST call.
 * @self: the file LIST was called on.
 * @uid: the caller's real uid.
 * @admin: the caller has CAP_SYS_ADMIN: every record, every address.
 */
struct pinctl_list_ctx {
	struct pinctl_file *self;
	kuid_t uid;
	bool admin;
};

/* A file's own fields of a LIST record (file or pin). */
static void pinctl_list_file_fields(const struct pinctl_list_ctx *ctx,
				    const struct pinctl_file *pf,
				    struct pinctl_list_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->file_id = pf->id;
	e->opener_tgid = pid_vnr(pf->opener);
	e->opener_uid = from_kuid(&init_user_ns, pf->opener_uid);
	memcpy(e->opener_comm, pf->comm, sizeof(e->opener_comm));
	e->opener_comm[sizeof(e->opener_comm) - 1] = 0;
	if (pf == ctx->self)
		e->flags |= PINCTL_LIST_SELF;
}

/* A pin's LIST record; @pf's lock held, so @r is not freed meanwhile. */
static void pinctl_list_pin(const struct pinctl_list_ctx *ctx,
			    const struct pinctl_file *pf,
			    const struct pinctl_region *r, unsigned long handle,
			    struct pinctl_list_entry *e)
{
	pinctl_list_file_fields(ctx, pf, e);
	e->handle = handle;
	e->nr_pages = r->nr_pages;
	e->pin_flags = r->flags;
	e->charged_uid = from_kuid(&init_user_ns, r->uid);
	e->pinner_tgid = pid_vnr(r->pinner);
	if (ctx->admin || uid_eq(r->uid, ctx->uid))
		e->addr = r->addr;
	else
		e->flags |= PINCTL_LIST_ADDR_HIDDEN;
	if (r->charge.user)
		e->flags |= PINCTL_LIST_MEMLOCK;
	rcu_read_lock();
	if (r->target && pid_task(r->target, PIDTYPE_TGID))
		e->target_tgid = pid_vnr(r->target);
	else if (r->target)
		e->flags |= PINCTL_LIST_TARGET_EXITED;
	rcu_read_unlock();
}

/**
 * pinctl_list_one_file() - LIST records of one file, from a cursor.
 * @ctx: the caller.
 * @pf: the file, its lock held.
 * @h: in/out: the next record: 0 the file record, else the lowest handle.
 * @buf: room for @n records.
 * @n: at least 1.
 * @budget: in/out: records still to be looked at in this lock hold.
 * @done: out: true when the file has no record left after @h.
 *
 * Return: the records written to @buf.
 */
static unsigned int pinctl_list_one_file(const struct pinctl_list_ctx *ctx,
					 struct pinctl_file *pf, u64 *h,
					 struct pinctl_list_entry *buf,
					 unsigned int n, unsigned int *budget,
					 bool *done)
{
	bool mine = ctx->admin || uid_eq(pf->opener_uid, ctx->uid);
	struct pinctl_region *r;
	unsigned long idx;
	unsigned int got = 0;

	if (*h == 0) {
		if (mine) {
			pinctl_list_file_fields(ctx, pf, &buf[got]);
			buf[got].flags |= PINCTL_LIST_FILE;
			buf[got].nr_pages = pf->nr_pages;
			buf[got].nr_handles = pf->nr_handles;
			got++;
		}
		*h = 1;
		(*budget)--;
	}
	while (got < n && *budget) {
		idx = *h;
		/* Reserved (half handed out) handles are not found. */
		r = xa_find(&pf->pins, &idx, U32_MAX, XA_PRESENT);
		if (!r) {
			*done = true;
			break;
		}
		(*budget)--;
		*h = (u64)idx + 1;
		if (!mine && !uid_eq(r->uid, ctx->uid))
			continue;
		pinctl_list_pin(ctx, pf, r, idx, &buf[got++]);
	}
	return got;
}

/**
 * pinctl_list_fill() - one batch of LIST records, under the locks.
 * @ctx: the caller.
 * @fid: in/out: the cursor's file_id.
 * @h: in/out: the cursor's handle (0: the file record).
 * @buf: room for @n records.
 * @n: at least 1.
 * @end: out: true when nothing follows the cursor.
 *
 * Looks at no more than PINCTL_LIST_BUDGET files and pins, so that the
 * global lock is held for a bounded time however many records a caller
 * does not see.
 *
 * Return: the records written to @buf; the cursor is just after them.
 */
static unsigned int pinctl_list_fill(const struct pinctl_list_ctx *ctx,
				     u64 *fid, u64 *h,
				     struct pinctl_list_entry *buf,
				     unsigned int n, bool *end)
{
	unsigned int budget = PINCTL_LIST_BUDGET, got = 0;
	struct pinctl_file *pf;
	unsigned long idx;
	bool done;

	mutex_lock(&pinctl_files_lock);
	while (got < n && budget) {
		idx = *fid;
		pf = xa_find(&pinctl_files, &idx, U32_MAX, XA_PRESENT);
		if (!pf) {
			*end = true;
			break;
		}
		if (idx != *fid) {
			*fid = idx;
			*h = 0;
		}
		done = false;
		mutex_lock(&pf->lock);
		got += pinctl_list_one_file(ctx, pf, h, buf + got, n - got,
					    &budget, &done);
		mutex_unlock(&pf->lock);
		if (!done)
			break;
		if (idx == U32_MAX) {
			*end = true;
			break;
		}
		*fid = idx + 1;
		*h = 0;
	}
	mutex_unlock(&pinctl_files_lock);
	return got;
}

/**
 * pinctl_ioctl_list() - PINCTL_IOC_LIST.
 * @pf: the file called on (flagged PINCTL_LIST_SELF in the answer).
 * @argp: user struct pinctl_list.
 *
 * Records are gathered in batches under pinctl_files_lock and each file's
 * lock (which UNPIN and the last close take before freeing anything) and
 * copied out with no lock held, so a fault on the user buffer (or a
 * userfaultfd behind it) stalls no one else.
 *
 * Return: 0 with the records, count and cursor in the user struct;
 * -EINVAL, -EFAULT, -EINTR, -ENOMEM.
 */
static long pinctl_ioctl_list(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_list_ctx ctx = {
		.self = pf,
		.uid = current_uid(),
		.admin = capable(CAP_SYS_ADMIN),
	};
	struct pinctl_list_entry __user *dst;
	struct pinctl_list_entry *buf;
	struct pinctl_list l;
	unsigned int written = 0, got, n;
	bool end = false;
	u64 fid, h;
	long ret = 0;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.flags || l.reserved0 || l.out_flags ||
	    !pinctl_reserved_zero(l.reserved, ARRAY_SIZE(l.reserved)))
		return -EINVAL;
	if (!l.count || l.count > PINCTL_LIST_MAX ||
	    l.cursor_file > U32_MAX || l.cursor_handle > (u64)U32_MAX + 1)
		return -EINVAL;
	buf = kmalloc_array(PINCTL_LIST_BATCH, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	dst = u64_to_user_ptr(l.entries);
	fid = l.cursor_file;
	h = l.cursor_handle;
	while (written < l.count && !end) {
		n = min_t(unsigned int, l.count - written, PINCTL_LIST_BATCH);
		got = pinctl_list_fill(&ctx, &fid, &h, buf, n, &end);
		if (got &&
		    copy_to_user(dst + written, buf, got * sizeof(*buf))) {
			ret = -EFAULT;
			goto out_free;
		}
		written += got;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free;
		}
		cond_resched();
	}
	l.count = written;
	l.cursor_file = fid;
	l.cursor_handle = h;
	l.out_flags = end ? PINCTL_LIST_END : 0;
	if (copy_to_user(argp, &l, sizeof(l)))
		ret = -EFAULT;
out_free:
	kfree(buf);
	return ret;
}

/*
 * The frames QUERY_FRAMES may be asked about: below max_pfn rounded up to
 * a memory section, as fs/proc/page.c's get_max_dump_pfn(). max_pfn is
 * not exported; high_memory is, and on 64-bit it is the direct map's end,
 * __va(max_pfn << PAGE_SHIFT), which memory hot-add moves with max_pfn.
 */
static unsigned long pinctl_frames_limit(void)
{
	unsigned long end = PHYS_PFN(__pa(high_memory - 1)) + 1;

	return round_up(end, PAGES_PER_SECTION);
}

/*
 * The page's mapcount as /proc/kpagecount reads it: 0 for slab and other
 * typed pages (their _mapcount holds the type); 6.11+ as
 * folio_precise_page_mapcount() (mm/internal.h, not for modules).
 */
static u32 pinctl_frame_mapcount(struct page *page, struct folio *folio)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (folio_test_large(folio))
		mapcount += folio_entire_mapcount(folio);
	return max(mapcount, 0);
#else
	if (PageSlab(page) || page_has_type(page))
		return 0;
	return max(page_mapcount(page), 0);
#endif
}

#ifdef MAX_PAGE_ORDER
#define PINCTL_MAX_ORDER	MAX_PAGE_ORDER
#else
#define PINCTL_MAX_ORDER	(MAX_ORDER - 1)
#endif

/*
 * Is the frame in the buddy allocator, at the head of a free block or
 * inside one? As is_free_buddy_page() (not exported), which kpageflags
 * asks for every page with no references, but without the zone lock: a
 * snapshot like the rest of the answer. A free block's first page is
 * PageBuddy with its order in ->private; blocks are aligned to their size
 * and never cross a memory section.
 */
static bool pinctl_free_buddy(unsigned long pfn)
{
	unsigned int order;

	for (order = 0; order <= PINCTL_MAX_ORDER; order++) {
		struct page *head = pfn_to_page(pfn & ~((1UL << order) - 1));

		if (PageBuddy(head) && READ_ONCE(head->private) >= order)
			return true;
	}
	return false;
}

/**
 * pinctl_describe_frame() - fill one QUERY_FRAMES answer.
 * @pfn: below pinctl_frames_limit().
 * @out: the answer, zeroed.
 *
 * Reads the fields without a reference, as fs/proc/page.c does: the
 * memmap of an online section is never freed under us (short of memory
 * hot-remove, as for kpageflags), so a racing free or split gives a stale
 * answer, never a fault. Slab and typed pages (buddy, offline, page
 * tables) overlay the fields mapcount, mapping and pincount are read from,
 * so only their type is reported for them; a hugetlb head is typed too on
 * 6.9+, and is read as a mapped folio.
 */
static void pinctl_describe_frame(unsigned long pfn, struct pinctl_frame *out)
{
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio;
	unsigned long pflags, fflags;
	bool huge, slab, typed;

	out->pfn = pfn;
	if (!page) {
		out->flags = PINCTL_FRAME_NOPAGE;
		return;
	}
	folio = page_folio(page);
	pflags = READ_ONCE(page->flags);
	fflags = READ_ONCE(folio->flags);
	huge = PageHuge(page);
	slab = PageSlab(page);
	typed = !huge && (slab || page_has_type(page));
	out->refcount = folio_ref_count(folio);
	if (pflags & BIT(PG_reserved))
		out->flags |= PINCTL_FRAME_RESERVED;
	if (slab)
		out->flags |= PINCTL_FRAME_SLAB;
	if (PageBuddy(page) ||
	    (!out->refcount && pinctl_free_buddy(pfn)))
		out->flags |= PINCTL_FRAME_BUDDY;
	if (PageOffline(page))
		out->flags |= PINCTL_FRAME_OFFLINE;
	if (folio_test_large(folio)) {
		out->flags |= PINCTL_FRAME_COMPOUND;
		out->order = folio_order(folio);
		if (page != &folio->page)
			out->flags |= PINCTL_FRAME_TAIL;
	}
	if (typed)
		return;
	if (huge)
		out->flags |= PINCTL_FRAME_HUGETLB;
	if (fflags & BIT(PG_lru))
		out->flags |= PINCTL_FRAME_LRU;
	if ((unsigned long)READ_ONCE(folio->mapping) & PAGE_MAPPING_ANON)
		out->flags |= PINCTL_FRAME_ANON;
	if (folio_maybe_dma_pinned(folio))
		out->flags |= PINCTL_FRAME_DMA_PINNED;
	out->mapcount = pinctl_frame_mapcount(page, folio);
}

/**
 * pinctl_ioctl_frames() - PINCTL_IOC_QUERY_FRAMES.
 * @pf: the file; it must have been opened with CAP_SYS_ADMIN.
 * @argp: user struct pinctl_frames.
 *
 * Return: 0 with the answers written and max_pfn set; -EPERM, -EINVAL,
 * -EFAULT, -EINTR, -ENOMEM.
 */
static long pinctl_ioctl_frames(struct pinctl_file *pf, void __user *argp)
{
	unsigned long limit = pinctl_frames_limit(), done, n, i;
	struct pinctl_frame __user *dst;
	struct pinctl_frame *out;
	struct pinctl_frames q;
	u64 end;
	long ret = 0;

	if (copy_from_user(&q, argp, sizeof(q)))
		return -EFAULT;
	if (q.flags || q.reserved0 || q.max_pfn ||
	    !pinctl_reserved_zero(q.reserved, ARRAY_SIZE(q.reserved)))
		return -EINVAL;
	if (!pf->show_pfn)
		return -EPERM;
	if (!q.nr_frames || q.nr_frames > PINCTL_QUERY_MAX ||
	    check_add_overflow(q.first_pfn, q.nr_frames, &end) || end > limit)
		return -EINVAL;
	out = kmalloc_array(PINCTL_FRAMES_BATCH, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	dst = u64_to_user_ptr(q.frames);
	for (done = 0; done < q.nr_frames; done += n) {
		n = min_t(unsigned long, q.nr_frames - done,
			  PINCTL_FRAMES_BATCH);
		memset(out, 0, n * sizeof(*out));
		for (i = 0; i < n; i++)
			pinctl_describe_frame(q.first_pfn + done + i, &out[i]);
		if (copy_to_user(dst + done, out, n * sizeof(*out))) {
			ret = -EFAULT;
			goto out_free;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free;
		}
		cond_resched();
	}
	q.max_pfn = limit;
	if (copy_to_user(argp, &q, sizeof(q)))
		ret = -EFAULT;
out_free:
	kfree(out);
	return ret;
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
	xa_destroy(&pinctl_users);
	xa_destroy(&pinctl_files);
}

module_init(pinctl_init);
module_exit(pinctl_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("pinctl");
MODULE_DESCRIPTION("Pin user pages with the kernel's GUP and report refcounts");
MODULE_VERSION(PINCTL_VERSION);
