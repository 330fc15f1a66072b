/* SPDX-License-Identifier: MIT */
/*
 * Parsing of stop replies: "T05thread:p1f.1f;swbreak:;", "S0b", "W00",
 * "W2a;process:1f", "X09". Only the fields the target needs are kept; the
 * signal stays in GDB's numbering (gdb_remote.c translates it).
 */
#include <errno.h>
#include <string.h>

#include "rsp.h"

/* "pPID.TID", "TID", "-1" or "0"; the packet ends at end (hex digits stop at its NUL). */
static int parse_thread_id(const char *s, const char *end, pid_t *pid, pid_t *tid)
{
	uint64_t v;

	if (s < end && *s == 'p') {
		s++;
		if (s < end && *s == '-') {
			/* "p-1": every process; one step at a time, the packet may end here */
			*pid = -1;
			s++;
			if (s < end && *s == '1')
				s++;
		} else {
			if (up_rsp_hex_u64(&s, &v))
				return -EINVAL;
			*pid = (pid_t)v;
		}
		if (s >= end || *s != '.') {
			*tid = 0;
			return 0;
		}
		s++;
	}
	if (s < end && *s == '-') {
		*tid = -1;
		return 0;
	}
	if (s >= end || up_rsp_hex_u64(&s, &v))
		return -EINVAL;
	*tid = (pid_t)v;
	return 0;
}

int up_rsp_parse_stop(const char *pkt, size_t len, struct up_rsp_stop *stop)
{
	const char *p = pkt + 1, *end = pkt + len;
	uint8_t sig;
	uint64_t v;

	memset(stop, 0, sizeof(*stop));
	/* strchr() finds the NUL too: a packet starting with one is no stop */
	if (len < 3 || !pkt[0] || !strchr("TSWX", pkt[0]))
		return -EINVAL;
	stop->kind = pkt[0];
	/* exactly two digits: "T0506:..." is signal 5, then register 6 */
	if (up_rsp_hex_decode(&sig, p, 1))
		return -EINVAL;
	stop->value = sig;
	p += 2;
	if (stop->kind == 'S')
		return 0;
	/* "n1:r1;n2:r2;..." after T; ";process:pid" after W and X */
	if (stop->kind != 'T' && p < end && *p == ';')
		p++;
	while (p < end) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *val;

		if (!semi)
			semi = end;
		if (!colon || colon > semi) {
			p = semi + 1;
			continue;
		}
		val = colon + 1;
		if (colon - p == 6 && memcmp(p, "thread", 6) == 0) {
			if (parse_thread_id(val, semi, &stop->pid, &stop->tid))
				return -EINVAL;
		} else if (colon - p == 7 && memcmp(p, "process", 7) == 0) {
			if (up_rsp_hex_u64(&val, &v))
				return -EINVAL;
			stop->pid = (pid_t)v;
		} else if (colon - p == 7 && memcmp(p, "swbreak", 7) == 0) {
			stop->swbreak = true;
		}
		p = semi + 1;
	}
	return 0;
}
