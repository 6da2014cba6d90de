/*
 * Unit tests for hv/vuart.c: the virtual 16550A against the behaviour the
 * PC16550D datasheet gives (register tables, interrupt priorities and
 * resets, FIFO control, loopback), and the probes drivers make (Linux's
 * 8250 autoconfig: scratch register, loopback MSR 0x90, IIR FIFO bits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vuart.h"

static struct vuart u;

static int setup(void **state)
{
	(void)state;
	vuart_init(&u);
	return 0;
}

static uint8_t rd(unsigned reg) { return vuart_read(&u, reg); }
static void wr(unsigned reg, uint8_t v) { vuart_write(&u, reg, v); }

static void test_reset_values(void **state)
{
	(void)state;
	assert_int_equal(rd(VUART_IER), 0);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);
	assert_int_equal(rd(VUART_LCR), 0);
	assert_int_equal(rd(VUART_MCR), 0);
	assert_int_equal(rd(VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	/* A ready terminal: CTS, DSR, DCD; no deltas. */
	assert_int_equal(rd(VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD);
	assert_false(vuart_irq_line(&u));
}

static void test_scratch_and_reserved_bits(void **state)
{
	(void)state;
	wr(VUART_SCR, 0x5a);
	assert_int_equal(rd(VUART_SCR), 0x5a);
	wr(VUART_IER, 0xff);
	assert_int_equal(rd(VUART_IER), 0x0f);             /* bits 7:4 read 0 */
	wr(VUART_MCR, 0xff);
	assert_int_equal(rd(VUART_MCR), 0x1f);             /* bits 7:5 read 0 */
}

static void test_divisor_latch_is_behind_dlab(void **state)
{
	uint8_t b;

	(void)state;
	wr(VUART_LCR, VUART_LCR_DLAB | 0x03);
	wr(VUART_RBR, 0x01);                               /* DLL: 115200 baud */
	wr(VUART_IER, 0x00);                               /* DLM */
	assert_false(vuart_tx_take(&u, &b));               /* nothing transmitted */
	wr(VUART_LCR, 0x03);
	assert_int_equal(rd(VUART_IER), 0);
	wr(VUART_IER, VUART_IER_RDA);
	wr(VUART_LCR, VUART_LCR_DLAB);
	assert_int_equal(rd(VUART_RBR), 0x01);
	assert_int_equal(rd(VUART_IER), 0x00);
	wr(VUART_LCR, 0);
	assert_int_equal(rd(VUART_IER), VUART_IER_RDA);
}

static void test_thre_interrupt_when_enabled_with_thr_empty_and_reset_by_iir_read(void **state)
{
	(void)state;
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_THRE);
	assert_true(vuart_irq_line(&u));
	assert_int_equal(rd(VUART_IIR), VUART_IIR_THRE);
	/* The read reset it. */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);
	assert_false(vuart_irq_line(&u));
	/* Writing IER again with THRE still set does not raise it again. */
	wr(VUART_IER, VUART_IER_THRE);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);
	/* Disabling and enabling does. */
	wr(VUART_IER, 0);
	wr(VUART_IER, VUART_IER_THRE);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_THRE);
}

static void test_thr_write_resets_thre_until_the_byte_has_gone(void **state)
{
	uint8_t b;

	(void)state;
	wr(VUART_IER, VUART_IER_THRE);
	assert_int_equal(vuart_iir(&u), VUART_IIR_THRE);
	wr(VUART_RBR, 'x');
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);
	assert_int_equal(rd(VUART_LSR) & (VUART_LSR_THRE | VUART_LSR_TEMT), 0);
	assert_true(vuart_tx_take(&u, &b));
	assert_int_equal(b, 'x');
	assert_false(vuart_tx_take(&u, &b));
	assert_int_equal(rd(VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_THRE);
}

static void test_iir_read_keeps_thre_when_a_higher_priority_is_shown(void **state)
{
	(void)state;
	wr(VUART_IER, VUART_IER_THRE | VUART_IER_RDA);
	assert_true(vuart_receive(&u, 'a'));
	assert_int_equal(rd(VUART_IIR), VUART_IIR_RDA);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	assert_int_equal(rd(VUART_RBR), 'a');             /* reading RBR resets RDA */
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_THRE);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);
	assert_int_equal(rd(VUART_RBR), 'a');             /* empty: the last byte again */
}

static void test_fifo_mode_shows_in_iir_and_holds_16_bytes(void **state)
{
	(void)state;
	wr(VUART_IIR, VUART_FCR_ENABLE);                   /* FCR: trigger level 1 */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_FIFO | VUART_IIR_NONE);
	for (unsigned i = 0; i < VUART_FIFO; i++)
		assert_true(vuart_receive(&u, (uint8_t)i));
	assert_false(vuart_receive(&u, 0xee));             /* overrun: the 17th byte is lost */
	assert_int_equal(rd(VUART_LSR), VUART_LSR_DR | VUART_LSR_OE | VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(rd(VUART_LSR), VUART_LSR_DR | VUART_LSR_THRE | VUART_LSR_TEMT);   /* OE read-cleared */
	for (unsigned i = 0; i < VUART_FIFO; i++)
		assert_int_equal(rd(VUART_RBR), i);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_line_status_interrupt_outranks_received_data(void **state)
{
	(void)state;
	wr(VUART_IIR, VUART_FCR_ENABLE);
	wr(VUART_IER, VUART_IER_RDA | VUART_IER_RLS | VUART_IER_THRE);
	for (unsigned i = 0; i <= VUART_FIFO; i++)
		vuart_receive(&u, 'z');
	assert_int_equal(rd(VUART_IIR), VUART_IIR_FIFO | VUART_IIR_RLS);
	(void)rd(VUART_LSR);                               /* resets the line status interrupt */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_FIFO | VUART_IIR_RDA);
}

