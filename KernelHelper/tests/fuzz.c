// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer: processes, threads, fork, exec and remote targets hammering every
 * ioctl, with the kernel log and counters checked after.
 */
#include "harness.h"

__thread uint64_t rng_state;

uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

/* Counters shared by every process and thread of a fuzz phase. */
struct fuzz_shared {
	long ioctls, ok, errs[160], cmd_ok[7];
	long forks, execs, targets, chaos;
	long target_ioctls;
	int stop;
};

static struct fuzz_shared *fz;

#define FUZZ_BUF_PAGES	512	/* one 2 MiB-aligned THP-able range */

/* One worker process's world, shared by its ioctl and chaos threads. */
struct fuzz_proc {
	int fds[4];		/* /dev/pinctl: closed, reopened, dup2()ed */
	int self_mem;		/* /proc/self/mem */
	int target_mem;		/* /proc/TARGET/mem, replaced as targets die */
	pid_t target;
	char *buf, *ro, *hole, *spare;
	uint64_t seed;
};

static const unsigned long fuzz_cmds[] = {
	PINCTL_IOC_VERSION, PINCTL_IOC_PIN, PINCTL_IOC_UNPIN,
	PINCTL_IOC_QUERY, PINCTL_IOC_BENCH, PINCTL_IOC_LIST,
	PINCTL_IOC_QUERY_FRAMES,
};

static int fuzz_mem_fd(struct fuzz_proc *fp)
{
	switch (rnd() % 8) {
	case 0: case 1: case 2: return __atomic_load_n(&fp->target_mem,
						       __ATOMIC_RELAXED);
	case 3: case 4: return fp->self_mem;
	case 5: return fp->fds[rnd() % 4];	/* not a mem file */
	case 6: return -1;
	default: return (int)(rnd() % 64);
	}
}

/*
 * One random ioctl: mostly well-formed commands with hostile fields, the
 * rest random numbers in our magic and others; the argument at a random
 * offset of @argbuf (two pages, the second PROT_NONE) or a bad pointer.
 */
