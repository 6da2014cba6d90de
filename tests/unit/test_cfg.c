/* Unit tests for hv/cfg.c: the hv.cfg parser and its checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvcfg.h"

static struct hv_config cfg;
static struct cfg_error err;

#define GUEST_A "[guest a]\nimage = \\os.elf\nmemory = 4M\n"   /* lines 1-3 */
#define GUEST_B "[guest b]\nimage = \\os.elf\nmemory = 4M\n"

static int parse(const char *text)
{
	return cfg_parse(text, strlen(text), &cfg, &err);
}

/* Asserts text is rejected at line with a message containing sub. */
static void expect_error(const char *text, int line, const char *sub)
{
	int rc = parse(text);

	if (rc != -1 || err.line != line || !strstr(err.msg, sub))
		print_error("rc %d line %d msg '%s'; want line %d '%s'\n", rc,
			    err.line, err.msg, line, sub);
	assert_int_equal(rc, -1);
	assert_int_equal(err.line, line);
	assert_non_null(strstr(err.msg, sub));
}

static void expect_ok(const char *text)
{
	int rc = parse(text);

	if (rc != 0)
		print_error("line %d: %s\n", err.line, err.msg);
	assert_int_equal(rc, 0);
}

static void test_full_example_parses_every_field(void **state)
{
	(void)state;
	expect_ok("# comment\n"
		  "[hv]\n"
		  "timeslice_us = 5000\n"
		  "\n"
		  "[guest alpha]\n"
		  "image   = \\guests\\os.elf   # trailing comment\n"
		  "cmdline = \"sched=rr alloc=bitmap\"\n"
		  "memory  = 32M\n"
		  "cpu     = 1\n"
		  "ports   = 0x3e8-0x3ef, 0x80\n"
		  "irqs    = 5, 7\n"
		  "devices = com1, ide0\n"
		  "restart = yes\n"
		  "test_fault = vmentry\n");
	assert_int_equal(cfg.timeslice_us, 5000);
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guests[0].name, "alpha");
	assert_string_equal(cfg.guests[0].image, "\\guests\\os.elf");
	assert_string_equal(cfg.guests[0].cmdline, "sched=rr alloc=bitmap");
	assert_int_equal(cfg.guests[0].mem_bytes, 32u << 20);
	assert_int_equal(cfg.guests[0].cpu, 1);
	assert_int_equal(cfg.guests[0].irqs, (1 << 5) | (1 << 7) | (1 << 4) | (1 << 14));
	assert_int_equal(cfg.guests[0].devices, CFG_DEV_COM1 | CFG_DEV_IDE0);
	assert_int_equal(cfg.guests[0].restart, CFG_RESTART_YES);
	assert_int_equal(cfg.guests[0].test_fault, CFG_TEST_VMENTRY);
	assert_int_equal(cfg.guests[0].line, 5);
	assert_int_equal(cfg.guests[0].irq_line[5], 11);
	assert_int_equal(cfg.guests[0].irq_line[4], 12);
}

static void test_defaults_when_keys_omitted(void **state)
{
	(void)state;
	expect_ok(GUEST_A);
	assert_int_equal(cfg.timeslice_us, 10000);
	assert_int_equal(cfg.total_mem_limit, 0);
	assert_int_equal(cfg.guests[0].cpu, 0);
	assert_int_equal(cfg.guests[0].nports, 0);
	assert_int_equal(cfg.guests[0].irqs, 0);
	assert_int_equal(cfg.guests[0].devices, 0);
	assert_int_equal(cfg.guests[0].restart, CFG_RESTART_NO);
	assert_int_equal(cfg.guests[0].test_fault, CFG_TEST_NONE);
	assert_string_equal(cfg.guests[0].cmdline, "");
}

static void test_image_path_slashes_stored_as_backslashes(void **state)
{
	(void)state;
	expect_ok("[guest a]\nimage = /guests/os.elf\nmemory = 4M\n");
	assert_string_equal(cfg.guests[0].image, "\\guests\\os.elf");
	expect_ok("[guest a]\nimage = guests/os.elf\nmemory = 4M\n");
	assert_string_equal(cfg.guests[0].image, "\\guests\\os.elf");
	expect_ok("[guest a]\nimage = \"\\my guests\\os.elf\"\nmemory = 4M\n");
	assert_string_equal(cfg.guests[0].image, "\\my guests\\os.elf");
}

static void test_cmdline_unquoted_is_rest_of_line_before_comment(void **state)
{
	(void)state;
	expect_ok(GUEST_A "cmdline =  sched=edf  alloc=buddy   # c\n");
	assert_string_equal(cfg.guests[0].cmdline, "sched=edf  alloc=buddy");
	expect_ok(GUEST_A "cmdline = \"a # not a comment\"  # comment\n");
	assert_string_equal(cfg.guests[0].cmdline, "a # not a comment");
	expect_ok(GUEST_A "cmdline = \"\"\n");
	assert_string_equal(cfg.guests[0].cmdline, "");
}

static void test_memory_suffixes_and_hex(void **state)
{
	static const struct { const char *v; uint64_t bytes; } cases[] = {
		{ "4096K", 4096ull << 10 }, { "4096k", 4096ull << 10 },
		{ "1M", 1ull << 20 }, { "1G", 1ull << 30 }, { "1g", 1ull << 30 },
		{ "0x200000", 2ull << 20 }, { "1048576", 1ull << 20 },
		{ "1052672", (1ull << 20) + 4096 }, { "16 M", 16ull << 20 },
	};
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[guest a]\nimage=\\x\nmemory=%s\n",
			 cases[i].v);
		expect_ok(text);
		assert_int_equal(cfg.guests[0].mem_bytes, cases[i].bytes);
	}
}

static void test_crlf_tabs_and_bom_accepted(void **state)
{
	(void)state;
	expect_ok("\xef\xbb\xbf[guest a]\r\n\timage\t=\t\\os.elf\r\nmemory=4M\r\n");
	assert_string_equal(cfg.guests[0].image, "\\os.elf");
	expect_ok("[guest a]\nimage = \\os.elf\nmemory = 4M");   /* no final \n */
}

static void test_text_is_length_bounded_not_nul_terminated(void **state)
{
	const char text[] = GUEST_A "memory = 8M\n";

	(void)state;
	/* Only the first len bytes count: the duplicate key is outside. */
	assert_int_equal(cfg_parse(text, strlen(GUEST_A), &cfg, &err), 0);
	assert_int_equal(cfg.guests[0].mem_bytes, 4u << 20);
}

