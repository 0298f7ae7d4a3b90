// SPDX-License-Identifier: MIT
#include "cpinctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef __linux__
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

/* 451 on every architecture that has it (the unified syscall table numbers since 5.x). */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

const unsigned long CPINCTL_PAGEMAP_SCAN = _IOWR('f', 16, struct cpinctl_pm_scan_arg);

long cpinctl_pagemap_scan(int fd, struct cpinctl_pm_scan_arg *arg)
{
	return ioctl(fd, CPINCTL_PAGEMAP_SCAN, arg);
}

int cpinctl_cachestat(int fd, struct cpinctl_cachestat_range *range, struct cpinctl_cachestat *cstat,
		      unsigned int flags)
{
	return (int)syscall(__NR_cachestat, fd, range, cstat, flags);
}

const int CPINCTL_KERNEL_SIGRTMIN = 32;

void cpinctl_sigset_add(sigset_t *set, int sig)
{
	unsigned long *words = (unsigned long *)set;
	unsigned int bit = (unsigned int)sig - 1;

	if (sig < 1 || sig > _NSIG - 1)
		return;
	words[bit / (8 * sizeof(unsigned long))] |= 1UL << (bit % (8 * sizeof(unsigned long)));
}

int cpinctl_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	/* The kernel's sigset is _NSIG bits (8 bytes on x86-64), the first part of glibc's. */
	return (int)syscall(__NR_rt_sigprocmask, how, set, old, _NSIG / 8);
}

static unsigned long cpinctl_caught_signals;

/*
 * The kernel calls this handler directly (rt_sigaction, not libc's sigaction that a
 * sanitizer intercepts), in a new thread before ThreadSanitizer's thread start has set the
 * thread up, or in the middle of the sanitizer's own runtime: no instrumentation, or it
 * would call __tsan_func_entry and __tsan_atomic64_fetch_or there.
 */
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
__attribute__((disable_sanitizer_instrumentation))
#endif
#endif
static void cpinctl_record_signal(int sig)
{
	if (sig >= 1 && sig <= 64)
		__atomic_fetch_or(&cpinctl_caught_signals, 1UL << (sig - 1), __ATOMIC_SEQ_CST);
}

#if defined(__x86_64__)
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
/* x86-64 has no sigreturn trampoline of the kernel's: a handler returns through this. */
__attribute__((naked)) static void cpinctl_sigreturn(void)
{
	__asm__ volatile("mov $15, %eax\n\tsyscall"); /* rt_sigreturn */
}
#endif

int cpinctl_catch_signal(int sig, struct cpinctl_kernel_sigaction *saved)
{
	struct cpinctl_kernel_sigaction ksa = {
		.handler = (void *)cpinctl_record_signal,
		.flags = SA_RESTART,
		.mask = ~0UL,
	};
#if defined(__x86_64__)
	ksa.flags |= SA_RESTORER;
	ksa.restorer = (void *)cpinctl_sigreturn;
#endif
	return (int)syscall(__NR_rt_sigaction, sig, &ksa, saved, _NSIG / 8);
}

int cpinctl_restore_signal(int sig, const struct cpinctl_kernel_sigaction *saved)
{
	return (int)syscall(__NR_rt_sigaction, sig, saved, NULL, _NSIG / 8);
}

unsigned long cpinctl_take_caught_signals(void)
{
	return __atomic_exchange_n(&cpinctl_caught_signals, 0UL, __ATOMIC_SEQ_CST);
}
#endif

const char *cpinctl_errno_name(int err)
{
	return strerrorname_np(err);
}

long long cpinctl_fs_magic(const char *path)
{
	struct statfs fs;

	if (statfs(path, &fs) != 0)
		return -1;
	return (long long)fs.f_type;
}

long long cpinctl_fd_fs_magic(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) != 0)
		return -1;
	return (long long)fs.f_type;
}

int cpinctl_finish_stdout(void)
{
	errno = 0;
	if (fflush(stdout) != 0)
		return errno ? errno : EIO;
	return ferror(stdout) ? EIO : 0;
}

static int saved_argc;
static char *const *saved_argv;

static void cpinctl_keep_arguments(int argc, char **argv, char **envp)
{
	(void)envp;
	saved_argc = argc;
	saved_argv = argv;
}

__attribute__((section(".init_array"), used))
static void (*const cpinctl_keep_arguments_entry)(int, char **, char **) = cpinctl_keep_arguments;

int cpinctl_argc(void)
{
	return saved_argc;
}

char *const *cpinctl_argv(void)
{
	return saved_argv;
}
