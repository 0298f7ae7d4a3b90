// SPDX-License-Identifier: MIT
/*
 * owners-floor - the floor for `pinctl phys --owners --flags FLAG all` (scripts/bench/phys.sh):
 * the same kernel calls as Sources/PinctlKit/Phys/ReverseMap.swift, in C, with nothing else.
 *
 *   owners-floor BIT     selects every frame whose /proc/kpageflags has bit BIT set (33 is
 *                        KPF_MLOCKED), read in 64Ki-entry preads into a bitmap; then for
 *                        every process but this one: /proc/PID/pagemap opened, maps and comm
 *                        read, per VMA below 1<<63 PAGEMAP_SCAN (anyof PRESENT|SWAPPED,
 *                        4096 regions a call, resumed at walk_end) and preads of the present
 *                        regions' entries, 64Ki at a time; each present entry's PFN looked up
 *                        in the bitmap and kept as runs of (pid, address, pfn, count) per VMA.
 *
 * Prints pinctl's totals line so the bench can compare them:
 *   owners: P processes map F of S selected frames (M page mappings); N processes walked, K skipped
 * Built by scripts/bench/phys.sh with cc -O2.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/types.h>
#include "pagemap-scan.h"

#define BATCH 65536
#define PFN_MASK ((1ULL << 55) - 1)
#define USER_END (1ULL << 63)


struct run {
	int pid;
	__u64 addr, pfn, count;
};

static uint64_t *selected, *unowned;
static __u64 nframes;
static uint64_t buf[BATCH];
static struct page_region vec[4096];
static struct run *runs;
static size_t nruns, capruns;
static unsigned long long processes, skipped, owning, mappings;
static int pfn_hidden;

static int test_bit(const uint64_t *b, __u64 p) { return p < nframes && (b[p >> 6] >> (p & 63)) & 1; }

static unsigned long long popcount(const uint64_t *b)
{
	unsigned long long n = 0;
	for (__u64 i = 0; i < (nframes + 63) / 64; i++)
		n += (unsigned long long)__builtin_popcountll(b[i]);
	return n;
}

static void select_frames(int bit)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("/proc/kpageflags");
		exit(1);
	}
	size_t cap = 1 << 20;
	selected = calloc(cap, 8);
	for (__u64 pfn = 0;;) {
		ssize_t got = pread(fd, buf, sizeof buf, (off_t)(pfn * 8));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t m = (size_t)got / 8;
		if ((pfn + m + 63) / 64 > cap) {
			selected = realloc(selected, cap * 2 * 8);
			memset(selected + cap, 0, cap * 8);
			cap *= 2;
		}
		for (size_t i = 0; i < m; i++)
			if ((buf[i] >> bit) & 1)
				selected[(pfn + i) >> 6] |= 1ULL << ((pfn + i) & 63);
		pfn += m;
		nframes = pfn;
	}
	close(fd);
	unowned = malloc(cap * 8);
	memcpy(unowned, selected, cap * 8);
}

static char *read_all(int dir, const char *name, size_t *len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 65536, n = 0;
	char *s = malloc(cap + 1);
	for (;;) {
		ssize_t got = read(fd, s + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(s);
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap)
			s = realloc(s, (cap *= 2) + 1);
	}
	close(fd);
	s[n] = 0;
	*len = n;
	return s;
}

static void add(int pid, __u64 a, __u64 pfn, size_t first)
{
	if (nruns > first) {
		struct run *l = &runs[nruns - 1];
		if (l->addr + (l->count << 12) == a && l->pfn + l->count == pfn) {
			l->count++;
			return;
		}
	}
	if (nruns == capruns)
		runs = realloc(runs, (capruns = capruns ? capruns * 2 : 4096) * sizeof *runs);
	runs[nruns++] = (struct run){pid, a, pfn, 1};
}

/* Reads [start, end)'s entries; -1 when the process is gone or unreadable. */
static int read_region(int pm, int pid, __u64 start, __u64 end, size_t first)
{
	for (__u64 va = start; va < end;) {
		__u64 n = (end - va) >> 12;
		if (n > BATCH)
			n = BATCH;
		ssize_t got = pread(pm, buf, n * 8, (off_t)((va >> 12) * 8));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		size_t m = (size_t)got / 8;
		if (m == 0)
			break;
		for (size_t i = 0; i < m; i++) {
			__u64 e = buf[i];
			if (!(e >> 63))
				continue;
			__u64 pfn = e & PFN_MASK;
			if (pfn == 0) {
				pfn_hidden = 1;
				continue;
			}
			if (!test_bit(selected, pfn))
				continue;
			mappings++;
			unowned[pfn >> 6] &= ~(1ULL << (pfn & 63));
			add(pid, va + ((__u64)i << 12), pfn, first);
		}
		va += (__u64)m << 12;
		if (m < n)
			break;
	}
	return 0;
}

