/*
 * CPUID: the guest CPU model (hv/cpumodel.h). Every leaf is built from
 * rules, never passed whole: per register, an allow-list of host bits (a
 * host bit outside it reads 0), bits forced (the hypervisor bit) and
 * fields computed (topology of one thread, XSAVE sizes for the guest's
 * own XCR0, OSXSAVE/OSPKE from the guest's own CR4). The allow-lists lose
 * at init what the hv cannot back: AVX without the AVX state in the
 * guests' XCR0 mask, RDTSCP/RDPID and INVPCID without their VMX controls,
 * a CR4-controlled feature whose bit VMX fixes to 0, XSAVES (its control
 * stays off, so IA32_XSS needs no switching). docs/architecture.md "The
 * guest CPU model" has the table.
 */
#include "cpumodel.h"
#include "exit.h"
#include "hypercall.h"
#include "vmcs.h"
#include "vmx.h"
#include "xstate.h"
#include "lapic.h"

enum { EAX, EBX, ECX, EDX };

#define BIT(n)             (1u << (n))

/* CPUID.1:ECX */
#define C1_SSE3            BIT(0)
#define C1_PCLMULQDQ       BIT(1)
#define C1_SSSE3           BIT(9)
#define C1_FMA             BIT(12)
#define C1_CX16            BIT(13)
#define C1_PCID            BIT(17)
#define C1_SSE41           BIT(19)
#define C1_SSE42           BIT(20)
#define C1_MOVBE           BIT(22)
#define C1_POPCNT          BIT(23)
#define C1_AES             BIT(25)
#define C1_XSAVE           BIT(26)
#define C1_OSXSAVE         BIT(27)
#define C1_AVX             BIT(28)
#define C1_F16C            BIT(29)
#define C1_RDRAND          BIT(30)
#define C1_HYPERVISOR      BIT(31)
/* Not allowed: DTES64, MONITOR, DS-CPL, VMX, SMX, EIST, TM2, CNXT-ID, SDBG, xTPR, PDCM, DCA, x2APIC, TSC-deadline. */
#define C1_ECX_ALLOW       (C1_SSE3 | C1_PCLMULQDQ | C1_SSSE3 | C1_FMA | C1_CX16 | C1_PCID | C1_SSE41 | \
			    C1_SSE42 | C1_MOVBE | C1_POPCNT | C1_AES | C1_XSAVE | C1_AVX | C1_F16C | C1_RDRAND)

/* CPUID.1:EDX: FPU VME DE PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 SS. */
#define C1_EDX_ALLOW       (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | \
			    BIT(11) | BIT(12) | BIT(13) | BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | \
			    BIT(24) | BIT(25) | BIT(26) | BIT(27))
/* Not allowed: MCE, APIC, MCA, PSN, DS, ACPI, HTT, TM, PBE. */

/* CPUID.(7,0):EBX */
#define C7B_FSGSBASE       BIT(0)
#define C7B_AVX2           BIT(5)
#define C7B_SMEP           BIT(7)
#define C7B_INVPCID        BIT(10)
#define C7B_SMAP           BIT(20)
#define C7B_AVX512         (BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
/* FSGSBASE BMI1 AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS INVPCID FCS/FDS-deprecation RDSEED ADX SMAP CLFLUSHOPT CLWB SHA, AVX-512. */
#define C7B_ALLOW          (C7B_FSGSBASE | BIT(3) | C7B_AVX2 | BIT(6) | C7B_SMEP | BIT(8) | BIT(9) | \
			    C7B_INVPCID | BIT(13) | BIT(18) | BIT(19) | C7B_SMAP | BIT(23) | BIT(24) | \
			    BIT(29) | C7B_AVX512)
/* Not allowed: TSC_ADJUST, SGX, HLE, RTM, RDT-M, MPX, RDT-A, PT. */

