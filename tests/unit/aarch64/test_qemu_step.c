/* SPDX-License-Identifier: MIT */
/*
 * Differential test of simulate() against real execution: run the insns
 * fixture under `qemu-aarch64 -g PORT`, stop at a64_insns, then single-step
 * through one whole call over the GDB remote protocol. Before each step the
 * instruction is decoded; when it is simulated, simulate() predicts the
 * registers and any bytes it stores from the live state (stores are kept
 * aside, not written), and after qemu has executed the instruction every
 * general register, sp, pc, NZCV and the stored bytes must match. The 'g'
 * packets are unpacked with the ops table's gdb_regs, so that layout is
 * checked against qemu at the same time.
 *
 * Usage: test_qemu_step BUILD_SH OUTDIR
 * Exit 77 when qemu-aarch64, the sysroot or the cross compiler is missing.
 */
#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uptrace/arch.h"

#define SYSROOT "/usr/aarch64-linux-gnu"
#define MAX_STEPS 500

static int sock = -1;
static pid_t qemu_pid;
static const struct up_arch *arch;

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

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "FAIL: " __VA_ARGS__);                                             \
		fputc('\n', stderr);                                                               \
		finish(1);                                                                         \
	} while (0)

static void send_packet(const char *body)
{
	char buf[512];
	unsigned sum = 0;
	int n;

	for (const char *p = body; *p; p++)
		sum += (unsigned char)*p;
	n = snprintf(buf, sizeof(buf), "$%s#%02x", body, sum & 0xff);
	if (write(sock, buf, (size_t)n) != n)
		FAIL("gdbstub: write: %s", strerror(errno));
}

/* The next packet's body (acks skipped) and its length; acknowledges it. */
static size_t recv_packet(char *out, size_t size)
{
	size_t len = 0;
	int state = 0, tail = 0;
	char c;

	while (read(sock, &c, 1) == 1) {
		if (state == 0) {
			state = c == '$';
		} else if (state == 1) {
			if (c == '#')
				state = 2;
			else if (len + 1 < size)
				out[len++] = c;
		} else if (++tail == 2) {
			out[len] = 0;
			if (write(sock, "+", 1) != 1)
				break;
			return len;
		}
	}
	FAIL("gdbstub: connection lost");
	return 0;
}

static size_t command(const char *body, char *out, size_t size)
{
	send_packet(body);
	return recv_packet(out, size);
}

static uint64_t hex_le(const char *p, unsigned bytes)
{
	uint64_t v = 0;
	unsigned b;

	for (unsigned i = 0; i < bytes; i++) {
		if (sscanf(p + 2 * i, "%2x", &b) != 1)
			FAIL("bad hex '%.16s'", p);
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void get_regs(struct up_regs *regs)
{
	char reply[1024];
	size_t off = 0;

	command("g", reply, sizeof(reply));
	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < arch->n_gdb_regs; i++) {
		const struct up_gdb_reg *g = &arch->gdb_regs[i];

		if (strlen(reply) < off + 2 * g->size)
			FAIL("'g' reply is %zu hex digits, the layout needs more", strlen(reply));
		if (g->index >= 0)
			regs->r[g->index] = hex_le(reply + off, g->size);
		off += 2u * g->size;
	}
	if (strlen(reply) != off)
		FAIL("'g' reply is %zu hex digits, the layout says %zu", strlen(reply), off);
}

static int mem_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	char cmd[64], reply[600];

	if (len > 256)
		return -EINVAL;
	snprintf(cmd, sizeof(cmd), "m%llx,%zx", (unsigned long long)addr, len);
	command(cmd, reply, sizeof(reply));
	if (reply[0] == 'E' || strlen(reply) != 2 * len)
		return -EFAULT;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)out)[i] = (uint8_t)hex_le(reply + 2 * i, 1);
	return 0;
}

/* Stores simulate() predicts: kept here, compared with memory after qemu's step. */
static struct {
	uint64_t addr;
	uint8_t bytes[16];
	size_t len;
} stored;

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	if (len > sizeof(stored.bytes) || stored.len)
		return -EINVAL;
	stored.addr = addr;
	stored.len = len;
	memcpy(stored.bytes, buf, len);
	return 0;
}

/* Link-time address of a symbol, from nm. */
static uint64_t symbol(const char *path, const char *name)
{
	char cmd[600], line[256], sym[128], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "aarch64-linux-gnu-nm %s", path);
	p = popen(cmd, "r");
	if (!p)
		FAIL("cannot run nm");
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 && !strcmp(sym, name))
			found = addr;
	pclose(p);
	if (!found)
		FAIL("no symbol %s in %s", name, path);
	return found;
}

/* Where qemu loaded the PIE: AT_ENTRY from auxv minus e_entry. */
static uint64_t load_bias(const char *path)
{
	char reply[2048];
	size_t len;
	Elf64_Ehdr eh;
	FILE *f = fopen(path, "rb");

	if (!f || fread(&eh, sizeof(eh), 1, f) != 1)
		FAIL("cannot read %s", path);
	fclose(f);
	len = command("qXfer:auxv:read::0,400", reply, sizeof(reply));
	if (reply[0] != 'l' && reply[0] != 'm')
		FAIL("qXfer:auxv: '%.40s'", reply);
	/* binary data, but qemu escapes only } # $ *: decode the escapes */
	{
		uint8_t aux[1024];
		size_t n = 0;

		for (size_t i = 1; i < len && n < sizeof(aux); i++)
			aux[n++] = reply[i] == '}' && i + 1 < len ? (uint8_t)(reply[++i] ^ 0x20)
								  : (uint8_t)reply[i];
		for (size_t i = 0; i + 16 <= n; i += 16) {
			uint64_t type, val;

			memcpy(&type, aux + i, 8);
			memcpy(&val, aux + i + 8, 8);
			if (type == AT_ENTRY)
				return val - eh.e_entry;
		}
	}
	FAIL("no AT_ENTRY in auxv");
	return 0;
}

