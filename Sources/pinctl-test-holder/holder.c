// SPDX-License-Identifier: MIT
/*
 * pinctl-test-holder - maps and touches memory in known ways, prints where, and holds
 * it until stdin closes or SIGTERM arrives. Live tests and benchmarks inspect this
 * process as "another pid" whose layout they know.
 *
 *   pinctl-test-holder KIND:SIZE[:PATH] ...
 *
 * KIND: anon (4K pages, written), thp (2 MiB aligned, MADV_HUGEPAGE, written),
 *       mlock (anon, written, mlock2), zero (anon, read: the shared zero page),
 *       untouched (anon, never faulted), pageout (anon, written, then MADV_PAGEOUT),
 *       file (PATH mapped shared read-only and read), memfd (shared, written),
 *       guard (anon, written, then MADV_GUARD_INSTALL on every other page; 6.15+),
 *       hugetlb (MAP_HUGETLB 2 MiB pages, written; needs vm.nr_hugepages),
 *       hostile (creates DIR/HOSTILE_NAME below, SIZE bytes, maps it shared and reads it:
 *       a path holding ESC, BEL, a newline and the byte 0xff, which is not UTF-8),
 *       zombie (forks a child that exits at once and is never reaped; SIZE is ignored;
 *       prints "zombie PID"),
 *       exec (exec:MICROSECONDS:PATH: that long after "ready", execs PATH with no
 *       arguments, replacing the address space mid-inspect),
 *       thpsplit (as thp, then the middle 1 MiB of the first huge page made read-only:
 *       three VMAs over one PTE-mapped huge page),
 *       sparse (anon, one page written in every 64: a large range of page tables with
 *       little memory behind it),
 *       alternate (anon, every other page written: a PAGEMAP_SCAN region per page),
 *       hostilecomm (sets its comm to HOSTILE_COMM with prctl(PR_SET_NAME); SIZE is
 *       ignored),
 *       mlocklast (mlock of the region named just before it, a file mapping too; SIZE
 *       is ignored),
 *       reserve (PROT_NONE, never touched: an address space reservation),
 *       few (anon, six pages written: the first, one at 3 MiB + 4 KiB, three in the
 *       middle, the last; the rest unpopulated),
 *       uffdwp (anon, first half written, then registered with userfaultfd in WP mode and
 *       write-protected whole; with UFFD_FEATURE_WP_UNPOPULATED (6.4+) the unpopulated
 *       half holds uffd-wp pte markers),
 *       softdirty (anon, written, soft-dirty cleared for the whole process through
 *       /proc/self/clear_refs (4), then the second half written again; without
 *       CONFIG_MEM_SOFT_DIRTY the clear does nothing),
 *       filesparse (PATH mapped shared read-only, one page read in every 1024: fault-around
 *       maps a few cached neighbours, the rest are holes),
 *       readlease, writelease (PATH opened and leased with fcntl(F_SETLEASE), F_RDLCK or
 *       F_WRLCK, and held; SIGIO, which tells of a lease break, is ignored, so the lease
 *       lasts until the kernel takes it back after fs.lease-break-time; SIZE is ignored).
 * SIZE: bytes with an optional K, M or G suffix.
 *
 * Prints "region KIND 0xADDR SIZE" per region, then "ready", then waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The name the hostile kind gives its file. */
#define HOSTILE_NAME "evil\x1b" "[31mred\x07" "bell\n" "line\xff" ".bin"
/* The comm the hostilecomm kind takes: ESC, BEL and a byte that is not UTF-8 (14 bytes). */
#define HOSTILE_COMM "ev\x1b" "[31m\x07" "x\xff" "comm"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* <linux/userfaultfd.h> as of 6.18; the installed header may be older. */
struct holder_uffdio_api { uint64_t api, features, ioctls; };
struct holder_uffdio_range { uint64_t start, len; };
struct holder_uffdio_register { struct holder_uffdio_range range; uint64_t mode, ioctls; };
struct holder_uffdio_writeprotect { struct holder_uffdio_range range; uint64_t mode; };
#define HOLDER_UFFDIO_API 0xC018AA3FUL
#define HOLDER_UFFDIO_REGISTER 0xC020AA00UL
#define HOLDER_UFFDIO_WRITEPROTECT 0xC018AA06UL
#define HOLDER_UFFD_FEATURE_WP_UNPOPULATED (1ULL << 13)
#define HOLDER_UFFDIO_REGISTER_MODE_WP 2
#define HOLDER_UFFDIO_WRITEPROTECT_MODE_WP 1

static const size_t page = 4096;
static const size_t huge = 2UL << 20;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "pinctl-test-holder: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static size_t parse_size(const char *s, const char *spec)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned long long mult = 1;
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'K': case 'k': mult = 1ULL << 10; end++; break;
	case 'M': case 'm': mult = 1ULL << 20; end++; break;
	case 'G': case 'g': mult = 1ULL << 30; end++; break;
	}
	if ((*end != '\0' && *end != ':') || v == 0 || v > (1ULL << 40) / mult)
		goto bad;
	return (size_t)(v * mult + page - 1) & ~(page - 1);