/* CPUID.(7,0):ECX */
#define C7C_UMIP           BIT(2)
#define C7C_PKU            BIT(3)
#define C7C_OSPKE          BIT(4)
#define C7C_VAES           BIT(9)
#define C7C_VPCLMULQDQ     BIT(10)
#define C7C_RDPID          BIT(22)
#define C7C_AVX512         (BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
/* PREFETCHWT1 UMIP PKU GFNI VAES VPCLMULQDQ RDPID CLDEMOTE MOVDIRI MOVDIR64B, AVX-512. */
#define C7C_ALLOW          (BIT(0) | C7C_UMIP | C7C_PKU | BIT(8) | C7C_VAES | C7C_VPCLMULQDQ | C7C_RDPID | \
			    BIT(25) | BIT(27) | BIT(28) | C7C_AVX512)
/* Not allowed: WAITPKG, CET_SS, TME, LA57, MAWAU, KL, BUS_LOCK_DETECT, ENQCMD, SGX_LC, PKS. */

/* CPUID.(7,0):EDX */
#define C7D_IBRS_IBPB      BIT(26)
#define C7D_STIBP          BIT(27)
#define C7D_L1D_FLUSH      BIT(28)
#define C7D_ARCH_CAP       BIT(29)
#define C7D_SSBD           BIT(31)
#define C7D_AVX512         (BIT(2) | BIT(3) | BIT(8) | BIT(23))
/* FSRM MD_CLEAR SERIALIZE, the speculation controls the MSR policy backs, AVX-512. */
#define C7D_ALLOW          (BIT(4) | BIT(10) | BIT(14) | C7D_IBRS_IBPB | C7D_STIBP | C7D_L1D_FLUSH | \
			    C7D_ARCH_CAP | C7D_SSBD | C7D_AVX512)
/* Not allowed: UINTR, SRBDS_CTRL, RTM_ALWAYS_ABORT, TSX_FORCE_ABORT, HYBRID, TSXLDTRK, PCONFIG, ARCH_LBR, IBT, AMX, CORE_CAPABILITIES. */

/* CPUID.(7,1):EAX: AVX-VNNI, AVX512_BF16, fast zero-length MOVSB, fast short STOSB and CMPSB. */
#define C71A_AVX_VNNI      BIT(4)
#define C71A_AVX512_BF16   BIT(5)
#define C71A_ALLOW         (C71A_AVX_VNNI | C71A_AVX512_BF16 | BIT(10) | BIT(11) | BIT(12))

/* CPUID.(0DH,1):EAX: XSAVEOPT, XSAVEC, XGETBV with ECX = 1. Not XSAVES (its control is off), not XFD. */
#define CD1A_XSAVES        BIT(3)
#define CD1A_ALLOW         (BIT(0) | BIT(1) | BIT(2))

#define C6A_ARAT           BIT(2)

/* CPUID.80000001H */
#define CX1C_ALLOW         (BIT(0) | BIT(5) | BIT(8))          /* LAHF/SAHF, LZCNT, PREFETCHW */
#define CX1D_RDTSCP        BIT(27)
#define CX1D_ALLOW         (BIT(11) | BIT(20) | BIT(26) | CX1D_RDTSCP | BIT(29))
			   /* SYSCALL, NX, 1-GiB pages, RDTSCP, LM */
#define CX7D_INVARIANT_TSC BIT(8)

#define MAX_BASIC          0x16u        /* up to the TSC and frequency leaves */
#define MAX_EXT            0x80000008u
#define LINEAR_BITS        48u          /* no LA57 */
#define XSAVE_LEGACY_HDR   576u         /* legacy region + XSAVE header */
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)

#define XCR0_AVX512_ALL    (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)

/*
 * IA32_ARCH_CAPABILITIES bits shown: those saying the CPU is not affected
 * (RDCL_NO, IBRS_ALL, SSB_NO, MDS_NO, IF_PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO,
 * FBSDP_NO, PSDP_NO, FB_CLEAR, BHI_NO, PBRSB_NO, GDS_NO, RFDS_NO, RFDS_CLEAR)
 * and RRSBA (a behaviour a guest must know of). Not the ones naming MSRs
 * the model lacks (TSX_CTRL, MISC_PACKAGE_CTRLS, DOITM, FB_CLEAR_CTRL, ...)
 * nor SKIP_L1DFL_VMENTRY (the model has no VMX).
 */
