/*
 * The VM-entry checks of the SDM (chapter "VM Entries"), in its order:
 * "Checks on VMX Controls" (execution, exit, entry controls and event
 * injection), "Checks on Host Control Registers and MSRs", "Checks on
 * Host Segment and Descriptor-Table Registers", "Checks Related to
 * Address-Space Size", then "Checks on the Guest-State Area" (control
 * registers and MSRs, segment registers, descriptor tables, RIP and
 * RFLAGS, non-register state, PDPTEs). Each rule is one test with its
 * words; the first broken one is returned.
 *
 * Not checked (the hv never turns these features on): posted interrupts,
 * PML, VM functions, VMCS shadowing, EPT-violation #VE, sub-page
 * permissions, SMM, MSR-load/store areas beyond their counts, CET, PKRS.
 */
#include "lib.h"
#include "vmcheck.h"
#include "vmcs.h"

#define AR_TYPE(ar)      ((ar) & 0xf)
#define AR_S             (1u << 4)
#define AR_DPL(ar)       (((ar) >> 5) & 3)
#define AR_P             (1u << 7)
#define AR_L             (1u << 13)
#define AR_DB            (1u << 14)
#define AR_G             (1u << 15)
#define AR_UNUSABLE      (1u << 16)
#define AR_RESERVED      (0xf00u | 0xfffe0000u)

#define CR0_PE_BIT       (1ull << 0)
#define CR0_WP_BIT       (1ull << 16)
#define CR0_PG_BIT       (1ull << 31)
#define CR4_PAE_BIT      (1ull << 5)
#define CR4_PCIDE_BIT    (1ull << 17)
#define EFER_LME_BIT     (1ull << 8)
#define EFER_LMA_BIT     (1ull << 10)
#define EFER_RESERVED    (~0xd01ull)      /* SCE, LME, LMA, NXE are the only bits */
#define RFLAGS_RESERVED  (0xffffffffffc08028ull)
#define RFLAGS_BIT1      (1ull << 1)
#define RFLAGS_TF_BIT    (1ull << 8)
#define RFLAGS_IF_BIT    (1ull << 9)
#define RFLAGS_VM_BIT    (1ull << 17)

#define INTR_VALID       (1u << 31)
#define INTR_TYPE(i)     (((i) >> 8) & 7)
#define INTR_DELIVER_ERR (1u << 11)

#define VMX_MISC_CR3_TARGETS(m)   (((m) >> 16) & 0x1ff)
#define VMX_MISC_ZERO_LEN_INJECT  (1ull << 30)
#define EPT_CAP_UC                (1ull << 8)
#define EPT_CAP_AD                (1ull << 21)
#define EPT_CAP_WALK_5            (1ull << 7)

/* The state the checks share: the callback and what was read so far. */
struct vc {
	const struct vmcheck_cpu *cpu;
	vmcheck_read_fn rd;
	void *ctx;
	uint32_t pin, proc, proc2, exit, entry;
	bool unrestricted, ia32e;
};

#define FAIL(kind_, text) return (struct vmcheck_result){ (kind_), (text) }
#define CHECK(kind_, cond, text) do { if (!(cond)) FAIL(kind_, text); } while (0)
#define OK() return (struct vmcheck_result){ VMCHECK_OK, NULL }
#define PASS_ON(r) do { struct vmcheck_result r_ = (r); if (r_.kind != VMCHECK_OK) return r_; } while (0)

static uint64_t rd(const struct vc *c, uint32_t field)
{
	return c->rd(c->ctx, field);
}

