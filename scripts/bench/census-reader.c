// SPDX-License-Identifier: MIT
/*
 * census-reader - the C floor for `pinctl census`: reads the same files the same way
 * (stat_refresh, vmstat, meminfo, zoneinfo, /proc/devices, /proc/misc; per process its
 * /proc/PID directory fd, status, every fd link, io_uring fdinfo; for a path, its fdinfo's
 * mnt_id, looked up in the mountinfo read so far (a process's own mountinfo read on a miss),
 * and fstatat with AT_STATX_DONT_SYNC only on devtmpfs, tmpfs or ramfs; for processes that
 * pin or lock: smaps when VmLck > 0, comm, cgroup) and prints a row count, so
 * scripts/bench/census.sh can print pinctl's time beside it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char buf[1 << 20];

static long slurp_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total);
		if (n <= 0)
			break;
		total += n;
		if ((size_t)total >= sizeof(buf) - 1)
			total = 0; /* keep reading, the floor only needs the cost */
	}
	close(fd);
	buf[total] = 0;
	return total;
}

/* Mount IDs seen in mountinfo: open addressing, the ID + 1 (0 is empty) and whether the
 * kernel answers a stat on it from memory. */
#define MOUNTS 16384
static int mount_id[MOUNTS];
static char mount_kernel[MOUNTS];

static int mount_slot(int id)
{
	unsigned int h = (unsigned int)id * 2654435761u % MOUNTS;

	while (mount_id[h] && mount_id[h] != id + 1)
		h = (h + 1) % MOUNTS;
	return (int)h;
}

static void read_mountinfo(int pd)
{
	if (slurp_at(pd, "mountinfo") <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int id = atoi(line);
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		char *type = dash + 3;
		int h = mount_slot(id);
		mount_id[h] = id + 1;
		mount_kernel[h] = !strncmp(type, "devtmpfs ", 9) || !strncmp(type, "tmpfs ", 6) || !strncmp(type, "ramfs ", 6);
	}
}

static unsigned long long field_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

int main(void)
{
	int w = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (w >= 0) {
		if (write(w, "1", 1) < 0)
			perror("stat_refresh");
		close(w);
	}
	slurp_at(AT_FDCWD, "/proc/vmstat");
	slurp_at(AT_FDCWD, "/proc/meminfo");
	slurp_at(AT_FDCWD, "/proc/zoneinfo");
	slurp_at(AT_FDCWD, "/proc/devices");
	slurp_at(AT_FDCWD, "/proc/misc");
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *proc = fdopendir(procfd);
	struct dirent *e;
	int scanned = 0, rows = 0;
	char target[4096];
	while ((e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		scanned++;
		int pd = openat(procfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (pd < 0)
			continue;
		if (slurp_at(pd, "status") <= 0 || !strstr(buf, "VmPin:")) {
			close(pd);
			continue;
		}
		unsigned long long pin = field_kb(buf, "VmPin:"), lck = field_kb(buf, "VmLck:");
		int rings = 0, devices = 0;
		int fdd = openat(pd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		DIR *fds = fdd >= 0 ? fdopendir(fdd) : NULL;
		struct dirent *f;
		while (fds && (f = readdir(fds))) {
			if (f->d_name[0] < '0' || f->d_name[0] > '9')
				continue;
			ssize_t n = readlinkat(fdd, f->d_name, target, sizeof(target));
			if (n <= 0)
				continue;
			if (n == 21 && !memcmp(target, "anon_inode:[io_uring]", 21)) {
				char path[300];
				snprintf(path, sizeof(path), "fdinfo/%s", f->d_name);
				if (slurp_at(pd, path) > 0 && strstr(buf, "UserBufs:\t") && !strstr(buf, "UserBufs:\t0"))
					rings++;
			} else if (target[0] == '/') {
				char path[300];
				snprintf(path, sizeof(path), "fdinfo/%s", f->d_name);
				char *mnt = slurp_at(pd, path) > 0 ? strstr(buf, "mnt_id:") : NULL;
				if (!mnt)
					continue;
				int id = atoi(mnt + 7), h = mount_slot(id);
				if (!mount_id[h]) {
					read_mountinfo(pd);
					h = mount_slot(id);
				}
				struct stat st;
				if (mount_id[h] && mount_kernel[h] && fstatat(fdd, f->d_name, &st, 0x4000 /* AT_STATX_DONT_SYNC */) == 0 &&
				    S_ISCHR(st.st_mode) && (major(st.st_rdev) == 81 || major(st.st_rdev) == 226))
					devices++;
			}
		}
		if (fds)
			closedir(fds);
		if (pin || lck || rings || devices) {
			if (lck)
				slurp_at(pd, "smaps");
			slurp_at(pd, "comm");
			slurp_at(pd, "cgroup");
			rows++;
		}
		close(pd);
	}
	closedir(proc);
	printf("%d processes, %d rows\n", scanned, rows);
	return 0;
}
