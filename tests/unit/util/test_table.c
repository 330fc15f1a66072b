/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hash table (src/util/table.c, include/uptrace/table.h).
 * An entry carries its key and the hash the table is given for it, so a test
 * chooses collisions: equal hashes share a home slot, and keys are found
 * whose different hashes do. After every change the table's invariant is
 * checked slot by slot: each entry is reachable from its home without
 * crossing a free slot, and the count is the number of entries. Then many
 * random adds, removes and lookups are checked against a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uptrace/table.h"

struct entry {
	uint64_t key;
	uint64_t hash;
};

static uint64_t entry_hash(const void *e)
{
	return ((const struct entry *)e)->hash;
}

static bool entry_match(const void *e, const void *key)
{
	return ((const struct entry *)e)->key == *(const uint64_t *)key;
}

static struct entry *find(const struct up_table *t, uint64_t key, uint64_t hash)
{
	return up_table_find(t, hash, entry_match, &key);
}

static struct entry *make(uint64_t key, uint64_t hash)
{
	struct entry *e = malloc(sizeof(*e));

	assert_non_null(e);
	e->key = key;
	e->hash = hash;
	return e;
}

/* Every entry between its home and its slot, no free slot on the way; the count right. */
static void check_invariant(const struct up_table *t)
{
	unsigned n = 0;

	assert_true(((t->mask + 1) & t->mask) == 0);
	for (unsigned i = 0; i <= t->mask; i++) {
		const struct entry *e = t->slot[i];

		if (!e)
			continue;
		n++;
		for (unsigned j = up_table_home(t, e->hash); j != i; j = (j + 1) & t->mask)
			assert_non_null(t->slot[j]);
		assert_ptr_equal(find(t, e->key, e->hash), e);
	}
	assert_int_equal(n, t->count);
	/* at most half full once it has slots of its own */
	assert_true(t->count == 0 || t->count * 2 <= t->mask + 1);
}

/* The first key from from on whose hash (key * 7919) has home slot home. */
static uint64_t key_with_home(const struct up_table *t, unsigned home, uint64_t from)
{
	for (uint64_t k = from;; k++)
		if (up_table_home(t, k * 7919) == home)
			return k;
}

static void test_empty(void **state)
{
	struct up_table t;
	struct entry e = {1, 1};

	(void)state;
	up_table_init(&t, entry_hash);
	assert_null(find(&t, 1, 1));
	assert_false(up_table_remove(&t, &e));
	unsigned i = 0;
	assert_null(up_table_next(&t, &i));
	up_table_clear(&t);
	up_table_free(&t);
	assert_null(find(&t, 1, 1));
	assert_int_equal(t.count, 0);
}

/* Keys of one hash: one home, a cluster; each found, then removed from its middle. */
static void test_colliding(void **state)
{
	enum { N = 8 };
	struct entry *e[N];
	struct up_table t;

	(void)state;
	up_table_init(&t, entry_hash);
	for (unsigned k = 0; k < N; k++) {
		e[k] = make(100 + k, 42);
		assert_null(find(&t, e[k]->key, 42));
		assert_int_equal(up_table_add(&t, e[k]), 0);
		check_invariant(&t);
	}
	for (unsigned k = 0; k < N; k++)
		assert_ptr_equal(find(&t, 100 + k, 42), e[k]);
	/* the same hash, a key not there: the whole cluster is walked to its end */
	assert_null(find(&t, 99, 42));
	/* from the middle, then the first, then the last */
	unsigned order[N] = {3, 4, 0, 7, 1, 6, 2, 5};
	for (unsigned r = 0; r < N; r++) {
		struct entry *gone = e[order[r]];

		assert_true(up_table_remove(&t, gone));
		assert_false(up_table_remove(&t, gone));
		assert_null(find(&t, gone->key, 42));
		check_invariant(&t);
		for (unsigned k = r + 1; k < N; k++)
			assert_ptr_equal(find(&t, e[order[k]]->key, 42), e[order[k]]);
		free(gone);
	}
	assert_int_equal(t.count, 0);
	up_table_free(&t);
}

/*
 * Different hashes, one home: a cluster at home h with, after it, keys of
 * homes h + 1 and h + 2 pushed past their homes. A removal in the middle
 * must shift back the keys whose probe sequence crosses the hole and leave
 * those whose home is after it; also where the cluster wraps past the last
 * slot to the first.
 */
