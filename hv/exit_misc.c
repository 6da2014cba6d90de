/*
 * Exit handlers for HLT, the cache and monitor instructions, RDPMC,
 * XSETBV, the VMX instructions, intercepted exceptions and NMIs, guest
 * faults (triple fault, INIT), interrupts, the preemption timer and EPT
 * exits. CPUID is in cpuid.c, VMCALL in hypercall.c.
 */
#include "exit.h"
#include "cpu.h"
#include "gmem.h"
#include "guest.h"
#include "irq.h"
#include "lapic.h"
#include "log.h"
#include "smp.h"
#include "mbload.h"
#include "sched.h"
#include "virq.h"
#include "vmcs.h"
#include "vmx.h"
#include "xstate.h"

#define INTR_TYPE(info)       (((info) >> 8) & 7)
#define INTR_TYPE_EXT         0
#define INTR_TYPE_NMI         2
#define INTR_TYPE_HW_EXC      3
#define INTR_TYPE_SW_INT      4
#define INTR_TYPE_PRIV_SW_EXC 5
#define INTR_TYPE_SW_EXC      6
#define INTR_VALID            (1u << 31)

/*
 * HLT: the guest gives up the CPU until it has a virtual interrupt to take.
 * If one is already pending (and IF lets it in), it goes on at once. With
 * IF = 0 only an NMI, SMI, INIT or reset would end the halt (SDM "HLT"):
 * the platform has no NMI source, so the guest has ended.
 */
enum exit_action exit_hlt(struct vcpu *v, struct exit_info *x)
{
	struct guest *g = v->guest;

	exit_skip_insn(v);
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF)) {
		guest_halted_for_good(g);
		return EXIT_STOPPED;
	}
	virq_update_timer(g, v->exit_tsc, false);
	if (virq_pending(g))
		return EXIT_RESUME;
	g->state = GUEST_HALTED;
	return EXIT_YIELD;
}

/* The guest can take the virtual interrupt it was waiting for: the entry path injects it. */
enum exit_action exit_interrupt_window(struct vcpu *v, struct exit_info *x)
{
	return EXIT_RESUME;
}

/*
 * The preemption timer: the guest's turn ended, a halted guest with budget
 * woke (both: yield), or the guest's own timer is due (resume: the entry
 * path injects it).
 */
enum exit_action exit_preemption_timer(struct vcpu *v, struct exit_info *x)
{
	return sched_timer(v, v->exit_tsc) ? EXIT_YIELD : EXIT_RESUME;
}

/*
 * INVD and WBINVD: the caches are coherent with every device a guest can
 * own (PIIX bus-master DMA snoops), so neither has anything to do for the
 * guest. Executing them would write back or drop every partition's lines
 * and stall the whole machine for milliseconds: they complete as no-ops
 * (KVM does the same without non-coherent DMA).
 */
enum exit_action exit_invd_wbinvd(struct vcpu *v, struct exit_info *x)
{
	exit_skip_insn(v);
	return EXIT_RESUME;
}

/* RDPMC: the guest CPU has no performance counters (CPUID leaf 0xA is 0): #GP. */
enum exit_action exit_rdpmc(struct vcpu *v, struct exit_info *x)
{
	vmx_inject_exception(v, EXC_GP, true, 0);
	return EXIT_RESUME;
}

/*
 * Instructions the guest CPU does not have raise #UD, as on a CPU without
 * them: the VMX instructions (the platform has no VMX), MWAIT and MONITOR
 * (CPUID does not show them; executed natively, a deep C-state hint would
 * stop the preemption timer and every partition with it).
 */
enum exit_action exit_ud(struct vcpu *v, struct exit_info *x)
{
	vmx_inject_exception(v, EXC_UD, false, 0);
	return EXIT_RESUME;
}

/*
 * XSETBV (SDM "XSETBV" and "Enabling the XSAVE Feature Set and
 * XSAVE-Enabled Features"): #UD without CR4.OSXSAVE; #GP at CPL > 0, for
 * an XCR other than 0, or for a value the guest CPU does not allow
 * (xstate_xcr0_valid). Only then does the hv load it, armed: a fault
 * still becomes the guest's #GP, never the hv's.
 */
