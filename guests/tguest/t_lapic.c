/*
 * test=lapic: the local APIC and IOAPIC as a kernel sees them at
 * 0xfee00000 and 0xfec00000 (32-bit protected mode, paging off: every
 * access is a plain MOV, which the hv decodes after an EPT violation).
 * Checks ID, version, SVR, self-IPIs taken in priority order, TPR
 * masking, EOI (ISR), the timer in one-shot, periodic and TSC-deadline
 * mode at the programmed rate, an NMI by self-IPI, the PIT through the
 * IOAPIC's pin 2, a reserved register, and the x2APIC MSRs. Runs natively
 * too (QEMU TCG): what only the hv's model pins down is checked under the
 * hv and printed as info natively. Natively (QEMU TCG on a shared host) the
 * timing checks ask only that the one-shot is not early and that the
 * periodic timer and the PIT interrupt repeatedly: TCG's timers lag under
 * load and catch up in bursts, which is no property of the APIC.
 *
 * expect=off: the guest's lapic = off; CPUID must show no APIC and
 * IA32_APIC_BASE must #GP (the bare 8259 platform).
 */
#include "tguest.h"

#define LAPIC_BASE   0xfee00000u
#define IOAPIC_BASE  0xfec00000u

#define R_ID      0x020
#define R_VER     0x030
#define R_TPR     0x080
#define R_PPR     0x0a0
#define R_EOI     0x0b0
#define R_SVR     0x0f0
#define R_ISR     0x100
#define R_IRR     0x200
#define R_ESR     0x280
#define R_ICR_LO  0x300
#define R_ICR_HI  0x310
#define R_LVT_TMR 0x320
#define R_LVT_L0  0x350
#define R_TMICT   0x380
#define R_TMCCT   0x390
#define R_TDCR    0x3e0

#define ICR_SELF  (1u << 18)            /* destination shorthand: self */
#define ICR_NMI   (4u << 8)

#define V_LOW     0x50
#define V_PIT     0x58
#define V_MID     0x60
#define V_TIMER   0x70
#define V_HIGH    0x80
#define V_SPUR    0xff

#define MSR_APIC_BASE    0x1b
#define MSR_TSC_DEADLINE 0x6e0

static struct checks ck = { "lapic", 0, 0, 0 };

static volatile uint32_t *const lapic = (volatile uint32_t *)LAPIC_BASE;
static volatile uint32_t *const ioapic = (volatile uint32_t *)IOAPIC_BASE;

static uint32_t rd(uint32_t off) { return lapic[off / 4]; }
static void wr(uint32_t off, uint32_t v) { lapic[off / 4] = v; }

static uint32_t io_rd(uint32_t reg) { ioapic[0] = reg; return ioapic[4]; }
static void io_wr(uint32_t reg, uint32_t v) { ioapic[0] = reg; ioapic[4] = v; }

static volatile uint32_t got[256];
static volatile uint8_t order[16];
static volatile unsigned norder;
static volatile uint32_t isr_seen_bad;
static volatile uint64_t last_tsc[256];
static volatile int x2mode;
static volatile uint32_t nmis;

static void lapic_isr(struct regs *r)
{
	unsigned v = r->vec & 0xff;

	got[v]++;
	last_tsc[v] = rdtsc();
	if (norder < sizeof(order))
		order[norder++] = (uint8_t)v;
	if (v == V_SPUR)
		return;                         /* a spurious interrupt takes no EOI */
	if (!x2mode && !(rd(R_ISR + (v / 32) * 0x10) & (1u << (v % 32))))
		isr_seen_bad++;
	if (x2mode)
		__asm__ volatile("wrmsr" :: "c"(0x80b), "a"(0), "d"(0));
	else
		wr(R_EOI, 0);
}

static void nmi_handler(struct regs *r)
{
	nmis++;
}

