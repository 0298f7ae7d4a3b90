// SPDX-License-Identifier: GPL-2.0
/*
 * A plain user at a 0666 device: what needs CAP_SYS_ADMIN, PFN visibility, and
 * the target named by /proc/PID/mem (Yama, exec, setuid exec).
 */
#include "harness.h"

/*
 * A pin held without FOLL_LONGTERM, or a FOLL_GET reference,
 * blocks CMA and offlining for as long as it is held: a plain user may not
 * hold one. BENCH holds nothing past the call and stays open.
 */
int test_user_short_term_and_get_need_cap_sys_admin(void)
{
	static const uint32_t refused[] = {
		0, PINCTL_PIN_WRITE, PINCTL_PIN_FAST,
		PINCTL_PIN_FAST | PINCTL_PIN_WRITE, PINCTL_PIN_GET,
		PINCTL_PIN_GET | PINCTL_PIN_FAST,
		PINCTL_PIN_GET | PINCTL_PIN_WRITE,
	};
	static const uint32_t allowed[] = {
		PINCTL_PIN_LONGTERM, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
		PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST | PINCTL_PIN_WRITE,
	};
	char *p = map_small(4);
	int fd = dev_open();
	uint64_t h;

	CHECK(getuid() == NOBODY && !cap_sys_admin());
	CHECKF(fd >= 0, "open %s as nobody: %s", dev_path, strerror(errno));
	CHECK(p);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		CHECKF(do_pin(fd, p, 4, refused[i], 0, NULL, NULL) == -EPERM,
		       "flags %#x", refused[i]);
	CHECK(vmpin_kb() == 0);
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		CHECKF(do_pin(fd, p, 4, allowed[i], 0, NULL, &h) == 0,
		       "flags %#x: %s", allowed[i], strerror(errno));
		CHECK(vmpin_kb() == (long)(4 * psz / 1024));
		CHECK(do_unpin(fd, h, NULL) == 0);
	}
	for (uint32_t f = 0; f <= (PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM |
				   PINCTL_PIN_FAST | PINCTL_PIN_GET); f++) {
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 4, .flags = f,
			.iterations = 2,
		};

		if ((f & PINCTL_PIN_GET) && (f & PINCTL_PIN_LONGTERM))
			continue;
		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == 0, "BENCH %#x: %s",
		       f, strerror(errno));
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

/*
 * PFNs only for a file opened with CAP_SYS_ADMIN in the initial
 * user namespace, as /proc/PID/pagemap decides by its opener.
 */
int test_user_pfns_hidden_as_pagemap_does(void)
{
	struct pinctl_version v;
	struct pinctl_page pg;
	uint64_t pfns[2] = { 0 }, h;
	char *p = map_small(2);
	int fd = dev_open();

	CHECK(getuid() == NOBODY && fd >= 0 && p);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECKF(!(v.features & PINCTL_FEAT_PFNS), "features %#llx",
	       (unsigned long long)v.features);
	pg = query1(fd, p, 0);
	CHECKF(pg.flags == (PINCTL_PAGE_PRESENT | PINCTL_PAGE_ANON |
			    PINCTL_PAGE_PFN_HIDDEN) && pg.pfn == 0 &&
	       pg.refcount == 1, "flags %#x pfn %#llx refcount %u", pg.flags,
	       (unsigned long long)pg.pfn, pg.refcount);
	/* The kernel's own rule gives the same answer. */
	CHECK(pm_present(pagemap_entry(0, p)) &&
	      pm_pfn(pagemap_entry(0, p)) == 0);
	CHECK(do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, pfns, NULL) == -EPERM);
	CHECK(pfns[0] == 0 && pfns[1] == 0 && vmpin_kb() == 0);
	CHECK(do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, NULL, &h) == 0);
	pg = query1(fd, p, 0);
	CHECK((pg.flags & PINCTL_PAGE_DMA_PINNED) && pg.pfn == 0);
	close(fd);
	return PASS;
}

/*
 * The opener decides: root's descriptor shows PFNs to nobody,
 * nobody's hides them from root (passed over SCM_RIGHTS).
 */
