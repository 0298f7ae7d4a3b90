// SPDX-License-Identifier: GPL-2.0
/*
 * PIN and UNPIN: refcounts, flags, releases, file and huge page pins, and what
 * a pinned page refuses (collapse, soft offline).
 */
#include "harness.h"

int test_pin_raises_refcount_by_bias(void)
{
	const size_t n = 8;
	uint32_t base[8];
	uint64_t h, un;
	char *p;
	int fd;
	struct pinctl_page pg;

	fd = open_with_pages(n, &p);
	CHECK(fd >= 0);
	pg = query1(fd, p, 0);
	CHECKF(pg.refcount == 1 && pg.mapcount == 1 &&
	       pg.flags == (PINCTL_PAGE_PRESENT | PINCTL_PAGE_ANON) &&
	       pg.order == 0 && pg.pfn == pm_pfn(pagemap_entry(0, p)),
	       "baseline refcount %u mapcount %u flags %#x order %u",
	       pg.refcount, pg.mapcount, pg.flags, pg.order);
	CHECK(baseline(fd, p, n, base) == 0);
	CHECK(do_pin(fd, p, n, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, 0, NULL,
		     &h) == 0);
	CHECK(h != 0);
	CHECK(expect_pages(fd, p, n, base, PIN_BIAS, true) == PASS);
	CHECK(vmpin_kb() == (long)(n * psz / 1024));
	CHECK(do_unpin(fd, h, &un) == 0 && un == n);
	CHECK(expect_pages(fd, p, n, base, 0, false) == PASS);
	CHECK(vmpin_kb() == 0);
	CHECK(do_unpin(fd, h, NULL) == -ENOENT);
	close(fd);
	return PASS;
}

int test_pin_unpin_anon_flag_matrix(void)
{
	static const uint32_t combos[] = {
		0,
		PINCTL_PIN_WRITE,
		PINCTL_PIN_LONGTERM,
		PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM,
		PINCTL_PIN_FAST,
		PINCTL_PIN_FAST | PINCTL_PIN_WRITE,
		PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM,
		PINCTL_PIN_FAST | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM,
		PINCTL_PIN_GET,
		PINCTL_PIN_GET | PINCTL_PIN_WRITE,
		PINCTL_PIN_GET | PINCTL_PIN_FAST,
		PINCTL_PIN_GET | PINCTL_PIN_FAST | PINCTL_PIN_WRITE,
		PINCTL_PIN_REMOTE,
		PINCTL_PIN_REMOTE | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM,
		PINCTL_PIN_REMOTE | PINCTL_PIN_GET | PINCTL_PIN_WRITE,
	};
	const size_t n = 8;
	uint32_t base[8];
	uint64_t h, un;
	char *p = map_small(n), *ro;
	int fd = dev_open(), self = mem_open(0);

	CHECK(p && fd >= 0 && self > 0);
	CHECK(baseline(fd, p, n, base) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(combos); i++) {
		uint32_t f = combos[i];
		bool get = f & PINCTL_PIN_GET;
		int mfd = (f & PINCTL_PIN_REMOTE) ? self : 0;

		CHECKF(do_pin(fd, p, n, f, mfd, NULL, &h) == 0,
		       "flags %#x: %s", f, strerror(errno));
		/* Charged to this mm, GET references too, REMOTE or not. */
		CHECKF(vmpin_kb() == (long)(n * psz / 1024), "flags %#x: VmPin %ld kB",
		       f, vmpin_kb());
		if (expect_pages(fd, p, n, base, get ? 1 : PIN_BIAS, !get)) {
			diag("after PIN flags %#x", f);
			return FAIL;
		}
		CHECKF(do_unpin(fd, h, &un) == 0 && un == n, "flags %#x", f);
		if (expect_pages(fd, p, n, base, 0, false)) {
			diag("after UNPIN flags %#x", f);
			return FAIL;
		}
	}
	CHECK(vmpin_kb() == 0);

	/* A WRITE pin of a read-only mapping is refused, nothing held. */
	ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK(do_pin(fd, ro, 1, PINCTL_PIN_WRITE, 0, NULL, NULL) == -EFAULT);
	CHECK(do_pin(fd, ro, 1, PINCTL_PIN_WRITE | PINCTL_PIN_FAST, 0, NULL,
		     NULL) == -EFAULT);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_unpin_handles_and_all(void)
{
	char *p;
	uint64_t h[4], un;
	int fd;

	fd = open_with_pages(8, &p);
	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++)
		CHECK(do_pin(fd, p + i * 2 * psz, 2, PINCTL_PIN_FAST, 0, NULL,
			     &h[i]) == 0);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < i; j++)
			CHECK(h[i] != h[j]);
	CHECK(vmpin_kb() == (long)(8 * psz / 1024));
	CHECK(do_unpin(fd, h[1], &un) == 0 && un == 2);
	CHECK(do_unpin(fd, h[1], NULL) == -ENOENT);
	CHECK(do_unpin(fd, 0xdeadbeefULL, NULL) == -ENOENT);
	CHECK(do_unpin(fd, 1ULL << 40, NULL) == -ENOENT);
	CHECK(do_unpin(fd, 0, NULL) == -EINVAL);
	{
		struct pinctl_unpin u = { .handle = h[0],
					  .flags = PINCTL_UNPIN_ALL };

		CHECK(xioctl(fd, PINCTL_IOC_UNPIN, &u) == -EINVAL);
	}
	CHECK(do_unpin_all(fd, &un) == 0 && un == 6);
	CHECK(vmpin_kb() == 0);
	CHECK(do_unpin_all(fd, &un) == 0 && un == 0);
	close(fd);
	return PASS;
}

