/*
 * Control-register exits. The hv owns the CR0 and CR4 bits VMX fixes
 * (NE, VMXE, ...) and CR0.PG; the guest sees its own values through the
 * read shadows. A write that changes an owned bit exits here; the hv
 * checks it as the CPU would (#GP on an invalid combination), keeps the
 * fixed bits in the real register, and keeps EFER.LMA and the "IA-32e mode
 * guest" entry control in step with paging (SDM "Initialization of IA-32e
 * Mode", "Guest/Host Masks and Read Shadows").
 */
#include "exit.h"
#include "guest.h"
#include "vmx.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "vmxcap.h"

#define CR0_VALID     0xe005003full

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

static uint64_t cr_get_gpr(struct vcpu *v, unsigned n)
{
	uint64_t *p = cr_gpr(&v->regs, n);
	return p ? *p : vmcs_readnat(GUEST_RSP);
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

/* Loads the four PAE PDPTEs from guest memory, as MOV to CR0 would in PAE mode. */
static void cr_load_pdptes(struct guest *g, uint64_t cr3)
{
	const uint64_t *pdpte = guest_gpa_ptr(g, cr3 & 0xffffffe0ull, 32);

	for (unsigned i = 0; i < 4; i++)
		vmcs_write_raw(GUEST_PDPTE0 + 2 * i, pdpte ? pdpte[i] : 0);
}

/* Emulates MOV to CR0. Returns 0, or -1 for #GP. */
static int cr_write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	if ((val & ~CR0_VALID) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return -1;
	if ((val & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return -1;
	uint64_t real = (val | (vmx_cr0_fixed0() & ~(CR0_PE | CR0_PG))) & vmx_cr0_fixed1();
	vmcs_writenat(CR0_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR0, real);
	cr_update_long_mode(val);
	if ((val & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME))
		cr_load_pdptes(v->guest, vmcs_readnat(GUEST_CR3));
	return 0;
}

/* Emulates MOV to CR4. Returns 0, or -1 for #GP (VMXE: the platform has no VMX). */
static int cr_write_cr4(struct vcpu *v, uint64_t val)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	uint64_t allowed = vmx_cr4_fixed1() & ~CR4_VMXE;

	if (val & ~allowed)
		return -1;
	if ((efer & EFER_LMA) && !(val & CR4_PAE))
		return -1;
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, (val | vmx_cr4_fixed0()) & vmx_cr4_fixed1());
	return 0;
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
			vmcs_writenat(GUEST_CR3, val);
		else
			rc = -1;
	} else if (type == CR_MOV_FROM && cr == 3) {
		cr_set_gpr(v, CRQ_GPR(x->qual), vmcs_readnat(GUEST_CR3));
	} else if (type == CR_LMSW) {
		/* LMSW sets PE, MP, EM, TS; it can set PE but never clear it. */
		uint64_t old = vmcs_readnat(CR0_READ_SHADOW);
		uint64_t val = (old & ~0xeull) | (CRQ_LMSW(x->qual) & 0xf) | (old & CR0_PE);
		rc = cr_write_cr0(v, val);
	} else if (type == CR_CLTS) {
		vmcs_writenat(CR0_READ_SHADOW, vmcs_readnat(CR0_READ_SHADOW) & ~8ull);
		vmcs_writenat(GUEST_CR0, vmcs_readnat(GUEST_CR0) & ~8ull);
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