static void test_devices_expand_to_ports_and_irqs(void **state)
{
	const struct cfg_guest *g;

	(void)state;
	expect_ok(GUEST_A "devices = com1, com2, ide0, ide1, vga\n");
	g = &cfg.guests[0];
	assert_int_equal(g->devices, CFG_DEV_COM1 | CFG_DEV_COM2 | CFG_DEV_IDE0 |
				     CFG_DEV_IDE1 | CFG_DEV_VGA);
	assert_int_equal(g->irqs, (1 << 3) | (1 << 4) | (1 << 14) | (1 << 15));
	assert_true(cfg_guest_owns_port(g, 0x3f8));
	assert_true(cfg_guest_owns_port(g, 0x3ff));
	assert_true(cfg_guest_owns_port(g, 0x2f8));
	assert_true(cfg_guest_owns_port(g, 0x1f7));
	assert_true(cfg_guest_owns_port(g, 0x3f6));
	assert_true(cfg_guest_owns_port(g, 0x170));
	assert_true(cfg_guest_owns_port(g, 0x376));
	assert_false(cfg_guest_owns_port(g, 0x3f7));
	assert_false(cfg_guest_owns_port(g, 0x400));
	assert_int_equal(cfg_guest_port_count(g), 8 + 8 + 9 + 9);
	assert_int_equal(g->devices_line, 4);
}

static void test_port_count_and_ownership_of_ranges(void **state)
{
	(void)state;
	expect_ok(GUEST_A "ports = 0x100-0x1ff, 0x80, 0xffff\n");
	assert_int_equal(cfg.guests[0].nports, 3);
	assert_int_equal(cfg_guest_port_count(&cfg.guests[0]), 256 + 1 + 1);
	assert_true(cfg_guest_owns_port(&cfg.guests[0], 0x1ff));
	assert_true(cfg_guest_owns_port(&cfg.guests[0], 0xffff));
	assert_false(cfg_guest_owns_port(&cfg.guests[0], 0x200));
	assert_int_equal(cfg.guests[0].ports[1].line, 4);
}

static void test_max_guests_accepted(void **state)
{
	char text[2048] = "";
	int i;

	(void)state;
	for (i = 0; i < CFG_MAX_GUESTS; i++) {
		char g[64];

		snprintf(g, sizeof(g), "[guest g%d]\nimage=\\x\nmemory=1M\n", i);
		strcat(text, g);
	}
	expect_ok(text);
	assert_int_equal(cfg.nguests, CFG_MAX_GUESTS);
}

static void test_error_unknown_section(void **state)
{
	(void)state;
	expect_error("[vm]\n", 1, "unknown section [vm]");
	expect_error(GUEST_A "[hv extra]\n", 4, "unknown section [hv extra]");
}

static void test_error_section_header_syntax(void **state)
{
	(void)state;
	expect_error("[guest a\n", 1, "missing ']'");
	expect_error("[hv] x\n", 1, "unexpected text after section header");
	expect_error("[guest]\n", 1, "bad guest name ''");
}

static void test_error_unknown_key(void **state)
{
	(void)state;
	expect_error(GUEST_A "colour = red\n", 4, "unknown key colour");
	expect_error("[hv]\nmemory = 4M\n", 2, "unknown key memory in [hv]");
	expect_error(GUEST_A "timeslice_us = 100\n", 4, "unknown key timeslice_us");
}

static void test_error_key_outside_section(void **state)
{
	(void)state;
	expect_error("\n# c\nimage = \\x\n" GUEST_A, 3, "key image outside a section");
}

static void test_error_duplicate_key(void **state)
{
	(void)state;
	expect_error(GUEST_A "memory = 8M\n", 4,
		     "duplicate key memory (first at line 3)");
	expect_error("[hv]\ntimeslice_us=100\ntimeslice_us=200\n", 3,
		     "duplicate key timeslice_us (first at line 2)");
}

static void test_same_key_in_two_guests_is_not_duplicate(void **state)
{
	(void)state;
	expect_ok(GUEST_A GUEST_B);
	assert_int_equal(cfg.nguests, 2);
}

static void test_error_missing_equals(void **state)
{
	(void)state;
	expect_error("[guest a]\nimage \\x\n", 2, "missing '=' after key image");
	expect_error("[guest a]\n= 4\n", 2, "expected key = value");
}

static void test_error_missing_value(void **state)
{
	(void)state;
	expect_error(GUEST_A "cpu =\n", 4, "missing value for key cpu");
	expect_error(GUEST_A "ports = # none\n", 4, "missing value for key ports");
}

static void test_error_bad_number(void **state)
{
	(void)state;
	expect_error(GUEST_A "cpu = one\n", 4, "bad number 'one' for cpu");
	expect_error(GUEST_A "cpu = 1x\n", 4, "bad number '1x' for cpu");
	expect_error(GUEST_A "cpu = 0x\n", 4, "bad number '0x' for cpu");
	expect_error(GUEST_A "irqs = 4 5\n", 4, "bad number '4 5' for irq");
	expect_error(GUEST_A "cpu = 99999999999999999999999\n", 4, "bad number");
	expect_error(GUEST_A "ports = 0x3g8\n", 4, "bad port '0x3g8'");
}

static void test_error_number_out_of_range(void **state)
{
	(void)state;
	expect_error(GUEST_A "cpu = 64\n", 4, "cpu 64 out of range (0..63)");
	expect_error("[hv]\ntimeslice_us = 99\n", 2,
		     "timeslice_us 99 out of range (100..1000000)");
	expect_error("[hv]\ntimeslice_us = 1000001\n", 2, "out of range");
	expect_error(GUEST_A "irqs = 16\n", 4, "irq 16 out of range (0..15)");
	expect_error(GUEST_A "ports = 0x10000\n", 4, "port 0x10000 out of range");
}

static void test_error_bad_memory_size(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = lots\n", 2, "bad memory size 'lots'");
	expect_error("[guest a]\nmemory = M\n", 2, "bad memory size 'M'");
}

static void test_error_bad_memory_suffix(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = 4T\n", 2, "bad memory suffix 'T' in '4T'");
	expect_error("[guest a]\nmemory = 4MB\n", 2, "bad memory suffix 'MB'");
}

static void test_error_memory_not_page_multiple(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = 1050000\n", 2,
		     "memory 1050000 not a multiple of 4K");
	expect_error("[guest a]\nmemory = 1026K\n", 2, "not a multiple of 4K");
}

static void test_error_memory_too_small(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = 1020K\n", 2,
		     "memory 1020K below minimum 1M");
	expect_error("[guest a]\nmemory = 0\n", 2, "below minimum 1M");
}

static void test_error_memory_too_large(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = 2G\n", 2, "memory 2G above maximum 1G");
	expect_error("[guest a]\nmemory = 1025M\n", 2, "above maximum 1G");
	expect_error("[guest a]\nmemory = 0xffffffffffffffff\n", 2,
		     "above maximum 1G");
}