static void fuzz_one(struct fuzz_proc *fp, char *argbuf)
{
	uint64_t addrs[] = {
		(uintptr_t)fp->buf, (uintptr_t)fp->buf + psz,
		(uintptr_t)fp->buf + 17 * psz,
		(uintptr_t)fp->buf + 100 * psz,
		(uintptr_t)fp->buf + (FUZZ_BUF_PAGES - 1) * psz,
		(uintptr_t)fp->buf + 3, (uintptr_t)fp->ro,
		(uintptr_t)fp->hole, (uintptr_t)fp->hole + psz,
		(uintptr_t)argbuf + psz, 0, 4096, 0x10000,
		0x7ffffffff000ULL, 0x800000000000ULL, 0xffff800000000000ULL,
		0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xfffffffffffff000ULL, 0xffffffffffffffffULL,
	};
	uint64_t nrs[] = {
		0, 1, 1, 2, 3, 4, 8, 16, 63, 64, 65, 512, 4096, 1 << 20,
		(1 << 20) + 1, 1ULL << 32, 1ULL << 52, UINT64_MAX,
	};
	uint64_t ptrs[] = {
		0, 8, (uintptr_t)argbuf + psz - 8, (uintptr_t)fp->hole,
		(uintptr_t)fp->ro, 0xffff888000000000ULL,
		(uintptr_t)fp->buf + 200 * psz, (uintptr_t)fp->buf + 300 * psz,
	};
	unsigned long cmd;
	uint64_t f[12] = { 0 };
	size_t off;
	void *arg;
	int fd = fp->fds[rnd() % 4], r, kind = rnd() % 100;

	off = (rnd() % 2) ? psz - 8 * (rnd() % 20) : 8 * (rnd() % 64);
	if (off > (size_t)psz - 8)
		off = psz - 8;
	arg = argbuf + off;

	if (kind < 75)
		cmd = fuzz_cmds[rnd() % ARRAY_SIZE(fuzz_cmds)];
	else if (kind < 88)
		cmd = _IOC(rnd() % 4, PINCTL_IOC_MAGIC, rnd() % 8,
			   rnd() % 256);
	else if (kind < 96)
		cmd = _IOC(rnd() % 4, 'x', rnd() % 256, rnd() % 256);
	else
		cmd = 0x5401 + rnd() % 16;	/* TCGETS and friends */

	switch (_IOC_NR(cmd)) {
	case 1: {	/* pin */
		struct pinctl_pin *p = (void *)f;

		p->addr = rnd() % 2 ? (uintptr_t)fp->buf +
				      (rnd() % FUZZ_BUF_PAGES) * psz :
				      pick(addrs, ARRAY_SIZE(addrs));
		p->nr_pages = rnd() % 4 ? rnd() % 40 :
			      pick(nrs, ARRAY_SIZE(nrs));
		p->pfns = rnd() % 2 ? 0 : pick(ptrs, ARRAY_SIZE(ptrs));
		p->flags = rnd() % 8 ? rnd() % 32 : (uint32_t)rnd();
		if (rnd() % 3 == 0)
			p->flags |= PINCTL_PIN_LONGTERM;
		if (p->flags & PINCTL_PIN_REMOTE || rnd() % 16 == 0)
			p->mem_fd = fuzz_mem_fd(fp);
		if (rnd() % 20 == 0)
			p->reserved[rnd() % 4] = rnd();
		if (rnd() % 2) {
			/* Well-formed: real pins for the chaos to work on. */
			static const uint32_t ok[] = {
				PINCTL_PIN_LONGTERM,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_FAST,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
				PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE |
				PINCTL_PIN_REMOTE,
				PINCTL_PIN_GET, PINCTL_PIN_WRITE,
			};
			uint64_t at = rnd() % FUZZ_BUF_PAGES;

			p->addr = (uintptr_t)fp->buf + at * psz;
			p->nr_pages = 1 + rnd() % (FUZZ_BUF_PAGES - at < 64 ?
						   FUZZ_BUF_PAGES - at : 64);
			p->flags = ok[rnd() % ARRAY_SIZE(ok)];
			p->mem_fd = p->flags & PINCTL_PIN_REMOTE ?
				    fuzz_mem_fd(fp) : 0;
			p->pfns = rnd() % 4 ? 0 : (uintptr_t)fp->buf +
						  300 * psz;
			memset(p->reserved, 0, sizeof(p->reserved));
		}
		break;
	}
	case 2: {	/* unpin: guessed handles */
		struct pinctl_unpin *u = (void *)f;

		u->handle = rnd() % 4 ? rnd() % 256 : rnd();
		u->flags = rnd() % 8 ? 0 : (rnd() % 4 ? 1 : rnd());
		if (u->flags == PINCTL_UNPIN_ALL && rnd() % 2)
			u->handle = 0;
		if (rnd() % 20 == 0)
			u->reserved0 = rnd();
		break;
	}
	case 3: {	/* query */
		struct pinctl_query *q = (void *)f;

		q->addr = rnd() % 2 ? (uintptr_t)fp->buf +
				      (rnd() % FUZZ_BUF_PAGES) * psz :
				      pick(addrs, ARRAY_SIZE(addrs));
		q->nr_pages = rnd() % 4 ? rnd() % 80 :
			      pick(nrs, ARRAY_SIZE(nrs));
		q->pages = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			   pick(ptrs, ARRAY_SIZE(ptrs));
		q->flags = rnd() % 8 ? rnd() % 2 * PINCTL_PIN_REMOTE :
			   (uint32_t)rnd();
		if (q->flags & PINCTL_PIN_REMOTE)
			q->mem_fd = fuzz_mem_fd(fp);
		if (rnd() % 20 == 0)
			q->reserved[rnd() % 4] = rnd();
		break;
	}
	case 4: {	/* bench */
		struct pinctl_bench *b = (void *)f;

		b->addr = pick(addrs, ARRAY_SIZE(addrs));
		b->nr_pages = rnd() % 4 ? rnd() % 20 :
			      pick(nrs, ARRAY_SIZE(nrs));
		b->flags = rnd() % 8 ? rnd() % 32 : (uint32_t)rnd();
		b->iterations = rnd() % 8 ? rnd() % 4 : (uint32_t)rnd() % 64;
		if (rnd() % 20 == 0)
			b->reserved[rnd() % 4] = rnd();
		break;
	}
	case 5: {	/* list: mostly well-formed walks of one piece */
		struct pinctl_list *l = (void *)f;
		uint32_t counts[] = { 0, 1, 2, 16, PINCTL_LIST_MAX,
				      PINCTL_LIST_MAX + 1, UINT32_MAX };

		l->entries = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			     pick(ptrs, ARRAY_SIZE(ptrs));
		l->count = rnd() % 4 ? 1 + rnd() % 64 :
			   counts[rnd() % ARRAY_SIZE(counts)];
		l->cursor_file = rnd() % 2 ? 0 : rnd() % 8 ? rnd() % 64 : rnd();
		l->cursor_handle = rnd() % 2 ? 0 : rnd() % 8 ? rnd() % 64 :
				   rnd();
		if (rnd() % 16 == 0)
			l->flags = rnd();
		if (rnd() % 20 == 0)
			l->reserved[rnd() % 3] = rnd();
		if (rnd() % 20 == 0)
			l->out_flags = rnd();
		break;
	}
	case 6: {	/* query_frames: real frames, the end, and beyond */
		struct pinctl_frames *q = (void *)f;
		uint64_t pfns[] = { 0, 1, 0x9f, 0xa0, 0x100, 0x1000, 0x7fff0,
				    0x80000, 0x8000000, 1ULL << 52,
				    UINT64_MAX - 2, UINT64_MAX };

		q->first_pfn = rnd() % 2 ? rnd() % 0x80000 :
			       pick(pfns, ARRAY_SIZE(pfns));
		q->nr_frames = rnd() % 4 ? 1 + rnd() % 96 :
			       pick(nrs, ARRAY_SIZE(nrs));
		q->frames = rnd() % 4 ? (uintptr_t)fp->buf + 400 * psz :
			    pick(ptrs, ARRAY_SIZE(ptrs));
		if (rnd() % 16 == 0)
			q->flags = rnd();
		if (rnd() % 20 == 0)
			q->reserved[rnd() % 3] = rnd();
		if (rnd() % 20 == 0)
			q->max_pfn = rnd();
		break;
	}
	default:
		for (int i = 0; i < 12; i++)
			f[i] = rnd();
		break;
	}
	memcpy(arg, f, psz - off < sizeof(f) ? psz - off : sizeof(f));

	switch (rnd() % 20) {
	case 0:
		arg = NULL;
		break;
	case 1:
		arg = fp->hole;
		break;
	case 2:
		arg = (void *)0xffff888000000000UL;
		break;
	case 3:
		arg = fp->ro;
		break;
	default:
		break;
	}

	r = ioctl(fd, cmd, arg);
	if (!fz)
		return;
	if (!r) {
		__atomic_add_fetch(&fz->ok, 1, __ATOMIC_RELAXED);
		for (size_t i = 0; i < ARRAY_SIZE(fuzz_cmds); i++)
			if (cmd == fuzz_cmds[i])
				__atomic_add_fetch(&fz->cmd_ok[i], 1,
						   __ATOMIC_RELAXED);
	} else if (errno < 160) {
		__atomic_add_fetch(&fz->errs[errno], 1, __ATOMIC_RELAXED);
	}
	if (__atomic_add_fetch(&fz->ioctls, 1, __ATOMIC_RELAXED) >=
	    fz->target_ioctls)
		fz->stop = 1;
}

