/*
 * The MSRs of the guest CPU model: one policy table (hv/cpumodel.h). Each
 * row says what a read returns, what a write does, whether the MSR passes
 * through the MSR bitmap and whether the hv switches it between guests,
 * and which CPUID feature must be shown for it to exist. An MSR with no
 * row, a hidden feature or no read/write function raises #GP, as on a CPU
 * without it; so does a write of a value such a CPU refuses (reserved
 * bits, bad memory types, non-canonical addresses), before it reaches
 * the VMCS or a root-mode WRMSR. docs/architecture.md "The guest CPU
 * model" has the table in prose.
 */
#include "cpumodel.h"
#include "exit.h"
#include "guest.h"
#include "vmx.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "vmcheck.h"
#include "vmxcap.h"
#include "lapic.h"

#define MSR_IA32_PLATFORM_ID        0x017
#define MSR_IA32_TSC_ADJUST         0x03b
#define MSR_IA32_SPEC_CTRL          0x048
#define MSR_IA32_BIOS_UPDT_TRIG     0x079
#define MSR_IA32_BIOS_SIGN_ID       0x08b
#define MSR_IA32_PMC0               0x0c1
#define MSR_PLATFORM_INFO           0x0ce
#define MSR_IA32_UMWAIT_CONTROL     0x0e1
#define MSR_IA32_MTRRCAP            0x0fe
#define MSR_MISC_FEATURE_ENABLES    0x140
#define MSR_IA32_MCG_CAP            0x179
#define MSR_IA32_MCG_CTL            0x17b
#define MSR_IA32_PERFEVTSEL0        0x186
#define MSR_IA32_MISC_ENABLE        0x1a0
#define MSR_IA32_MTRR_PHYSBASE0     0x200
#define MSR_IA32_MTRR_FIX64K_00000  0x250
#define MSR_IA32_MTRR_FIX16K_80000  0x258
#define MSR_IA32_MTRR_FIX16K_A0000  0x259
#define MSR_IA32_MTRR_FIX4K_C0000   0x268
#define MSR_IA32_MTRR_FIX4K_F8000   0x26f
#define MSR_IA32_MTRR_DEF_TYPE      0x2ff
#define MSR_IA32_FIXED_CTR0         0x309
#define MSR_IA32_PERF_CAPABILITIES  0x345
#define MSR_IA32_FIXED_CTR_CTRL     0x38d
#define MSR_IA32_PERF_GLOBAL_OVF    0x390
#define MSR_IA32_VMX_FIRST          0x480
#define MSR_IA32_VMX_LAST           0x493
#define MSR_IA32_DS_AREA            0x600
#define MSR_IA32_TSC_DEADLINE       0x6e0
#define MSR_IA32_XSS                0xda0

#define LINEAR_BITS                 48            /* the model has no LA57 */
#define SPEC_CTRL_IBRS              (1ull << 0)
#define SPEC_CTRL_STIBP             (1ull << 1)
#define SPEC_CTRL_SSBD              (1ull << 2)
#define MICROCODE_REV_1             (1ull << 32)  /* BIOS_SIGN_ID: revision 1 in bits 63:32 */

/*
 * IA32_MISC_ENABLE (SDM "IA32_MISC_ENABLE MSR"): fast strings on; BTS and
 * PEBS unavailable (no DS). A guest may change fast strings and "limit
 * CPUID maxval"; any other change (EIST, MONITOR, XD disable, ...) #GPs.
 */
#define MISC_ENABLE_FAST_STRINGS    (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL     (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL    (1ull << 12)
#define MISC_ENABLE_LIMIT_CPUID     (1ull << 22)
#define MISC_ENABLE_RESET           (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_WRITABLE        (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_LIMIT_CPUID)

/*
 * MTRRs (SDM "Memory Type Range Registers (MTRRs)"): kept per guest and
 * validated; EPT decides the memory type, as KVM does without
 * non-coherent DMA. MTRRcap: 8 variable ranges, fixed ranges, WC.
 */
