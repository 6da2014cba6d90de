/*
 * VMCS field encodings, grouped as in the SDM appendix "Field Encoding in
 * VMCS", and width-checked accessors: vmcs_read32(GUEST_CS_LIMIT) compiles,
 * vmcs_read16(GUEST_CS_LIMIT) does not. Bits 14:13 of an encoding give its
 * width (0: 16-bit, 1: 64-bit, 2: 32-bit, 3: natural width).
 *
 * Every VMREAD and VMWRITE is checked: a failure (a field this CPU lacks, or
 * no current VMCS) is an hv bug and panics naming the field.
 *
 * The VMX instructions live here too. Under HOST_TEST they are functions of
 * the fake CPU (tests/unit/hvhost/fake_vmcs.c), which keeps one value per
 * encoding per VMCS and runs the SDM's VM-entry checks (hv/vmcheck.c).
 */
#ifndef HV_VMCS_H
#define HV_VMCS_H

#include <stdint.h>

#define VMCS_FIELDS(X) \
	/* 16-bit control fields */ \
	X(VIRTUAL_PROCESSOR_ID,          0x0000) \
	/* 16-bit guest-state fields */ \
	X(GUEST_ES_SELECTOR,             0x0800) \
	X(GUEST_CS_SELECTOR,             0x0802) \
	X(GUEST_SS_SELECTOR,             0x0804) \
	X(GUEST_DS_SELECTOR,             0x0806) \
	X(GUEST_FS_SELECTOR,             0x0808) \
	X(GUEST_GS_SELECTOR,             0x080a) \
	X(GUEST_LDTR_SELECTOR,           0x080c) \
	X(GUEST_TR_SELECTOR,             0x080e) \
	/* 16-bit host-state fields */ \
	X(HOST_ES_SELECTOR,              0x0c00) \
	X(HOST_CS_SELECTOR,              0x0c02) \
	X(HOST_SS_SELECTOR,              0x0c04) \
	X(HOST_DS_SELECTOR,              0x0c06) \
	X(HOST_FS_SELECTOR,              0x0c08) \
	X(HOST_GS_SELECTOR,              0x0c0a) \
	X(HOST_TR_SELECTOR,              0x0c0c) \
	/* 64-bit control fields */ \
	X(IO_BITMAP_A,                   0x2000) \
	X(IO_BITMAP_B,                   0x2002) \
	X(MSR_BITMAP,                    0x2004) \
	X(VM_EXIT_MSR_STORE_ADDR,        0x2006) \
	X(VM_EXIT_MSR_LOAD_ADDR,         0x2008) \
	X(VM_ENTRY_MSR_LOAD_ADDR,        0x200a) \
	X(TSC_OFFSET,                    0x2010) \
	X(VIRTUAL_APIC_PAGE_ADDR,        0x2012) \
	X(APIC_ACCESS_ADDR,              0x2014) \
	X(EPT_POINTER,                   0x201a) \
	X(XSS_EXIT_BITMAP,               0x202c) \
	/* 64-bit read-only data fields */ \
	X(GUEST_PHYSICAL_ADDRESS,        0x2400) \
	/* 64-bit guest-state fields */ \
	X(VMCS_LINK_POINTER,             0x2800) \
	X(GUEST_IA32_DEBUGCTL,           0x2802) \
	X(GUEST_IA32_PAT,                0x2804) \
	X(GUEST_IA32_EFER,               0x2806) \
	X(GUEST_PDPTE0,                  0x280a) \
	X(GUEST_PDPTE1,                  0x280c) \
	X(GUEST_PDPTE2,                  0x280e) \
	X(GUEST_PDPTE3,                  0x2810) \
	/* 64-bit host-state fields */ \
	X(HOST_IA32_PAT,                 0x2c00) \
	X(HOST_IA32_EFER,                0x2c02) \
	/* 32-bit control fields */ \
	X(PIN_BASED_VM_EXEC_CONTROL,     0x4000) \
	X(CPU_BASED_VM_EXEC_CONTROL,     0x4002) \
	X(EXCEPTION_BITMAP,              0x4004) \
	X(PAGE_FAULT_ERROR_CODE_MASK,    0x4006) \
	X(PAGE_FAULT_ERROR_CODE_MATCH,   0x4008) \
	X(CR3_TARGET_COUNT,              0x400a) \
	X(VM_EXIT_CONTROLS,              0x400c) \
	X(VM_EXIT_MSR_STORE_COUNT,       0x400e) \
	X(VM_EXIT_MSR_LOAD_COUNT,        0x4010) \
	X(VM_ENTRY_CONTROLS,             0x4012) \
	X(VM_ENTRY_MSR_LOAD_COUNT,       0x4014) \
	X(VM_ENTRY_INTR_INFO,            0x4016) \
	X(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018) \
	X(VM_ENTRY_INSTRUCTION_LEN,      0x401a) \
	X(TPR_THRESHOLD,                 0x401c) \
	X(SECONDARY_VM_EXEC_CONTROL,     0x401e) \
	/* 32-bit read-only data fields */ \
	X(VM_INSTRUCTION_ERROR,          0x4400) \
	X(VM_EXIT_REASON,                0x4402) \
	X(VM_EXIT_INTR_INFO,             0x4404) \
	X(VM_EXIT_INTR_ERROR_CODE,       0x4406) \
	X(IDT_VECTORING_INFO,            0x4408) \
	X(IDT_VECTORING_ERROR_CODE,      0x440a) \
	X(VM_EXIT_INSTRUCTION_LEN,       0x440c) \
	X(VM_EXIT_INSTRUCTION_INFO,      0x440e) \
	/* 32-bit guest-state fields */ \
	X(GUEST_ES_LIMIT,                0x4800) \
	X(GUEST_CS_LIMIT,                0x4802) \
	X(GUEST_SS_LIMIT,                0x4804) \
	X(GUEST_DS_LIMIT,                0x4806) \
	X(GUEST_FS_LIMIT,                0x4808) \
	X(GUEST_GS_LIMIT,                0x480a) \
	X(GUEST_LDTR_LIMIT,              0x480c) \
	X(GUEST_TR_LIMIT,                0x480e) \
	X(GUEST_GDTR_LIMIT,              0x4810) \
	X(GUEST_IDTR_LIMIT,              0x4812) \
	X(GUEST_ES_AR_BYTES,             0x4814) \
	X(GUEST_CS_AR_BYTES,             0x4816) \
	X(GUEST_SS_AR_BYTES,             0x4818) \
	X(GUEST_DS_AR_BYTES,             0x481a) \
	X(GUEST_FS_AR_BYTES,             0x481c) \
	X(GUEST_GS_AR_BYTES,             0x481e) \
	X(GUEST_LDTR_AR_BYTES,           0x4820) \
	X(GUEST_TR_AR_BYTES,             0x4822) \
	X(GUEST_INTERRUPTIBILITY_INFO,   0x4824) \
	X(GUEST_ACTIVITY_STATE,          0x4826) \
	X(GUEST_SYSENTER_CS,             0x482a) \
	X(VMX_PREEMPTION_TIMER_VALUE,    0x482e) \
	/* 32-bit host-state field */ \
	X(HOST_IA32_SYSENTER_CS,         0x4c00) \
	/* natural-width control fields */ \
	X(CR0_GUEST_HOST_MASK,           0x6000) \
	X(CR4_GUEST_HOST_MASK,           0x6002) \
	X(CR0_READ_SHADOW,               0x6004) \
	X(CR4_READ_SHADOW,               0x6006) \
	/* natural-width read-only data fields */ \
	X(EXIT_QUALIFICATION,            0x6400) \
	X(GUEST_LINEAR_ADDRESS,          0x640a) \
	/* natural-width guest-state fields */ \
	X(GUEST_CR0,                     0x6800) \
	X(GUEST_CR3,                     0x6802) \
	X(GUEST_CR4,                     0x6804) \
	X(GUEST_ES_BASE,                 0x6806) \
	X(GUEST_CS_BASE,                 0x6808) \
	X(GUEST_SS_BASE,                 0x680a) \
	X(GUEST_DS_BASE,                 0x680c) \
	X(GUEST_FS_BASE,                 0x680e) \
	X(GUEST_GS_BASE,                 0x6810) \
	X(GUEST_LDTR_BASE,               0x6812) \
	X(GUEST_TR_BASE,                 0x6814) \
	X(GUEST_GDTR_BASE,               0x6816) \
	X(GUEST_IDTR_BASE,               0x6818) \
	X(GUEST_DR7,                     0x681a) \
	X(GUEST_RSP,                     0x681c) \
	X(GUEST_RIP,                     0x681e) \
	X(GUEST_RFLAGS,                  0x6820) \
	X(GUEST_PENDING_DBG_EXCEPTIONS,  0x6822) \
	X(GUEST_SYSENTER_ESP,            0x6824) \
	X(GUEST_SYSENTER_EIP,            0x6826) \
	/* natural-width host-state fields */ \
	X(HOST_CR0,                      0x6c00) \
	X(HOST_CR3,                      0x6c02) \
	X(HOST_CR4,                      0x6c04) \
	X(HOST_FS_BASE,                  0x6c06) \
	X(HOST_GS_BASE,                  0x6c08) \
	X(HOST_TR_BASE,                  0x6c0a) \
	X(HOST_GDTR_BASE,                0x6c0c) \
	X(HOST_IDTR_BASE,                0x6c0e) \
	X(HOST_IA32_SYSENTER_ESP,        0x6c10) \
	X(HOST_IA32_SYSENTER_EIP,        0x6c12) \
	X(HOST_RSP,                      0x6c14) \
	X(HOST_RIP,                      0x6c16)

