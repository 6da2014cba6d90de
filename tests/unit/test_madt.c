/*
 * Unit tests for hv/madt.c (the MADT parser, the boot CPU list) and
 * acpi_find_table (hv/acpi.c), with MADTs written here as fixtures: the
 * table QEMU's i440fx machine gives two CPUs, tables with x2APIC entries,
 * disabled processors and a LAPIC address override, and malformed ones.
 * The MADT the hv builds for its own guests (hv/acpitab.c) is read back too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "acpitab.h"
#include "madt.h"

static uint8_t tab[4096];
static unsigned tab_len;
static struct boot_madt madt;
static char err[MADT_ERR_MAX];

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Sets the length field to tab_len and the checksum (byte 9) so the table sums to zero. */
static void seal(void)
{
	uint8_t s = 0;

	put(tab + 4, tab_len, 4);
	tab[9] = 0;
	for (unsigned i = 0; i < tab_len; i++)
		s = (uint8_t)(s + tab[i]);
	tab[9] = (uint8_t)-s;
}

/* Starts a MADT: header, Local Interrupt Controller Address, flags (PCAT_COMPAT). */
static void madt_start(uint32_t lapic)
{
	memset(tab, 0, sizeof(tab));
	memcpy(tab, "APIC", 4);
	tab[8] = 4;
	memcpy(tab + 10, "HVTEST", 6);
	put(tab + 36, lapic, 4);
	put(tab + 40, 1, 4);
	tab_len = 44;
}

static void entry(const uint8_t *e, unsigned len)
{
	memcpy(tab + tab_len, e, len);
	tab_len += len;
}

static void lapic(uint8_t uid, uint8_t apic, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, apic };

	put(e + 4, flags, 4);
	entry(e, sizeof(e));
}

static void x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
	uint8_t e[16] = { 9, 16 };

	put(e + 4, id, 4);
	put(e + 8, flags, 4);
	put(e + 12, uid, 4);
	entry(e, sizeof(e));
}

static void ioapic(uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t e[12] = { 1, 12, id };

	put(e + 4, addr, 4);
	put(e + 8, gsi, 4);
	entry(e, sizeof(e));
}

static void iso(uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, 0, irq };

	put(e + 4, gsi, 4);
	put(e + 8, flags, 2);
	entry(e, sizeof(e));
}

/* QEMU's pc machine with -smp 2: two LAPICs, one IOAPIC, five overrides, LAPIC NMI. */
static void madt_qemu_2cpus(void)
{
	static const uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 };

	madt_start(0xfee00000);
	lapic(0, 0, 1);
	lapic(1, 1, 1);
	ioapic(0, 0xfec00000, 0);
	iso(0, 2, 0);
	iso(5, 5, 0xd);
	iso(9, 9, 0xd);
	iso(10, 10, 0xd);
	iso(11, 11, 0xd);
	entry(nmi, sizeof(nmi));
	seal();
}

static int parse(void)
{
	err[0] = 0;
	return madt_parse(tab, sizeof(tab), &madt, err, sizeof(err));
}

static void test_qemu_two_cpus(void **state)
{
	(void)state;
	madt_qemu_2cpus();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt.found, 1);
	assert_int_equal(madt.flags, 1);
	assert_int_equal(madt.lapic_addr, 0xfee00000);
	assert_int_equal(madt.ncpus, 2);
	assert_int_equal(madt.apic_id[0], 0);
	assert_int_equal(madt.apic_id[1], 1);
	assert_int_equal(madt.nioapic, 1);
	assert_int_equal(madt.ioapic[0].id, 0);
	assert_int_equal(madt.ioapic[0].addr, 0xfec00000);
	assert_int_equal(madt.ioapic[0].gsi_base, 0);
	assert_int_equal(madt.niso, 5);
	assert_int_equal(madt.iso[0].source, 0);
	assert_int_equal(madt.iso[0].gsi, 2);
	assert_int_equal(madt.iso[2].source, 9);
	assert_int_equal(madt.iso[2].gsi, 9);
	assert_int_equal(madt.iso[2].flags, 0xd);      /* level, active high */
	assert_int_equal(madt.cpus_beyond, 0);
}

