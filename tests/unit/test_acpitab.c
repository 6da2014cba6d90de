/*
 * Unit tests for hv/acpitab.c, the guest's ACPI tables: every table found
 * by following the pointers from the RSDP as a kernel would, each with its
 * signature, length, revision and checksum; every field of the MADT's
 * entries and of the FADT; the RSDP found by a scan of the buffer and of
 * the EBDA; and hv/acpi.c (the boot stage's parser of the host's tables)
 * reading the guest's FADT back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "acpitab.h"

#define GPA       0x07fff000ull        /* the range of a 128 MiB guest */
#define RAM_BYTES (4ull << 20)

static uint8_t buf[ACPITAB_BYTES];
static struct acpitab_out out;

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The buffer's bytes at guest-physical gpa (len of them must lie inside). */
static const uint8_t *at(uint64_t gpa, size_t len)
{
	assert_true(gpa >= GPA && gpa + len <= GPA + out.bytes);
	return buf + (gpa - GPA);
}

static void build(unsigned ncpus, bool vga)
{
	const struct acpitab_cfg c = { .gpa = GPA, .ncpus = ncpus, .vga = vga };

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), 0);
	assert_true(out.bytes > 0 && out.bytes <= ACPITAB_BYTES);
}

/* A description table at gpa with signature sig: checks its header and checksum, returns it. */
static const uint8_t *table(uint64_t gpa, const char *sig, uint32_t len, uint8_t rev)
{
	const uint8_t *t = at(gpa, 36);

	assert_memory_equal(t, sig, 4);
	if (len)
		assert_int_equal(get(t + 4, 4), len);
	len = (uint32_t)get(t + 4, 4);
	t = at(gpa, len);
	assert_int_equal(t[8], rev);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "NANOHV", 6);
	assert_true(gpa % 16 == 0);
	return t;
}

static const uint8_t *rsdp(void)
{
	const uint8_t *r = at(out.rsdp_gpa, 36);

	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	assert_int_equal(r[15], 2);
	assert_int_equal(get(r + 20, 4), 36);
	return r;
}

/* The table with signature sig listed in the root table root (entries of entry bytes). */
static uint64_t listed(const uint8_t *root, unsigned entry, const char *sig)
{
	uint32_t len = (uint32_t)get(root + 4, 4);
	uint64_t found = 0;

	for (uint32_t off = 36; off + entry <= len; off += entry) {
		uint64_t pa = get(root + off, entry);
		if (!memcmp(at(pa, 4), sig, 4)) {
			assert_int_equal(found, 0);          /* listed once */
			found = pa;
		}
	}
	assert_true(found != 0);
	return found;
}

static const uint8_t *xsdt(void)
{
	return table(get(rsdp() + 24, 8), "XSDT", 36 + 2 * 8, 1);
}

static const uint8_t *madt(void)
{
	return table(listed(xsdt(), 8, "APIC"), "APIC", 0, 3);
}

static const uint8_t *fadt(void)
{
	return table(listed(xsdt(), 8, "FACP"), "FACP", 276, 6);
}

static void test_rsdp_is_revision_2_with_both_checksums_at_the_start_of_the_range(void **state)
{
	(void)state;
	build(1, false);
	assert_int_equal(out.rsdp_gpa, GPA);
	rsdp();
	assert_memory_equal(out.rsdp, buf, 36);
	assert_memory_equal(rsdp() + 9, "NANOHV", 6);
}

static void test_rsdt_and_xsdt_list_the_fadt_and_the_madt(void **state)
{
	const uint8_t *r, *rt, *xt;

	(void)state;
	build(1, false);
	r = rsdp();
	rt = table(get(r + 16, 4), "RSDT", 36 + 2 * 4, 1);
	xt = xsdt();
	assert_int_equal(listed(rt, 4, "FACP"), listed(xt, 8, "FACP"));
	assert_int_equal(listed(rt, 4, "APIC"), listed(xt, 8, "APIC"));
}

