// SPDX-License-Identifier: GPL-2.0
/*
 * What pins are charged to: the user's RLIMIT_MEMLOCK, its share of the
 * module-wide total, the total itself and the file's budget.
 */

#include "pinctl_internal.h"

static unsigned long max_pages_total = PINCTL_MAX_TOTAL_CAP;
module_param(max_pages_total, ulong, 0644);
MODULE_PARM_DESC(max_pages_total,
		 "Pages all files together may hold pinned or in flight (default and most 1M)");

/*
 * 0: a quarter of max_pages_total. Read at each PIN and BENCH, at most
 * max_pages_total.
 */
static unsigned long max_pages_per_user;
module_param(max_pages_per_user, ulong, 0644);
MODULE_PARM_DESC(max_pages_per_user,
		 "Pages one user may hold pinned or in flight, its namespaces' uids included (0, the default: a quarter of max_pages_total; at most max_pages_total; CAP_SYS_ADMIN exempt)");

/* Pages pinned or in flight through every file: against max_pages_total. */
static atomic_long_t pinctl_total_pages = ATOMIC_LONG_INIT(0);

/*
 * Pages each user holds pinned or in flight, against max_pages_per_user:
 * an xarray of value entries indexed by the user's uid in the initial
 * namespace (see pinctl_share_uid()); an entry exists while non-zero.
 */
static DEFINE_MUTEX(pinctl_users_lock);
static DEFINE_XARRAY(pinctl_users);

/* The effective max_pages_total. */
unsigned long pinctl_total_limit(void)
{
	return clamp(READ_ONCE(max_pages_total), 1UL, PINCTL_MAX_TOTAL_CAP);
}

/* The effective max_pages_per_user: 0 is a quarter of the total. */
unsigned long pinctl_user_limit(void)
{
	unsigned long total = pinctl_total_limit();
	unsigned long share = READ_ONCE(max_pages_per_user);

	if (!share)
		return max(total / 4, 1UL);
	return min(share, total);
}

/**
 * pinctl_share_uid() - the user whose share current's pins count against.
 *
 * In the initial user namespace, current's uid. In any other, the owner of
 * the outermost namespace below the initial one (the child of
 * init_user_ns that current's namespace descends from), as the kernel
 * charges RLIMIT_MEMLOCK of shm through ucounts: the uids a user maps from
 * its subordinate range (newuidmap) all count against that user, not one
 * fresh share each.
 *
 * Return: a uid in the initial user namespace.
 */
static uid_t pinctl_share_uid(void)
{
	struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return from_kuid(&init_user_ns, current_uid());
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return from_kuid(&init_user_ns, ns->owner);
}

/* Takes @nr pages of @uid's share; -ENOSPC beyond max_pages_per_user. */
static int pinctl_share_take(uid_t uid, unsigned long nr)
{
	unsigned long limit = pinctl_user_limit(), cur;
	void *old;
	int ret = 0;

	mutex_lock(&pinctl_users_lock);
	old = xa_load(&pinctl_users, uid);
	cur = old ? xa_to_value(old) : 0;
	if (nr > limit || cur > limit - nr)
		ret = -ENOSPC;
	else
		ret = xa_err(xa_store(&pinctl_users, uid,
				      xa_mk_value(cur + nr), GFP_KERNEL));
	mutex_unlock(&pinctl_users_lock);
	return ret;
}

/* Returns @nr pages to @uid's share; its entry goes when it is empty. */
static void pinctl_share_put(uid_t uid, unsigned long nr)
{
	unsigned long cur;
	void *old;

	mutex_lock(&pinctl_users_lock);
	old = xa_load(&pinctl_users, uid);
	cur = old ? xa_to_value(old) : 0;
	if (WARN_ON_ONCE(cur < nr))
		cur = nr;
	if (cur == nr)
		xa_erase(&pinctl_users, uid);
	else	/* replaces an existing entry: allocates nothing */
		xa_store(&pinctl_users, uid, xa_mk_value(cur - nr), GFP_KERNEL);
	mutex_unlock(&pinctl_users_lock);
}

