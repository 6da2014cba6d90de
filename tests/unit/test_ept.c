/*
 * Unit tests for hv/ept.c: the EPT builder and walker. Table pages come
 * from aligned_alloc and are tracked so each test frees them; an allocator
 * budget makes it fail after N pages. The tables are also walked here by
 * hand (SDM layout), independently of ept_translate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../hv/ept.h"

#define KiB4  0x1000ull
#define MiB2  0x200000ull
#define GiB   0x40000000ull

#define MAX_PAGES 4096

struct pool {
	void *pages[MAX_PAGES];
	unsigned used;
	unsigned budget;                /* pages it will hand out before failing */
};

static struct pool pool;
static struct ept ept;

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	void *pg;

	if (p->used >= p->budget || p->used >= MAX_PAGES)
		return NULL;
	pg = aligned_alloc(4096, 4096);
	if (!pg)
		return NULL;
	memset(pg, 0, 4096);
	p->pages[p->used++] = pg;
	return pg;
}

static int setup(void **state)
{
	(void)state;
	memset(&pool, 0, sizeof(pool));
	pool.budget = MAX_PAGES;
	memset(&ept, 0, sizeof(ept));
	if (ept_init(&ept, pool_alloc, &pool) < 0)
		return -1;
	ept.large_ok = true;            /* the CPU has 2 MiB EPT pages */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < pool.used; i++)
		free(pool.pages[i]);
	pool.used = 0;
	return 0;
}

/* True if p is one of the allocator's pages. */
static int is_pool_page(uint64_t p)
{
	for (unsigned i = 0; i < pool.used; i++)
		if ((uint64_t)(uintptr_t)pool.pages[i] == p)
			return 1;
	return 0;
}

/* Table entry: points to a pool page, RWX, no memory type, not large. */
static const uint64_t *table_below(uint64_t pte)
{
	assert_int_equal(pte & EPT_PERM_MASK, EPT_RWX);
	assert_int_equal(pte & EPT_LARGE, 0);
	assert_int_equal((pte >> 3) & 7, 0);     /* reserved in non-leaf entries */
	assert_true(is_pool_page(pte & EPT_ADDR_MASK));
	return (const uint64_t *)(uintptr_t)(pte & EPT_ADDR_MASK);
}

/* Walks by hand to the PD entry for gpa (which must be mapped down to the PD). */
static uint64_t pde_of(uint64_t gpa)
{
	const uint64_t *pdpt = table_below(ept.pml4[(gpa >> 39) & 511]);
	const uint64_t *pd = table_below(pdpt[(gpa >> 30) & 511]);
	return pd[(gpa >> 21) & 511];
}

static uint64_t pte_of(uint64_t gpa)
{
	const uint64_t *pt = table_below(pde_of(gpa));
	return pt[(gpa >> 12) & 511];
}

static uint64_t xlate(uint64_t gpa)
{
	uint64_t hpa = 0xdeadbeef;

	assert_int_equal(ept_translate(&ept, gpa, &hpa, NULL), 0);
	return hpa;
}

static void assert_unmapped(uint64_t gpa)
{
	uint64_t hpa = 0x1234;
	unsigned perms = 99;

	if (ept_translate(&ept, gpa, &hpa, &perms) != -1)
		fail_msg("gpa %#llx unexpectedly mapped to %#llx", (unsigned long long)gpa,
			 (unsigned long long)hpa);
}

/* ------------------------------------------------------------------ */

static void test_init_allocates_one_zeroed_pml4(void **state)
{
	(void)state;
	assert_int_equal(pool.used, 1);
	assert_int_equal(ept.tables, 1);
	assert_ptr_equal(ept.pml4, pool.pages[0]);
	for (int i = 0; i < 512; i++)
		assert_int_equal(ept.pml4[i], 0);
	assert_unmapped(0);
	assert_unmapped(0x7ffff000);
}

/* IA32_VMX_EPT_VPID_CAP bit 16 clear: every leaf is 4 KiB, aligned or not. */
static void test_no_2mib_leaves_without_the_capability(void **state)
{
	(void)state;
	ept.large_ok = false;
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 2 * MiB2, EPT_RWX), 0);
	for (int i = 0; i < 2; i++)
		assert_false(pde_of(i * MiB2) & EPT_LARGE);
	/* PML4 + PDPT + PD + two page tables. */
	assert_int_equal(ept.tables, 5);
	uint64_t hpa;
	assert_int_equal(ept_translate(&ept, MiB2 + 0x1234, &hpa, NULL), 0);
	assert_int_equal(hpa, 0x40000000 + MiB2 + 0x1234);
}