static void test_disabled_x2apic_and_address_override(void **state)
{
	static const uint8_t override[12] = { 5, 12, 0, 0, 0x00, 0x00, 0xd0, 0xfe, 1, 0, 0, 0 };

	(void)state;
	madt_start(0xfee00000);
	lapic(0, 4, 1);
	lapic(1, 5, 0);               /* disabled (not online capable): not a CPU */
	lapic(2, 6, 2);               /* online capable only: not present at boot */
	x2apic(0x100, 1, 3);
	x2apic(0x101, 0, 4);
	entry(override, sizeof(override));
	ioapic(2, 0xfec00000, 0);
	ioapic(3, 0xfec01000, 24);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt.ncpus, 2);
	assert_int_equal(madt.apic_id[0], 4);
	assert_int_equal(madt.apic_id[1], 0x100);
	assert_int_equal(madt.lapic_addr, 0x1fed00000ull);
	assert_int_equal(madt.nioapic, 2);
	assert_int_equal(madt.ioapic[1].id, 3);
	assert_int_equal(madt.ioapic[1].gsi_base, 24);
}

static void test_unknown_types_are_skipped_by_their_length(void **state)
{
	static const uint8_t gicc[20] = { 0xb, 20 };
	static const uint8_t oem[3] = { 0x80, 3, 0xff };

	(void)state;
	madt_start(0xfee00000);
	entry(gicc, sizeof(gicc));
	entry(oem, sizeof(oem));
	lapic(0, 7, 1);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(madt.apic_id[0], 7);
}

static void test_bad_header_length_and_checksum(void **state)
{
	(void)state;
	madt_qemu_2cpus();
	tab[20] ^= 1;                              /* OEM table ID: the sum no longer holds */
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT checksum bad");
	assert_int_equal(madt.found, 0);

	madt_qemu_2cpus();
	tab_len = 40;
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT length 40, shorter than its 44-byte fixed part");

	madt_qemu_2cpus();
	assert_int_equal(madt_parse(tab, 60, &madt, err, sizeof(err)), -1);
	assert_string_equal(err, "MADT length 128 beyond the 60 bytes readable");

	madt_qemu_2cpus();
	memcpy(tab, "FACP", 4);
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT: no APIC table header");
	assert_int_equal(madt_parse(tab, 10, &madt, err, sizeof(err)), -1);
	assert_string_equal(err, "MADT: no APIC table header");
}

static void test_entries_running_past_the_table(void **state)
{
	static const uint8_t zero[2] = { 0, 0 };
	static const uint8_t one[2] = { 1, 1 };
	static const uint8_t half_lapic[6] = { 0, 6, 0, 1, 1, 0 };

	(void)state;
	madt_start(0xfee00000);
	lapic(0, 0, 1);
	tab[tab_len - 7] = 12;                     /* the LAPIC claims 12 bytes of 8 */
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 44 (type 0, 12 bytes) runs past the table's 52 bytes");

	madt_start(0xfee00000);
	entry(zero, sizeof(zero));                 /* length 0: would never advance */
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 44 (type 0): length 0");

	madt_start(0xfee00000);
	entry(one, sizeof(one));
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 44 (type 1): length 1");

	madt_start(0xfee00000);
	lapic(0, 0, 1);
	tab[tab_len++] = 0;                        /* one stray byte: no room for a header */
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 52: its header runs past the table's 53 bytes");

	madt_start(0xfee00000);
	entry(half_lapic, sizeof(half_lapic));
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 44 (type 0): length 6, shorter than the 8 bytes of its structure");
}

