/*
 * Unit tests for hv/vlapic.c: the virtual local APIC. Section names are
 * those of the Intel SDM chapter "Advanced Programmable Interrupt
 * Controller (APIC)".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vlapic.h"

#define T0   1000000007ull              /* guest TSC at the start of each test */
#define BASE (VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN | VLAPIC_BASE_BSP)

static struct vlapic a;
static struct vlapic_config cfg;
static uint64_t now;

/* A 3 GHz TSC and a 1 GHz timer clock: one bus clock is exactly three TSC ticks. */
static void init_default(void)
{
	cfg = (struct vlapic_config){
		.id = 0, .bsp = true, .x2apic = true, .tsc_deadline = true,
		.tsc_hz = 3000000000ull, .bus_hz = 1000000000ull,
	};
	now = T0;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
}

static int setup(void **state)
{
	(void)state;
	init_default();
	return 0;
}

static uint32_t rd(uint32_t off) { return vlapic_mmio_read(&a, off, 4, now); }
static void wr(uint32_t off, uint32_t v) { vlapic_mmio_write(&a, off, 4, v, now); }

static uint64_t msr(uint32_t m)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vlapic_rdmsr(&a, m, &v, now), 0);
	return v;
}

static int wrmsr(uint32_t m, uint64_t v) { return vlapic_wrmsr(&a, m, v, now); }

static bool bit_in(uint32_t reg, unsigned v) { return rd(reg + (v >> 5) * 0x10) >> (v & 31) & 1; }
static bool irr(unsigned v) { return bit_in(VLAPIC_IRR, v); }
static bool isr(unsigned v) { return bit_in(VLAPIC_ISR, v); }
static bool tmr(unsigned v) { return bit_in(VLAPIC_TMR, v); }

/* The ESR after the write that latches it ("Error Handling"). */
static uint32_t esr(void)
{
	wr(VLAPIC_ESR, 0);
	return rd(VLAPIC_ESR);
}

static void fixed(uint8_t v) { assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, v, false)); }

static void to_x2apic(void)
{
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE | VLAPIC_BASE_EXTD), 0);
}

/* TSC ticks to bus clock e at the test's rates, rounded up, by 128-bit arithmetic. */
static uint64_t ref_tsc(uint64_t e)
{
	return (uint64_t)(((unsigned __int128)e * cfg.tsc_hz + cfg.bus_hz - 1) / cfg.bus_hz);
}

/* Bus clocks in d TSC ticks, by 128-bit arithmetic. */
static uint64_t ref_clocks(uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * cfg.bus_hz / cfg.tsc_hz);
}

/* ---- Power-up, reset and firmware handover ---- */

static void test_init_is_xapic_at_fee00000_in_virtual_wire_mode(void **state)
{
	unsigned i;

	(void)state;
	assert_int_equal(msr(VLAPIC_MSR_APIC_BASE), 0xfee00900ull);
	assert_true(vlapic_xapic_mode(&a));
	assert_int_equal(rd(VLAPIC_ID), 0);
	assert_int_equal(rd(VLAPIC_VERSION), 0x01050014);
	assert_int_equal(rd(VLAPIC_SVR), 0x1ff);                /* software-enabled */
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0x700);           /* ExtINT, unmasked */
	assert_int_equal(rd(VLAPIC_LVT_LINT1), 0x400);           /* NMI, unmasked */
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x10000);
	assert_int_equal(rd(VLAPIC_LVT_THERM), 0x10000);
	assert_int_equal(rd(VLAPIC_LVT_PMC), 0x10000);
	assert_int_equal(rd(VLAPIC_LVT_ERROR), 0x10000);
	assert_int_equal(rd(VLAPIC_DFR), 0xffffffff);
	for (i = 0; i < 8; i++) {
		assert_int_equal(rd(VLAPIC_ISR + i * 0x10), 0);
		assert_int_equal(rd(VLAPIC_TMR + i * 0x10), 0);
		assert_int_equal(rd(VLAPIC_IRR + i * 0x10), 0);
	}
	assert_int_equal(rd(VLAPIC_TPR) | rd(VLAPIC_APR) | rd(VLAPIC_PPR) | rd(VLAPIC_LDR), 0);
	assert_int_equal(rd(VLAPIC_ICR_LO) | rd(VLAPIC_ICR_HI) | rd(VLAPIC_ESR), 0);
	assert_int_equal(rd(VLAPIC_TMICT) | rd(VLAPIC_TMCCT) | rd(VLAPIC_TDCR), 0);
	assert_int_equal(esr(), 0);
	assert_true(vlapic_extint_open(&a));
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
}

/* "Local APIC State After Power-Up or Reset". */
static void test_reset_gives_power_up_state_and_keeps_id(void **state)
{
	(void)state;
	cfg.id = 7;
	cfg.bsp = false;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_TPR, 0x40);
	wr(VLAPIC_LDR, 0x01000000);
	wr(VLAPIC_DFR, 0);
	wr(VLAPIC_LVT_TIMER, 0x20030);
	wr(VLAPIC_TDCR, 3);
	wr(VLAPIC_TMICT, 1000);
	wr(VLAPIC_ICR_HI, 0x05000000);
	fixed(0x50);
	vlapic_ack(&a);
	fixed(0x60);
	vlapic_reset(&a);
	assert_int_equal(msr(VLAPIC_MSR_APIC_BASE), 0xfee00800ull);      /* no BSP bit */
	assert_int_equal(rd(VLAPIC_ID), 7u << 24);
	assert_int_equal(rd(VLAPIC_SVR), 0xff);                 /* software-disabled */
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0x10000);
	assert_int_equal(rd(VLAPIC_LVT_LINT1), 0x10000);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x10000);
	assert_int_equal(rd(VLAPIC_DFR), 0xffffffff);
	assert_int_equal(rd(VLAPIC_TPR) | rd(VLAPIC_LDR) | rd(VLAPIC_ICR_HI), 0);
	assert_int_equal(rd(VLAPIC_TMICT) | rd(VLAPIC_TMCCT) | rd(VLAPIC_TDCR), 0);
	assert_false(irr(0x60) || isr(0x50));
	assert_int_equal(vlapic_pending_vector(&a), -1);
	assert_false(vlapic_extint_open(&a));                   /* LINT0 masked */
}

static void test_init_refuses_rates_it_cannot_convert_exactly(void **state)
{
	struct vlapic_config c = cfg;

	(void)state;
	c.tsc_hz = 0;
	assert_int_equal(vlapic_init(&a, &c), -1);
	c.tsc_hz = 3000000000ull;
	c.bus_hz = 0;
	assert_int_equal(vlapic_init(&a, &c), -1);
	c.tsc_hz = (1ull << 40) + 1;            /* coprime: the product needs 81 bits */
	c.bus_hz = (1ull << 40) - 1;
	assert_int_equal(vlapic_init(&a, &c), -1);
	c.tsc_hz = 4294967291ull;               /* two primes below 2^32 */
	c.bus_hz = 4294967279ull;
	assert_int_equal(vlapic_init(&a, &c), 0);
	c.tsc_hz = 2893437000ull;
	c.bus_hz = 1000000000ull;
	assert_int_equal(vlapic_init(&a, &c), 0);
}

/* "Local APIC ID": bits 31:24, read-only since Nehalem. */
static void test_id_reads_in_bits_31_24_and_ignores_writes(void **state)
{
	(void)state;
	cfg.id = 0x12;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	assert_int_equal(rd(VLAPIC_ID), 0x12000000);
	wr(VLAPIC_ID, 0x34000000);
	assert_int_equal(rd(VLAPIC_ID), 0x12000000);
	assert_int_equal(esr(), 0);
}

/* ---- Register masks ("Local APIC Register Address Map") ---- */

static void test_writable_bits_of_each_register(void **state)
{
	static const struct { uint32_t off, want; } regs[] = {
		{ VLAPIC_TPR, 0xff }, { VLAPIC_LDR, 0xff000000 }, { VLAPIC_SVR, 0x13ff },
		{ VLAPIC_ICR_HI, 0xff000000 }, { VLAPIC_TDCR, 0xb },
		{ VLAPIC_LVT_TIMER, 0x700ff }, { VLAPIC_LVT_THERM, 0x107ff },
		{ VLAPIC_LVT_PMC, 0x107ff }, { VLAPIC_LVT_LINT0, 0x1a7ff },
		{ VLAPIC_LVT_LINT1, 0x1a7ff }, { VLAPIC_LVT_ERROR, 0x100ff },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		wr(regs[i].off, 0xffffffff);
		assert_int_equal(rd(regs[i].off), regs[i].want);
		wr(regs[i].off, 0);
		assert_int_equal(rd(regs[i].off), 0);
		if (regs[i].off == VLAPIC_SVR)
			wr(VLAPIC_SVR, 0x1ff);          /* software-disabled would mask the LVTs */
	}
	/* DFR bits 27:0 read as ones. */
	wr(VLAPIC_DFR, 0);
	assert_int_equal(rd(VLAPIC_DFR), 0x0fffffff);
	wr(VLAPIC_DFR, 0xffffffff);
	assert_int_equal(rd(VLAPIC_DFR), 0xffffffff);
	assert_int_equal(esr(), 0);
}

