// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI: VERSION, unknown commands, flags, reserved fields and ranges.
 */
#include "harness.h"

int test_version_fields(void)
{
	struct pinctl_version v;
	struct stat st;
	int fd;

	CHECK(stat(dev_path, &st) == 0);
	CHECKF(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "mode %o", st.st_mode);
	fd = dev_open();
	CHECK(fd >= 0);
	memset(&v, 0xff, sizeof(v));
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	diag("abi %u features %#llx max_pages_per_fd %llu max_handles_per_fd %llu",
	     v.abi_version, (unsigned long long)v.features,
	     (unsigned long long)v.max_pages_per_fd,
	     (unsigned long long)v.max_handles_per_fd);
	CHECK(v.abi_version == PINCTL_ABI_VERSION);
	CHECK(v.reserved0 == 0);
	CHECK(v.features == (PINCTL_FEAT_PIN | PINCTL_FEAT_REMOTE |
			     PINCTL_FEAT_QUERY | PINCTL_FEAT_BENCH |
			     PINCTL_FEAT_ACCOUNTING | PINCTL_FEAT_MEM_FD |
			     PINCTL_FEAT_PFNS | PINCTL_FEAT_BOUNDED |
			     PINCTL_FEAT_USER_SHARE | PINCTL_FEAT_LIST |
			     PINCTL_FEAT_FRAMES));
	CHECK(v.max_pages_per_fd >= 1 && v.max_handles_per_fd >= 1);
	CHECKF(v.max_pages_total == 1 << 20 && v.max_page_refcount == 1U << 30 &&
	       v.max_pages_per_user == 1 << 18,
	       "max_pages_total %llu max_page_refcount %llu max_pages_per_user %llu",
	       (unsigned long long)v.max_pages_total,
	       (unsigned long long)v.max_page_refcount,
	       (unsigned long long)v.max_pages_per_user);
	CHECKF(v.package_version == PINCTL_VERSION_CODE,
	       "package_version %#llx, pinctl_version.h %#llx",
	       (unsigned long long)v.package_version,
	       (unsigned long long)PINCTL_VERSION_CODE);
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, NULL) == -EFAULT);
	close(fd);
	return PASS;
}

int test_invalid_flag_combinations_einval(void)
{
	char *p = map_small(1);
	int fd = dev_open(), self = mem_open(0);

	CHECK(p && fd >= 0 && self > 0);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_GET | PINCTL_PIN_LONGTERM, 0, NULL,
		     NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, PINCTL_PIN_REMOTE | PINCTL_PIN_FAST, self,
		     NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, 1, 0, self, NULL, NULL) == -EINVAL);
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_unknown_command_enotty(void)
{
	char buf[256] = { 0 };
	int fd = dev_open();

	CHECK(fd >= 0);
	CHECK(xioctl(fd, _IO(PINCTL_IOC_MAGIC, 99), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOWR(PINCTL_IOC_MAGIC, 1, char[7]), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOR(PINCTL_IOC_MAGIC, 0, char[8]), buf) == -ENOTTY);
	CHECK(xioctl(fd, _IOWR(PINCTL_IOC_MAGIC, 5, struct pinctl_pin), buf) ==
	      -ENOTTY);
	CHECK(xioctl(fd, _IOWR('x', 1, struct pinctl_pin), buf) == -ENOTTY);
	CHECK(xioctl(fd, 0x5401 /* TCGETS */, buf) == -ENOTTY);
	close(fd);
	return PASS;
}