int test_close_releases_pins(void)
{
	const size_t n = 8;
	uint32_t base[8];
	char *p = map_small(n);
	int fd = dev_open(), qfd = dev_open(), dupfd;

	CHECK(p && fd >= 0 && qfd >= 0);
	CHECK(baseline(qfd, p, n, base) == 0);
	CHECK(do_pin(fd, p, n, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(do_pin(fd, p, n, PINCTL_PIN_GET, 0, NULL, NULL) == 0);
	CHECK(expect_pages(qfd, p, n, base, PIN_BIAS + 1, true) == PASS);
	CHECK(vmpin_kb() == (long)(2 * n * psz / 1024));
	/* Pins belong to the open file, not to one descriptor of it. */
	dupfd = dup(fd);
	CHECK(dupfd >= 0);
	close(fd);
	CHECK(expect_pages(qfd, p, n, base, PIN_BIAS + 1, true) == PASS);
	close(dupfd);
	CHECK(expect_pages(qfd, p, n, base, 0, false) == PASS);
	CHECK(vmpin_kb() == 0);
	close(qfd);
	return PASS;
}

int test_sigkill_releases_pins(void)
{
	const size_t n = 4;
	uint32_t base[4], sbase[4];
	struct pinctl_page pg[4];
	char *mine = map_small(n), *shared;
	int qfd = dev_open(), sync_pipe[2];
	char c;
	pid_t pid;

	CHECK(mine && qfd >= 0);
	/* Not COW-shared with the child: the REMOTE pin must hit our page. */
	CHECK(madvise(mine, n * psz, MADV_DONTFORK) == 0);
	/* Shared memory that both the child and we map. */
	shared = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	memset(shared, 1, n * psz);
	CHECK(baseline(qfd, mine, n, base) == 0);
	CHECK(baseline(qfd, shared, n, sbase) == 0);
	CHECK(pipe(sync_pipe) == 0);

	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		int fd = dev_open(), pmem = mem_open(getppid());

		/* Its own mapping of the shared pages; our private ones. */
		if (fd < 0 || pmem <= 0 ||
		    do_pin(fd, shared, n, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
			   0, NULL, NULL) ||
		    do_pin(fd, mine, n, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   pmem, NULL, NULL))
			_exit(1);
		close(pmem);
		if (write(sync_pipe[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync_pipe[1]);
	CHECK(read(sync_pipe[0], &c, 1) == 1);

	/* The child's pin, seen in the child (REMOTE) and here. */
	{
		int cmem = mem_open(pid);

		CHECK(cmem > 0);
		CHECK(do_query(qfd, shared, n, pg, cmem) == 0);
		close(cmem);
	}
	for (size_t i = 0; i < n; i++)
		CHECKF((pg[i].flags & PINCTL_PAGE_DMA_PINNED) &&
		       pg[i].refcount >= sbase[i] + 1 + PIN_BIAS,
		       "shared page %zu in the child: refcount %u flags %#x",
		       i, pg[i].refcount, pg[i].flags);
	/* +1 for the child's mapping. */
	CHECK(expect_pages(qfd, shared, n, sbase, PIN_BIAS + 1, true) == PASS);
	CHECK(expect_pages(qfd, mine, n, base, PIN_BIAS, true) == PASS);

	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, NULL, 0) == pid);
	CHECK(expect_pages(qfd, mine, n, base, 0, false) == PASS);
	CHECK(expect_pages(qfd, shared, n, sbase, 0, false) == PASS);
	close(qfd);
	return PASS;
}

/*
 * Pages no user owns: the vsyscall page (a kernel page at a fixed address
 * above TASK_SIZE, mapped by the gate VMA in every process, "xonly" on
 * Debian) is never pinned; a long-term read pin of untouched private
 * memory, where the shared zero page is mapped, leaves the zero page's
 * reference count as it was once released (6.12 gives the first page a
 * private copy and pins that; Debian's 6.1.0-57 takes no reference on the
 * zero page), and nothing stays DMA-pinned. dmesg_clean checks for WARNs.
 */
int test_vsyscall_and_zero_page_pins_are_clean(void)
{
	const uint64_t vsyscall = 0xffffffffff600000ULL;
	int fd = dev_open(), mem = mem_open(0), r;
	struct pinctl_page zero0, zero1, pinned;
	char *p = mmap(NULL, 32 * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q = p + 16 * psz;
	uint64_t h;

	CHECK(fd >= 0 && mem >= 0 && p != MAP_FAILED);
	madvise(p, 32 * psz, MADV_NOHUGEPAGE);
	for (uint32_t fl = 0; fl < 2; fl++) {
		r = do_pin(fd, (void *)(uintptr_t)vsyscall, 1,
			   PINCTL_PIN_LONGTERM | (fl ? PINCTL_PIN_REMOTE : 0),
			   fl ? mem : 0, NULL, &h);
		CHECKF(r == -EFAULT, "vsyscall pin (%s): %s",
		       fl ? "remote" : "local", strerror(-r));
	}
	/* Reads map the zero page at p and at q; REMOTE QUERY sees it. */
	CHECK(*(volatile char *)p == 0 && *(volatile char *)q == 0);
	zero0 = query1(fd, q, mem);
	CHECK(zero0.flags & PINCTL_PAGE_PRESENT);
	CHECK(do_pin(fd, p, 16, PINCTL_PIN_LONGTERM, 0, NULL, &h) == 0);
	pinned = query1(fd, p, mem);
	diag("zero page pfn %#llx refcount %u; pinned at its place: pfn %#llx refcount %u flags %#x",
	     (unsigned long long)zero0.pfn, zero0.refcount,
	     (unsigned long long)pinned.pfn, pinned.refcount, pinned.flags);
	CHECK(do_unpin(fd, h, NULL) == 0);
	zero1 = query1(fd, q, mem);
	CHECKF(zero1.pfn == zero0.pfn && zero1.refcount == zero0.refcount,
	       "zero page refcount %u after unpin, %u before",
	       zero1.refcount, zero0.refcount);
	CHECK(!(query1(fd, p, mem).flags & PINCTL_PAGE_DMA_PINNED));
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * A pin cannot be made to wait on a userfaultfd: the module's GUP holds
 * the mm's mmap lock and passes no @locked, so a fault in a registered
 * missing range is not retried but fails (VM_FAULT_SIGBUS, -EFAULT) at
 * once, instead of sleeping until the range's handler answers, or for ever
 * when it never does (nothing here reads the uffd: a wait is a timeout).
 * REMOTE (pin_user_pages_remote(), a victim's range) and the local locked
 * path alike; QUERY faults nothing and reports the page absent.
 */
int test_uffd_missing_range_pin_fails_without_waiting(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int fd = dev_open(), mem = mem_open(0), uffd;
	struct pinctl_page pg;
	uint64_t h;
	char *p = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(fd >= 0 && mem >= 0 && p != MAP_FAILED);
	madvise(p, 4 * psz, MADV_NOHUGEPAGE);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	SKIP_IF(uffd < 0, "userfaultfd: %s", strerror(errno));
	CHECK(ioctl(uffd, UFFDIO_API, &api) == 0);
	reg.range.start = (uintptr_t)p;
	reg.range.len = 4 * psz;
	CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0);
	CHECKF(do_pin(fd, p, 4, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM |
			   PINCTL_PIN_WRITE, mem, NULL, &h) == -EFAULT,
	       "REMOTE pin of a uffd missing range did not fail EFAULT");
	CHECKF(do_pin(fd, p, 4, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE, 0,
		      NULL, &h) == -EFAULT,
	       "locked pin of a uffd missing range did not fail EFAULT");
	CHECK(do_query(fd, p, 1, &pg, mem) == 0 &&
	      !(pg.flags & PINCTL_PAGE_PRESENT));
	CHECK(vmpin_kb() == 0);
	close(uffd);
	return PASS;
}

/*
 * A /proc/PID/mem descriptor grants what its open mode says, as read(2)
 * and write(2) on it would: a WRITE pin (FOLL_WRITE breaks COW and dirties
 * shared file pages) needs it open for writing, any pin or QUERY for
 * reading. A read-only descriptor handed over by a more privileged process
 * allows looking, not writing.
 */
int test_remote_write_pin_needs_writable_mem_fd(void)
{
	int fd = dev_open(), ro, wo, rw;
	struct pinctl_page pg;
	char *p = map_small(1);
	uint64_t h = 0;

	ro = mem_open_mode(0, O_RDONLY);
	wo = mem_open_mode(0, O_WRONLY);
	rw = mem_open_mode(0, O_RDWR);
	CHECK(fd >= 0 && p && ro >= 0 && wo >= 0 && rw >= 0);
	CHECKF(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM |
			   PINCTL_PIN_WRITE, ro, NULL, &h) == -EBADF,
	       "WRITE pin through a read-only /proc/self/mem not refused");
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM, ro,
		     NULL, &h) == 0 && do_unpin(fd, h, NULL) == 0);
	CHECKF(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM, wo,
		      NULL, &h) == -EBADF,
	       "pin through a write-only /proc/self/mem not refused");
	CHECKF(do_query(fd, p, 1, &pg, wo) == -EBADF,
	       "QUERY through a write-only /proc/self/mem not refused");
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM |
			  PINCTL_PIN_WRITE, rw, NULL, &h) == 0 &&
	      do_unpin(fd, h, NULL) == 0);
	CHECK(do_query(fd, p, 1, &pg, ro) == 0);
	return PASS;
}

