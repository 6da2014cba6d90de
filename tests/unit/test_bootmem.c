/* Unit tests for uefi/bootmem.c: the memory map the boot stage hands to the hv. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bootmem.h"

/* UEFI memory types (EFI_MEMORY_TYPE). */
enum { RESERVED = 0, LOADER_DATA = 2, BS_CODE = 3, BS_DATA = 4, RT_DATA = 6,
       CONVENTIONAL = 7, ACPI_RECLAIM = 9, ACPI_NVS = 10, MMIO = 11 };

#define DESC      48               /* firmware descriptors are often longer than the 40-byte struct */
#define MAX_DESC  1200

static uint8_t map[MAX_DESC * DESC];
static unsigned ndesc;
static struct boot_mem_region out[MAX_DESC];
static uint32_t n;
static uint64_t max_phys;

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void desc(uint32_t type, uint64_t base, uint64_t pages)
{
	uint8_t *d = map + ndesc++ * DESC;

	memset(d, 0xa5, DESC);        /* padding and VirtualStart/Attribute are not read */
	put(d, type, 4);
	put(d + 8, base, 8);
	put(d + 24, pages, 8);
}

static int setup(void **state)
{
	(void)state;
	ndesc = 0;
	n = 0;
	max_phys = 0;
	return 0;
}

static const char *convert(uint32_t cap)
{
	return bootmem_convert(map, (uint64_t)ndesc * DESC, DESC, out, cap, &n, &max_phys);
}

static void test_buffer_has_slack_for_64_descriptors(void **state)
{
	(void)state;
	assert_int_equal(bootmem_buffer_bytes(4800, 48), 4800 + 64 * 48);
	assert_int_equal(bootmem_buffer_bytes(0, 40), 64 * 40);
}

static void test_types_mapped_and_adjacent_regions_merged(void **state)
{
	(void)state;
	desc(BS_CODE, 0x0, 0x10);
	desc(CONVENTIONAL, 0x10000, 0x80);      /* adjacent, usable too: merged */
	desc(LOADER_DATA, 0x90000, 0x10);
	desc(CONVENTIONAL, 0x100000, 0x100);     /* not adjacent to the first usable run */
	desc(ACPI_RECLAIM, 0x200000, 0x10);
	desc(ACPI_NVS, 0x210000, 0x10);
	desc(RT_DATA, 0x220000, 0x10);           /* reserved after NVS: merged */
	desc(MMIO, 0xfec00000, 0x1);
	assert_null(convert(MAX_DESC));
	assert_int_equal(n, 6);
	assert_int_equal(out[0].type, BOOT_MEM_USABLE);
	assert_int_equal(out[0].base, 0);
	assert_int_equal(out[0].bytes, 0x90000);
	assert_int_equal(out[1].type, BOOT_MEM_HV);
	assert_int_equal(out[2].type, BOOT_MEM_USABLE);
	assert_int_equal(out[3].type, BOOT_MEM_ACPI);
	assert_int_equal(out[4].type, BOOT_MEM_RESERVED);
	assert_int_equal(out[4].bytes, 0x20000);
	assert_int_equal(out[5].base, 0xfec00000);
	/* MMIO and reserved memory are not RAM the hv uses: max_phys ends at the ACPI tables. */
	assert_int_equal(max_phys, 0x210000);
}

/* The map of a large machine: more descriptors than the old fixed 256, highest RAM last. */
static void test_long_map_is_kept_whole_and_max_phys_counts_every_descriptor(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 1000; i++)
		desc(i % 2 ? RESERVED : CONVENTIONAL, 0x100000ull * i, 0x100);
	desc(LOADER_DATA, 0x240000000ull, 0x1000);   /* guest RAM at 9 GiB, descriptor 1001 */
	assert_null(convert(MAX_DESC));
	assert_int_equal(n, 1001);
	assert_int_equal(out[1000].base, 0x240000000ull);
	assert_int_equal(max_phys, 0x241000000ull);
}

static void test_map_longer_than_room_is_an_error_not_a_truncation(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 300; i++)
		desc(i % 2 ? RESERVED : CONVENTIONAL, 0x100000ull * i, 0x100);
	assert_null(convert(300));
	assert_int_equal(n, 300);
	assert_string_equal(convert(299), "memory map has more regions than its buffer holds");
}

static void test_bad_descriptors_are_refused(void **state)
{
	(void)state;
	desc(CONVENTIONAL, 0x100000, 0x100);
	assert_non_null(strstr(bootmem_convert(map, DESC, 24, out, MAX_DESC, &n, &max_phys),
			       "descriptor size below the 40 bytes"));
	assert_non_null(strstr(bootmem_convert(map, DESC, 0, out, MAX_DESC, &n, &max_phys),
			       "descriptor size"));
	desc(CONVENTIONAL, 0xfffffffffffff000ull, 2);
	assert_string_equal(convert(MAX_DESC), "memory map region runs past the end of the address space");
	setup(NULL);
	desc(CONVENTIONAL, 0x1000, 0xffffffffffffffffull);
	assert_non_null(convert(MAX_DESC));
}

static void test_ram_beyond_the_identity_map_is_refused(void **state)
{
	(void)state;
	desc(CONVENTIONAL, 0x100000, 0x100);
	desc(CONVENTIONAL, 512ull << 30, 0x1);
	assert_string_equal(convert(MAX_DESC),
			    "RAM reaches above 512 GiB, more than the hv's identity map covers");
	/* MMIO up there is fine: the hv maps only RAM. */
	setup(NULL);
	desc(CONVENTIONAL, 0x100000, 0x100);
	desc(MMIO, 1ull << 45, 0x100);
	assert_null(convert(MAX_DESC));
	desc(CONVENTIONAL, (512ull << 30) - 0x1000, 0x1);
	assert_null(convert(MAX_DESC));
	assert_int_equal(max_phys, 512ull << 30);
}

static void test_five_level_paging_refused(void **state)
{
	(void)state;
	assert_null(bootmem_paging_problem(0x6a0));                 /* PAE, PGE, OSFXSR, ... */
	assert_non_null(strstr(bootmem_paging_problem(0x6a0 | (1u << 12)),
			       "5-level paging (CR4.LA57)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_buffer_has_slack_for_64_descriptors, setup),
		cmocka_unit_test_setup(test_types_mapped_and_adjacent_regions_merged, setup),
		cmocka_unit_test_setup(test_long_map_is_kept_whole_and_max_phys_counts_every_descriptor, setup),
		cmocka_unit_test_setup(test_map_longer_than_room_is_an_error_not_a_truncation, setup),
		cmocka_unit_test_setup(test_bad_descriptors_are_refused, setup),
		cmocka_unit_test_setup(test_ram_beyond_the_identity_map_is_refused, setup),
		cmocka_unit_test_setup(test_five_level_paging_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
