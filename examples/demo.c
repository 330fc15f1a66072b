/* SPDX-License-Identifier: MIT */
/*
 * demo: the program of the README's first command, a word-frequency counter. It counts the
 * words of a built-in text (or of the files given as arguments) with a small hash table, ROUNDS
 * times over so that it runs for about a second (a 25 ms pause per round, so it can also be
 * attached to with -p), computes a recursive fib now and then, and prints the most frequent
 * words. Functions worth tracing:
 *
 *   uptrace 'count_word word:string len' 'fib%return' -- ./demo
 *   uptrace --count 'fib' 'libc:malloc' -- ./demo
 *   uptrace 'hash_word%return' 'top_words n' -- ./demo
 *
 *   hash_word(const char *word, size_t len)     FNV-1a of one word
 *   count_word(const char *word, size_t len)    adds one to the word's counter
 *   split_text(const char *text, int round)     cuts text into words, calls count_word
 *   top_words(int n)                            prints the n most frequent words
 *   fib(int n)                                  recursive, every 5th round, n = 1..8
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUCKETS 1024
#define WORD_MAX 64
#define ROUNDS 40

struct entry {
	char word[WORD_MAX];
	long count;
	struct entry *next;
};

static struct entry *table[BUCKETS];
static long distinct;

static const char builtin_text[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
    "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it "
    "was the season of Light, it was the season of Darkness, it was the spring of hope, it "
    "was the winter of despair, we had everything before us, we had nothing before us, we "
    "were all going direct to Heaven, we were all going direct the other way.";

__attribute__((noinline)) int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) uint32_t hash_word(const char *word, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)word[i]) * 16777619u;
	return h;
}

__attribute__((noinline)) long count_word(const char *word, size_t len)
{
	struct entry **slot = &table[hash_word(word, len) % BUCKETS];

	for (struct entry *e = *slot; e; e = e->next)
		if (strlen(e->word) == len && memcmp(e->word, word, len) == 0)
			return ++e->count;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e) {
		perror("demo");
		exit(1);
	}
	memcpy(e->word, word, len);
	e->count = 1;
	e->next = *slot;
	*slot = e;
	distinct++;
	return 1;
}

__attribute__((noinline)) long split_text(const char *text, int round)
{
	char word[WORD_MAX];
	size_t len = 0;
	long words = 0;

	for (const char *p = text;; p++) {
		if (*p && isalpha((unsigned char)*p)) {
			if (len < WORD_MAX - 1)
				word[len++] = (char)tolower((unsigned char)*p);
			continue;
		}
		if (len) {
			word[len] = '\0';
			count_word(word, len);
			words++;
			len = 0;
		}
		if (!*p)
			break;
	}
	return words;
}

static int by_count(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a,
			   *y = *(const struct entry *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->word, y->word);
}

__attribute__((noinline)) void top_words(int n)
{
	struct entry **all = calloc((size_t)distinct, sizeof(*all));
	long k = 0;

	if (!all)
		return;
	for (int b = 0; b < BUCKETS; b++)
		for (struct entry *e = table[b]; e; e = e->next)
			all[k++] = e;
	qsort(all, (size_t)k, sizeof(*all), by_count);
	for (long i = 0; i < k && i < n; i++)
		printf("%8ld %s\n", all[i]->count, all[i]->word);
	free(all);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0, used = 0, got;

	if (!f) {
		perror(path);
		exit(1);
	}
	do {
		if (used + 4096 + 1 > size) {
			size = (used + 4096 + 1) * 2;
			buf = realloc(buf, size);
			if (!buf)
				exit(1);
		}
		got = fread(buf + used, 1, 4096, f);
		used += got;
	} while (got);
	buf[used] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	long words = 0, fibs = 0;

	for (int round = 0; round < ROUNDS; round++) {
		if (round % 5 == 0)
			fibs += fib(round / 5 + 1);
		if (argc < 2) {
			struct timespec pause = {0, 25 * 1000 * 1000};

			words += split_text(builtin_text, round);
			nanosleep(&pause, NULL);
			continue;
		}
		for (int i = 1; i < argc; i++) {
			char *text = read_file(argv[i]);

			words += split_text(text, round);
			free(text);
		}
		break;
	}
	printf("%ld words, %ld distinct, fib sum %ld; the most frequent:\n", words, distinct, fibs);
	top_words(5);
	return 0;
}
