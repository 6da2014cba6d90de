/*
 * test=ipiattack: a hostile guest tries to reach the other CPUs of the
 * machine (issue 11 item 6), and checks that it gets what a one-CPU
 * machine gives:
 *
 *   - topology: CPUID leaves 1, 4, 0xB and 0x1F show one logical
 *     processor, with the APIC ID its local APIC reports;
 *   - IPIs through the xAPIC page at 0xfee00000 and, where CPUID shows
 *     x2APIC, through the x2APIC ICR (MSR 0x830): fixed, NMI, INIT and
 *     SIPI to every other APIC ID 0-3, to logical destinations of other
 *     CPUs and with the all-excluding-self shorthand reach no one (no
 *     interrupt, no NMI, no CPU started at the SIPI page); those to
 *     itself (its ID, its logical ID, the broadcast, the self and
 *     all-including-self shorthands) arrive once each;
 *   - the IOAPIC at 0xfec00000: every redirection entry pointed at other
 *     APIC IDs in fixed, NMI, INIT and ExtINT mode reads back as written;
 *     with the PIT on pin 2 (8259 masked) nothing reaches it, and pin 2
 *     pointed at itself still interrupts it;
 *   - 0xCF8/0xCFC: `pci` address/data cycles (reads, and writes of what
 *     was read) over many bus/device/function/register values; the
 *     address latch always reads back; under the hv a guest without
 *     devices sees no function.
 *
 * Natively (QEMU, one CPU) INIT to itself would reset the machine: that
 * part runs under the hv only, where the guest's one vCPU takes no INIT.
 * Under the hv a guest with lapic = off has neither page: CPUID shows no
 * APIC, the APIC MSRs #GP, and each page stops the guest (an EPT
 * violation). With `restart = yes` it takes one page per boot, counting
 * its boots by the hv's count of its EPT violations (HC_EXIT_STATS).
 * docs/test-guests.md has the lines.
 */
#include "tguest.h"
#include "fmt.h"

#define LAPIC_BASE   0xfee00000u
#define IOAPIC_BASE  0xfec00000u

#define R_ID      0x020
#define R_TPR     0x080
#define R_EOI     0x0b0
#define R_LDR     0x0d0
#define R_DFR     0x0e0
#define R_SVR     0x0f0
#define R_ESR     0x280
#define R_ICR_LO  0x300
#define R_ICR_HI  0x310
#define R_LVT_L0  0x350

#define DM_FIXED  (0u << 8)
#define DM_NMI    (4u << 8)
#define DM_INIT   (5u << 8)
#define DM_SIPI   (6u << 8)
#define DM_EXTINT (7u << 8)
#define LOGICAL   (1u << 11)
#define ASSERT    (1u << 14)
#define SH_SELF   (1u << 18)
#define SH_ALL    (2u << 18)
#define SH_OTHERS (3u << 18)

#define V_IPI     0x61
#define V_IO      0x62
#define V_SPUR    0xff
#define SIPI_VEC  0x07                   /* a started CPU would run the page at 0x7000 */
#define SIPI_PAGE 0x7000u
#define SIPI_FLAG 0x7100u                /* the page's code increments this word */

#define MSR_APIC_BASE 0x1b
#define MSR_X2_ID     0x802
#define MSR_X2_EOI    0x80b
#define MSR_X2_LDR    0x80d
#define MSR_X2_ICR    0x830
#define APIC_EXTD     (1u << 10)

static struct checks ck = { "ipiattack", 0, 0, 0 };

static volatile uint32_t *const lapic = (volatile uint32_t *)LAPIC_BASE;
static volatile uint32_t *const ioapic = (volatile uint32_t *)IOAPIC_BASE;
static volatile uint32_t got[256];
static volatile uint32_t nmis;
static volatile int x2mode;
static uint32_t own_id;

static uint32_t rd(uint32_t off) { return lapic[off / 4]; }
static void wr(uint32_t off, uint32_t v) { lapic[off / 4] = v; }
static uint32_t io_rd(uint32_t reg) { ioapic[0] = reg; return ioapic[4]; }
static void io_wr(uint32_t reg, uint32_t v) { ioapic[0] = reg; ioapic[4] = v; }

static void isr(struct regs *r)
{
	unsigned v = r->vec & 0xff;

	got[v]++;
	if (v == V_SPUR)
		return;
	if (x2mode)
		__asm__ volatile("wrmsr" :: "c"(MSR_X2_EOI), "a"(0), "d"(0));
	else
		wr(R_EOI, 0);
}

