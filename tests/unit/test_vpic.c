/* Unit tests for hv/vpic.c: the virtual 8259A pair. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vpic.h"

static struct vpic pic;

#define M_CMD  0x20
#define M_DATA 0x21
#define S_CMD  0xa0
#define S_DATA 0xa1

#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define OCW3_POLL     0x0c
#define OCW2_EOI      0x20
#define OCW2_SEOI(n)  (0x60 | (n))

/* The sequence Linux's init_8259A and most hobby kernels use. */
static void icw_pair(uint8_t icw4_master, uint8_t icw4_slave)
{
	vpic_write(&pic, M_CMD, 0x11);          /* ICW1: edge, cascade, ICW4 */
	vpic_write(&pic, M_DATA, 0x20);         /* ICW2: vectors 0x20.. */
	vpic_write(&pic, M_DATA, 0x04);         /* ICW3: slave on IR2 */
	vpic_write(&pic, M_DATA, icw4_master);
	vpic_write(&pic, S_CMD, 0x11);
	vpic_write(&pic, S_DATA, 0x28);
	vpic_write(&pic, S_DATA, 0x02);         /* ICW3: slave id 2 */
	vpic_write(&pic, S_DATA, icw4_slave);
	vpic_write(&pic, M_DATA, 0x00);         /* OCW1: all unmasked */
	vpic_write(&pic, S_DATA, 0x00);
}

static void init_pair(uint8_t icw4_master, uint8_t icw4_slave)
{
	vpic_init(&pic);
	icw_pair(icw4_master, icw4_slave);
}

static int setup(void **state)
{
	(void)state;
	init_pair(0x01, 0x01);
	return 0;
}

static uint8_t reg(uint16_t cmd, uint8_t ocw3)
{
	vpic_write(&pic, cmd, ocw3);
	return vpic_read(&pic, cmd);
}

static uint8_t isr(uint16_t cmd) { return reg(cmd, OCW3_READ_ISR); }
static uint8_t irr(uint16_t cmd) { return reg(cmd, OCW3_READ_IRR); }

static void test_init_state_is_bios_like_and_masked(void **state)
{
	(void)state;
	vpic_init(&pic);
	assert_int_equal(vpic_read(&pic, M_DATA), 0xff);
	assert_int_equal(vpic_read(&pic, S_DATA), 0xff);
	vpic_pulse_irq(&pic, 1);
	assert_false(vpic_has_interrupt(&pic));
	vpic_write(&pic, M_DATA, 0xfd);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x09);       /* BIOS base 0x08 */
	vpic_write(&pic, M_CMD, OCW2_EOI);
	vpic_write(&pic, M_DATA, 0xfb);
	vpic_write(&pic, S_DATA, 0xfe);
	vpic_pulse_irq(&pic, 8);
	assert_int_equal(vpic_ack(&pic), 0x70);       /* BIOS base 0x70 */
}

static void test_icw_sequence_sets_vector_bases_and_clears_imr(void **state)
{
	(void)state;
	vpic_init(&pic);
	vpic_write(&pic, M_CMD, 0x11);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x00);   /* ICW1 clears IMR */
	vpic_write(&pic, M_DATA, 0x37);                    /* low 3 bits ignored */
	vpic_write(&pic, M_DATA, 0x04);
	vpic_write(&pic, M_DATA, 0x01);
	vpic_write(&pic, M_DATA, 0xa5);                    /* now OCW1 */
	assert_int_equal(vpic_read(&pic, M_DATA), 0xa5);
	vpic_write(&pic, M_DATA, 0x00);
	vpic_pulse_irq(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
}

static void test_icw1_without_ic4_skips_icw4(void **state)
{
	(void)state;
	vpic_init(&pic);
	vpic_write(&pic, M_CMD, 0x10);                     /* no ICW4 */
	vpic_write(&pic, M_DATA, 0x40);
	vpic_write(&pic, M_DATA, 0x04);
	vpic_write(&pic, M_DATA, 0xfe);                    /* OCW1 already */
	assert_int_equal(vpic_read(&pic, M_DATA), 0xfe);
}