int test_pfn_visibility_follows_the_opener(void)
{
	struct pinctl_page pg;
	char *p = map_small(1);
	int rootfd = dev_open(), sv[2], userfd, status;
	uint64_t pfn = pm_pfn(pagemap_entry(0, p));
	pid_t pid;

	CHECK(p && rootfd >= 0 && pfn);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct pinctl_page cpg;
		int ufd;

		if (become_nobody())
			_exit(10);
		cpg = query1(rootfd, p, 0);
		if (cpg.pfn != pfn || (cpg.flags & PINCTL_PAGE_PFN_HIDDEN))
			_exit(11);
		ufd = dev_open();
		if (ufd < 0 || send_fd(sv[1], ufd))
			_exit(12);
		_exit(0);
	}
	userfd = recv_fd(sv[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(exit_code(status) == 0,
	       "child status %#x (11 root's fd hid the PFN, 12 open/send)",
	       status);
	CHECK(userfd >= 0);
	pg = query1(userfd, p, 0);
	CHECKF(pg.pfn == 0 && (pg.flags & PINCTL_PAGE_PFN_HIDDEN),
	       "root through nobody's fd: pfn %#llx flags %#x",
	       (unsigned long long)pg.pfn, pg.flags);
	CHECK(do_pin(userfd, p, 1, PINCTL_PIN_LONGTERM, 0, &pfn, NULL) ==
	      -EPERM);
	pg = query1(rootfd, p, 0);
	CHECK(pg.pfn == pfn && !(pg.flags & PINCTL_PAGE_PFN_HIDDEN));
	close(userfd);
	close(rootfd);
	return PASS;
}

struct race_ctx {
	int fd;
	char *mem;
	volatile int stop;
	volatile uint64_t last;	/* the newest handle a PIN returned */
	long pins, bad, unpinned;
	uint64_t worst;
};

static void *race_pinner(void *arg)
{
	struct race_ctx *c = arg;

	for (int i = 0; i < 4000 && !c->stop; i++) {
		struct pinctl_pin p = {
			.addr = (uintptr_t)c->mem + (i % 8) * psz,
			.nr_pages = 1, .flags = PINCTL_PIN_LONGTERM,
		};

		if (ioctl(c->fd, PINCTL_IOC_PIN, &p))
			continue;
		__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
		c->last = p.handle;
		if (p.pinned != 1 || !p.handle || p.handle > UINT32_MAX) {
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
			c->worst = p.pinned != 1 ? p.pinned : p.handle;
		}
		/* Keep handles flowing: the file holds at most 1024. */
		if (i % 2) {
			struct pinctl_unpin u = { .handle = p.handle };

			ioctl(c->fd, PINCTL_IOC_UNPIN, &u);
		}
	}
	return NULL;
}

static void *race_guesser(void *arg)
{
	struct race_ctx *c = arg;
	unsigned int i = 0;

	while (!c->stop) {
		/* The handle PIN just handed out, or those it is about to. */
		struct pinctl_unpin u = { .handle = c->last + i++ % 4 };

		if (!ioctl(c->fd, PINCTL_IOC_UNPIN, &u)) {
			__atomic_add_fetch(&c->unpinned, 1, __ATOMIC_RELAXED);
			if (u.unpinned != 1) {
				__atomic_add_fetch(&c->bad, 1,
						   __ATOMIC_RELAXED);
				c->worst = u.unpinned;
			}
		}
	}
	return NULL;
}

/*
 * Handles are predictable; a PIN's region used to be read after it was
 * published, so a guessed UNPIN could free it first (slub_debug poison in
 * `pinned`). Two pinners against two guessers on one file, as nobody.
 */
int test_user_pin_unpin_race_never_reads_freed_region(void)
{
	struct race_ctx c = { .fd = dev_open(), .mem = map_small(8) };
	pthread_t t[4];

	CHECK(getuid() == NOBODY && c.fd >= 0 && c.mem);
	all_cpus();
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL,
				     i < 2 ? race_pinner : race_guesser,
				     &c) == 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	c.stop = 1;
	pthread_join(t[2], NULL);
	pthread_join(t[3], NULL);
	diag("%ld pins, %ld taken by a guessed UNPIN, %ld bad answers",
	     c.pins, c.unpinned, c.bad);
	CHECKF(c.bad == 0, "a PIN or UNPIN answered %#llx",
	       (unsigned long long)c.worst);
	CHECK(c.pins > 0 && c.unpinned > 0);
	CHECK(do_unpin_all(c.fd, NULL) == 0 && vmpin_kb() == 0);
	close(c.fd);
	return PASS;
}