enum exit_action exit_xsetbv(struct vcpu *v, struct exit_info *x)
{
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (!xstate_has_xsave() || !(vmcs_readnat(GUEST_CR4) & CR4_OSXSAVE)) {
		vmx_inject_exception(v, EXC_UD, false, 0);
		return EXIT_RESUME;
	}
	if (exit_guest_cpl() != 0 || (uint32_t)v->regs.rcx != 0 ||
	    !xstate_xcr0_valid(val, xstate_guest_mask()) || cpu_xsetbv_safe(0, val)) {
		vmx_inject_exception(v, EXC_GP, true, 0);
		return EXIT_RESUME;
	}
	v->xcr0 = val;
	exit_skip_insn(v);
	return EXIT_RESUME;
}

enum exit_action exit_triple_fault(struct vcpu *v, struct exit_info *x)
{
	log_printf("hv: guest %s: triple fault\n", v->guest->cfg->name);
	vmx_dump_guest(v);
	guest_stop(v->guest, "triple fault");
	return EXIT_STOPPED;
}

enum exit_action exit_init_signal(struct vcpu *v, struct exit_info *x)
{
	guest_stop(v->guest, "INIT signal");
	return EXIT_STOPPED;
}

/*
 * An intercepted #DB or #AC (both "benign": SDM table "Conditions for
 * Generating a Double Fault") arose while the CPU delivered another event
 * (IDT-vectoring information valid). The CPU handles them serially: the
 * new exception is delivered; an external interrupt being delivered is
 * kept and delivered after; a software event or fault recurs when the
 * instruction runs again. An exception during #DF delivery is a triple
 * fault. Returns false if the guest stopped.
 */
static bool exit_merge_vectoring(struct vcpu *v, unsigned vec)
{
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO);
	unsigned first = idt & 0xff;

	if (!(idt & INTR_VALID))
		return true;
	if (INTR_TYPE(idt) == INTR_TYPE_EXT) {
		v->reinject_vector = (int)first;
	} else if (INTR_TYPE(idt) == INTR_TYPE_HW_EXC && first == EXC_DF) {
		guest_stop(v->guest, "triple fault (exception %u during #DF delivery)", vec);
		return false;
	}
	return true;
}

/* DR6 bits a #DB exit's qualification reports (SDM "Exit Qualification for Debug Exceptions"). */
#define DBQ_B0_3   0xfull
#define DBQ_BD     (1ull << 13)
#define DBQ_BS     (1ull << 14)
#define DBQ_RTM    (1ull << 16)
#define DR6_FIXED1 0xffff0ff0ull
#define DR7_GD     (1ull << 13)

/*
 * Reflects an intercepted #DB: DR6 as the CPU would have set it, DR7.GD
 * cleared for BD. RFLAGS stays as the exit saved it: an instruction
 * breakpoint's #DB is delivered with RF as it was (SDM "Debug Exceptions":
 * the one fault for which the CPU does not set the pushed RF; the guest's
 * handler sets it to go on).
 */
static void exit_reflect_db(struct vcpu *v, uint64_t qual)
{
	/* A #DB may clear B0-B3; BD and BS are only ever set (SDM "Debug Status Register (DR6)"). */
	uint64_t dr6 = (cpu_read_dr(6) | DR6_FIXED1) & ~DBQ_B0_3;

	dr6 |= qual & (DBQ_B0_3 | DBQ_BD | DBQ_BS);
	if (qual & DBQ_RTM)
		dr6 &= ~DBQ_RTM;                        /* active low */
	cpu_write_dr(6, dr6);
	if (qual & DBQ_BD)
		vmcs_writenat(GUEST_DR7, vmcs_readnat(GUEST_DR7) & ~DR7_GD);
	vmx_inject_exception(v, EXC_DB, false, 0);
}

/*
 * Exception or NMI exit. NMIs always exit (NMI exiting): they are the
 * machine's, counted and logged. #DB and #AC exit so that no guest can keep
 * the CPU inside event delivery (CVE-2015-8104, CVE-2015-5307): they go
 * back to the guest as the CPU would have delivered them, through an exit
 * the scheduler can preempt. Such a guest may never complete an instruction
 * (each delivery raises the exception again), so the preemption timer's
 * exit never comes: its turn and time limit are checked here instead. #MC
 * is the machine's: the guest that ran is stopped (the platform shows no
 * MCA).
 */
