// SPDX-License-Identifier: GPL-2.0
/*
 * LIST: files, pins and owners, what a plain user sees, and races with PIN,
 * UNPIN and close.
 */
#include "harness.h"

/*
 * Every LIST record visible to this caller, gathered @batch at a time
 * through the cursor, which must stop just after the last record each
 * call wrote. 0 with *@out (malloc()ed) and *@n, or -errno (-EPROTO for a
 * wrong count or cursor).
 */
static int list_all(int fd, unsigned int batch, struct pinctl_list_entry **out,
		    size_t *n)
{
	struct pinctl_list l = { .count = batch };
	struct pinctl_list_entry *e = NULL;
	uint64_t cursor_file = 0, cursor_handle = 0;
	size_t cap = 0, have = 0;
	int calls = 0;

	for (;;) {
		if (have + batch > cap) {
			cap = (have + batch) * 2;
			e = realloc(e, cap * sizeof(*e));
			if (!e)
				return -ENOMEM;
		}
		l.entries = (uintptr_t)(e + have);
		l.count = batch;
		if (ioctl(fd, PINCTL_IOC_LIST, &l)) {
			int err = -errno;

			free(e);
			return err;
		}
		if (l.count > batch) {
			free(e);
			return -EPROTO;
		}
		/* The cursor is just after the last record written. */
		if (l.count &&
		    (l.cursor_file != e[have + l.count - 1].file_id ||
		     l.cursor_handle != e[have + l.count - 1].handle + 1)) {
			diag("cursor %llu/%llu after file %llu handle %llu",
			     (unsigned long long)l.cursor_file,
			     (unsigned long long)l.cursor_handle,
			     (unsigned long long)e[have + l.count - 1].file_id,
			     (unsigned long long)e[have + l.count - 1].handle);
			free(e);
			return -EPROTO;
		}
		if (!l.count && (l.cursor_file != cursor_file ||
				 l.cursor_handle != cursor_handle)) {
			diag("cursor moved to %llu/%llu past no record",
			     (unsigned long long)l.cursor_file,
			     (unsigned long long)l.cursor_handle);
			free(e);
			return -EPROTO;
		}
		cursor_file = l.cursor_file;
		cursor_handle = l.cursor_handle;
		have += l.count;
		if (l.out_flags & PINCTL_LIST_END)
			break;
		if (++calls > 100000) {	/* the cursor does not advance */
			free(e);
			return -ELOOP;
		}
	}
	*out = e;
	*n = have;
	return 0;
}

static const struct pinctl_list_entry *
list_find(const struct pinctl_list_entry *e, size_t n, uint64_t file_id,
	  uint64_t handle)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].file_id == file_id && e[i].handle == handle)
			return &e[i];
	return NULL;
}

/* The file record this caller's @fd is (PINCTL_LIST_SELF), or NULL. */
static const struct pinctl_list_entry *
list_self(const struct pinctl_list_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((e[i].flags & PINCTL_LIST_SELF) &&
		    (e[i].flags & PINCTL_LIST_FILE))
			return &e[i];
	return NULL;
}

/* The records are in (file_id, handle) order, each pin after its file. */
static int list_ordered(const struct pinctl_list_entry *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (e[i].file_id < e[i - 1].file_id ||
		    (e[i].file_id == e[i - 1].file_id &&
		     e[i].handle <= e[i - 1].handle)) {
			diag("record %zu (file %llu handle %llu) after file %llu handle %llu",
			     i, (unsigned long long)e[i].file_id,
			     (unsigned long long)e[i].handle,
			     (unsigned long long)e[i - 1].file_id,
			     (unsigned long long)e[i - 1].handle);
			return -1;
		}
	}
	return 0;
}

/* A range open_pin_list() pins: PIN @flags (REMOTE through @mem_fd). */
struct list_pin {
	char *addr;
	uint64_t pages;
	uint32_t flags;
	int mem_fd;
	uint64_t handle;	/* set by open_pin_list() */
};

