// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP runner: each test in its own forked process (and process group) under
 * alarm(), ok / not ok / # SKIP with a reason, a totals line, and the state the
 * tests share.
 */
#include "harness.h"

const char *dev_path = "/dev/pinctl";

const char *ko_path;

const char *ext_dir = "/mnt/ext";

long psz;

int kver_major, kver_minor;

char skip_reason_buf[256];

/* Shared with each test's process so that a skip can say why. */
char *skip_reason;

int kmsg_fd = -1;

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

bool kernel_at_least(int major, int minor)
{
	return kver_major > major || (kver_major == major && kver_minor >= minor);
}

void parse_kernel_version(void)
{
	struct utsname u;

	if (!uname(&u))
		sscanf(u.release, "%d.%d", &kver_major, &kver_minor);
}

/* Is @name in the comma-separated @list? */
bool selected(const char *list, const char *name)
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

#define HELPER_NAME "/pinctl_helper"

static char helper_buf[PATH_MAX];

/*
 * pinctl_helper, next to this program: the image tests exec
 * (pinctl_helper.c). Found once, before the first fork, from
 * /proc/self/exe.
 */
const char *helper_path(void)
{
	ssize_t n;
	char *slash;

	if (helper_buf[0])
		return helper_buf;
	n = readlink("/proc/self/exe", helper_buf, sizeof(helper_buf) - 1);
	if (n > 0) {
		helper_buf[n] = 0;
		slash = strrchr(helper_buf, '/');
		if (slash && (size_t)(slash - helper_buf) + sizeof(HELPER_NAME) <=
			     sizeof(helper_buf)) {
			memcpy(slash, HELPER_NAME, sizeof(HELPER_NAME));
			return helper_buf;
		}
	}
	snprintf(helper_buf, sizeof(helper_buf), ".%s", HELPER_NAME);
	return helper_buf;
}

/*
 * Runs @tests in order, each in its own process group under alarm(), and
 * reports them in TAP. Return: the exit status, 0 only when none failed.
 */
int run_tests(int argc, char **argv, const struct test *tests, size_t n)
{
	const char *only = getenv("PINCTL_TEST_ONLY");
	int passed = 0, failed = 0, skipped = 0;
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	helper_path();
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
	printf("1..%zu\n", n);
	if (geteuid() != 0)
		printf("# not root: most tests will fail\n");

	for (size_t i = 0; i < n; i++) {
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
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			status = -1;
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
