/*
 * The SDM VM-entry checker (hv/vmcheck.c) on the states the hv builds:
 * each broken rule is found and named, and the hv's own reset state
 * passes every rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"

#define CFG1 "[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\n"

static int setup(void **state)
{
	(void)state;
	host_boot(CFG1);
	host_vcpu(0);
	return 0;
}

/* Asserts that the current VMCS breaks a rule whose words contain sub. */
static void expect_rule(const char *sub)
{
	const char *rule = fake_vmcheck();

	if (!rule || !strstr(rule, sub))
		print_error("rule '%s', want '%s'\n", rule ? rule : "(none)", sub);
	assert_non_null(rule);
	assert_non_null(strstr(rule, sub));
}

static void test_reset_state_passes_every_rule(void **state)
{
	(void)state;
	assert_null(fake_vmcheck());
}

/* One broken field (or two, for combinations) and the rule the checker must name. */
struct breakage {
	uint32_t field;
	uint64_t value;
	uint32_t field2;
	uint64_t value2;
	const char *rule;
};

#define F1(f, val, r) { f, val, 0xffffffffu, 0, r }
#define F2(f, val, g, val2, r) { f, val, g, val2, r }
#define VALID (1u << 31)

static const struct breakage breakages[] = {
	/* "Checks on VMX Controls" */
	F1(PIN_BASED_VM_EXEC_CONTROL, 0, "pin-based controls"),
	F1(CR3_TARGET_COUNT, 5, "CR3-target count"),
	F1(IO_BITMAP_A, 0x1234, "I/O-bitmap addresses"),
	F1(MSR_BITMAP, 0x10, "MSR-bitmap address"),
	F1(TPR_THRESHOLD, 0x10, "TPR threshold bits 31:4"),
	F1(VIRTUAL_PROCESSOR_ID, 0, "VPID enabled with VPID 0"),
	F1(EPT_POINTER, 0x1000 | 3 | (3 << 3), "EPTP memory type"),
	F1(EPT_POINTER, 0x1000 | 6 | (1 << 3), "EPTP page-walk length"),
	F2(VM_EXIT_MSR_LOAD_COUNT, 1, VM_EXIT_MSR_LOAD_ADDR, 0x1001, "VM-exit MSR-load address"),
	F1(VM_ENTRY_CONTROLS, 0, "VM-entry controls: reserved bits"),
	/* event injection */
	F1(VM_ENTRY_INTR_INFO, VALID | (1u << 8), "reserved interruption type"),
	F1(VM_ENTRY_INTR_INFO, VALID | (2u << 8) | 3, "NMI with a vector other than 2"),
	F1(VM_ENTRY_INTR_INFO, VALID | (3u << 8) | 40, "hardware exception vector above 31"),
	F1(VM_ENTRY_INTR_INFO, VALID | (3u << 8) | 13, "deliver-error-code bit"),
	F1(VM_ENTRY_INTR_INFO, VALID | (3u << 8) | (1u << 11) | 6, "deliver-error-code bit"),
	F1(VM_ENTRY_INTR_INFO, VALID | (3u << 8) | (1u << 11) | 13 | (1u << 20), "reserved bits 30:12"),
	F2(VM_ENTRY_INTR_INFO, VALID | (3u << 8) | (1u << 11) | 13, VM_ENTRY_EXCEPTION_ERROR_CODE, 0x8000,
	   "error code bits 31:15"),
	F2(VM_ENTRY_INTR_INFO, VALID | (4u << 8) | 0x80, VM_ENTRY_INSTRUCTION_LEN, 0, "instruction length"),
	F2(VM_ENTRY_INTR_INFO, VALID | (6u << 8) | 3, VM_ENTRY_INSTRUCTION_LEN, 16, "instruction length"),
	/* host state */
	F1(HOST_CR0, 0x11, "host CR0"),
	F1(HOST_CR4, 0x20, "host CR4"),
	F1(HOST_CS_SELECTOR, 0x0b, "host selector with RPL or TI"),
	F1(HOST_TR_SELECTOR, 0, "host TR selector 0"),
	F1(HOST_GS_BASE, 0x0000800000000000ull, "host FS/GS/GDTR/IDTR/TR base not canonical"),
	F1(HOST_IA32_PAT, 0x02, "host IA32_PAT"),
	F1(HOST_IA32_EFER, 0, "host IA32_EFER.LMA/LME"),
	F1(HOST_RIP, 0x0000800000000000ull, "host RIP not canonical"),
	/* guest control registers and MSRs */
	F1(GUEST_CR0, 0x11, "guest CR0 not within"),
	F1(GUEST_CR0, 0x80000030, "guest CR0.PG = 1 with CR0.PE = 0"),
	F1(GUEST_CR4, 0, "guest CR4 not within"),
	F2(GUEST_CR4, 0x2000 | (1u << 17), GUEST_CR0, 0x31, "guest CR4.PCIDE = 1 outside IA-32e mode"),
	F1(GUEST_IA32_DEBUGCTL, 1u << 3, "guest IA32_DEBUGCTL reserved bits"),
	F1(GUEST_DR7, 1ull << 40, "guest DR7 bits 63:32"),
	F1(GUEST_SYSENTER_EIP, 0x0000800000000000ull, "guest IA32_SYSENTER_ESP/EIP not canonical"),
	F1(GUEST_IA32_PAT, 0x0007040600070402ull, "guest IA32_PAT with a reserved memory type"),
	F1(GUEST_IA32_EFER, 1u << 10, "guest IA32_EFER.LMA not equal"),
	F1(GUEST_IA32_EFER, 1u << 1, "guest IA32_EFER reserved bits"),
	F1(VM_ENTRY_CONTROLS, 0xd1ff | ENTRY_IA32E_MODE_GUEST, "IA-32e mode guest with CR0.PG or CR4.PAE 0"),
	/* guest segments */
	F1(GUEST_CS_AR_BYTES, 0xe09b, "guest CS.L = 1 outside IA-32e mode"),
	F1(GUEST_CS_AR_BYTES, 0xc091, "guest CS type"),
	F1(GUEST_CS_AR_BYTES, 0xc01b, "guest CS not present"),
	F1(GUEST_DS_AR_BYTES, 0xc092, "guest DS/ES/FS/GS type not accessed"),
	F1(GUEST_SS_AR_BYTES, 0xc09b, "guest SS type"),
	F1(GUEST_TR_AR_BYTES, 0x0089, "guest TR type"),
	F1(GUEST_DS_LIMIT, 0xffff0, "guest segment limit and G bit disagree"),
	F1(GUEST_TR_SELECTOR, 0x4, "guest TR selector TI"),
	F1(GUEST_FS_BASE, 0x0000800000000000ull, "guest TR/FS/GS base not canonical"),
	F1(GUEST_CS_BASE, 1ull << 32, "guest CS base bits 63:32"),
	F1(GUEST_GDTR_LIMIT, 0x10000, "guest GDTR/IDTR limit bits 31:16"),
	/* RIP, RFLAGS, non-register state */
	F1(GUEST_RIP, 1ull << 32, "guest RIP bits 63:32 not 0 outside 64-bit mode"),
	F1(GUEST_RFLAGS, 0, "guest RFLAGS reserved bits not 0 or bit 1 not 1"),
	F1(GUEST_RFLAGS, 2 | (1u << 15), "guest RFLAGS reserved bits"),
	F1(VM_ENTRY_INTR_INFO, VALID | 0x30, "external interrupt injected with RFLAGS.IF = 0"),
	F1(GUEST_ACTIVITY_STATE, 5, "guest activity state not 0-3"),
	F1(GUEST_INTERRUPTIBILITY_INFO, 1, "guest blocking by STI with RFLAGS.IF = 0"),
	F2(GUEST_INTERRUPTIBILITY_INFO, 3, GUEST_RFLAGS, 0x202, "guest blocking by STI and by MOV SS both 1"),
	F1(GUEST_INTERRUPTIBILITY_INFO, 1u << 5, "guest interruptibility reserved bits"),
	F2(GUEST_INTERRUPTIBILITY_INFO, 2, GUEST_RFLAGS, 0x102, "pending debug BS not equal"),
	F1(GUEST_PENDING_DBG_EXCEPTIONS, 1u << 5, "guest pending debug exceptions reserved bits"),
	F1(VMCS_LINK_POINTER, 0, "VMCS link pointer"),
};

