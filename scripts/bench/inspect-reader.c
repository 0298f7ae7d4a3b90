// SPDX-License-Identifier: MIT
/*
 * inspect-reader - the plain C baseline for `pinctl inspect` benchmarks.
 *
 *   inspect-reader PID START LEN [--thp-heads] [--split]
 *
 * Reads the files pinctl reads for [START, START+LEN) of another pid and prints
 * the same kind of summary: /proc/PID/pagemap in 512 KiB preads, then for each
 * run of contiguous present PFNs one pread each of /proc/kpageflags,
 * /proc/kpagecount and /proc/kpagecgroup (a run longer than 64Ki pages is read
 * in 512 KiB pieces). It tallies present, swapped, guard, file/shared,
 * exclusive and soft-dirty pages, every kpageflags bit, mapcounts, memory
 * cgroups and the number of contiguous physical runs.
 *
 * --thp-heads: a PMD-mapped THP is read once at its head (8 bytes from each
 *   kpage file) and counted as 512 pages: the head's flags once, the same flags
 *   with COMPOUND_TAIL instead of COMPOUND_HEAD 511 times, the head's mapcount
 *   and cgroup for all 512. The tallies equal a full read's on 6.18 (checked
 *   by comparing both modes' output). A block qualifies when it is 2 MiB
 *   aligned and PMD-mapped (PAGEMAP_SCAN's PAGE_IS_HUGE) and its head has
 *   KPF_THP|KPF_COMPOUND_HEAD. The head flags alone are not enough: KPF_THP
 *   marks every large rmappable folio (mTHP, large page-cache folios), so an
 *   aligned head may start a folio smaller than 512 pages. Without
 *   PAGEMAP_SCAN (before 6.7) everything is read page by page.
 *
 * --split: on stderr, time spent in the kernel per file (preads and the
 *   PAGEMAP_SCAN ioctl, by CLOCK_MONOTONIC around each call) and the calls made.
 *
 * Root only: the kpage files are mode 0400, and pagemap PFNs read as 0 unless
 * opened with CAP_SYS_ADMIN. Build with gcc -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "pagemap-scan.h"

#define PAGE_SIZE 4096ULL
#define PMD_PAGES 512ULL
#define PMD_SIZE (PMD_PAGES * PAGE_SIZE)
/* 512 KiB of 8-byte entries per pread. */
#define CHUNK_ENTRIES 65536ULL

#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_GUARD (1ULL << 58)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22


static const char *const kpf_names[64] = {
	"locked", "error", "referenced", "uptodate", "dirty", "lru", "active",
	"slab", "writeback", "reclaim", "buddy", "mmap", "anon", "swapcache",
	"swapbacked", "compound_head", "compound_tail", "huge", "unevictable",
	"hwpoison", "nopage", "ksm", "thp", "offline", "zero_page", "idle",
	"pgtable",
	[32] = "reserved", "mlocked", "mappedtodisk", "private", "private_2",
	"owner_private", "arch", "uncached", "softdirty", "arch_2",
};

enum file_id { F_PAGEMAP, F_SCAN, F_FLAGS, F_COUNT, F_CGROUP, F_N };
static const char *const file_names[F_N] = {
	"pagemap", "PAGEMAP_SCAN", "kpageflags", "kpagecount", "kpagecgroup",
};

static struct {
	bool thp_heads, split;
	/* --summary: read what `pinctl inspect` reads for a summary: smaps, pagemap, kpageflags. */
	bool summary;
	int pagemap, kflags, kcount, kcgroup;
	/* Kernel time per file, and calls and bytes, for --split. */
	uint64_t ns[F_N], calls[F_N], bytes[F_N];
	/* PMD-mapped regions from PAGEMAP_SCAN, sorted; huge_next is a cursor. */
	struct page_region *huge;
	size_t nhuge, huge_next;
	uint64_t *bflags, *bcount, *bcgroup;
} g;

#define MAX_CGROUPS 16
static struct {
	uint64_t pages, present, swapped, guard, file, exclusive, soft_dirty;
	uint64_t runs, thp_heads, unreadable;
	uint64_t flag[64];
	uint64_t map0, map1, map_many, map_max;
	uint64_t cg_ino[MAX_CGROUPS], cg_pages[MAX_CGROUPS], cg_other;
	size_t ncg;
} t;

