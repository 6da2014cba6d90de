/*
 * VMCS field names (from the one list in vmcs.h) and the VM-instruction
 * error texts, for messages.
 */
#include "lib.h"
#include "log.h"
#include "vmcs.h"

static const struct {
	uint32_t enc;
	const char *name;
} vmcs_names[] = {
#define VMCS_NAME(name, enc) { enc, #name },
	VMCS_FIELDS(VMCS_NAME)
#undef VMCS_NAME
};

const char *vmcs_field_name(uint32_t field)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vmcs_names); i++)
		if (vmcs_names[i].enc == field)
			return vmcs_names[i].name;
	return NULL;
}

void vmcs_fail(uint32_t field, int write)
{
	const char *name = vmcs_field_name(field);

	panic("vmcs: %s of field %s (0x%x) failed: not supported by this CPU or no current VMCS",
	      write ? "VMWRITE" : "VMREAD", name ? name : "?", field);
}

const char *vmcs_insn_error_name(uint32_t err)
{
	static const char *const names[] = {
		[1] = "VMCALL executed in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};
	return err < ARRAY_SIZE(names) && names[err] ? names[err] : "unknown VM-instruction error";
}
