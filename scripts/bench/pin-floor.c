// SPDX-License-Identifier: MIT
/*
 * pin-floor - the plain C floor for `pinctl pin` benchmarks (scripts/bench/pin.sh).
 *
 *   pin-floor METHOD SIZE [thp]
 *   pin-floor --time [--] CMD [ARG...]
 *   pin-floor --until FILE [--] CMD [ARG...]
 *
 * METHOD SIZE [thp] makes, for one method, the kernel calls `pinctl pin --method
 * METHOD --write --for 0 anon:SIZE[,thp]` makes to map, fault in, pin and release,
 * and nothing else (no /proc reads, no report, no threads), then exits:
 *
 *   populate  mmap, MADV_POPULATE_WRITE in 64 MiB steps, munmap
 *   mlock     mmap, then one mlock2(range, 0), which faults the range in for
 *             write itself (the bare mlock() pinctl's one pass is held to);
 *             munlock, munmap
 *   mlock-populated  populate, then mlock2(range, 0): the two passes pinctl
 *             made before, for comparison
 *   iouring   populate, then io_uring_setup(1) and IORING_REGISTER_BUFFERS with
 *             iovecs of at most 1 GiB; IORING_UNREGISTER_BUFFERS, close, munmap
 *   uffd      userfaultfd(O_CLOEXEC|O_NONBLOCK), UFFDIO_API, UFFDIO_REGISTER
 *             (MISSING), UFFDIO_ZEROPAGE in 2 MiB steps; UFFDIO_UNREGISTER,
 *             close, munmap. pinctl does this for `--method uffd` without
 *             --write (the pages are then the shared zero page).
 *   uffd-copy as uffd, but UFFDIO_COPY in 2 MiB steps from an untouched 2 MiB
 *             anonymous buffer (zeros) into pages of their own: what pinctl
 *             does for `--method uffd --write`.
 *
 * thp maps SIZE + 2 MiB, trims it to a 2 MiB-aligned SIZE and applies
 * MADV_HUGEPAGE before the rest. SIZE takes K, M and G. Prints nothing unless a
 * call fails (one line on stderr, exit 1).
 *
 * --time runs CMD once with its stdout on /dev/null (stderr is inherited) and
 * prints one line on stdout: wall milliseconds from just before fork to the
 * reaped exit (CLOCK_MONOTONIC), the exit status (128+N for signal N), and the
 * child's user and system CPU milliseconds. scripts/bench/pin.sh alternates these runs
 * and takes medians.
 *
 * --until FILE runs CMD the same way but stops the clock when FILE appears (an
 * inotify watch on its directory, so the wait costs no CPU): the moment a
 * holder that writes a pidfile once its pin is in place (`vmtouch -l -P FILE`,
 * `pinctl pin --pidfile FILE`) is ready. It then sends CMD SIGTERM (SIGKILL a
 * second later if it is still there), reaps it, removes FILE if left, and
 * prints the same line (the CPU times are up to the reap). FILE must not exist
 * before; CMD exiting first is a failure (exit 1).
 *
 * Build with gcc -O2. The installed uapi headers are 6.1's; everything used here
 * is older than that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HUGE_SIZE (2ULL << 20)
#define POPULATE_STEP (64ULL << 20)
#define ZEROPAGE_STEP (2ULL << 20)
#define MAX_BUFFER (1ULL << 30)

static void die(const char *what)
{
	fprintf(stderr, "pin-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'G': case 'g': v <<= 30; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end || v == 0 || v % 4096)
		goto bad;
	return v;
bad:
	fprintf(stderr, "pin-floor: bad size '%s' (a multiple of 4K: 1G, 512M)\n", s);
	exit(2);
}

static char *map_anon(uint64_t size, int thp)
{
	char *raw, *p;

	if (!thp) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		return p;
	}
	raw = mmap(NULL, size + HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)raw + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + size, raw + HUGE_SIZE - p);
	if (madvise(p, size, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	return p;
}

static void populate(char *p, uint64_t size)
{
	uint64_t off, len;

	for (off = 0; off < size; off += len) {
		len = size - off < POPULATE_STEP ? size - off : POPULATE_STEP;
		while (madvise(p + off, len, MADV_POPULATE_WRITE))
			if (errno != EINTR)
				die("madvise(MADV_POPULATE_WRITE)");
	}
}

static void pin_mlock(char *p, uint64_t size, int populate_first)
{
	if (populate_first)
		populate(p, size);
	if (syscall(__NR_mlock2, p, size, 0))
		die("mlock2");
	munlock(p, size);
}

static void pin_iouring(char *p, uint64_t size)
{
	struct io_uring_params params;
	struct iovec *iov;
	unsigned int n = 0;
	uint64_t off, len;
	int ring;

	populate(p, size);
	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0)
		die("io_uring_setup");
	iov = calloc((size + MAX_BUFFER - 1) / MAX_BUFFER, sizeof(*iov));
	if (!iov)
		die("calloc");
	for (off = 0; off < size; off += len) {
		len = size - off < MAX_BUFFER ? size - off : MAX_BUFFER;
		iov[n].iov_base = p + off;
		iov[n++].iov_len = len;
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, iov, n))
		die("io_uring_register(IORING_REGISTER_BUFFERS)");
	if (syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0))
		die("io_uring_register(IORING_UNREGISTER_BUFFERS)");
	close(ring);
	free(iov);
}

static void uffd_copy(int fd, char *dst, char *src, uint64_t len)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};

	while (ioctl(fd, UFFDIO_COPY, &c)) {
		if (errno != EAGAIN && errno != EINTR)
			die("ioctl(UFFDIO_COPY)");
		/* Interrupted part way: go on from where it stopped. */
		if (c.copy > 0) {
			c.dst += c.copy;
			c.src += c.copy;
			c.len -= c.copy;
		}
		c.copy = 0;
	}
}