/*
 * Remote pins name their target by a descriptor of its /proc/PID/mem. A
 * plain user cannot open root's; the descriptor must be that file (EINVAL
 * for any other, EBADF for none); a descriptor opened with the rights works
 * for whoever holds it, as /proc/PID/mem reads do.
 */
int test_remote_named_by_proc_mem_fd(void)
{
	char *p = map_small(2);
	int fd = dev_open(), pmem = mem_open(0), status, qfd;
	pid_t parent = getpid(), pid;

	CHECK(p && fd >= 0 && pmem > 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct pinctl_page pg;
		char *mine = map_small(1);
		int r, self, maps, pfd[2];

		if (become_nobody())
			_exit(10);
		r = mem_open(parent);
		if (r != -EACCES && r != -EPERM)
			_exit(11);
		/* O_PATH runs no open(), so no ptrace check: never a target. */
		{
			char path[64];
			int opath;

			snprintf(path, sizeof(path), "/proc/%d/mem", parent);
			opath = open(path, O_PATH | O_CLOEXEC);
			if (opath >= 0 &&
			    do_pin(fd, p, 1,
				   PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
				   opath, NULL, NULL) != -EBADF)
				_exit(17);
		}
		self = mem_open(0);
		if (self <= 0 ||
		    do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   self, NULL, NULL) ||
		    do_query(fd, mine, 1, &pg, self) ||
		    !(pg.flags & PINCTL_PAGE_DMA_PINNED))
			_exit(12);
		maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (maps < 0 || pipe(pfd))
			_exit(13);
		if (do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   maps, NULL, NULL) != -EINVAL ||
		    do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   pfd[0], NULL, NULL) != -EINVAL ||
		    do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   fd, NULL, NULL) != -EINVAL ||
		    do_query(fd, mine, 1, &pg, maps) != -EINVAL)
			_exit(14);
		close(maps);
		if (do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   maps, NULL, NULL) != -EBADF ||
		    do_pin(fd, mine, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   -1, NULL, NULL) != -EBADF ||
		    do_query(fd, mine, 1, &pg, -7) != -EBADF)
			_exit(15);
		/* Root's descriptor, inherited: the capability it is. */
		if (do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   pmem, NULL, NULL))
			_exit(16);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child status %#x (10 setuid, 11 open of root's mem, 12 own mem, 13 setup, 14 EINVAL, 15 EBADF, 16 inherited, 17 O_PATH)",
	       status);
	/* A kernel thread has no mm: 6.1 opens its mem file (ESRCH at PIN). */
	{
		int kmem = mem_open(2);

		if (kmem > 0)
			CHECK(do_pin(fd, p, 1,
				     PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
				     kmem, NULL, NULL) == -ESRCH);
		else
			CHECKF(kmem == -ESRCH, "open /proc/2/mem: %s",
			       strerror(-kmem));
	}
	/* The child's pin of our page is held by the shared file. */
	CHECK(query1(fd, p, 0).refcount == 1 + PIN_BIAS);
	close(fd);
	qfd = dev_open();
	CHECK(qfd >= 0 && query1(qfd, p, 0).refcount == 1);
	close(qfd);
	return PASS;
}

