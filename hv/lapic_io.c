/*
 * The access path of a guest's xAPIC page (0xfee00000) and IOAPIC page
 * (0xfec00000), lapic = on: neither is in the guest's EPT, so each access
 * is an EPT violation. The hv reads the instruction at CS:RIP (hv/gmem.c),
 * decodes it (hv/insn.c: MOV to and from memory, the forms compilers emit
 * for volatile accesses), checks that its memory operand is the address
 * the CPU reported, performs the access on the model and completes the
 * instruction as the CPU would (hv/exit.c exit_complete_insn). Anything it
 * cannot decode stops the guest with the bytes it saw: a clear stop, never
 * a guess. No root-mode instruction ever runs on the guest's data: the
 * models are plain C.
 */
#include "lapic.h"
#include "lapic_contain.h"
#include "cpu.h"
#include "exit.h"
#include "gmem.h"
#include "guest.h"
#include "log.h"
#include "vmcs.h"
#include "vmx.h"

#define INTR_VALID          (1u << 31)
#define EPTQ_WRITE          (1u << 1)
#define EPTQ_LINEAR_VALID   (1u << 7)
#define EPTQ_TRANSLATION    (1u << 8)

/* Stops v after an access to an APIC page the hv cannot complete, saying why and what it saw. */
static enum exit_action lapic_io_stop(struct vcpu *v, uint64_t gpa, const char *why,
				      const struct gmem_insn *gi)
{
	char bytes[3 * INSN_MAX_LEN + 1] = "";
	const char *page = (gpa & ~0xfffull) == VIOAPIC_BASE ? "IOAPIC" : "local APIC";

	for (unsigned i = 0; gi && i < gi->nbytes; i++)
		log_snprintf(bytes + 3 * i, 4, " %02x", gi->bytes[i]);
	log_printf("hv: guest %s: EPT violation at GPA 0x%lx (%s page) rip 0x%lx: %s%s%s\n",
		   v->guest->cfg->name, gpa, page, vmcs_readnat(GUEST_RIP), why, gi ? "; bytes" : "", bytes);
	vmx_dump_guest(v);
	guest_stop(v->guest, "EPT violation at GPA 0x%lx (%s page: %s)", gpa, page, why);
	return EXIT_STOPPED;
}

/* One access of len bytes (1, 2, 4) at off of the page, within a dword. */
static uint32_t lapic_io_read1(struct guest *g, bool ioapic, uint32_t off, unsigned len, uint64_t gnow)
{
	return ioapic ? vioapic_mmio_read(&g->ioapic, off, len) : vlapic_mmio_read(&g->lapic, off, len, gnow);
}

static void lapic_io_write1(struct guest *g, bool ioapic, uint32_t off, unsigned len, uint32_t val,
			    uint64_t gnow)
{
	if (ioapic)
		vioapic_mmio_write(&g->ioapic, off, len, val);
	else
		vlapic_mmio_write(&g->lapic, off, len, val, gnow);
}

/*
 * An access of len bytes (1, 2, 4, 8) at off, split where it crosses a
 * dword (each dword's part is its own access, as the bus would see it).
 * Reads return the bytes, little-endian.
 */
static uint64_t lapic_io_access(struct guest *g, bool ioapic, uint32_t off, unsigned len, bool write,
				uint64_t val, uint64_t gnow)
{
	uint64_t out = 0;
	unsigned done = 0;

	while (done < len) {
		uint32_t o = off + done;
		unsigned n = MIN(len - done, 4 - (o & 3));
		if (n == 3)
			n = 2;                       /* 1, 2 or 4 bytes per access */
		if (write)
			lapic_io_write1(g, ioapic, o, n, (uint32_t)(val >> (8 * done)), gnow);
		else
			out |= (uint64_t)lapic_io_read1(g, ioapic, o, n, gnow) << (8 * done);
		done += n;
	}
	return out;
}

/* Returns a pointer to the saved register of encoding number n (4 = RSP: NULL, it is in the VMCS). */
static uint64_t *lapic_io_gpr(struct guest_regs *r, unsigned n)
{
	uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
			      &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
	return map[n & 15];
}

static uint64_t lapic_io_get(struct vcpu *v, unsigned n)
{
	uint64_t *p = lapic_io_gpr(&v->regs, n);

	return p ? *p : vmcs_readnat(GUEST_RSP);
}

static void lapic_io_set(struct vcpu *v, unsigned n, uint64_t val)
{
	uint64_t *p = lapic_io_gpr(&v->regs, n);

	if (p)
		*p = val;
	else
		vmcs_writenat(GUEST_RSP, val);
}

