/*
 * test_palloc.c - one test body per behaviour, run against both policies
 * (the policy is the cmocka prestate of each test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/os/lib/palloc.h"

#define BASE   0x100000ULL           /* 1 MiB: frame 256, aligned to order 8 only */
#define NPAGES 4096u

static enum palloc_policy pol_bitmap = PALLOC_BITMAP;
static enum palloc_policy pol_buddy = PALLOC_BUDDY;

struct fix {
	struct palloc pa;
	void *meta;
};

static enum palloc_policy policy_of(void **state)
{
	return *(enum palloc_policy *)*state;
}

/* Sets up f over [base, base + npages pages), all used. */
static void fix_init(struct fix *f, enum palloc_policy pol, uint64_t base,
		     uint64_t npages)
{
	size_t sz = palloc_meta_size(pol, npages);

	f->meta = malloc(sz + 1);
	assert_non_null(f->meta);
	/* deliberately misaligned metadata */
	assert_int_equal(palloc_init(&f->pa, pol, base, npages,
				     (char *)f->meta + 1, sz), 0);
}

static void fix_fini(struct fix *f)
{
	free(f->meta);
}

static uint64_t block_bytes(unsigned order)
{
	return PAGE_SIZE << order;
}

static void test_init_rejects_too_small_metadata(void **state)
{
	enum palloc_policy pol = policy_of(state);
	size_t sz = palloc_meta_size(pol, NPAGES);
	char *meta = malloc(sz);
	struct palloc pa;

	assert_int_equal(palloc_init(&pa, pol, BASE, NPAGES, meta, sz - 1), -1);
	assert_int_equal(palloc_init(&pa, pol, BASE, NPAGES, NULL, sz), -1);
	assert_int_equal(palloc_init(&pa, pol, BASE, 0, meta, sz), -1);
	assert_int_equal(palloc_init(&pa, (enum palloc_policy)7, BASE, NPAGES, meta, sz), -1);
	assert_int_equal(palloc_init(&pa, pol, BASE, NPAGES, meta, sz), 0);
	free(meta);
}

static void test_all_pages_start_used_until_add_free(void **state)
{
	struct fix f;
	uint64_t a;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	assert_int_equal(palloc_free_pages(&f.pa), 0);
	assert_int_equal(palloc_managed_pages(&f.pa), NPAGES);
	assert_int_equal(palloc_alloc(&f.pa, 0, &a), -1);
	palloc_add_free(&f.pa, BASE, NPAGES);
	assert_int_equal(palloc_free_pages(&f.pa), NPAGES);
	fix_fini(&f);
}

static void test_alloc_every_order_is_aligned_and_in_range(void **state)
{
	struct fix f;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	palloc_add_free(&f.pa, BASE, NPAGES);
	for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++) {
		uint64_t a;

		assert_int_equal(palloc_alloc(&f.pa, o, &a), 0);
		assert_int_equal(a % block_bytes(o), 0);
		assert_true(a >= BASE);
		assert_true(a + block_bytes(o) <= BASE + NPAGES * PAGE_SIZE);
		assert_int_equal(palloc_free(&f.pa, a, o), 0);
	}
	assert_int_equal(palloc_free_pages(&f.pa), NPAGES);
	fix_fini(&f);
}

static void test_alloc_rejects_order_above_max(void **state)
{
	struct fix f;
	uint64_t a;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	palloc_add_free(&f.pa, BASE, NPAGES);
	assert_int_equal(palloc_alloc(&f.pa, PALLOC_MAX_ORDER + 1, &a), -1);
	assert_int_equal(palloc_free(&f.pa, BASE, PALLOC_MAX_ORDER + 1), -1);
	fix_fini(&f);
}

