/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pinctl_ioctl.h - the ABI of /dev/pinctl, the pinctl kernel helper.
 *
 * One header for both sides: the module (KernelHelper/pinctl.c) and the Swift
 * shim (Sources/CPinctl) include this file. Every struct has a fixed size on
 * 32- and 64-bit, carries user pointers as __u64, and ends in reserved fields
 * that must be zero (-EINVAL otherwise), so the ABI can grow without a new
 * command. Unknown flag bits are rejected with -EINVAL, unknown commands with
 * -ENOTTY. Pins belong to the open file: closing it, or the process dying,
 * releases every one.
 */
#ifndef PINCTL_IOCTL_H
#define PINCTL_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PINCTL_ABI_VERSION 1
#define PINCTL_IOC_MAGIC 0xB7

/* Features in struct pinctl_version.features. */
#define PINCTL_FEAT_PIN (1ULL << 0)	/* PIN and UNPIN */
#define PINCTL_FEAT_REMOTE (1ULL << 1)	/* PIN and QUERY of another pid */
#define PINCTL_FEAT_QUERY (1ULL << 2)	/* QUERY */
#define PINCTL_FEAT_BENCH (1ULL << 3)	/* BENCH */
#define PINCTL_FEAT_ACCOUNTING (1ULL << 4) /* pins charged to pinned_vm */

/**
 * struct pinctl_version - PINCTL_IOC_VERSION: what this module speaks.
 * @abi_version: PINCTL_ABI_VERSION of the module.
 * @reserved0: zero.
 * @features: PINCTL_FEAT_* bits.
 * @max_pages_per_fd: the most pages one open file may hold pinned.
 * @max_handles_per_fd: the most PIN handles one open file may hold.
 * @reserved: zero.
 */
struct pinctl_version {
	__u32 abi_version;
	__u32 reserved0;
	__u64 features;
	__u64 max_pages_per_fd;
	__u64 max_handles_per_fd;
	__u64 reserved[4];
};

/* Flags of struct pinctl_pin.flags (and pinctl_bench.flags). */
#define PINCTL_PIN_WRITE (1U << 0)	/* FOLL_WRITE */
#define PINCTL_PIN_LONGTERM (1U << 1)	/* FOLL_LONGTERM */
#define PINCTL_PIN_FAST (1U << 2)	/* the *_fast variant (current mm only) */
#define PINCTL_PIN_GET (1U << 3)	/* get_user_pages (FOLL_GET), not pin */
#define PINCTL_PIN_REMOTE (1U << 4)	/* pin in the mm of .pid */
#define PINCTL_PIN_FLAGS_ALL (PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | \
			      PINCTL_PIN_FAST | PINCTL_PIN_GET | PINCTL_PIN_REMOTE)

/**
 * struct pinctl_pin - PINCTL_IOC_PIN: pin (or get) @nr_pages from @addr.
 * @addr: page-aligned user address; [addr, addr + nr_pages * PAGE_SIZE)
 *        must not overflow.
 * @nr_pages: pages to pin, at least 1.
 * @pfns: optional user pointer to __u64[nr_pages] that receives the PFNs;
 *        0 for none.
 * @flags: PINCTL_PIN_* bits.
 * @pid: with PINCTL_PIN_REMOTE, the target process; needs
 *       PTRACE_MODE_ATTACH_REALCREDS rights on it. Else zero.
 * @handle: out: names the pin for UNPIN.
 * @pinned: out: pages pinned (== @nr_pages; a partial pin is undone and
 *          fails).
 * @reserved: zero.
 *
 * Pins are charged to the pinning process's mm->pinned_vm against
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK, as RDMA does.
 */
struct pinctl_pin {
	__u64 addr;
	__u64 nr_pages;
	__u64 pfns;
	__u32 flags;
	__s32 pid;
	__u64 handle;
	__u64 pinned;
	__u64 reserved[4];
};

#define PINCTL_UNPIN_ALL (1U << 0)	/* every pin of this file; handle 0 */

/**
 * struct pinctl_unpin - PINCTL_IOC_UNPIN: release one pin, or all.
 * @handle: from PINCTL_IOC_PIN; 0 with PINCTL_UNPIN_ALL.
 * @flags: PINCTL_UNPIN_* bits.
 * @reserved0: zero.
 * @unpinned: out: pages released.
 * @reserved: zero.
 */
struct pinctl_unpin {
	__u64 handle;
	__u32 flags;
	__u32 reserved0;
	__u64 unpinned;
	__u64 reserved[3];
};

/* Flags of struct pinctl_page.flags. */
#define PINCTL_PAGE_PRESENT (1U << 0)	 /* a page is mapped there */
#define PINCTL_PAGE_DMA_PINNED (1U << 1) /* folio_maybe_dma_pinned() */
#define PINCTL_PAGE_COMPOUND (1U << 2)	 /* part of a large folio */
#define PINCTL_PAGE_ANON (1U << 3)

/**
 * struct pinctl_page - one page in a PINCTL_IOC_QUERY answer.
 * @pfn: the page frame number; 0 when not present.
 * @refcount: page_ref_count() of the page (folio) less the query's own
 *            reference.
 * @mapcount: page_mapcount() (folio_mapcount() for large folios on 6.12).
 * @flags: PINCTL_PAGE_* bits.
 * @order: folio order (0 for a small page).
 */
struct pinctl_page {
	__u64 pfn;
	__u32 refcount;
	__u32 mapcount;
	__u32 flags;
	__u32 order;
};

/**
 * struct pinctl_query - PINCTL_IOC_QUERY: refcount and pin state of a range,
 * without faulting anything in.
 * @addr: page-aligned user address.
 * @nr_pages: pages to report, at least 1 and at most 1 << 20 per call.
 * @pages: user pointer to struct pinctl_page[nr_pages].
 * @pid: with PINCTL_PIN_REMOTE in @flags, the target process (ptrace read
 *       rights needed); else zero.
 * @flags: 0 or PINCTL_PIN_REMOTE.
 * @reserved: zero.
 */
struct pinctl_query {
	__u64 addr;
	__u64 nr_pages;
	__u64 pages;
	__s32 pid;
	__u32 flags;
	__u64 reserved[4];
};

/**
 * struct pinctl_bench - PINCTL_IOC_BENCH: pin and unpin @nr_pages at @addr
 * @iterations times inside the kernel, as mm/gup_test.c does.
 * @addr: page-aligned user address (current mm).
 * @nr_pages: pages per iteration.
 * @flags: PINCTL_PIN_* bits (not REMOTE).
 * @iterations: at least 1.
 * @get_ns: out: total ns spent pinning (or getting).
 * @put_ns: out: total ns spent unpinning (or putting).
 * @reserved: zero.
 */
struct pinctl_bench {
	__u64 addr;
	__u64 nr_pages;
	__u32 flags;
	__u32 iterations;
	__u64 get_ns;
	__u64 put_ns;
	__u64 reserved[4];
};

#define PINCTL_IOC_VERSION _IOR(PINCTL_IOC_MAGIC, 0, struct pinctl_version)
#define PINCTL_IOC_PIN _IOWR(PINCTL_IOC_MAGIC, 1, struct pinctl_pin)
#define PINCTL_IOC_UNPIN _IOWR(PINCTL_IOC_MAGIC, 2, struct pinctl_unpin)
#define PINCTL_IOC_QUERY _IOWR(PINCTL_IOC_MAGIC, 3, struct pinctl_query)
#define PINCTL_IOC_BENCH _IOWR(PINCTL_IOC_MAGIC, 4, struct pinctl_bench)

#endif /* PINCTL_IOCTL_H */
