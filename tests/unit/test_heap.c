/* test_heap.c - first-fit kernel heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/os/lib/heap.h"

enum { REGION = 64 * 1024 };

static _Alignas(16) uint8_t region[REGION];
static _Alignas(16) uint8_t region2[REGION];

static void test_init_rejects_tiny_or_null_region(void **state)
{
	struct heap h;

	assert_int_equal(heap_init(&h, region, 16), -1);
	assert_int_equal(heap_init(&h, NULL, REGION), -1);
	assert_int_equal(heap_init(&h, region + 3, 40), -1);   /* < 32 after align */
	assert_int_equal(heap_init(&h, region, REGION), 0);
	assert_int_equal(heap_free_bytes(&h), REGION - 16);
	assert_int_equal(heap_largest_free(&h), REGION - 16);
}

static void test_alloc_returns_aligned_distinct_usable_blocks(void **state)
{
	struct heap h;
	uint8_t *p[40];

	assert_int_equal(heap_init(&h, region + 5, REGION - 5), 0);
	for (int i = 0; i < 40; i++) {
		p[i] = heap_alloc(&h, (size_t)i + 1);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], i, (size_t)i + 1);
	}
	for (int i = 0; i < 40; i++)
		for (int b = 0; b <= i; b++)
			assert_int_equal(p[i][b], i);
	for (int i = 0; i < 40; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
}

static void test_alloc_zero_or_too_large_returns_null(void **state)
{
	struct heap h;

	assert_int_equal(heap_init(&h, region, REGION), 0);
	assert_null(heap_alloc(&h, 0));
	assert_null(heap_alloc(&h, REGION));
	assert_null(heap_alloc(&h, SIZE_MAX));
	assert_null(heap_alloc(&h, SIZE_MAX - 8));
	assert_non_null(heap_alloc(&h, REGION - 16));      /* exactly all */
	assert_null(heap_alloc(&h, 1));
	assert_int_equal(heap_free_bytes(&h), 0);
}

static void test_free_coalesces_so_whole_region_fits_again(void **state)
{
	struct heap h;
	void *p[64];

	assert_int_equal(heap_init(&h, region, REGION), 0);
	for (int i = 0; i < 64; i++)
		assert_non_null(p[i] = heap_alloc(&h, 500));
	/* free in an order that needs merging both ways */
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(heap_free(&h, p[i]), 0);
	assert_true(heap_largest_free(&h) < REGION / 2);
	for (int i = 63; i > 0; i -= 2)
		assert_int_equal(heap_free(&h, p[i]), 0);
	assert_int_equal(heap_free_bytes(&h), REGION - 16);
	assert_non_null(heap_alloc(&h, REGION - 16));
}

static void test_first_fit_reuses_earliest_hole(void **state)
{
	struct heap h;
	void *a, *b, *c, *d;

	assert_int_equal(heap_init(&h, region, REGION), 0);
	a = heap_alloc(&h, 256);
	b = heap_alloc(&h, 64);
	c = heap_alloc(&h, 256);
	d = heap_alloc(&h, 64);
	assert_non_null(d);
	assert_int_equal(heap_free(&h, a), 0);
	assert_int_equal(heap_free(&h, c), 0);
	assert_ptr_equal(heap_alloc(&h, 100), a);           /* first hole */
	assert_ptr_equal(heap_alloc(&h, 200), c);           /* a's rest too small */
	(void)b;
}

static void test_free_rejects_double_free_and_foreign_pointers(void **state)
{
	struct heap h;
	uint8_t *p, *q;
	size_t before;

	assert_int_equal(heap_init(&h, region, REGION), 0);
	p = heap_alloc(&h, 100);
	q = heap_alloc(&h, 100);
	before = heap_free_bytes(&h);
	assert_int_equal(heap_free(&h, NULL), 0);
	assert_int_equal(heap_free(&h, p + 16), -1);         /* inside a block */
	assert_int_equal(heap_free(&h, p + 1), -1);          /* misaligned */
	assert_int_equal(heap_free(&h, region2 + 64), -1);   /* other memory */
	assert_int_equal(heap_free_bytes(&h), before);
	assert_int_equal(heap_free(&h, p), 0);
	assert_int_equal(heap_free(&h, p), -1);              /* double */
	assert_int_equal(heap_free(&h, q), 0);
	assert_int_equal(heap_free(&h, q), -1);              /* double, merged */
	assert_int_equal(heap_free_bytes(&h), REGION - 16);
}

