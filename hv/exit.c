/*
 * VM-exit dispatch: one table indexed by basic exit reason. Every exit is
 * counted here (count, TSC exit-to-resume) before and after its handler.
 *
 * Handler contract: a handler gets the vCPU and the decoded exit, and
 * returns what happens next:
 *   EXIT_RESUME  the guest goes on (the handler advanced RIP if it should)
 *   EXIT_YIELD   the guest goes on, but another guest may run first
 *   EXIT_STOPPED the handler stopped the guest (guest_stop/guest_exit)
 * Exits with no handler stop only that guest, with a full dump.
 */
#include "hv.h"
#include "cpu.h"
#include "log.h"
#include "vmcs.h"
#include "exit.h"
#include "irq.h"
#include "virq.h"
#include "tracer.h"

static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]       = exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]  = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]        = exit_triple_fault,
	[EXIT_REASON_INIT]                = exit_init_signal,
	[EXIT_REASON_CPUID]               = exit_cpuid,
	[EXIT_REASON_HLT]                 = exit_hlt,
	[EXIT_REASON_INVD]                = exit_invd,
	[EXIT_REASON_VMCALL]              = exit_vmcall,
	[EXIT_REASON_VMCLEAR]             = exit_vmx_insn,
	[EXIT_REASON_VMLAUNCH]            = exit_vmx_insn,
	[EXIT_REASON_VMPTRLD]             = exit_vmx_insn,
	[EXIT_REASON_VMPTRST]             = exit_vmx_insn,
	[EXIT_REASON_VMREAD]              = exit_vmx_insn,
	[EXIT_REASON_VMRESUME]            = exit_vmx_insn,
	[EXIT_REASON_VMWRITE]             = exit_vmx_insn,
	[EXIT_REASON_VMXOFF]              = exit_vmx_insn,
	[EXIT_REASON_VMXON]               = exit_vmx_insn,
	[EXIT_REASON_INVEPT]              = exit_vmx_insn,
	[EXIT_REASON_INVVPID]             = exit_vmx_insn,
	[EXIT_REASON_CR_ACCESS]           = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION]      = exit_io,
	[EXIT_REASON_RDMSR]               = exit_rdmsr,
	[EXIT_REASON_WRMSR]               = exit_wrmsr,
	[EXIT_REASON_EPT_VIOLATION]       = exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]       = exit_ept_misconfig,
	[EXIT_REASON_XSETBV]              = exit_xsetbv,
	[EXIT_REASON_INTERRUPT_WINDOW]    = exit_interrupt_window,
	[EXIT_REASON_PREEMPTION_TIMER]    = exit_preemption_timer,
};

void exit_skip_insn(void)
{
	vmcs_writenat(GUEST_RIP, vmcs_readnat(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* An emulated instruction ends any STI / MOV SS blocking. */
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & 3)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~3u);
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

	g->run_tsc += v->exit_tsc - v->resume_tsc;
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

struct vcpu *exit_dispatch(struct vcpu *v)
{
	struct exit_info x;
	uint32_t raw = vmcs_read32(VM_EXIT_REASON);
	enum exit_action act;

	v->launched = 1;
	x.reason = raw & 0xffff;
	x.qual = vmcs_readnat(EXIT_QUALIFICATION);
	exit_account(v, x.reason);
	trace_exit(v, raw, x.qual);
	if (raw & EXIT_REASON_ENTRY_FAILURE) {
		v->launched = 0;
		act = exit_entry_failure(v, &x);
	} else if (x.reason < EXIT_REASON_MAX && exit_handlers[x.reason]) {
		act = exit_handlers[x.reason](v, &x);
	} else {
		act = exit_unhandled(v, &x);
	}
	irq_guest_eois(v->guest);
	trace_poll();
	struct vcpu *next = v;
	if (act != EXIT_RESUME || v->guest->state != GUEST_RUNNABLE)
		next = sched_next(v);
	vmx_load(next);
	virq_prepare_entry(next);
	trace_resume(next);
	return next;
}
