/*
 * VMX capability checks. The allowed-settings rule is in the SDM appendix
 * "VMX Capability Reporting Facility": bit n of the low 32 bits set means
 * control bit n must be 1; bit n of the high 32 bits clear means it must be 0.
 */
#include "lib.h"
#include "vmxcap.h"

int vmxcap_adjust(uint32_t required, uint32_t optional, uint64_t cap,
		  uint32_t *out, uint32_t *missing)
{
	uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);

	*missing = required & ~may1;
	if (*missing)
		return -1;
	*out = ((required | optional) & may1) | must1;
	return 0;
}

uint32_t vmxcap_ctl_msr(uint64_t basic, uint32_t plain_msr)
{
	if (!(basic & VMX_BASIC_TRUE_CTLS))
		return plain_msr;
	switch (plain_msr) {
	case MSR_IA32_VMX_PINBASED_CTLS:  return MSR_IA32_VMX_TRUE_PINBASED_CTLS;
	case MSR_IA32_VMX_PROCBASED_CTLS: return MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
	case MSR_IA32_VMX_EXIT_CTLS:      return MSR_IA32_VMX_TRUE_EXIT_CTLS;
	case MSR_IA32_VMX_ENTRY_CTLS:     return MSR_IA32_VMX_TRUE_ENTRY_CTLS;
	}
	return plain_msr;
}

/* Returns true if every bit of want may be 1 according to cap. */
static bool allowed1(uint64_t cap, uint32_t want)
{
	return ((uint32_t)(cap >> 32) & want) == want;
}

const char *vmxcap_missing(const struct vmx_caps *c)
{
	if (!allowed1(c->proc, PROC_SECONDARY_CONTROLS))
		return "VT-x without secondary processor-based controls (no EPT)";
	if (!allowed1(c->proc2, PROC2_ENABLE_EPT))
		return "VT-x without EPT (extended page tables)";
	if (!allowed1(c->proc2, PROC2_UNRESTRICTED_GUEST))
		return "VT-x without unrestricted guest";
	if (!allowed1(c->pin, PIN_PREEMPTION_TIMER))
		return "VT-x without the VMX preemption timer";
	if (!(c->ept_vpid & EPT_CAP_WALK_4) || !(c->ept_vpid & EPT_CAP_WB))
		return "EPT without 4-level walks or write-back paging structures";
	if (!allowed1(c->proc, PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_HLT_EXITING))
		return "VT-x without I/O bitmaps, MSR bitmaps or HLT exiting";
	if (!allowed1(c->exit, EXIT_HOST_ADDR_SPACE_SIZE))
		return "VT-x without 64-bit host support";
	return NULL;
}