/*
 * Opens /dev/pinctl, pins each of @pins[0..@npins) through it and lists
 * every record this caller then sees (list_all, PINCTL_LIST_MAX a call).
 * The fd, with *@e (malloc()ed) and *@n; or -errno, nothing left open.
 */
static int open_pin_list(struct list_pin *pins, size_t npins,
			 struct pinctl_list_entry **e, size_t *n)
{
	int fd = dev_open(), r = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < npins && !r; i++) {
		r = do_pin(fd, pins[i].addr, pins[i].pages, pins[i].flags,
			   pins[i].mem_fd, NULL, &pins[i].handle);
		if (r)
			diag("PIN %zu of %zu (%llu pages, flags %#x): %s", i + 1,
			     npins, (unsigned long long)pins[i].pages,
			     pins[i].flags, strerror(-r));
	}
	if (!r)
		r = list_all(fd, PINCTL_LIST_MAX, e, n);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static int child_pin_and_wait(int ready_w, char *mem)
{
	int fd = dev_open();
	uint64_t h;
	char c = 'r';

	if (fd < 0 || do_pin(fd, mem, 3, PINCTL_PIN_LONGTERM, 0, NULL, &h))
		_exit(1);
	if (write(ready_w, &c, 1) != 1)
		_exit(2);
	pause();
	_exit(0);
}

/*
 * Root sees every open file with its opener and every pin with its
 * address, flags, target and charge: our own file (local, GET and remote
 * pins) and a child's, whose file disappears when the child exits. The
 * cursor gives the same records one at a time as all at once.
 */
