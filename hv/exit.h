/*
 * Exit handlers, grouped by family: exit_misc.c (CPUID, HLT, VMCALL, VMX
 * instructions, faults, EPT), exit_io.c (I/O instructions and the emulated
 * ports), exit_msr.c (RDMSR/WRMSR), exit_cr.c (control registers).
 * Contract: see hv/exit.c.
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

/* Advances guest RIP past the exiting instruction. */
void exit_skip_insn(void);

enum exit_action exit_exception(struct vcpu *v, struct exit_info *x);
enum exit_action exit_external_interrupt(struct vcpu *v, struct exit_info *x);
enum exit_action exit_triple_fault(struct vcpu *v, struct exit_info *x);
enum exit_action exit_init_signal(struct vcpu *v, struct exit_info *x);
enum exit_action exit_cpuid(struct vcpu *v, struct exit_info *x);
enum exit_action exit_hlt(struct vcpu *v, struct exit_info *x);
enum exit_action exit_invd(struct vcpu *v, struct exit_info *x);
enum exit_action exit_vmcall(struct vcpu *v, struct exit_info *x);
enum exit_action exit_vmx_insn(struct vcpu *v, struct exit_info *x);
enum exit_action exit_cr_access(struct vcpu *v, struct exit_info *x);
enum exit_action exit_io(struct vcpu *v, struct exit_info *x);
enum exit_action exit_rdmsr(struct vcpu *v, struct exit_info *x);
enum exit_action exit_wrmsr(struct vcpu *v, struct exit_info *x);
enum exit_action exit_ept_violation(struct vcpu *v, struct exit_info *x);
enum exit_action exit_ept_misconfig(struct vcpu *v, struct exit_info *x);
enum exit_action exit_xsetbv(struct vcpu *v, struct exit_info *x);
enum exit_action exit_interrupt_window(struct vcpu *v, struct exit_info *x);
enum exit_action exit_preemption_timer(struct vcpu *v, struct exit_info *x);

/* Makes v's VMCS current. */
void vmx_load(struct vcpu *v);

#endif