static void test_madt_header_and_every_entry_field(void **state)
{
	const uint8_t *m, *e;

	(void)state;
	build(1, false);
	m = madt();
	assert_int_equal(get(m + 4, 4), 44 + 8 + 12 + 10 + 10 + 6);
	assert_int_equal(get(m + 36, 4), 0xfee00000u);          /* local APIC address */
	assert_int_equal(get(m + 40, 4), 1);                    /* PCAT_COMPAT */
	e = m + 44;
	/* Processor Local APIC: UID 0, APIC ID 0, enabled. */
	assert_int_equal(e[0], 0);
	assert_int_equal(e[1], 8);
	assert_int_equal(e[2], 0);
	assert_int_equal(e[3], 0);
	assert_int_equal(get(e + 4, 4), 1);
	e += 8;
	/* I/O APIC: ID 0, reserved 0, 0xfec00000, GSI base 0. */
	assert_int_equal(e[0], 1);
	assert_int_equal(e[1], 12);
	assert_int_equal(e[2], ACPITAB_IOAPIC_ID);
	assert_int_equal(e[3], 0);
	assert_int_equal(get(e + 4, 4), 0xfec00000u);
	assert_int_equal(get(e + 8, 4), 0);
	e += 12;
	/* ISA IRQ 0 -> GSI 2, conforming to the bus. */
	assert_int_equal(e[0], 2);
	assert_int_equal(e[1], 10);
	assert_int_equal(e[2], 0);
	assert_int_equal(e[3], 0);
	assert_int_equal(get(e + 4, 4), 2);
	assert_int_equal(get(e + 8, 2), 0);
	e += 10;
	/* The SCI: ISA IRQ 9 -> GSI 9, level, active high. */
	assert_int_equal(e[0], 2);
	assert_int_equal(e[1], 10);
	assert_int_equal(e[2], 0);
	assert_int_equal(e[3], 9);
	assert_int_equal(get(e + 4, 4), 9);
	assert_int_equal(get(e + 8, 2), 0x000d);
	e += 10;
	/* Local APIC NMI: every processor, flags 0, LINT1. */
	assert_int_equal(e[0], 4);
	assert_int_equal(e[1], 6);
	assert_int_equal(e[2], 0xff);
	assert_int_equal(get(e + 3, 2), 0);
	assert_int_equal(e[5], 1);
	assert_ptr_equal(e + 6, m + get(m + 4, 4));
}

static void test_madt_has_one_enabled_local_apic_per_cpu(void **state)
{
	const uint8_t *m, *e;

	(void)state;
	build(ACPITAB_MAX_CPUS, false);
	m = madt();
	assert_int_equal(get(m + 4, 4), 44 + 8 * ACPITAB_MAX_CPUS + 12 + 10 + 10 + 6);
	e = m + 44;
	for (unsigned i = 0; i < ACPITAB_MAX_CPUS; i++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[2], i);
		assert_int_equal(e[3], i);
		assert_int_equal(get(e + 4, 4), 1);
	}
	assert_int_equal(e[0], 1);                              /* then the I/O APIC */
}

static void test_fadt_fields(void **state)
{
	const uint8_t *f;

	(void)state;
	build(1, false);
	f = fadt();
	assert_int_equal(get(f + 46, 2), 9);                    /* SCI_INT */
	assert_int_equal(get(f + 48, 4), 0);                    /* SMI_CMD: always in ACPI mode */
	assert_int_equal(get(f + 56, 4), 0x600);                /* PM1a_EVT_BLK */
	assert_int_equal(get(f + 60, 4), 0);                    /* PM1b_EVT_BLK */
	assert_int_equal(get(f + 64, 4), 0x604);                /* PM1a_CNT_BLK */
	for (unsigned off = 68; off < 88; off += 4)             /* PM1b_CNT, PM2, PM_TMR, GPE0/1 */
		assert_int_equal(get(f + off, 4), 0);
	assert_int_equal(f[88], 4);                             /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);                             /* PM1_CNT_LEN */
	assert_int_equal(get(f + 90, 4), 0);                    /* PM2, PM_TMR, GPE0, GPE1 lengths */
	assert_int_equal(get(f + 96, 2), 0x0fff);               /* no C2 */
	assert_int_equal(get(f + 98, 2), 0x0fff);               /* no C3 */
	assert_int_equal(f[108], 0x32);                         /* CENTURY */
	assert_int_equal(get(f + 109, 2), 0x000d);              /* legacy devices, no VGA, no MSI, no 8042 */
	assert_int_equal(get(f + 112, 4), 0x0475);              /* WBINVD PROC_C1 PWR/SLP_BUTTON FIX_RTC RESET_REG_SUP */
	assert_false(get(f + 112, 4) & (1u << 20));             /* not hardware-reduced */
	/* RESET_REG: system I/O, 8 bits, byte access, 0xcf9; value 6. */
	assert_int_equal(f[116], 1);
	assert_int_equal(f[117], 8);
	assert_int_equal(f[118], 0);
	assert_int_equal(f[119], 1);
	assert_int_equal(get(f + 120, 8), 0xcf9);
	assert_int_equal(f[128], 6);
	assert_int_equal(f[131], 0);                            /* FADT minor version: ACPI 6.0 */
	/* X_PM1a_EVT_BLK and X_PM1a_CNT_BLK agree with the 32-bit fields. */
	assert_int_equal(f[148], 1);
	assert_int_equal(f[149], 32);
	assert_int_equal(get(f + 152, 8), 0x600);
	assert_int_equal(f[172], 1);
	assert_int_equal(f[173], 16);
	assert_int_equal(get(f + 176, 8), 0x604);
	for (unsigned off = 160; off < 172; off++)              /* X_PM1b_EVT_BLK */
		assert_int_equal(f[off], 0);
	for (unsigned off = 184; off < 268; off++)              /* X_PM1b_CNT .. SLEEP_STATUS */
		assert_int_equal(f[off], 0);
	assert_memory_equal(f + 268, "NANOHV\0\0", 8);
}

