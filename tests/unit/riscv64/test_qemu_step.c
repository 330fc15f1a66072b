/* SPDX-License-Identifier: MIT */
/*
 * Differential test of simulate() against real execution, for riscv64 and
 * loongarch64: run a fixture under `qemu-ARCH -g PORT`, stop at the
 * fixture's instruction-class function, then single-step it through the
 * gdbstub. Before each step the instruction is decoded; when it is
 * simulated, simulate() predicts the registers (and the bytes a store
 * writes) from the live state, and after qemu executes it the prediction
 * must match exactly. The 'g' packets are unpacked with the arch's
 * gdb_regs table, so that layout is checked against qemu too.
 *
 * Usage: test_qemu_step ARCH BUILD_SH OUTDIR
 * Exit 77 when qemu, the cross tools or the fixture build are missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uptrace/arch.h"

struct config {
	const char *arch, *qemu, *sysroot, *nm, *program, *func;
};

static const struct config configs[] = {
    {"riscv64", "qemu-riscv64", "/usr/riscv64-linux-gnu", "riscv64-linux-gnu-nm", "insns",
     "rv_insns"},
    {"loongarch64", "qemu-loongarch64", NULL, "llvm-nm-19", "insns", "la_insns"},
};

static int sock = -1;
static pid_t qemu_pid;
static const struct up_arch *arch;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "FAIL: " __VA_ARGS__);                                             \
		fputc('\n', stderr);                                                               \
		finish(1);                                                                         \
	} while (0)

static void finish(int code)
{
	if (sock >= 0)
		close(sock);
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
	}
	exit(code);
}

static void send_packet(const char *body)
{
	char buf[256];
	unsigned sum = 0;

	for (const char *p = body; *p; p++)
		sum += (unsigned char)*p;
	snprintf(buf, sizeof(buf), "$%s#%02x", body, sum & 0xff);
	if (write(sock, buf, strlen(buf)) != (ssize_t)strlen(buf))
		FAIL("write to gdbstub: %s", strerror(errno));
}

/* Reads one reply packet's body (acks skipped), acks it. */
static size_t recv_packet(char *out, size_t size)
{
	size_t n = 0;
	int state = 0, csum = 0;
	char c;

	for (;;) {
		if (read(sock, &c, 1) != 1)
			FAIL("gdbstub closed the connection");
		if (state == 0) {
			if (c == '$')
				state = 1;
		} else if (state == 1) {
			if (c == '#')
				state = 2;
			else if (n + 1 < size)
				out[n++] = c;
		} else if (++csum == 2) {
			break;
		}
	}
	out[n] = 0;
	if (write(sock, "+", 1) != 1)
		FAIL("ack");
	return n;
}

static size_t command(const char *body, char *out, size_t size)
{
	send_packet(body);
	return recv_packet(out, size);
}

static uint64_t hex_le(const char *p, unsigned bytes)
{
	uint64_t v = 0;

	for (int i = (int)bytes - 1; i >= 0; i--) {
		unsigned b;

		sscanf(p + 2 * i, "%2x", &b);
		v = v << 8 | b;
	}
	return v;
}

static void get_regs(struct up_regs *regs)
{
	static char buf[4096];
	size_t n = command("g", buf, sizeof(buf)), off = 0;

	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < arch->n_gdb_regs; i++) {
		const struct up_gdb_reg *g = &arch->gdb_regs[i];

		if (off + 2u * g->size > n)
			FAIL("'g' reply has %zu hex digits, the table wants more", n);
		if (g->index >= 0)
			regs->r[g->index] = hex_le(buf + off, g->size);
		off += 2u * g->size;
	}
	if (off != n)
		FAIL("'g' reply has %zu hex digits, the table describes %zu", n, off);
}

static int mem_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	char cmd[64], buf[256];

	snprintf(cmd, sizeof(cmd), "m%llx,%zx", (unsigned long long)addr, len);
	if (command(cmd, buf, sizeof(buf)) != 2 * len)
		return -EFAULT;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)out)[i] = (uint8_t)hex_le(buf + 2 * i, 1);
	return 0;
}

/* Stores are recorded, not done: qemu does them, and we compare afterwards. */
static uint64_t store_addr;
static uint8_t store_bytes[8];
static size_t store_len;

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	if (len > sizeof(store_bytes))
		return -EINVAL;
	store_addr = addr;
	store_len = len;
	memcpy(store_bytes, buf, len);
	return 0;
}

static uint64_t symbol(const struct config *c, const char *path, const char *name)
{
	char cmd[512], line[256], type[8], sym[128];
	unsigned long long v;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", c->nm, path);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %7s %127s", &v, type, sym) == 3 && strcmp(sym, name) == 0) {
			pclose(p);
			return v;
		}
	pclose(p);
	return 0;
}

/* The main program's load bias, from AT_ENTRY in qXfer:auxv minus _start's link address. */
static uint64_t load_bias(uint64_t start_link)
{
	static char buf[8192];
	uint8_t raw[4096];
	size_t n = command("qXfer:auxv:read::0,1000", buf, sizeof(buf)), len = 0;

	if (n == 0 || (buf[0] != 'l' && buf[0] != 'm'))
		FAIL("qXfer:auxv:read: '%s'", buf);
	for (size_t i = 1; i < n && len < sizeof(raw); i++)
		raw[len++] = buf[i] == '}' ? (uint8_t)(buf[++i] ^ 0x20) : (uint8_t)buf[i];
	for (size_t i = 0; i + 16 <= len; i += 16) {
		uint64_t type = 0, val = 0;

		for (int k = 7; k >= 0; k--) {
			type = type << 8 | raw[i + k];
			val = val << 8 | raw[i + 8 + k];
		}
		if (type == 9 /* AT_ENTRY */)
			return val - start_link;
	}
	FAIL("no AT_ENTRY in auxv");
	return 0;
}

