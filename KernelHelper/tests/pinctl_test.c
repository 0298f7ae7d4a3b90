// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl_test.c - the VM suite of the pinctl kernel helper (/dev/pinctl).
 *
 * Runs as root with pinctl.ko loaded and reports in kselftest's TAP: each
 * test in its own forked process (and process group) under alarm(), a
 * totals line, exit status 0 only when nothing failed.
 *
 *   pinctl_test [PATH/TO/pinctl.ko]
 *   pinctl_test --as-nobody PROGRAM [ARGS...]   (runs PROGRAM as nobody)
 *   pinctl_test --reserve GIB   (maps GIB GiB PROT_NONE, prints its start,
 *                                waits for a signal: a target for inspect)
 *
 * The .ko path lets the last test unload and reload the module. An ext2/3/4
 * file system mounted at $PINCTL_TEST_EXT_DIR (default /mnt/ext) enables the
 * file-backed tests that need a file system with writeback; tmpfs has none.
 * PINCTL_FUZZ_SEED fixes the fuzzer's seed; PINCTL_TEST_ONLY=a,b runs only
 * the tests named (the others are reported as skipped).
 *
 * Built statically by scripts/vm/test.sh: gcc -static -I KernelHelper/include.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <linux/capability.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
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
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pinctl/pinctl_ioctl.h>
#include <pinctl/pinctl_version.h>

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

/*
 * A descriptor of /proc/PID/mem (0: self), how REMOTE names a target: read
 * and write, as a WRITE pin needs.
 */
static int mem_open_mode(pid_t pid, int mode)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid ? pid : getpid());
	fd = open(path, mode | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int mem_open(pid_t pid)
{
	return mem_open_mode(pid, O_RDWR);
}

static int do_pin(int fd, void *addr, uint64_t n, uint32_t flags, int mem_fd,
		  uint64_t *pfns, uint64_t *handle)
{
	struct pinctl_pin p = {
		.addr = (uintptr_t)addr, .nr_pages = n, .flags = flags,
		.mem_fd = mem_fd, .pfns = (uintptr_t)pfns,
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

/*
 * Drains this CPU's LRU batches first: see lru_drain(). @mem_fd: a
 * /proc/PID/mem descriptor for a REMOTE query, 0 for our own memory.
 */
static int do_query(int fd, void *addr, uint64_t n, struct pinctl_page *out,
		    int mem_fd)
{
	struct pinctl_query q = {
		.addr = (uintptr_t)addr, .nr_pages = n,
		.pages = (uintptr_t)out, .mem_fd = mem_fd,
		.flags = mem_fd ? PINCTL_PIN_REMOTE : 0,
	};

	lru_drain();
	return xioctl(fd, PINCTL_IOC_QUERY, &q);
}

/* One page's state; refcount -1 when the query itself failed. */
static struct pinctl_page query1(int fd, void *addr, int mem_fd)
{
	struct pinctl_page pg = { 0 };

	if (do_query(fd, addr, 1, &pg, mem_fd)) {
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

/*
 * Drops to nobody, keeping the open fds; loses every capability. Dumpable
 * again afterwards, like a process nobody started: the kernel clears it on
 * the uid change, which would make even its own /proc/self/mem root's.
 */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
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
			     PINCTL_FEAT_ACCOUNTING | PINCTL_FEAT_MEM_FD |
			     PINCTL_FEAT_PFNS | PINCTL_FEAT_BOUNDED |
			     PINCTL_FEAT_USER_SHARE | PINCTL_FEAT_LIST |
			     PINCTL_FEAT_FRAMES));
	CHECK(v.max_pages_per_fd >= 1 && v.max_handles_per_fd >= 1);
	CHECKF(v.max_pages_total == 1 << 20 && v.max_page_refcount == 1U << 30 &&
	       v.max_pages_per_user == 1 << 18,
	       "max_pages_total %llu max_page_refcount %llu max_pages_per_user %llu",
	       (unsigned long long)v.max_pages_total,
	       (unsigned long long)v.max_page_refcount,
	       (unsigned long long)v.max_pages_per_user);
	CHECKF(v.package_version == PINCTL_VERSION_CODE,
	       "package_version %#llx, pinctl_version.h %#llx",
	       (unsigned long long)v.package_version,
	       (unsigned long long)PINCTL_VERSION_CODE);
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

static int test_invalid_flag_combinations_einval(void)
{
	char *p = map_small(1);
	int fd = dev_open(), self = mem_open(0);

	CHECK(p && fd >= 0 && self > 0);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_GET | PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_FAST, self,
		     NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, 0, self, NULL, NULL) == -EINVAL);
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
	CHECK(do_pin(fd, p, 16, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, 0,
		     NULL, &h) == 0);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_pin(fd, p + 16 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL) ==
	      -ENOMEM);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 17, PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p + 16 * psz, 16,
		     PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM, 0, NULL, &h) == 0);
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
	/* With CAP_IPC_LOCK nothing is charged to the user: over the limit. */
	CHECK(do_pin(fd, p, 32, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(32 * psz / 1024));
	CHECK(drop_effective_cap(CAP_IPC_LOCK) == 0);
	/* Without it the user's own budget applies, from what it holds. */
	CHECK(do_pin(fd, p + 32 * psz, 16, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == 0);
	CHECK(do_pin(fd, p + 48 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(48 * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
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
static int test_vsyscall_and_zero_page_pins_are_clean(void)
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
static int test_uffd_missing_range_pin_fails_without_waiting(void)
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
static int test_remote_write_pin_needs_writable_mem_fd(void)
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
static int test_remote_named_by_proc_mem_fd(void)
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
		     mem_open(0), NULL, NULL) == -EFAULT);
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

/* --- hardening: a plain user at a 0666 device ------------------------------ */

static void dev_mode_0666(void)
{
	chmod(dev_path, 0666);
}

static void dev_mode_0600(void)
{
	chmod(dev_path, 0600);
}

static bool cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	return !syscall(SYS_capget, &hdr, data) &&
	       (data[0].effective & (1U << CAP_SYS_ADMIN));
}

/*
 * Finding 7: a pin held without FOLL_LONGTERM, or a FOLL_GET reference,
 * blocks CMA and offlining for as long as it is held: a plain user may not
 * hold one. BENCH holds nothing past the call and stays open.
 */
static int test_user_short_term_and_get_need_cap_sys_admin(void)
{
	static const uint32_t refused[] = {
		0, PINCTL_PIN_WRITE, PINCTL_PIN_FAST,
		PINCTL_PIN_FAST | PINCTL_PIN_WRITE, PINCTL_PIN_GET,
		PINCTL_PIN_GET | PINCTL_PIN_FAST,
		PINCTL_PIN_GET | PINCTL_PIN_WRITE,
	};
	static const uint32_t allowed[] = {
		PINCTL_PIN_LONGTERM, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
		PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST | PINCTL_PIN_WRITE,
	};
	char *p = map_small(4);
	int fd = dev_open();
	uint64_t h;

	CHECK(getuid() == NOBODY && !cap_sys_admin());
	CHECKF(fd >= 0, "open %s as nobody: %s", dev_path, strerror(errno));
	CHECK(p);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		CHECKF(do_pin(fd, p, 4, refused[i], 0, NULL, NULL) == -EPERM,
		       "flags %#x", refused[i]);
	CHECK(vmpin_kb() == 0);
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		CHECKF(do_pin(fd, p, 4, allowed[i], 0, NULL, &h) == 0,
		       "flags %#x: %s", allowed[i], strerror(errno));
		CHECK(vmpin_kb() == (long)(4 * psz / 1024));
		CHECK(do_unpin(fd, h, NULL) == 0);
	}
	for (uint32_t f = 0; f <= (PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
				   PINCTL_PIN_FAST | PINCTL_PIN_GET); f++) {
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 4, .flags = f,
			.iterations = 2,
		};

		if ((f & PINCTL_PIN_GET) && (f & PINCTL_PIN_LONGTERM))
			continue;
		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == 0, "BENCH %#x: %s",
		       f, strerror(errno));
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * Finding 4: PFNs only for a file opened with CAP_SYS_ADMIN in the initial
 * user namespace, as /proc/PID/pagemap decides by its opener.
 */
static int test_user_pfns_hidden_as_pagemap_does(void)
{
	struct pinctl_version v;
	struct pinctl_page pg;
	uint64_t pfns[2] = { 0 }, h;
	char *p = map_small(2);
	int fd = dev_open();

	CHECK(getuid() == NOBODY && fd >= 0 && p);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECKF(!(v.features & PINCTL_FEAT_PFNS), "features %#llx",
	       (unsigned long long)v.features);
	pg = query1(fd, p, 0);
	CHECKF(pg.flags == (PINCTL_PAGE_PRESENT | PINCTL_PAGE_ANON |
			    PINCTL_PAGE_PFN_HIDDEN) && pg.pfn == 0 &&
	       pg.refcount == 1, "flags %#x pfn %#llx refcount %u", pg.flags,
	       (unsigned long long)pg.pfn, pg.refcount);
	/* The kernel's own rule gives the same answer. */
	CHECK(pm_present(pagemap_entry(0, p)) &&
	      pm_pfn(pagemap_entry(0, p)) == 0);
	CHECK(do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, pfns, NULL) == -EPERM);
	CHECK(pfns[0] == 0 && pfns[1] == 0 && vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, NULL, &h) == 0);
	pg = query1(fd, p, 0);
	CHECK((pg.flags & PINCTL_PAGE_DMA_PINNED) && pg.pfn == 0);
	close(fd);
	return PASS;
}

/* Sends (@fd >= 0) or receives one descriptor over a unix socket. */
static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Finding 4, the opener decides: root's descriptor shows PFNs to nobody,
 * nobody's hides them from root (passed over SCM_RIGHTS).
 */
static int test_pfn_visibility_follows_the_opener(void)
{
	struct pinctl_page pg;
	char *p = map_small(1);
	int rootfd = dev_open(), sv[2], userfd, status;
	uint64_t pfn = pm_pfn(pagemap_entry(0, p));
	pid_t pid;

	CHECK(p && rootfd >= 0 && pfn);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct pinctl_page cpg;
		int ufd;

		if (become_nobody())
			_exit(10);
		cpg = query1(rootfd, p, 0);
		if (cpg.pfn != pfn || (cpg.flags & PINCTL_PAGE_PFN_HIDDEN))
			_exit(11);
		ufd = dev_open();
		if (ufd < 0 || send_fd(sv[1], ufd))
			_exit(12);
		_exit(0);
	}
	userfd = recv_fd(sv[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child status %#x (11 root's fd hid the PFN, 12 open/send)",
	       status);
	CHECK(userfd >= 0);
	pg = query1(userfd, p, 0);
	CHECKF(pg.pfn == 0 && (pg.flags & PINCTL_PAGE_PFN_HIDDEN),
	       "root through nobody's fd: pfn %#llx flags %#x",
	       (unsigned long long)pg.pfn, pg.flags);
	CHECK(do_pin(userfd, p, 1, PINCTL_PIN_LONGTERM, 0, &pfn, NULL) ==
	      -EPERM);
	pg = query1(rootfd, p, 0);
	CHECK(pg.pfn == pfn && !(pg.flags & PINCTL_PAGE_PFN_HIDDEN));
	close(userfd);
	close(rootfd);
	return PASS;
}

/* --- finding 1: PIN against UNPIN of guessed handles ------------------------ */

struct race_ctx {
	int fd;
	char *mem;
	volatile int stop;
	volatile uint64_t last;	/* the newest handle a PIN returned */
	long pins, bad, unpinned;
	uint64_t worst;
};

static void *race_pinner(void *arg)
{
	struct race_ctx *c = arg;

	for (int i = 0; i < 4000 && !c->stop; i++) {
		struct pinctl_pin p = {
			.addr = (uintptr_t)c->mem + (i % 8) * psz,
			.nr_pages = 1, .flags = PINCTL_PIN_LONGTERM,
		};

		if (ioctl(c->fd, PINCTL_IOC_PIN, &p))
			continue;
		__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
		c->last = p.handle;
		if (p.pinned != 1 || !p.handle || p.handle > UINT32_MAX) {
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
			c->worst = p.pinned != 1 ? p.pinned : p.handle;
		}
		/* Keep handles flowing: the file holds at most 1024. */
		if (i % 2) {
			struct pinctl_unpin u = { .handle = p.handle };

			ioctl(c->fd, PINCTL_IOC_UNPIN, &u);
		}
	}
	return NULL;
}

