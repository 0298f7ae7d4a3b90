/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pinctl_ioctl.h - the ABI of /dev/pinctl, the pinctl kernel helper.
 *
 * One header for both sides: the module (KernelHelper/) and the Swift
 * shim (Sources/CPinctl) include this file. Every struct has a fixed size on
 * 32- and 64-bit, carries user pointers as __u64, and ends in reserved fields
 * that must be zero (-EINVAL otherwise), so the ABI can grow without a new
 * command. Unknown flag bits are rejected with -EINVAL, unknown commands with
 * -ENOTTY.
 *
 * Pins belong to the open file, not to a process: every holder of the file
 * (a descriptor inherited over fork(), dup()ed, or passed over a unix socket
 * with SCM_RIGHTS) shares its handles and may UNPIN any of them. The last
 * close of the file releases every pin it holds.
 *
 * Who may do what (the device is created 0600; an administrator may widen
 * its mode, and nothing below relies on it being closed):
 *  - Everyone who can open the device: VERSION, QUERY of their own memory,
 *    BENCH, and FOLL_LONGTERM pins (PINCTL_PIN_LONGTERM without
 *    PINCTL_PIN_GET), charged to their RLIMIT_MEMLOCK.
 *  - Holding a short-term pin (no PINCTL_PIN_LONGTERM) or a FOLL_GET
 *    reference (PINCTL_PIN_GET) past the ioctl needs CAP_SYS_ADMIN: such
 *    references block CMA, memory offlining and compaction for as long as
 *    they are held, which is what FOLL_LONGTERM exists to prevent. -EPERM.
 *  - PFNs (PIN's @pfns, QUERY's pfn) follow /proc/PID/pagemap: only for a
 *    file opened by a task with CAP_SYS_ADMIN in the initial user namespace.
 *  - Another process's memory is named by a descriptor of its
 *    /proc/PID/mem (PINCTL_PIN_REMOTE with @mem_fd): opening that file runs
 *    the kernel's own PTRACE_MODE_ATTACH check (LSMs and Yama included) and
 *    the file holds the address space it was opened on, so an exec after
 *    the open cannot substitute another.
 */
#ifndef PINCTL_IOCTL_H
#define PINCTL_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PINCTL_ABI_VERSION 2
#define PINCTL_IOC_MAGIC 0xB7

/* Features in struct pinctl_version.features. */
#define PINCTL_FEAT_PIN (1ULL << 0)	/* PIN and UNPIN */
#define PINCTL_FEAT_REMOTE (1ULL << 1)	/* PIN and QUERY of another process */
#define PINCTL_FEAT_QUERY (1ULL << 2)	/* QUERY */
#define PINCTL_FEAT_BENCH (1ULL << 3)	/* BENCH */
#define PINCTL_FEAT_ACCOUNTING (1ULL << 4) /* pins charged, see pinctl_pin */
#define PINCTL_FEAT_MEM_FD (1ULL << 5)	/* REMOTE names a /proc/PID/mem fd */
#define PINCTL_FEAT_PFNS (1ULL << 6)	/* this file is shown PFNs */
#define PINCTL_FEAT_BOUNDED (1ULL << 7)	/* module-wide and per-page bounds */
#define PINCTL_FEAT_USER_SHARE (1ULL << 8) /* max_pages_per_user, see below */
#define PINCTL_FEAT_LIST (1ULL << 9)	/* LIST */
#define PINCTL_FEAT_FRAMES (1ULL << 10)	/* QUERY_FRAMES */

/**
 * struct pinctl_version - PINCTL_IOC_VERSION: what this module speaks.
 * @abi_version: PINCTL_ABI_VERSION of the module.
 * @reserved0: zero.
 * @features: PINCTL_FEAT_* bits.
 * @max_pages_per_fd: the most pages one open file may hold pinned.
 * @max_handles_per_fd: the most PIN handles one open file may hold.
 * @max_pages_total: the most pages all files together may hold pinned or
 *                   have in flight (PIN and BENCH), module-wide.
 * @max_page_refcount: a PIN (or BENCH) whose pages reach a reference count
 *                     above this fails with -EOVERFLOW and holds nothing.
 * @max_pages_per_user: (PINCTL_FEAT_USER_SHARE) the most pages of
 *                      @max_pages_total one user may hold pinned or have
 *                      in flight (-ENOSPC beyond), however many files,
 *                      processes, CAP_IPC_LOCK or RLIMIT_MEMLOCK it has. A
 *                      user is its uid in the initial user namespace; in
 *                      any other, the owner of the outermost namespace
 *                      below the initial one, so every uid of a
 *                      subordinate range counts against the user who owns
 *                      it. A caller with CAP_SYS_ADMIN (in the initial
 *                      namespace) is exempt, bounded by @max_pages_total
 *                      alone. Zero from a module without the feature.
 * @package_version: the pinctl release the module was built from,
 *                   (major << 32) | (minor << 16) | patch, as
 *                   PINCTL_VERSION_CODE of <pinctl/pinctl_version.h>; zero
 *                   from a module older than the field.
 *
 * PINCTL_FEAT_PFNS is set only for a file whose opener had CAP_SYS_ADMIN in
 * the initial user namespace (see struct pinctl_pin, @pfns).
 */