static void test_duplicates_and_limits(void **state)
{
	(void)state;
	madt_start(0xfee00000);
	lapic(0, 3, 1);
	x2apic(3, 1, 1);
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 52: APIC ID 3 listed twice");

	madt_start(0xfee00000);
	ioapic(1, 0xfec00000, 0);
	ioapic(1, 0xfec01000, 24);
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT entry at offset 56: I/O APIC ID 1 listed twice");

	madt_start(0xfee00000);
	for (unsigned i = 0; i <= BOOT_MAX_IOAPICS; i++)
		ioapic((uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT lists more than 8 I/O APICs");

	madt_start(0xfee00000);
	for (unsigned i = 0; i <= BOOT_MAX_ISOS; i++)
		iso((uint8_t)i, i, 0);
	seal();
	assert_int_equal(parse(), -1);
	assert_string_equal(err, "MADT lists more than 24 interrupt source overrides");
}

static void test_more_cpus_than_kept_are_counted(void **state)
{
	struct boot_cpus c;

	(void)state;
	madt_start(0xfee00000);
	for (unsigned i = 0; i < BOOT_MAX_CPUS + 6; i++)
		x2apic(i, 1, i);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt.ncpus, BOOT_MAX_CPUS);
	assert_int_equal(madt.apic_id[BOOT_MAX_CPUS - 1], BOOT_MAX_CPUS - 1);
	assert_int_equal(madt.cpus_beyond, 6);
	assert_int_equal(madt_choose_cpus(NULL, &madt, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, BOOT_MAX_CPUS);
	assert_int_equal(c.beyond, 6);
}

static void test_cpu_list_puts_the_bsp_first(void **state)
{
	struct boot_cpus c;
	char line[160];

	(void)state;
	madt_start(0xfee00000);
	lapic(0, 0, 1);
	lapic(1, 2, 1);
	lapic(2, 4, 1);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt_cpus(&madt, 2, &c), 0);
	assert_int_equal(c.source, BOOT_CPUS_MADT);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.apic_id[0], 2);
	assert_int_equal(c.apic_id[1], 0);
	assert_int_equal(c.apic_id[2], 4);
	madt_describe_cpus(&c, line, sizeof(line));
	assert_string_equal(line, "3 (APIC IDs 2, 0, 4; BSP 2) from the ACPI MADT");
	assert_int_equal(madt_cpus(&madt, 9, &c), -1);     /* the boot CPU is not in the table */

	memset(&c, 0, sizeof(c));
	madt_describe_cpus(&c, line, sizeof(line));
	assert_string_equal(line, "1 (APIC ID 0; BSP 0) assumed: no MP Services, no MADT");
	c.source = BOOT_CPUS_MP_SERVICES;
	c.n = 2;
	c.apic_id[1] = 1;
	madt_describe_cpus(&c, line, sizeof(line));
	assert_string_equal(line, "2 (APIC IDs 0, 1; BSP 0) from MP Services");
	madt_describe_cpus(&c, line, 12);                   /* truncated, still terminated */
	assert_string_equal(line, "2 (APIC IDs");
}

/* MP Services win over the MADT; the MADT over nothing; the BSP must be the boot CPU. */
static void test_choice_of_the_cpu_source(void **state)
{
	struct boot_cpus mp = { .source = BOOT_CPUS_MP_SERVICES, .n = 2, .apic_id = { 0, 1 }, .disabled = 1 };
	struct boot_cpus c;

	(void)state;
	madt_start(0xfee00000);
	lapic(0, 0, 1);
	lapic(1, 1, 1);
	lapic(2, 2, 1);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt_choose_cpus(&mp, &madt, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.source, BOOT_CPUS_MP_SERVICES);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.disabled, 1);

	assert_int_equal(madt_choose_cpus(NULL, &madt, 1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.source, BOOT_CPUS_MADT);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.apic_id[0], 1);

	assert_int_equal(madt_choose_cpus(NULL, &madt, 7, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "the ACPI MADT does not list the boot CPU (APIC ID 7)");

	assert_int_equal(madt_choose_cpus(&mp, &madt, 1, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "the boot stage runs on APIC ID 1, but the BSP is APIC ID 0");

	memset(&madt, 0, sizeof(madt));              /* no MADT (OVMF under Bochs), no MP Services */
	assert_int_equal(madt_choose_cpus(NULL, &madt, 5, &c, err, sizeof(err)), 0);
	assert_int_equal(c.source, BOOT_CPUS_ASSUMED);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.apic_id[0], 5);

	madt_start(0xfee00000);                       /* a MADT with no enabled CPU: the boot CPU alone */
	lapic(0, 0, 0);
	seal();
	assert_int_equal(parse(), 0);
	assert_int_equal(madt_choose_cpus(NULL, &madt, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.source, BOOT_CPUS_ASSUMED);
}

/* ---- found through the RSDP, as the boot stage does --------------------- */

#define FAKE_BASE 0x7fe00000ull
static uint8_t mem[0x4000];

static const void *fake_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa < FAKE_BASE || pa - FAKE_BASE > sizeof(mem) || len > sizeof(mem) - (pa - FAKE_BASE))
		return NULL;
	return mem + (pa - FAKE_BASE);
}