static void test_check_memory_limit_names_overflowing_guest(void **state)
{
	(void)state;
	expect_ok(GUEST_A "\n" GUEST_B);
	assert_int_equal(cfg_check_memory(&cfg, 0, &err), 0);
	assert_int_equal(cfg_check_memory(&cfg, 8u << 20, &err), 0);
	assert_int_equal(cfg_check_memory(&cfg, (8u << 20) - 4096, &err), -1);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg,
			       "guest memory total 8M over limit 8188K at guest b"));
}

static void test_error_unknown_device(void **state)
{
	(void)state;
	expect_error(GUEST_A "devices = com1, com3\n", 4, "unknown device 'com3'");
	expect_error(GUEST_A "devices = COM1\n", 4, "unknown device 'COM1'");
}

static void test_error_device_listed_twice(void **state)
{
	(void)state;
	expect_error(GUEST_A "devices = vga, vga\n", 4, "device vga listed twice");
}

static void test_error_port_given_to_two_guests(void **state)
{
	(void)state;
	expect_error(GUEST_A "ports = 0x3f8-0x3ff\n" GUEST_B "ports = 0x3f0-0x3f8\n",
		     8, "port 0x3f8 already given to guest a (line 4)");
	expect_error(GUEST_A "ports = 0x3fc\n" GUEST_B "devices = com1\n",
		     8, "port 0x3fc already given to guest a (line 4)");
	expect_error(GUEST_A "devices = com1\n" GUEST_B "ports = 0x300-0x3ff\n",
		     8, "port 0x3f8 already given to guest a (line 4)");
}

static void test_error_overlapping_ranges_in_one_guest(void **state)
{
	(void)state;
	expect_error(GUEST_A "ports = 0x3f8-0x3ff, 0x3fa-0x3fb\n", 4,
		     "port 0x3fa-0x3fb overlaps 0x3f8-0x3ff given at line 4");
	expect_error(GUEST_A "ports = 0x80\nports = 0x80\n", 5, "duplicate key");
	expect_error(GUEST_A "devices = com1\nports = 0x3ff\n", 5,
		     "port 0x3ff overlaps 0x3f8-0x3ff given at line 4");
	expect_error(GUEST_A "ports = 0x80, 0x80\n", 4, "port 0x80 overlaps 0x80");
}

static void test_error_bad_port_range(void **state)
{
	(void)state;
	expect_error(GUEST_A "ports = 0x3ff-0x3f8\n", 4,
		     "bad port range 0x3ff-0x3f8 (first > last)");
	expect_error(GUEST_A "ports = 0x3f8-\n", 4, "bad port '0x3f8-'");
	expect_error(GUEST_A "ports = 0x80,\n", 4, "empty item in list");
}

static void test_error_reserved_ports(void **state)
{
	static const unsigned emulated[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x40, 0x43, 0x61, 0x70, 0x71,
		0xcf8, 0xcfa, 0xcfc, 0xcff, 0xe9, 0x4d0, 0x4d1,
	};
	char text[128], want[48];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(emulated) / sizeof(emulated[0]); i++) {
		snprintf(text, sizeof(text), GUEST_A "ports = %#x\n", emulated[i]);
		snprintf(want, sizeof(want), "port %#x is emulated", emulated[i]);
		expect_error(text, 4, want);
		assert_false(cfg_port_machine_wide(emulated[i]));
	}
	/* A range names its lowest port that no guest may own, whatever the table order. */
	expect_error(GUEST_A "ports = 0x21-0xff\n", 4, "port 0x21 is emulated by the hv (pic)");
	expect_error(GUEST_A "ports = 0x00-0xff\n", 4,
		     "port 0x0 controls the whole machine (8237 DMA controller 1");
	expect_ok(GUEST_A "ports = 0x22-0x3f, 0x44-0x60, 0x62-0x63, 0x65-0x6f, 0xcf7, 0xd00\n");
}

/* Each machine-wide port with (part of) the reason the error must give. */
static const struct {
	unsigned port;
	const char *why;
} machine_ports[] = {
	{ 0x64, "8042 controller: reset line, A20" },
	{ 0x92, "system control port A: fast reset, A20" },
	{ 0xcf9, "reset control register" },
	{ 0xb2, "APM control and status: raises an SMI" },
	{ 0xb3, "APM control and status" },
	{ 0x8900, "Bochs shutdown port" },
	{ 0xf4, "debug exit" },
	{ 0xf5, "debug exit" },
	{ 0xf6, "debug exit" },
	{ 0xf7, "debug exit: the hv's exit ports; QEMU's isa-debug-exit ends the emulator" },
	{ 0x400, "Bochs BIOS panic" },
	{ 0x402, "Bochs BIOS panic and message ports" },
	{ 0x403, "Bochs BIOS panic and message ports" },
	{ 0x501, "Bochs VGA BIOS panic ports, QEMU isa-debug-exit default" },
	{ 0x502, "Bochs VGA BIOS panic ports, QEMU isa-debug-exit default" },
	{ 0x505, "QEMU pvpanic" },
	{ 0x510, "QEMU fw_cfg" },
	{ 0x514, "QEMU fw_cfg: firmware configuration, DMA to any address" },
	{ 0x00, "8237 DMA controller 1" },
	{ 0x0f, "8237 DMA controller 1" },
	{ 0x81, "8237 DMA page registers" },
	{ 0x8f, "8237 DMA page registers" },
	{ 0xc0, "8237 DMA controller 2" },
	{ 0xdf, "8237 DMA controller 2" },
	{ 0x72, "CMOS upper bank" },
	{ 0xa00, "QEMU memory hotplug" },
	{ 0xcd8, "QEMU ICH9 CPU hotplug" },
	{ 0xae08, "QEMU PCI hotplug: ejects devices" },
	{ 0xaf00, "QEMU PIIX4 CPU hotplug" },
	{ 0xafe0, "QEMU ACPI GPE0 block" },
};

static void test_error_machine_wide_ports_named_with_line_and_reason(void **state)
{
	char text[256], want[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(machine_ports) / sizeof(machine_ports[0]); i++) {
		unsigned p = machine_ports[i].port;

		snprintf(want, sizeof(want), "port %s%x controls the whole machine (%s",
			 "0x", p, machine_ports[i].why);
		snprintf(text, sizeof(text), GUEST_A "ports = %#x\n", p);
		expect_error(text, 4, want);
		/* In a range, in a later guest: the line is that of the grant. */
		snprintf(text, sizeof(text), GUEST_A GUEST_B "cpu = 0\nports = %#x-%#x\n",
			 p, p < 0xffff ? p + 1 : p);
		expect_error(text, 8, want);
		assert_non_null(cfg_port_reserved(p));
		assert_non_null(strstr(cfg_port_reserved(p), machine_ports[i].why));
		assert_true(cfg_port_machine_wide(p));
	}
	expect_error(GUEST_A "ports = 0x62-0x6f\n", 4, "port 0x64 controls the whole machine");
	expect_error(GUEST_A "ports = 0x8000-0x9000\n", 4, "port 0x8900 controls the whole machine");
}