bool vmcheck_canonical(uint64_t addr, unsigned bits)
{
	int64_t s = (int64_t)(addr << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == addr;
}

bool vmcheck_pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* Returns true if word is allowed by a capability MSR (low half: must-be-1, high: may-be-1). */
static bool vc_allowed(uint32_t word, uint64_t cap)
{
	return (word & (uint32_t)cap) == (uint32_t)cap && !(word & ~(uint32_t)(cap >> 32));
}

/* Returns true if addr is aligned to align and within the physical-address width. */
static bool vc_phys_ok(const struct vc *c, uint64_t addr, uint64_t align)
{
	return !(addr & (align - 1)) && !(addr >> c->cpu->maxphyaddr);
}

static struct vmcheck_result vc_exec_controls(struct vc *c)
{
	const struct vmx_caps *k = c->cpu->caps;

	CHECK(VMCHECK_CONTROLS, vc_allowed(c->pin, k->pin),
	      "pin-based controls: reserved bits not set as IA32_VMX_(TRUE_)PINBASED_CTLS requires");
	CHECK(VMCHECK_CONTROLS, vc_allowed(c->proc, k->proc),
	      "primary processor-based controls: reserved bits not set as the capability MSR requires");
	if (c->proc & PROC_SECONDARY_CONTROLS)
		CHECK(VMCHECK_CONTROLS, vc_allowed(c->proc2, k->proc2),
		      "secondary processor-based controls: a bit set that IA32_VMX_PROCBASED_CTLS2 does not allow");
	CHECK(VMCHECK_CONTROLS, rd(c, CR3_TARGET_COUNT) <= VMX_MISC_CR3_TARGETS(k->misc),
	      "CR3-target count above the number IA32_VMX_MISC allows");
	if (c->proc & PROC_USE_IO_BITMAPS)
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, IO_BITMAP_A), 4096) &&
		      vc_phys_ok(c, rd(c, IO_BITMAP_B), 4096),
		      "I/O-bitmap addresses not 4-KByte aligned or beyond the physical-address width");
	if (c->proc & PROC_USE_MSR_BITMAPS)
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, MSR_BITMAP), 4096),
		      "MSR-bitmap address not 4-KByte aligned or beyond the physical-address width");
	if (c->proc & PROC_USE_TPR_SHADOW) {
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, VIRTUAL_APIC_PAGE_ADDR), 4096),
		      "virtual-APIC address not 4-KByte aligned or beyond the physical-address width");
		if (!(c->proc2 & PROC2_VIRTUAL_INTR_DELIVERY))
			CHECK(VMCHECK_CONTROLS, !(rd(c, TPR_THRESHOLD) & ~0xfull),
			      "TPR threshold bits 31:4 not 0");
	} else {
		CHECK(VMCHECK_CONTROLS, !(c->proc2 & (PROC2_VIRTUALIZE_X2APIC | PROC2_APIC_REGISTER_VIRT |
						       PROC2_VIRTUAL_INTR_DELIVERY)),
		      "x2APIC mode, APIC-register virtualization or virtual-interrupt delivery without TPR shadow");
	}
	if (!(c->pin & PIN_NMI_EXITING))
		CHECK(VMCHECK_CONTROLS, !(c->pin & PIN_VIRTUAL_NMIS), "virtual NMIs without NMI exiting");
	if (!(c->pin & PIN_VIRTUAL_NMIS))
		CHECK(VMCHECK_CONTROLS, !(c->proc & PROC_NMI_WINDOW_EXITING),
		      "NMI-window exiting without virtual NMIs");
	if (c->proc2 & PROC2_VIRTUALIZE_APIC)
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, APIC_ACCESS_ADDR), 4096),
		      "APIC-access address not 4-KByte aligned or beyond the physical-address width");
	if (c->proc2 & PROC2_VIRTUALIZE_X2APIC)
		CHECK(VMCHECK_CONTROLS, !(c->proc2 & PROC2_VIRTUALIZE_APIC),
		      "virtualize x2APIC mode together with virtualize APIC accesses");
	if (c->proc2 & PROC2_VIRTUAL_INTR_DELIVERY)
		CHECK(VMCHECK_CONTROLS, c->pin & PIN_EXTINT_EXITING,
		      "virtual-interrupt delivery without external-interrupt exiting");
	if (c->proc2 & PROC2_ENABLE_VPID)
		CHECK(VMCHECK_CONTROLS, rd(c, VIRTUAL_PROCESSOR_ID) != 0, "VPID enabled with VPID 0");
	if (c->proc2 & PROC2_ENABLE_EPT) {
		uint64_t eptp = rd(c, EPT_POINTER), mt = eptp & 7, walk = (eptp >> 3) & 7;
		CHECK(VMCHECK_CONTROLS, (mt == 6 && (k->ept_vpid & EPT_CAP_WB)) ||
		      (mt == 0 && (k->ept_vpid & EPT_CAP_UC)),
		      "EPTP memory type not one IA32_VMX_EPT_VPID_CAP supports (UC or WB)");
		CHECK(VMCHECK_CONTROLS, (walk == 3 && (k->ept_vpid & EPT_CAP_WALK_4)) ||
		      (walk == 4 && (k->ept_vpid & EPT_CAP_WALK_5)),
		      "EPTP page-walk length not one the CPU supports");
		CHECK(VMCHECK_CONTROLS, !(eptp & (1u << 6)) || (k->ept_vpid & EPT_CAP_AD),
		      "EPTP accessed/dirty flags enabled without support");
		CHECK(VMCHECK_CONTROLS, !(eptp & 0xf80) && !(eptp >> c->cpu->maxphyaddr),
		      "EPTP reserved bits (11:7 or beyond the physical-address width) not 0");
	}
	if (c->proc2 & PROC2_UNRESTRICTED_GUEST)
		CHECK(VMCHECK_CONTROLS, c->proc2 & PROC2_ENABLE_EPT, "unrestricted guest without EPT");
	OK();
}

