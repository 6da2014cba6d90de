/*
 * Unit tests for hv/acpipm.c, the guest's ACPI PM1a registers: SCI_EN set
 * (always in ACPI mode), status reading 0, enable and control bits kept
 * within their masks, and SLP_EN powering off only with the S5 sleep type
 * of the DSDT's \_S5, written as a word (two bytes, low first) or as the
 * high byte alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "acpipm.h"
#include "acpitab.h"

static struct acpipm pm;

static int setup(void **state)
{
	(void)state;
	acpipm_init(&pm);
	return 0;
}

static uint16_t rd16(unsigned off)
{
	return (uint16_t)(acpipm_read(&pm, off) | acpipm_read(&pm, off + 1) << 8);
}

/* Writes a word as the CPU's byte lanes reach the model; returns the last action. */
static enum acpipm_action wr16(unsigned off, uint16_t v)
{
	enum acpipm_action a = acpipm_write(&pm, off, (uint8_t)v);

	return a != ACPIPM_NONE ? a : acpipm_write(&pm, off + 1, (uint8_t)(v >> 8));
}

static void test_power_on_state(void **state)
{
	(void)state;
	assert_int_equal(rd16(0), 0);                    /* PM1_STS */
	assert_int_equal(rd16(2), 0);                    /* PM1_EN */
	assert_int_equal(rd16(4), PM1_CNT_SCI_EN);       /* PM1_CNT: ACPI mode */
}

static void test_status_is_write_one_to_clear_of_nothing(void **state)
{
	(void)state;
	assert_int_equal(wr16(0, 0xffff), ACPIPM_NONE);
	assert_int_equal(rd16(0), 0);
}

static void test_enable_keeps_only_defined_bits(void **state)
{
	(void)state;
	assert_int_equal(wr16(2, 0xffff), ACPIPM_NONE);
	assert_int_equal(rd16(2), PM1_EN_MASK);
	wr16(2, 0x0100);                                 /* PWRBTN_EN alone */
	assert_int_equal(rd16(2), 0x0100);
}

static void test_control_keeps_sleep_type_and_bm_rld_sci_en_stays(void **state)
{
	(void)state;
	assert_int_equal(wr16(4, 3u << PM1_CNT_SLP_SHIFT | PM1_CNT_BM_RLD | PM1_CNT_GBL_RLS), ACPIPM_NONE);
	assert_int_equal(rd16(4), 3u << PM1_CNT_SLP_SHIFT | PM1_CNT_BM_RLD | PM1_CNT_SCI_EN);
	wr16(4, 0);
	assert_int_equal(rd16(4), PM1_CNT_SCI_EN);       /* SCI_EN cannot be cleared */
}

static void test_slp_en_with_s5_powers_off(void **state)
{
	(void)state;
	assert_int_equal(wr16(4, ACPITAB_SLP_TYP_S5 << PM1_CNT_SLP_SHIFT | PM1_CNT_SLP_EN), ACPIPM_POWER_OFF);
	assert_int_equal(rd16(4) & PM1_CNT_SLP_EN, 0);  /* write-only */
}

static void test_slp_en_in_the_high_byte_alone_uses_its_sleep_type(void **state)
{
	(void)state;
	assert_int_equal(acpipm_write(&pm, 5, (ACPITAB_SLP_TYP_S5 << PM1_CNT_SLP_SHIFT | PM1_CNT_SLP_EN) >> 8),
			 ACPIPM_POWER_OFF);
}

static void test_slp_en_with_another_sleep_type_is_a_sleep_not_a_power_off(void **state)
{
	(void)state;
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPITAB_SLP_TYP_S5)
			continue;
		assert_int_equal(wr16(4, typ << PM1_CNT_SLP_SHIFT | PM1_CNT_SLP_EN), ACPIPM_SLEEP);
	}
	/* The type without SLP_EN does nothing. */
	assert_int_equal(wr16(4, ACPITAB_SLP_TYP_S5 << PM1_CNT_SLP_SHIFT), ACPIPM_NONE);
}

static void test_offsets_past_the_block_read_ones(void **state)
{
	(void)state;
	assert_int_equal(acpipm_read(&pm, 6), 0xff);
	assert_int_equal(acpipm_write(&pm, 6, 0xff), ACPIPM_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_power_on_state, setup),
		cmocka_unit_test_setup(test_status_is_write_one_to_clear_of_nothing, setup),
		cmocka_unit_test_setup(test_enable_keeps_only_defined_bits, setup),
		cmocka_unit_test_setup(test_control_keeps_sleep_type_and_bm_rld_sci_en_stays, setup),
		cmocka_unit_test_setup(test_slp_en_with_s5_powers_off, setup),
		cmocka_unit_test_setup(test_slp_en_in_the_high_byte_alone_uses_its_sleep_type, setup),
		cmocka_unit_test_setup(test_slp_en_with_another_sleep_type_is_a_sleep_not_a_power_off, setup),
		cmocka_unit_test_setup(test_offsets_past_the_block_read_ones, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