static void test_trigger_level_and_character_timeout(void **state)
{
	(void)state;
	wr(VUART_IIR, VUART_FCR_ENABLE | 0x80);            /* trigger level 8 */
	wr(VUART_IER, VUART_IER_RDA);
	for (unsigned i = 0; i < 3; i++)
		vuart_receive(&u, 'a');
	assert_int_equal(vuart_iir(&u), VUART_IIR_FIFO | VUART_IIR_TIMEOUT);
	for (unsigned i = 0; i < 5; i++)
		vuart_receive(&u, 'b');
	assert_int_equal(vuart_iir(&u), VUART_IIR_FIFO | VUART_IIR_RDA);
	(void)rd(VUART_RBR);
	assert_int_equal(vuart_iir(&u), VUART_IIR_FIFO | VUART_IIR_TIMEOUT);
	wr(VUART_IIR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX | 0xc0);   /* level 14, RX cleared */
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(vuart_iir(&u), VUART_IIR_FIFO | VUART_IIR_NONE);
}

static void test_16450_mode_overrun_replaces_the_byte(void **state)
{
	(void)state;
	assert_true(vuart_receive(&u, 'a'));
	assert_false(vuart_receive(&u, 'b'));
	assert_int_equal(rd(VUART_LSR) & (VUART_LSR_DR | VUART_LSR_OE), VUART_LSR_DR | VUART_LSR_OE);
	assert_int_equal(rd(VUART_RBR), 'b');
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_changing_fifo_mode_clears_the_fifos(void **state)
{
	(void)state;
	wr(VUART_IIR, VUART_FCR_ENABLE);
	vuart_receive(&u, 'a');
	vuart_receive(&u, 'b');
	wr(VUART_IIR, 0);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);   /* FIFO bits gone */
}

static void test_transmit_fifo_in_order(void **state)
{
	uint8_t b;

	(void)state;
	wr(VUART_IIR, VUART_FCR_ENABLE);
	for (unsigned i = 0; i < VUART_FIFO + 1; i++)
		wr(VUART_RBR, (uint8_t)('a' + i));
	for (unsigned i = 0; i < VUART_FIFO; i++) {
		assert_true(vuart_tx_take(&u, &b));
		assert_int_equal(b, 'a' + i);
	}
	assert_false(vuart_tx_take(&u, &b));                /* the 17th found the FIFO full */
}

static void test_loopback_as_linux_probes_it(void **state)
{
	uint8_t b;

	(void)state;
	/* 8250 autoconfig: MCR = LOOP | OUT2 | RTS must read MSR & 0xf0 = DCD | CTS (0x90). */
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2 | VUART_MCR_RTS);
	assert_int_equal(rd(VUART_MSR) & 0xf0, 0x90);
	wr(VUART_IIR, VUART_FCR_ENABLE);
	wr(VUART_IER, VUART_IER_RDA);
	wr(VUART_RBR, 'L');
	wr(VUART_RBR, 'B');
	assert_false(vuart_tx_take(&u, &b));               /* nothing left the chip */
	assert_int_equal(vuart_iir(&u), VUART_IIR_FIFO | VUART_IIR_RDA);
	assert_false(vuart_irq_line(&u));                  /* OUT2 is forced inactive in loopback */
	assert_false(vuart_receive(&u, 'x'));              /* the serial input is disconnected */
	assert_int_equal(rd(VUART_RBR), 'L');
	assert_int_equal(rd(VUART_RBR), 'B');
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_modem_status_deltas_and_interrupt(void **state)
{
	(void)state;
	wr(VUART_IER, VUART_IER_MS);
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1);    /* RI up, CTS/DSR/DCD down */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_MS);
	assert_int_equal(rd(VUART_MSR), VUART_MSR_RI | VUART_MSR_DCTS | VUART_MSR_DDSR | VUART_MSR_DDCD);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NONE);   /* reading MSR reset it */
	wr(VUART_MCR, VUART_MCR_LOOP);                      /* RI falls: trailing edge */
	assert_int_equal(rd(VUART_MSR), VUART_MSR_TERI);
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1);    /* RI rises: no TERI */
	assert_int_equal(rd(VUART_MSR), VUART_MSR_RI);
}

static void test_irq_line_needs_out2(void **state)
{
	(void)state;
	wr(VUART_IER, VUART_IER_THRE);
	assert_int_equal(vuart_iir(&u), VUART_IIR_THRE);
	assert_false(vuart_irq_line(&u));
	wr(VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_DTR | VUART_MCR_RTS);
	assert_true(vuart_irq_line(&u));
	(void)rd(VUART_IIR);
	assert_false(vuart_irq_line(&u));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		T(test_scratch_and_reserved_bits),
		T(test_divisor_latch_is_behind_dlab),
		T(test_thre_interrupt_when_enabled_with_thr_empty_and_reset_by_iir_read),
		T(test_thr_write_resets_thre_until_the_byte_has_gone),
		T(test_iir_read_keeps_thre_when_a_higher_priority_is_shown),
		T(test_fifo_mode_shows_in_iir_and_holds_16_bytes),
		T(test_line_status_interrupt_outranks_received_data),
		T(test_trigger_level_and_character_timeout),
		T(test_16450_mode_overrun_replaces_the_byte),
		T(test_changing_fifo_mode_clears_the_fifos),
		T(test_transmit_fifo_in_order),
		T(test_loopback_as_linux_probes_it),
		T(test_modem_status_deltas_and_interrupt),
		T(test_irq_line_needs_out2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