static void cluster_case(unsigned h)
{
	struct up_table t;
	struct entry *e[7];
	uint64_t k = 1;
	unsigned homes[7] = {0, 0, 0, 1, 1, 2, 0};

	up_table_init(&t, entry_hash);
	/* 64 slots once the first add has grown it: the homes are those of that size */
	struct entry *first = make(0, 0);
	assert_int_equal(up_table_add(&t, first), 0);
	assert_true(up_table_remove(&t, first));
	free(first);
	assert_int_equal(t.mask, 63);
	for (unsigned i = 0; i < 7; i++) {
		unsigned home = (h + homes[i]) & t.mask;

		k = key_with_home(&t, home, k);
		e[i] = make(k, k * 7919);
		k++;
		assert_int_equal(up_table_add(&t, e[i]), 0);
		check_invariant(&t);
	}
	/* seven slots from h, no free one between */
	for (unsigned i = 0; i < 7; i++)
		assert_non_null(t.slot[(h + i) & t.mask]);
	/* out of the middle: the second of home h */
	assert_true(up_table_remove(&t, e[1]));
	check_invariant(&t);
	for (unsigned i = 0; i < 7; i++)
		assert_ptr_equal(find(&t, e[i]->key, e[i]->hash), i == 1 ? NULL : e[i]);
	/* the home h + 1 pair, one after the other */
	assert_true(up_table_remove(&t, e[3]));
	check_invariant(&t);
	assert_true(up_table_remove(&t, e[4]));
	check_invariant(&t);
	for (unsigned i = 0; i < 7; i++)
		assert_ptr_equal(find(&t, e[i]->key, e[i]->hash),
				 i == 1 || i == 3 || i == 4 ? NULL : e[i]);
	/* the head of the cluster */
	assert_true(up_table_remove(&t, e[0]));
	check_invariant(&t);
	assert_ptr_equal(find(&t, e[6]->key, e[6]->hash), e[6]);
	assert_ptr_equal(find(&t, e[5]->key, e[5]->hash), e[5]);
	assert_ptr_equal(find(&t, e[2]->key, e[2]->hash), e[2]);
	for (unsigned i = 0; i < 7; i++)
		free(e[i]);
	up_table_free(&t);
}

/*
 * Entries at their homes inside a cluster stay where they are when an
 * earlier one goes; those behind them whose probe sequence crosses the
 * hole move back. Slots h..h+4 hold homes h, h+1, h, h+3, h+1; removing
 * the first leaves h+1 and h+3 in place and moves the others back:
 * h: the second of home h, h+1 as it was, h+2: the second of home h+1.
 */
static void at_home_case(unsigned h)
{
	unsigned homes[5] = {0, 1, 0, 3, 1};
	struct entry *e[5];
	struct up_table t;
	uint64_t k = 1;

	up_table_init(&t, entry_hash);
	struct entry *first = make(0, 0);
	assert_int_equal(up_table_add(&t, first), 0);
	assert_true(up_table_remove(&t, first));
	free(first);
	for (unsigned i = 0; i < 5; i++) {
		k = key_with_home(&t, (h + homes[i]) & t.mask, k);
		e[i] = make(k, k * 7919);
		k++;
		assert_int_equal(up_table_add(&t, e[i]), 0);
		assert_ptr_equal(t.slot[(h + i) & t.mask], e[i]);
	}
	assert_true(up_table_remove(&t, e[0]));
	check_invariant(&t);
	assert_ptr_equal(t.slot[h & t.mask], e[2]);
	assert_ptr_equal(t.slot[(h + 1) & t.mask], e[1]);
	assert_ptr_equal(t.slot[(h + 2) & t.mask], e[4]);
	assert_ptr_equal(t.slot[(h + 3) & t.mask], e[3]);
	assert_null(t.slot[(h + 4) & t.mask]);
	for (unsigned i = 1; i < 5; i++)
		assert_ptr_equal(find(&t, e[i]->key, e[i]->hash), e[i]);
	for (unsigned i = 0; i < 5; i++)
		free(e[i]);
	up_table_free(&t);
}

static void test_cluster_middle(void **state)
{
	(void)state;
	cluster_case(10);
	cluster_case(61); /* wraps: 61, 62, 63, 0, 1, 2, 3 */
	cluster_case(63);
	at_home_case(20);
	at_home_case(62); /* wraps: 62, 63, 0, 1, 2 */
}