struct pinctl_version {
	__u32 abi_version;
	__u32 reserved0;
	__u64 features;
	__u64 max_pages_per_fd;
	__u64 max_handles_per_fd;
	__u64 max_pages_total;
	__u64 max_page_refcount;
	__u64 max_pages_per_user;
	__u64 package_version;
};

/* Flags of struct pinctl_pin.flags (and pinctl_bench.flags). */
#define PINCTL_PIN_WRITE (1U << 0)	/* FOLL_WRITE */
#define PINCTL_PIN_LONGTERM (1U << 1)	/* FOLL_LONGTERM */
#define PINCTL_PIN_FAST (1U << 2)	/* the *_fast variant (current mm only) */
#define PINCTL_PIN_GET (1U << 3)	/* get_user_pages (FOLL_GET), not pin */
#define PINCTL_PIN_REMOTE (1U << 4)	/* pin in the mm of .mem_fd */
#define PINCTL_PIN_FLAGS_ALL (PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | \
			      PINCTL_PIN_FAST | PINCTL_PIN_GET | PINCTL_PIN_REMOTE)

/**
 * struct pinctl_pin - PINCTL_IOC_PIN: pin (or get) @nr_pages from @addr.
 * @addr: page-aligned user address; [addr, addr + nr_pages * PAGE_SIZE)
 *        must not overflow.
 * @nr_pages: pages to pin, at least 1.
 * @pfns: optional user pointer to __u64[nr_pages] that receives the PFNs;
 *        0 for none. Non-zero fails with -EPERM unless the file was opened
 *        by a task with CAP_SYS_ADMIN in the initial user namespace (the
 *        rule of /proc/PID/pagemap; PINCTL_FEAT_PFNS says which).
 * @flags: PINCTL_PIN_* bits.
 * @mem_fd: with PINCTL_PIN_REMOTE, an open descriptor of the target's
 *          /proc/PID/mem, open for reading (O_RDONLY), and for writing
 *          too (O_RDWR) for a PINCTL_PIN_WRITE pin, as read(2) and
 *          write(2) on it would need; the pin is taken in the address
 *          space that file was opened on, which must still be in use
 *          (-ESRCH once that process exited or exec()ed). -EBADF if it is
 *          not open or not open for that, -EINVAL if it is another file.
 *          Else zero.
 * @handle: out: names the pin for UNPIN; shared by every holder of the file.
 * @pinned: out: pages pinned (== @nr_pages; a partial pin is undone and
 *          fails).
 * @reserved: zero.
 *
 * Privilege: without PINCTL_PIN_LONGTERM, or with PINCTL_PIN_GET, the pin
 * outlives the call and blocks migration; that needs CAP_SYS_ADMIN
 * (-EPERM otherwise).
 *
 * Accounting, as io_uring charges registered buffers: the pages are charged
 * to the calling user's locked_vm against RLIMIT_MEMLOCK unless the caller
 * has CAP_IPC_LOCK (-ENOMEM beyond it), so that no sequence of fork, exec
 * or descriptor passing lets one user hold more than its limit; they are
 * also added to the pinned address space's pinned_vm (VmPin), without a
 * limit. Both charges are returned to what they were taken from at UNPIN
 * or the last close, whoever holds the file then.
 *
 * Bounds: the file's max_pages_per_fd and max_handles_per_fd, the calling
 * user's share max_pages_per_user (unless it has CAP_SYS_ADMIN; see struct
 * pinctl_version) and the module's max_pages_total (-ENOSPC), and the per-page reference bound
 * max_page_refcount (-EOVERFLOW), so that no sequence of calls can take a
 * page's reference count near overflow.
 *
 * Before 6.6 (follow_hugetlb_page()), a PINCTL_PIN_LONGTERM pin of a
 * hugetlb page that cannot be pinned long-term (ZONE_MOVABLE, CMA) makes
 * the kernel WARN; such a pin fails with -EOPNOTSUPP before GUP sees it.
 */