int test_list_shows_files_pins_and_owners(void)
{
	struct pinctl_list_entry *e = NULL, *e1 = NULL;
	const struct pinctl_list_entry *self, *r;
	char *p = map_small(8), *cm = map_small(4);
	uint64_t h_local, h_get, h_remote;
	struct pinctl_version v;
	size_t n, n1;
	int fd, pfd[2], mem_fd;
	char comm[16] = "", c;
	pid_t child;

	CHECK(p && cm && pipe(pfd) == 0);
	prctl(PR_GET_NAME, comm);
	child = fork();
	CHECK(child >= 0);
	if (!child)
		child_pin_and_wait(pfd[1], cm);
	CHECK(read(pfd[0], &c, 1) == 1);
	mem_fd = mem_open(child);
	CHECK(mem_fd >= 0);

	{
		struct list_pin pins[] = {
			{ .addr = p, .pages = 4,
			  .flags = PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE },
			{ .addr = p + 6 * psz, .pages = 1,
			  .flags = PINCTL_PIN_GET },
			{ .addr = cm + psz, .pages = 2,
			  .flags = PINCTL_PIN_LONGTERM | PINCTL_PIN_REMOTE,
			  .mem_fd = mem_fd },
		};

		fd = open_pin_list(pins, 3, &e, &n);
		CHECKF(fd >= 0, "open, pin and list: %s", strerror(-fd));
		h_local = pins[0].handle;
		h_get = pins[1].handle;
		h_remote = pins[2].handle;
	}
	CHECK(xioctl(fd, PINCTL_IOC_VERSION, &v) == 0);
	CHECKF(v.features & PINCTL_FEAT_LIST, "features %#llx",
	       (unsigned long long)v.features);
	CHECK(list_ordered(e, n) == 0);
	self = list_self(e, n);
	CHECK(self);
	CHECKF(self->opener_tgid == getpid() && self->opener_uid == 0 &&
	       !strncmp(self->opener_comm, comm, 16) &&
	       self->nr_handles == 3 && self->nr_pages == 7 &&
	       self->handle == 0 && self->addr == 0,
	       "self: tgid %d uid %u comm '%.16s' handles %u pages %llu",
	       self->opener_tgid, self->opener_uid, self->opener_comm,
	       self->nr_handles, (unsigned long long)self->nr_pages);

	r = list_find(e, n, self->file_id, h_local);
	CHECK(r && !(r->flags & PINCTL_LIST_FILE));
	CHECKF(r->addr == (uintptr_t)p && r->nr_pages == 4 &&
	       r->pin_flags == (PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE) &&
	       r->target_tgid == getpid() && r->pinner_tgid == getpid() &&
	       r->charged_uid == 0 && r->opener_tgid == getpid() &&
	       !(r->flags & (PINCTL_LIST_ADDR_HIDDEN |
			     PINCTL_LIST_TARGET_EXITED)),
	       "local pin: addr %#llx pages %llu flags %#x/%#x target %d",
	       (unsigned long long)r->addr, (unsigned long long)r->nr_pages,
	       r->pin_flags, r->flags, r->target_tgid);
	r = list_find(e, n, self->file_id, h_get);
	CHECK(r && r->addr == (uintptr_t)(p + 6 * psz) && r->nr_pages == 1 &&
	      r->pin_flags == PINCTL_PIN_GET);
	r = list_find(e, n, self->file_id, h_remote);
	CHECKF(r && r->addr == (uintptr_t)(cm + psz) && r->nr_pages == 2 &&
	       r->target_tgid == child && r->pinner_tgid == getpid(),
	       "remote pin: target %d (child %d)", r ? r->target_tgid : -1,
	       child);

	/* The child's own file and pin. */
	r = NULL;
	for (size_t i = 0; i < n; i++)
		if ((e[i].flags & PINCTL_LIST_FILE) && e[i].opener_tgid == child)
			r = &e[i];
	CHECK(r && !(r->flags & PINCTL_LIST_SELF) && r->nr_handles == 1 &&
	      r->nr_pages == 3);
	{
		const struct pinctl_list_entry *cp = list_find(e, n, r->file_id, 1);

		CHECKF(cp && cp->addr == (uintptr_t)cm && cp->nr_pages == 3 &&
		       cp->target_tgid == child && cp->pinner_tgid == child,
		       "child pin %p", (void *)cp);
	}

	/* One record per call walks the same records. */
	CHECK(list_all(fd, 1, &e1, &n1) == 0);
	CHECKF(n1 == n && !memcmp(e, e1, n * sizeof(*e)),
	       "%zu records one at a time, %zu at once", n1, n);
	free(e1);

	/* UNPIN and the child's exit take their records away. */
	CHECK(do_unpin(fd, h_local, NULL) == 0);
	kill(child, SIGKILL);
	CHECK(waitpid(child, NULL, 0) == child);
	free(e);
	CHECK(list_all(fd, 7, &e, &n) == 0);
	self = list_self(e, n);
	CHECK(self && self->nr_handles == 2 && self->nr_pages == 3);
	CHECK(!list_find(e, n, self->file_id, h_local));
	for (size_t i = 0; i < n; i++)
		CHECKF(e[i].opener_tgid != child, "the dead child's file is listed");
	/* The remote pin outlives its target, which LIST says. */
	r = list_find(e, n, self->file_id, h_remote);
	CHECKF(r && (r->flags & PINCTL_LIST_TARGET_EXITED) &&
	       r->target_tgid == 0, "remote pin after the target's exit: %p flags %#x",
	       (void *)r, r ? r->flags : 0);
	free(e);
	CHECK(do_unpin_all(fd, NULL) == 0);
	close(mem_fd);
	close(fd);
	return PASS;
}