/* Manages a real host buffer and writes a pattern into every block. */
static void test_blocks_hold_patterns_without_overlap(void **state)
{
	enum { NP = 256 };
	uint8_t *mem = aligned_alloc(block_bytes(PALLOC_MAX_ORDER),
				     block_bytes(PALLOC_MAX_ORDER));
	uint64_t addr[NP];
	unsigned order[NP], n = 0;
	struct fix f;

	assert_non_null(mem);
	fix_init(&f, policy_of(state), (uintptr_t)mem, NP);
	palloc_add_free(&f.pa, (uintptr_t)mem, NP);
	for (unsigned i = 0; n < NP; i++) {
		order[n] = palloc_free_pages(&f.pa) >= 32 ? i % 3 : 0;
		if (palloc_alloc(&f.pa, order[n], &addr[n]) < 0)
			break;
		memset((void *)(uintptr_t)addr[n], (int)(n & 0xff), block_bytes(order[n]));
		n++;
	}
	assert_int_equal(palloc_free_pages(&f.pa), 0);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)addr[i];

		for (uint64_t b = 0; b < block_bytes(order[i]); b++)
			assert_int_equal(p[b], i & 0xff);
		assert_int_equal(palloc_free(&f.pa, addr[i], order[i]), 0);
	}
	assert_int_equal(palloc_free_pages(&f.pa), NP);
	fix_fini(&f);
	free(mem);
}

static void test_exhaustion_returns_minus_one_and_recovers(void **state)
{
	struct fix f;
	uint64_t a, first;
	unsigned n = 0;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	palloc_add_free(&f.pa, BASE, NPAGES);
	assert_int_equal(palloc_alloc(&f.pa, 0, &first), 0);
	n = 1;
	while (palloc_alloc(&f.pa, 0, &a) == 0)
		n++;
	assert_int_equal(n, NPAGES);
	assert_int_equal(palloc_free_pages(&f.pa), 0);
	for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++)
		assert_int_equal(palloc_alloc(&f.pa, o, &a), -1);
	assert_int_equal(palloc_free(&f.pa, first, 0), 0);
	assert_int_equal(palloc_alloc(&f.pa, 0, &a), 0);
	assert_int_equal(a, first);
	fix_fini(&f);
}

static void test_free_rejects_double_free_wrong_order_and_foreign(void **state)
{
	struct fix f;
	uint64_t a;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	palloc_add_free(&f.pa, BASE + 8 * PAGE_SIZE, NPAGES - 8);
	assert_int_equal(palloc_alloc(&f.pa, 2, &a), 0);
	assert_int_equal(palloc_free(&f.pa, a, 1), -1);          /* wrong order */
	assert_int_equal(palloc_free(&f.pa, a + PAGE_SIZE, 0), -1); /* inside */
	assert_int_equal(palloc_free(&f.pa, a + 1, 2), -1);      /* unaligned */
	assert_int_equal(palloc_free(&f.pa, BASE - PAGE_SIZE, 0), -1);
	assert_int_equal(palloc_free(&f.pa, BASE + NPAGES * PAGE_SIZE, 0), -1);
	assert_int_equal(palloc_free(&f.pa, BASE, 0), -1);       /* reserved */
	assert_int_equal(palloc_free(&f.pa, a, 2), 0);
	assert_int_equal(palloc_free(&f.pa, a, 2), -1);          /* double */
	assert_int_equal(palloc_free_pages(&f.pa), NPAGES - 8);
	fix_fini(&f);
}

static void test_add_free_with_holes_hands_out_only_free_pages(void **state)
{
	struct fix f;
	uint64_t a, n = 0;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	/* three map entries with holes, one overlapping, one past the end */
	palloc_add_free(&f.pa, BASE + 10 * PAGE_SIZE, 100);
	palloc_add_free(&f.pa, BASE + 50 * PAGE_SIZE, 100);
	palloc_add_free(&f.pa, BASE + 1000 * PAGE_SIZE, 7);
	palloc_add_free(&f.pa, BASE + (NPAGES - 3) * PAGE_SIZE, 100);
	palloc_add_free(&f.pa, 0, 10);                    /* below: clipped away */
	assert_int_equal(palloc_free_pages(&f.pa), 140 + 7 + 3);
	assert_false(palloc_page_is_free(&f.pa, BASE + 9 * PAGE_SIZE));
	assert_true(palloc_page_is_free(&f.pa, BASE + 10 * PAGE_SIZE + 123));
	while (palloc_alloc(&f.pa, 0, &a) == 0) {
		uint64_t i = (a - BASE) / PAGE_SIZE;

		assert_true((i >= 10 && i < 150) || (i >= 1000 && i < 1007) ||
			    i >= NPAGES - 3);
		n++;
	}
	assert_int_equal(n, 150);
	fix_fini(&f);
}

