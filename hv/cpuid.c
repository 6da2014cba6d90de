/*
 * CPUID: the guest CPU model. The host's answers, minus what the guest
 * platform lacks (VMX, SMX, a local APIC, MONITOR/MWAIT) and plus the
 * hypervisor bit and leaves.
 */
#include "exit.h"
#include "cpu.h"
#include "hypercall.h"
#include "vmcs.h"
#include "cpumodel.h"

#define CPUID1_ECX_MONITOR   (1u << 3)
#define CPUID1_ECX_VMX       (1u << 5)
#define CPUID1_ECX_SMX       (1u << 6)
#define CPUID1_ECX_X2APIC    (1u << 21)
#define CPUID1_ECX_TSC_DL    (1u << 24)
#define CPUID1_ECX_HV        (1u << 31)
#define CPUID1_EDX_APIC      (1u << 9)
#define CPUID1_EDX_MCE       (1u << 7)
#define CPUID1_EDX_MCA       (1u << 14)

enum exit_action exit_cpuid(struct vcpu *v, struct exit_info *x)
{
	struct guest_regs *r = &v->regs;
	uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
	struct cpuid_regs c;

	if (leaf == HV_CPUID_LEAF_BASE) {
		const char *sig = HV_CPUID_SIGNATURE;
		c.eax = HV_CPUID_LEAF_VERSION;
		memcpy(&c.ebx, sig, 4);
		memcpy(&c.ecx, sig + 4, 4);
		memcpy(&c.edx, sig + 8, 4);
	} else if (leaf == HV_CPUID_LEAF_VERSION) {
		c = (struct cpuid_regs){ HC_ABI_VERSION, 0, 0, 0 };
	} else if ((leaf & 0xf0000000u) == HV_CPUID_LEAF_BASE) {
		c = (struct cpuid_regs){ 0, 0, 0, 0 };
	} else {
		cpu_cpuid(leaf, sub, &c);
		if (leaf == 1) {
			c.ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_X2APIC |
				   CPUID1_ECX_TSC_DL | CPUID1_ECX_MONITOR);
			c.ecx |= CPUID1_ECX_HV;
			c.edx &= ~(CPUID1_EDX_APIC | CPUID1_EDX_MCE | CPUID1_EDX_MCA);
			/* One logical processor; APIC ID = guest index. */
			c.ebx = (c.ebx & 0x0000ffffu) | (1u << 16) | ((uint32_t)v->guest->id << 24);
		}
	}
	r->rax = c.eax, r->rbx = c.ebx, r->rcx = c.ecx, r->rdx = c.edx;
	exit_skip_insn(v);
	return EXIT_RESUME;
}

uint64_t cpumodel_cr4_allowed(void)
{
	return ~(CR4_VMXE | CR4_SMXE | CR4_LA57);
}