#define ARCH_CAP_ALLOW     ((1ull << 0) | (1ull << 1) | (1ull << 4) | (1ull << 5) | (1ull << 6) | \
			    (1ull << 8) | (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 17) | \
			    (1ull << 19) | (1ull << 20) | (1ull << 24) | (1ull << 26) | (1ull << 27) | \
			    (1ull << 28))

/* The static model: host bits each register lets through, and what was computed at init. */
static struct {
	uint32_t max_basic, max_ext;
	uint32_t l1_ecx, l1_edx, l6_eax, l7_ebx, l7_ecx, l7_edx, l71_eax, d1_eax;
	uint32_t x1_ecx, x1_edx;
	uint64_t xmask;              /* XCR0 components guests may use (0: no XSAVE) */
	uint64_t cr4;
	uint64_t arch_cap;
	bool shown[CPUMODEL_NFEATURES];   /* the features, as cpumodel_has answers */
} m;

static const struct cpumodel_bit cpumodel_bits[CPUMODEL_NFEATURES] = {
	[CPUMODEL_VMX]               = { "VMX", 1, 0, ECX, BIT(5) },
	[CPUMODEL_PDCM]              = { "PDCM", 1, 0, ECX, BIT(15) },
	[CPUMODEL_PCID]              = { "PCID", 1, 0, ECX, C1_PCID },
	[CPUMODEL_X2APIC]            = { "x2APIC", 1, 0, ECX, BIT(21) },
	[CPUMODEL_TSC_DEADLINE]      = { "TSC-deadline", 1, 0, ECX, BIT(24) },
	[CPUMODEL_XSAVE]             = { "XSAVE", 1, 0, ECX, C1_XSAVE },
	[CPUMODEL_TSC]               = { "TSC", 1, 0, EDX, BIT(4) },
	[CPUMODEL_MCE]               = { "MCE", 1, 0, EDX, BIT(7) },
	[CPUMODEL_APIC]              = { "APIC", 1, 0, EDX, BIT(9) },
	[CPUMODEL_SEP]               = { "SEP", 1, 0, EDX, BIT(11) },
	[CPUMODEL_MTRR]              = { "MTRR", 1, 0, EDX, BIT(12) },
	[CPUMODEL_MCA]               = { "MCA", 1, 0, EDX, BIT(14) },
	[CPUMODEL_PAT]               = { "PAT", 1, 0, EDX, BIT(16) },
	[CPUMODEL_DS]                = { "DS", 1, 0, EDX, BIT(21) },
	[CPUMODEL_FSGSBASE]          = { "FSGSBASE", 7, 0, EBX, C7B_FSGSBASE },
	[CPUMODEL_TSC_ADJUST]        = { "TSC_ADJUST", 7, 0, EBX, BIT(1) },
	[CPUMODEL_SMEP]              = { "SMEP", 7, 0, EBX, C7B_SMEP },
	[CPUMODEL_INVPCID]           = { "INVPCID", 7, 0, EBX, C7B_INVPCID },
	[CPUMODEL_SMAP]              = { "SMAP", 7, 0, EBX, C7B_SMAP },
	[CPUMODEL_AVX512F]           = { "AVX512F", 7, 0, EBX, BIT(16) },
	[CPUMODEL_UMIP]              = { "UMIP", 7, 0, ECX, C7C_UMIP },
	[CPUMODEL_PKU]               = { "PKU", 7, 0, ECX, C7C_PKU },
	[CPUMODEL_WAITPKG]           = { "WAITPKG", 7, 0, ECX, BIT(5) },
	[CPUMODEL_LA57]              = { "LA57", 7, 0, ECX, BIT(16) },
	[CPUMODEL_RDPID]             = { "RDPID", 7, 0, ECX, C7C_RDPID },
	[CPUMODEL_IBRS_IBPB]         = { "IBRS_IBPB", 7, 0, EDX, C7D_IBRS_IBPB },
	[CPUMODEL_STIBP]             = { "STIBP", 7, 0, EDX, C7D_STIBP },
	[CPUMODEL_L1D_FLUSH]         = { "L1D_FLUSH", 7, 0, EDX, C7D_L1D_FLUSH },
	[CPUMODEL_ARCH_CAPABILITIES] = { "ARCH_CAPABILITIES", 7, 0, EDX, C7D_ARCH_CAP },
	[CPUMODEL_SSBD]              = { "SSBD", 7, 0, EDX, C7D_SSBD },
	[CPUMODEL_ARCH_PERFMON]      = { "architectural PMU", 0xa, 0, EAX, 0xff },
	[CPUMODEL_XSAVES]            = { "XSAVES", 0xd, 1, EAX, CD1A_XSAVES },
	[CPUMODEL_SYSCALL]           = { "SYSCALL", 0x80000001u, 0, EDX, BIT(11) },
	[CPUMODEL_NX]                = { "NX", 0x80000001u, 0, EDX, BIT(20) },
	[CPUMODEL_RDTSCP]            = { "RDTSCP", 0x80000001u, 0, EDX, CX1D_RDTSCP },
	[CPUMODEL_LM]                = { "LM", 0x80000001u, 0, EDX, BIT(29) },
};

