/* Unit tests for hv/vpit.c: the virtual 8254 PIT, clocked from a TSC. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vpit.h"

#define GHZ 1000000000ull
#define P   1193182ull

static struct vpit pit;
/*
 * Most tests run with a TSC that is an exact multiple of the PIT clock, so
 * clk() has no rounding and gate/latch tests can name exact clock counts;
 * the drift and next-edge tests use awkward frequencies on purpose.
 */
static uint64_t hz = 2000 * P;          /* TSC frequency of the test */
static uint64_t t0 = 123456789ull;      /* TSC at init */

static void out(uint16_t port, uint8_t v, uint64_t tsc) { vpit_write(&pit, port, v, tsc); }
static uint8_t in(uint16_t port, uint64_t tsc) { return vpit_read(&pit, port, tsc); }

/* TSC ticks for c PIT clocks, rounded up (the clock has ticked by then). */
static uint64_t clk(uint64_t c)
{
	return (uint64_t)(((unsigned __int128)c * hz + P - 1) / P);
}

/* Reference: PIT clocks in d TSC ticks, by 128-bit arithmetic. */
static uint64_t ref_ticks(uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * P / hz);
}

/* Programs counter ch: mode, LSB-then-MSB, count n, at time tsc. */
static void program(int ch, int mode, uint32_t n, uint64_t tsc)
{
	out(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1), tsc);
	out((uint16_t)(0x40 + ch), (uint8_t)n, tsc);
	out((uint16_t)(0x40 + ch), (uint8_t)(n >> 8), tsc);
}

static uint16_t read16(int ch, uint64_t tsc)
{
	uint8_t lo = in((uint16_t)(0x40 + ch), tsc);

	return (uint16_t)(lo | in((uint16_t)(0x40 + ch), tsc) << 8);
}

static int setup(void **state)
{
	(void)state;
	hz = 2000 * P;
	t0 = 123456789ull;
	vpit_init(&pit, hz, t0);
	return 0;
}

static void test_init_gives_bios_18hz_irq0(void **state)
{
	unsigned n;

	(void)state;
	n = vpit_irq0_pending(&pit, t0 + hz);
	assert_int_equal(n, P / 65536);                       /* 18 */
	assert_int_equal(vpit_irq0_pending(&pit, t0 + hz), 0);
}

/* 100 Hz as a guest computes it (1193182 / 100): 100 edges in every second. */
static void check_100hz_exact_per_second(uint64_t tsc_hz)
{
	uint64_t start = 987654321ull, s;

	hz = tsc_hz;
	vpit_init(&pit, hz, start);
	program(0, 2, P / 100, start);
	for (s = 1; s <= 10; s++)
		assert_int_equal(vpit_irq0_pending(&pit, start + s * hz), 100);
	vpit_init(&pit, hz, start);
	program(0, 3, P / 100, start);                        /* square wave */
	for (s = 1; s <= 10; s++)
		assert_int_equal(vpit_irq0_pending(&pit, start + s * hz), 100);
}

static void test_100hz_gives_100_edges_each_second_for_10s(void **state)
{
	static const uint64_t freqs[] = {
		P, 100000000ull, GHZ, 2400000000ull, 2893437000ull,
		3000000000ull, 3700000001ull, 1999999999ull,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++)
		check_100hz_exact_per_second(freqs[i]);
}

/* Linux's LATCH for HZ=100 is 11932 (99.998 Hz): the count never drifts. */
static void test_edges_match_exact_formula_over_an_hour(void **state)
{
	static const uint64_t freqs[] = { GHZ, 2893437000ull, 3700000001ull };
	uint64_t start = (1ull << 62) + 17, now, total;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		hz = freqs[i];
		vpit_init(&pit, hz, start);
		program(0, 2, 11932, start);
		total = 0;
		/* Irregular polling, as exits happen: every ~7.3 ms. */
		for (now = start; now < start + 3600 * hz; now += hz / 137 + 12345)
			total += vpit_irq0_pending(&pit, now);
		total += vpit_irq0_pending(&pit, now);
		assert_int_equal(total, ref_ticks(now - start) / 11932);
	}
}

