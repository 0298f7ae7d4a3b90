// SPDX-License-Identifier: MIT
#include "cpinctl.h"

#include <errno.h>
#include <string.h>

#ifdef __linux__
#include <sys/ioctl.h>
#include <sys/vfs.h>

const unsigned long CPINCTL_PAGEMAP_SCAN = _IOWR('f', 16, struct cpinctl_pm_scan_arg);

long cpinctl_pagemap_scan(int fd, struct cpinctl_pm_scan_arg *arg)
{
	return ioctl(fd, CPINCTL_PAGEMAP_SCAN, arg);
}
#endif

const char *cpinctl_errno_name(int err)
{
	return strerrorname_np(err);
}

long long cpinctl_fs_magic(const char *path)
{
	struct statfs fs;

	if (statfs(path, &fs) != 0)
		return -1;
	return (long long)fs.f_type;
}
