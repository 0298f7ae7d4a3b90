/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pinctl_version.h - the version of pinctl: the one place it is written.
 *
 * Everything that carries a version reads these three numbers: the module
 * (MODULE_VERSION, and package_version of PINCTL_IOC_VERSION), the Swift CLI
 * (`pinctl --version`, through the CPinctl shim), scripts/pkg/build-debs.sh (the
 * Debian packages' debian/changelog, and dkms.conf's PACKAGE_VERSION through
 * dh_dkms) and scripts/vm/test.sh (its DKMS tree), with scripts/pkg/version.sh
 * printing it for shell scripts. DKMS builds the module from /usr/src, where
 * this file is the only copy. A release changes these three lines alone.
 */
#ifndef PINCTL_VERSION_H
#define PINCTL_VERSION_H

#include <linux/types.h>

#define PINCTL_VERSION_MAJOR 0
#define PINCTL_VERSION_MINOR 1
#define PINCTL_VERSION_PATCH 0

#define PINCTL_VERSION_STR_(x) #x
#define PINCTL_VERSION_STR(x) PINCTL_VERSION_STR_(x)
/* "MAJOR.MINOR.PATCH" */
#define PINCTL_VERSION							\
	PINCTL_VERSION_STR(PINCTL_VERSION_MAJOR) "."			\
	PINCTL_VERSION_STR(PINCTL_VERSION_MINOR) "."			\
	PINCTL_VERSION_STR(PINCTL_VERSION_PATCH)
/* The version as struct pinctl_version's package_version carries it. */
#define PINCTL_VERSION_CODE						\
	(((__u64)PINCTL_VERSION_MAJOR << 32) |				\
	 ((__u64)PINCTL_VERSION_MINOR << 16) | (__u64)PINCTL_VERSION_PATCH)

#endif /* PINCTL_VERSION_H */
