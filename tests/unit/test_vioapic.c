/*
 * Unit tests for hv/vioapic.c: the virtual I/O APIC. Section names are
 * those of the Intel 82093AA I/O APIC datasheet; the last test carries a
 * level-triggered interrupt through hv/vlapic.c as the hv will.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vioapic.h"
#include "vlapic.h"

static struct vioapic io;
static struct vioapic_msg m;

static int setup(void **state)
{
	(void)state;
	vioapic_init(&io, 1);
	return 0;
}

static uint32_t reg_read(uint8_t r)
{
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, r);
	return vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4);
}

static void reg_write(uint8_t r, uint32_t v)
{
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, r);
	vioapic_mmio_write(&io, VIOAPIC_IOWIN, 4, v);
}

static uint32_t rte_lo(int pin) { return reg_read((uint8_t)(0x10 + 2 * pin)); }

/* Programs pin: low dword lo, destination dest. */
static void rte(int pin, uint32_t lo, uint8_t dest)
{
	reg_write((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	reg_write((uint8_t)(0x10 + 2 * pin), lo);
}

#define LEVEL   (1u << 15)
#define MASKED  (1u << 16)
#define RIRR    (1u << 14)
#define DELIVS  (1u << 12)

/* "IOREDTBL": every entry masked after reset. */
static void test_init_masks_every_entry_and_identifies_itself(void **state)
{
	int pin;

	(void)state;
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		assert_int_equal(rte_lo(pin), MASKED);
		assert_int_equal(reg_read((uint8_t)(0x11 + 2 * pin)), 0);
	}
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 0x01000000);
	assert_int_equal(reg_read(VIOAPIC_REG_VER), 0x00170020);       /* 24 entries, 0x20 */
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 0x01000000);
	assert_int_equal(vioapic_peek(&io, &m), -1);
}

/* "IOAPICID": bits 27:24; "IOAPICVER" and "IOAPICARB" are read-only. */
static void test_id_is_writable_version_and_arbitration_are_not(void **state)
{
	(void)state;
	reg_write(VIOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(reg_read(VIOAPIC_REG_ID), 0x0f000000);
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 0x0f000000);
	reg_write(VIOAPIC_REG_VER, 0);
	reg_write(VIOAPIC_REG_ARB, 0);
	assert_int_equal(reg_read(VIOAPIC_REG_VER), 0x00170020);
	assert_int_equal(reg_read(VIOAPIC_REG_ARB), 0x0f000000);
}

/* "IOREGSEL": an 8-bit index; byte writes work as dword ones do. */
static void test_ioregsel_takes_the_low_byte_of_any_write(void **state)
{
	(void)state;
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 1, 0x12);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 4), 0x12);
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0xffffff01);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 4), 0x01);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4), 0x00170020);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOWIN + 2, 1), 0x17);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOWIN, 2), 0x0020);
}

static void test_rte_writable_bits(void **state)
{
	(void)state;
	reg_write(0x10, 0xffffffff);
	assert_int_equal(reg_read(0x10), 0x0001afff);          /* no status, no remote IRR */
	reg_write(0x11, 0xffffffff);
	assert_int_equal(reg_read(0x11), 0xff000000);
	reg_write(0x3f, 0xa5ffffff);                            /* pin 23, high */
	assert_int_equal(reg_read(0x3f), 0xa5000000);
}

static void test_reserved_indices_and_offsets_read_zero(void **state)
{
	static const uint8_t idx[] = { 0x03, 0x0f, 0x40, 0x41, 0xff };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		reg_write(idx[i], 0xffffffff);
		assert_int_equal(reg_read(idx[i]), 0);
	}
	assert_int_equal(vioapic_mmio_read(&io, 0x04, 4), 0);
	assert_int_equal(vioapic_mmio_read(&io, 0x20, 4), 0);
	assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_EOI, 4), 0);   /* write-only */
	assert_int_equal(vioapic_mmio_read(&io, 0xff0, 4), 0);
	assert_int_equal(rte_lo(0), MASKED);
}

/* IOWIN is a dword register: narrower writes are dropped. */
static void test_narrow_iowin_writes_are_dropped(void **state)
{
	(void)state;
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0x10);
	vioapic_mmio_write(&io, VIOAPIC_IOWIN, 1, 0x30);
	vioapic_mmio_write(&io, VIOAPIC_IOWIN, 2, 0x30);
	vioapic_mmio_write(&io, VIOAPIC_IOWIN + 1, 4, 0x30);
	assert_int_equal(rte_lo(0), MASKED);
}