/* ICR: delivery status (bit 12) reads idle; an IPI to all but self has no target. */
static void test_icr_reads_back_with_delivery_status_idle(void **state)
{
	(void)state;
	wr(VLAPIC_ICR_LO, 0xffffffff);          /* reserved mode 7, all-excluding-self */
	assert_int_equal(rd(VLAPIC_ICR_LO), 0x000ccfff);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	assert_false(vlapic_nmi_pending(&a));
}

static void test_timer_mode_bit_18_needs_tsc_deadline(void **state)
{
	uint64_t v;

	(void)state;
	cfg.tsc_deadline = false;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x300ff);
	assert_int_equal(vlapic_rdmsr(&a, VLAPIC_MSR_TSC_DEADLINE, &v, now), -1);
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, 5), -1);
}

static void test_read_only_registers_ignore_writes_without_error(void **state)
{
	static const uint32_t ro[] = {
		VLAPIC_VERSION, VLAPIC_APR, VLAPIC_PPR, VLAPIC_RRD, VLAPIC_TMCCT,
		VLAPIC_ISR, VLAPIC_ISR + 0x70, VLAPIC_TMR + 0x30, VLAPIC_IRR, VLAPIC_IRR + 0x70,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = rd(ro[i]);

		wr(ro[i], 0xa5a5a5a5);
		assert_int_equal(rd(ro[i]), before);
	}
	assert_int_equal(vlapic_pending_vector(&a), -1);
	assert_int_equal(esr(), 0);
	/* EOI is write-only: it reads 0. */
	assert_int_equal(rd(VLAPIC_EOI), 0);
	assert_int_equal(esr(), 0);
}

/* ESR "Illegal Register Address": reserved 16-byte slots of the page. */
static void test_reserved_registers_read_zero_and_log_illegal_register_address(void **state)
{
	static const uint32_t rsvd[] = {
		0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2a0, 0x2e0,
		0x2f0 /* no CMCI */, 0x3a0, 0x3d0, 0x3f0 /* SELF IPI: x2APIC only */, 0x400, 0xff0,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		assert_int_equal(rd(rsvd[i]), 0);
		assert_int_equal(esr(), VLAPIC_ESR_ILLEGAL_REG);
		assert_int_equal(esr(), 0);                      /* back-to-back writes clear */
		wr(rsvd[i], 0xffffffff);
		assert_int_equal(esr(), VLAPIC_ESR_ILLEGAL_REG);
	}
}

/* Bytes 4-15 of a register are no register: they read 0, no error, no effect. */
static void test_bytes_4_to_15_of_a_register_read_zero(void **state)
{
	(void)state;
	wr(VLAPIC_TPR, 0x30);
	assert_int_equal(rd(VLAPIC_VERSION + 4), 0);
	assert_int_equal(rd(VLAPIC_TPR + 8), 0);
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_TPR + 0xc, 1, now), 0);
	vlapic_mmio_write(&a, VLAPIC_TPR + 4, 4, 0xff, now);
	assert_int_equal(rd(VLAPIC_TPR), 0x30);
	assert_int_equal(esr(), 0);
}

static void test_narrow_reads_give_the_bytes_narrow_writes_are_dropped(void **state)
{
	(void)state;
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_VERSION, 1, now), 0x14);
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_VERSION + 2, 1, now), 0x05);
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_VERSION + 2, 2, now), 0x0105);
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_SVR + 1, 1, now), 0x01);
	vlapic_mmio_write(&a, VLAPIC_TPR, 1, 0x40, now);
	vlapic_mmio_write(&a, VLAPIC_TPR, 2, 0x40, now);
	vlapic_mmio_write(&a, VLAPIC_TPR + 1, 4, 0x40, now);
	assert_int_equal(rd(VLAPIC_TPR), 0);
	/* Offsets wrap in the page: the access path hands in page offsets. */
	assert_int_equal(vlapic_mmio_read(&a, 0x1000 + VLAPIC_VERSION, 4, now), 0x01050014);
}

/* ---- Acceptance, priority, EOI ("Interrupt Acceptance for Fixed Interrupts") ---- */

static void test_accept_sets_irr_and_tmr_by_trigger_mode(void **state)
{
	(void)state;
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x45, true));
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_LOWEST, 0x46, false));
	assert_true(irr(0x45) && tmr(0x45));
	assert_true(irr(0x46) && !tmr(0x46));
	assert_int_equal(rd(VLAPIC_IRR + 0x20), (1u << 5) | (1u << 6));
	/* The same vector again: one IRR bit, TMR follows the latest trigger. */
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x45, false));
	assert_false(tmr(0x45));
	/* SMI, INIT, SIPI and ExtINT messages are not taken. */
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_SMI, 0x50, false));
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_INIT, 0x50, false));
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_SIPI, 0x50, false));
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_EXTINT, 0x50, false));
	assert_false(irr(0x50));
}

static void test_vector_below_16_is_refused_with_receive_illegal_vector(void **state)
{
	(void)state;
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 15, false));
	assert_int_equal(rd(VLAPIC_IRR), 0);
	assert_int_equal(esr(), VLAPIC_ESR_RECV_ILLEGAL);
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 16, false));
	assert_true(irr(16));
}

/* "Interrupt, Task, and Processor Priority": ISR nesting by class. */
static void test_highest_vector_first_and_in_service_blocks_its_class(void **state)
{
	(void)state;
	fixed(0x31);
	fixed(0x91);
	fixed(0x55);
	assert_int_equal(vlapic_pending_vector(&a), 0x91);
	assert_int_equal(vlapic_ack(&a), 0x91);
	assert_true(isr(0x91) && !irr(0x91));
	assert_int_equal(rd(VLAPIC_PPR), 0x90);
	assert_int_equal(vlapic_pending_vector(&a), -1);       /* 0x55 below class 9 */
	fixed(0x9f);
	assert_int_equal(vlapic_pending_vector(&a), -1);       /* same class waits */
	fixed(0xa0);
	assert_int_equal(vlapic_ack(&a), 0xa0);                 /* higher class nests */
	assert_int_equal(rd(VLAPIC_PPR), 0xa0);
	wr(VLAPIC_EOI, 0);                                      /* clears 0xa0, the highest */
	assert_false(isr(0xa0));
	assert_true(isr(0x91));
	assert_int_equal(vlapic_pending_vector(&a), -1);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&a), 0x9f);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&a), 0x55);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&a), 0x31);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(rd(VLAPIC_ISR + 0x10) | rd(VLAPIC_ISR + 0x20) | rd(VLAPIC_ISR + 0x40), 0);
	wr(VLAPIC_EOI, 0);                                      /* nothing in service: harmless */
	assert_int_equal(rd(VLAPIC_PPR), 0);
}

/* "Task Priority Register (TPR)": a class at or below TPR's is held off. */
static void test_tpr_masks_classes_at_or_below_it(void **state)
{
	(void)state;
	wr(VLAPIC_TPR, 0x50);
	fixed(0x5f);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	wr(VLAPIC_TPR, 0x4f);
	assert_int_equal(vlapic_pending_vector(&a), 0x5f);
	wr(VLAPIC_TPR, 0x5f);
	fixed(0x61);
	assert_int_equal(vlapic_pending_vector(&a), 0x61);
	assert_int_equal(vlapic_ack(&a), 0x61);
	wr(VLAPIC_TPR, 0xff);
	fixed(0xfe);
	assert_int_equal(vlapic_pending_vector(&a), -1);        /* TPR 0xff masks all */
}

/* "Processor Priority Register (PPR)". */
static void test_ppr_is_tpr_or_the_in_service_class(void **state)
{
	(void)state;
	wr(VLAPIC_TPR, 0x23);
	assert_int_equal(rd(VLAPIC_PPR), 0x23);
	fixed(0x45);
	vlapic_ack(&a);
	assert_int_equal(rd(VLAPIC_PPR), 0x40);                 /* ISRV class, low bits 0 */
	wr(VLAPIC_TPR, 0x4a);
	assert_int_equal(rd(VLAPIC_PPR), 0x4a);                 /* equal class: TPR */
	wr(VLAPIC_TPR, 0x53);
	assert_int_equal(rd(VLAPIC_PPR), 0x53);
	assert_int_equal(vlapic_ppr(&a), 0x53);
}

