/* SPDX-License-Identifier: MIT */
/*
 * The program the ELF/DWARF seeds of corpus/sym are built from (scripts/fuzz
 * --seeds rebuilds them): small, static, no libc, and DWARF for every kind
 * of type the sym layer reads: base types, enums signed and not, pointers,
 * char arrays, structs with anonymous unions and bit-fields, typedefs,
 * a struct returned through a hidden pointer, and a function with locals.
 */
typedef unsigned long size_type;
enum color { RED, GREEN = 5 };
enum delta { DOWN = -1, UP = 1 };

struct node {
	struct node *next;
	int len;
	union {
		long a;
		struct {
			short x, y;
		};
	};
	unsigned flag : 3;
	char name[12];
	const char *label;
};

struct big {
	long v[4];
};

volatile long sink;

int fx_leaf(int x, char c, enum color col, enum delta d)
{
	return x + c + col + d;
}

long fx_node(struct node *n, size_type k)
{
	long sum = 0;

	for (; n; n = n->next)
		sum += n->len + n->x + n->a + (long)k + n->name[0] + n->flag;
	return sum;
}

struct big fx_big(long x)
{
	struct big b = {{x, x + 1, x + 2, x + 3}};

	return b;
}

double fx_float(double d, float f)
{
	return d * f;
}

void _start(void)
{
	struct node n2 = {0, 2, {.a = 3}, 1, "two", "b"}, n1 = {&n2, 1, {.a = 7}, 2, "one", "a"};

	sink = fx_leaf(1, 'a', GREEN, DOWN) + fx_node(&n1, 4) + fx_big(5).v[2] +
	       (long)fx_float(1.5, 2.0f);
	for (;;)
		;
}
