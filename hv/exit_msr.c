/*
 * RDMSR/WRMSR exits. FS/GS base pass through the MSR bitmap (the VMCS
 * switches them); so do the SYSCALL MSRs, which the hv switches itself
 * when it changes guests (vmx_switch_msrs). Everything else exits here:
 * MSRs the VMCS holds are read and written there, a few are emulated, and
 * writes that would reach beyond the partition (feature control, VMX
 * capabilities, microcode, TSC) get #GP, as on a CPU without them.
 */
#include "exit.h"
#include "guest.h"
#include "vmx.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "vmxcap.h"

#define MSR_IA32_PLATFORM_ID      0x017
#define MSR_IA32_BIOS_UPDT_TRIG   0x079
#define MSR_IA32_BIOS_SIGN_ID     0x08b
#define MSR_IA32_MTRRCAP          0x0fe
#define MSR_IA32_MCG_CAP          0x179
#define MSR_IA32_MCG_STATUS       0x17a
#define MSR_IA32_MISC_ENABLE      0x1a0
#define MSR_IA32_MTRR_DEF_TYPE    0x2ff
#define EFER_VALID                0xd01ull      /* SCE, LME, LMA, NXE */

/* Returns true if msr is an MTRR (capability, ranges, fixed, default type). */
static bool msr_is_mtrr(uint32_t msr)
{
	return msr == MSR_IA32_MTRRCAP || (msr >= 0x200 && msr <= 0x2ff && msr != MSR_IA32_PAT);
}

static enum exit_action msr_refuse(struct vcpu *v, uint32_t msr, bool write, uint64_t val)
{
	struct guest *g = v->guest;

	g->msr_refusals++;
	guest_log_refusal(g, "%s of MSR 0x%x refused (#GP)", write ? "write" : "read", msr);
	vmx_inject_exception(v, EXC_GP, true, 0);
	return EXIT_RESUME;
}

/* Reads an MSR the guest may see. Returns 0 and sets *val, or -1 for #GP. */
static int msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_EFER:          *val = vmcs_read64(GUEST_IA32_EFER); return 0;
	case MSR_IA32_PAT:           *val = vmcs_read64(GUEST_IA32_PAT); return 0;
	case MSR_IA32_SYSENTER_CS:   *val = vmcs_read32(GUEST_SYSENTER_CS); return 0;
	case MSR_IA32_SYSENTER_ESP:  *val = vmcs_readnat(GUEST_SYSENTER_ESP); return 0;
	case MSR_IA32_SYSENTER_EIP:  *val = vmcs_readnat(GUEST_SYSENTER_EIP); return 0;
	case MSR_IA32_DEBUGCTL:      *val = vmcs_read64(GUEST_IA32_DEBUGCTL); return 0;
	case MSR_IA32_TSC:           *val = cpu_rdtsc(); return 0;
	/* No local APIC on the guest platform: base at the usual place, disabled, BSP. */
	case MSR_IA32_APIC_BASE:     *val = 0xfee00000ull | (1u << 8); return 0;
	/* Locked with VMX off: the guest platform has no VMX. */
	case MSR_IA32_FEATURE_CONTROL: *val = FEATURE_CONTROL_LOCK; return 0;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:    *val = 0; return 0;
	case MSR_IA32_MISC_ENABLE:   *val = 1;  return 0;       /* fast strings */
	}
	if (msr_is_mtrr(msr)) {
		*val = msr == MSR_IA32_MTRR_DEF_TYPE ? 0xc06 : 0;   /* enabled, default WB */
		return 0;
	}
	return -1;
}

/* Writes an MSR the guest may set. Returns 0, or -1 for #GP. */
static int msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_EFER: {
		if (val & ~EFER_VALID)
			return -1;
		uint64_t old = vmcs_read64(GUEST_IA32_EFER);
		/* LMA is the CPU's: keep it; LME may not change while paging is on. */
		if ((vmcs_readnat(GUEST_CR0) & CR0_PG) && ((old ^ val) & EFER_LME))
			return -1;
		vmcs_write64(GUEST_IA32_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
		return 0;
	}
	case MSR_IA32_PAT:           vmcs_write64(GUEST_IA32_PAT, val); return 0;
	case MSR_IA32_SYSENTER_CS:   vmcs_write32(GUEST_SYSENTER_CS, val); return 0;
	case MSR_IA32_SYSENTER_ESP:  vmcs_writenat(GUEST_SYSENTER_ESP, val); return 0;
	case MSR_IA32_SYSENTER_EIP:  vmcs_writenat(GUEST_SYSENTER_EIP, val); return 0;
	/* Debug control reaches LBR and branch tracing of the whole core: only 0 is allowed. */
	case MSR_IA32_DEBUGCTL:      return val ? -1 : 0;
	case MSR_IA32_MISC_ENABLE:
	case MSR_IA32_MCG_STATUS:    return 0;               /* ignored */
	}
	if (msr_is_mtrr(msr) && msr != MSR_IA32_MTRRCAP)
		return 0;                                     /* ignored: EPT sets the memory type */
	return -1;
}

/* Lets the guest read and write msr without an exit. */
static void msr_passthrough(struct guest *g, uint32_t msr)
{
	unsigned base = msr >= 0xc0000000u ? 1024 : 0, idx = msr & 0x1fff;

	g->msr_bitmap[base + idx / 8] &= (uint8_t)~(1u << (idx % 8));          /* read */
	g->msr_bitmap[base + 2048 + idx / 8] &= (uint8_t)~(1u << (idx % 8));   /* write */
}

void msr_build_bitmap(struct guest *g)
{
	static const uint32_t direct[] = {
		MSR_IA32_FS_BASE, MSR_IA32_GS_BASE,          /* in the VMCS */
		MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK,
		MSR_IA32_KERNEL_GS_BASE,                     /* switched by the hv */
	};

	memset(g->msr_bitmap, 0xff, 4096);
	for (unsigned i = 0; i < ARRAY_SIZE(direct); i++)
		msr_passthrough(g, direct[i]);
}

enum exit_action exit_rdmsr(struct vcpu *v, struct exit_info *x)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val;

	if (msr_read(v, msr, &val) < 0)
		return msr_refuse(v, msr, false, 0);
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	exit_skip_insn(v);
	return EXIT_RESUME;
}

enum exit_action exit_wrmsr(struct vcpu *v, struct exit_info *x)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (msr_write(v, msr, val) < 0)
		return msr_refuse(v, msr, true, val);
	exit_skip_insn(v);
	return EXIT_RESUME;
}