const struct cpumodel_bit *cpumodel_feature_bit(enum cpumodel_feature f)
{
	return f > CPUMODEL_NONE && f < CPUMODEL_NFEATURES ? &cpumodel_bits[f] : NULL;
}

static uint32_t *reg_of(struct cpuid_regs *r, unsigned reg)
{
	return reg == EAX ? &r->eax : reg == EBX ? &r->ebx : reg == ECX ? &r->ecx : &r->edx;
}

/* The host's XSAVE components (CPUID.(0DH,i), i >= 2) that guests may use, read at init. */
static struct { uint32_t size, offset; bool align64; } xcomp[64];

/*
 * Bytes an XSAVE area needs for the components of xcr0: the standard format
 * (each at its CPUID.(0DH,i):EBX offset) or the compacted one (packed in
 * order, 64-byte aligned where CPUID.(0DH,i):ECX[1] says so). SDM
 * "XSAVE-Managed State", "Compacted Form of XSAVE Area".
 */
static uint32_t xsave_bytes(uint64_t xcr0, bool compacted)
{
	uint32_t size = XSAVE_LEGACY_HDR;

	for (unsigned i = 2; i < 64; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		if (!compacted) {
			size = MAX(size, xcomp[i].offset + xcomp[i].size);
			continue;
		}
		if (xcomp[i].align64)
			size = (size + 63) & ~63u;
		size += xcomp[i].size;
	}
	return size;
}

/* Reads the sizes and offsets of the components guests may use. */
static void xsave_read_components(void)
{
	struct cpuid_regs c;

	memset(xcomp, 0, sizeof(xcomp));
	for (unsigned i = 2; i < 64; i++) {
		if (!(m.xmask & (1ull << i)))
			continue;
		cpu_cpuid(0xd, i, &c);
		xcomp[i].size = c.eax;
		xcomp[i].offset = c.ebx;
		xcomp[i].align64 = c.ecx & 2;
	}
}

/* The guest's current XCR0 (x87 only after reset). */
static uint64_t guest_xcr0(const struct vcpu *v)
{
	return (v ? v->xcr0 : XCR0_X87) & m.xmask;
}

/* The guest's CR4 (its own value in the VMCS for every bit the model has). */
static uint64_t guest_cr4(const struct vcpu *v)
{
	return v ? vmcs_readnat(GUEST_CR4) : 0;
}