static struct vmcheck_result vc_exit_entry_controls(struct vc *c)
{
	const struct vmx_caps *k = c->cpu->caps;

	CHECK(VMCHECK_CONTROLS, vc_allowed(c->exit, k->exit),
	      "VM-exit controls: reserved bits not set as the capability MSR requires");
	if (!(c->pin & PIN_PREEMPTION_TIMER))
		CHECK(VMCHECK_CONTROLS, !(c->exit & EXIT_SAVE_PREEMPT_TIMER),
		      "save VMX-preemption timer value without activating the timer");
	if (rd(c, VM_EXIT_MSR_STORE_COUNT))
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, VM_EXIT_MSR_STORE_ADDR), 16),
		      "VM-exit MSR-store address not 16-byte aligned or beyond the physical-address width");
	if (rd(c, VM_EXIT_MSR_LOAD_COUNT))
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, VM_EXIT_MSR_LOAD_ADDR), 16),
		      "VM-exit MSR-load address not 16-byte aligned or beyond the physical-address width");
	CHECK(VMCHECK_CONTROLS, vc_allowed(c->entry, k->entry),
	      "VM-entry controls: reserved bits not set as the capability MSR requires");
	CHECK(VMCHECK_CONTROLS, !(c->entry & (ENTRY_SMM | ENTRY_DUAL_MONITOR)),
	      "entry to SMM or deactivate dual-monitor treatment outside SMM");
	if (rd(c, VM_ENTRY_MSR_LOAD_COUNT))
		CHECK(VMCHECK_CONTROLS, vc_phys_ok(c, rd(c, VM_ENTRY_MSR_LOAD_ADDR), 16),
		      "VM-entry MSR-load address not 16-byte aligned or beyond the physical-address width");
	OK();
}

/* Returns true for the exceptions that push an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
static bool vc_has_error_code(unsigned vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

static struct vmcheck_result vc_event_injection(struct vc *c)
{
	uint32_t info = (uint32_t)rd(c, VM_ENTRY_INTR_INFO);
	unsigned type = INTR_TYPE(info), vector = info & 0xff;
	bool pe = rd(c, GUEST_CR0) & CR0_PE_BIT;

	if (!(info & INTR_VALID))
		OK();
	CHECK(VMCHECK_CONTROLS, type != 1 && (type != 7 || (c->cpu->caps->proc >> 32) & PROC_MONITOR_TRAP_FLAG),
	      "event injection: reserved interruption type");
	CHECK(VMCHECK_CONTROLS, type != 2 || vector == 2, "event injection: NMI with a vector other than 2");
	CHECK(VMCHECK_CONTROLS, type != 3 || vector <= 31, "event injection: hardware exception vector above 31");
	CHECK(VMCHECK_CONTROLS, type != 7 || vector == 0, "event injection: other event with a vector other than 0");
	CHECK(VMCHECK_CONTROLS, !!(info & INTR_DELIVER_ERR) ==
	      ((!c->unrestricted || pe) && type == 3 && vc_has_error_code(vector)),
	      "event injection: deliver-error-code bit set other than for an exception with an error "
	      "code in protected mode (no error code while CR0.PE = 0 with unrestricted guest)");
	CHECK(VMCHECK_CONTROLS, !(info & 0x7ffff000u), "event injection: reserved bits 30:12 not 0");
	if (info & INTR_DELIVER_ERR)
		CHECK(VMCHECK_CONTROLS, !(rd(c, VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff8000u),
		      "event injection: error code bits 31:15 not 0");
	if (type == 4 || type == 5 || type == 6) {
		uint64_t len = rd(c, VM_ENTRY_INSTRUCTION_LEN);
		CHECK(VMCHECK_CONTROLS, len <= 15 && (len >= 1 || (c->cpu->caps->misc & VMX_MISC_ZERO_LEN_INJECT)),
		      "event injection: software event with an instruction length outside 1-15");
	}
	OK();
}

/* "Checks on Host Control Registers and MSRs". */
static struct vmcheck_result vc_host_regs(struct vc *c)
{
	const struct vmx_caps *k = c->cpu->caps;
	uint64_t cr0 = rd(c, HOST_CR0), cr4 = rd(c, HOST_CR4);
	bool host64 = c->exit & EXIT_HOST_ADDR_SPACE_SIZE;
	unsigned la = c->cpu->linear_width;

