/*
 * The physical local APICs (hv/plapic.h; SDM "Advanced Programmable
 * Interrupt Controller (APIC)").
 */
#include "plapic.h"
#include "cpu.h"
#include "pirq.h"
#include "pirq_hw.h"

#define X2APIC_MSR_BASE 0x800u
#define X2APIC_ICR      0x830u
#define PHYS_ADDR_MASK  0x000ffffffffff000ull

struct plapic_state plapic;

const char *plapic_mode_name(enum plapic_mode m)
{
	return m == PLAPIC_XAPIC ? "xAPIC" : m == PLAPIC_X2APIC ? "x2APIC" : "none";
}

static enum plapic_mode plapic_mode_of(uint64_t apic_base)
{
	if (!(apic_base & PLAPIC_BASE_EN))
		return PLAPIC_NONE;
	return apic_base & PLAPIC_BASE_EXTD ? PLAPIC_X2APIC : PLAPIC_XAPIC;
}

enum plapic_mode plapic_probe(uint64_t tsc_hz)
{
	struct cpuid_regs r;
	uint64_t base = 0;

	cpu_cpuid(1, 0, &r);
	if (r.edx & (1u << 9))                  /* CPUID.1:EDX.APIC: else IA32_APIC_BASE #GPs */
		base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	plapic = (struct plapic_state){ .tsc_hz = tsc_hz };
	plapic.mode = plapic_mode_of(base);
	plapic.base = base & PHYS_ADDR_MASK;
	plapic.tsc_deadline = (r.ecx >> 24) & 1;
	return plapic.mode;
}

/* "x2APIC Register Address Space": MSR 0x800 + offset / 16. */
uint32_t plapic_read(unsigned reg)
{
	if (plapic.mode == PLAPIC_X2APIC)
		return (uint32_t)cpu_rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	return mmio_read32(plapic.base + reg);
}

void plapic_write(unsigned reg, uint32_t v)
{
	if (plapic.mode == PLAPIC_X2APIC)
		cpu_wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
	else
		mmio_write32(plapic.base + reg, v);
}

uint32_t plapic_id(void)
{
	uint32_t id = plapic_read(PLAPIC_ID);

	return plapic.mode == PLAPIC_X2APIC ? id : id >> 24;
}

void plapic_eoi(void)
{
	plapic_write(PLAPIC_EOI, 0);
}

/* EOIs whatever the firmware left in service (at most 256 vectors). */
static void plapic_drain_isr(void)
{
	for (int n = 0; n < 256; n++) {
		uint32_t any = 0;

		for (unsigned i = 0; i < 8; i++)
			any |= plapic_read(PLAPIC_ISR + 0x10 * i);
		if (!any)
			return;
		plapic_eoi();
	}
}

int plapic_cpu_enable(bool lint0_extint)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);

	if (plapic.mode == PLAPIC_NONE || plapic_mode_of(base) != plapic.mode ||
	    (plapic.mode == PLAPIC_XAPIC && (base & PHYS_ADDR_MASK) != plapic.base))
		return -1;
	/* Software enable first: while disabled, the LVT mask bits cannot be cleared. */
	plapic_write(PLAPIC_SVR, PLAPIC_SVR_ENABLE | PIRQ_VECTOR_SPURIOUS);
	plapic_write(PLAPIC_TPR, 0);
	plapic_write(PLAPIC_LVT_LINT0, PLAPIC_DM_EXTINT | (lint0_extint ? 0 : PLAPIC_LVT_MASKED));
	plapic_write(PLAPIC_LVT_LINT1, PLAPIC_DM_NMI);
	plapic_write(PLAPIC_LVT_ERROR, PIRQ_VECTOR_ERROR);
	/* "Error Handling": a write latches the errors since, a second one clears them. */
	plapic_write(PLAPIC_ESR, 0);
	plapic_write(PLAPIC_ESR, 0);
	plapic_drain_isr();
	plapic_write(PLAPIC_TDCR, PLAPIC_TDCR_DIV1);
	plapic_write(PLAPIC_LVT_TIMER, PIRQ_VECTOR_TIMER |
		     (plapic.tsc_deadline ? PLAPIC_TIMER_DEADLINE : PLAPIC_TIMER_ONESHOT));
	/*
	 * "TSC-Deadline Mode": in xAPIC mode the MMIO write that selects the
	 * mode and a later WRMSR to IA32_TSC_DEADLINE must be ordered: MFENCE.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	plapic_timer_arm(UINT64_MAX, 0);
	return 0;
}

/*
 * a * b / c, rounded up if ceil, without 128-bit arithmetic (the EFI
 * image has no libgcc): while a * b would overflow, a and c lose a low
 * bit together (a relative error below 2^-30 for the values here).
 * UINT64_MAX if the result does not fit or c is 0.
 */
static uint64_t plapic_muldiv(uint64_t a, uint64_t b, uint64_t c, bool ceil)
{
	uint64_t p, q;

	while (b && a > UINT64_MAX / b) {
		if (c <= 1)
			return UINT64_MAX;
		a >>= 1;
		c >>= 1;
	}
	if (!c)
		return UINT64_MAX;
	p = a * b;
	q = p / c;
	return q + (ceil && p % c);
}

uint64_t plapic_timer_hz(uint64_t counted, uint64_t tsc_elapsed, uint64_t tsc_hz)
{
	return tsc_elapsed ? plapic_muldiv(counted, tsc_hz, tsc_elapsed, false) : 0;
}