/* Waits up to us microseconds with interrupts on for cond; returns it. */
#define WAIT_US(us, cond) ({ uint64_t _end = rdtsc() + tsc_from_us(us); \
	sti(); while (!(cond) && rdtsc() < _end) cpu_relax(); cli(); (cond); })

static void self_ipi(uint32_t vec_or_mode)
{
	wr(R_ICR_HI, 0);
	wr(R_ICR_LO, ICR_SELF | vec_or_mode);
}

static int irr_has(unsigned v) { return (rd(R_IRR + (v / 32) * 0x10) >> (v % 32)) & 1; }

/* ---- the checks ---- */

static void check_identity(uint32_t ecx, uint32_t edx)
{
	uint64_t base = 0;
	uint32_t ver = rd(R_VER), id = rd(R_ID);

	check(&ck, "cpuid shows the apic", (edx >> 9) & 1, "CPUID.1:EDX 0x%x", edx);
	tg_printf("lapic: info cpuid x2apic %u tsc-deadline %u\n", (ecx >> 21) & 1, (ecx >> 24) & 1);
	if (tg_under_hv)
		check(&ck, "cpuid shows x2apic and tsc-deadline", ((ecx >> 21) & 1) && ((ecx >> 24) & 1),
		      "CPUID.1:ECX 0x%x", ecx);
	check(&ck, "apic_base", safe_rdmsr(MSR_APIC_BASE, &base) == 0 && base == 0xfee00900ull,
	      "0x%llx", base);
	tg_printf("lapic: info id 0x%x version 0x%x svr 0x%x lint0 0x%x\n", id, ver, rd(R_SVR), rd(R_LVT_L0));
	check(&ck, "id", (id >> 24) == 0, "0x%x", id);
	check(&ck, "version", (ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15 && ((ver >> 16) & 0xff) >= 4 &&
	      (!tg_under_hv || ver == 0x01050014u), "0x%x", ver);
	wr(R_SVR, 0x100 | V_SPUR);
	check(&ck, "svr", (rd(R_SVR) & 0x1ff) == (0x100u | V_SPUR), "0x%x", rd(R_SVR));
	/* 0x3c0 is reserved: a read gives 0 (the hv: never a stop). */
	check(&ck, "reserved register reads 0", rd(0x3c0) == 0 || !tg_under_hv, "0x%x", rd(0x3c0));
	wr(R_ESR, 0);
	tg_printf("lapic: info esr after reserved read 0x%x\n", rd(R_ESR));
}

static void check_ipis(void)
{
	unsigned n;
	uint32_t ppr;

	cli();
	wr(R_TPR, 0);
	norder = 0;
	self_ipi(V_LOW);
	self_ipi(V_HIGH);
	self_ipi(V_MID);
	check(&ck, "self-ipis pend with if=0", irr_has(V_LOW) && irr_has(V_MID) && irr_has(V_HIGH),
	      "IRR 0x%x/0x%x/0x%x", rd(R_IRR + 0x20), rd(R_IRR + 0x30), rd(R_IRR + 0x40));
	(void)WAIT_US(20000, norder >= 3);
	n = norder;
	check(&ck, "self-ipis by priority", n == 3 && order[0] == V_HIGH && order[1] == V_MID &&
	      order[2] == V_LOW, "%u taken: 0x%x 0x%x 0x%x", n, order[0], order[1], order[2]);
	check(&ck, "isr set in handler, clear after eoi", !isr_seen_bad && !(rd(R_ISR + 0x20) | rd(R_ISR + 0x30) |
	      rd(R_ISR + 0x40)), "%u handlers saw no ISR bit", isr_seen_bad);

	/* TPR 0x70 holds off class 6; lowering it lets the vector in. */
	norder = 0;
	got[V_MID] = 0;
	wr(R_TPR, 0x70);
	self_ipi(V_MID);
	(void)WAIT_US(5000, got[V_MID] != 0);
	ppr = rd(R_PPR);
	check(&ck, "tpr masks", got[V_MID] == 0 && irr_has(V_MID) && (ppr & 0xf0) == 0x70,
	      "taken %u, IRR %u, PPR 0x%x", got[V_MID], irr_has(V_MID), ppr);
	wr(R_TPR, 0);
	(void)WAIT_US(20000, got[V_MID] != 0);
	check(&ck, "tpr lowered delivers", got[V_MID] == 1 && !irr_has(V_MID), "taken %u", got[V_MID]);
}

/* The timer's rate in Hz, from its current count over ~10 ms of TSC (divide by 1). */
static uint64_t timer_rate(void)
{
	uint64_t t0, t1;
	uint32_t c0, c1;

	wr(R_TDCR, 0xb);                                 /* divide by 1 */
	wr(R_LVT_TMR, 0x10000 | V_TIMER);                /* masked, one-shot */
	wr(R_TMICT, 0xffffffffu);
	t0 = rdtsc();
	c0 = rd(R_TMCCT);
	delay_us(10000);
	c1 = rd(R_TMCCT);
	t1 = rdtsc();
	wr(R_TMICT, 0);
	return udiv64((uint64_t)(c0 - c1) * tg_tsc_hz, t1 - t0, 0);
}

/* Returns ok if got is within pct percent of want. */
static int near(uint64_t got_v, uint64_t want, unsigned pct)
{
	uint64_t d = got_v > want ? got_v - want : want - got_v;

	return d * 100 <= want * pct;
}

static void check_timer(uint32_t ecx)
{
	uint64_t rate = timer_rate(), t0, dt, want;
	uint32_t c15a, c15b, c15c, c15d, ticks;
	char b1[32];

	cpuid(0, &c15a, &c15b, &c15c, &c15d);
	tg_printf("lapic: info timer %llu Hz (divide 1)\n", rate);
	if (tg_under_hv && c15a >= 0x15) {
		cpuid(0x15, &c15a, &c15b, &c15c, &c15d);
		check(&ck, "timer rate is cpuid 0x15's crystal", c15c && near(rate, c15c, 2),
		      "%llu Hz, crystal %u Hz", rate, c15c);
	} else {
		check_skip(&ck, "timer rate is cpuid 0x15's crystal", tg_under_hv ? "no leaf 0x15" : "native");
	}
	if (!rate) {
		check(&ck, "timer counts", 0, "current count did not move");
		return;
	}
	/* One-shot, 2 ms. */
	got[V_TIMER] = 0;
	wr(R_LVT_TMR, V_TIMER);
	t0 = rdtsc();
	wr(R_TMICT, (uint32_t)udiv64(rate * 2, 1000, 0));
	(void)WAIT_US(200000, got[V_TIMER] != 0);
	dt = last_tsc[V_TIMER] - t0;
	want = tsc_from_us(2000);
	check(&ck, "one-shot at the programmed time", got[V_TIMER] == 1 && dt >= want - udiv64(want, 50, 0) &&
	      (!tg_under_hv || dt <= want + (want >> 1)), "%u interrupts, after %s ms", got[V_TIMER],
	      fmt_fixed(b1, dt * 1000, tg_tsc_hz, 3));
	(void)WAIT_US(5000, 0);
	check(&ck, "one-shot fires once", got[V_TIMER] == 1 && rd(R_TMCCT) == 0, "%u interrupts, count %u",
	      got[V_TIMER], rd(R_TMCCT));

	/* Periodic, 1 ms, over 50 ms. */
	got[V_TIMER] = 0;
	wr(R_LVT_TMR, (1u << 17) | V_TIMER);
	wr(R_TMICT, (uint32_t)udiv64(rate, 1000, 0));
	(void)WAIT_US(50000, 0);
	wr(R_LVT_TMR, 0x10000 | V_TIMER);
	wr(R_TMICT, 0);
	ticks = got[V_TIMER];
	tg_printf("lapic: info periodic 1 ms: %u interrupts in 50 ms\n", ticks);
	check(&ck, "periodic at the programmed rate", tg_under_hv ? ticks >= 40 && ticks <= 51 : ticks >= 2,
	      "%u in 50 ms", ticks);

	/* TSC-deadline, 2 ms ahead. */
	if (!((ecx >> 24) & 1)) {
		check_skip(&ck, "tsc-deadline at the deadline", "CPUID shows no TSC-deadline");
		return;
	}
	got[V_TIMER] = 0;
	wr(R_LVT_TMR, (2u << 17) | V_TIMER);
	t0 = rdtsc() + tsc_from_us(2000);
	safe_wrmsr(MSR_TSC_DEADLINE, t0);
	(void)WAIT_US(200000, got[V_TIMER] != 0);
	dt = last_tsc[V_TIMER] - t0;
	check(&ck, "tsc-deadline at the deadline", got[V_TIMER] == 1 && last_tsc[V_TIMER] >= t0 &&
	      dt <= tsc_from_us(1000), "%u interrupts, %s ms late", got[V_TIMER],
	      fmt_fixed(b1, (last_tsc[V_TIMER] - t0) * 1000, tg_tsc_hz, 3));
	wr(R_LVT_TMR, 0x10000 | V_TIMER);
}

static void check_nmi(void)
{
	nmis = 0;
	idt_set_handler(2, nmi_handler);
	cli();
	self_ipi(ICR_NMI);
	(void)WAIT_US(10000, nmis != 0);
	check(&ck, "nmi by self-ipi", nmis == 1, "%u NMIs", nmis);
}

static void check_ioapic(void)
{
	uint32_t ver = io_rd(1), ticks;

	tg_printf("lapic: info ioapic version 0x%x\n", ver);
	check(&ck, "ioapic version", (ver & 0xff) >= 0x11 && ((ver >> 16) & 0xff) >= 23 &&
	      (!tg_under_hv || ver == 0x170020u), "0x%x", ver);
	pic_set_mask(0xffff);                            /* the 8259 out of the way */
	io_wr(0x10 + 2 * 2 + 1, 0);                      /* pin 2: destination APIC 0 */
	io_wr(0x10 + 2 * 2, V_PIT);                      /* fixed, edge, unmasked */
	got[V_PIT] = 0;
	pit_ch0_start(1000, 2);
	(void)WAIT_US(50000, 0);
	io_wr(0x10 + 2 * 2, 0x10000 | V_PIT);
	pit_ch0_stop();
	ticks = got[V_PIT];
	tg_printf("lapic: info pit through ioapic pin 2: %u interrupts in 50 ms\n", ticks);
	check(&ck, "pit through ioapic pin 2", tg_under_hv ? ticks >= 35 && ticks <= 52 : ticks >= 2,
	      "%u in 50 ms at 1000 Hz", ticks);
}

static void check_x2apic(uint32_t ecx)
{
	uint64_t base = 0, v = 0;

	if (!((ecx >> 21) & 1)) {
		check_skip(&ck, "x2apic msrs", "CPUID shows no x2APIC");
		return;
	}
	check(&ck, "x2apic msrs #gp in xapic mode", safe_rdmsr(0x802, &v) < 0, "read 0x%llx", v);
	safe_rdmsr(MSR_APIC_BASE, &base);
	check(&ck, "x2apic enable", safe_wrmsr(MSR_APIC_BASE, base | (1u << 10)) == 0, "base 0x%llx", base);
	x2mode = 1;
	check(&ck, "x2apic id and version", safe_rdmsr(0x802, &v) == 0 && v == 0 &&
	      safe_rdmsr(0x803, &base) == 0 && (base & 0xff) >= 0x10, "id 0x%llx version 0x%llx", v, base);
	check(&ck, "x2apic reserved msr #gp", safe_rdmsr(0x804, &v) < 0 && safe_wrmsr(0x80b, 1) < 0,
	      "0x804 read or a non-zero EOI write accepted");
	got[V_LOW] = 0;
	cli();
	safe_wrmsr(0x83f, V_LOW);                         /* SELF IPI */
	(void)WAIT_US(10000, got[V_LOW] != 0);
	check(&ck, "x2apic self ipi", got[V_LOW] == 1, "%u taken", got[V_LOW]);
	check(&ck, "x2apic to xapic #gp", safe_wrmsr(MSR_APIC_BASE, 0xfee00900ull) < 0, "accepted");
	/* Leave it as firmware would: disabled, then xAPIC mode again (every register reset). */
	safe_wrmsr(MSR_APIC_BASE, 0xfee00100ull);
	safe_wrmsr(MSR_APIC_BASE, 0xfee00900ull);
	x2mode = 0;
}

/*
 * part=tick hz=N seconds=S: the LAPIC timer in periodic mode at N Hz for
 * S seconds, halting between ticks (a kernel's clock); prints the rate
 * measured on the TSC. A guest beside others shows its timer keeps time.
 */
static void lapic_tick(void)
{
	uint32_t hz = arg_u32("hz", 100), seconds = arg_u32("seconds", 2), total, ticks;
	uint64_t rate, t0, t1, end;
	char b1[32], b2[32];

	if (hz < 10 || hz > 10000 || seconds < 1 || seconds > 600)
		tg_fail_exit(2, "lapic: FAIL hz=%u seconds=%u out of range\n", hz, seconds);
	total = hz * seconds;
	rate = timer_rate();
	tg_printf("lapic: tick hz %u seconds %u (timer %llu Hz)\n", hz, seconds, rate);
	got[V_TIMER] = 0;
	wr(R_LVT_TMR, (1u << 17) | V_TIMER);
	wr(R_TMICT, (uint32_t)udiv64(rate, hz, 0));
	t0 = rdtsc();
	end = t0 + tsc_from_us(2000000ull * seconds + 1000000);
	while (got[V_TIMER] < total && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	t1 = last_tsc[V_TIMER];
	ticks = got[V_TIMER];
	wr(R_LVT_TMR, 0x10000 | V_TIMER);
	wr(R_TMICT, 0);
	tg_printf("lapic: tick %u in %s s (TSC), rate %s Hz\n", ticks, fmt_fixed(b1, t1 - t0, tg_tsc_hz, 3),
		  fmt_fixed(b2, (uint64_t)ticks * tg_tsc_hz, t1 - t0, 1));
	check(&ck, "tick rate", ticks == total && near(udiv64((uint64_t)ticks * tg_tsc_hz, t1 - t0, 0), hz, 2),
	      "%u of %u ticks", ticks, total);
	cli();
	checks_finish(&ck);
}

void test_lapic(void)
{
	uint32_t a, b, c, d;
	uint64_t v = 0;

	cpuid(1, &a, &b, &c, &d);
	if (tg_streq(arg_str("part", "all"), "tick")) {
		idt_load_256(lapic_isr);
		wr(R_SVR, 0x100 | V_SPUR);
		lapic_tick();
	}
	if (tg_streq(arg_str("expect", "on"), "off")) {
		check(&ck, "cpuid shows no apic", !((d >> 9) & 1) && !((c >> 21) & 1) && !((c >> 24) & 1),
		      "ecx 0x%x edx 0x%x", c, d);
		check(&ck, "apic_base #gp", safe_rdmsr(MSR_APIC_BASE, &v) < 0, "read 0x%llx", v);
		checks_finish(&ck);
	}
	if (!((d >> 9) & 1))
		tg_fail_exit(1, "lapic: FAIL CPUID shows no APIC (edx 0x%x)\n", d);
	idt_load_256(lapic_isr);
	check_identity(c, d);
	check_ipis();
	check_timer(c);
	check_nmi();
	check_ioapic();
	check_x2apic(c);
	cli();
	checks_finish(&ck);
}