#define MTRRCAP_VALUE               (VCPU_MTRR_VAR | (1ull << 8) | (1ull << 10))
#define MTRR_DEF_TYPE_E             (1ull << 11)
#define MTRR_DEF_TYPE_FE            (1ull << 10)
#define MTRR_DEF_TYPE_RESET         (MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | 6)   /* as firmware leaves it: WB */
#define MTRR_FIXED_WB               0x0606060606060606ull
#define MTRR_PHYSMASK_VALID         (1ull << 11)

static enum exit_action msr_refuse(struct vcpu *v, uint32_t msr, bool write, uint64_t val)
{
	struct guest *g = v->guest;

	g->msr_refusals++;
	if (write)
		guest_log_refusal(g, "write of 0x%lx to MSR 0x%x refused (#GP)", val, msr);
	else
		guest_log_refusal(g, "read of MSR 0x%x refused (#GP)", msr);
	vmx_inject_exception(v, EXC_GP, true, 0);
	return EXIT_RESUME;
}

/* ---- the rules: reads and writes a row may name ---------------------- */

static bool canonical(uint64_t va)
{
	return vmcheck_canonical(va, LINEAR_BITS);
}

/* Read: the constant p->arg. */
static int rd_const(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = p->arg;
	return 0;
}

/* Read: the VMCS guest-state field p->arg. */
static int rd_vmcs(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = vmcs_read_raw((uint32_t)p->arg);
	return 0;
}

/* Read: the CPU's MSR, which holds the guest's value while it runs (a switched MSR). */
static int rd_live(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = cpu_rdmsr(msr);
	return 0;
}

/* Write: the VMCS field p->arg (SYSENTER_CS: 32 bits, as the VMCS keeps it). */
static int wr_vmcs(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	vmcs_write_raw((uint32_t)p->arg, val);
	return 0;
}

/* Write: a linear address into the VMCS field p->arg; #GP unless canonical. */
static int wr_vmcs_canonical(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	if (!canonical(val))
		return -1;
	vmcs_write_raw((uint32_t)p->arg, val);
	return 0;
}

/* Write: the CPU's MSR (a switched one), armed: whatever the CPU refuses is the guest's #GP. */
static int wr_live(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	return cpu_wrmsr_safe(msr, val) ? -1 : 0;
}

/* Write: a linear address into the CPU's MSR; #GP unless canonical. */
static int wr_live_canonical(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	return canonical(val) ? wr_live(v, p, msr, val) : -1;
}

/* Write: IA32_TSC_AUX, bits 63:32 reserved. */
static int wr_tsc_aux(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	return val >> 32 ? -1 : wr_live(v, p, msr, val);
}

/* TSC: host TSC plus the guest's offset (the VMCS applies it to RDTSC/RDTSCP). */
static int rd_tsc(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = cpu_rdtsc() + v->tsc_offset;
	return 0;
}

/* A TSC write moves the guest's TSC only: its offset from the host's. */
static int wr_tsc(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	v->tsc_offset = val - cpu_rdtsc();
	vmcs_write64(TSC_OFFSET, v->tsc_offset);
	return 0;
}

/*
 * BIOS_SIGN_ID: software writes 0 before CPUID, which latches the
 * revision again; the model's CPUID always latches revision 1.
 */
static int wr_ignore(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	return 0;
}

static int rd_arch_cap(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = cpumodel_arch_capabilities();
	return 0;
}

/* IA32_SPEC_CTRL: the bits the model shows (IBRS, STIBP, SSBD), armed WRMSR. */
static int wr_spec_ctrl(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	uint64_t ok = SPEC_CTRL_IBRS | (cpumodel_has(CPUMODEL_STIBP) ? SPEC_CTRL_STIBP : 0) |
		      (cpumodel_has(CPUMODEL_SSBD) ? SPEC_CTRL_SSBD : 0);

	return val & ~ok ? -1 : wr_live(v, p, msr, val);
}

/* PRED_CMD (IBPB), FLUSH_CMD (L1D flush): bit 0 runs the command on this CPU; others #GP. */
static int wr_command(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	if (val & ~1ull)
		return -1;
	return val ? wr_live(v, p, msr, 1) : 0;
}

static int rd_misc_enable(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	*val = v->mmsr.misc_enable;
	return 0;
}