bad:
	fprintf(stderr, "pinctl-test-holder: bad size in '%s' (use e.g. anon:64K)\n", spec);
	exit(2);
}

static char *map_anon(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", "anon");
	if (align) {
		uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
		if (a > (uintptr_t)p)
			munmap(p, a - (uintptr_t)p);
		munmap((char *)a + len, (uintptr_t)p + align - a);
		p = (char *)a;
	}
	return p;
}

static void write_pages(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += page)
		p[off] = (char)(1 + (off / page) % 251);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pinctl-test-holder KIND:SIZE[:PATH] ...\n");
		return 2;
	}
	const char *exec_path = NULL;
	unsigned long exec_delay = 0;
	char *last = NULL;
	size_t last_len = 0;
	for (int i = 1; i < argc; i++) {
		char *spec = argv[i];
		char *colon = strchr(spec, ':');
		if (!colon) {
			fprintf(stderr, "pinctl-test-holder: '%s' is not KIND:SIZE\n", spec);
			return 2;
		}
		size_t kl = (size_t)(colon - spec);
		if (kl == 4 && strncmp(spec, "exec", 4) == 0) {
			char *end;
			exec_delay = strtoul(colon + 1, &end, 10);
			if (*end != ':' || !end[1]) {
				fprintf(stderr, "pinctl-test-holder: '%s' needs exec:MICROSECONDS:PATH\n", spec);
				return 2;
			}
			exec_path = end + 1;
			continue;
		}
		size_t len = parse_size(colon + 1, spec);
		char *p;
#define IS(k) (kl == strlen(k) && strncmp(spec, k, kl) == 0)
		if (IS("anon") || IS("mlock") || IS("zero") || IS("untouched") || IS("pageout")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			if (IS("zero")) {
				volatile char sink = 0;
				for (size_t off = 0; off < len; off += page)
					sink += p[off];
				(void)sink;
			} else if (!IS("untouched")) {
				write_pages(p, len);
			}
			/* The system call, not libc's mlock(): AddressSanitizer's mlock
			 * interceptor returns 0 without locking, and the sanitizer runs
			 * of the tests (scripts/test.sh) build this holder with it. */
			if (IS("mlock") && syscall(SYS_mlock, p, len))
				die("mlock", spec);
			if (IS("pageout") && madvise(p, len, MADV_PAGEOUT))
				die("madvise(MADV_PAGEOUT)", spec);
		} else if (IS("guard")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			write_pages(p, len);
			for (size_t off = 0; off < len; off += 2 * page)
				if (madvise(p + off, page, MADV_GUARD_INSTALL))
					die("madvise(MADV_GUARD_INSTALL)", spec);
		} else if (IS("hugetlb")) {
			len = (len + huge - 1) & ~(huge - 1);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
			if (p == MAP_FAILED)
				die("mmap(MAP_HUGETLB)", spec);
			write_pages(p, len);
		} else if (IS("thp") || IS("thpsplit")) {
			p = map_anon(len, huge);
			if (madvise(p, len, MADV_HUGEPAGE))
				die("madvise(MADV_HUGEPAGE)", spec);
			write_pages(p, len);
			if (IS("thpsplit") && mprotect(p + huge / 4, huge / 2, PROT_READ))
				die("mprotect", spec);
		} else if (IS("sparse")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			for (size_t off = 0; off < len; off += 64 * page)
				p[off] = 1;
		} else if (IS("alternate")) {
			/* Every other page written: one PAGEMAP_SCAN region per page, more than its
			 * output vector holds for any chunk. */
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			for (size_t off = 0; off < len; off += 2 * page)
				p[off] = 1;
		} else if (IS("vmas")) {
			/* One VMA per page: every other page made read-only, so neighbours never
			 * merge (a process with as many mappings as a search engine's). */
			p = map_anon(len, 0);
			for (size_t off = 0; off < len; off += 2 * page)
				if (mprotect(p + off, page, PROT_READ))
					die("mprotect", spec);
		} else if (IS("reserve")) {
			p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (p == MAP_FAILED)
				die("mmap(PROT_NONE)", spec);
		} else if (IS("few")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			size_t at[] = { 0, (3UL << 20) + page, len / 2 - page, len / 2, len / 2 + page, len - page };
			for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
				if (at[i] < len)
					p[at[i]] = 1;
		} else if (IS("softdirty")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			write_pages(p, len);
			int fd = open("/proc/self/clear_refs", O_WRONLY);
			if (fd >= 0) {
				if (write(fd, "4", 1) < 0) { /* no CONFIG_MEM_SOFT_DIRTY: nothing to clear */ }
				close(fd);
			}
			write_pages(p + len / 2, len / 2);
		} else if (IS("uffdwp")) {
			p = map_anon(len, 0);
			madvise(p, len, MADV_NOHUGEPAGE);
			write_pages(p, len / 2);
			int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
			if (uffd < 0)
				die("userfaultfd", spec);
			struct holder_uffdio_api api = { .api = 0xAA, .features = HOLDER_UFFD_FEATURE_WP_UNPOPULATED };
			if (ioctl(uffd, HOLDER_UFFDIO_API, &api)) {
				/* Before 6.4: no markers for unpopulated pages; API once per fd. */
				close(uffd);
				uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
				api = (struct holder_uffdio_api){ .api = 0xAA };
				if (uffd < 0 || ioctl(uffd, HOLDER_UFFDIO_API, &api))
					die("UFFDIO_API", spec);
			}
			struct holder_uffdio_register reg = {
				.range = { (uintptr_t)p, len }, .mode = HOLDER_UFFDIO_REGISTER_MODE_WP
			};
			if (ioctl(uffd, HOLDER_UFFDIO_REGISTER, &reg))
				die("UFFDIO_REGISTER", spec);
			struct holder_uffdio_writeprotect wp = {
				.range = { (uintptr_t)p, len }, .mode = HOLDER_UFFDIO_WRITEPROTECT_MODE_WP
			};
			if (ioctl(uffd, HOLDER_UFFDIO_WRITEPROTECT, &wp))
				die("UFFDIO_WRITEPROTECT", spec);
			/* The fd stays open: the registration lasts as long as the holder. */
		} else if (IS("memfd")) {
			int fd = memfd_create("pinctl-test-holder", 0);
			if (fd < 0 || ftruncate(fd, (off_t)len))
				die("memfd_create", spec);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die("mmap", spec);
			close(fd);
			write_pages(p, len);
		} else if (IS("file") || IS("filesparse")) {
			/* file: reads every page of PATH within its size; filesparse: every 1024th,
			 * leaving holes in the mapping's page tables between them. */
			char *path = strchr(colon + 1, ':');
			if (!path) {
				fprintf(stderr, "pinctl-test-holder: '%s' needs %.*s:SIZE:PATH\n", spec, (int)kl, spec);
				return 2;
			}
			path++;
			int fd = open(path, O_RDONLY);
			if (fd < 0)
				die("open", path);
			p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die("mmap", path);
			close(fd);
			volatile char sink = 0;
			struct stat st;
			size_t filelen = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
			size_t step = IS("filesparse") ? 1024 * page : page;
			for (size_t off = 0; off < len && off < filelen; off += step)
				sink += p[off];
			(void)sink;
		} else if (IS("hostile")) {
			char *dir = strchr(colon + 1, ':');
			char path[4096];
			if (!dir) {
				fprintf(stderr, "pinctl-test-holder: '%s' needs hostile:SIZE:DIR\n", spec);
				return 2;
			}
			snprintf(path, sizeof(path), "%s/%s", dir + 1, HOSTILE_NAME);
			int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
			if (fd < 0 || ftruncate(fd, (off_t)len))
				die("create", dir + 1);
			p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die("mmap", dir + 1);
			close(fd);
			volatile char sink = 0;
			for (size_t off = 0; off < len; off += page)
				sink += p[off];
			(void)sink;
		} else if (IS("mlocklast")) {
			if (!last || syscall(SYS_mlock, last, last_len))
				die("mlock", spec);
			continue;
		} else if (IS("readlease") || IS("writelease")) {
			char *path = strchr(colon + 1, ':');
			if (!path) {
				fprintf(stderr, "pinctl-test-holder: '%s' needs %.*s:SIZE:PATH\n", spec, (int)kl, spec);
				return 2;
			}
			path++;
			int write_lease = IS("writelease");
			int fd = open(path, write_lease ? O_RDWR : O_RDONLY);
			signal(SIGIO, SIG_IGN);
			if (fd < 0 || fcntl(fd, F_SETLEASE, write_lease ? F_WRLCK : F_RDLCK))
				die("fcntl(F_SETLEASE)", path);
			continue;
		} else if (IS("hostilecomm")) {
			if (prctl(PR_SET_NAME, HOSTILE_COMM, 0, 0, 0))
				die("prctl(PR_SET_NAME)", spec);
			continue;
		} else if (IS("zombie")) {
			pid_t child = fork();
			if (child < 0)
				die("fork", spec);
			if (child == 0)
				_exit(0);
			printf("zombie %d\n", (int)child);
			continue;
		} else {
			fprintf(stderr, "pinctl-test-holder: unknown kind in '%s'\n", spec);
			return 2;
		}
#undef IS
		printf("region %.*s 0x%" PRIxPTR " %zu\n", (int)kl, spec, (uintptr_t)p, len);
		last = p;
		last_len = len;
	}
	/* No SA_RESTART: the read() below must return EINTR so the loop sees stop. */
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	if (exec_path) {
		usleep(exec_delay);
		execl(exec_path, exec_path, (char *)NULL);
		die("exec", exec_path);
	}
	char buf[64];
	while (!stop) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	return 0;
}