/* LIST's struct and cursor are checked like every other ioctl's. */
int test_list_bad_input_einval(void)
{
	struct pinctl_list_entry buf[4];
	char *none = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	int fd = dev_open();
	struct pinctl_list ok = { .entries = (uintptr_t)buf, .count = 4 };
	struct pinctl_list l;

	CHECK(fd >= 0 && none != MAP_FAILED);
	l = ok;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == 0 && l.count >= 1);
	l = ok;
	l.count = 0;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok;
	l.count = PINCTL_LIST_MAX + 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok;
	l.count = UINT32_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	for (int b = 0; b < 32; b++) {
		l = ok;
		l.flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
		l = ok;
		l.out_flags = 1U << b;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	}
	l = ok;
	l.reserved0 = 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	for (int i = 0; i < 3; i++) {
		l = ok;
		l.reserved[i] = 1ULL << 63;
		CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	}
	l = ok;
	l.cursor_file = 1ULL << 32;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok;
	l.cursor_handle = (1ULL << 32) + 1;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	l = ok;
	l.cursor_handle = UINT64_MAX;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EINVAL);
	/* The end of the id space is a valid, empty place to start. */
	l = ok;
	l.cursor_file = UINT32_MAX;
	l.cursor_handle = 1ULL << 32;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == 0 && l.count == 0 &&
	      (l.out_flags & PINCTL_LIST_END));
	/* Bad buffers: our own file's record is there to be written. */
	l = ok;
	l.entries = 0;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	l = ok;
	l.entries = (uintptr_t)none;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	l = ok;
	l.entries = 0xffff888000000000ULL;
	CHECK(xioctl(fd, PINCTL_IOC_LIST, &l) == -EFAULT);
	CHECK(xioctl(fd, PINCTL_IOC_LIST, none) == -EFAULT);
	CHECK(xioctl(fd, PINCTL_IOC_LIST, NULL) == -EFAULT);
	close(fd);
	return PASS;
}

/*
 * Without CAP_SYS_ADMIN, as /proc keeps another user's layout: nobody sees
 * its own files and the pins charged to it, never root's file or pins;
 * addresses only of its own pins. Root's file, which nobody pins into
 * (inherited across fork), shows nobody its pin but not the file; root's
 * pin in nobody's file (passed over SCM_RIGHTS) shows without its address.
 */