static void test_single_mode_skips_icw3(void **state)
{
	(void)state;
	vpic_init(&pic);
	vpic_write(&pic, M_CMD, 0x13);                     /* SNGL, IC4 */
	vpic_write(&pic, M_DATA, 0x50);
	vpic_write(&pic, M_DATA, 0x01);                    /* ICW4 */
	vpic_write(&pic, M_DATA, 0x80);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x80);
	vpic_pulse_irq(&pic, 2);
	assert_int_equal(vpic_ack(&pic), 0x52);            /* IR2 is no cascade */
}

static void test_ocw1_masks_and_reads_back(void **state)
{
	(void)state;
	vpic_write(&pic, M_DATA, 0x5a);
	vpic_write(&pic, S_DATA, 0xc3);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x5a);
	assert_int_equal(vpic_read(&pic, S_DATA), 0xc3);
}

static void test_edge_pulse_delivers_vector_and_sets_isr(void **state)
{
	(void)state;
	assert_false(vpic_has_interrupt(&pic));
	vpic_pulse_irq(&pic, 1);
	assert_int_equal(irr(M_CMD), 0x02);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x21);
	assert_int_equal(isr(M_CMD), 0x02);
	assert_int_equal(irr(M_CMD), 0x00);
	assert_false(vpic_has_interrupt(&pic));
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(isr(M_CMD), 0x00);
}

static void test_edge_held_high_needs_new_rising_edge(void **state)
{
	(void)state;
	vpic_set_irq(&pic, 4, 1);
	assert_int_equal(vpic_ack(&pic), 0x24);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	vpic_set_irq(&pic, 4, 1);                          /* still high */
	assert_false(vpic_has_interrupt(&pic));
	vpic_set_irq(&pic, 4, 0);
	vpic_set_irq(&pic, 4, 1);
	assert_true(vpic_has_interrupt(&pic));
}

static void test_edge_latch_survives_falling_edge(void **state)
{
	(void)state;
	vpic_set_irq(&pic, 6, 1);
	vpic_set_irq(&pic, 6, 0);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x26);
}

static void test_masked_request_stays_in_irr_until_unmasked(void **state)
{
	(void)state;
	vpic_write(&pic, M_DATA, 0x08);
	vpic_pulse_irq(&pic, 3);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(irr(M_CMD), 0x08);
	vpic_write(&pic, M_DATA, 0x00);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x23);
}

static void test_level_elcr_line_redelivers_until_lowered(void **state)
{
	(void)state;
	vpic_write(&pic, 0x4d1, 0x04);                     /* IRQ 10 level */
	vpic_set_irq(&pic, 10, 1);
	assert_int_equal(vpic_ack(&pic), 0x2a);
	assert_false(vpic_has_interrupt(&pic));            /* in service */
	vpic_write(&pic, S_CMD, OCW2_EOI);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));             /* still high */
	assert_int_equal(vpic_ack(&pic), 0x2a);
	vpic_set_irq(&pic, 10, 0);
	vpic_write(&pic, S_CMD, OCW2_EOI);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_level_ltim_mode_from_icw1(void **state)
{
	(void)state;
	vpic_write(&pic, M_CMD, 0x19);                     /* LTIM, IC4 */
	vpic_write(&pic, M_DATA, 0x20);
	vpic_write(&pic, M_DATA, 0x04);
	vpic_write(&pic, M_DATA, 0x01);
	vpic_write(&pic, M_DATA, 0x00);
	vpic_set_irq(&pic, 5, 1);
	assert_int_equal(vpic_ack(&pic), 0x25);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	vpic_set_irq(&pic, 5, 0);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(irr(M_CMD), 0x00);
}

static void test_elcr_masks_fixed_edge_lines(void **state)
{
	(void)state;
	vpic_write(&pic, 0x4d0, 0xff);
	vpic_write(&pic, 0x4d1, 0xff);
	assert_int_equal(vpic_read(&pic, 0x4d0), 0xf8);    /* IRQ 0-2 edge */
	assert_int_equal(vpic_read(&pic, 0x4d1), 0xde);    /* IRQ 8, 13 edge */
}

static void test_priority_lowest_irq_number_first(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 5);
	vpic_pulse_irq(&pic, 3);
	vpic_pulse_irq(&pic, 7);
	assert_int_equal(vpic_ack(&pic), 0x23);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x25);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x27);
}

