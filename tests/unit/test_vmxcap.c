/*
 * Unit tests for hv/vmxcap.c: adjusting VMX controls to the capability
 * MSRs, choosing the TRUE control MSRs, and the "can this CPU run the hv"
 * check. Capability values are those of a Haswell-class part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../../hv/vmxcap.h"

/* A Haswell's capability MSRs (TRUE variants for the four control classes). */
static const struct vmx_caps haswell = {
	.basic      = 0x00da040000000012ull,    /* bit 55: TRUE controls */
	.pin        = 0x0000007f00000016ull,
	.proc       = 0xfff9fffe0401e172ull,
	.proc2      = 0x000000ff00000000ull,    /* EPT (1), unrestricted (7) allowed */
	.exit       = 0x007fffff00036dffull,
	.entry      = 0x0000ffff000011ffull,
	.misc       = 0x00000000300481e5ull,
	.ept_vpid   = 0x00000f0106734141ull,    /* walk-4 (6), WB (14), 2M (16) */
	.cr0_fixed0 = 0x0000000080000021ull,
	.cr0_fixed1 = 0x00000000ffffffffull,
	.cr4_fixed0 = 0x0000000000002000ull,
	.cr4_fixed1 = 0x00000000003727ffull,
};

/* Clears allowed-1 (high half) bits of a control capability. */
static uint64_t disallow(uint64_t cap, uint32_t bits)
{
	return cap & ~((uint64_t)bits << 32);
}

static void assert_missing_mentions(const struct vmx_caps *c, const char *what)
{
	const char *m = vmxcap_missing(c);

	assert_non_null(m);
	if (!strstr(m, what))
		fail_msg("\"%s\" does not mention \"%s\"", m, what);
}

/* ------------------------------------------------------------------ */
/* vmxcap_adjust                                                       */

static void test_adjust_forces_must_be_one_bits(void **state)
{
	uint32_t out = 0, missing = 0xdead;

	(void)state;
	/* Nothing requested: the low half (0x16) comes out anyway. */
	assert_int_equal(vmxcap_adjust(0, 0, haswell.pin, &out, &missing), 0);
	assert_int_equal(out, 0x16);
	assert_int_equal(missing, 0);
	/* Requested bits are added to them. */
	assert_int_equal(vmxcap_adjust(PIN_EXTINT_EXITING | PIN_NMI_EXITING, 0, haswell.pin,
				       &out, &missing), 0);
	assert_int_equal(out, 0x16 | PIN_EXTINT_EXITING | PIN_NMI_EXITING);
}

static void test_adjust_keeps_allowed_optional_bits(void **state)
{
	uint32_t out, missing;

	(void)state;
	assert_int_equal(vmxcap_adjust(PIN_EXTINT_EXITING, PIN_PREEMPTION_TIMER | PIN_VIRTUAL_NMIS,
				       haswell.pin, &out, &missing), 0);
	assert_int_equal(out, 0x16 | PIN_EXTINT_EXITING | PIN_PREEMPTION_TIMER | PIN_VIRTUAL_NMIS);
}

static void test_adjust_drops_optional_bits_not_allowed(void **state)
{
	uint32_t out, missing;

	(void)state;
	/* Pin bit 7 (posted interrupts) is not allowed on this part. */
	assert_int_equal(vmxcap_adjust(0, (1u << 7) | PIN_PREEMPTION_TIMER, haswell.pin,
				       &out, &missing), 0);
	assert_int_equal(out, 0x16 | PIN_PREEMPTION_TIMER);
	assert_int_equal(missing, 0);
	/* Proc-based bits 17 and 18 may not be 1 either. */
	assert_int_equal(vmxcap_adjust(PROC_HLT_EXITING, (1u << 17) | (1u << 18) | PROC_USE_MSR_BITMAPS,
				       haswell.proc, &out, &missing), 0);
	assert_int_equal(out & ((1u << 17) | (1u << 18)), 0);
	assert_int_equal(out, 0x0401e172u | PROC_HLT_EXITING | PROC_USE_MSR_BITMAPS);
}

static void test_adjust_optional_drop_keeps_must_be_one_bits(void **state)
{
	uint32_t out, missing;

	(void)state;
	/* No bit may be 1 except the must-be-1 bits (an inconsistent but possible MSR pair). */
	assert_int_equal(vmxcap_adjust(0, 0xffffffffu, 0x0000000000000016ull, &out, &missing), 0);
	assert_int_equal(out, 0x16);
}