uint32_t plapic_oneshot_count(uint64_t tsc_delta, uint64_t tsc_hz, uint64_t timer_hz)
{
	uint64_t q, r, count;

	if (!tsc_hz || !timer_hz)
		return UINT32_MAX;
	q = tsc_delta / tsc_hz;
	r = tsc_delta % tsc_hz;
	if (q >= UINT32_MAX / timer_hz + 1)
		return UINT32_MAX;
	count = q * timer_hz + plapic_muldiv(r, timer_hz, tsc_hz, true);
	return count > UINT32_MAX ? UINT32_MAX : count ? (uint32_t)count : 1;
}

void plapic_timer_arm(uint64_t wake, uint64_t now)
{
	if (plapic.tsc_deadline) {
		/* 0 disarms; a deadline already passed interrupts at once. */
		cpu_wrmsr(MSR_IA32_TSC_DEADLINE, wake == UINT64_MAX ? 0 : wake ? wake : 1);
		return;
	}
	plapic_write(PLAPIC_TMICT, wake == UINT64_MAX ? 0 :
		     plapic_oneshot_count(wake > now ? wake - now : 0, plapic.tsc_hz, plapic.timer_hz));
}

uint64_t plapic_calibrate(uint64_t window)
{
	uint64_t t0, t1;
	uint32_t left;

	plapic_write(PLAPIC_TDCR, PLAPIC_TDCR_DIV1);
	plapic_write(PLAPIC_LVT_TIMER, PLAPIC_LVT_MASKED | PLAPIC_TIMER_ONESHOT | PIRQ_VECTOR_TIMER);
	t0 = cpu_rdtsc();
	plapic_write(PLAPIC_TMICT, UINT32_MAX);
	do
		t1 = cpu_rdtsc();
	while (t1 - t0 < window);
	left = plapic_read(PLAPIC_TMCCT);
	plapic_write(PLAPIC_TMICT, 0);
	plapic_write(PLAPIC_LVT_TIMER, PIRQ_VECTOR_TIMER | PLAPIC_TIMER_ONESHOT);
	plapic.timer_hz = left ? plapic_timer_hz(UINT32_MAX - left, t1 - t0, plapic.tsc_hz) : 0;
	return plapic.timer_hz;
}

/* ---- interprocessor interrupts --------------------------------------- */

/* xAPIC: waits (at most 100 ms) for the ICR's delivery status to go idle. x2APIC has none. */
static int plapic_wait_idle(void)
{
	uint64_t t0 = cpu_rdtsc();

	if (plapic.mode != PLAPIC_XAPIC)
		return 0;
	while (plapic_read(PLAPIC_ICR_LO) & PLAPIC_ICR_DELIVS) {
		if (cpu_rdtsc() - t0 > plapic.tsc_hz / 10)
			return -1;
		cpu_pause();
	}
	return 0;
}

/* Sends ICR low word low to physical APIC ID dest ("Interrupt Command Register (ICR)"). */
static int plapic_send(uint32_t dest, uint32_t low)
{
	switch (plapic.mode) {
	case PLAPIC_X2APIC:
		if (dest == UINT32_MAX)         /* the broadcast ID: not one CPU */
			return -1;
		cpu_wrmsr(X2APIC_ICR, (uint64_t)dest << 32 | low);
		return 0;
	case PLAPIC_XAPIC:
		if (dest >= 0xff || plapic_wait_idle() < 0)
			return -1;
		plapic_write(PLAPIC_ICR_HI, dest << 24);
		plapic_write(PLAPIC_ICR_LO, low);       /* this write sends */
		return plapic_wait_idle();
	default:
		return -1;
	}
}

int plapic_send_fixed(uint32_t apic_id, uint8_t vector)
{
	if (vector < 32)
		return -1;
	return plapic_send(apic_id, PLAPIC_ICR_ASSERT | PLAPIC_DM_FIXED | vector);
}

int plapic_send_nmi(uint32_t apic_id)
{
	return plapic_send(apic_id, PLAPIC_ICR_ASSERT | PLAPIC_DM_NMI);
}

int plapic_send_init(uint32_t apic_id)
{
	if (plapic_send(apic_id, PLAPIC_ICR_LEVEL | PLAPIC_ICR_ASSERT | PLAPIC_DM_INIT) < 0)
		return -1;
	/* "INIT Level De-assert": only the xAPIC has it (x2APIC mode does not support it). */
	if (plapic.mode == PLAPIC_XAPIC)
		return plapic_send(apic_id, PLAPIC_ICR_LEVEL | PLAPIC_DM_INIT);
	return 0;
}

int plapic_send_startup(uint32_t apic_id, uint8_t page)
{
	return plapic_send(apic_id, PLAPIC_ICR_ASSERT | PLAPIC_DM_STARTUP | page);
}

static void plapic_delay(uint64_t ticks)
{
	uint64_t t0 = cpu_rdtsc();

	while (cpu_rdtsc() - t0 < ticks)
		cpu_pause();
}

int plapic_start_ap(uint32_t apic_id, uint8_t page)
{
	if (plapic_send_init(apic_id) < 0)
		return -1;
	plapic_delay(plapic.tsc_hz / 100);                  /* 10 ms */
	for (int i = 0; i < 2; i++) {
		if (plapic_send_startup(apic_id, page) < 0)
			return -1;
		plapic_delay(plapic.tsc_hz / 5000);         /* 200 us */
	}
	return 0;
}
