/*
 * proc-capture: set up memory regions of known kinds, then save this process's /proc
 * views of them as parser test fixtures.
 *
 * Build and run (as root: PFNs and /proc/kpage* need CAP_SYS_ADMIN):
 *   gcc -O2 -static -Wall -Wextra -o proc-capture proc-capture.c
 *   ./proc-capture OUTDIR [FILEDIR]
 * scripts/capture/proc-fixtures.sh does both, on the host and in a VM.
 *
 * Regions (KIND: what was done to it):
 *   thp        4 MiB at a 2 MiB boundary, MADV_HUGEPAGE, every page written
 *   anon       64 KiB private anonymous, MADV_NOHUGEPAGE, every page written
 *   zero       16 KiB private anonymous, every page only read (shared zero page)
 *   mlocked    16 KiB private anonymous, written, then mlock()ed
 *   file       16 KiB MAP_SHARED PROT_READ of FILEDIR/pinctl-capture.data, every page read
 *   memfd      16 KiB MAP_SHARED of a memfd ("pinctl-memfd"), every page written
 *   untouched  16 KiB private anonymous, never touched
 * An unmapped page separates neighbours, so no two regions merge into one VMA even
 * where the kernel cannot name anonymous VMAs (PR_SET_VMA_ANON_NAME needs
 * CONFIG_ANON_VMA_NAME; failure is recorded, not fatal).
 *
 * Files written to OUTDIR:
 *   maps.txt, smaps.txt, status.txt  /proc/self/{maps,smaps,status} verbatim
 *   regions.txt  one line per region: KIND 0xSTART 0xEND
 *   pages.txt    one line per page of every region:
 *                KIND 0xVADDR 0xPAGEMAP 0xKPAGEFLAGS KPAGECOUNT 0xKPAGECGROUP
 *                (pagemap entry raw; the last three read at its PFN, "-" when the page
 *                has no PFN or the file is missing)
 *   uname.txt    the kernel release
 *   kernel-config-notes.txt  what this kernel did that a parser test may care about
 *
 * The /proc/self files are copied with read(2)/write(2) and no malloc, so the heap does not
 * change between the maps and smaps snapshots.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#define KIB 1024UL
#define MIB (1024UL * KIB)
#define HPAGE (2 * MIB)

#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)

enum kind { THP, ANON, ZERO, MLOCKED, FILEMAP, MEMFD, UNTOUCHED, NKINDS };

static const char *const kind_name[NKINDS] = {
	"thp", "anon", "zero", "mlocked", "file", "memfd", "untouched",
};

static const size_t kind_size[NKINDS] = {
	4 * MIB, 64 * KIB, 16 * KIB, 16 * KIB, 16 * KIB, 16 * KIB, 16 * KIB,
};

static const int kind_named[NKINDS] = { 1, 1, 1, 1, 0, 0, 1 };

struct region {
	char *start;
	size_t len;
	int name_errno; /* 0: named, -1: not attempted, else errno of prctl */
};

static struct region reg[NKINDS];
static long page;
static const char *outdir;

/* Large enough for one /proc read and a batch of pages.txt lines. */
static char buf[1 << 16];

static void die(const char *what)
{
	fprintf(stderr, "proc-capture: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int create_out(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* printf into buf at *used, flushing buf to fd when it fills. */
static void out(int fd, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used > sizeof(buf) - 512) {
		write_all(fd, buf, *used);
		*used = 0;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, sizeof(buf) - *used, fmt, ap);
	va_end(ap);
	*used += (size_t)n;
}

static void copy_proc(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int fd;
	ssize_t n;

	if (in < 0)
		die(src);
	fd = create_out(dst);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(src);
		}
		write_all(fd, buf, (size_t)n);
	}
	close(in);
	close(fd);
}

/* Reads one u64 at index idx of an open /proc/kpage* file; 0 on success. */
static int read_u64(int fd, uint64_t idx, uint64_t *val)
{
	if (fd < 0)
		return -1;
	return pread(fd, val, 8, (off_t)(idx * 8)) == 8 ? 0 : -1;
}

static void read_sysfs(const char *path, char *dst, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, dst, len - 1);

	if (n <= 0) {
		snprintf(dst, len, "(unavailable)");
	} else {
		dst[n] = 0;
		dst[strcspn(dst, "\n")] = 0;
	}
	if (fd >= 0)
		close(fd);
}

