// SPDX-License-Identifier: MIT
/*
 * first-byte - how soon a command's output starts, and its whole time and max RSS.
 *
 *   first-byte [-m MARKER] OUTFILE CMD [ARG...]
 *
 * Runs CMD with stdout on a pipe, copies what arrives to OUTFILE, and prints on stdout
 * "FIRST_MS TOTAL_MS MAXRSS_KIB EXIT": the time from fork to the first byte read (with -m,
 * to the first byte of the first MARKER, e.g. a row's start), to the child's exit, and the
 * child's ru_maxrss (wait4). Build with gcc -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	char tail[256] = "";
	const char *marker = NULL;
	int p[2], fd;
	double t0, first = -1;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "-m") == 0) {
		marker = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 3 || (marker && (!*marker || strlen(marker) >= sizeof(tail)))) {
		fprintf(stderr, "usage: first-byte [-m MARKER] OUTFILE CMD [ARG...]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || pipe2(p, O_CLOEXEC)) {
		perror("first-byte");
		return 1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first < 0 && !marker) {
			first = now_ms() - t0;
		} else if (first < 0) {
			/* The marker may straddle two reads: search the last bytes of the
			 * previous read joined to the start of this one, then this one. */
			size_t ml = strlen(marker), tl = strlen(tail);
			char joint[512];
			size_t head = (size_t)n < ml - 1 ? (size_t)n : ml - 1;
			memcpy(joint, tail, tl);
			memcpy(joint + tl, buf, head);
			if (memmem(joint, tl + head, marker, ml) || memmem(buf, (size_t)n, marker, ml))
				first = now_ms() - t0;
			size_t keep = (size_t)n < ml - 1 ? (size_t)n : ml - 1;
			memcpy(tail, buf + n - keep, keep);
			tail[keep] = 0;
		}
		if (write(fd, buf, (size_t)n) != n) {
			perror("first-byte: write");
			return 1;
		}
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	printf("%.3f %.3f %ld %d\n", first, now_ms() - t0, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
