/*
 * Exit handlers, grouped by family: exit_misc.c (CPUID, HLT, VMCALL, VMX
 * instructions, faults, EPT, cache and monitor instructions), exit_io.c
 * (I/O instructions and the emulated ports), exit_msr.c (RDMSR/WRMSR),
 * exit_cr.c (control registers). Contract: see hv/exit.c.
 */
#ifndef HV_EXIT_H
#define HV_EXIT_H

#include "hv.h"

enum exit_action {
	EXIT_RESUME,
	EXIT_YIELD,
	EXIT_STOPPED,
};

struct exit_info {
	unsigned reason;             /* basic exit reason (bits 15:0) */
	uint64_t qual;               /* exit qualification */
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v, struct exit_info *x);

/* Handles v's VM exit (v's VMCS current): counts it, traces it, runs its handler. */
enum exit_action exit_dispatch(struct vcpu *v);

/* VMLAUNCH/VMRESUME of v failed (vmx_run's rc 1 or 2): reports it and stops the guest. */
enum exit_action exit_vmfail(struct vcpu *v, int rc);

/*
 * Completes the exiting instruction: advances RIP past it, ends STI/MOV SS
 * blocking and RF, and raises the single-step #DB if RFLAGS.TF is set.
 */
void exit_skip_insn(struct vcpu *v);

/*
 * The same for an instruction of len bytes that the hv decoded itself (an
 * EPT violation reports no length). len 0: iterations of a REP string
 * instruction are done and RIP stays on it for the rest; the trap and
 * blocking rules are those of a completed iteration.
 */
void exit_complete_insn(struct vcpu *v, unsigned len);

/* Returns true if the current guest runs 64-bit code (IA-32e mode and CS.L). */
bool exit_guest_64bit(void);

/* Returns the current guest's privilege level (SS.DPL). */
unsigned exit_guest_cpl(void);

/* hv/exit_msr.c: builds g's MSR bitmap from the MSR policy (what passes through). */
void msr_build_bitmap(struct guest *g);

/* hv/guest.c: test_fault = vmresume (a test of the failed-VMRESUME path). */
void guest_test_fault_on_exit(struct guest *g);

enum exit_action exit_exception(struct vcpu *v, struct exit_info *x);
enum exit_action exit_external_interrupt(struct vcpu *v, struct exit_info *x);
enum exit_action exit_triple_fault(struct vcpu *v, struct exit_info *x);
enum exit_action exit_init_signal(struct vcpu *v, struct exit_info *x);
enum exit_action exit_cpuid(struct vcpu *v, struct exit_info *x);
enum exit_action exit_hlt(struct vcpu *v, struct exit_info *x);
enum exit_action exit_invd_wbinvd(struct vcpu *v, struct exit_info *x);
enum exit_action exit_rdpmc(struct vcpu *v, struct exit_info *x);
enum exit_action exit_ud(struct vcpu *v, struct exit_info *x);
enum exit_action exit_vmcall(struct vcpu *v, struct exit_info *x);
enum exit_action exit_cr_access(struct vcpu *v, struct exit_info *x);
enum exit_action exit_io(struct vcpu *v, struct exit_info *x);
enum exit_action exit_rdmsr(struct vcpu *v, struct exit_info *x);
enum exit_action exit_wrmsr(struct vcpu *v, struct exit_info *x);
enum exit_action exit_ept_violation(struct vcpu *v, struct exit_info *x);
enum exit_action exit_ept_misconfig(struct vcpu *v, struct exit_info *x);
enum exit_action exit_xsetbv(struct vcpu *v, struct exit_info *x);
enum exit_action exit_interrupt_window(struct vcpu *v, struct exit_info *x);
enum exit_action exit_preemption_timer(struct vcpu *v, struct exit_info *x);

#endif
