/*
 * VM-exit dispatch: one table indexed by basic exit reason. Every exit is
 * counted here (count, TSC exit-to-resume) before its handler runs.
 *
 * Handler contract: a handler gets the vCPU and the decoded exit, and
 * returns what happens next:
 *   EXIT_RESUME  the guest goes on (the handler advanced RIP if it should)
 *   EXIT_YIELD   the guest goes on, but another guest may run first
 *   EXIT_STOPPED the handler stopped the guest (guest_stop/guest_exit)
 * Exits with no handler stop only that guest, with a full dump. The run
 * loop (hv/sched.c) decides who runs next; nothing here enters a guest.
 */
#include "exit.h"
#include "cpu.h"
#include "guest.h"
#include "irq.h"
#include "log.h"
#include "tracer.h"
#include "vmcs.h"
#include "vmx.h"
#include "lapic.h"

static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]       = exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]  = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]        = exit_triple_fault,
	[EXIT_REASON_INIT]                = exit_init_signal,
	[EXIT_REASON_CPUID]               = exit_cpuid,
	[EXIT_REASON_HLT]                 = exit_hlt,
	[EXIT_REASON_INVD]                = exit_invd_wbinvd,
	[EXIT_REASON_RDPMC]               = exit_rdpmc,
	[EXIT_REASON_VMCALL]              = exit_vmcall,
	[EXIT_REASON_VMCLEAR]             = exit_ud,
	[EXIT_REASON_VMLAUNCH]            = exit_ud,
	[EXIT_REASON_VMPTRLD]             = exit_ud,
	[EXIT_REASON_VMPTRST]             = exit_ud,
	[EXIT_REASON_VMREAD]              = exit_ud,
	[EXIT_REASON_VMRESUME]            = exit_ud,
	[EXIT_REASON_VMWRITE]             = exit_ud,
	[EXIT_REASON_VMXOFF]              = exit_ud,
	[EXIT_REASON_VMXON]               = exit_ud,
	[EXIT_REASON_INVEPT]              = exit_ud,
	[EXIT_REASON_INVVPID]             = exit_ud,
	[EXIT_REASON_CR_ACCESS]           = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION]      = exit_io,
	[EXIT_REASON_RDMSR]               = exit_rdmsr,
	[EXIT_REASON_WRMSR]               = exit_wrmsr,
	[EXIT_REASON_MWAIT]               = exit_ud,
	[EXIT_REASON_MONITOR]             = exit_ud,
	[EXIT_REASON_EPT_VIOLATION]       = exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]       = exit_ept_misconfig,
	[EXIT_REASON_WBINVD]              = exit_invd_wbinvd,
	[EXIT_REASON_XSETBV]              = exit_xsetbv,
	[EXIT_REASON_INTERRUPT_WINDOW]    = exit_interrupt_window,
	[EXIT_REASON_PREEMPTION_TIMER]    = exit_preemption_timer,
	[EXIT_REASON_NMI_WINDOW]          = exit_nmi_window,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = exit_tpr_below_threshold,
	[EXIT_REASON_APIC_ACCESS]         = exit_apic_access,
	[EXIT_REASON_APIC_WRITE]          = exit_apic_write,
};

#define DR6_BS (1ull << 14)