int test_user_list_shows_only_own_uid(void)
{
	struct pinctl_list_entry *e;
	const struct pinctl_list_entry *r;
	char *p = map_small(8);
	struct list_pin root_pin = {
		.addr = p, .pages = 2, .flags = PINCTL_PIN_LONGTERM,
	};
	int root_fd, sv[2], st;
	uint64_t h_root;
	size_t n;
	pid_t child;

	CHECK(p && cap_sys_admin());
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	root_fd = open_pin_list(&root_pin, 1, &e, &n);
	CHECKF(root_fd >= 0, "open, pin and list: %s", strerror(-root_fd));
	h_root = root_pin.handle;
	r = list_find(e, n, list_self(e, n)->file_id, h_root);
	CHECK(r && r->addr == (uintptr_t)p);
	free(e);
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		int own, got = 0;
		uint64_t h_in_root, h_own;
		char c;

		if (become_nobody())
			_exit(20);
		own = dev_open();
		if (own < 0 || send_fd(sv[1], own))
			_exit(21);
		if (do_pin(root_fd, p + 4 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			   NULL, &h_in_root) ||
		    do_pin(own, p + 5 * psz, 2, PINCTL_PIN_LONGTERM, 0, NULL,
			   &h_own))
			_exit(22);
		/* Wait for root's pin in our file. */
		if (read(sv[1], &c, 1) != 1)
			_exit(23);
		if (list_all(own, 3, &e, &n))
			_exit(24);
		for (size_t i = 0; i < n; i++) {
			diag("nobody sees: file %llu handle %llu flags %#x opener %d uid %u charged %u addr %#llx",
			     (unsigned long long)e[i].file_id,
			     (unsigned long long)e[i].handle, e[i].flags,
			     e[i].opener_tgid, e[i].opener_uid,
			     e[i].charged_uid, (unsigned long long)e[i].addr);
			if ((e[i].flags & PINCTL_LIST_FILE) &&
			    e[i].opener_uid != NOBODY)
				_exit(30);	/* root's file */
			if (!(e[i].flags & PINCTL_LIST_FILE) &&
			    e[i].charged_uid != NOBODY &&
			    e[i].opener_uid != NOBODY)
				_exit(31);	/* root's pin in root's file */
			if (e[i].charged_uid == 0 && e[i].opener_uid == NOBODY &&
			    !(e[i].flags & PINCTL_LIST_FILE)) {
				if (!(e[i].flags & PINCTL_LIST_ADDR_HIDDEN) ||
				    e[i].addr)
					_exit(32);
				got |= 1;
			}
			if (e[i].handle == h_in_root &&
			    e[i].charged_uid == NOBODY && e[i].opener_uid == 0) {
				if (e[i].addr != (uintptr_t)(p + 4 * psz))
					_exit(33);
				got |= 2;
			}
			if (e[i].handle == h_own &&
			    e[i].opener_uid == NOBODY &&
			    e[i].charged_uid == NOBODY) {
				if (e[i].addr != (uintptr_t)(p + 5 * psz) ||
				    (e[i].flags & PINCTL_LIST_ADDR_HIDDEN))
					_exit(34);
				got |= 4;
			}
			if ((e[i].flags & PINCTL_LIST_FILE) &&
			    (e[i].flags & PINCTL_LIST_SELF))
				got |= 8;
		}
		_exit(got == 15 ? 0 : 40 + got);
	}
	{
		int theirs = recv_fd(sv[0]);
		uint64_t h;
		char c = 'g';

		CHECK(theirs >= 0);
		CHECK(do_pin(theirs, p + 7 * psz, 1, PINCTL_PIN_LONGTERM, 0,
			     NULL, &h) == 0);
		CHECK(write(sv[0], &c, 1) == 1);
		CHECK(waitpid(child, &st, 0) == child);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "nobody's view: status %#x (30 root's file, 31 root's pin, 32 address shown, 33/34 own address wrong, 40+ missing records)",
		       st);
		/* Root sees it all, nobody's addresses too. */
		CHECK(list_all(root_fd, 64, &e, &n) == 0);
		r = list_find(e, n, list_self(e, n)->file_id, h_root);
		CHECK(r && r->addr == (uintptr_t)p);
		for (size_t i = 0; i < n; i++)
			CHECK(!(e[i].flags & PINCTL_LIST_ADDR_HIDDEN));
		free(e);
		close(theirs);
	}
	CHECK(do_unpin_all(root_fd, NULL) == 0);
	close(root_fd);
	return PASS;
}

/* The setuid-root copy of the helper the address test starts. */
#define LIST_SUID_PATH "/tmp/pinctl-suid-pin"

/*
 * As nobody: pins two pages of its own and starts three processes that
 * each pin through a file of their own: a dumpable one, one that made
 * itself non-dumpable and a setuid-root program. Says "r" on @sock, waits
 * for root to open a file, lists two records a call and checks each pin's
 * address. 0, or the code of the first wrong record (see the caller).
 */