/* "Spurious Interrupt": nothing deliverable at INTA time. */
static void test_ack_with_nothing_deliverable_gives_spurious_vector(void **state)
{
	(void)state;
	wr(VLAPIC_SVR, 0x1ef);
	fixed(0x40);
	wr(VLAPIC_TPR, 0x40);
	assert_int_equal(vlapic_ack(&a), 0xef);
	assert_true(irr(0x40));
	assert_int_equal(rd(VLAPIC_ISR + 0x60) | rd(VLAPIC_ISR + 0x70) | rd(VLAPIC_ISR + 0x20), 0);
}

/* "End-of-Interrupt (EOI)": level vectors are broadcast, edge ones are not. */
static void test_eoi_broadcasts_level_triggered_vectors_only(void **state)
{
	(void)state;
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x70, true));
	vlapic_ack(&a);
	fixed(0x80);
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	assert_false(isr(0x80));
	assert_int_equal(vlapic_take_eoi(&a), -1);
	wr(VLAPIC_EOI, 0);
	assert_false(isr(0x70));
	assert_int_equal(vlapic_take_eoi(&a), 0x70);
	assert_int_equal(vlapic_take_eoi(&a), -1);
}

/* "EOI-Broadcast Suppression": SVR bit 12 keeps level EOIs local. */
static void test_svr_bit_12_suppresses_the_eoi_broadcast(void **state)
{
	(void)state;
	wr(VLAPIC_SVR, 0x11ff);
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x70, true));
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	assert_false(isr(0x70));
	assert_int_equal(vlapic_take_eoi(&a), -1);
}

static void test_several_level_eois_wait_for_the_hv_lowest_first(void **state)
{
	(void)state;
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x30, true));
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0xc1, true));
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_take_eoi(&a), 0x30);
	assert_int_equal(vlapic_take_eoi(&a), 0xc1);
	assert_int_equal(vlapic_take_eoi(&a), -1);
}

static void test_cr8_is_tpr_bits_7_4(void **state)
{
	(void)state;
	vlapic_write_cr8(&a, 9);
	assert_int_equal(rd(VLAPIC_TPR), 0x90);
	wr(VLAPIC_TPR, 0xab);
	assert_int_equal(vlapic_read_cr8(&a), 0xa);
	fixed(0xa5);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	vlapic_write_cr8(&a, 0);
	assert_int_equal(vlapic_pending_vector(&a), 0xa5);
}

/* ---- ESR and the error interrupt ("Error Handling") ---- */

static void test_esr_shows_errors_only_after_a_write(void **state)
{
	(void)state;
	rd(0x010);                                       /* illegal register address */
	assert_int_equal(rd(VLAPIC_ESR), 0);             /* not latched yet */
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 3, false);
	wr(VLAPIC_ESR, 0x12345678);                      /* any value latches */
	assert_int_equal(rd(VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG | VLAPIC_ESR_RECV_ILLEGAL);
	assert_int_equal(rd(VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG | VLAPIC_ESR_RECV_ILLEGAL);
	wr(VLAPIC_ESR, 0);
	assert_int_equal(rd(VLAPIC_ESR), 0);
}

static void test_error_interrupt_through_unmasked_lvt_error(void **state)
{
	(void)state;
	wr(VLAPIC_LVT_ERROR, 0xe3);
	rd(0x040);
	assert_true(irr(0xe3));
	assert_false(tmr(0xe3));
	assert_int_equal(vlapic_ack(&a), 0xe3);
	wr(VLAPIC_EOI, 0);
	/* Masked: logged, not signalled. */
	wr(VLAPIC_LVT_ERROR, 0x100e3);
	rd(0x050);
	assert_false(irr(0xe3));
	assert_int_equal(esr(), VLAPIC_ESR_ILLEGAL_REG);
	/* An illegal vector in LVT error: logged as such, no interrupt. */
	wr(VLAPIC_LVT_ERROR, 0x0e);
	rd(0x060);
	assert_int_equal(rd(VLAPIC_IRR), 0);
	assert_int_equal(esr(), VLAPIC_ESR_ILLEGAL_REG | VLAPIC_ESR_RECV_ILLEGAL);
}

/* ---- Software disable ("Local APIC State After It Has Been Software Disabled") ---- */

static void test_software_disable_masks_lvts_keeps_irr_and_isr(void **state)
{
	unsigned i;

	(void)state;
	wr(VLAPIC_LVT_TIMER, 0x40);
	wr(VLAPIC_LVT_ERROR, 0x41);
	fixed(0x50);
	vlapic_ack(&a);
	fixed(0x80);
	wr(VLAPIC_SVR, 0xff);
	for (i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_true(rd(VLAPIC_LVT_TIMER + i * 0x10) & VLAPIC_LVT_MASKED);
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0x10700);
	assert_true(isr(0x50));
	assert_int_equal(vlapic_pending_vector(&a), 0x80);      /* held, handled by the CPU */
	/* Unmasking is ignored; fixed interrupts are dropped; NMIs still come. */
	wr(VLAPIC_LVT_TIMER, 0x40);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x10040);
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x90, false));
	assert_false(irr(0x90));
	assert_true(vlapic_accept_irq(&a, VLAPIC_DM_NMI, 0, false));
	assert_true(vlapic_nmi_pending(&a));
	assert_false(vlapic_extint_open(&a));
	/* Re-enabled: the LVTs stay masked until written. */
	wr(VLAPIC_SVR, 0x1ff);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x10040);
	wr(VLAPIC_LVT_TIMER, 0x40);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x40);
}

/* ---- LINT0/LINT1 ("Local Vector Table") ---- */

static void test_extint_passes_through_lint0_or_a_disabled_apic(void **state)
{
	(void)state;
	assert_true(vlapic_extint_open(&a));
	wr(VLAPIC_LVT_LINT0, 0x10700);                          /* masked */
	assert_false(vlapic_extint_open(&a));
	wr(VLAPIC_LVT_LINT0, 0x00020);                          /* fixed */
	assert_false(vlapic_extint_open(&a));
	wr(VLAPIC_LVT_LINT0, 0x08700);                          /* ExtINT, level bit as BIOSes write it */
	assert_true(vlapic_extint_open(&a));
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE & ~VLAPIC_BASE_EN), 0);
	assert_true(vlapic_extint_open(&a));                    /* INTR straight to the CPU */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE), 0);
	assert_false(vlapic_extint_open(&a));                   /* reset: LINT0 masked */
}

static void test_lint1_nmi_on_each_rising_edge(void **state)
{
	(void)state;
	vlapic_set_lint(&a, 1, 1);
	assert_true(vlapic_take_nmi(&a));
	assert_false(vlapic_take_nmi(&a));
	vlapic_set_lint(&a, 1, 1);                              /* still high: no edge */
	assert_false(vlapic_nmi_pending(&a));
	vlapic_set_lint(&a, 1, 0);
	assert_false(vlapic_nmi_pending(&a));
	vlapic_set_lint(&a, 1, 1);
	assert_true(vlapic_nmi_pending(&a));
	vlapic_take_nmi(&a);
	vlapic_set_lint(&a, 1, 0);
	wr(VLAPIC_LVT_LINT1, 0x10400);                          /* masked */
	vlapic_set_lint(&a, 1, 1);
	assert_false(vlapic_nmi_pending(&a));
	vlapic_set_lint(&a, 5, 1);                              /* no such pin */
	vlapic_set_lint(&a, -1, 1);
	assert_false(vlapic_nmi_pending(&a));
}

/* "Enabling or Disabling the Local APIC": LINT1 becomes the NMI pin. */
static void test_lint1_is_the_nmi_pin_of_a_disabled_apic(void **state)
{
	(void)state;
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE & ~VLAPIC_BASE_EN), 0);
	vlapic_set_lint(&a, 1, 1);
	assert_true(vlapic_take_nmi(&a));
	vlapic_set_lint(&a, 0, 1);                              /* INTR: the 8259's business */
	assert_false(vlapic_nmi_pending(&a));
	assert_int_equal(vlapic_pending_vector(&a), -1);
}

static void test_lint0_fixed_edge_takes_rising_edges(void **state)
{
	(void)state;
	wr(VLAPIC_LVT_LINT0, 0x42);
	vlapic_set_lint(&a, 0, 1);
	assert_true(irr(0x42) && !tmr(0x42));
	assert_int_equal(vlapic_ack(&a), 0x42);
	wr(VLAPIC_EOI, 0);
	vlapic_set_lint(&a, 0, 1);
	assert_false(irr(0x42));
	assert_int_equal(vlapic_take_eoi(&a), -1);
}

