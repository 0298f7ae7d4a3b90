// SPDX-License-Identifier: GPL-2.0
/*
 * LIST: which open files hold which pins, for whom.
 */

#include "pinctl_internal.h"

/* LIST records per batch, gathered under the locks and copied out after. */
#define PINCTL_LIST_BATCH	32
/* Files and pins LIST looks at per hold of the locks, shown or not. */
#define PINCTL_LIST_BUDGET	1024

/**
 * struct pinctl_list_ctx - who is asking, for one LIST call.
 * @self: the file LIST was called on.
 * @uid: the caller's real uid.
 * @admin: the caller has CAP_SYS_ADMIN: every record, every address.
 */
struct pinctl_list_ctx {
	struct pinctl_file *self;
	kuid_t uid;
	bool admin;
};

/* A file's own fields of a LIST record (file or pin). */
static void pinctl_list_file_fields(const struct pinctl_list_ctx *ctx,
				    const struct pinctl_file *pf,
				    struct pinctl_list_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->file_id = pf->id;
	e->opener_tgid = pid_vnr(pf->opener);
	e->opener_uid = from_kuid(&init_user_ns, pf->opener_uid);
	memcpy(e->opener_comm, pf->comm, sizeof(e->opener_comm));
	e->opener_comm[sizeof(e->opener_comm) - 1] = 0;
	if (pf == ctx->self)
		e->flags |= PINCTL_LIST_SELF;
}

/* A pin's LIST record; @pf's lock held, so @r is not freed meanwhile. */
static void pinctl_list_pin(const struct pinctl_list_ctx *ctx,
			    const struct pinctl_file *pf,
			    const struct pinctl_region *r, unsigned long handle,
			    struct pinctl_list_entry *e)
{
	pinctl_list_file_fields(ctx, pf, e);
	e->handle = handle;
	e->nr_pages = r->nr_pages;
	e->pin_flags = r->flags;
	e->charged_uid = from_kuid(&init_user_ns, r->uid);
	e->pinner_tgid = pid_vnr(r->pinner);
	if (ctx->admin || uid_eq(r->uid, ctx->uid))
		e->addr = r->addr;
	else
		e->flags |= PINCTL_LIST_ADDR_HIDDEN;
	if (r->charge.user)
		e->flags |= PINCTL_LIST_MEMLOCK;
	rcu_read_lock();
	if (r->target && pid_task(r->target, PIDTYPE_TGID))
		e->target_tgid = pid_vnr(r->target);
	else if (r->target)
		e->flags |= PINCTL_LIST_TARGET_EXITED;
	rcu_read_unlock();
}

/**
 * pinctl_list_one_file() - LIST records of one file, from a cursor.
 * @ctx: the caller.
 * @pf: the file, its lock held.
 * @h: in/out: the next record: 0 the file record, else the lowest handle.
 * @buf: room for @n records.
 * @n: at least 1.
 * @budget: in/out: records still to be looked at in this lock hold.
 * @done: out: true when the file has no record left after @h.
 *
 * Return: the records written to @buf.
 */
static unsigned int pinctl_list_one_file(const struct pinctl_list_ctx *ctx,
					 struct pinctl_file *pf, u64 *h,
					 struct pinctl_list_entry *buf,
					 unsigned int n, unsigned int *budget,
					 bool *done)
{
	bool mine = ctx->admin || uid_eq(pf->opener_uid, ctx->uid);
	struct pinctl_region *r;
	unsigned long idx;
	unsigned int got = 0;

	if (*h == 0) {
		if (mine) {
			pinctl_list_file_fields(ctx, pf, &buf[got]);
			buf[got].flags |= PINCTL_LIST_FILE;
			buf[got].nr_pages = pf->nr_pages;
			buf[got].nr_handles = pf->nr_handles;
			got++;
		}
		*h = 1;
		(*budget)--;
	}
	while (got < n && *budget) {
		idx = *h;
		/* Reserved (half handed out) handles are not found. */
		r = xa_find(&pf->pins, &idx, U32_MAX, XA_PRESENT);
		if (!r) {
			*done = true;
			break;
		}
		(*budget)--;
		*h = (u64)idx + 1;
		if (!mine && !uid_eq(r->uid, ctx->uid))
			continue;
		pinctl_list_pin(ctx, pf, r, idx, &buf[got++]);
	}
	return got;
}

