/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the pinctl module share: the bounds, the state of an open
 * file and of a region, and the functions one part calls in another. The ABI is
 * include/pinctl/pinctl_ioctl.h.
 */
#ifndef PINCTL_INTERNAL_H
#define PINCTL_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/version.h>
#include <linux/xarray.h>

#include <pinctl/pinctl_ioctl.h>
#include <pinctl/pinctl_version.h>

/*
 * Upper bounds for the module parameters: keep BENCH's page array under
 * 32 MiB and a PIN's runs under 64 MiB even when no two pages are adjacent.
 */
#define PINCTL_MAX_PAGES_CAP	BIT(22)
#define PINCTL_MAX_HANDLES_CAP	BIT(16)
#define PINCTL_QUERY_MAX	BIT(20)
/*
 * Module-wide pages pinned or in flight. A small page gains
 * GUP_PIN_COUNTING_BIAS (1024) references per pin, so 2^20 pages add at
 * most 2^30 references to any one page: the module alone cannot take a
 * refcount near 2^31, where try_grab_folio() WARNs.
 */
#define PINCTL_MAX_TOTAL_CAP	BIT(20)
/* The highest max_page_refcount: half of the 2^31 where GUP WARNs. */
#define PINCTL_MAX_REFCOUNT_CAP	BIT(30)
/* Pages per GUP call of a BENCH: bounds the time between signal checks. */
#define PINCTL_BENCH_CHUNK	BIT(16)

/*
 * Pages per GUP call of a PIN, gathered in an 8 KiB scratch array and folded
 * into runs; also the most pages between fatal-signal checks.
 */
#define PINCTL_GUP_CHUNK	BIT(10)

/**
 * struct pinctl_run - pages whose PFNs follow one another.
 * @page: the first page.
 * @nr: pages in the run, at least 1.
 */
struct pinctl_run {
	struct page *page;
	unsigned long nr;
};

/**
 * struct pinctl_run_block - a page-sized array of runs, chained in address
 * order. A held pin costs 16 bytes per run of physically contiguous pages
 * (at most one per THP), not 8 bytes per page, and no large allocation, as
 * the coalesced scatterlist of drivers/infiniband/core/umem.c. A page array
 * would cost a 2 MiB allocation per GiB, which Debian's init_on_alloc
 * zeroes: ~6 ms in the VM, four times the GUP of a GiB of THP.
 * @next: the following block, or NULL.
 * @nr: runs used in @run.
 * @run: the runs.
 */
struct pinctl_run_block {
	struct pinctl_run_block *next;
	unsigned long nr;
	struct pinctl_run run[];
};

#define PINCTL_RUNS_PER_BLOCK						\
	((PAGE_SIZE - sizeof(struct pinctl_run_block)) / sizeof(struct pinctl_run))

/**
 * struct pinctl_charge - what a PIN (or a running BENCH) is charged to.
 * @user: the pinning user, whose locked_vm was charged against
 *        RLIMIT_MEMLOCK (get_uid()); NULL when the caller had CAP_IPC_LOCK.
 * @mm: the pinned address space, whose pinned_vm (VmPin) was raised
 *      (mmgrab()ed): released against it even after its process is gone.
 * @nr: pages charged, also reserved in pinctl_total_pages.
 * @share_uid: the uid (initial namespace) whose share in pinctl_users holds
 *             @nr too, when @shared.
 * @shared: false when the caller had CAP_SYS_ADMIN (no share taken).
 */
struct pinctl_charge {
	struct user_struct *user;
	struct mm_struct *mm;
	unsigned long nr;
	uid_t share_uid;
	bool shared;
};

/**
 * struct pinctl_region - the pages of one PIN, held until UNPIN or close.
 * @first: the first block of runs, in address order; NULL while empty.
 * @last: the block runs are appended to.
 * @held: pages referenced by the runs.
 * @nr_pages: pages requested; equals @held once pinned.
 * @charge: what the pages are charged to.
 * @get: the pages hold FOLL_GET references (put_page()), not pins.
 * @node: for releasing many regions outside the file's lock.
 * @addr: the first address pinned (LIST).
 * @flags: the PINCTL_PIN_* flags of the PIN (LIST).
 * @uid: the pinning user (current_uid()), whose records LIST shows it.
 * @pinner: the pinning process's tgid pid (get_pid()).
 * @target: the tgid pid of the process whose memory is pinned: the pinner,
 *          or for REMOTE the mm's owner at pin time; NULL if unknown.
 *
 * A region is built by one PIN call alone and only then stored in the
 * file's xarray; from then on it belongs to whoever erases it from there.
 * LIST reads it only under the file's lock while it is stored, and only
 * the fields fixed before it was stored.
 */
