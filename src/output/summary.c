/* SPDX-License-Identifier: MIT */
/*
 * The end-of-run summary: hits per probe (--count) and log2 histograms of
 * durations per return probe (--hist), as text or as one JSON object.
 *
 * Text counts, sorted by hits (most first), then by key:
 *
 *   PROBE             HITS
 *   fib               1973
 *   libc.so.6:malloc  1050
 *
 * Text histograms, bpftrace's layout; bucket b >= 1 holds [2^b, 2^(b+1))
 * ns (bucket 0 holds [0, 2)), labelled in binary units as bpftrace's 1K,
 * 1M are: "1us" is 1024 ns, "1ms" 2^20 ns, "1s" 2^30 ns. The JSON gives
 * the exact bounds in ns.
 *
 *   @fib%return:
 *   [1us, 2us)           12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
 *
 * JSON, in probe order, one line:
 *   {"counts":{"fib":1973,"libc.so.6:malloc":1050},
 *    "hist":{"fib%return":[{"lo_ns":1024,"hi_ns":2048,"count":12}]}}
 * with "dropped":{KEY:N} last when the trap-free ring dropped events; JSON
 * events end with {"dropped":{KEY:N}} then.
 *
 * --hist=ARG histograms of values, bpftrace's hist() layout: (..., 0) for
 * negative values, [0], [1], then [2, 4) ... in binary units (4K is 4096);
 * in JSON {"lo":4096,"hi":8192,"count":N} with exact bounds (lo of the
 * negative bucket: -2^63).
 *
 *   @libc.so.6:malloc (size):
 *   [4K, 8K)            12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
 */
#include <stdlib.h>
#include <string.h>

#include "output_internal.h"

#define LINE_MAX_BYTES 8192
#define BAR_WIDTH 52
#define LABEL_MIN 16

/* Room for one line or one JSON member, written straight into the output buffer. */
static struct up_wbuf line_begin(struct up_output *o)
{
	return up_output_reserve(o, LINE_MAX_BYTES);
}

static unsigned digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int by_hits(const void *a, const void *b)
{
	const struct up_probe *pa = *(const struct up_probe *const *)a;
	const struct up_probe *pb = *(const struct up_probe *const *)b;

	if (pa->hits != pb->hits)
		return pa->hits > pb->hits ? -1 : 1;
	return strcmp(pa->key, pb->key);
}

static void counts_text(struct up_output *o, struct up_probe *const *probes, unsigned n)
{
	const struct up_probe **sorted = malloc(n * sizeof(*sorted) + 1);
	unsigned key_width = strlen("PROBE"), hits_width = strlen("HITS");
	struct up_wbuf w;

	for (unsigned i = 0; i < n; i++) {
		size_t kl = strnlen(probes[i]->key, UP_KEY_MAX);

		if (kl > key_width)
			key_width = kl;
		if (digits(probes[i]->hits) > hits_width)
			hits_width = digits(probes[i]->hits);
	}
	w = line_begin(o);
	up_wb_puts(&w, "PROBE");
	up_wb_spaces(&w, key_width - strlen("PROBE") + 2 + hits_width - strlen("HITS"));
	up_wb_puts(&w, "HITS\n");
	up_output_commit(o, &w);

	if (sorted && n) { /* probes is NULL when none resolved */
		memcpy(sorted, probes, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_hits);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct up_probe *p = sorted ? sorted[i] : probes[i];
		size_t kl = strnlen(p->key, UP_KEY_MAX);

		w = line_begin(o);
		up_wb_put(&w, p->key, kl);
		up_wb_spaces(&w, key_width - kl + 2);
		up_wb_u64_width(&w, p->hits, hits_width);
		up_wb_putc(&w, '\n');
		up_output_commit(o, &w);
	}
	free(sorted);
}

/* 2^k ns (or 0) in binary units: "512ns", "1us", "4ms", "2s". */
static void power_label(struct up_wbuf *w, int k)
{
	static const char *const units[] = {"ns", "us", "ms", "s"};
	unsigned u = k < 0 ? 0 : (unsigned)k / 10;

	if (k < 0) {
		up_wb_putc(w, '0');
		return;
	}
	if (u > 3)
		u = 3;
	up_wb_u64(w, UINT64_C(1) << (k - 10 * u));
	up_wb_puts(w, units[u]);
}