static void *race_guesser(void *arg)
{
	struct race_ctx *c = arg;
	unsigned int i = 0;

	while (!c->stop) {
		/* The handle PIN just handed out, or those it is about to. */
		struct pinctl_unpin u = { .handle = c->last + i++ % 4 };

		if (!ioctl(c->fd, PINCTL_IOC_UNPIN, &u)) {
			__atomic_add_fetch(&c->unpinned, 1, __ATOMIC_RELAXED);
			if (u.unpinned != 1) {
				__atomic_add_fetch(&c->bad, 1,
						   __ATOMIC_RELAXED);
				c->worst = u.unpinned;
			}
		}
	}
	return NULL;
}

static void all_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE && i < 64; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Handles are predictable; a PIN's region used to be read after it was
 * published, so a guessed UNPIN could free it first (slub_debug poison in
 * `pinned`). Two pinners against two guessers on one file, as nobody.
 */
static int test_user_pin_unpin_race_never_reads_freed_region(void)
{
	struct race_ctx c = { .fd = dev_open(), .mem = map_small(8) };
	pthread_t t[4];

	CHECK(getuid() == NOBODY && c.fd >= 0 && c.mem);
	all_cpus();
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL,
				     i < 2 ? race_pinner : race_guesser,
				     &c) == 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	c.stop = 1;
	pthread_join(t[2], NULL);
	pthread_join(t[3], NULL);
	diag("%ld pins, %ld taken by a guessed UNPIN, %ld bad answers",
	     c.pins, c.unpinned, c.bad);
	CHECKF(c.bad == 0, "a PIN or UNPIN answered %#llx",
	       (unsigned long long)c.worst);
	CHECK(c.pins > 0 && c.unpinned > 0);
	CHECK(do_unpin_all(c.fd, NULL) == 0 && vmpin_kb() == 0);
	close(c.fd);
	return PASS;
}

/* --- findings 2 and 3: the target named by its /proc/PID/mem ---------------- */

#define FIXED_ADDR ((char *)0x200000000UL)

/* Maps one written page at FIXED_ADDR; 0 or -errno. */
static int map_fixed_page(void)
{
	char *p = mmap(FIXED_ADDR, psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		       0);

	if (p != FIXED_ADDR)
		return p == MAP_FAILED ? -errno : -EEXIST;
	p[0] = 1;
	return 0;
}

static long saved_ptrace_scope = -1;

static void save_ptrace_scope(void)
{
	saved_ptrace_scope =
		read_long_file("/proc/sys/kernel/yama/ptrace_scope");
	dev_mode_0666();
}

static void restore_ptrace_scope(void)
{
	if (saved_ptrace_scope >= 0)
		write_long_file("/proc/sys/kernel/yama/ptrace_scope",
				saved_ptrace_scope);
	dev_mode_0600();
}

/*
 * Forks a plain user that tries a remote QUERY and a WRITE|LONGTERM PIN of
 * FIXED_ADDR in @target. Returns 0 if both worked, 1 if the target's
 * /proc/PID/mem could not be opened, 2 for anything else.
 */
static int user_remote_attempt(pid_t target)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (!pid) {
		struct pinctl_page pg;
		int fd, mfd;

		if (become_nobody())
			_exit(2);
		fd = dev_open();
		mfd = mem_open(target);
		if (mfd == -EACCES || mfd == -EPERM)
			_exit(1);
		if (fd < 0 || mfd < 0)
			_exit(2);
		if (do_query(fd, FIXED_ADDR, 1, &pg, mfd) ||
		    !(pg.flags & PINCTL_PAGE_PRESENT) ||
		    do_pin(fd, FIXED_ADDR, 1,
			   PINCTL_PIN_REMOTE | PINCTL_PIN_WRITE |
			   PINCTL_PIN_LONGTERM, mfd, NULL, NULL))
			_exit(2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

/*
 * Finding 3: with kernel.yama.ptrace_scope=2 a same-uid remote QUERY and
 * WRITE|LONGTERM PIN are refused (the /proc/PID/mem open is), at 0 they
 * work.
 */
static int test_user_yama_ptrace_scope_refuses_remote(void)
{
	int pfd[2], r0, r2;
	pid_t target;
	char c;

	SKIP_IF(saved_ptrace_scope < 0, "no Yama here (/proc/sys/kernel/yama)");
	CHECK(pipe(pfd) == 0);
	target = fork();
	CHECK(target >= 0);
	if (!target) {
		if (become_nobody() || map_fixed_page() ||
		    write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK(read(pfd[0], &c, 1) == 1);
	CHECK(write_long_file("/proc/sys/kernel/yama/ptrace_scope", 0) == 0);
	r0 = user_remote_attempt(target);
	CHECK(write_long_file("/proc/sys/kernel/yama/ptrace_scope", 2) == 0);
	r2 = user_remote_attempt(target);
	reap(target);
	diag("same-uid remote QUERY and WRITE|LONGTERM PIN: ptrace_scope 0: %s, 2: %s",
	     r0 ? "refused" : "allowed", r2 == 1 ? "refused" : "allowed");
	CHECKF(r0 == 0, "ptrace_scope 0: attempt %d", r0);
	CHECKF(r2 == 1, "ptrace_scope 2: attempt %d (1 = refused)", r2);
	return PASS;
}

/* argv[1] "--exec-target": the image an exec test's child turns into. */
static int exec_target_main(int ready_fd)
{
	if (map_fixed_page())
		return 1;
	if (write(ready_fd, "e", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/*
 * Finding 2: a /proc/PID/mem descriptor holds the address space it was
 * opened on; after the target execs, the module refuses it (ESRCH) rather
 * than reach the new image, and a new open is checked against the new
 * credentials.
 */
static int test_exec_after_open_leaves_descriptor_dead(void)
{
	struct pinctl_page pg;
	int fd = dev_open(), ready[2], go[2], mfd, mfd2;
	char c, arg[16];
	uint64_t h;
	pid_t pid;

	CHECK(fd >= 0 && pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *av[] = { "pinctl_test", "--exec-target", arg, NULL };

		snprintf(arg, sizeof(arg), "%d", ready[1]);
		if (map_fixed_page() || write(ready[1], "o", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		execv("/proc/self/exe", av);
		_exit(2);
	}
	CHECK(read(ready[0], &c, 1) == 1 && c == 'o');
	mfd = mem_open(pid);
	CHECK(mfd > 0);
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd, NULL, &h) == 0);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(read(ready[0], &c, 1) == 1 && c == 'e');
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd, NULL, NULL) == -ESRCH);
	CHECK(do_query(fd, FIXED_ADDR, 1, &pg, mfd) == -ESRCH);
	mfd2 = mem_open(pid);
	CHECK(mfd2 > 0);
	CHECK(do_query(fd, FIXED_ADDR, 1, &pg, mfd2) == 0 &&
	      (pg.flags & PINCTL_PAGE_PRESENT));
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd2, NULL, NULL) == 0);
	reap(pid);
	/* The pin outlives the process; the mm it was charged to is gone. */
	CHECK(do_unpin_all(fd, NULL) == 0);
	close(fd);
	return PASS;
}

#define SUID_PATH "/tmp/pinctl-suid-target"

struct suid_stats {
	long opened, pinned_old, esrch, refused;
};

/*
 * argv[1] "--suid-target": runs setuid root after a plain user's exec. Maps
 * FIXED_ADDR afresh and watches it: exit 3 if it is ever pinned.
 */
static int suid_target_main(void)
{
	struct pinctl_page pg;
	int fd = dev_open();

	if (geteuid() != 0 || fd < 0 || map_fixed_page())
		return 1;
	for (int i = 0; i < 300; i++) {
		if (do_query(fd, FIXED_ADDR, 1, &pg, 0))
			return 1;
		if (pg.flags & PINCTL_PAGE_DMA_PINNED)
			return 3;
		usleep(200);
	}
	return 0;
}

static int make_suid_copy(void)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;

	unlink(SUID_PATH);
	out = open(SUID_PATH, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -EIO;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, 04755))
		return -errno;
	close(out);
	return 0;
}

/*
 * Finding 2, the race itself: a plain user keeps opening the /proc/PID/mem
 * of its own child and pinning FIXED_ADDR while the child execs a setuid
 * root program that maps the same address. Every open either found the old
 * image (its pins land there, or ESRCH once it is gone) or is refused; the
 * setuid image must never see its page pinned.
 */
static int test_user_setuid_exec_never_pinned(void)
{
	struct suid_stats *st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rounds = 0, pinned_new = 0, r;

	CHECK(st != MAP_FAILED);
	r = make_suid_copy();
	SKIP_IF(r, "cannot make a setuid copy at %s: %s", SUID_PATH,
		strerror(-r));
	all_cpus();
	for (rounds = 0; rounds < 24; rounds++) {
		int pfd[2], status;
		pid_t user, child;
		char c;

		CHECK(pipe(pfd) == 0);
		user = fork();
		CHECK(user >= 0);
		if (!user) {
			int fd;

			if (become_nobody())
				_exit(10);
			fd = dev_open();
			if (fd < 0)
				_exit(11);
			child = fork();
			if (!child) {
				char *av[] = { "pinctl_test", "--suid-target",
					       NULL };

				if (map_fixed_page() ||
				    write(pfd[1], "c", 1) != 1)
					_exit(12);
				/* Let the attacker open our mem first. */
				usleep((rounds % 4) * 300);
				execv(SUID_PATH, av);
				_exit(13);
			}
			if (read(pfd[0], &c, 1) != 1)
				_exit(14);
			while (waitpid(child, &status, WNOHANG) == 0) {
				int mfd = mem_open(child);

				if (mfd < 0) {
					__atomic_add_fetch(&st->refused, 1,
							   __ATOMIC_RELAXED);
					continue;
				}
				__atomic_add_fetch(&st->opened, 1,
						   __ATOMIC_RELAXED);
				r = do_pin(fd, FIXED_ADDR, 1,
					   PINCTL_PIN_REMOTE |
					   PINCTL_PIN_WRITE |
					   PINCTL_PIN_LONGTERM, mfd, NULL, NULL);
				if (!r)
					__atomic_add_fetch(&st->pinned_old, 1,
							   __ATOMIC_RELAXED);
				else if (r == -ESRCH)
					__atomic_add_fetch(&st->esrch, 1,
							   __ATOMIC_RELAXED);
				close(mfd);
				do_unpin_all(fd, NULL);
			}
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 20);
		}
		close(pfd[1]);
		CHECK(waitpid(user, &status, 0) == user);
		close(pfd[0]);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
			pinned_new++;
		else
			CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			       "round %d: status %#x", rounds, status);
	}
	unlink(SUID_PATH);
	diag("%d setuid execs raced: %ld opens of the old image (%ld pinned it, %ld ESRCH after exec), %ld opens refused; setuid image pinned %d times",
	     rounds, st->opened, st->pinned_old, st->esrch, st->refused,
	     pinned_new);
	CHECK(pinned_new == 0);
	CHECK(st->refused > 0);
	return PASS;
}

/* --- finding 5: RLIMIT_MEMLOCK per user -------------------------------------- */

/* argv[1] "--pin-inherited FD": an exec'ed holder tries to pin 1 page. */
static int pin_inherited_main(const char *fdarg)
{
	char *p = map_small(1);
	int r = do_pin(atoi(fdarg), p, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL);

	return r == -ENOMEM ? 0 : r == 0 ? 1 : 2;
}

/*
 * Twelve short-lived children pin into one shared fd, an exec'ed holder
 * and a process the fd was passed to over SCM_RIGHTS try more: one user
 * never holds more than RLIMIT_MEMLOCK, and VmPin shows each holder's pins
 * while its process lives.
 */