/* Growth: every entry stays findable, as the same pointer, and each is walked once. */
static void test_growth(void **state)
{
	enum { N = 20000 };
	struct entry **e = calloc(N, sizeof(*e));
	unsigned char *seen = calloc(N, 1);
	struct up_table t;
	unsigned grows = 0, mask;

	(void)state;
	assert_non_null(e);
	assert_non_null(seen);
	up_table_init(&t, entry_hash);
	for (unsigned k = 0; k < N; k++) {
		mask = t.mask;
		/* the key itself as its hash, as the thread and point tables give it */
		e[k] = make(k, k);
		assert_int_equal(up_table_add(&t, e[k]), 0);
		if (t.mask != mask) {
			grows++;
			check_invariant(&t);
			for (unsigned j = 0; j <= k; j++)
				assert_ptr_equal(find(&t, j, j), e[j]);
		}
	}
	assert_true(grows >= 9); /* 64 -> 65536 slots */
	assert_int_equal(t.mask + 1, 65536);
	check_invariant(&t);
	for (unsigned k = 0; k < N; k++)
		assert_ptr_equal(find(&t, k, k), e[k]);
	assert_null(find(&t, N, N));
	struct entry *x;
	unsigned n = 0;
	for (unsigned i = 0; (x = up_table_next(&t, &i));) {
		assert_true(x->key < N);
		assert_int_equal(seen[x->key], 0);
		seen[x->key] = 1;
		n++;
	}
	assert_int_equal(n, N);
	/* cleared: nothing found, the slots kept, and it fills again */
	up_table_clear(&t);
	assert_int_equal(t.count, 0);
	assert_int_equal(t.mask + 1, 65536);
	for (unsigned k = 0; k < N; k += 97)
		assert_null(find(&t, k, k));
	for (unsigned k = 0; k < 100; k++)
		assert_int_equal(up_table_add(&t, e[k]), 0);
	check_invariant(&t);
	up_table_free(&t);
	assert_int_equal(t.count, 0);
	assert_null(find(&t, 5, 5));
	/* usable again after free */
	assert_int_equal(up_table_add(&t, e[5]), 0);
	assert_ptr_equal(find(&t, 5, 5), e[5]);
	up_table_free(&t);
	for (unsigned k = 0; k < N; k++)
		free(e[k]);
	free(e);
	free(seen);
}

/* xorshift64: the same sequence on every run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random adds, removes and lookups against an array indexed by key. Hashes
 * of few bits make long clusters (and removals in them) common; the key
 * range lets the table grow past several sizes and empty out again.
 */
static void random_ops(uint64_t seed, unsigned keys, uint64_t hash_mask, unsigned ops)
{
	struct entry **ref = calloc(keys, sizeof(*ref));
	struct up_table t;
	unsigned live = 0;

	assert_non_null(ref);
	up_table_init(&t, entry_hash);
	for (unsigned op = 0; op < ops; op++) {
		uint64_t r = rnd(&seed), k = r % keys, h = (k * 0x2545F4914F6CDD1Dull) & hash_mask;
		/* add more often in the first half, remove more often in the second */
		unsigned add_pct = op < ops / 2 ? 60 : 35;
		struct entry *found = find(&t, k, h);

		assert_ptr_equal(found, ref[k]);
		if ((r >> 32) % 100 < add_pct) {
			if (!ref[k]) {
				ref[k] = make(k, h);
				assert_int_equal(up_table_add(&t, ref[k]), 0);
				live++;
			}
		} else if (ref[k]) {
			assert_true(up_table_remove(&t, ref[k]));
			free(ref[k]);
			ref[k] = NULL;
			live--;
		}
		assert_int_equal(t.count, live);
		if (op % 1024 == 0)
			check_invariant(&t);
	}
	check_invariant(&t);
	for (unsigned k = 0; k < keys; k++) {
		uint64_t h = (k * 0x2545F4914F6CDD1Dull) & hash_mask;

		assert_ptr_equal(find(&t, k, h), ref[k]);
	}
	up_table_free(&t);
	for (unsigned k = 0; k < keys; k++)
		free(ref[k]);
	free(ref);
}

static void test_random(void **state)
{
	(void)state;
	random_ops(0x1234567, 4096, ~0ull, 200000);
	random_ops(0x89abcdef, 4096, 0x3f, 100000);	  /* 64 hashes: long clusters */
	random_ops(0xfeedface, 300, 0x7ull << 61, 50000); /* 8 hashes, only in the top bits */
	random_ops(0xdecafbad, 100000, ~0ull, 400000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),	   cmocka_unit_test(test_colliding),
	    cmocka_unit_test(test_cluster_middle), cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