struct pinctl_pin {
	__u64 addr;
	__u64 nr_pages;
	__u64 pfns;
	__u32 flags;
	__s32 mem_fd;
	__u64 handle;
	__u64 pinned;
	__u64 reserved[4];
};

#define PINCTL_UNPIN_ALL (1U << 0)	/* every pin of this file; handle 0 */

/**
 * struct pinctl_unpin - PINCTL_IOC_UNPIN: release one pin, or all.
 * @handle: from PINCTL_IOC_PIN by any holder of this file; 0 with
 *          PINCTL_UNPIN_ALL (every pin of the file, whoever took it).
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
#define PINCTL_PAGE_PFN_HIDDEN (1U << 4) /* present; pfn withheld (0) */

/**
 * struct pinctl_page - one page in a PINCTL_IOC_QUERY answer.
 * @pfn: the page frame number; 0 when not present, and 0 with
 *       PINCTL_PAGE_PFN_HIDDEN for a file not opened with CAP_SYS_ADMIN in
 *       the initial user namespace (the rule of /proc/PID/pagemap).
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
 * @mem_fd: with PINCTL_PIN_REMOTE in @flags, a descriptor of the target's
 *          /proc/PID/mem, as for struct pinctl_pin; else zero.
 * @flags: 0 or PINCTL_PIN_REMOTE.
 * @reserved: zero.
 */
