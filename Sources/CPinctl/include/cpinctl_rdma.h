/* SPDX-License-Identifier: MIT */
/*
 * cpinctl_rdma.h - the RDMA netlink numbers the census needs (NETLINK_RDMA, the nldev
 * client's message types and attributes). RDMA_NL_GET_TYPE() is a function-like macro, so
 * the message types are exported as constants; the attribute numbers come from the
 * installed uapi header (6.1's <rdma/rdma_netlink.h> has every one used here), checked
 * against the values the kernel has used since 4.17 so that a header change is a build
 * error rather than a silent misread.
 */
#ifndef CPINCTL_RDMA_H
#define CPINCTL_RDMA_H

#include <stdint.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

/** NETLINK_RDMA, the netlink protocol ib_core registers. */
extern const int32_t CPINCTL_NETLINK_RDMA;
/** RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET): the device list (dump). */
extern const uint16_t CPINCTL_RDMA_NLDEV_GET;
/** RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_RES_MR_GET): a device's MRs (dump). */
extern const uint16_t CPINCTL_RDMA_NLDEV_RES_MR_GET;

_Static_assert(RDMA_NL_NLDEV == 5, "RDMA_NL_NLDEV");
_Static_assert(RDMA_NLDEV_CMD_GET == 1, "RDMA_NLDEV_CMD_GET");
_Static_assert(RDMA_NLDEV_CMD_RES_MR_GET == 13, "RDMA_NLDEV_CMD_RES_MR_GET");
_Static_assert(RDMA_NLDEV_ATTR_DEV_INDEX == 1, "RDMA_NLDEV_ATTR_DEV_INDEX");
_Static_assert(RDMA_NLDEV_ATTR_DEV_NAME == 2, "RDMA_NLDEV_ATTR_DEV_NAME");
_Static_assert(RDMA_NLDEV_ATTR_RES_PID == 28, "RDMA_NLDEV_ATTR_RES_PID");
_Static_assert(RDMA_NLDEV_ATTR_RES_KERN_NAME == 29, "RDMA_NLDEV_ATTR_RES_KERN_NAME");
_Static_assert(RDMA_NLDEV_ATTR_RES_MR == 40, "RDMA_NLDEV_ATTR_RES_MR");
_Static_assert(RDMA_NLDEV_ATTR_RES_MR_ENTRY == 41, "RDMA_NLDEV_ATTR_RES_MR_ENTRY");
_Static_assert(RDMA_NLDEV_ATTR_RES_RKEY == 42, "RDMA_NLDEV_ATTR_RES_RKEY");
_Static_assert(RDMA_NLDEV_ATTR_RES_LKEY == 43, "RDMA_NLDEV_ATTR_RES_LKEY");
_Static_assert(RDMA_NLDEV_ATTR_RES_IOVA == 44, "RDMA_NLDEV_ATTR_RES_IOVA");
_Static_assert(RDMA_NLDEV_ATTR_RES_MRLEN == 45, "RDMA_NLDEV_ATTR_RES_MRLEN");
_Static_assert(RDMA_NLDEV_ATTR_RES_PDN == 60, "RDMA_NLDEV_ATTR_RES_PDN");
_Static_assert(RDMA_NLDEV_ATTR_RES_MRN == 62, "RDMA_NLDEV_ATTR_RES_MRN");

/* Attribute numbers as plain constants for Swift (the header's enum is a C type there). */
#define CPINCTL_NLDEV_ATTR(name) static const uint16_t CPINCTL_NLDEV_ATTR_##name = RDMA_NLDEV_ATTR_##name
CPINCTL_NLDEV_ATTR(DEV_INDEX);
CPINCTL_NLDEV_ATTR(DEV_NAME);
CPINCTL_NLDEV_ATTR(RES_PID);
CPINCTL_NLDEV_ATTR(RES_KERN_NAME);
CPINCTL_NLDEV_ATTR(RES_MR);
CPINCTL_NLDEV_ATTR(RES_MR_ENTRY);
CPINCTL_NLDEV_ATTR(RES_IOVA);
CPINCTL_NLDEV_ATTR(RES_MRLEN);
CPINCTL_NLDEV_ATTR(RES_PDN);
CPINCTL_NLDEV_ATTR(RES_MRN);
#undef CPINCTL_NLDEV_ATTR

#endif /* __linux__ */

#endif /* CPINCTL_RDMA_H */