static void test_8042_data_port_and_post_port_may_be_given(void **state)
{
	(void)state;
	expect_ok(GUEST_A "ports = 0x60, 0x80\n");
	assert_null(cfg_port_reserved(0x60));
	assert_null(cfg_port_reserved(0x80));
	assert_null(cfg_port_reserved(0x3f8));
	assert_null(cfg_port_reserved(0x10000));
	assert_false(cfg_port_machine_wide(0x60));
	assert_false(cfg_port_machine_wide(0x10000));
}

/* cfg_port_reserved (what the fuzzer's invariant uses) and the parser agree on every port. */
static void test_port_reserved_agrees_with_parser_for_every_port(void **state)
{
	char text[128];
	unsigned p;

	(void)state;
	for (p = 0; p <= 0xffff; p++) {
		const char *why = cfg_port_reserved(p);
		int rc;

		snprintf(text, sizeof(text), GUEST_A "ports = %#x\n", p);
		rc = parse(text);
		if (why) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err.msg, why));
		} else if (rc != 0) {
			fail_msg("port %#x refused but not reserved: %s", p, err.msg);
		}
	}
}

static const struct cfg_machine_range acpi_ranges[] = {
	{ 0x600, 0x603, "ACPI PM1a event (FADT)" },
	{ 0x604, 0x605, "ACPI PM1a control (FADT)" },
	{ 0x608, 0x60b, "ACPI PM timer (FADT)" },
};

static void test_machine_ranges_found_at_boot_refused_at_granting_line(void **state)
{
	(void)state;
	expect_ok(GUEST_A "ports = 0x3e8\n" GUEST_B "ports = 0x604\n");
	assert_int_equal(cfg_check_machine_ports(&cfg, acpi_ranges, 3, &err), -1);
	assert_int_equal(err.line, 8);
	assert_string_equal(err.msg, "port 0x604 is ACPI PM1a control (FADT) and acts on the whole machine");
	/* Two guests grant some: the earlier line is named, with its lowest reserved port. */
	expect_ok(GUEST_A "ports = 0x606-0x6ff\n" GUEST_B "ports = 0x5f0-0x600\n");
	assert_int_equal(cfg_check_machine_ports(&cfg, acpi_ranges, 3, &err), -1);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.msg, "port 0x608 is ACPI PM timer (FADT) and acts on the whole machine");
}

static void test_machine_ranges_not_granted_pass(void **state)
{
	(void)state;
	expect_ok(GUEST_A "ports = 0x5f0-0x5ff, 0x606-0x607, 0x60c\n" GUEST_B "devices = com1\n");
	assert_int_equal(cfg_check_machine_ports(&cfg, acpi_ranges, 3, &err), 0);
	assert_int_equal(cfg_check_machine_ports(&cfg, acpi_ranges, 0, &err), 0);
}

static void test_cpu_the_machine_lacks_is_refused_at_its_line(void **state)
{
	(void)state;
	expect_ok(GUEST_A "cpu = 1\n" GUEST_B "cpu = 2\n");
	assert_int_equal(cfg.guests[0].cpu_line, 4);
	assert_int_equal(cfg_check_cpus(&cfg, 3, &err), 0);
	assert_int_equal(cfg_check_cpus(&cfg, 2, &err), -1);
	assert_int_equal(err.line, 8);
	assert_string_equal(err.msg, "cpu 2: this machine has 2 CPUs (0..1)");
	/* The first guest in hv.cfg order that names a missing CPU is named. */
	assert_int_equal(cfg_check_cpus(&cfg, 1, &err), -1);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.msg, "cpu 1: this machine has 1 CPU (0)");
	/* No cpu key: CPU 0, which every machine has. */
	expect_ok(GUEST_A GUEST_B);
	assert_int_equal(cfg.guests[1].cpu_line, 0);
	assert_int_equal(cfg_check_cpus(&cfg, 1, &err), 0);
}

static void test_shares_on_two_cpus_overcommit_one(void **state)
{
	static const int as_cfg[2] = { 0, 1 }, on_0[2] = { 0, 0 };

	(void)state;
	/* 80% on cpu 0 and 80% on cpu 1: each CPU is fine; both moved to CPU 0, it is not. */
	expect_ok(GUEST_A "share = 80%\n" GUEST_B "cpu = 1\nshare = 80%\n");
	assert_int_equal(cfg_shares_overcommit(&cfg, as_cfg, 0), 0);
	assert_int_equal(cfg_shares_overcommit(&cfg, as_cfg, 1), 0);
	assert_int_equal(cfg_shares_overcommit(&cfg, on_0, 0), 1600);
	assert_int_equal(cfg_shares_overcommit(&cfg, on_0, 1), 0);
	/* 100% named leaves nothing for the guest without a share; 99% leaves it 1%. */
	expect_ok(GUEST_A "share = 100%\n" GUEST_B "cpu = 1\n");
	assert_int_equal(cfg_shares_overcommit(&cfg, on_0, 0), 1010);
	expect_ok(GUEST_A "share = 99%\n" GUEST_B "cpu = 1\n");
	assert_int_equal(cfg_shares_overcommit(&cfg, on_0, 0), 0);
	expect_ok(GUEST_A "share = 50%\n" GUEST_B "cpu = 1\nshare = 50%\n");
	assert_int_equal(cfg_shares_overcommit(&cfg, on_0, 0), 0);
}

static void test_error_irq_given_to_two_guests(void **state)
{
	(void)state;
	expect_error(GUEST_A "devices = com1\n" GUEST_B "irqs = 5, 4\n", 8,
		     "irq 4 already given to guest a (line 4)");
	expect_error(GUEST_A "irqs = 4\n" GUEST_B "devices = com1\n", 8,
		     "irq 4 already given to guest a (line 4)");
}

static void test_error_irq_twice_in_one_guest(void **state)
{
	(void)state;
	expect_error(GUEST_A "irqs = 5, 5\n", 4, "irq 5 given twice (line 4)");
}