static void die(const char *what, const char *obj)
{
	fprintf(stderr, "inspect-reader: %s %s: %s\n", what, obj, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Reads up to len bytes at off; returns the bytes read, which is short only at
 * EOF (the kpage files end at max_pfn).
 */
static size_t pread_full(enum file_id id, int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	uint64_t t0 = g.split ? now_ns() : 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		g.calls[id]++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("pread", file_names[id]);
		if (n == 0)
			break;
		done += (size_t)n;
	}
	if (g.split) {
		g.ns[id] += now_ns() - t0;
		g.bytes[id] += done;
	}
	return done;
}

static void tally_flags(uint64_t f, uint64_t times)
{
	while (f) {
		int bit = __builtin_ctzll(f);
		t.flag[bit] += times;
		f &= f - 1;
	}
}

static void tally_count(uint64_t c, uint64_t times)
{
	if (c == 0)
		t.map0 += times;
	else if (c == 1)
		t.map1 += times;
	else
		t.map_many += times;
	if (c > t.map_max)
		t.map_max = c;
}

static void tally_cgroup(uint64_t ino, uint64_t times)
{
	for (size_t i = 0; i < t.ncg; i++) {
		if (t.cg_ino[i] == ino) {
			t.cg_pages[i] += times;
			return;
		}
	}
	if (t.ncg < MAX_CGROUPS) {
		t.cg_ino[t.ncg] = ino;
		t.cg_pages[t.ncg++] = times;
	} else {
		t.cg_other += times;
	}
}

/* All three kpage files for PFNs [pfn, pfn+n), one pread each per 64Ki pages. */
static void read_pfns(uint64_t pfn, uint64_t n)
{
	while (n) {
		size_t k = n < CHUNK_ENTRIES ? (size_t)n : (size_t)CHUNK_ENTRIES;
		size_t nf = pread_full(F_FLAGS, g.kflags, g.bflags, k * 8, pfn * 8) / 8;
		size_t nc = g.summary ? nf : pread_full(F_COUNT, g.kcount, g.bcount, k * 8, pfn * 8) / 8;
		size_t ng = g.summary ? nf : pread_full(F_CGROUP, g.kcgroup, g.bcgroup, k * 8, pfn * 8) / 8;
		for (size_t i = 0; i < nf; i++)
			tally_flags(g.bflags[i], 1);
		for (size_t i = 0; i < nc && !g.summary; i++)
			tally_count(g.bcount[i], 1);
		for (size_t i = 0; i < ng && !g.summary; i++)
			tally_cgroup(g.bcgroup[i], 1);
		/* Beyond max_pfn (device memory, say): counted, not guessed. */
		t.unreadable += k - (nf < nc ? (nf < ng ? nf : ng) : (nc < ng ? nc : ng));
		pfn += k;
		n -= k;
	}
}

/* Is [va, va+PMD_SIZE) inside a PMD-mapped region? Queries come in address order. */
static bool pmd_mapped(uint64_t va)
{
	while (g.huge_next < g.nhuge && g.huge[g.huge_next].end <= va)
		g.huge_next++;
	return g.huge_next < g.nhuge && g.huge[g.huge_next].start <= va &&
	       g.huge[g.huge_next].end >= va + PMD_SIZE;
}

/* One run of contiguous PFNs [pfn, pfn+n), mapped from va on. */
static void flush_run(uint64_t va, uint64_t pfn, uint64_t n)
{
	if (n == 0)
		return;
	t.runs++;
	if (!g.thp_heads || g.nhuge == 0) {
		read_pfns(pfn, n);
		return;
	}
	uint64_t seg = pfn, end = pfn + n, p = pfn;
	while (p < end) {
		uint64_t pva = va + (p - pfn) * PAGE_SIZE;
		if (p % PMD_PAGES == 0 && end - p >= PMD_PAGES && pva % PMD_SIZE == 0 &&
		    pmd_mapped(pva)) {
			uint64_t f, c = 0, cg = 0;
			if (pread_full(F_FLAGS, g.kflags, &f, 8, p * 8) == 8 &&
			    (f & (1ULL << KPF_THP)) && (f & (1ULL << KPF_COMPOUND_HEAD)) &&
			    (g.summary || (pread_full(F_COUNT, g.kcount, &c, 8, p * 8) == 8 &&
					   pread_full(F_CGROUP, g.kcgroup, &cg, 8, p * 8) == 8))) {
				read_pfns(seg, p - seg);
				tally_flags(f, 1);
				f = (f & ~(1ULL << KPF_COMPOUND_HEAD)) | (1ULL << KPF_COMPOUND_TAIL);
				tally_flags(f, PMD_PAGES - 1);
				tally_count(c, PMD_PAGES);
				tally_cgroup(cg, PMD_PAGES);
				t.thp_heads++;
				p += PMD_PAGES;
				seg = p;
				continue;
			}
		}
		p = (p / PMD_PAGES + 1) * PMD_PAGES;
	}
	read_pfns(seg, end - seg);
}

/* PMD-mapped regions of [start, end) by PAGEMAP_SCAN; none before 6.7. */
static void scan_huge(uint64_t start, uint64_t end)
{
	size_t cap = 64;
	uint64_t va = start;
	while (va < end) {
		g.huge = realloc(g.huge, (g.nhuge + cap) * sizeof(*g.huge));
		if (!g.huge)
			die("realloc", "regions");
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = va,
			.end = end,
			.vec = (uint64_t)(uintptr_t)(g.huge + g.nhuge),
			.vec_len = cap,
			.category_mask = PAGE_IS_HUGE,
			.return_mask = PAGE_IS_HUGE,
		};
		uint64_t t0 = g.split ? now_ns() : 0;
		long n = ioctl(g.pagemap, PAGEMAP_SCAN, &a);
		if (g.split) {
			g.ns[F_SCAN] += now_ns() - t0;
			g.calls[F_SCAN]++;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOTTY || errno == EINVAL)) {
			fprintf(stderr, "inspect-reader: no PAGEMAP_SCAN (%s): reading THPs "
					"page by page\n", strerror(errno));
			g.nhuge = 0;
			return;
		}
		if (n < 0)
			die("ioctl(PAGEMAP_SCAN)", "pagemap");
		g.nhuge += (size_t)n;
		if (a.walk_end <= va)
			break;
		va = a.walk_end;
		cap *= 2;
	}
}

