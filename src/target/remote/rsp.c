/* SPDX-License-Identifier: MIT */
/*
 * One GDB remote protocol connection: framed packets out, acks, packets
 * in. Bytes are read from the socket into rsp->rx in as few read() calls
 * as the stub allows, a packet between '$' and "#cs" is checked and its
 * payload run-length expanded into rsp->pkt. Everything uses the fixed
 * buffers of struct up_rsp: nothing is allocated per packet.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rsp.h"

void up_rsp_init(struct up_rsp *rsp, int fd)
{
	rsp->fd = fd;
	rsp->noack = false;
	rsp->ack_pending = false;
	rsp->packet_size = 4096;
	rsp->reply_timeout_ms = 10000;
	rsp->debug = getenv("UPTRACE_RSP_DEBUG") != NULL;
	rsp->rx_pos = rsp->rx_len = 0;
	rsp->pkt_len = 0;
	rsp->pkt[0] = '\0';
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		/* a stub gone away is -ECONNRESET here, not a SIGPIPE that kills us */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Next byte from the socket; waits up to timeout_ms (< 0: forever).
 * -EINTR is returned only when eintr is set.
 */
static int next_byte(struct up_rsp *rsp, int timeout_ms, bool eintr)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	while (rsp->rx_pos == rsp->rx_len) {
		struct pollfd pfd = {.fd = rsp->fd, .events = POLLIN};
		int wait = -1, n;
		ssize_t got;

		/* the stub may wait for our ack before it says more */
		n = up_rsp_flush_ack(rsp);
		if (n)
			return n;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR && !eintr)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ETIMEDOUT;
		got = read(rsp->fd, rsp->rx, sizeof(rsp->rx));
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (eintr && errno == EINTR)
					return -EINTR;
				continue;
			}
			return -errno;
		}
		if (got == 0)
			return -ECONNRESET;
		rsp->rx_pos = 0;
		rsp->rx_len = (size_t)got;
	}
	return (uint8_t)rsp->rx[rsp->rx_pos++];
}

int up_rsp_flush_ack(struct up_rsp *rsp)
{
	if (!rsp->ack_pending)
		return 0;
	rsp->ack_pending = false;
	return write_all(rsp->fd, "+", 1);
}

int up_rsp_send_byte(struct up_rsp *rsp, char c)
{
	int n = up_rsp_flush_ack(rsp);

	return n ? n : write_all(rsp->fd, &c, 1);
}

int up_rsp_send(struct up_rsp *rsp, const char *data, size_t len)
{
	size_t n, at = rsp->ack_pending ? 1 : 0;

	if (len + 5 > sizeof(rsp->tx))
		return -EMSGSIZE;
	n = up_rsp_frame(rsp->tx + at, data, len);
	if (rsp->debug)
		fprintf(stderr, "rsp: -> %.*s\n", (int)(n < 1200 ? n : 1200), rsp->tx + at);
	if (at)
		rsp->tx[0] = '+';
	rsp->ack_pending = false;
	return write_all(rsp->fd, rsp->tx, n + at);
}

int up_rsp_sendf(struct up_rsp *rsp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return up_rsp_send(rsp, buf, (size_t)n);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int up_rsp_recv(struct up_rsp *rsp, int timeout_ms, bool eintr)
{
	/* the raw payload is gathered in tx (unused while receiving) */
	char *raw = rsp->tx;
	size_t len;
	int c, hi, lo, n;

	for (;;) {
		/* skip acks and noise up to the '$' */
		do {
			c = next_byte(rsp, timeout_ms, eintr);
			if (c < 0)
				return c;
		} while (c != '$');
		len = 0;
		for (;;) {
			c = next_byte(rsp, rsp->reply_timeout_ms, false);
			if (c < 0)
				return c;
			if (c == '#')
				break;
			if (len >= UP_RSP_BUF)
				return -EMSGSIZE;
			raw[len++] = (char)c;
		}
		hi = next_byte(rsp, rsp->reply_timeout_ms, false);
		lo = hi < 0 ? hi : next_byte(rsp, rsp->reply_timeout_ms, false);
		if (lo < 0)
			return lo;
		if (rsp->noack)
			break;
		if (hexval(hi) >= 0 && hexval(lo) >= 0 &&
		    (hexval(hi) << 4 | hexval(lo)) == up_rsp_checksum(raw, len)) {
			rsp->ack_pending = true;
			break;
		}
		/* a mangled packet: ask for it again at once */
		n = up_rsp_flush_ack(rsp);
		if (!n)
			n = write_all(rsp->fd, "-", 1);
		if (n)
			return n;
	}
	n = up_rsp_expand(rsp->pkt, UP_RSP_BUF, raw, len);
	if (n < 0)
		return n;
	rsp->pkt[n] = '\0';
	rsp->pkt_len = (size_t)n;
	if (rsp->debug)
		fprintf(stderr, "rsp: <- %.*s\n", n < 1200 ? n : 1200, rsp->pkt);
	return n;
}

bool up_rsp_is_stop(const char *pkt, size_t len)
{
	return len >= 3 && pkt[0] && strchr("TSWX", pkt[0]) && hexval(pkt[1]) >= 0 &&
	       hexval(pkt[2]) >= 0;
}

static int reply(struct up_rsp *rsp, bool stop_expected)
{
	int n;

	for (;;) {
		n = up_rsp_recv(rsp, rsp->reply_timeout_ms, false);
		if (n < 0)
			return n;
		/* console output from gdbserver ("O" + hex), not a reply */
		if (n > 1 && rsp->pkt[0] == 'O' && rsp->pkt[1] != 'K')
			continue;
		if (!stop_expected && rsp->on_stop && up_rsp_is_stop(rsp->pkt, (size_t)n)) {
			rsp->strays++;
			rsp->on_stop(rsp->ctx);
			continue;
		}
		return n;
	}
}

int up_rsp_reply(struct up_rsp *rsp)
{
	return reply(rsp, false);
}

int up_rsp_command(struct up_rsp *rsp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	n = up_rsp_send(rsp, buf, (size_t)n);
	if (n)
		return n;
	return reply(rsp, strcmp(buf, "?") == 0);
}

int up_rsp_error(const struct up_rsp *rsp)
{
	if (rsp->pkt_len == 3 && rsp->pkt[0] == 'E' && hexval(rsp->pkt[1]) >= 0 &&
	    hexval(rsp->pkt[2]) >= 0)
		return -EIO;
	if (rsp->pkt_len >= 2 && rsp->pkt[0] == 'E' && rsp->pkt[1] == '.')
		return -EIO;
	return 0;
}