static void sum_at(uint8_t *p, unsigned len, unsigned off)
{
	uint8_t s = 0;

	p[off] = 0;
	for (unsigned i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[off] = (uint8_t)-s;
}

/* RSDP (rev 0) at +0 -> RSDT at +0x100 listing a FACP-less table at +0x200 and the MADT at +0x1000. */
static void fake_tables(void)
{
	uint8_t *rsdp = mem, *rsdt = mem + 0x100, *other = mem + 0x200;

	memset(mem, 0, sizeof(mem));
	memcpy(rsdp, "RSD PTR ", 8);
	put(rsdp + 16, FAKE_BASE + 0x100, 4);
	sum_at(rsdp, 20, 8);
	memcpy(other, "HPET", 4);
	put(other + 4, 56, 4);
	memcpy(rsdt, "RSDT", 4);
	put(rsdt + 4, 44, 4);
	put(rsdt + 36, FAKE_BASE + 0x200, 4);
	put(rsdt + 40, FAKE_BASE + 0x1000, 4);
	sum_at(rsdt, 44, 9);
	madt_qemu_2cpus();
	memcpy(mem + 0x1000, tab, tab_len);
}

static void test_found_through_the_rsdp(void **state)
{
	struct acpi_ports p;
	uint32_t len = 0;
	const void *t;

	(void)state;
	fake_tables();
	t = acpi_find_table(FAKE_BASE, "APIC", MADT_MAX_BYTES, fake_map, NULL, &p, &len);
	assert_ptr_equal(t, mem + 0x1000);
	assert_int_equal(len, 128);   /* 44 + 2 * 8 + 12 + 5 * 10 + 6 */
	assert_int_equal(madt_parse(t, len, &madt, err, sizeof(err)), 0);
	assert_int_equal(madt.ncpus, 2);

	t = acpi_find_table(FAKE_BASE, "SRAT", 4096, fake_map, NULL, &p, &len);
	assert_null(t);
	assert_string_equal(p.err, "");                     /* absent, not broken */

	put(mem + 0x100 + 40, 0x1000, 4);                    /* an entry nothing maps */
	sum_at(mem + 0x100, 44, 9);
	t = acpi_find_table(FAKE_BASE, "APIC", MADT_MAX_BYTES, fake_map, NULL, &p, &len);
	assert_null(t);
	assert_string_equal(p.err, "table at 0x1000 is not readable");
}

/* The hv's own guest MADT (hv/acpitab.c) reads back as what it describes. */
static uint8_t guest_tables[ACPITAB_BYTES];
#define GUEST_TABLES_GPA 0x7fff000ull

static const void *guest_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa < GUEST_TABLES_GPA || pa - GUEST_TABLES_GPA > ACPITAB_BYTES ||
	    len > ACPITAB_BYTES - (pa - GUEST_TABLES_GPA))
		return NULL;
	return guest_tables + (pa - GUEST_TABLES_GPA);
}

static void test_the_guests_madt_reads_back(void **state)
{
	struct acpitab_cfg c = { .gpa = GUEST_TABLES_GPA, .ncpus = 4 };
	struct acpitab_out out;
	struct acpi_ports p;
	uint32_t len = 0;
	const void *t;

	(void)state;
	assert_int_equal(acpitab_build(guest_tables, sizeof(guest_tables), &c, &out), 0);
	t = acpi_find_table(out.rsdp_gpa, "APIC", MADT_MAX_BYTES, guest_map, NULL, &p, &len);
	assert_non_null(t);
	assert_int_equal(madt_parse(t, len, &madt, err, sizeof(err)), 0);
	assert_int_equal(madt.lapic_addr, ACPITAB_LAPIC_BASE);
	assert_int_equal(madt.flags & 1, 1);
	assert_int_equal(madt.ncpus, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(madt.apic_id[i], i);
	assert_int_equal(madt.nioapic, 1);
	assert_int_equal(madt.ioapic[0].id, ACPITAB_IOAPIC_ID);
	assert_int_equal(madt.ioapic[0].addr, ACPITAB_IOAPIC_BASE);
	assert_int_equal(madt.ioapic[0].gsi_base, 0);
	assert_true(madt.niso >= 2);
	assert_int_equal(madt.iso[0].source, 0);
	assert_int_equal(madt.iso[0].gsi, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_two_cpus),
		cmocka_unit_test(test_disabled_x2apic_and_address_override),
		cmocka_unit_test(test_unknown_types_are_skipped_by_their_length),
		cmocka_unit_test(test_bad_header_length_and_checksum),
		cmocka_unit_test(test_entries_running_past_the_table),
		cmocka_unit_test(test_duplicates_and_limits),
		cmocka_unit_test(test_more_cpus_than_kept_are_counted),
		cmocka_unit_test(test_cpu_list_puts_the_bsp_first),
		cmocka_unit_test(test_choice_of_the_cpu_source),
		cmocka_unit_test(test_found_through_the_rsdp),
		cmocka_unit_test(test_the_guests_madt_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
