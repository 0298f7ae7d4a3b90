// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl.c - /dev/pinctl: the kernel's own page pinning, for pinctl.
 *
 * A misc device that exposes get_user_pages_fast(), pin_user_pages_fast()
 * and pin_user_pages_remote() to user space, and reports what /proc cannot
 * show: a page's refcount and whether it is DMA-pinned. The ABI lives in
 * include/pinctl/pinctl_ioctl.h.
 *
 * Every pin belongs to the open file that took it: UNPIN, close() and the
 * death of the process release it. Pins are charged to the pinning mm's
 * pinned_vm against RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK, as
 * drivers/infiniband/core/umem.c does, and each open file is bounded in the
 * pages and handles it may hold.
 *
 * Models: mm/gup_test.c (BENCH) and drivers/infiniband/core/umem.c
 * (accounting).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/xarray.h>

#include <pinctl/pinctl_ioctl.h>

/*
 * Upper bounds for the module parameters: keep BENCH's page array under
 * 32 MiB and a PIN's runs under 64 MiB even when no two pages are adjacent.
 */
#define PINCTL_MAX_PAGES_CAP	BIT(22)
#define PINCTL_MAX_HANDLES_CAP	BIT(16)
#define PINCTL_QUERY_MAX	BIT(20)
/* Pages per GUP call of a BENCH: bounds the time between signal checks. */
#define PINCTL_BENCH_CHUNK	BIT(16)
/* Pages per QUERY batch: one small buffer, copied out without any lock. */
#define PINCTL_QUERY_BATCH	64

static unsigned long max_pages_per_fd = 1UL << 20;
module_param(max_pages_per_fd, ulong, 0644);
MODULE_PARM_DESC(max_pages_per_fd,
		 "Pages one open file may hold pinned (read at open; default 1M, at most 4M)");

static unsigned int max_handles_per_fd = 1024;
module_param(max_handles_per_fd, uint, 0644);
MODULE_PARM_DESC(max_handles_per_fd,
		 "PIN handles one open file may hold (read at open; default 1024, at most 65536)");

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
 * struct pinctl_region - the pages of one PIN, held until UNPIN or close.
 * @first: the first block of runs, in address order; NULL while empty.
 * @last: the block runs are appended to.
 * @held: pages referenced by the runs.
 * @nr_pages: pages requested and charged; equals @held once pinned.
 * @charged_mm: the mm whose pinned_vm was charged (mmgrab()ed); released
 *              against it even after that process is gone.
 * @get: the pages hold FOLL_GET references (put_page()), not pins.
 * @node: for releasing many regions outside the file's lock.
 */
struct pinctl_region {
	struct pinctl_run_block *first;
	struct pinctl_run_block *last;
	unsigned long held;
	unsigned long nr_pages;
	struct mm_struct *charged_mm;
	bool get;
	struct list_head node;
};

/**
 * struct pinctl_file - the state of one open /dev/pinctl.
 * @lock: guards @pins, @nr_pages and @nr_handles.
 * @pins: handle -> struct pinctl_region.
 * @next_handle: cursor for cyclic handle allocation.
 * @nr_pages: pages held or reserved by this file.
 * @nr_handles: handles held or reserved by this file.
 * @max_pages: bound on @nr_pages, fixed at open.
 * @max_handles: bound on @nr_handles, fixed at open.
 */
struct pinctl_file {
	struct mutex lock;	/* guards pins, nr_pages, nr_handles */
	struct xarray pins;
	u32 next_handle;
	unsigned long nr_pages;
	unsigned long nr_handles;
	unsigned long max_pages;
	unsigned long max_handles;
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
 * pinctl_ptrace_check() - may current reach @task's memory?
 * @task: the target.
 *
 * ptrace_may_access() is not exported to modules, so this repeats the
 * credential part of __ptrace_may_access() for PTRACE_MODE_*_REALCREDS:
 * same thread group; or the caller's real uid/gid equal the target's real,
 * effective and saved ids; or CAP_SYS_PTRACE in the target's user
 * namespace. A non-dumpable target also needs CAP_SYS_PTRACE in its mm's
 * user namespace. LSM ptrace hooks (Yama, AppArmor, SELinux) are not
 * consulted: the device is root-only (0600) unless an administrator opens
 * it up.
 *
 * Return: 0 if allowed, else -EPERM.
 */
static int pinctl_ptrace_check(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	struct mm_struct *mm;
	bool ok;

	if (same_thread_group(task, current))
		return 0;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->uid, tcred->euid) &&
	      uid_eq(cred->uid, tcred->suid) &&
	      uid_eq(cred->uid, tcred->uid) &&
	      gid_eq(cred->gid, tcred->egid) &&
	      gid_eq(cred->gid, tcred->sgid) &&
	      gid_eq(cred->gid, tcred->gid)) ||
	     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (!ok)
		return -EPERM;

	/* Dumpability after credentials: pairs with commit_creds(). */
	smp_rmb();
	task_lock(task);
	mm = task->mm;
	if (mm && get_dumpable(mm) != SUID_DUMP_USER &&
	    !ns_capable(mm->user_ns, CAP_SYS_PTRACE))
		ok = false;
	task_unlock(task);
	return ok ? 0 : -EPERM;
}