static void test_in_service_blocks_lower_not_higher(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	vpic_pulse_irq(&pic, 5);
	assert_false(vpic_has_interrupt(&pic));            /* lower: waits */
	vpic_pulse_irq(&pic, 1);
	assert_true(vpic_has_interrupt(&pic));             /* higher: nests */
	assert_int_equal(vpic_ack(&pic), 0x21);
	assert_int_equal(isr(M_CMD), 0x0a);
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* clears IR1 */
	assert_int_equal(isr(M_CMD), 0x08);
	assert_false(vpic_has_interrupt(&pic));
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* clears IR3 */
	assert_int_equal(vpic_ack(&pic), 0x25);
}

static void test_slave_lines_rank_at_master_ir2(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 3);
	vpic_pulse_irq(&pic, 9);
	assert_int_equal(vpic_ack(&pic), 0x29);            /* IR2 beats IR3 */
	vpic_pulse_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x21);            /* IR1 beats IR2 */
}

static void test_cascade_ack_sets_master_ir2_and_slave_isr(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 12);
	assert_int_equal(irr(M_CMD), 0x04);
	assert_int_equal(vpic_ack(&pic), 0x2c);
	assert_int_equal(isr(M_CMD), 0x04);
	assert_int_equal(isr(S_CMD), 0x10);
	vpic_write(&pic, S_CMD, OCW2_EOI);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(isr(M_CMD), 0x00);
	assert_int_equal(isr(S_CMD), 0x00);
}

static void test_second_slave_request_waits_for_slave_eoi(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 8);
	vpic_pulse_irq(&pic, 11);
	assert_int_equal(vpic_ack(&pic), 0x28);
	assert_false(vpic_has_interrupt(&pic));
	vpic_write(&pic, S_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic));            /* master IR2 busy */
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x2b);
}

static void test_slave_mask_hides_request_from_master(void **state)
{
	(void)state;
	vpic_write(&pic, S_DATA, 0x01);
	vpic_pulse_irq(&pic, 8);
	assert_false(vpic_has_interrupt(&pic));
	vpic_write(&pic, S_DATA, 0x00);
	assert_int_equal(vpic_ack(&pic), 0x28);
}

static void test_specific_eoi_clears_named_bit(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 4);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 1);
	vpic_ack(&pic);
	assert_int_equal(isr(M_CMD), 0x12);
	vpic_write(&pic, M_CMD, OCW2_SEOI(4));
	assert_int_equal(isr(M_CMD), 0x02);
	vpic_write(&pic, M_CMD, OCW2_SEOI(6));             /* not in service */
	assert_int_equal(isr(M_CMD), 0x02);
}

static void test_nonspecific_eoi_clears_highest_priority(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 6);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 4);
	vpic_ack(&pic);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(isr(M_CMD), 0x40);
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(isr(M_CMD), 0x00);
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* nothing: harmless */
	assert_int_equal(isr(M_CMD), 0x00);
}

static void test_rotate_on_nonspecific_eoi_makes_serviced_lowest(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x21);
	vpic_write(&pic, M_CMD, 0xa0);                     /* rotate on NS EOI */
	vpic_pulse_irq(&pic, 1);
	vpic_pulse_irq(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x23);            /* IR1 now lowest */
	vpic_write(&pic, M_CMD, 0xa0);                     /* IR3 now lowest */
	assert_int_equal(vpic_ack(&pic), 0x21);
}

static void test_rotate_on_specific_eoi(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 4);
	vpic_ack(&pic);
	vpic_write(&pic, M_CMD, 0xe0 | 4);                 /* rotate, SEOI 4 */
	assert_int_equal(isr(M_CMD), 0x00);
	vpic_pulse_irq(&pic, 4);
	vpic_pulse_irq(&pic, 6);
	assert_int_equal(vpic_ack(&pic), 0x26);            /* 5 is highest now */
}

static void test_set_priority_command(void **state)
{
	(void)state;
	vpic_write(&pic, M_CMD, 0xc0 | 5);                 /* IR5 lowest */
	vpic_pulse_irq(&pic, 0);
	vpic_pulse_irq(&pic, 5);
	vpic_pulse_irq(&pic, 7);
	assert_int_equal(vpic_ack(&pic), 0x27);            /* 6,7,0,..,5 */
	vpic_write(&pic, M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x20);
}

static void test_ocw2_noop_changes_nothing(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 3);
	vpic_ack(&pic);
	vpic_write(&pic, M_CMD, 0x40);                     /* R=0 SL=1 EOI=0 */
	assert_int_equal(isr(M_CMD), 0x08);
}