/* "Edge/level triggered": one message per rising edge. */
static void test_edge_pin_sends_one_message_per_rising_edge(void **state)
{
	(void)state;
	rte(2, 0x30, 0);
	vioapic_set_irq(&io, 2, 1);
	assert_int_equal(vioapic_peek(&io, &m), 2);
	assert_int_equal(m.vector, 0x30);
	assert_false(m.level);
	assert_int_equal(vioapic_take(&io, &m), 2);
	assert_int_equal(vioapic_take(&io, &m), -1);
	vioapic_set_irq(&io, 2, 1);                             /* held high: no edge */
	assert_int_equal(vioapic_peek(&io, &m), -1);
	vioapic_set_irq(&io, 2, 0);
	vioapic_set_irq(&io, 2, 1);
	assert_int_equal(vioapic_take(&io, &m), 2);
	assert_false(rte_lo(2) & RIRR);                         /* remote IRR: level only */
	/* Edges before the hv takes one coalesce. */
	vioapic_pulse_irq(&io, 2);
	vioapic_pulse_irq(&io, 2);
	assert_int_equal(vioapic_take(&io, &m), 2);
	assert_int_equal(vioapic_take(&io, &m), -1);
}

/* "Interrupt Mask": a masked edge is ignored, not held pending. */
static void test_masked_edge_is_ignored_not_held(void **state)
{
	(void)state;
	rte(4, MASKED | 0x34, 0);
	vioapic_pulse_irq(&io, 4);
	rte(4, 0x34, 0);
	assert_int_equal(vioapic_peek(&io, &m), -1);
	/* Latched, then masked before it was sent: dropped too. */
	vioapic_pulse_irq(&io, 4);
	rte(4, MASKED | 0x34, 0);
	rte(4, 0x34, 0);
	assert_int_equal(vioapic_peek(&io, &m), -1);
}

/* A level pin sends while asserted and remote IRR is clear; the EOI clears it. */
static void test_level_pin_resends_after_eoi_while_asserted(void **state)
{
	(void)state;
	rte(9, LEVEL | 0x40, 0);
	vioapic_set_irq(&io, 9, 1);
	assert_true(rte_lo(9) & DELIVS);                        /* send pending */
	assert_int_equal(vioapic_take(&io, &m), 9);
	assert_true(m.level);
	assert_int_equal(rte_lo(9), LEVEL | RIRR | 0x40);
	assert_int_equal(vioapic_peek(&io, &m), -1);            /* waits for the EOI */
	vioapic_eoi(&io, 0x41);                                 /* another vector */
	assert_int_equal(vioapic_peek(&io, &m), -1);
	vioapic_eoi(&io, 0x40);
	assert_int_equal(vioapic_take(&io, &m), 9);             /* still asserted */
	vioapic_set_irq(&io, 9, 0);
	vioapic_eoi(&io, 0x40);
	assert_int_equal(rte_lo(9), LEVEL | 0x40);
	assert_int_equal(vioapic_peek(&io, &m), -1);
}

static void test_level_withdrawn_before_it_is_sent_sends_nothing(void **state)
{
	(void)state;
	rte(10, LEVEL | 0x41, 0);
	vioapic_set_irq(&io, 10, 1);
	vioapic_set_irq(&io, 10, 0);
	assert_int_equal(vioapic_peek(&io, &m), -1);
	assert_false(rte_lo(10) & DELIVS);
}

static void test_masked_level_pin_sends_on_unmask_if_still_asserted(void **state)
{
	(void)state;
	rte(11, MASKED | LEVEL | 0x42, 0);
	vioapic_set_irq(&io, 11, 1);
	assert_int_equal(vioapic_peek(&io, &m), -1);
	assert_false(rte_lo(11) & DELIVS);
	rte(11, LEVEL | 0x42, 0);
	assert_int_equal(vioapic_take(&io, &m), 11);
	/* Masked while remote IRR is set: the EOI still clears it. */
	rte(11, MASKED | LEVEL | 0x42, 0);
	vioapic_eoi(&io, 0x42);
	assert_int_equal(rte_lo(11), MASKED | LEVEL | 0x42);
	assert_int_equal(vioapic_peek(&io, &m), -1);
}