static void test_free_bytes_track_allocations(void **state)
{
	struct heap h;
	void *p;

	assert_int_equal(heap_init(&h, region, REGION), 0);
	p = heap_alloc(&h, 1);                               /* 32-byte block */
	assert_int_equal(heap_free_bytes(&h), REGION - 16 - 32);
	assert_int_equal(heap_free(&h, p), 0);
	p = heap_alloc(&h, 17);                              /* 48-byte block */
	assert_int_equal(heap_free_bytes(&h), REGION - 16 - 48);
	assert_int_equal(heap_free(&h, p), 0);
	assert_int_equal(heap_free_bytes(&h), REGION - 16);
}

static void test_grow_adds_a_second_region(void **state)
{
	struct heap h;
	void *p, *q;

	assert_int_equal(heap_init(&h, region, 4096), 0);
	assert_non_null(p = heap_alloc(&h, 4000));
	assert_null(heap_alloc(&h, 4000));
	assert_int_equal(heap_grow(&h, region2, 8192), 0);
	assert_non_null(q = heap_alloc(&h, 4000));
	assert_true((uint8_t *)q >= region2 && (uint8_t *)q < region2 + 8192);
	assert_int_equal(heap_free(&h, q), 0);
	assert_int_equal(heap_free(&h, p), 0);
	assert_int_equal(heap_free_bytes(&h), 4096 - 16 + 8192 - 16);
	for (int i = 2; i < HEAP_MAX_REGIONS; i++)
		assert_int_equal(heap_grow(&h, region2 + 8192 * i, 1024), 0);
	assert_int_equal(heap_grow(&h, region2 + 8192 * 7 + 2048, 1024), -1);
}

static void test_calloc_zeroes_and_rejects_overflow(void **state)
{
	struct heap h;
	uint8_t *p;

	memset(region, 0xaa, sizeof(region));
	assert_int_equal(heap_init(&h, region, REGION), 0);
	p = heap_calloc(&h, 10, 30);
	assert_non_null(p);
	for (int i = 0; i < 300; i++)
		assert_int_equal(p[i], 0);
	assert_null(heap_calloc(&h, SIZE_MAX / 2, 3));
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random_stress_keeps_patterns_and_accounting(void **state)
{
	enum { LIVE = 200 };
	struct heap h;
	uint8_t *p[LIVE] = { 0 };
	size_t len[LIVE] = { 0 };

	assert_int_equal(heap_init(&h, region, REGION), 0);
	for (int step = 0; step < 50000; step++) {
		int k = (int)(rnd() % LIVE);

		if (p[k]) {
			for (size_t b = 0; b < len[k]; b++)
				assert_int_equal(p[k][b], (uint8_t)k);
			assert_int_equal(heap_free(&h, p[k]), 0);
			p[k] = NULL;
			continue;
		}
		len[k] = 1 + rnd() % (rnd() % 8 ? 200 : 3000);
		p[k] = heap_alloc(&h, len[k]);
		if (p[k])
			memset(p[k], k, len[k]);
		else
			assert_true(heap_largest_free(&h) < len[k]);
	}
	for (int k = 0; k < LIVE; k++)
		assert_int_equal(heap_free(&h, p[k]), 0);
	assert_int_equal(heap_free_bytes(&h), REGION - 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_tiny_or_null_region),
		cmocka_unit_test(test_alloc_returns_aligned_distinct_usable_blocks),
		cmocka_unit_test(test_alloc_zero_or_too_large_returns_null),
		cmocka_unit_test(test_free_coalesces_so_whole_region_fits_again),
		cmocka_unit_test(test_first_fit_reuses_earliest_hole),
		cmocka_unit_test(test_free_rejects_double_free_and_foreign_pointers),
		cmocka_unit_test(test_free_bytes_track_allocations),
		cmocka_unit_test(test_grow_adds_a_second_region),
		cmocka_unit_test(test_calloc_zeroes_and_rejects_overflow),
		cmocka_unit_test(test_random_stress_keeps_patterns_and_accounting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