	CHECK(VMCHECK_HOST, (cr0 & k->cr0_fixed0) == k->cr0_fixed0 && !(cr0 & ~k->cr0_fixed1),
	      "host CR0 not within IA32_VMX_CR0_FIXED0/FIXED1");
	CHECK(VMCHECK_HOST, (cr4 & k->cr4_fixed0) == k->cr4_fixed0 && !(cr4 & ~k->cr4_fixed1),
	      "host CR4 not within IA32_VMX_CR4_FIXED0/FIXED1");
	CHECK(VMCHECK_HOST, !(rd(c, HOST_CR3) >> c->cpu->maxphyaddr),
	      "host CR3 bits beyond the physical-address width not 0");
	CHECK(VMCHECK_HOST, vmcheck_canonical(rd(c, HOST_IA32_SYSENTER_ESP), la) &&
	      vmcheck_canonical(rd(c, HOST_IA32_SYSENTER_EIP), la),
	      "host IA32_SYSENTER_ESP/EIP not canonical");
	if (c->exit & EXIT_LOAD_PAT)
		CHECK(VMCHECK_HOST, vmcheck_pat_valid(rd(c, HOST_IA32_PAT)), "host IA32_PAT with a reserved memory type");
	if (c->exit & EXIT_LOAD_EFER) {
		uint64_t efer = rd(c, HOST_IA32_EFER);
		CHECK(VMCHECK_HOST, !(efer & EFER_RESERVED), "host IA32_EFER reserved bits not 0");
		CHECK(VMCHECK_HOST, !!(efer & EFER_LMA_BIT) == host64 && !!(efer & EFER_LME_BIT) == host64,
		      "host IA32_EFER.LMA/LME not equal to the host address-space size control");
	}
	OK();
}

/* "Checks on Host Segment and Descriptor-Table Registers" and "Checks Related to Address-Space Size". */
static struct vmcheck_result vc_host_segs(struct vc *c)
{
	static const uint32_t sel[] = { HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR,
					HOST_DS_SELECTOR, HOST_FS_SELECTOR, HOST_GS_SELECTOR, HOST_TR_SELECTOR };
	bool host64 = c->exit & EXIT_HOST_ADDR_SPACE_SIZE;
	unsigned la = c->cpu->linear_width;

	for (unsigned i = 0; i < ARRAY_SIZE(sel); i++)
		CHECK(VMCHECK_HOST, !(rd(c, sel[i]) & 7), "host selector with RPL or TI not 0");
	CHECK(VMCHECK_HOST, rd(c, HOST_CS_SELECTOR) != 0, "host CS selector 0");
	CHECK(VMCHECK_HOST, rd(c, HOST_TR_SELECTOR) != 0, "host TR selector 0");
	CHECK(VMCHECK_HOST, host64 || rd(c, HOST_SS_SELECTOR) != 0,
	      "host SS selector 0 without a 64-bit host address space");
	CHECK(VMCHECK_HOST, vmcheck_canonical(rd(c, HOST_FS_BASE), la) &&
	      vmcheck_canonical(rd(c, HOST_GS_BASE), la) && vmcheck_canonical(rd(c, HOST_GDTR_BASE), la) &&
	      vmcheck_canonical(rd(c, HOST_IDTR_BASE), la) && vmcheck_canonical(rd(c, HOST_TR_BASE), la),
	      "host FS/GS/GDTR/IDTR/TR base not canonical");
	/* The hv runs in 64-bit mode: IA32_EFER.LMA = 1 at VM entry. */
	CHECK(VMCHECK_HOST, host64, "host address-space size 0 while in IA-32e mode");
	CHECK(VMCHECK_HOST, rd(c, HOST_CR4) & CR4_PAE_BIT, "64-bit host with CR4.PAE 0");
	CHECK(VMCHECK_HOST, vmcheck_canonical(rd(c, HOST_RIP), la), "host RIP not canonical");
	OK();
}

/* "Checks on Guest Control Registers, Debug Registers, and MSRs". */
static struct vmcheck_result vc_guest_regs(struct vc *c)
{
	const struct vmx_caps *k = c->cpu->caps;
	uint64_t cr0 = rd(c, GUEST_CR0), cr4 = rd(c, GUEST_CR4);
	uint64_t fixed0 = k->cr0_fixed0 & ~(c->unrestricted ? (CR0_PE_BIT | CR0_PG_BIT) : 0);
	unsigned la = c->cpu->linear_width;

