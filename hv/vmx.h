/*
 * VMX mechanism: VMXON, the controls the hv runs with, one VMCS per vCPU,
 * entering a vCPU and coming back from it, event injection. It calls
 * nothing above it (no scheduling, no guest policy).
 */
#ifndef HV_VMX_H
#define HV_VMX_H

#include "hv.h"
#include "vmxcap.h"

/* The controls chosen at VMXON (adjusted to the capability MSRs). */
struct vmx_controls {
	uint32_t pin, proc, proc2, exit, entry;
	/*
	 * Secondary controls a guest with a local APIC adds (hv/lapic.c):
	 * virtualize APIC accesses and APIC-register virtualization where the
	 * CPU offers them with the TPR shadow, unless [hv] lapic_access =
	 * decode; 0 when its xAPIC page is reached through EPT violations.
	 */
	uint32_t apic_proc2;
};

/* Reads the capabilities, enables VMX (IA32_FEATURE_CONTROL, CR4.VMXE) and executes VMXON. */
void vmx_init(void);

/* An AP's VMXON (after vmx_init on the BSP): the same controls, its own VMXON region. */
void vmx_cpu_init(void);

/*
 * Moving a vCPU to another CPU before its first entry: the CPU that built
 * its VMCS releases it (VMCLEAR), the CPU that will run it adopts it (makes
 * it current and writes its own host state: GS base, TR and GDT bases).
 */
void vmx_vcpu_release(struct vcpu *v);
void vmx_vcpu_adopt(struct vcpu *v);

/* The capability MSRs and the chosen controls, for the checker and the CPU model. */
const struct vmx_caps *vmx_caps(void);
const struct vmx_controls *vmx_controls(void);

/* Allocates g's VMCS and bitmaps and builds its VMCS (vmx_vcpu_rebuild). */
void vmx_guest_setup(struct guest *g);

/*
 * Gives g's vCPU a fresh VMCS: VMCLEAR (launch state "clear"), then
 * controls, host state and the reset guest state written again (SDM
 * "VMCLEAR": the only architectural way to reset a VMCS's launch state).
 */
void vmx_vcpu_rebuild(struct guest *g);

/* Makes v's VMCS current (VMPTRLD) if it is not. */
void vmx_load(struct vcpu *v);

/*
 * Enters v (VMLAUNCH or VMRESUME) and returns when it leaves: 0 after a VM
 * exit, 1 on VMfailInvalid, 2 on VMfailValid (hv/entry.asm).
 */
int vmx_run(struct vcpu *v);

/*
 * Queues a hardware exception for the next entry of v (current VMCS),
 * following the SDM's rules for event injection: no error code while
 * CR0.PE = 0, RFLAGS.RF set for faults.
 */
void vmx_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);

/* Flushes v's guest-linear translations (INVVPID single-context, or nothing without VPID). */
void vmx_flush_guest_tlb(struct vcpu *v);

/* Sets the MSRs vmx_switch_msrs switches (at most VCPU_SWITCHED_MSRS; v->msrs[i] is msrs[i]'s). */
void vmx_set_switched_msrs(const uint32_t *msrs, unsigned n);

/* Saves from's switched MSRs and loads to's. */
void vmx_switch_msrs(struct vcpu *from, struct vcpu *to);

void vmx_dump_guest(struct vcpu *v);

/*
 * [hv] vmcheck = on: runs the SDM's VM-entry checks (hv/vmcheck.c) on v's
 * current VMCS before it is entered, and logs the first rule broken.
 */
void vmx_check_entry(struct vcpu *v);

uint64_t vmx_cr0_fixed0(void);
uint64_t vmx_cr0_fixed1(void);
uint64_t vmx_cr4_fixed0(void);
uint64_t vmx_cr4_fixed1(void);

#endif
