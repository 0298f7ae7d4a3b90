// SPDX-License-Identifier: MIT
/*
 * rdma-mr - registers one RDMA memory region of a known size with libibverbs (ibv_reg_mr on
 * the first RDMA device: rdma_rxe in the VM), so the kernel pins its pages (ib_umem_get:
 * pin_user_pages_fast, FOLL_LONGTERM, charged to VmPin), then holds. SIGUSR1 deregisters it
 * (ibv_dereg_mr: the pins go) and prints "deregistered"; SIGTERM or SIGINT ends it.
 *
 *   rdma-mr SIZE_KIB
 *
 * Prints "mr 0xADDR LENGTH DEVICE", then "ready". The buffer is page-aligned anonymous
 * memory with MADV_NOHUGEPAGE, so the region spans exactly LENGTH / 4096 pages. Built
 * statically for the guest by scripts/vm/test.sh with the rxe provider linked in
 * (-DRDMA_STATIC_PROVIDERS=rxe, libibverbs.a, librxe-rdmav34.a, libnl), so the guest needs
 * no shared libraries and no provider configuration files.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <infiniband/verbs.h>

static volatile sig_atomic_t want_dereg, want_exit;

static void on_usr1(int s) { (void)s; want_dereg = 1; }
static void on_term(int s) { (void)s; want_exit = 1; }

static void die(const char *what, int err)
{
	fprintf(stderr, "rdma-mr: %s: %s\n", what, strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rdma-mr SIZE_KIB\n");
		return 2;
	}
	char *end;
	unsigned long kib = strtoul(argv[1], &end, 10);
	if (*end != '\0' || kib == 0 || kib % 4 != 0 || kib > 1024 * 1024) {
		fprintf(stderr, "rdma-mr: SIZE_KIB must be a multiple of 4 from 4 to 1048576\n");
		return 2;
	}
	size_t len = (size_t)kib << 10;

	int n = 0;
	struct ibv_device **devs = ibv_get_device_list(&n);
	if (!devs)
		die("ibv_get_device_list", errno);
	if (n < 1) {
		fprintf(stderr, "rdma-mr: no RDMA device (rdma link add rxe0 type rxe netdev IF)\n");
		return 1;
	}
	const char *name = ibv_get_device_name(devs[0]);
	struct ibv_context *ctx = ibv_open_device(devs[0]);
	if (!ctx)
		die("ibv_open_device", errno);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd", errno);

	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", errno);
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 0x5a, len);
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE);
	if (!mr)
		die("ibv_reg_mr", errno);

	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	printf("mr %p %zu %s\n", buf, len, name);
	printf("ready\n");
	fflush(stdout);
	while (!want_exit) {
		pause();
		if (want_dereg && mr) {
			int err = ibv_dereg_mr(mr);
			if (err)
				die("ibv_dereg_mr", err);
			mr = NULL;
			printf("deregistered\n");
			fflush(stdout);
		}
	}
	if (mr)
		ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(devs);
	munmap(buf, len);
	return 0;
}