static void test_next_irq0_is_exact_tsc_of_each_edge(void **state)
{
	uint64_t k, next;

	(void)state;
	hz = 2893437000ull;
	vpit_init(&pit, hz, t0);
	program(0, 2, 1193, t0);                              /* ~1 kHz */
	vpit_irq0_pending(&pit, t0);
	for (k = 1; k <= 2000; k++) {
		next = vpit_next_irq0(&pit, t0 + clk((k - 1) * 1193));
		assert_int_equal(next, t0 + clk(k * 1193));
		assert_int_equal(vpit_irq0_pending(&pit, next - 1), 0);
		assert_int_equal(vpit_irq0_pending(&pit, next), 1);
	}
}

static void test_next_irq0_after_now_skips_missed_edges(void **state)
{
	(void)state;
	program(0, 2, 1000, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0 + clk(5500)), t0 + clk(6000));
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(5500)), 5);
}

static void test_mode0_one_shot_single_edge_and_out_high(void **state)
{
	(void)state;
	program(0, 0, 5000, t0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(4999)), 0);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(5000));
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(5000) - 1), 0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(5000)), 1);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(5000)), 1);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + 100 * hz), 0);
	assert_int_equal(vpit_next_irq0(&pit, t0 + clk(5000)), UINT64_MAX);
	/* The count wraps through 0xffff after terminal count. */
	assert_int_equal(read16(0, t0 + clk(5001)), 0xffff);
}

static void test_mode0_rearm_by_new_count_gives_new_edge(void **state)
{
	uint64_t t1 = t0 + clk(10000);

	(void)state;
	program(0, 0, 100, t0);
	assert_int_equal(vpit_irq0_pending(&pit, t1), 1);
	out(0x40, 50, t1);                                    /* LSB: OUT low */
	assert_int_equal(vpit_out(&pit, 0, t1), 0);
	out(0x40, 0, t1);
	assert_int_equal(vpit_irq0_pending(&pit, t1 + clk(49)), 0);
	assert_int_equal(vpit_irq0_pending(&pit, t1 + clk(50)), 1);
}

static void test_mode4_strobe_edge_one_clock_after_zero(void **state)
{
	(void)state;
	program(0, 4, 300, t0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(299)), 1);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(300)), 0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(301)), 1);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(301));
	assert_int_equal(vpit_irq0_pending(&pit, t0 + hz), 1);
}

static void test_mode2_out_low_for_one_clock_per_period(void **state)
{
	(void)state;
	program(0, 2, 10, t0);
	assert_int_equal(vpit_out(&pit, 0, t0), 1);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(8)), 1);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(9)), 0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(10)), 1);
	assert_int_equal(read16(0, t0 + clk(3)), 7);
	assert_int_equal(read16(0, t0 + clk(10)), 10);        /* reloaded */
}

static void test_mode3_square_wave_and_count_steps_by_two(void **state)
{
	uint16_t v;

	(void)state;
	program(0, 3, 1000, t0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(499)), 1);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(500)), 0);
	assert_int_equal(vpit_out(&pit, 0, t0 + clk(1000)), 1);
	v = read16(0, t0 + clk(100));
	assert_int_equal(v, 800);
	assert_int_equal(v & 1, 0);
}

static void test_modes_6_and_7_alias_2_and_3(void **state)
{
	(void)state;
	out(0x43, 0x3c, t0);                                  /* mode 6 */
	out(0x43, 0xe2, t0);                                  /* status ch0 */
	assert_int_equal(in(0x40, t0) & 0x0e, 2 << 1);
	out(0x43, 0x3e, t0);                                  /* mode 7 */
	out(0x43, 0xe2, t0);
	assert_int_equal(in(0x40, t0) & 0x0e, 3 << 1);
}

static void test_count_zero_means_65536(void **state)
{
	(void)state;
	program(0, 2, 0, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(65536));
	assert_int_equal(read16(0, t0 + clk(1)), 65535);
}

