// SPDX-License-Identifier: GPL-2.0
/*
 * RLIMIT_MEMLOCK, CAP_IPC_LOCK, the per-file limits, the per-user share and the
 * module-wide bounds.
 */
#include "harness.h"

int test_rlimit_memlock_enforced(void)
{
	const size_t n = 32;
	struct rlimit rl = { 16 * psz, 16 * psz };
	uint64_t h;
	char *p;
	int fd;

	fd = open_with_pages(n, &p);
	CHECK(fd >= 0);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(become_nobody() == 0);
	CHECK(getuid() == NOBODY && geteuid() == NOBODY);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 16, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, 0,
		     NULL, &h) == 0);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_pin(fd, p + 16 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL) ==
	      -ENOMEM);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 17, PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p + 16 * psz, 16,
		     PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM, 0, NULL, &h) == 0);
	CHECK(vmpin_kb() == (long)(16 * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

int test_cap_ipc_lock_bypasses_limit(void)
{
	const size_t n = 64;
	struct rlimit rl = { 16 * psz, 16 * psz };
	char *p;
	int fd;

	fd = open_with_pages(n, &p);
	CHECK(fd >= 0);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	/* With CAP_IPC_LOCK nothing is charged to the user: over the limit. */
	CHECK(do_pin(fd, p, 32, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(32 * psz / 1024));
	CHECK(drop_effective_cap(CAP_IPC_LOCK) == 0);
	/* Without it the user's own budget applies, from what it holds. */
	CHECK(do_pin(fd, p + 32 * psz, 16, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == 0);
	CHECK(do_pin(fd, p + 48 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);
	CHECK(vmpin_kb() == (long)(48 * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

#define PARAM_DIR "/sys/module/pinctl/parameters/"

static long saved_max_pages = -1, saved_max_handles = -1;

int test_per_fd_limits_enforced(void)
{
	struct pinctl_version v;
	char *p = map_small(16);
	int fd, fd2;

	CHECK(p);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_fd", 8) == 0);
	CHECK(write_long_file(PARAM_DIR "max_handles_per_fd", 3) == 0);
	fd = dev_open();
	CHECK(fd >= 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.max_pages_per_fd == 8 && v.max_handles_per_fd == 3);
	CHECK(do_pin(fd, p, 9, 0, 0, NULL, NULL) == -ENOSPC);
	CHECK(do_pin(fd, p, 8, 0, 0, NULL, NULL) == 0);
	CHECK(do_pin(fd, p, 1, 0, 0, NULL, NULL) == -ENOSPC);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = 1,
					  .iterations = 1 };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -ENOSPC);
	}
	CHECK(do_unpin_all(fd, NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(do_pin(fd, p + i * psz, 1, PINCTL_PIN_GET, 0, NULL,
			     NULL) == 0);
	CHECK(do_pin(fd, p + 3 * psz, 1, 0, 0, NULL, NULL) == -ENOSPC);
	/* The budget is per file: another open file has its own. */
	fd2 = dev_open();
	CHECK(fd2 >= 0);
	CHECK(do_pin(fd2, p, 5, 0, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(8 * psz / 1024));
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(do_pin(fd, p, 8, PINCTL_PIN_FAST, 0, NULL, NULL) == 0);
	close(fd);
	close(fd2);
	CHECK(vmpin_kb() == 0);
	/* Values beyond the caps are clamped, 0 means 1. */
	CHECK(write_long_file(PARAM_DIR "max_pages_per_fd", 0) == 0);
	CHECK(write_long_file(PARAM_DIR "max_handles_per_fd", 1 << 30) == 0);
	fd = dev_open();
	CHECK(fd >= 0 && xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.max_pages_per_fd == 1 && v.max_handles_per_fd == 65536);
	close(fd);
	return PASS;
}

void save_limits(void)
{
	saved_max_pages = read_long_file(PARAM_DIR "max_pages_per_fd");
	saved_max_handles = read_long_file(PARAM_DIR "max_handles_per_fd");
}

void restore_limits(void)
{
	if (saved_max_pages > 0)
		write_long_file(PARAM_DIR "max_pages_per_fd", saved_max_pages);
	if (saved_max_handles > 0)
		write_long_file(PARAM_DIR "max_handles_per_fd",
				saved_max_handles);
}

/*
 * Twelve short-lived children pin into one shared fd, an exec'ed holder
 * and a process the fd was passed to over SCM_RIGHTS try more: one user
 * never holds more than RLIMIT_MEMLOCK, and VmPin shows each holder's pins
 * while its process lives.
 */
int test_user_memlock_charged_per_user(void)
{
	const size_t limit = 8;
	struct rlimit rl = { limit * psz, limit * psz };
	char *p = map_small(64);
	int fd, ok = 0, enomem = 0, status, sv[2], inh;
	char arg[16];
	pid_t pid;

	CHECK(p);
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(become_nobody() == 0);
	fd = dev_open();
	CHECK(fd >= 0);
	for (int i = 0; i < 12; i++) {
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			int r = do_pin(fd, p + i * 4 * psz, 4,
				       PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
				       0, NULL, NULL);

			if (!r && vmpin_kb() != (long)(4 * psz / 1024))
				_exit(3);
			_exit(r == 0 ? 0 : r == -ENOMEM ? 1 : 2);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
		CHECKF(WEXITSTATUS(status) <= 1, "child %d: status %d", i,
		       WEXITSTATUS(status));
		ok += WEXITSTATUS(status) == 0;
		enomem += WEXITSTATUS(status) == 1;
	}
	diag("12 children x 4 pages into one fd at a %zu-page limit: %d pinned, %d ENOMEM",
	     limit, ok, enomem);
	CHECK(ok == 2 && enomem == 10);
	/* The pins are the children's: their mms are gone, ours is clean. */
	CHECK(vmpin_kb() == 0);
	CHECK(do_pin(fd, p + 60 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOMEM);

	/* exec keeps the uid: no fresh budget. */
	inh = dup(fd);	/* without O_CLOEXEC */
	CHECK(inh >= 0);
	snprintf(arg, sizeof(arg), "%d", inh);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *const av[] = { "pinctl_helper", "--pin-inherited", arg, NULL };

		execv(helper_path(), av);
		_exit(9);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(exit_code(status) == 0,
	       "exec'ed holder: status %#x (1: pinned over the limit)",
	       status);
	close(inh);

	/* A process given the fd over SCM_RIGHTS: the same user's budget. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *q = map_small(16), c;
		int got;

		close(fd);
		got = recv_fd(sv[1]);
		if (got < 0)
			_exit(10);
		if (do_pin(got, q, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL) !=
		    -ENOMEM)
			_exit(11);
		if (write(sv[1], "1", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(12);
		/* Now the fd's pins are gone: the whole limit, no more. */
		if (do_pin(got, q, limit, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) ||
		    vmpin_kb() != (long)(limit * psz / 1024) ||
		    do_pin(got, q + limit * psz, 1, PINCTL_PIN_LONGTERM, 0,
			   NULL, NULL) != -ENOMEM)
			_exit(13);
		if (do_unpin_all(got, NULL) || vmpin_kb() != 0)
			_exit(14);
		_exit(0);
	}
	CHECK(send_fd(sv[0], fd) == 0);
	{
		char c;

		CHECK(read(sv[0], &c, 1) == 1);
	}
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(write(sv[0], "2", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(exit_code(status) == 0,
	       "SCM_RIGHTS holder: status %#x (11 over the limit, 13 limit wrong, 14 VmPin)",
	       status);
	/* Everything returned: the full budget is ours again. */
	CHECK(do_pin(fd, p, limit, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(vmpin_kb() == (long)(limit * psz / 1024));
	close(fd);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

static long saved_max_refcount = -1, saved_max_total = -1;

void save_bounds(void)
{
	saved_max_refcount = read_long_file(PARAM_DIR "max_page_refcount");
	saved_max_total = read_long_file(PARAM_DIR "max_pages_total");
	save_limits();
}

void restore_bounds(void)
{
	if (saved_max_refcount > 0)
		write_long_file(PARAM_DIR "max_page_refcount",
				saved_max_refcount);
	if (saved_max_total > 0)
		write_long_file(PARAM_DIR "max_pages_total", saved_max_total);
	restore_limits();
}

/* One memfd page mapped at @n consecutive addresses. */
static char *map_one_page_n_times(size_t n, int *mfdp)
{
	int mfd = memfd_create("pinctl-refs", MFD_CLOEXEC);
	char *base;

	if (mfd < 0 || ftruncate(mfd, psz))
		return NULL;
	base = mmap(NULL, n * psz, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (mmap(base + i * psz, psz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, mfd, 0) != base + i * psz)
			return NULL;
	base[0] = 1;
	for (size_t i = 0; i < n; i++)
		(void)*(volatile char *)(base + i * psz);
	*mfdp = mfd;
	return base;
}

/*
 * With max_page_refcount lowered to 2^16, one page mapped 16 times takes
 * three 16-page pins (16 x 1024 each) and the fourth is refused with
 * EOVERFLOW, holding nothing; BENCH too. max_pages_total bounds all files
 * together, in-flight BENCH included.
 */
int test_refcount_and_total_bounds_refuse_cleanly(void)
{
	const size_t n = 16;
	struct pinctl_page pg;
	uint32_t base, before;
	int fd = dev_open(), fd2 = dev_open(), mfd, pins = 0, r;
	char *p = map_one_page_n_times(n, &mfd), *q = map_small(64);

	CHECK(fd >= 0 && fd2 >= 0 && p && q);
	CHECK(write_long_file(PARAM_DIR "max_page_refcount", 1 << 16) == 0);
	base = query1(fd, p, 0).refcount;
	for (;;) {
		before = query1(fd, p, 0).refcount;
		r = do_pin(fd, p, n, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE, 0,
			   NULL, NULL);
		if (r)
			break;
		pins++;
		CHECK(pins < 10);
	}
	pg = query1(fd, p, 0);
	diag("refcount %u after %d pins of 16 mappings, then %s", pg.refcount,
	     pins, strerror(-r));
	CHECK(r == -EOVERFLOW);
	CHECK(pins == (int)((65536 - base) / (n * PIN_BIAS)));
	CHECK(pg.refcount == before);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p, .nr_pages = n,
					  .iterations = 1,
					  .flags = PINCTL_PIN_LONGTERM };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EOVERFLOW);
	}
	CHECK(query1(fd, p, 0).refcount == before);
	CHECK(do_unpin_all(fd, NULL) == 0);
	CHECK(query1(fd, p, 0).refcount == base);
	CHECK(write_long_file(PARAM_DIR "max_page_refcount", 1U << 30) == 0);

	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(do_pin(fd, q, 41, PINCTL_PIN_LONGTERM, 0, NULL, NULL) ==
	      -ENOSPC);
	CHECK(do_pin(fd, q, 30, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	CHECK(do_pin(fd2, q + 30 * psz, 20, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOSPC);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)q, .nr_pages = 20,
					  .iterations = 1 };

		CHECK(xioctl(fd2, PINCTL_IOC_BENCH, &b) == -ENOSPC);
		b.nr_pages = 10;
		CHECK(xioctl(fd2, PINCTL_IOC_BENCH, &b) == 0);
	}
	CHECK(do_pin(fd2, q + 30 * psz, 10, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == 0);
	CHECK(vmpin_kb() == (long)(40 * psz / 1024));
	close(fd);
	CHECK(do_pin(fd2, q, 30, PINCTL_PIN_LONGTERM, 0, NULL, NULL) == 0);
	close(fd2);
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * A plain user's PIN that its RLIMIT_MEMLOCK cannot cover never touches
 * the module-wide total, which every user shares. It used to be reserved
 * there first and taken back after the rlimit check: a user with no budget
 * at all, hammering PINs of max_pages_per_fd pages from a few threads,
 * kept the total over its bound for the moment of each refusal, and other
 * users' PINs (root's here) failed ENOSPC with nothing pinned anywhere.
 */
struct refused_hammer {
	int fd;
	char *p;
	uint64_t n;
};

static void *refused_pin_hammer(void *arg)
{
	struct refused_hammer *h = arg;

	for (;;)
		do_pin(h->fd, h->p, h->n, PINCTL_PIN_LONGTERM, 0, NULL, NULL);
	return NULL;
}

int test_user_refused_pins_never_crowd_out_others(void)
{
	struct pinctl_version v;
	int fd = dev_open(), enospc = 0, i, r, status;
	char *p = map_small(1);
	cpu_set_t set;
	uint64_t h;
	pid_t child;

	SKIP_IF(sysconf(_SC_NPROCESSORS_ONLN) < 2,
		"needs two CPUs: the refused PINs race root's on the other");
	CHECK(fd >= 0 && p);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		static struct refused_hammer hs[3];
		struct rlimit rl = { 0, 0 };
		pthread_t t;

		/* The suite runs on CPU 0; the hammers on CPU 1. */
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
		/* A file each, so all reach the charge, not the fd's bound. */
		for (i = 0; i < 3; i++) {
			hs[i] = (struct refused_hammer){
				.fd = dev_open(), .p = p,
				.n = v.max_pages_per_fd,
			};
			if (hs[i].fd < 0)
				_exit(12);
		}
		/* No budget: every PIN of this user is refused ENOMEM. */
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || become_nobody())
			_exit(10);
		if (do_pin(hs[0].fd, p, v.max_pages_per_fd,
			   PINCTL_PIN_LONGTERM, 0, NULL, NULL) != -ENOMEM)
			_exit(11);
		for (i = 1; i < 3; i++)
			if (pthread_create(&t, NULL, refused_pin_hammer, &hs[i]))
				_exit(12);
		refused_pin_hammer(&hs[0]);
		_exit(0);
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	usleep(100000);
	for (i = 0; i < 5000 && !enospc; i++) {
		r = do_pin(fd, p, 1, PINCTL_PIN_LONGTERM, 0, NULL, &h);
		if (r == -ENOSPC)
			enospc = i + 1;
		else if (r == 0)
			do_unpin(fd, h, NULL);
		else
			break;
	}
	kill(child, SIGKILL);
	CHECK(waitpid(child, &status, 0) == child);
	CHECKF(WIFSIGNALED(status), "hammer exited with %d",
	       exit_code(status));
	CHECKF(!enospc,
	       "root's 1-page PIN %d failed ENOSPC while a user without budget was refused",
	       enospc);
	CHECKF(r == 0, "root's PIN: %s", strerror(-r));
	CHECK(vmpin_kb() == 0);
	return PASS;
}

/*
 * One user may hold at most max_pages_per_user of the module-wide total,
 * whatever its RLIMIT_MEMLOCK: a user with an unlimited one (as RDMA hosts
 * set) once could take the whole total, and every other user, root
 * included, got ENOSPC. Here the total is 40 pages and the share 10:
 * nobody, unlimited, holds its 10 and is refused the 11th, on another file
 * too; uid 65533 still pins 10, root (CAP_SYS_ADMIN, exempt) the remaining
 * 20; once nobody unpins, its share is whole again.
 */
static long saved_share_total = -1, saved_share_user = -1;

void save_share(void)
{
	saved_share_total = read_long_file(PARAM_DIR "max_pages_total");
	saved_share_user = read_long_file(PARAM_DIR "max_pages_per_user");
	dev_mode_0666();
}

void restore_share(void)
{
	if (saved_share_total > 0)
		write_long_file(PARAM_DIR "max_pages_total", saved_share_total);
	if (saved_share_user >= 0)
		write_long_file(PARAM_DIR "max_pages_per_user",
				saved_share_user);
	dev_mode_0600();
}

/* In a child: unlimited RLIMIT_MEMLOCK, then uid and gid @id, no caps. */
static int become_unlimited_user(uid_t id)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setresgid(id, id, id) || setresuid(id, id, id) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

int test_user_share_bounds_one_user_not_others(void)
{
	struct pinctl_version v;
	int fd = dev_open(), go[2], ready[2], status, r;
	char *p = map_small(64), c = 0;
	pid_t a, b;
	uint64_t h;

	CHECK(fd >= 0 && p && pipe(go) == 0 && pipe(ready) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_user", 10) == 0);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECK(v.features & PINCTL_FEAT_USER_SHARE);
	CHECKF(v.max_pages_per_user == 10 && v.max_pages_total == 40,
	       "max_pages_per_user %llu max_pages_total %llu",
	       (unsigned long long)v.max_pages_per_user,
	       (unsigned long long)v.max_pages_total);
	a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		int fa = dev_open(), fb = dev_open();
		uint64_t ha;

		if (fa < 0 || fb < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		if (do_pin(fa, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, &ha))
			_exit(11);
		if (do_pin(fa, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) != -ENOSPC)
			_exit(12);
		/* The share is the user's, not the file's. */
		if (do_pin(fb, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
			   NULL) != -ENOSPC)
			_exit(13);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(14);
		/* Released, the share is whole again. */
		if (do_unpin(fa, ha, NULL) ||
		    do_pin(fb, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, NULL))
			_exit(15);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	b = fork();
	CHECK(b >= 0);
	if (b == 0) {
		int fb = dev_open();

		if (fb < 0 || become_unlimited_user(65533))
			_exit(10);
		_exit(do_pin(fb, p + 20 * psz, 10, PINCTL_PIN_LONGTERM, 0,
			     NULL, NULL) ? 11 : 0);
	}
	CHECK(waitpid(b, &status, 0) == b);
	CHECKF(exit_code(status) == 0,
	       "uid 65533 beside a user at its share: status %#x", status);
	/* Root is exempt from the share, not from the total (10 held). */
	r = do_pin(fd, p + 30 * psz, 30, PINCTL_PIN_LONGTERM, 0, NULL, &h);
	CHECKF(r == 0, "root's 30-page PIN: %s", strerror(-r));
	CHECK(do_pin(fd, p + 60 * psz, 1, PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -ENOSPC);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(write(go[1], &c, 1) == 1);
	CHECK(waitpid(a, &status, 0) == a);
	CHECKF(exit_code(status) == 0,
	       "nobody at its share: exit %d (10 setup, 11 first 10 pages, 12 11th page not ENOSPC, 13 other file not ENOSPC, 15 share not returned)",
	       exit_code(status));
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * The uids of a user namespace count against the user who owns it (its
 * outermost namespace below the initial one), as subordinate uids do
 * under newuidmap: else one user could run as many uids, each with a share
 * of its own, and take the whole total again. nobody holds its share of
 * 10; a namespace nobody created, root writing its uid_map (0 -> 100000,
 * as newuidmap would from /etc/subuid), runs as uid 100000 and its 1-page
 * PIN is refused ENOSPC with 30 pages of the total free.
 */
int test_user_share_counts_namespace_uids_against_owner(void)
{
	int fd = dev_open(), go[2], ready[2], nready[2], ngo[2], status, ns;
	char *p = map_small(16), c = 0, path[64];
	pid_t a, n;
	bool skip;

	CHECK(fd >= 0 && p && pipe(go) == 0 && pipe(ready) == 0 &&
	      pipe(nready) == 0 && pipe(ngo) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_total", 40) == 0);
	CHECK(write_long_file(PARAM_DIR "max_pages_per_user", 10) == 0);
	a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		int fa = dev_open();

		if (fa < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		if (do_pin(fa, p, 10, PINCTL_PIN_LONGTERM, 0, NULL, NULL))
			_exit(11);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(14);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	n = fork();
	CHECK(n >= 0);
	if (n == 0) {
		int fn = dev_open();

		if (fn < 0 || become_unlimited_user(NOBODY))
			_exit(10);
		c = unshare(CLONE_NEWUSER) ? 'S' : 'u';
		if (write(nready[1], &c, 1) != 1 || c == 'S')
			_exit(20);
		if (read(ngo[0], &c, 1) != 1 || setresuid(0, 0, 0) ||
		    getuid() != 0)
			_exit(12);
		_exit(do_pin(fn, p + 10 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			     NULL, NULL) == -ENOSPC ? 0 : 13);
	}
	CHECK(read(nready[0], &c, 1) == 1);
	skip = c == 'S';
	if (!skip) {
		int mfd;

		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)n);
		mfd = open(path, O_WRONLY | O_CLOEXEC);
		CHECK(mfd >= 0);
		CHECKF(write(mfd, "0 100000 1\n", 11) == 11, "%s: %s", path,
		       strerror(errno));
		close(mfd);
		CHECK(write(ngo[1], &c, 1) == 1);
	}
	CHECK(waitpid(n, &ns, 0) == n);
	CHECK(write(go[1], &c, 1) == 1);
	CHECK(waitpid(a, &status, 0) == a);
	CHECKF(exit_code(status) == 0,
	       "nobody holding its share: exit %d",
	       exit_code(status));
	SKIP_IF(skip, "nobody cannot create a user namespace here");
	CHECKF(exit_code(ns) == 0,
	       "uid 100000 in nobody's namespace: exit %d (12 setresuid, 13 its PIN was not refused ENOSPC at nobody's share)",
	       exit_code(ns));
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * With the default bounds, pinning one page through 4096 mappings until
 * refused (what took a page's refcount to the WARN in try_grab_folio):
 * the module stops below 2^31 with ENOSPC or EOVERFLOW.
 */
int test_default_bounds_stop_refcount_before_overflow(void)
{
	const size_t n = 4096;
	struct pinctl_page pg;
	int fds[2] = { dev_open(), dev_open() }, mfd, pins = 0, r = 0;
	char *p = map_one_page_n_times(n, &mfd);

	CHECK(fds[0] >= 0 && fds[1] >= 0 && p);
	for (int f = 0; f < 2; f++) {
		while (!(r = do_pin(fds[f], p, n, PINCTL_PIN_LONGTERM, 0, NULL,
				    NULL)))
			pins++;
		if (r != -ENOSPC || f == 1)
			break;
	}
	pg = query1(fds[0], p, 0);
	diag("one page via %zu mappings: %d pins, refcount %u (%#x), then %s",
	     n, pins, pg.refcount, pg.refcount, strerror(-r));
	CHECK(r == -ENOSPC || r == -EOVERFLOW);
	CHECK(pg.refcount < (1U << 31) && pg.refcount > (1U << 29));
	close(fds[0]);
	close(fds[1]);
	fds[0] = dev_open();
	CHECK(query1(fds[0], p, 0).refcount == n + 1);
	close(fds[0]);
	return PASS;
}
