// SPDX-License-Identifier: GPL-2.0
/*
 * PIN and UNPIN: GUP into regions of runs, held until UNPIN or the last close,
 * and the checks every ioctl shares on its arguments.
 */

#include "pinctl_internal.h"

unsigned int max_page_refcount = PINCTL_MAX_REFCOUNT_CAP;
module_param(max_page_refcount, uint, 0644);
MODULE_PARM_DESC(max_page_refcount,
		 "A PIN whose pages exceed this reference count fails with EOVERFLOW (default and most 2^30)");

/*
 * The file operations of /proc/PID/mem, learnt at load from
 * /proc/self/mem: how a REMOTE descriptor is recognised. NULL when /proc
 * could not be opened then; REMOTE is refused (-EOPNOTSUPP).
 */
const struct file_operations *pinctl_proc_mem_fops;

bool pinctl_reserved_zero(const __u64 *reserved, size_t n)
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
int pinctl_check_range(u64 addr, u64 nr_pages, u64 max)
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
int pinctl_get_remote_mm(int mem_fd, fmode_t fmode,
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

void pinctl_put_pages(struct page **pages, unsigned long nr, bool get)
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
long pinctl_gup_locked(struct mm_struct *mm, bool remote,
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
bool pinctl_stack_gap(struct mm_struct *mm, unsigned long start,
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
int pinctl_gup(struct mm_struct *mm, unsigned long addr,
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
	r->first = NULL;
	r->last = NULL;
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

/**
 * pinctl_region_free() - release a region's pages, charge and memory.
 * @r: a region no longer reachable through any file.
 */
void pinctl_region_free(struct pinctl_region *r)
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
struct page **pinctl_alloc_pages(unsigned long nr)
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

int pinctl_check_pin_flags(u32 flags)
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
long pinctl_ioctl_pin(struct pinctl_file *pf, void __user *argp)
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
long pinctl_ioctl_unpin(struct pinctl_file *pf, void __user *argp)
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