static void test_auto_eoi_sets_no_isr_bit(void **state)
{
	(void)state;
	init_pair(0x03, 0x01);
	vpic_pulse_irq(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	assert_int_equal(isr(M_CMD), 0x00);
	vpic_pulse_irq(&pic, 5);
	assert_true(vpic_has_interrupt(&pic));             /* not blocked */
	assert_int_equal(vpic_take_eois(&pic), 1u << 3);
}

static void test_rotate_in_auto_eoi_mode(void **state)
{
	(void)state;
	init_pair(0x03, 0x01);
	vpic_write(&pic, M_CMD, 0x80);                     /* set rotate in AEOI */
	vpic_pulse_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x21);
	vpic_pulse_irq(&pic, 1);
	vpic_pulse_irq(&pic, 4);
	assert_int_equal(vpic_ack(&pic), 0x24);            /* IR1 went lowest */
	vpic_write(&pic, M_CMD, 0x00);                     /* clear rotate */
	vpic_pulse_irq(&pic, 6);
	assert_int_equal(vpic_ack(&pic), 0x26);            /* 5,6,7,0,1 */
	assert_int_equal(vpic_ack(&pic), 0x21);            /* no more rotation */
}

static void test_auto_eoi_slave_second_request_not_lost(void **state)
{
	(void)state;
	init_pair(0x03, 0x03);
	vpic_pulse_irq(&pic, 8);
	vpic_pulse_irq(&pic, 9);
	assert_int_equal(vpic_ack(&pic), 0x28);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x29);
}

static void test_ocw3_selects_irr_or_isr_and_it_sticks(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 5);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 6);
	vpic_write(&pic, M_CMD, OCW3_READ_ISR);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x20);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x20);
	vpic_write(&pic, M_CMD, 0x08);                     /* RR=0: no change */
	assert_int_equal(vpic_read(&pic, M_CMD), 0x20);
	vpic_write(&pic, M_CMD, OCW3_READ_IRR);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x40);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x00);   /* data port: IMR */
}

static void test_poll_command_acknowledges_highest(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 6);
	vpic_write(&pic, M_CMD, OCW3_POLL);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x86);
	assert_int_equal(isr(M_CMD), 0x40);
	vpic_write(&pic, M_CMD, OCW3_POLL);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x00);    /* none pending */
	vpic_write(&pic, M_CMD, OCW3_READ_IRR);
	assert_int_equal(vpic_read(&pic, M_CMD), 0x00);    /* poll was one-shot */
}

static void test_special_mask_mode_lets_lower_levels_in(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 3);
	vpic_ack(&pic);
	vpic_write(&pic, M_DATA, 0x08);                    /* mask own level */
	vpic_write(&pic, M_CMD, 0x68);                     /* set SMM */
	vpic_pulse_irq(&pic, 6);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x26);
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* skips masked IR3 */
	assert_int_equal(isr(M_CMD), 0x08);
	vpic_write(&pic, M_CMD, 0x48);                     /* reset SMM */
	vpic_pulse_irq(&pic, 7);
	vpic_write(&pic, M_DATA, 0x00);
	assert_false(vpic_has_interrupt(&pic));            /* IR3 blocks again */
}

static void test_special_fully_nested_lets_slave_nest(void **state)
{
	(void)state;
	init_pair(0x11, 0x01);                             /* master SFNM */
	vpic_pulse_irq(&pic, 12);
	assert_int_equal(vpic_ack(&pic), 0x2c);
	vpic_pulse_irq(&pic, 9);                           /* higher on slave */
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x29);
	init_pair(0x01, 0x01);                             /* normal nesting */
	vpic_pulse_irq(&pic, 12);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 9);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_spurious_irq7_when_level_request_goes_away(void **state)
{
	(void)state;
	vpic_write(&pic, 0x4d0, 0x20);                     /* IRQ 5 level */
	vpic_set_irq(&pic, 5, 1);
	assert_true(vpic_has_interrupt(&pic));
	vpic_set_irq(&pic, 5, 0);                          /* gone before INTA */
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(isr(M_CMD), 0x00);                /* no ISR bit */
}