static int walk(int dirfd, int pid)
{
	char name[32];
	snprintf(name, sizeof name, "%d", pid);
	int dir = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	int pm = openat(dir, "pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		close(dir);
		return -1;
	}
	size_t len, clen;
	char *maps = read_all(dir, "maps", &len);
	if (!maps) {
		close(pm);
		close(dir);
		return -1;
	}
	char *comm = len ? read_all(dir, "comm", &clen) : NULL;
	size_t before = nruns;
	int rc = 0;
	for (char *line = maps; rc == 0 && line < maps + len;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		unsigned long long start, end;
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 && end <= USER_END) {
			size_t first = nruns;
			int scanned = 0;
			for (__u64 cur = start; cur < end;) {
				struct pm_scan_arg arg = {
					.size = sizeof arg, .start = cur, .end = end,
					.vec = (__u64)(uintptr_t)vec, .vec_len = 4096,
					.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
					.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_HUGE,
				};
				int n = ioctl(pm, PAGEMAP_SCAN, &arg);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					if (errno == ENOTTY || errno == EINVAL)
						break; /* no PAGEMAP_SCAN: read the whole VMA below */
					rc = -1;
					break;
				}
				scanned = 1;
				/* Adjacent regions with the same categories merged, as pinctl does. */
				for (int i = 0; i < n && rc == 0;) {
					__u64 s = vec[i].start, e = vec[i].end, c = vec[i].categories;
					int j = i + 1;
					while (j < n && vec[j].start == e && vec[j].categories == c)
						e = vec[j++].end;
					if (c & PAGE_IS_PRESENT)
						rc = read_region(pm, pid, s, e, first);
					i = j;
				}
				if (arg.walk_end <= cur)
					break;
				cur = arg.walk_end;
			}
			if (!scanned && rc == 0)
				rc = read_region(pm, pid, start, end, first);
		}
		line = nl ? nl + 1 : maps + len;
	}
	free(comm);
	free(maps);
	close(pm);
	close(dir);
	if (rc == 0 && nruns > before)
		owning++;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2 || atoi(argv[1]) < 0 || atoi(argv[1]) > 63) {
		fprintf(stderr, "usage: owners-floor KPAGEFLAGS-BIT (33 for mlocked)\n");
		return 2;
	}
	select_frames(atoi(argv[1]));
	int dirfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(dirfd);
	if (!d) {
		perror("/proc");
		return 1;
	}
	int me = getpid();
	struct dirent *e;
	while ((e = readdir(d))) {
		char *endp;
		long pid = strtol(e->d_name, &endp, 10);
		if (*endp || pid <= 0 || pid == me)
			continue;
		processes++;
		if (walk(dirfd, (int)pid) < 0)
			skipped++;
	}
	closedir(d);
	unsigned long long sel = popcount(selected);
	printf("owners: %llu processes map %llu of %llu selected frames (%llu page mappings); %llu processes walked, %llu skipped\n",
	       owning, sel - popcount(unowned), sel, mappings, processes, skipped);
	if (pfn_hidden)
		printf("some pagemap entries hid their PFN\n");
	printf("runs: %zu\n", nruns);
	return 0;
}