enum vmcs_field {
#define VMCS_ENUM(name, enc) name = enc,
	VMCS_FIELDS(VMCS_ENUM)
#undef VMCS_ENUM
};

#define VMCS_WIDTH(f)      (((f) >> 13) & 3)
#define VMCS_W16           0
#define VMCS_W64           1
#define VMCS_W32           2
#define VMCS_WNAT          3

/* Returns the SDM's name of a VMCS field encoding, or NULL if the hv does not know it. */
const char *vmcs_field_name(uint32_t field);

/* A VMREAD or VMWRITE failed: an hv bug. Panics naming the field. */
void vmcs_fail(uint32_t field, int write) __attribute__((noreturn));

#ifdef HOST_TEST
/* The fake VMCS (tests/unit/hvhost): return 0 on success, -1 on VMfail. */
int vmcs_write_try(uint32_t field, uint64_t v);
int vmcs_read_try(uint32_t field, uint64_t *v);
int vmx_vmxon(uint64_t pa);
int vmx_vmclear(uint64_t pa);
int vmx_vmptrld(uint64_t pa);
int vmx_invvpid(unsigned type, uint16_t vpid, uint64_t gla);
#else
/* Raw accessors: return 0 on success, -1 on VMfailInvalid/VMfailValid. */
static inline int vmcs_write_try(uint32_t field, uint64_t v)
{
	uint8_t fail;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"((uint64_t)field), "rm"(v) : "cc", "memory");
	return fail ? -1 : 0;
}

