/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM suite's files share: the TAP harness, the checks a test makes,
 * the /dev/pinctl wrappers and every test, for the table in pinctl_test.c.
 */
#ifndef PINCTL_TEST_HARNESS_H
#define PINCTL_TEST_HARNESS_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <linux/capability.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pinctl/pinctl_ioctl.h>
#include <pinctl/pinctl_version.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

#define PIN_BIAS 1024		/* GUP_PIN_COUNTING_BIAS */
#define NOBODY 65534
#define HPAGE (2UL << 20)

enum { PASS = 0, FAIL = 1, SKIP = 2 };

#define FIXED_ADDR ((char *)0x200000000UL)

#define MEM_SYS "/sys/devices/system/memory/"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			diag("%s:%d: check failed: %s (errno %d %s)",	\
			     __func__, __LINE__, #cond, errno,		\
			     strerror(errno));				\
			return FAIL;					\
		}							\
	} while (0)

#define CHECKF(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			diag("%s:%d: check failed: %s: " fmt, __func__,	\
			     __LINE__, #cond, ##__VA_ARGS__);		\
			return FAIL;					\
		}							\
	} while (0)

#define SKIP_IF(cond, fmt, ...)						\
	do {								\
		if (cond) {						\
			snprintf(skip_reason, 256, fmt, ##__VA_ARGS__);	\
			return SKIP;					\
		}							\
	} while (0)

struct test {
	const char *name;
	int (*fn)(void);
	unsigned int timeout;
	void (*setup)(void);	/* in the runner, before the fork */
	void (*cleanup)(void);	/* in the runner, after the test */
	bool user;		/* runs as nobody, the device at 0666 */
};

/* harness.c */
extern const char *dev_path;
extern const char *ko_path;
extern const char *ext_dir;
extern long psz;
extern int kver_major, kver_minor;
extern char *skip_reason;
extern int kmsg_fd;
void diag(const char *fmt, ...);
bool kernel_at_least(int major, int minor);
const char *helper_path(void);
int run_tests(int argc, char **argv, const struct test *tests, size_t n);

/* lib.c */
int dev_open(void);
int xioctl(int fd, unsigned long cmd, void *arg);
int mem_open_mode(pid_t pid, int mode);
int mem_open(pid_t pid);
int do_pin(int fd, void *addr, uint64_t n, uint32_t flags, int mem_fd,
	   uint64_t *pfns, uint64_t *handle);
int do_unpin(int fd, uint64_t handle, uint64_t *unpinned);
int do_unpin_all(int fd, uint64_t *unpinned);
int do_query(int fd, void *addr, uint64_t n, struct pinctl_page *out,
	     int mem_fd);
struct pinctl_page query1(int fd, void *addr, int mem_fd);
char *map_small(size_t pages);
char *map_aligned(size_t size, int flags, int fd);
long status_kb(pid_t pid, const char *key);
long vmpin_kb(void);
uint64_t pagemap_entry(pid_t pid, void *addr);
bool pm_present(uint64_t e);
uint64_t pm_pfn(uint64_t e);
void lru_drain(void);
long read_long_file(const char *path);
int write_long_file(const char *path, long v);
long meminfo_kb(const char *key);
long vmstat_value(const char *key);
/* A child's exit status from waitpid(), or -1 when a signal ended it. */
int exit_code(int status);
int become_nobody(void);
int make_suid_copy(const char *path);
int drop_effective_cap(int cap);
int expect_pages(int fd, void *p, size_t n, const uint32_t *base,
		 uint32_t delta, bool pinned);
int baseline(int fd, void *p, size_t n, uint32_t *base);
void reap(pid_t pid);
void save_hugepages(void);
void restore_hugepages(void);
void dev_mode_0666(void);
void dev_mode_0600(void);
bool cap_sys_admin(void);
int send_fd(int sock, int fd);
int recv_fd(int sock);
void all_cpus(void);
int map_fixed_page(void);
int open_with_pages(size_t n, char **pp);

/* abi.c */
int test_version_fields(void);
int test_invalid_flag_combinations_einval(void);
int test_unknown_command_enotty(void);
int test_unknown_flags_einval(void);
int test_reserved_nonzero_einval(void);
int test_bad_ranges_einval(void);

/* pin.c */
int test_pin_raises_refcount_by_bias(void);
int test_pin_unpin_anon_flag_matrix(void);
int test_unpin_handles_and_all(void);
int test_close_releases_pins(void);
int test_sigkill_releases_pins(void);
int test_vsyscall_and_zero_page_pins_are_clean(void);
int test_uffd_missing_range_pin_fails_without_waiting(void);
int test_remote_write_pin_needs_writable_mem_fd(void);
int test_remote_named_by_proc_mem_fd(void);
int test_partial_pin_undone(void);
int test_thp_pin(void);
int test_hugetlb_pin(void);
int test_shmem_memfd_pin(void);
int test_tmpfs_file_pin(void);
int test_ext_file_pin(void);
int test_ext_file_longterm_write_refused(void);
int test_dma_pinned_flag_set_and_cleared(void);
int test_pinned_page_refuses_soft_offline(void);
int test_pinned_page_refuses_collapse(void);
void save_hugepages_movable(void);
void restore_hugepages_movable(void);
int test_hugetlb_in_zone_movable_longterm_refused_before_6_6(void);
int test_below_stack_refused_without_stack_dump(void);
int test_reordered_thp_subpages_released_exactly(void);

/* query.c */
int test_pfns_match_pagemap(void);
int test_query_does_not_fault(void);
int test_query_remote_does_not_fault(void);
int test_frames_of_a_pinned_page(void);
int test_frames_agree_with_kpageflags(void);
int test_frames_of_offline_block_read_nopage(void);
int test_frames_of_a_hugetlb_page(void);
int test_frames_bad_input_einval(void);
int test_user_frames_need_cap_sys_admin(void);
int test_frames_follow_the_opener(void);

/* accounting.c */
int test_rlimit_memlock_enforced(void);
int test_cap_ipc_lock_bypasses_limit(void);
int test_per_fd_limits_enforced(void);
void save_limits(void);
void restore_limits(void);
int test_user_memlock_charged_per_user(void);
void save_bounds(void);
void restore_bounds(void);
int test_refcount_and_total_bounds_refuse_cleanly(void);
int test_user_refused_pins_never_crowd_out_others(void);
void save_share(void);
void restore_share(void);
int test_user_share_bounds_one_user_not_others(void);
int test_user_share_counts_namespace_uids_against_owner(void);
int test_default_bounds_stop_refcount_before_overflow(void);

/* privilege.c */
int test_user_short_term_and_get_need_cap_sys_admin(void);
int test_user_pfns_hidden_as_pagemap_does(void);
int test_pfn_visibility_follows_the_opener(void);
int test_user_pin_unpin_race_never_reads_freed_region(void);
void save_ptrace_scope(void);
void restore_ptrace_scope(void);
int test_user_yama_ptrace_scope_refuses_remote(void);
int test_exec_after_open_leaves_descriptor_dead(void);
int test_user_setuid_exec_never_pinned(void);

/* list.c */
int test_list_shows_files_pins_and_owners(void);
int test_list_bad_input_einval(void);
int test_user_list_shows_only_own_uid(void);
int test_user_list_shows_addresses_as_proc_maps_does(void);
int test_list_races_pin_unpin_close(void);

/* bench.c */
int test_bench_sane(void);
int test_bench_ends_on_a_caught_signal(void);

/* fuzz.c */
extern __thread uint64_t rng_state;
uint64_t rnd(void);
int fuzz_exec_main(const char *fdarg, const char *seed);
int kmsg_bad_lines(int kfd);
int test_fuzz_processes_threads_fork_exec_remote(void);

/* module.c */
int test_dmesg_clean(void);
int test_module_unload_and_reload(void);

#endif /* PINCTL_TEST_HARNESS_H */