int test_partial_pin_undone(void)
{
	const size_t n = 16;
	uint32_t base[16];
	char *p;
	int fd;

	fd = open_with_pages(n, &p);
	CHECK(fd >= 0);
	CHECK(munmap(p + 12 * psz, psz) == 0);
	CHECK(baseline(fd, p, 12, base) == 0);
	for (uint32_t f = 0; f <= (PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
				   PINCTL_PIN_FAST); f++) {
		int r = do_pin(fd, p, n, f, 0, NULL, NULL);

		CHECKF(r == -EFAULT, "flags %#x: %d %s", f, r, strerror(-r));
		CHECK(expect_pages(fd, p, 12, base, 0, false) == PASS);
	}
	CHECK(do_pin(fd, p, n, PINCTL_PIN_GET, 0, NULL, NULL) == -EFAULT);
	CHECK(do_pin(fd, p, n, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mem_open(0), NULL, NULL) == -EFAULT);
	CHECK(expect_pages(fd, p, 12, base, 0, false) == PASS);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_thp_pin(void)
{
	const size_t n = HPAGE / psz;
	struct pinctl_page *pg = calloc(n, sizeof(*pg));
	uint32_t base;
	uint64_t h;
	char *p = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int fd = dev_open();

	CHECK(pg && p && fd >= 0);
	madvise(p, HPAGE, MADV_HUGEPAGE);
	memset(p, 7, HPAGE);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	SKIP_IF(!(pg[0].flags & PINCTL_PAGE_COMPOUND) || pg[0].order != 9,
		"no THP here (order %u flags %#x)", pg[0].order, pg[0].flags);
	base = pg[0].refcount;
	diag("THP head pfn %#llx refcount %u mapcount %u",
	     (unsigned long long)pg[0].pfn, base, pg[0].mapcount);
	for (size_t i = 1; i < n; i++)
		CHECK(pg[i].pfn == pg[0].pfn + i && pg[i].order == 9);

	/* One subpage pinned: the folio's refcount +1 and its pincount. */
	CHECK(do_pin(fd, p + 5 * psz, 1, PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM,
		     0, NULL, &h) == 0);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	for (size_t i = 0; i < n; i++)
		CHECKF(pg[i].refcount == base + 1 &&
		       (pg[i].flags & PINCTL_PAGE_DMA_PINNED),
		       "page %zu refcount %u flags %#x", i, pg[i].refcount,
		       pg[i].flags);
	CHECK(do_unpin(fd, h, NULL) == 0);

	/* The whole folio, not fast: +512. */
	CHECK(do_pin(fd, p, n, PINCTL_PIN_WRITE, 0, NULL, &h) == 0);
	CHECK(do_query(fd, p, 1, pg, 0) == 0);
	CHECKF(pg[0].refcount == base + n &&
	       (pg[0].flags & PINCTL_PAGE_DMA_PINNED), "refcount %u",
	       pg[0].refcount);
	CHECK(do_unpin(fd, h, NULL) == 0);
	/* GET references: +1 each, not DMA-pinned. */
	CHECK(do_pin(fd, p, 4, PINCTL_PIN_GET | PINCTL_PIN_FAST, 0, NULL, &h) ==
	      0);
	CHECK(do_query(fd, p, 1, pg, 0) == 0);
	CHECK(pg[0].refcount == base + 4 &&
	      !(pg[0].flags & PINCTL_PAGE_DMA_PINNED));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(pg[i].refcount == base &&
		      !(pg[i].flags & PINCTL_PAGE_DMA_PINNED));
	close(fd);
	return PASS;
}

int test_hugetlb_pin(void)
{
	const size_t n = HPAGE / psz;
	struct pinctl_page *pg = calloc(n, sizeof(*pg));
	uint64_t h, pfns[4];
	uint32_t base;
	char *p;
	int fd = dev_open();

	CHECK(pg && fd >= 0);
	write_long_file("/proc/sys/vm/nr_hugepages", 2);
	SKIP_IF(meminfo_kb("HugePages_Total") < 1,
		"could not reserve a 2 MiB hugetlb page");
	p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 3, HPAGE);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	CHECKF((pg[0].flags & PINCTL_PAGE_COMPOUND) && pg[0].order == 9,
	       "flags %#x order %u", pg[0].flags, pg[0].order);
	base = pg[0].refcount;
	diag("hugetlb head refcount %u mapcount %u flags %#x", base,
	     pg[0].mapcount, pg[0].flags);
	CHECK(do_pin(fd, p, n, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
		     PINCTL_PIN_FAST, 0, NULL, &h) == 0);
	CHECK(do_query(fd, p, n, pg, 0) == 0);
	for (size_t i = 0; i < n; i++)
		CHECKF(pg[i].refcount == base + n &&
		       (pg[i].flags & PINCTL_PAGE_DMA_PINNED),
		       "page %zu refcount %u flags %#x", i, pg[i].refcount,
		       pg[i].flags);
	CHECK(vmpin_kb() == (long)(HPAGE / 1024));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(do_pin(fd, p + 8 * psz, 4, PINCTL_PIN_LONGTERM, 0, pfns, &h) ==
	      0);
	for (int i = 0; i < 4; i++)
		CHECK(pfns[i] == pm_pfn(pagemap_entry(0, p + (8 + i) * psz)));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(do_query(fd, p, 1, pg, 0) == 0);
	CHECK(pg[0].refcount == base &&
	      !(pg[0].flags & PINCTL_PAGE_DMA_PINNED));
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/* Pins @n pages of a MAP_SHARED file mapping; checks bias and release. */
static int pin_shared_file(int fd, char *p, size_t n, uint32_t flags)
{
	uint32_t base[16];
	uint64_t h;
	int ret;

	if (baseline(fd, p, n, base))
		return FAIL;
	ret = do_pin(fd, p, n, flags, 0, NULL, &h);
	if (ret) {
		diag("PIN flags %#x: %s", flags, strerror(-ret));
		return FAIL;
	}
	if (expect_pages(fd, p, n, base, PIN_BIAS, true))
		return FAIL;
	if (do_unpin(fd, h, NULL) || expect_pages(fd, p, n, base, 0, false))
		return FAIL;
	return PASS;
}

int test_shmem_memfd_pin(void)
{
	const size_t n = 16;
	struct pinctl_page pg;
	int fd = dev_open(), mfd = memfd_create("pinctl-test", MFD_CLOEXEC);
	char *p;

	CHECK(fd >= 0 && mfd >= 0);
	CHECK(ftruncate(mfd, n * psz) == 0);
	p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 5, n * psz);
	pg = query1(fd, p, 0);
	diag("memfd page refcount %u mapcount %u flags %#x", pg.refcount,
	     pg.mapcount, pg.flags);
	CHECK((pg.flags & PINCTL_PAGE_PRESENT) &&
	      !(pg.flags & PINCTL_PAGE_ANON));
	CHECK(pin_shared_file(fd, p, n, PINCTL_PIN_WRITE |
			      PINCTL_PIN_LONGTERM) == PASS);
	CHECK(pin_shared_file(fd, p, n, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
			      PINCTL_PIN_FAST) == PASS);
	CHECK(pin_shared_file(fd, p, n, 0) == PASS);
	close(fd);
	return PASS;
}