/* Leaf 0DH: the XSAVE components of the guests' mask, sizes for the guest's own XCR0. */
static void cpuid_xsave(const struct vcpu *v, uint32_t sub, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	if (!m.xmask)
		return;
	if (sub == 0) {
		r->eax = (uint32_t)m.xmask;
		r->edx = (uint32_t)(m.xmask >> 32);
		r->ebx = xsave_bytes(guest_xcr0(v), false);
		r->ecx = xsave_bytes(m.xmask, false);
	} else if (sub == 1) {
		cpu_cpuid(0xd, 1, r);
		r->eax &= m.d1_eax;
		r->ebx = xsave_bytes(guest_xcr0(v), true);   /* XSAVEC of XCR0 (IA32_XSS is 0) */
		r->ecx = r->edx = 0;
	} else if (sub < 63 && (m.xmask & (1ull << sub))) {
		cpu_cpuid(0xd, sub, r);
	}
}

/* Leaf 0BH: the topology of one thread on one core (x2APIC ID 0). */
static void cpuid_topology(uint32_t sub, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, sub & 0xff, 0 };
	if (sub == 0)
		r->ebx = 1, r->ecx |= 1u << 8;              /* SMT level: 1 thread */
	else if (sub == 1)
		r->ebx = 1, r->ecx |= 2u << 8;              /* core level: 1 core */
}

/* Leaf 7: structured extended features, subleaves 0 and 1. */
static void cpuid_leaf7(const struct vcpu *v, uint32_t sub, struct cpuid_regs *r)
{
	struct cpuid_regs h;

	cpu_cpuid(7, 0, &h);
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	if (sub == 0) {
		*r = h;
		r->eax = MIN(r->eax, 1u);
		r->ebx &= m.l7_ebx;
		r->ecx &= m.l7_ecx;
		r->edx &= m.l7_edx;
		if ((r->ecx & C7C_PKU) && (guest_cr4(v) & CR4_PKE))
			r->ecx |= C7C_OSPKE;
	} else if (sub == 1 && h.eax >= 1) {
		cpu_cpuid(7, 1, r);
		r->eax &= m.l71_eax;
		r->ebx = r->ecx = r->edx = 0;
	}
}

/* Leaf 1: identity, features, one logical processor with APIC ID 0. */
static void cpuid_leaf1(const struct vcpu *v, struct cpuid_regs *r)
{
	cpu_cpuid(1, 0, r);
	r->ebx = (r->ebx & 0x0000ff00u) | (1u << 16);   /* CLFLUSH size; 1 logical processor */
	r->ecx = (r->ecx & m.l1_ecx) | C1_HYPERVISOR;
	r->edx &= m.l1_edx;
	if ((r->ecx & C1_XSAVE) && (guest_cr4(v) & CR4_OSXSAVE))
		r->ecx |= C1_OSXSAVE;
	if (v && v->guest && v->guest->apic.on) {
		/* The guest's local APIC (lapic = on): CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN. */
		r->ecx |= cpumodel_bits[CPUMODEL_X2APIC].mask | cpumodel_bits[CPUMODEL_TSC_DEADLINE].mask;
		if (vlapic_hw_enabled(&v->guest->lapic))
			r->edx |= cpumodel_bits[CPUMODEL_APIC].mask;
	}
}

