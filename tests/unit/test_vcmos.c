/* Unit tests for hv/vcmos.c: the virtual RTC/CMOS. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcmos.h"

#define HZ 3000000000ull
#define T0 5000000ull

static struct vcmos cm;

static uint8_t rd(struct vcmos *c, uint8_t idx, uint64_t tsc)
{
	vcmos_write(c, 0x70, idx, tsc);
	return vcmos_read(c, 0x71, tsc);
}

static void wr(struct vcmos *c, uint8_t idx, uint8_t v)
{
	vcmos_write(c, 0x70, idx, T0);
	vcmos_write(c, 0x71, v, T0);
}

static int bcd2bin(uint8_t v)
{
	return (v >> 4) * 10 + (v & 15);
}

static void test_unix_time_known_dates(void **state)
{
	(void)state;
	assert_int_equal(vcmos_unix_time(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2000, 1, 1, 0, 0, 0), 946684800);
	assert_int_equal(vcmos_unix_time(2024, 2, 29, 12, 0, 0), 1709208000);
	assert_int_equal(vcmos_unix_time(2038, 1, 19, 3, 14, 8), 2147483648ull);
	assert_int_equal(vcmos_unix_time(2100, 3, 1, 0, 0, 0), 4107542400ull);
}

static void test_unix_time_rejects_bad_fields(void **state)
{
	(void)state;
	assert_int_equal(vcmos_unix_time(2023, 2, 29, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2100, 2, 29, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 4, 31, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 13, 1, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 1, 0, 0, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 1, 1, 24, 0, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 1, 1, 0, 60, 0), 0);
	assert_int_equal(vcmos_unix_time(2024, 1, 1, 0, 0, 60), 0);
	assert_int_equal(vcmos_unix_time(1969, 12, 31, 0, 0, 0), 0);
	assert_int_not_equal(vcmos_unix_time(2000, 2, 29, 0, 0, 0), 0);
}

static void test_reads_time_in_bcd_24h_by_default(void **state)
{
	(void)state;
	vcmos_init(&cm, vcmos_unix_time(2024, 2, 29, 23, 59, 58), HZ, T0);
	assert_int_equal(rd(&cm, 0x00, T0), 0x58);
	assert_int_equal(rd(&cm, 0x02, T0), 0x59);
	assert_int_equal(rd(&cm, 0x04, T0), 0x23);
	assert_int_equal(rd(&cm, 0x06, T0), 0x05);      /* Thursday; Sunday = 1 */
	assert_int_equal(rd(&cm, 0x07, T0), 0x29);
	assert_int_equal(rd(&cm, 0x08, T0), 0x02);
	assert_int_equal(rd(&cm, 0x09, T0), 0x24);
	assert_int_equal(rd(&cm, 0x32, T0), 0x20);
	assert_int_equal(rd(&cm, 0x0b, T0), 0x02);
}

static void test_clock_advances_with_tsc_across_leap_day(void **state)
{
	uint64_t t = T0 + 2 * HZ;

	(void)state;
	vcmos_init(&cm, vcmos_unix_time(2024, 2, 29, 23, 59, 58), HZ, T0);
	assert_int_equal(rd(&cm, 0x00, t - 1), 0x59);
	assert_int_equal(rd(&cm, 0x00, t), 0x00);
	assert_int_equal(rd(&cm, 0x04, t), 0x00);
	assert_int_equal(rd(&cm, 0x07, t), 0x01);
	assert_int_equal(rd(&cm, 0x08, t), 0x03);
	assert_int_equal(rd(&cm, 0x06, t), 0x06);       /* Friday */
}

static void test_century_rolls_over(void **state)
{
	uint64_t t = T0 + HZ;

	(void)state;
	vcmos_init(&cm, vcmos_unix_time(1999, 12, 31, 23, 59, 59), HZ, T0);
	assert_int_equal(rd(&cm, 0x32, T0), 0x19);
	assert_int_equal(rd(&cm, 0x09, T0), 0x99);
	assert_int_equal(rd(&cm, 0x09, t), 0x00);
	assert_int_equal(rd(&cm, 0x32, t), 0x20);
	assert_int_equal(rd(&cm, 0x08, t), 0x01);
	assert_int_equal(rd(&cm, 0x07, t), 0x01);
}

