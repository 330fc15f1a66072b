/* SPDX-License-Identifier: MIT */
/*
 * The output object: its one 1 MiB buffer, allocated at open, filled an
 * event at a time and written to the caller's FILE with one fwrite when it
 * fills, when asked (up_output_flush), or when UP_OUT_FLUSH_NS of trace
 * time have passed since the last write (judged from the events' own
 * timestamps: no clock read here). On a terminal every event is written at
 * once, as a line-buffered stream would be. Events go to text.c or json.c.
 *
 * A write that fails (the reader of a pipe went away, a full disk) is
 * remembered, not retried: from then on events are dropped, and the caller
 * sees up_output_error() and detaches. An interrupted write is resumed; a
 * full non-blocking descriptor is waited for until a stop is asked for
 * (wait_writable).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "output_internal.h"
#include "uptrace/sym.h"

int up_output_open(struct up_output **out, FILE *f, unsigned flags, uint64_t start_ns)
{
	struct up_output *o;

	if (!out || !f)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->buf = malloc(UP_OUT_BUF_SIZE);
	if (!o->buf) {
		free(o);
		return -ENOMEM;
	}
	o->f = f;
	o->flags = flags;
	o->start_ns = start_ns;
	o->last_flush_ns = start_ns;
	o->line_flush = fileno(f) >= 0 && isatty(fileno(f));
	*out = o;
	return 0;
}

void up_output_set_symtab(struct up_output *o, struct up_symtab *s)
{
	if (o)
		o->symtab = s;
}

/*
 * A descriptor that is non-blocking (main.c makes it so once a stop is
 * asked for; a parent may have made it so) and full: after
 * up_output_stop_waiting() the write fails at once, so that a reader who
 * stopped reading cannot hold up the detach; before, wait as a blocking
 * write would.
 */
static int wait_writable(struct up_output *o)
{
	struct pollfd pfd = {.fd = fileno(o->f), .events = POLLOUT};

	while (!o->stop_waiting && pfd.fd >= 0) {
		int n = poll(&pfd, 1, 100);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0;
	}
	return -EAGAIN;
}

/* All of buf[0..len) to f: 0, or the negative errno of the write that failed. */
static int write_all(struct up_output *o, const char *buf, size_t len)
{
	FILE *f = o->f;
	int err;

	while (len) {
		size_t n;

		errno = 0;
		n = fwrite(buf, 1, len, f);
		buf += n;
		len -= n;
		if (!len)
			break;
		err = errno ? errno : EIO;
		clearerr(f);
		if (err == EINTR)
			continue;
		if (err != EAGAIN && err != EWOULDBLOCK)
			return -err;
		err = wait_writable(o);
		if (err)
			return err;
	}
	while (fflush(f) != 0) {
		err = errno ? errno : EIO;
		clearerr(f);
		if (err == EINTR)
			continue;
		if (err != EAGAIN && err != EWOULDBLOCK)
			return -err;
		err = wait_writable(o);
		if (err)
			return err;
	}
	return 0;
}

void up_output_flush(struct up_output *o)
{
	int err = 0;

	if (!o)
		return;
	if (!o->error)
		err = write_all(o, o->buf, o->len);
	o->len = 0;
	if (err && !o->error)
		o->error = err;
}

int up_output_error(const struct up_output *o)
{
	return o ? o->error : -EINVAL;
}

void up_output_stop_waiting(struct up_output *o)
{
	if (o)
		o->stop_waiting = 1;
}

void up_output_close(struct up_output *o)
{
	if (!o)
		return;
	up_output_flush(o);
	free(o->buf);
	free(o);
}

struct up_wbuf up_output_reserve(struct up_output *o, size_t need)
{
	if (UP_OUT_BUF_SIZE - o->len < need)
		up_output_flush(o);
	return (struct up_wbuf){o->buf + o->len, o->buf + UP_OUT_BUF_SIZE};
}

void up_output_commit(struct up_output *o, const struct up_wbuf *w)
{
	o->len = w->pos - o->buf;
}

void up_frame_describe(struct up_output *o, uint64_t addr, char *buf, size_t len)
{
	struct up_wbuf w = {buf, buf + len - 1};

	if (o->symtab && up_sym_describe(o->symtab, addr, buf, len) == 0 && buf[0])
		return;
	up_wb_hex(&w, addr);
	*w.pos = '\0';
}

void up_output_event(struct up_output *o, const struct up_event *ev)
{
	struct up_wbuf w;

	if (!o || !ev || !ev->probe || (o->flags & (UP_OUT_COUNT | UP_OUT_HIST)))
		return;
	w = up_output_reserve(o, UP_OUT_EVENT_MAX);
	if (o->flags & UP_OUT_JSON)
		up_json_event(o, &w, ev);
	else
		up_text_event(o, &w, ev);
	up_output_commit(o, &w);
	if (o->line_flush ||
	    (ev->ts_ns > o->last_flush_ns && ev->ts_ns - o->last_flush_ns >= UP_OUT_FLUSH_NS)) {
		up_output_flush(o);
		o->last_flush_ns = ev->ts_ns;
	}
}