struct pinctl_query {
	__u64 addr;
	__u64 nr_pages;
	__u64 pages;
	__s32 mem_fd;
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
 *
 * Nothing outlives the call, so BENCH is open to every caller, with every
 * flag but REMOTE; while it runs the pages are charged and bounded as a
 * PIN's (PFNs are never reported).
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

/*
 * PINCTL_IOC_VERSION - the ABI version, features and bounds of this file.
 * Anyone who can open the device. Errors: -EFAULT.
 */
#define PINCTL_IOC_VERSION _IOR(PINCTL_IOC_MAGIC, 0, struct pinctl_version)

/*
 * PINCTL_IOC_PIN - pin (or get) a range and hold it until UNPIN or the last
 * close of the file: see struct pinctl_pin for who may, what is charged and
 * the bounds. Errors: -EINVAL, -EFAULT, -EPERM, -EBADF, -ESRCH, -ENOMEM,
 * -ENOSPC, -EOVERFLOW, -EOPNOTSUPP, -EINTR.
 */
#define PINCTL_IOC_PIN _IOWR(PINCTL_IOC_MAGIC, 1, struct pinctl_pin)

/*
 * PINCTL_IOC_UNPIN - release one handle of this file, or all of them, and
 * return their charges. Any holder of the file. Errors: -EINVAL, -ENOENT,
 * -EFAULT.
 */
#define PINCTL_IOC_UNPIN _IOWR(PINCTL_IOC_MAGIC, 2, struct pinctl_unpin)

/*
 * PINCTL_IOC_QUERY - refcount, mapcount and pin state of a range, never
 * faulting; PFNs by pagemap's rule. Anyone, for their own memory or a
 * /proc/PID/mem descriptor's. Errors: -EINVAL, -EFAULT, -EBADF, -ESRCH,
 * -ENOMEM, -EINTR.
 */
#define PINCTL_IOC_QUERY _IOWR(PINCTL_IOC_MAGIC, 3, struct pinctl_query)

/*
 * PINCTL_IOC_BENCH - pin and release a range in the kernel, timed. Anyone;
 * nothing outlives the call. Errors: as PIN's but -EPERM, -EBADF and
 * -ESRCH (no PFNs, no REMOTE).
 */
#define PINCTL_IOC_BENCH _IOWR(PINCTL_IOC_MAGIC, 4, struct pinctl_bench)

/* Flags of struct pinctl_list_entry.flags. */
#define PINCTL_LIST_FILE (1U << 0)	/* a file record, not a pin */
#define PINCTL_LIST_ADDR_HIDDEN (1U << 1) /* @addr withheld (0) */
#define PINCTL_LIST_MEMLOCK (1U << 2)	/* charged to RLIMIT_MEMLOCK */
#define PINCTL_LIST_SELF (1U << 3)	/* the file LIST was called on */
#define PINCTL_LIST_TARGET_EXITED (1U << 4) /* the target process is gone */

/**
 * struct pinctl_list_entry - one record of a PINCTL_IOC_LIST answer: an
 * open file of /dev/pinctl (PINCTL_LIST_FILE), or one pin it holds.
 * @file_id: names the open file while it is open (1, 2, ...; reused only
 *           after 2^32 opens); a file's pins follow its file record.
 * @handle: the pin's handle (as PIN returned it); 0 in a file record.
 * @addr: the pin's first user address, in its target's address space; 0
 *        with PINCTL_LIST_ADDR_HIDDEN (see struct pinctl_list), and 0 in a
 *        file record.
 * @nr_pages: the pin's pages; in a file record, the pages the file holds
 *            or has in flight.
 * @flags: PINCTL_LIST_* bits.
 * @pin_flags: the PINCTL_PIN_* flags the pin was taken with (WRITE,
 *             LONGTERM, FAST, GET, REMOTE); 0 in a file record.
 * @opener_tgid: the process that opened the file, in the caller's pid
 *               namespace; 0 when it is not visible there.
 * @opener_uid: the opener's uid in the initial user namespace.
 * @target_tgid: the process whose memory is pinned: the pinning process,
 *               or for REMOTE the owner of the address space (mm->owner)
 *               at pin time; in the caller's pid namespace, 0 when not
 *               visible there, unknown (no CONFIG_MEMCG), or gone
 *               (PINCTL_LIST_TARGET_EXITED). 0 in a file record.
 * @charged_uid: the uid (initial namespace) of the user who took the pin,
 *               whose RLIMIT_MEMLOCK it is charged to with
 *               PINCTL_LIST_MEMLOCK. 0 in a file record.
 * @pinner_tgid: the process that took the pin (in the caller's pid
 *               namespace; 0 when not visible there). 0 in a file record.
 * @nr_handles: in a file record, the handles the file holds; else 0.
 * @opener_comm: the opener's comm at open, NUL-terminated.
 * @reserved: zero.
 */
struct pinctl_list_entry {
	__u64 file_id;
	__u64 handle;
	__u64 addr;
	__u64 nr_pages;
	__u32 flags;
	__u32 pin_flags;
	__s32 opener_tgid;
	__u32 opener_uid;
	__s32 target_tgid;
	__u32 charged_uid;
	__s32 pinner_tgid;
	__u32 nr_handles;
	char opener_comm[16];
	__u64 reserved[2];
};

/* The most entries one LIST call writes. */
#define PINCTL_LIST_MAX 4096

/* Flags of struct pinctl_list.out_flags. */
#define PINCTL_LIST_END (1U << 0)	/* nothing follows the cursor */

/**
 * struct pinctl_list - PINCTL_IOC_LIST: the open files of /dev/pinctl and
 * the pins each holds, in order of @file_id and then handle, a bounded
 * piece per call.
 * @entries: user pointer to struct pinctl_list_entry[@count].
 * @count: in: room in @entries, 1..PINCTL_LIST_MAX; out: records written.
 * @flags: zero (no flags defined yet).
 * @cursor_file: in/out: where the listing goes on; 0 and @cursor_handle 0
 *               to start. The call writes records from (@cursor_file,
 *               @cursor_handle) on and leaves the cursor just after the
 *               last one it wrote (unchanged when it wrote none); call
 *               again with it until out_flags has PINCTL_LIST_END.
 * @cursor_handle: in/out: see @cursor_file (0 is the file record).
 * @out_flags: out: PINCTL_LIST_END when the listing is complete.
 * @reserved0: zero.
 * @reserved: zero.
 *
 * Every record is a consistent view of its file or pin; the listing as a
 * whole is not a snapshot: a pin taken or released between two calls may
 * be missing or listed. Nothing is held between calls.
 *
 * Privilege, as /proc hides another user's memory layout: a caller with
 * CAP_SYS_ADMIN (initial user namespace) sees every file and every pin.
 * Any other caller sees the files opened by its uid (its real uid, the
 * user pins are charged to) and the pins charged to its uid in any file,
 * and no other record. A pin's address is its target's layout and is shown
 * as /proc/PID/maps would show it (ptrace read access with the caller's
 * filesystem ids: matching ids and a dumpable target, or CAP_SYS_PTRACE;
 * an LSM's ptrace policy is not consulted); else, and when the target has
 * exited, PINCTL_LIST_ADDR_HIDDEN: a setuid program a user started, or a
 * pin another user took in the caller's file, which it may UNPIN but whose
 * layout is that user's. Process ids are translated to the caller's pid
 * namespace.
 */
struct pinctl_list {
	__u64 entries;
	__u32 count;
	__u32 flags;
	__u64 cursor_file;
	__u64 cursor_handle;
	__u32 out_flags;
	__u32 reserved0;
	__u64 reserved[3];
};

/* Flags of struct pinctl_frame.flags. */
/* No online memmap: hole, offline, ZONE_DEVICE; nothing else is set. */
#define PINCTL_FRAME_NOPAGE (1U << 0)
#define PINCTL_FRAME_DMA_PINNED (1U << 1) /* folio_maybe_dma_pinned() */
#define PINCTL_FRAME_COMPOUND (1U << 2)	/* part of a large folio */
#define PINCTL_FRAME_TAIL (1U << 3)	/* not the folio's first page */
#define PINCTL_FRAME_ANON (1U << 4)
#define PINCTL_FRAME_LRU (1U << 5)
#define PINCTL_FRAME_SLAB (1U << 6)
#define PINCTL_FRAME_RESERVED (1U << 7)	/* PG_reserved */
#define PINCTL_FRAME_HUGETLB (1U << 8)
/* Free: in a block of the buddy allocator, as kpageflags' BUDDY. */
#define PINCTL_FRAME_BUDDY (1U << 9)
/* PageOffline(): logically offline (balloon), memmap present. */
#define PINCTL_FRAME_OFFLINE (1U << 10)

/**
 * struct pinctl_frame - one page frame in a PINCTL_IOC_QUERY_FRAMES answer.
 * @pfn: the frame's number.
 * @refcount: the folio's reference count (its head page's), as read; a
 *            small page pinned once reads at least 1024 + 1.
 * @mapcount: the page's mapcount as /proc/kpagecount reads it: its own
 *            mappings plus its folio's whole-folio (PMD) mappings; 0 for
 *            slab, free and other typed pages.
 * @flags: PINCTL_FRAME_* bits.
 * @order: the folio's order (0 for a small page).
 */
struct pinctl_frame {
	__u64 pfn;
	__u32 refcount;
	__u32 mapcount;
	__u32 flags;
	__u32 order;
};

/**
 * struct pinctl_frames - PINCTL_IOC_QUERY_FRAMES: refcount, mapcount and
 * pin state of page frames by number, whoever maps them or none.
 * @first_pfn: the first frame.
 * @nr_frames: frames to report, 1..1 << 20.
 * @frames: user pointer to struct pinctl_frame[@nr_frames].
 * @flags: zero (no flags defined yet).
 * @reserved0: zero.
 * @max_pfn: out: the frames that may be asked about are below this one
 *           (the kernel's max_pfn rounded up to a memory section, as
 *           /proc/kpageflags bounds its reads).
 * @reserved: zero.
 *
 * Any frame number below @max_pfn is safe to ask about: holes, offline
 * and device memory read PINCTL_FRAME_NOPAGE. The fields are read without
 * taking a reference, as /proc/kpagecount and /proc/kpageflags read them:
 * a frame being freed or split meanwhile may read as either state, never
 * fault. -EINVAL when [@first_pfn, @first_pfn + @nr_frames) passes
 * @max_pfn or wraps.
 *
 * Privilege: the file must have been opened by a task with CAP_SYS_ADMIN
 * in the initial user namespace (-EPERM), as /proc/kpageflags is checked
 * at open (mode 0400 root): frame numbers and their state are what a
 * rowhammer attack needs.
 */
struct pinctl_frames {
	__u64 first_pfn;
	__u64 nr_frames;
	__u64 frames;
	__u32 flags;
	__u32 reserved0;
	__u64 max_pfn;
	__u64 reserved[3];
};

/*
 * PINCTL_IOC_LIST - the open files of the module and their pins, bounded,
 * with a cursor: see struct pinctl_list for who sees what. Anyone.
 * Errors: -EINVAL, -EFAULT, -EINTR, -ENOMEM.
 */
#define PINCTL_IOC_LIST _IOWR(PINCTL_IOC_MAGIC, 5, struct pinctl_list)

/*
 * PINCTL_IOC_QUERY_FRAMES - refcount, mapcount and pin state by frame
 * number. A file opened with CAP_SYS_ADMIN. Errors: -EPERM, -EINVAL,
 * -EFAULT, -EINTR, -ENOMEM.
 */
#define PINCTL_IOC_QUERY_FRAMES _IOWR(PINCTL_IOC_MAGIC, 6, struct pinctl_frames)

#endif /* PINCTL_IOCTL_H */
