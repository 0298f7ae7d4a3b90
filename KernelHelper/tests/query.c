// SPDX-License-Identifier: GPL-2.0
/*
 * QUERY (pages by address) and QUERY_FRAMES (frames by number): never faulting,
 * agreeing with pagemap and kpageflags.
 */
#include "harness.h"

int test_pfns_match_pagemap(void)
{
	const size_t n = 16;
	uint64_t pfns[16];
	char *p;
	int fd;

	fd = open_with_pages(n, &p);
	CHECK(fd >= 0);
	memset(pfns, 0, sizeof(pfns));
	CHECK(do_pin(fd, p, n, PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM |
		     PINCTL_PIN_WRITE, 0, pfns, NULL) == 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = pagemap_entry(0, p + i * psz);

		CHECKF(pm_present(e) && pm_pfn(e) == pfns[i] && pfns[i],
		       "page %zu: PIN pfn %#llx, pagemap %#llx", i,
		       (unsigned long long)pfns[i], (unsigned long long)e);
	}
	/* A PFN buffer that cannot be written: EFAULT and nothing held. */
	CHECK(do_pin(fd, p, n, 0, 0, (uint64_t *)8, NULL) == -EFAULT);
	CHECK(vmpin_kb() == (long)(n * psz / 1024));
	close(fd);
	return PASS;
}

int test_query_does_not_fault(void)
{
	const size_t n = 16;
	struct pinctl_page pg[16];
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = dev_open();
	long rss;

	CHECK(p != MAP_FAILED && fd >= 0);
	madvise(p, n * psz, MADV_NOHUGEPAGE);
	p[3 * psz] = 1;
	rss = status_kb(0, "RssAnon");
	memset(pg, 0xff, sizeof(pg));
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	for (size_t i = 0; i < n; i++) {
		if (i == 3) {
			CHECK(pg[i].flags & PINCTL_PAGE_PRESENT);
			CHECK(pg[i].refcount == 1);
			continue;
		}
		CHECKF(pg[i].flags == 0 && pg[i].pfn == 0 &&
		       pg[i].refcount == 0, "page %zu flags %#x", i,
		       pg[i].flags);
		CHECKF(!pm_present(pagemap_entry(0, p + i * psz)),
		       "page %zu was faulted in", i);
	}
	CHECK(status_kb(0, "RssAnon") == rss);
	/* Unmapped and kernel addresses read as absent, not as errors. */
	munmap(p + 8 * psz, 8 * psz);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	CHECK(pg[15].flags == 0);
	CHECK(do_query(fd, (void *)0xffff888000000000UL, 4, pg, 0) == 0);
	CHECK(pg[0].flags == 0 && pg[3].flags == 0);
	close(fd);
	return PASS;
}

/* A child that maps memory and waits: for REMOTE tests. */
struct remote_child {
	pid_t pid;
	char *touched;		/* 4 pages, written */
	char *untouched;	/* 4 pages, never touched */
	char *huge;		/* 2 MiB hugetlb, untouched, or NULL */
};

static int spawn_remote_child(struct remote_child *rc, bool want_huge)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct remote_child me = { 0 };

		me.touched = map_small(4);
		me.untouched = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		madvise(me.untouched, 4 * psz, MADV_NOHUGEPAGE);
		if (want_huge) {
			me.huge = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_HUGETLB, -1, 0);
			if (me.huge == MAP_FAILED)
				me.huge = NULL;
		}
		me.pid = getpid();
		if (write(pfd[1], &me, sizeof(me)) != sizeof(me))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], rc, sizeof(*rc)) != sizeof(*rc)) {
		close(pfd[0]);
		return -1;
	}
	close(pfd[0]);
	return 0;
}