	CHECK(VMCHECK_GUEST, (cr0 & fixed0) == fixed0 && !(cr0 & ~k->cr0_fixed1),
	      "guest CR0 not within IA32_VMX_CR0_FIXED0/FIXED1");
	CHECK(VMCHECK_GUEST, !(cr0 & CR0_PG_BIT) || (cr0 & CR0_PE_BIT), "guest CR0.PG = 1 with CR0.PE = 0");
	CHECK(VMCHECK_GUEST, (cr4 & k->cr4_fixed0) == k->cr4_fixed0 && !(cr4 & ~k->cr4_fixed1),
	      "guest CR4 not within IA32_VMX_CR4_FIXED0/FIXED1");
	if (c->entry & ENTRY_LOAD_DEBUG_CONTROLS) {
		CHECK(VMCHECK_GUEST, !(rd(c, GUEST_IA32_DEBUGCTL) & ~0xffc3ull),
		      "guest IA32_DEBUGCTL reserved bits (5:2, 63:16) not 0");
		CHECK(VMCHECK_GUEST, !(rd(c, GUEST_DR7) >> 32), "guest DR7 bits 63:32 not 0");
	}
	if (c->ia32e)
		CHECK(VMCHECK_GUEST, (cr0 & CR0_PG_BIT) && (cr4 & CR4_PAE_BIT),
		      "IA-32e mode guest with CR0.PG or CR4.PAE 0");
	else
		CHECK(VMCHECK_GUEST, !(cr4 & CR4_PCIDE_BIT), "guest CR4.PCIDE = 1 outside IA-32e mode");
	CHECK(VMCHECK_GUEST, !(rd(c, GUEST_CR3) >> c->cpu->maxphyaddr),
	      "guest CR3 bits beyond the physical-address width not 0");
	CHECK(VMCHECK_GUEST, vmcheck_canonical(rd(c, GUEST_SYSENTER_ESP), la) &&
	      vmcheck_canonical(rd(c, GUEST_SYSENTER_EIP), la), "guest IA32_SYSENTER_ESP/EIP not canonical");
	if (c->entry & ENTRY_LOAD_PAT)
		CHECK(VMCHECK_GUEST, vmcheck_pat_valid(rd(c, GUEST_IA32_PAT)),
		      "guest IA32_PAT with a reserved memory type");
	if (c->entry & ENTRY_LOAD_EFER) {
		uint64_t efer = rd(c, GUEST_IA32_EFER);
		CHECK(VMCHECK_GUEST, !(efer & EFER_RESERVED), "guest IA32_EFER reserved bits not 0");
		CHECK(VMCHECK_GUEST, !!(efer & EFER_LMA_BIT) == c->ia32e,
		      "guest IA32_EFER.LMA not equal to the IA-32e mode guest control");
		CHECK(VMCHECK_GUEST, !(cr0 & CR0_PG_BIT) || !!(efer & EFER_LME_BIT) == !!(efer & EFER_LMA_BIT),
		      "guest IA32_EFER.LME not equal to LMA with paging on");
	}
	OK();
}

/* Returns true if limit and G agree (SDM: G = 0 if any of limit 11:0 is 0; G = 1 if any of 31:20 is 1). */
static bool vc_limit_g(uint32_t limit, uint32_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit & 0xfff00000u) && !(ar & AR_G))
		return false;
	return true;
}

/* One data segment (SS, DS, ES, FS, GS) if usable. */
static struct vmcheck_result vc_data_seg(struct vc *c, unsigned idx, bool is_ss)
{
	uint32_t ar = (uint32_t)rd(c, GUEST_ES_AR_BYTES + 2 * idx);
	uint32_t limit = (uint32_t)rd(c, GUEST_ES_LIMIT + 2 * idx);
	uint16_t sel = (uint16_t)rd(c, GUEST_ES_SELECTOR + 2 * idx);

	if (ar & AR_UNUSABLE)
		OK();
	if (is_ss)
		CHECK(VMCHECK_GUEST, AR_TYPE(ar) == 3 || AR_TYPE(ar) == 7,
		      "guest SS type not read/write accessed data (3 or 7)");
	else
		CHECK(VMCHECK_GUEST, (ar & 1) && (!(ar & 8) || (ar & 2)),
		      "guest DS/ES/FS/GS type not accessed, or code not readable");
	CHECK(VMCHECK_GUEST, ar & AR_S, "guest data segment with S = 0 (system)");
	if (!is_ss && !c->unrestricted && AR_TYPE(ar) <= 11)
		CHECK(VMCHECK_GUEST, AR_DPL(ar) >= (sel & 3u), "guest DS/ES/FS/GS DPL below its RPL");
	CHECK(VMCHECK_GUEST, ar & AR_P, "guest data segment not present");
	CHECK(VMCHECK_GUEST, !(ar & AR_RESERVED), "guest segment access-rights reserved bits not 0");
	CHECK(VMCHECK_GUEST, vc_limit_g(limit, ar), "guest segment limit and G bit disagree");
	OK();
}