static void test_lsb_only_access(void **state)
{
	(void)state;
	out(0x43, 0x14, t0);                                  /* ch0 LSB mode 2 */
	out(0x40, 200, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(200));
	assert_int_equal(in(0x40, t0 + clk(50)), 150);
	assert_int_equal(in(0x40, t0 + clk(51)), 149);        /* LSB each time */
}

static void test_msb_only_access(void **state)
{
	(void)state;
	out(0x43, 0x24, t0);                                  /* ch0 MSB mode 2 */
	out(0x40, 0x12, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(0x1200));
	assert_int_equal(in(0x40, t0 + clk(0x100)), 0x11);
	assert_int_equal(in(0x40, t0 + clk(0x100)), 0x11);
}

static void test_lsb_msb_read_flip_flop_counts_down(void **state)
{
	uint16_t a, b;

	(void)state;
	program(0, 2, 60000, t0);
	a = read16(0, t0 + clk(1000));
	b = read16(0, t0 + clk(2000));
	assert_int_equal(a, 59000);
	assert_int_equal(b, 58000);
}

static void test_counter_latch_freezes_value_until_read(void **state)
{
	(void)state;
	program(0, 2, 50000, t0);
	out(0x43, 0x00, t0 + clk(100));                       /* latch ch0 */
	out(0x43, 0x00, t0 + clk(200));                       /* ignored */
	assert_int_equal(read16(0, t0 + clk(300)), 49900);
	assert_int_equal(read16(0, t0 + clk(400)), 49600);    /* live again */
}

static void test_latch_with_lsb_msb_half_read_then_live(void **state)
{
	(void)state;
	program(2, 0, 0x1234, t0);
	out(0x61, 0x01, t0);                                  /* gate high */
	program(2, 0, 0x1234, t0);
	out(0x43, 0x80, t0 + clk(0x34));                      /* latch ch2 */
	assert_int_equal(in(0x42, t0 + clk(0x100)), 0x00);    /* 0x1200 LSB */
	assert_int_equal(in(0x42, t0 + clk(0x200)), 0x12);    /* MSB */
}

static void test_readback_latches_counts_of_selected_channels(void **state)
{
	(void)state;
	out(0x61, 0x01, t0);
	program(0, 2, 40000, t0);
	program(2, 0, 30000, t0);
	out(0x43, 0xd0 | 0x02 | 0x08, t0 + clk(1000));        /* count, ch0+ch2 */
	assert_int_equal(read16(0, t0 + clk(5000)), 39000);
	assert_int_equal(read16(2, t0 + clk(5000)), 29000);
}

static void test_readback_status_byte_then_count(void **state)
{
	uint8_t st;

	(void)state;
	out(0x43, 0x34, t0);                                  /* ch0 LSB/MSB m2 */
	out(0x43, 0xe2, t0);                                  /* status ch0 */
	st = in(0x40, t0);
	assert_int_equal(st, 0x80 | 0x40 | 0x34);             /* OUT, NULL COUNT */
	out(0x40, 0x10, t0);
	out(0x40, 0x27, t0);                                  /* 10000 */
	out(0x43, 0xc2, t0 + clk(10));                        /* status + count */
	assert_int_equal(in(0x40, t0 + clk(20)), 0x80 | 0x34);
	assert_int_equal(read16(0, t0 + clk(30)), 0x2710 - 10);
}

static void test_status_out_bit_follows_mode0_terminal_count(void **state)
{
	(void)state;
	out(0x43, 0x31, t0);                                  /* mode 0, BCD */
	out(0x43, 0xe2, t0);
	assert_int_equal(in(0x40, t0), 0x40 | 0x31);          /* OUT low */
	out(0x40, 10, t0);
	out(0x40, 0, t0);
	out(0x43, 0xe2, t0 + clk(10));
	assert_int_equal(in(0x40, t0 + clk(10)), 0x80 | 0x31);
}