static int test_user_memlock_charged_per_user(void)
{
	const size_t limit = 8;
	struct rlimit rl = { limit * psz, limit * psz };
	char *p = map_small(64);
	int fd, ok = 0, enomem = 0, status, sv[2], inh;
	char arg[16];
	pid_t pid;

	CHECK(p);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(become_nobody() == 0);
	fd = dev_open();
	CHECK(fd >= 0);
	for (int i = 0; i < 12; i++) {
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			int r = do_pin(fd, p + i * 4 * psz, 4,
				       PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
				       0, NULL, NULL);

			if (!r && vmpin_kb() != (long)(4 * psz / 1024))
				_exit(3);
			_exit(r == 0 ? 0 : r == -ENOMEM ? 1 : 2);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
		CHECKF(WEXITSTATUS(status) <= 1, "child %d: status %d", i,
		       WEXITSTATUS(status));
		ok += WEXITSTATUS(status) == 0;
		enomem += WEXITSTATUS(status) == 1;
	}
	diag("12 children x 4 pages into one fd at a %zu-page limit: %d pinned, %d ENOMEM",
	     limit, ok, enomem);
	CHECK(ok == 2 && enomem == 10);
	/* The pins are the children's: their mms are gone, ours is clean. */
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p + 60 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);

	/* exec keeps the uid: no fresh budget. */
	inh = dup(fd);	/* without O_CLOEXEC */
	CHECK(inh >= 0);
	snprintf(arg, sizeof(arg), "%d", inh);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *av[] = { "pinctl_test", "--pin-inherited", arg, NULL };

		execv("/proc/self/exe", av);
		_exit(9);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "exec'ed holder: status %#x (1: pinned over the limit)",
	       status);
	close(inh);

	/* A process given the fd over SCM_RIGHTS: the same user's budget. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *q = map_small(16), c;
		int got;

		close(fd);
		got = recv_fd(sv[1]);
		if (got < 0)
			_exit(10);
		if (do_pin(got, q, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL) !=
		    -ENOMEM)
			_exit(11);
		if (write(sv[1], "1", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(12);
		/* Now the fd's pins are gone: the whole limit, no more. */
		if (do_pin(got, q, limit, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) ||
		    vmpin_kb() != (long)(limit * psz / 1024) ||
		    do_pin(got, q + limit * psz, 1, PINCTL_PIN_LONGTERM, 0,
			   NULL, NULL) != -ENOMEM)
			_exit(13);
		if (do_unpin_all(got, NULL) || vmpin_kb() != 0)
			_exit(14);
		_exit(0);
	}
	CHECK(send_fd(sv[0], fd) == 0);
	{
		char c;

		CHECK(read(sv[0], &c, 1) == 1);
	}
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(write(sv[0], "2", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "SCM_RIGHTS holder: status %#x (11 over the limit, 13 limit wrong, 14 VmPin)",
	       status);
	/* Everything returned: the full budget is ours again. */
	CHECK(do_pin(fd, p, limit, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(limit * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/* --- finding 6: bounds on a page's refcount and on the module's pins -------- */

static long saved_max_refcount = -1, saved_max_total = -1;

static void save_bounds(void)
{
	saved_max_refcount = read_long_file(PARAM_DIR "max_page_refcount");
	saved_max_total = read_long_file(PARAM_DIR "max_pages_total");
	save_limits();
}

static void restore_bounds(void)
{
	if (saved_max_refcount > 0)
		write_long_file(PARAM_DIR "max_page_refcount",
				saved_max_refcount);
	if (saved_max_total > 0)
		write_long_file(PARAM_DIR "max_pages_total", saved_max_total);
	restore_limits();
}

/* One memfd page mapped at @n consecutive addresses. */
static char *map_one_page_n_times(size_t n, int *mfdp)
{
	int mfd = memfd_create("pinctl-refs", MFD_CLOEXEC);
	char *base;

	if (mfd < 0 || ftruncate(mfd, psz))
		return NULL;
	base = mmap(NULL, n * psz, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (mmap(base + i * psz, psz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, mfd, 0) != base + i * psz)
			return NULL;
	base[0] = 1;
	for (size_t i = 0; i < n; i++)
		(void)*(volatile char *)(base + i * psz);
	*mfdp = mfd;
	return base;
}

/*
 * With max_page_refcount lowered to 2^16, one page mapped 16 times takes
 * three 16-page pins (16 x 1024 each) and the fourth is refused with
 * EOVERFLOW, holding nothing; BENCH too. max_pages_total bounds all files
 * together, in-flight BENCH included.
 */
static int test_refcount_and_total_bounds_refuse_cleanly(void)
{
	const size_t n = 16;
	struct pinctl_page pg;
	uint32_t base, before;
	int fd = dev_open(), fd2 = dev_open(), mfd, pins = 0, r;
	char *p = map_one_page_n_times(n, &mfd), *q = map_small(64);

	CHECK(fd >= 0 && fd2 >= 0 && p && q);
	CHECK(write_long_file(PARAM_DIR "max_page_refcount", 1 << 16) == 0);
	base = query1(fd, p, 0).refcount;
	for (;;) {
		before = query1(fd, p, 0).refcount;
		r = do_pin(fd, p, n, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE, 0,
			   NULL, NULL);
		if (r)
			break;
		pins++;
		CHECK(pins < 10);
	}
	pg = query1(fd, p, 0);
	diag("refcount %u after %d pins of 16 mappings, then %s", pg.refcount,
	     pins, strerror(-r));
	CHECK(r == -EOVERFLOW);
	CHECK(pins == (int)((65536 - base) / (n * PIN_BIAS)));
	CHECK(pg.refcount == before);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = n,
					  .iterations = 1,
					  .flags = PINCTL_PIN_LONGTERM };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EOVERFLOW);
	}
	CHECK(query1(fd, p, 0).refcount == before);
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(query1(fd, p, 0).refcount == base);
	CHECK(write_long_file(PARAM_DIR "max_page_refcount", 1U << 30) == 0);

	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(do_pin(fd, q, 41, PINCTL_PIN_LONGTERM, 0, NULL, NULL) ==
	      -ENOSPC);
	CHECK(do_pin(fd, q, 30, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(do_pin(fd2, q + 30 * psz, 20, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOSPC);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)q, .nr_pages = 20,
					  .iterations = 1 };

		CHECK(xioctl(fd2, PINCTL_IOC_BENCH, &b) == -ENOSPC);
		b.nr_pages = 10;
		CHECK(xioctl(fd2, PINCTL_IOC_BENCH, &b) == 0);
	}
	CHECK(do_pin(fd2, q + 30 * psz, 10, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == 0);
	CHECK(vmpin_kb() == (long)(40 * psz / 1024));
	close(fd);
	CHECK(do_pin(fd2, q, 30, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	close(fd2);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * A plain user's PIN that its RLIMIT_MEMLOCK cannot cover never touches
 * the module-wide total, which every user shares. It used to be reserved
 * there first and taken back after the rlimit check: a user with no budget
 * at all, hammering PINs of max_pages_per_fd pages from a few threads,
 * kept the total over its bound for the moment of each refusal, and other
 * users' PINs (root's here) failed ENOSPC with nothing pinned anywhere.
 */
struct refused_hammer {
	int fd;
	char *p;
	uint64_t n;
};

static void *refused_pin_hammer(void *arg)
{
	struct refused_hammer *h = arg;

	for (;;)
		do_pin(h->fd, h->p, h->n, PINCTL_PIN_LONGTERM, 0, NULL, NULL);
	return NULL;
}

static int test_user_refused_pins_never_crowd_out_others(void)
{
	struct pinctl_version v;
	int fd = dev_open(), enospc = 0, i, r, status;
	char *p = map_small(1);
	cpu_set_t set;
	uint64_t h;
	pid_t child;

	SKIP_IF(sysconf(_SC_NPROCESSORS_ONLN) < 2,
		"needs two CPUs: the refused PINs race root's on the other");
	CHECK(fd >= 0 && p);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		static struct refused_hammer hs[3];
		struct rlimit rl = { 0, 0 };
		pthread_t t;

		/* The suite runs on CPU 0; the hammers on CPU 1. */
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
		/* A file each, so all reach the charge, not the fd's bound. */
		for (i = 0; i < 3; i++) {
			hs[i] = (struct refused_hammer){
				.fd = dev_open(), .p = p,
				.n = v.max_pages_per_fd,
			};
			if (hs[i].fd < 0)
				_exit(12);
		}
		/* No budget: every PIN of this user is refused ENOMEM. */
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || become_nobody())
			_exit(10);
		if (do_pin(hs[0].fd, p, v.max_pages_per_fd,
			   PINCTL_PIN_LONGTERM, 0, NULL, NULL) != -ENOMEM)
			_exit(11);
		for (i = 1; i < 3; i++)
			if (pthread_create(&t, NULL, refused_pin_hammer, &hs[i]))
				_exit(12);
		refused_pin_hammer(&hs[0]);
		_exit(0);
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	usleep(100000);
	for (i = 0; i < 5000 && !enospc; i++) {
		r = do_pin(fd, p, 1, PINCTL_PIN_LONGTERM, 0, NULL, &h);
		if (r == -ENOSPC)
			enospc = i + 1;
		else if (r == 0)
			do_unpin(fd, h, NULL);
		else
			break;
	}
	kill(child, SIGKILL);
	CHECK(waitpid(child, &status, 0) == child);
	CHECKF(WIFSIGNALED(status), "hammer exited with %d",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	CHECKF(!enospc, "root's 1-page PIN %d failed ENOSPC while a user "
	       "without budget was refused", enospc);
	CHECKF(r == 0, "root's PIN: %s", strerror(-r));
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * One user may hold at most max_pages_per_user of the module-wide total,
 * whatever its RLIMIT_MEMLOCK: a user with an unlimited one (as RDMA hosts
 * set) once could take the whole total, and every other user, root
 * included, got ENOSPC. Here the total is 40 pages and the share 10:
 * nobody, unlimited, holds its 10 and is refused the 11th, on another file
 * too; uid 65533 still pins 10, root (CAP_SYS_ADMIN, exempt) the remaining
 * 20; once nobody unpins, its share is whole again.
 */
static long saved_share_total = -1, saved_share_user = -1;

static void save_share(void)
{
	saved_share_total = read_long_file(PARAM_DIR "max_pages_total");
	saved_share_user = read_long_file(PARAM_DIR "max_pages_per_user");
	dev_mode_0666();
}

static void restore_share(void)
{
	if (saved_share_total > 0)
		write_long_file(PARAM_DIR "max_pages_total", saved_share_total);
	if (saved_share_user >= 0)
		write_long_file(PARAM_DIR "max_pages_per_user",
				saved_share_user);
	dev_mode_0600();
}

/* In a child: unlimited RLIMIT_MEMLOCK, then uid and gid @id, no caps. */
static int become_unlimited_user(uid_t id)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setresgid(id, id, id) || setresuid(id, id, id) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

static int test_user_share_bounds_one_user_not_others(void)
{
	struct pinctl_version v;
	int fd = dev_open(), go[2], ready[2], status, r;
	char *p = map_small(64), c = 0;
	pid_t a, b;
	uint64_t h;

	CHECK(fd >= 0 && p && pipe(go) == 0 && pipe(ready) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_user", 10) == 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.features & PINCTL_FEAT_USER_SHARE);
	CHECKF(v.max_pages_per_user == 10 && v.max_pages_total == 40,
	       "max_pages_per_user %llu max_pages_total %llu",
	       (unsigned long long)v.max_pages_per_user,
	       (unsigned long long)v.max_pages_total);
	a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		int fa = dev_open(), fb = dev_open();
		uint64_t ha;

		if (fa < 0 || fb < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		if (do_pin(fa, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, &ha))
			_exit(11);
		if (do_pin(fa, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) != -ENOSPC)
			_exit(12);
		/* The share is the user's, not the file's. */
		if (do_pin(fb, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) != -ENOSPC)
			_exit(13);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(14);
		/* Released, the share is whole again. */
		if (do_unpin(fa, ha, NULL) ||
		    do_pin(fb, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, NULL))
			_exit(15);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	b = fork();
	CHECK(b >= 0);
	if (b == 0) {
		int fb = dev_open();

		if (fb < 0 || become_unlimited_user(65533))
			_exit(10);
		_exit(do_pin(fb, p + 20 * psz, 10, PINCTL_PIN_LONGTERM, 0,
			     NULL, NULL) ? 11 : 0);
	}
	CHECK(waitpid(b, &status, 0) == b);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "uid 65533 beside a user at its share: status %#x", status);
	/* Root is exempt from the share, not from the total (10 held). */
	r = do_pin(fd, p + 30 * psz, 30, PINCTL_PIN_LONGTERM, 0, NULL, &h);
	CHECKF(r == 0, "root's 30-page PIN: %s", strerror(-r));
	CHECK(do_pin(fd, p + 60 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOSPC);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(write(go[1], &c, 1) == 1);
	CHECK(waitpid(a, &status, 0) == a);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "nobody at its share: exit %d (10 setup, 11 first 10 pages, "
	       "12 11th page not ENOSPC, 13 other file not ENOSPC, 15 "
	       "share not returned)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * The uids of a user namespace count against the user who owns it (its
 * outermost namespace below the initial one), as subordinate uids do
 * under newuidmap: else one user could run as many uids, each with a share
 * of its own, and take the whole total again. nobody holds its share of
 * 10; a namespace nobody created, root writing its uid_map (0 -> 100000,
 * as newuidmap would from /etc/subuid), runs as uid 100000 and its 1-page
 * PIN is refused ENOSPC with 30 pages of the total free.
 */
static int test_user_share_counts_namespace_uids_against_owner(void)
{
	int fd = dev_open(), go[2], ready[2], nready[2], ngo[2], status, ns;
	char *p = map_small(16), c = 0, path[64];
	pid_t a, n;
	bool skip;

	CHECK(fd >= 0 && p && pipe(go) == 0 && pipe(ready) == 0 &&
	      pipe(nready) == 0 && pipe(ngo) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_user", 10) == 0);
	a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		int fa = dev_open();

		if (fa < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		if (do_pin(fa, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, NULL))
			_exit(11);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(14);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	n = fork();
	CHECK(n >= 0);
	if (n == 0) {
		int fn = dev_open();

		if (fn < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		c = unshare(CLONE_NEWUSER) ? 'S' : 'u';
		if (write(nready[1], &c, 1) != 1 || c == 'S')
			_exit(20);
		if (read(ngo[0], &c, 1) != 1 || setresuid(0, 0, 0) ||
		    getuid() != 0)
			_exit(12);
		_exit(do_pin(fn, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			     NULL, NULL) == -ENOSPC ? 0 : 13);
	}
	CHECK(read(nready[0], &c, 1) == 1);
	skip = c == 'S';
	if (!skip) {
		int mfd;

		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)n);
		mfd = open(path, O_WRONLY | O_CLOEXEC);
		CHECK(mfd >= 0);
		CHECKF(write(mfd, "0 100000 1\n", 11) == 11, "%s: %s", path,
		       strerror(errno));
		close(mfd);
		CHECK(write(ngo[1], &c, 1) == 1);
	}
	CHECK(waitpid(n, &ns, 0) == n);
	CHECK(write(go[1], &c, 1) == 1);
	CHECK(waitpid(a, &status, 0) == a);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "nobody holding its share: exit %d",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	SKIP_IF(skip, "nobody cannot create a user namespace here");
	CHECKF(WIFEXITED(ns) && WEXITSTATUS(ns) == 0,
	       "uid 100000 in nobody's namespace: exit %d (12 setresuid, "
	       "13 its PIN was not refused ENOSPC at nobody's share)",
	       WIFEXITED(ns) ? WEXITSTATUS(ns) : -1);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * BENCH runs up to 2^32 iterations, hours of them; a signal the caller
 * handles ends it with EINTR, not only SIGKILL (a program catching SIGINT
 * or SIGTERM, as pinctl does, would otherwise wait for the whole bench).
 * The signal comes from a thread a second in; before, the test ran into
 * its time limit.
 */
static void bench_signal_handler(int sig)
{
	(void)sig;
}

static void *bench_signal_sender(void *arg)
{
	sleep(1);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

static int test_bench_ends_on_a_caught_signal(void)
{
	struct sigaction sa = { .sa_handler = bench_signal_handler };
	pthread_t self = pthread_self(), t;
	int fd = dev_open(), r;
	char *p = map_small(16);
	struct pinctl_bench b = {
		.addr = (uintptr_t)p, .nr_pages = 16,
		.iterations = UINT32_MAX, .flags = PINCTL_PIN_LONGTERM,
	};

	CHECK(fd >= 0 && p);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(pthread_create(&t, NULL, bench_signal_sender, &self) == 0);
	r = xioctl(fd, PINCTL_IOC_BENCH, &b);
	CHECKF(r == -EINTR, "BENCH returned %d", r);
	pthread_join(t, NULL);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * With the default bounds, pinning one page through 4096 mappings until
 * refused (what took a page's refcount to the WARN in try_grab_folio):
 * the module stops below 2^31 with ENOSPC or EOVERFLOW.
 */
static int test_default_bounds_stop_refcount_before_overflow(void)
{
	const size_t n = 4096;
	struct pinctl_page pg;
	int fds[2] = { dev_open(), dev_open() }, mfd, pins = 0, r = 0;
	char *p = map_one_page_n_times(n, &mfd);

	CHECK(fds[0] >= 0 && fds[1] >= 0 && p);
	for (int f = 0; f < 2; f++) {
		while (!(r = do_pin(fds[f], p, n, PINCTL_PIN_LONGTERM, 0, NULL,
				    NULL)))
			pins++;
		if (r != -ENOSPC || f == 1)
			break;
	}
	pg = query1(fds[0], p, 0);
	diag("one page via %zu mappings: %d pins, refcount %u (%#x), then %s",
	     n, pins, pg.refcount, pg.refcount, strerror(-r));
	CHECK(r == -ENOSPC || r == -EOVERFLOW);
	CHECK(pg.refcount < (1U << 31) && pg.refcount > (1U << 29));
	close(fds[0]);
	close(fds[1]);
	fds[0] = dev_open();
	CHECK(query1(fds[0], p, 0).refcount == n + 1);
	close(fds[0]);
	return PASS;
}

/* --- finding 8: long-term pins of hugetlb pages in ZONE_MOVABLE -------------- */

#define MEM_SYS "/sys/devices/system/memory/"

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

static void save_hugepages_movable(void)
{
	save_hugepages();
	unlink("/tmp/pinctl-movable-block");
}

/* The test's process reports the block it onlined through a file. */
static void restore_hugepages_movable(void)
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
static int test_hugetlb_in_zone_movable_longterm_refused_before_6_6(void)
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

/* --- fuzz ---------------------------------------------------------------- */

static __thread uint64_t rng_state;

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

/* Counters shared by every process and thread of a fuzz phase. */
struct fuzz_shared {
	long ioctls, ok, errs[160], cmd_ok[7];
	long forks, execs, targets, chaos;
	long target_ioctls;
	int stop;
};

static struct fuzz_shared *fz;

#define FUZZ_BUF_PAGES	512	/* one 2 MiB-aligned THP-able range */

/* One worker process's world, shared by its ioctl and chaos threads. */
struct fuzz_proc {
	int fds[4];		/* /dev/pinctl: closed, reopened, dup2()ed */
	int self_mem;		/* /proc/self/mem */
	int target_mem;		/* /proc/TARGET/mem, replaced as targets die */
	pid_t target;
	char *buf, *ro, *hole, *spare;
	uint64_t seed;
};

static const unsigned long fuzz_cmds[] = {
	PINCTL_IOC_VERSION, PINCTL_IOC_PIN, PINCTL_IOC_UNPIN,
	PINCTL_IOC_QUERY, PINCTL_IOC_BENCH, PINCTL_IOC_LIST,
	PINCTL_IOC_QUERY_FRAMES,
};

static int fuzz_mem_fd(struct fuzz_proc *fp)
{
	switch (rnd() % 8) {
	case 0: case 1: case 2: return __atomic_load_n(&fp->target_mem,
						       __ATOMIC_RELAXED);
	case 3: case 4: return fp->self_mem;
	case 5: return fp->fds[rnd() % 4];	/* not a mem file */
	case 6: return -1;
	default: return (int)(rnd() % 64);
	}
}

/*
 * One random ioctl: mostly well-formed commands with hostile fields, the
 * rest random numbers in our magic and others; the argument at a random
 * offset of @argbuf (two pages, the second PROT_NONE) or a bad pointer.
 */
static void fuzz_one(struct fuzz_proc *fp, char *argbuf)
{
	uint64_t addrs[] = {
		(uintptr_t)fp->buf, (uintptr_t)fp->buf + psz,
		(uintptr_t)fp->buf + 17 * psz,
		(uintptr_t)fp->buf + 100 * psz,
		(uintptr_t)fp->buf + (FUZZ_BUF_PAGES - 1) * psz,
		(uintptr_t)fp->buf + 3, (uintptr_t)fp->ro,
		(uintptr_t)fp->hole, (uintptr_t)fp->hole + psz,
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
		0, 8, (uintptr_t)argbuf + psz - 8, (uintptr_t)fp->hole,
		(uintptr_t)fp->ro, 0xffff888000000000ULL,
		(uintptr_t)fp->buf + 200 * psz, (uintptr_t)fp->buf + 300 * psz,
	};
	unsigned long cmd;
	uint64_t f[12] = { 0 };
	size_t off;
	void *arg;
	int fd = fp->fds[rnd() % 4], r, kind = rnd() % 100;

	off = (rnd() % 2) ? psz - 8 * (rnd() % 20) : 8 * (rnd() % 64);
	if (off > (size_t)psz - 8)
		off = psz - 8;
	arg = argbuf + off;

	if (kind < 75)
		cmd = fuzz_cmds[rnd() % ARRAY_SIZE(fuzz_cmds)];
	else if (kind < 88)
		cmd = _IOC(rnd() % 4, PINCTL_IOC_MAGIC, rnd() % 8,
			   rnd() % 256);
	else if (kind < 96)
		cmd = _IOC(rnd() % 4, 'x', rnd() % 256, rnd() % 256);
	else
		cmd = 0x5401 + rnd() % 16;	/* TCGETS and friends */

	switch (_IOC_NR(cmd)) {
	case 1: {	/* pin */
		struct pinctl_pin *p = (void *)f;

		p->addr = rnd() % 2 ? (uintptr_t)fp->buf +
				      (rnd() % FUZZ_BUF_PAGES) * psz :
				      pick(addrs, ARRAY_SIZE(addrs));
		p->nr_pages = rnd() % 4 ? rnd() % 40 :
			      pick(nrs, ARRAY_SIZE(nrs));
		p->pfns = rnd() % 2 ? 0 : pick(ptrs, ARRAY_SIZE(ptrs));
		p->flags = rnd() % 8 ? rnd() % 32 : (uint32_t)rnd();
		if (rnd() % 3 == 0)
			p->flags |= PINCTL_PIN_LONGTERM;
		if (p->flags & PINCTL_PIN_REMOTE || rnd() % 16 == 0)
			p->mem_fd = fuzz_mem_fd(fp);
		if (rnd() % 20 == 0)
			p->reserved[rnd() % 4] = rnd();
		if (rnd() % 2) {
			/* Well-formed: real pins for the chaos to work on. */
			static const uint32_t ok[] = {
				PINCTL_PIN_LONGTERM,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE |
				PINCTL_PIN_REMOTE,
				PINCTL_PIN_GET, PINCTL_PIN_WRITE,
			};
			uint64_t at = rnd() % FUZZ_BUF_PAGES;

			p->addr = (uintptr_t)fp->buf + at * psz;
			p->nr_pages = 1 + rnd() % (FUZZ_BUF_PAGES - at < 64 ?
						   FUZZ_BUF_PAGES - at : 64);
			p->flags = ok[rnd() % ARRAY_SIZE(ok)];
			p->mem_fd = p->flags & PINCTL_PIN_REMOTE ?
				    fuzz_mem_fd(fp) : 0;
			p->pfns = rnd() % 4 ? 0 : (uintptr_t)fp->buf +
						  300 * psz;
			memset(p->reserved, 0, sizeof(p->reserved));
		}
		break;
	}
	case 2: {	/* unpin: guessed handles */
		struct pinctl_unpin *u = (void *)f;

		u->handle = rnd() % 4 ? rnd() % 256 : rnd();
		u->flags = rnd() % 8 ? 0 : (rnd() % 4 ? 1 : rnd());
		if (u->flags == PINCTL_UNPIN_ALL && rnd() % 2)
			u->handle = 0;
		if (rnd() % 20 == 0)
			u->reserved0 = rnd();
		break;
	}
	case 3: {	/* query */
		struct pinctl_query *q = (void *)f;

		q->addr = rnd() % 2 ? (uintptr_t)fp->buf +
				      (rnd() % FUZZ_BUF_PAGES) * psz :
				      pick(addrs, ARRAY_SIZE(addrs));
		q->nr_pages = rnd() % 4 ? rnd() % 80 :
			      pick(nrs, ARRAY_SIZE(nrs));
		q->pages = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			   pick(ptrs, ARRAY_SIZE(ptrs));
		q->flags = rnd() % 8 ? rnd() % 2 * PINCTL_PIN_REMOTE :
			   (uint32_t)rnd();
		if (q->flags & PINCTL_PIN_REMOTE)
			q->mem_fd = fuzz_mem_fd(fp);
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
		b->iterations = rnd() % 8 ? rnd() % 4 : (uint32_t)rnd() % 64;
		if (rnd() % 20 == 0)
			b->reserved[rnd() % 4] = rnd();
		break;
	}
	case 5: {	/* list: mostly well-formed walks of one piece */
		struct pinctl_list *l = (void *)f;
		uint32_t counts[] = { 0, 1, 2, 16, PINCTL_LIST_MAX,
				      PINCTL_LIST_MAX + 1, UINT32_MAX };

		l->entries = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			     pick(ptrs, ARRAY_SIZE(ptrs));
		l->count = rnd() % 4 ? 1 + rnd() % 64 :
			   counts[rnd() % ARRAY_SIZE(counts)];
		l->cursor_file = rnd() % 2 ? 0 : rnd() % 8 ? rnd() % 64 : rnd();
		l->cursor_handle = rnd() % 2 ? 0 : rnd() % 8 ? rnd() % 64 :
				   rnd();
		if (rnd() % 16 == 0)
			l->flags = rnd();
		if (rnd() % 20 == 0)
			l->reserved[rnd() % 3] = rnd();
		if (rnd() % 20 == 0)
			l->out_flags = rnd();
		break;
	}
	case 6: {	/* query_frames: real frames, the end, and beyond */
		struct pinctl_frames *q = (void *)f;
		uint64_t pfns[] = { 0, 1, 0x9f, 0xa0, 0x100, 0x1000, 0x7fff0,
				    0x80000, 0x8000000, 1ULL << 52,
				    UINT64_MAX - 2, UINT64_MAX };

		q->first_pfn = rnd() % 2 ? rnd() % 0x80000 :
			       pick(pfns, ARRAY_SIZE(pfns));
		q->nr_frames = rnd() % 4 ? 1 + rnd() % 96 :
			       pick(nrs, ARRAY_SIZE(nrs));
		q->frames = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			    pick(ptrs, ARRAY_SIZE(ptrs));
		if (rnd() % 16 == 0)
			q->flags = rnd();
		if (rnd() % 20 == 0)
			q->reserved[rnd() % 3] = rnd();
		if (rnd() % 20 == 0)
			q->max_pfn = rnd();
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
	case 1: arg = fp->hole; break;
	case 2: arg = (void *)0xffff888000000000UL; break;
	case 3: arg = fp->ro; break;
	default: break;
	}

	r = ioctl(fd, cmd, arg);
	if (!fz)
		return;
	if (!r) {
		__atomic_add_fetch(&fz->ok, 1, __ATOMIC_RELAXED);
		for (size_t i = 0; i < ARRAY_SIZE(fuzz_cmds); i++)
			if (cmd == fuzz_cmds[i])
				__atomic_add_fetch(&fz->cmd_ok[i], 1,
						   __ATOMIC_RELAXED);
	} else if (errno < 160) {
		__atomic_add_fetch(&fz->errs[errno], 1, __ATOMIC_RELAXED);
	}
	if (__atomic_add_fetch(&fz->ioctls, 1, __ATOMIC_RELAXED) >=
	    fz->target_ioctls)
		fz->stop = 1;
}

static char *fuzz_argbuf(void)
{
	char *a = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED || mprotect(a + psz, psz, PROT_NONE))
		return NULL;
	return a;
}

static void *fuzz_ioctl_thread(void *arg)
{
	struct fuzz_proc *fp = arg;
	char *argbuf = fuzz_argbuf();

	rng_state = fp->seed ^ ((uint64_t)gettid() << 17) ^ 0x9e3779b97f4a7c15ULL;
	while (argbuf && !fz->stop)
		fuzz_one(fp, argbuf);
	return NULL;
}

/*
 * A remote target: a forked copy of the worker (its buf COW-shared). It
 * keeps no /dev/pinctl file open, so killing it only takes its memory away.
 */
static pid_t fuzz_spawn_target(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	return pid;
}

static void fuzz_new_target(struct fuzz_proc *fp)
{
	pid_t old = fp->target, t = fuzz_spawn_target();
	int mfd = t > 0 ? mem_open(t) : -1, oldfd;

	/* Killed while the ioctl threads may be pinning in it. */
	if (old > 0) {
		kill(old, SIGKILL);
		waitpid(old, NULL, 0);
	}
	fp->target = t;
	oldfd = __atomic_exchange_n(&fp->target_mem, mfd > 0 ? mfd : -1,
				    __ATOMIC_RELAXED);
	if (oldfd > 0)
		close(oldfd);
	__atomic_add_fetch(&fz->targets, 1, __ATOMIC_RELAXED);
}

/*
 * The chaos thread: changes the memory and the files under the ioctl
 * threads' feet: munmap/mremap/MADV_DONTNEED/PAGEOUT/COLLAPSE of pinned
 * ranges, fork and exec of holders of the files, remote targets killed
 * mid-pin, files closed, reopened and dup2()ed.
 */
static void *fuzz_chaos_thread(void *arg)
{
	struct fuzz_proc *fp = arg;
	char *argbuf = fuzz_argbuf();

	rng_state = fp->seed ^ 0x5bd1e995ULL;
	while (argbuf && !fz->stop) {
		size_t pg = rnd() % FUZZ_BUF_PAGES, n = 1 + rnd() % 32;
		char *at = fp->buf + pg * psz;
		pid_t pid;

		if (pg + n > FUZZ_BUF_PAGES)
			n = FUZZ_BUF_PAGES - pg;
		switch (rnd() % 12) {
		case 0:
			munmap(at, n * psz);
			mmap(at, n * psz, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 1:
			if (mremap(at, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED,
				   fp->spare) == fp->spare)
				mremap(fp->spare, psz, psz,
				       MREMAP_MAYMOVE | MREMAP_FIXED, at);
			break;
		case 2:
			madvise(at, n * psz, MADV_DONTNEED);
			break;
		case 3:
			madvise(at, n * psz, MADV_PAGEOUT);
			break;
		case 4:
			madvise(fp->buf, FUZZ_BUF_PAGES * psz, MADV_COLLAPSE);
			break;
		case 5:
			for (size_t i = 0; i < n; i++)
				at[i * psz] = 1;
			break;
		case 6:
			pid = fork();
			if (!pid) {
				rng_state ^= getpid();
				for (int i = 0; i < 200; i++)
					fuzz_one(fp, argbuf);
				_exit(0);
			}
			if (pid > 0) {
				__atomic_add_fetch(&fz->forks, 1,
						   __ATOMIC_RELAXED);
				waitpid(pid, NULL, 0);
			}
			break;
		case 7:
			pid = fork();
			if (!pid) {
				char fdarg[16], seed[32];
				char *av[] = { "pinctl_test", "--fuzz-exec",
					       fdarg, seed, NULL };

				/* Not close-on-exec: the new image holds it. */
				dup2(fp->fds[rnd() % 4], 100);
				snprintf(fdarg, sizeof(fdarg), "100");
				snprintf(seed, sizeof(seed), "%llu",
					 (unsigned long long)rnd());
				execv("/proc/self/exe", av);
				_exit(1);
			}
			if (pid > 0) {
				__atomic_add_fetch(&fz->execs, 1,
						   __ATOMIC_RELAXED);
				waitpid(pid, NULL, 0);
			}
			break;
		case 8:
			fuzz_new_target(fp);
			break;
		case 9: {
			int i = rnd() % 4, nfd = dev_open();

			if (nfd >= 0) {
				dup2(nfd, fp->fds[i]);
				close(nfd);
			}
			break;
		}
		case 10: {
			int i = rnd() % 4, j = rnd() % 4;

			if (i != j)
				dup3(fp->fds[i], fp->fds[j], O_CLOEXEC);
			break;
		}
		default:
			usleep(200);
			break;
		}
		__atomic_add_fetch(&fz->chaos, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* argv[1] "--fuzz-exec FD SEED": an exec'ed holder of a /dev/pinctl file. */
static int fuzz_exec_main(const char *fdarg, const char *seed)
{
	struct fuzz_proc fp = { .self_mem = mem_open(0), .target_mem = -1 };
	char *argbuf = fuzz_argbuf();

	fp.buf = map_aligned(FUZZ_BUF_PAGES * psz,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fp.ro = mmap(NULL, 4 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	fp.hole = fp.ro;
	for (int i = 0; i < 4; i++)
		fp.fds[i] = atoi(fdarg);
	rng_state = strtoull(seed, NULL, 0) | 1;
	if (!fp.buf || !argbuf)
		return 1;
	memset(fp.buf, 1, 64 * psz);
	for (int i = 0; i < 200; i++)
		fuzz_one(&fp, argbuf);
	return 0;
}

/* One worker process: 3 ioctl threads and the chaos thread. */
static void fuzz_worker(uint64_t seed, bool user)
{
	struct fuzz_proc fp = { .seed = seed, .target_mem = -1 };
	pthread_t t[4];

	if (user && become_nobody())
		_exit(10);
	fp.buf = map_aligned(FUZZ_BUF_PAGES * psz,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fp.ro = mmap(NULL, 4 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	fp.hole = mmap(NULL, 4 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	fp.spare = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (!fp.buf || fp.ro == MAP_FAILED || fp.hole == MAP_FAILED ||
	    fp.spare == MAP_FAILED)
		_exit(11);
	munmap(fp.hole + psz, psz);
	madvise(fp.buf, FUZZ_BUF_PAGES * psz, MADV_HUGEPAGE);
	memset(fp.buf, 7, FUZZ_BUF_PAGES * psz);
	fp.self_mem = mem_open(0);
	for (int i = 0; i < 4; i++) {
		fp.fds[i] = dev_open();
		if (fp.fds[i] < 0)
			_exit(12);
	}
	fuzz_new_target(&fp);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, i < 3 ? fuzz_ioctl_thread :
				   fuzz_chaos_thread, &fp))
			_exit(13);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (fp.target > 0) {
		kill(fp.target, SIGKILL);
		waitpid(fp.target, NULL, 0);
	}
	_exit(0);
}

static long vmstat_value(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static const char *const bad_kmsg[] = {
	"BUG", "WARNING:", "Oops", "general protection fault",
	"Call Trace", "UBSAN", "KASAN", "Bad page", "refcount_t:",
	"list_add corruption", "list_del corruption", "Poison overwritten",
	"Object padding overwritten", "Redzone overwritten",
	"no longer grows the stack",
};

/* Kernel log records since @kfd was opened that look like trouble. */
static int kmsg_bad_lines(int kfd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;

	while ((n = read(kfd, rec, sizeof(rec) - 1)) != 0) {
		char *msg;

		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg = strtok(msg, "\n");
		for (size_t i = 0; msg && i < ARRAY_SIZE(bad_kmsg); i++)
			if (strstr(msg, bad_kmsg[i])) {
				bad++;
				diag("  suspicious: %s", msg);
				break;
			}
	}
	return bad;
}

/* Every process's VmPin; the number of processes with a non-zero one. */
static int vmpin_nonzero_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int bad = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		long kb;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		kb = status_kb(atoi(e->d_name), "VmPin");
		if (kb > 0) {
			diag("  pid %s: VmPin %ld kB", e->d_name, kb);
			bad++;
		}
	}
	closedir(d);
	return bad;
}

static int reload_module(void)
{
	int kfd;

	if (syscall(SYS_delete_module, "pinctl", O_NONBLOCK))
		return -errno;
	if (!ko_path)
		return -ENOENT;
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	if (syscall(SYS_finit_module, kfd, "", 0)) {
		close(kfd);
		return -errno;
	}
	close(kfd);
	for (int i = 0; i < 100 && access(dev_path, F_OK); i++)
		usleep(10000);
	return 0;
}

#define SWAP_IMG "/tmp/pinctl-swap.img"
#define SWAP_BYTES (32UL << 20)

/*
 * A swap device for the fuzz, so that MADV_PAGEOUT of (pinned) ranges really
 * writes pages out: a loop device over a file, with a version 1 swap header
 * (what mkswap writes). Its path in @dev; 0 or -errno.
 */
static int fuzz_swap_on(char *dev, size_t len)
{
	char *hdr = calloc(1, psz);
	uint32_t *info = (uint32_t *)(hdr + 1024);
	int ctl, nr, img = -1, loop = -1, ret = 0;

	if (!hdr)
		return -ENOMEM;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	nr = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	if (ctl >= 0)
		close(ctl);
	if (nr < 0) {
		ret = -errno;
		goto out;
	}
	snprintf(dev, len, "/dev/loop%d", nr);
	img = open(SWAP_IMG, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	info[0] = 1;				/* version */
	info[1] = SWAP_BYTES / psz - 1;		/* last_page */
	memcpy(hdr + psz - 10, "SWAPSPACE2", 10);
	if (img < 0 || ftruncate(img, SWAP_BYTES) ||
	    pwrite(img, hdr, psz, 0) != psz) {
		ret = -errno;
		goto out;
	}
	for (int i = 0; i < 100 && loop < 0; i++) {
		loop = open(dev, O_RDWR | O_CLOEXEC);
		if (loop < 0)
			usleep(10000);
	}
	if (loop < 0 || ioctl(loop, LOOP_SET_FD, img) || swapon(dev, 0))
		ret = -errno;
out:
	if (loop >= 0)
		close(loop);
	if (img >= 0)
		close(img);
	free(hdr);
	return ret;
}

static void fuzz_swap_off(const char *dev)
{
	int loop;

	swapoff(dev);
	loop = open(dev, O_RDWR | O_CLOEXEC);
	if (loop >= 0) {
		ioctl(loop, LOOP_CLR_FD, 0);
		close(loop);
	}
	unlink(SWAP_IMG);
}

/*
 * A fuzz phase: 3 processes x (3 ioctl threads + 1 chaos thread), as
 * nobody or root, until @target ioctls or @max_sec; panic_on_warn=1
 * meanwhile. Then: the kernel's pin counters balanced, Mlocked and
 * Unevictable at their baseline, no VmPin anywhere, no suspicious kernel
 * log line, and the module unloads and loads again.
 */
static int fuzz_phase(const char *name, bool user, long target, int max_sec,
		      long *ran)
{
	long mlocked = meminfo_kb("Mlocked"), unevict = meminfo_kb("Unevictable");
	long panic_on_warn = read_long_file("/proc/sys/kernel/panic_on_warn");
	int kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *env = getenv("PINCTL_FUZZ_SEED");
	struct timespec t0, t;
	char swapdev[32] = "";
	long swapped = 0;
	pid_t w[3];
	uint64_t seed;
	long acq, rel;
	int r;

	CHECK(fz && kfd >= 0);
	r = fuzz_swap_on(swapdev, sizeof(swapdev));
	if (r) {
		diag("%s: no swap device (%s): MADV_PAGEOUT moves nothing",
		     name, strerror(-r));
		swapdev[0] = 0;
	}
	lseek(kfd, 0, SEEK_END);
	memset(fz, 0, sizeof(*fz));
	fz->target_ioctls = target;
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^
		     ((uint64_t)getpid() << 32);
	diag("%s: seed %#llx (PINCTL_FUZZ_SEED)", name,
	     (unsigned long long)seed);
	if (user)
		dev_mode_0666();
	CHECK(write_long_file("/proc/sys/kernel/panic_on_warn", 1) == 0);
	all_cpus();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++) {
		w[i] = fork();
		CHECK(w[i] >= 0);
		if (!w[i])
			fuzz_worker(seed + i * 0x1000193, user);
	}
	for (int left = 3; left > 0;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid > 0) {
			for (int i = 0; i < 3; i++)
				if (pid == w[i])
					left--;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= max_sec)
			fz->stop = 1;
		if (swapdev[0] && meminfo_kb("SwapTotal") -
				  meminfo_kb("SwapFree") > swapped)
			swapped = meminfo_kb("SwapTotal") -
				  meminfo_kb("SwapFree");
		usleep(20000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	write_long_file("/proc/sys/kernel/panic_on_warn", panic_on_warn);
	if (swapdev[0]) {
		diag("%s: up to %ld kB swapped out by MADV_PAGEOUT", name,
		     swapped);
		fuzz_swap_off(swapdev);
	}
	if (user)
		dev_mode_0600();
	*ran += fz->ioctls;
	diag("%s: %ld ioctls in %lds (%ld ok; EINVAL %ld, EFAULT %ld, ENOTTY %ld, ENOENT %ld, ENOSPC %ld, ESRCH %ld, EPERM %ld, EBADF %ld, ENOMEM %ld, EOVERFLOW %ld)",
	     name, fz->ioctls, (long)(t.tv_sec - t0.tv_sec), fz->ok,
	     fz->errs[EINVAL], fz->errs[EFAULT], fz->errs[ENOTTY],
	     fz->errs[ENOENT], fz->errs[ENOSPC], fz->errs[ESRCH],
	     fz->errs[EPERM], fz->errs[EBADF], fz->errs[ENOMEM],
	     fz->errs[EOVERFLOW]);
	diag("%s: succeeded: VERSION %ld, PIN %ld, UNPIN %ld, QUERY %ld, BENCH %ld, LIST %ld, QUERY_FRAMES %ld; %ld forks, %ld execs, %ld targets killed mid-pin, %ld chaos steps",
	     name, fz->cmd_ok[0], fz->cmd_ok[1], fz->cmd_ok[2], fz->cmd_ok[3],
	     fz->cmd_ok[4], fz->cmd_ok[5], fz->cmd_ok[6], fz->forks, fz->execs,
	     fz->targets, fz->chaos);
	CHECK(fz->cmd_ok[1] > 0 && fz->cmd_ok[2] > 0 && fz->cmd_ok[3] > 0);
	CHECK(fz->cmd_ok[5] > 0);
	/* QUERY_FRAMES answers only root's descriptors. */
	CHECKF(user ? fz->cmd_ok[6] == 0 : fz->cmd_ok[6] > 0,
	       "QUERY_FRAMES succeeded %ld times", fz->cmd_ok[6]);
	CHECK(fz->forks > 0 && fz->execs > 0 && fz->targets > 3);

	CHECK(write_long_file("/proc/sys/vm/stat_refresh", 1) == 0);
	acq = vmstat_value("nr_foll_pin_acquired");
	rel = vmstat_value("nr_foll_pin_released");
	diag("%s: nr_foll_pin_acquired %ld, released %ld; Mlocked %ld -> %ld kB, Unevictable %ld -> %ld kB",
	     name, acq, rel, mlocked, meminfo_kb("Mlocked"), unevict,
	     meminfo_kb("Unevictable"));
	CHECK(acq >= 0 && acq == rel);
	CHECK(meminfo_kb("Mlocked") == mlocked);
	CHECK(meminfo_kb("Unevictable") == unevict);
	CHECK(vmpin_nonzero_processes() == 0);
	r = kmsg_bad_lines(kfd);
	close(kfd);
	CHECKF(r == 0, "%d suspicious kernel log lines", r);
	r = reload_module();
	CHECKF(r == 0, "rmmod and insmod after %s: %s", name, strerror(-r));
	return PASS;
}

/* --- LIST: who holds pins through /dev/pinctl -------------------------------- */

/*
 * Every LIST record visible to this caller, gathered @batch at a time
 * through the cursor. 0 with *@out (malloc()ed) and *@n, or -errno.
 */
static int list_all(int fd, unsigned int batch, struct pinctl_list_entry **out,
		    size_t *n)
{
	struct pinctl_list l = { .count = batch };
	struct pinctl_list_entry *e = NULL;
	size_t cap = 0, have = 0;
	int calls = 0;

	for (;;) {
		if (have + batch > cap) {
			cap = (have + batch) * 2;
			e = realloc(e, cap * sizeof(*e));
			if (!e)
				return -ENOMEM;
		}
		l.entries = (uintptr_t)(e + have);
		l.count = batch;
		if (ioctl(fd, PINCTL_IOC_LIST, &l)) {
			int err = -errno;

			free(e);
			return err;
		}
		if (l.count > batch) {
			free(e);
			return -EPROTO;
		}
		have += l.count;
		if (l.out_flags & PINCTL_LIST_END)
			break;
		if (++calls > 100000) {	/* the cursor does not advance */
			free(e);
			return -ELOOP;
		}
	}
	*out = e;
	*n = have;
	return 0;
}

static const struct pinctl_list_entry *
list_find(const struct pinctl_list_entry *e, size_t n, uint64_t file_id,
	  uint64_t handle)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].file_id == file_id && e[i].handle == handle)
			return &e[i];
	return NULL;
}

/* The file record this caller's @fd is (PINCTL_LIST_SELF), or NULL. */
static const struct pinctl_list_entry *
list_self(const struct pinctl_list_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((e[i].flags & PINCTL_LIST_SELF) &&
		    (e[i].flags & PINCTL_LIST_FILE))
			return &e[i];
	return NULL;
}

/* The records are in (file_id, handle) order, each pin after its file. */
static int list_ordered(const struct pinctl_list_entry *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (e[i].file_id < e[i - 1].file_id ||
		    (e[i].file_id == e[i - 1].file_id &&
		     e[i].handle <= e[i - 1].handle)) {
			diag("record %zu (file %llu handle %llu) after file %llu handle %llu",
			     i, (unsigned long long)e[i].file_id,
			     (unsigned long long)e[i].handle,
			     (unsigned long long)e[i - 1].file_id,
			     (unsigned long long)e[i - 1].handle);
			return -1;
		}
	}
	return 0;
}

/* A range open_pin_list() pins: PIN @flags (REMOTE through @mem_fd). */
struct list_pin {
	char *addr;
	uint64_t pages;
	uint32_t flags;
	int mem_fd;
	uint64_t handle;	/* set by open_pin_list() */
};

/*
 * Opens /dev/pinctl, pins each of @pins[0..@npins) through it and lists
 * every record this caller then sees (list_all, PINCTL_LIST_MAX a call).
 * The fd, with *@e (malloc()ed) and *@n; or -errno, nothing left open.
 */
static int open_pin_list(struct list_pin *pins, size_t npins,
			 struct pinctl_list_entry **e, size_t *n)
{
	int fd = dev_open(), r = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < npins && !r; i++) {
		r = do_pin(fd, pins[i].addr, pins[i].pages, pins[i].flags,
			   pins[i].mem_fd, NULL, &pins[i].handle);
		if (r)
			diag("PIN %zu of %zu (%llu pages, flags %#x): %s", i + 1,
			     npins, (unsigned long long)pins[i].pages,
			     pins[i].flags, strerror(-r));
	}
	if (!r)
		r = list_all(fd, PINCTL_LIST_MAX, e, n);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static int child_pin_and_wait(int ready_w, char *mem)
{
	int fd = dev_open();
	uint64_t h;
	char c = 'r';

	if (fd < 0 || do_pin(fd, mem, 3, PINCTL_PIN_LONGTERM, 0, NULL, &h))
		_exit(1);
	if (write(ready_w, &c, 1) != 1)
		_exit(2);
	pause();
	_exit(0);
}

/*
 * Root sees every open file with its opener and every pin with its
 * address, flags, target and charge: our own file (local, GET and remote
 * pins) and a child's, whose file disappears when the child exits. The
 * cursor gives the same records one at a time as all at once.
 */
static int test_list_shows_files_pins_and_owners(void)
{
	struct pinctl_list_entry *e = NULL, *e1 = NULL;
	const struct pinctl_list_entry *self, *r;
	char *p = map_small(8), *cm = map_small(4);
	uint64_t h_local, h_get, h_remote;
	struct pinctl_version v;
	size_t n, n1;
	int fd, pfd[2], mem_fd;
	char comm[16] = "", c;
	pid_t child;

	CHECK(p && cm && pipe(pfd) == 0);
	prctl(PR_GET_NAME, comm);
	child = fork();
	CHECK(child >= 0);
	if (!child)
		child_pin_and_wait(pfd[1], cm);
	CHECK(read(pfd[0], &c, 1) == 1);
	mem_fd = mem_open(child);
	CHECK(mem_fd >= 0);

	{
		struct list_pin pins[] = {
			{ .addr = p, .pages = 4,
			  .flags = PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE },
			{ .addr = p + 6 * psz, .pages = 1,
			  .flags = PINCTL_PIN_GET },
			{ .addr = cm + psz, .pages = 2,
			  .flags = PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
			  .mem_fd = mem_fd },
		};

		fd = open_pin_list(pins, 3, &e, &n);
		CHECKF(fd >= 0, "open, pin and list: %s", strerror(-fd));
		h_local = pins[0].handle;
		h_get = pins[1].handle;
		h_remote = pins[2].handle;
	}
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECKF(v.features & PINCTL_FEAT_LIST, "features %#llx",
	       (unsigned long long)v.features);
	CHECK(list_ordered(e, n) == 0);
	self = list_self(e, n);
	CHECK(self);
	CHECKF(self->opener_tgid == getpid() && self->opener_uid == 0 &&
	       !strncmp(self->opener_comm, comm, 16) &&
	       self->nr_handles == 3 && self->nr_pages == 7 &&
	       self->handle == 0 && self->addr == 0,
	       "self: tgid %d uid %u comm '%.16s' handles %u pages %llu",
	       self->opener_tgid, self->opener_uid, self->opener_comm,
	       self->nr_handles, (unsigned long long)self->nr_pages);

	r = list_find(e, n, self->file_id, h_local);
	CHECK(r && !(r->flags & PINCTL_LIST_FILE));
	CHECKF(r->addr == (uintptr_t)p && r->nr_pages == 4 &&
	       r->pin_flags == (PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE) &&
	       r->target_tgid == getpid() && r->pinner_tgid == getpid() &&
	       r->charged_uid == 0 && r->opener_tgid == getpid() &&
	       !(r->flags & (PINCTL_LIST_ADDR_HIDDEN |
			     PINCTL_LIST_TARGET_EXITED)),
	       "local pin: addr %#llx pages %llu flags %#x/%#x target %d",
	       (unsigned long long)r->addr, (unsigned long long)r->nr_pages,
	       r->pin_flags, r->flags, r->target_tgid);
	r = list_find(e, n, self->file_id, h_get);
	CHECK(r && r->addr == (uintptr_t)(p + 6 * psz) && r->nr_pages == 1 &&
	      r->pin_flags == PINCTL_PIN_GET);
	r = list_find(e, n, self->file_id, h_remote);
	CHECKF(r && r->addr == (uintptr_t)(cm + psz) && r->nr_pages == 2 &&
	       r->target_tgid == child && r->pinner_tgid == getpid(),
	       "remote pin: target %d (child %d)", r ? r->target_tgid : -1,
	       child);

	/* The child's own file and pin. */
	r = NULL;
	for (size_t i = 0; i < n; i++)
		if ((e[i].flags & PINCTL_LIST_FILE) && e[i].opener_tgid == child)
			r = &e[i];
	CHECK(r && !(r->flags & PINCTL_LIST_SELF) && r->nr_handles == 1 &&
	      r->nr_pages == 3);
	{
		const struct pinctl_list_entry *cp = list_find(e, n, r->file_id, 1);

		CHECKF(cp && cp->addr == (uintptr_t)cm && cp->nr_pages == 3 &&
		       cp->target_tgid == child && cp->pinner_tgid == child,
		       "child pin %p", (void *)cp);
	}

	/* One record per call walks the same records. */
	CHECK(list_all(fd, 1, &e1, &n1) == 0);
	CHECKF(n1 == n && !memcmp(e, e1, n * sizeof(*e)),
	       "%zu records one at a time, %zu at once", n1, n);
	free(e1);

	/* UNPIN and the child's exit take their records away. */
	CHECK(do_unpin(fd, h_local, NULL) == 0);
	kill(child, SIGKILL);
	CHECK(waitpid(child, NULL, 0) == child);
	free(e);
	CHECK(list_all(fd, 7, &e, &n) == 0);
	self = list_self(e, n);
	CHECK(self && self->nr_handles == 2 && self->nr_pages == 3);
	CHECK(!list_find(e, n, self->file_id, h_local));
	for (size_t i = 0; i < n; i++)
		CHECKF(e[i].opener_tgid != child, "the dead child's file is listed");
	/* The remote pin outlives its target, which LIST says. */
	r = list_find(e, n, self->file_id, h_remote);
	CHECKF(r && (r->flags & PINCTL_LIST_TARGET_EXITED) &&
	       r->target_tgid == 0, "remote pin after the target's exit: %p flags %#x",
	       (void *)r, r ? r->flags : 0);
	free(e);
	CHECK(do_unpin_all(fd, NULL) == 0);
	close(mem_fd);
	close(fd);
	return PASS;
}

/* LIST's struct and cursor are checked like every other ioctl's. */
static int test_list_bad_input_einval(void)
{
	struct pinctl_list_entry buf[4];
	char *none = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	int fd = dev_open();
	struct pinctl_list ok = { .entries = (uintptr_t)buf, .count = 4 };
	struct pinctl_list l;

	CHECK(fd >= 0 && none != MAP_FAILED);
	l = ok;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == 0 && l.count >= 1);
	l = ok, l.count = 0;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok, l.count = PINCTL_LIST_MAX + 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok, l.count = UINT32_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	for (int b = 0; b < 32; b++) {
		l = ok, l.flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
		l = ok, l.out_flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	}
	l = ok, l.reserved0 = 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	for (int i = 0; i < 3; i++) {
		l = ok, l.reserved[i] = 1ULL << 63;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	}
	l = ok, l.cursor_file = 1ULL << 32;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok, l.cursor_handle = (1ULL << 32) + 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok, l.cursor_handle = UINT64_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	/* The end of the id space is a valid, empty place to start. */
	l = ok, l.cursor_file = UINT32_MAX, l.cursor_handle = 1ULL << 32;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == 0 && l.count == 0 &&
	      (l.out_flags & PINCTL_LIST_END));
	/* Bad buffers: our own file's record is there to be written. */
	l = ok, l.entries = 0;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	l = ok, l.entries = (uintptr_t)none;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	l = ok, l.entries = 0xffff888000000000ULL;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	CHECK(xioctl(fd, PINCTL_IOC_LIST, none) == -EFAULT);
	CHECK(xioctl(fd, PINCTL_IOC_LIST, NULL) == -EFAULT);
	close(fd);
	return PASS;
}

/*
 * Without CAP_SYS_ADMIN, as /proc keeps another user's layout: nobody sees
 * its own files and the pins charged to it, never root's file or pins;
 * addresses only of its own pins. Root's file, which nobody pins into
 * (inherited across fork), shows nobody its pin but not the file; root's
 * pin in nobody's file (passed over SCM_RIGHTS) shows without its address.
 */
static int test_user_list_shows_only_own_uid(void)
{
	struct pinctl_list_entry *e;
	const struct pinctl_list_entry *r;
	char *p = map_small(8);
	struct list_pin root_pin = {
		.addr = p, .pages = 2, .flags = PINCTL_PIN_LONGTERM,
	};
	int root_fd, sv[2], st;
	uint64_t h_root;
	size_t n;
	pid_t child;

	CHECK(p && cap_sys_admin());
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	root_fd = open_pin_list(&root_pin, 1, &e, &n);
	CHECKF(root_fd >= 0, "open, pin and list: %s", strerror(-root_fd));
	h_root = root_pin.handle;
	r = list_find(e, n, list_self(e, n)->file_id, h_root);
	CHECK(r && r->addr == (uintptr_t)p);
	free(e);
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		int own, got = 0;
		uint64_t h_in_root, h_own;
		char c;

		if (become_nobody())
			_exit(20);
		own = dev_open();
		if (own < 0 || send_fd(sv[1], own))
			_exit(21);
		if (do_pin(root_fd, p + 4 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			   NULL, &h_in_root) ||
		    do_pin(own, p + 5 * psz, 2, PINCTL_PIN_LONGTERM, 0, NULL,
			   &h_own))
			_exit(22);
		/* Wait for root's pin in our file. */
		if (read(sv[1], &c, 1) != 1)
			_exit(23);
		if (list_all(own, 3, &e, &n))
			_exit(24);
		for (size_t i = 0; i < n; i++) {
			diag("nobody sees: file %llu handle %llu flags %#x opener %d uid %u charged %u addr %#llx",
			     (unsigned long long)e[i].file_id,
			     (unsigned long long)e[i].handle, e[i].flags,
			     e[i].opener_tgid, e[i].opener_uid,
			     e[i].charged_uid, (unsigned long long)e[i].addr);
			if ((e[i].flags & PINCTL_LIST_FILE) &&
			    e[i].opener_uid != NOBODY)
				_exit(30);	/* root's file */
			if (!(e[i].flags & PINCTL_LIST_FILE) &&
			    e[i].charged_uid != NOBODY &&
			    e[i].opener_uid != NOBODY)
				_exit(31);	/* root's pin in root's file */
			if (e[i].charged_uid == 0 && e[i].opener_uid == NOBODY &&
			    !(e[i].flags & PINCTL_LIST_FILE)) {
				if (!(e[i].flags & PINCTL_LIST_ADDR_HIDDEN) ||
				    e[i].addr)
					_exit(32);
				got |= 1;
			}
			if (e[i].handle == h_in_root &&
			    e[i].charged_uid == NOBODY && e[i].opener_uid == 0) {
				if (e[i].addr != (uintptr_t)(p + 4 * psz))
					_exit(33);
				got |= 2;
			}
			if (e[i].handle == h_own &&
			    e[i].opener_uid == NOBODY &&
			    e[i].charged_uid == NOBODY) {
				if (e[i].addr != (uintptr_t)(p + 5 * psz) ||
				    (e[i].flags & PINCTL_LIST_ADDR_HIDDEN))
					_exit(34);
				got |= 4;
			}
			if ((e[i].flags & PINCTL_LIST_FILE) &&
			    (e[i].flags & PINCTL_LIST_SELF))
				got |= 8;
		}
		_exit(got == 15 ? 0 : 40 + got);
	}
	{
		int theirs = recv_fd(sv[0]);
		uint64_t h;
		char c = 'g';

		CHECK(theirs >= 0);
		CHECK(do_pin(theirs, p + 7 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			     NULL, &h) == 0);
		CHECK(write(sv[0], &c, 1) == 1);
		CHECK(waitpid(child, &st, 0) == child);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "nobody's view: status %#x (30 root's file, 31 root's pin, 32 address shown, 33/34 own address wrong, 40+ missing records)",
		       st);
		/* Root sees it all, nobody's addresses too. */
		CHECK(list_all(root_fd, 64, &e, &n) == 0);
		r = list_find(e, n, list_self(e, n)->file_id, h_root);
		CHECK(r && r->addr == (uintptr_t)p);
		for (size_t i = 0; i < n; i++)
			CHECK(!(e[i].flags & PINCTL_LIST_ADDR_HIDDEN));
		free(e);
		close(theirs);
	}
	CHECK(do_unpin_all(root_fd, NULL) == 0);
	close(root_fd);
	return PASS;
}

struct list_race {
	volatile int stop;
	char *mem;
	size_t pages;
	long lists, records, pins, closes, bad;
	char comm[16];
};

/* Pins, unpins, closes and reopens, as fast as it can. */
static void *list_race_churn(void *arg)
{
	struct list_race *c = arg;
	int fd = dev_open();

	for (unsigned int i = 0; fd >= 0 && !c->stop; i++) {
		uint64_t h;
		size_t at = (i * 7) % (c->pages - 4);

		if (!do_pin(fd, c->mem + at * psz, 1 + i % 4,
			    PINCTL_PIN_LONGTERM, 0, NULL, &h))
			__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
		if (i % 3 == 0)
			do_unpin(fd, h, NULL);
		if (i % 16 == 15) {
			close(fd);	/* frees what the file still holds */
			fd = dev_open();
			__atomic_add_fetch(&c->closes, 1, __ATOMIC_RELAXED);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Lists and checks every record against what the churn can have made. */
static void *list_race_lister(void *arg)
{
	struct list_race *c = arg;
	uintptr_t lo = (uintptr_t)c->mem, hi = lo + c->pages * psz;
	struct pinctl_list_entry e[16];
	int fd = dev_open();

	rng_state = ((uint64_t)gettid() << 17) ^ 0x9e3779b97f4a7c15ULL;

	while (fd >= 0 && !c->stop) {
		struct pinctl_list l = {
			.entries = (uintptr_t)e, .count = 1 + rnd() % 16,
		};

		do {
			if (ioctl(fd, PINCTL_IOC_LIST, &l)) {
				__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
				break;
			}
			for (unsigned int i = 0; i < l.count; i++) {
				const struct pinctl_list_entry *x = &e[i];
				bool file = x->flags & PINCTL_LIST_FILE;

				if (x->opener_tgid != getpid() ||
				    strncmp(x->opener_comm, c->comm, 16) ||
				    (file ? x->handle || x->addr ||
					    x->nr_pages > 4 * 1024 :
					    x->addr < lo ||
					    x->addr + x->nr_pages * psz > hi ||
					    x->nr_pages < 1 ||
					    x->nr_pages > 4 ||
					    x->pin_flags != PINCTL_PIN_LONGTERM ||
					    x->target_tgid != getpid() ||
					    x->handle > UINT32_MAX) ||
				    x->reserved[0] || x->reserved[1]) {
					if (__atomic_add_fetch(&c->bad, 1,
							       __ATOMIC_RELAXED) < 4)
						diag("bad record: file %llu handle %#llx addr %#llx pages %#llx flags %#x/%#x tgid %d",
						     (unsigned long long)x->file_id,
						     (unsigned long long)x->handle,
						     (unsigned long long)x->addr,
						     (unsigned long long)x->nr_pages,
						     x->flags, x->pin_flags,
						     x->opener_tgid);
				}
			}
			__atomic_add_fetch(&c->records, l.count,
					   __ATOMIC_RELAXED);
			l.count = 1 + rnd() % 16;
		} while (!(l.out_flags & PINCTL_LIST_END) && !c->stop);
		__atomic_add_fetch(&c->lists, 1, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * LIST reads regions and files that UNPIN and close free: four threads
 * churn while two list, under slub_debug=FZPU, so a record read from a
 * freed region or file shows 0x6b poison (or the allocator complains in
 * the log, which dmesg_clean reads).
 */
static int test_list_races_pin_unpin_close(void)
{
	struct list_race c = { .pages = 64 };
	pthread_t t[6];
	long acq, rel;

	c.mem = map_small(c.pages);
	CHECK(c.mem);
	prctl(PR_GET_NAME, c.comm);
	all_cpus();
	for (int i = 0; i < 6; i++)
		CHECK(pthread_create(&t[i], NULL, i < 4 ? list_race_churn :
				     list_race_lister, &c) == 0);
	sleep(6);
	c.stop = 1;
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	diag("%ld listings (%ld records) against %ld pins and %ld closes; %ld bad",
	     c.lists, c.records, c.pins, c.closes, c.bad);
	CHECK(c.bad == 0);
	CHECK(c.lists > 10 && c.pins > 100 && c.closes > 10);
	CHECK(write_long_file("/proc/sys/vm/stat_refresh", 1) == 0);
	acq = vmstat_value("nr_foll_pin_acquired");
	rel = vmstat_value("nr_foll_pin_released");
	CHECKF(acq == rel, "nr_foll_pin_acquired %ld, released %ld", acq, rel);
	return PASS;
}

/* --- QUERY_FRAMES: frames by number ------------------------------------------ */

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
static int test_frames_of_a_pinned_page(void)
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
static int test_frames_agree_with_kpageflags(void)
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
static int test_frames_of_offline_block_read_nopage(void)
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
static int test_frames_of_a_hugetlb_page(void)
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

static int test_frames_bad_input_einval(void)
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
	q = ok, q.nr_frames = 0;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.nr_frames = (1 << 20) + 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.nr_frames = UINT64_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.first_pfn = UINT64_MAX - 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.first_pfn = maxp - 3;	/* one past the end */
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.first_pfn = maxp - 4;	/* the last four */
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == 0);
	q = ok, q.first_pfn = maxp;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.first_pfn = 1ULL << 52;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	for (int b = 0; b < 32; b++) {
		q = ok, q.flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	}
	q = ok, q.reserved0 = 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	q = ok, q.max_pfn = 1;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	for (int i = 0; i < 3; i++) {
		q = ok, q.reserved[i] = 1;
		CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EINVAL);
	}
	q = ok, q.frames = 0;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EFAULT);
	q = ok, q.frames = (uintptr_t)none;
	CHECK(xioctl(fd, PINCTL_IOC_QUERY_FRAMES, &q) == -EFAULT);
	q = ok, q.frames = 0xffff888000000000ULL;
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
static int test_user_frames_need_cap_sys_admin(void)
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
static int test_frames_follow_the_opener(void)
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
static int test_below_stack_refused_without_stack_dump(void)
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
 * >= 100k ioctls per kernel: a plain user at a 0666 device, then root
 * (GET and short-term pins, PFNs).
 */
static int test_fuzz_processes_threads_fork_exec_remote(void)
{
	long ran = 0;

	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fz != MAP_FAILED);
	CHECK(fuzz_phase("fuzz as nobody", true, 200000, 100, &ran) == PASS);
	CHECK(fuzz_phase("fuzz as root", false, 100000, 60, &ran) == PASS);
	diag("fuzz: %ld ioctls on this kernel", ran);
	CHECKF(ran >= 100000, "only %ld ioctls", ran);
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
	bool user;		/* runs as nobody, the device at 0666 */
};

#define T(name, t) { #name, test_##name, t, NULL, NULL, false }
/* A plain user's test: /dev/pinctl chmod 0666, the test process nobody. */
#define TU(name, t) { #name, test_##name, t, dev_mode_0666, dev_mode_0600, true }

static const struct test tests[] = {
	T(version_fields, 10),
	T(pin_raises_refcount_by_bias, 10),
	T(pin_unpin_anon_flag_matrix, 20),
	T(invalid_flag_combinations_einval, 10),
	T(dma_pinned_flag_set_and_cleared, 10),
	T(pfns_match_pagemap, 10),
	T(query_does_not_fault, 10),
	{ "query_remote_does_not_fault", test_query_remote_does_not_fault, 20,
	  save_hugepages, restore_hugepages, false },
	T(unpin_handles_and_all, 10),
	T(close_releases_pins, 10),
	T(sigkill_releases_pins, 20),
	T(rlimit_memlock_enforced, 10),
	T(cap_ipc_lock_bypasses_limit, 10),
	T(remote_named_by_proc_mem_fd, 10),
	T(remote_write_pin_needs_writable_mem_fd, 10),
	T(uffd_missing_range_pin_fails_without_waiting, 20),
	T(vsyscall_and_zero_page_pins_are_clean, 10),
	T(unknown_command_enotty, 10),
	T(unknown_flags_einval, 10),
	T(reserved_nonzero_einval, 10),
	T(bad_ranges_einval, 10),
	T(partial_pin_undone, 10),
	{ "per_fd_limits_enforced", test_per_fd_limits_enforced, 10,
	  save_limits, restore_limits, false },
	T(thp_pin, 30),
	T(reordered_thp_subpages_released_exactly, 30),
	{ "hugetlb_pin", test_hugetlb_pin, 30, save_hugepages,
	  restore_hugepages, false },
	T(shmem_memfd_pin, 10),
	T(tmpfs_file_pin, 10),
	T(ext_file_pin, 20),
	T(ext_file_longterm_write_refused, 20),
	T(pinned_page_refuses_soft_offline, 30),
	T(pinned_page_refuses_collapse, 60),
	T(bench_sane, 60),
	TU(user_short_term_and_get_need_cap_sys_admin, 20),
	TU(user_pfns_hidden_as_pagemap_does, 10),
	{ "pfn_visibility_follows_the_opener",
	  test_pfn_visibility_follows_the_opener, 10, dev_mode_0666,
	  dev_mode_0600, false },
	TU(user_pin_unpin_race_never_reads_freed_region, 60),
	{ "user_yama_ptrace_scope_refuses_remote",
	  test_user_yama_ptrace_scope_refuses_remote, 20, save_ptrace_scope,
	  restore_ptrace_scope, false },
	T(exec_after_open_leaves_descriptor_dead, 20),
	{ "user_setuid_exec_never_pinned", test_user_setuid_exec_never_pinned,
	  60, dev_mode_0666, dev_mode_0600, false },
	{ "user_memlock_charged_per_user", test_user_memlock_charged_per_user,
	  30, dev_mode_0666, dev_mode_0600, false },
	{ "refcount_and_total_bounds_refuse_cleanly",
	  test_refcount_and_total_bounds_refuse_cleanly, 20, save_bounds,
	  restore_bounds, false },
	{ "user_refused_pins_never_crowd_out_others",
	  test_user_refused_pins_never_crowd_out_others, 60, dev_mode_0666,
	  dev_mode_0600, false },
	{ "user_share_bounds_one_user_not_others",
	  test_user_share_bounds_one_user_not_others, 30, save_share,
	  restore_share, false },
	{ "user_share_counts_namespace_uids_against_owner",
	  test_user_share_counts_namespace_uids_against_owner, 30,
	  save_share, restore_share, false },
	T(bench_ends_on_a_caught_signal, 20),
	T(default_bounds_stop_refcount_before_overflow, 120),
	{ "hugetlb_in_zone_movable_longterm_refused_before_6_6",
	  test_hugetlb_in_zone_movable_longterm_refused_before_6_6, 60,
	  save_hugepages_movable, restore_hugepages_movable, false },
	T(below_stack_refused_without_stack_dump, 10),
	T(list_shows_files_pins_and_owners, 20),
	T(list_bad_input_einval, 10),
	{ "user_list_shows_only_own_uid", test_user_list_shows_only_own_uid,
	  20, dev_mode_0666, dev_mode_0600, false },
	T(list_races_pin_unpin_close, 30),
	T(frames_of_a_pinned_page, 20),
	T(frames_agree_with_kpageflags, 60),
	{ "frames_of_a_hugetlb_page", test_frames_of_a_hugetlb_page, 30,
	  save_hugepages, restore_hugepages, false },
	T(frames_bad_input_einval, 10),
	T(frames_of_offline_block_read_nopage, 30),
	TU(user_frames_need_cap_sys_admin, 10),
	T(frames_follow_the_opener, 10),
	T(fuzz_processes_threads_fork_exec_remote, 300),
	T(dmesg_clean, 10),
	T(module_unload_and_reload, 30),
};

static void parse_kernel_version(void)
{
	struct utsname u;

	if (!uname(&u))
		sscanf(u.release, "%d.%d", &kver_major, &kver_minor);
}

/* Is @name in the comma-separated @list? */
static bool selected(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == 0))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *only = getenv("PINCTL_TEST_ONLY");
	int passed = 0, failed = 0, skipped = 0;
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	/* The images some tests exec. */
	if (argc > 2 && !strcmp(argv[1], "--exec-target"))
		return exec_target_main(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "--suid-target"))
		return suid_target_main();
	if (argc > 2 && !strcmp(argv[1], "--pin-inherited"))
		return pin_inherited_main(argv[2]);
	if (argc > 3 && !strcmp(argv[1], "--fuzz-exec"))
		return fuzz_exec_main(argv[2], argv[3]);
	/*
	 * For scripts/vm/guest/pinctl-cli.sh: a process holding a large
	 * PROT_NONE reservation (as Go, the JVM and ASan make), nothing in it.
	 */
	if (argc > 2 && !strcmp(argv[1], "--reserve")) {
		size_t len = (size_t)strtoul(argv[2], NULL, 10) << 30;
		void *p = mmap(NULL, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p == MAP_FAILED) {
			perror("pinctl_test --reserve");
			return 125;
		}
		printf("%p\n", p);
		fflush(stdout);
		pause();
		return 0;
	}
	/* For scripts/vm/guest/pinctl-cli.sh: run a command as nobody. */
	if (argc > 2 && !strcmp(argv[1], "--as-nobody")) {
		if (become_nobody()) {
			perror("pinctl_test --as-nobody");
			return 125;
		}
		execv(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
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
		if (only && !selected(only, t->name)) {
			printf("ok %zu %s # SKIP not in PINCTL_TEST_ONLY\n", i + 1,
			       t->name);
			skipped++;
			continue;
		}
		if (t->setup)
			t->setup();
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			alarm(t->timeout);
			if (t->user && become_nobody()) {
				diag("cannot become nobody: %s", strerror(errno));
				_exit(FAIL);
			}
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