/* "Remote IRR Flag": a level LINT0 interrupt is taken again only after its EOI. */
static void test_lint0_fixed_level_uses_remote_irr(void **state)
{
	(void)state;
	wr(VLAPIC_LVT_LINT0, 0x8043);
	vlapic_set_lint(&a, 0, 1);
	assert_true(irr(0x43) && tmr(0x43));
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0xc043);         /* remote IRR set */
	assert_int_equal(vlapic_ack(&a), 0x43);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	wr(VLAPIC_EOI, 0);                                      /* still asserted: again */
	assert_true(irr(0x43));
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0xc043);
	assert_int_equal(vlapic_ack(&a), 0x43);
	vlapic_set_lint(&a, 0, 0);
	wr(VLAPIC_EOI, 0);
	assert_false(irr(0x43));
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0x8043);
	assert_int_equal(vlapic_take_eoi(&a), 0x43);
	/* Masked while asserted: nothing; unmasked: taken. */
	wr(VLAPIC_LVT_LINT0, 0x18043);
	vlapic_set_lint(&a, 0, 1);
	assert_false(irr(0x43));
	wr(VLAPIC_LVT_LINT0, 0x8043);
	assert_true(irr(0x43));
	/* Set to edge: remote IRR goes. */
	wr(VLAPIC_LVT_LINT0, 0x0043);
	assert_int_equal(rd(VLAPIC_LVT_LINT0), 0x0043);
}

/* ---- IPIs ("Interrupt Command Register (ICR)", "Determining IPI Destination") ---- */

#define ICR_SELF      (1u << 18)
#define ICR_ALL       (2u << 18)
#define ICR_OTHERS    (3u << 18)
#define ICR_LOGICAL   (1u << 11)
#define ICR_NMI       (4u << 8)

static void test_self_ipi_by_shorthand_is_fixed_and_edge(void **state)
{
	(void)state;
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x8000 | 0x55);            /* a level bit is ignored */
	assert_true(irr(0x55));
	assert_false(tmr(0x55));
	assert_int_equal(rd(VLAPIC_ICR_LO) & (1u << 12), 0);    /* delivered: idle */
	wr(VLAPIC_ICR_LO, ICR_ALL | 0x56);
	assert_true(irr(0x56));
	wr(VLAPIC_ICR_LO, ICR_OTHERS | 0x57);                   /* nobody else: dropped */
	assert_false(irr(0x57));
	assert_int_equal(esr(), 0);
}

static void test_ipi_to_own_physical_id_or_broadcast_reaches_self(void **state)
{
	(void)state;
	cfg.id = 3;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_ICR_HI, 0x03000000);
	wr(VLAPIC_ICR_LO, 0x61);
	assert_true(irr(0x61));
	wr(VLAPIC_ICR_HI, 0xff000000);
	wr(VLAPIC_ICR_LO, 0x62);
	assert_true(irr(0x62));
	wr(VLAPIC_ICR_HI, 0x04000000);                          /* no such CPU: dropped */
	wr(VLAPIC_ICR_LO, 0x63);
	assert_false(irr(0x63));
	assert_int_equal(esr(), 0);
}

static void test_ipi_to_logical_flat_and_cluster_ids(void **state)
{
	(void)state;
	wr(VLAPIC_LDR, 0x01000000);                             /* flat: bit 0 */
	wr(VLAPIC_ICR_HI, 0x01000000);
	wr(VLAPIC_ICR_LO, ICR_LOGICAL | 0x70);
	assert_true(irr(0x70));
	wr(VLAPIC_ICR_HI, 0x06000000);
	wr(VLAPIC_ICR_LO, ICR_LOGICAL | 0x71);
	assert_false(irr(0x71));
	wr(VLAPIC_DFR, 0x0fffffff);                             /* cluster model */
	wr(VLAPIC_LDR, 0x21000000);                             /* cluster 2, bit 0 */
	wr(VLAPIC_ICR_HI, 0x23000000);
	wr(VLAPIC_ICR_LO, ICR_LOGICAL | 0x72);
	assert_true(irr(0x72));
	wr(VLAPIC_ICR_HI, 0x31000000);                          /* other cluster */
	wr(VLAPIC_ICR_LO, ICR_LOGICAL | 0x73);
	wr(VLAPIC_ICR_HI, 0x22000000);                          /* other member */
	wr(VLAPIC_ICR_LO, ICR_LOGICAL | 0x74);
	assert_false(irr(0x73) || irr(0x74));
}

/* Self-IPIs sent in any order are serviced by priority. */
static void test_self_ipis_are_serviced_by_priority_not_order(void **state)
{
	(void)state;
	wr(VLAPIC_TPR, 0xf0);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x35);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x95);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x65);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	wr(VLAPIC_TPR, 0);
	assert_int_equal(vlapic_ack(&a), 0x95);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&a), 0x65);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&a), 0x35);
}

static void test_nmi_ipi_to_self(void **state)
{
	(void)state;
	wr(VLAPIC_ICR_LO, ICR_SELF | ICR_NMI);
	assert_true(vlapic_take_nmi(&a));
	wr(VLAPIC_ICR_HI, 0);
	wr(VLAPIC_ICR_LO, ICR_NMI);                             /* own ID 0 */
	assert_true(vlapic_take_nmi(&a));
	wr(VLAPIC_ICR_LO, ICR_OTHERS | ICR_NMI);
	assert_false(vlapic_nmi_pending(&a));
	assert_int_equal(rd(VLAPIC_IRR + 0x00), 0);
}

static void test_ipi_errors_illegal_vector_and_lowest_priority(void **state)
{
	(void)state;
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x0f);
	assert_int_equal(rd(VLAPIC_IRR), 0);
	assert_int_equal(esr(), VLAPIC_ESR_SEND_ILLEGAL);
	wr(VLAPIC_ICR_LO, ICR_OTHERS | 0x01);                   /* sending is enough */
	assert_int_equal(esr(), VLAPIC_ESR_SEND_ILLEGAL);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x100 | 0x40);             /* lowest priority */
	assert_false(irr(0x40));
	assert_int_equal(esr(), VLAPIC_ESR_REDIR_IPI);
}

static void test_init_sipi_smi_ipis_are_dropped(void **state)
{
	static const uint32_t modes[] = { 0x200, 0x500, 0x600, 0x300, 0x700 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		wr(VLAPIC_ICR_LO, ICR_SELF | modes[i] | 0x40);
	assert_false(irr(0x40));
	assert_false(vlapic_nmi_pending(&a));
	assert_int_equal(esr(), 0);
	assert_true(vlapic_xapic_mode(&a));
	assert_int_equal(rd(VLAPIC_SVR), 0x1ff);
}

/* Every IPI that reaches no one is recorded for the hv's log (hv/lapic_contain.c); those taken are not. */
static void test_dropped_ipis_are_recorded_for_the_hv(void **state)
{
	struct vlapic_ipi ipi;

	(void)state;
	wr(VLAPIC_ICR_HI, 0);
	wr(VLAPIC_ICR_LO, 0x61);                                /* own ID: taken */
	wr(VLAPIC_ICR_LO, ICR_ALL | ICR_NMI);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x0f);                     /* illegal vector: an error, not a message */
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 0);
	wr(VLAPIC_ICR_HI, 0x01000000);
	wr(VLAPIC_ICR_LO, 0x500);                               /* INIT to APIC ID 1 */
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 1);
	assert_int_equal(ipi.icr, 0x0100000000000500ull);
	assert_false(ipi.x2apic || ipi.self);
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 0);   /* taken once */
	wr(VLAPIC_ICR_LO, ICR_OTHERS | 0x62);                   /* fixed, all excluding self */
	wr(VLAPIC_ICR_HI, 0);
	wr(VLAPIC_ICR_LO, 0x600 | 0x10);                        /* SIPI to itself: no target */
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 2);   /* counted; the last one kept */
	assert_int_equal(ipi.icr, 0x610);
	assert_true(ipi.self);
	wr(VLAPIC_ICR_LO, ICR_SELF | 0x100 | 0x40);             /* lowest priority: never sent */
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 1);
	assert_true(irr(0x61) && vlapic_take_nmi(&a));        /* what was taken is there */
	assert_false(irr(0x40) || irr(0x62));
	/* x2APIC: the destination is bits 63:32 of MSR 0x830. */
	to_x2apic();
	assert_int_equal(wrmsr(0x830, 2ull << 32 | ICR_NMI), 0);
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 1);
	assert_int_equal(ipi.icr, 2ull << 32 | ICR_NMI);
	assert_true(ipi.x2apic);
	assert_false(ipi.self);
	assert_int_equal(wrmsr(0x830, 0xffffffffull << 32 | 0x63), 0);   /* broadcast: itself only */
	assert_int_equal(vlapic_take_dropped_ipi(&a, &ipi), 0);
	assert_true(a.irr[0x63 / 32] & (1u << (0x63 % 32)));
}

