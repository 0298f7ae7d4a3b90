// SPDX-License-Identifier: MIT
#include "cpinctl_kmod.h"

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

_Static_assert(sizeof(struct pinctl_version) == 64, "pinctl_version is 64 bytes");
_Static_assert(sizeof(struct pinctl_pin) == 80, "pinctl_pin is 80 bytes");
_Static_assert(sizeof(struct pinctl_unpin) == 48, "pinctl_unpin is 48 bytes");
_Static_assert(sizeof(struct pinctl_page) == 24, "pinctl_page is 24 bytes");
_Static_assert(sizeof(struct pinctl_query) == 64, "pinctl_query is 64 bytes");
_Static_assert(sizeof(struct pinctl_bench) == 72, "pinctl_bench is 72 bytes");
_Static_assert(sizeof(struct pinctl_list_entry) == 96, "pinctl_list_entry is 96 bytes");
_Static_assert(sizeof(struct pinctl_list) == 64, "pinctl_list is 64 bytes");
_Static_assert(sizeof(struct pinctl_frame) == 24, "pinctl_frame is 24 bytes");
_Static_assert(sizeof(struct pinctl_frames) == 64, "pinctl_frames is 64 bytes");
_Static_assert(PINCTL_ABI_VERSION == 2, "the Swift client speaks ABI 2 (mem_fd)");
_Static_assert(__builtin_offsetof(struct pinctl_pin, mem_fd) == 28, "pinctl_pin.mem_fd at 28");
_Static_assert(__builtin_offsetof(struct pinctl_query, mem_fd) == 24, "pinctl_query.mem_fd at 24");

const char *const CPINCTL_VERSION = PINCTL_VERSION;
const unsigned long long CPINCTL_VERSION_CODE = PINCTL_VERSION_CODE;

const unsigned long CPINCTL_IOC_VERSION = PINCTL_IOC_VERSION;
const unsigned long CPINCTL_IOC_PIN = PINCTL_IOC_PIN;
const unsigned long CPINCTL_IOC_UNPIN = PINCTL_IOC_UNPIN;
const unsigned long CPINCTL_IOC_QUERY = PINCTL_IOC_QUERY;
const unsigned long CPINCTL_IOC_BENCH = PINCTL_IOC_BENCH;
const unsigned long CPINCTL_IOC_LIST = PINCTL_IOC_LIST;
const unsigned long CPINCTL_IOC_QUERY_FRAMES = PINCTL_IOC_QUERY_FRAMES;

int cpinctl_kmod_version(int fd, struct pinctl_version *v) { return ioctl(fd, PINCTL_IOC_VERSION, v); }
int cpinctl_kmod_pin(int fd, struct pinctl_pin *p) { return ioctl(fd, PINCTL_IOC_PIN, p); }
int cpinctl_kmod_unpin(int fd, struct pinctl_unpin *u) { return ioctl(fd, PINCTL_IOC_UNPIN, u); }
int cpinctl_kmod_query(int fd, struct pinctl_query *q) { return ioctl(fd, PINCTL_IOC_QUERY, q); }
int cpinctl_kmod_bench(int fd, struct pinctl_bench *b) { return ioctl(fd, PINCTL_IOC_BENCH, b); }
int cpinctl_kmod_list(int fd, struct pinctl_list *l) { return ioctl(fd, PINCTL_IOC_LIST, l); }
int cpinctl_kmod_query_frames(int fd, struct pinctl_frames *q) { return ioctl(fd, PINCTL_IOC_QUERY_FRAMES, q); }
int cpinctl_kmod_raw(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

int cpinctl_finit_module(int fd, const char *params, int flags)
{
	return (int)syscall(__NR_finit_module, fd, params, flags);
}

int cpinctl_delete_module(const char *name, unsigned int flags)
{
	return (int)syscall(__NR_delete_module, name, flags);
}

int cpinctl_decompress_to_fd(const char *tool, int infd, int outfd, int *status)
{
	char *const argv[] = { (char *)tool, (char *)"-dc", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err;

	if (lseek(infd, 0, SEEK_SET) < 0)
		return errno;
	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return err;
	err = posix_spawn_file_actions_adddup2(&fa, infd, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!err)
		err = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return err;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}
#endif
