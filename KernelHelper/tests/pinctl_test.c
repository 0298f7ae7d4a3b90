// SPDX-License-Identifier: GPL-2.0
/*
 * The VM suite of the pinctl kernel helper (/dev/pinctl).
 *
 * Runs as root with pinctl.ko loaded and reports in kselftest's TAP: each
 * test in its own forked process (and process group) under alarm(), a
 * totals line, exit status 0 only when nothing failed (harness.c). The
 * tests live in one file per area; this is their table, in run order.
 *
 *   pinctl_test [PATH/TO/pinctl.ko]
 *   pinctl_test --MODE ...   (runs pinctl_helper --MODE ...: pinctl_helper.c)
 *
 * The .ko path lets the last test unload and reload the module. An ext2/3/4
 * file system mounted at $PINCTL_TEST_EXT_DIR (default /mnt/ext) enables the
 * file-backed tests that need a file system with writeback; tmpfs has none.
 * PINCTL_FUZZ_SEED fixes the fuzzer's seed; PINCTL_TEST_ONLY=a,b runs only
 * the tests named (the others are reported as skipped).
 *
 * Built statically by scripts/vm/test.sh with gcc -static -I
 * KernelHelper/include, from every C file here but pinctl_helper.c; the
 * helper program from every one but this.
 */
#include "harness.h"

#define T(name, t) { #name, test_##name, t, NULL, NULL, false }
/* A plain user's test: /dev/pinctl chmod 0666, the test process nobody. */
#define TU(name, t) { #name, test_##name, t, dev_mode_0666, dev_mode_0600, true }

static const struct test tests[] = {
	T(version_fields, 10),
	T(pin_raises_refcount_by_bias, 10),
	T(pin_unpin_anon_flag_matrix, 20),
	T(invalid_flag_combinations_einval, 10),
	T(dma_pinned_flag_set_and_cleared, 10),
	T(pfns_match_pagemap, 10),
	T(query_does_not_fault, 10),
	{ "query_remote_does_not_fault", test_query_remote_does_not_fault, 20,
	  save_hugepages, restore_hugepages, false },
	T(unpin_handles_and_all, 10),
	T(close_releases_pins, 10),
	T(sigkill_releases_pins, 20),
	T(rlimit_memlock_enforced, 10),
	T(cap_ipc_lock_bypasses_limit, 10),
	T(remote_named_by_proc_mem_fd, 10),
	T(remote_write_pin_needs_writable_mem_fd, 10),
	T(uffd_missing_range_pin_fails_without_waiting, 20),
	T(vsyscall_and_zero_page_pins_are_clean, 10),
	T(unknown_command_enotty, 10),
	T(unknown_flags_einval, 10),
	T(reserved_nonzero_einval, 10),
	T(bad_ranges_einval, 10),
	T(partial_pin_undone, 10),
	{ "per_fd_limits_enforced", test_per_fd_limits_enforced, 10,
	  save_limits, restore_limits, false },
	T(thp_pin, 30),
	T(reordered_thp_subpages_released_exactly, 30),
	{ "hugetlb_pin", test_hugetlb_pin, 30, save_hugepages,
	  restore_hugepages, false },
	T(shmem_memfd_pin, 10),
	T(tmpfs_file_pin, 10),
	T(ext_file_pin, 20),
	T(ext_file_longterm_write_refused, 20),
	T(pinned_page_refuses_soft_offline, 30),
	T(pinned_page_refuses_collapse, 60),
	T(bench_sane, 60),
	TU(user_short_term_and_get_need_cap_sys_admin, 20),
	TU(user_pfns_hidden_as_pagemap_does, 10),
	{ "pfn_visibility_follows_the_opener",
	  test_pfn_visibility_follows_the_opener, 10, dev_mode_0666,
	  dev_mode_0600, false },
	TU(user_pin_unpin_race_never_reads_freed_region, 60),
	{ "user_yama_ptrace_scope_refuses_remote",
	  test_user_yama_ptrace_scope_refuses_remote, 20, save_ptrace_scope,
	  restore_ptrace_scope, false },
	T(exec_after_open_leaves_descriptor_dead, 20),
	{ "user_setuid_exec_never_pinned", test_user_setuid_exec_never_pinned,
	  60, dev_mode_0666, dev_mode_0600, false },
	{ "user_memlock_charged_per_user", test_user_memlock_charged_per_user,
	  30, dev_mode_0666, dev_mode_0600, false },
	{ "refcount_and_total_bounds_refuse_cleanly",
	  test_refcount_and_total_bounds_refuse_cleanly, 20, save_bounds,
	  restore_bounds, false },
	{ "user_refused_pins_never_crowd_out_others",
	  test_user_refused_pins_never_crowd_out_others, 60, dev_mode_0666,
	  dev_mode_0600, false },
	{ "user_share_bounds_one_user_not_others",
	  test_user_share_bounds_one_user_not_others, 30, save_share,
	  restore_share, false },
	{ "user_share_counts_namespace_uids_against_owner",
	  test_user_share_counts_namespace_uids_against_owner, 30,
	  save_share, restore_share, false },
	T(bench_ends_on_a_caught_signal, 20),
	T(default_bounds_stop_refcount_before_overflow, 120),
	{ "hugetlb_in_zone_movable_longterm_refused_before_6_6",
	  test_hugetlb_in_zone_movable_longterm_refused_before_6_6, 60,
	  save_hugepages_movable, restore_hugepages_movable, false },
	T(below_stack_refused_without_stack_dump, 10),
	T(list_shows_files_pins_and_owners, 20),
	T(list_bad_input_einval, 10),
	{ "user_list_shows_only_own_uid", test_user_list_shows_only_own_uid,
	  20, dev_mode_0666, dev_mode_0600, false },
	{ "user_list_shows_addresses_as_proc_maps_does",
	  test_user_list_shows_addresses_as_proc_maps_does, 20, dev_mode_0666,
	  dev_mode_0600, false },
	T(list_races_pin_unpin_close, 30),
	T(frames_of_a_pinned_page, 20),
	T(frames_agree_with_kpageflags, 60),
	{ "frames_of_a_hugetlb_page", test_frames_of_a_hugetlb_page, 30,
	  save_hugepages, restore_hugepages, false },
	T(frames_bad_input_einval, 10),
	T(frames_of_offline_block_read_nopage, 30),
	TU(user_frames_need_cap_sys_admin, 10),
	T(frames_follow_the_opener, 10),
	T(fuzz_processes_threads_fork_exec_remote, 300),
	T(dmesg_clean, 10),
	T(module_unload_and_reload, 30),
};

int main(int argc, char **argv)
{
	/* The helper modes, under the name scripts have always used. */
	if (argc > 1 && !strncmp(argv[1], "--", 2)) {
		execv(helper_path(), argv);
		perror(helper_path());
		return 127;
	}
	return run_tests(argc, argv, tests, ARRAY_SIZE(tests));
}