/* The destination check the IOAPIC's messages go through. */
static void test_match_dest_for_ioapic_messages(void **state)
{
	(void)state;
	assert_true(vlapic_match_dest(&a, 0, false));
	assert_false(vlapic_match_dest(&a, 1, false));
	assert_true(vlapic_match_dest(&a, 0xff, false));
	assert_false(vlapic_match_dest(&a, 1, true));           /* LDR 0: no logical ID */
	assert_true(vlapic_match_dest(&a, 0xff, true));
	wr(VLAPIC_LDR, 0x02000000);
	assert_true(vlapic_match_dest(&a, 0x03, true));
	assert_false(vlapic_match_dest(&a, 0x01, true));
	to_x2apic();                                            /* LDR 0x00000001 */
	assert_true(vlapic_match_dest(&a, 0x01, true));
	assert_false(vlapic_match_dest(&a, 0x02, true));
	assert_true(vlapic_match_dest(&a, 0, false));
	assert_true(vlapic_match_dest(&a, 0xff, false));
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, 0xfee00100), 0);
	assert_false(vlapic_match_dest(&a, 0, false));          /* disabled */
	assert_false(vlapic_match_dest(&a, 0xff, false));
}

/* ---- The timer ("APIC Timer") ---- */

static void test_oneshot_fires_once_at_the_exact_tsc(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);                                   /* divide by 1 */
	wr(VLAPIC_LVT_TIMER, 0x40);
	wr(VLAPIC_TMICT, 1000);
	assert_int_equal(vlapic_next_event(&a), T0 + 3000);
	now = T0 + 1200;
	assert_int_equal(rd(VLAPIC_TMCCT), 600);
	vlapic_update(&a, T0 + 2999);
	assert_false(a.irr[2] & 1);
	now = T0 + 2999;
	assert_int_equal(rd(VLAPIC_TMCCT), 1);
	vlapic_update(&a, T0 + 3000);
	now = T0 + 3000;
	assert_true(irr(0x40));
	assert_int_equal(rd(VLAPIC_TMCCT), 0);
	assert_int_equal(rd(VLAPIC_TMICT), 1000);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	now = T0 + 100 * 3000;
	vlapic_update(&a, now);
	assert_false(irr(0x40));
}

/* "Divide Configuration Register": 000b -> 2 ... 110b -> 128, 111b -> 1. */
static void test_every_divide_configuration(void **state)
{
	static const struct { uint32_t tdcr, div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		init_default();
		wr(VLAPIC_TDCR, d[i].tdcr);
		wr(VLAPIC_LVT_TIMER, 0x41);
		wr(VLAPIC_TMICT, 10);
		assert_int_equal(vlapic_next_event(&a), T0 + 3 * 10 * d[i].div);
		now = T0 + 3 * d[i].div * 4;                     /* four counts */
		assert_int_equal(rd(VLAPIC_TMCCT), 6);
		vlapic_update(&a, T0 + 3 * 10 * d[i].div - 1);
		assert_false(irr(0x41));
		vlapic_update(&a, T0 + 3 * 10 * d[i].div);
		assert_true(irr(0x41));
	}
}

static void test_periodic_reloads_and_counts_down_again(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0);                                     /* divide by 2 */
	wr(VLAPIC_LVT_TIMER, 0x20044);
	wr(VLAPIC_TMICT, 100000);                               /* 200000 clocks = 200 us */
	now = T0 + 3 * 2 * 99999;
	assert_int_equal(rd(VLAPIC_TMCCT), 1);
	now = T0 + 3 * 2 * 100000;
	assert_int_equal(rd(VLAPIC_TMCCT), 100000);             /* reloaded */
	assert_true(irr(0x44));
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_next_event(&a), T0 + 3 * 2 * 200000);
	now = T0 + 3 * 2 * 150000;
	assert_int_equal(rd(VLAPIC_TMCCT), 50000);
}

/* Next-event times at awkward rates, each exact: no drift from rounding. */
static void test_periodic_next_event_is_exact_at_awkward_rates(void **state)
{
	uint64_t k, next, period = 123456 * 4;

	(void)state;
	cfg.tsc_hz = 2893437000ull;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_TDCR, 1);
	wr(VLAPIC_LVT_TIMER, 0x20050);
	wr(VLAPIC_TMICT, 123456);
	for (k = 1; k <= 2000; k++) {
		next = vlapic_next_event(&a);
		assert_int_equal(next, T0 + ref_tsc(k * period));
		vlapic_update(&a, next - 1);
		assert_int_equal(vlapic_pending_vector(&a), -1);
		vlapic_update(&a, next);
		assert_int_equal(vlapic_ack(&a), 0x50);
		now = next;
		wr(VLAPIC_EOI, 0);
	}
}

/* An hour of 1 kHz at a TSC rate coprime with the bus rate: count and next event exact. */
static void test_periodic_keeps_time_over_an_hour(void **state)
{
	uint64_t b, period = 1000000;

	(void)state;
	cfg.tsc_hz = 3700000001ull;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20050);
	wr(VLAPIC_TMICT, (uint32_t)period);
	for (now = T0; now < T0 + 3600 * cfg.tsc_hz; now += cfg.tsc_hz / 137 + 12345) {
		vlapic_update(&a, now);
		b = ref_clocks(now - T0);
		assert_int_equal(vlapic_timer_count(&a, now), period - b % period);
		assert_int_equal(vlapic_next_event(&a), T0 + ref_tsc((b / period + 1) * period));
		assert_true(vlapic_next_event(&a) > now);
	}
}

/* Expiries missed between two updates coalesce in the one IRR bit. */
static void test_missed_periodic_expiries_coalesce(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20050);
	wr(VLAPIC_TMICT, 1000000);                              /* 1 ms */
	vlapic_update(&a, T0 + 3 * 5500000);
	assert_int_equal(vlapic_ack(&a), 0x50);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	assert_int_equal(vlapic_next_event(&a), T0 + 3 * 6000000);
}

/* Like the PIT's 10 kHz bound: reads keep the rate, interrupts come every 100 us. */
static void test_periodic_faster_than_10khz_interrupts_at_10khz(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20050);
	wr(VLAPIC_TMICT, 10);                                   /* 10 ns */
	assert_int_equal(vlapic_next_event(&a), T0 + 30);
	vlapic_update(&a, T0 + 30);
	assert_int_equal(vlapic_ack(&a), 0x50);
	assert_int_equal(vlapic_next_event(&a), T0 + 3 * (10 + 100000));
	now = T0 + 3 * 15;
	assert_int_equal(rd(VLAPIC_TMCCT), 5);
	now = T0 + 3 * 1234567;
	assert_int_equal(rd(VLAPIC_TMCCT), 10 - (1234567 - 10) % 10);
}

static void test_initial_count_write_restarts_and_zero_stops(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x40);
	wr(VLAPIC_TMICT, 1000);
	now = T0 + 1500;
	wr(VLAPIC_TMICT, 1000);                                 /* restart */
	assert_int_equal(vlapic_next_event(&a), T0 + 1500 + 3000);
	vlapic_update(&a, T0 + 3000);
	assert_false(irr(0x40));
	now = T0 + 3500;
	wr(VLAPIC_TMICT, 0);
	assert_int_equal(rd(VLAPIC_TMCCT), 0);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	vlapic_update(&a, T0 + 1000000);
	assert_false(irr(0x40));
}

/* "Mask": a masked timer counts on and sets nothing; no wake-ups are asked for. */
static void test_masked_timer_counts_but_never_fires(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x30040);                          /* periodic, masked */
	wr(VLAPIC_TMICT, 100000);                               /* 100 us */
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	now = T0 + 3 * 250000;
	assert_int_equal(rd(VLAPIC_TMCCT), 50000);
	assert_int_equal(rd(VLAPIC_IRR + 0x20), 0);
	wr(VLAPIC_LVT_TIMER, 0x20040);                          /* unmasked: next period fires */
	assert_int_equal(vlapic_next_event(&a), T0 + 3 * 300000);
	vlapic_update(&a, T0 + 3 * 300000);
	assert_true(irr(0x40));
	/* A one-shot that expires masked is gone. */
	init_default();
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x10040);
	wr(VLAPIC_TMICT, 1000);
	now = T0 + 3000;
	wr(VLAPIC_LVT_TIMER, 0x40);
	assert_false(irr(0x40));
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
}