static void test_error_irq_timer_and_cascade_reserved(void **state)
{
	(void)state;
	expect_error(GUEST_A "irqs = 0\n", 4, "irq 0 is the timer");
	expect_error(GUEST_A "irqs = 2\n", 4, "irq 2 is the pic cascade");
	expect_ok(GUEST_A "irqs = 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n");
	assert_int_equal(cfg.guests[0].irqs, 0xfffa);
}

static void test_error_device_given_to_two_guests(void **state)
{
	(void)state;
	expect_error(GUEST_A "devices = ide0\n" GUEST_B "devices = ide0\n", 8,
		     "device ide0 already given to guest a (line 4)");
	expect_error(GUEST_A "devices = vga\n" GUEST_B "devices = vga\n", 8,
		     "device vga already given to guest a (line 4)");
}

static void test_error_duplicate_guest_name(void **state)
{
	(void)state;
	expect_error(GUEST_A GUEST_A, 4, "duplicate guest name a (first at line 1)");
}

static void test_error_bad_guest_name(void **state)
{
	(void)state;
	expect_error("[guest Alpha]\n", 1, "bad guest name 'Alpha'");
	expect_error("[guest a.b]\n", 1, "bad guest name 'a.b'");
	expect_error("[guest a b]\n", 1, "bad guest name 'a b'");
	expect_error("[guest abcdefghijklmnop]\n", 1, "1..15 chars");
	expect_ok("[guest abcdefghijklmn_]\nimage=\\x\nmemory=1M\n");
	expect_ok("[guest 0-z_9]\nimage=\\x\nmemory=1M\n");
}

static void test_error_missing_image(void **state)
{
	(void)state;
	expect_error("[guest a]\nmemory = 4M\n" GUEST_B, 1, "guest a has no image");
	expect_error(GUEST_B "[guest a]\nmemory = 4M\n", 4, "guest a has no image");
}

static void test_error_missing_memory(void **state)
{
	(void)state;
	expect_error("[guest a]\nimage = \\x\n[hv]\n", 1,
		     "guest a has no memory size");
}

static void test_error_no_guests(void **state)
{
	(void)state;
	expect_error("", 1, "no guests defined");
	expect_error("# only\n[hv]\ntimeslice_us = 100\n", 3, "no guests defined");
}

static void test_error_too_many_guests(void **state)
{
	char text[2048] = "";
	int i;

	(void)state;
	for (i = 0; i <= CFG_MAX_GUESTS; i++) {
		char g[64];

		snprintf(g, sizeof(g), "[guest g%d]\nimage=\\x\nmemory=1M\n", i);
		strcat(text, g);
	}
	expect_error(text, 3 * CFG_MAX_GUESTS + 1, "too many guests (max 8)");
}

static void test_error_too_many_port_ranges(void **state)
{
	char text[1024] = GUEST_A "ports = 0x300";
	int i;

	(void)state;
	for (i = 1; i < CFG_MAX_PORTS; i++)
		sprintf(text + strlen(text), ", %#x", 0x300 + 2 * i);
	expect_ok(text);
	assert_int_equal(cfg.guests[0].nports, CFG_MAX_PORTS);
	strcat(text, ", 0x600");
	expect_error(text, 4, "too many port ranges (max 32)");
}

static void test_error_string_too_long(void **state)
{
	char text[1024], longs[400];

	(void)state;
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	snprintf(text, sizeof(text), GUEST_A "cmdline = \"%.256s\"\n", longs);
	expect_error(text, 4, "cmdline too long (max 255 chars)");
	snprintf(text, sizeof(text), GUEST_A "cmdline = \"%.255s\"\n", longs);
	expect_ok(text);
	snprintf(text, sizeof(text), "[guest a]\nimage = \\%.95s\n", longs);
	expect_error(text, 2, "image path too long (max 95 chars)");
	snprintf(text, sizeof(text), "[guest a]\nimage = \\%.94s\nmemory=1M\n", longs);
	expect_ok(text);
}

static void test_error_unterminated_quote(void **state)
{
	(void)state;
	expect_error(GUEST_A "cmdline = \"abc\n", 4, "unterminated quote");
	expect_error(GUEST_A "cmdline = \"abc\" x\n", 4,
		     "unexpected text after quoted string");
}

static void test_error_bad_restart_and_test_fault(void **state)
{
	(void)state;
	expect_error(GUEST_A "restart = maybe\n", 4, "bad restart value 'maybe' (no | yes)");
	expect_error(GUEST_A "test_fault = triple\n", 4,
		     "bad test_fault value 'triple' (none | vmentry | vmcontrol | vmresume)");
}

static void test_error_duplicate_hv_section(void **state)
{
	(void)state;
	expect_error("[hv]\n" GUEST_A "[hv]\n", 5, "duplicate section [hv] (first at line 1)");
}

static void test_error_control_character(void **state)
{
	const char text[] = "[guest a]\nimage = \\x\x01\n";

	(void)state;
	expect_error(text, 2, "bad character 0x1");
	assert_int_equal(cfg_parse("[guest a]\0\n", 11, &cfg, &err), -1);
	assert_int_equal(err.line, 1);
}