static void test_fadt_shows_vga_when_the_guest_has_it(void **state)
{
	(void)state;
	build(1, true);
	assert_int_equal(get(fadt() + 109, 2), 0x0009);
}

static void test_facs_and_dsdt_by_both_pointers(void **state)
{
	const uint8_t *f, *facs, *d;
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, ACPITAB_SLP_TYP_S5, 0x0a, ACPITAB_SLP_TYP_S5, 0, 0 };

	(void)state;
	build(1, false);
	f = fadt();
	assert_int_equal(get(f + 36, 4), get(f + 132, 8));      /* FIRMWARE_CTRL = X_FIRMWARE_CTRL */
	assert_int_equal(get(f + 40, 4), get(f + 140, 8));      /* DSDT = X_DSDT */
	assert_int_equal(get(f + 36, 4) % 64, 0);
	facs = at(get(f + 36, 4), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get(facs + 4, 4), 64);
	assert_int_equal(facs[32], 2);                          /* version */
	assert_int_equal(get(facs + 8, 4), 0);                  /* hardware signature */
	assert_int_equal(get(facs + 12, 4), 0);                 /* waking vector */
	d = table(get(f + 40, 4), "DSDT", 36 + sizeof(s5), 2);
	assert_memory_equal(d + 36, s5, sizeof(s5));
}

static void test_tables_do_not_overlap(void **state)
{
	const uint8_t *r, *f;
	uint64_t start[7], len[7];
	unsigned n = 0;

	(void)state;
	build(ACPITAB_MAX_CPUS, false);
	r = rsdp();
	f = fadt();
	start[n] = out.rsdp_gpa, len[n++] = 36;
	start[n] = get(r + 16, 4), len[n++] = 44;
	start[n] = get(r + 24, 8), len[n++] = 52;
	start[n] = listed(xsdt(), 8, "FACP"), len[n++] = 276;
	start[n] = listed(xsdt(), 8, "APIC"), len[n++] = get(madt() + 4, 4);
	start[n] = get(f + 36, 4), len[n++] = 64;
	start[n] = get(f + 40, 4), len[n++] = get(at(get(f + 40, 4), 8) + 4, 4);
	for (unsigned i = 0; i < n; i++) {
		assert_true(start[i] + len[i] <= GPA + out.bytes);
		for (unsigned j = 0; j < i; j++)
			assert_true(start[i] + len[i] <= start[j] || start[j] + len[j] <= start[i]);
	}
}

/* Returns the address of the first valid RSDP in [p, p + len) at 16-byte steps (base its address), or 0. */
static uint64_t scan(const uint8_t *p, size_t len, uint64_t base)
{
	for (size_t off = 0; off + 20 <= len; off += 16)
		if (!memcmp(p + off, "RSD PTR ", 8) && sum(p + off, 20) == 0)
			return base + off;
	return 0;
}

static void test_rsdp_found_by_a_scan_of_the_range(void **state)
{
	(void)state;
	build(1, false);
	assert_int_equal(scan(buf, out.bytes, GPA), out.rsdp_gpa);
}

static void test_install_puts_the_tables_at_the_top_and_the_rsdp_in_the_ebda(void **state)
{
	const struct acpitab_cfg c = { .gpa = 0x1234, .ncpus = 1 };     /* gpa: ignored */
	uint8_t *ram = calloc(1, RAM_BYTES);
	uint64_t top = RAM_BYTES - ACPITAB_BYTES, ebda;

	(void)state;
	assert_non_null(ram);
	assert_int_equal(acpitab_gpa(RAM_BYTES), top);
	assert_int_equal(acpitab_install(ram, RAM_BYTES, &c, &out), 0);
	assert_int_equal(out.rsdp_gpa, top);
	assert_memory_equal(ram + top, out.rsdp, 36);
	/* The BIOS-area scan: the first KiB of the EBDA, whose segment the BDA holds. */
	ebda = get(ram + 0x40e, 2) << 4;
	assert_int_equal(ebda, 0x9fc00);
	assert_int_equal(scan(ram + ebda, 1024, ebda), 0x9fc00);
	assert_memory_equal(ram + 0x9fc00, out.rsdp, 36);
	/* Its pointers lead into the range at the top. */
	assert_int_equal(get(ram + ebda + 24, 8) & ~0xfffull, top);
	/* Nothing else in low memory or below the range was written. */
	for (uint64_t a = 0; a < top; a++)
		if (a != 0x40e && a != 0x40f && (a < 0x9fc00 || a >= 0x9fc00 + 36) && ram[a])
			fail_msg("byte 0x%llx written", (unsigned long long)a);
	free(ram);
}

