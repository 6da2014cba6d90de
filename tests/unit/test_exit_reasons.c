/*
 * Unit tests for include/exit_reasons.h: the X-macro list of VMX basic exit
 * reasons and exit_reason_name().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "exit_reasons.h"

/* The list, expanded once here so the tests can walk it. */
static const struct { unsigned num; const char *id, *name; } list[] = {
#define ENTRY(num, id, name) { num, #id, name },
	EXIT_REASON_LIST(ENTRY)
#undef ENTRY
};
#define N_LIST (sizeof(list) / sizeof(list[0]))

static void test_known_reasons_have_sdm_names(void **state)
{
	(void)state;
	assert_string_equal(exit_reason_name(0), "exception-or-nmi");
	assert_string_equal(exit_reason_name(1), "external-interrupt");
	assert_string_equal(exit_reason_name(2), "triple-fault");
	assert_string_equal(exit_reason_name(10), "cpuid");
	assert_string_equal(exit_reason_name(12), "hlt");
	assert_string_equal(exit_reason_name(18), "vmcall");
	assert_string_equal(exit_reason_name(28), "cr-access");
	assert_string_equal(exit_reason_name(30), "io");
	assert_string_equal(exit_reason_name(31), "rdmsr");
	assert_string_equal(exit_reason_name(32), "wrmsr");
	assert_string_equal(exit_reason_name(48), "ept-violation");
	assert_string_equal(exit_reason_name(49), "ept-misconfig");
	assert_string_equal(exit_reason_name(52), "preemption-timer");
	assert_string_equal(exit_reason_name(64), "xrstors");
}

static void test_enum_values_match_sdm_numbers(void **state)
{
	(void)state;
	assert_int_equal(EXIT_REASON_TRIPLE_FAULT, 2);
	assert_int_equal(EXIT_REASON_CPUID, 10);
	assert_int_equal(EXIT_REASON_HLT, 12);
	assert_int_equal(EXIT_REASON_IO_INSTRUCTION, 30);
	assert_int_equal(EXIT_REASON_INVALID_GUEST_STATE, 33);
	assert_int_equal(EXIT_REASON_EPT_VIOLATION, 48);
	assert_int_equal(EXIT_REASON_PREEMPTION_TIMER, 52);
	assert_string_equal(exit_reason_name(EXIT_REASON_HLT), "hlt");
}

static void test_undefined_reasons_have_no_name(void **state)
{
	(void)state;
	assert_null(exit_reason_name(35));
	assert_null(exit_reason_name(38));
	assert_null(exit_reason_name(42));
	for (unsigned r = EXIT_REASON_MAX; r < 1000; r++)
		assert_null(exit_reason_name(r));
	assert_null(exit_reason_name(0xffff));
	assert_null(exit_reason_name(~0u));
}

static void test_full_exit_reason_field_must_be_masked_to_basic_reason(void **state)
{
	(void)state;
	/* Bit 31 (entry failure) is not part of the basic reason: callers mask it. */
	assert_null(exit_reason_name(EXIT_REASON_ENTRY_FAILURE | EXIT_REASON_INVALID_GUEST_STATE));
	assert_string_equal(exit_reason_name((EXIT_REASON_ENTRY_FAILURE | 33) & 0xffff),
			    "entry-fail-guest-state");
}

static void test_every_defined_reason_is_below_max(void **state)
{
	unsigned highest = 0;

	(void)state;
	for (size_t i = 0; i < N_LIST; i++) {
		assert_true(list[i].num < EXIT_REASON_MAX);
		if (list[i].num > highest)
			highest = list[i].num;
	}
	/* And the table is no bigger than it needs to be. */
	assert_int_equal(highest + 1, EXIT_REASON_MAX);
}

static void test_name_lookup_agrees_with_list(void **state)
{
	unsigned named = 0;

	(void)state;
	for (size_t i = 0; i < N_LIST; i++)
		assert_string_equal(exit_reason_name(list[i].num), list[i].name);
	/* Exactly the listed numbers below the max have names. */
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (exit_reason_name(r))
			named++;
	assert_int_equal(named, N_LIST);
	assert_int_equal(N_LIST, EXIT_REASON_MAX - 3);  /* 35, 38, 42 undefined */
}

static void test_numbers_ids_and_names_are_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_LIST; i++)
		for (size_t j = i + 1; j < N_LIST; j++) {
			assert_int_not_equal(list[i].num, list[j].num);
			if (!strcmp(list[i].name, list[j].name))
				fail_msg("name \"%s\" used twice", list[i].name);
			if (!strcmp(list[i].id, list[j].id))
				fail_msg("id %s used twice", list[i].id);
		}
}

static void test_names_are_lowercase_words(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_LIST; i++) {
		const char *n = list[i].name;
		assert_true(n[0] != 0);
		assert_true(n[0] != '-' && n[strlen(n) - 1] != '-');
		for (const char *p = n; *p; p++)
			if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
				fail_msg("name \"%s\" has character '%c'", n, *p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_reasons_have_sdm_names),
		cmocka_unit_test(test_enum_values_match_sdm_numbers),
		cmocka_unit_test(test_undefined_reasons_have_no_name),
		cmocka_unit_test(test_full_exit_reason_field_must_be_masked_to_basic_reason),
		cmocka_unit_test(test_every_defined_reason_is_below_max),
		cmocka_unit_test(test_name_lookup_agrees_with_list),
		cmocka_unit_test(test_numbers_ids_and_names_are_unique),
		cmocka_unit_test(test_names_are_lowercase_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