/* A fresh EPT uses 4 KiB leaves until the caller says the CPU has 2 MiB ones. */
static void test_init_leaves_large_pages_off(void **state)
{
	struct ept e;

	(void)state;
	memset(&e, 0xff, sizeof(e));
	assert_int_equal(ept_init(&e, pool_alloc, &pool), 0);
	assert_false(e.large_ok);
}

static void test_aligned_ranges_use_2mib_leaves(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 4 * MiB2, EPT_RWX), 0);
	/* PML4 + PDPT + PD; no page tables. */
	assert_int_equal(ept.tables, 3);
	assert_int_equal(pool.used, 3);
	for (int i = 0; i < 4; i++) {
		uint64_t pde = pde_of(i * MiB2);
		assert_true(pde & EPT_LARGE);
		assert_int_equal(pde & EPT_ADDR_MASK, 0x40000000 + i * MiB2);
		assert_int_equal(pde & EPT_PERM_MASK, EPT_RWX);
	}
	assert_int_equal(pde_of(4 * MiB2), 0);
}

static void test_unaligned_ranges_use_4kib_leaves(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0x1000, 0x50001000, 0x3000, EPT_RWX), 0);
	assert_int_equal(ept.tables, 4);        /* PML4, PDPT, PD, PT */
	for (int i = 0; i < 3; i++) {
		uint64_t pte = pte_of(0x1000 + i * KiB4);
		assert_int_equal(pte & EPT_LARGE, 0);
		assert_int_equal(pte & EPT_ADDR_MASK, 0x50001000 + i * KiB4);
	}
	assert_int_equal(pte_of(0), 0);
	assert_int_equal(pte_of(0x4000), 0);
}

static void test_mixed_range_uses_4k_then_2m_then_4k(void **state)
{
	(void)state;
	/* [0x1ff000, 0x401000): one 4K page, one 2M page, one 4K page. */
	assert_int_equal(ept_map(&ept, 0x1ff000, 0x801ff000, 0x202000, EPT_RWX), 0);
	assert_int_equal(pte_of(0x1ff000) & EPT_ADDR_MASK, 0x801ff000);
	assert_true(pde_of(0x200000) & EPT_LARGE);
	assert_int_equal(pde_of(0x200000) & EPT_ADDR_MASK, 0x80200000);
	assert_int_equal(pte_of(0x400000) & EPT_ADDR_MASK, 0x80400000);
	/* PML4, PDPT, PD, and two page tables. */
	assert_int_equal(ept.tables, 5);
	assert_unmapped(0x1fe000);
	assert_unmapped(0x401000);
}

static void test_differently_aligned_host_forces_4kib_leaves(void **state)
{
	(void)state;
	/* gpa is 2M aligned but hpa only 4K aligned: 2M leaves are impossible. */
	assert_int_equal(ept_map(&ept, 0x200000, 0x80201000, 2 * MiB2, EPT_RWX), 0);
	assert_int_equal(pde_of(0x200000) & EPT_LARGE, 0);
	assert_int_equal(pde_of(0x400000) & EPT_LARGE, 0);
	assert_int_equal(ept.tables, 5);        /* two page tables */
	assert_int_equal(xlate(0x200000), 0x80201000);
	assert_int_equal(xlate(0x5fffff), 0x80600fff);
}

static void test_short_aligned_range_uses_4kib_leaves(void **state)
{
	(void)state;
	/* 2M aligned start but less than 2M long. */
	assert_int_equal(ept_map(&ept, 0x200000, 0x200000, MiB2 - KiB4, EPT_RWX), 0);
	assert_int_equal(pde_of(0x200000) & EPT_LARGE, 0);
	assert_unmapped(0x3ff000);
	assert_int_equal(xlate(0x3fefff), 0x3fefff);
}

static void test_large_mapping_counts_tables_across_directories(void **state)
{
	(void)state;
	/* 2 GiB at 0: two PDs of 512 2M leaves each. */
	assert_int_equal(ept_map(&ept, 0, 0x100000000ull, 2 * GiB, EPT_RWX), 0);
	assert_int_equal(ept.tables, 4);        /* PML4, PDPT, 2 PDs */
	assert_int_equal(pool.used, ept.tables);
	assert_int_equal(xlate(GiB - 1), 0x100000000ull + GiB - 1);
	assert_int_equal(xlate(GiB), 0x100000000ull + GiB);
	assert_unmapped(2 * GiB);
}