/**
 * pinctl_get_remote_mm() - the mm of @nr, if current may reach it.
 * @nr: a pid in the caller's pid namespace.
 * @mmp: out: the mm, with a mmget() reference for the caller to mmput().
 *
 * Return: 0; -EINVAL for a pid below 1; -ESRCH if there is no such process
 * or it has no mm; -EPERM without ptrace rights on it.
 */
static int pinctl_get_remote_mm(pid_t nr, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct pid *pid;
	int ret;

	if (nr <= 0)
		return -EINVAL;
	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return -ESRCH;

	ret = pinctl_ptrace_check(task);
	if (!ret) {
		*mmp = get_task_mm(task);
		if (!*mmp)
			ret = -ESRCH;
	}
	put_task_struct(task);
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
 * pinctl_gup() - pin (or get) every page of a range into one page array,
 * as mm/gup_test.c does (BENCH's baseline), or nothing.
 * @mm: current->mm.
 * @addr: page-aligned start.
 * @nr: pages.
 * @flags: PINCTL_PIN_* bits, already validated; not REMOTE.
 * @pages: out: @nr entries.
 *
 * Return: 0 with all @nr pages held, or a negative errno with none held:
 * a partial pin is undone here.
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
		if (done < nr && fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	if (done == nr)
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
 * held: a partial pin is undone here.
 */
static int pinctl_region_pin(struct pinctl_region *r, struct mm_struct *mm,
			     bool remote, unsigned long addr, u32 flags)
{
	unsigned long nr = r->nr_pages;
	struct page **scratch;
	long ret = 0;

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

/**
 * pinctl_charge() - charge @nr pages to @mm->pinned_vm, as RDMA does.
 * @mm: current's mm.
 * @nr: pages.
 *
 * Return: 0, or -ENOMEM beyond RLIMIT_MEMLOCK without CAP_IPC_LOCK.
 */
static int pinctl_charge(struct mm_struct *mm, unsigned long nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned;

	pinned = atomic64_add_return(nr, &mm->pinned_vm);
	if (pinned < 0 ||
	    ((u64)pinned > limit && !capable(CAP_IPC_LOCK))) {
		atomic64_sub(nr, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

static void pinctl_uncharge(struct mm_struct *mm, unsigned long nr)
{
	atomic64_sub(nr, &mm->pinned_vm);
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
	pinctl_uncharge(r->charged_mm, r->nr_pages);
	mmdrop(r->charged_mm);
	kfree(r);
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

static long pinctl_ioctl_version(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_version v = {
		.abi_version = PINCTL_ABI_VERSION,
		.features = PINCTL_FEAT_PIN | PINCTL_FEAT_REMOTE |
			    PINCTL_FEAT_QUERY | PINCTL_FEAT_BENCH |
			    PINCTL_FEAT_ACCOUNTING,
		.max_pages_per_fd = pf->max_pages,
		.max_handles_per_fd = pf->max_handles,
	};

	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

/**
 * pinctl_ioctl_pin() - PINCTL_IOC_PIN.
 * @pf: the file.
 * @argp: user struct pinctl_pin.
 *
 * Return: 0 with a new handle in the user struct; else a negative errno and
 * nothing held.
 */
static long pinctl_ioctl_pin(struct pinctl_file *pf, void __user *argp)
{
	struct mm_struct *mm = current->mm, *target = NULL;
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
	if (!(p.flags & PINCTL_PIN_REMOTE) && p.pid)
		return -EINVAL;
	ret = pinctl_check_range(p.addr, p.nr_pages, U64_MAX);
	if (ret)
		return ret;
	if (!mm)
		return -EINVAL;

	/* Beyond the file's budget (at most PINCTL_MAX_PAGES_CAP): ENOSPC. */
	ret = pinctl_reserve(pf, p.nr_pages, 1);
	if (ret)
		return ret;

	if (p.flags & PINCTL_PIN_REMOTE) {
		ret = pinctl_get_remote_mm(p.pid, &target);
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

	ret = pinctl_charge(mm, r->nr_pages);
	if (ret)
		goto out_free_region;
	mmgrab(mm);
	r->charged_mm = mm;

	ret = pinctl_region_pin(r, target ?: mm, target, p.addr, p.flags);
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
	ret = xa_alloc_cyclic(&pf->pins, &handle, r, xa_limit_32b,
			      &pf->next_handle, GFP_KERNEL);
	mutex_unlock(&pf->lock);
	if (ret < 0)
		goto out_unpin;

	p.handle = handle;
	p.pinned = r->nr_pages;
	if (copy_to_user(argp, &p, sizeof(p))) {
		/* Nobody learnt the handle; unless a guess freed it, do. */
		mutex_lock(&pf->lock);
		r = xa_erase(&pf->pins, handle);
		mutex_unlock(&pf->lock);
		if (r) {
			pinctl_region_free(r);
			pinctl_unreserve(pf, p.nr_pages, 1);
		}
		return -EFAULT;
	}
	return 0;

out_unpin:
	pinctl_region_put(r);
out_uncharge:
	pinctl_uncharge(mm, r->nr_pages);
	mmdrop(mm);
out_free_region:
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
		r = xa_erase(&pf->pins, u.handle);
		if (r)
			list_add_tail(&r->node, &list);
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
 */
static void pinctl_describe(struct page *page, unsigned int held,
			    struct pinctl_page *out)
{
	struct folio *folio = page_folio(page);

	out->pfn = page_to_pfn(page);
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
				  struct pinctl_page *out)
{
	long j, k;

	for (j = 0; j < got; j++) {
		struct folio *folio = page_folio(pages[j]);
		unsigned int held = 0;

		for (k = j; k < got; k++)
			if (page_folio(pages[k]) == folio)
				held++;
		pinctl_describe(pages[j], held, &out[j]);
		put_page(pages[j]);
	}
}

/*
 * One QUERY batch in current->mm: get_user_pages_fast_only() walks the page
 * tables locklessly and never faults; it stops at the first page it cannot
 * take, which is reported absent.
 */
static void pinctl_query_local(unsigned long addr, unsigned long nr,
			       struct page **pages, struct pinctl_page *out)
{
	unsigned long i = 0;
	int got;

	while (i < nr) {
		got = get_user_pages_fast_only(addr + (i << PAGE_SHIFT),
					       nr - i, 0, pages);
		pinctl_describe_batch(pages, got, out + i);
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
				struct pinctl_page *out)
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
		pinctl_describe_batch(pages, got, out + i);
		i += max(got, 0L);
		if (got < (long)n)
			i++;	/* out[i] stays zero: absent */
	}
}

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
	if (!(q.flags & PINCTL_PIN_REMOTE) && q.pid)
		return -EINVAL;
	ret = pinctl_check_range(q.addr, q.nr_pages, PINCTL_QUERY_MAX);
	if (ret)
		return ret;
	if (!current->mm)
		return -EINVAL;

	if (q.flags & PINCTL_PIN_REMOTE) {
		ret = pinctl_get_remote_mm(q.pid, &mm);
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
			pinctl_query_remote(mm, addr, n, pages, out);
			mmap_read_unlock(mm);
		} else {
			pinctl_query_local(addr, n, pages, out);
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
 * two halves with ktime_get(). The range is charged to pinned_vm for the
 * duration, like a PIN.
 *
 * Return: 0 with the totals in the user struct, or a negative errno.
 */
static long pinctl_ioctl_bench(struct pinctl_file *pf, void __user *argp)
{
	struct mm_struct *mm = current->mm;
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
	ret = pinctl_charge(mm, b.nr_pages);
	if (ret)
		goto out_unreserve;
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

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}

	kvfree(pages);
out_uncharge:
	pinctl_uncharge(mm, b.nr_pages);
out_unreserve:
	pinctl_unreserve(pf, b.nr_pages, 0);
	if (ret)
		return ret;
	b.get_ns = get_ns;
	b.put_ns = put_ns;
	return copy_to_user(argp, &b, sizeof(b)) ? -EFAULT : 0;
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
	default:
		return -ENOTTY;
	}
}

static int pinctl_open(struct inode *inode, struct file *file)
{
	struct pinctl_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	xa_init_flags(&pf->pins, XA_FLAGS_ALLOC1);
	pf->max_pages = clamp(READ_ONCE(max_pages_per_fd), 1UL,
			      PINCTL_MAX_PAGES_CAP);
	pf->max_handles = clamp_t(unsigned long, READ_ONCE(max_handles_per_fd),
				  1, PINCTL_MAX_HANDLES_CAP);
	file->private_data = pf;
	return nonseekable_open(inode, file);
}

/* The last close of the file, or the exit of its last holder: unpin all. */
static int pinctl_release(struct inode *inode, struct file *file)
{
	struct pinctl_file *pf = file->private_data;
	struct pinctl_region *r;
	unsigned long idx;

	xa_for_each(&pf->pins, idx, r) {
		pinctl_region_free(r);
		cond_resched();
	}
	xa_destroy(&pf->pins);
	mutex_destroy(&pf->lock);
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

module_misc_device(pinctl_misc);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("pinctl");
MODULE_DESCRIPTION("Pin user pages with the kernel's GUP and report refcounts");
MODULE_VERSION("1");