static char *fuzz_argbuf(void)
{
	char *a = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED || mprotect(a + psz, psz, PROT_NONE))
		return NULL;
	return a;
}

static void *fuzz_ioctl_thread(void *arg)
{
	struct fuzz_proc *fp = arg;
	char *argbuf = fuzz_argbuf();

	rng_state = fp->seed ^ ((uint64_t)gettid() << 17) ^ 0x9e3779b97f4a7c15ULL;
	while (argbuf && !fz->stop)
		fuzz_one(fp, argbuf);
	return NULL;
}

/*
 * A remote target: a forked copy of the worker (its buf COW-shared). It
 * keeps no /dev/pinctl file open, so killing it only takes its memory away.
 */
static pid_t fuzz_spawn_target(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	return pid;
}

static void fuzz_new_target(struct fuzz_proc *fp)
{
	pid_t old = fp->target, t = fuzz_spawn_target();
	int mfd = t > 0 ? mem_open(t) : -1, oldfd;

	/* Killed while the ioctl threads may be pinning in it. */
	if (old > 0) {
		kill(old, SIGKILL);
		waitpid(old, NULL, 0);
	}
	fp->target = t;
	oldfd = __atomic_exchange_n(&fp->target_mem, mfd > 0 ? mfd : -1,
				    __ATOMIC_RELAXED);
	if (oldfd > 0)
		close(oldfd);
	__atomic_add_fetch(&fz->targets, 1, __ATOMIC_RELAXED);
}