static void nmi_handler(struct regs *r)
{
	nmis++;
}

/* Lets interrupts in for us microseconds. */
static void open_window(uint64_t us)
{
	uint64_t end = rdtsc() + tsc_from_us(us);

	sti();
	while (rdtsc() < end)
		cpu_relax();
	cli();
}

/* What a CPU started by a SIPI would run: lock inc word [cs:0x100]; cli; hlt; jmp $-1. */
static void sipi_page_init(void)
{
	static const uint8_t code[] = { 0xf0, 0x2e, 0xff, 0x06, 0x00, 0x01, 0xfa, 0xf4, 0xeb, 0xfd };
	volatile uint8_t *p = (volatile uint8_t *)SIPI_PAGE;

	for (unsigned i = 0; i < sizeof(code); i++)
		p[i] = code[i];
	*(volatile uint16_t *)SIPI_FLAG = 0;
}

static uint16_t sipi_flag(void) { return *(volatile uint16_t *)SIPI_FLAG; }

/* ---- topology (CPUID) ---- */

/* Leaves 0xB and 0x1F: every level has one logical processor and x2APIC ID id. Returns levels or -1. */
static int topo_levels(uint32_t leaf, uint32_t id, uint32_t *bad)
{
	struct cpuid_regs r;
	int n;

	for (n = 0; n < 8; n++) {
		cpu_cpuid(leaf, (uint32_t)n, &r);
		if (!((r.ecx >> 8) & 0xff))
			break;
		if ((r.ebx & 0xffff) != 1 || r.edx != id) {
			*bad = r.ebx;
			return -1;
		}
	}
	return n;
}

static void check_topology(uint32_t apic_id)
{
	struct cpuid_regs r0, r1, r;
	uint32_t logical, caches = 0, shared = 0, bad = 0;
	int levels;

	cpu_cpuid(0, 0, &r0);
	cpu_cpuid(1, 0, &r1);
	logical = (r1.edx >> 28 & 1) ? (r1.ebx >> 16) & 0xff : 1;
	tg_printf("ipiattack: info cpuid max leaf 0x%x, leaf 1 ebx 0x%08x edx 0x%08x\n", r0.eax, r1.ebx, r1.edx);
	check(&ck, "topology leaf 1 one logical processor", logical == 1, "HTT %u, %u logical", r1.edx >> 28 & 1,
	      logical);
	check(&ck, "topology leaf 1 apic id", r1.ebx >> 24 == apic_id, "initial APIC ID %u, the APIC says %u",
	      r1.ebx >> 24, apic_id);
	for (uint32_t s = 0; r0.eax >= 4 && s < 16; s++) {
		cpu_cpuid(4, s, &r);
		if (!(r.eax & 0x1f))
			break;
		caches++;
		shared |= r.eax >> 14;           /* threads sharing it - 1, cores in the package - 1 */
	}
	check(&ck, "topology leaf 4 one thread on one core", !shared, "%u caches, EAX[31:14] 0x%x", caches, shared);
	if (r0.eax < 0xb) {
		check_skip(&ck, "topology leaf 0xb one logical processor", "max leaf below 0xb");
	} else {
		levels = topo_levels(0xb, apic_id, &bad);
		check(&ck, "topology leaf 0xb one logical processor", levels >= 0, "EBX 0x%x at a level", bad);
	}
	if (r0.eax < 0x1f) {
		check_skip(&ck, "topology leaf 0x1f one logical processor", "max leaf below 0x1f");
	} else {
		levels = topo_levels(0x1f, apic_id, &bad);
		check(&ck, "topology leaf 0x1f one logical processor", levels >= 0, "EBX 0x%x at a level", bad);
	}
}

/* ---- IPIs ---- */

/* Sends one IPI: xAPIC ICR high then low, or the x2APIC ICR (one 64-bit MSR). */
static void send(uint32_t dest, uint32_t lo)
{
	if (x2mode) {
		safe_wrmsr(MSR_X2_ICR, (uint64_t)dest << 32 | lo);
		return;
	}
	wr(R_ICR_HI, dest << 24);
	wr(R_ICR_LO, lo);
}

struct dest {
	uint32_t dest, flags;            /* destination field; LOGICAL or a shorthand */
};

/* Every delivery mode to every destination in d[0..n): what reaches this CPU is counted. */
static unsigned send_all(const struct dest *d, unsigned n, const uint32_t *modes, unsigned nmodes)
{
	unsigned sent = 0;

	for (unsigned m = 0; m < nmodes; m++)
		for (unsigned i = 0; i < n; i++, sent++)
			send(d[i].dest, d[i].flags | modes[m]);
	return sent;
}