/* "[1us, 2us)" of bucket b into buf; returns its length. */
static size_t bucket_label(unsigned b, char *buf, size_t len)
{
	struct up_wbuf w = {buf, buf + len - 1};

	up_wb_putc(&w, '[');
	power_label(&w, b ? (int)b : -1);
	up_wb_puts(&w, ", ");
	power_label(&w, b + 1);
	up_wb_putc(&w, ')');
	*w.pos = '\0';
	return w.pos - buf;
}

static void hist_text(struct up_output *o, const struct up_probe *p)
{
	int lo = -1, hi = -1;
	uint64_t max = 0;
	size_t width = LABEL_MIN;
	char label[48];
	struct up_wbuf w;

	for (unsigned b = 0; b < UP_HIST_BUCKETS; b++) {
		if (!p->hist[b])
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
		if (p->hist[b] > max)
			max = p->hist[b];
	}
	w = line_begin(o);
	up_wb_putc(&w, '@');
	up_wb_puts(&w, p->key);
	up_wb_puts(&w, lo < 0 ? ": no returns\n" : ":\n");
	up_output_commit(o, &w);
	if (lo < 0)
		return;
	for (int b = lo; b <= hi; b++) {
		size_t l = bucket_label(b, label, sizeof(label));

		if (l + 1 > width)
			width = l + 1;
	}
	for (int b = lo; b <= hi; b++) {
		size_t l = bucket_label(b, label, sizeof(label));
		unsigned bar = p->hist[b] * BAR_WIDTH / max;

		w = line_begin(o);
		up_wb_put(&w, label, l);
		up_wb_spaces(&w, width - l);
		up_wb_u64_width(&w, p->hist[b], 8);
		up_wb_puts(&w, " |");
		for (unsigned i = 0; i < BAR_WIDTH; i++)
			up_wb_putc(&w, i < bar ? '@' : ' ');
		up_wb_puts(&w, "|\n");
		up_output_commit(o, &w);
	}
}

/* 2^k in binary units: "1", "512", "1K", "4M", ... "8E". */
static void power_value_label(struct up_wbuf *w, unsigned k)
{
	static const char units[] = " KMGTPE";
	unsigned u = k / 10 < 6 ? k / 10 : 6;

	up_wb_u64(w, UINT64_C(1) << (k - 10 * u));
	if (u)
		up_wb_putc(w, units[u]);
}

/* The label of a --hist=ARG bucket: "(..., 0)", "[0]", "[1]", "[2, 4)", "[4K, 8K)", "[8E, 16E)". */
static size_t value_bucket_label(unsigned b, char *buf, size_t len)
{
	struct up_wbuf w = {buf, buf + len - 1};

	if (b == 0) {
		up_wb_puts(&w, "(..., 0)");
	} else if (b == 1) {
		up_wb_puts(&w, "[0]");
	} else if (b == 2) {
		up_wb_puts(&w, "[1]");
	} else {
		up_wb_putc(&w, '[');
		power_value_label(&w, b - 2);
		up_wb_puts(&w, ", ");
		if (b - 1 < 64)
			power_value_label(&w, b - 1);
		else
			up_wb_puts(&w, "16E");
		up_wb_putc(&w, ')');
	}
	*w.pos = '\0';
	return w.pos - buf;
}

/* The name of what a --hist=ARG histogram counts. */
static const char *hist_value_name(const struct up_probe *p)
{
	unsigned i = p->hist_value - UP_HIST_ARG0;

	if (p->hist_value == UP_HIST_RETVAL)
		return "$retval";
	return i < p->nargs ? p->args[i].name : "?";
}

