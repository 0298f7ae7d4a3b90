// SPDX-License-Identifier: MIT
/*
 * v4l2-userptr - queues N V4L2 USERPTR capture buffers on a video device, so the driver
 * (vivid in the VM) pins them (videobuf2 pins each USERPTR buffer at QBUF, long-term,
 * charging nothing), then holds. SIGUSR1 frees them (VIDIOC_REQBUFS count 0, which is
 * when videobuf2 unpins) and prints "freed"; SIGTERM or SIGINT ends it.
 *
 *   v4l2-userptr DEVICE N
 *
 * Prints "buffer 0xADDR LENGTH" per buffer, then "ready", with 640x480 YUYV frames
 * (614400 bytes: 150 pages each). Built statically for the guest by scripts/vm/test.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>

static volatile sig_atomic_t want_free, want_exit;

static void on_usr1(int s) { (void)s; want_free = 1; }
static void on_term(int s) { (void)s; want_exit = 1; }

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static void die(const char *what)
{
	fprintf(stderr, "v4l2-userptr: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: v4l2-userptr DEVICE N\n");
		return 2;
	}
	unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
	if (n == 0 || n > 32) {
		fprintf(stderr, "v4l2-userptr: N must be 1 to 32\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(argv[1]);
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	fmt.fmt.pix.width = 640;
	fmt.fmt.pix.height = 480;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(fd, VIDIOC_S_FMT, &fmt))
		die("VIDIOC_S_FMT");
	size_t len = fmt.fmt.pix.sizeimage;
	struct v4l2_requestbuffers req = { .count = n, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					   .memory = V4L2_MEMORY_USERPTR };
	if (xioctl(fd, VIDIOC_REQBUFS, &req))
		die("VIDIOC_REQBUFS USERPTR");
	if (req.count < n)
		n = req.count;
	for (unsigned i = 0; i < n; i++) {
		void *p = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		if (!p)
			die("aligned_alloc");
		memset(p, 0x5a, len);
		struct v4l2_buffer b = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_USERPTR };
		b.m.userptr = (unsigned long)p;
		b.length = (unsigned)len;
		if (xioctl(fd, VIDIOC_QBUF, &b))
			die("VIDIOC_QBUF");
		printf("buffer 0x%lx %zu\n", (unsigned long)(uintptr_t)p, len);
	}
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!want_exit) {
		pause();
		if (want_free) {
			want_free = 0;
			struct v4l2_requestbuffers zero = { .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
							    .memory = V4L2_MEMORY_USERPTR };
			if (xioctl(fd, VIDIOC_REQBUFS, &zero))
				die("VIDIOC_REQBUFS 0");
			printf("freed\n");
			fflush(stdout);
		}
	}
	return 0;
}
