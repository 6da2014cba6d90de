/*
 * x86-64 instruction wrappers for the hv (ring 0, 64-bit): the shared ones
 * of lib/x86.h (port I/O, CPUID, MSRs, control registers, ...) and those
 * only the hv needs here. Every privileged instruction the hv's C code
 * executes is behind one of these names, so that the host unit tests
 * (HOST_TEST) can put a fake CPU behind them: tests/unit/hvhost/fake_hw.c
 * implements the functions declared in the HOST_TEST halves and records
 * what the hv did.
 */
#ifndef HV_CPU_H
#define HV_CPU_H

#include <stdint.h>
#include <stddef.h>

#include "x86.h"

/*
 * A root-mode instruction that may fault on a value the hv did not choose
 * (WRMSR, XSETBV, XRSTOR) runs "armed": if it raises an exception, the
 * hv's exception handler resumes after it instead of panicking, and the
 * wrapper returns the vector (hv/setup.c hv_exception; Linux calls this an
 * exception table fixup). One instruction at a time per CPU.
 */
struct cpu_fixup {
	uint64_t rip;                /* the armed instruction */
	uint64_t resume;             /* where to go on if it faults */
	uint32_t vector;             /* vector taken + 1, 0 if none */
};

/* Each CPU's struct cpu_fixup is at this offset of its struct pcpu, through the GS base (hv/percpu.h). */
#define CPU_FIXUP_GS "16"

#ifdef HOST_TEST

int cpu_wrmsr_safe(uint32_t msr, uint64_t v);
uint64_t cpu_read_dr(unsigned n);
void cpu_write_dr(unsigned n, uint64_t v);
void cpu_idle_until_interrupt(void);
int cpu_xsetbv_safe(uint32_t xcr, uint64_t v);
void cpu_xsetbv(uint32_t xcr, uint64_t v);
void cpu_xsave(void *area, uint64_t mask);
int cpu_xrstor_safe(const void *area, uint64_t mask);
void cpu_fxsave(void *area);
void cpu_fxrstor(const void *area);
void cpu_verw(void);
/* Stops the CPU for good (panic, shutdown). The host fake returns to the test. */
void cpu_halt_forever(void) __attribute__((noreturn));
/* A parked CPU waits for an interrupt. The host fake returns to the test (host_run_cpu: true). */
void cpu_park(void);

#else

/*
 * Arms the fixup for the instruction at local label 1 (resume at label 2),
 * runs it, and yields the vector it raised + 1 in fixup_vec (0: none).
 */
#define CPU_ARMED(insn, ...)                                                   \
	"lea 1f(%%rip), %%r11\n\t"                                             \
	"mov %%r11, %%gs:" CPU_FIXUP_GS "\n\t"                                 \
	"lea 2f(%%rip), %%r11\n\t"                                             \
	"mov %%r11, %%gs:" CPU_FIXUP_GS "+8\n\t"                               \
	"movl $0, %%gs:" CPU_FIXUP_GS "+16\n"                                  \
	"1:\t" insn "\n"                                                       \
	"2:\n\t"                                                               \
	"movq $0, %%gs:" CPU_FIXUP_GS "\n\t"                                   \
	"movl %%gs:" CPU_FIXUP_GS "+16, %0"

/* WRMSR that may fault: returns 0, or the vector + 1 (#GP: 14) it raised. */
static inline int cpu_wrmsr_safe(uint32_t msr, uint64_t v)
{
	int vec;
	__asm__ volatile(CPU_ARMED("wrmsr") : "=r"(vec)
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "r11", "memory");
	return vec;
}

/* Debug register n (0-3, 6, 7). */
static inline uint64_t cpu_read_dr(unsigned n)
{
	uint64_t v = 0;
	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v)); break;
	case 7: __asm__ volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

static inline void cpu_write_dr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" :: "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" :: "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" :: "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" :: "r"(v)); break;
	case 6: __asm__ volatile("mov %0, %%dr6" :: "r"(v)); break;
	case 7: __asm__ volatile("mov %0, %%dr7" :: "r"(v)); break;
	}
}