/* The value a MOV to memory stores: its register (AH-BH too) or its immediate. */
static uint64_t lapic_io_src(struct vcpu *v, const struct insn *in)
{
	if (in->has_imm)
		return in->imm;
	if (in->reg_high8)
		return lapic_io_get(v, (unsigned)in->reg - 4) >> 8;
	return lapic_io_get(v, (unsigned)in->reg);
}

/*
 * A MOV (MOVZX, MOVSX) from memory's write of val (the operand's bytes) to
 * its register, as the CPU writes a register of that size: 8 and 16 bits
 * merge, 32 zero-extend to 64.
 */
static void lapic_io_dst(struct vcpu *v, const struct insn *in, uint64_t val)
{
	unsigned n = in->reg_high8 ? (unsigned)in->reg - 4 : (unsigned)in->reg;
	uint64_t old = lapic_io_get(v, n);

	if (in->sign_extend)                 /* MOVSX: from the operand's size */
		val = in->opsize == 1 ? (uint64_t)(int64_t)(int8_t)val : (uint64_t)(int64_t)(int16_t)val;
	if (in->reg_high8)
		val = (old & ~0xff00ull) | ((val & 0xff) << 8);
	else if (in->dstsize == 1)
		val = (old & ~0xffull) | (val & 0xff);
	else
		val = insn_reg_write(old, val, in->dstsize);
	lapic_io_set(v, n, val);
}

/*
 * Returns NULL if the decoded instruction's memory operand is the access
 * the CPU reported (its linear address, where the exit gives one, and its
 * guest-physical page offset), within the page; else why not.
 */
static const char *lapic_io_check(struct vcpu *v, const struct exit_info *x, const struct gmem_insn *gi,
				  uint64_t gpa)
{
	const struct insn *in = &gi->in;
	uint64_t gpr[16], off, lin;
	struct gmem_fault f;

	for (unsigned n = 0; n < 16; n++)
		gpr[n] = lapic_io_get(v, n);
	off = insn_mem_offset(in, gpr, gi->rip + in->len);

	if (gmem_linear(in->seg, off, in->opsize, in->kind == INSN_MOV_STORE, &lin, &f) != GMEM_OK)
		return "its operand is not the address accessed";
	if ((x->qual & EPTQ_LINEAR_VALID) && lin != vmcs_readnat(GUEST_LINEAR_ADDRESS))
		return "its operand is not the address accessed";
	if ((lin & 0xfff) != (gpa & 0xfff))
		return "the access starts outside the page";
	if ((gpa & 0xfff) + in->opsize > 4096)
		return "the access crosses the end of the page";
	return NULL;
}

/*
 * Emulates the access at gpa in an APIC page that the instruction at
 * CS:RIP makes: decoded, checked against what the exit reported (the
 * guest-linear address if linear_valid), performed on the model, and
 * completed. Returns EXIT_RESUME, or stops the guest.
 */
static enum exit_action lapic_io_emulate(struct vcpu *v, const struct exit_info *x, uint64_t gpa)
{
	struct guest *g = v->guest;
	struct gmem_insn gi;
	struct gmem_fault f;
	const char *why;
	bool ioapic = (gpa & ~0xfffull) == VIOAPIC_BASE;
	uint64_t gnow;

	if (gmem_fetch_insn(v, &gi, &f) != GMEM_OK)
		return lapic_io_stop(v, gpa, "the instruction cannot be read", NULL);
	if (gi.res != INSN_OK || !gi.in.has_mem ||
	    (gi.in.kind != INSN_MOV_LOAD && gi.in.kind != INSN_MOV_STORE))
		return lapic_io_stop(v, gpa, "instruction not emulated (MOV, MOVZX, MOVSX to or from memory only)", &gi);
	if ((why = lapic_io_check(v, x, &gi, gpa)) != NULL)
		return lapic_io_stop(v, gpa, why, &gi);