int test_unknown_flags_einval(void)
{
	char *p;
	struct pinctl_page pg;
	int fd;

	fd = open_with_pages(1, &p);
	CHECK(fd >= 0);
	for (int bit = 5; bit < 32; bit++)
		CHECKF(do_pin(fd, p, 1, 1U << bit, 0, NULL, NULL) == -EINVAL,
		       "PIN flag bit %d", bit);
	for (int bit = 1; bit < 32; bit++) {
		struct pinctl_unpin u = { .flags = 1U << bit };

		CHECKF(xioctl(fd, PINCTL_IOC_UNPIN, &u) == -EINVAL,
		       "UNPIN flag bit %d", bit);
	}
	for (int bit = 0; bit < 32; bit++) {
		struct pinctl_query q = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.pages = (uintptr_t)&pg, .flags = 1U << bit,
		};

		if (1U << bit == PINCTL_PIN_REMOTE)
			continue;
		CHECKF(xioctl(fd, PINCTL_IOC_QUERY, &q) == -EINVAL,
		       "QUERY flag bit %d", bit);
	}
	for (int bit = 4; bit < 32; bit++) {
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.flags = 1U << bit, .iterations = 1,
		};

		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL,
		       "BENCH flag bit %d", bit);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_reserved_nonzero_einval(void)
{
	char *p;
	struct pinctl_page pg;
	int fd;

	fd = open_with_pages(1, &p);
	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		struct pinctl_pin pin = { .addr = (uintptr_t)p, .nr_pages = 1 };
		struct pinctl_query q = {
			.addr = (uintptr_t)p, .nr_pages = 1,
			.pages = (uintptr_t)&pg,
		};
		struct pinctl_bench b = {
			.addr = (uintptr_t)p, .nr_pages = 1, .iterations = 1,
		};

		pin.reserved[i] = 1ULL << (i * 16);
		q.reserved[i] = 1;
		b.reserved[i] = 1ULL << 63;
		CHECKF(xioctl(fd, PINCTL_IOC_PIN, &pin) == -EINVAL, "PIN %d", i);
		CHECKF(xioctl(fd, PINCTL_IOC_QUERY, &q) == -EINVAL, "QUERY %d",
		       i);
		CHECKF(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL, "BENCH %d",
		       i);
	}
	for (int i = 0; i < 4; i++) {
		struct pinctl_unpin u = { .flags = PINCTL_UNPIN_ALL };

		if (i < 3)
			u.reserved[i] = 1;
		else
			u.reserved0 = 1;
		CHECKF(xioctl(fd, PINCTL_IOC_UNPIN, &u) == -EINVAL, "UNPIN %d",
		       i);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}

int test_bad_ranges_einval(void)
{
	char *p;
	struct pinctl_page pg[2];
	int fd;

	fd = open_with_pages(2, &p);
	CHECK(fd >= 0);
	CHECK(do_pin(fd, p + 1, 1, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p + psz / 2, 1, PINCTL_PIN_FAST, 0, NULL, NULL) ==
	      -EINVAL);
	CHECK(do_pin(fd, p, 0, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, (void *)(uintptr_t)-psz, 2, 0, 0, NULL, NULL) ==
	      -EINVAL);
	CHECK(do_pin(fd, p, 1ULL << 52, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, p, UINT64_MAX, 0, 0, NULL, NULL) == -EINVAL);
	CHECK(do_pin(fd, (void *)(uintptr_t)(UINT64_MAX & ~(uint64_t)(psz - 1)),
		     1, 0, 0, NULL, NULL) == -EINVAL);
	/* Kernel addresses are no overflow: GUP refuses them. */
	CHECK(do_pin(fd, (void *)0xffff888000000000UL, 1, 0, 0, NULL, NULL) ==
	      -EFAULT);
	CHECK(do_pin(fd, (void *)0xffff888000000000UL, 1, PINCTL_PIN_FAST, 0,
		     NULL, NULL) == -EFAULT);
	CHECK(do_query(fd, p + 8, 1, pg, 0) == -EINVAL);
	CHECK(do_query(fd, p, 0, pg, 0) == -EINVAL);
	CHECK(do_query(fd, p, (1 << 20) + 1, pg, 0) == -EINVAL);
	CHECK(do_query(fd, (void *)(uintptr_t)-psz, 2, pg, 0) == -EINVAL);
	{
		struct pinctl_bench b = { .addr = (uintptr_t)p + 1,
					  .nr_pages = 1, .iterations = 1 };

		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
		b.addr = (uintptr_t)-psz;
		b.nr_pages = 2;
		CHECK(xioctl(fd, PINCTL_IOC_BENCH, &b) == -EINVAL);
	}
	CHECK(vmpin_kb() == 0);
	close(fd);
	return PASS;
}
