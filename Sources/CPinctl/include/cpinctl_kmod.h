/* SPDX-License-Identifier: MIT */
/*
 * cpinctl_kmod.h - typed wrappers for the /dev/pinctl ioctls. The ABI itself is
 * defined once, in KernelHelper/include/pinctl/pinctl_ioctl.h, shared with the module.
 */
#ifndef CPINCTL_KMOD_H
#define CPINCTL_KMOD_H

#ifdef __linux__
/* The one ABI header, shared with the module (a path relative to this file, so the
 * Swift importer finds it without a search path). */
#include "../../../KernelHelper/include/pinctl/pinctl_ioctl.h"
/* pinctl's version, written once for the CLI, the module and the packages. */
#include "../../../KernelHelper/include/pinctl/pinctl_version.h"

/** PINCTL_VERSION ("MAJOR.MINOR.PATCH") and PINCTL_VERSION_CODE, for Swift. */
extern const char *const CPINCTL_VERSION;
extern const unsigned long long CPINCTL_VERSION_CODE;

extern const unsigned long CPINCTL_IOC_VERSION;
extern const unsigned long CPINCTL_IOC_PIN;
extern const unsigned long CPINCTL_IOC_UNPIN;
extern const unsigned long CPINCTL_IOC_QUERY;
extern const unsigned long CPINCTL_IOC_BENCH;
extern const unsigned long CPINCTL_IOC_LIST;
extern const unsigned long CPINCTL_IOC_QUERY_FRAMES;

int cpinctl_kmod_version(int fd, struct pinctl_version *v);
int cpinctl_kmod_pin(int fd, struct pinctl_pin *p);
int cpinctl_kmod_unpin(int fd, struct pinctl_unpin *u);
int cpinctl_kmod_query(int fd, struct pinctl_query *q);
int cpinctl_kmod_bench(int fd, struct pinctl_bench *b);
int cpinctl_kmod_list(int fd, struct pinctl_list *l);
int cpinctl_kmod_query_frames(int fd, struct pinctl_frames *q);
/** Any request number, for tests of the module's refusals. */
int cpinctl_kmod_raw(int fd, unsigned long request, void *arg);

/** finit_module(2) and delete_module(2), for `pinctl module load|unload`. */
int cpinctl_finit_module(int fd, const char *params, int flags);
int cpinctl_delete_module(const char *name, unsigned int flags);

/**
 * Runs `tool -dc` (tool found on PATH) with its standard input on @infd (read from offset 0),
 * its standard output on @outfd and its standard error discarded, and waits for it: how
 * `pinctl module load` decompresses a module the kernel will not decompress itself. It reads
 * the descriptor pinctl checked, never the path again. Returns 0 with the wait status in
 * @status, or an errno value (lseek's, posix_spawnp's or waitpid's) with nothing run.
 */
int cpinctl_decompress_to_fd(const char *tool, int infd, int outfd, int *status);

#endif /* __linux__ */
#endif /* CPINCTL_KMOD_H */