static void test_oneshot_switched_to_periodic_keeps_counting(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x40);
	wr(VLAPIC_TMICT, 100000);
	now = T0 + 150000;
	wr(VLAPIC_LVT_TIMER, 0x20040);
	assert_int_equal(rd(VLAPIC_TMCCT), 50000);
	vlapic_update(&a, T0 + 300000);
	assert_int_equal(vlapic_ack(&a), 0x40);
	now = T0 + 300000;
	wr(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_next_event(&a), T0 + 600000);
	vlapic_update(&a, T0 + 600000);
	assert_true(irr(0x40));
}

static void test_periodic_switched_to_oneshot_stops_after_next_expiry(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20040);
	wr(VLAPIC_TMICT, 100000);
	vlapic_update(&a, T0 + 300000);
	assert_int_equal(vlapic_ack(&a), 0x40);
	now = T0 + 300000;
	wr(VLAPIC_EOI, 0);
	now = T0 + 450000;
	wr(VLAPIC_LVT_TIMER, 0x40);
	assert_int_equal(rd(VLAPIC_TMCCT), 50000);
	assert_int_equal(vlapic_next_event(&a), T0 + 600000);
	vlapic_update(&a, T0 + 600000);
	assert_int_equal(vlapic_ack(&a), 0x40);
	now = T0 + 600001;
	wr(VLAPIC_EOI, 0);
	assert_int_equal(rd(VLAPIC_TMCCT), 0);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	vlapic_update(&a, T0 + 10000000);
	assert_false(irr(0x40));
}

/* A divide change mid-count: the rest of the count runs at the new rate. */
static void test_divide_change_continues_from_the_current_count(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20040);
	wr(VLAPIC_TMICT, 100000);
	now = T0 + 3 * 40000;
	wr(VLAPIC_TDCR, 0);                                     /* divide by 2 */
	assert_int_equal(rd(VLAPIC_TMCCT), 60000);
	assert_int_equal(vlapic_next_event(&a), now + 3 * 60000 * 2);
	vlapic_update(&a, now + 3 * 60000 * 2);
	assert_int_equal(vlapic_ack(&a), 0x40);
	assert_int_equal(vlapic_next_event(&a), now + 3 * (60000 + 100000) * 2);
}

/* "TSC-Deadline Mode". */
static void test_tsc_deadline_fires_at_the_deadline_and_clears_the_msr(void **state)
{
	(void)state;
	wr(VLAPIC_LVT_TIMER, 0x40040);
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 5000), 0);
	assert_int_equal(msr(VLAPIC_MSR_TSC_DEADLINE), T0 + 5000);
	assert_int_equal(vlapic_next_event(&a), T0 + 5000);
	vlapic_update(&a, T0 + 4999);
	assert_false(irr(0x40));
	vlapic_update(&a, T0 + 5000);
	assert_true(irr(0x40));
	assert_int_equal(msr(VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	/* A deadline already passed fires at once; 0 disarms. */
	vlapic_ack(&a);
	wr(VLAPIC_EOI, 0);
	now = T0 + 9000;
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 100), 0);
	assert_true(irr(0x40));
	vlapic_ack(&a);
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 20000), 0);
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, 0), 0);
	vlapic_update(&a, T0 + 30000);
	assert_false(irr(0x40));
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
}

static void test_tsc_deadline_mode_ignores_initial_count(void **state)
{
	(void)state;
	wr(VLAPIC_LVT_TIMER, 0x40040);
	wr(VLAPIC_TMICT, 1000);
	assert_int_equal(rd(VLAPIC_TMICT), 0);
	assert_int_equal(rd(VLAPIC_TMCCT), 0);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	/* Masked: the deadline passes, the MSR clears, nothing fires. */
	wr(VLAPIC_LVT_TIMER, 0x50040);
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 10), 0);
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	now = T0 + 10;
	assert_int_equal(msr(VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_false(irr(0x40));
}

static void test_switching_into_or_out_of_deadline_mode_disarms(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20040);
	wr(VLAPIC_TMICT, 1000);
	wr(VLAPIC_LVT_TIMER, 0x40040);
	assert_int_equal(rd(VLAPIC_TMICT), 0);
	vlapic_update(&a, T0 + 100000);
	assert_false(irr(0x40));
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 200000), 0);
	wr(VLAPIC_LVT_TIMER, 0x00040);
	assert_int_equal(msr(VLAPIC_MSR_TSC_DEADLINE), 0);
	vlapic_update(&a, T0 + 300000);
	assert_false(irr(0x40));
	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
	assert_int_equal(wrmsr(VLAPIC_MSR_TSC_DEADLINE, T0 + 400000), 0);
	assert_int_equal(msr(VLAPIC_MSR_TSC_DEADLINE), 0);
	wr(VLAPIC_LVT_TIMER, 0x40040);
	vlapic_update(&a, T0 + 500000);
	assert_false(irr(0x40));
}

/* "Receive Illegal Vector": also for an interrupt from the local vector table. */
static void test_timer_with_illegal_vector_logs_receive_illegal_vector(void **state)
{
	(void)state;
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x05);
	wr(VLAPIC_TMICT, 1);
	now = T0 + 3;
	assert_int_equal(rd(VLAPIC_IRR), 0);
	assert_int_equal(esr(), VLAPIC_ESR_RECV_ILLEGAL);
}

/* ---- x2APIC ("x2APIC Register Address Space", "Reserved Bit Checking") ---- */

static void test_x2apic_msrs_fault_outside_x2apic_mode(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(vlapic_rdmsr(&a, 0x802, &v, now), -1);
	assert_int_equal(vlapic_wrmsr(&a, 0x808, 0, now), -1);
	assert_true(vlapic_handles_msr(0x800) && vlapic_handles_msr(0xbff));
	assert_true(vlapic_handles_msr(0x1b) && vlapic_handles_msr(0x6e0));
	assert_false(vlapic_handles_msr(0x7ff) || vlapic_handles_msr(0xc00));
	assert_int_equal(vlapic_rdmsr(&a, 0x10, &v, now), -1);
}

static void test_x2apic_registers_read_through_msrs(void **state)
{
	(void)state;
	cfg.id = 0x12345;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	wr(VLAPIC_TPR, 0x20);
	to_x2apic();
	assert_true(vlapic_x2apic_mode(&a));
	assert_int_equal(msr(0x802), 0x12345);                  /* 32-bit ID */
	assert_int_equal(msr(0x803), 0x01050014);
	assert_int_equal(msr(0x808), 0x20);                     /* registers kept */
	assert_int_equal(msr(0x80d), 0x12340020);               /* cluster 0x1234, bit 5 */
	assert_int_equal(msr(0x80f), 0x1ff);
	assert_int_equal(msr(0x835), 0x700);
	assert_int_equal(msr(0x80a), 0x20);
	fixed(0x91);
	assert_int_equal(msr(0x824), 1u << 17);                 /* 0x91 = 4 * 32 + 17 */
	vlapic_ack(&a);
	assert_int_equal(msr(0x814), 1u << 17);
	assert_int_equal(msr(0x80a), 0x90);
	assert_int_equal(wrmsr(0x80b, 0), 0);                  /* EOI */
	assert_int_equal(msr(0x814), 0);
	/* The xAPIC page does not decode in x2APIC mode. */
	assert_int_equal(rd(VLAPIC_VERSION), 0xffffffff);
	assert_int_equal(vlapic_mmio_read(&a, VLAPIC_VERSION, 1, now), 0xff);
	wr(VLAPIC_TPR, 0x70);
	assert_int_equal(msr(0x808), 0x20);
}

static void test_x2apic_reserved_msrs_fault(void **state)
{
	static const uint32_t rsvd[] = {
		0x800, 0x801, 0x804, 0x807, 0x809 /* APR */, 0x80c /* RRD */, 0x80e /* DFR */,
		0x829, 0x82e, 0x82f /* no CMCI */, 0x831 /* ICR high */, 0x83a, 0x83d,
		0x840, 0x8ff, 0x900, 0xbff,
	};
	size_t i;
	uint64_t v;

	(void)state;
	to_x2apic();
	for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		assert_int_equal(vlapic_rdmsr(&a, rsvd[i], &v, now), -1);
		assert_int_equal(wrmsr(rsvd[i], 0), -1);
	}
	assert_int_equal(wrmsr(0x828, 0), 0);
	assert_int_equal(msr(0x828), 0);                        /* #GP, not an APIC error */
}