static void value_hist_text(struct up_output *o, const struct up_probe *p)
{
	int lo = -1, hi = -1;
	uint64_t max = 0;
	size_t width = LABEL_MIN;
	char label[48];
	struct up_wbuf w;

	for (unsigned b = 0; b < UP_VHIST_BUCKETS; b++) {
		if (!p->vhist[b])
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
		if (p->vhist[b] > max)
			max = p->vhist[b];
	}
	w = line_begin(o);
	up_wb_putc(&w, '@');
	up_wb_puts(&w, p->key);
	up_wb_puts(&w, " (");
	up_wb_puts(&w, hist_value_name(p));
	up_wb_puts(&w, lo < 0 ? "): no values\n" : "):\n");
	up_output_commit(o, &w);
	for (int b = lo; lo >= 0 && b <= hi; b++) {
		size_t l = value_bucket_label(b, label, sizeof(label));

		if (l + 1 > width)
			width = l + 1;
	}
	for (int b = lo; lo >= 0 && b <= hi; b++) {
		size_t l = value_bucket_label(b, label, sizeof(label));
		unsigned bar = p->vhist[b] * BAR_WIDTH / max;

		w = line_begin(o);
		up_wb_put(&w, label, l);
		up_wb_spaces(&w, width - l);
		up_wb_u64_width(&w, p->vhist[b], 8);
		up_wb_puts(&w, " |");
		for (unsigned i = 0; i < BAR_WIDTH; i++)
			up_wb_putc(&w, i < bar ? '@' : ' ');
		up_wb_puts(&w, "|\n");
		up_output_commit(o, &w);
	}
}

/* One --hist=ARG histogram as a JSON array of its non-empty buckets. */
static void value_hist_json(struct up_output *o, const struct up_probe *p)
{
	bool first = true;
	struct up_wbuf w;

	for (unsigned b = 0; b < UP_VHIST_BUCKETS; b++) {
		if (!p->vhist[b])
			continue;
		w = line_begin(o);
		if (!first)
			up_wb_putc(&w, ',');
		first = false;
		up_wb_puts(&w, "{\"lo\":");
		if (b == 0)
			up_wb_puts(&w, "-9223372036854775808");
		else
			up_wb_u64(&w, b == 1 ? 0 : UINT64_C(1) << (b - 2));
		up_wb_puts(&w, ",\"hi\":");
		if (b <= 1)
			up_wb_u64(&w, b);
		else if (b - 1 < 64)
			up_wb_u64(&w, UINT64_C(1) << (b - 1));
		else
			up_wb_puts(&w, "18446744073709551616");
		up_wb_puts(&w, ",\"count\":");
		up_wb_u64(&w, p->vhist[b]);
		up_wb_putc(&w, '}');
		up_output_commit(o, &w);
	}
}

/* Does the probe have a histogram: its --hist=ARG values, or a return probe's durations. */
static bool has_hist(const struct up_probe *p)
{
	return p->hist_value || p->is_return;
}

static void counts_json(struct up_output *o, struct up_probe *const *probes, unsigned n)
{
	struct up_wbuf w = line_begin(o);

	up_wb_puts(&w, "\"counts\":{");
	up_output_commit(o, &w);
	for (unsigned i = 0; i < n; i++) {
		w = line_begin(o);
		if (i)
			up_wb_putc(&w, ',');
		up_wb_json_string(&w, probes[i]->key, strnlen(probes[i]->key, UP_KEY_MAX));
		up_wb_putc(&w, ':');
		up_wb_u64(&w, probes[i]->hits);
		up_output_commit(o, &w);
	}
	w = line_begin(o);
	up_wb_putc(&w, '}');
	up_output_commit(o, &w);
}