static void test_install_refuses_ram_too_small(void **state)
{
	const struct acpitab_cfg c = { .ncpus = 1 };
	uint8_t *ram = calloc(1, 1u << 20);

	(void)state;
	assert_int_equal(acpitab_install(ram, 1u << 20, &c, &out), -1);
	free(ram);
}

static void test_bad_configs_are_refused(void **state)
{
	struct acpitab_cfg c = { .gpa = GPA, .ncpus = 0 };

	(void)state;
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), -1);
	c.ncpus = ACPITAB_MAX_CPUS + 1;
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), -1);
	c.ncpus = 1;
	c.gpa = GPA + 8;                                        /* not 16-byte aligned */
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), -1);
	c.gpa = 1ull << 32;                                     /* the RSDT holds 32-bit addresses */
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), -1);
	c.gpa = (1ull << 32) - 0x800;                           /* the range would cross 4 GiB */
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), -1);
}

static void test_every_buffer_too_small_is_refused_without_overrun(void **state)
{
	const struct acpitab_cfg c = { .gpa = GPA, .ncpus = ACPITAB_MAX_CPUS };
	uint32_t need;

	(void)state;
	assert_int_equal(acpitab_build(buf, sizeof(buf), &c, &out), 0);
	need = out.bytes;
	for (uint32_t n = 0; n < need; n++) {
		uint8_t *b = malloc(n ? n : 1);         /* exact size: ASan catches an overrun */
		assert_int_equal(acpitab_build(b, n, &c, &out), -1);
		free(b);
	}
	uint8_t *b = malloc(need);
	assert_int_equal(acpitab_build(b, need, &c, &out), 0);
	free(b);
}

/* ---- hv/acpi.c, the host's parser, reads the guest's tables back ---- */

static const void *map_buf(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa < GPA || pa - GPA > sizeof(buf) || len > sizeof(buf) - (pa - GPA))
		return NULL;
	return buf + (pa - GPA);
}

static void test_host_parser_reads_the_guest_fadt(void **state)
{
	struct acpi_ports p;

	(void)state;
	build(1, false);
	acpi_ports_init(&p);
	assert_int_equal(acpi_rsdp_ports(out.rsdp_gpa, map_buf, NULL, &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.r[0].first, 0x600);
	assert_int_equal(p.r[0].last, 0x603);
	assert_string_equal(p.r[0].what, "ACPI PM1a event (FADT)");
	assert_int_equal(p.r[1].first, 0x604);
	assert_int_equal(p.r[1].last, 0x605);
	assert_string_equal(p.r[1].what, "ACPI PM1a control (FADT)");
	assert_int_equal(p.r[2].first, 0xcf9);
	assert_int_equal(p.r[2].last, 0xcf9);
	assert_string_equal(p.r[2].what, "ACPI reset register (FADT)");
}

static void test_host_parser_sees_a_broken_checksum(void **state)
{
	struct acpi_ports p;
	uint64_t f;

	(void)state;
	build(1, false);
	f = listed(xsdt(), 8, "FACP");
	buf[f - GPA + 46] ^= 1;                                 /* SCI_INT, checksum not fixed */
	acpi_ports_init(&p);
	assert_int_equal(acpi_rsdp_ports(out.rsdp_gpa, map_buf, NULL, &p), -1);
	assert_non_null(strstr(p.err, "FADT checksum bad"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_is_revision_2_with_both_checksums_at_the_start_of_the_range),
		cmocka_unit_test(test_rsdt_and_xsdt_list_the_fadt_and_the_madt),
		cmocka_unit_test(test_madt_header_and_every_entry_field),
		cmocka_unit_test(test_madt_has_one_enabled_local_apic_per_cpu),
		cmocka_unit_test(test_fadt_fields),
		cmocka_unit_test(test_fadt_shows_vga_when_the_guest_has_it),
		cmocka_unit_test(test_facs_and_dsdt_by_both_pointers),
		cmocka_unit_test(test_tables_do_not_overlap),
		cmocka_unit_test(test_rsdp_found_by_a_scan_of_the_range),
		cmocka_unit_test(test_install_puts_the_tables_at_the_top_and_the_rsdp_in_the_ebda),
		cmocka_unit_test(test_install_refuses_ram_too_small),
		cmocka_unit_test(test_bad_configs_are_refused),
		cmocka_unit_test(test_every_buffer_too_small_is_refused_without_overrun),
		cmocka_unit_test(test_host_parser_reads_the_guest_fadt),
		cmocka_unit_test(test_host_parser_sees_a_broken_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
