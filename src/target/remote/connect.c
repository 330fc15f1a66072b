/* SPDX-License-Identifier: MIT */
/*
 * Reaching a stub: the TCP connection, the handshake (qSupported, no-ack
 * mode, the initial stop) and up_remote_connect() for --remote HOST:PORT.
 * What the stub does not say (the program's path) is asked for with
 * qXfer:exec-file; the architecture comes from that ELF file, else from
 * target.xml's <architecture>.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "remote.h"

int up_remote_tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	int fd = -1, err = -ECONNREFUSED, one = 1;

	if (getaddrinfo(host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	/* small packets, one per exchange: do not let Nagle hold them */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int up_remote_unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	close(fd);
	return -errno;
}

int up_remote_elf_arch(const char *path, const struct up_arch **arch, uint32_t *e_flags)
{
	Elf64_Ehdr eh;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, &eh, sizeof(eh));
	close(fd);
	if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	/* e_machine sits at the same place in both classes; e_flags does not */
	if (eh.e_ident[EI_CLASS] == ELFCLASS64) {
		if (n < (ssize_t)sizeof(eh))
			return -ENOEXEC;
		*e_flags = eh.e_flags;
	} else {
		*e_flags = ((Elf32_Ehdr *)&eh)->e_flags;
	}
	*arch = up_arch_by_machine(eh.e_machine);
	return *arch ? 0 : -ENOTSUP;
}

/* Features of qSupported's reply that change what we send. */
static void parse_supported(struct up_remote *r, bool *noack, bool *xml)
{
	char *p = r->rsp.pkt, *end;

	*noack = false;
	*xml = false;
	for (; p && *p; p = end ? end + 1 : NULL) {
		end = strchr(p, ';');
		if (end)
			*end = '\0';
		if (strncmp(p, "PacketSize=", 11) == 0) {
			size_t size = strtoul(p + 11, NULL, 16);

			if (size >= 64)
				r->rsp.packet_size = size < UP_RSP_BUF ? size : UP_RSP_BUF;
		} else if (strcmp(p, "QStartNoAckMode+") == 0) {
			*noack = true;
		} else if (strcmp(p, "multiprocess+") == 0) {
			r->multiprocess = true;
		} else if (strcmp(p, "qXfer:features:read+") == 0) {
			*xml = true;
		}
	}
}

/*
 * Read target.xml as GDB does: qemu answers P only after that, and the
 * 'g' layouts in arch/ are the ones GDB sees. Its <architecture> is kept.
 */
static int read_target_xml(struct up_remote *r)
{
	size_t off = 0, chunk = r->rsp.packet_size - 16;
	char *p, *end;
	int n;

	for (;;) {
		n = up_rsp_command(&r->rsp, "qXfer:features:read:target.xml:%zx,%zx", off, chunk);
		if (n < 0)
			return n;
		if (n < 1 || (r->rsp.pkt[0] != 'm' && r->rsp.pkt[0] != 'l'))
			return 0;
		n = (int)up_rsp_unescape(r->rsp.pkt + 1, (size_t)n - 1);
		if (off + (size_t)n >= sizeof(r->cmd))
			return 0;
		memcpy(r->cmd + off, r->rsp.pkt + 1, (size_t)n);
		off += (size_t)n;
		if (r->rsp.pkt[0] == 'l' || n == 0)
			break;
	}
	r->cmd[off] = '\0';
	p = strstr(r->cmd, "<architecture>");
	if (!p)
		return 0;
	p += strlen("<architecture>");
	end = strchr(p, '<');
	if (end && (size_t)(end - p) < sizeof(r->xml_arch)) {
		memcpy(r->xml_arch, p, (size_t)(end - p));
		r->xml_arch[end - p] = '\0';
	}
	return 0;
}

/* target.xml's <architecture> matched against each arch's gdb_arch. */
static const struct up_arch *arch_from_target_xml(struct up_remote *r)
{
	static const char *const names[] = {"x86_64", "aarch64", "riscv64", "loongarch64"};

	for (unsigned i = 0; r->xml_arch[0] && i < sizeof(names) / sizeof(names[0]); i++) {
		const struct up_arch *a = up_arch_by_name(names[i]);

		if (a && a->gdb_arch && strcmp(a->gdb_arch, r->xml_arch) == 0)
			return a;
	}
	return NULL;
}

int up_remote_open(struct up_remote *r, int fd)
{
	struct up_rsp_stop stop;
	bool noack, xml;
	int n;

	up_rsp_init(&r->rsp, fd);
	/* GDB opens with an ack too; a stub waiting for one takes it */
	n = up_rsp_send_byte(&r->rsp, '+');
	if (n)
		return n;
	n = up_rsp_command(&r->rsp, "qSupported:multiprocess+;swbreak+;vContSupported+");
	if (n < 0)
		return n;
	parse_supported(r, &noack, &xml);
	if (noack) {
		n = up_rsp_command(&r->rsp, "QStartNoAckMode");
		if (n < 0)
			return n;
		if (strcmp(r->rsp.pkt, "OK") == 0)
			r->rsp.noack = true;
	}
	if (xml) {
		n = read_target_xml(r);
		if (n)
			return n;
	}
	n = up_rsp_command(&r->rsp, "vCont?");
	if (n < 0)
		return n;
	if (strncmp(r->rsp.pkt, "vCont", 5) != 0 || !strstr(r->rsp.pkt, ";s") ||
	    !strstr(r->rsp.pkt, ";c"))
		return -EPROTONOSUPPORT;
	n = up_rsp_command(&r->rsp, "?");
	if (n < 0)
		return n;
	if (up_rsp_parse_stop(r->rsp.pkt, (size_t)n, &stop))
		return -EPROTO;
	if (stop.kind == 'W' || stop.kind == 'X')
		return -ESRCH;
	r->stub_pid = stop.pid;
	r->last_tid = r->g_tid = stop.tid;
	if (!r->t.pid) {
		/* qemu-user says p1: its main thread's id is the process's */
		r->t.pid = stop.pid > 1 ? stop.pid : stop.tid;
	}
	return 0;
}