static void test_error_message_clips_long_input(void **state)
{
	char text[2048], junk[1500];

	(void)state;
	memset(junk, 'q', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = 0;
	snprintf(text, sizeof(text), GUEST_A "cpu = %s\n", junk);
	expect_error(text, 4, "...");
	assert_true(strlen(err.msg) < CFG_MSG_MAX);
}

/* CPU shares: share = N% per guest, [hv] period_us, and the checks across guests. */
static void test_shares_and_period(void **state)
{
	(void)state;
	expect_ok("[hv]\nperiod_us = 20000\n" GUEST_A "share = 30%\n" GUEST_B "share = 70\n");
	assert_int_equal(cfg.period_us, 20000);
	assert_int_equal(cfg.guests[0].share_permille, 300);
	assert_int_equal(cfg.guests[1].share_permille, 700);
	assert_int_equal(cfg.guests[0].share_line, 6);
	expect_ok(GUEST_A);
	assert_int_equal(cfg.period_us, 10000);
	assert_int_equal(cfg.guests[0].share_permille, 0);
	expect_error(GUEST_A "share = 0%\n", 4, "share (percent)");
	expect_error(GUEST_A "share = 101%\n", 4, "share (percent)");
	expect_error("[hv]\nperiod_us = 10\n" GUEST_A, 2, "period_us");
	/* Over 100% on one CPU: the share that tips it over is named. */
	expect_error(GUEST_A "share = 60%\n" GUEST_B "share = 50%\n", 8,
		     "shares of the guests on cpu 0 add up to 110% (over 100%)");
	/* 100% named leaves nothing for a guest without a share. */
	expect_error(GUEST_A "share = 100%\n" GUEST_B, 4, "less than 1% is left for each of the 1 guest(s)");
	/* Different CPUs have their own 100%. */
	expect_ok(GUEST_A "share = 60%\n" GUEST_B "cpu = 1\nshare = 60%\n");
}

static void test_time_limit(void **state)
{
	(void)state;
	expect_ok(GUEST_A "time_limit_ms = 2500\n");
	assert_int_equal(cfg.guests[0].time_limit_ms, 2500);
	expect_ok(GUEST_A);
	assert_int_equal(cfg.guests[0].time_limit_ms, 0);
	expect_error(GUEST_A "time_limit_ms = 0\n", 4, "time_limit_ms");
}

static void test_vmcheck_and_vmresume_fault(void **state)
{
	(void)state;
	expect_ok("[hv]\nvmcheck = on\n" GUEST_A "test_fault = vmresume\n");
	assert_true(cfg.vmcheck);
	assert_int_equal(cfg.guests[0].test_fault, CFG_TEST_VMRESUME);
	expect_ok(GUEST_A);
	assert_false(cfg.vmcheck);
	expect_error("[hv]\nvmcheck = yes\n" GUEST_A, 2, "bad vmcheck value 'yes' (on | off)");
}

/* Returns blank lines then tail, in a buffer the caller frees. */
static char *after_blank_lines(int blank, const char *tail)
{
	char *text = malloc((size_t)blank + strlen(tail) + 1);

	assert_non_null(text);
	memset(text, '\n', (size_t)blank);
	strcpy(text + blank, tail);
	return text;
}

static void test_error_config_over_65535_lines(void **state)
{
	/* Line numbers are kept in 16 bits: [guest a] at 65536 would be line 0. */
	char *text = after_blank_lines(65535, GUEST_A "ports = 0x300\n");

	(void)state;
	expect_error(text, 65536, "config too long (max 65535 lines)");
	free(text);
}

static void test_config_of_65535_lines_keeps_line_numbers(void **state)
{
	char *text = after_blank_lines(65531, GUEST_A "ports = 0x300\n");

	(void)state;
	expect_ok(text);
	assert_int_equal(cfg.guests[0].line, 65532);
	assert_int_equal(cfg.guests[0].ports[0].line, 65535);
	free(text);
}

static void test_device_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_device_name(CFG_DEV_COM1), "com1");
	assert_string_equal(cfg_device_name(CFG_DEV_VGA), "vga");
	assert_string_equal(cfg_device_name(1u << 20), "?");
}

/* boot = linux with its bzImage, initrd and command line; the lines are kept for the boot stage. */
static void test_linux_guest_keys(void **state)
{
	(void)state;
	expect_ok("[guest lx]\n"
		  "boot = linux\n"
		  "image = /guests/bzImage\n"
		  "initrd = guests/initrd.img\n"
		  "cmdline = \"console=ttyS0 quiet\"\n"
		  "memory = 64M\n");
	assert_int_equal(cfg.guests[0].boot, CFG_BOOT_LINUX);
	assert_string_equal(cfg.guests[0].image, "\\guests\\bzImage");
	assert_string_equal(cfg.guests[0].initrd, "\\guests\\initrd.img");
	assert_string_equal(cfg.guests[0].cmdline, "console=ttyS0 quiet");
	assert_int_equal(cfg.guests[0].image_line, 3);
	assert_int_equal(cfg.guests[0].initrd_line, 4);
	assert_int_equal(cfg.guests[0].cmdline_line, 5);
	/* initrd is optional; multiboot is the default and may be said. */
	expect_ok(GUEST_A "boot = linux\n" GUEST_B "boot = multiboot\n");
	assert_int_equal(cfg.guests[0].boot, CFG_BOOT_LINUX);
	assert_string_equal(cfg.guests[0].initrd, "");
	assert_int_equal(cfg.guests[0].initrd_line, 0);
	assert_int_equal(cfg.guests[0].image_line, 2);
	assert_int_equal(cfg.guests[1].boot, CFG_BOOT_MULTIBOOT);
	expect_ok(GUEST_A);
	assert_int_equal(cfg.guests[0].boot, CFG_BOOT_MULTIBOOT);
	assert_int_equal(cfg.guests[0].cmdline_line, 0);
}

static void test_error_linux_guest_keys(void **state)
{
	char text[1024], longs[200];

	(void)state;
	expect_error(GUEST_A "boot = bzimage\n", 4, "bad boot value 'bzimage' (multiboot | linux)");
	expect_error(GUEST_A "boot = Linux\n", 4, "bad boot value 'Linux'");
	expect_error(GUEST_A "boot = linux\nboot = linux\n", 5, "duplicate key boot (first at line 4)");
	/* initrd without boot = linux names the initrd line, whichever key comes first. */
	expect_error(GUEST_A "initrd = \\initrd.img\n", 4, "initrd without boot = linux (guest a)");
	expect_error(GUEST_A "initrd = \\i\nboot = multiboot\n" GUEST_B, 4,
		     "initrd without boot = linux");
	expect_ok(GUEST_A "initrd = \\i\nboot = linux\n");
	expect_error(GUEST_A "boot = linux\ninitrd =\n", 5, "missing value for key initrd");
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	snprintf(text, sizeof(text), GUEST_A "boot = linux\ninitrd = \\%.95s\n", longs);
	expect_error(text, 5, "initrd path too long (max 95 chars)");
	snprintf(text, sizeof(text), GUEST_A "boot = linux\ninitrd = \\%.94s\n", longs);
	expect_ok(text);
	expect_error("[hv]\nboot = linux\n" GUEST_A, 2, "unknown key boot in [hv]");
}

/* ---- Discovery: module and acpi keys ---- */

static void test_modules_in_file_order_with_their_strings(void **state)
{
	(void)state;
	expect_ok(GUEST_A
		  "module = \\guests\\one.bin \"alpha beta=1 # not a comment\"  # comment\n"   /* line 4 */
		  "module = /guests/two.bin\n"                                              /* line 5 */
		  "module = three.bin plain args  # comment\n");                           /* line 6 */
	assert_int_equal(cfg.guests[0].nmodules, 3);
	assert_string_equal(cfg.guests[0].modules[0].path, "\\guests\\one.bin");
	assert_string_equal(cfg.guests[0].modules[0].string, "\\guests\\one.bin alpha beta=1 # not a comment");
	assert_int_equal(cfg.guests[0].modules[0].line, 4);
	assert_string_equal(cfg.guests[0].modules[1].path, "\\guests\\two.bin");
	assert_string_equal(cfg.guests[0].modules[1].string, "\\guests\\two.bin");
	assert_int_equal(cfg.guests[0].modules[1].line, 5);
	assert_string_equal(cfg.guests[0].modules[2].path, "\\three.bin");
	assert_string_equal(cfg.guests[0].modules[2].string, "\\three.bin plain args");
	assert_false(cfg.guests[0].acpi);
}