static void start_qemu(const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int port = 20000 + getpid() % 20000;
	char portstr[16];

	snprintf(portstr, sizeof(portstr), "%d", port);
	qemu_pid = fork();
	if (qemu_pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("qemu-aarch64", "qemu-aarch64", "-L", SYSROOT, "-g", portstr, path, NULL);
		_exit(127);
	}
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		sock = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			int one = 1;

			/* one small packet each way per command: no Nagle delay */
			setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return;
		}
		close(sock);
		sock = -1;
		nanosleep(&ts, NULL);
	}
	FAIL("cannot connect to qemu-aarch64 on port %d", port);
}

static void compare(const struct up_insn *insn, const struct up_regs *want,
		    const struct up_regs *got)
{
	for (int i = 0; i <= UP_A64_PC; i++)
		if (want->r[i] != got->r[i])
			FAIL("0x%llx '%s': %s is 0x%llx, simulate() said 0x%llx",
			     (unsigned long long)insn->addr, insn->text, arch->reg_names[i],
			     (unsigned long long)got->r[i], (unsigned long long)want->r[i]);
	if ((want->r[UP_A64_PSTATE] ^ got->r[UP_A64_PSTATE]) & 0xf0000000u)
		FAIL("0x%llx '%s': NZCV differ", (unsigned long long)insn->addr, insn->text);
	if (stored.len) {
		uint8_t now[16];

		if (mem_read(NULL, stored.addr, now, stored.len) ||
		    memcmp(now, stored.bytes, stored.len))
			FAIL("0x%llx '%s': memory at 0x%llx is not what simulate() stored",
			     (unsigned long long)insn->addr, insn->text,
			     (unsigned long long)stored.addr);
	}
}

int main(int argc, char **argv)
{
	struct up_mem mem = {NULL, mem_read, mem_write};
	char cmd[1100], reply[1024], path[512];
	unsigned simulated = 0, steps = 0;
	uint64_t func, ret;
	struct up_regs regs;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: %s BUILD_SH OUTDIR\n", argv[0]);
		return 2;
	}
	arch = up_arch_by_name("aarch64");
	if (system("command -v qemu-aarch64 >/dev/null 2>&1") != 0 || access(SYSROOT, F_OK)) {
		printf("SKIP: qemu-aarch64 or " SYSROOT " missing\n");
		return 77;
	}
	snprintf(cmd, sizeof(cmd), "sh %s %s", argv[1], argv[2]);
	status = system(cmd);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("SKIP: the fixtures cannot be built here\n");
		return 77;
	}
	if (status != 0)
		FAIL("%s failed", cmd);
	snprintf(path, sizeof(path), "%s/insns", argv[2]);
	signal(SIGPIPE, SIG_IGN);
	start_qemu(path);
	if (write(sock, "+", 1) != 1)
		FAIL("gdbstub: write");
	command("qSupported", reply, sizeof(reply));
	func = symbol(path, "a64_insns") + load_bias(path);

	snprintf(cmd, sizeof(cmd), "Z0,%llx,4", (unsigned long long)func);
	command(cmd, reply, sizeof(reply));
	if (strcmp(reply, "OK"))
		FAIL("Z0 at 0x%llx: '%s'", (unsigned long long)func, reply);
	command("c", reply, sizeof(reply));
	get_regs(&regs);
	if (regs.r[UP_A64_PC] != func)
		FAIL("stopped at 0x%llx ('%s'), not a64_insns 0x%llx",
		     (unsigned long long)regs.r[UP_A64_PC], reply, (unsigned long long)func);
	snprintf(cmd, sizeof(cmd), "z0,%llx,4", (unsigned long long)func);
	command(cmd, reply, sizeof(reply));
	ret = regs.r[UP_A64_LR];

	while (regs.r[UP_A64_PC] != ret) {
		struct up_regs want = regs, after;
		struct up_insn insn;
		uint8_t bytes[4];
		bool sim;

		if (++steps > MAX_STEPS)
			FAIL("a64_insns did not return in %d steps", MAX_STEPS);
		if (mem_read(NULL, regs.r[UP_A64_PC], bytes, 4))
			FAIL("cannot read the instruction at 0x%llx",
			     (unsigned long long)regs.r[UP_A64_PC]);
		if (arch->decode(arch, &insn, regs.r[UP_A64_PC], bytes, 4) ||
		    insn.action == UP_INSN_REFUSE)
			FAIL("0x%llx '%s' refused: %s", (unsigned long long)insn.addr, insn.text,
			     insn.why);
		stored.len = 0;
		sim = insn.action == UP_INSN_SIMULATE;
		if (sim && arch->simulate(arch, &insn, &want, &mem))
			FAIL("0x%llx '%s': simulate() failed", (unsigned long long)insn.addr,
			     insn.text);
		command("s", reply, sizeof(reply));
		if (reply[0] != 'T' && reply[0] != 'S')
			FAIL("step at 0x%llx: '%s'", (unsigned long long)insn.addr, reply);
		get_regs(&after);
		if (sim) {
			compare(&insn, &want, &after);
			simulated++;
		}
		regs = after;
	}
	printf("ok: %u instructions stepped, %u simulated and matched qemu\n", steps, simulated);
	if (simulated < 30)
		FAIL("only %u simulated instructions checked", simulated);
	finish(0);
}