static void test_add_free_skips_allocated_and_free_pages(void **state)
{
	struct fix f;
	uint64_t a;

	fix_init(&f, policy_of(state), BASE, NPAGES);
	palloc_add_free(&f.pa, BASE, 64);
	assert_int_equal(palloc_alloc(&f.pa, 3, &a), 0);
	palloc_add_free(&f.pa, BASE, 64);                 /* again */
	assert_int_equal(palloc_free_pages(&f.pa), 56);
	assert_int_equal(palloc_free(&f.pa, a, 3), 0);
	assert_int_equal(palloc_free_pages(&f.pa), 64);
	fix_fini(&f);
}

/* Bitmap: freed pages are reused; buddy: they coalesce back. */
static void test_fragmentation_then_free_restores_large_blocks(void **state)
{
	enum { NP = 1u << PALLOC_MAX_ORDER };
	static uint64_t pg[NP];
	struct fix f;
	uint64_t a;

	fix_init(&f, policy_of(state), 0, NP);
	palloc_add_free(&f.pa, 0, NP);
	for (unsigned i = 0; i < NP; i++)
		assert_int_equal(palloc_alloc(&f.pa, 0, &pg[i]), 0);
	for (unsigned i = 0; i < NP; i += 2)
		assert_int_equal(palloc_free(&f.pa, pg[i], 0), 0);
	assert_int_equal(palloc_free_pages(&f.pa), NP / 2);
	assert_int_equal(palloc_alloc(&f.pa, 1, &a), -1);      /* fragmented */
	assert_int_equal(palloc_alloc(&f.pa, 0, &a), 0);       /* reuse */
	assert_int_equal(palloc_free(&f.pa, a, 0), 0);
	for (unsigned i = 1; i < NP; i += 2)
		assert_int_equal(palloc_free(&f.pa, pg[i], 0), 0);
	assert_int_equal(palloc_alloc(&f.pa, PALLOC_MAX_ORDER, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(palloc_free_pages(&f.pa), 0);
	fix_fini(&f);
}

static void test_unaligned_base_keeps_physical_alignment(void **state)
{
	struct fix f;
	uint64_t base = 0x3000, a;        /* frame 3 */
	unsigned n = 0;

	fix_init(&f, policy_of(state), base, 2048);
	palloc_add_free(&f.pa, base, 2048);
	while (palloc_alloc(&f.pa, PALLOC_MAX_ORDER, &a) == 0) {
		assert_int_equal(a % block_bytes(PALLOC_MAX_ORDER), 0);
		n++;
	}
	assert_int_equal(n, 1);            /* only [4 MiB, 8 MiB) fits */
	assert_int_equal(palloc_free_pages(&f.pa), 2048 - 1024);
	while (palloc_alloc(&f.pa, 0, &a) == 0)
		n++;
	assert_int_equal(palloc_free_pages(&f.pa), 0);
	fix_fini(&f);
}

/* ---- randomized stress against a shadow model ------------------------- */

enum { SNP = 2048, SMAXLIVE = 512 };

struct shadow {
	uint8_t page[SNP];                /* 0 hole, 1 free, 2 allocated */
	uint64_t addr[SMAXLIVE];
	unsigned order[SMAXLIVE], nlive;
	uint64_t nfree;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void shadow_mark(struct shadow *sh, uint64_t addr, unsigned o, uint8_t v)
{
	uint64_t i0 = (addr - BASE) / PAGE_SIZE;

	for (uint64_t i = i0; i < i0 + (1u << o); i++) {
		assert_int_equal(sh->page[i], v == 2 ? 1 : 2);
		sh->page[i] = v;
	}
}

/* Returns true if the shadow has a fully free block of 2^o aligned pages. */
static bool shadow_has_block(const struct shadow *sh, unsigned o)
{
	uint64_t n = 1u << o;
	uint64_t first = ((BASE / PAGE_SIZE + n - 1) & ~(n - 1)) - BASE / PAGE_SIZE;

	for (uint64_t i = first; i + n <= SNP; i += n) {
		uint64_t j = 0;

		while (j < n && sh->page[i + j] == 1)
			j++;
		if (j == n)
			return true;
	}
	return false;
}

static void stress_alloc(struct fix *f, struct shadow *sh)
{
	unsigned o = rnd() % 8 == 0 ? (unsigned)(rnd() % 11) : (unsigned)(rnd() % 4);
	uint64_t a;

	if (sh->nlive == SMAXLIVE)
		return;
	if (palloc_alloc(&f->pa, o, &a) < 0) {
		assert_false(shadow_has_block(sh, o));
		return;
	}
	assert_int_equal(a % block_bytes(o), 0);
	shadow_mark(sh, a, o, 2);
	sh->nfree -= 1u << o;
	sh->addr[sh->nlive] = a;
	sh->order[sh->nlive++] = o;
}

static void stress_free(struct fix *f, struct shadow *sh)
{
	unsigned k;
	uint64_t a;

	if (sh->nlive == 0)
		return;
	k = (unsigned)(rnd() % sh->nlive);
	a = sh->addr[k];
	assert_int_equal(palloc_free(&f->pa, a, sh->order[k]), 0);
	assert_int_equal(palloc_free(&f->pa, a, sh->order[k]), -1);
	shadow_mark(sh, a, sh->order[k], 1);
	sh->nfree += 1u << sh->order[k];
	sh->addr[k] = sh->addr[--sh->nlive];
	sh->order[k] = sh->order[sh->nlive];
}

static void test_random_stress_matches_shadow_model(void **state)
{
	static struct shadow sh;
	struct fix f;

	memset(&sh, 0, sizeof(sh));
	fix_init(&f, policy_of(state), BASE, SNP);
	for (unsigned r = 0; r < 12; r++) {            /* random holes */
		uint64_t start = rnd() % SNP, len = rnd() % 400;

		palloc_add_free(&f.pa, BASE + start * PAGE_SIZE, len);
		for (uint64_t i = start; i < start + len && i < SNP; i++)
			sh.page[i] = 1;
	}
	for (unsigned i = 0; i < SNP; i++)
		sh.nfree += sh.page[i] == 1;
	assert_int_equal(palloc_free_pages(&f.pa), sh.nfree);
	for (unsigned step = 0; step < 40000; step++) {
		if (rnd() % 100 < 55)
			stress_alloc(&f, &sh);
		else
			stress_free(&f, &sh);
		assert_int_equal(palloc_free_pages(&f.pa), sh.nfree);
	}
	while (sh.nlive)
		stress_free(&f, &sh);
	for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++) {
		uint64_t a;
		int r = palloc_alloc(&f.pa, o, &a);

		assert_int_equal(r == 0, shadow_has_block(&sh, o));
		if (r == 0)
			assert_int_equal(palloc_free(&f.pa, a, o), 0);
	}
	fix_fini(&f);
}

static void test_policy_names_round_trip(void **state)
{
	enum palloc_policy pol = policy_of(state), back = (enum palloc_policy)9;

	assert_int_equal(palloc_policy_parse(palloc_policy_name(pol), &back), 0);
	assert_int_equal(back, pol);
	assert_int_equal(palloc_policy_parse("slab", &back), -1);
	assert_string_equal(palloc_policy_name((enum palloc_policy)9), "?");
}

#define BOTH(fn) \
	cmocka_unit_test_prestate(fn, &pol_bitmap), \
	cmocka_unit_test_prestate(fn, &pol_buddy)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_init_rejects_too_small_metadata),
		BOTH(test_all_pages_start_used_until_add_free),
		BOTH(test_alloc_every_order_is_aligned_and_in_range),
		BOTH(test_alloc_rejects_order_above_max),
		BOTH(test_blocks_hold_patterns_without_overlap),
		BOTH(test_exhaustion_returns_minus_one_and_recovers),
		BOTH(test_free_rejects_double_free_wrong_order_and_foreign),
		BOTH(test_add_free_with_holes_hands_out_only_free_pages),
		BOTH(test_add_free_skips_allocated_and_free_pages),
		BOTH(test_fragmentation_then_free_restores_large_blocks),
		BOTH(test_unaligned_base_keeps_physical_alignment),
		BOTH(test_random_stress_matches_shadow_model),
		BOTH(test_policy_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
