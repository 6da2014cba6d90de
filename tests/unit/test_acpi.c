/*
 * Unit tests for hv/acpi.c: the machine-wide I/O ranges of the FADT (found
 * through the RSDP, RSDT or XSDT) and of the chipset's PM functions on PCI.
 * Tables are built in a fake physical memory at FAKE_BASE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"

#define FAKE_BASE  0x7fe00000ull
#define FAKE_SIZE  0x10000u
#define RSDP_PA    (FAKE_BASE + 0x0000)
#define RSDT_PA    (FAKE_BASE + 0x0100)
#define XSDT_PA    (FAKE_BASE + 0x0400)
#define FADT_PA    (FAKE_BASE + 0x1000)     /* FADT n at FADT_PA + n * 0x400 */
#define APIC_PA    (FAKE_BASE + 0x8000)

static uint8_t mem[FAKE_SIZE];
static struct acpi_ports ports;

static const void *fake_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa < FAKE_BASE || pa - FAKE_BASE > FAKE_SIZE || len > FAKE_SIZE - (pa - FAKE_BASE))
		return NULL;
	return mem + (pa - FAKE_BASE);
}

static uint8_t *at(uint64_t pa)
{
	return mem + (pa - FAKE_BASE);
}

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Sets the checksum byte at p[off] so the len bytes sum to zero. */
static void fix_sum(uint8_t *p, unsigned len, unsigned off)
{
	uint8_t s = 0;

	p[off] = 0;
	for (unsigned i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[off] = (uint8_t)-s;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, "HVTEST", 6);
}

/* A generic address structure in system I/O (space 1) or memory (space 0). */
static void gas(uint8_t *g, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	g[0] = space;
	g[1] = bits;
	g[2] = 0;
	g[3] = access;
	put(g + 4, addr, 8);
}

/* A revision 1 FADT (116 bytes) with the PM blocks of a PIIX4 at base. */
static uint8_t *fadt_v1(uint64_t pa, uint16_t base)
{
	uint8_t *f = at(pa);

	memset(f, 0, 0x400);
	header(f, "FACP", 116, 1);
	put(f + 48, 0xb2, 4);                 /* SMI_CMD */
	put(f + 56, base, 4);                 /* PM1a_EVT_BLK */
	put(f + 64, base + 4, 4);             /* PM1a_CNT_BLK */
	put(f + 76, base + 8, 4);             /* PM_TMR_BLK */
	put(f + 80, 0xafe0, 4);               /* GPE0_BLK */
	f[88] = 4;                            /* PM1_EVT_LEN */
	f[89] = 2;                            /* PM1_CNT_LEN */
	f[91] = 4;                            /* PM_TMR_LEN */
	f[92] = 4;                            /* GPE0_BLK_LEN */
	fix_sum(f, 116, 9);
	return f;
}

/* A revision 3 FADT (244 bytes): v1 fields plus RESET_REG and the X_ fields. */
static uint8_t *fadt_v3(uint64_t pa, uint16_t base)
{
	uint8_t *f = fadt_v1(pa, base);

	header(f, "FACP", 244, 3);
	gas(f + 116, 1, 8, 1, 0xcf9);         /* RESET_REG */
	f[128] = 0x06;                        /* RESET_VALUE */
	gas(f + 148, 1, 32, 2, base);         /* X_PM1a_EVT_BLK: same as the 32-bit field */
	gas(f + 172, 1, 16, 2, base + 0x44);  /* X_PM1a_CNT_BLK: differs from it */
	gas(f + 208, 0, 32, 3, 0xfed00000);   /* X_PM_TMR_BLK in memory space: no port */
	fix_sum(f, 244, 9);
	return f;
}

static void rsdt(const uint64_t *tables, unsigned n)
{
	uint8_t *t = at(RSDT_PA);

	header(t, "RSDT", 36 + 4 * n, 1);
	for (unsigned i = 0; i < n; i++)
		put(t + 36 + 4 * i, tables[i], 4);
	fix_sum(t, 36 + 4 * n, 9);
}