static void test_each_broken_rule_is_named(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		const struct breakage *b = &breakages[i];

		host_teardown();
		host_boot(CFG1);
		host_vcpu(0);
		assert_null(fake_vmcheck());
		fake_vmcs_set(b->field, b->value);
		if (b->field2 != 0xffffffffu)
			fake_vmcs_set(b->field2, b->value2);
		expect_rule(b->rule);
	}
}

/* PAE paging (CR0.PG, CR4.PAE, not IA-32e): a present PDPTE with reserved bits. */
static void test_pae_pdpte_reserved_bits(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_CR0, 0x80000031);
	fake_vmcs_set(GUEST_CR4, 0x2020);
	assert_null(fake_vmcheck());
	fake_vmcs_set(GUEST_PDPTE1, 0x5000 | 1 | (1u << 1));
	expect_rule("guest PDPTE present with reserved bits");
}

/* 64-bit mode: CS.L with CS.D, and RIP canonical rather than 32-bit. */
static void test_long_mode_rules(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_CR0, 0x80000031);
	fake_vmcs_set(GUEST_CR4, 0x2020);
	fake_vmcs_set(GUEST_IA32_EFER, 0x500);
	fake_vmcs_set(VM_ENTRY_CONTROLS, fake_vmcs_get(VM_ENTRY_CONTROLS) | ENTRY_IA32E_MODE_GUEST);
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xa09b);
	fake_vmcs_set(GUEST_RIP, 0xffffffff80001000ull);
	assert_null(fake_vmcheck());
	fake_vmcs_set(GUEST_RIP, 0x0000900000000000ull);
	expect_rule("guest RIP not canonical in 64-bit mode");
	fake_vmcs_set(GUEST_RIP, 0x1000);
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xe09b);
	expect_rule("guest CS.L = 1 and CS.D = 1");
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xa09b);
	fake_vmcs_set(GUEST_TR_AR_BYTES, 0x0083);
	expect_rule("guest TR type");
}

