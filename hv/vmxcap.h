/*
 * VMX capability checks and control adjustment (SDM appendix "VMX
 * Capability Reporting Facility"). Pure: the caller reads the MSRs.
 */
#ifndef VMXCAP_H
#define VMXCAP_H

#include <stdint.h>

#define MSR_IA32_FEATURE_CONTROL      0x03a
#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_MISC             0x485
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS   0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS  0x490

#define FEATURE_CONTROL_LOCK          (1ull << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ull << 2)

#define VMX_BASIC_INS_OUTS_INFO       (1ull << 54)   /* INS/OUTS exits report instruction information */
#define VMX_BASIC_TRUE_CTLS           (1ull << 55)
#define VMX_BASIC_NO_ERRCODE_CHECK    (1ull << 56)   /* hardware exceptions with or without error code */

/* Pin-based controls. */
#define PIN_EXTINT_EXITING            (1u << 0)
#define PIN_NMI_EXITING               (1u << 3)
#define PIN_VIRTUAL_NMIS              (1u << 5)
#define PIN_PREEMPTION_TIMER          (1u << 6)

/* Primary processor-based controls. */
#define PROC_INTR_WINDOW_EXITING      (1u << 2)
#define PROC_USE_TSC_OFFSETTING       (1u << 3)
#define PROC_HLT_EXITING              (1u << 7)
#define PROC_INVLPG_EXITING           (1u << 9)
#define PROC_MWAIT_EXITING            (1u << 10)
#define PROC_RDPMC_EXITING            (1u << 11)
#define PROC_RDTSC_EXITING            (1u << 12)
#define PROC_CR3_LOAD_EXITING         (1u << 15)
#define PROC_CR3_STORE_EXITING        (1u << 16)
#define PROC_CR8_LOAD_EXITING         (1u << 19)
#define PROC_CR8_STORE_EXITING        (1u << 20)
#define PROC_USE_TPR_SHADOW           (1u << 21)
#define PROC_NMI_WINDOW_EXITING       (1u << 22)
#define PROC_MOV_DR_EXITING           (1u << 23)
#define PROC_UNCOND_IO_EXITING        (1u << 24)
#define PROC_USE_IO_BITMAPS           (1u << 25)
#define PROC_MONITOR_TRAP_FLAG        (1u << 27)
#define PROC_USE_MSR_BITMAPS          (1u << 28)
#define PROC_MONITOR_EXITING          (1u << 29)
#define PROC_PAUSE_EXITING            (1u << 30)
#define PROC_SECONDARY_CONTROLS       (1u << 31)

/* Secondary processor-based controls. */
#define PROC2_VIRTUALIZE_APIC         (1u << 0)
#define PROC2_ENABLE_EPT              (1u << 1)
#define PROC2_DESC_TABLE_EXITING      (1u << 2)
#define PROC2_ENABLE_RDTSCP           (1u << 3)
#define PROC2_VIRTUALIZE_X2APIC       (1u << 4)
#define PROC2_ENABLE_VPID             (1u << 5)
#define PROC2_WBINVD_EXITING          (1u << 6)
#define PROC2_UNRESTRICTED_GUEST      (1u << 7)
#define PROC2_APIC_REGISTER_VIRT      (1u << 8)
#define PROC2_VIRTUAL_INTR_DELIVERY   (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING      (1u << 10)
#define PROC2_RDRAND_EXITING          (1u << 11)
#define PROC2_ENABLE_INVPCID          (1u << 12)
#define PROC2_ENABLE_VMFUNC           (1u << 13)
#define PROC2_VMCS_SHADOWING          (1u << 14)
#define PROC2_RDSEED_EXITING          (1u << 16)
#define PROC2_EPT_VE                  (1u << 18)
#define PROC2_ENABLE_XSAVES           (1u << 20)
#define PROC2_TSC_SCALING             (1u << 25)

/* VM-exit controls. */
#define EXIT_SAVE_DEBUG_CONTROLS      (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE     (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL    (1u << 12)
#define EXIT_ACK_INTR_ON_EXIT         (1u << 15)
#define EXIT_SAVE_PAT                 (1u << 18)
#define EXIT_LOAD_PAT                 (1u << 19)
#define EXIT_SAVE_EFER                (1u << 20)
#define EXIT_LOAD_EFER                (1u << 21)
#define EXIT_SAVE_PREEMPT_TIMER       (1u << 22)

/* VM-entry controls. */
#define ENTRY_LOAD_DEBUG_CONTROLS     (1u << 2)
#define ENTRY_IA32E_MODE_GUEST        (1u << 9)
#define ENTRY_SMM                     (1u << 10)
#define ENTRY_DUAL_MONITOR            (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL   (1u << 13)
#define ENTRY_LOAD_PAT                (1u << 14)
#define ENTRY_LOAD_EFER               (1u << 15)

/* IA32_VMX_EPT_VPID_CAP bits. */
#define EPT_CAP_WALK_4                (1ull << 6)
#define EPT_CAP_WB                    (1ull << 14)
#define EPT_CAP_2M                    (1ull << 16)
#define EPT_CAP_INVEPT                (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE         (1ull << 25)
#define EPT_CAP_INVEPT_ALL            (1ull << 26)
#define VPID_CAP_INVVPID              (1ull << 32)
#define VPID_CAP_INVVPID_ADDR         (1ull << 40)
#define VPID_CAP_INVVPID_SINGLE       (1ull << 41)
#define VPID_CAP_INVVPID_ALL          (1ull << 42)

/* IA32_VMX_MISC bits. */
#define VMX_MISC_PREEMPT_SHIFT        0x1fu
#define VMX_MISC_SAVE_EFER_LMA        (1ull << 5)
#define VMX_MISC_ACTIVITY_HLT         (1ull << 6)


/* The capability MSRs, as read by the caller. */
struct vmx_caps {
	uint64_t basic;
	uint64_t pin, proc, proc2, exit, entry;   /* TRUE variants where basic says so */
	uint64_t misc, ept_vpid;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/*
 * Adjusts a control word to a capability MSR whose low half holds the bits
 * that must be 1 and whose high half the bits that may be 1. required bits
 * must be allowed; optional bits are kept where allowed.
 * Returns 0 and sets *out, or -1 and sets *missing to the required bits the
 * CPU does not allow.
 */
int vmxcap_adjust(uint32_t required, uint32_t optional, uint64_t cap,
		  uint32_t *out, uint32_t *missing);

/* Returns the MSR index to read for a control class (TRUE MSR where basic bit 55 says so). */
uint32_t vmxcap_ctl_msr(uint64_t basic, uint32_t plain_msr);

/*
 * Checks that the CPU has what the hv needs: EPT (4-level, write-back),
 * unrestricted guest, the VMX preemption timer. Returns NULL if so, else
 * a sentence naming the first thing missing.
 */
const char *vmxcap_missing(const struct vmx_caps *c);

#endif
