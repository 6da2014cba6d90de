/*
 * Control-register exits. The hv owns the CR0 and CR4 bits VMX fixes
 * (NE, VMXE, ...), the CR4 bits of features the guest CPU model lacks, and
 * CR0.PG; the guest sees its own values through the read shadows. A write
 * that changes an owned bit exits here, and the hv does what MOV to CR
 * does (SDM "MOV-Move to/from Control Registers"):
 *   - #GP for every value or transition the CPU refuses, so that no entry
 *     ever fails on a state the guest asked for;
 *   - the PAE PDPTEs loaded (and checked) when PAE paging is on after it;
 *   - EFER.LMA and the "IA-32e mode guest" entry control kept in step with
 *     paging (SDM "Initialization of IA-32e Mode");
 *   - the guest's TLB flushed (INVVPID) where the instruction would flush.
 * MOV CR3 and CR8 exit only on CPUs without TRUE controls or TPR shadow.
 */
#include "exit.h"
#include "lapic.h"
#include "guest.h"
#include "vmx.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "vmxcap.h"
#include "cpumodel.h"

#define CR0_VALID     0xe005003full      /* PE MP EM TS ET NE WP AM NW CD PG */
#define CR3_NOFLUSH   (1ull << 63)       /* with CR4.PCIDE: keep the PCID's translations */
#define CR4_FLUSH     (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57)
#define CR4_PDPTE     (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)
#define PDPTE_RSVD    0x1e6ull           /* bits 2:1, 8:5 of a present PDPTE */

/* Exit qualification for control-register accesses. */
#define CRQ_NUM(q)    ((unsigned)(q) & 15)
#define CRQ_TYPE(q)   ((unsigned)((q) >> 4) & 3)
#define CRQ_GPR(q)    ((unsigned)((q) >> 8) & 15)
#define CRQ_LMSW(q)   ((uint16_t)((q) >> 16))
enum { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

/* Returns a pointer to the saved register the SDM's GPR number n names (4 = RSP: NULL). */
static uint64_t *cr_gpr(struct guest_regs *r, unsigned n)
{
	uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
			      &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
	return map[n];
}

/* The source operand: 64 bits in 64-bit mode, else the low 32 (the upper half is undefined). */
static uint64_t cr_get_gpr(struct vcpu *v, unsigned n)
{
	uint64_t *p = cr_gpr(&v->regs, n);
	uint64_t val = p ? *p : vmcs_readnat(GUEST_RSP);

	return exit_guest_64bit() ? val : (uint32_t)val;
}

static void cr_set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
	uint64_t *p = cr_gpr(&v->regs, n);
	if (p)
		*p = val;
	else
		vmcs_writenat(GUEST_RSP, val);
}

/* Sets EFER.LMA and the IA-32e entry control from paging and EFER.LME. */
static void cr_update_long_mode(uint64_t cr0)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);

	if ((cr0 & CR0_PG) && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_MODE_GUEST;
	} else {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

/*
 * Loads the four PAE PDPTEs from the page-directory-pointer table cr3
 * points at (SDM "PDPTE Registers"). Returns 0, or -1 for #GP: a present
 * entry with reserved bits, or a table outside the guest's RAM.
 */
static int cr_load_pdptes(struct guest *g, uint64_t cr3)
{
	const uint64_t *pdpte = guest_gpa_ptr(g, cr3 & 0xffffffe0ull, 32);
	uint64_t rsvd = PDPTE_RSVD | ~((1ull << hv.maxphyaddr) - 1);

	if (!pdpte)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			return -1;
	for (unsigned i = 0; i < 4; i++)
		vmcs_write_raw(GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return 0;
}

/* Returns true if PAE paging (CR0.PG, CR4.PAE, not IA-32e mode) is on with these values. */
static bool cr_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME);
}

/* Emulates MOV to CR0. Returns 0, or -1 for #GP. */
static int cr_write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_readnat(CR0_READ_SHADOW);
	uint64_t cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	if ((val & ~CR0_VALID) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return -1;
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return -1;
	/* Leaving paging: not from 64-bit code, not with PCIDs on. */
	if (!(val & CR0_PG) && (old & CR0_PG) && (exit_guest_64bit() || (cr4 & CR4_PCIDE)))
		return -1;
	if (cr_pae_paging(val, cr4, efer) && ((old ^ val) & (CR0_PG | CR0_CD | CR0_NW)) &&
	    cr_load_pdptes(v->guest, vmcs_readnat(GUEST_CR3)) < 0)
		return -1;
	uint64_t real = (val | (vmx_cr0_fixed0() & ~(CR0_PE | CR0_PG))) & vmx_cr0_fixed1();
	vmcs_writenat(CR0_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR0, real);
	cr_update_long_mode(val);
	if ((old ^ val) & (CR0_PG | CR0_CD | CR0_NW))
		vmx_flush_guest_tlb(v);
	return 0;
}