static void test_adjust_required_but_not_allowed_fails_with_missing_bits(void **state)
{
	uint32_t out = 0x5a5a, missing = 0;
	uint64_t pin = disallow(haswell.pin, PIN_PREEMPTION_TIMER);

	(void)state;
	assert_int_equal(vmxcap_adjust(PIN_EXTINT_EXITING | PIN_PREEMPTION_TIMER, 0, pin,
				       &out, &missing), -1);
	assert_int_equal(missing, PIN_PREEMPTION_TIMER);
	/* Several missing bits are all reported, allowed ones are not. */
	assert_int_equal(vmxcap_adjust(PIN_EXTINT_EXITING | (1u << 7) | (1u << 9), 0, haswell.pin,
				       &out, &missing), -1);
	assert_int_equal(missing, (1u << 7) | (1u << 9));
	/* Secondary controls: required EPT on a part without it. */
	assert_int_equal(vmxcap_adjust(PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST, 0,
				       disallow(haswell.proc2, PROC2_ENABLE_EPT), &out, &missing), -1);
	assert_int_equal(missing, PROC2_ENABLE_EPT);
}

static void test_adjust_required_and_optional_overlap(void **state)
{
	uint32_t out, missing;

	(void)state;
	/* A bit both required and optional counts as required. */
	assert_int_equal(vmxcap_adjust(1u << 7, 1u << 7, haswell.pin, &out, &missing), -1);
	assert_int_equal(missing, 1u << 7);
}

static void test_adjust_realistic_hv_controls(void **state)
{
	uint32_t out, missing;

	(void)state;
	assert_int_equal(vmxcap_adjust(PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
				       PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_XSAVES,
				       haswell.proc2, &out, &missing), 0);
	/* XSAVES (bit 20) is not allowed by this proc2 value. */
	assert_int_equal(out, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID |
			      PROC2_ENABLE_RDTSCP);
	assert_int_equal(vmxcap_adjust(EXIT_HOST_ADDR_SPACE_SIZE,
				       EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT_TIMER,
				       haswell.exit, &out, &missing), 0);
	assert_int_equal(out, 0x00036dffu | EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER |
			      EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT_TIMER);
	assert_int_equal(vmxcap_adjust(0, ENTRY_LOAD_EFER, haswell.entry, &out, &missing), 0);
	assert_int_equal(out, 0x000011ffu | ENTRY_LOAD_EFER);
}

/* ------------------------------------------------------------------ */
/* vmxcap_ctl_msr                                                      */

static void test_ctl_msr_uses_true_msrs_when_basic_bit55_set(void **state)
{
	(void)state;
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_PINBASED_CTLS), 0x48d);
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_PROCBASED_CTLS), 0x48e);
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_EXIT_CTLS), 0x48f);
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_ENTRY_CTLS), 0x490);
	assert_int_equal(vmxcap_ctl_msr(VMX_BASIC_TRUE_CTLS, MSR_IA32_VMX_PINBASED_CTLS), 0x48d);
}

static void test_ctl_msr_uses_plain_msrs_without_bit55(void **state)
{
	uint64_t basic = haswell.basic & ~VMX_BASIC_TRUE_CTLS;

	(void)state;
	assert_int_equal(vmxcap_ctl_msr(basic, MSR_IA32_VMX_PINBASED_CTLS), 0x481);
	assert_int_equal(vmxcap_ctl_msr(basic, MSR_IA32_VMX_PROCBASED_CTLS), 0x482);
	assert_int_equal(vmxcap_ctl_msr(basic, MSR_IA32_VMX_EXIT_CTLS), 0x483);
	assert_int_equal(vmxcap_ctl_msr(basic, MSR_IA32_VMX_ENTRY_CTLS), 0x484);
	/* Neighbouring bits do not count. */
	assert_int_equal(vmxcap_ctl_msr(1ull << 54 | 1ull << 56, MSR_IA32_VMX_PINBASED_CTLS), 0x481);
}

static void test_ctl_msr_has_no_true_variant_for_secondary_controls(void **state)
{
	(void)state;
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_PROCBASED_CTLS2), 0x48b);
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_EPT_VPID_CAP), 0x48c);
	assert_int_equal(vmxcap_ctl_msr(haswell.basic, MSR_IA32_VMX_MISC), 0x485);
}

