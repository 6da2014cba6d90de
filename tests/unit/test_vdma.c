/* Unit tests for the PIIX PRD-table translation (hv/vdma.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vdma.h"

#define RAM      (16u << 20)
#define HOLE_LO  0xa0000u
#define HOLE_HI  0x100000u

struct map {
	uint64_t offset;         /* hpa = gpa + offset */
	int swap_pages;          /* map page n to page n ^ 1: host pages out of order */
	unsigned calls;
};

static int xlate(void *ctx, uint64_t gpa, uint32_t len, uint64_t *hpa)
{
	struct map *m = ctx;

	m->calls++;
	if (gpa + len > RAM || (gpa < HOLE_HI && gpa + len > HOLE_LO))
		return -1;
	uint64_t page = gpa >> 12;
	if (m->swap_pages)
		page ^= 1;
	*hpa = (page << 12) + (gpa & 0xfff) + m->offset;
	return 0;
}

static int build(struct map *m, const struct vdma_prd *g, unsigned n, struct vdma_prd *s,
		 unsigned smax, const char **err, unsigned *bad)
{
	return vdma_build_shadow(g, n, xlate, m, s, smax, err, bad);
}

static void test_one_buffer_becomes_one_host_entry_with_eot(void **state)
{
	struct map m = { .offset = 0x10000000 };
	struct vdma_prd g[1] = { { 0x200000, 512, VDMA_PRD_EOT } }, s[8];
	const char *err = NULL;
	unsigned bad;

	assert_int_equal(build(&m, g, 1, s, 8, &err, &bad), 1);
	assert_int_equal(s[0].addr, 0x10200000);
	assert_int_equal(s[0].count, 512);
	assert_int_equal(s[0].flags, VDMA_PRD_EOT);
}

static void test_buffer_over_contiguous_pages_is_merged(void **state)
{
	struct map m = { .offset = 0x10000000 };
	struct vdma_prd g[1] = { { 0x300800, 0x3000, VDMA_PRD_EOT } }, s[8];
	const char *err;
	unsigned bad;

	assert_int_equal(build(&m, g, 1, s, 8, &err, &bad), 1);
	assert_int_equal(s[0].addr, 0x10300800);
	assert_int_equal(s[0].count, 0x3000);
	assert_true(m.calls >= 4);               /* walked page by page */
}

static void test_buffer_over_scattered_host_pages_is_split(void **state)
{
	struct map m = { .offset = 0x10000000, .swap_pages = 1 };
	struct vdma_prd g[1] = { { 0x400000, 0x2000, VDMA_PRD_EOT } }, s[8];
	const char *err;
	unsigned bad;

	assert_int_equal(build(&m, g, 1, s, 8, &err, &bad), 2);
	assert_int_equal(s[0].addr, 0x10401000);
	assert_int_equal(s[0].count, 0x1000);
	assert_int_equal(s[0].flags, 0);
	assert_int_equal(s[1].addr, 0x10400000);
	assert_int_equal(s[1].count, 0x1000);
	assert_int_equal(s[1].flags, VDMA_PRD_EOT);
}

static void test_count_zero_means_64k(void **state)
{
	struct map m = { .offset = 0x10000000 };
	struct vdma_prd g[1] = { { 0x500000, 0, VDMA_PRD_EOT } }, s[8];
	const char *err;
	unsigned bad;

	assert_int_equal(build(&m, g, 1, s, 8, &err, &bad), 1);
	assert_int_equal(s[0].addr, 0x10500000);
	assert_int_equal(s[0].count, 0);         /* 64 KiB, as the chip encodes it */
}

static void test_host_64k_boundary_splits_an_entry(void **state)
{
	struct map m = { .offset = 0x10008000 };
	struct vdma_prd g[1] = { { 0x14000, 0x8000, VDMA_PRD_EOT } }, s[8];
	const char *err;
	unsigned bad;

	assert_int_equal(build(&m, g, 1, s, 8, &err, &bad), 2);
	assert_int_equal(s[0].addr, 0x1001c000);
	assert_int_equal(s[0].count, 0x4000);
	assert_int_equal(s[1].addr, 0x10020000);
	assert_int_equal(s[1].count, 0x4000);
}

