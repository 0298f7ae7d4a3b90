// SPDX-License-Identifier: GPL-2.0
/*
 * QUERY (pages by address) and QUERY_FRAMES (frames by number), answered in
 * batches through one copy-out loop.
 */

#include "pinctl_internal.h"

/* Pages per QUERY batch: one small buffer, copied out without any lock. */
#define PINCTL_QUERY_BATCH	64
/* Frames per QUERY_FRAMES batch. */
#define PINCTL_FRAMES_BATCH	128

/**
 * pinctl_copy_out() - answer a query in batches.
 * @dst: the caller's array of @total answers of @size bytes each.
 * @size: the size of one answer.
 * @total: the answers asked for.
 * @buf: a kernel buffer of @batch answers.
 * @batch: answers per batch.
 * @fill: writes answers @done to @done + @n - 1 into @buf, which is zeroed
 *        (an answer it leaves alone reads as all zero); 0 or a negative
 *        errno, which ends the query.
 * @ctx: for @fill.
 *
 * Each batch is filled and then copied out with no lock held, as the copy
 * may fault on the caller's own mm; a fatal signal ends the query between
 * batches.
 *
 * Return: 0 with every answer written; @fill's error, -EFAULT or -EINTR.
 */
static long pinctl_copy_out(void __user *dst, size_t size,
			    unsigned long total, void *buf,
			    unsigned long batch,
			    int (*fill)(void *ctx, unsigned long done,
					unsigned long n, void *buf),
			    void *ctx)
{
	unsigned long done, n;
	int ret;

	for (done = 0; done < total; done += n) {
		n = min(total - done, batch);
		memset(buf, 0, n * size);
		ret = fill(ctx, done, n, buf);
		if (ret)
			return ret;
		if (copy_to_user(dst + done * size, buf, n * size))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
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
 * struct pinctl_query_ctx - one QUERY, for pinctl_query_fill().
 * @addr: the first page's address.
 * @mm: the REMOTE address space, or NULL for current's.
 * @pages: scratch for PINCTL_QUERY_BATCH pages.
 * @show_pfn: report PFNs.
 */
struct pinctl_query_ctx {
	u64 addr;
	struct mm_struct *mm;
	struct page **pages;
	bool show_pfn;
};

/* One QUERY batch: pages @done to @done + @n - 1 of the range. */
static int pinctl_query_fill(void *arg, unsigned long done, unsigned long n,
			     void *buf)
{
	struct pinctl_query_ctx *ctx = arg;
	unsigned long addr = ctx->addr + (done << PAGE_SHIFT);

	if (!ctx->mm) {
		pinctl_query_local(addr, n, ctx->pages, buf, ctx->show_pfn);
		return 0;
	}
	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	pinctl_query_remote(ctx->mm, addr, n, ctx->pages, buf, ctx->show_pfn);
	mmap_read_unlock(ctx->mm);
	return 0;
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
long pinctl_ioctl_query(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_query_ctx ctx;
	struct mm_struct *mm = NULL;
	struct pinctl_page *out;
	struct pinctl_query q;
	struct page **pages;
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

	ctx.addr = q.addr;
	ctx.mm = mm;
	ctx.pages = pages;
	ctx.show_pfn = pf->show_pfn;
	ret = pinctl_copy_out(u64_to_user_ptr(q.pages), sizeof(*out),
			      q.nr_pages, out, PINCTL_QUERY_BATCH,
			      pinctl_query_fill, &ctx);

out_free:
	kfree(out);
	kfree(pages);
	if (mm)
		mmput(mm);
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

/* One QUERY_FRAMES batch: frames @done to @done + @n - 1 from *@arg. */
static int pinctl_frames_fill(void *arg, unsigned long done, unsigned long n,
			      void *buf)
{
	u64 first = *(u64 *)arg + done;
	struct pinctl_frame *out = buf;
	unsigned long i;

	for (i = 0; i < n; i++)
		pinctl_describe_frame(first + i, &out[i]);
	return 0;
}

/**
 * pinctl_ioctl_frames() - PINCTL_IOC_QUERY_FRAMES.
 * @pf: the file; it must have been opened with CAP_SYS_ADMIN.
 * @argp: user struct pinctl_frames.
 *
 * Return: 0 with the answers written and max_pfn set; -EPERM, -EINVAL,
 * -EFAULT, -EINTR, -ENOMEM.
 */
long pinctl_ioctl_frames(struct pinctl_file *pf, void __user *argp)
{
	unsigned long limit = pinctl_frames_limit();
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
	ret = pinctl_copy_out(u64_to_user_ptr(q.frames), sizeof(*out),
			      q.nr_frames, out, PINCTL_FRAMES_BATCH,
			      pinctl_frames_fill, &q.first_pfn);
	if (ret)
		goto out_free;
	q.max_pfn = limit;
	if (copy_to_user(argp, &q, sizeof(q)))
		ret = -EFAULT;
out_free:
	kfree(out);
	return ret;
}