/* Every field read back must give the same Unix time (date code is exact). */
static void test_fields_round_trip_over_two_centuries(void **state)
{
	uint64_t base = vcmos_unix_time(1970, 1, 1, 0, 0, 0), s;

	(void)state;
	for (s = 0; s < 200ull * 366 * 86400; s += 86400 * 3 + 3671) {
		uint64_t t = T0 + s * 1000;
		int year;

		vcmos_init(&cm, base, 1000, T0);
		year = bcd2bin(rd(&cm, 0x32, t)) * 100 + bcd2bin(rd(&cm, 0x09, t));
		assert_int_equal(vcmos_unix_time(year, bcd2bin(rd(&cm, 0x08, t)),
						 bcd2bin(rd(&cm, 0x07, t)),
						 bcd2bin(rd(&cm, 0x04, t)),
						 bcd2bin(rd(&cm, 0x02, t)),
						 bcd2bin(rd(&cm, 0x00, t))),
				 base + s);
		/* 1970-01-01 was a Thursday (RTC 5). */
		assert_int_equal(rd(&cm, 0x06, t), (s / 86400 + 4) % 7 + 1);
	}
}

static void test_binary_mode_from_status_b(void **state)
{
	(void)state;
	vcmos_init(&cm, vcmos_unix_time(2031, 11, 28, 17, 45, 39), HZ, T0);
	wr(&cm, 0x0b, VCMOS_B_24H | VCMOS_B_BINARY);
	assert_int_equal(rd(&cm, 0x00, T0), 39);
	assert_int_equal(rd(&cm, 0x02, T0), 45);
	assert_int_equal(rd(&cm, 0x04, T0), 17);
	assert_int_equal(rd(&cm, 0x07, T0), 28);
	assert_int_equal(rd(&cm, 0x08, T0), 11);
	assert_int_equal(rd(&cm, 0x09, T0), 31);
	assert_int_equal(rd(&cm, 0x32, T0), 20);
}

static void test_12_hour_mode_sets_pm_bit(void **state)
{
	uint64_t midnight = vcmos_unix_time(2024, 5, 1, 0, 0, 0);

	(void)state;
	vcmos_init(&cm, midnight, HZ, T0);
	wr(&cm, 0x0b, 0x00);                            /* 12h, BCD */
	assert_int_equal(rd(&cm, 0x04, T0), 0x12);              /* 12 AM */
	assert_int_equal(rd(&cm, 0x04, T0 + 3600 * HZ), 0x01);
	assert_int_equal(rd(&cm, 0x04, T0 + 12 * 3600 * HZ), 0x92); /* 12 PM */
	assert_int_equal(rd(&cm, 0x04, T0 + 13 * 3600 * HZ), 0x81);
	assert_int_equal(rd(&cm, 0x04, T0 + 23 * 3600 * HZ), 0x91);
	wr(&cm, 0x0b, VCMOS_B_BINARY);                  /* 12h, binary */
	assert_int_equal(rd(&cm, 0x04, T0 + 23 * 3600 * HZ), 0x8b);
}

static void test_status_a_never_shows_update_in_progress(void **state)
{
	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	assert_int_equal(rd(&cm, 0x0a, T0), 0x26);
	wr(&cm, 0x0a, 0xa6);
	assert_int_equal(rd(&cm, 0x0a, T0), 0x26);
	assert_int_equal(rd(&cm, 0x0a, T0 + HZ / 2) & 0x80, 0);
}

static void test_status_c_and_d_read_only(void **state)
{
	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	assert_int_equal(rd(&cm, 0x0c, T0), 0x00);
	assert_int_equal(rd(&cm, 0x0d, T0), 0x80);      /* valid RAM and time */
	wr(&cm, 0x0c, 0xff);
	wr(&cm, 0x0d, 0x00);
	assert_int_equal(rd(&cm, 0x0c, T0), 0x00);
	assert_int_equal(rd(&cm, 0x0d, T0), 0x80);
}

static void test_clock_writes_are_ignored(void **state)
{
	(void)state;
	vcmos_init(&cm, vcmos_unix_time(2024, 1, 2, 3, 4, 5), HZ, T0);
	wr(&cm, 0x00, 0x30);
	wr(&cm, 0x04, 0x11);
	wr(&cm, 0x09, 0x99);
	wr(&cm, 0x32, 0x19);
	assert_int_equal(rd(&cm, 0x00, T0), 0x05);
	assert_int_equal(rd(&cm, 0x04, T0), 0x03);
	assert_int_equal(rd(&cm, 0x09, T0), 0x24);
	assert_int_equal(rd(&cm, 0x32, T0), 0x20);
}

static void test_alarm_registers_are_kept(void **state)
{
	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	wr(&cm, 0x01, 0x12);
	wr(&cm, 0x03, 0x34);
	wr(&cm, 0x05, 0x56);
	assert_int_equal(rd(&cm, 0x01, T0), 0x12);
	assert_int_equal(rd(&cm, 0x03, T0), 0x34);
	assert_int_equal(rd(&cm, 0x05, T0), 0x56);
}