static void test_several_entries_keep_their_order(void **state)
{
	struct map m = { .offset = 0x10000000 };
	struct vdma_prd g[3] = { { 0x200000, 512, 0 }, { 0x600000, 1024, 0 }, { 0x700000, 2048, VDMA_PRD_EOT } };
	struct vdma_prd s[8];
	const char *err;
	unsigned bad;

	assert_int_equal(build(&m, g, 3, s, 8, &err, &bad), 3);
	assert_int_equal(s[1].addr, 0x10600000);
	assert_int_equal(s[2].count, 2048);
	assert_int_equal(s[0].flags | s[1].flags, 0);
	assert_int_equal(s[2].flags, VDMA_PRD_EOT);
}

static void expect_refusal(struct vdma_prd *g, unsigned n, const char *msg, unsigned want_bad,
			   uint64_t offset)
{
	struct map m = { .offset = offset };
	struct vdma_prd s[4];
	const char *err = NULL;
	unsigned bad = 99;

	assert_int_equal(build(&m, g, n, s, 4, &err, &bad), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, msg));
	assert_int_equal(bad, want_bad);
}

static void test_buffer_outside_ram_is_refused(void **state)
{
	struct vdma_prd g[2] = { { 0x200000, 512, 0 }, { 0x40000000, 512, VDMA_PRD_EOT } };
	expect_refusal(g, 2, "outside the guest's RAM", 1, 0x10000000);
}

static void test_buffer_just_past_the_end_of_ram_is_refused(void **state)
{
	/* RAM ends on a 64 KiB boundary, so a buffer reaching past it starts past it. */
	struct vdma_prd g[2] = { { RAM - 512, 512, 0 }, { RAM, 512, VDMA_PRD_EOT } };
	expect_refusal(g, 2, "outside the guest's RAM", 1, 0x10000000);
}

static void test_buffer_in_the_pc_hole_is_refused(void **state)
{
	struct vdma_prd g[1] = { { 0xb8000, 512, VDMA_PRD_EOT } };
	expect_refusal(g, 1, "outside the guest's RAM", 0, 0x10000000);
}

static void test_guest_buffer_crossing_64k_is_refused(void **state)
{
	struct vdma_prd g[1] = { { 0x20ff00, 0x200, VDMA_PRD_EOT } };
	expect_refusal(g, 1, "64 KiB", 0, 0x10000000);
}

static void test_table_without_eot_is_refused(void **state)
{
	struct vdma_prd g[2] = { { 0x200000, 512, 0 }, { 0x201000, 512, 0 } };
	expect_refusal(g, 2, "end-of-table", 2, 0x10000000);
}

static void test_host_memory_above_4g_is_refused(void **state)
{
	struct vdma_prd g[1] = { { 0x200000, 512, VDMA_PRD_EOT } };
	expect_refusal(g, 1, "above 4 GiB", 0, 0x100000000ull);
}

static void test_shadow_table_overflow_is_refused(void **state)
{
	struct map m = { .offset = 0x10000000, .swap_pages = 1 };
	struct vdma_prd g[1] = { { 0x800000, 0x8000, VDMA_PRD_EOT } }, s[4];
	const char *err = NULL;
	unsigned bad;

	/* 8 scattered pages need 8 entries; the shadow holds 4. */
	assert_int_equal(vdma_build_shadow(g, 1, xlate, &m, s, 4, &err, &bad), -1);
	assert_non_null(strstr(err, "full"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_buffer_becomes_one_host_entry_with_eot),
		cmocka_unit_test(test_buffer_over_contiguous_pages_is_merged),
		cmocka_unit_test(test_buffer_over_scattered_host_pages_is_split),
		cmocka_unit_test(test_count_zero_means_64k),
		cmocka_unit_test(test_host_64k_boundary_splits_an_entry),
		cmocka_unit_test(test_several_entries_keep_their_order),
		cmocka_unit_test(test_buffer_outside_ram_is_refused),
		cmocka_unit_test(test_buffer_just_past_the_end_of_ram_is_refused),
		cmocka_unit_test(test_buffer_in_the_pc_hole_is_refused),
		cmocka_unit_test(test_guest_buffer_crossing_64k_is_refused),
		cmocka_unit_test(test_table_without_eot_is_refused),
		cmocka_unit_test(test_host_memory_above_4g_is_refused),
		cmocka_unit_test(test_shadow_table_overflow_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