static long saved_ptrace_scope = -1;

void save_ptrace_scope(void)
{
	saved_ptrace_scope =
		read_long_file("/proc/sys/kernel/yama/ptrace_scope");
	dev_mode_0666();
}

void restore_ptrace_scope(void)
{
	if (saved_ptrace_scope >= 0)
		write_long_file("/proc/sys/kernel/yama/ptrace_scope",
				saved_ptrace_scope);
	dev_mode_0600();
}

/*
 * Forks a plain user that tries a remote QUERY and a WRITE|LONGTERM PIN of
 * FIXED_ADDR in @target. Returns 0 if both worked, 1 if the target's
 * /proc/PID/mem could not be opened, 2 for anything else.
 */
static int user_remote_attempt(pid_t target)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (!pid) {
		struct pinctl_page pg;
		int fd, mfd;

		if (become_nobody())
			_exit(2);
		fd = dev_open();
		mfd = mem_open(target);
		if (mfd == -EACCES || mfd == -EPERM)
			_exit(1);
		if (fd < 0 || mfd < 0)
			_exit(2);
		if (do_query(fd, FIXED_ADDR, 1, &pg, mfd) ||
		    !(pg.flags & PINCTL_PAGE_PRESENT) ||
		    do_pin(fd, FIXED_ADDR, 1,
			   PINCTL_PIN_REMOTE | PINCTL_PIN_WRITE |
			   PINCTL_PIN_LONGTERM, mfd, NULL, NULL))
			_exit(2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

/*
 * With kernel.yama.ptrace_scope=2 a same-uid remote QUERY and
 * WRITE|LONGTERM PIN are refused (the /proc/PID/mem open is), at 0 they
 * work.
 */
int test_user_yama_ptrace_scope_refuses_remote(void)
{
	int pfd[2], r0, r2;
	pid_t target;
	char c;

	SKIP_IF(saved_ptrace_scope < 0, "no Yama here (/proc/sys/kernel/yama)");
	CHECK(pipe(pfd) == 0);
	target = fork();
	CHECK(target >= 0);
	if (!target) {
		if (become_nobody() || map_fixed_page() ||
		    write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK(read(pfd[0], &c, 1) == 1);
	CHECK(write_long_file("/proc/sys/kernel/yama/ptrace_scope", 0) == 0);
	r0 = user_remote_attempt(target);
	CHECK(write_long_file("/proc/sys/kernel/yama/ptrace_scope", 2) == 0);
	r2 = user_remote_attempt(target);
	reap(target);
	diag("same-uid remote QUERY and WRITE|LONGTERM PIN: ptrace_scope 0: %s, 2: %s",
	     r0 ? "refused" : "allowed", r2 == 1 ? "refused" : "allowed");
	CHECKF(r0 == 0, "ptrace_scope 0: attempt %d", r0);
	CHECKF(r2 == 1, "ptrace_scope 2: attempt %d (1 = refused)", r2);
	return PASS;
}

/*
 * A /proc/PID/mem descriptor holds the address space it was
 * opened on; after the target execs, the module refuses it (ESRCH) rather
 * than reach the new image, and a new open is checked against the new
 * credentials.
 */
int test_exec_after_open_leaves_descriptor_dead(void)
{
	struct pinctl_page pg;
	int fd = dev_open(), ready[2], go[2], mfd, mfd2;
	char c, arg[16];
	uint64_t h;
	pid_t pid;

	CHECK(fd >= 0 && pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		char *const av[] = { "pinctl_helper", "--exec-target", arg, NULL };

		snprintf(arg, sizeof(arg), "%d", ready[1]);
		if (map_fixed_page() || write(ready[1], "o", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		execv(helper_path(), av);
		_exit(2);
	}
	CHECK(read(ready[0], &c, 1) == 1 && c == 'o');
	mfd = mem_open(pid);
	CHECK(mfd > 0);
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd, NULL, &h) == 0);
	CHECK(do_unpin(fd, h, NULL) == 0);
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(read(ready[0], &c, 1) == 1 && c == 'e');
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd, NULL, NULL) == -ESRCH);
	CHECK(do_query(fd, FIXED_ADDR, 1, &pg, mfd) == -ESRCH);
	mfd2 = mem_open(pid);
	CHECK(mfd2 > 0);
	CHECK(do_query(fd, FIXED_ADDR, 1, &pg, mfd2) == 0 &&
	      (pg.flags & PINCTL_PAGE_PRESENT));
	CHECK(do_pin(fd, FIXED_ADDR, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_LONGTERM,
		     mfd2, NULL, NULL) == 0);
	reap(pid);
	/* The pin outlives the process; the mm it was charged to is gone. */
	CHECK(do_unpin_all(fd, NULL) == 0);
	close(fd);
	return PASS;
}

#define SUID_PATH "/tmp/pinctl-suid-target"

struct suid_stats {
	long opened, pinned_old, esrch, refused;
};

/*
 * The race itself: a plain user keeps opening the /proc/PID/mem
 * of its own child and pinning FIXED_ADDR while the child execs a setuid
 * root program that maps the same address. Every open either found the old
 * image (its pins land there, or ESRCH once it is gone) or is refused; the
 * setuid image must never see its page pinned.
 */
int test_user_setuid_exec_never_pinned(void)
{
	struct suid_stats *st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rounds = 0, pinned_new = 0, r;

	CHECK(st != MAP_FAILED);
	r = make_suid_copy(SUID_PATH);
	SKIP_IF(r, "cannot make a setuid copy at %s: %s", SUID_PATH,
		strerror(-r));
	all_cpus();
	for (rounds = 0; rounds < 24; rounds++) {
		int pfd[2], status;
		pid_t user, child;
		char c;

		CHECK(pipe(pfd) == 0);
		user = fork();
		CHECK(user >= 0);
		if (!user) {
			int fd;

			if (become_nobody())
				_exit(10);
			fd = dev_open();
			if (fd < 0)
				_exit(11);
			child = fork();
			if (!child) {
				char *const av[] = { "pinctl_helper", "--suid-target",
					       NULL };

				if (map_fixed_page() ||
				    write(pfd[1], "c", 1) != 1)
					_exit(12);
				/* Let the attacker open our mem first. */
				usleep((rounds % 4) * 300);
				execv(SUID_PATH, av);
				_exit(13);
			}
			if (read(pfd[0], &c, 1) != 1)
				_exit(14);
			while (waitpid(child, &status, WNOHANG) == 0) {
				int mfd = mem_open(child);

				if (mfd < 0) {
					__atomic_add_fetch(&st->refused, 1,
							   __ATOMIC_RELAXED);
					continue;
				}
				__atomic_add_fetch(&st->opened, 1,
						   __ATOMIC_RELAXED);
				r = do_pin(fd, FIXED_ADDR, 1,
					   PINCTL_PIN_REMOTE |
					   PINCTL_PIN_WRITE |
					   PINCTL_PIN_LONGTERM, mfd, NULL, NULL);
				if (!r)
					__atomic_add_fetch(&st->pinned_old, 1,
							   __ATOMIC_RELAXED);
				else if (r == -ESRCH)
					__atomic_add_fetch(&st->esrch, 1,
							   __ATOMIC_RELAXED);
				close(mfd);
				do_unpin_all(fd, NULL);
			}
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 20);
		}
		close(pfd[1]);
		CHECK(waitpid(user, &status, 0) == user);
		close(pfd[0]);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
			pinned_new++;
		else
			CHECKF(exit_code(status) == 0,
			       "round %d: status %#x", rounds, status);
	}
	unlink(SUID_PATH);
	diag("%d setuid execs raced: %ld opens of the old image (%ld pinned it, %ld ESRCH after exec), %ld opens refused; setuid image pinned %d times",
	     rounds, st->opened, st->pinned_old, st->esrch, st->refused,
	     pinned_new);
	CHECK(pinned_new == 0);
	CHECK(st->refused > 0);
	return PASS;
}