static void xsdt(const uint64_t *tables, unsigned n)
{
	uint8_t *t = at(XSDT_PA);

	header(t, "XSDT", 36 + 8 * n, 1);
	for (unsigned i = 0; i < n; i++)
		put(t + 36 + 8 * i, tables[i], 8);
	fix_sum(t, 36 + 8 * n, 9);
}

static void rsdp(uint8_t rev, uint64_t rsdt_pa, uint64_t xsdt_pa)
{
	uint8_t *r = at(RSDP_PA);

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "HVTEST", 6);
	r[15] = rev;
	put(r + 16, rsdt_pa, 4);
	fix_sum(r, 20, 8);
	if (rev >= 2) {
		put(r + 20, 36, 4);
		put(r + 24, xsdt_pa, 8);
		fix_sum(r, 36, 32);
	}
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	acpi_ports_init(&ports);
	return 0;
}

/* Asserts range i is [first, last] named what. */
static void expect_range(int i, unsigned first, unsigned last, const char *what)
{
	assert_true(i < ports.n);
	if (ports.r[i].first != first || ports.r[i].last != last || strcmp(ports.r[i].what, what))
		print_error("range %d: 0x%x-0x%x %s; want 0x%x-0x%x %s\n", i, ports.r[i].first,
			    ports.r[i].last, ports.r[i].what, first, last, what);
	assert_int_equal(ports.r[i].first, first);
	assert_int_equal(ports.r[i].last, last);
	assert_string_equal(ports.r[i].what, what);
}

static void expect_error(int rc, const char *sub)
{
	if (rc != -1 || !strstr(ports.err, sub))
		print_error("rc %d err '%s'; want '%s'\n", rc, ports.err, sub);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(ports.err, sub));
}

static void test_fadt_rev1_gives_legacy_blocks_and_no_x_fields(void **state)
{
	uint8_t *f = fadt_v1(FADT_PA, 0x600);

	(void)state;
	/* Bytes after the 116 of revision 1 are not part of the table: never read. */
	gas(f + 172, 1, 16, 2, 0x9000);
	gas(f + 116, 1, 8, 1, 0x9100);
	assert_int_equal(acpi_fadt_ports(f, 0x400, &ports), 0);
	assert_int_equal(ports.n, 5);
	expect_range(0, 0xb2, 0xb2, "ACPI SMI command (FADT)");
	expect_range(1, 0x600, 0x603, "ACPI PM1a event (FADT)");
	expect_range(2, 0x604, 0x605, "ACPI PM1a control (FADT)");
	expect_range(3, 0x608, 0x60b, "ACPI PM timer (FADT)");
	expect_range(4, 0xafe0, 0xafe3, "ACPI GPE0 block (FADT)");
}

static void test_fadt_x_fields_and_reset_register_in_io_space(void **state)
{
	uint8_t *f = fadt_v3(FADT_PA, 0xb000);

	(void)state;
	assert_int_equal(acpi_fadt_ports(f, 244, &ports), 0);
	/* The X_ PM1a event block equals the 32-bit one: listed once. The X_ PM timer is MMIO. */
	assert_int_equal(ports.n, 7);
	expect_range(0, 0xb2, 0xb2, "ACPI SMI command (FADT)");
	expect_range(1, 0xb000, 0xb003, "ACPI PM1a event (FADT)");
	expect_range(2, 0xb004, 0xb005, "ACPI PM1a control (FADT)");
	expect_range(3, 0xb044, 0xb045, "ACPI PM1a control (FADT)");
	expect_range(4, 0xb008, 0xb00b, "ACPI PM timer (FADT)");
	expect_range(5, 0xafe0, 0xafe3, "ACPI GPE0 block (FADT)");
	expect_range(6, 0xcf9, 0xcf9, "ACPI reset register (FADT)");
}