static void test_mapping_across_pml4_boundary(void **state)
{
	uint64_t b = 512 * GiB;                 /* first address of PML4 entry 1 */

	(void)state;
	assert_int_equal(ept_map(&ept, b - KiB4, 0x7000, 2 * KiB4, EPT_RWX), 0);
	/* PML4 + two (PDPT, PD, PT) chains. */
	assert_int_equal(ept.tables, 7);
	assert_int_equal(xlate(b - 1), 0x7fff);
	assert_int_equal(xlate(b), 0x8000);
	assert_int_equal(xlate(b + 0xfff), 0x8fff);
	assert_unmapped(b + KiB4);
}

static void test_translate_first_last_and_middle_bytes(void **state)
{
	uint64_t gpa = 0x10000000, hpa = 0x2340000000ull, len = 3 * MiB2 + 5 * KiB4;

	(void)state;
	assert_int_equal(ept_map(&ept, gpa, hpa, len, EPT_RWX), 0);
	assert_int_equal(xlate(gpa), hpa);
	assert_int_equal(xlate(gpa + len - 1), hpa + len - 1);
	assert_int_equal(xlate(gpa + len / 2 + 3), hpa + len / 2 + 3);
	assert_int_equal(xlate(gpa + MiB2 - 1), hpa + MiB2 - 1);       /* end of a 2M leaf */
	assert_int_equal(xlate(gpa + 3 * MiB2 + 0x1234), hpa + 3 * MiB2 + 0x1234);
	for (uint64_t off = 0; off < len; off += 0x3456)
		assert_int_equal(xlate(gpa + off), hpa + off);
	assert_unmapped(gpa - 1);
	assert_unmapped(gpa + len);
}

static void test_ram_with_pc_hole_leaves_hole_unmapped(void **state)
{
	uint64_t host = 0x40000000, ram = 64ull << 20;

	(void)state;
	/* The hv's guest RAM layout: 0-0x9ffff and 1 MiB-top, the PC hole unmapped. */
	assert_int_equal(ept_map(&ept, 0, host, 0xa0000, EPT_RWX), 0);
	assert_int_equal(ept_map(&ept, 0x100000, host + 0x100000, ram - 0x100000, EPT_RWX), 0);
	assert_int_equal(xlate(0), host);
	assert_int_equal(xlate(0x9ffff), host + 0x9ffff);
	assert_unmapped(0xa0000);
	assert_unmapped(0xb8000);
	assert_unmapped(0xfffff);
	assert_int_equal(xlate(0x100000), host + 0x100000);
	assert_int_equal(xlate(0x1fffff), host + 0x1fffff);
	assert_int_equal(xlate(0x200000), host + 0x200000);
	assert_true(pde_of(0x200000) & EPT_LARGE);
	assert_int_equal(xlate(ram - 1), host + ram - 1);
	assert_unmapped(ram);
	assert_unmapped(4 * GiB);
}

static void test_double_mapping_fails(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0, 2 * MiB2, EPT_RWX), 0);
	/* Same range again. */
	assert_int_equal(ept_map(&ept, 0, 0x1000000, 2 * MiB2, EPT_RWX), -1);
	/* A 4K page inside an existing 2M leaf. */
	assert_int_equal(ept_map(&ept, 0x201000, 0x1000000, KiB4, EPT_RWX), -1);
	/* The original mapping is intact. */
	assert_int_equal(xlate(0x201000), 0x201000);

	assert_int_equal(ept_map(&ept, 0x800000 + KiB4, 0x800000 + KiB4, KiB4, EPT_R), 0);
	/* A 2M leaf over a page table that holds a 4K mapping. */
	assert_int_equal(ept_map(&ept, 0x800000, 0x800000, MiB2, EPT_RWX), -1);
	/* The same 4K page again. */
	assert_int_equal(ept_map(&ept, 0x800000 + KiB4, 0x900000, KiB4, EPT_RWX), -1);
	assert_int_equal(xlate(0x801000), 0x801000);
}

