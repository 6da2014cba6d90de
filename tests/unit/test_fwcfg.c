/*
 * Unit tests for hv/fwcfg.c, the guest's minimal QEMU fw_cfg: every item
 * with the byte order QEMU gives it (docs/specs/fw_cfg.rst: the ID and the
 * sizes little endian, the file directory's count big endian), reads past
 * the end and of unknown items giving zeros, the selector resetting the
 * offset, and the accesses QEMU's port pair ignores.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fwcfg.h"

#define RAM (96ull << 20)

static struct fwcfg f;

static int setup(void **state)
{
	(void)state;
	fwcfg_init(&f, RAM, 1);
	return 0;
}

static void select_item(uint16_t key)
{
	fwcfg_io(&f, FWCFG_PORT_SEL, false, 2, key);
}

static uint8_t data(void)
{
	return (uint8_t)fwcfg_io(&f, FWCFG_PORT_DATA, true, 1, 0);
}

/* Reads n bytes of item key into buf. */
static void read_item(uint16_t key, uint8_t *buf, unsigned n)
{
	select_item(key);
	for (unsigned i = 0; i < n; i++)
		buf[i] = data();
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void test_signature_is_qemu_then_zeros(void **state)
{
	uint8_t b[8];

	(void)state;
	read_item(FWCFG_SIGNATURE, b, 8);
	assert_memory_equal(b, "QEMU\0\0\0\0", 8);
}

static void test_signature_is_selected_at_power_on(void **state)
{
	uint8_t b[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		b[i] = data();
	assert_memory_equal(b, "QEMU", 4);
}

static void test_id_is_1_little_endian_no_dma(void **state)
{
	uint8_t b[5];

	(void)state;
	read_item(FWCFG_ID, b, 5);
	assert_memory_equal(b, "\x01\x00\x00\x00\x00", 5);
}

static void test_ram_size_64_bit_little_endian(void **state)
{
	uint8_t b[9];

	(void)state;
	fwcfg_init(&f, 0x123456789aull << 12, 1);
	read_item(FWCFG_RAM_SIZE, b, 9);
	assert_int_equal(le(b, 8), 0x123456789aull << 12);
	assert_memory_equal(b, "\x00\xa0\x89\x67\x45\x23\x01\x00\x00", 9);
	setup(NULL);
	read_item(FWCFG_RAM_SIZE, b, 8);
	assert_int_equal(le(b, 8), RAM);
}

static void test_cpu_counts_16_bit_little_endian(void **state)
{
	uint8_t b[3];

	(void)state;
	read_item(FWCFG_NB_CPUS, b, 3);
	assert_memory_equal(b, "\x01\x00\x00", 3);
	read_item(FWCFG_MAX_CPUS, b, 3);
	assert_memory_equal(b, "\x01\x00\x00", 3);
	fwcfg_init(&f, RAM, 0x102);
	read_item(FWCFG_NB_CPUS, b, 2);
	assert_memory_equal(b, "\x02\x01", 2);
}

static void test_file_directory_is_empty(void **state)
{
	uint8_t b[8];

	(void)state;
	read_item(FWCFG_FILE_DIR, b, 8);
	assert_memory_equal(b, "\0\0\0\0\0\0\0\0", 8);
}

static void test_unknown_and_arch_items_read_zeros(void **state)
{
	static const uint16_t keys[] = { 0x0002, 0x0004, 0x0020, 0x3fff, 0x8000, 0x8003, 0xffff };
	uint8_t b[16];

	(void)state;
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		read_item(keys[i], b, sizeof(b));
		for (unsigned j = 0; j < sizeof(b); j++)
			assert_int_equal(b[j], 0);
	}
}

static void test_write_channel_bit_reads_the_same_item(void **state)
{
	uint8_t b[4];

	(void)state;
	read_item(FWCFG_WRITE_CHANNEL | FWCFG_SIGNATURE, b, 4);
	assert_memory_equal(b, "QEMU", 4);
}

static void test_select_resets_the_offset(void **state)
{
	uint8_t b[4];

	(void)state;
	select_item(FWCFG_SIGNATURE);
	data();
	data();
	read_item(FWCFG_SIGNATURE, b, 4);
	assert_memory_equal(b, "QEMU", 4);
}

static void test_byte_read_of_the_selector_port_reads_data(void **state)
{
	(void)state;
	select_item(FWCFG_SIGNATURE);
	assert_int_equal(fwcfg_io(&f, FWCFG_PORT_SEL, true, 1, 0), 'Q');
	assert_int_equal(fwcfg_io(&f, FWCFG_PORT_DATA, true, 1, 0), 'E');
}

static void test_ignored_accesses_change_nothing(void **state)
{
	(void)state;
	select_item(FWCFG_SIGNATURE);
	fwcfg_io(&f, FWCFG_PORT_SEL, false, 1, FWCFG_ID);     /* byte write: a data write */
	fwcfg_io(&f, FWCFG_PORT_DATA, false, 1, 0x55);
	fwcfg_io(&f, FWCFG_PORT_DATA, false, 2, FWCFG_ID);    /* word write to the data port */
	fwcfg_io(&f, FWCFG_PORT_SEL, false, 4, FWCFG_ID);     /* dword write */
	assert_int_equal(fwcfg_io(&f, FWCFG_PORT_SEL, true, 2, 0), 0);   /* wide reads: 0 */
	assert_int_equal(fwcfg_io(&f, FWCFG_PORT_DATA, true, 4, 0), 0);
	assert_int_equal(data(), 'Q');                        /* still the signature, from its start */
	assert_int_equal(data(), 'E');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_signature_is_qemu_then_zeros, setup),
		cmocka_unit_test_setup(test_signature_is_selected_at_power_on, setup),
		cmocka_unit_test_setup(test_id_is_1_little_endian_no_dma, setup),
		cmocka_unit_test_setup(test_ram_size_64_bit_little_endian, setup),
		cmocka_unit_test_setup(test_cpu_counts_16_bit_little_endian, setup),
		cmocka_unit_test_setup(test_file_directory_is_empty, setup),
		cmocka_unit_test_setup(test_unknown_and_arch_items_read_zeros, setup),
		cmocka_unit_test_setup(test_write_channel_bit_reads_the_same_item, setup),
		cmocka_unit_test_setup(test_select_resets_the_offset, setup),
		cmocka_unit_test_setup(test_byte_read_of_the_selector_port_reads_data, setup),
		cmocka_unit_test_setup(test_ignored_accesses_change_nothing, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