static void test_nvram_bytes_writable_and_private_per_guest(void **state)
{
	struct vcmos other;
	int i;

	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	vcmos_init(&other, 0, HZ, T0);
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(&cm, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (i = 0x0e; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		assert_int_equal(rd(&cm, (uint8_t)i, T0), i ^ 0x5a);
		assert_int_equal(rd(&other, (uint8_t)i, T0), 0);
	}
}

static void test_index_port_strips_nmi_bit_and_persists(void **state)
{
	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	wr(&cm, 0x40, 0x77);
	vcmos_write(&cm, 0x70, 0x80 | 0x40, T0);        /* NMI off + index */
	assert_true(cm.nmi_disabled);
	assert_int_equal(vcmos_read(&cm, 0x71, T0), 0x77);
	assert_int_equal(vcmos_read(&cm, 0x71, T0), 0x77);
	vcmos_write(&cm, 0x71, 0x11, T0);
	assert_int_equal(vcmos_read(&cm, 0x71, T0), 0x11);
	assert_int_equal(vcmos_read(&cm, 0x70, T0), 0xff);  /* write-only */
}

static void test_set_memory_fills_pc_at_size_bytes(void **state)
{
	unsigned sum = 0;
	int i;

	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	vcmos_set_memory(&cm, 32u << 20);
	assert_int_equal(rd(&cm, 0x15, T0) | rd(&cm, 0x16, T0) << 8, 640);
	assert_int_equal(rd(&cm, 0x17, T0) | rd(&cm, 0x18, T0) << 8, 31744);
	assert_int_equal(rd(&cm, 0x30, T0) | rd(&cm, 0x31, T0) << 8, 31744);
	assert_int_equal(rd(&cm, 0x34, T0) | rd(&cm, 0x35, T0) << 8, 256);
	for (i = 0x10; i <= 0x2d; i++)
		sum += rd(&cm, (uint8_t)i, T0);
	assert_int_equal(rd(&cm, 0x2e, T0) << 8 | rd(&cm, 0x2f, T0), sum);
	vcmos_set_memory(&cm, 1u << 30);                /* extended KB clamps */
	assert_int_equal(rd(&cm, 0x17, T0) | rd(&cm, 0x18, T0) << 8, 0xffff);
	assert_int_equal(rd(&cm, 0x34, T0) | rd(&cm, 0x35, T0) << 8, 16128);
	vcmos_set_memory(&cm, 1u << 20);
	assert_int_equal(rd(&cm, 0x17, T0) | rd(&cm, 0x18, T0) << 8, 0);
}

static void test_ports_handled_and_others_ignored(void **state)
{
	(void)state;
	vcmos_init(&cm, 0, HZ, T0);
	assert_true(vcmos_handles_port(0x70));
	assert_true(vcmos_handles_port(0x71));
	assert_false(vcmos_handles_port(0x72));
	assert_int_equal(vcmos_read(&cm, 0x72, T0), 0xff);
	vcmos_write(&cm, 0x72, 0x10, T0);
	assert_int_equal(cm.index, 0);
}

static void test_tsc_before_init_reads_init_time(void **state)
{
	(void)state;
	vcmos_init(&cm, vcmos_unix_time(2024, 1, 2, 3, 4, 5), HZ, T0);
	assert_int_equal(rd(&cm, 0x00, T0 - 1000), 0x05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_time_known_dates),
		cmocka_unit_test(test_unix_time_rejects_bad_fields),
		cmocka_unit_test(test_reads_time_in_bcd_24h_by_default),
		cmocka_unit_test(test_clock_advances_with_tsc_across_leap_day),
		cmocka_unit_test(test_century_rolls_over),
		cmocka_unit_test(test_fields_round_trip_over_two_centuries),
		cmocka_unit_test(test_binary_mode_from_status_b),
		cmocka_unit_test(test_12_hour_mode_sets_pm_bit),
		cmocka_unit_test(test_status_a_never_shows_update_in_progress),
		cmocka_unit_test(test_status_c_and_d_read_only),
		cmocka_unit_test(test_clock_writes_are_ignored),
		cmocka_unit_test(test_alarm_registers_are_kept),
		cmocka_unit_test(test_nvram_bytes_writable_and_private_per_guest),
		cmocka_unit_test(test_index_port_strips_nmi_bit_and_persists),
		cmocka_unit_test(test_set_memory_fills_pc_at_size_bytes),
		cmocka_unit_test(test_ports_handled_and_others_ignored),
		cmocka_unit_test(test_tsc_before_init_reads_init_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
