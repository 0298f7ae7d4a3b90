/* SPDX-License-Identifier: MIT */
/*
 * pagemap-scan.h - PAGEMAP_SCAN (6.7+) for the bench programs: the installed 6.1 uapi
 * headers lack it, so its structs and request number are spelled out here as in
 * include/uapi/linux/fs.h, once for every program that scans.
 */
#ifndef PINCTL_BENCH_PAGEMAP_SCAN_H
#define PINCTL_BENCH_PAGEMAP_SCAN_H

#include <sys/ioctl.h>
#include <linux/types.h>

struct page_region {
	__u64 start, end, categories;
};

struct pm_scan_arg {
	__u64 size, flags, start, end, walk_end, vec, vec_len, max_pages;
	__u64 category_inverted, category_mask, category_anyof_mask, return_mask;
};
_Static_assert(sizeof(struct pm_scan_arg) == 96, "pm_scan_arg is twelve u64");

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT (1ULL << 3)
#define PAGE_IS_SWAPPED (1ULL << 4)
#define PAGE_IS_HUGE (1ULL << 6)

#endif