static void hist_json(struct up_output *o, struct up_probe *const *probes, unsigned n)
{
	struct up_wbuf w = line_begin(o);
	bool first = true;

	up_wb_puts(&w, "\"hist\":{");
	up_output_commit(o, &w);
	for (unsigned i = 0; i < n; i++) {
		const struct up_probe *p = probes[i];
		bool first_bucket = true;

		if (!has_hist(p))
			continue;
		w = line_begin(o);
		if (!first)
			up_wb_putc(&w, ',');
		first = false;
		up_wb_json_string(&w, p->key, strnlen(p->key, UP_KEY_MAX));
		up_wb_puts(&w, ":[");
		up_output_commit(o, &w);
		if (p->hist_value)
			value_hist_json(o, p);
		for (unsigned b = 0; !p->hist_value && b < UP_HIST_BUCKETS; b++) {
			if (!p->hist[b])
				continue;
			w = line_begin(o);
			if (!first_bucket)
				up_wb_putc(&w, ',');
			first_bucket = false;
			up_wb_puts(&w, "{\"lo_ns\":");
			up_wb_u64(&w, b ? UINT64_C(1) << b : 0);
			up_wb_puts(&w, ",\"hi_ns\":");
			if (b + 1 < 64)
				up_wb_u64(&w, UINT64_C(1) << (b + 1));
			else
				up_wb_puts(&w, "18446744073709551616");
			up_wb_puts(&w, ",\"count\":");
			up_wb_u64(&w, p->hist[b]);
			up_wb_putc(&w, '}');
			up_output_commit(o, &w);
		}
		w = line_begin(o);
		up_wb_putc(&w, ']');
		up_output_commit(o, &w);
	}
	w = line_begin(o);
	up_wb_putc(&w, '}');
	up_output_commit(o, &w);
}

/* ,"dropped":{KEY:N}: events the trap-free ring had no room for (only keys with drops). */
static void dropped_json(struct up_output *o, struct up_probe *const *probes, unsigned n,
			 bool alone)
{
	struct up_wbuf w;
	bool first = true;

	for (unsigned i = 0; i < n; i++) {
		if (!probes[i]->dropped)
			continue;
		w = line_begin(o);
		up_wb_puts(&w, first ? (alone ? "\"dropped\":{" : ",\"dropped\":{") : ",");
		first = false;
		up_wb_json_string(&w, probes[i]->key, strnlen(probes[i]->key, UP_KEY_MAX));
		up_wb_putc(&w, ':');
		up_wb_u64(&w, probes[i]->dropped);
		up_output_commit(o, &w);
	}
	if (first)
		return;
	w = line_begin(o);
	up_wb_putc(&w, '}');
	up_output_commit(o, &w);
}

void up_output_summary(struct up_output *o, struct up_probe *const *probes, unsigned n)
{
	bool count, hist;
	struct up_wbuf w;

	if (!o)
		return;
	count = o->flags & UP_OUT_COUNT;
	hist = o->flags & UP_OUT_HIST;
	if (!probes)
		n = 0;
	if (!count && !hist) {
		/* events: a last line {"dropped":{KEY:N}} when the ring dropped some (JSON only) */
		bool any = false;

		for (unsigned i = 0; i < n; i++)
			any |= probes[i]->dropped != 0;
		if (!(o->flags & UP_OUT_JSON) || !any)
			return;
		w = line_begin(o);
		up_wb_putc(&w, '{');
		up_output_commit(o, &w);
		dropped_json(o, probes, n, true);
		w = line_begin(o);
		up_wb_puts(&w, "}\n");
		up_output_commit(o, &w);
		up_output_flush(o);
		return;
	}

	if (o->flags & UP_OUT_JSON) {
		w = line_begin(o);
		up_wb_putc(&w, '{');
		up_output_commit(o, &w);
		if (count)
			counts_json(o, probes, n);
		if (count && hist) {
			w = line_begin(o);
			up_wb_putc(&w, ',');
			up_output_commit(o, &w);
		}
		if (hist)
			hist_json(o, probes, n);
		dropped_json(o, probes, n, false);
		w = line_begin(o);
		up_wb_puts(&w, "}\n");
		up_output_commit(o, &w);
		up_output_flush(o);
		return;
	}

	if (count)
		counts_text(o, probes, n);
	if (hist) {
		bool first = !count;

		for (unsigned i = 0; i < n; i++) {
			if (!has_hist(probes[i]))
				continue;
			if (!first) {
				w = line_begin(o);
				up_wb_putc(&w, '\n');
				up_output_commit(o, &w);
			}
			first = false;
			if (probes[i]->hist_value)
				value_hist_text(o, probes[i]);
			else
				hist_text(o, probes[i]);
		}
	}
	up_output_flush(o);
}