/* The HLT activity state: only with SS.DPL 0 (the CPL), and never with STI/MOV-SS blocking. */
static void test_hlt_activity_rules(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_ACTIVITY_STATE, 1);
	assert_null(fake_vmcheck());
	fake_vmcs_set(GUEST_SS_AR_BYTES, 0xc0f3);
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xc0fb);
	expect_rule("HLT with SS.DPL not 0");
	fake_vmcs_set(GUEST_SS_AR_BYTES, 0xc093);
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xc09b);
	fake_vmcs_set(GUEST_RFLAGS, 0x202);
	fake_vmcs_set(GUEST_INTERRUPTIBILITY_INFO, 1);
	expect_rule("guest not active with STI or MOV-SS blocking");
}

static void test_canonical_and_pat_helpers(void **state)
{
	(void)state;
	assert_true(vmcheck_canonical(0x00007fffffffffffull, 48));
	assert_true(vmcheck_canonical(0xffff800000000000ull, 48));
	assert_false(vmcheck_canonical(0x0000800000000000ull, 48));
	assert_true(vmcheck_canonical(0x00ffffffffffffffull, 57));
	assert_false(vmcheck_canonical(0x0100000000000000ull, 57));
	assert_true(vmcheck_pat_valid(0x0007040600070406ull));
	assert_false(vmcheck_pat_valid(0x0007040600070403ull));
	assert_false(vmcheck_pat_valid(0x0807040600070406ull));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)
		T(test_reset_state_passes_every_rule),
		T(test_each_broken_rule_is_named),
		T(test_pae_pdpte_reserved_bits),
		T(test_long_mode_rules),
		T(test_hlt_activity_rules),
		T(test_canonical_and_pat_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
