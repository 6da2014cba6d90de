/*
 * bench: the round-trip cost of exits, measured from inside the guest with
 * RDTSC (under Bochs with clock sync=none a TSC tick is tied to emulated
 * instructions: the figures are path lengths, not real time). Prints one
 * line per exit kind; `make bench` collects them.
 *
 *   test=bench n=N [delay_ms=D]
 *                       N iterations per kind (default 2000), after D ms
 *                       of spinning (default 0; configs/bench2.cfg and
 *                       bench8.cfg let the guests beside it boot first);
 *                       with a LAPIC
 *                       (CPUID.1:EDX.APIC) also xAPIC and IOAPIC accesses:
 *                       the version and TPR (virtualized with APIC-register
 *                       virtualization), EOI (an APIC-write exit there),
 *                       the current count (an APIC-access exit); every one
 *                       an EPT violation on the decoded path
 */
#include "tguest.h"

static uint64_t bench_loop(const char *what, uint32_t n, void (*op)(void))
{
	uint64_t t0 = rdtsc(), per, rem;

	for (uint32_t i = 0; i < n; i++)
		op();
	per = udiv64(rdtsc() - t0, n, &rem);
	tg_printf("bench: %-10s %u ticks per operation (%u operations)\n", what, (uint32_t)per, n);
	return per;
}

static void op_nop(void) { __asm__ volatile("nop"); }
static void op_cpuid(void) { uint32_t a, b, c, d; cpuid(0, &a, &b, &c, &d); }
static void op_port_post(void) { outb(0x80, 0); }
static void op_port_pic(void) { (void)inb(0x21); }
static void op_vmcall(void) { (void)hypercall(HC_VERSION, 0, 0, 0); }
static void op_rdmsr(void) { uint64_t v; (void)safe_rdmsr(0xc0000080, &v); }
/* The local APIC and IOAPIC (lapic = on): each access an EPT violation the hv decodes. */
static void op_apic_read(void) { (void)*(volatile uint32_t *)0xfee00030u; }
static void op_apic_tpr(void) { *(volatile uint32_t *)0xfee00080u = 0; }
static void op_apic_eoi(void) { *(volatile uint32_t *)0xfee000b0u = 0; }
static void op_apic_tmcct(void) { (void)*(volatile uint32_t *)0xfee00390u; }
static void op_ioapic_read(void) { (void)*(volatile uint32_t *)0xfec00010u; }
static void op_apic_base(void) { uint64_t v; (void)safe_rdmsr(0x1b, &v); }

void test_bench(void)
{
	uint32_t n = arg_u32("n", 2000), delay = arg_u32("delay_ms", 0), a, b, c, d;
	uint64_t end;

	if (!tg_under_hv)
		tg_fail_exit(2, "bench: needs the hv\n");
	for (end = rdtsc() + tsc_from_us((uint64_t)delay * 1000); rdtsc() < end;)
		cpu_relax();
	bench_loop("loop", n, op_nop);
	bench_loop("cpuid", n, op_cpuid);
	bench_loop("out-0x80", n, op_port_post);
	bench_loop("in-vpic", n, op_port_pic);
	bench_loop("vmcall", n, op_vmcall);
	bench_loop("rdmsr-efer", n, op_rdmsr);
	cpuid(1, &a, &b, &c, &d);
	if ((d >> 9) & 1) {
		bench_loop("apic-read", n, op_apic_read);
		bench_loop("apic-tpr-write", n, op_apic_tpr);
		bench_loop("apic-eoi", n, op_apic_eoi);
		bench_loop("apic-tmcct", n, op_apic_tmcct);
		bench_loop("ioapic-read", n, op_ioapic_read);
		bench_loop("rdmsr-apic-base", n, op_apic_base);
	}
	tg_printf("bench: done\n");
	guest_exit(0);
}