static uint64_t cr_cr4_allowed(void);

/* Emulates MOV to CR4. Returns 0, or -1 for #GP. */
static int cr_write_cr4(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_readnat(CR4_READ_SHADOW);
	uint64_t cr0 = vmcs_readnat(CR0_READ_SHADOW);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	if (val & ~cr_cr4_allowed())
		return -1;
	if ((efer & EFER_LMA) && !(val & CR4_PAE))
		return -1;
	if ((efer & EFER_LMA) && ((old ^ val) & CR4_LA57))
		return -1;
	/* PCIDs only in IA-32e mode, and switched on only with PCID 0 current. */
	if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	    (!(efer & EFER_LMA) || (vmcs_readnat(GUEST_CR3) & 0xfff)))
		return -1;
	if (cr_pae_paging(cr0, val, efer) && ((old ^ val) & CR4_PDPTE) &&
	    cr_load_pdptes(v->guest, vmcs_readnat(GUEST_CR3)) < 0)
		return -1;
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, (val | vmx_cr4_fixed0()) & vmx_cr4_fixed1());
	if ((old ^ val) & CR4_FLUSH)
		vmx_flush_guest_tlb(v);
	return 0;
}

/* Emulates MOV to CR3 (only where CR3-load exiting cannot be turned off). Returns 0, or -1 for #GP. */
static int cr_write_cr3(struct vcpu *v, uint64_t val)
{
	uint64_t cr0 = vmcs_readnat(CR0_READ_SHADOW), cr4 = vmcs_readnat(CR4_READ_SHADOW);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	bool keep = (cr4 & CR4_PCIDE) && (val & CR3_NOFLUSH);

	if (efer & EFER_LMA) {
		val &= ~CR3_NOFLUSH;
		if (val >> hv.maxphyaddr)
			return -1;
	} else if (cr_pae_paging(cr0, cr4, efer) && cr_load_pdptes(v->guest, val) < 0) {
		return -1;
	}
	vmcs_writenat(GUEST_CR3, val);
	if (!keep)
		vmx_flush_guest_tlb(v);
	return 0;
}

/* Emulates MOV to CR8 without a TPR shadow: the guest's own TPR, never the CPU's. */
static int cr_write_cr8(struct vcpu *v, uint64_t val)
{
	if (val & ~0xfull)
		return -1;
	if (v->guest->apic.on)
		lapic_write_cr8(v->guest, val);
	v->cr8 = val;
	return 0;
}

/* Returns the CR4 bits a guest may set: what VMX allows and the CPU model shows, never VMXE. */
static uint64_t cr_cr4_allowed(void)
{
	return vmx_cr4_fixed1() & ~CR4_VMXE & cpumodel_cr4_allowed();
}

enum exit_action exit_cr_access(struct vcpu *v, struct exit_info *x)
{
	unsigned cr = CRQ_NUM(x->qual), type = CRQ_TYPE(x->qual);
	int rc = 0;

	if (type == CR_MOV_TO) {
		uint64_t val = cr_get_gpr(v, CRQ_GPR(x->qual));
		if (cr == 0)
			rc = cr_write_cr0(v, val);
		else if (cr == 4)
			rc = cr_write_cr4(v, val);
		else if (cr == 3)
			rc = cr_write_cr3(v, val);
		else if (cr == 8)
			rc = cr_write_cr8(v, val);
		else
			rc = -1;
	} else if (type == CR_MOV_FROM && cr == 3) {
		cr_set_gpr(v, CRQ_GPR(x->qual), vmcs_readnat(GUEST_CR3));
	} else if (type == CR_MOV_FROM && cr == 8) {
		cr_set_gpr(v, CRQ_GPR(x->qual), v->guest->apic.on ? lapic_read_cr8(v->guest) : v->cr8);
	} else if (type == CR_LMSW) {
		/* LMSW sets PE, MP, EM, TS; it can set PE but never clear it. */
		uint64_t old = vmcs_readnat(CR0_READ_SHADOW);
		uint64_t val = (old & ~0xeull) | (CRQ_LMSW(x->qual) & 0xf) | (old & CR0_PE);
		rc = cr_write_cr0(v, val);
	} else if (type == CR_CLTS) {
		vmcs_writenat(CR0_READ_SHADOW, vmcs_readnat(CR0_READ_SHADOW) & ~CR0_TS);
		vmcs_writenat(GUEST_CR0, vmcs_readnat(GUEST_CR0) & ~CR0_TS);
	} else {
		rc = -1;
	}
	if (rc < 0) {
		vmx_inject_exception(v, EXC_GP, true, 0);
		return EXIT_RESUME;
	}
	exit_skip_insn(v);
	return EXIT_RESUME;
}
