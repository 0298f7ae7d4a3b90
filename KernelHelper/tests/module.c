// SPDX-License-Identifier: GPL-2.0
/*
 * The module as a whole: a clean kernel log, unload and reload.
 */
#include "harness.h"

int test_dmesg_clean(void)
{
	static const char *const bad[] = {
		"BUG", "WARNING:", "Oops", "general protection fault",
		"Call Trace", "UBSAN", "KASAN", "Bad page", "refcount_t:",
		"list_add corruption", "list_del corruption",
	};
	char rec[8192];
	int bad_lines = 0, lines = 0;
	ssize_t n;

	SKIP_IF(kmsg_fd < 0, "cannot read /dev/kmsg");
	while ((n = read(kmsg_fd, rec, sizeof(rec) - 1)) != 0) {
		char *msg;

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records */
				continue;
			break;
		}
		rec[n] = 0;
		lines++;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg = strtok(msg, "\n");
		if (!msg)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(msg, bad[i])) {
				bad_lines++;
				diag("  suspicious: %s", msg);
				msg = NULL;
				break;
			}
		if (msg && lines <= 40)
			diag("  %s", msg);
	}
	diag("%d kernel log records since the suite started", lines);
	CHECKF(bad_lines == 0, "%d suspicious kernel log lines", bad_lines);
	return PASS;
}

int test_module_unload_and_reload(void)
{
	struct stat st;
	int kfd, fd;

	SKIP_IF(access("/sys/module/pinctl", F_OK), "pinctl is not a module here");
	/* Busy while a file is open. */
	fd = dev_open();
	CHECK(fd >= 0);
	CHECK(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == -1 &&
	      errno == EWOULDBLOCK);
	close(fd);
	CHECKF(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == 0,
	       "rmmod: %s", strerror(errno));
	CHECK(access("/sys/module/pinctl", F_OK) == -1);
	for (int i = 0; i < 100 && stat(dev_path, &st) == 0; i++)
		usleep(10000);
	CHECK(stat(dev_path, &st) == -1 && errno == ENOENT);
	SKIP_IF(!ko_path, "unloaded; no .ko path given to reload it");
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	CHECK(kfd >= 0);
	CHECKF(syscall(SYS_finit_module, kfd, "", 0) == 0, "insmod: %s",
	       strerror(errno));
	close(kfd);
	for (int i = 0; i < 100 && stat(dev_path, &st) != 0; i++)
		usleep(10000);
	fd = dev_open();
	CHECK(fd >= 0);
	{
		struct pinctl_version v;

		CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
		CHECK(v.abi_version == PINCTL_ABI_VERSION);
	}
	{
		/* A pin still held at close of the last file: unload works. */
		char *p = map_small(2);

		CHECK(p && do_pin(fd, p, 2, PINCTL_PIN_LONGTERM, 0, NULL,
				  NULL) == 0);
	}
	close(fd);
	CHECKF(syscall(SYS_delete_module, "pinctl", O_NONBLOCK) == 0,
	       "second rmmod: %s", strerror(errno));
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	CHECK(kfd >= 0 && syscall(SYS_finit_module, kfd, "", 0) == 0);
	close(kfd);
	return PASS;
}