/* The destinations of other CPUs: APIC IDs 0-3 but its own, logical IDs not its own, all but self. */
static unsigned others(struct dest *d, uint32_t ldr_bits, uint32_t cluster)
{
	unsigned n = 0;

	for (uint32_t id = 0; id < 4; id++)
		if (id != own_id)
			d[n++] = (struct dest){ id, 0 };
	if (x2mode) {
		d[n++] = (struct dest){ cluster << 16 | (0xfu & ~ldr_bits), LOGICAL };
		d[n++] = (struct dest){ (cluster + 1) << 16 | 1, LOGICAL };
	} else {
		d[n++] = (struct dest){ 0x0fu & ~ldr_bits, LOGICAL };
		d[n++] = (struct dest){ 0xf0, LOGICAL };
	}
	d[n++] = (struct dest){ 0, SH_OTHERS };
	return n;
}

/* Fixed, NMI, INIT and SIPI to other CPUs, then fixed and NMI to itself by each route. */
static void ipi_attack(const char *path, uint32_t ldr_bits, uint32_t cluster)
{
	static const uint32_t modes[] = { DM_FIXED | V_IPI, DM_NMI, DM_INIT | ASSERT, DM_SIPI | ASSERT | SIPI_VEC };
	struct dest d[8], self[5];
	uint32_t bcast = x2mode ? 0xffffffffu : 0xff, own_logical = x2mode ? cluster << 16 | ldr_bits : ldr_bits;
	unsigned n = others(d, ldr_bits, cluster), sent, svr = x2mode ? 0 : rd(R_SVR) & 0x1ff;
	char name[64];

	got[V_IPI] = nmis = 0;
	sent = send_all(d, n, modes, 4);
	open_window(2000);
	tg_printf("ipiattack: %s: %u IPIs (fixed, NMI, INIT, SIPI) to %u destinations of other CPUs\n", path, sent, n);
	fmt_snprintf(name, sizeof(name), "%s ipis to other cpus reach no one", path);
	check(&ck, name, got[V_IPI] == 0 && nmis == 0 && sipi_flag() == 0, "%u interrupts, %u NMIs, SIPI page ran %u times",
	      got[V_IPI], nmis, sipi_flag());

	self[0] = (struct dest){ own_id, 0 };
	self[1] = (struct dest){ bcast, 0 };
	self[2] = (struct dest){ own_logical, LOGICAL };
	self[3] = (struct dest){ 0, SH_ALL };
	self[4] = (struct dest){ 0, SH_SELF };
	got[V_IPI] = 0;
	for (unsigned i = 0; i < 5; i++) {
		send(self[i].dest, self[i].flags | V_IPI);
		open_window(500);
	}
	nmis = 0;
	for (unsigned i = 0; i < 3; i++) {         /* its ID, the broadcast, all including self */
		const struct dest *t = &self[i == 2 ? 3 : i];

		send(t->dest, t->flags | DM_NMI);
		open_window(500);
	}
	fmt_snprintf(name, sizeof(name), "%s ipis to itself arrive once each", path);
	check(&ck, name, got[V_IPI] == 5 && nmis == 3, "%u of 5 fixed, %u of 3 NMIs", got[V_IPI], nmis);

	/* SIPI to itself: a CPU not waiting for one ignores it. INIT: the hv's vCPU takes none. */
	send(own_id, DM_SIPI | ASSERT | SIPI_VEC);
	send(0, SH_ALL | DM_SIPI | ASSERT | SIPI_VEC);
	if (tg_under_hv) {
		send(own_id, DM_INIT | ASSERT);
		send(0, SH_ALL | DM_INIT | ASSERT);
		send(bcast, DM_INIT | ASSERT);
	}
	open_window(1000);
	fmt_snprintf(name, sizeof(name), "%s init and sipi to itself change nothing", path);
	check(&ck, name, sipi_flag() == 0 && (x2mode || (rd(R_SVR) & 0x1ff) == svr), "SIPI page ran %u times, SVR 0x%x",
	      sipi_flag(), x2mode ? 0 : rd(R_SVR) & 0x1ff);
	if (!tg_under_hv)
		tg_printf("ipiattack: %s: INIT to itself not sent natively (it would reset a one-CPU machine)\n", path);
}

