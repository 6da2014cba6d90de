/*
 * VMX basic exit reasons: one X-macro list shared by the hv (dispatch table,
 * counters), the guests (statistics hypercall) and tools/ (trace decoder).
 * Numbers and names as in the Intel SDM, appendix "VMX Basic Exit Reasons".
 */
#ifndef EXIT_REASONS_H
#define EXIT_REASONS_H

#define EXIT_REASON_LIST(X)                         \
	X(0,  EXCEPTION_NMI,        "exception-or-nmi") \
	X(1,  EXTERNAL_INTERRUPT,   "external-interrupt") \
	X(2,  TRIPLE_FAULT,         "triple-fault")     \
	X(3,  INIT,                 "init-signal")      \
	X(4,  SIPI,                 "sipi")             \
	X(5,  IO_SMI,               "io-smi")           \
	X(6,  OTHER_SMI,            "other-smi")        \
	X(7,  INTERRUPT_WINDOW,     "interrupt-window") \
	X(8,  NMI_WINDOW,           "nmi-window")       \
	X(9,  TASK_SWITCH,          "task-switch")      \
	X(10, CPUID,                "cpuid")            \
	X(11, GETSEC,               "getsec")           \
	X(12, HLT,                  "hlt")              \
	X(13, INVD,                 "invd")             \
	X(14, INVLPG,               "invlpg")           \
	X(15, RDPMC,                "rdpmc")            \
	X(16, RDTSC,                "rdtsc")            \
	X(17, RSM,                  "rsm")              \
	X(18, VMCALL,               "vmcall")           \
	X(19, VMCLEAR,              "vmclear")          \
	X(20, VMLAUNCH,             "vmlaunch")         \
	X(21, VMPTRLD,              "vmptrld")          \
	X(22, VMPTRST,              "vmptrst")          \
	X(23, VMREAD,               "vmread")           \
	X(24, VMRESUME,             "vmresume")         \
	X(25, VMWRITE,              "vmwrite")          \
	X(26, VMXOFF,               "vmxoff")           \
	X(27, VMXON,                "vmxon")            \
	X(28, CR_ACCESS,            "cr-access")        \
	X(29, DR_ACCESS,            "dr-access")        \
	X(30, IO_INSTRUCTION,       "io")               \
	X(31, RDMSR,                "rdmsr")            \
	X(32, WRMSR,                "wrmsr")            \
	X(33, INVALID_GUEST_STATE,  "entry-fail-guest-state") \
	X(34, MSR_LOADING,          "entry-fail-msr-load") \
	X(36, MWAIT,                "mwait")            \
	X(37, MONITOR_TRAP_FLAG,    "monitor-trap-flag") \
	X(39, MONITOR,              "monitor")          \
	X(40, PAUSE,                "pause")            \
	X(41, MACHINE_CHECK,        "entry-fail-machine-check") \
	X(43, TPR_BELOW_THRESHOLD,  "tpr-below-threshold") \
	X(44, APIC_ACCESS,          "apic-access")      \
	X(45, VIRTUALIZED_EOI,      "virtualized-eoi")  \
	X(46, GDTR_IDTR_ACCESS,     "gdtr-idtr-access") \
	X(47, LDTR_TR_ACCESS,       "ldtr-tr-access")   \
	X(48, EPT_VIOLATION,        "ept-violation")    \
	X(49, EPT_MISCONFIG,        "ept-misconfig")    \
	X(50, INVEPT,               "invept")           \
	X(51, RDTSCP,               "rdtscp")           \
	X(52, PREEMPTION_TIMER,     "preemption-timer") \
	X(53, INVVPID,              "invvpid")          \
	X(54, WBINVD,               "wbinvd")           \
	X(55, XSETBV,               "xsetbv")           \
	X(56, APIC_WRITE,           "apic-write")       \
	X(57, RDRAND,               "rdrand")           \
	X(58, INVPCID,              "invpcid")          \
	X(59, VMFUNC,               "vmfunc")           \
	X(60, ENCLS,                "encls")            \
	X(61, RDSEED,               "rdseed")           \
	X(62, PML_FULL,             "page-mod-log-full") \
	X(63, XSAVES,               "xsaves")           \
	X(64, XRSTORS,              "xrstors")

enum exit_reason {
#define EXIT_REASON_ENUM(num, id, name) EXIT_REASON_##id = num,
	EXIT_REASON_LIST(EXIT_REASON_ENUM)
#undef EXIT_REASON_ENUM
};

#define EXIT_REASON_MAX 65       /* table size: reasons 0..64 */

/* Bits of the exit-reason field above the basic reason (SDM "Basic VM-Exit Information"). */
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Returns the SDM name of a basic exit reason, or NULL if none is defined. */
static inline const char *exit_reason_name(unsigned reason)
{
	switch (reason) {
#define EXIT_REASON_CASE(num, id, name) case num: return name;
	EXIT_REASON_LIST(EXIT_REASON_CASE)
#undef EXIT_REASON_CASE
	}
	return (const char *)0;
}

#endif
