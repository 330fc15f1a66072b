/* SPDX-License-Identifier: MIT */
/*
 * What every arch's instruction table shares (insn_table.h): parsing a
 * row, naming its mnemonic, and the checks decode() must pass on it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "insn_table.h"

const struct insn_table *insn_table_by_name(const char *arch)
{
	static const struct insn_table *const tables[] = {
	    &x86_64_insns,
	    &aarch64_insns,
	    &riscv64_insns,
	    &loongarch64_insns,
	};

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i]->arch, arch) == 0)
			return tables[i];
	return NULL;
}

size_t insn_case_bytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0, digits;
	unsigned v;

	for (;;) {
		hex += strspn(hex, " ");
		digits = strspn(hex, "0123456789abcdefABCDEF");
		if (digits == 0 || digits % 2 || digits > 16)
			return n;
		/* a token of k bytes is a little-endian value: its last two digits come first */
		for (size_t k = digits / 2; k-- > 0 && n < max;) {
			sscanf(hex + 2 * k, "%2x", &v);
			out[n++] = (uint8_t)v;
		}
		hex += digits;
	}
}

const char *insn_case_mnemonic(const struct insn_case *c)
{
	const char *space;

	if (c->ours)
		return c->ours;
	space = strrchr(c->oracle, ' ');
	return space ? space + 1 : c->oracle;
}

/* Equal, or equal but for an AT&T size suffix (b w l q) on one side: "push" and "pushq". */
static bool att_match(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la == lb + 1)
		return strncmp(a, b, lb) == 0 && strchr("bwlq", a[lb]);
	if (lb == la + 1)
		return strncmp(a, b, la) == 0 && strchr("bwlq", b[la]);
	return false;
}

bool insn_text_names(const struct insn_table *t, const char *text, const char *mnemonic)
{
	char buf[UP_INSN_TEXT_LEN];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	if (!t->att) {
		char *first = strtok_r(buf, " \t", &save);

		return first && strcmp(first, mnemonic) == 0;
	}
	/* x86: prefixes come first ("lock addq", "bnd ret"), operands end the mnemonic */
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (strchr("$%*(-0123456789", w[0]) && strcmp(w, "(bad)") != 0)
			break;
		if (att_match(w, mnemonic))
			return true;
	}
	return false;
}

/* A refusal's reason: "NAME: why", NAME naming the instruction. */
static bool why_names(const struct insn_table *t, const char *why, const char *mnemonic)
{
	const char *colon = strstr(why, ": ");
	char name[UP_INSN_TEXT_LEN];

	if (!colon || !colon[2] || (size_t)(colon - why) >= sizeof(name))
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)(colon - why), why);
	return insn_text_names(t, name, mnemonic);
}

/* Is mnemonic one of the oracle's words for bytes that are no instruction? */
static bool is_invalid(const struct insn_table *t, const char *mnemonic)
{
	size_t n = strlen(mnemonic);

	for (const char *s = t->invalid; s && *s; s += strcspn(s, " "), s += strspn(s, " "))
		if (strncmp(s, mnemonic, n) == 0 && (s[n] == ' ' || s[n] == 0))
			return true;
	return false;
}

void insn_table_check(const struct insn_table *t)
{
	const struct up_arch *a = up_arch_by_name(t->arch);
	unsigned counts[3] = {0}, bad = 0;

	assert_non_null(a);
	for (size_t i = 0; i < t->n; i++) {
		const struct insn_case *c = &t->cases[i];
		const char *mnemonic = insn_case_mnemonic(c);
		bool invalid = is_invalid(t, c->oracle), why_ok;
		uint8_t bytes[UP_INSN_MAX_LEN];
		size_t n = insn_case_bytes(c->hex, bytes, sizeof(bytes));
		unsigned length = a->insn_length(a, bytes, n);
		struct up_insn insn;
		int err = a->decode(a, &insn, t->addr, bytes, n);

		/*
		 * Where the oracle knows no instruction, decode() must refuse: -EINVAL
		 * (no instruction) or 0 when it still names a class for the bytes
		 * (aarch64's exception-generating space, say).
		 */
		if (c->action != UP_INSN_REFUSE)
			why_ok = insn.why[0] == 0;
		else if (invalid && err)
			why_ok = strstr(insn.why, t->invalid_why) != NULL;
		else
			why_ok = why_names(t, insn.why, mnemonic);
		if ((invalid ? err != 0 && err != -EINVAL : err != 0) || insn.action != c->action ||
		    insn.len != n || insn.addr != t->addr || memcmp(insn.bytes, bytes, n) != 0 ||
		    !insn_text_names(t, insn.text, mnemonic) || !why_ok ||
		    (c->action == UP_INSN_SIMULATE && insn.op == 0) ||
		    (length ? length != n : t->lengths)) {
			print_error("%s: err %d action %d len %u (insn_length %u) op %u text '%s' "
				    "why '%s'; want err %d action %d len %zu '%s'\n",
				    c->hex, err, insn.action, insn.len, length, insn.op, insn.text,
				    insn.why, invalid ? -EINVAL : 0, c->action, n, mnemonic);
			bad++;
		}
		if (t->check)
			t->check(c, &insn, err);
		counts[c->action]++;
	}
	assert_int_equal(bad, 0);
	/* the table covers each action */
	for (int k = 0; k < 3; k++)
		if (counts[k] < t->min[k])
			fail_msg("%s: %u rows of action %d, fewer than %u", t->arch, counts[k], k,
				 t->min[k]);
}
