/*
 * The guest CPU model (DESIGN.md "Guest platform": one CPU model per
 * guest). CPUID comes from allow-lists (hv/cpuid.c): per leaf and
 * register, which host bits pass, which are forced and which are
 * computed, consistent with the VMX controls the hv enables and what it
 * emulates. MSRs come from one policy table (hv/exit_msr.c): for each, its
 * read value, its write rule, whether it passes through or is switched,
 * and the CPUID feature that must be shown for it to exist. A feature the
 * model shows works (its instructions and MSRs); a hidden one's MSRs #GP.
 * docs/architecture.md "The guest CPU model" has the tables.
 */
#ifndef HV_CPUMODEL_H
#define HV_CPUMODEL_H

#include "hv.h"
#include "cpu.h"

/* Features the MSR policy and the hv ask about, each one CPUID bit of the model. */
enum cpumodel_feature {
	CPUMODEL_ALWAYS,             /* no CPUID bit: every CPU of the model has it */
	CPUMODEL_NONE,               /* no CPUID bit, and this model lacks it */
	CPUMODEL_VMX,                /* CPUID.1:ECX */
	CPUMODEL_PDCM,
	CPUMODEL_PCID,
	CPUMODEL_X2APIC,
	CPUMODEL_TSC_DEADLINE,
	CPUMODEL_XSAVE,
	CPUMODEL_TSC,                /* CPUID.1:EDX */
	CPUMODEL_MCE,
	CPUMODEL_APIC,
	CPUMODEL_SEP,
	CPUMODEL_MTRR,
	CPUMODEL_MCA,
	CPUMODEL_PAT,
	CPUMODEL_DS,
	CPUMODEL_FSGSBASE,           /* CPUID.(7,0):EBX */
	CPUMODEL_TSC_ADJUST,
	CPUMODEL_SMEP,
	CPUMODEL_INVPCID,
	CPUMODEL_SMAP,
	CPUMODEL_AVX512F,
	CPUMODEL_UMIP,               /* CPUID.(7,0):ECX */
	CPUMODEL_PKU,
	CPUMODEL_WAITPKG,
	CPUMODEL_LA57,
	CPUMODEL_RDPID,
	CPUMODEL_IBRS_IBPB,          /* CPUID.(7,0):EDX */
	CPUMODEL_STIBP,
	CPUMODEL_L1D_FLUSH,
	CPUMODEL_ARCH_CAPABILITIES,
	CPUMODEL_SSBD,
	CPUMODEL_ARCH_PERFMON,       /* CPUID.0AH:EAX[7:0] (version) */
	CPUMODEL_XSAVES,             /* CPUID.(0DH,1):EAX */
	CPUMODEL_SYSCALL,            /* CPUID.80000001H:EDX */
	CPUMODEL_NX,
	CPUMODEL_RDTSCP,
	CPUMODEL_LM,
	CPUMODEL_NFEATURES
};

/* Where a feature shows in CPUID: leaf, subleaf, register (0-3: EAX-EDX), bits. */
struct cpumodel_bit {
	const char *name;
	uint32_t leaf, sub;
	uint8_t reg;
	uint32_t mask;
};

/* Returns where feature f shows in CPUID, or NULL for CPUMODEL_ALWAYS/NONE. */
const struct cpumodel_bit *cpumodel_feature_bit(enum cpumodel_feature f);

/*
 * Computes the model from the host's CPUID, the VMX controls chosen
 * (vmx_init) and the XSAVE components guests may use (xstate_init), logs
 * it, and sets up the MSR policy (msr_policy_init). Before any guest.
 */
void cpumodel_init(void);

/*
 * The CPUID answer (leaf, sub) as vCPU v sees it. v's VMCS must be current
 * (OSXSAVE and OSPKE follow its CR4). v NULL: the static model, as a vCPU
 * just after reset sees it.
 */
void cpumodel_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);

/* Returns true if the model shows feature f in CPUID. */
bool cpumodel_has(enum cpumodel_feature f);

/*
 * Returns true if vCPU v has feature f: cpumodel_has, except for the
 * local APIC's features (APIC, x2APIC, TSC-deadline), which a guest has
 * with lapic = on (the IA32_APIC_BASE MSR stays while the guest has
 * disabled its APIC and CPUID.1:EDX.APIC reads 0). The MSR policy asks this.
 */
bool cpumodel_vcpu_has(const struct vcpu *v, enum cpumodel_feature f);

/*
 * The CR4 bits the modelled CPU has (those of features it shows, and the
 * VMX fixed-1 MSR allows). A guest's attempt to set any other bit is #GP;
 * the CR4 guest/host mask gives the hv every other bit.
 */
uint64_t cpumodel_cr4_allowed(void);

/* The physical-address width the model shows (CPUID.80000008H:EAX[7:0]). */
unsigned cpumodel_maxphyaddr(void);

/* IA32_ARCH_CAPABILITIES as the model shows it (the host's "not affected" bits). */
uint64_t cpumodel_arch_capabilities(void);

/* ---- the MSR policy (hv/exit_msr.c) ---------------------------------- */

struct msr_policy;
typedef int (*msr_read_fn)(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val);
typedef int (*msr_write_fn)(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val);

#define MSR_PASS      1u             /* no exit: the MSR bitmap lets the guest at it */
#define MSR_SWITCHED  2u             /* the hv switches it between guests (vmx_switch_msrs) */

/* One row of the policy: MSRs first..last. Read/write functions return 0 or -1 (#GP). */
struct msr_policy {
	uint32_t first, last;
	const char *name;
	enum cpumodel_feature feature;   /* must be shown for the MSR to exist, else #GP */
	msr_read_fn read;                /* NULL: a read #GPs */
	msr_write_fn write;              /* NULL: a write #GPs */
	uint64_t arg;                    /* the functions' parameter: constant, VMCS field */
	unsigned flags;                  /* MSR_PASS, MSR_SWITCHED */
};

/* Returns the policy table and its length. */
const struct msr_policy *msr_policy_table(unsigned *n);

/* Returns the row for msr, or NULL (no such MSR on the model: #GP). */
const struct msr_policy *msr_policy_find(uint32_t msr);

/* Registers the switched MSRs of the features shown with vmx_switch_msrs (cpumodel_init calls it). */
void msr_policy_init(void);

/*
 * Gives v the model's MSR reset state: TSC offset 0 (VMCS TSC_OFFSET too,
 * v's VMCS current), switched MSRs 0, MISC_ENABLE and MTRRs as firmware
 * leaves them.
 */
void msr_vcpu_reset(struct vcpu *v);

#endif
