/* SPDX-License-Identifier: MIT */
/*
 * cpinctl.h - what Swift cannot call directly: ioctl() and syscall() are variadic,
 * request numbers are function-like macros, and the installed uapi headers are
 * 6.1's, which lack PAGEMAP_SCAN. Every symbol is prefixed cpinctl_ / CPINCTL_.
 */
#ifndef CPINCTL_H
#define CPINCTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __linux__
#include <linux/types.h>
#include <signal.h>
#include <sys/xattr.h>

/* ---- PAGEMAP_SCAN (fs/proc/task_mmu.c, uapi <linux/fs.h> since 6.7) ---- */

/** One region returned by PAGEMAP_SCAN: [start, end) with the same categories. */
struct cpinctl_page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

/** struct pm_scan_arg as in 6.7+ <linux/fs.h>: twelve u64. */
struct cpinctl_pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

_Static_assert(sizeof(struct cpinctl_page_region) == 24, "page_region is 24 bytes");
_Static_assert(sizeof(struct cpinctl_pm_scan_arg) == 96, "pm_scan_arg is 96 bytes");

/* Categories (PAGE_IS_*). */
#define CPINCTL_PAGE_IS_WPALLOWED (1ULL << 0)
#define CPINCTL_PAGE_IS_WRITTEN (1ULL << 1)
#define CPINCTL_PAGE_IS_FILE (1ULL << 2)
#define CPINCTL_PAGE_IS_PRESENT (1ULL << 3)
#define CPINCTL_PAGE_IS_SWAPPED (1ULL << 4)
#define CPINCTL_PAGE_IS_PFNZERO (1ULL << 5)
#define CPINCTL_PAGE_IS_HUGE (1ULL << 6)
#define CPINCTL_PAGE_IS_SOFT_DIRTY (1ULL << 7)
#define CPINCTL_PAGE_IS_GUARD (1ULL << 8)

/** _IOWR('f', 16, struct pm_scan_arg) */
extern const unsigned long CPINCTL_PAGEMAP_SCAN;

/**
 * cpinctl_pagemap_scan - PAGEMAP_SCAN on an open /proc/PID/pagemap fd.
 * Returns the number of regions written, or -1 with errno set.
 */
long cpinctl_pagemap_scan(int fd, struct cpinctl_pm_scan_arg *arg);


/* ---- cachestat(2) (mm/filemap.c, syscall 451 on x86_64 since 6.5; uapi <linux/mman.h>) ---- */

/** struct cachestat_range: the byte range [off, off+len) of the file; len 0 is "to the end". */
struct cpinctl_cachestat_range {
	__u64 off;
	__u64 len;
};

/** struct cachestat: page counts of the range (page cache pages, whatever their size). */
struct cpinctl_cachestat {
	__u64 nr_cache;
	__u64 nr_dirty;
	__u64 nr_writeback;
	__u64 nr_evicted;
	__u64 nr_recently_evicted;
};

_Static_assert(sizeof(struct cpinctl_cachestat_range) == 16, "cachestat_range is 16 bytes");
_Static_assert(sizeof(struct cpinctl_cachestat) == 40, "cachestat is 40 bytes");

/**
 * cpinctl_cachestat - cachestat(fd, range, cstat, flags): the page cache state of a file
 * range, without mapping or reading it. Returns 0, or -1 with errno set (ENOSYS before
 * 6.5 or where the kernel was built without it, EOPNOTSUPP on hugetlbfs, EBADF).
 */
int cpinctl_cachestat(int fd, struct cpinctl_cachestat_range *range, struct cpinctl_cachestat *cstat,
		      unsigned int flags);

/* ---- signals glibc keeps for itself (TerminationSignals.swift) ---- */
/**
 * CPINCTL_KERNEL_SIGRTMIN - the kernel's first real-time signal (32). glibc takes the ones
 * below its own SIGRTMIN (32 SIGCANCEL, 33 SIGSETXID) for threads; their default action
 * still ends the process, anyone who may signal it can send them, and glibc's sigaddset,
 * sigprocmask and pthread_sigmask refuse or silently drop them.
 */
extern const int CPINCTL_KERNEL_SIGRTMIN;
/** Adds @sig to @set by its bit, as the kernel reads it (sigaddset refuses 32 and 33). */
void cpinctl_sigset_add(sigset_t *set, int sig);
/**
 * cpinctl_sigprocmask - rt_sigprocmask(@how, @set, @old) by the system call, for the calling
 * thread: glibc's wrappers drop 32 and 33 from @set (a SIG_SETMASK restoring a saved mask
 * unblocks them). Returns 0, or -1 with errno.
 */
int cpinctl_sigprocmask(int how, const sigset_t *set, sigset_t *old);

/** A disposition as rt_sigaction(2) takes it (glibc's struct sigaction is another layout). */
struct cpinctl_kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};
/**
 * cpinctl_catch_signal - sets @sig's disposition, by the system call (glibc's sigaction
 * refuses 32 and 33), to a handler that only records it for cpinctl_take_caught_signal,
 * every signal blocked while it runs; the disposition before goes to @saved, for
 * cpinctl_restore_signal. Returns 0, or -1 with errno.
 */
int cpinctl_catch_signal(int sig, struct cpinctl_kernel_sigaction *saved);
/** Puts back the disposition cpinctl_catch_signal saved. Returns 0, or -1 with errno. */
int cpinctl_restore_signal(int sig, const struct cpinctl_kernel_sigaction *saved);
/**
 * cpinctl_take_caught_signals - the signals the handler of cpinctl_catch_signal recorded, bit
 * sig - 1 for each, and forgets them.
 */
unsigned long cpinctl_take_caught_signals(void);

#endif /* __linux__ */

/**
 * cpinctl_fs_magic - statfs(2)'s f_type of the file system holding @path (Swift's Glibc
 * module lacks <sys/vfs.h>). Returns -1 with errno set on failure.
 */
long long cpinctl_fs_magic(const char *path);

/** cpinctl_fd_fs_magic - the same for an open descriptor (fstatfs(2); O_PATH ones too). */
long long cpinctl_fd_fs_magic(int fd);

/** strerrorname_np(): "EACCES" for EACCES; NULL when unknown. */
const char *cpinctl_errno_name(int err);

/**
 * cpinctl_finish_stdout - fflush(stdout), then whether every write to it so far succeeded
 * (stdout is a C global Swift 6 cannot read). Returns 0, or the errno of the failure (EIO
 * when an earlier write failed and the error is no longer known).
 */
int cpinctl_finish_stdout(void);

/**
 * cpinctl_argc, cpinctl_argv - the process's arguments as main() got them. Swift's
 * CommandLine reads them from /proc/self/cmdline on Linux and sees none where /proc is not
 * mounted; glibc passes argc and argv to every .init_array function, static or dynamic, and
 * one in cpinctl.c keeps them. argv[0] is the program; 0 and NULL before that function ran.
 */
int cpinctl_argc(void);
char *const *cpinctl_argv(void);

#endif /* CPINCTL_H */
