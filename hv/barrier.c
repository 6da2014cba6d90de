/*
 * Barriers between partitions against the speculative-execution side
 * channels a guest could use on the one before it on this CPU, where the
 * CPU offers them (CPUID leaf 7 EDX; IA32_ARCH_CAPABILITIES):
 *   - IBPB (IA32_PRED_CMD bit 0): branch predictions trained by the last
 *     guest do not steer the next one (Spectre v2 across partitions);
 *   - L1D flush (IA32_FLUSH_CMD bit 0): the next guest cannot read the
 *     last one's data left in the L1 cache through L1TF, unless the CPU
 *     says it is not affected (ARCH_CAPABILITIES.SKIP_L1DFL_VMENTRY);
 *   - VERW with MD_CLEAR: the CPU's fill/store/load buffers are overwritten
 *     (MDS).
 * They run when the CPU passes from one guest to another, not on every
 * entry: a guest attacking itself is its own business.
 */
#include "barrier.h"
#include "cpu.h"
#include "log.h"

#define CPUID7_EDX_MD_CLEAR   (1u << 10)
#define CPUID7_EDX_IBRS_IBPB  (1u << 26)
#define CPUID7_EDX_L1D_FLUSH  (1u << 28)
#define CPUID7_EDX_ARCH_CAP   (1u << 29)
#define ARCH_CAP_SKIP_L1DFL   (1ull << 3)

static bool ibpb, l1d_flush, verw;

void barrier_init(void)
{
	struct cpuid_regs r;

	ibpb = l1d_flush = verw = false;
	cpu_cpuid(0, 0, &r);
	if (r.eax >= 7) {
		cpu_cpuid(7, 0, &r);
		ibpb = r.edx & CPUID7_EDX_IBRS_IBPB;
		l1d_flush = r.edx & CPUID7_EDX_L1D_FLUSH;
		verw = r.edx & CPUID7_EDX_MD_CLEAR;
		if (l1d_flush && (r.edx & CPUID7_EDX_ARCH_CAP) &&
		    (cpu_rdmsr(MSR_IA32_ARCH_CAPABILITIES) & ARCH_CAP_SKIP_L1DFL))
			l1d_flush = false;
	}
	log_printf("hv: between guests: IBPB %s, L1D flush %s, VERW buffer clearing %s\n",
		   ibpb ? "yes" : "not offered", l1d_flush ? "yes" : "not needed or not offered",
		   verw ? "yes" : "not offered");
}

void barrier_guest_switch(void)
{
	if (ibpb)
		cpu_wrmsr(MSR_IA32_PRED_CMD, 1);
	if (l1d_flush)
		cpu_wrmsr(MSR_IA32_FLUSH_CMD, 1);
	if (verw)
		cpu_verw();
}