/* STI's one-instruction shadow makes "sti; hlt" atomic: no wake-up is lost. */
static inline void cpu_idle_until_interrupt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* A parked CPU (every guest on it ended) waits for an interrupt: a kick, or a stray line. */
static inline void cpu_park(void)
{
	cpu_idle_until_interrupt();
}

static inline void cpu_xsetbv(uint32_t xcr, uint64_t v)
{
	__asm__ volatile("xsetbv" :: "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* XSETBV that may fault: returns 0, or the vector + 1 it raised. */
static inline int cpu_xsetbv_safe(uint32_t xcr, uint64_t v)
{
	int vec;
	__asm__ volatile(CPU_ARMED("xsetbv") : "=r"(vec)
			 : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "r11", "memory");
	return vec;
}

static inline void cpu_xsave(void *area, uint64_t mask)
{
	__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t (*)[4096])area)
			 : "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

/* XRSTOR that may fault (a corrupt area): returns 0, or the vector + 1 it raised. */
static inline int cpu_xrstor_safe(const void *area, uint64_t mask)
{
	int vec;
	__asm__ volatile(CPU_ARMED("xrstor64 %1") : "=r"(vec)
			 : "m"(*(const uint8_t (*)[4096])area), "a"((uint32_t)mask),
			   "d"((uint32_t)(mask >> 32)) : "r11", "memory");
	return vec;
}

static inline void cpu_fxsave(void *area)
{
	__asm__ volatile("fxsave64 %0" : "+m"(*(uint8_t (*)[512])area) :: "memory");
}

static inline void cpu_fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 %0" :: "m"(*(const uint8_t (*)[512])area) : "memory");
}

/* VERW with a valid data selector: with MD_CLEAR it overwrites the CPU's buffers (MDS). */
static inline void cpu_verw(void)
{
	uint16_t sel = 0x10;
	__asm__ volatile("verw %0" :: "m"(sel) : "cc", "memory");
}

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

#endif /* HOST_TEST */

#define CR0_PE   (1ull << 0)
#define CR0_MP   (1ull << 1)
#define CR0_EM   (1ull << 2)
#define CR0_TS   (1ull << 3)
#define CR0_ET   (1ull << 4)
#define CR0_NE   (1ull << 5)
#define CR0_WP   (1ull << 16)
#define CR0_AM   (1ull << 18)
#define CR0_NW   (1ull << 29)
#define CR0_CD   (1ull << 30)
#define CR0_PG   (1ull << 31)
#define CR4_VME  (1ull << 0)
#define CR4_PVI  (1ull << 1)
#define CR4_TSD  (1ull << 2)
#define CR4_DE   (1ull << 3)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_MCE  (1ull << 6)
#define CR4_PGE  (1ull << 7)
#define CR4_PCE  (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define CR4_SMXE (1ull << 14)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE  (1ull << 22)
#define CR4_CET  (1ull << 23)

#define DEBUGCTL_BTF (1ull << 1)     /* IA32_DEBUGCTL: single-step on branches */

#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)

#define MSR_IA32_TSC            0x010
#define MSR_IA32_APIC_BASE      0x01b
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_DEBUGCTL       0x1d9
#define MSR_IA32_PAT            0x277
#define MSR_IA32_EFER           0xc0000080
#define MSR_IA32_STAR           0xc0000081
#define MSR_IA32_LSTAR          0xc0000082
#define MSR_IA32_CSTAR          0xc0000083
#define MSR_IA32_FMASK          0xc0000084
#define MSR_IA32_FS_BASE        0xc0000100
#define MSR_IA32_GS_BASE        0xc0000101
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC_AUX        0xc0000103
#define MSR_IA32_PRED_CMD       0x049
#define MSR_IA32_FLUSH_CMD      0x10b
#define MSR_IA32_ARCH_CAPABILITIES 0x10a

/* Exception vectors (SDM "Exception and Interrupt Reference"). */
#define EXC_DE  0
#define EXC_DB  1
#define EXC_NMI 2
#define EXC_BP  3
#define EXC_OF  4
#define EXC_UD  6
#define EXC_NM  7
#define EXC_DF  8
#define EXC_TS  10
#define EXC_NP  11
#define EXC_SS  12
#define EXC_GP  13
#define EXC_PF  14
#define EXC_MF  16
#define EXC_AC  17
#define EXC_MC  18

#endif
