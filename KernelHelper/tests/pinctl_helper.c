// SPDX-License-Identifier: GPL-2.0
/*
 * The images the VM suite's tests exec, and helpers for
 * scripts/vm/guest/pinctl-cli.sh: a second static program, next to pinctl_test
 * in the guest payload.
 *
 *   pinctl_helper --exec-target FD      (a test's exec target)
 *   pinctl_helper --suid-target         (run setuid root from a copy)
 *   pinctl_helper --suid-pin FD         (run setuid root: pin, wait)
 *   pinctl_helper --pin-inherited FD    (pin through an inherited file)
 *   pinctl_helper --fuzz-exec FD SEED   (the fuzzer's exec'ed holder)
 *   pinctl_helper --reserve GIB   (maps GIB GiB PROT_NONE, prints its start,
 *                                  waits for a signal: a target for inspect)
 *   pinctl_helper --as-nobody PROGRAM [ARGS...]   (runs PROGRAM as nobody)
 *
 * pinctl_test passes any first argument starting with "--" on to this
 * program, so scripts may name either.
 */
#include "harness.h"

/* argv[1] "--exec-target": the image an exec test's child turns into. */
static int exec_target_main(int ready_fd)
{
	if (map_fixed_page())
		return 1;
	if (write(ready_fd, "e", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/*
 * argv[1] "--suid-target": runs setuid root after a plain user's exec. Maps
 * FIXED_ADDR afresh and watches it: exit 3 if it is ever pinned.
 */
static int suid_target_main(void)
{
	struct pinctl_page pg;
	int fd = dev_open();

	if (geteuid() != 0 || fd < 0 || map_fixed_page())
		return 1;
	for (int i = 0; i < 300; i++) {
		if (do_query(fd, FIXED_ADDR, 1, &pg, 0))
			return 1;
		if (pg.flags & PINCTL_PAGE_DMA_PINNED)
			return 3;
		usleep(200);
	}
	return 0;
}

/*
 * argv[1] "--suid-pin FD": runs setuid root after a plain user's exec, pins
 * a page of its own, says "p" on FD and waits to be killed: a pin charged
 * to that user in an address space it may not read.
 */
static int suid_pin_main(const char *fdarg)
{
	char *p = map_small(1);
	int fd = dev_open();

	if (geteuid() != 0 || !p || fd < 0 ||
	    do_pin(fd, p, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL) ||
	    write(atoi(fdarg), "p", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/* argv[1] "--pin-inherited FD": an exec'ed holder tries to pin 1 page. */
static int pin_inherited_main(const char *fdarg)
{
	char *p = map_small(1);
	int r = do_pin(atoi(fdarg), p, 1, PINCTL_PIN_LONGTERM, 0, NULL, NULL);

	return r == -ENOMEM ? 0 : r == 0 ? 1 : 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	/* The images some tests exec. */
	if (argc > 2 && !strcmp(argv[1], "--exec-target"))
		return exec_target_main(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "--suid-target"))
		return suid_target_main();
	if (argc > 2 && !strcmp(argv[1], "--suid-pin"))
		return suid_pin_main(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "--pin-inherited"))
		return pin_inherited_main(argv[2]);
	if (argc > 3 && !strcmp(argv[1], "--fuzz-exec"))
		return fuzz_exec_main(argv[2], argv[3]);
	/*
	 * For scripts/vm/guest/pinctl-cli.sh: a process holding a large
	 * PROT_NONE reservation (as Go, the JVM and ASan make), nothing in it.
	 */
	if (argc > 2 && !strcmp(argv[1], "--reserve")) {
		size_t len = (size_t)strtoul(argv[2], NULL, 10) << 30;
		void *p = mmap(NULL, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p == MAP_FAILED) {
			perror("pinctl_helper --reserve");
			return 125;
		}
		printf("%p\n", p);
		fflush(stdout);
		pause();
		return 0;
	}
	/* For scripts/vm/guest/pinctl-cli.sh: run a command as nobody. */
	if (argc > 2 && !strcmp(argv[1], "--as-nobody")) {
		if (become_nobody()) {
			perror("pinctl_helper --as-nobody");
			return 125;
		}
		execv(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	fprintf(stderr, "pinctl_helper: unknown mode\n");
	return 64;
}