static void xapic_attack(void)
{
	wr(R_DFR, 0xffffffffu);                  /* flat model */
	wr(R_LDR, 1u << 24);                     /* logical ID: bit 0 */
	ipi_attack("xapic", 1, 0);
	wr(R_ESR, 0);
	tg_printf("ipiattack: info xapic esr 0x%x\n", rd(R_ESR));
}

static void x2apic_attack(uint32_t ecx1)
{
	uint64_t base = 0, id = ~0ull, ldr = 0;

	if (!(ecx1 >> 21 & 1)) {
		check_skip(&ck, "x2apic icr #gp in xapic mode", "CPUID shows no x2APIC");
		return;
	}
	check(&ck, "x2apic icr #gp in xapic mode", safe_wrmsr(MSR_X2_ICR, 1ull << 32 | DM_INIT | ASSERT) < 0,
	      "WRMSR 0x830 accepted");
	safe_rdmsr(MSR_APIC_BASE, &base);
	if (!check(&ck, "x2apic enable", safe_wrmsr(MSR_APIC_BASE, base | APIC_EXTD) == 0, "base 0x%llx", base))
		return;
	x2mode = 1;
	safe_rdmsr(MSR_X2_ID, &id);
	safe_rdmsr(MSR_X2_LDR, &ldr);
	check(&ck, "x2apic id is the apic id", id == own_id, "x2APIC ID 0x%llx, APIC ID %u", id, own_id);
	tg_printf("ipiattack: info x2apic ldr 0x%llx\n", ldr);
	ipi_attack("x2apic", (uint32_t)ldr & 0xffff, (uint32_t)ldr >> 16);
	/* Back to xAPIC mode as firmware leaves it: disabled, then enabled. */
	x2mode = 0;
	safe_wrmsr(MSR_APIC_BASE, base & ~(uint64_t)(APIC_EXTD | (1u << 11)));
	safe_wrmsr(MSR_APIC_BASE, base & ~(uint64_t)APIC_EXTD);
	wr(R_SVR, 0x100 | V_SPUR);
}

/* ---- the IOAPIC ---- */

/* Points pin at dest (physical unless LOGICAL in lo) with lo's mode and vector, unmasked. */
static void route(unsigned pin, uint32_t dest, uint32_t lo)
{
	io_wr(0x10 + 2 * pin, 0x10000 | lo);         /* masked while it changes */
	io_wr(0x11 + 2 * pin, dest << 24);
	io_wr(0x10 + 2 * pin, lo);
}

static void mask_all(unsigned pins)
{
	for (unsigned p = 0; p < pins; p++)
		io_wr(0x10 + 2 * p, 0x10000);
}

/* The PIT at 1000 Hz on pin 2 for ms milliseconds, routed as given. */
static void pit_through(uint32_t dest, uint32_t lo, unsigned ms)
{
	route(2, dest, lo);
	pit_ch0_start(1000, 2);
	open_window(1000ull * ms);
	io_wr(0x10 + 2 * 2, 0x10000);
	pit_ch0_stop();
}

static void ioapic_attack(void)
{
	static const uint32_t modes[] = { DM_FIXED, DM_NMI, DM_INIT, DM_EXTINT };
	uint32_t ver = io_rd(1), pins = ((ver >> 16) & 0xff) + 1, other = (own_id + 1) & 3, bad = 0;
	uint32_t arrived;

	tg_printf("ipiattack: info ioapic version 0x%x, %u pins\n", ver, pins);
	pic_set_mask(0xffff);                         /* the 8259 out of the way */
	for (unsigned p = 0; p < pins && p < 24; p++) {
		uint32_t dest = (own_id + 1 + p % 3) & 3, lo = modes[p % 4] | (p & 4 ? LOGICAL : 0) | V_IO;

		if (p & 4)
			dest = 0x0e;                      /* logical: CPUs 1-3 in the flat model */
		route(p, dest, lo);
		if ((io_rd(0x10 + 2 * p) & 0x1afff) != lo || io_rd(0x11 + 2 * p) >> 24 != dest)
			bad++;
	}
	check(&ck, "ioapic entries to other cpus read back as written", !bad, "%u of %u entries differ", bad, pins);
	mask_all(pins);
	got[V_IO] = nmis = 0;
	pit_through(other, DM_FIXED | V_IO, 20);
	pit_through(0x0e, LOGICAL | DM_FIXED | V_IO, 20);
	pit_through(other, DM_NMI | V_IO, 20);
	pit_through(other, DM_INIT | V_IO, 20);
	pit_through(other, DM_EXTINT | V_IO, 20);
	if (tg_under_hv)
		pit_through(own_id, DM_INIT | V_IO, 20);   /* natively a reset */
	check(&ck, "ioapic pin 2 to other cpus reaches no one", got[V_IO] == 0 && nmis == 0 && sipi_flag() == 0,
	      "%u interrupts, %u NMIs", got[V_IO], nmis);
	pit_through(own_id, DM_FIXED | V_IO, 20);
	arrived = got[V_IO];
	pit_through(own_id, DM_NMI | V_IO, 20);
	tg_printf("ipiattack: info pin 2 to itself: %u interrupts, then %u NMIs in 20 ms each\n", arrived, nmis);
	/* Natively (QEMU TCG on a shared host) timers lag: only "repeatedly", as in test=lapic. */
	check(&ck, "ioapic pin 2 to itself still arrives", arrived >= (tg_under_hv ? 10u : 2u) &&
	      nmis >= (tg_under_hv ? 10u : 2u), "%u interrupts, %u NMIs", arrived, nmis);
	mask_all(pins);
}