int test_query_remote_does_not_fault(void)
{
	struct remote_child rc;
	struct pinctl_page pg[4];
	long free_before;
	int fd = dev_open(), ret = PASS, mfd;

	CHECK(fd >= 0);
	write_long_file("/proc/sys/vm/nr_hugepages", 1);
	CHECK(spawn_remote_child(&rc, true) == 0);
	mfd = mem_open(rc.pid);
	CHECK(mfd > 0);
	/*
	 * A remote walk marks pages accessed; on the first walks that can
	 * queue an activation whose LRU-batch reference the answer includes.
	 * The third walk finds the pages active.
	 */
	for (int i = 0; i < 3; i++)
		CHECK(do_query(fd, rc.touched, 4, pg, mfd) == 0);
	for (int i = 0; i < 4 && ret == PASS; i++)
		if (!(pg[i].flags & PINCTL_PAGE_PRESENT) ||
		    pg[i].refcount != 1 ||
		    pg[i].pfn != pm_pfn(pagemap_entry(rc.pid,
						      rc.touched + i * psz))) {
			diag("touched page %d: flags %#x refcount %u", i,
			     pg[i].flags, pg[i].refcount);
			ret = FAIL;
		}
	CHECK(do_query(fd, rc.untouched, 4, pg, mfd) == 0);
	for (int i = 0; i < 4 && ret == PASS; i++)
		if (pg[i].flags ||
		    pm_present(pagemap_entry(rc.pid, rc.untouched + i * psz))) {
			diag("untouched page %d: flags %#x, or now present", i,
			     pg[i].flags);
			ret = FAIL;
		}
	if (rc.huge && ret == PASS) {
		free_before = meminfo_kb("HugePages_Free");
		CHECK(do_query(fd, rc.huge, 4, pg, mfd) == 0);
		if (pg[0].flags ||
		    meminfo_kb("HugePages_Free") != free_before) {
			diag("hugetlb: flags %#x, HugePages_Free %ld -> %ld",
			     pg[0].flags, free_before,
			     meminfo_kb("HugePages_Free"));
			ret = FAIL;
		}
	} else if (!rc.huge) {
		diag("no hugetlb page for the hugetlb part");
	}
	reap(rc.pid);
	close(fd);
	return ret;
}

/* QUERY_FRAMES of [pfn, pfn + n) into @out; 0 or -errno. */
static int do_frames(int fd, uint64_t pfn, uint64_t n, struct pinctl_frame *out,
		     uint64_t *max_pfn)
{
	struct pinctl_frames q = {
		.first_pfn = pfn, .nr_frames = n, .frames = (uintptr_t)out,
	};
	int ret = xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q);

	if (!ret && max_pfn)
		*max_pfn = q.max_pfn;
	return ret;
}

/* The frames /proc/kpagecount reads: its end-of-file, found by probing. */
static uint64_t kpagecount_end(void)
{
	int fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	uint64_t lo = 0, hi = 1ULL << 40, v;

	if (fd < 0)
		return 0;
	while (lo < hi) {	/* the first pfn that reads nothing */
		uint64_t mid = lo + (hi - lo) / 2;

		if (pread(fd, &v, 8, mid * 8) == 8)
			lo = mid + 1;
		else
			hi = mid;
	}
	close(fd);
	return lo;
}

static uint64_t kpage_read(const char *file, uint64_t pfn)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	uint64_t v = UINT64_MAX;

	if (fd >= 0 && pread(fd, &v, 8, pfn * 8) != 8)
		v = UINT64_MAX;
	if (fd >= 0)
		close(fd);
	return v;
}

#define KPF_LRU		5

#define KPF_SLAB	7

#define KPF_BUDDY	10

#define KPF_ANON	12

#define KPF_HEAD	15

#define KPF_TAIL	16

#define KPF_HUGE	17

#define KPF_NOPAGE	20

#define KPF_RESERVED	32

/*
 * A pinned page's frame, found through pagemap, reads DMA-pinned with a
 * refcount past the pin bias, anon, mapped once, as kpagecount says; after
 * UNPIN it reads unpinned. A THP subpage's frame reads compound, tail and
 * order 9, pinned with its folio.
 */