/* A file of @pages pages in @dir, mapped MAP_SHARED and written. */
static char *map_file(const char *dir, size_t pages, int mapflags, int *pfd)
{
	char path[256];
	char *p;
	int f;

	snprintf(path, sizeof(path), "%s/pinctl-test.%d", dir, getpid());
	f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f < 0)
		return NULL;
	unlink(path);
	if (ftruncate(f, pages * psz))
		return NULL;
	p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, mapflags, f, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 9, pages * psz);
	if (pfd)
		*pfd = f;
	return p;
}

static bool have_ext_fs(void)
{
	struct statfs sf;

	return !statfs(ext_dir, &sf) && sf.f_type == EXT4_SUPER_MAGIC;
}

int test_tmpfs_file_pin(void)
{
	char *p = map_file("/tmp", 8, MAP_SHARED, NULL);
	struct statfs sf;
	int fd = dev_open();

	CHECK(fd >= 0 && p);
	CHECK(statfs("/tmp", &sf) == 0);
	SKIP_IF(sf.f_type != TMPFS_MAGIC, "/tmp is not tmpfs");
	/* shmem needs no dirty tracking: long-term write pins are allowed. */
	CHECK(pin_shared_file(fd, p, 8, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
			      PINCTL_PIN_FAST) == PASS);
	CHECK(pin_shared_file(fd, p, 8, PINCTL_PIN_WRITE |
			      PINCTL_PIN_LONGTERM) == PASS);
	close(fd);
	return PASS;
}

int test_ext_file_pin(void)
{
	char *sh, *priv;
	uint32_t base[4];
	uint64_t h;
	int fd = dev_open();

	CHECK(fd >= 0);
	SKIP_IF(!have_ext_fs(), "no ext2/3/4 file system at %s", ext_dir);
	sh = map_file(ext_dir, 4, MAP_SHARED, NULL);
	priv = map_file(ext_dir, 4, MAP_PRIVATE, NULL);
	CHECK(sh && priv);
	/* Short-term and read-only long-term pins of page cache are fine. */
	CHECK(pin_shared_file(fd, sh, 4, PINCTL_PIN_WRITE) == PASS);
	CHECK(pin_shared_file(fd, sh, 4, PINCTL_PIN_WRITE | PINCTL_PIN_FAST) ==
	      PASS);
	CHECK(pin_shared_file(fd, sh, 4, PINCTL_PIN_LONGTERM) == PASS);
	/* A private mapping pins its anonymous COW copies. */
	CHECK(baseline(fd, priv, 4, base) == 0);
	CHECK(do_pin(fd, priv, 4, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, 0,
		     NULL, &h) == 0);
	CHECK(expect_pages(fd, priv, 4, base, PIN_BIAS, true) == PASS);
	CHECK(query1(fd, priv, 0).flags & PINCTL_PAGE_ANON);
	CHECK(do_unpin(fd, h, NULL) == 0);
	close(fd);
	return PASS;
}

