/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * array.h: the one growable-array step the map readers and stores share,
 * and sorting that accepts an empty array.
 */
#ifndef PYLEAK_ARRAY_H
#define PYLEAK_ARRAY_H

#include <stddef.h>
#include <stdlib.h>

/*
 * array_room() - make room in array v (capacity *cap elements of size
 * bytes, n used) for one more: when full, double it (first elements the
 * first time). Returns the array (maybe moved; *cap updated), or NULL with
 * v and *cap untouched when memory runs out.
 */
static inline void *array_room(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : first;
	v = realloc(v, want * size);
	if (v)
		*cap = want;
	return v;
}

/* ARRAY_FREE() - free array v and zero its count n and capacity cap. */
#define ARRAY_FREE(v, n, cap) \
	do { \
		free(v); \
		(v) = NULL; \
		(n) = (cap) = 0; \
	} while (0)

/*
 * array_sort() - qsort() that takes an empty array: with n < 2 there is
 * nothing to sort and v may be NULL (an array never grown). qsort()'s
 * base is declared non-null, so qsort(NULL, 0, ...) is undefined behaviour
 * (UBSan reports it; make asan found two in a report with no sites).
 */
static inline void array_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

#endif /* PYLEAK_ARRAY_H */