int test_frames_of_a_pinned_page(void)
{
	struct pinctl_frame f[2];
	struct pinctl_version v;
	char *p = map_small(1), *t;
	uint64_t pfn, h, maxp;
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECKF(v.features & PINCTL_FEAT_FRAMES, "features %#llx",
	       (unsigned long long)v.features);
	pfn = pm_pfn(pagemap_entry(0, p));
	CHECK(pm_present(pagemap_entry(0, p)) && pfn);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE, 0, NULL,
		     &h) == 0);
	CHECK(do_frames(fd, pfn, 1, f, &maxp) == 0);
	diag("pinned pfn %#llx: refcount %u mapcount %u flags %#x order %u (max_pfn %#llx)",
	     (unsigned long long)pfn, f[0].refcount, f[0].mapcount, f[0].flags,
	     f[0].order, (unsigned long long)maxp);
	CHECKF(f[0].pfn == pfn && f[0].refcount >= PIN_BIAS + 1 &&
	       (f[0].flags & PINCTL_FRAME_DMA_PINNED) &&
	       (f[0].flags & PINCTL_FRAME_ANON) &&
	       !(f[0].flags & (PINCTL_FRAME_NOPAGE | PINCTL_FRAME_SLAB |
			       PINCTL_FRAME_COMPOUND | PINCTL_FRAME_BUDDY)) &&
	       f[0].mapcount == 1 && f[0].order == 0,
	       "refcount %u flags %#x mapcount %u", f[0].refcount, f[0].flags,
	       f[0].mapcount);
	CHECK(f[0].mapcount == kpage_read("/proc/kpagecount", pfn));
	CHECK(kpage_read("/proc/kpageflags", pfn) >> KPF_ANON & 1);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(do_frames(fd, pfn, 1, f, NULL) == 0);
	CHECKF(!(f[0].flags & PINCTL_FRAME_DMA_PINNED) &&
	       f[0].refcount < PIN_BIAS, "after UNPIN: refcount %u flags %#x",
	       f[0].refcount, f[0].flags);

	t = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	CHECK(t);
	madvise(t, HPAGE, MADV_HUGEPAGE);
	memset(t, 3, HPAGE);
	pfn = pm_pfn(pagemap_entry(0, t + 5 * psz));
	CHECK(do_pin(fd, t + 5 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL, &h) ==
	      0);
	CHECK(do_frames(fd, pfn - 5, 2, f, NULL) == 0);
	if (f[0].flags & PINCTL_FRAME_COMPOUND) {
		diag("THP head %#x/%u, subpage %#x/%u", f[0].flags, f[0].order,
		     f[1].flags, f[1].order);
		CHECK(!(f[0].flags & PINCTL_FRAME_TAIL) && f[0].order == 9 &&
		      (f[1].flags & PINCTL_FRAME_TAIL) && f[1].order == 9);
		CHECK((f[0].flags & PINCTL_FRAME_DMA_PINNED) &&
		      (f[1].flags & PINCTL_FRAME_DMA_PINNED));
		CHECK(kpage_read("/proc/kpageflags", pfn - 5) >> KPF_HEAD & 1);
	} else {
		diag("no THP here: the compound half is not checked");
	}
	CHECK(do_unpin_all(fd, NULL) == 0);
	close(fd);
	return PASS;
}

/*
 * Every frame of the machine, against /proc/kpageflags and kpagecount
 * read right after: holes (NOPAGE) and reserved frames agree exactly (they
 * do not change), slab, buddy, LRU, anon, compound and mapcount on all but
 * the frames that changed in between. max_pfn is kpagecount's end.
 */
