// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl_test.c - the VM suite of the pinctl kernel helper (/dev/pinctl).
 *
 * Runs as root with pinctl.ko loaded and reports in kselftest's TAP: each
 * test in its own forked process (and process group) under alarm(), a
 * totals line, exit status 0 only when nothing failed.
 *
 *   pinctl_test [PATH/TO/pinctl.ko]
 *
 * The .ko path lets the last test unload and reload the module. An ext2/3/4
 * file system mounted at $PINCTL_TEST_EXT_DIR (default /mnt/ext) enables the
 * file-backed tests that need a file system with writeback; tmpfs has none.
 * PINCTL_FUZZ_SEED fixes the fuzzer's seed.
 *
 * Built statically by scripts/vm-test.sh: gcc -static -I KernelHelper/include.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pinctl/pinctl_ioctl.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

#define PIN_BIAS 1024		/* GUP_PIN_COUNTING_BIAS */
#define NOBODY 65534
#define HPAGE (2UL << 20)

enum { PASS = 0, FAIL = 1, SKIP = 2 };

static const char *dev_path = "/dev/pinctl";
static const char *ko_path;
static const char *ext_dir = "/mnt/ext";
static long psz;
static int kver_major, kver_minor;
static char skip_reason_buf[256];
/* Shared with each test's process so that a skip can say why. */
static char *skip_reason;
static int kmsg_fd = -1;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			diag("%s:%d: check failed: %s (errno %d %s)",	\
			     __func__, __LINE__, #cond, errno,		\
			     strerror(errno));				\
			return FAIL;					\
		}							\
	} while (0)

#define CHECKF(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			diag("%s:%d: check failed: %s: " fmt, __func__,	\
			     __LINE__, #cond, ##__VA_ARGS__);		\
			return FAIL;					\
		}							\
	} while (0)