/* The EOI register of version 0x20 (a directed EOI from the LAPIC). */
static void test_eoi_register_clears_remote_irr(void **state)
{
	(void)state;
	rte(16, LEVEL | 0x51, 0);
	rte(17, LEVEL | 0x51, 0);
	vioapic_set_irq(&io, 16, 1);
	vioapic_set_irq(&io, 17, 1);
	assert_int_equal(vioapic_take(&io, &m), 16);
	assert_int_equal(vioapic_take(&io, &m), 17);
	vioapic_set_irq(&io, 17, 0);
	vioapic_mmio_write(&io, VIOAPIC_EOI, 4, 0xffffff51);    /* bits 7:0: the vector */
	assert_int_equal(rte_lo(16), LEVEL | DELIVS | 0x51);    /* asserted: pending again */
	assert_int_equal(rte_lo(17), LEVEL | 0x51);             /* shared vector: both cleared */
	assert_int_equal(vioapic_take(&io, &m), 16);
	assert_int_equal(vioapic_take(&io, &m), -1);
}

/* Linux's way to unstick a level pin on IOAPICs without the EOI register. */
static void test_switching_to_edge_clears_remote_irr(void **state)
{
	(void)state;
	rte(12, LEVEL | 0x43, 0);
	vioapic_set_irq(&io, 12, 1);
	vioapic_take(&io, &m);
	rte(12, MASKED | 0x43, 0);
	assert_int_equal(rte_lo(12), MASKED | 0x43);
	rte(12, LEVEL | 0x43, 0);
	assert_int_equal(vioapic_take(&io, &m), 12);            /* still asserted */
}

/* A pin whose entry becomes level while asserted sends; an edge latch does not survive. */
static void test_trigger_mode_change_follows_the_line(void **state)
{
	(void)state;
	rte(13, 0x44, 0);
	vioapic_set_irq(&io, 13, 1);                            /* edge latched */
	rte(13, LEVEL | 0x44, 0);
	assert_int_equal(vioapic_take(&io, &m), 13);
	assert_true(m.level);
	assert_int_equal(vioapic_take(&io, &m), -1);
}

/* The message is built when it is sent: a redirection change before then is honoured. */
static void test_redirection_change_before_the_send_is_honoured(void **state)
{
	(void)state;
	rte(5, 0x30, 0);
	vioapic_pulse_irq(&io, 5);
	rte(5, 0x31, 0x07);
	assert_int_equal(vioapic_take(&io, &m), 5);
	assert_int_equal(m.vector, 0x31);
	assert_int_equal(m.dest, 0x07);
}

static void test_message_carries_the_entry_fields(void **state)
{
	(void)state;
	rte(7, (4u << 8) | (1u << 11) | (1u << 13) | 0x99, 0x5a);   /* NMI, logical, low active */
	vioapic_pulse_irq(&io, 7);
	assert_int_equal(vioapic_take(&io, &m), 7);
	assert_int_equal(m.vector, 0x99);
	assert_int_equal(m.delivery_mode, 4);
	assert_true(m.logical);
	assert_false(m.level);
	assert_int_equal(m.dest, 0x5a);
	/* Polarity is kept for the guest, not applied: a 1 is an assertion. */
	assert_int_equal(rte_lo(7), (4u << 8) | (1u << 11) | (1u << 13) | 0x99);
}

static void test_lowest_pin_is_sent_first(void **state)
{
	(void)state;
	rte(5, 0x35, 0);
	rte(3, 0x33, 0);
	rte(23, 0x37, 0);
	vioapic_pulse_irq(&io, 23);
	vioapic_pulse_irq(&io, 5);
	vioapic_pulse_irq(&io, 3);
	assert_int_equal(vioapic_take(&io, &m), 3);
	assert_int_equal(vioapic_take(&io, &m), 5);
	assert_int_equal(vioapic_take(&io, &m), 23);
	assert_int_equal(vioapic_take(&io, &m), -1);
}

static void test_out_of_range_pins_are_ignored(void **state)
{
	struct vioapic before;

	(void)state;
	rte(0, 0x30, 0);
	before = io;
	vioapic_set_irq(&io, -1, 1);
	vioapic_set_irq(&io, 24, 1);
	vioapic_pulse_irq(&io, 31);
	vioapic_set_irq(&io, 1000, 1);
	assert_memory_equal(&io, &before, sizeof(io));
}