/* The program's path as the stub knows it (gdbserver; qemu-user 8 and later). */
static void ask_exec_file(struct up_remote *r)
{
	int n;

	if (r->multiprocess)
		n = up_rsp_command(&r->rsp, "qXfer:exec-file:read:%x:0,%x", (unsigned)r->stub_pid,
				   (unsigned)(sizeof(r->t.exe) - 1));
	else
		n = up_rsp_command(&r->rsp, "qXfer:exec-file:read::0,%x",
				   (unsigned)(sizeof(r->t.exe) - 1));
	if (n < 2 || (r->rsp.pkt[0] != 'l' && r->rsp.pkt[0] != 'm'))
		return;
	n = (int)up_rsp_unescape(r->rsp.pkt + 1, (size_t)n - 1);
	if ((size_t)n >= sizeof(r->t.exe))
		return;
	memcpy(r->t.exe, r->rsp.pkt + 1, (size_t)n);
	r->t.exe[n] = '\0';
}

/*
 * A qemu-user on this host says neither the program's path nor its -L (7.2
 * has no qXfer:exec-file): read them from its command line. The program is
 * its first argument that is an ELF file for a known architecture, taken
 * relative to qemu's working directory.
 */
static void ask_local_qemu(struct up_remote *r)
{
	char path[64], exe[4096], cmdline[8192], cwd[4096], file[4096];
	const struct up_arch *arch;
	const char *base;
	uint32_t e_flags;
	ssize_t n, len;
	int fd;

	if (r->t.pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)r->t.pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	if (strncmp(base ? base + 1 : exe, "qemu-", 5) != 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)r->t.pid);
	n = readlink(path, cwd, sizeof(cwd) - 1);
	if (n <= 0)
		return;
	cwd[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)r->t.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (len <= 0)
		return;
	cmdline[len] = '\0';
	/* skip qemu's own name; -L takes the next word; the first ELF is the program */
	for (const char *a = cmdline + strlen(cmdline) + 1; a < cmdline + len; a += strlen(a) + 1) {
		if (strcmp(a, "-L") == 0 && a + strlen(a) + 1 < cmdline + len) {
			a += strlen(a) + 1;
			if (!r->t.sysroot[0])
				snprintf(r->t.sysroot, sizeof(r->t.sysroot), "%s", a);
			continue;
		}
		if (a[0] == '/')
			snprintf(file, sizeof(file), "%s", a);
		else if ((size_t)snprintf(file, sizeof(file), "%s/%s", cwd, a) >= sizeof(file))
			continue;
		if (up_remote_elf_arch(file, &arch, &e_flags) == 0) {
			if (!realpath(file, r->t.exe))
				snprintf(r->t.exe, sizeof(r->t.exe), "%s", file);
			return;
		}
	}
}

void up_remote_why(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int up_remote_connect(struct up_target **out, const char *hostport, char *err, size_t errlen)
{
	struct up_remote *r;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	bool is_unix = strchr(hostport, '/') != NULL; /* a path: qemu -g PATH */
	size_t hlen;
	int fd, n;

	up_remote_why(err, errlen, "%s", "");

	if (!is_unix) {
		if (!colon || colon == hostport || !colon[1])
			return -EINVAL;
		hlen = (size_t)(colon - hostport);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, hostport, hlen);
		host[hlen] = '\0';
		if (host[0] == '[' && host[hlen - 1] == ']') {
			memmove(host, host + 1, hlen - 2);
			host[hlen - 2] = '\0';
		}
	}
	r = up_remote_new();
	if (!r)
		return -ENOMEM;
	fd = is_unix ? up_remote_unix_connect(hostport) : up_remote_tcp_connect(host, colon + 1);
	if (fd < 0) {
		free(r);
		return fd; /* errno says it: cannot connect */
	}
	n = up_remote_open(r, fd);
	if (n) {
		up_remote_why(err, errlen, "handshake failed: %s", strerror(-n));
		goto fail;
	}
	/* the cli may set another one (--sysroot) */
	if (getenv("QEMU_LD_PREFIX"))
		snprintf(r->t.sysroot, sizeof(r->t.sysroot), "%s", getenv("QEMU_LD_PREFIX"));
	ask_exec_file(r);
	if (!r->t.exe[0])
		ask_local_qemu(r);
	if (r->t.exe[0])
		up_remote_elf_arch(r->t.exe, &r->t.arch, &r->t.e_flags);
	if (!r->t.arch)
		r->t.arch = arch_from_target_xml(r);
	if (!r->t.arch) {
		up_remote_why(err, errlen, "cannot tell the target's architecture");
		n = -ENOTSUP;
		goto fail;
	}
	*out = &r->t;
	return 0;
fail:
	r->t.ops->destroy(&r->t);
	return n;
}