/* ---- 0xCF8/0xCFC ---- */

static uint32_t pci_x = 12345;           /* the sequence of CONFIG_ADDRESS values */

/*
 * n configuration cycles: a CONFIG_ADDRESS from a linear congruential
 * sequence (every other one on bus 0, where the devices are), read back,
 * then a data read of 4, 2 or 1 bytes, or a dword read and the same value
 * written back (a no-op on hardware; under the hv a write to a function
 * the guest does not own: refused and counted). Counts into c[0] latch
 * read-backs that differ, c[1] reads that saw a function, c[2] writes.
 */
static void pci_cycles(uint32_t n, uint32_t c[3])
{
	uint32_t addr, v;

	for (uint32_t i = 0; i < n; i++) {
		pci_x = pci_x * 1103515245u + 12345u;
		addr = 0x80000000u | (pci_x & 0x00fffffcu);
		if (i & 1)
			addr &= ~0x00ff0000u;
		outl(0xcf8, addr);
		c[0] += inl(0xcf8) != addr;
		switch (i & 3) {
		case 0: v = inl(0xcfc); break;
		case 1: v = inw(0xcfe) | 0xffff0000u; break;
		case 2: v = inb(0xcfd) | 0xffffff00u; break;
		default:
			v = inl(0xcfc);
			outl(0xcfc, v);
			c[2]++;
		}
		c[1] += v != 0xffffffffu;
	}
	outl(0xcf8, 0);
}

static void pci_hammer(uint32_t n)
{
	uint32_t c[3] = { 0, 0, 0 };
	uint64_t t0 = rdtsc();
	char b[32];

	pci_cycles(n, c);
	tg_printf("ipiattack: pci: %u cycles (%u writes) in %s s, %u reads saw a function\n", n, c[2],
		  fmt_fixed(b, rdtsc() - t0, tg_tsc_hz, 3), c[1]);
	check(&ck, "pci config address latch reads back", !c[0], "%u of %u differ", c[0], n);
	if (tg_under_hv)
		check(&ck, "pci no function visible", !c[1], "%u reads saw one", c[1]);
}

/* ---- lapic = off (under the hv only) ---- */

/* The hv's count of this guest's EPT violations: with lapic = off, one per boot that touched a page. */
static uint64_t stops_so_far(void)
{
	static struct hc_exit_stats st;

	if (hypercall(HC_EXIT_STATS, (uint32_t)&st, sizeof(st), 0) < 0)
		tg_fail_exit(2, "ipiattack: FAIL HC_EXIT_STATS refused\n");
	return st.count[EXIT_REASON_EPT_VIOLATION];
}