/*
 * The whole path the hv builds: a level interrupt on pin 9 reaches the
 * LAPIC, is acknowledged, and its EOI broadcast lets the IOAPIC send it
 * again while the line stays asserted; with EOI-broadcast suppression
 * the guest's write to the EOI register does the same.
 */
static unsigned route(struct vlapic *a)
{
	unsigned sent = 0;

	while (vioapic_take(&io, &m) >= 0)
		if (vlapic_match_dest(a, m.dest, m.logical) &&
		    vlapic_accept_irq(a, m.delivery_mode, m.vector, m.level))
			sent++;
	return sent;
}

static void eois(struct vlapic *a)
{
	int v;

	while ((v = vlapic_take_eoi(a)) >= 0)
		vioapic_eoi(&io, (uint8_t)v);
}

static void test_level_interrupt_round_trip_through_the_lapic(void **state)
{
	struct vlapic_config cfg = { .bsp = true, .tsc_hz = 1000000000, .bus_hz = 1000000000 };
	struct vlapic a;

	(void)state;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	rte(9, LEVEL | 0x49, 0);
	vioapic_set_irq(&io, 9, 1);
	assert_int_equal(route(&a), 1);
	assert_int_equal(vlapic_ack(&a), 0x49);
	assert_int_equal(route(&a), 0);                         /* remote IRR holds it */
	vlapic_mmio_write(&a, VLAPIC_EOI, 4, 0, 0);
	eois(&a);
	assert_int_equal(route(&a), 1);                         /* still asserted */
	assert_int_equal(vlapic_ack(&a), 0x49);
	vioapic_set_irq(&io, 9, 0);
	vlapic_mmio_write(&a, VLAPIC_EOI, 4, 0, 0);
	eois(&a);
	assert_int_equal(route(&a), 0);
	assert_int_equal(rte_lo(9), LEVEL | 0x49);
	/* Directed EOI: the broadcast is suppressed, the EOI register clears remote IRR. */
	vlapic_mmio_write(&a, VLAPIC_SVR, 4, 0x11ff, 0);
	vioapic_set_irq(&io, 9, 1);
	assert_int_equal(route(&a), 1);
	vlapic_ack(&a);
	vlapic_mmio_write(&a, VLAPIC_EOI, 4, 0, 0);
	eois(&a);
	assert_int_equal(route(&a), 0);
	vioapic_mmio_write(&io, VIOAPIC_EOI, 4, 0x49);
	assert_int_equal(route(&a), 1);
	/* A destination that is not APIC 0 reaches nobody. */
	rte(3, 0x33, 1);
	vioapic_pulse_irq(&io, 3);
	assert_int_equal(route(&a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_masks_every_entry_and_identifies_itself, setup),
		cmocka_unit_test_setup(test_id_is_writable_version_and_arbitration_are_not, setup),
		cmocka_unit_test_setup(test_ioregsel_takes_the_low_byte_of_any_write, setup),
		cmocka_unit_test_setup(test_rte_writable_bits, setup),
		cmocka_unit_test_setup(test_reserved_indices_and_offsets_read_zero, setup),
		cmocka_unit_test_setup(test_narrow_iowin_writes_are_dropped, setup),
		cmocka_unit_test_setup(test_edge_pin_sends_one_message_per_rising_edge, setup),
		cmocka_unit_test_setup(test_masked_edge_is_ignored_not_held, setup),
		cmocka_unit_test_setup(test_level_pin_resends_after_eoi_while_asserted, setup),
		cmocka_unit_test_setup(test_level_withdrawn_before_it_is_sent_sends_nothing, setup),
		cmocka_unit_test_setup(test_masked_level_pin_sends_on_unmask_if_still_asserted, setup),
		cmocka_unit_test_setup(test_eoi_register_clears_remote_irr, setup),
		cmocka_unit_test_setup(test_switching_to_edge_clears_remote_irr, setup),
		cmocka_unit_test_setup(test_trigger_mode_change_follows_the_line, setup),
		cmocka_unit_test_setup(test_redirection_change_before_the_send_is_honoured, setup),
		cmocka_unit_test_setup(test_message_carries_the_entry_fields, setup),
		cmocka_unit_test_setup(test_lowest_pin_is_sent_first, setup),
		cmocka_unit_test_setup(test_out_of_range_pins_are_ignored, setup),
		cmocka_unit_test_setup(test_level_interrupt_round_trip_through_the_lapic, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