int test_ext_file_longterm_write_refused(void)
{
	static const uint32_t variants[] = {
		PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM,
		PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
	};
	char *sh;
	int fd = dev_open();

	CHECK(fd >= 0);
	SKIP_IF(!have_ext_fs(), "no ext2/3/4 file system at %s", ext_dir);
	sh = map_file(ext_dir, 4, MAP_SHARED, NULL);
	CHECK(sh);
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		uint64_t h;
		int r = do_pin(fd, sh, 4, variants[i], 0, NULL, &h);

		if (kernel_at_least(6, 5)) {
			diag("%d.%d: FOLL_LONGTERM|FOLL_WRITE on a shared ext file mapping (flags %#x): %s",
			     kver_major, kver_minor, variants[i],
			     r ? strerror(-r) : "pinned");
			CHECKF(r == -EFAULT, "flags %#x: %s (want EFAULT)",
			       variants[i], strerror(-r));
		} else {
			/* 6.1 predates the check: the pin is taken. */
			diag("%d.%d: FOLL_LONGTERM|FOLL_WRITE on a shared ext file mapping (flags %#x): %s",
			     kver_major, kver_minor, variants[i],
			     r ? strerror(-r) : "pinned (no refusal before 6.5)");
			CHECK(r == 0 || r == -EFAULT);
			if (!r)
				CHECK(do_unpin(fd, h, NULL) == 0);
		}
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_dma_pinned_flag_set_and_cleared(void)
{
	char *p;
	struct pinctl_page pg[3];
	uint64_t h1, h2;
	int fd;

	fd = open_with_pages(3, &p);
	CHECK(fd >= 0);
	CHECK(do_pin(fd, p + psz, 1, 0, 0, NULL, &h1) == 0);
	CHECK(do_pin(fd, p + psz, 1, PINCTL_PIN_FAST, 0, NULL, &h2) == 0);
	CHECK(do_query(fd, p, 3, pg, 0) == 0);
	CHECK(!(pg[0].flags & PINCTL_PAGE_DMA_PINNED));
	CHECK(pg[1].flags & PINCTL_PAGE_DMA_PINNED);
	CHECK(pg[1].refcount == 1 + 2 * PIN_BIAS);
	CHECK(!(pg[2].flags & PINCTL_PAGE_DMA_PINNED));
	CHECK(do_unpin(fd, h1, NULL) == 0);
	CHECK(do_query(fd, p, 3, pg, 0) == 0);
	CHECK((pg[1].flags & PINCTL_PAGE_DMA_PINNED) &&
	      pg[1].refcount == 1 + PIN_BIAS);
	CHECK(do_unpin(fd, h2, NULL) == 0);
	CHECK(do_query(fd, p, 3, pg, 0) == 0);
	CHECK(!(pg[1].flags & PINCTL_PAGE_DMA_PINNED) && pg[1].refcount == 1);
	close(fd);
	return PASS;
}

int test_pinned_page_refuses_soft_offline(void)
{
	char *p = map_small(1), *m = map_small(1);
	uint64_t before, after;
	int fd = dev_open(), r;

	CHECK(p && m && fd >= 0);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE, 0, NULL,
		     NULL) == 0);
	before = pm_pfn(pagemap_entry(0, p));
	r = madvise(p, psz, MADV_SOFT_OFFLINE);
	SKIP_IF(r && (errno == EINVAL || errno == ENOSYS),
		"MADV_SOFT_OFFLINE unsupported (%s)", strerror(errno));
	CHECKF(r == -1 && errno == EBUSY, "pinned page: madvise %d %s", r,
	       strerror(errno));
	CHECK(pm_pfn(pagemap_entry(0, p)) == before);
	CHECK(query1(fd, p, 0).refcount == 1 + PIN_BIAS);

	/* mlock does not stop migration: the mlocked page moves. */
	CHECK(mlock(m, psz) == 0);
	before = pm_pfn(pagemap_entry(0, m));
	CHECKF(madvise(m, psz, MADV_SOFT_OFFLINE) == 0, "mlocked page: %s",
	       strerror(errno));
	after = pm_pfn(pagemap_entry(0, m));
	diag("mlocked page pfn %#llx -> %#llx", (unsigned long long)before,
	     (unsigned long long)after);
	CHECK(after && after != before);
	close(fd);
	return PASS;
}

int test_pinned_page_refuses_collapse(void)
{
	struct pinctl_page pg;
	uint64_t before, h;
	char *p, *m;
	int fd, r;

	/* Debian's 6.1 PREEMPT_RT flavour is built without THP (MADV_*HUGEPAGE: EINVAL). */
	SKIP_IF(access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0,
		"no THP in this kernel: nothing to collapse");
	p = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	m = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fd = dev_open();
	CHECK(p && m && fd >= 0);
	/* Small pages first, then let the range be collapsed. */
	CHECK(madvise(p, HPAGE, MADV_NOHUGEPAGE) == 0);
	CHECK(madvise(m, HPAGE, MADV_NOHUGEPAGE) == 0);
	memset(p, 1, HPAGE);
	memset(m, 1, HPAGE);
	CHECK(madvise(p, HPAGE, MADV_HUGEPAGE) == 0);
	CHECK(madvise(m, HPAGE, MADV_HUGEPAGE) == 0);
	CHECK(query1(fd, p, 0).order == 0);

	CHECK(do_pin(fd, p + 100 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL, &h) ==
	      0);
	before = pm_pfn(pagemap_entry(0, p));
	r = madvise(p, HPAGE, MADV_COLLAPSE);
	SKIP_IF(r && errno == EINVAL, "MADV_COLLAPSE unsupported");
	CHECKF(r == -1 && errno == EAGAIN, "pinned range: madvise %d %s", r,
	       strerror(errno));
	CHECK(pm_pfn(pagemap_entry(0, p)) == before);
	CHECK(query1(fd, p + 100 * psz, 0).refcount == 1 + PIN_BIAS);
	CHECK(do_unpin(fd, h, NULL) == 0);

	/* The mlocked range collapses: new PFNs in one large folio. */
	CHECK(mlock(m, HPAGE) == 0);
	before = pm_pfn(pagemap_entry(0, m));
	CHECKF(madvise(m, HPAGE, MADV_COLLAPSE) == 0, "mlocked range: %s",
	       strerror(errno));
	pg = query1(fd, m, 0);
	diag("mlocked range pfn %#llx -> %#llx, order %u",
	     (unsigned long long)before, (unsigned long long)pg.pfn, pg.order);
	CHECK(pg.pfn != before && pg.order == 9);
	close(fd);
	return PASS;
}

