// SPDX-License-Identifier: GPL-2.0
/*
 * BENCH: in-kernel pin and unpin timings, after mm/gup_test.c.
 */

#include "pinctl_internal.h"

/**
 * pinctl_ioctl_bench() - PINCTL_IOC_BENCH, after mm/gup_test.c.
 * @pf: the file; the pages count against its budget while the bench runs.
 * @argp: user struct pinctl_bench.
 *
 * Pins (or gets) the range and releases it @iterations times, timing the
 * two halves with ktime_get(). Nothing outlives the call, so any caller may
 * run it with any flag; for its duration the range is charged, reserved and
 * bounded like a PIN. Up to 2^32 iterations can take hours, so any signal
 * the caller has to handle ends it (-EINTR), not only SIGKILL: a program
 * that catches SIGINT or SIGTERM is not left waiting for the bench.
 *
 * Return: 0 with the totals in the user struct, or a negative errno.
 */
long pinctl_ioctl_bench(struct pinctl_file *pf, void __user *argp)
{
	struct mm_struct *mm = current->mm;
	struct pinctl_charge charge;
	struct pinctl_bench b;
	struct page **pages;
	ktime_t t0, t1;
	u64 get_ns = 0, put_ns = 0;
	u32 i;
	long ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	ret = pinctl_check_pin_flags(b.flags);
	if (ret)
		return ret;
	if ((b.flags & PINCTL_PIN_REMOTE) || !b.iterations ||
	    !pinctl_reserved_zero(b.reserved, ARRAY_SIZE(b.reserved)))
		return -EINVAL;
	ret = pinctl_check_range(b.addr, b.nr_pages, U64_MAX);
	if (ret)
		return ret;
	if (!mm)
		return -EINVAL;

	ret = pinctl_reserve(pf, b.nr_pages, 0);
	if (ret)
		return ret;
	ret = pinctl_charge(&charge, mm, b.nr_pages);
	if (ret)
		goto out_unreserve;
	if (pinctl_stack_gap(mm, b.addr, b.nr_pages)) {
		ret = -EFAULT;
		goto out_uncharge;
	}
	pages = pinctl_alloc_pages(b.nr_pages);
	if (!pages) {
		ret = -ENOMEM;
		goto out_uncharge;
	}

	for (i = 0; i < b.iterations; i++) {
		t0 = ktime_get();
		ret = pinctl_gup(mm, b.addr, b.nr_pages, b.flags, pages);
		t1 = ktime_get();
		if (ret)
			break;
		get_ns += ktime_to_ns(ktime_sub(t1, t0));

		t0 = ktime_get();
		pinctl_put_pages(pages, b.nr_pages, b.flags & PINCTL_PIN_GET);
		t1 = ktime_get();
		put_ns += ktime_to_ns(ktime_sub(t1, t0));

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}

	kvfree(pages);
out_uncharge:
	pinctl_uncharge(&charge);
out_unreserve:
	pinctl_unreserve(pf, b.nr_pages, 0);
	if (ret)
		return ret;
	b.get_ns = get_ns;
	b.put_ns = put_ns;
	return copy_to_user(argp, &b, sizeof(b)) ? -EFAULT : 0;
}