/* "Checks on Guest Segment Registers" (not virtual-8086 mode: the hv never enters it). */
static struct vmcheck_result vc_guest_segs(struct vc *c)
{
	uint32_t cs_ar = (uint32_t)rd(c, GUEST_CS_AR_BYTES), ss_ar = (uint32_t)rd(c, GUEST_SS_AR_BYTES);
	uint32_t tr_ar = (uint32_t)rd(c, GUEST_TR_AR_BYTES), ldtr_ar = (uint32_t)rd(c, GUEST_LDTR_AR_BYTES);
	uint16_t cs_sel = (uint16_t)rd(c, GUEST_CS_SELECTOR), ss_sel = (uint16_t)rd(c, GUEST_SS_SELECTOR);
	bool pe = rd(c, GUEST_CR0) & CR0_PE_BIT;
	unsigned la = c->cpu->linear_width, cs_type = AR_TYPE(cs_ar);

	CHECK(VMCHECK_GUEST, !(rd(c, GUEST_RFLAGS) & RFLAGS_VM_BIT) || !c->ia32e,
	      "guest RFLAGS.VM = 1 in IA-32e mode");
	CHECK(VMCHECK_GUEST, !(rd(c, GUEST_TR_SELECTOR) & 4), "guest TR selector TI not 0");
	if (!(ldtr_ar & AR_UNUSABLE))
		CHECK(VMCHECK_GUEST, !(rd(c, GUEST_LDTR_SELECTOR) & 4), "guest LDTR selector TI not 0");
	if (!c->unrestricted)
		CHECK(VMCHECK_GUEST, (ss_sel & 3) == (cs_sel & 3), "guest SS.RPL not equal to CS.RPL");
	CHECK(VMCHECK_GUEST, vmcheck_canonical(rd(c, GUEST_TR_BASE), la) &&
	      vmcheck_canonical(rd(c, GUEST_FS_BASE), la) && vmcheck_canonical(rd(c, GUEST_GS_BASE), la),
	      "guest TR/FS/GS base not canonical");
	if (!(ldtr_ar & AR_UNUSABLE))
		CHECK(VMCHECK_GUEST, vmcheck_canonical(rd(c, GUEST_LDTR_BASE), la), "guest LDTR base not canonical");
	CHECK(VMCHECK_GUEST, !(rd(c, GUEST_CS_BASE) >> 32), "guest CS base bits 63:32 not 0");
	for (unsigned idx = 0; idx < 4; idx++)      /* ES, CS, SS, DS */
		if (idx != 1 && !((uint32_t)rd(c, GUEST_ES_AR_BYTES + 2 * idx) & AR_UNUSABLE))
			CHECK(VMCHECK_GUEST, !(rd(c, GUEST_ES_BASE + 2 * idx) >> 32),
			      "guest SS/DS/ES base bits 63:32 not 0");
	/* CS */
	CHECK(VMCHECK_GUEST, cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
	      (c->unrestricted && cs_type == 3), "guest CS type not accessed code (or 3 with unrestricted guest)");
	CHECK(VMCHECK_GUEST, cs_ar & AR_S, "guest CS with S = 0");
	if (cs_type == 3)
		CHECK(VMCHECK_GUEST, AR_DPL(cs_ar) == 0, "guest CS of type 3 with DPL not 0");
	else if (cs_type == 9 || cs_type == 11)
		CHECK(VMCHECK_GUEST, AR_DPL(cs_ar) == AR_DPL(ss_ar), "guest non-conforming CS DPL not equal to SS.DPL");
	else
		CHECK(VMCHECK_GUEST, AR_DPL(cs_ar) <= AR_DPL(ss_ar), "guest conforming CS DPL above SS.DPL");
	CHECK(VMCHECK_GUEST, cs_ar & AR_P, "guest CS not present");
	CHECK(VMCHECK_GUEST, !(cs_ar & AR_RESERVED) && !(cs_ar & AR_UNUSABLE),
	      "guest CS access-rights reserved bits not 0 (or CS unusable)");
	CHECK(VMCHECK_GUEST, c->ia32e || !(cs_ar & AR_L), "guest CS.L = 1 outside IA-32e mode");
	if (c->ia32e && (cs_ar & AR_L))
		CHECK(VMCHECK_GUEST, !(cs_ar & AR_DB), "guest CS.L = 1 and CS.D = 1");
	CHECK(VMCHECK_GUEST, vc_limit_g((uint32_t)rd(c, GUEST_CS_LIMIT), cs_ar), "guest CS limit and G bit disagree");
	/* SS DPL */
	if (!c->unrestricted)
		CHECK(VMCHECK_GUEST, AR_DPL(ss_ar) == (ss_sel & 3u), "guest SS.DPL not equal to its RPL");
	if (cs_type == 3 || !pe)
		CHECK(VMCHECK_GUEST, AR_DPL(ss_ar) == 0, "guest SS.DPL not 0 in real mode or with CS type 3");
	PASS_ON(vc_data_seg(c, 2, true));
	PASS_ON(vc_data_seg(c, 0, false));
	PASS_ON(vc_data_seg(c, 3, false));
	PASS_ON(vc_data_seg(c, 4, false));
	PASS_ON(vc_data_seg(c, 5, false));
	/* TR */
	CHECK(VMCHECK_GUEST, AR_TYPE(tr_ar) == 11 || (!c->ia32e && AR_TYPE(tr_ar) == 3),
	      "guest TR type not a busy TSS (11, or 3 outside IA-32e mode)");
	CHECK(VMCHECK_GUEST, !(tr_ar & AR_S) && (tr_ar & AR_P) && !(tr_ar & AR_RESERVED) && !(tr_ar & AR_UNUSABLE),
	      "guest TR: S not 0, not present, unusable or reserved bits set");
	CHECK(VMCHECK_GUEST, vc_limit_g((uint32_t)rd(c, GUEST_TR_LIMIT), tr_ar), "guest TR limit and G bit disagree");
	/* LDTR */
	if (!(ldtr_ar & AR_UNUSABLE)) {
		CHECK(VMCHECK_GUEST, AR_TYPE(ldtr_ar) == 2 && !(ldtr_ar & AR_S) && (ldtr_ar & AR_P) &&
		      !(ldtr_ar & AR_RESERVED), "guest LDTR not a present LDT descriptor");
		CHECK(VMCHECK_GUEST, vc_limit_g((uint32_t)rd(c, GUEST_LDTR_LIMIT), ldtr_ar),
		      "guest LDTR limit and G bit disagree");
	}
	OK();
}