/*
 * The chaos thread: changes the memory and the files under the ioctl
 * threads' feet: munmap/mremap/MADV_DONTNEED/PAGEOUT/COLLAPSE of pinned
 * ranges, fork and exec of holders of the files, remote targets killed
 * mid-pin, files closed, reopened and dup2()ed.
 */
static void *fuzz_chaos_thread(void *arg)
{
	struct fuzz_proc *fp = arg;
	char *argbuf = fuzz_argbuf();

	rng_state = fp->seed ^ 0x5bd1e995ULL;
	while (argbuf && !fz->stop) {
		size_t pg = rnd() % FUZZ_BUF_PAGES, n = 1 + rnd() % 32;
		char *at = fp->buf + pg * psz;
		pid_t pid;

		if (pg + n > FUZZ_BUF_PAGES)
			n = FUZZ_BUF_PAGES - pg;
		switch (rnd() % 12) {
		case 0:
			munmap(at, n * psz);
			mmap(at, n * psz, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 1:
			if (mremap(at, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED,
				   fp->spare) == fp->spare)
				mremap(fp->spare, psz, psz,
				       MREMAP_MAYMOVE | MREMAP_FIXED, at);
			break;
		case 2:
			madvise(at, n * psz, MADV_DONTNEED);
			break;
		case 3:
			madvise(at, n * psz, MADV_PAGEOUT);
			break;
		case 4:
			madvise(fp->buf, FUZZ_BUF_PAGES * psz, MADV_COLLAPSE);
			break;
		case 5:
			for (size_t i = 0; i < n; i++)
				at[i * psz] = 1;
			break;
		case 6:
			pid = fork();
			if (!pid) {
				rng_state ^= getpid();
				for (int i = 0; i < 200; i++)
					fuzz_one(fp, argbuf);
				_exit(0);
			}
			if (pid > 0) {
				__atomic_add_fetch(&fz->forks, 1,
						   __ATOMIC_RELAXED);
				waitpid(pid, NULL, 0);
			}
			break;
		case 7:
			pid = fork();
			if (!pid) {
				char fdarg[16], seed[32];
				char *const av[] = { "pinctl_helper", "--fuzz-exec",
					       fdarg, seed, NULL };

				/* Not close-on-exec: the new image holds it. */
				dup2(fp->fds[rnd() % 4], 100);
				snprintf(fdarg, sizeof(fdarg), "100");
				snprintf(seed, sizeof(seed), "%llu",
					 (unsigned long long)rnd());
				execv(helper_path(), av);
				_exit(1);
			}
			if (pid > 0) {
				__atomic_add_fetch(&fz->execs, 1,
						   __ATOMIC_RELAXED);
				waitpid(pid, NULL, 0);
			}
			break;
		case 8:
			fuzz_new_target(fp);
			break;
		case 9: {
			int i = rnd() % 4, nfd = dev_open();

			if (nfd >= 0) {
				dup2(nfd, fp->fds[i]);
				close(nfd);
			}
			break;
		}
		case 10: {
			int i = rnd() % 4, j = rnd() % 4;

			if (i != j)
				dup3(fp->fds[i], fp->fds[j], O_CLOEXEC);
			break;
		}
		default:
			usleep(200);
			break;
		}
		__atomic_add_fetch(&fz->chaos, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* argv[1] "--fuzz-exec FD SEED": an exec'ed holder of a /dev/pinctl file. */
int fuzz_exec_main(const char *fdarg, const char *seed)
{
	struct fuzz_proc fp = { .self_mem = mem_open(0), .target_mem = -1 };
	char *argbuf = fuzz_argbuf();

	fp.buf = map_aligned(FUZZ_BUF_PAGES * psz,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fp.ro = mmap(NULL, 4 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	fp.hole = fp.ro;
	for (int i = 0; i < 4; i++)
		fp.fds[i] = atoi(fdarg);
	rng_state = strtoull(seed, NULL, 0) | 1;
	if (!fp.buf || !argbuf)
		return 1;
	memset(fp.buf, 1, 64 * psz);
	for (int i = 0; i < 200; i++)
		fuzz_one(&fp, argbuf);
	return 0;
}

/* One worker process: 3 ioctl threads and the chaos thread. */
static void fuzz_worker(uint64_t seed, bool user)
{
	struct fuzz_proc fp = { .seed = seed, .target_mem = -1 };
	pthread_t t[4];

	if (user && become_nobody())
		_exit(10);
	fp.buf = map_aligned(FUZZ_BUF_PAGES * psz,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fp.ro = mmap(NULL, 4 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	fp.hole = mmap(NULL, 4 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	fp.spare = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (!fp.buf || fp.ro == MAP_FAILED || fp.hole == MAP_FAILED ||
	    fp.spare == MAP_FAILED)
		_exit(11);
	munmap(fp.hole + psz, psz);
	madvise(fp.buf, FUZZ_BUF_PAGES * psz, MADV_HUGEPAGE);
	memset(fp.buf, 7, FUZZ_BUF_PAGES * psz);
	fp.self_mem = mem_open(0);
	for (int i = 0; i < 4; i++) {
		fp.fds[i] = dev_open();
		if (fp.fds[i] < 0)
			_exit(12);
	}
	fuzz_new_target(&fp);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, i < 3 ? fuzz_ioctl_thread :
				   fuzz_chaos_thread, &fp))
			_exit(13);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (fp.target > 0) {
		kill(fp.target, SIGKILL);
		waitpid(fp.target, NULL, 0);
	}
	_exit(0);
}

static const char *const bad_kmsg[] = {
	"BUG", "WARNING:", "Oops", "general protection fault",
	"Call Trace", "UBSAN", "KASAN", "Bad page", "refcount_t:",
	"list_add corruption", "list_del corruption", "Poison overwritten",
	"Object padding overwritten", "Redzone overwritten",
	"no longer grows the stack",
};

/* Kernel log records since @kfd was opened that look like trouble. */
int kmsg_bad_lines(int kfd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;

	while ((n = read(kfd, rec, sizeof(rec) - 1)) != 0) {
		char *msg;

		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg = strtok(msg, "\n");
		for (size_t i = 0; msg && i < ARRAY_SIZE(bad_kmsg); i++)
			if (strstr(msg, bad_kmsg[i])) {
				bad++;
				diag("  suspicious: %s", msg);
				break;
			}
	}
	return bad;
}

/* Every process's VmPin; the number of processes with a non-zero one. */
static int vmpin_nonzero_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int bad = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		long kb;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		kb = status_kb(atoi(e->d_name), "VmPin");
		if (kb > 0) {
			diag("  pid %s: VmPin %ld kB", e->d_name, kb);
			bad++;
		}
	}
	closedir(d);
	return bad;
}

static int reload_module(void)
{
	int kfd;

	if (syscall(SYS_delete_module, "pinctl", O_NONBLOCK))
		return -errno;
	if (!ko_path)
		return -ENOENT;
	kfd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	if (syscall(SYS_finit_module, kfd, "", 0)) {
		close(kfd);
		return -errno;
	}
	close(kfd);
	for (int i = 0; i < 100 && access(dev_path, F_OK); i++)
		usleep(10000);
	return 0;
}

#define SWAP_IMG "/tmp/pinctl-swap.img"

#define SWAP_BYTES (32UL << 20)

/*
 * A swap device for the fuzz, so that MADV_PAGEOUT of (pinned) ranges really
 * writes pages out: a loop device over a file, with a version 1 swap header
 * (what mkswap writes). Its path in @dev; 0 or -errno.
 */
static int fuzz_swap_on(char *dev, size_t len)
{
	char *hdr = calloc(1, psz);
	uint32_t *info = (uint32_t *)(hdr + 1024);
	int ctl, nr, img = -1, loop = -1, ret = 0;

	if (!hdr)
		return -ENOMEM;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	nr = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	if (ctl >= 0)
		close(ctl);
	if (nr < 0) {
		ret = -errno;
		goto out;
	}
	snprintf(dev, len, "/dev/loop%d", nr);
	img = open(SWAP_IMG, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	info[0] = 1;				/* version */
	info[1] = SWAP_BYTES / psz - 1;		/* last_page */
	memcpy(hdr + psz - 10, "SWAPSPACE2", 10);
	if (img < 0 || ftruncate(img, SWAP_BYTES) ||
	    pwrite(img, hdr, psz, 0) != psz) {
		ret = -errno;
		goto out;
	}
	for (int i = 0; i < 100 && loop < 0; i++) {
		loop = open(dev, O_RDWR | O_CLOEXEC);
		if (loop < 0)
			usleep(10000);
	}
	if (loop < 0 || ioctl(loop, LOOP_SET_FD, img) || swapon(dev, 0))
		ret = -errno;
out:
	if (loop >= 0)
		close(loop);
	if (img >= 0)
		close(img);
	free(hdr);
	return ret;
}

static void fuzz_swap_off(const char *dev)
{
	int loop;

	swapoff(dev);
	loop = open(dev, O_RDWR | O_CLOEXEC);
	if (loop >= 0) {
		ioctl(loop, LOOP_CLR_FD, 0);
		close(loop);
	}
	unlink(SWAP_IMG);
}

/*
 * A fuzz phase: 3 processes x (3 ioctl threads + 1 chaos thread), as
 * nobody or root, until @target ioctls or @max_sec; panic_on_warn=1
 * meanwhile. Then: the kernel's pin counters balanced, Mlocked and
 * Unevictable at their baseline, no VmPin anywhere, no suspicious kernel
 * log line, and the module unloads and loads again.
 */
static int fuzz_phase(const char *name, bool user, long target, int max_sec,
		      long *ran)
{
	long mlocked = meminfo_kb("Mlocked"), unevict = meminfo_kb("Unevictable");
	long panic_on_warn = read_long_file("/proc/sys/kernel/panic_on_warn");
	int kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *env = getenv("PINCTL_FUZZ_SEED");
	struct timespec t0, t;
	char swapdev[32] = "";
	long swapped = 0;
	pid_t w[3];
	uint64_t seed;
	long acq, rel;
	int r;

	CHECK(fz && kfd >= 0);
	r = fuzz_swap_on(swapdev, sizeof(swapdev));
	if (r) {
		diag("%s: no swap device (%s): MADV_PAGEOUT moves nothing",
		     name, strerror(-r));
		swapdev[0] = 0;
	}
	lseek(kfd, 0, SEEK_END);
	memset(fz, 0, sizeof(*fz));
	fz->target_ioctls = target;
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^
		     ((uint64_t)getpid() << 32);
	diag("%s: seed %#llx (PINCTL_FUZZ_SEED)", name,
	     (unsigned long long)seed);
	if (user)
		dev_mode_0666();
	CHECK(write_long_file("/proc/sys/kernel/panic_on_warn", 1) == 0);
	all_cpus();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++) {
		w[i] = fork();
		CHECK(w[i] >= 0);
		if (!w[i])
			fuzz_worker(seed + i * 0x1000193, user);
	}
	for (int left = 3; left > 0;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid > 0) {
			for (int i = 0; i < 3; i++)
				if (pid == w[i])
					left--;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= max_sec)
			fz->stop = 1;
		if (swapdev[0] && meminfo_kb("SwapTotal") -
				  meminfo_kb("SwapFree") > swapped)
			swapped = meminfo_kb("SwapTotal") -
				  meminfo_kb("SwapFree");
		usleep(20000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	write_long_file("/proc/sys/kernel/panic_on_warn", panic_on_warn);
	if (swapdev[0]) {
		diag("%s: up to %ld kB swapped out by MADV_PAGEOUT", name,
		     swapped);
		fuzz_swap_off(swapdev);
	}
	if (user)
		dev_mode_0600();
	*ran += fz->ioctls;
	diag("%s: %ld ioctls in %lds (%ld ok; EINVAL %ld, EFAULT %ld, ENOTTY %ld, ENOENT %ld, ENOSPC %ld, ESRCH %ld, EPERM %ld, EBADF %ld, ENOMEM %ld, EOVERFLOW %ld)",
	     name, fz->ioctls, (long)(t.tv_sec - t0.tv_sec), fz->ok,
	     fz->errs[EINVAL], fz->errs[EFAULT], fz->errs[ENOTTY],
	     fz->errs[ENOENT], fz->errs[ENOSPC], fz->errs[ESRCH],
	     fz->errs[EPERM], fz->errs[EBADF], fz->errs[ENOMEM],
	     fz->errs[EOVERFLOW]);
	diag("%s: succeeded: VERSION %ld, PIN %ld, UNPIN %ld, QUERY %ld, BENCH %ld, LIST %ld, QUERY_FRAMES %ld; %ld forks, %ld execs, %ld targets killed mid-pin, %ld chaos steps",
	     name, fz->cmd_ok[0], fz->cmd_ok[1], fz->cmd_ok[2], fz->cmd_ok[3],
	     fz->cmd_ok[4], fz->cmd_ok[5], fz->cmd_ok[6], fz->forks, fz->execs,
	     fz->targets, fz->chaos);
	CHECK(fz->cmd_ok[1] > 0 && fz->cmd_ok[2] > 0 && fz->cmd_ok[3] > 0);
	CHECK(fz->cmd_ok[5] > 0);
	/* QUERY_FRAMES answers only root's descriptors. */
	CHECKF(user ? fz->cmd_ok[6] == 0 : fz->cmd_ok[6] > 0,
	       "QUERY_FRAMES succeeded %ld times", fz->cmd_ok[6]);
	CHECK(fz->forks > 0 && fz->execs > 0 && fz->targets > 3);

	CHECK(write_long_file("/proc/sys/vm/stat_refresh", 1) == 0);
	acq = vmstat_value("nr_foll_pin_acquired");
	rel = vmstat_value("nr_foll_pin_released");
	diag("%s: nr_foll_pin_acquired %ld, released %ld; Mlocked %ld -> %ld kB, Unevictable %ld -> %ld kB",
	     name, acq, rel, mlocked, meminfo_kb("Mlocked"), unevict,
	     meminfo_kb("Unevictable"));
	CHECK(acq >= 0 && acq == rel);
	CHECK(meminfo_kb("Mlocked") == mlocked);
	CHECK(meminfo_kb("Unevictable") == unevict);
	CHECK(vmpin_nonzero_processes() == 0);
	r = kmsg_bad_lines(kfd);
	close(kfd);
	CHECKF(r == 0, "%d suspicious kernel log lines", r);
	r = reload_module();
	CHECKF(r == 0, "rmmod and insmod after %s: %s", name, strerror(-r));
	return PASS;
}

/*
 * >= 100k ioctls per kernel: a plain user at a 0666 device, then root
 * (GET and short-term pins, PFNs).
 */
int test_fuzz_processes_threads_fork_exec_remote(void)
{
	long ran = 0;

	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(fz != MAP_FAILED);
	CHECK(fuzz_phase("fuzz as nobody", true, 200000, 100, &ran) == PASS);
	CHECK(fuzz_phase("fuzz as root", false, 100000, 60, &ran) == PASS);
	diag("fuzz: %ld ioctls on this kernel", ran);
	CHECKF(ran >= 100000, "only %ld ioctls", ran);
	return PASS;
}
