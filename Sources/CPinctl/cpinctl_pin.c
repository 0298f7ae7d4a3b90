// SPDX-License-Identifier: MIT
#include "cpinctl_pin.h"

#ifdef __linux__
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

_Static_assert(sizeof(struct iovec) == 16, "iovec is 16 bytes");
_Static_assert(sizeof(struct uffdio_api) == 24, "uffdio_api is 24 bytes");
_Static_assert(sizeof(struct uffdio_register) == 32, "uffdio_register is 32 bytes");
_Static_assert(sizeof(struct uffdio_copy) == 40, "uffdio_copy is 40 bytes");
_Static_assert(sizeof(struct uffdio_zeropage) == 32, "uffdio_zeropage is 32 bytes");
_Static_assert(sizeof(struct uffdio_writeprotect) == 24, "uffdio_writeprotect is 24 bytes");
_Static_assert(sizeof(struct uffd_msg) == 32, "uffd_msg is 32 bytes");

int cpinctl_io_uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

int cpinctl_io_uring_register_buffers(int ring, const struct iovec *iov, unsigned int nr)
{
	return (int)syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, iov, nr);
}

int cpinctl_io_uring_unregister_buffers(int ring)
{
	return (int)syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
}

int cpinctl_userfaultfd(int flags)
{
	return (int)syscall(__NR_userfaultfd, flags);
}

int cpinctl_userfaultfd_dev_new(int devfd, int flags)
{
	return ioctl(devfd, USERFAULTFD_IOC_NEW, flags);
}

int cpinctl_uffdio_api(int fd, struct uffdio_api *api) { return ioctl(fd, UFFDIO_API, api); }
int cpinctl_uffdio_register(int fd, struct uffdio_register *reg) { return ioctl(fd, UFFDIO_REGISTER, reg); }
int cpinctl_uffdio_unregister(int fd, struct uffdio_range *range) { return ioctl(fd, UFFDIO_UNREGISTER, range); }
int cpinctl_uffdio_wake(int fd, struct uffdio_range *range) { return ioctl(fd, UFFDIO_WAKE, range); }
int cpinctl_uffdio_copy(int fd, struct uffdio_copy *copy) { return ioctl(fd, UFFDIO_COPY, copy); }
int cpinctl_uffdio_zeropage(int fd, struct uffdio_zeropage *zp) { return ioctl(fd, UFFDIO_ZEROPAGE, zp); }
int cpinctl_uffdio_writeprotect(int fd, struct uffdio_writeprotect *wp) { return ioctl(fd, UFFDIO_WRITEPROTECT, wp); }

int cpinctl_mlock2(const void *addr, size_t len, unsigned int flags)
{
	return (int)syscall(__NR_mlock2, addr, len, flags);
}

int cpinctl_memfd_create(const char *name, unsigned int flags)
{
	return (int)syscall(__NR_memfd_create, name, flags);
}

#include <pthread.h>
#include <sys/eventfd.h>

int cpinctl_eventfd_cloexec_nonblock(unsigned int initval)
{
	return eventfd(initval, EFD_CLOEXEC | EFD_NONBLOCK);
}

int cpinctl_name_this_thread(const char *name)
{
	return pthread_setname_np(pthread_self(), name);
}

int cpinctl_name_thread(pthread_t thread, const char *name)
{
	return pthread_setname_np(thread, name);
}
const int CPINCTL_O_PATH = O_PATH;
const int CPINCTL_O_TMPFILE = O_TMPFILE;
const int CPINCTL_O_NOATIME = O_NOATIME;
const int CPINCTL_O_DIRECTORY = O_DIRECTORY;
const int CPINCTL_O_NOFOLLOW = O_NOFOLLOW;
#endif