/* Basic leaves up to m.max_basic. */
static void cpuid_basic(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 0:
		cpu_cpuid(0, 0, r);
		r->eax = m.max_basic;
		if (v && (v->mmsr.misc_enable & MISC_ENABLE_LIMIT_CPUID))
			r->eax = MIN(r->eax, 2u);
		return;
	case 1:
		cpuid_leaf1(v, r);
		return;
	case 0x15:                                      /* TSC and crystal: the LAPIC timer's clock */
		if (v && v->guest && v->guest->apic.on)
			lapic_cpuid_15(v->guest, r);
		else
			cpu_cpuid(leaf, sub, r);
		return;
	case 2: case 0x16:                              /* caches, core frequencies */
		cpu_cpuid(leaf, sub, r);
		return;
	case 4:                                         /* one thread on one core shares each cache */
		cpu_cpuid(4, sub, r);
		r->eax &= 0x3fffu;
		return;
	case 6:                                         /* thermal and power: ARAT only */
		cpu_cpuid(6, 0, r);
		*r = (struct cpuid_regs){ r->eax & m.l6_eax, 0, 0, 0 };
		return;
	case 7:
		cpuid_leaf7(v, sub, r);
		return;
	case 0xb:
		cpuid_topology(sub, r);
		return;
	case 0xd:
		cpuid_xsave(v, sub, r);
		return;
	}
	/* 3 (serial number), 5 (MONITOR), 8, 9 (DCA), 0AH (PMU), 0CH, 0EH-14H (RDT, SGX, PT): none. */
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
}

/* Extended leaves 80000000H up to m.max_ext. */
static void cpuid_extended(uint32_t leaf, struct cpuid_regs *r)
{
	cpu_cpuid(leaf, 0, r);
	switch (leaf) {
	case 0x80000000u:
		*r = (struct cpuid_regs){ m.max_ext, 0, 0, 0 };
		return;
	case 0x80000001u:
		*r = (struct cpuid_regs){ r->eax, 0, r->ecx & m.x1_ecx, r->edx & m.x1_edx };
		return;
	case 0x80000002u: case 0x80000003u: case 0x80000004u:   /* brand string */
	case 0x80000006u:                                        /* L2 cache */
		return;
	case 0x80000007u:
		*r = (struct cpuid_regs){ 0, 0, 0, r->edx & CX7D_INVARIANT_TSC };
		return;
	case 0x80000008u:                               /* physical and linear address sizes */
		*r = (struct cpuid_regs){ (r->eax & 0xff) | MIN((r->eax >> 8) & 0xff, LINEAR_BITS) << 8, 0, 0, 0 };
		return;
	}
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
}

/* The hv's own leaves (include/hypercall.h). */
static void cpuid_hv(uint32_t leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	if (leaf == HV_CPUID_LEAF_BASE) {
		const char *sig = HV_CPUID_SIGNATURE;
		r->eax = HV_CPUID_LEAF_VERSION;
		memcpy(&r->ebx, sig, 4);
		memcpy(&r->ecx, sig + 4, 4);
		memcpy(&r->edx, sig + 8, 4);
	} else if (leaf == HV_CPUID_LEAF_VERSION) {
		r->eax = HC_ABI_VERSION;
	}
}

void cpumodel_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	if ((leaf & 0xf0000000u) == HV_CPUID_LEAF_BASE) {
		cpuid_hv(leaf, r);
		return;
	}
	if (leaf >= 0x80000000u && leaf <= m.max_ext) {
		cpuid_extended(leaf, r);
		return;
	}
	/* SDM "CPUID": an input above the maximum gives the highest basic leaf's data. */
	if (leaf > m.max_basic)
		leaf = m.max_basic;
	cpuid_basic(v, leaf, sub, r);
}

/* Returns true if the static model's CPUID shows feature f (computed once, at init). */
static bool cpumodel_shows(enum cpumodel_feature f)
{
	const struct cpumodel_bit *b = cpumodel_feature_bit(f);
	struct cpuid_regs r;

	if (!b)
		return f == CPUMODEL_ALWAYS;
	if (b->leaf >= 0x80000000u ? b->leaf > m.max_ext : b->leaf > m.max_basic)
		return false;
	cpumodel_cpuid(NULL, b->leaf, b->sub, &r);
	return (*reg_of(&r, b->reg) & b->mask) != 0;
}

bool cpumodel_has(enum cpumodel_feature f)
{
	return f < CPUMODEL_NFEATURES && m.shown[f];
}