/*
 * Names of the bits, for the notes (include/uapi/linux/kernel-page-flags.h and the
 * developer bits of include/linux/kernel-page-flags.h), as 6.1 names them; 6.12 renamed
 * bit 34 (PG_mappedtodisk became PG_owner_2), dropped 39 (uncached) and named 42
 * (arch_3): kpf_names_for_release() adjusts the table before the notes are written.
 */
static const char *kpf_name[64] = {
	[0] = "locked", [1] = "error", [2] = "referenced", [3] = "uptodate",
	[4] = "dirty", [5] = "lru", [6] = "active", [7] = "slab",
	[8] = "writeback", [9] = "reclaim", [10] = "buddy", [11] = "mmap",
	[12] = "anon", [13] = "swapcache", [14] = "swapbacked",
	[15] = "compound_head", [16] = "compound_tail", [17] = "huge",
	[18] = "unevictable", [19] = "hwpoison", [20] = "nopage", [21] = "ksm",
	[22] = "thp", [23] = "offline", [24] = "zero_page", [25] = "idle",
	[26] = "pgtable", [32] = "reserved", [33] = "mlocked",
	[34] = "mappedtodisk", [35] = "private", [36] = "private_2",
	[37] = "owner_private", [38] = "arch", [39] = "uncached",
	[40] = "softdirty", [41] = "arch_2", [42] = "arch_3",
};

/* Bit names of the running kernel: `release` is uname's ("6.18.44-..."). */
static void kpf_names_for_release(const char *release)
{
	int major = 0, minor = 0;

	if (sscanf(release, "%d.%d", &major, &minor) == 2 &&
	    (major > 6 || (major == 6 && minor >= 12))) {
		kpf_name[34] = "owner_2";
		kpf_name[39] = NULL;
	} else {
		kpf_name[42] = NULL;
	}
}

static const char *const pm_name[64] = {
	[55] = "soft-dirty", [56] = "exclusive", [57] = "uffd-wp",
	[58] = "guard", [61] = "file/shared", [62] = "swapped",
	[63] = "present",
};

static const char *decode(uint64_t v, const char *const names[64])
{
	static char s[512];
	size_t n = 0;
	int b;

	s[0] = 0;
	for (b = 0; b < 64 && n < sizeof(s) - 32; b++) {
		if (!(v & (1ULL << b)))
			continue;
		if (names[b])
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s",
					      n ? "," : "", names[b]);
		else
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%sbit%d",
					      n ? "," : "", b);
	}
	return n ? s : "none";
}

/* The distinct values some pages of a region showed, with how many pages each. */
#define TALLY_MAX 6
struct tally {
	uint64_t val[TALLY_MAX];
	unsigned long n[TALLY_MAX];
	int used;
	unsigned long other;
};

static void tally_add(struct tally *t, uint64_t v)
{
	int i;

	for (i = 0; i < t->used; i++) {
		if (t->val[i] == v) {
			t->n[i]++;
			return;
		}
	}
	if (t->used == TALLY_MAX) {
		t->other++;
		return;
	}
	t->val[t->used] = v;
	t->n[t->used++] = 1;
}

static void map_fixed(enum kind k, char *at, int prot, int flags, int fd)
{
	void *p = mmap(at, kind_size[k], prot, flags | MAP_FIXED, fd, 0);

	if (p == MAP_FAILED)
		die(kind_name[k]);
	reg[k].start = p;
	reg[k].len = kind_size[k];
	reg[k].name_errno = -1;
	if (kind_named[k]) {
		char name[32];

		snprintf(name, sizeof(name), "pinctl-%s", kind_name[k]);
		reg[k].name_errno = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME,
					  (unsigned long)p, kind_size[k],
					  (unsigned long)name) ? errno : 0;
	}
}

