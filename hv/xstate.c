/*
 * FPU/SSE/AVX state and the debug registers DR0-3/DR6, switched between
 * guests by the hv (SDM "Managing State Using the XSAVE Feature Set").
 * With XSAVE the area is sized by CPUID.(EAX=0DH,ECX=0):ECX and saved
 * with each guest's own XCR0; without it FXSAVE/FXRSTOR cover x87 and SSE.
 * The hv itself never touches these registers (-mno-sse, -mno-80387).
 */
#include "xstate.h"
#include "cpu.h"
#include "log.h"

#define CR4_OSFXSR      (1ull << 9)
#define CR4_OSXSAVE     (1ull << 18)
#define CPUID1_XSAVE    (1u << 26)
#define MXCSR_DEFAULT   0x1f80u
#define FCW_DEFAULT     0x037fu

static bool has_xsave;
static uint32_t area_bytes = 512;
static uint64_t xcr0_supported = 3;      /* x87 | SSE */

bool xstate_has_xsave(void) { return has_xsave; }
uint64_t xstate_supported(void) { return xcr0_supported; }

static void xsetbv0(uint64_t v)
{
	__asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
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
		area_bytes = r.ecx;              /* for every feature the CPU supports */
	}
	log_printf("hv: guest FPU state: %s, %u bytes per guest, XCR0 bits 0x%lx\n",
		   has_xsave ? "XSAVE" : "FXSAVE", area_bytes, xcr0_supported);
}

void xstate_reset(struct vcpu *v)
{
	uint8_t *a = v->xsave;

	memset(a, 0, area_bytes);
	/* Legacy region: FCW and MXCSR at their reset values; XSTATE_BV = 0 means "init". */
	a[0] = FCW_DEFAULT & 0xff, a[1] = FCW_DEFAULT >> 8;
	*(uint32_t *)(a + 24) = MXCSR_DEFAULT;
	v->xcr0 = 1;                             /* x87 only, as after reset */
	v->dr[0] = v->dr[1] = v->dr[2] = v->dr[3] = 0;
	v->dr[4] = 0xffff0ff0;                   /* DR6 reset value */
}

void xstate_setup(struct vcpu *v)
{
	v->xsave = mem_alloc_pages((area_bytes + 4095) / 4096);
	xstate_reset(v);
}

/*
 * XSAVE and XRSTOR run with XCR0 = every supported feature, whatever the
 * guest's own XCR0: the SSE registers are live even when a guest's XCR0 is
 * 1 (x87 only), and XSAVE saves only what XCR0 enables.
 */
static void xstate_save(struct vcpu *v)
{
	if (has_xsave) {
		xsetbv0(xcr0_supported);
		__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t (*)[4096])v->xsave)
				 : "a"(~0u), "d"(~0u) : "memory");
	} else {
		__asm__ volatile("fxsave64 %0" : "+m"(*(uint8_t (*)[512])v->xsave) :: "memory");
	}
	__asm__ volatile("mov %%dr0, %0" : "=r"(v->dr[0]));
	__asm__ volatile("mov %%dr1, %0" : "=r"(v->dr[1]));
	__asm__ volatile("mov %%dr2, %0" : "=r"(v->dr[2]));
	__asm__ volatile("mov %%dr3, %0" : "=r"(v->dr[3]));
	__asm__ volatile("mov %%dr6, %0" : "=r"(v->dr[4]));
}

void xstate_load(struct vcpu *v)
{
	if (has_xsave) {
		xsetbv0(xcr0_supported);
		__asm__ volatile("xrstor64 %0" :: "m"(*(uint8_t (*)[4096])v->xsave),
				 "a"(~0u), "d"(~0u) : "memory");
		xsetbv0(v->xcr0);
	} else {
		__asm__ volatile("fxrstor64 %0" :: "m"(*(uint8_t (*)[512])v->xsave) : "memory");
	}
	__asm__ volatile("mov %0, %%dr0" :: "r"(v->dr[0]));
	__asm__ volatile("mov %0, %%dr1" :: "r"(v->dr[1]));
	__asm__ volatile("mov %0, %%dr2" :: "r"(v->dr[2]));
	__asm__ volatile("mov %0, %%dr3" :: "r"(v->dr[3]));
	__asm__ volatile("mov %0, %%dr6" :: "r"(v->dr[4]));
}

void xstate_switch(struct vcpu *from, struct vcpu *to)
{
	xstate_save(from);
	xstate_load(to);
}
