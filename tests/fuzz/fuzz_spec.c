/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the probe-spec parser (src/cli/spec.c) on any word.
 * The input is one PROBE word (NUL bytes end it early, as argv would),
 * also given to the predicate parser alone (what follows "if").
 * Besides not crashing, a success must leave terminated fields and a
 * known kind, and a failure a message that names the probe.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/spec.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_spec: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct up_spec spec;
	static struct up_pred pred;
	char err[512], *text = malloc(size + 1);
	struct up_type type;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	r = up_spec_parse(text, &spec, err, sizeof(err));
	CHECK(terminated(err, sizeof(err)));
	if (r == 0) {
		CHECK(err[0] == '\0');
		CHECK(spec.kind >= UP_SPEC_FUNC && spec.kind <= UP_SPEC_USDT); /* the last kind */
		CHECK(spec.nargs <= UP_MAX_ARGS);
		CHECK(!spec.module || (spec.module[0] && strlen(spec.module) < UP_SPEC_MODULE_MAX));
		CHECK(terminated(spec.func, sizeof(spec.func)));
		CHECK(!spec.file == (spec.kind != UP_SPEC_LINE));
		CHECK(!spec.file || strlen(spec.file) < UP_SPEC_FILE_MAX);
		CHECK(terminated(spec.usdt_provider, sizeof(spec.usdt_provider)));
		CHECK(terminated(spec.usdt_name, sizeof(spec.usdt_name)));
		CHECK(spec.pred.root < spec.pred.nnodes || !spec.pred.nnodes);
		for (unsigned i = 0; i < spec.nargs; i++) {
			const struct up_spec_arg *a = &spec.args[i];

			CHECK(terminated(a->name, sizeof(a->name)) && a->name[0]);
			CHECK(terminated(a->expr, sizeof(a->expr)));
			CHECK(a->kind >= UP_EXPR_VAR && a->kind <= UP_EXPR_TID);
			CHECK(a->kind != UP_EXPR_ARGN || (a->argn >= 1 && a->argn <= 64));
		}
		up_spec_release(&spec);
	} else {
		CHECK(r < 0);
		CHECK(strncmp(err, "probe '", 7) == 0);
		CHECK(!spec.module && !spec.file); /* a spec that failed owns nothing */
	}
	/* A short error buffer still ends in a NUL. */
	r = up_spec_parse(text, &spec, err, 9);
	CHECK(terminated(err, 9));
	up_spec_release(&spec);

	/* The predicate parser alone, on the same text. */
	r = up_pred_parse(text, size & 1, &pred, err, sizeof(err));
	CHECK(terminated(err, sizeof(err)));
	CHECK(r != 0 || (pred.nnodes && pred.root < pred.nnodes));

	if (up_type_parse(text, &type) == 0)
		CHECK(type.size == 1 || type.size == 2 || type.size == 4 || type.size == 8);
	free(text);
	return 0;
}
