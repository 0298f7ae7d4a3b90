// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl_bench - in the VM: the BENCH ioctl's in-kernel pin and unpin time for a populated
 * range, next to the same pin and unpin as user space sees them (PIN and UNPIN ioctls timed
 * around the call), for 4K pages and for THP. Prints figures and the ratio; exits 0 unless
 * a call failed.
 *
 *   pinctl_bench [SIZE_MIB] [ROUNDS]      (default 1024 MiB, 5 rounds)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pinctl/pinctl_ioctl.h"

#define HUGE (2UL << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static int run(int fd, const char *name, size_t len, int thp, int rounds)
{
	char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t kget[64], kput[64], uget[64], uput[64];
	uint64_t pages = len / 4096;
	char *p;

	if (raw == MAP_FAILED) {
		printf("# bench %s: mmap: %s\n", name, strerror(errno));
		return 1;
	}
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (madvise(p, len, 23 /* MADV_POPULATE_WRITE */))
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 1;
	for (int r = 0; r < rounds; r++) {
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = pages,
					  .flags = PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
					  .iterations = 1 };
		struct pinctl_pin pin = { .addr = (uintptr_t)p, .nr_pages = pages,
					  .flags = PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST };
		struct pinctl_unpin un = { 0 };
		uint64_t t0, t1, t2;

		if (ioctl(fd, PINCTL_IOC_BENCH, &b)) {
			printf("# bench %s: BENCH: %s\n", name, strerror(errno));
			return 1;
		}
		kget[r] = b.get_ns;
		kput[r] = b.put_ns;
		t0 = now_ns();
		if (ioctl(fd, PINCTL_IOC_PIN, &pin)) {
			printf("# bench %s: PIN: %s\n", name, strerror(errno));
			return 1;
		}
		t1 = now_ns();
		un.handle = pin.handle;
		if (ioctl(fd, PINCTL_IOC_UNPIN, &un)) {
			printf("# bench %s: UNPIN: %s\n", name, strerror(errno));
			return 1;
		}
		t2 = now_ns();
		uget[r] = t1 - t0;
		uput[r] = t2 - t1;
	}
	{
		uint64_t kg = median(kget, rounds), kp = median(kput, rounds);
		uint64_t ug = median(uget, rounds), up = median(uput, rounds);

		printf("# bench %s %zu MiB: in-kernel pin %.2f ms unpin %.2f ms; ioctl pin %.2f ms unpin %.2f ms; ratio pin %.3fx unpin %.3fx, pin+unpin %.3fx (target <= 1.1x)\n",
		       name, len >> 20, kg / 1e6, kp / 1e6, ug / 1e6, up / 1e6, (double)ug / kg,
		       (double)up / kp, (double)(ug + up) / (kg + kp));
	}
	munmap(raw, len + HUGE);
	return 0;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	int fd = open("/dev/pinctl", O_RDWR | O_CLOEXEC);
	int rc = 0;

	if (rounds < 1 || rounds > 64 || mib == 0) {
		fprintf(stderr, "usage: pinctl_bench [SIZE_MIB] [ROUNDS<=64]\n");
		return 2;
	}
	if (fd < 0) {
		printf("# bench: open /dev/pinctl: %s\n", strerror(errno));
		return 1;
	}
	rc |= run(fd, "4K", mib << 20, 0, rounds);
	rc |= run(fd, "THP", mib << 20, 1, rounds);
	close(fd);
	return rc;
}
