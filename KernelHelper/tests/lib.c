// SPDX-License-Identifier: GPL-2.0
/*
 * What the tests and the helper program share: /dev/pinctl wrappers that return
 * 0 or -errno, memory, /proc and /sys helpers.
 */
#include "harness.h"

int dev_open(void)
{
	return open(dev_path, O_RDWR | O_CLOEXEC);
}

int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * A descriptor of /proc/PID/mem (0: self), how REMOTE names a target: read
 * and write, as a WRITE pin needs.
 */
int mem_open_mode(pid_t pid, int mode)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid ? pid : getpid());
	fd = open(path, mode | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int mem_open(pid_t pid)
{
	return mem_open_mode(pid, O_RDWR);
}

int do_pin(int fd, void *addr, uint64_t n, uint32_t flags, int mem_fd,
	   uint64_t *pfns, uint64_t *handle)
{
	struct pinctl_pin p = {
		.addr = (uintptr_t)addr, .nr_pages = n, .flags = flags,
		.mem_fd = mem_fd, .pfns = (uintptr_t)pfns,
	};
	int ret = xioctl(fd, PINCTL_IOC_PIN, &p);

	if (!ret && p.pinned != n) {
		diag("PIN returned pinned=%llu for %llu pages",
		     (unsigned long long)p.pinned, (unsigned long long)n);
		return -EPROTO;
	}
	if (handle)
		*handle = ret ? 0 : p.handle;
	return ret;
}

int do_unpin(int fd, uint64_t handle, uint64_t *unpinned)
{
	struct pinctl_unpin u = { .handle = handle };
	int ret = xioctl(fd, PINCTL_IOC_UNPIN, &u);

	if (unpinned)
		*unpinned = u.unpinned;
	return ret;
}

int do_unpin_all(int fd, uint64_t *unpinned)
{
	struct pinctl_unpin u = { .flags = PINCTL_UNPIN_ALL };
	int ret = xioctl(fd, PINCTL_IOC_UNPIN, &u);

	if (unpinned)
		*unpinned = u.unpinned;
	return ret;
}

/*
 * Drains this CPU's LRU batches first: see lru_drain(). @mem_fd: a
 * /proc/PID/mem descriptor for a REMOTE query, 0 for our own memory.
 */
int do_query(int fd, void *addr, uint64_t n, struct pinctl_page *out,
	     int mem_fd)
{
	struct pinctl_query q = {
		.addr = (uintptr_t)addr, .nr_pages = n,
		.pages = (uintptr_t)out, .mem_fd = mem_fd,
		.flags = mem_fd ? PINCTL_PIN_REMOTE : 0,
	};

	lru_drain();
	return xioctl(fd, PINCTL_IOC_QUERY, &q);
}

/* One page's state; refcount -1 when the query itself failed. */
struct pinctl_page query1(int fd, void *addr, int mem_fd)
{
	struct pinctl_page pg = { 0 };

	if (do_query(fd, addr, 1, &pg, mem_fd)) {
		diag("QUERY %p failed: %s", addr, strerror(errno));
		pg.refcount = UINT32_MAX;
	}
	return pg;
}

/* Small-page private anon memory, touched; THP is "always" on Debian. */
char *map_small(size_t pages)
{
	char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * psz, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		p[i * psz] = (char)i + 1;
	return p;
}

/* A 2 MiB-aligned region of @size bytes (a multiple of 2 MiB). */
char *map_aligned(size_t size, int flags, int fd)
{
	char *p = mmap(NULL, size + HPAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (mmap(a, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0) ==
	    MAP_FAILED)
		return NULL;
	return a;
}

/*
 * The number after KEY and SEP in a /proc file of "KEY<SEP> VALUE" lines
 * (status and meminfo: ':'; vmstat: ' '), or -1.
 */
static long proc_key_value(const char *path, const char *key, char sep)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == sep) {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long status_kb(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid ? pid : getpid());
	return proc_key_value(path, key, ':');
}

long vmpin_kb(void)
{
	return status_kb(0, "VmPin");
}

/* pagemap entry of @addr in @pid (0: self); 0 on error. */
uint64_t pagemap_entry(pid_t pid, void *addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid ? pid : getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / psz * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

bool pm_present(uint64_t e)
{
	return e >> 63;
}

uint64_t pm_pfn(uint64_t e)
{
	return e & ((1ULL << 55) - 1);
}

/*
 * Per-CPU LRU batches (new pages, activations, mlock) hold page references
 * until drained, and a QUERY reports them. MADV_COLD runs lru_add_drain() on
 * this CPU; the suite is bound to CPU 0, so that is every batch it fills.
 */
void lru_drain(void)
{
	static char *page;

	if (!page) {
		page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			return;
		}
		page[0] = 1;
	}
	madvise(page, psz, MADV_COLD);
}

long read_long_file(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

int write_long_file(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

long meminfo_kb(const char *key)
{
	return proc_key_value("/proc/meminfo", key, ':');
}

long vmstat_value(const char *key)
{
	return proc_key_value("/proc/vmstat", key, ' ');
}

int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Drops to nobody, keeping the open fds; loses every capability. Dumpable
 * again afterwards, like a process nobody started: the kernel clears it on
 * the uid change, which would make even its own /proc/self/mem root's.
 */
int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/*
 * A setuid-root copy of the helper at @path (root:root 04755), for the
 * tests of what a plain user may do to a setuid program it starts.
 * 0 or -errno.
 */
int make_suid_copy(const char *path)
{
	char buf[65536];
	ssize_t n;
	int in = open(helper_path(), O_RDONLY | O_CLOEXEC), out;

	unlink(path);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -EIO;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, 04755))
		return -errno;
	close(out);
	return 0;
}

int drop_effective_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Checks every page of [p, p+n) against an expected refcount delta. */
int expect_pages(int fd, void *p, size_t n, const uint32_t *base,
		 uint32_t delta, bool pinned)
{
	struct pinctl_page *pg = calloc(n, sizeof(*pg));
	int ret = PASS;

	if (!pg || do_query(fd, p, n, pg, 0)) {
		diag("QUERY failed: %s", strerror(errno));
		free(pg);
		return FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		bool dma = pg[i].flags & PINCTL_PAGE_DMA_PINNED;

		if (!(pg[i].flags & PINCTL_PAGE_PRESENT) ||
		    pg[i].refcount != base[i] + delta || dma != pinned) {
			diag("page %zu: refcount %u (want %u), flags %#x (dma-pinned want %d)",
			     i, pg[i].refcount, base[i] + delta, pg[i].flags,
			     pinned);
			ret = FAIL;
			break;
		}
	}
	free(pg);
	return ret;
}

int baseline(int fd, void *p, size_t n, uint32_t *base)
{
	struct pinctl_page *pg = calloc(n, sizeof(*pg));

	if (!pg || do_query(fd, p, n, pg, 0)) {
		free(pg);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		base[i] = pg[i].refcount;
	free(pg);
	return 0;
}

void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static long saved_nr_hugepages = -1;

void save_hugepages(void)
{
	saved_nr_hugepages = read_long_file("/proc/sys/vm/nr_hugepages");
}

void restore_hugepages(void)
{
	if (saved_nr_hugepages >= 0)
		write_long_file("/proc/sys/vm/nr_hugepages",
				saved_nr_hugepages);
}

void dev_mode_0666(void)
{
	chmod(dev_path, 0666);
}

void dev_mode_0600(void)
{
	chmod(dev_path, 0600);
}

bool cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	return !syscall(SYS_capget, &hdr, data) &&
	       (data[0].effective & (1U << CAP_SYS_ADMIN));
}

/* Sends (@fd >= 0) or receives one descriptor over a unix socket. */
int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

void all_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE && i < 64; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Maps one written page at FIXED_ADDR; 0 or -errno. */
int map_fixed_page(void)
{
	char *p = mmap(FIXED_ADDR, psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		       0);

	if (p != FIXED_ADDR)
		return p == MAP_FAILED ? -errno : -EEXIST;
	p[0] = 1;
	return 0;
}

/*
 * The start most tests share: @n fresh private pages at *@pp and
 * /dev/pinctl open. Return: the descriptor, or -1 (errno set) with *@pp
 * NULL or the device not open.
 */
int open_with_pages(size_t n, char **pp)
{
	*pp = map_small(n);
	if (!*pp)
		return -1;
	return dev_open();
}