static void test_spurious_irq7_when_masked_before_inta(void **state)
{
	(void)state;
	vpic_pulse_irq(&pic, 4);
	vpic_write(&pic, M_DATA, 0x10);
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(isr(M_CMD), 0x00);
	assert_int_equal(irr(M_CMD), 0x10);                /* still requested */
}

static void test_spurious_irq15_sets_master_ir2_only(void **state)
{
	(void)state;
	vpic_write(&pic, 0x4d1, 0x08);                     /* IRQ 11 level */
	vpic_set_irq(&pic, 11, 1);
	assert_true(vpic_has_interrupt(&pic));
	vpic_set_irq(&pic, 11, 0);
	assert_int_equal(vpic_ack(&pic), 0x2f);            /* slave base + 7 */
	assert_int_equal(isr(M_CMD), 0x04);                /* master ISR2 set */
	assert_int_equal(isr(S_CMD), 0x00);
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* guest EOIs master */
	assert_int_equal(isr(M_CMD), 0x00);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_icw1_resets_state_and_edge_sense(void **state)
{
	(void)state;
	vpic_set_irq(&pic, 3, 1);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 5);
	vpic_write(&pic, M_DATA, 0x80);
	icw_pair(0x01, 0x01);
	assert_int_equal(isr(M_CMD), 0x00);
	assert_int_equal(irr(M_CMD), 0x00);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x00);
	vpic_set_irq(&pic, 3, 1);                          /* was already high */
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_take_eois(&pic) & (1u << 3), 1u << 3);
}

static void test_take_eois_reports_acknowledged_lines(void **state)
{
	(void)state;
	assert_int_equal(vpic_take_eois(&pic), 0);
	vpic_pulse_irq(&pic, 4);
	assert_int_equal(vpic_ack(&pic), 0x24);
	vpic_pulse_irq(&pic, 14);
	assert_int_equal(vpic_ack(&pic), 0x2e);            /* nests over IR4 */
	assert_int_equal(vpic_take_eois(&pic), 0);         /* not yet EOI'd */
	vpic_write(&pic, M_CMD, OCW2_SEOI(4));
	vpic_write(&pic, S_CMD, OCW2_EOI);
	vpic_write(&pic, M_CMD, OCW2_EOI);                 /* cascade: not a line */
	assert_int_equal(vpic_take_eois(&pic), (1u << 4) | (1u << 14));
	assert_int_equal(vpic_take_eois(&pic), 0);
}