static int movable_block = -1;

/* Offlines a memory block and onlines it as ZONE_MOVABLE; its number. */
static int make_movable_block(void)
{
	char path[128];
	int last = -1;

	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), MEM_SYS "memory%d", i);
		if (!access(path, F_OK))
			last = i;
	}
	for (int i = last; i >= 0 && i > last - 8; i--) {
		int fd;

		snprintf(path, sizeof(path), MEM_SYS "memory%d/state", i);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, "offline", 7) != 7) {
			close(fd);
			continue;
		}
		if (write(fd, "online_movable", 14) == 14) {
			close(fd);
			return i;
		}
		(void)!write(fd, "online", 6);
		close(fd);
	}
	return -1;
}

void save_hugepages_movable(void)
{
	save_hugepages();
	unlink("/tmp/pinctl-movable-block");
}

/* The test's process reports the block it onlined through a file. */
void restore_hugepages_movable(void)
{
	char path[128];
	int fd;

	restore_hugepages();
	movable_block = read_long_file("/tmp/pinctl-movable-block");
	unlink("/tmp/pinctl-movable-block");
	if (movable_block < 0)
		return;
	snprintf(path, sizeof(path), MEM_SYS "memory%d/state", movable_block);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "offline", 7) == 7)
		(void)!write(fd, "online_kernel", 13);
	close(fd);
}

/*
 * Before 6.6 follow_hugetlb_page() WARNs on a FOLL_LONGTERM pin of a
 * hugetlb page that is not long-term pinnable: the module refuses it
 * (EOPNOTSUPP) before GUP sees it, fast and not, local and remote; a
 * short-term pin still works. Later kernels migrate the page (or refuse);
 * either way nothing WARNs (test_dmesg_clean).
 */
int test_hugetlb_in_zone_movable_longterm_refused_before_6_6(void)
{
	static const uint32_t lt[] = {
		PINCTL_PIN_LONGTERM, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
		PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
		PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
	};
	unsigned long bs, lo, hi;
	struct pinctl_page pg;
	int fd = dev_open(), self = mem_open(0), r;
	uint64_t h;
	char *p, buf[32] = { 0 };

	CHECK(fd >= 0 && self > 0);
	{
		int bfd = open(MEM_SYS "block_size_bytes", O_RDONLY);

		SKIP_IF(bfd < 0, "no memory hot-plug here (%s)", MEM_SYS);
		CHECK(read(bfd, buf, sizeof(buf) - 1) > 0);
		close(bfd);
		bs = strtoul(buf, NULL, 16);
	}
	movable_block = make_movable_block();
	/* The runner's cleanup needs the number: tell it through a file. */
	SKIP_IF(movable_block < 0,
		"no memory block could be onlined as ZONE_MOVABLE");
	{
		int nfd = open("/tmp/pinctl-movable-block",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (nfd >= 0) {
			dprintf(nfd, "%d\n", movable_block);
			close(nfd);
		}
	}
	lo = movable_block * bs / psz;
	hi = lo + bs / psz;
	write_long_file("/proc/sys/vm/nr_hugepages",
			read_long_file("/proc/sys/vm/nr_hugepages") + 4);
	p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	SKIP_IF(p == MAP_FAILED, "no hugetlb page (%s)", strerror(errno));
	memset(p, 1, HPAGE);
	pg = query1(fd, p, 0);
	diag("memory%d onlined movable: pfns %#lx-%#lx; hugetlb page at pfn %#llx",
	     movable_block, lo, hi, (unsigned long long)pg.pfn);
	SKIP_IF(pg.pfn < lo || pg.pfn >= hi,
		"the hugetlb page was not allocated in the movable block");
	for (size_t i = 0; i < ARRAY_SIZE(lt); i++) {
		r = do_pin(fd, p, 4, lt[i],
			   (lt[i] & PINCTL_PIN_REMOTE) ? self : 0, NULL, &h);
		if (!kernel_at_least(6, 6)) {
			diag("%d.%d: LONGTERM flags %#x of a hugetlb page in ZONE_MOVABLE: %s",
			     kver_major, kver_minor, lt[i],
			     r ? strerror(-r) : "pinned");
			CHECKF(r == -EOPNOTSUPP, "flags %#x: %s (want EOPNOTSUPP)",
			       lt[i], strerror(-r));
			pg = query1(fd, p, 0);
			CHECK(!(pg.flags & PINCTL_PAGE_DMA_PINNED));
		} else {
			diag("%d.%d: LONGTERM flags %#x of a hugetlb page in ZONE_MOVABLE: %s",
			     kver_major, kver_minor, lt[i],
			     r ? strerror(-r) : "pinned");
			if (!r)
				CHECK(do_unpin(fd, h, NULL) == 0);
		}
	}
	/* Short-term (root): no FOLL_LONGTERM, no question. */
	CHECK(do_pin(fd, p, 4, PINCTL_PIN_WRITE, 0, NULL, &h) == 0);
	CHECK(do_unpin(fd, h, NULL) == 0);
	munmap(p, HPAGE);
	close(fd);
	return PASS;
}

/* The start of this process's [stack] VMA, or 0. */
static uintptr_t stack_vma_start(void)
{
	char line[512];
	uintptr_t lo = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]")) {
			lo = strtoull(line, NULL, 16);
			break;
		}
	fclose(f);
	return lo;
}

/*
 * From 6.5 GUP asked for an address just below a stack logs "GUP no longer
 * grows the stack" with a stack dump; 6.1 grew the stack. The module refuses
 * such a range (EFAULT) on both, before GUP, and the stack stays as it was.
 */