	gnow = lapic_guest_tsc(g, v->exit_tsc);
	lapic_tpr_in(g);
	if (!ioapic) {
		lapic_icr_hi_in(g);
		lapic_update_timer(g, v->exit_tsc);  /* the current count and IRR as of now */
	}
	if (gi.in.kind == INSN_MOV_STORE) {
		lapic_io_access(g, ioapic, (uint32_t)(gpa & 0xfff), gi.in.opsize, true, lapic_io_src(v, &gi.in), gnow);
		g->apic.dirty |= !ioapic;
		if (ioapic)
			lapic_contain_route(g, (uint32_t)(gpa & 0xfff));
	} else {
		uint32_t irr[8], changed = 0;

		memcpy(irr, g->lapic.irr, sizeof(irr));
		lapic_io_dst(v, &gi.in, lapic_io_access(g, ioapic, (uint32_t)(gpa & 0xfff), gi.in.opsize,
							 false, 0, gnow));
		/* A read changes what the page shows only by an error interrupt (a reserved register). */
		for (unsigned i = 0; i < 8; i++)
			changed |= irr[i] ^ g->lapic.irr[i];
		g->apic.dirty |= changed != 0;
	}
	if (!ioapic)
		lapic_icr_hi_out(g);
	g->apic.mmio++;
	lapic_commit(g);
	exit_complete_insn(v, gi.in.len);
	return EXIT_RESUME;
}

enum exit_action lapic_ept_violation(struct vcpu *v, struct exit_info *x, uint64_t gpa)
{
	if (vmcs_read32(IDT_VECTORING_INFO) & INTR_VALID)
		return lapic_io_stop(v, gpa, "during event delivery", NULL);
	if ((x->qual & EPTQ_LINEAR_VALID) && !(x->qual & EPTQ_TRANSLATION))
		return lapic_io_stop(v, gpa, "a paging-structure entry there", NULL);
	if (!(x->qual & 3))
		return lapic_io_stop(v, gpa, "instruction fetch", NULL);
	return lapic_io_emulate(v, x, gpa);
}

/* APIC-access exit qualification ("Exit Qualification for APIC-Access VM Exits"). */
#define APICQ_OFFSET(q)     ((uint32_t)(q) & 0xfff)
#define APICQ_TYPE(q)       ((unsigned)((q) >> 12) & 0xf)
#define APICQ_LINEAR_READ   0
#define APICQ_LINEAR_WRITE  1

/*
 * APIC-access exit (virtualize APIC accesses): a fault-like exit for an
 * access the CPU does not virtualize (a read of the current count, PPR, a
 * reserved register; a narrow or misaligned access): decoded and
 * emulated as after an EPT violation. Fetches, accesses during event
 * delivery and guest-physical ones (a paging structure there) stop the guest.
 */
enum exit_action exit_apic_access(struct vcpu *v, struct exit_info *x)
{
	uint64_t gpa = VLAPIC_DEFAULT_BASE + APICQ_OFFSET(x->qual);
	unsigned type = APICQ_TYPE(x->qual);
	struct exit_info lx = *x;

	if (!v->guest->apic.on)
		return lapic_io_stop(v, gpa, "APIC-access exit without a local APIC (hv bug)", NULL);
	if (type != APICQ_LINEAR_READ && type != APICQ_LINEAR_WRITE)
		return lapic_io_stop(v, gpa, type == 3 ? "during event delivery" : "not a data access by an instruction",
				     NULL);
	if (vmcs_read32(IDT_VECTORING_INFO) & INTR_VALID)
		return lapic_io_stop(v, gpa, "during event delivery", NULL);
	lx.qual = 0;                         /* the exit reports no linear address: the page offset is checked */
	return lapic_io_emulate(v, &lx, gpa);
}

/*
 * APIC-write exit (APIC-register virtualization): a trap-like exit after
 * a virtualized write other than to TPR (EOI, ICR, LVTs, ...); the value the guest wrote is in
 * the virtual-APIC page at the offset ("APIC-Write Emulation").
 */
enum exit_action exit_apic_write(struct vcpu *v, struct exit_info *x)
{
	struct guest *g = v->guest;
	uint32_t off = APICQ_OFFSET(x->qual) & ~3u, val;

	if (!g->apic.on || !v->vapic)
		return lapic_io_stop(v, VLAPIC_DEFAULT_BASE + off, "APIC-write exit without a local APIC (hv bug)",
				     NULL);
	val = ((volatile uint32_t *)v->vapic)[off / 4];
	lapic_tpr_in(g);
	if (off == VLAPIC_ICR_LO)
		lapic_icr_hi_in(g);          /* it sends to the ICR high the guest wrote in the page */
	lapic_update_timer(g, v->exit_tsc);
	vlapic_mmio_write(&g->lapic, off, 4, val, lapic_guest_tsc(g, v->exit_tsc));
	g->apic.mmio++;
	g->apic.dirty = true;
	lapic_commit(g);
	return EXIT_RESUME;
}

enum exit_action exit_tpr_below_threshold(struct vcpu *v, struct exit_info *x)
{
	return EXIT_RESUME;
}

enum exit_action exit_nmi_window(struct vcpu *v, struct exit_info *x)
{
	return EXIT_RESUME;
}