static void test_ports_handled_and_others_ignored(void **state)
{
	(void)state;
	assert_true(vpic_handles_port(0x20));
	assert_true(vpic_handles_port(0xa1));
	assert_true(vpic_handles_port(0x4d0));
	assert_false(vpic_handles_port(0x22));
	assert_false(vpic_handles_port(0x60));
	assert_int_equal(vpic_read(&pic, 0x22), 0xff);
	vpic_write(&pic, 0x22, 0x11);
	assert_int_equal(vpic_read(&pic, M_DATA), 0x00);
	vpic_set_irq(&pic, 16, 1);
	vpic_set_irq(&pic, -1, 1);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_ack_with_nothing_pending_is_spurious_master(void **state)
{
	(void)state;
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(isr(M_CMD), 0x00);
}

/* The definition vpic_edge_would_interrupt must agree with: pulse a copy, compare. */
static bool would_interrupt_reference(const struct vpic *p, int irq)
{
	struct vpic copy = *p;

	vpic_pulse_irq(&copy, irq);
	return vpic_has_interrupt(&copy) && !vpic_has_interrupt(p);
}

/* Many pseudo-random chip states (masks, requests, in-service, lines, ELCR, rotation, special mask). */
static void test_edge_would_interrupt_matches_the_pulse_of_a_copy(void **state)
{
	uint32_t x = 12345;

	(void)state;
	for (int n = 0; n < 200000; n++) {
		struct vpic p;
		init_pair(0x01, 0x01);
		p = pic;
		for (int c = 0; c < 2; c++) {
			x = x * 1103515245u + 12345u; p.chip[c].imr = (uint8_t)(x >> 16);
			x = x * 1103515245u + 12345u; p.chip[c].irr = (uint8_t)(x >> 16);
			x = x * 1103515245u + 12345u; p.chip[c].isr = (uint8_t)(x >> 16) & (uint8_t)(x >> 24);
			x = x * 1103515245u + 12345u; p.chip[c].lines = (uint8_t)(x >> 16) & (uint8_t)(x >> 20);
			x = x * 1103515245u + 12345u; p.chip[c].elcr = (uint8_t)(x >> 16) & 0xf8 & (uint8_t)(x >> 22);
			p.chip[c].lowest = (uint8_t)((x >> 27) & 7);
			p.chip[c].special_mask = (x >> 30) & 1;
		}
		/* A state the model can be in: master IR2 reflects the slave's output. */
		vpic_set_irq(&p, 8, p.chip[1].lines & 1);
		for (int irq = 0; irq < 16; irq++)
			assert_int_equal(vpic_edge_would_interrupt(&p, irq), would_interrupt_reference(&p, irq));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_state_is_bios_like_and_masked),
		cmocka_unit_test(test_icw_sequence_sets_vector_bases_and_clears_imr),
		cmocka_unit_test(test_icw1_without_ic4_skips_icw4),
		cmocka_unit_test(test_single_mode_skips_icw3),
		cmocka_unit_test_setup(test_ocw1_masks_and_reads_back, setup),
		cmocka_unit_test_setup(test_edge_pulse_delivers_vector_and_sets_isr, setup),
		cmocka_unit_test_setup(test_edge_held_high_needs_new_rising_edge, setup),
		cmocka_unit_test_setup(test_edge_latch_survives_falling_edge, setup),
		cmocka_unit_test_setup(test_masked_request_stays_in_irr_until_unmasked, setup),
		cmocka_unit_test_setup(test_level_elcr_line_redelivers_until_lowered, setup),
		cmocka_unit_test_setup(test_level_ltim_mode_from_icw1, setup),
		cmocka_unit_test_setup(test_elcr_masks_fixed_edge_lines, setup),
		cmocka_unit_test_setup(test_priority_lowest_irq_number_first, setup),
		cmocka_unit_test_setup(test_in_service_blocks_lower_not_higher, setup),
		cmocka_unit_test_setup(test_slave_lines_rank_at_master_ir2, setup),
		cmocka_unit_test_setup(test_cascade_ack_sets_master_ir2_and_slave_isr, setup),
		cmocka_unit_test_setup(test_second_slave_request_waits_for_slave_eoi, setup),
		cmocka_unit_test_setup(test_slave_mask_hides_request_from_master, setup),
		cmocka_unit_test_setup(test_specific_eoi_clears_named_bit, setup),
		cmocka_unit_test_setup(test_nonspecific_eoi_clears_highest_priority, setup),
		cmocka_unit_test_setup(test_rotate_on_nonspecific_eoi_makes_serviced_lowest, setup),
		cmocka_unit_test_setup(test_rotate_on_specific_eoi, setup),
		cmocka_unit_test_setup(test_set_priority_command, setup),
		cmocka_unit_test_setup(test_ocw2_noop_changes_nothing, setup),
		cmocka_unit_test_setup(test_auto_eoi_sets_no_isr_bit, setup),
		cmocka_unit_test_setup(test_rotate_in_auto_eoi_mode, setup),
		cmocka_unit_test_setup(test_auto_eoi_slave_second_request_not_lost, setup),
		cmocka_unit_test_setup(test_ocw3_selects_irr_or_isr_and_it_sticks, setup),
		cmocka_unit_test_setup(test_poll_command_acknowledges_highest, setup),
		cmocka_unit_test_setup(test_special_mask_mode_lets_lower_levels_in, setup),
		cmocka_unit_test_setup(test_special_fully_nested_lets_slave_nest, setup),
		cmocka_unit_test_setup(test_spurious_irq7_when_level_request_goes_away, setup),
		cmocka_unit_test_setup(test_spurious_irq7_when_masked_before_inta, setup),
		cmocka_unit_test_setup(test_spurious_irq15_sets_master_ir2_only, setup),
		cmocka_unit_test_setup(test_icw1_resets_state_and_edge_sense, setup),
		cmocka_unit_test_setup(test_take_eois_reports_acknowledged_lines, setup),
		cmocka_unit_test_setup(test_ports_handled_and_others_ignored, setup),
		cmocka_unit_test_setup(test_ack_with_nothing_pending_is_spurious_master, setup),
		cmocka_unit_test(test_edge_would_interrupt_matches_the_pulse_of_a_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
