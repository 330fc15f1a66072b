/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol's framing, private to src/target/remote/.
 *
 * A connection owns fixed buffers (no allocation per packet): bytes read
 * from the socket land in rx[], one packet's decoded payload (run-length
 * expanded) in pkt[], the next packet to send is framed in tx[]. Acks are
 * exchanged until the stub agrees to QStartNoAckMode.
 */
#ifndef UPTRACE_REMOTE_RSP_H
#define UPTRACE_REMOTE_RSP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UP_RSP_BUF 32768

struct up_rsp {
	int fd;
	bool noack;	      /* QStartNoAckMode accepted: no '+' either way */
	bool ack_pending;     /* a packet came in: its '+' goes out with our next bytes */
	size_t packet_size;   /* largest packet the stub takes (its PacketSize, capped) */
	int reply_timeout_ms; /* how long a command waits for its reply */
	bool debug;	      /* $UPTRACE_RSP_DEBUG set: packets logged to stderr */
	/*
	 * A stop reply that came while a command waited for its reply
	 * (qemu-user: a second thread stopping): handed over in rsp->pkt.
	 */
	void (*on_stop)(void *ctx);
	void *ctx;
	unsigned strays; /* how many such stop replies so far */
	size_t rx_pos, rx_len;
	char rx[UP_RSP_BUF];
	size_t pkt_len;
	char pkt[UP_RSP_BUF + 1]; /* decoded payload of the last packet, NUL-terminated */
	char tx[UP_RSP_BUF + 8];
};

/* One parsed stop reply ('T', 'S', 'W', 'X'). Signals are GDB's numbers. */
struct up_rsp_stop {
	char kind;    /* 'T' / 'S': stopped; 'W': exited; 'X': killed */
	int value;    /* signal (T, S, X) or exit code (W) */
	pid_t pid;    /* thread:pPID.TID or ;process:PID, else 0 */
	pid_t tid;    /* thread:TID, else 0 */
	bool swbreak; /* the stub said the stop is a software breakpoint */
};

/* Modulo-256 sum of the payload bytes, as framed after '#'. */
uint8_t up_rsp_checksum(const char *data, size_t len);
/* Frame "$data#cs" into out (at least len + 4 bytes); returns the framed length. */
size_t up_rsp_frame(char *out, const char *data, size_t len);
/*
 * Escape binary data for X / vFile packets ('#', '$', '}', '*' as '}' c^0x20).
 * Writes at most max bytes and returns how many input bytes fit (*outlen set).
 */
size_t up_rsp_escape(char *out, size_t max, const void *data, size_t len, size_t *outlen);
/* Undo '}' escapes in place; returns the new length. */
size_t up_rsp_unescape(char *buf, size_t len);
/* Expand run-length encoding ("c*N": N - 29 more copies of c) from in into out. */
int up_rsp_expand(char *out, size_t max, const char *in, size_t len);

/* Hex helpers: 0 or -EINVAL. */
int up_rsp_hex_decode(uint8_t *out, const char *hex, size_t nbytes);
void up_rsp_hex_encode(char *out, const void *data, size_t len);
/* Parse a hex number, advancing *p; -EINVAL when there is no digit. */
int up_rsp_hex_u64(const char **p, uint64_t *val);

/* A stop reply's fields; -EINVAL when the packet is not one. */
int up_rsp_parse_stop(const char *pkt, size_t len, struct up_rsp_stop *stop);

/* Start talking over fd (a connected socket). */
void up_rsp_init(struct up_rsp *rsp, int fd);
/*
 * Send one packet. Acks are not waited for (TCP does not lose or mangle
 * bytes; a stray '+' is skipped when reading) and ours ride along with the
 * next bytes we send, or go out before we block reading: one write and
 * one read fewer per exchange.
 */
int up_rsp_send(struct up_rsp *rsp, const char *data, size_t len);
/* printf-style packet. */
int up_rsp_sendf(struct up_rsp *rsp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send the ack of the last packet now, if it is still owed. */
int up_rsp_flush_ack(struct up_rsp *rsp);
/* Send a raw byte outside framing (\x03 interrupt). */
int up_rsp_send_byte(struct up_rsp *rsp, char c);
/*
 * Receive the next packet into rsp->pkt. timeout_ms < 0: forever. Returns
 * its length, -ETIMEDOUT, -EINTR (only when interrupted before a packet
 * began and eintr is set), -ECONNRESET when the stub closed.
 */
int up_rsp_recv(struct up_rsp *rsp, int timeout_ms, bool eintr);
/* Send a command and receive its reply (console 'O' packets skipped): the reply's length. */
int up_rsp_command(struct up_rsp *rsp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The reply to a command just sent (console output and stray stop replies set aside). */
int up_rsp_reply(struct up_rsp *rsp);
/* pkt looks like a stop reply: T, S, W or X and two hex digits. */
bool up_rsp_is_stop(const char *pkt, size_t len);
/* The reply is "Exx": its errno-ish value as a negative errno (-EIO), else 0. */
int up_rsp_error(const struct up_rsp *rsp);

/* GDB's signal numbers to Linux's and back (0 when there is none). */
int up_gdb_signal_to_linux(int gdb_sig);
int up_linux_signal_to_gdb(int sig);

#endif