/**
 * pinctl_list_fill() - one batch of LIST records, under the locks.
 * @ctx: the caller.
 * @fid: in/out: the cursor's file_id.
 * @h: in/out: the cursor's handle (0: the file record).
 * @buf: room for @n records.
 * @n: at least 1.
 * @end: out: true when nothing follows the cursor.
 *
 * Looks at no more than PINCTL_LIST_BUDGET files and pins, so that the
 * global lock is held for a bounded time however many records a caller
 * does not see.
 *
 * Return: the records written to @buf; the cursor is just after them.
 */
static unsigned int pinctl_list_fill(const struct pinctl_list_ctx *ctx,
				     u64 *fid, u64 *h,
				     struct pinctl_list_entry *buf,
				     unsigned int n, bool *end)
{
	unsigned int budget = PINCTL_LIST_BUDGET, got = 0;
	struct pinctl_file *pf;
	unsigned long idx;
	bool done;

	mutex_lock(&pinctl_files_lock);
	while (got < n && budget) {
		idx = *fid;
		pf = xa_find(&pinctl_files, &idx, U32_MAX, XA_PRESENT);
		if (!pf) {
			*end = true;
			break;
		}
		if (idx != *fid) {
			*fid = idx;
			*h = 0;
		}
		done = false;
		mutex_lock(&pf->lock);
		got += pinctl_list_one_file(ctx, pf, h, buf + got, n - got,
					    &budget, &done);
		mutex_unlock(&pf->lock);
		if (!done)
			break;
		if (idx == U32_MAX) {
			*end = true;
			break;
		}
		*fid = idx + 1;
		*h = 0;
	}
	mutex_unlock(&pinctl_files_lock);
	return got;
}

/**
 * pinctl_ioctl_list() - PINCTL_IOC_LIST.
 * @pf: the file called on (flagged PINCTL_LIST_SELF in the answer).
 * @argp: user struct pinctl_list.
 *
 * Records are gathered in batches under pinctl_files_lock and each file's
 * lock (which UNPIN and the last close take before freeing anything) and
 * copied out with no lock held, so a fault on the user buffer (or a
 * userfaultfd behind it) stalls no one else.
 *
 * Return: 0 with the records, count and cursor in the user struct;
 * -EINVAL, -EFAULT, -EINTR, -ENOMEM.
 */
long pinctl_ioctl_list(struct pinctl_file *pf, void __user *argp)
{
	struct pinctl_list_ctx ctx = {
		.self = pf,
		.uid = current_uid(),
		.admin = capable(CAP_SYS_ADMIN),
	};
	struct pinctl_list_entry __user *dst;
	struct pinctl_list_entry *buf;
	struct pinctl_list l;
	unsigned int written = 0, got, n;
	bool end = false;
	u64 fid, h;
	long ret = 0;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.flags || l.reserved0 || l.out_flags ||
	    !pinctl_reserved_zero(l.reserved, ARRAY_SIZE(l.reserved)))
		return -EINVAL;
	if (!l.count || l.count > PINCTL_LIST_MAX ||
	    l.cursor_file > U32_MAX || l.cursor_handle > (u64)U32_MAX + 1)
		return -EINVAL;
	buf = kmalloc_array(PINCTL_LIST_BATCH, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	dst = u64_to_user_ptr(l.entries);
	fid = l.cursor_file;
	h = l.cursor_handle;
	while (written < l.count && !end) {
		n = min_t(unsigned int, l.count - written, PINCTL_LIST_BATCH);
		got = pinctl_list_fill(&ctx, &fid, &h, buf, n, &end);
		if (got &&
		    copy_to_user(dst + written, buf, got * sizeof(*buf))) {
			ret = -EFAULT;
			goto out_free;
		}
		written += got;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free;
		}
		cond_resched();
	}
	l.count = written;
	l.cursor_file = fid;
	l.cursor_handle = h;
	l.out_flags = end ? PINCTL_LIST_END : 0;
	if (copy_to_user(argp, &l, sizeof(l)))
		ret = -EFAULT;
out_free:
	kfree(buf);
	return ret;
}