static void test_fadt_gas_length_from_width_access_size_and_legacy_length(void **state)
{
	uint8_t *f = fadt_v3(FADT_PA, 0xb000);

	(void)state;
	gas(f + 196, 1, 8, 4, 0x1200);        /* X_PM2_CNT_BLK: 8 bits, qword access: 8 bytes */
	gas(f + 232, 1, 0, 3, 0x1100);        /* X_GPE1_BLK: dword access: 4 bytes ... */
	f[93] = 8;                            /* ... but GPE1_BLK_LEN says 8 */
	gas(f + 184, 1, 12, 0, 0x1300);       /* X_PM1b_CNT_BLK: bits 2..13: 2 bytes */
	f[184 + 2] = 2;
	fix_sum(f, 244, 9);
	assert_int_equal(acpi_fadt_ports(f, 244, &ports), 0);
	assert_int_equal(ports.n, 10);
	expect_range(4, 0x1300, 0x1301, "ACPI PM1b control (FADT)");
	expect_range(5, 0x1200, 0x1207, "ACPI PM2 control (FADT)");
	expect_range(8, 0x1100, 0x1107, "ACPI GPE1 block (FADT)");
	expect_range(9, 0xcf9, 0xcf9, "ACPI reset register (FADT)");
}

static void test_fadt_sleep_registers_of_acpi5(void **state)
{
	uint8_t *f = fadt_v3(FADT_PA, 0xb000);

	(void)state;
	header(f, "FACP", 276, 6);
	gas(f + 244, 1, 8, 1, 0x1800);
	gas(f + 256, 1, 8, 1, 0x1801);
	fix_sum(f, 276, 9);
	assert_int_equal(acpi_fadt_ports(f, 276, &ports), 0);
	assert_int_equal(ports.n, 9);
	expect_range(7, 0x1800, 0x1800, "ACPI sleep control (FADT)");
	expect_range(8, 0x1801, 0x1801, "ACPI sleep status (FADT)");
}

static void test_fadt_malformed_is_refused_with_the_cause(void **state)
{
	uint8_t *f = fadt_v3(FADT_PA, 0xb000);

	(void)state;
	f[100] ^= 1;
	expect_error(acpi_fadt_ports(f, 244, &ports), "FADT checksum bad");
	fadt_v3(FADT_PA, 0xb000);
	expect_error(acpi_fadt_ports(f, 243, &ports), "FADT length 244 beyond the 243 bytes");
	expect_error(acpi_fadt_ports(f, 20, &ports), "FADT: no FACP table header");
	header(f, "FACP", 100, 1);
	fix_sum(f, 100, 9);
	expect_error(acpi_fadt_ports(f, 244, &ports), "FADT length 100, shorter than the 116 bytes");
	header(f, "FACP", 0x10000, 3);
	expect_error(acpi_fadt_ports(f, 0x10000, &ports), "FADT length 65536 beyond");
	header(f, "APIC", 244, 3);
	expect_error(acpi_fadt_ports(f, 244, &ports), "no FACP table header");
}

static void test_fadt_block_outside_io_space_is_refused(void **state)
{
	uint8_t *f = fadt_v1(FADT_PA, 0x600);

	(void)state;
	put(f + 64, 0xfffff, 4);
	fix_sum(f, 116, 9);
	expect_error(acpi_fadt_ports(f, 116, &ports),
		     "ACPI PM1a control (FADT) at 0xfffff (2 bytes) is not in the I/O space");
	f = fadt_v1(FADT_PA, 0xfffe);           /* PM1a event 0xfffe-0x10001 runs off the end */
	expect_error(acpi_fadt_ports(f, 116, &ports), "ACPI PM1a event (FADT) at 0xfffe");
	f = fadt_v3(FADT_PA, 0x600);
	gas(f + 116, 1, 8, 1, 0x123456789ull);
	fix_sum(f, 244, 9);
	expect_error(acpi_fadt_ports(f, 244, &ports), "ACPI reset register (FADT) at 0x123456789");
}

static void test_rsdp_rev0_walks_the_rsdt(void **state)
{
	const uint64_t tables[] = { APIC_PA, 0, FADT_PA };

	(void)state;
	header(at(APIC_PA), "APIC", 44, 1);
	fadt_v1(FADT_PA, 0x600);
	rsdt(tables, 3);
	rsdp(0, RSDT_PA, 0);
	assert_int_equal(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), 0);
	assert_int_equal(ports.n, 5);
	expect_range(2, 0x604, 0x605, "ACPI PM1a control (FADT)");
}