int main(int argc, char **argv)
{
	const char *filedir = argc > 2 ? argv[2] : "/tmp";
	char filepath[4096];
	size_t total = HPAGE, off, used;
	char *res, *base, *cur;
	volatile char sink = 0;
	int fd, k;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s OUTDIR [FILEDIR]\n", argv[0]);
		return 64;
	}
	outdir = argv[1];
	page = sysconf(_SC_PAGESIZE);

	/*
	 * Reserve one range, carve the regions out of it in a fixed order with a page
	 * between each, and unmap the rest: the layout is the same on every run.
	 */
	for (k = 0; k < NKINDS; k++)
		total += kind_size[k] + (size_t)page;
	res = mmap(NULL, total, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("reserve");
	base = (char *)(((uintptr_t)res + HPAGE - 1) & ~(uintptr_t)(HPAGE - 1));

	cur = base;
	map_fixed(THP, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (madvise(reg[THP].start, reg[THP].len, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	cur += kind_size[THP] + page;

	map_fixed(ANON, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (madvise(reg[ANON].start, reg[ANON].len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	cur += kind_size[ANON] + page;

	map_fixed(ZERO, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	cur += kind_size[ZERO] + page;

	map_fixed(MLOCKED, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	cur += kind_size[MLOCKED] + page;

	snprintf(filepath, sizeof(filepath), "%s/pinctl-capture.data", filedir);
	fd = open(filepath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(filepath);
	memset(buf, 'f', sizeof(buf));
	for (off = 0; off < kind_size[FILEMAP]; off += sizeof(buf))
		write_all(fd, buf, sizeof(buf) < kind_size[FILEMAP] - off ?
				   sizeof(buf) : kind_size[FILEMAP] - off);
	/* Clean page cache: the mapping is read-only, as if of a library. */
	if (fsync(fd))
		die("fsync");
	map_fixed(FILEMAP, cur, PROT_READ, MAP_SHARED, fd);
	close(fd);
	cur += kind_size[FILEMAP] + page;

	fd = memfd_create("pinctl-memfd", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, (off_t)kind_size[MEMFD]))
		die("ftruncate");
	map_fixed(MEMFD, cur, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	close(fd);
	cur += kind_size[MEMFD] + page;

	map_fixed(UNTOUCHED, cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	cur += kind_size[UNTOUCHED];

	/* Unmap what the regions did not take: the head, the gaps and the tail. */
	if (base > res && munmap(res, (size_t)(base - res)))
		die("munmap head");
	for (k = 0; k + 1 < NKINDS; k++)
		if (munmap(reg[k].start + reg[k].len, (size_t)page))
			die("munmap gap");
	if (res + total > cur && munmap(cur, (size_t)(res + total - cur)))
		die("munmap tail");

	memset(reg[THP].start, 't', reg[THP].len);
	memset(reg[ANON].start, 'a', reg[ANON].len);
	for (off = 0; off < reg[ZERO].len; off += (size_t)page)
		sink += reg[ZERO].start[off];
	memset(reg[MLOCKED].start, 'l', reg[MLOCKED].len);
	if (mlock(reg[MLOCKED].start, reg[MLOCKED].len))
		die("mlock");
	for (off = 0; off < reg[FILEMAP].len; off += (size_t)page)
		sink += reg[FILEMAP].start[off];
	memset(reg[MEMFD].start, 'm', reg[MEMFD].len);
	(void)sink;

	copy_proc("/proc/self/maps", "maps.txt");
	copy_proc("/proc/self/smaps", "smaps.txt");
	copy_proc("/proc/self/status", "status.txt");

	{
		struct utsname u;

		if (uname(&u))
			die("uname");
		fd = create_out("uname.txt");
		used = 0;
		out(fd, &used, "%s\n", u.release);
		kpf_names_for_release(u.release);
		write_all(fd, buf, used);
		close(fd);
	}

	fd = create_out("regions.txt");
	used = 0;
	for (k = 0; k < NKINDS; k++)
		out(fd, &used, "%s 0x%lx 0x%lx\n", kind_name[k],
		    (unsigned long)reg[k].start,
		    (unsigned long)(reg[k].start + reg[k].len));
	write_all(fd, buf, used);
	close(fd);

	/* What the pages of each region showed, for the notes. */
	static struct tally pm_seen[NKINDS], kf_seen[NKINDS];
	unsigned long npages[NKINDS] = { 0 }, nsoftdirty[NKINDS] = { 0 };
	unsigned long npresent[NKINDS] = { 0 }, nconsecutive_thp = 0;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	int kcount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	int kcgroup = open("/proc/kpagecgroup", O_RDONLY | O_CLOEXEC);
	int kcgroup_errno = kcgroup < 0 ? errno : 0;
	uint64_t prev_pfn = 0;

	if (pm < 0)
		die("/proc/self/pagemap");
	fd = create_out("pages.txt");
	used = 0;
	for (k = 0; k < NKINDS; k++) {
		for (off = 0; off < reg[k].len; off += (size_t)page) {
			uintptr_t va = (uintptr_t)reg[k].start + off;
			uint64_t e, pfn, v;
			char f[24], c[24], g[24];

			if (pread(pm, &e, 8, (off_t)(va / (uintptr_t)page * 8)) != 8)
				die("pread pagemap");
			pfn = e & PM_PFN_MASK;
			strcpy(f, "-");
			strcpy(c, "-");
			strcpy(g, "-");
			if ((e & PM_PRESENT) && pfn) {
				if (!read_u64(kflags, pfn, &v)) {
					snprintf(f, sizeof(f), "0x%016llx",
						 (unsigned long long)v);
					tally_add(&kf_seen[k], v);
				}
				if (!read_u64(kcount, pfn, &v))
					snprintf(c, sizeof(c), "%llu",
						 (unsigned long long)v);
				if (!read_u64(kcgroup, pfn, &v))
					snprintf(g, sizeof(g), "0x%llx",
						 (unsigned long long)v);
			}
			out(fd, &used, "%s 0x%lx 0x%016llx %s %s %s\n", kind_name[k],
			    (unsigned long)va, (unsigned long long)e, f, c, g);
			npages[k]++;
			tally_add(&pm_seen[k], e & ~PM_PFN_MASK);
			if (e & (1ULL << 55))
				nsoftdirty[k]++;
			if (e & PM_PRESENT)
				npresent[k]++;
			if (k == THP && off && pfn == prev_pfn + 1)
				nconsecutive_thp++;
			if (k == THP)
				prev_pfn = pfn;
		}
	}
	write_all(fd, buf, used);
	close(fd);

	{
		char thp_enabled[128], thp_defrag[128], zero_page[32];

		read_sysfs("/sys/kernel/mm/transparent_hugepage/enabled",
			   thp_enabled, sizeof(thp_enabled));
		read_sysfs("/sys/kernel/mm/transparent_hugepage/defrag",
			   thp_defrag, sizeof(thp_defrag));
		read_sysfs("/sys/kernel/mm/transparent_hugepage/use_zero_page",
			   zero_page, sizeof(zero_page));
		fd = create_out("kernel-config-notes.txt");
		used = 0;
		out(fd, &used,
		    "# Observed by proc-capture (scripts/capture/proc-capture.c) while capturing these fixtures.\n"
		    "# pages.txt: KIND 0xVADDR 0xPAGEMAP 0xKPAGEFLAGS KPAGECOUNT 0xKPAGECGROUP\n"
		    "thp.enabled: %s\nthp.defrag: %s\nthp.use_zero_page: %s\n",
		    thp_enabled, thp_defrag, zero_page);
		out(fd, &used, "kpagecgroup: %s\n",
		    kcgroup >= 0 ? "present" : strerror(kcgroup_errno));
		out(fd, &used, "file mapped: %s\n", filepath);
		for (k = 0; k < NKINDS; k++) {
			int i;

			out(fd, &used, "region %s: pages=%lu present=%lu softdirty=%lu",
			    kind_name[k], npages[k], npresent[k], nsoftdirty[k]);
			if (reg[k].name_errno == 0)
				out(fd, &used, " anon-name=pinctl-%s", kind_name[k]);
			else if (reg[k].name_errno > 0)
				out(fd, &used, " anon-name-failed=%s",
				    strerror(reg[k].name_errno));
			out(fd, &used, "\n");
			for (i = 0; i < pm_seen[k].used; i++)
				out(fd, &used, "  pagemap flags 0x%016llx on %lu pages: %s\n",
				    (unsigned long long)pm_seen[k].val[i], pm_seen[k].n[i],
				    decode(pm_seen[k].val[i], pm_name));
			for (i = 0; i < kf_seen[k].used; i++)
				out(fd, &used, "  kpageflags 0x%016llx on %lu pages: %s\n",
				    (unsigned long long)kf_seen[k].val[i], kf_seen[k].n[i],
				    decode(kf_seen[k].val[i], kpf_name));
			if (kf_seen[k].other)
				out(fd, &used, "  kpageflags: %lu more pages with other values\n",
				    kf_seen[k].other);
		}
		out(fd, &used, "thp consecutive pfn steps: %lu of %lu\n",
		    nconsecutive_thp, npages[THP] - 1);
		write_all(fd, buf, used);
		close(fd);
	}

	unlink(filepath);
	return 0;
}
