// SPDX-License-Identifier: GPL-2.0
/*
 * LIST: which open files hold which pins, for whom.
 */

#include "pinctl_internal.h"

#include <linux/sched/coredump.h>
#include <linux/sched/task.h>

/* LIST records per batch, gathered under the locks and copied out after. */
#define PINCTL_LIST_BATCH	32
/* Files and pins LIST looks at per hold of the locks, shown or not. */
#define PINCTL_LIST_BUDGET	1024

/**
 * struct pinctl_list_ctx - who is asking, for one LIST call.
 * @self: the file LIST was called on.
 * @uid: the caller's real uid.
 * @admin: the caller has CAP_SYS_ADMIN: every record, every address.
 * @wrote: a record was written; @last_fid and @last_h are just after it.
 * @last_fid: the cursor just after the last record written: its file.
 * @last_h: and its handle (1 after a file record).
 */
struct pinctl_list_ctx {
	struct pinctl_file *self;
	kuid_t uid;
	bool admin;
	bool wrote;
	u64 last_fid;
	u64 last_h;
};

/* The caller's fsuid and fsgid match every uid and gid of @tcred. */
static bool pinctl_same_ids(const struct cred *cred, const struct cred *tcred)
{
	return uid_eq(cred->fsuid, tcred->euid) &&
	       uid_eq(cred->fsuid, tcred->suid) &&
	       uid_eq(cred->fsuid, tcred->uid) &&
	       gid_eq(cred->fsgid, tcred->egid) &&
	       gid_eq(cred->fsgid, tcred->sgid) &&
	       gid_eq(cred->fsgid, tcred->gid);
}

/**
 * pinctl_may_read_layout() - may the caller read @pid's /proc/PID/maps?
 * @pid: the process whose address space holds a pin (its tgid pid).
 *
 * A pin's address is that process's layout, so it is shown by the rule
 * that guards /proc/PID/maps: ptrace read access with the caller's
 * filesystem ids, as __ptrace_may_access() decides it. Same thread group;
 * else ids that match the target's (or CAP_SYS_PTRACE over its user
 * namespace), and a dumpable address space (or CAP_SYS_PTRACE over the
 * mm's namespace): a setuid program a user started stays hidden from
 * that user. A process with no address space left shows nothing, as its
 * maps does. ptrace_may_access() is not exported, so an LSM's ptrace hook
 * is not asked: this can show what only an LSM hides, never what the
 * kernel's id and dumpability rules hide.
 *
 * Return: true when the address may be shown.
 */
static bool pinctl_may_read_layout(struct pid *pid)
{
	const struct cred *cred = current_cred(), *tcred;
	struct task_struct *task = NULL;
	struct mm_struct *mm;
	bool ok;

	rcu_read_lock();
	if (pid)
		task = pid_task(pid, PIDTYPE_TGID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task)
		return false;
	/* As __ptrace_may_access(): task_lock keeps task->mm. */
	task_lock(task);
	mm = task->mm;
	if (!mm || (task->flags & PF_KTHREAD)) {
		ok = false;
	} else if (same_thread_group(task, current)) {
		ok = true;
	} else {
		rcu_read_lock();
		tcred = __task_cred(task);
		ok = pinctl_same_ids(cred, tcred) ||
		     ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
		rcu_read_unlock();
		if (ok && get_dumpable(mm) != SUID_DUMP_USER)
			ok = ns_capable_noaudit(mm->user_ns, CAP_SYS_PTRACE);
	}
	task_unlock(task);
	put_task_struct(task);
	return ok;
}

/* A file's own fields of a LIST record (file or pin). */
static void pinctl_list_file_fields(struct pinctl_list_ctx *ctx,
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
	ctx->wrote = true;
	ctx->last_fid = pf->id;
	ctx->last_h = 1;
}

/* A pin's LIST record; @pf's lock held, so @r is not freed meanwhile. */
static void pinctl_list_pin(struct pinctl_list_ctx *ctx,
			    const struct pinctl_file *pf,
			    const struct pinctl_region *r, unsigned long handle,
			    struct pinctl_list_entry *e)
{
	pinctl_list_file_fields(ctx, pf, e);
	e->handle = handle;
	ctx->last_h = (u64)handle + 1;
	e->nr_pages = r->nr_pages;
	e->pin_flags = r->flags;
	e->charged_uid = from_kuid(&init_user_ns, r->uid);
	e->pinner_tgid = pid_vnr(r->pinner);
	if (ctx->admin || pinctl_may_read_layout(r->target))
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
static unsigned int pinctl_list_one_file(struct pinctl_list_ctx *ctx,
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
static unsigned int pinctl_list_fill(struct pinctl_list_ctx *ctx,
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
	/*
	 * Just after the last record written, not where the walk stopped:
	 * past the end it would name files this caller may not see.
	 */
	if (ctx.wrote) {
		l.cursor_file = ctx.last_fid;
		l.cursor_handle = ctx.last_h;
	}
	l.out_flags = end ? PINCTL_LIST_END : 0;
	if (copy_to_user(argp, &l, sizeof(l)))
		ret = -EFAULT;
out_free:
	kfree(buf);
	return ret;
}