bool cpumodel_vcpu_has(const struct vcpu *v, enum cpumodel_feature f)
{
	if (f == CPUMODEL_APIC || f == CPUMODEL_X2APIC || f == CPUMODEL_TSC_DEADLINE)
		return v && v->guest && v->guest->apic.on;
	return cpumodel_has(f);
}

uint64_t cpumodel_cr4_allowed(void) { return m.cr4; }
unsigned cpumodel_maxphyaddr(void) { return hv.maxphyaddr; }
uint64_t cpumodel_arch_capabilities(void) { return m.arch_cap; }

/* Drops from the allow-lists what the XSAVE components guests may use cannot back. */
static void cpumodel_fit_xsave(void)
{
	if (!xstate_has_xsave() || !(vmx_cr4_fixed1() & CR4_OSXSAVE)) {
		m.l1_ecx &= ~C1_XSAVE;
		m.xmask = 0;
	} else {
		m.xmask = xstate_guest_mask();
	}
	if (!(m.xmask & XCR0_AVX)) {
		m.l1_ecx &= ~(C1_AVX | C1_FMA | C1_F16C);
		m.l7_ebx &= ~C7B_AVX2;
		m.l7_ecx &= ~(C7C_VAES | C7C_VPCLMULQDQ);
		m.l71_eax &= ~C71A_AVX_VNNI;
	}
	if ((m.xmask & XCR0_AVX512_ALL) != XCR0_AVX512_ALL) {
		m.l7_ebx &= ~C7B_AVX512;
		m.l7_ecx &= ~C7C_AVX512;
		m.l7_edx &= ~C7D_AVX512;
		m.l71_eax &= ~C71A_AVX512_BF16;
	}
	if (!(m.xmask & XCR0_PKRU))
		m.l7_ecx &= ~C7C_PKU;
}

/* Drops what the VMX controls and the CR4 bits VMX allows cannot back. */
static void cpumodel_fit_vmx(void)
{
	/* Features a CR4 bit enables: hidden if VMX fixes that bit to 0 in non-root operation. */
	static const struct { uint64_t cr4; uint32_t *allow, bits; } cr4_needs[] = {
		{ CR4_FSGSBASE, &m.l7_ebx, C7B_FSGSBASE }, { CR4_PCIDE, &m.l1_ecx, C1_PCID },
		{ CR4_SMEP, &m.l7_ebx, C7B_SMEP }, { CR4_SMAP, &m.l7_ebx, C7B_SMAP },
		{ CR4_UMIP, &m.l7_ecx, C7C_UMIP }, { CR4_PKE, &m.l7_ecx, C7C_PKU },
	};
	uint32_t proc2 = vmx_controls()->proc2;

	if (!(proc2 & PROC2_ENABLE_RDTSCP)) {
		m.x1_edx &= ~CX1D_RDTSCP;
		m.l7_ecx &= ~C7C_RDPID;
	}
	if (!(proc2 & PROC2_ENABLE_INVPCID))
		m.l7_ebx &= ~C7B_INVPCID;
	for (unsigned i = 0; i < ARRAY_SIZE(cr4_needs); i++)
		if (!(vmx_cr4_fixed1() & cr4_needs[i].cr4))
			*cr4_needs[i].allow &= ~cr4_needs[i].bits;
}

/* The CR4 bits of the features shown (SDM "Control Registers"), as VMX allows them. */
static uint64_t cpumodel_cr4_bits(void)
{
	uint64_t cr4 = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE |
		       CR4_OSFXSR | CR4_OSXMMEXCPT;

	cr4 |= cpumodel_has(CPUMODEL_UMIP) ? CR4_UMIP : 0;
	cr4 |= cpumodel_has(CPUMODEL_FSGSBASE) ? CR4_FSGSBASE : 0;
	cr4 |= cpumodel_has(CPUMODEL_PCID) ? CR4_PCIDE : 0;
	cr4 |= cpumodel_has(CPUMODEL_XSAVE) ? CR4_OSXSAVE : 0;
	cr4 |= cpumodel_has(CPUMODEL_SMEP) ? CR4_SMEP : 0;
	cr4 |= cpumodel_has(CPUMODEL_SMAP) ? CR4_SMAP : 0;
	cr4 |= cpumodel_has(CPUMODEL_PKU) ? CR4_PKE : 0;
	return cr4 & vmx_cr4_fixed1();
}