int test_frames_agree_with_kpageflags(void)
{
	const uint64_t chunk = 1 << 16;
	struct pinctl_frame *f = calloc(chunk, sizeof(*f));
	uint64_t *kf = calloc(chunk, 8), *kc = calloc(chunk, 8);
	uint64_t maxp = 0, end = kpagecount_end(), frames = 0, differ = 0;
	uint64_t nopage = 0, reserved = 0, pinned = 0, slab = 0;
	uint64_t field_differ[7] = { 0 };
	int fd = dev_open(), ffd = open("/proc/kpageflags", O_RDONLY),
	    cfd = open("/proc/kpagecount", O_RDONLY);

	CHECK(f && kf && kc && fd >= 0 && ffd >= 0 && cfd >= 0);
	CHECK(do_frames(fd, 0, 1, f, &maxp) == 0);
	CHECKF(maxp == end, "max_pfn %#llx, /proc/kpagecount ends at %#llx",
	       (unsigned long long)maxp, (unsigned long long)end);
	for (uint64_t pfn = 0; pfn < maxp; pfn += chunk) {
		uint64_t n = maxp - pfn < chunk ? maxp - pfn : chunk;

		CHECK(do_frames(fd, pfn, n, f, NULL) == 0);
		CHECK(pread(ffd, kf, n * 8, pfn * 8) == (ssize_t)(n * 8));
		CHECK(pread(cfd, kc, n * 8, pfn * 8) == (ssize_t)(n * 8));
		for (uint64_t i = 0; i < n; i++) {
			uint32_t fl = f[i].flags;
			uint64_t k = kf[i];
			bool nop = k >> KPF_NOPAGE & 1;

			frames++;
			CHECKF(f[i].pfn == pfn + i, "pfn %#llx at %#llx",
			       (unsigned long long)f[i].pfn,
			       (unsigned long long)(pfn + i));
			CHECKF(!!(fl & PINCTL_FRAME_NOPAGE) == nop,
			       "pfn %#llx: flags %#x, kpageflags %#llx",
			       (unsigned long long)(pfn + i), fl,
			       (unsigned long long)k);
			if (nop) {
				CHECK(fl == PINCTL_FRAME_NOPAGE &&
				      !f[i].refcount && !f[i].mapcount);
				nopage++;
				continue;
			}
			CHECKF(!!(fl & PINCTL_FRAME_RESERVED) ==
			       (k >> KPF_RESERVED & 1),
			       "pfn %#llx: flags %#x, kpageflags %#llx",
			       (unsigned long long)(pfn + i), fl,
			       (unsigned long long)k);
			reserved += !!(fl & PINCTL_FRAME_RESERVED);
			pinned += !!(fl & PINCTL_FRAME_DMA_PINNED);
			slab += !!(fl & PINCTL_FRAME_SLAB);
			{
				bool d[7] = {
					!!(fl & PINCTL_FRAME_SLAB) != (k >> KPF_SLAB & 1),
					!!(fl & PINCTL_FRAME_BUDDY) != (k >> KPF_BUDDY & 1),
					!!(fl & PINCTL_FRAME_LRU) != (k >> KPF_LRU & 1),
					!!(fl & PINCTL_FRAME_ANON) != (k >> KPF_ANON & 1),
					!!(fl & PINCTL_FRAME_HUGETLB) != (k >> KPF_HUGE & 1),
					!!(fl & PINCTL_FRAME_TAIL) != (k >> KPF_TAIL & 1),
					f[i].mapcount != kc[i],
				};
				bool any = false;

				for (int j = 0; j < 7; j++) {
					field_differ[j] += d[j];
					any |= d[j];
				}
				differ += any;
			}
		}
	}
	diag("%llu frames: %llu without a memmap, %llu reserved, %llu slab, %llu DMA-pinned; %llu changed between the two reads",
	     (unsigned long long)frames, (unsigned long long)nopage,
	     (unsigned long long)reserved, (unsigned long long)slab,
	     (unsigned long long)pinned, (unsigned long long)differ);
	diag("differ by field: slab %llu, buddy %llu, lru %llu, anon %llu, hugetlb %llu, tail %llu, mapcount %llu",
	     (unsigned long long)field_differ[0],
	     (unsigned long long)field_differ[1],
	     (unsigned long long)field_differ[2],
	     (unsigned long long)field_differ[3],
	     (unsigned long long)field_differ[4],
	     (unsigned long long)field_differ[5],
	     (unsigned long long)field_differ[6]);
	CHECK(frames == maxp && slab > 0 && reserved > 0);
	/* Frames churn between the two reads; the tools' own noise level. */
	CHECKF(differ * 100 < frames, "%llu of %llu frames differ",
	       (unsigned long long)differ, (unsigned long long)frames);
	close(fd);
	return PASS;
}

/*
 * An offlined memory block's frames have no online memmap: QUERY_FRAMES
 * answers NOPAGE for each (as kpageflags does), and their state again once
 * the block is back online.
 */