static int nobody_lists_addresses(int sock)
{
	char *own = map_small(2), *m1 = map_small(4), *m2 = map_small(4);
	struct pinctl_list_entry *e = NULL;
	pid_t kids[3] = { 0, 0, 0 };
	int pfd[2], fd, ret = 0, seen = 0;
	char c, fdarg[16];
	size_t n = 0;

	if (become_nobody() || !own || !m1 || !m2 || pipe(pfd))
		return 10;
	fd = dev_open();
	if (fd < 0 || do_pin(fd, own, 2, PINCTL_PIN_LONGTERM, 0, NULL, NULL))
		return 11;
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			ret = 12;
			goto out;
		}
		if (kids[i])
			continue;
		if (i == 0)
			child_pin_and_wait(pfd[1], m1);
		if (i == 1) {
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
				_exit(1);
			child_pin_and_wait(pfd[1], m2);
		}
		snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
		execl(LIST_SUID_PATH, "pinctl_helper", "--suid-pin", fdarg,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 3; i++) {
		if (read(pfd[0], &c, 1) != 1) {
			ret = 13;
			goto out;
		}
	}
	if (write(sock, "r", 1) != 1 || read(sock, &c, 1) != 1) {
		ret = 14;
		goto out;
	}
	if (list_all(fd, 2, &e, &n)) {
		ret = 15;
		goto out;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		const struct pinctl_list_entry *x = &e[i];
		bool hidden = x->flags & PINCTL_LIST_ADDR_HIDDEN;

		if (x->flags & PINCTL_LIST_FILE)
			continue;
		diag("nobody sees a pin by %d: addr %#llx flags %#x", x->pinner_tgid,
		     (unsigned long long)x->addr, x->flags);
		if (x->pinner_tgid == getpid()) {
			ret = !hidden && x->addr == (uintptr_t)own ? 0 : 20;
			seen |= 1;
		} else if (x->pinner_tgid == kids[0]) {
			ret = !hidden && x->addr == (uintptr_t)m1 ? 0 : 21;
			seen |= 2;
		} else if (x->pinner_tgid == kids[1]) {
			ret = hidden && !x->addr ? 0 : 22;
			seen |= 4;
		} else if (x->pinner_tgid == kids[2]) {
			ret = hidden && !x->addr ? 0 : 23;
			seen |= 8;
		}
	}
	if (!ret && seen != 15)
		ret = 30 + seen;
out:
	free(e);
	for (int i = 0; i < 3; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	}
	return ret;
}

/*
 * A pin's address shows as /proc/PID/maps would show it, whoever it is
 * charged to: nobody sees the addresses of its own pins and of its other
 * dumpable process, not of its process that made itself non-dumpable nor
 * of a setuid-root program it started, though all four pins are nobody's
 * and listed. A file root opens after them, which nobody does not see,
 * leaves nobody's cursor just after its last record (list_all checks).
 */
int test_user_list_shows_addresses_as_proc_maps_does(void)
{
	int sv[2], st, r, late;
	pid_t user;
	char c;

	CHECK(cap_sys_admin());
	r = make_suid_copy(LIST_SUID_PATH);
	SKIP_IF(r, "cannot make a setuid copy at %s: %s", LIST_SUID_PATH,
		strerror(-r));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	user = fork();
	CHECK(user >= 0);
	if (!user)
		_exit(nobody_lists_addresses(sv[1]));
	CHECK(read(sv[0], &c, 1) == 1);
	late = dev_open();
	CHECK(late >= 0);
	CHECK(write(sv[0], "g", 1) == 1);
	CHECK(waitpid(user, &st, 0) == user);
	close(late);
	unlink(LIST_SUID_PATH);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "nobody's view: status %#x (10-14 setup, 15 LIST or its cursor, 20/21 own or dumpable address wrong, 22 non-dumpable shown, 23 setuid shown, 30+ missing pins)",
	       st);
	return PASS;
}

struct list_race {
	volatile int stop;
	char *mem;
	size_t pages;
	long lists, records, pins, closes, bad;
	char comm[16];
};