/* Logs the model's outline: what a user needs to know about what guests see. */
static void cpumodel_log(void)
{
	log_printf("hv: guest CPU model: max leaf 0x%x/0x%x, XCR0 0x%lx, CR4 0x%lx, RDTSCP %s, INVPCID %s, "
		   "AVX-512 %s, PKU %s, speculation controls %s%s%s, XSAVES, PMU, MCA hidden, "
		   "APIC/x2APIC/TSC-deadline per guest (lapic)\n",
		   m.max_basic, m.max_ext, m.xmask, m.cr4, cpumodel_has(CPUMODEL_RDTSCP) ? "yes" : "no",
		   cpumodel_has(CPUMODEL_INVPCID) ? "yes" : "no", cpumodel_has(CPUMODEL_AVX512F) ? "yes" : "no",
		   cpumodel_has(CPUMODEL_PKU) ? "yes" : "no", cpumodel_has(CPUMODEL_IBRS_IBPB) ? "IBRS/IBPB" : "none",
		   cpumodel_has(CPUMODEL_L1D_FLUSH) ? " L1D_FLUSH" : "",
		   cpumodel_has(CPUMODEL_ARCH_CAPABILITIES) ? " ARCH_CAPABILITIES" : "");
}

void cpumodel_init(void)
{
	struct cpuid_regs r;

	cpu_cpuid(0, 0, &r);
	m.max_basic = MIN(r.eax, MAX_BASIC);
	cpu_cpuid(0x80000000u, 0, &r);
	m.max_ext = MIN(MAX(r.eax, 0x80000000u), MAX_EXT);
	m.l1_ecx = C1_ECX_ALLOW, m.l1_edx = C1_EDX_ALLOW, m.l6_eax = C6A_ARAT;
	m.l7_ebx = C7B_ALLOW, m.l7_ecx = C7C_ALLOW, m.l7_edx = C7D_ALLOW, m.l71_eax = C71A_ALLOW;
	m.d1_eax = CD1A_ALLOW, m.x1_ecx = CX1C_ALLOW, m.x1_edx = CX1D_ALLOW;
	cpumodel_fit_xsave();
	xsave_read_components();
	cpumodel_fit_vmx();
	/* IA32_SPEC_CTRL exists with IBRS/IBPB: STIBP and SSBD are its other bits. */
	cpu_cpuid(7, 0, &r);
	if (m.max_basic < 7 || !(r.edx & C7D_IBRS_IBPB))
		m.l7_edx &= ~(C7D_STIBP | C7D_SSBD);
	for (unsigned f = 0; f < CPUMODEL_NFEATURES; f++)
		m.shown[f] = cpumodel_shows(f);
	m.arch_cap = 0;
	if (cpumodel_has(CPUMODEL_ARCH_CAPABILITIES))
		m.arch_cap = cpu_rdmsr(MSR_IA32_ARCH_CAPABILITIES) & ARCH_CAP_ALLOW;
	m.cr4 = cpumodel_cr4_bits();
	cpumodel_log();
	msr_policy_init();
}

/* CPUID: the model's answer for the guest's EAX/ECX, zero-extended into RAX-RDX. */
enum exit_action exit_cpuid(struct vcpu *v, struct exit_info *x)
{
	struct guest_regs *r = &v->regs;
	struct cpuid_regs c;

	cpumodel_cpuid(v, (uint32_t)r->rax, (uint32_t)r->rcx, &c);
	r->rax = c.eax, r->rbx = c.ebx, r->rcx = c.ecx, r->rdx = c.edx;
	exit_skip_insn(v);
	return EXIT_RESUME;
}