/* Linux pit_calibrate_tsc(): ch2 mode 0, poll port 0x61 bit 5. */
static void test_channel2_mode0_calibration_sequence(void **state)
{
	uint8_t v;

	(void)state;
	v = in(0x61, t0);
	out(0x61, (uint8_t)((v & ~0x02) | 0x01), t0);
	out(0x43, 0xb0, t0);
	out(0x42, 11932 & 0xff, t0);
	out(0x42, 11932 >> 8, t0);
	assert_int_equal(in(0x61, t0 + clk(11931)) & 0x20, 0);
	assert_int_equal(in(0x61, t0 + clk(11932)) & 0x20, 0x20);
	assert_int_equal(in(0x61, t0 + clk(11932)) & 0x01, 0x01);
}

/* Linux quick_pit_calibrate(): the MSB of a 0xffff mode 0 count falls. */
static void test_channel2_msb_falls_every_256_clocks(void **state)
{
	int i;

	(void)state;
	out(0x61, 0x01, t0);
	out(0x43, 0xb0, t0);
	out(0x42, 0xff, t0);
	out(0x42, 0xff, t0);
	for (i = 0; i < 200; i++) {
		uint64_t now = t0 + clk(256 * (uint64_t)i + 1);

		in(0x42, now);
		assert_int_equal(in(0x42, now), 0xff - i);
	}
}

static void test_channel2_gate_low_pauses_mode0(void **state)
{
	(void)state;
	out(0x61, 0x01, t0);
	program(2, 0, 1000, t0);
	out(0x61, 0x00, t0 + clk(300));
	assert_int_equal(read16(2, t0 + clk(900)), 700);      /* frozen */
	out(0x61, 0x01, t0 + clk(900));
	assert_int_equal(read16(2, t0 + clk(1000)), 600);
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(1599)), 0);
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(1600)), 1);
}

static void test_channel2_gate_rising_restarts_mode2(void **state)
{
	(void)state;
	out(0x61, 0x01, t0);
	program(2, 2, 1000, t0);
	assert_int_equal(read16(2, t0 + clk(400)), 600);
	out(0x61, 0x00, t0 + clk(400));
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(999)), 1); /* forced high */
	out(0x61, 0x01, t0 + clk(500));
	assert_int_equal(read16(2, t0 + clk(600)), 900);      /* from the top */
}

static void test_channel2_gate_low_means_no_count_until_raised(void **state)
{
	(void)state;
	program(2, 0, 1000, t0);                              /* gate still low */
	assert_int_equal(read16(2, t0 + clk(500)), 1000);
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(5000)), 0);
}

static void test_channel2_mode1_triggered_by_gate(void **state)
{
	(void)state;
	program(2, 1, 100, t0);
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(500)), 1);  /* not yet */
	out(0x61, 0x01, t0 + clk(500));
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(550)), 0);
	assert_int_equal(vpit_out(&pit, 2, t0 + clk(600)), 1);
}

static void test_port61_keeps_low_bits_and_toggles_refresh(void **state)
{
	uint8_t a, b;

	(void)state;
	out(0x61, 0xff, t0);
	assert_int_equal(in(0x61, t0) & 0xcf, 0x0f);
	a = in(0x61, t0 + clk(18 * 10)) & 0x10;
	b = in(0x61, t0 + clk(18 * 11)) & 0x10;
	assert_int_not_equal(a, b);
}

/* Count 2 in mode 2 (596 kHz): IRQ 0 comes every VPIT_MIN_IRQ0_CLOCKS clocks; reads keep count 2. */
static void test_irq0_rate_is_bounded_but_counts_are_not(void **state)
{
	(void)state;
	program(0, 2, 2, t0);
	vpit_irq0_pending(&pit, t0);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(VPIT_MIN_IRQ0_CLOCKS) - 1), 0);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(VPIT_MIN_IRQ0_CLOCKS)), 1);
	/* one second: about 10026 edges, not 596591 */
	assert_int_equal(vpit_irq0_pending(&pit, t0 + clk(P)), P / VPIT_MIN_IRQ0_CLOCKS - 1);
	assert_int_equal(vpit_next_irq0(&pit, t0 + clk(P)), t0 + clk((P / VPIT_MIN_IRQ0_CLOCKS + 1) * VPIT_MIN_IRQ0_CLOCKS));
	/* the counter itself still runs with period 2 */
	uint16_t a = read16(0, t0 + clk(1001)), b = read16(0, t0 + clk(1002));
	assert_true(a == 1 || a == 2);
	assert_true(b == 1 || b == 2);
	assert_int_not_equal(a, b);
	/* a period at the bound or above is exact */
	program(0, 2, 1193, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0), t0 + clk(1193));
}

