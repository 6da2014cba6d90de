/*
 * Unit tests for hv/v8042.c: the virtual keyboard controller's reset
 * paths, the status register, and the controller commands that answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "v8042.h"

static struct v8042 k;

static int setup(void **state)
{
	(void)state;
	v8042_init(&k);
	return 0;
}

static void test_status_after_reset_has_both_buffers_empty(void **state)
{
	(void)state;
	uint8_t st = v8042_read(&k, V8042_CMD);
	assert_int_equal(st & (V8042_ST_OBF | V8042_ST_IBF), 0);
	assert_int_equal(st, V8042_ST_SYS | V8042_ST_INH);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x00);
}

static void test_pulse_commands_with_bit0_clear_reset(void **state)
{
	(void)state;
	assert_int_equal(v8042_write(&k, V8042_CMD, V8042_CMD_PULSE_RESET), V8042_RESET);
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xf0), V8042_RESET);     /* pulses bits 3:0 */
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xff), V8042_NONE);      /* pulses nothing */
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xfd), V8042_NONE);      /* bit 1 only */
}

static void test_output_port_write_with_bit0_clear_resets(void **state)
{
	(void)state;
	assert_int_equal(v8042_write(&k, V8042_CMD, V8042_CMD_WRITE_OUTPORT), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_DATA, 0xfe), V8042_RESET);
	/* With bit 0 set (the A20 dance of old loaders): no reset; the value reads back. */
	assert_int_equal(v8042_write(&k, V8042_CMD, V8042_CMD_WRITE_OUTPORT), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_DATA, 0xdd), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_CMD, V8042_CMD_READ_OUTPORT), V8042_NONE);
	assert_int_equal(v8042_read(&k, V8042_CMD) & V8042_ST_OBF, V8042_ST_OBF);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0xdd);
	/* A data byte without a pending command goes to the (absent) keyboard: no reset. */
	assert_int_equal(v8042_write(&k, V8042_DATA, 0xfe), V8042_NONE);
	assert_int_equal(v8042_read(&k, V8042_CMD) & V8042_ST_OBF, 0);
}

static void test_a20_commands_are_accepted_and_ignored(void **state)
{
	(void)state;
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xdd), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xdf), V8042_NONE);
	assert_int_equal(v8042_read(&k, V8042_CMD) & V8042_ST_OBF, 0);
	/* A command cancels one waiting for its data: the byte after goes to the keyboard. */
	assert_int_equal(v8042_write(&k, V8042_CMD, V8042_CMD_WRITE_OUTPORT), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_CMD, 0xdf), V8042_NONE);
	assert_int_equal(v8042_write(&k, V8042_DATA, 0x00), V8042_NONE);
}

static void test_controller_commands_answer_through_the_output_buffer(void **state)
{
	(void)state;
	v8042_write(&k, V8042_CMD, V8042_CMD_SELF_TEST);
	assert_int_equal(v8042_read(&k, V8042_CMD), V8042_ST_OBF | V8042_ST_SYS | V8042_ST_CMD | V8042_ST_INH);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x55);
	assert_int_equal(v8042_read(&k, V8042_CMD) & V8042_ST_OBF, 0);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x55);                /* the last byte again */
	v8042_write(&k, V8042_CMD, 0xab);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x00);
	/* The command byte: write, read back; bit 2 is the status register's system flag. */
	v8042_write(&k, V8042_CMD, V8042_CMD_WRITE_CCB);
	assert_int_equal(v8042_read(&k, V8042_CMD) & V8042_ST_CMD, V8042_ST_CMD);
	v8042_write(&k, V8042_DATA, 0x61);
	assert_int_equal(v8042_read(&k, V8042_CMD) & (V8042_ST_CMD | V8042_ST_SYS), 0);
	v8042_write(&k, V8042_CMD, V8042_CMD_READ_CCB);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x61);
	v8042_write(&k, V8042_CMD, 0xad);                                  /* keyboard off */
	v8042_write(&k, V8042_CMD, 0xa7);                                  /* mouse off */
	v8042_write(&k, V8042_CMD, V8042_CMD_READ_CCB);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0x61 | 0x30);
	/* 0xd2: the next data byte comes back as if the keyboard had sent it. */
	v8042_write(&k, V8042_CMD, 0xd2);
	v8042_write(&k, V8042_DATA, 0xaa);
	assert_int_equal(v8042_read(&k, V8042_DATA), 0xaa);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_status_after_reset_has_both_buffers_empty),
		T(test_pulse_commands_with_bit0_clear_reset),
		T(test_output_port_write_with_bit0_clear_resets),
		T(test_a20_commands_are_accepted_and_ignored),
		T(test_controller_commands_answer_through_the_output_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