/* "Checks on Guest Descriptor-Table Registers" and "Checks on Guest RIP and RFLAGS". */
static struct vmcheck_result vc_guest_tables_rip(struct vc *c)
{
	unsigned la = c->cpu->linear_width;
	uint64_t rip = rd(c, GUEST_RIP), rflags = rd(c, GUEST_RFLAGS);
	bool cs_l = rd(c, GUEST_CS_AR_BYTES) & AR_L;
	uint32_t info = (uint32_t)rd(c, VM_ENTRY_INTR_INFO);

	CHECK(VMCHECK_GUEST, vmcheck_canonical(rd(c, GUEST_GDTR_BASE), la) &&
	      vmcheck_canonical(rd(c, GUEST_IDTR_BASE), la), "guest GDTR/IDTR base not canonical");
	CHECK(VMCHECK_GUEST, !(rd(c, GUEST_GDTR_LIMIT) >> 16) && !(rd(c, GUEST_IDTR_LIMIT) >> 16),
	      "guest GDTR/IDTR limit bits 31:16 not 0");
	if (c->ia32e && cs_l)
		CHECK(VMCHECK_GUEST, vmcheck_canonical(rip, la), "guest RIP not canonical in 64-bit mode");
	else
		CHECK(VMCHECK_GUEST, !(rip >> 32), "guest RIP bits 63:32 not 0 outside 64-bit mode");
	CHECK(VMCHECK_GUEST, !(rflags & RFLAGS_RESERVED) && (rflags & RFLAGS_BIT1),
	      "guest RFLAGS reserved bits not 0 or bit 1 not 1");
	if (c->ia32e || !(rd(c, GUEST_CR0) & CR0_PE_BIT))
		CHECK(VMCHECK_GUEST, !(rflags & RFLAGS_VM_BIT), "guest RFLAGS.VM = 1 in IA-32e or real mode");
	if ((info & INTR_VALID) && INTR_TYPE(info) == 0)
		CHECK(VMCHECK_GUEST, rflags & RFLAGS_IF_BIT, "external interrupt injected with RFLAGS.IF = 0");
	OK();
}

/* "Checks on Guest Non-Register State". */
static struct vmcheck_result vc_guest_nonreg(struct vc *c)
{
	uint32_t act = (uint32_t)rd(c, GUEST_ACTIVITY_STATE);
	uint32_t intr = (uint32_t)rd(c, GUEST_INTERRUPTIBILITY_INFO);
	uint32_t info = (uint32_t)rd(c, VM_ENTRY_INTR_INFO);
	uint64_t rflags = rd(c, GUEST_RFLAGS), pend = rd(c, GUEST_PENDING_DBG_EXCEPTIONS);
	bool inject = info & INTR_VALID;
	unsigned type = INTR_TYPE(info);

