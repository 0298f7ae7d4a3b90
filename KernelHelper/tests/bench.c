// SPDX-License-Identifier: GPL-2.0
/*
 * BENCH: sane figures, and a caught signal ends it.
 */
#include "harness.h"

int test_bench_sane(void)
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

int test_bench_ends_on_a_caught_signal(void)
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