static void pin_uffd(char *p, uint64_t size, int copy)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_range range = { .start = (uintptr_t)p, .len = size };
	uint64_t off, len;
	char *zeros = NULL;
	int fd;

	if (copy) {
		zeros = mmap(NULL, ZEROPAGE_STEP, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (zeros == MAP_FAILED)
			die("mmap");
	}
	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		die("userfaultfd");
	if (ioctl(fd, UFFDIO_API, &api))
		die("ioctl(UFFDIO_API)");
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		die("ioctl(UFFDIO_REGISTER)");
	for (off = 0; off < size; off += len) {
		struct uffdio_zeropage zp;

		len = size - off < ZEROPAGE_STEP ? size - off : ZEROPAGE_STEP;
		if (copy) {
			uffd_copy(fd, p + off, zeros, len);
			continue;
		}
		memset(&zp, 0, sizeof(zp));
		zp.range.start = (uintptr_t)p + off;
		zp.range.len = len;
		while (ioctl(fd, UFFDIO_ZEROPAGE, &zp)) {
			if (errno != EAGAIN && errno != EINTR)
				die("ioctl(UFFDIO_ZEROPAGE)");
			/* Interrupted part way: go on from where it stopped. */
			if (zp.zeropage > 0) {
				zp.range.start += zp.zeropage;
				zp.range.len -= zp.zeropage;
			}
			zp.zeropage = 0;
		}
	}
	if (ioctl(fd, UFFDIO_UNREGISTER, &range))
		die("ioctl(UFFDIO_UNREGISTER)");
	close(fd);
	if (copy)
		munmap(zeros, ZEROPAGE_STEP);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Starts argv with its stdout on /dev/null; returns its pid. */
static pid_t spawn_quiet(char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "pin-floor: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int time_command(char **argv)
{
	struct rusage ru;
	double t0, t1;
	int status, code;
	pid_t pid;

	t0 = now_ms();
	pid = spawn_quiet(argv);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now_ms();
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%.3f %d %.3f %.3f\n", t1 - t0, code,
	       ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
	return 0;
}

static int wait_for_file(char **argv, const char *file)
{
	char dir[4096], event[4096];
	const char *slash = strrchr(file, '/');
	const char *name = slash ? slash + 1 : file;
	struct rusage ru;
	struct pollfd pfd;
	double t0, t1;
	int status, code, in, seen = 0;
	pid_t pid;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
		if (!dir[0])
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	if (access(file, F_OK) == 0) {
		fprintf(stderr, "pin-floor: %s exists already: remove it first\n", file);
		exit(1);
	}
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in < 0)
		die("inotify_init1");
	if (inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO) < 0)
		die("inotify_add_watch");
	t0 = now_ms();
	pid = spawn_quiet(argv);
	pfd.fd = in;
	pfd.events = POLLIN;
	while (!seen) {
		ssize_t n;
		char *e;

		if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
			die("poll");
		while ((n = read(in, event, sizeof(event))) > 0) {
			for (e = event; e < event + n;
			     e += sizeof(struct inotify_event) + ((struct inotify_event *)e)->len) {
				struct inotify_event *ev = (struct inotify_event *)e;

				if (ev->len && !strcmp(ev->name, name))
					seen = 1;
			}
		}
		if (!seen && waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "pin-floor: %s exited before %s appeared\n", argv[0], file);
			exit(1);
		}
	}
	t1 = now_ms();
	/*
	 * vmtouch 1.3.1's SIGTERM handler removes its pidfile and returns: a
	 * SIGTERM that comes before its final select() is lost, so it is killed
	 * after a second.
	 */
	kill(pid, SIGTERM);
	for (int tries = 0;; tries++) {
		pid_t w;

		if (tries == 100)
			kill(pid, SIGKILL);
		w = wait4(pid, &status, tries < 100 ? WNOHANG : 0, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("wait4");
		if (w == 0)
			usleep(10000);
	}
	unlink(file);
	close(in);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%.3f %d %.3f %.3f\n", t1 - t0, code,
	       ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: pin-floor populate|mlock|mlock-populated|iouring|uffd|uffd-copy SIZE [thp]\n"
		"       pin-floor --time [--] CMD [ARG...]\n"
		"       pin-floor --until FILE [--] CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *method;
	uint64_t size;
	int thp = 0;
	char *p;

	if (argc >= 2 && !strcmp(argv[1], "--time")) {
		int first = argc >= 3 && !strcmp(argv[2], "--") ? 3 : 2;

		if (first >= argc)
			return usage();
		return time_command(argv + first);
	}
	if (argc >= 3 && !strcmp(argv[1], "--until")) {
		int first = argc >= 4 && !strcmp(argv[3], "--") ? 4 : 3;

		if (first >= argc)
			return usage();
		return wait_for_file(argv + first, argv[2]);
	}
	if (argc < 3 || argc > 4)
		return usage();
	method = argv[1];
	size = parse_size(argv[2]);
	if (argc == 4) {
		if (strcmp(argv[3], "thp"))
			return usage();
		thp = 1;
	}
	if (!strcmp(method, "populate")) {
		p = map_anon(size, thp);
		populate(p, size);
	} else if (!strcmp(method, "mlock") || !strcmp(method, "mlock-populated")) {
		p = map_anon(size, thp);
		pin_mlock(p, size, !strcmp(method, "mlock-populated"));
	} else if (!strcmp(method, "iouring")) {
		p = map_anon(size, thp);
		pin_iouring(p, size);
	} else if (!strcmp(method, "uffd") || !strcmp(method, "uffd-copy")) {
		p = map_anon(size, thp);
		pin_uffd(p, size, !strcmp(method, "uffd-copy"));
	} else {
		return usage();
	}
	munmap(p, size);
	return 0;
}