static void start_qemu(const struct config *c, const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char port[16];
	int p;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	p = 20000 + rand() % 20000;
	snprintf(port, sizeof(port), "%d", p);
	qemu_pid = fork();
	if (qemu_pid == 0) {
		if (c->sysroot)
			execlp(c->qemu, c->qemu, "-L", c->sysroot, "-g", port, path, (char *)NULL);
		else
			execlp(c->qemu, c->qemu, "-g", port, path, (char *)NULL);
		_exit(127);
	}
	sa.sin_port = htons((uint16_t)p);
	for (int tries = 0; tries < 100; tries++) {
		sock = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return;
		close(sock);
		sock = -1;
		usleep(50000);
	}
	FAIL("cannot connect to %s -g %d", c->qemu, p);
}

int main(int argc, char **argv)
{
	const struct config *c = NULL;
	char path[512], cmd[1024], buf[512], tool[600];
	struct up_regs regs, predicted, after;
	struct up_mem mem = {NULL, mem_read, mem_write};
	uint64_t func, bias = 0, ret;
	unsigned steps = 0, simulated = 0, classes = 0;
	uint32_t seen_ops = 0;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s ARCH BUILD_SH OUTDIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		if (strcmp(configs[i].arch, argv[1]) == 0)
			c = &configs[i];
	arch = up_arch_by_name(argv[1]);
	if (!c || !arch)
		return 2;
	snprintf(tool, sizeof(tool), "command -v %s >/dev/null && command -v %s >/dev/null",
		 c->qemu, c->nm);
	if (system(tool) != 0) {
		printf("SKIP: %s or %s not installed\n", c->qemu, c->nm);
		return 77;
	}
	snprintf(cmd, sizeof(cmd), "%s %s", argv[2], argv[3]);
	rc = system(cmd);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
		printf("SKIP: fixtures cannot be built here\n");
		return 77;
	}
	if (rc != 0)
		FAIL("%s failed", cmd);
	snprintf(path, sizeof(path), "%s/%s", argv[3], c->program);
	func = symbol(c, path, c->func);
	if (!func)
		FAIL("%s not found in %s", c->func, path);

	start_qemu(c, path);
	if (c->sysroot) /* PIE: find where qemu put it */
		bias = load_bias(symbol(c, path, "_start"));
	snprintf(cmd, sizeof(cmd), "Z0,%llx,4", (unsigned long long)(func + bias));
	command(cmd, buf, sizeof(buf));
	if (strcmp(buf, "OK") != 0)
		FAIL("Z0 at %s: '%s'", c->func, buf);
	command("c", buf, sizeof(buf));
	get_regs(&regs);
	if (regs.r[arch->pc_reg] != func + bias)
		FAIL("stopped at 0x%llx, not %s", (unsigned long long)regs.r[arch->pc_reg],
		     c->func);
	snprintf(cmd, sizeof(cmd), "z0,%llx,4", (unsigned long long)(func + bias));
	command(cmd, buf, sizeof(buf));
	arch->return_address_get(arch, &regs, &mem, &ret);

	while (regs.r[arch->pc_reg] != ret && steps < 2000) {
		uint64_t pc = regs.r[arch->pc_reg];
		uint8_t bytes[4];
		struct up_insn insn;

		if (mem_read(NULL, pc, bytes, 4))
			FAIL("cannot read code at 0x%llx", (unsigned long long)pc);
		rc = arch->decode(arch, &insn, pc, bytes, 4);
		if (rc)
			FAIL("0x%llx: decode failed: %s", (unsigned long long)pc, insn.why);
		if (insn.action == UP_INSN_REFUSE)
			FAIL("0x%llx: %s refused: %s", (unsigned long long)pc, insn.text, insn.why);
		predicted = regs;
		store_len = 0;
		if (insn.action == UP_INSN_SIMULATE &&
		    arch->simulate(arch, &insn, &predicted, &mem) != 0)
			FAIL("0x%llx: simulate %s failed", (unsigned long long)pc, insn.text);
		command("s", buf, sizeof(buf));
		get_regs(&after);
		steps++;
		if (insn.action == UP_INSN_SIMULATE) {
			simulated++;
			if (!(seen_ops & (1u << insn.op)))
				classes++;
			seen_ops |= 1u << insn.op;
			for (int i = 0; i < 32; i++)
				if (predicted.r[i] != after.r[i])
					FAIL("0x%llx %s: r%d predicted 0x%llx, qemu 0x%llx",
					     (unsigned long long)pc, insn.text, i,
					     (unsigned long long)predicted.r[i],
					     (unsigned long long)after.r[i]);
			if (predicted.r[arch->pc_reg] != after.r[arch->pc_reg])
				FAIL("0x%llx %s: pc predicted 0x%llx, qemu 0x%llx",
				     (unsigned long long)pc, insn.text,
				     (unsigned long long)predicted.r[arch->pc_reg],
				     (unsigned long long)after.r[arch->pc_reg]);
			if (store_len) {
				uint8_t real[8];

				if (mem_read(NULL, store_addr, real, store_len) ||
				    memcmp(real, store_bytes, store_len) != 0)
					FAIL("0x%llx %s: stored bytes differ",
					     (unsigned long long)pc, insn.text);
			}
		}
		regs = after;
	}
	if (regs.r[arch->pc_reg] != ret)
		FAIL("did not return from %s within %u steps", c->func, steps);
	printf("%s: %u steps, %u simulated in %u classes, all matched qemu\n", c->func, steps,
	       simulated, classes);
	if (simulated < 20 || classes < 8)
		FAIL("too few simulated instructions to mean anything");
	finish(0);
}
