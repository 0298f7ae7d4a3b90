// SPDX-License-Identifier: MIT
/*
 * pinctl-test-fuse MOUNTPOINT - a FUSE file system that stops answering, for the
 * hostile-host tests: a hung NFS server or a stopped FUSE daemon, made on demand.
 *
 * Speaks the kernel's FUSE protocol over /dev/fuse itself (no libfuse): mounts one
 * directory holding one regular file, "file" (4 KiB), with attribute and entry timeouts of
 * zero, so that every stat of it asks the daemon. A child opens the file and holds it;
 * then the daemon stops reading /dev/fuse, prints "ready HOLDER_PID FD" and waits. From
 * then on a stat of the held file (through /proc/HOLDER_PID/fd/FD) blocks until the connection
 * ends. On EOF on stdin (or SIGTERM) it aborts the connection by closing /dev/fuse, so
 * every waiting request fails with ENOTCONN, kills the holder and detaches the mount.
 * Needs root (mount(2)). Exit status 0, or 1 with a line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_NODE 2
#define FILE_SIZE 4096

static int fuse_fd = -1;

static void die(const char *what)
{
	fprintf(stderr, "pinctl-test-fuse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reply(uint64_t unique, int error, const void *body, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *h = (struct fuse_out_header *)buf;

	h->len = sizeof(*h) + (error ? 0 : len);
	h->error = error;
	h->unique = unique;
	if (!error && len)
		memcpy(buf + sizeof(*h), body, len);
	if (write(fuse_fd, buf, h->len) < 0 && errno != ENOENT)
		die("write /dev/fuse");
}

static void fill_attr(struct fuse_attr *a, uint64_t node)
{
	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->nlink = node == FILE_NODE ? 1 : 2;
	a->mode = node == FILE_NODE ? (S_IFREG | 0644) : (S_IFDIR | 0755);
	a->size = node == FILE_NODE ? FILE_SIZE : 0;
	a->blocks = a->size / 512;
	a->blksize = 4096;
}

/* Serves one request; returns 0 once the holder's open has been answered. */
static void serve_one(char *buf, size_t size)
{
	ssize_t n = read(fuse_fd, buf, size);
	struct fuse_in_header *in = (struct fuse_in_header *)buf;
	void *arg = buf + sizeof(*in);

	if (n < 0) {
		if (errno == EINTR || errno == ENOENT)
			return;
		die("read /dev/fuse");
	}
	switch (in->opcode) {
	case FUSE_INIT: {
		struct fuse_init_in *ii = arg;
		struct fuse_init_out o = { 0 };

		o.major = FUSE_KERNEL_VERSION;
		o.minor = FUSE_KERNEL_MINOR_VERSION;
		o.max_readahead = ii->max_readahead;
		o.max_write = 4096;
		reply(in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out o = { 0 };

		if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "file") != 0) {
			reply(in->unique, -ENOENT, NULL, 0);
			break;
		}
		o.nodeid = FILE_NODE;
		o.generation = 1;
		fill_attr(&o.attr, FILE_NODE);
		reply(in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out o = { 0 };

		fill_attr(&o.attr, in->nodeid);
		reply(in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_OPEN: {
		struct fuse_open_out o = { 0 };

		o.fh = 1;
		reply(in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break; /* no reply */
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_DESTROY:
		reply(in->unique, 0, NULL, 0);
		break;
	default:
		reply(in->unique, -ENOSYS, NULL, 0);
	}
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	char opts[128], path[4096];
	unsigned char held;
	int pipefd[2];
	pid_t holder;
	struct sigaction sa = { .sa_handler = on_term };

	if (argc != 2) {
		fprintf(stderr, "usage: pinctl-test-fuse MOUNTPOINT\n");
		return 64;
	}
	sigaction(SIGTERM, &sa, NULL);
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0)
		die("open /dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
	if (mount("pinctl-test-fuse", argv[1], "fuse.pinctl-test", MS_NOSUID | MS_NODEV, opts) != 0)
		die("mount");
	if (pipe(pipefd) != 0)
		die("pipe");
	snprintf(path, sizeof(path), "%s/file", argv[1]);
	holder = fork();
	if (holder < 0)
		die("fork");
	if (holder == 0) {
		int fd;

		close(fuse_fd);
		close(pipefd[0]);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fd > 255)
			die("open the file on the mount");
		held = (unsigned char)fd;
		if (write(pipefd[1], &held, 1) != 1)
			die("write the pipe");
		for (;;)
			pause();
	}
	close(pipefd[1]);
	/* Serve until the holder says it has the file open (the pipe becomes readable). */
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	while (read(pipefd[0], &held, 1) != 1) {
		fd_set fds;

		FD_ZERO(&fds);
		FD_SET(fuse_fd, &fds);
		FD_SET(pipefd[0], &fds);
		if (select((fuse_fd > pipefd[0] ? fuse_fd : pipefd[0]) + 1, &fds, NULL, NULL, NULL) < 0 && errno != EINTR)
			die("select");
		if (FD_ISSET(fuse_fd, &fds))
			serve_one(buf, sizeof(buf));
	}
	/* From here on nothing is read from /dev/fuse: the file system has stopped answering. */
	printf("ready %d %d\n", (int)holder, held);
	fflush(stdout);
	while (!stop && read(0, buf, sizeof(buf)) > 0)
		;
	close(fuse_fd); /* aborts the connection: waiting requests end with ENOTCONN */
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	if (umount2(argv[1], MNT_DETACH) != 0)
		die("umount");
	return 0;
}