struct pinctl_region {
	struct pinctl_run_block *first;
	struct pinctl_run_block *last;
	unsigned long held;
	unsigned long nr_pages;
	struct pinctl_charge charge;
	bool get;
	struct list_head node;
	u64 addr;
	u32 flags;
	kuid_t uid;
	struct pid *pinner;
	struct pid *target;
};

/**
 * struct pinctl_file - the state of one open /dev/pinctl.
 * @lock: guards @pins, @nr_pages and @nr_handles.
 * @pins: handle -> struct pinctl_region; a handle being handed out is
 *        reserved (a NULL entry) until its region is complete.
 * @next_handle: cursor for cyclic handle allocation.
 * @nr_pages: pages held or reserved by this file.
 * @nr_handles: handles held or reserved by this file.
 * @max_pages: bound on @nr_pages, fixed at open.
 * @max_handles: bound on @nr_handles, fixed at open.
 * @show_pfn: the opener had CAP_SYS_ADMIN in the initial user namespace
 *            (fs/proc/task_mmu.c's rule for pagemap), fixed at open.
 * @id: the file's index in pinctl_files (LIST's file_id).
 * @opener: the opening process's tgid pid (get_pid()).
 * @opener_uid: the opener's real uid (file->f_cred).
 * @comm: the opener's comm at open.
 */
struct pinctl_file {
	struct mutex lock;	/* guards pins, nr_pages, nr_handles */
	struct xarray pins;
	u32 next_handle;
	unsigned long nr_pages;
	unsigned long nr_handles;
	unsigned long max_pages;
	unsigned long max_handles;
	bool show_pfn;
	u32 id;
	struct pid *opener;
	kuid_t opener_uid;
	char comm[TASK_COMM_LEN];
};

/* main.c: every open file, by its file_id (LIST); see there. */
extern struct mutex pinctl_files_lock;
extern struct xarray pinctl_files;

/* pin.c: how a /proc/PID/mem descriptor is recognised; see there. */
extern const struct file_operations *pinctl_proc_mem_fops;
/* pin.c: the module parameter, also reported by VERSION. */
extern unsigned int max_page_refcount;

/* pin.c */
bool pinctl_reserved_zero(const __u64 *reserved, size_t n);
int pinctl_check_range(u64 addr, u64 nr_pages, u64 max);
int pinctl_get_remote_mm(int mem_fd, fmode_t fmode,
			 struct mm_struct **mmp);
void pinctl_put_pages(struct page **pages, unsigned long nr, bool get);
long pinctl_gup_locked(struct mm_struct *mm, bool remote,
		       unsigned long start, unsigned long nr,
		       unsigned int gup_flags, struct page **pages,
		       bool get);
bool pinctl_stack_gap(struct mm_struct *mm, unsigned long start,
		      unsigned long nr);
int pinctl_gup(struct mm_struct *mm, unsigned long addr,
	       unsigned long nr, u32 flags, struct page **pages);
void pinctl_region_free(struct pinctl_region *r);
struct page **pinctl_alloc_pages(unsigned long nr);
int pinctl_check_pin_flags(u32 flags);
long pinctl_ioctl_pin(struct pinctl_file *pf, void __user *argp);
long pinctl_ioctl_unpin(struct pinctl_file *pf, void __user *argp);

/* account.c */
unsigned long pinctl_total_limit(void);
unsigned long pinctl_user_limit(void);
int pinctl_charge(struct pinctl_charge *ch, struct mm_struct *mm,
		  unsigned long nr);
void pinctl_uncharge(struct pinctl_charge *ch);
int pinctl_reserve(struct pinctl_file *pf, unsigned long nr,
		   unsigned long handles);
void pinctl_unreserve(struct pinctl_file *pf, unsigned long nr,
		      unsigned long handles);
void pinctl_account_exit(void);

/* query.c */
long pinctl_ioctl_query(struct pinctl_file *pf, void __user *argp);
long pinctl_ioctl_frames(struct pinctl_file *pf, void __user *argp);

/* bench.c */
long pinctl_ioctl_bench(struct pinctl_file *pf, void __user *argp);

/* list.c */
long pinctl_ioctl_list(struct pinctl_file *pf, void __user *argp);

#endif /* PINCTL_INTERNAL_H */