static void test_misaligned_arguments_fail(void **state)
{
	unsigned before;

	(void)state;
	before = ept.tables;
	assert_int_equal(ept_map(&ept, 0x800, 0, KiB4, EPT_RWX), -1);
	assert_int_equal(ept_map(&ept, 0, 0x10, KiB4, EPT_RWX), -1);
	assert_int_equal(ept_map(&ept, 0, 0, 0x100, EPT_RWX), -1);
	assert_int_equal(ept_map(&ept, 0, 0, MiB2 + 1, EPT_RWX), -1);
	assert_int_equal(ept.tables, before);   /* nothing built */
	assert_unmapped(0);
}

static void test_no_permissions_fails(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0, KiB4, 0), -1);
	assert_unmapped(0);
}

static void test_permissions_are_kept(void **state)
{
	uint64_t hpa;
	unsigned perms;

	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0, KiB4, EPT_R), 0);
	assert_int_equal(ept_map(&ept, 0x1000, 0x1000, KiB4, EPT_RWX), 0);
	assert_int_equal(ept_map(&ept, 0x2000, 0x2000, KiB4, EPT_R | EPT_X), 0);
	assert_int_equal(ept_map(&ept, MiB2, MiB2, MiB2, EPT_R | EPT_W), 0);

	assert_int_equal(ept_translate(&ept, 0x10, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_R);
	assert_int_equal(pte_of(0) & EPT_PERM_MASK, EPT_R);
	assert_int_equal(ept_translate(&ept, 0x1010, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_RWX);
	assert_int_equal(ept_translate(&ept, 0x2010, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_R | EPT_X);
	assert_int_equal(ept_translate(&ept, MiB2 + 0x10, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_R | EPT_W);
	assert_int_equal(pde_of(MiB2) & EPT_PERM_MASK, EPT_R | EPT_W);
}

static void test_bits_above_permissions_are_ignored(void **state)
{
	unsigned perms;
	uint64_t hpa;

	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0x5000, KiB4, EPT_R | 0xf0u), 0);
	assert_int_equal(ept_translate(&ept, 0, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_R);
	assert_int_equal(hpa, 0x5000);
	assert_int_equal(pte_of(0) & ~EPT_ADDR_MASK, EPT_R | (EPT_MT_WB << 3));
}

static void test_leaves_are_write_back(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0, MiB2 + KiB4, EPT_RWX), 0);
	/* 2M leaf: memory type bits 5:3 = 6, bit 7 set, nothing else outside the address. */
	assert_int_equal((pde_of(0) >> 3) & 7, 6);
	assert_int_equal(pde_of(0) & ~EPT_ADDR_MASK, EPT_RWX | (6u << 3) | EPT_LARGE);
	/* 4K leaf. */
	assert_int_equal((pte_of(MiB2) >> 3) & 7, 6);
	assert_int_equal(pte_of(MiB2) & ~EPT_ADDR_MASK, EPT_RWX | (6u << 3));
}

/* Device memory (the VGA text buffer of its owner) is mapped uncacheable. */
static void test_device_memory_is_uncacheable(void **state)
{
	(void)state;
	assert_int_equal(ept_map_mt(&ept, 0xb8000, 0xb8000, 0x8000, EPT_R | EPT_W, EPT_MT_UC), 0);
	assert_int_equal(pte_of(0xb8000) & ~EPT_ADDR_MASK, EPT_R | EPT_W | (EPT_MT_UC << 3));
	assert_int_equal(pte_of(0xbf000) & ~EPT_ADDR_MASK, EPT_R | EPT_W | (EPT_MT_UC << 3));
	assert_int_equal(xlate(0xbf123), 0xbf123);
	/* Memory types 2, 3 and 7 are reserved (an EPT misconfiguration). */
	assert_int_equal(ept_map_mt(&ept, 0, 0, KiB4, EPT_R, 2), -1);
	assert_int_equal(ept_map_mt(&ept, 0, 0, KiB4, EPT_R, 7), -1);
	assert_unmapped(0);
}

/* Write without read is an EPT misconfiguration: refused. Read-only is fine (the PC hole). */
static void test_write_without_read_is_refused(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0, 0, KiB4, EPT_W), -1);
	assert_int_equal(ept_map(&ept, 0, 0, KiB4, EPT_W | EPT_X), -1);
	assert_unmapped(0);
	assert_int_equal(ept_map(&ept, 0xa0000, 0x5000, KiB4, EPT_R), 0);
	assert_int_equal(ept_map(&ept, 0xa1000, 0x5000, KiB4, EPT_R), 0);   /* one page twice */
	assert_int_equal(xlate(0xa1010), 0x5010);
}