static void test_x2apic_read_only_and_write_only_msrs_fault(void **state)
{
	static const uint32_t ro[] = { 0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818, 0x827, 0x839 };
	size_t i;
	uint64_t v;

	(void)state;
	to_x2apic();
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		assert_int_equal(wrmsr(ro[i], 0), -1);
	assert_int_equal(vlapic_rdmsr(&a, 0x80b, &v, now), -1);   /* EOI */
	assert_int_equal(vlapic_rdmsr(&a, 0x83f, &v, now), -1);   /* SELF IPI */
}

static void test_x2apic_reserved_bits_fault_and_change_nothing(void **state)
{
	static const struct { uint32_t msr; uint64_t val; } bad[] = {
		{ 0x808, 0x100 }, { 0x808, 1ull << 32 }, { 0x80f, 0x2000 }, { 0x80f, 0x400 },
		{ 0x80b, 1 }, { 0x828, 1 }, { 0x832, 1u << 19 }, { 0x832, 0x100 },
		{ 0x835, 1u << 17 }, { 0x837, 0x400 }, { 0x83e, 4 }, { 0x83e, 0x10 },
		{ 0x83f, 0x140 }, { 0x830, 1u << 13 }, { 0x830, 1u << 16 }, { 0x830, 1u << 20 },
		{ 0x838, 1ull << 32 },
	};
	size_t i;

	(void)state;
	to_x2apic();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wrmsr(bad[i].msr, bad[i].val), -1);
	assert_int_equal(msr(0x808), 0);
	assert_int_equal(msr(0x80f), 0x1ff);
	assert_int_equal(msr(0x832), 0x10000);
	assert_int_equal(msr(0x83e), 0);
	assert_int_equal(msr(0x830), 0);
	assert_int_equal(msr(0x838), 0);
	/* Read-only bits are no reserved bits: delivery status, remote IRR, ICR busy. */
	assert_int_equal(wrmsr(0x835, 0x5700), 0);
	assert_int_equal(msr(0x835), 0x700);
	assert_int_equal(wrmsr(0x830, ICR_OTHERS | (1u << 12) | 0x40), 0);
	assert_int_equal(msr(0x830), ICR_OTHERS | 0x40);
}

static void test_x2apic_icr_is_one_64bit_msr_and_self_ipi_msr_works(void **state)
{
	(void)state;
	cfg.id = 0x345;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	to_x2apic();
	assert_int_equal(wrmsr(0x830, 0x345ull << 32 | 0x61), 0);
	assert_int_equal(msr(0x830), 0x345ull << 32 | 0x61);
	assert_true(a.irr[3] & 2);
	assert_int_equal(wrmsr(0x830, 0x45ull << 32 | 0x62), 0);         /* low 8 bits only: not me */
	assert_false(a.irr[3] & 4);
	assert_int_equal(wrmsr(0x830, 0xffffffffull << 32 | 0x63), 0);   /* broadcast */
	assert_true(a.irr[3] & 8);
	/* Logical: cluster 0x34, bit 5. */
	assert_int_equal(wrmsr(0x830, 0x340020ull << 32 | ICR_LOGICAL | 0x64), 0);
	assert_true(a.irr[3] & 0x10);
	assert_int_equal(wrmsr(0x830, 0x350020ull << 32 | ICR_LOGICAL | 0x65), 0);
	assert_false(a.irr[3] & 0x20);
	assert_int_equal(wrmsr(0x83f, 0x66), 0);
	assert_true(a.irr[3] & 0x40);
	assert_int_equal(wrmsr(0x83f, 0x0e), 0);
	assert_int_equal(wrmsr(0x828, 0), 0);
	assert_int_equal(msr(0x828), VLAPIC_ESR_SEND_ILLEGAL);
}

static void test_x2apic_timer_and_tpr_through_msrs(void **state)
{
	(void)state;
	to_x2apic();
	assert_int_equal(wrmsr(0x83e, 0xb), 0);
	assert_int_equal(wrmsr(0x832, 0x20040), 0);
	assert_int_equal(wrmsr(0x838, 1000), 0);
	now = T0 + 1500;
	assert_int_equal(msr(0x839), 500);
	assert_int_equal(msr(0x838), 1000);
	vlapic_update(&a, T0 + 3000);
	assert_int_equal(msr(0x820 + 2), 1);                    /* IRR 0x40 */
	assert_int_equal(wrmsr(0x808, 0x40), 0);
	assert_int_equal(vlapic_read_cr8(&a), 4);
	assert_int_equal(vlapic_pending_vector(&a), -1);
}

/* ---- IA32_APIC_BASE ("x2APIC State Transitions") ---- */

static void test_apic_base_legal_and_illegal_transitions(void **state)
{
	const uint64_t dis = BASE & ~VLAPIC_BASE_EN, x2 = BASE | VLAPIC_BASE_EXTD;

	(void)state;
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, dis | VLAPIC_BASE_EXTD), -1);   /* invalid */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, x2), 0);                        /* xAPIC -> x2APIC */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE), -1);                     /* x2APIC -> xAPIC */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, dis | VLAPIC_BASE_EXTD), -1);
	assert_true(vlapic_x2apic_mode(&a));
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, x2), 0);                        /* no change */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, dis), 0);                       /* x2APIC -> off */
	assert_false(vlapic_hw_enabled(&a));
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, x2), -1);                       /* off -> x2APIC */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE), 0);                      /* off -> xAPIC */
	assert_true(vlapic_xapic_mode(&a));
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE & ~VLAPIC_BASE_BSP), 0);   /* BSP is R/W */
	assert_int_equal(msr(VLAPIC_MSR_APIC_BASE), 0xfee00800);
	/* Reserved bits 7:0 and 9, and a moved base, fault. */
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE | 1), -1);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE | 0x200), -1);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE + 0x1000), -1);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE | 1ull << 40), -1);
	assert_int_equal(msr(VLAPIC_MSR_APIC_BASE), 0xfee00800);
	/* Without x2APIC in CPUID, EXTD is a reserved bit. */
	cfg.x2apic = false;
	assert_int_equal(vlapic_init(&a, &cfg), 0);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, x2), -1);
	assert_true(vlapic_xapic_mode(&a));
}

/* Disabling resets every register but the ID; the page stops decoding. */
static void test_disable_resets_registers_and_drops_interrupts(void **state)
{
	(void)state;
	wr(VLAPIC_TPR, 0x30);
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_LVT_TIMER, 0x20040);
	wr(VLAPIC_TMICT, 1000);
	fixed(0x50);
	vlapic_ack(&a);
	fixed(0x60);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE & ~VLAPIC_BASE_EN), 0);
	assert_int_equal(rd(VLAPIC_VERSION), 0xffffffff);
	assert_int_equal(vlapic_pending_vector(&a), -1);
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x70, false));
	assert_false(vlapic_accept_irq(&a, VLAPIC_DM_NMI, 0, false));
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
	vlapic_update(&a, T0 + 100000);
	assert_int_equal(wrmsr(VLAPIC_MSR_APIC_BASE, BASE), 0);
	assert_int_equal(rd(VLAPIC_SVR), 0xff);
	assert_int_equal(rd(VLAPIC_TPR) | rd(VLAPIC_TMICT) | rd(VLAPIC_TDCR), 0);
	assert_int_equal(rd(VLAPIC_LVT_TIMER), 0x10000);
	assert_false(irr(0x60) || irr(0x40) || isr(0x50));
	assert_int_equal(vlapic_next_event(&a), UINT64_MAX);
}

/* The hv's copy of TPR from the virtual-APIC page: PPR and acceptance follow it. */
static void test_set_tpr_is_a_tpr_write(void **state)
{
	(void)state;
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x45, false);
	vlapic_set_tpr(&a, 0x4a);
	assert_int_equal(vlapic_tpr(&a), 0x4a);
	assert_int_equal(rd(VLAPIC_TPR), 0x4a);
	assert_int_equal(vlapic_ppr(&a), 0x4a);
	assert_int_equal(vlapic_pending_vector(&a), -1);       /* class 4 masked */
	assert_int_equal(vlapic_highest_irr(&a), 0x45);        /* but it is in IRR */
	vlapic_set_tpr(&a, 0x30);
	assert_int_equal(vlapic_pending_vector(&a), 0x45);
	assert_int_equal(vlapic_read_cr8(&a), 3);
}

static void test_highest_irr_ignores_ppr(void **state)
{
	(void)state;
	assert_int_equal(vlapic_highest_irr(&a), -1);
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x21, false);
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0xe0, false);
	assert_int_equal(vlapic_highest_irr(&a), 0xe0);
	assert_int_equal(vlapic_ack(&a), 0xe0);
	assert_int_equal(vlapic_highest_irr(&a), 0x21);
	assert_int_equal(vlapic_pending_vector(&a), -1);       /* 0x21 is below 0xe0 in service */
}