int test_frames_of_offline_block_read_nopage(void)
{
	long bsz = 0;
	char path[128], line[64];
	struct pinctl_frame *f;
	uint64_t first, n;
	int fd = dev_open(), sfd = -1, block = -1, last = -1;
	FILE *bf = fopen(MEM_SYS "block_size_bytes", "re");

	CHECK(fd >= 0);
	SKIP_IF(!bf || !fgets(line, sizeof(line), bf), "no memory blocks");
	fclose(bf);
	bsz = strtol(line, NULL, 16);
	CHECK(bsz > 0);
	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), MEM_SYS "memory%d", i);
		if (!access(path, F_OK))
			last = i;
	}
	for (int i = last; i >= 0 && i > last - 8 && block < 0; i--) {
		snprintf(path, sizeof(path), MEM_SYS "memory%d/state", i);
		sfd = open(path, O_WRONLY | O_CLOEXEC);
		if (sfd >= 0 && write(sfd, "offline", 7) == 7)
			block = i;
		else if (sfd >= 0)
			close(sfd);
	}
	SKIP_IF(block < 0, "no memory block of the last 8 would go offline");
	n = bsz / psz;
	first = (uint64_t)block * n;
	f = calloc(n, sizeof(*f));
	CHECK(f);
	CHECK(do_frames(fd, first, n, f, NULL) == 0);
	for (uint64_t i = 0; i < n; i++)
		CHECKF(f[i].flags == PINCTL_FRAME_NOPAGE && !f[i].refcount,
		       "offline pfn %#llx: flags %#x refcount %u",
		       (unsigned long long)(first + i), f[i].flags,
		       f[i].refcount);
	CHECK(kpage_read("/proc/kpageflags", first) >> KPF_NOPAGE & 1);
	diag("memory block %d (pfn %#llx+%#llx) offline: every frame NOPAGE",
	     block, (unsigned long long)first, (unsigned long long)n);
	CHECK(write(sfd, "online", 6) == 6);
	close(sfd);
	CHECK(do_frames(fd, first, n, f, NULL) == 0);
	for (uint64_t i = 0; i < n; i++)
		CHECK(!(f[i].flags & PINCTL_FRAME_NOPAGE));
	close(fd);
	return PASS;
}

/*
 * A hugetlb page's frames, head and tail: HUGETLB, COMPOUND, order 9, as
 * kpageflags has them (HUGE, COMPOUND_HEAD/TAIL), mapcount as kpagecount;
 * pinned (the whole folio), then not.
 */
int test_frames_of_a_hugetlb_page(void)
{
	struct pinctl_frame f[2];
	uint64_t pfn, h;
	char *p;
	int fd = dev_open();

	CHECK(fd >= 0);
	write_long_file("/proc/sys/vm/nr_hugepages", 2);
	SKIP_IF(meminfo_kb("HugePages_Total") < 1,
		"could not reserve a 2 MiB hugetlb page");
	p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 3, HPAGE);
	pfn = pm_pfn(pagemap_entry(0, p));
	CHECK(pfn && pfn % (HPAGE / psz) == 0);
	CHECK(do_frames(fd, pfn, 2, f, NULL) == 0);
	diag("hugetlb head %#x/%u refcount %u mapcount %u, tail %#x/%u mapcount %u",
	     f[0].flags, f[0].order, f[0].refcount, f[0].mapcount, f[1].flags,
	     f[1].order, f[1].mapcount);
	for (int i = 0; i < 2; i++) {
		uint64_t k = kpage_read("/proc/kpageflags", pfn + i);

		CHECKF((f[i].flags & PINCTL_FRAME_HUGETLB) &&
		       (f[i].flags & PINCTL_FRAME_COMPOUND) &&
		       f[i].order == 9 && !!(f[i].flags & PINCTL_FRAME_TAIL) == i &&
		       !(f[i].flags & PINCTL_FRAME_DMA_PINNED),
		       "frame %d: flags %#x order %u", i, f[i].flags, f[i].order);
		CHECKF((k >> KPF_HUGE & 1) && (k >> (i ? KPF_TAIL : KPF_HEAD) & 1),
		       "kpageflags %#llx", (unsigned long long)k);
		CHECKF(f[i].mapcount == kpage_read("/proc/kpagecount", pfn + i),
		       "frame %d: mapcount %u, kpagecount %llu", i, f[i].mapcount,
		       (unsigned long long)kpage_read("/proc/kpagecount", pfn + i));
	}
	/* Short-term (root): no long-term question before 6.6. */
	CHECK(do_pin(fd, p + 5 * psz, 1, PINCTL_PIN_WRITE, 0, NULL, &h) == 0);
	CHECK(do_frames(fd, pfn, 2, f, NULL) == 0);
	CHECKF((f[0].flags & PINCTL_FRAME_DMA_PINNED) &&
	       (f[1].flags & PINCTL_FRAME_DMA_PINNED),
	       "pinned: %#x %#x", f[0].flags, f[1].flags);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(do_frames(fd, pfn, 1, f, NULL) == 0);
	CHECK(!(f[0].flags & PINCTL_FRAME_DMA_PINNED));
	munmap(p, HPAGE);
	close(fd);
	return PASS;
}

