/* Unit tests for uefi/tscfreq.c: the TSC frequency chosen from synthetic CPUID values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tscfreq.h"

#define CALIBRATED   2099876543ull
#define SKYLAKE      0x000506e3u        /* family 6, model 0x5e */
#define GOLDMONT     0x000506c9u        /* family 6, model 0x5c */
#define ICELAKE      0x000706e5u        /* family 6, model 0x7e: not in the SDM's crystal table */
#define HV_BIT       (1u << 31)

static const char *src;

static uint64_t choose(struct tscfreq_cpuid c)
{
	src = NULL;
	return tscfreq_choose(&c, CALIBRATED, &src);
}

static void expect(struct tscfreq_cpuid c, uint64_t hz, const char *source)
{
	uint64_t got = choose(c);

	if (got != hz || strcmp(src, source))
		print_error("got %lu Hz from '%s'; want %lu from '%s'\n", (unsigned long)got, src,
			    (unsigned long)hz, source);
	assert_int_equal(got, hz);
	assert_string_equal(src, source);
}

static void test_no_leaf15_means_calibration(void **state)
{
	(void)state;
	/* Haswell (Bochs' model): max basic leaf 0xd. */
	expect((struct tscfreq_cpuid){ .max_basic = 0xd, .leaf1_eax = 0x306c3 }, CALIBRATED,
	       TSCFREQ_CALIBRATED);
	/* Leaf 0x15 values present but the max leaf says they are not real. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x14, .l15_eax = 2, .l15_ebx = 176,
				       .l15_ecx = 24000000 }, CALIBRATED,
	       TSCFREQ_CALIBRATED);
}

static void test_leaf15_with_crystal(void **state)
{
	(void)state;
	expect((struct tscfreq_cpuid){ .max_basic = 0x1b, .leaf1_eax = ICELAKE, .l15_eax = 2,
				       .l15_ebx = 176, .l15_ecx = 24000000 },
	       2112000000ull, "cpuid 0x15");
	/* 38.4 MHz crystal, ratio 125/3: 1.6 GHz exactly, no rounding lost to the split. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .l15_eax = 3, .l15_ebx = 125,
				       .l15_ecx = 38400000 }, 1600000000ull, "cpuid 0x15");
}

static void test_leaf15_ratio_not_enumerated(void **state)
{
	(void)state;
	expect((struct tscfreq_cpuid){ .max_basic = 0x16, .l15_eax = 2, .l15_ebx = 0,
				       .l15_ecx = 24000000, .l16_eax = 2100 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
	expect((struct tscfreq_cpuid){ .max_basic = 0x16, .l15_eax = 0, .l15_ebx = 176,
				       .l15_ecx = 24000000 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
}

static void test_leaf15_crystal_from_sdm_table(void **state)
{
	(void)state;
	/* Skylake client: ECX 0, crystal 24 MHz by the table, ratio 300/2: 3.6 GHz. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x16, .leaf1_eax = SKYLAKE, .l15_eax = 2,
				       .l15_ebx = 300, .l16_eax = 3400 },
	       3600000000ull, "cpuid 0x15, SDM crystal table");
	/* Goldmont: 19.2 MHz, ratio 52/1. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .leaf1_eax = GOLDMONT, .l15_eax = 1,
				       .l15_ebx = 52 }, 998400000ull,
	       "cpuid 0x15, SDM crystal table");
}

static void test_leaf15_crystal_from_leaf16(void **state)
{
	(void)state;
	/* Unknown model, ECX 0: crystal = 2100 MHz * 2 / 168 = 25 MHz; TSC = base. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x16, .leaf1_eax = ICELAKE, .l15_eax = 2,
				       .l15_ebx = 168, .l16_eax = 2100 },
	       2100000000ull, "cpuid 0x15, crystal from cpuid 0x16");
	/* No leaf 0x16 (or a zero base): nothing to derive the crystal from. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .leaf1_eax = ICELAKE, .l15_eax = 2,
				       .l15_ebx = 168, .l16_eax = 2100 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
	expect((struct tscfreq_cpuid){ .max_basic = 0x16, .leaf1_eax = ICELAKE, .l15_eax = 2,
				       .l15_ebx = 168, .l16_eax = 0xffff0000u },
	       CALIBRATED, TSCFREQ_CALIBRATED);
}

static void test_hypervisor_leaf_preferred_when_listed(void **state)
{
	struct tscfreq_cpuid c = { .max_basic = 0x16, .leaf1_eax = ICELAKE, .leaf1_ecx = HV_BIT,
				   .l15_eax = 2, .l15_ebx = 176, .l15_ecx = 24000000,
				   .hv_max = 0x40000010, .hv_tsc_khz = 2494000 };

	(void)state;
	expect(c, 2494000000ull, "cpuid 0x40000010 (hypervisor)");
	/* Leaf not listed, or listed with 0: leaf 0x15. */
	c.hv_max = 0x4000000f;
	expect(c, 2112000000ull, "cpuid 0x15");
	c.hv_max = 0x40000010;
	c.hv_tsc_khz = 0;
	expect(c, 2112000000ull, "cpuid 0x15");
	/* No hypervisor bit: 0x40000000 is then garbage (Intel returns a basic leaf). */
	c.hv_tsc_khz = 2494000;
	c.leaf1_ecx = 0;
	expect(c, 2112000000ull, "cpuid 0x15");
	c.leaf1_ecx = HV_BIT;
	c.hv_max = 0x40001000;
	expect(c, 2112000000ull, "cpuid 0x15");
}

static void test_implausible_values_fall_back(void **state)
{
	(void)state;
	/* 1 Hz crystal: 88 Hz of TSC is not believed. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .l15_eax = 2, .l15_ebx = 176, .l15_ecx = 1 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
	/* A ratio of 4 billion, or below 1. */
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .l15_eax = 1, .l15_ebx = 0xffffffffu,
				       .l15_ecx = 0xffffffffu },
	       CALIBRATED, TSCFREQ_CALIBRATED);
	expect((struct tscfreq_cpuid){ .max_basic = 0x15, .l15_eax = 176, .l15_ebx = 2,
				       .l15_ecx = 24000000 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
	/* A hypervisor claiming 50 GHz. */
	expect((struct tscfreq_cpuid){ .max_basic = 0xd, .leaf1_ecx = HV_BIT, .hv_max = 0x40000010,
				       .hv_tsc_khz = 50000000 },
	       CALIBRATED, TSCFREQ_CALIBRATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_leaf15_means_calibration),
		cmocka_unit_test(test_leaf15_with_crystal),
		cmocka_unit_test(test_leaf15_ratio_not_enumerated),
		cmocka_unit_test(test_leaf15_crystal_from_sdm_table),
		cmocka_unit_test(test_leaf15_crystal_from_leaf16),
		cmocka_unit_test(test_hypervisor_leaf_preferred_when_listed),
		cmocka_unit_test(test_implausible_values_fall_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