static void test_module_limits(void **state)
{
	char text[2048], args[CFG_MODARGS_MAX + 1];
	int n = 0;

	(void)state;
	n += snprintf(text + n, sizeof(text) - n, GUEST_A);
	for (int i = 0; i < CFG_MAX_MODULES; i++)
		n += snprintf(text + n, sizeof(text) - n, "module = \\m%d.bin\n", i);
	expect_ok(text);
	assert_int_equal(cfg.guests[0].nmodules, CFG_MAX_MODULES);
	snprintf(text + n, sizeof(text) - n, "module = \\extra.bin\n");
	expect_error(text, 4 + CFG_MAX_MODULES, "too many modules (max 8)");

	memset(args, 'a', CFG_MODARGS_MAX - 1);
	args[CFG_MODARGS_MAX - 1] = 0;
	snprintf(text, sizeof(text), GUEST_A "module = \\m.bin \"%s\"\n", args);
	expect_ok(text);
	assert_int_equal(strlen(cfg.guests[0].modules[0].string), strlen("\\m.bin ") + CFG_MODARGS_MAX - 1);
	args[CFG_MODARGS_MAX - 1] = 'a';
	args[CFG_MODARGS_MAX] = 0;
	snprintf(text, sizeof(text), GUEST_A "module = \\m.bin \"%s\"\n", args);
	expect_error(text, 4, "module arguments too long (max 127 chars)");
}

static void test_error_module_syntax(void **state)
{
	(void)state;
	expect_error(GUEST_A "module = \\m.bin \"open\n", 4, "unterminated quote");
	expect_error(GUEST_A "module = \\m.bin \"a\" b\n", 4, "unexpected text after quoted string");
	expect_error(GUEST_A "module = \n", 4, "missing value for key module");
	expect_error(GUEST_A "module = \"\\m.bin\" \"a\"\n", 4, "unexpected text after quoted string");
	expect_error("[guest a]\nboot = linux\nimage = \\bz\nmemory = 64M\nmodule = \\m.bin\n"
		     "module = \\n.bin\n[guest b]\n", 5, "module without boot = multiboot (guest a)");
	expect_error("[hv]\nmodule = \\m.bin\n" GUEST_A, 2, "unknown key module in [hv]");
}

static void test_acpi_key(void **state)
{
	(void)state;
	expect_ok(GUEST_A "acpi = on\n" GUEST_B "acpi = off\n");
	assert_true(cfg.guests[0].acpi);
	assert_false(cfg.guests[1].acpi);
	expect_error(GUEST_A "acpi = yes\n", 4, "bad acpi value 'yes' (on | off)");
	expect_error(GUEST_A "acpi = on\nacpi = off\n", 5, "duplicate key acpi (first at line 4)");
}

static void test_error_acpi_guest_owning_its_pm_ports(void **state)
{
	(void)state;
	expect_error(GUEST_A "ports = 0x80, 0x5f0-0x600\nacpi = on\n", 4,
		     "ports 0x600-0x605 are the ACPI PM1a registers the hv emulates for guest a "
		     "(acpi = on at line 5)");
	expect_error(GUEST_A "acpi = on\nports = 0x605\n", 5, "ports 0x600-0x605");
	/* Without acpi = on, or on another guest, the ports may be given. */
	expect_ok(GUEST_A "ports = 0x600-0x605\n" GUEST_B "acpi = on\n");
	expect_ok(GUEST_A "ports = 0x5ff, 0x606\nacpi = on\n");
}

/* ---- The local APIC: lapic and [hv] lapic_access ---- */

static void test_lapic_key_defaults_on_and_turns_off(void **state)
{
	(void)state;
	expect_ok(GUEST_A GUEST_B "lapic = off\n");
	assert_true(cfg.guests[0].lapic);                   /* default: the PC platform has one */
	assert_false(cfg.guests[1].lapic);
	assert_false(cfg.lapic_decode);                     /* lapic_access = auto */
	expect_ok(GUEST_A "lapic = on\n");
	assert_true(cfg.guests[0].lapic);
	expect_error(GUEST_A "lapic = 1\n", 4, "bad lapic value '1' (on | off)");
	expect_error(GUEST_A "lapic = on\nlapic = off\n", 5, "duplicate key lapic (first at line 4)");
	expect_error("[hv]\nlapic = on\n" GUEST_A, 2, "unknown key lapic in [hv]");
}

static void test_lapic_access_key(void **state)
{
	(void)state;
	expect_ok("[hv]\nlapic_access = decode\n" GUEST_A);
	assert_true(cfg.lapic_decode);
	expect_ok("[hv]\nlapic_access = auto\n" GUEST_A);
	assert_false(cfg.lapic_decode);
	expect_error("[hv]\nlapic_access = apicv\n" GUEST_A, 2, "bad lapic_access value 'apicv' (auto | decode)");
	expect_error(GUEST_A "lapic_access = decode\n", 4, "unknown key lapic_access in [guest]");
}

/* [hv] irq_backend: the physical interrupt controllers (hv/pirq.h). */
static void test_irq_backend_key(void **state)
{
	(void)state;
	expect_ok(GUEST_A);
	assert_int_equal(cfg.irq_backend, CFG_IRQ_AUTO);         /* the default */
	expect_ok("[hv]\nirq_backend = pic\n" GUEST_A);
	assert_int_equal(cfg.irq_backend, CFG_IRQ_PIC);
	expect_ok("[hv]\nirq_backend = ioapic   # the IOAPIC and local APICs\n" GUEST_A);
	assert_int_equal(cfg.irq_backend, CFG_IRQ_IOAPIC);
	expect_ok("[hv]\nirq_backend = auto\n" GUEST_A);
	assert_int_equal(cfg.irq_backend, CFG_IRQ_AUTO);
	expect_error("[hv]\nirq_backend = apic\n" GUEST_A, 2, "bad irq_backend value 'apic' (auto | pic | ioapic)");
	expect_error("[hv]\nirq_backend = PIC\n" GUEST_A, 2, "bad irq_backend value 'PIC'");
	expect_error("[hv]\nirq_backend =\n" GUEST_A, 2, "irq_backend");
	expect_error("[hv]\nirq_backend = pic\nirq_backend = ioapic\n" GUEST_A, 3,
		     "duplicate key irq_backend (first at line 2)");
	expect_error(GUEST_A "irq_backend = pic\n", 4, "unknown key irq_backend in [guest]");
}