static void test_reprogramming_restarts_edge_epoch(void **state)
{
	uint64_t t1 = t0 + hz / 2;

	(void)state;
	program(0, 2, 1000, t0);
	program(0, 2, 2000, t1);
	assert_int_equal(vpit_irq0_pending(&pit, t1 + clk(1999)), 0);
	assert_int_equal(vpit_irq0_pending(&pit, t1 + clk(2000)), 1);
}

static void test_control_word_stops_irq0_until_count_written(void **state)
{
	(void)state;
	out(0x43, 0x34, t0);
	assert_int_equal(vpit_next_irq0(&pit, t0), UINT64_MAX);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + hz), 0);
	out(0x40, 0xe8, t0 + hz);
	assert_int_equal(vpit_irq0_pending(&pit, t0 + hz), 0);
	out(0x40, 0x03, t0 + hz);
	assert_int_equal(vpit_next_irq0(&pit, t0 + hz), t0 + hz + clk(1000));
}

static void test_time_before_start_is_harmless(void **state)
{
	(void)state;
	program(0, 2, 1000, t0);
	assert_int_equal(vpit_irq0_pending(&pit, t0 - 5), 0);
	assert_int_equal(read16(0, t0 - 5), 1000);
}

static void test_ports_handled_and_control_reads_ff(void **state)
{
	(void)state;
	assert_true(vpit_handles_port(0x40));
	assert_true(vpit_handles_port(0x43));
	assert_true(vpit_handles_port(0x61));
	assert_false(vpit_handles_port(0x44));
	assert_false(vpit_handles_port(0x60));
	assert_int_equal(in(0x43, t0), 0xff);
	assert_int_equal(in(0x44, t0), 0xff);
	assert_int_equal(vpit_out(&pit, 3, t0), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_init_gives_bios_18hz_irq0),
		T(test_100hz_gives_100_edges_each_second_for_10s),
		T(test_edges_match_exact_formula_over_an_hour),
		T(test_next_irq0_is_exact_tsc_of_each_edge),
		T(test_next_irq0_after_now_skips_missed_edges),
		T(test_mode0_one_shot_single_edge_and_out_high),
		T(test_mode0_rearm_by_new_count_gives_new_edge),
		T(test_mode4_strobe_edge_one_clock_after_zero),
		T(test_mode2_out_low_for_one_clock_per_period),
		T(test_mode3_square_wave_and_count_steps_by_two),
		T(test_modes_6_and_7_alias_2_and_3),
		T(test_count_zero_means_65536),
		T(test_lsb_only_access),
		T(test_msb_only_access),
		T(test_lsb_msb_read_flip_flop_counts_down),
		T(test_counter_latch_freezes_value_until_read),
		T(test_latch_with_lsb_msb_half_read_then_live),
		T(test_readback_latches_counts_of_selected_channels),
		T(test_readback_status_byte_then_count),
		T(test_status_out_bit_follows_mode0_terminal_count),
		T(test_channel2_mode0_calibration_sequence),
		T(test_channel2_msb_falls_every_256_clocks),
		T(test_channel2_gate_low_pauses_mode0),
		T(test_channel2_gate_rising_restarts_mode2),
		T(test_channel2_gate_low_means_no_count_until_raised),
		T(test_channel2_mode1_triggered_by_gate),
		T(test_port61_keeps_low_bits_and_toggles_refresh),
		T(test_reprogramming_restarts_edge_epoch),
		T(test_irq0_rate_is_bounded_but_counts_are_not),
		T(test_control_word_stops_irq0_until_count_written),
		T(test_time_before_start_is_harmless),
		T(test_ports_handled_and_control_reads_ff),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