static void lapic_off(uint32_t pci)
{
	uint64_t stops = stops_so_far(), v = 0;
	struct cpuid_regs r;

	tg_printf("ipiattack: lapic off, boot %llu\n", stops + 1);
	if (stops == 1) {
		tg_printf("ipiattack: lapic off: IOAPIC pin 2 to APIC ID 1 (INIT): the hv stops this guest\n");
		io_wr(0x11 + 2 * 2, 1u << 24);
		tg_fail_exit(1, "ipiattack: FAIL the IOAPIC write did not stop the guest\n");
	}
	if (stops >= 2) {
		tg_printf("ipiattack: lapic off: the xAPIC and IOAPIC pages each stopped this guest; exit 0\n");
		guest_exit(0);
	}
	cpu_cpuid(1, 0, &r);
	check(&ck, "cpuid shows no apic and no x2apic", !(r.edx >> 9 & 1) && !(r.ecx >> 21 & 1), "ecx 0x%x edx 0x%x",
	      r.ecx, r.edx);
	check_topology(r.ebx >> 24);
	check(&ck, "apic_base #gp", safe_rdmsr(MSR_APIC_BASE, &v) < 0 &&
	      safe_wrmsr(MSR_APIC_BASE, 0xfee00000ull | APIC_EXTD | (1u << 11)) < 0, "read 0x%llx", v);
	check(&ck, "x2apic msrs #gp", safe_wrmsr(MSR_X2_ICR, 1ull << 32 | DM_INIT | ASSERT) < 0 &&
	      safe_wrmsr(MSR_X2_ICR, SH_OTHERS | DM_NMI) < 0 && safe_wrmsr(MSR_X2_ICR, DM_INIT | ASSERT) < 0 &&
	      safe_rdmsr(MSR_X2_ID, &v) < 0, "an x2APIC MSR answered");
	pci_hammer(pci);
	tg_printf("ipiattack: %u checks, %u failed\n", ck.n, ck.failed);
	if (ck.failed)
		guest_exit(1);
	tg_printf("ipiattack: lapic off: xAPIC ICR (INIT to APIC ID 0): the hv stops this guest\n");
	wr(R_ICR_HI, 0);
	wr(R_ICR_LO, DM_INIT | ASSERT);
	tg_fail_exit(1, "ipiattack: FAIL the xAPIC write did not stop the guest\n");
}

/* ms > 0: the IPIs to other CPUs and PCI cycles again and again for ms milliseconds (a victim's whole run). */
static void keep_attacking(uint32_t ms)
{
	static const uint32_t modes[] = { DM_FIXED | V_IPI, DM_NMI, DM_INIT | ASSERT, DM_SIPI | ASSERT | SIPI_VEC };
	uint64_t end = rdtsc() + tsc_from_us(1000ull * ms);
	struct dest d[8];
	unsigned n = others(d, 1, 0), ipis = 0, rounds = 0;
	uint32_t c[3] = { 0, 0, 0 };

	if (!ms)
		return;
	got[V_IPI] = nmis = 0;
	while (rdtsc() < end) {
		ipis += send_all(d, n, modes, 4);
		pci_cycles(64, c);
		rounds++;
	}
	open_window(1000);
	tg_printf("ipiattack: kept attacking for %u ms: %u rounds, %u IPIs to other CPUs, %u PCI cycles\n", ms,
		  rounds, ipis, rounds * 64);
	check(&ck, "repeated ipis to other cpus reach no one", got[V_IPI] == 0 && nmis == 0 && sipi_flag() == 0 &&
	      !c[0] && (!tg_under_hv || !c[1]), "%u interrupts, %u NMIs, PCI: %u latches differ, %u functions seen",
	      got[V_IPI], nmis, c[0], c[1]);
}

void test_ipiattack(void)
{
	uint32_t pci = arg_u32("pci", 2048), ms = arg_u32("ms", 0);
	struct cpuid_regs r;

	cpu_cpuid(1, 0, &r);
	if (pci > 1000000 || ms > 600000)
		tg_fail_exit(2, "ipiattack: FAIL pci=%u ms=%u out of range\n", pci, ms);
	if (!(r.edx >> 9 & 1)) {
		if (!tg_under_hv)
			tg_fail_exit(2, "ipiattack: FAIL CPUID shows no APIC natively\n");
		lapic_off(pci);
	}
	idt_load_256(isr);
	idt_set_handler(2, nmi_handler);
	cli();
	sipi_page_init();
	wr(R_SVR, 0x100 | V_SPUR);
	wr(R_TPR, 0);
	own_id = rd(R_ID) >> 24;
	tg_printf("ipiattack: apic id %u, lint0 0x%x, sipi page at 0x%x\n", own_id, rd(R_LVT_L0), SIPI_PAGE);
	check_topology(own_id);
	xapic_attack();
	x2apic_attack(r.ecx);
	ioapic_attack();
	pci_hammer(pci);
	keep_attacking(ms);
	check(&ck, "survived with its apic intact", (rd(R_SVR) & 0x1ff) == (0x100 | V_SPUR) && sipi_flag() == 0 &&
	      got[V_SPUR] == 0, "SVR 0x%x, SIPI page ran %u times, %u spurious", rd(R_SVR), sipi_flag(), got[V_SPUR]);
	cli();
	checks_finish(&ck);
}