/**
 * pinctl_charge() - charge @nr pages to the calling user and to @mm.
 * @ch: out: the charge, for pinctl_uncharge().
 * @mm: the address space the pages are pinned in.
 * @nr: pages.
 *
 * The pages are charged to current's user_struct locked_vm against
 * RLIMIT_MEMLOCK unless current has CAP_IPC_LOCK, as io_uring's
 * __io_account_mem() does: the user, not the process, so no fork, exec,
 * exit or descriptor passing hands anyone a fresh budget. Then, unless
 * current has CAP_SYS_ADMIN, they are taken from the user's share of the
 * module-wide total, max_pages_per_user, counted per pinctl_share_uid()
 * (CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK does not lift it): no one
 * user, however many uids of its namespaces it runs as, can hold the whole
 * total and leave every other user, root included, -ENOSPC. Only then are
 * they reserved in the module-wide total (in-flight pins count): a request
 * the user cannot afford never touches the total, which everyone shares.
 * (Reserved first, a plain user with no budget at all hammering PINs of
 * max_pages_per_fd pages kept the total over its bound for the moment of
 * each refusal, and other users' PINs, root's too, failed -ENOSPC.) Last,
 * @mm's pinned_vm grows (VmPin), without a limit; @mm is mmgrab()ed so the
 * release finds it.
 *
 * Return: 0, -ENOMEM beyond RLIMIT_MEMLOCK, or -ENOSPC beyond
 * max_pages_per_user or max_pages_total.
 */
int pinctl_charge(struct pinctl_charge *ch, struct mm_struct *mm,
		  unsigned long nr)
{
	unsigned long total_limit = pinctl_total_limit();
	unsigned long limit, cur, new;
	struct user_struct *user = NULL;
	bool shared = !capable(CAP_SYS_ADMIN);
	uid_t share_uid = 0;
	int ret;

	if (!capable(CAP_IPC_LOCK)) {
		user = get_uid(current_user());
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&user->locked_vm);
		do {
			if (check_add_overflow(cur, nr, &new) || new > limit) {
				free_uid(user);
				return -ENOMEM;
			}
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	}
	if (shared) {
		share_uid = pinctl_share_uid();
		ret = pinctl_share_take(share_uid, nr);
		if (ret)
			goto out_user;
	}
	if (atomic_long_add_return(nr, &pinctl_total_pages) > total_limit) {
		atomic_long_sub(nr, &pinctl_total_pages);
		ret = -ENOSPC;
		goto out_share;
	}
	atomic64_add(nr, &mm->pinned_vm);
	mmgrab(mm);
	ch->user = user;
	ch->mm = mm;
	ch->nr = nr;
	ch->share_uid = share_uid;
	ch->shared = shared;
	return 0;

out_share:
	if (shared)
		pinctl_share_put(share_uid, nr);
out_user:
	if (user) {
		atomic_long_sub(nr, &user->locked_vm);
		free_uid(user);
	}
	return ret;
}

/* Returns a charge to the user, share, mm and module total it was taken from. */
void pinctl_uncharge(struct pinctl_charge *ch)
{
	if (ch->user) {
		atomic_long_sub(ch->nr, &ch->user->locked_vm);
		free_uid(ch->user);
	}
	if (ch->shared)
		pinctl_share_put(ch->share_uid, ch->nr);
	atomic64_sub(ch->nr, &ch->mm->pinned_vm);
	mmdrop(ch->mm);
	atomic_long_sub(ch->nr, &pinctl_total_pages);
}

/*
 * Reserve room in the file's budget before pinning, so that concurrent PINs
 * on one file cannot overshoot it.
 */
int pinctl_reserve(struct pinctl_file *pf, unsigned long nr,
		   unsigned long handles)
{
	int ret = 0;

	mutex_lock(&pf->lock);
	if (nr > pf->max_pages - pf->nr_pages ||
	    handles > pf->max_handles - pf->nr_handles) {
		ret = -ENOSPC;
	} else {
		pf->nr_pages += nr;
		pf->nr_handles += handles;
	}
	mutex_unlock(&pf->lock);
	return ret;
}

void pinctl_unreserve(struct pinctl_file *pf, unsigned long nr,
		      unsigned long handles)
{
	mutex_lock(&pf->lock);
	pf->nr_pages -= nr;
	pf->nr_handles -= handles;
	mutex_unlock(&pf->lock);
}

/* At unload, when no file is open: every share has been returned. */
void pinctl_account_exit(void)
{
	xa_destroy(&pinctl_users);
}