static int wr_misc_enable(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	if ((val ^ v->mmsr.misc_enable) & ~MISC_ENABLE_WRITABLE)
		return -1;
	v->mmsr.misc_enable = val;
	return 0;
}

/* IA32_DEBUGCTL: BTF only; LBR and branch tracing reach the core's shared records. */
static int wr_debugctl(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	if (val & ~DEBUGCTL_BTF)
		return -1;
	vmcs_write64(GUEST_IA32_DEBUGCTL, val);
	return 0;
}

/* Returns true if every byte of val is one of the memory types in the bit set types. */
static bool memtypes_valid(uint64_t val, unsigned bytes, uint32_t types)
{
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t t = (uint8_t)(val >> (8 * i));
		if (t > 7 || !(types & (1u << t)))
			return false;
	}
	return true;
}

#define PAT_TYPES   0xf3u        /* UC, WC, WT, WP, WB, UC- (SDM "PAT Memory Types and Their Encodings") */
#define MTRR_TYPES  0x73u        /* UC, WC, WT, WP, WB (SDM "MTRR Memory Types and Their Properties") */

/* IA32_PAT: every entry a valid memory type, else #GP (SDM "Programming the PAT"). */
static int wr_pat(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	if (!memtypes_valid(val, 8, PAT_TYPES))
		return -1;
	vmcs_write64(GUEST_IA32_PAT, val);
	return 0;
}

/*
 * IA32_EFER: SCE, LME and NXE where the model shows SYSCALL, LM and NX;
 * LMA is the CPU's (written values ignored); LME may not change while
 * paging is on (SDM "IA32_EFER MSR", "Initialization of IA-32e Mode").
 */
static int wr_efer(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	uint64_t old = vmcs_read64(GUEST_IA32_EFER);
	uint64_t ok = EFER_LMA | (cpumodel_has(CPUMODEL_SYSCALL) ? EFER_SCE : 0) |
		      (cpumodel_has(CPUMODEL_LM) ? EFER_LME : 0) | (cpumodel_has(CPUMODEL_NX) ? EFER_NXE : 0);

	if (val & ~ok)
		return -1;
	if ((vmcs_readnat(GUEST_CR0) & CR0_PG) && ((old ^ val) & EFER_LME))
		return -1;
	vmcs_write64(GUEST_IA32_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return 0;
}

/* Returns the vCPU's storage for an MTRR (variable, fixed or default type), or NULL. */
static uint64_t *mtrr_slot(struct vcpu *v, uint32_t msr)
{
	static const uint32_t fixed[VCPU_MTRR_FIXED] = {
		MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000,
		0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, MSR_IA32_MTRR_FIX4K_F8000,
	};

	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return &v->mmsr.mtrr_def_type;
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * VCPU_MTRR_VAR)
		return &v->mmsr.mtrr_var[msr - MSR_IA32_MTRR_PHYSBASE0];
	for (unsigned i = 0; i < VCPU_MTRR_FIXED; i++)
		if (fixed[i] == msr)
			return &v->mmsr.mtrr_fixed[i];
	return NULL;
}

static int rd_mtrr(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	uint64_t *slot = mtrr_slot(v, msr);

	if (!slot)
		return -1;
	*val = *slot;
	return 0;
}

/* Returns true if val is a valid value for MTRR msr (memory types, reserved bits, MAXPHYADDR). */
static bool mtrr_valid(uint32_t msr, uint64_t val)
{
	uint64_t phys = ((1ull << cpumodel_maxphyaddr()) - 1) & ~0xfffull;

	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return !(val & ~(0xffull | MTRR_DEF_TYPE_FE | MTRR_DEF_TYPE_E)) && memtypes_valid(val, 1, MTRR_TYPES);
	if (msr >= MSR_IA32_MTRR_FIX64K_00000)
		return memtypes_valid(val, 8, MTRR_TYPES);
	if ((msr - MSR_IA32_MTRR_PHYSBASE0) % 2 == 0)           /* PHYSBASE: type, base */
		return !(val & ~(phys | 0xff)) && memtypes_valid(val, 1, MTRR_TYPES);
	return !(val & ~(phys | MTRR_PHYSMASK_VALID));           /* PHYSMASK: mask, valid */
}