void exit_skip_insn(struct vcpu *v)
{
	exit_complete_insn(v, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

void exit_complete_insn(struct vcpu *v, unsigned len)
{
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS);
	uint64_t rip = vmcs_readnat(GUEST_RIP) + len;

	/* Outside 64-bit mode RIP wraps at 4 GiB (EIP). */
	if ((rip >> 32) && !exit_guest_64bit())
		rip = (uint32_t)rip;
	vmcs_writenat(GUEST_RIP, rip);
	/* An emulated instruction ends any STI / MOV SS blocking. */
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & 3)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~3u);
	/*
	 * A completed instruction with RFLAGS.TF = 1 ends in a single-step trap
	 * (SDM "Single-Step Exception Condition"): #DB with DR6.BS, which the
	 * guest's DR6 (live in the CPU while it runs) shows. With DEBUGCTL.BTF
	 * it comes after branches only ("Single-Stepping on Branches"), and no
	 * emulated instruction is one.
	 */
	if ((rflags & RFLAGS_TF) && !(vmcs_read64(GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF)) {
		cpu_write_dr(6, cpu_read_dr(6) | DR6_BS);
		vmcs_writenat(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
		vmx_inject_exception(v, EXC_DB, false, 0);
	} else if (rflags & RFLAGS_RF) {
		/* RF is cleared once an instruction completes (SDM "Resume Flag"). */
		vmcs_writenat(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
	}
}

bool exit_guest_64bit(void)
{
	return (vmcs_read32(GUEST_CS_AR_BYTES) & (1u << 13)) &&
	       (vmcs_read32(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
}

unsigned exit_guest_cpl(void)
{
	/* SS.DPL is the CPL (SDM "Checks on Guest Segment Registers"). */
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/*
 * Closes the span of v's previous exit (exit TSC to resume TSC, which the
 * entry path took) and opens the current one. A span includes the time
 * other guests ran if the exit yielded: it is the cost the guest saw.
 */
static void exit_account(struct vcpu *v, unsigned reason)
{
	struct guest *g = v->guest;
	struct exit_stats *s = &g->stats;

	v->fresh = false;
	if (g->acct_pending && g->acct_reason < EXIT_REASON_MAX) {
		uint64_t span = v->resume_tsc - g->acct_exit_tsc;
		unsigned r = g->acct_reason;
		s->tsc_sum[r] += span;
		if (span < s->tsc_min[r])
			s->tsc_min[r] = span;
		if (span > s->tsc_max[r])
			s->tsc_max[r] = span;
	}
	g->acct_pending = true;
	g->acct_reason = reason;
	g->acct_exit_tsc = v->exit_tsc;
	if (reason < EXIT_REASON_MAX) {
		s->count[reason]++;
		s->total++;
	}
}

/* Reports a failed VM entry (exit reason with bit 31 set) and stops the guest. */
static enum exit_action exit_entry_failure(struct vcpu *v, struct exit_info *x)
{
	const char *name = exit_reason_name(x->reason);

	log_printf("hv: guest %s: VM entry failed: %s (exit reason %u), qualification 0x%lx\n",
		   v->guest->cfg->name, name ? name : "unknown", x->reason, x->qual);
	vmx_dump_guest(v);
	guest_stop(v->guest, "VM entry failed: %s",
		   x->reason == EXIT_REASON_INVALID_GUEST_STATE ? "invalid guest state" :
		   x->reason == EXIT_REASON_MSR_LOADING ? "MSR loading" : "machine-check event");
	return EXIT_STOPPED;
}

static enum exit_action exit_unhandled(struct vcpu *v, struct exit_info *x)
{
	const char *name = exit_reason_name(x->reason);

	log_printf("hv: guest %s: unhandled exit %u (%s), qualification 0x%lx\n",
		   v->guest->cfg->name, x->reason, name ? name : "unknown", x->qual);
	vmx_dump_guest(v);
	guest_stop(v->guest, "unhandled exit %s", name ? name : "unknown");
	return EXIT_STOPPED;
}

enum exit_action exit_dispatch(struct vcpu *v)
{
	struct exit_info x;
	uint32_t raw = vmcs_read32(VM_EXIT_REASON);
	enum exit_action act;

	x.reason = raw & 0xffff;
	x.qual = vmcs_readnat(EXIT_QUALIFICATION);
	exit_account(v, x.reason);
	trace_exit(v, raw, x.qual);
	if (raw & EXIT_REASON_ENTRY_FAILURE) {
		/*
		 * SDM "VM Entries": the launch state changes only when VMLAUNCH
		 * succeeds; a failed VMRESUME leaves the VMCS launched.
		 */
		act = exit_entry_failure(v, &x);
	} else {
		v->launched = 1;
		if (x.reason < EXIT_REASON_MAX && exit_handlers[x.reason])
			act = exit_handlers[x.reason](v, &x);
		else
			act = exit_unhandled(v, &x);
	}
	if (v->guest->pic.eoi_pending)       /* else vpic_take_eois has no line to give */
		irq_guest_eois(v->guest);
	trace_poll();
	return act;
}

enum exit_action exit_vmfail(struct vcpu *v, int rc)
{
	struct guest *g = v->guest;

	if (rc == 1) {
		guest_stop(g, "VM entry failed: VMfailInvalid (no current VMCS)");
	} else {
		uint32_t err = vmcs_read32(VM_INSTRUCTION_ERROR);
		log_printf("hv: guest %s: VM entry failed: VM-instruction error %u (%s)\n",
			   g->cfg->name, err, vmcs_insn_error_name(err));
		vmx_dump_guest(v);
		guest_stop(g, "VM entry failed: %s", vmcs_insn_error_name(err));
	}
	return EXIT_STOPPED;
}