#define SKIP_IF(cond, fmt, ...)						\
	do {								\
		if (cond) {						\
			snprintf(skip_reason, 256, fmt, ##__VA_ARGS__);	\
			return SKIP;					\
		}							\
	} while (0)

static bool kernel_at_least(int major, int minor)
{
	return kver_major > major || (kver_major == major && kver_minor >= minor);
}

/* --- /dev/pinctl wrappers: 0 or -errno --------------------------------- */

static int dev_open(void)
{
	return open(dev_path, O_RDWR | O_CLOEXEC);
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int do_pin(int fd, void *addr, uint64_t n, uint32_t flags, int pid,
		  uint64_t *pfns, uint64_t *handle)
{
	struct pinctl_pin p = {
		.addr = (uintptr_t)addr, .nr_pages = n, .flags = flags,
		.pid = pid, .pfns = (uintptr_t)pfns,
	};
	int ret = xioctl(fd, PINCTL_IOC_PIN, &p);

	if (!ret && p.pinned != n) {
		diag("PIN returned pinned=%llu for %llu pages",
		     (unsigned long long)p.pinned, (unsigned long long)n);
		return -EPROTO;
	}
	if (handle)
		*handle = ret ? 0 : p.handle;
	return ret;
}

static int do_unpin(int fd, uint64_t handle, uint64_t *unpinned)
{
	struct pinctl_unpin u = { .handle = handle };
	int ret = xioctl(fd, PINCTL_IOC_UNPIN, &u);

	if (unpinned)
		*unpinned = u.unpinned;
	return ret;
}

static int do_unpin_all(int fd, uint64_t *unpinned)
{
	struct pinctl_unpin u = { .flags = PINCTL_UNPIN_ALL };
	int ret = xioctl(fd, PINCTL_IOC_UNPIN, &u);

	if (unpinned)
		*unpinned = u.unpinned;
	return ret;
}

static void lru_drain(void);

/* Drains this CPU's LRU batches first: see lru_drain(). */
static int do_query(int fd, void *addr, uint64_t n, struct pinctl_page *out,
		    int pid)
{
	struct pinctl_query q = {
		.addr = (uintptr_t)addr, .nr_pages = n,
		.pages = (uintptr_t)out, .pid = pid,
		.flags = pid ? PINCTL_PIN_REMOTE : 0,
	};

	lru_drain();
	return xioctl(fd, PINCTL_IOC_QUERY, &q);
}

/* One page's state; refcount -1 when the query itself failed. */
static struct pinctl_page query1(int fd, void *addr, int pid)
{
	struct pinctl_page pg = { 0 };

	if (do_query(fd, addr, 1, &pg, pid)) {
		diag("QUERY %p failed: %s", addr, strerror(errno));
		pg.refcount = UINT32_MAX;
	}
	return pg;
}

/* --- memory helpers ------------------------------------------------------ */

/* Small-page private anon memory, touched; THP is "always" on Debian. */
static char *map_small(size_t pages)
{
	char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * psz, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		p[i * psz] = (char)i + 1;
	return p;
}

/* A 2 MiB-aligned region of @size bytes (a multiple of 2 MiB). */
static char *map_aligned(size_t size, int flags, int fd)
{
	char *p = mmap(NULL, size + HPAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (mmap(a, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0) ==
	    MAP_FAILED)
		return NULL;
	return a;
}

static long status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid ? pid : getpid());
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long vmpin_kb(void)
{
	return status_kb(0, "VmPin");
}

/* pagemap entry of @addr in @pid (0: self); 0 on error. */
static uint64_t pagemap_entry(pid_t pid, void *addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid ? pid : getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / psz * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

static bool pm_present(uint64_t e)
{
	return e >> 63;
}

static uint64_t pm_pfn(uint64_t e)
{
	return e & ((1ULL << 55) - 1);
}

/*
 * Per-CPU LRU batches (new pages, activations, mlock) hold page references
 * until drained, and a QUERY reports them. MADV_COLD runs lru_add_drain() on
 * this CPU; the suite is bound to CPU 0, so that is every batch it fills.
 */
static void lru_drain(void)
{
	static char *page;

	if (!page) {
		page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			return;
		}
		page[0] = 1;
	}
	madvise(page, psz, MADV_COLD);
}

static long read_long_file(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static int write_long_file(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Drops to nobody, keeping the open fds; loses every capability. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

static int drop_effective_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Checks every page of [p, p+n) against an expected refcount delta. */
static int expect_pages(int fd, void *p, size_t n, const uint32_t *base,
			uint32_t delta, bool pinned)
{
	struct pinctl_page *pg = calloc(n, sizeof(*pg));
	int ret = PASS;

	if (!pg || do_query(fd, p, n, pg, 0)) {
		diag("QUERY failed: %s", strerror(errno));
		free(pg);
		return FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		bool dma = pg[i].flags & PINCTL_PAGE_DMA_PINNED;

		if (!(pg[i].flags & PINCTL_PAGE_PRESENT) ||
		    pg[i].refcount != base[i] + delta || dma != pinned) {
			diag("page %zu: refcount %u (want %u), flags %#x (dma-pinned want %d)",
			     i, pg[i].refcount, base[i] + delta, pg[i].flags,
			     pinned);
			ret = FAIL;
			break;
		}
	}
	free(pg);
	return ret;
}

static int baseline(int fd, void *p, size_t n, uint32_t *base)
{
	struct pinctl_page *pg = calloc(n, sizeof(*pg));

	if (!pg || do_query(fd, p, n, pg, 0)) {
		free(pg);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		base[i] = pg[i].refcount;
	free(pg);
	return 0;
}

/* --- tests --------------------------------------------------------------- */

static int test_version_fields(void)
{
	struct pinctl_version v;
	struct stat st;
	int fd;

	CHECK(stat(dev_path, &st) == 0);
	CHECKF(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "mode %o", st.st_mode);
	fd = dev_open();
	CHECK(fd >= 0);
	memset(&v, 0xff, sizeof(v));
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	diag("abi %u features %#llx max_pages_per_fd %llu max_handles_per_fd %llu",
	     v.abi_version, (unsigned long long)v.features,
	     (unsigned long long)v.max_pages_per_fd,
	     (unsigned long long)v.max_handles_per_fd);
	CHECK(v.abi_version == PINCTL_ABI_VERSION);
	CHECK(v.reserved0 == 0);
	CHECK(v.features == (PINCTL_FEAT_PIN | PINCTL_FEAT_REMOTE |
			     PINCTL_FEAT_QUERY | PINCTL_FEAT_BENCH |
			     PINCTL_FEAT_ACCOUNTING));
	CHECK(v.max_pages_per_fd >= 1 && v.max_handles_per_fd >= 1);
	for (size_t i = 0; i < ARRAY_SIZE(v.reserved); i++)
		CHECK(v.reserved[i] == 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, NULL) == -EFAULT);
	close(fd);
	return PASS;
}

static int test_pin_raises_refcount_by_bias(void)
{
	const size_t n = 8;
	uint32_t base[8];
	uint64_t h, un;
	char *p = map_small(n);
	int fd = dev_open();
	struct pinctl_page pg;

	CHECK(p && fd >= 0);
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

static int test_pin_unpin_anon_flag_matrix(void)
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
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(baseline(fd, p, n, base) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(combos); i++) {
		uint32_t f = combos[i];
		bool get = f & PINCTL_PIN_GET;
		int pid = (f & PINCTL_PIN_REMOTE) ? getpid() : 0;

		CHECKF(do_pin(fd, p, n, f, pid, NULL, &h) == 0,
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

static int test_invalid_flag_combinations_einval(void)
{
	char *p = map_small(1);
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_GET | PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_FAST, getpid(),
		     NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE, -5, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, 0, getpid(), NULL, NULL) == -EINVAL);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

static int test_pfns_match_pagemap(void)
{
	const size_t n = 16;
	uint64_t pfns[16];
	char *p = map_small(n);
	int fd = dev_open();

	CHECK(p && fd >= 0);
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

static int test_query_does_not_fault(void)
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

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int test_query_remote_does_not_fault(void)
{
	struct remote_child rc;
	struct pinctl_page pg[4];
	long free_before;
	int fd = dev_open(), ret = PASS;

	CHECK(fd >= 0);
	write_long_file("/proc/sys/vm/nr_hugepages", 1);
	CHECK(spawn_remote_child(&rc, true) == 0);
	/*
	 * A remote walk marks pages accessed; on the first walks that can
	 * queue an activation whose LRU-batch reference the answer includes.
	 * The third walk finds the pages active.
	 */
	for (int i = 0; i < 3; i++)
		CHECK(do_query(fd, rc.touched, 4, pg, rc.pid) == 0);
	for (int i = 0; i < 4 && ret == PASS; i++)
		if (!(pg[i].flags & PINCTL_PAGE_PRESENT) ||
		    pg[i].refcount != 1 ||
		    pg[i].pfn != pm_pfn(pagemap_entry(rc.pid,
						      rc.touched + i * psz))) {
			diag("touched page %d: flags %#x refcount %u", i,
			     pg[i].flags, pg[i].refcount);
			ret = FAIL;
		}
	CHECK(do_query(fd, rc.untouched, 4, pg, rc.pid) == 0);
	for (int i = 0; i < 4 && ret == PASS; i++)
		if (pg[i].flags ||
		    pm_present(pagemap_entry(rc.pid, rc.untouched + i * psz))) {
			diag("untouched page %d: flags %#x, or now present", i,
			     pg[i].flags);
			ret = FAIL;
		}
	if (rc.huge && ret == PASS) {
		free_before = meminfo_kb("HugePages_Free");
		CHECK(do_query(fd, rc.huge, 4, pg, rc.pid) == 0);
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

static int test_unpin_handles_and_all(void)
{
	char *p = map_small(8);
	uint64_t h[4], un;
	int fd = dev_open();

	CHECK(p && fd >= 0);
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

static int test_close_releases_pins(void)
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

static int test_sigkill_releases_pins(void)
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
		int fd = dev_open();

		/* Its own mapping of the shared pages; our private ones. */
		if (fd < 0 ||
		    do_pin(fd, shared, n, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
			   0, NULL, NULL) ||
		    do_pin(fd, mine, n, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
			   getppid(), NULL, NULL))
			_exit(1);
		if (write(sync_pipe[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync_pipe[1]);
	CHECK(read(sync_pipe[0], &c, 1) == 1);

	/* The child's pin, seen in the child (REMOTE) and here. */
	CHECK(do_query(qfd, shared, n, pg, pid) == 0);
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

static int test_rlimit_memlock_enforced(void)
{
	const size_t n = 32;
	struct rlimit rl = { 16 * psz, 16 * psz };
	uint64_t h;
	char *p = map_small(n);
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(become_nobody() == 0);
	CHECK(getuid() == NOBODY && geteuid() == NOBODY);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 16, PINCTL_PIN_WRITE, 0, NULL, &h) == 0);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_pin(fd, p + 16 * psz, 1, 0, 0, NULL, NULL) == -ENOMEM);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_GET, 0, NULL, NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 17, PINCTL_PIN_FAST, 0, NULL, NULL) == -ENOMEM);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p + 16 * psz, 16, PINCTL_PIN_FAST, 0, NULL, &h) == 0);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

static int test_cap_ipc_lock_bypasses_limit(void)
{
	const size_t n = 64;
	struct rlimit rl = { 16 * psz, 16 * psz };
	char *p = map_small(n);
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(do_pin(fd, p, 32, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(32 * psz / 1024));
	CHECK(drop_effective_cap(CAP_IPC_LOCK) == 0);
	CHECK(do_pin(fd, p + 32 * psz, 1, 0, 0, NULL, NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(32 * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

static int test_remote_needs_ptrace_rights(void)
{
	char *p = map_small(2);
	int fd = dev_open(), status;
	pid_t parent = getpid(), pid;

	CHECK(p && fd >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct pinctl_page pg;
		char *mine = map_small(1);
		int r1, r2, r3, r4;

		if (become_nobody())
			_exit(10);
		r1 = do_pin(fd, p, 1, PINCTL_PIN_REMOTE, parent, NULL, NULL);
		r2 = do_query(fd, p, 1, &pg, parent);
		r3 = do_pin(fd, mine, 1, PINCTL_PIN_REMOTE, getpid(), NULL,
			    NULL);
		r4 = do_pin(fd, mine, 1, PINCTL_PIN_REMOTE, 0x3ffffff, NULL,
			    NULL);
		if (r1 != -EPERM && r1 != -EACCES)
			_exit(11);
		if (r2 != -EPERM && r2 != -EACCES)
			_exit(12);
		if (r3)
			_exit(13);
		if (r4 != -ESRCH)
			_exit(14);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child status %#x (10 setuid, 11 PIN, 12 QUERY, 13 own pid, 14 ESRCH)",
	       status);
	CHECK(query1(fd, p, 0).refcount == 1);
	close(fd);
	return PASS;
}

static int test_unknown_command_enotty(void)
{
	char buf[256] = { 0 };
	int fd = dev_open();

	CHECK(fd >= 0);
	CHECK(xioctl(fd, _IO(PINCTL_IOC_MAGIC, 99), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOWR(PINCTL_IOC_MAGIC, 1, char[7]), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOR(PINCTL_IOC_MAGIC, 0, char[8]), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOWR(PINCTL_IOC_MAGIC, 5, struct pinctl_pin), buf) ==
	      -ENOTTY);
	CHECK(xioctl(fd, _IOWR('x', 1, struct pinctl_pin), buf) == -ENOTTY);
	CHECK(xioctl(fd, 0x5401 /* TCGETS */, buf) == -ENOTTY);
	close(fd);
	return PASS;
}

static int test_unknown_flags_einval(void)
{
	char *p = map_small(1);
	struct pinctl_page pg;
	int fd = dev_open();

	CHECK(p && fd >= 0);
	for (int bit = 5; bit < 32; bit++)
		CHECKF(do_pin(fd, p, 1, 1U << bit, 0, NULL, NULL) == -EINVAL,
		       "PIN flag bit %d", bit);
	for (int bit = 1; bit < 32; bit++) {
		struct pinctl_unpin u = { .flags = 1U << bit };

		CHECKF(xioctl(fd, PINCTL_IOC_UNPIN, &u) == -EINVAL,
		       "UNPIN flag bit %d", bit);
	}
	for (int bit = 0; bit < 32; bit++) {
		struct pinctl_query q = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.pages = (uintptr_t)&pg, .flags = 1U << bit,
			.pid = getpid(),
		};

		if (1U << bit == PINCTL_PIN_REMOTE)
			continue;
		CHECKF(xioctl(fd, PINCTL_IOC_QUERY, &q) == -EINVAL,
		       "QUERY flag bit %d", bit);
	}
	for (int bit = 4; bit < 32; bit++) {
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.flags = 1U << bit, .iterations = 1,
		};

		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL,
		       "BENCH flag bit %d", bit);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

static int test_reserved_nonzero_einval(void)
{
	char *p = map_small(1);
	struct pinctl_page pg;
	int fd = dev_open();

	CHECK(p && fd >= 0);
	for (int i = 0; i < 4; i++) {
		struct pinctl_pin pin = { .addr = (uintptr_t)p, .nr_pages = 1 };
		struct pinctl_query q = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.pages = (uintptr_t)&pg,
		};
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 1, .iterations = 1,
		};

		pin.reserved[i] = 1ULL << (i * 16);
		q.reserved[i] = 1;
		b.reserved[i] = 1ULL << 63;
		CHECKF(xioctl(fd, PINCTL_IOC_PIN, &pin) == -EINVAL, "PIN %d", i);
		CHECKF(xioctl(fd, PINCTL_IOC_QUERY, &q) == -EINVAL, "QUERY %d",
		       i);
		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL, "BENCH %d",
		       i);
	}
	for (int i = 0; i < 4; i++) {
		struct pinctl_unpin u = { .flags = PINCTL_UNPIN_ALL };

		if (i < 3)
			u.reserved[i] = 1;
		else
			u.reserved0 = 1;
		CHECKF(xioctl(fd, PINCTL_IOC_UNPIN, &u) == -EINVAL, "UNPIN %d",
		       i);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

static int test_bad_ranges_einval(void)
{
	char *p = map_small(2);
	struct pinctl_page pg[2];
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(do_pin(fd, p + 1, 1, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p + psz / 2, 1, PINCTL_PIN_FAST, 0, NULL, NULL) ==
	      -EINVAL);
	CHECK(do_pin(fd, p, 0, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, (void *)(uintptr_t)-psz, 2, 0, 0, NULL, NULL) ==
	      -EINVAL);
	CHECK(do_pin(fd, p, 1ULL << 52, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, UINT64_MAX, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, (void *)(uintptr_t)(UINT64_MAX & ~(uint64_t)(psz - 1)),
		     1, 0, 0, NULL, NULL) == -EINVAL);
	/* Kernel addresses are no overflow: GUP refuses them. */
	CHECK(do_pin(fd, (void *)0xffff888000000000UL, 1, 0, 0, NULL, NULL) ==
	      -EFAULT);
	CHECK(do_pin(fd, (void *)0xffff888000000000UL, 1, PINCTL_PIN_FAST, 0,
		     NULL, NULL) == -EFAULT);
	CHECK(do_query(fd, p + 8, 1, pg, 0) == -EINVAL);
	CHECK(do_query(fd, p, 0, pg, 0) == -EINVAL);
	CHECK(do_query(fd, p, (1 << 20) + 1, pg, 0) == -EINVAL);
	CHECK(do_query(fd, (void *)(uintptr_t)-psz, 2, pg, 0) == -EINVAL);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p + 1,
					  .nr_pages = 1, .iterations = 1 };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
		b.addr = (uintptr_t)-psz;
		b.nr_pages = 2;
		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

static int test_partial_pin_undone(void)
{
	const size_t n = 16;
	uint32_t base[16];
	char *p = map_small(n);
	int fd = dev_open();

	CHECK(p && fd >= 0);
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
		     getpid(), NULL, NULL) == -EFAULT);
	CHECK(expect_pages(fd, p, 12, base, 0, false) == PASS);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

#define PARAM_DIR "/sys/module/pinctl/parameters/"

static long saved_max_pages = -1, saved_max_handles = -1;

static int test_per_fd_limits_enforced(void)
{
	struct pinctl_version v;
	char *p = map_small(16);
	int fd, fd2;

	CHECK(p);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_fd", 8) == 0);
	CHECK(write_long_file(PARAM_DIR "max_handles_per_fd", 3) == 0);
	fd = dev_open();
	CHECK(fd >= 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.max_pages_per_fd == 8 && v.max_handles_per_fd == 3);
	CHECK(do_pin(fd, p, 9, 0, 0, NULL, NULL) == -ENOSPC);
	CHECK(do_pin(fd, p, 8, 0, 0, NULL, NULL) == 0);
	CHECK(do_pin(fd, p, 1, 0, 0, NULL, NULL) == -ENOSPC);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = 1,
					  .iterations = 1 };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -ENOSPC);
	}
	CHECK(do_unpin_all(fd, NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(do_pin(fd, p + i * psz, 1, PINCTL_PIN_GET, 0, NULL,
			     NULL) == 0);
	CHECK(do_pin(fd, p + 3 * psz, 1, 0, 0, NULL, NULL) == -ENOSPC);
	/* The budget is per file: another open file has its own. */
	fd2 = dev_open();
	CHECK(fd2 >= 0);
	CHECK(do_pin(fd2, p, 5, 0, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(8 * psz / 1024));
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(do_pin(fd, p, 8, PINCTL_PIN_FAST, 0, NULL, NULL) == 0);
	close(fd);
	close(fd2);
	CHECK(vmpin_kb() == 0);
	/* Values beyond the caps are clamped, 0 means 1. */
	CHECK(write_long_file(PARAM_DIR "max_pages_per_fd", 0) == 0);
	CHECK(write_long_file(PARAM_DIR "max_handles_per_fd", 1 << 30) == 0);
	fd = dev_open();
	CHECK(fd >= 0 && xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.max_pages_per_fd == 1 && v.max_handles_per_fd == 65536);
	close(fd);
	return PASS;
}

static void save_limits(void)
{
	saved_max_pages = read_long_file(PARAM_DIR "max_pages_per_fd");
	saved_max_handles = read_long_file(PARAM_DIR "max_handles_per_fd");
}

static void restore_limits(void)
{
	if (saved_max_pages > 0)
		write_long_file(PARAM_DIR "max_pages_per_fd", saved_max_pages);
	if (saved_max_handles > 0)
		write_long_file(PARAM_DIR "max_handles_per_fd",
				saved_max_handles);
}

static int test_thp_pin(void)
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

static long saved_nr_hugepages = -1;

static void save_hugepages(void)
{
	saved_nr_hugepages = read_long_file("/proc/sys/vm/nr_hugepages");
}

static void restore_hugepages(void)
{
	if (saved_nr_hugepages >= 0)
		write_long_file("/proc/sys/vm/nr_hugepages",
				saved_nr_hugepages);
}

static int test_hugetlb_pin(void)
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

static int test_shmem_memfd_pin(void)
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

static int test_tmpfs_file_pin(void)
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

static int test_ext_file_pin(void)
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

static int test_ext_file_longterm_write_refused(void)
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

static int test_dma_pinned_flag_set_and_cleared(void)
{
	char *p = map_small(3);
	struct pinctl_page pg[3];
	uint64_t h1, h2;
	int fd = dev_open();

	CHECK(p && fd >= 0);
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

static int test_pinned_page_refuses_soft_offline(void)
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

static int test_pinned_page_refuses_collapse(void)
{
	struct pinctl_page pg;
	uint64_t before, h;
	char *p = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	char *m = map_aligned(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int fd = dev_open(), r;

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

static int test_bench_sane(void)
{
	static const uint32_t variants[] = {
		PINCTL_PIN_FAST,
		PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
		0,
		PINCTL_PIN_LONGTERM,
		PINCTL_PIN_GET | PINCTL_PIN_FAST,
		PINCTL_PIN_GET,
	};
	const size_t n = 256;
	uint32_t base[256];
	char *p = map_small(n + 4);
	int fd = dev_open();

	CHECK(p && fd >= 0);
	CHECK(munmap(p + n * psz, 4 * psz) == 0);
	CHECK(baseline(fd, p, n, base) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = n,
			.flags = variants[i], .iterations = 16,
		};

		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == 0, "flags %#x: %s",
		       variants[i], strerror(errno));
		diag("BENCH flags %#x: %zu pages x %u: get %.1f us, put %.1f us per iteration",
		     variants[i], n, b.iterations, b.get_ns / 1e3 / 16,
		     b.put_ns / 1e3 / 16);
		CHECK(b.get_ns > 0 && b.put_ns > 0);
		CHECK(b.get_ns < 60ULL * 1000000000 &&
		      b.put_ns < 60ULL * 1000000000);
		CHECK(b.addr == (uintptr_t)p && b.nr_pages == n &&
		      b.iterations == 16);
		CHECK(expect_pages(fd, p, n, base, 0, false) == PASS);
		CHECK(vmpin_kb() == 0);
	}
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = n };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
		b.iterations = 1;
		b.flags = PINCTL_PIN_REMOTE;
		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
		b.flags = 0;
		b.addr = (uintptr_t)(p + n * psz) - psz;
		b.nr_pages = 4;	/* runs off the mapping: EFAULT, nothing held */
		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EFAULT);
	}
	CHECK(expect_pages(fd, p, n, base, 0, false) == PASS);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/* --- fuzz ---------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

static int test_fuzz_ioctls(void)
{
	const size_t npages = 64;
	const int max_iter = 60000, max_sec = 20;
	uint32_t base[64];
	char *buf = map_small(npages), *ro, *hole, *argbuf;
	uint64_t seed;
	const char *env = getenv("PINCTL_FUZZ_SEED");
	struct timespec t0, t;
	int fds[4], iter, counts[8] = { 0 }, cmd_ok[5] = { 0 };
	long errs[160] = { 0 };

	CHECK(buf);
	ro = mmap(NULL, 4 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		  0);
	hole = mmap(NULL, 4 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	/* Two pages: the argument may straddle into the PROT_NONE second. */
	argbuf = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED && hole != MAP_FAILED && argbuf != MAP_FAILED);
	CHECK(mprotect(argbuf + psz, psz, PROT_NONE) == 0);
	munmap(hole + psz, psz);	/* a real hole inside */
	CHECK(baseline(dev_open(), buf, npages, base) == 0);

	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^
		     ((uint64_t)getpid() << 32);
	rng_state = seed | 1;
	diag("fuzz seed %#llx (PINCTL_FUZZ_SEED)", (unsigned long long)seed);

	for (int i = 0; i < 4; i++) {
		fds[i] = dev_open();
		CHECK(fds[i] >= 0);
	}

	uint64_t addrs[] = {
		(uintptr_t)buf, (uintptr_t)buf + psz, (uintptr_t)buf + 17 * psz,
		(uintptr_t)buf + (npages - 1) * psz, (uintptr_t)buf + 3,
		(uintptr_t)ro, (uintptr_t)hole, (uintptr_t)hole + psz,
		(uintptr_t)argbuf + psz, 0, 4096, 0x10000,
		0x7ffffffff000ULL, 0x800000000000ULL, 0xffff800000000000ULL,
		0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xfffffffffffff000ULL, 0xffffffffffffffffULL,
	};
	uint64_t nrs[] = {
		0, 1, 1, 2, 3, 4, 8, 16, 63, 64, 65, 512, 4096, 1 << 20,
		(1 << 20) + 1, 1ULL << 32, 1ULL << 52, UINT64_MAX,
	};
	uint64_t ptrs[] = {
		0, 8, (uintptr_t)argbuf + psz - 8, (uintptr_t)hole,
		(uintptr_t)ro, 0xffff888000000000ULL, (uintptr_t)buf,
		(uintptr_t)buf + 32 * psz,
	};
	const unsigned long cmds[] = {
		PINCTL_IOC_VERSION, PINCTL_IOC_PIN, PINCTL_IOC_UNPIN,
		PINCTL_IOC_QUERY, PINCTL_IOC_BENCH,
	};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (iter = 0; iter < max_iter; iter++) {
		unsigned long cmd;
		uint64_t *w;
		size_t off;
		void *arg;
		int fd = fds[rnd() % 4], r, kind = rnd() % 100;

		if ((iter & 63) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec >= max_sec)
				break;
		}
		/* The argument sits at a random offset, often near the guard. */
		off = (rnd() % 2) ? psz - 8 * (rnd() % 20) : 8 * (rnd() % 64);
		if (off > (size_t)psz - 8)
			off = psz - 8;
		arg = argbuf + off;
		w = (uint64_t *)argbuf;
		for (size_t i = 0; i < (size_t)psz / 8; i++)
			w[i] = 0;

		if (kind < 70) {
			cmd = cmds[rnd() % ARRAY_SIZE(cmds)];
		} else if (kind < 85) {
			/* Our magic, random number, size and direction. */
			cmd = _IOC(rnd() % 4, PINCTL_IOC_MAGIC, rnd() % 8,
				   rnd() % 256);
		} else if (kind < 95) {
			cmd = _IOC(rnd() % 4, 'x', rnd() % 256, rnd() % 256);
		} else {
			cmd = 0x5401 + rnd() % 16; /* TCGETS and friends */
		}

		/* Fill the struct fields with interesting values. */
		uint64_t f[12];

		for (int i = 0; i < 12; i++)
			f[i] = 0;
		switch (_IOC_NR(cmd)) {
		case 1: {	/* pin */
			struct pinctl_pin *p = (void *)f;
			p->addr = pick(addrs, ARRAY_SIZE(addrs));
			p->nr_pages = rnd() % 4 ? rnd() % 20 :
				      pick(nrs, ARRAY_SIZE(nrs));
			p->pfns = rnd() % 2 ? 0 : pick(ptrs, ARRAY_SIZE(ptrs));
			p->flags = rnd() % 8 ? rnd() % 32 : (uint32_t)rnd();
			if (p->flags & PINCTL_PIN_REMOTE || rnd() % 16 == 0) {
				static const int pids[] = { 0, -1, 1, 2 };

				switch (rnd() % 4) {
				case 0: p->pid = getpid(); break;
				case 1: p->pid = getppid(); break;
				case 2: p->pid = pids[rnd() % 4]; break;
				default: p->pid = (int)rnd(); break;
				}
			}
			if (rnd() % 20 == 0)
				p->reserved[rnd() % 4] = rnd();
			break;
		}
		case 2: {	/* unpin */
			struct pinctl_unpin *u = (void *)f;
			u->handle = rnd() % 4 ? rnd() % 64 : rnd();
			u->flags = rnd() % 4 ? 0 : (rnd() % 4 ? 1 : rnd());
			if (u->flags == PINCTL_UNPIN_ALL && rnd() % 2)
				u->handle = 0;
			if (rnd() % 20 == 0)
				u->reserved0 = rnd();
			break;
		}
		case 3: {	/* query */
			struct pinctl_query *q = (void *)f;
			q->addr = pick(addrs, ARRAY_SIZE(addrs));
			q->nr_pages = rnd() % 4 ? rnd() % 80 :
				      pick(nrs, ARRAY_SIZE(nrs));
			q->pages = rnd() % 4 ? (uintptr_t)buf + 40 * psz :
				   pick(ptrs, ARRAY_SIZE(ptrs));
			q->flags = rnd() % 8 ? rnd() % 2 * PINCTL_PIN_REMOTE :
				   (uint32_t)rnd();
			if (q->flags & PINCTL_PIN_REMOTE)
				q->pid = rnd() % 2 ? getpid() :
					 (rnd() % 2 ? 1 : (int)rnd());
			if (rnd() % 20 == 0)
				q->reserved[rnd() % 4] = rnd();
			break;
		}
		case 4: {	/* bench */
			struct pinctl_bench *b = (void *)f;
			b->addr = pick(addrs, ARRAY_SIZE(addrs));
			b->nr_pages = rnd() % 4 ? rnd() % 20 :
				      pick(nrs, ARRAY_SIZE(nrs));
			b->flags = rnd() % 8 ? rnd() % 32 : (uint32_t)rnd();
			b->iterations = rnd() % 8 ? rnd() % 4 :
					(uint32_t)rnd() % 64;
			if (rnd() % 20 == 0)
				b->reserved[rnd() % 4] = rnd();
			break;
		}
		default:
			for (int i = 0; i < 12; i++)
				f[i] = rnd();
			break;
		}
		memcpy(arg, f, psz - off < sizeof(f) ? psz - off : sizeof(f));

		switch (rnd() % 20) {
		case 0: arg = NULL; break;
		case 1: arg = hole; break;
		case 2: arg = (void *)0xffff888000000000UL; break;
		case 3: arg = ro; break;
		default: break;
		}

		r = ioctl(fd, cmd, arg);
		counts[r == 0 ? 0 : 1]++;
		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
			if (!r && cmd == cmds[i])
				cmd_ok[i]++;
		if (r && errno < 160)
			errs[errno]++;

		/* Now and then drop a file with whatever it holds. */
		if (rnd() % 500 == 0) {
			int i = rnd() % 4;

			close(fds[i]);
			fds[i] = dev_open();
			CHECK(fds[i] >= 0);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	diag("fuzz: %d ioctls in %lds: %d ok, %d failed (EINVAL %ld, EFAULT %ld, ENOTTY %ld, ENOENT %ld, ENOSPC %ld, ESRCH %ld, EPERM %ld, ENOMEM %ld)",
	     iter, (long)(t.tv_sec - t0.tv_sec), counts[0], counts[1],
	     errs[EINVAL], errs[EFAULT], errs[ENOTTY], errs[ENOENT],
	     errs[ENOSPC], errs[ESRCH], errs[EPERM], errs[ENOMEM]);
	diag("fuzz: succeeded: VERSION %d, PIN %d, UNPIN %d, QUERY %d, BENCH %d",
	     cmd_ok[0], cmd_ok[1], cmd_ok[2], cmd_ok[3], cmd_ok[4]);
	CHECK(iter >= 1000);
	CHECK(cmd_ok[1] > 0 && cmd_ok[2] > 0 && cmd_ok[3] > 0);
	CHECK(counts[0] > 0 && counts[1] > 0);

	for (int i = 0; i < 4; i++)
		close(fds[i]);
	CHECKF(vmpin_kb() == 0, "VmPin %ld kB after closing", vmpin_kb());
	{
		int fd = dev_open();

		CHECK(fd >= 0);
		CHECK(expect_pages(fd, buf, npages, base, 0, false) == PASS);
		close(fd);
	}
	return PASS;
}

/* --- the kernel log -------------------------------------------------------- */

static int test_dmesg_clean(void)
{
	static const char *const bad[] = {
		"BUG", "WARNING:", "Oops", "general protection fault",
		"Call Trace", "UBSAN", "KASAN", "Bad page", "refcount_t:",
		"list_add corruption", "list_del corruption",
	};
	char rec[8192];
	int bad_lines = 0, lines = 0;
	ssize_t n;

	SKIP_IF(kmsg_fd < 0, "cannot read /dev/kmsg");
	while ((n = read(kmsg_fd, rec, sizeof(rec) - 1)) != 0) {
		char *msg;

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records */
				continue;
			break;
		}
		rec[n] = 0;
		lines++;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg = strtok(msg, "\n");
		if (!msg)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(msg, bad[i])) {
				bad_lines++;
				diag("  suspicious: %s", msg);
				msg = NULL;
				break;
			}
		if (msg && lines <= 40)
			diag("  %s", msg);
	}
	diag("%d kernel log records since the suite started", lines);
	CHECKF(bad_lines == 0, "%d suspicious kernel log lines", bad_lines);
	return PASS;
}

/* --- load and unload -------------------------------------------------------- */

static int test_module_unload_and_reload(void)
{
	struct stat st;
	int kfd, fd;

	SKIP_IF(access("/sys/module/pinctl", F_OK), "pinctl is not a module here");
	/* Busy while a file is open. */
	fd = dev_open();
	CHECK(fd >= 0);
	CHECK(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == -1 &&
	      errno == EWOULDBLOCK);
	close(fd);
	CHECKF(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == 0,
	       "rmmod: %s", strerror(errno));
	CHECK(access("/sys/module/pinctl", F_OK) == -1);
	for (int i = 0; i < 100 && stat(dev_path, &st) == 0; i++)
		usleep(10000);
	CHECK(stat(dev_path, &st) == -1 && errno == ENOENT);
	SKIP_IF(!ko_path, "unloaded; no .ko path given to reload it");
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	CHECK(kfd >= 0);
	CHECKF(syscall(SYS_finit_module, kfd, "", 0) == 0, "insmod: %s",
	       strerror(errno));
	close(kfd);
	for (int i = 0; i < 100 && stat(dev_path, &st) != 0; i++)
		usleep(10000);
	fd = dev_open();
	CHECK(fd >= 0);
	{
		struct pinctl_version v;

		CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
		CHECK(v.abi_version == PINCTL_ABI_VERSION);
	}
	{
		/* A pin still held at close of the last file: unload works. */
		char *p = map_small(2);

		CHECK(p && do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, NULL,
				  NULL) == 0);
	}
	close(fd);
	CHECKF(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == 0,
	       "second rmmod: %s", strerror(errno));
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	CHECK(kfd >= 0 && syscall(SYS_finit_module, kfd, "", 0) == 0);
	close(kfd);
	return PASS;
}

/* --- runner ------------------------------------------------------------------ */

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
static int test_reordered_thp_subpages_released_exactly(void)
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

struct test {
	const char *name;
	int (*fn)(void);
	unsigned int timeout;
	void (*setup)(void);	/* in the runner, before the fork */
	void (*cleanup)(void);	/* in the runner, after the test */
};

#define T(name, t) { #name, test_##name, t, NULL, NULL }

static const struct test tests[] = {
	T(version_fields, 10),
	T(pin_raises_refcount_by_bias, 10),
	T(pin_unpin_anon_flag_matrix, 20),
	T(invalid_flag_combinations_einval, 10),
	T(dma_pinned_flag_set_and_cleared, 10),
	T(pfns_match_pagemap, 10),
	T(query_does_not_fault, 10),
	{ "query_remote_does_not_fault", test_query_remote_does_not_fault, 20,
	  save_hugepages, restore_hugepages },
	T(unpin_handles_and_all, 10),
	T(close_releases_pins, 10),
	T(sigkill_releases_pins, 20),
	T(rlimit_memlock_enforced, 10),
	T(cap_ipc_lock_bypasses_limit, 10),
	T(remote_needs_ptrace_rights, 10),
	T(unknown_command_enotty, 10),
	T(unknown_flags_einval, 10),
	T(reserved_nonzero_einval, 10),
	T(bad_ranges_einval, 10),
	T(partial_pin_undone, 10),
	{ "per_fd_limits_enforced", test_per_fd_limits_enforced, 10,
	  save_limits, restore_limits },
	T(thp_pin, 30),
	T(reordered_thp_subpages_released_exactly, 30),
	{ "hugetlb_pin", test_hugetlb_pin, 30, save_hugepages,
	  restore_hugepages },
	T(shmem_memfd_pin, 10),
	T(tmpfs_file_pin, 10),
	T(ext_file_pin, 20),
	T(ext_file_longterm_write_refused, 20),
	T(pinned_page_refuses_soft_offline, 30),
	T(pinned_page_refuses_collapse, 60),
	T(bench_sane, 60),
	T(fuzz_ioctls, 90),
	T(dmesg_clean, 10),
	T(module_unload_and_reload, 30),
};

static void parse_kernel_version(void)
{
	struct utsname u;

	if (!uname(&u))
		sscanf(u.release, "%d.%d", &kver_major, &kver_minor);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	{
		/* One CPU's LRU batches to drain: see lru_drain(). */
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	lru_drain();	/* maps its page now, not into a test's hole */
	if (argc > 1)
		ko_path = argv[1];
	if (getenv("PINCTL_TEST_EXT_DIR"))
		ext_dir = getenv("PINCTL_TEST_EXT_DIR");
	parse_kernel_version();
	skip_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED)
		skip_reason = skip_reason_buf;
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);

	printf("TAP version 13\n");
	uname(&u);
	printf("# pinctl_test on %s %s\n", u.sysname, u.release);
	printf("1..%zu\n", ARRAY_SIZE(tests));
	if (geteuid() != 0)
		printf("# not root: most tests will fail\n");

	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		const struct test *t = &tests[i];
		struct timespec a, b;
		int status = 0, rc;
		pid_t pid;

		skip_reason[0] = 0;
		if (t->setup)
			t->setup();
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			alarm(t->timeout);
			_exit(t->fn());
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			status = -1;
		}
		/* Anything the test left behind in its group goes too. */
		if (pid > 0)
			kill(-pid, SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (t->cleanup)
			t->cleanup();

		if (status == -1) {
			rc = FAIL;
			diag("fork/wait failed: %s", strerror(errno));
		} else if (WIFSIGNALED(status)) {
			rc = FAIL;
			diag("%s: killed by signal %d%s", t->name,
			     WTERMSIG(status),
			     WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
		} else {
			rc = WEXITSTATUS(status);
		}
		diag("%s: %.2f s", t->name,
		     (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
		if (rc == PASS) {
			printf("ok %zu %s\n", i + 1, t->name);
			passed++;
		} else if (rc == SKIP) {
			printf("ok %zu %s # SKIP %s\n", i + 1, t->name,
			       skip_reason[0] ? skip_reason : "no reason given");
			skipped++;
		} else {
			printf("not ok %zu %s\n", i + 1, t->name);
			failed++;
		}
	}
	printf("# %d passed, %d failed, %d skipped\n", passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