int test_below_stack_refused_without_stack_dump(void)
{
	static const uint32_t flags[] = {
		PINCTL_PIN_LONGTERM, PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
		PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
	};
	int fd = dev_open(), self = mem_open(0), kfd, bad;
	uintptr_t s0 = stack_vma_start();
	char *below = (char *)(s0 - psz);

	CHECK(fd >= 0 && self > 0 && s0);
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(kfd >= 0);
	lseek(kfd, 0, SEEK_END);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		int mfd = (flags[i] & PINCTL_PIN_REMOTE) ? self : 0;

		CHECKF(do_pin(fd, below, 1, flags[i], mfd, NULL, NULL) == -EFAULT,
		       "flags %#x", flags[i]);
		/* Reaching up into the stack from below it, too. */
		CHECKF(do_pin(fd, below - psz, 4, flags[i], mfd, NULL, NULL) ==
		       -EFAULT, "flags %#x, into the stack", flags[i]);
	}
	{
		struct pinctl_bench b = { .addr = (uintptr_t)below,
					  .nr_pages = 1, .iterations = 1 };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EFAULT);
	}
	CHECKF(stack_vma_start() == s0, "[stack] grew from %#lx to %#lx",
	       (unsigned long)s0, (unsigned long)stack_vma_start());
	bad = kmsg_bad_lines(kfd);
	close(kfd);
	CHECKF(bad == 0, "%d suspicious kernel log lines", bad);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * The refcount delta one PIN (or GET) of the pages in @pg adds to page @k:
 * a large folio gains 1 per pinned page in it, a small page the pin bias.
 */
static uint32_t expected_delta(const struct pinctl_page *pg, size_t n,
			       size_t k, bool get)
{
	uint32_t same = 0;

	if (!pg[k].order)
		return get ? 1 : PIN_BIAS;
	for (size_t j = 0; j < n; j++)
		if (pg[j].order == pg[k].order &&
		    pg[j].pfn >> pg[k].order == pg[k].pfn >> pg[k].order)
			same++;
	return same;
}

/*
 * A THP's subpages mapped out of order (mremap), with a small page among
 * them: PIN must report each address's own PFN, and UNPIN must give back
 * exactly what it took from each folio (the module folds pages into
 * physically contiguous runs; a wrong fold would over- or under-release).
 */
int test_reordered_thp_subpages_released_exactly(void)
{
	/* q[k] gets THP subpage order[k]; -1: a separate small page. */
	static const int order[] = { 5, 3, 4, -1, 6, 7, 2 };
	const size_t n = ARRAY_SIZE(order);
	struct pinctl_page pg[ARRAY_SIZE(order)], after[ARRAY_SIZE(order)];
	uint64_t pfns[ARRAY_SIZE(order)], h;
	char *p = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	char *x = map_small(1);
	char *q = mmap(NULL, n * psz, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint32_t base[ARRAY_SIZE(order)];
	int fd = dev_open();

	CHECK(p && x && q != MAP_FAILED && fd >= 0);
	madvise(p, HPAGE, MADV_HUGEPAGE);
	memset(p, 7, HPAGE);
	CHECK(do_query(fd, p, 1, pg, 0) == 0);
	SKIP_IF(pg[0].order != 9, "no THP here (order %u flags %#x)",
		pg[0].order, pg[0].flags);
	for (size_t k = 0; k < n; k++) {
		char *src = order[k] < 0 ? x : p + order[k] * psz;

		CHECKF(mremap(src, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED,
			      q + k * psz) == q + k * psz,
		       "mremap of page %zu: %s", k, strerror(errno));
	}

	for (int get = 0; get <= 1; get++) {
		uint32_t flags = get ? PINCTL_PIN_GET :
				       PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE;

		for (int fast = 0; fast <= 1; fast++) {
			CHECK(baseline(fd, q, n, base) == 0);
			memset(pfns, 0, sizeof(pfns));
			CHECK(do_pin(fd, q, n,
				     flags | (fast ? PINCTL_PIN_FAST : 0), 0,
				     pfns, &h) == 0);
			CHECK(do_query(fd, q, n, pg, 0) == 0);
			for (size_t k = 0; k < n; k++) {
				uint64_t e = pagemap_entry(0, q + k * psz);
				uint32_t want = base[k] +
						expected_delta(pg, n, k, get);

				CHECKF(pm_present(e) && pm_pfn(e) == pfns[k],
				       "page %zu: PIN pfn %#llx, pagemap %#llx",
				       k, (unsigned long long)pfns[k],
				       (unsigned long long)e);
				CHECKF(pg[k].refcount == want,
				       "%s%s: page %zu (order %u): refcount %u, want %u",
				       get ? "GET" : "PIN", fast ? " fast" : "",
				       k, pg[k].order, pg[k].refcount, want);
			}
			CHECK(do_unpin(fd, h, NULL) == 0);
			CHECK(do_query(fd, q, n, after, 0) == 0);
			for (size_t k = 0; k < n; k++)
				CHECKF(after[k].refcount == base[k] &&
				       !(after[k].flags &
					 PINCTL_PAGE_DMA_PINNED),
				       "after UNPIN: page %zu refcount %u, want %u, flags %#x",
				       k, after[k].refcount, base[k],
				       after[k].flags);
		}
	}
	diag("subpages %d %d %d, small, %d %d %d: pfns %#llx %#llx %#llx %#llx %#llx %#llx %#llx",
	     order[0], order[1], order[2], order[4], order[5], order[6],
	     (unsigned long long)pfns[0], (unsigned long long)pfns[1],
	     (unsigned long long)pfns[2], (unsigned long long)pfns[3],
	     (unsigned long long)pfns[4], (unsigned long long)pfns[5],
	     (unsigned long long)pfns[6]);
	close(fd);
	return PASS;
}