static inline int vmcs_read_try(uint32_t field, uint64_t *v)
{
	uint8_t fail;
	__asm__ volatile("vmread %2, %1; setna %0" : "=q"(fail), "=rm"(*v) : "r"((uint64_t)field) : "cc");
	return fail ? -1 : 0;
}

/* The VMX instructions with a memory operand: return 0, or -1 on VMfail. */
#define VMX_PA_INSN(name, insn)                                                  \
	static inline int name(uint64_t pa)                                      \
	{                                                                        \
		uint8_t fail;                                                    \
		__asm__ volatile(insn " %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory"); \
		return fail ? -1 : 0;                                            \
	}
VMX_PA_INSN(vmx_vmxon, "vmxon")
VMX_PA_INSN(vmx_vmclear, "vmclear")
VMX_PA_INSN(vmx_vmptrld, "vmptrld")
#undef VMX_PA_INSN

/* INVVPID of the given type (SDM "INVVPID"). Returns 0, or -1 on VMfail. */
static inline int vmx_invvpid(unsigned type, uint16_t vpid, uint64_t gla)
{
	struct { uint64_t vpid, gla; } desc = { vpid, gla };
	uint8_t fail;
	__asm__ volatile("invvpid %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"((uint64_t)type)
			 : "cc", "memory");
	return fail ? -1 : 0;
}
#endif