static void test_eptp_has_wb_type_and_4_level_walk(void **state)
{
	uint64_t eptp;

	(void)state;
	eptp = ept_eptp(&ept);
	assert_int_equal(eptp & 7, 6);                  /* memory type WB */
	assert_int_equal((eptp >> 3) & 7, 3);           /* walk length - 1 */
	assert_int_equal(eptp & (1u << 6), 0);          /* no accessed/dirty flags */
	assert_int_equal(eptp & ~0xfffull, (uint64_t)(uintptr_t)ept.pml4);
	assert_int_equal(eptp & 0xf80, 0);              /* reserved bits 11:7 */
}

static void test_zero_length_map_does_nothing(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&ept, 0x1000, 0x1000, 0, EPT_RWX), 0);
	assert_int_equal(ept.tables, 1);
	assert_unmapped(0x1000);
}

static void test_translate_without_perms_pointer(void **state)
{
	uint64_t hpa = 0;

	(void)state;
	assert_int_equal(ept_map(&ept, 0x3000, 0x9000, KiB4, EPT_R), 0);
	assert_int_equal(ept_translate(&ept, 0x3abc, &hpa, NULL), 0);
	assert_int_equal(hpa, 0x9abc);
}

static void test_init_fails_when_allocator_fails(void **state)
{
	struct ept e;

	(void)state;
	pool.budget = pool.used;                /* no more pages */
	assert_int_equal(ept_init(&e, pool_alloc, &pool), -1);
}

static void test_map_fails_when_allocator_runs_out(void **state)
{
	(void)state;
	/* A 4K mapping needs PDPT, PD and PT below the PML4: 3 more pages. */
	for (unsigned extra = 0; extra < 3; extra++) {
		teardown(NULL);
		memset(&pool, 0, sizeof(pool));
		pool.budget = 1 + extra;
		assert_int_equal(ept_init(&ept, pool_alloc, &pool), 0);
		assert_int_equal(ept_map(&ept, 0x5000, 0x5000, KiB4, EPT_RWX), -1);
		assert_int_equal(ept.tables, pool.used);
		assert_unmapped(0x5000);
	}
	teardown(NULL);
	memset(&pool, 0, sizeof(pool));
	pool.budget = 4;
	assert_int_equal(ept_init(&ept, pool_alloc, &pool), 0);
	assert_int_equal(ept_map(&ept, 0x5000, 0x5000, KiB4, EPT_RWX), 0);
	assert_int_equal(ept.tables, 4);
	/* A second page table is now out of budget. */
	assert_int_equal(ept_map(&ept, MiB2 + 0x5000, 0x5000, KiB4, EPT_RWX), -1);
	/* Pages in the existing table still map without allocating. */
	assert_int_equal(ept_map(&ept, 0x6000, 0x6000, KiB4, EPT_RWX), 0);
	assert_int_equal(xlate(0x6000), 0x6000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_no_2mib_leaves_without_the_capability),
		T(test_device_memory_is_uncacheable),
		T(test_write_without_read_is_refused),
		T(test_init_leaves_large_pages_off),
		T(test_init_allocates_one_zeroed_pml4),
		T(test_aligned_ranges_use_2mib_leaves),
		T(test_unaligned_ranges_use_4kib_leaves),
		T(test_mixed_range_uses_4k_then_2m_then_4k),
		T(test_differently_aligned_host_forces_4kib_leaves),
		T(test_short_aligned_range_uses_4kib_leaves),
		T(test_large_mapping_counts_tables_across_directories),
		T(test_mapping_across_pml4_boundary),
		T(test_translate_first_last_and_middle_bytes),
		T(test_ram_with_pc_hole_leaves_hole_unmapped),
		T(test_double_mapping_fails),
		T(test_misaligned_arguments_fail),
		T(test_no_permissions_fails),
		T(test_permissions_are_kept),
		T(test_bits_above_permissions_are_ignored),
		T(test_leaves_are_write_back),
		T(test_eptp_has_wb_type_and_4_level_walk),
		T(test_zero_length_map_does_nothing),
		T(test_translate_without_perms_pointer),
		T(test_init_fails_when_allocator_fails),
		T(test_map_fails_when_allocator_runs_out),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