static int wr_mtrr(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	uint64_t *slot = mtrr_slot(v, msr);

	if (!slot || !mtrr_valid(msr, val))
		return -1;
	*slot = val;
	return 0;
}

/* ---- the policy table ------------------------------------------------ */

#define ROW(first, last, name, feat, rd, wr, arg, flags) \
	{ first, last, name, CPUMODEL_##feat, rd, wr, arg, flags }
#define ONE(msr, name, feat, rd, wr, arg, flags) ROW(msr, msr, name, feat, rd, wr, arg, flags)
/* An MSR of a feature the model hides, listed so that the table names it: #GP. */
#define GP(first, last, name, feat) ROW(first, last, name, feat, NULL, NULL, 0, 0)

static const struct msr_policy msr_rules[] = {
	ONE(MSR_IA32_TSC, "IA32_TSC", TSC, rd_tsc, wr_tsc, 0, 0),
	ONE(MSR_IA32_PLATFORM_ID, "IA32_PLATFORM_ID", ALWAYS, rd_const, NULL, 0, 0),
	/* The guest's local APIC (lapic = on, hv/lapic.c): IA32_APIC_BASE, TSC-deadline, x2APIC. */
	ONE(MSR_IA32_APIC_BASE, "IA32_APIC_BASE", APIC, lapic_msr_read, lapic_msr_write, 0, 0),
	/* Locked with VMX (and SMX, SGX, LMCE) off: the model has none of them. */
	ONE(MSR_IA32_FEATURE_CONTROL, "IA32_FEATURE_CONTROL", ALWAYS, rd_const, NULL, FEATURE_CONTROL_LOCK, 0),
	GP(MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, "IA32_TSC_ADJUST", TSC_ADJUST),
	ONE(MSR_IA32_SPEC_CTRL, "IA32_SPEC_CTRL", IBRS_IBPB, rd_live, wr_spec_ctrl, 0, MSR_SWITCHED),
	ONE(MSR_IA32_PRED_CMD, "IA32_PRED_CMD", IBRS_IBPB, NULL, wr_command, 0, 0),
	GP(MSR_IA32_BIOS_UPDT_TRIG, MSR_IA32_BIOS_UPDT_TRIG, "IA32_BIOS_UPDT_TRIG", NONE),
	ONE(MSR_IA32_BIOS_SIGN_ID, "IA32_BIOS_SIGN_ID", ALWAYS, rd_const, wr_ignore, MICROCODE_REV_1, 0),
	GP(MSR_IA32_PMC0, MSR_IA32_PMC0 + 7, "IA32_PMC0-7", ARCH_PERFMON),
	GP(MSR_PLATFORM_INFO, MSR_PLATFORM_INFO, "MSR_PLATFORM_INFO", NONE),
	GP(MSR_IA32_UMWAIT_CONTROL, MSR_IA32_UMWAIT_CONTROL, "IA32_UMWAIT_CONTROL", WAITPKG),
	ONE(MSR_IA32_MTRRCAP, "IA32_MTRRCAP", MTRR, rd_const, NULL, MTRRCAP_VALUE, 0),
	ONE(MSR_IA32_ARCH_CAPABILITIES, "IA32_ARCH_CAPABILITIES", ARCH_CAPABILITIES, rd_arch_cap, NULL, 0, 0),
	ONE(MSR_IA32_FLUSH_CMD, "IA32_FLUSH_CMD", L1D_FLUSH, NULL, wr_command, 0, 0),
	GP(MSR_MISC_FEATURE_ENABLES, MSR_MISC_FEATURE_ENABLES, "MSR_MISC_FEATURE_ENABLES", NONE),
	ONE(MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", SEP, rd_vmcs, wr_vmcs, GUEST_SYSENTER_CS, 0),
	ONE(MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", SEP, rd_vmcs, wr_vmcs_canonical, GUEST_SYSENTER_ESP, 0),
	ONE(MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", SEP, rd_vmcs, wr_vmcs_canonical, GUEST_SYSENTER_EIP, 0),
	GP(MSR_IA32_MCG_CAP, MSR_IA32_MCG_CTL, "IA32_MCG_CAP/STATUS/CTL", MCA),
	GP(MSR_IA32_PERFEVTSEL0, MSR_IA32_PERFEVTSEL0 + 7, "IA32_PERFEVTSEL0-7", ARCH_PERFMON),
	ONE(MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE", ALWAYS, rd_misc_enable, wr_misc_enable, 0, 0),
	ONE(MSR_IA32_DEBUGCTL, "IA32_DEBUGCTL", ALWAYS, rd_vmcs, wr_debugctl, GUEST_IA32_DEBUGCTL, 0),
	ROW(MSR_IA32_MTRR_PHYSBASE0, MSR_IA32_MTRR_PHYSBASE0 + 2 * VCPU_MTRR_VAR - 1,
	    "IA32_MTRR_PHYSBASE/PHYSMASK0-7", MTRR, rd_mtrr, wr_mtrr, 0, 0),
	ONE(MSR_IA32_MTRR_FIX64K_00000, "IA32_MTRR_FIX64K_00000", MTRR, rd_mtrr, wr_mtrr, 0, 0),
	ROW(MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000, "IA32_MTRR_FIX16K_*", MTRR,
	    rd_mtrr, wr_mtrr, 0, 0),
	ROW(MSR_IA32_MTRR_FIX4K_C0000, MSR_IA32_MTRR_FIX4K_F8000, "IA32_MTRR_FIX4K_*", MTRR,
	    rd_mtrr, wr_mtrr, 0, 0),
	ONE(MSR_IA32_PAT, "IA32_PAT", PAT, rd_vmcs, wr_pat, GUEST_IA32_PAT, 0),
	ONE(MSR_IA32_MTRR_DEF_TYPE, "IA32_MTRR_DEF_TYPE", MTRR, rd_mtrr, wr_mtrr, 0, 0),
	GP(MSR_IA32_FIXED_CTR0, MSR_IA32_FIXED_CTR0 + 2, "IA32_FIXED_CTR0-2", ARCH_PERFMON),
	GP(MSR_IA32_PERF_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES, "IA32_PERF_CAPABILITIES", PDCM),
	GP(MSR_IA32_FIXED_CTR_CTRL, MSR_IA32_PERF_GLOBAL_OVF, "IA32_FIXED_CTR_CTRL, PERF_GLOBAL_*",
	   ARCH_PERFMON),
	GP(MSR_IA32_VMX_FIRST, MSR_IA32_VMX_LAST, "IA32_VMX_* (capabilities)", VMX),
	GP(MSR_IA32_DS_AREA, MSR_IA32_DS_AREA, "IA32_DS_AREA", DS),
	ONE(MSR_IA32_TSC_DEADLINE, "IA32_TSC_DEADLINE", TSC_DEADLINE, lapic_msr_read, lapic_msr_write, 0, 0),
	/* Reserved x2APIC MSRs, and all of them outside x2APIC mode, #GP (the model's -1). */
	ROW(VLAPIC_MSR_X2APIC_FIRST, 0x8ff, "x2APIC registers", X2APIC, lapic_msr_read, lapic_msr_write, 0, 0),
	GP(MSR_IA32_XSS, MSR_IA32_XSS, "IA32_XSS", XSAVES),
	ONE(MSR_IA32_EFER, "IA32_EFER", LM, rd_vmcs, wr_efer, GUEST_IA32_EFER, 0),
	ONE(MSR_IA32_STAR, "IA32_STAR", LM, rd_live, wr_live, 0, MSR_PASS | MSR_SWITCHED),
	ONE(MSR_IA32_LSTAR, "IA32_LSTAR", LM, rd_live, wr_live_canonical, 0, MSR_PASS | MSR_SWITCHED),
	ONE(MSR_IA32_CSTAR, "IA32_CSTAR", LM, rd_live, wr_live_canonical, 0, MSR_PASS | MSR_SWITCHED),
	ONE(MSR_IA32_FMASK, "IA32_FMASK", LM, rd_live, wr_live, 0, MSR_PASS | MSR_SWITCHED),
	ONE(MSR_IA32_FS_BASE, "IA32_FS_BASE", LM, rd_vmcs, wr_vmcs_canonical, GUEST_FS_BASE, MSR_PASS),
	ONE(MSR_IA32_GS_BASE, "IA32_GS_BASE", LM, rd_vmcs, wr_vmcs_canonical, GUEST_GS_BASE, MSR_PASS),
	ONE(MSR_IA32_KERNEL_GS_BASE, "IA32_KERNEL_GS_BASE", LM, rd_live, wr_live_canonical, 0,
	    MSR_PASS | MSR_SWITCHED),
	ONE(MSR_IA32_TSC_AUX, "IA32_TSC_AUX", RDTSCP, rd_live, wr_tsc_aux, 0, MSR_PASS | MSR_SWITCHED),
};

const struct msr_policy *msr_policy_table(unsigned *n)
{
	*n = ARRAY_SIZE(msr_rules);
	return msr_rules;
}

/* The rows are in ascending, disjoint MSR ranges (msr_policy_init checks): a binary search. */
const struct msr_policy *msr_policy_find(uint32_t msr)
{
	unsigned lo = 0, hi = ARRAY_SIZE(msr_rules);

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (msr < msr_rules[mid].first)
			hi = mid;
		else if (msr > msr_rules[mid].last)
			lo = mid + 1;
		else
			return &msr_rules[mid];
	}
	return NULL;
}

void msr_policy_init(void)
{
	uint32_t list[VCPU_SWITCHED_MSRS];
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(msr_rules); i++)
		if (msr_rules[i].first > msr_rules[i].last ||
		    (i && msr_rules[i].first <= msr_rules[i - 1].last))
			panic("msr_policy_init: row %s out of order or overlapping", msr_rules[i].name);

	for (unsigned i = 0; i < ARRAY_SIZE(msr_rules); i++) {
		const struct msr_policy *p = &msr_rules[i];
		if (!(p->flags & MSR_SWITCHED) || !cpumodel_has(p->feature))
			continue;
		if (n == VCPU_SWITCHED_MSRS)
			panic("msr_policy_init: more switched MSRs than VCPU_SWITCHED_MSRS");
		list[n++] = p->first;
	}
	vmx_set_switched_msrs(list, n);
}

void msr_vcpu_reset(struct vcpu *v)
{
	struct vcpu_model_msrs *s = &v->mmsr;

	memset(s, 0, sizeof(*s));
	s->misc_enable = MISC_ENABLE_RESET;
	s->mtrr_def_type = MTRR_DEF_TYPE_RESET;
	for (unsigned i = 0; i < VCPU_MTRR_FIXED; i++)
		s->mtrr_fixed[i] = MTRR_FIXED_WB;
	s->mtrr_fixed[2] = 0;                        /* A0000-BFFFF: UC (the legacy video hole) */
	memset(v->msrs, 0, sizeof(v->msrs));
	v->tsc_offset = 0;
	vmcs_write64(TSC_OFFSET, 0);
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
	memset(g->msr_bitmap, 0xff, 4096);
	for (unsigned i = 0; i < ARRAY_SIZE(msr_rules); i++)
		if ((msr_rules[i].flags & MSR_PASS) && cpumodel_has(msr_rules[i].feature))
			for (uint32_t msr = msr_rules[i].first; msr <= msr_rules[i].last; msr++)
				msr_passthrough(g, msr);
}

/* Returns the row for msr if v's model has that MSR, else NULL. */
static const struct msr_policy *msr_row(const struct vcpu *v, uint32_t msr)
{
	const struct msr_policy *p = msr_policy_find(msr);

	return p && cpumodel_vcpu_has(v, p->feature) ? p : NULL;
}

enum exit_action exit_rdmsr(struct vcpu *v, struct exit_info *x)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	const struct msr_policy *p = msr_row(v, msr);
	uint64_t val;

	if (!p || !p->read || p->read(v, p, msr, &val) < 0)
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
	const struct msr_policy *p = msr_row(v, msr);

	if (!p || !p->write || p->write(v, p, msr, val) < 0)
		return msr_refuse(v, msr, true, val);
	exit_skip_insn(v);
	return EXIT_RESUME;
}