/* The page the CPU's APIC-register virtualization reads: each register as an MMIO read shows it. */
static void test_fill_page_shows_every_register_as_a_read_would(void **state)
{
	uint32_t page[1024];

	(void)state;
	memset(page, 0xa5, sizeof(page));
	wr(VLAPIC_TPR, 0x20);
	wr(VLAPIC_LDR, 0x03000000);
	wr(VLAPIC_LVT_TIMER, 0x20031);
	wr(VLAPIC_TDCR, 0xb);
	wr(VLAPIC_TMICT, 1000);
	wr(VLAPIC_ICR_HI, 0x01000000);
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x61, true);
	vlapic_accept_irq(&a, VLAPIC_DM_FIXED, 0x99, false);
	vlapic_ack(&a);
	vlapic_fill_page(&a, page);
	for (unsigned off = 0; off < 0x400; off += 0x10) {
		uint32_t want = rd(off);

		if (off == VLAPIC_TMCCT)
			want = 0;                       /* the CPU never reads it from the page */
		if (off == VLAPIC_ICR_HI)
			want = 0xa5a5a5a5u;             /* the guest's own: the CPU keeps its writes there */
		assert_int_equal(page[off / 4], want);
		assert_int_equal(page[off / 4 + 1] | page[off / 4 + 2] | page[off / 4 + 3], 0);
	}
	assert_int_equal(page[VLAPIC_VERSION / 4], VLAPIC_VERSION_VALUE);
	assert_int_equal(page[(VLAPIC_ISR + 0x40) / 4], 1u << (0x99 - 0x80));
	assert_int_equal(page[(VLAPIC_TMR + 0x30) / 4], 1u << (0x61 - 0x60));
	assert_int_equal(page[VLAPIC_EOI / 4], 0);
	assert_int_equal(page[0x400 / 4], 0xa5a5a5a5u);      /* beyond the registers: untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_is_xapic_at_fee00000_in_virtual_wire_mode, setup),
		cmocka_unit_test_setup(test_reset_gives_power_up_state_and_keeps_id, setup),
		cmocka_unit_test_setup(test_init_refuses_rates_it_cannot_convert_exactly, setup),
		cmocka_unit_test_setup(test_id_reads_in_bits_31_24_and_ignores_writes, setup),
		cmocka_unit_test_setup(test_writable_bits_of_each_register, setup),
		cmocka_unit_test_setup(test_icr_reads_back_with_delivery_status_idle, setup),
		cmocka_unit_test_setup(test_timer_mode_bit_18_needs_tsc_deadline, setup),
		cmocka_unit_test_setup(test_read_only_registers_ignore_writes_without_error, setup),
		cmocka_unit_test_setup(test_reserved_registers_read_zero_and_log_illegal_register_address, setup),
		cmocka_unit_test_setup(test_bytes_4_to_15_of_a_register_read_zero, setup),
		cmocka_unit_test_setup(test_narrow_reads_give_the_bytes_narrow_writes_are_dropped, setup),
		cmocka_unit_test_setup(test_accept_sets_irr_and_tmr_by_trigger_mode, setup),
		cmocka_unit_test_setup(test_vector_below_16_is_refused_with_receive_illegal_vector, setup),
		cmocka_unit_test_setup(test_highest_vector_first_and_in_service_blocks_its_class, setup),
		cmocka_unit_test_setup(test_tpr_masks_classes_at_or_below_it, setup),
		cmocka_unit_test_setup(test_ppr_is_tpr_or_the_in_service_class, setup),
		cmocka_unit_test_setup(test_ack_with_nothing_deliverable_gives_spurious_vector, setup),
		cmocka_unit_test_setup(test_eoi_broadcasts_level_triggered_vectors_only, setup),
		cmocka_unit_test_setup(test_svr_bit_12_suppresses_the_eoi_broadcast, setup),
		cmocka_unit_test_setup(test_several_level_eois_wait_for_the_hv_lowest_first, setup),
		cmocka_unit_test_setup(test_cr8_is_tpr_bits_7_4, setup),
		cmocka_unit_test_setup(test_esr_shows_errors_only_after_a_write, setup),
		cmocka_unit_test_setup(test_error_interrupt_through_unmasked_lvt_error, setup),
		cmocka_unit_test_setup(test_software_disable_masks_lvts_keeps_irr_and_isr, setup),
		cmocka_unit_test_setup(test_extint_passes_through_lint0_or_a_disabled_apic, setup),
		cmocka_unit_test_setup(test_lint1_nmi_on_each_rising_edge, setup),
		cmocka_unit_test_setup(test_lint1_is_the_nmi_pin_of_a_disabled_apic, setup),
		cmocka_unit_test_setup(test_lint0_fixed_edge_takes_rising_edges, setup),
		cmocka_unit_test_setup(test_lint0_fixed_level_uses_remote_irr, setup),
		cmocka_unit_test_setup(test_self_ipi_by_shorthand_is_fixed_and_edge, setup),
		cmocka_unit_test_setup(test_ipi_to_own_physical_id_or_broadcast_reaches_self, setup),
		cmocka_unit_test_setup(test_ipi_to_logical_flat_and_cluster_ids, setup),
		cmocka_unit_test_setup(test_self_ipis_are_serviced_by_priority_not_order, setup),
		cmocka_unit_test_setup(test_nmi_ipi_to_self, setup),
		cmocka_unit_test_setup(test_ipi_errors_illegal_vector_and_lowest_priority, setup),
		cmocka_unit_test_setup(test_init_sipi_smi_ipis_are_dropped, setup),
		cmocka_unit_test_setup(test_dropped_ipis_are_recorded_for_the_hv, setup),
		cmocka_unit_test_setup(test_match_dest_for_ioapic_messages, setup),
		cmocka_unit_test_setup(test_oneshot_fires_once_at_the_exact_tsc, setup),
		cmocka_unit_test_setup(test_every_divide_configuration, setup),
		cmocka_unit_test_setup(test_periodic_reloads_and_counts_down_again, setup),
		cmocka_unit_test_setup(test_periodic_next_event_is_exact_at_awkward_rates, setup),
		cmocka_unit_test_setup(test_periodic_keeps_time_over_an_hour, setup),
		cmocka_unit_test_setup(test_missed_periodic_expiries_coalesce, setup),
		cmocka_unit_test_setup(test_periodic_faster_than_10khz_interrupts_at_10khz, setup),
		cmocka_unit_test_setup(test_initial_count_write_restarts_and_zero_stops, setup),
		cmocka_unit_test_setup(test_masked_timer_counts_but_never_fires, setup),
		cmocka_unit_test_setup(test_oneshot_switched_to_periodic_keeps_counting, setup),
		cmocka_unit_test_setup(test_periodic_switched_to_oneshot_stops_after_next_expiry, setup),
		cmocka_unit_test_setup(test_divide_change_continues_from_the_current_count, setup),
		cmocka_unit_test_setup(test_tsc_deadline_fires_at_the_deadline_and_clears_the_msr, setup),
		cmocka_unit_test_setup(test_tsc_deadline_mode_ignores_initial_count, setup),
		cmocka_unit_test_setup(test_switching_into_or_out_of_deadline_mode_disarms, setup),
		cmocka_unit_test_setup(test_timer_with_illegal_vector_logs_receive_illegal_vector, setup),
		cmocka_unit_test_setup(test_x2apic_msrs_fault_outside_x2apic_mode, setup),
		cmocka_unit_test_setup(test_x2apic_registers_read_through_msrs, setup),
		cmocka_unit_test_setup(test_x2apic_reserved_msrs_fault, setup),
		cmocka_unit_test_setup(test_x2apic_read_only_and_write_only_msrs_fault, setup),
		cmocka_unit_test_setup(test_x2apic_reserved_bits_fault_and_change_nothing, setup),
		cmocka_unit_test_setup(test_x2apic_icr_is_one_64bit_msr_and_self_ipi_msr_works, setup),
		cmocka_unit_test_setup(test_x2apic_timer_and_tpr_through_msrs, setup),
		cmocka_unit_test_setup(test_apic_base_legal_and_illegal_transitions, setup),
		cmocka_unit_test_setup(test_disable_resets_registers_and_drops_interrupts, setup),
		cmocka_unit_test_setup(test_set_tpr_is_a_tpr_write, setup),
		cmocka_unit_test_setup(test_highest_irr_ignores_ppr, setup),
		cmocka_unit_test_setup(test_fill_page_shows_every_register_as_a_read_would, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