#ifdef HOST_TEST
static inline void vmcs_write_raw(uint32_t field, uint64_t v)
{
	if (vmcs_write_try(field, v) < 0)
		vmcs_fail(field, 1);
}

static inline uint64_t vmcs_read_raw(uint32_t field)
{
	uint64_t v;

	if (vmcs_read_try(field, &v) < 0)
		vmcs_fail(field, 0);
	return v;
}
#else
/* Checked accessors for the exit path: the instruction and one branch to the failure. */
static inline void vmcs_write_raw(uint32_t field, uint64_t v)
{
	__asm__ goto("vmwrite %1, %0; jna %l[fail]" :: "r"((uint64_t)field), "rm"(v) : "cc", "memory" : fail);
	return;
fail:
	vmcs_fail(field, 1);
}

static inline uint64_t vmcs_read_raw(uint32_t field)
{
	uint64_t v;

	__asm__ goto("vmread %1, %0; jna %l[fail]" : "=rm"(v) : "r"((uint64_t)field) : "cc" : fail);
	return v;
fail:
	vmcs_fail(field, 0);
}
#endif

#define VMCS_CHECK(f, w) _Static_assert(VMCS_WIDTH(f) == (w), "VMCS field " #f " has another width")
#define vmcs_read16(f)   ({ VMCS_CHECK(f, VMCS_W16);  (uint16_t)vmcs_read_raw(f); })
#define vmcs_read32(f)   ({ VMCS_CHECK(f, VMCS_W32);  (uint32_t)vmcs_read_raw(f); })
#define vmcs_read64(f)   ({ VMCS_CHECK(f, VMCS_W64);  vmcs_read_raw(f); })
#define vmcs_readnat(f)  ({ VMCS_CHECK(f, VMCS_WNAT); vmcs_read_raw(f); })
#define vmcs_write16(f, v)  ({ VMCS_CHECK(f, VMCS_W16);  vmcs_write_raw(f, (uint16_t)(v)); })
#define vmcs_write32(f, v)  ({ VMCS_CHECK(f, VMCS_W32);  vmcs_write_raw(f, (uint32_t)(v)); })
#define vmcs_write64(f, v)  ({ VMCS_CHECK(f, VMCS_W64);  vmcs_write_raw(f, (uint64_t)(v)); })
#define vmcs_writenat(f, v) ({ VMCS_CHECK(f, VMCS_WNAT); vmcs_write_raw(f, (uint64_t)(v)); })

/* INVVPID types (SDM "INVVPID"). */
#define INVVPID_ADDRESS          0
#define INVVPID_SINGLE_CONTEXT   1
#define INVVPID_ALL_CONTEXT      2

/* Returns the SDM's text for a VM-instruction error number (SDM "VM-Instruction Error Numbers"). */
const char *vmcs_insn_error_name(uint32_t err);

#endif