enum exit_action exit_exception(struct vcpu *v, struct exit_info *x)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
	unsigned vec = info & 0xff;

	if (INTR_TYPE(info) == INTR_TYPE_NMI) {
		if (smp_panicking())
			cpu_halt_forever();     /* another CPU panicked: stop here (hv/smp.c) */
		if (v->guest->nmis++ < 4)
			log_printf("hv: NMI while guest %s ran (counted, ignored)\n", v->guest->cfg->name);
		return EXIT_RESUME;
	}
	if (vec == EXC_MC) {
		log_printf("hv: guest %s: machine check while it ran\n", v->guest->cfg->name);
		guest_stop(v->guest, "machine check");
		return EXIT_STOPPED;
	}
	if (INTR_TYPE(info) != INTR_TYPE_HW_EXC || (vec != EXC_DB && vec != EXC_AC)) {
		/* INT1 (ICEBP) and the like: deliver the same event again, with its length. */
		if (vec == EXC_DB && INTR_TYPE(info) == INTR_TYPE_PRIV_SW_EXC) {
			vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
			vmcs_write32(VM_ENTRY_INTR_INFO, info & ~(1u << 12));
			return EXIT_RESUME;
		}
		log_printf("hv: guest %s: exception vector %u exit\n", v->guest->cfg->name, vec);
		vmx_dump_guest(v);
		guest_stop(v->guest, "unexpected exception exit, vector %u", vec);
		return EXIT_STOPPED;
	}
	if (!exit_merge_vectoring(v, vec))
		return EXIT_STOPPED;
	if (vec == EXC_DB) {
		exit_reflect_db(v, x->qual);
	} else {
		vmx_inject_exception(v, EXC_AC, true, vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
	}
	return sched_timer(v, v->exit_tsc) ? EXIT_YIELD : EXIT_RESUME;
}

/*
 * External interrupt: acknowledged on exit; the hv's interrupt routing
 * takes it. Its cost is its owner's; it preempts the running guest only if
 * it woke a guest with budget that can take it.
 */
enum exit_action exit_external_interrupt(struct vcpu *v, struct exit_info *x)
{
	unsigned vector = vmcs_read32(VM_EXIT_INTR_INFO) & 0xff;

	sched_blame(irq_vector_owner(vector));
	hv_irq(vector);
	return sched_preempt_wanted() ? EXIT_YIELD : EXIT_RESUME;
}

static const char *ept_access(uint64_t q)
{
	return (q & 2) ? "write" : (q & 4) ? "instruction fetch" : "read";
}

/* Exit qualification for EPT violations (SDM "Exit Qualification for EPT Violations"). */
#define EPTQ_WRITE          (1u << 1)
#define EPTQ_LINEAR_VALID   (1u << 7)
#define EPTQ_TRANSLATION    (1u << 8)    /* the access was to the page, not to a paging structure */

/* Stops v after a write to the PC hole the hv cannot complete, saying why and what it saw. */
static enum exit_action exit_rom_stop(struct vcpu *v, uint64_t gpa, const char *why,
				      const struct gmem_insn *gi)
{
	char bytes[3 * INSN_MAX_LEN + 1] = "";

	for (unsigned i = 0; gi && i < gi->nbytes; i++)
		log_snprintf(bytes + 3 * i, 4, " %02x", gi->bytes[i]);
	log_printf("hv: guest %s: EPT violation at GPA 0x%lx (write to the PC hole) rip 0x%lx: %s%s%s\n",
		   v->guest->cfg->name, gpa, vmcs_readnat(GUEST_RIP), why, gi ? "; bytes" : "", bytes);
	vmx_dump_guest(v);
	guest_stop(v->guest, "EPT violation at GPA 0x%lx (write to the PC hole: %s)", gpa, why);
	return EXIT_STOPPED;
}

/*
 * A string store (STOS, MOVS) whose destination is in the PC hole: the
 * iteration that faulted and those after it in the same page of the
 * destination are dropped (RDI, RSI and RCX move as if they had been
 * written); RIP stays on a REP instruction until its count runs out, so a
 * long one costs one exit per page. Returns the elements dropped.
 */