static void test_rsdp_rev2_prefers_the_xsdt(void **state)
{
	const uint64_t old[] = { FADT_PA }, new[] = { FADT_PA + 0x400 };

	(void)state;
	fadt_v1(FADT_PA, 0x600);
	fadt_v3(FADT_PA + 0x400, 0xb000);
	rsdt(old, 1);
	xsdt(new, 1);
	rsdp(2, RSDT_PA, XSDT_PA);
	assert_int_equal(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), 0);
	assert_int_equal(ports.n, 7);
	expect_range(2, 0xb004, 0xb005, "ACPI PM1a control (FADT)");
	/* Revision 2 without an XSDT address: the RSDT. */
	acpi_ports_init(&ports);
	rsdp(2, RSDT_PA, 0);
	assert_int_equal(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), 0);
	expect_range(2, 0x604, 0x605, "ACPI PM1a control (FADT)");
}

static void test_tables_without_fadt_give_nothing(void **state)
{
	const uint64_t tables[] = { APIC_PA };

	(void)state;
	header(at(APIC_PA), "APIC", 44, 1);
	xsdt(tables, 1);
	rsdp(2, 0, XSDT_PA);
	assert_int_equal(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), 0);
	assert_int_equal(ports.n, 0);
}

static void test_malformed_rsdp_and_root_tables_are_refused(void **state)
{
	const uint64_t tables[] = { FADT_PA };
	uint8_t *r = at(RSDP_PA), *t = at(RSDT_PA);

	(void)state;
	fadt_v1(FADT_PA, 0x600);
	rsdt(tables, 1);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "no RSDP at 0x7fe00000");
	expect_error(acpi_rsdp_ports(0x1000, fake_map, NULL, &ports), "no RSDP at 0x1000");
	rsdp(0, RSDT_PA, 0);
	r[12] ^= 1;
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDP checksum bad");
	rsdp(2, RSDT_PA, XSDT_PA);
	r[30] ^= 1;
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDP extended checksum bad");
	rsdp(2, RSDT_PA, 0);
	put(r + 20, 20, 4);
	fix_sum(r, 20, 8);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDP length 20 out of range");
	rsdp(0, 0, 0);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports),
		     "RSDP lists neither an RSDT nor an XSDT");
	rsdp(0, RSDT_PA, 0);
	t[20] ^= 1;
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDT checksum bad");
	header(t, "RSDT", 20, 1);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDT length 20 out of range");
	header(t, "RSDT", 0xfffffff0u, 1);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDT length 4294967280 out of range");
	header(t, "RSDT", 0xff01, 1);         /* within the limit but past the readable memory */
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "(65281 bytes) is not readable");
	header(t, "XSDT", 40, 1);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "RSDT at 0x7fe00100 has signature XSDT");
	t[0] = 0x01;
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "has signature ?SDT");
}

static void test_unreadable_or_bad_fadt_entry_is_refused(void **state)
{
	const uint64_t outside[] = { 0x1000 }, fadt[] = { FADT_PA };
	uint8_t *f;

	(void)state;
	xsdt(outside, 1);
	rsdp(2, 0, XSDT_PA);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "table at 0x1000 is not readable");
	f = fadt_v3(FADT_PA, 0xb000);
	f[200] ^= 0x40;
	xsdt(fadt, 1);
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "FADT checksum bad");
}

static void test_too_many_ranges_is_an_error_not_a_truncation(void **state)
{
	uint64_t tables[8];

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		tables[i] = FADT_PA + 0x400 * i;
		fadt_v3(tables[i], (uint16_t)(0x1000 + 0x100 * i));
	}
	xsdt(tables, 8);
	rsdp(2, 0, XSDT_PA);
	/* 8 FADTs with 4 ranges of their own each, and 3 shared (SMI, GPE0, reset): 35. */
	expect_error(acpi_rsdp_ports(RSDP_PA, fake_map, NULL, &ports), "more than 32 power-management");
}

