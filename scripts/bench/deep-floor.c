// SPDX-License-Identifier: MIT
/*
 * deep-floor - the floor for `pinctl census --deep` (scripts/bench/deep.sh, in the VM):
 *
 *   deep-floor hold MIB      maps MIB MiB of anonymous memory, writes every page, prints
 *                            "ready" and waits for SIGTERM (the populated memory to walk)
 *   deep-floor walk          what --deep asks the kernel, in C: for every process with an
 *                            address space, its maps, PAGEMAP_SCAN's present regions of each
 *                            VMA, and PINCTL_IOC_QUERY (REMOTE, through /proc/PID/mem) over
 *                            them, 65536 pages per call; prints pages asked, DMA-pinned
 *                            pages and the ms spent in QUERY alone
 *   deep-floor time CMD...   runs CMD (stdout to /dev/null) and prints its wall ms
 *
 * Built statically by scripts/bench/deep.sh against KernelHelper's uapi header.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "pagemap-scan.h"
#include <pinctl/pinctl_ioctl.h>

#define CHUNK 65536


static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static int hold(unsigned long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t o = 0; o < len; o += 4096)
		p[o] = 1;
	signal(SIGTERM, on_term);
	printf("ready %p\n", (void *)p);
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}

static struct pinctl_page pages[CHUNK];
static struct page_region vec[4096];
static double query_ms;
static unsigned long long asked, pinned;

static void query(int dev, int mem, __u64 start, __u64 end)
{
	for (__u64 a = start; a < end;) {
		__u64 n = (end - a) >> 12;
		if (n > CHUNK)
			n = CHUNK;
		struct pinctl_query q = { .addr = a, .nr_pages = n, .pages = (__u64)(uintptr_t)pages,
					  .mem_fd = mem, .flags = PINCTL_PIN_REMOTE };
		double t0 = now_ms();
		if (ioctl(dev, PINCTL_IOC_QUERY, &q) != 0)
			return;
		query_ms += now_ms() - t0;
		asked += n;
		for (__u64 i = 0; i < n; i++)
			pinned += (pages[i].flags & PINCTL_PAGE_DMA_PINNED) != 0;
		a += n << 12;
	}
}

static void walk_pid(int dev, int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *maps = fopen(path, "re");
	if (!maps)
		return;
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	int pm = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int mem = open(path, O_RDONLY | O_CLOEXEC);
	char line[4096];
	while (pm >= 0 && mem >= 0 && fgets(line, sizeof line, maps)) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) != 2 || e > (1ULL << 63))
			continue;
		for (__u64 cur = s; cur < e;) {
			struct pm_scan_arg a = { .size = sizeof a, .start = cur, .end = e,
						 .vec = (__u64)(uintptr_t)vec, .vec_len = 4096,
						 .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
						 .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED };
			long n = ioctl(pm, PAGEMAP_SCAN, &a);
			if (n < 0)
				break;
			for (long i = 0; i < n; i++)
				if (vec[i].categories & PAGE_IS_PRESENT)
					query(dev, mem, vec[i].start, vec[i].end);
			if (a.walk_end <= cur)
				break;
			cur = a.walk_end;
		}
	}
	if (pm >= 0)
		close(pm);
	if (mem >= 0)
		close(mem);
	fclose(maps);
}

static int walk(void)
{
	int dev = open("/dev/pinctl", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("/dev/pinctl");
		return 1;
	}
	double t0 = now_ms();
	DIR *d = opendir("/proc");
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid > 0 && pid != getpid())
			walk_pid(dev, pid);
	}
	closedir(d);
	printf("asked %llu pages, %llu DMA-pinned, QUERY %.1f ms, walk %.1f ms\n", asked, pinned, query_ms,
	       now_ms() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "hold"))
		return hold(strtoul(argv[2], NULL, 10));
	if (argc == 2 && !strcmp(argv[1], "walk"))
		return walk();
	if (argc >= 3 && !strcmp(argv[1], "time")) {
		double t0 = now_ms();
		pid_t p = fork();
		if (p == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		waitpid(p, &st, 0);
		printf("%.1f\n", now_ms() - t0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	fprintf(stderr, "usage: deep-floor hold MIB | walk | time CMD...\n");
	return 2;
}
