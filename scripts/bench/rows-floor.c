// SPDX-License-Identifier: MIT
/*
 * rows-floor - the C floor for `pinctl inspect --no-collapse --json-lines` rows.
 *
 *   rows-floor PID START LEN
 *
 * Reads what pinctl reads for rows of [START, START+LEN) of another pid, the way pinctl
 * reads it: /proc/PID/pagemap in 16Ki-entry preads, then for each run of contiguous
 * present PFNs one pread each of /proc/kpageflags, /proc/kpagecount and
 * /proc/kpagecgroup. Writes one JSON object per page to stdout with the keys and values
 * of pinctl's {"type":"page",...} records (flag names of 6.12+; anon_exclusive for bit 34
 * of anon pages), formatted by hand into a 256 KiB buffer written with write(2): the
 * least a program can do to produce those bytes from those files. No VMA or summary
 * records. Root only. Build with gcc -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 16384
#define PFN_MASK ((1ULL << 55) - 1)
#define BUF_SIZE (256 << 10)

static char out[BUF_SIZE];
static size_t used;

static void die(const char *what)
{
	fprintf(stderr, "rows-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void flush(void)
{
	size_t off = 0;
	while (off < used) {
		ssize_t n = write(1, out + off, used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		off += (size_t)n;
	}
	used = 0;
}

static inline void lit(const char *s, size_t n)
{
	memcpy(out + used, s, n);
	used += n;
}
#define LIT(s) lit(s, sizeof(s) - 1)

static inline void hex(uint64_t v)
{
	char t[16];
	int n = 0;
	do {
		t[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	out[used++] = '0';
	out[used++] = 'x';
	while (n)
		out[used++] = t[--n];
}

static inline void dec(uint64_t v)
{
	char t[20];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out[used++] = t[--n];
}

static inline void flag(int on)
{
	if (on)
		LIT("true");
	else
		LIT("false");
}

static const char *const names[64] = {
	"locked", "error", "referenced", "uptodate", "dirty", "lru", "active", "slab",
	"writeback", "reclaim", "buddy", "mmap", "anon", "swapcache", "swapbacked",
	"compound_head", "compound_tail", "huge", "unevictable", "hwpoison", "nopage", "ksm",
	"thp", "offline", "zero_page", "idle", "pgtable", 0, 0, 0, 0, 0, "reserved", "mlocked",
	"owner_2", "private", "private_2", "owner_private", "arch", 0, "softdirty", "arch_2",
	"arch_3",
};

static void row(uint64_t va, uint64_t e, int have, uint64_t f, uint64_t cnt, uint64_t cg)
{
	int present = (e >> 63) & 1, guard = (e >> 58) & 1;
	int swapped = ((e >> 62) & 1) && !guard && !present;
	uint64_t pfn = e & PFN_MASK;

	if (used + 4096 > BUF_SIZE)
		flush();
	LIT("{\"type\":\"page\",\"address\":\"");
	hex(va);
	LIT("\",\"count\":1,\"present\":");
	flag(present);
	LIT(",\"swapped\":");
	flag(swapped);
	if (present && pfn) {
		LIT(",\"pfn\":");
		dec(pfn);
		LIT(",\"physAddress\":\"");
		hex(pfn << 12);
		out[used++] = '"';
	} else {
		LIT(",\"pfn\":null,\"physAddress\":null");
	}
	if (swapped) {
		LIT(",\"swapType\":");
		dec(e & 0x1f);
		LIT(",\"swapOffset\":");
		dec(pfn >> 5);
	} else {
		LIT(",\"swapType\":null,\"swapOffset\":null");
	}
	LIT(",\"exclusive\":");
	flag((e >> 56) & 1);
	LIT(",\"softDirty\":");
	flag((e >> 55) & 1);
	LIT(",\"uffdWP\":");
	flag((e >> 57) & 1);
	LIT(",\"fileOrShared\":");
	flag((e >> 61) & 1);
	LIT(",\"guardRegion\":");
	flag(guard);
	LIT(",\"flags\":[");
	if (have) {
		uint64_t b = f;
		int first = 1;
		while (b) {
			int bit = __builtin_ctzll(b);
			const char *n = bit == 34 && (f >> 12 & 1) ? "anon_exclusive" : names[bit];
			char tmp[8];
			b &= b - 1;
			if (!first)
				out[used++] = ',';
			first = 0;
			out[used++] = '"';
			if (!n) {
				snprintf(tmp, sizeof(tmp), "bit%d", bit);
				n = tmp;
			}
			lit(n, strlen(n));
			out[used++] = '"';
		}
		LIT("],\"kpageflags\":\"");
		hex(f);
		LIT("\",\"mapcount\":");
		dec(cnt);
		LIT(",\"memcg\":");
		dec(cg);
	} else {
		LIT("],\"kpageflags\":null,\"mapcount\":null,\"memcg\":null");
	}
	LIT(",\"compound\":");
	flag(have && (f & (3ULL << 15)));
	LIT(",\"pagemap\":\"");
	hex(e);
	LIT("\",\"refcount\":null,\"dmaPinned\":null}\n");
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);
	uint64_t m = 1;
	switch (*end) {
	case 'K': m = 1ULL << 10; end++; break;
	case 'M': m = 1ULL << 20; end++; break;
	case 'G': m = 1ULL << 30; end++; break;
	}
	if (*end) {
		fprintf(stderr, "rows-floor: bad number '%s'\n", s);
		exit(2);
	}
	return v * m;
}

int main(int argc, char **argv)
{
	static uint64_t pm[CHUNK], fl[CHUNK], ct[CHUNK], cg[CHUNK];
	static unsigned char ok[CHUNK];
	char path[64];
	int pmfd, ffd, cfd, gfd;
	uint64_t start, end;

	if (argc != 4) {
		fprintf(stderr, "usage: rows-floor PID START LEN\n");
		return 2;
	}
	start = num(argv[2]) & ~4095ULL;
	end = start + num(argv[3]);
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1]);
	if ((pmfd = open(path, O_RDONLY)) < 0)
		die(path);
	if ((ffd = open("/proc/kpageflags", O_RDONLY)) < 0 || (cfd = open("/proc/kpagecount", O_RDONLY)) < 0 ||
	    (gfd = open("/proc/kpagecgroup", O_RDONLY)) < 0)
		die("/proc/kpage*");
	for (uint64_t va = start; va < end;) {
		size_t n = (end - va) / 4096 < CHUNK ? (size_t)((end - va) / 4096) : CHUNK;
		ssize_t got = pread(pmfd, pm, n * 8, (off_t)(va / 4096 * 8));
		if (got != (ssize_t)(n * 8))
			die("pread pagemap");
		for (size_t i = 0; i < n;) {
			uint64_t pfn = pm[i] & PFN_MASK;
			size_t j = i + 1;
			if (!(pm[i] >> 63) || !pfn) {
				ok[i++] = 0;
				continue;
			}
			while (j < n && (pm[j] >> 63) && (pm[j] & PFN_MASK) == pfn + (j - i))
				j++;
			size_t len = (j - i) * 8;
			int good = pread(ffd, fl + i, len, (off_t)(pfn * 8)) == (ssize_t)len &&
				   pread(cfd, ct + i, len, (off_t)(pfn * 8)) == (ssize_t)len &&
				   pread(gfd, cg + i, len, (off_t)(pfn * 8)) == (ssize_t)len;
			memset(ok + i, good, j - i);
			i = j;
		}
		for (size_t i = 0; i < n; i++)
			row(va + i * 4096, pm[i], ok[i], fl[i], ct[i], cg[i]);
		va += n * 4096;
	}
	flush();
	return 0;
}