/* The MADT describes the local APIC and IOAPIC: acpi = on without them is refused at the acpi line. */
static void test_error_acpi_without_lapic(void **state)
{
	(void)state;
	expect_error(GUEST_A "lapic = off\nacpi = on\n", 5,
		     "acpi = on needs the local APIC its MADT describes (lapic = off at line 4, guest a)");
	expect_error(GUEST_A "acpi = on\nlapic = off\n", 4, "lapic = off at line 5");
	expect_ok(GUEST_A "lapic = off\nacpi = off\n" GUEST_B "acpi = on\n");
}

/* manages = NAME, ...: names resolved when the whole file is read, even those defined later. */
static void test_manages_names_guests_defined_anywhere(void **state)
{
	static struct hv_config c;
	struct cfg_error e;
	const char *t = "[guest a]\nimage = \\a.elf\nmemory = 4M\nmanages = c, b\n"
			"[guest b]\nimage = \\b.elf\nmemory = 4M\n"
			"[guest c]\nimage = \\c.elf\nmemory = 4M\nmanages = a\n";

	(void)state;
	assert_int_equal(cfg_parse(t, strlen(t), &c, &e), 0);
	assert_int_equal(c.guests[0].manages, 0x6);
	assert_int_equal(c.guests[0].manages_line, 4);
	assert_int_equal(c.guests[1].manages, 0);
	assert_int_equal(c.guests[2].manages, 0x1);
}

/* A manages list naming no guest of the file, the guest itself, or a bad name: an error at its line. */
static void test_error_manages(void **state)
{
	(void)state;
	expect_error(GUEST_A "manages = b\n", 4, "manages: no guest named b");
	expect_error(GUEST_A "manages = a\n", 4, "manages: guest a cannot manage itself");
	expect_error(GUEST_A "manages = B!\n", 4, "manages: bad guest name 'B!'");
	expect_error(GUEST_A "manages = b,\n" GUEST_B, 4, "empty item in list");
	expect_error(GUEST_A "manages =\n", 4, "");
	expect_error("[hv]\nmanages = a\n" GUEST_A, 2, "");
	expect_ok(GUEST_A "manages = b\n" GUEST_B "manages = a\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example_parses_every_field),
		cmocka_unit_test(test_manages_names_guests_defined_anywhere),
		cmocka_unit_test(test_error_manages),
		cmocka_unit_test(test_defaults_when_keys_omitted),
		cmocka_unit_test(test_image_path_slashes_stored_as_backslashes),
		cmocka_unit_test(test_cmdline_unquoted_is_rest_of_line_before_comment),
		cmocka_unit_test(test_memory_suffixes_and_hex),
		cmocka_unit_test(test_crlf_tabs_and_bom_accepted),
		cmocka_unit_test(test_text_is_length_bounded_not_nul_terminated),
		cmocka_unit_test(test_devices_expand_to_ports_and_irqs),
		cmocka_unit_test(test_port_count_and_ownership_of_ranges),
		cmocka_unit_test(test_max_guests_accepted),
		cmocka_unit_test(test_error_unknown_section),
		cmocka_unit_test(test_error_section_header_syntax),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_key_outside_section),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_same_key_in_two_guests_is_not_duplicate),
		cmocka_unit_test(test_error_missing_equals),
		cmocka_unit_test(test_error_missing_value),
		cmocka_unit_test(test_error_bad_number),
		cmocka_unit_test(test_error_number_out_of_range),
		cmocka_unit_test(test_error_bad_memory_size),
		cmocka_unit_test(test_error_bad_memory_suffix),
		cmocka_unit_test(test_error_memory_not_page_multiple),
		cmocka_unit_test(test_error_memory_too_small),
		cmocka_unit_test(test_error_memory_too_large),
		cmocka_unit_test(test_check_memory_limit_names_overflowing_guest),
		cmocka_unit_test(test_error_unknown_device),
		cmocka_unit_test(test_error_device_listed_twice),
		cmocka_unit_test(test_error_port_given_to_two_guests),
		cmocka_unit_test(test_error_overlapping_ranges_in_one_guest),
		cmocka_unit_test(test_error_bad_port_range),
		cmocka_unit_test(test_error_reserved_ports),
		cmocka_unit_test(test_error_machine_wide_ports_named_with_line_and_reason),
		cmocka_unit_test(test_8042_data_port_and_post_port_may_be_given),
		cmocka_unit_test(test_port_reserved_agrees_with_parser_for_every_port),
		cmocka_unit_test(test_machine_ranges_found_at_boot_refused_at_granting_line),
		cmocka_unit_test(test_machine_ranges_not_granted_pass),
		cmocka_unit_test(test_error_irq_given_to_two_guests),
		cmocka_unit_test(test_error_irq_twice_in_one_guest),
		cmocka_unit_test(test_error_irq_timer_and_cascade_reserved),
		cmocka_unit_test(test_error_device_given_to_two_guests),
		cmocka_unit_test(test_error_duplicate_guest_name),
		cmocka_unit_test(test_error_bad_guest_name),
		cmocka_unit_test(test_error_missing_image),
		cmocka_unit_test(test_error_missing_memory),
		cmocka_unit_test(test_error_no_guests),
		cmocka_unit_test(test_error_too_many_guests),
		cmocka_unit_test(test_error_too_many_port_ranges),
		cmocka_unit_test(test_error_string_too_long),
		cmocka_unit_test(test_error_unterminated_quote),
		cmocka_unit_test(test_error_bad_restart_and_test_fault),
		cmocka_unit_test(test_error_duplicate_hv_section),
		cmocka_unit_test(test_error_control_character),
		cmocka_unit_test(test_error_message_clips_long_input),
		cmocka_unit_test(test_error_config_over_65535_lines),
		cmocka_unit_test(test_config_of_65535_lines_keeps_line_numbers),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_shares_and_period),
		cmocka_unit_test(test_vmcheck_and_vmresume_fault),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_linux_guest_keys),
		cmocka_unit_test(test_error_linux_guest_keys),
		cmocka_unit_test(test_modules_in_file_order_with_their_strings),
		cmocka_unit_test(test_module_limits),
		cmocka_unit_test(test_error_module_syntax),
		cmocka_unit_test(test_acpi_key),
		cmocka_unit_test(test_cpu_the_machine_lacks_is_refused_at_its_line),
		cmocka_unit_test(test_shares_on_two_cpus_overcommit_one),
		cmocka_unit_test(test_error_acpi_guest_owning_its_pm_ports),
		cmocka_unit_test(test_lapic_key_defaults_on_and_turns_off),
		cmocka_unit_test(test_lapic_access_key),
		cmocka_unit_test(test_irq_backend_key),
		cmocka_unit_test(test_error_acpi_without_lapic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