static uint64_t parse_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	uint64_t v = strtoull(s, &end, 0);
	uint64_t mult = 1;
	switch (*end) {
	case 'K': case 'k': mult = 1ULL << 10; end++; break;
	case 'M': case 'm': mult = 1ULL << 20; end++; break;
	case 'G': case 'g': mult = 1ULL << 30; end++; break;
	}
	if (errno || end == s || *end || v > UINT64_MAX / mult) {
		fprintf(stderr, "inspect-reader: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v * mult;
}

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	return fd;
}

static void print_split(uint64_t total_ns)
{
	fprintf(stderr, "split (kernel time per file, ms): total %.3f\n", total_ns / 1e6);
	for (int i = 0; i < F_N; i++) {
		if (!g.calls[i])
			continue;
		fprintf(stderr, "  %-12s %9.3f ms  %8" PRIu64 " calls  %10" PRIu64 " bytes\n",
			file_names[i], g.ns[i] / 1e6, g.calls[i], g.bytes[i]);
	}
}

int main(int argc, char **argv)
{
	uint64_t t_start = now_ns();
	const char *pos[3];
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--thp-heads") == 0)
			g.thp_heads = true;
		else if (strcmp(argv[i], "--summary") == 0)
			g.summary = true;
		else if (strcmp(argv[i], "--split") == 0)
			g.split = true;
		else if (npos < 3 && argv[i][0] != '-')
			pos[npos++] = argv[i];
		else
			npos = 99;
	}
	if (npos != 3) {
		fprintf(stderr, "usage: inspect-reader PID START LEN [--thp-heads] [--summary] [--split]\n");
		return 2;
	}
	uint64_t pid = parse_num(pos[0], "pid");
	uint64_t start = parse_num(pos[1], "start");
	uint64_t len = parse_num(pos[2], "length");
	if (start % PAGE_SIZE || len % PAGE_SIZE || len == 0 || start + len < start) {
		fprintf(stderr, "inspect-reader: START and LEN must be page-aligned, LEN > 0\n");
		return 2;
	}

	char path[64];
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/pagemap", pid);
	g.pagemap = open_ro(path);
	if (g.summary) {
		/* pinctl reports the VMAs' smaps counters: the kernel walks them to print it. */
		char smaps[64];
		static char sbuf[1 << 16];
		snprintf(smaps, sizeof(smaps), "/proc/%" PRIu64 "/smaps", pid);
		int sfd = open_ro(smaps);
		while (read(sfd, sbuf, sizeof(sbuf)) > 0)
			;
		close(sfd);
	}
	g.kflags = open_ro("/proc/kpageflags");
	g.kcount = open_ro("/proc/kpagecount");
	g.kcgroup = open_ro("/proc/kpagecgroup");
	uint64_t *pm = malloc(CHUNK_ENTRIES * 8);
	g.bflags = malloc(CHUNK_ENTRIES * 8);
	g.bcount = malloc(CHUNK_ENTRIES * 8);
	g.bcgroup = malloc(CHUNK_ENTRIES * 8);
	if (!pm || !g.bflags || !g.bcount || !g.bcgroup)
		die("malloc", "buffers");

	uint64_t end = start + len;
	if (g.thp_heads)
		scan_huge(start, end);

	/* The open run: PFNs [run_pfn, run_pfn+run_n) mapped from run_va. */
	uint64_t run_va = 0, run_pfn = 0, run_n = 0;
	for (uint64_t va = start; va < end;) {
		uint64_t want = (end - va) / PAGE_SIZE;
		if (want > CHUNK_ENTRIES)
			want = CHUNK_ENTRIES;
		size_t got = pread_full(F_PAGEMAP, g.pagemap, pm, want * 8,
					va / PAGE_SIZE * 8) / 8;
		if (got == 0) {
			/* Past the task's address space (TASK_SIZE): nothing is mapped. */
			t.pages += (end - va) / PAGE_SIZE;
			break;
		}
		for (size_t i = 0; i < got; i++, va += PAGE_SIZE) {
			uint64_t e = pm[i];
			if (!(e & PM_PRESENT)) {
				if (e & PM_GUARD)
					t.guard++;
				else if (e & PM_SWAP)
					t.swapped++;
				if (e & PM_FILE)
					t.file++;
				if (e & PM_SOFT_DIRTY)
					t.soft_dirty++;
				flush_run(run_va, run_pfn, run_n);
				run_n = 0;
				continue;
			}
			uint64_t pfn = e & PM_PFN_MASK;
			if (pfn == 0) {
				fprintf(stderr, "inspect-reader: pagemap shows PFN 0 for a present "
						"page: run as root (CAP_SYS_ADMIN)\n");
				return 1;
			}
			t.present++;
			t.file += !!(e & PM_FILE);
			t.exclusive += !!(e & PM_EXCLUSIVE);
			t.soft_dirty += !!(e & PM_SOFT_DIRTY);
			if (run_n && pfn == run_pfn + run_n) {
				run_n++;
			} else {
				flush_run(run_va, run_pfn, run_n);
				run_va = va;
				run_pfn = pfn;
				run_n = 1;
			}
		}
		t.pages += got;
	}
	flush_run(run_va, run_pfn, run_n);

	printf("range 0x%" PRIx64 "+0x%" PRIx64 " pid %" PRIu64 "\n", start, len, pid);
	printf("pages %" PRIu64 " present %" PRIu64 " swapped %" PRIu64 " guard %" PRIu64
	       " not_present %" PRIu64 "\n",
	       t.pages, t.present, t.swapped, t.guard,
	       t.pages - t.present - t.swapped - t.guard);
	printf("file_or_shared %" PRIu64 " exclusive %" PRIu64 " soft_dirty %" PRIu64 "\n",
	       t.file, t.exclusive, t.soft_dirty);
	printf("physical_runs %" PRIu64 "\n", t.runs);
	printf("kpageflags");
	for (int b = 0; b < 64; b++) {
		if (!t.flag[b])
			continue;
		if (kpf_names[b])
			printf(" %s=%" PRIu64, kpf_names[b], t.flag[b]);
		else
			printf(" bit%d=%" PRIu64, b, t.flag[b]);
	}
	printf("\n");
	printf("mapcount 0:%" PRIu64 " 1:%" PRIu64 " >1:%" PRIu64 " max %" PRIu64 "\n",
	       t.map0, t.map1, t.map_many, t.map_max);
	printf("cgroups");
	for (size_t i = 0; i < t.ncg; i++)
		printf(" ino%" PRIu64 "=%" PRIu64, t.cg_ino[i], t.cg_pages[i]);
	if (t.cg_other)
		printf(" other=%" PRIu64, t.cg_other);
	printf("\n");
	if (t.unreadable)
		printf("unreadable_pfns %" PRIu64 "\n", t.unreadable);
	if (g.thp_heads)
		printf("thp_read_at_head %" PRIu64 " (of %zu PMD-mapped regions)\n",
		       t.thp_heads, g.nhuge);
	if (g.split)
		print_split(now_ns() - t_start);
	return 0;
}
