/*
 * FPU/SSE/AVX state and the debug registers DR0-3/DR6, switched between
 * guests by the hv (SDM "Managing State Using the XSAVE Feature Set").
 * With XSAVE the area is sized by CPUID.(EAX=0DH,ECX=0):ECX and saved
 * with every supported component; without it FXSAVE/FXRSTOR cover x87
 * and SSE. The hv itself never touches these registers (-mno-sse,
 * -mno-80387).
 */
#include "xstate.h"
#include "cpu.h"
#include "log.h"
#include "mem.h"

#define CPUID1_XSAVE    (1u << 26)
#define MXCSR_DEFAULT   0x1f80u
#define FCW_DEFAULT     0x037fu

static bool has_xsave;
static uint32_t area_bytes = 512;
static uint64_t xcr0_supported = XCR0_X87 | XCR0_SSE;

bool xstate_has_xsave(void) { return has_xsave; }
uint64_t xstate_supported(void) { return xcr0_supported; }

uint64_t xstate_guest_mask(void)
{
	return xcr0_supported & XCR0_GUEST_ALLOWED;
}

/*
 * The SDM's rules for XCR0 ("XSETBV", "Enabling the XSAVE Feature Set and
 * XSAVE-Enabled Features"), on top of "only bits the CPU supports".
 */
bool xstate_xcr0_valid(uint64_t val, uint64_t supported)
{
	uint64_t avx512 = XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM;
	uint64_t mpx = XCR0_BNDREGS | XCR0_BNDCSR, amx = XCR0_TILECFG | XCR0_TILEDATA;

	if ((val & ~supported) || !(val & XCR0_X87))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if ((val & mpx) && (val & mpx) != mpx)
		return false;
	if ((val & avx512) && ((val & avx512) != avx512 || (val & (XCR0_SSE | XCR0_AVX)) !=
			       (XCR0_SSE | XCR0_AVX)))
		return false;
	if ((val & amx) && (val & amx) != amx)
		return false;
	return true;
}

void xstate_cpu_init(void)
{
	cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR | (has_xsave ? CR4_OSXSAVE : 0));
	if (has_xsave)
		cpu_xsetbv(0, xcr0_supported);
}

void xstate_init(void)
{
	struct cpuid_regs r;

	cpu_cpuid(1, 0, &r);
	cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR);
	if (r.ecx & CPUID1_XSAVE) {
		has_xsave = true;
		cpu_write_cr4(cpu_read_cr4() | CR4_OSXSAVE);
		cpu_cpuid(0xd, 0, &r);
		xcr0_supported = ((uint64_t)r.edx << 32) | r.eax;
		cpu_xsetbv(0, xcr0_supported);
		cpu_cpuid(0xd, 0, &r);
		area_bytes = r.ebx;              /* for every feature now enabled */
	}
	log_printf("hv: guest FPU state: %s, %u bytes per guest, XCR0 bits 0x%lx (guests may use 0x%lx)\n",
		   has_xsave ? "XSAVE" : "FXSAVE", area_bytes, xcr0_supported, xstate_guest_mask());
}

void xstate_reset(struct vcpu *v)
{
	uint8_t *a = v->xsave;

	memset(a, 0, area_bytes);
	/* Legacy region: FCW and MXCSR at their reset values; XSTATE_BV = 0 means "init". */
	a[0] = FCW_DEFAULT & 0xff, a[1] = FCW_DEFAULT >> 8;
	*(uint32_t *)(a + 24) = MXCSR_DEFAULT;
	v->xcr0 = XCR0_X87;                      /* x87 only, as after reset */
	v->dr[0] = v->dr[1] = v->dr[2] = v->dr[3] = 0;
	v->dr[4] = 0xffff0ff0;                   /* DR6 reset value */
}

void xstate_setup(struct vcpu *v)
{
	v->xsave = mem_alloc_pages((area_bytes + 4095) / 4096);
}

/*
 * XSAVE and XRSTOR run with XCR0 = every supported feature, whatever the
 * guest's own XCR0: the SSE registers are live even when a guest's XCR0 is
 * 1 (x87 only), and XSAVE saves only what XCR0 enables.
 */
static void xstate_save(struct vcpu *v)
{
	if (has_xsave) {
		cpu_xsetbv(0, xcr0_supported);
		cpu_xsave(v->xsave, ~0ull);
	} else {
		cpu_fxsave(v->xsave);
	}
	v->dr[0] = cpu_read_dr(0);
	v->dr[1] = cpu_read_dr(1);
	v->dr[2] = cpu_read_dr(2);
	v->dr[3] = cpu_read_dr(3);
	v->dr[4] = cpu_read_dr(6);
}

void xstate_load(struct vcpu *v)
{
	if (has_xsave) {
		cpu_xsetbv(0, xcr0_supported);
		/* The area is the hv's own, written by XSAVE or reset: a fault here is an hv bug. */
		if (cpu_xrstor_safe(v->xsave, ~0ull))
			panic("xstate_load: XRSTOR of guest %s's state faulted", v->guest->cfg->name);
		cpu_xsetbv(0, v->xcr0);
	} else {
		cpu_fxrstor(v->xsave);
	}
	cpu_write_dr(0, v->dr[0]);
	cpu_write_dr(1, v->dr[1]);
	cpu_write_dr(2, v->dr[2]);
	cpu_write_dr(3, v->dr[3]);
	cpu_write_dr(6, v->dr[4]);
}

void xstate_switch(struct vcpu *from, struct vcpu *to)
{
	if (from)
		xstate_save(from);
	xstate_load(to);
}