	CHECK(VMCHECK_GUEST, act <= 3, "guest activity state not 0-3");
	CHECK(VMCHECK_GUEST, act != 1 || (c->cpu->caps->misc & VMX_MISC_ACTIVITY_HLT),
	      "guest activity state HLT not supported");
	CHECK(VMCHECK_GUEST, act != 1 || AR_DPL(rd(c, GUEST_SS_AR_BYTES)) == 0,
	      "guest activity state HLT with SS.DPL not 0");
	CHECK(VMCHECK_GUEST, act == 0 || !(intr & 3), "guest not active with STI or MOV-SS blocking");
	CHECK(VMCHECK_GUEST, !(intr & ~0x1fu), "guest interruptibility reserved bits 31:5 not 0");
	CHECK(VMCHECK_GUEST, (intr & 3) != 3, "guest blocking by STI and by MOV SS both 1");
	CHECK(VMCHECK_GUEST, !(intr & 1) || (rflags & RFLAGS_IF_BIT), "guest blocking by STI with RFLAGS.IF = 0");
	CHECK(VMCHECK_GUEST, !(intr & 4), "guest blocking by SMI outside SMM");
	if (inject && type == 0)
		CHECK(VMCHECK_GUEST, !(intr & 3), "external interrupt injected with STI or MOV-SS blocking");
	if (inject && type == 2)
		CHECK(VMCHECK_GUEST, !(intr & 2), "NMI injected with MOV-SS blocking");
	CHECK(VMCHECK_GUEST, !(pend & ~((1ull << 12) | (1ull << 14) | (1ull << 16) | 0xfull)),
	      "guest pending debug exceptions reserved bits not 0");
	if ((intr & 3) || act == 1) {
		bool bs = pend & (1ull << 14), tf = rflags & RFLAGS_TF_BIT;
		bool btf = rd(c, GUEST_IA32_DEBUGCTL) & 2;
		CHECK(VMCHECK_GUEST, bs == (tf && !btf),
		      "pending debug BS not equal to (RFLAGS.TF and not DEBUGCTL.BTF) with STI/MOV-SS blocking or HLT");
	}
	CHECK(VMCHECK_GUEST, rd(c, VMCS_LINK_POINTER) == ~0ull, "VMCS link pointer not FFFFFFFF_FFFFFFFFH");
	OK();
}

/* "Checks on Guest Page-Directory-Pointer-Table Entries": PAE paging with EPT. */
static struct vmcheck_result vc_guest_pdptes(struct vc *c)
{
	uint64_t cr0 = rd(c, GUEST_CR0), cr4 = rd(c, GUEST_CR4);

	if (!(cr0 & CR0_PG_BIT) || !(cr4 & CR4_PAE_BIT) || c->ia32e || !(c->proc2 & PROC2_ENABLE_EPT))
		OK();
	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = rd(c, GUEST_PDPTE0 + 2 * i);
		if (e & 1)
			CHECK(VMCHECK_GUEST, !(e & 0x1e6ull) && !(e >> c->cpu->maxphyaddr),
			      "guest PDPTE present with reserved bits set");
	}
	OK();
}

struct vmcheck_result vmcheck(const struct vmcheck_cpu *cpu, vmcheck_read_fn read, void *ctx)
{
	struct vc c = { .cpu = cpu, .rd = read, .ctx = ctx };

	c.pin = (uint32_t)rd(&c, PIN_BASED_VM_EXEC_CONTROL);
	c.proc = (uint32_t)rd(&c, CPU_BASED_VM_EXEC_CONTROL);
	c.proc2 = (c.proc & PROC_SECONDARY_CONTROLS) ? (uint32_t)rd(&c, SECONDARY_VM_EXEC_CONTROL) : 0;
	c.exit = (uint32_t)rd(&c, VM_EXIT_CONTROLS);
	c.entry = (uint32_t)rd(&c, VM_ENTRY_CONTROLS);
	c.unrestricted = c.proc2 & PROC2_UNRESTRICTED_GUEST;
	c.ia32e = c.entry & ENTRY_IA32E_MODE_GUEST;
	PASS_ON(vc_exec_controls(&c));
	PASS_ON(vc_exit_entry_controls(&c));
	PASS_ON(vc_event_injection(&c));
	PASS_ON(vc_host_regs(&c));
	PASS_ON(vc_host_segs(&c));
	PASS_ON(vc_guest_regs(&c));
	PASS_ON(vc_guest_segs(&c));
	PASS_ON(vc_guest_tables_rip(&c));
	PASS_ON(vc_guest_nonreg(&c));
	PASS_ON(vc_guest_pdptes(&c));
	OK();
}