int test_frames_bad_input_einval(void)
{
	struct pinctl_frame *f = calloc(4, sizeof(*f));
	char *none = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	struct pinctl_frames ok = { .nr_frames = 4 }, q;
	uint64_t maxp;
	int fd = dev_open();

	CHECK(f && fd >= 0 && none != MAP_FAILED);
	ok.frames = (uintptr_t)f;
	CHECK(do_frames(fd, 0, 1, f, &maxp) == 0 && maxp > 4);
	q = ok;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == 0 && q.max_pfn == maxp);
	q = ok;
	q.nr_frames = 0;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.nr_frames = (1 << 20) + 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.nr_frames = UINT64_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.first_pfn = UINT64_MAX - 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.first_pfn = maxp - 3;	/* one past the end */
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.first_pfn = maxp - 4;	/* the last four */
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == 0);
	q = ok;
	q.first_pfn = maxp;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.first_pfn = 1ULL << 52;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	for (int b = 0; b < 32; b++) {
		q = ok;
		q.flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	}
	q = ok;
	q.reserved0 = 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok;
	q.max_pfn = 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	for (int i = 0; i < 3; i++) {
		q = ok;
		q.reserved[i] = 1;
		CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	}
	q = ok;
	q.frames = 0;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EFAULT);
	q = ok;
	q.frames = (uintptr_t)none;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EFAULT);
	q = ok;
	q.frames = 0xffff888000000000ULL;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EFAULT);
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, NULL) == -EFAULT);
	close(fd);
	return PASS;
}

/*
 * /proc/kpageflags' rule: nobody's own descriptor is refused (EPERM)
 * even with the device at 0666, and the refusal says nothing more; LIST
 * and VERSION still work for it.
 */
int test_user_frames_need_cap_sys_admin(void)
{
	struct pinctl_frame f[1];
	struct pinctl_version v;
	int fd = dev_open();

	CHECK(getuid() == NOBODY && fd >= 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.features & PINCTL_FEAT_FRAMES);
	CHECK(do_frames(fd, 0, 1, f, NULL) == -EPERM);
	CHECK(do_frames(fd, 1ULL << 60, 1, f, NULL) == -EPERM);
	CHECK(open("/proc/kpageflags", O_RDONLY) < 0 && errno == EACCES);
	close(fd);
	return PASS;
}

/*
 * As pagemap and kpageflags, the opener decides: root's descriptor,
 * inherited by a child that became nobody, answers QUERY_FRAMES.
 */
int test_frames_follow_the_opener(void)
{
	int fd = dev_open(), st;
	pid_t child;

	CHECK(fd >= 0);
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		struct pinctl_frame f[1];

		if (become_nobody())
			_exit(20);
		_exit(do_frames(fd, 0, 1, f, NULL) ? 21 : 0);
	}
	CHECK(waitpid(child, &st, 0) == child);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	close(fd);
	return PASS;
}