static uint64_t exit_rom_string(struct vcpu *v, const struct insn *in)
{
	uint64_t amask = insn_mask(in->addrsize), step = in->opsize;
	uint64_t rdi = v->regs.rdi & amask, count = in->rep ? v->regs.rcx & amask : 1, n;
	uint64_t lin = exit_guest_64bit() ? rdi : (uint32_t)(vmcs_readnat(GUEST_ES_BASE) + rdi);
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS), page_off = lin & 0xfff;
	bool down = rflags & RFLAGS_DF;

	n = down ? page_off / step + 1 : (4096 - page_off) / step;
	n = MAX(n, 1);
	n = MIN(n, count);
	if (rflags & RFLAGS_TF)
		n = 1;                  /* single-stepping traps after each iteration */
	uint64_t bytes = n * step;
	v->regs.rdi = insn_reg_write(v->regs.rdi, down ? rdi - bytes : rdi + bytes, in->addrsize);
	if (in->kind == INSN_MOVS) {
		uint64_t rsi = v->regs.rsi & amask;
		v->regs.rsi = insn_reg_write(v->regs.rsi, down ? rsi - bytes : rsi + bytes, in->addrsize);
	}
	if (in->rep)
		v->regs.rcx = insn_reg_write(v->regs.rcx, count - n, in->addrsize);
	exit_complete_insn(v, (!in->rep || count == n) ? in->len : 0);
	return n;
}

/*
 * A write to the PC hole, which the EPT maps read-only (a ROM area): the
 * write is dropped, as a ROM ignores it, and the guest goes on after the
 * instruction, which the hv decodes (an EPT violation reports no length):
 * MOV to memory, STOS, MOVS. Anything else, a write during event delivery
 * (a stack in the hole) or to a paging structure there stops the guest.
 */
static enum exit_action exit_rom_write(struct vcpu *v, struct exit_info *x, uint64_t gpa)
{
	struct gmem_insn gi;
	struct gmem_fault f;
	struct guest *g = v->guest;
	uint64_t bytes;

	if (vmcs_read32(IDT_VECTORING_INFO) & INTR_VALID)
		return exit_rom_stop(v, gpa, "during event delivery", NULL);
	if ((x->qual & EPTQ_LINEAR_VALID) && !(x->qual & EPTQ_TRANSLATION))
		return exit_rom_stop(v, gpa, "a paging-structure entry there", NULL);
	if (gmem_fetch_insn(v, &gi, &f) != GMEM_OK)
		return exit_rom_stop(v, gpa, "the instruction cannot be read", NULL);
	if (gi.res != INSN_OK || !((gi.in.kind == INSN_MOV_STORE && gi.in.has_mem) ||
				   gi.in.kind == INSN_STOS || gi.in.kind == INSN_MOVS))
		return exit_rom_stop(v, gpa, "instruction not emulated", &gi);
	if (gi.in.kind == INSN_MOV_STORE) {
		bytes = gi.in.opsize;
		exit_complete_insn(v, gi.in.len);
	} else {
		bytes = exit_rom_string(v, &gi.in) * gi.in.opsize;
	}
	g->rom_writes += bytes;
	guest_log_refusal(g, "write to the PC hole at GPA 0x%lx dropped (read-only, a ROM area), "
			  "%lu byte(s), rip 0x%lx", gpa, bytes, gi.rip);
	return EXIT_RESUME;
}

enum exit_action exit_ept_violation(struct vcpu *v, struct exit_info *x)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

	if ((x->qual & EPTQ_WRITE) && gpa >= MBLOAD_HOLE_START && gpa < MBLOAD_HOLE_END)
		return exit_rom_write(v, x, gpa);
	if (lapic_mmio_page(v->guest, gpa))
		return lapic_ept_violation(v, x, gpa);
	log_printf("hv: guest %s: EPT violation at GPA 0x%lx (%s) rip 0x%lx\n",
		   v->guest->cfg->name, gpa, ept_access(x->qual), vmcs_readnat(GUEST_RIP));
	vmx_dump_guest(v);
	guest_stop(v->guest, "EPT violation at GPA 0x%lx (%s)", gpa, ept_access(x->qual));
	return EXIT_STOPPED;
}

enum exit_action exit_ept_misconfig(struct vcpu *v, struct exit_info *x)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

	log_printf("hv: guest %s: EPT misconfiguration at GPA 0x%lx (hv bug)\n",
		   v->guest->cfg->name, gpa);
	guest_stop(v->guest, "EPT misconfiguration at GPA 0x%lx", gpa);
	return EXIT_STOPPED;
}
