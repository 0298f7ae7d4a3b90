/* SPDX-License-Identifier: MIT */
/*
 * cpinctl_pin.h - the system calls and ioctls `pinctl pin` uses that Swift cannot
 * call directly: io_uring_setup/io_uring_register, userfaultfd and its ioctls, mlock2,
 * and the newer madvise advice values the installed 6.1 headers may lack.
 */
#ifndef CPINCTL_PIN_H
#define CPINCTL_PIN_H

#ifdef __linux__
#include <pthread.h>
#include <linux/io_uring.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <stddef.h>
#include <sys/uio.h>

#define CPINCTL_MADV_POPULATE_READ 22
#define CPINCTL_MADV_POPULATE_WRITE 23
#define CPINCTL_MADV_COLLAPSE 25
#define CPINCTL_MADV_PAGEOUT 21
#define CPINCTL_MADV_HUGEPAGE 14
#define CPINCTL_MADV_NOHUGEPAGE 15
#define CPINCTL_MADV_SOFT_OFFLINE 101
#define CPINCTL_MLOCK_ONFAULT 1
#define CPINCTL_UFFD_USER_MODE_ONLY 1

/* ---- io_uring ---- */
int cpinctl_io_uring_setup(unsigned int entries, struct io_uring_params *p);
int cpinctl_io_uring_register_buffers(int ring, const struct iovec *iov, unsigned int nr);
int cpinctl_io_uring_unregister_buffers(int ring);

/* ---- userfaultfd ---- */
/** The userfaultfd(2) system call. */
int cpinctl_userfaultfd(int flags);
/** USERFAULTFD_IOC_NEW on an open /dev/userfaultfd (5.11+). */
int cpinctl_userfaultfd_dev_new(int devfd, int flags);
int cpinctl_uffdio_api(int fd, struct uffdio_api *api);
int cpinctl_uffdio_register(int fd, struct uffdio_register *reg);
int cpinctl_uffdio_unregister(int fd, struct uffdio_range *range);
int cpinctl_uffdio_wake(int fd, struct uffdio_range *range);
int cpinctl_uffdio_copy(int fd, struct uffdio_copy *copy);
int cpinctl_uffdio_zeropage(int fd, struct uffdio_zeropage *zp);
int cpinctl_uffdio_writeprotect(int fd, struct uffdio_writeprotect *wp);

/* ---- memory ---- */
int cpinctl_mlock2(const void *addr, size_t len, unsigned int flags);
int cpinctl_memfd_create(const char *name, unsigned int flags);

/* ---- userfaultfd fault-handler thread (UffdFaultHandler.swift) ---- */
/** eventfd(initval, EFD_CLOEXEC | EFD_NONBLOCK): Swift's Glibc module lacks sys/eventfd.h. */
int cpinctl_eventfd_cloexec_nonblock(unsigned int initval);
/** pthread_setname_np(pthread_self(), name): a GNU extension Swift's Glibc hides. */
int cpinctl_name_this_thread(const char *name);
/** pthread_setname_np(thread, name), from the thread that created it. */
int cpinctl_name_thread(pthread_t thread, const char *name);

/* ---- files pin opens (RegularFile, ShmObject, Pidfile): GNU flags Swift's Glibc hides ---- */
/** O_PATH: resolve a path to a descriptor without opening the file (no FIFO wait, no device open). */
extern const int CPINCTL_O_PATH;
/** O_TMPFILE: a nameless file in a directory, linked in once written. */
extern const int CPINCTL_O_TMPFILE;
/** O_NOATIME: read page cache state without touching the file's atime (owner or CAP_FOWNER). */
extern const int CPINCTL_O_NOATIME;
/** O_DIRECTORY: fail with ENOTDIR unless the name is a directory (the tree walk's openat). */
extern const int CPINCTL_O_DIRECTORY;
/** O_NOFOLLOW: fail with ELOOP when the last name is a symbolic link. */
extern const int CPINCTL_O_NOFOLLOW;

#endif /* __linux__ */
#endif /* CPINCTL_PIN_H */