/* ------------------------------------------------------------------ */
/* vmxcap_missing                                                      */

static void test_missing_is_null_for_capable_cpu(void **state)
{
	(void)state;
	assert_null(vmxcap_missing(&haswell));
}

static void test_missing_secondary_controls_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.proc = disallow(c.proc, PROC_SECONDARY_CONTROLS);
	assert_missing_mentions(&c, "secondary");
	assert_missing_mentions(&c, "EPT");
}

static void test_missing_ept_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.proc2 = disallow(c.proc2, PROC2_ENABLE_EPT);
	assert_missing_mentions(&c, "EPT");
}

static void test_missing_unrestricted_guest_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.proc2 = disallow(c.proc2, PROC2_UNRESTRICTED_GUEST);
	assert_missing_mentions(&c, "unrestricted guest");
}

static void test_missing_preemption_timer_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.pin = disallow(c.pin, PIN_PREEMPTION_TIMER);
	assert_missing_mentions(&c, "preemption timer");
}

static void test_missing_4_level_walk_or_wb_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.ept_vpid &= ~EPT_CAP_WALK_4;
	assert_missing_mentions(&c, "4-level");
	c = haswell;
	c.ept_vpid &= ~EPT_CAP_WB;
	assert_missing_mentions(&c, "write-back");
}

static void test_missing_bitmaps_or_hlt_exiting_is_named(void **state)
{
	static const uint32_t bits[] = { PROC_USE_IO_BITMAPS, PROC_USE_MSR_BITMAPS, PROC_HLT_EXITING };

	(void)state;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct vmx_caps c = haswell;
		c.proc = disallow(c.proc, bits[i]);
		assert_missing_mentions(&c, "bitmaps");
	}
}

static void test_missing_64bit_host_is_named(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	c.exit = disallow(c.exit, EXIT_HOST_ADDR_SPACE_SIZE);
	assert_missing_mentions(&c, "64-bit host");
}

static void test_missing_names_first_missing_feature(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	/* With EPT and the preemption timer both gone, EPT is named first. */
	c.proc2 = disallow(c.proc2, PROC2_ENABLE_EPT);
	c.pin = disallow(c.pin, PIN_PREEMPTION_TIMER);
	assert_missing_mentions(&c, "EPT");
	assert_null(strstr(vmxcap_missing(&c), "preemption"));
	c.proc2 = haswell.proc2;
	assert_missing_mentions(&c, "preemption timer");
}

static void test_missing_ignores_must_be_one_half(void **state)
{
	struct vmx_caps c = haswell;

	(void)state;
	/* Features only in the low (must-be-1) half are not "allowed": still missing. */
	c.pin = 0x0000003f00000040ull;
	assert_missing_mentions(&c, "preemption timer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_forces_must_be_one_bits),
		cmocka_unit_test(test_adjust_keeps_allowed_optional_bits),
		cmocka_unit_test(test_adjust_drops_optional_bits_not_allowed),
		cmocka_unit_test(test_adjust_optional_drop_keeps_must_be_one_bits),
		cmocka_unit_test(test_adjust_required_but_not_allowed_fails_with_missing_bits),
		cmocka_unit_test(test_adjust_required_and_optional_overlap),
		cmocka_unit_test(test_adjust_realistic_hv_controls),
		cmocka_unit_test(test_ctl_msr_uses_true_msrs_when_basic_bit55_set),
		cmocka_unit_test(test_ctl_msr_uses_plain_msrs_without_bit55),
		cmocka_unit_test(test_ctl_msr_has_no_true_variant_for_secondary_controls),
		cmocka_unit_test(test_missing_is_null_for_capable_cpu),
		cmocka_unit_test(test_missing_secondary_controls_is_named),
		cmocka_unit_test(test_missing_ept_is_named),
		cmocka_unit_test(test_missing_unrestricted_guest_is_named),
		cmocka_unit_test(test_missing_preemption_timer_is_named),
		cmocka_unit_test(test_missing_4_level_walk_or_wb_is_named),
		cmocka_unit_test(test_missing_bitmaps_or_hlt_exiting_is_named),
		cmocka_unit_test(test_missing_64bit_host_is_named),
		cmocka_unit_test(test_missing_names_first_missing_feature),
		cmocka_unit_test(test_missing_ignores_must_be_one_half),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