/* Pins, unpins, closes and reopens, as fast as it can. */
static void *list_race_churn(void *arg)
{
	struct list_race *c = arg;
	int fd = dev_open();

	for (unsigned int i = 0; fd >= 0 && !c->stop; i++) {
		uint64_t h;
		size_t at = (i * 7) % (c->pages - 4);

		if (!do_pin(fd, c->mem + at * psz, 1 + i % 4,
			    PINCTL_PIN_LONGTERM, 0, NULL, &h))
			__atomic_add_fetch(&c->pins, 1, __ATOMIC_RELAXED);
		if (i % 3 == 0)
			do_unpin(fd, h, NULL);
		if (i % 16 == 15) {
			close(fd);	/* frees what the file still holds */
			fd = dev_open();
			__atomic_add_fetch(&c->closes, 1, __ATOMIC_RELAXED);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Lists and checks every record against what the churn can have made. */
static void *list_race_lister(void *arg)
{
	struct list_race *c = arg;
	uintptr_t lo = (uintptr_t)c->mem, hi = lo + c->pages * psz;
	struct pinctl_list_entry e[16];
	int fd = dev_open();

	rng_state = ((uint64_t)gettid() << 17) ^ 0x9e3779b97f4a7c15ULL;

	while (fd >= 0 && !c->stop) {
		struct pinctl_list l = {
			.entries = (uintptr_t)e, .count = 1 + rnd() % 16,
		};

		do {
			if (ioctl(fd, PINCTL_IOC_LIST, &l)) {
				__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
				break;
			}
			for (unsigned int i = 0; i < l.count; i++) {
				const struct pinctl_list_entry *x = &e[i];
				bool file = x->flags & PINCTL_LIST_FILE;

				if (x->opener_tgid != getpid() ||
				    strncmp(x->opener_comm, c->comm, 16) ||
				    (file ? x->handle || x->addr ||
					    x->nr_pages > 4 * 1024 :
					    x->addr < lo ||
					    x->addr + x->nr_pages * psz > hi ||
					    x->nr_pages < 1 ||
					    x->nr_pages > 4 ||
					    x->pin_flags != PINCTL_PIN_LONGTERM ||
					    x->target_tgid != getpid() ||
					    x->handle > UINT32_MAX) ||
				    x->reserved[0] || x->reserved[1]) {
					if (__atomic_add_fetch(&c->bad, 1,
							       __ATOMIC_RELAXED) < 4)
						diag("bad record: file %llu handle %#llx addr %#llx pages %#llx flags %#x/%#x tgid %d",
						     (unsigned long long)x->file_id,
						     (unsigned long long)x->handle,
						     (unsigned long long)x->addr,
						     (unsigned long long)x->nr_pages,
						     x->flags, x->pin_flags,
						     x->opener_tgid);
				}
			}
			__atomic_add_fetch(&c->records, l.count,
					   __ATOMIC_RELAXED);
			l.count = 1 + rnd() % 16;
		} while (!(l.out_flags & PINCTL_LIST_END) && !c->stop);
		__atomic_add_fetch(&c->lists, 1, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * LIST reads regions and files that UNPIN and close free: four threads
 * churn while two list, under slub_debug=FZPU, so a record read from a
 * freed region or file shows 0x6b poison (or the allocator complains in
 * the log, which dmesg_clean reads).
 */
int test_list_races_pin_unpin_close(void)
{
	struct list_race c = { .pages = 64 };
	pthread_t t[6];
	long acq, rel;

	c.mem = map_small(c.pages);
	CHECK(c.mem);
	prctl(PR_GET_NAME, c.comm);
	all_cpus();
	for (int i = 0; i < 6; i++)
		CHECK(pthread_create(&t[i], NULL, i < 4 ? list_race_churn :
				     list_race_lister, &c) == 0);
	sleep(6);
	c.stop = 1;
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	diag("%ld listings (%ld records) against %ld pins and %ld closes; %ld bad",
	     c.lists, c.records, c.pins, c.closes, c.bad);
	CHECK(c.bad == 0);
	CHECK(c.lists > 10 && c.pins > 100 && c.closes > 10);
	CHECK(write_long_file("/proc/sys/vm/stat_refresh", 1) == 0);
	acq = vmstat_value("nr_foll_pin_acquired");
	rel = vmstat_value("nr_foll_pin_released");
	CHECKF(acq == rel, "nr_foll_pin_acquired %ld, released %ld", acq, rel);
	return PASS;
}