/* ---- PCI ---------------------------------------------------------------- */

static uint32_t cfgspace[32][8][64];

static uint32_t fake_pci(void *ctx, unsigned dev, unsigned fn, unsigned reg)
{
	(void)ctx;
	return cfgspace[dev][fn][reg / 4];
}

static void pci_setup(void)
{
	memset(cfgspace, 0xff, sizeof(cfgspace));
	cfgspace[0][0][0] = 0x12378086;                 /* i440FX host bridge */
	cfgspace[1][0][0] = 0x70008086;                 /* PIIX3 ISA */
	cfgspace[1][1][0] = 0x70108086;                 /* PIIX3 IDE */
	cfgspace[1][1][0x20 / 4] = 0xc001;              /* its bus master: not PM */
	cfgspace[1][3][0] = 0x71138086;                 /* PIIX4 PM */
	cfgspace[1][3][0x40 / 4] = 0xb001;
	cfgspace[1][3][0x90 / 4] = 0x0001;              /* SMBus base not set */
}

static void test_pci_piix4_pm_base_set_by_firmware(void **state)
{
	(void)state;
	pci_setup();
	assert_int_equal(acpi_pci_ports(fake_pci, NULL, &ports), 0);
	assert_int_equal(ports.n, 1);
	expect_range(0, 0xb000, 0xb03f, "PIIX4 power management (PCI PMBA)");
	cfgspace[1][3][0x90 / 4] = 0xb101;
	assert_int_equal(acpi_pci_ports(fake_pci, NULL, &ports), 0);
	assert_int_equal(ports.n, 2);
	expect_range(1, 0xb100, 0xb10f, "PIIX4 SMBus (PCI SMBBA)");
}

static void test_pci_ich9_lpc_and_smbus(void **state)
{
	(void)state;
	pci_setup();
	cfgspace[1][3][0] = 0xffffffff;
	cfgspace[31][0][0] = 0x29188086;
	cfgspace[31][0][0x40 / 4] = 0x0601;
	cfgspace[31][0][0x48 / 4] = 0x0681 | 0xffff0000u;   /* upper bits are not address */
	cfgspace[31][3][0] = 0x29308086;
	cfgspace[31][3][0x20 / 4] = 0x0701;
	assert_int_equal(acpi_pci_ports(fake_pci, NULL, &ports), 0);
	assert_int_equal(ports.n, 3);
	expect_range(0, 0x600, 0x67f, "ICH9 ACPI power management (LPC PMBASE)");
	expect_range(1, 0x680, 0x6bf, "ICH9 GPIO (LPC GPIOBASE)");
	expect_range(2, 0x700, 0x71f, "ICH9 SMBus (PCI SMB_BASE)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fadt_rev1_gives_legacy_blocks_and_no_x_fields, setup),
		cmocka_unit_test_setup(test_fadt_x_fields_and_reset_register_in_io_space, setup),
		cmocka_unit_test_setup(test_fadt_gas_length_from_width_access_size_and_legacy_length, setup),
		cmocka_unit_test_setup(test_fadt_sleep_registers_of_acpi5, setup),
		cmocka_unit_test_setup(test_fadt_malformed_is_refused_with_the_cause, setup),
		cmocka_unit_test_setup(test_fadt_block_outside_io_space_is_refused, setup),
		cmocka_unit_test_setup(test_rsdp_rev0_walks_the_rsdt, setup),
		cmocka_unit_test_setup(test_rsdp_rev2_prefers_the_xsdt, setup),
		cmocka_unit_test_setup(test_tables_without_fadt_give_nothing, setup),
		cmocka_unit_test_setup(test_malformed_rsdp_and_root_tables_are_refused, setup),
		cmocka_unit_test_setup(test_unreadable_or_bad_fadt_entry_is_refused, setup),
		cmocka_unit_test_setup(test_too_many_ranges_is_an_error_not_a_truncation, setup),
		cmocka_unit_test_setup(test_pci_piix4_pm_base_set_by_firmware, setup),
		cmocka_unit_test_setup(test_pci_ich9_lpc_and_smbus, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
