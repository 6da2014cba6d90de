/*
 * The guest's ACPI tables (hv/acpitab.h has the layout and the platform
 * they describe). Layouts: ACPI specification 6.0, "Root System
 * Description Pointer (RSDP) Structure", "System Description Table
 * Header", "Root System Description Table (RSDT)", "Extended System
 * Description Table (XSDT)", "Fixed ACPI Description Table (FADT)",
 * "Firmware ACPI Control Structure (FACS)", "Multiple APIC Description
 * Table (MADT)", "Generic Address Structure (GAS)"; the DSDT's AML by
 * "ACPI Source Language (ASL) Reference" and "AML Specification".
 *
 * Every field is written byte by byte (little endian) at its offset.
 */
#include "lib.h"
#include "acpitab.h"

#define SDT_HEADER        36u
#define RSDP_V1_LEN       20u

/* FADT (revision 6, ACPI 6.0: 276 bytes) offsets. */
#define FADT_LEN          276u
#define FADT_REVISION     6u
#define FADT_FACS         36
#define FADT_DSDT         40
#define FADT_SCI_INT      46
#define FADT_PM1A_EVT     56
#define FADT_PM1A_CNT     64
#define FADT_PM1_EVT_LEN  88
#define FADT_PM1_CNT_LEN  89
#define FADT_P_LVL2_LAT   96
#define FADT_P_LVL3_LAT   98
#define FADT_CENTURY      108
#define FADT_BOOT_ARCH    109
#define FADT_FLAGS        112
#define FADT_RESET_REG    116
#define FADT_RESET_VALUE  128
#define FADT_X_FACS       132
#define FADT_X_DSDT       140
#define FADT_X_PM1A_EVT   148
#define FADT_X_PM1A_CNT   172
#define FADT_HV_VENDOR    268

/* FADT flags and IA-PC boot architecture flags. */
#define FADT_F_WBINVD         (1u << 0)
#define FADT_F_PROC_C1        (1u << 2)
#define FADT_F_PWR_BUTTON     (1u << 4)   /* no fixed power button */
#define FADT_F_SLP_BUTTON     (1u << 5)   /* no fixed sleep button */
#define FADT_F_FIX_RTC        (1u << 6)   /* no RTC wake status in fixed registers */
#define FADT_F_RESET_REG_SUP  (1u << 10)
#define BOOT_LEGACY_DEVICES   (1u << 0)
#define BOOT_VGA_NOT_PRESENT  (1u << 2)
#define BOOT_MSI_NOT_SUPPORTED (1u << 3)
#define LATENCY_NO_C2_C3      0x0fffu     /* above 100 (C2) and 1000 (C3) us: not supported */

#define GAS_LEN           12u
#define GAS_SYSTEM_IO     1u
#define GAS_ACCESS_BYTE   1u

#define FACS_LEN          64u
#define FACS_VERSION      2u

/* MADT (revision 3, ACPI 6.0). */
#define MADT_REVISION     3u
#define MADT_PCAT_COMPAT  1u
#define MADT_LAPIC        0u
#define MADT_IOAPIC       1u
#define MADT_ISO          2u
#define MADT_LAPIC_NMI    4u
#define MADT_ENABLED      1u
#define MPS_HIGH_LEVEL    0x000du         /* MPS INTI flags: active high (01), level (11) */
#define MADT_ALL_CPUS     0xffu

#define TAB_ALIGN         16u

static const char acpitab_oem_id[6] = { 'N', 'A', 'N', 'O', 'H', 'V' };
static const char acpitab_oem_table[8] = { 'H', 'V', 'G', 'U', 'E', 'S', 'T', ' ' };

/*
 * The DSDT's AML: Name (\_S5, Package (4) { S5, S5, 0, 0 }), the sleep
 * type the PM1 control block takes to power off. NameOp, the root-relative
 * NameString, PackageOp with a one-byte PkgLength (8: itself, NumElements
 * and four elements), BytePrefix constants and ZeroOps.
 */
static const uint8_t acpitab_dsdt_aml[] = {
	0x08, '\\', '_', 'S', '5', '_',
	0x12, 0x08, 0x04,
	0x0a, ACPITAB_SLP_TYP_S5, 0x0a, ACPITAB_SLP_TYP_S5, 0x00, 0x00,
};

/* The tables being written: the buffer, what the guest sees it at, what is used. */
struct tb {
	uint8_t *buf;
	size_t bytes, used;
	uint64_t gpa;
};

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Sets the checksum byte at p[off] so the len bytes sum to zero. */
static void set_sum(uint8_t *p, size_t len, size_t off)
{
	uint8_t s = 0;

	p[off] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[off] = (uint8_t)-s;
}

/* Returns room for len bytes aligned to align (a power of two) with its guest address, or NULL. */
static uint8_t *tb_alloc(struct tb *t, size_t len, size_t align, uint32_t *gpa)
{
	size_t at = (size_t)ALIGN_UP(t->used, align);

	if (at > t->bytes || len > t->bytes - at)
		return NULL;
	t->used = at + len;
	*gpa = (uint32_t)(t->gpa + at);
	return t->buf + at;
}

/* Writes the header every description table starts with (its checksum comes last). */
static void sdt_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(p, sig, 4);
	put(p + 4, len, 4);
	p[8] = rev;
	memcpy(p + 10, acpitab_oem_id, 6);
	memcpy(p + 16, acpitab_oem_table, 8);
	put(p + 24, 1, 4);                          /* OEM revision */
	memcpy(p + 28, "NKHV", 4);                  /* creator ID */
	put(p + 32, 1, 4);                          /* creator revision */
}

/* Writes a GAS for a register in system I/O space. */
static void gas_io(uint8_t *p, unsigned bits, unsigned access, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = (uint8_t)bits;
	p[2] = 0;                                   /* bit offset */
	p[3] = (uint8_t)access;
	put(p + 4, port, 8);
}

/* The DSDT. Returns its address, or 0 if it does not fit. */
static uint32_t tb_dsdt(struct tb *t)
{
	uint32_t len = SDT_HEADER + sizeof(acpitab_dsdt_aml), gpa;
	uint8_t *p = tb_alloc(t, len, TAB_ALIGN, &gpa);

	if (!p)
		return 0;
	sdt_header(p, "DSDT", len, 2);              /* revision 2: 64-bit integers */
	memcpy(p + SDT_HEADER, acpitab_dsdt_aml, sizeof(acpitab_dsdt_aml));
	set_sum(p, len, 9);
	return gpa;
}

/* The FACS (no checksum; 64-byte aligned). Returns its address, or 0. */
static uint32_t tb_facs(struct tb *t)
{
	uint32_t gpa;
	uint8_t *p = tb_alloc(t, FACS_LEN, 64, &gpa);

	if (!p)
		return 0;
	memcpy(p, "FACS", 4);
	put(p + 4, FACS_LEN, 4);
	p[32] = FACS_VERSION;                       /* hardware signature, waking vectors, lock: 0 */
	return gpa;
}

/* The FADT pointing at facs and dsdt. Returns its address, or 0. */
static uint32_t tb_fadt(struct tb *t, const struct acpitab_cfg *c, uint32_t facs, uint32_t dsdt)
{
	uint32_t gpa;
	uint8_t *p = tb_alloc(t, FADT_LEN, TAB_ALIGN, &gpa);

	if (!p)
		return 0;
	sdt_header(p, "FACP", FADT_LEN, FADT_REVISION);
	put(p + FADT_FACS, facs, 4);
	put(p + FADT_DSDT, dsdt, 4);
	put(p + FADT_SCI_INT, ACPITAB_SCI_IRQ, 2);
	/* SMI_CMD 0: no transition to make, the platform is always in ACPI mode. */
	put(p + FADT_PM1A_EVT, ACPITAB_PM1A_EVT, 4);
	put(p + FADT_PM1A_CNT, ACPITAB_PM1A_CNT, 4);
	p[FADT_PM1_EVT_LEN] = ACPITAB_PM1_EVT_LEN;
	p[FADT_PM1_CNT_LEN] = ACPITAB_PM1_CNT_LEN;
	/* PM1b, PM2, the PM timer and the GPE blocks: none (zero address and length). */
	put(p + FADT_P_LVL2_LAT, LATENCY_NO_C2_C3, 2);
	put(p + FADT_P_LVL3_LAT, LATENCY_NO_C2_C3, 2);
	p[FADT_CENTURY] = ACPITAB_CENTURY;
	put(p + FADT_BOOT_ARCH, BOOT_LEGACY_DEVICES | BOOT_MSI_NOT_SUPPORTED |
	    (c->vga ? 0 : BOOT_VGA_NOT_PRESENT), 2);   /* 8042 bit clear: none */
	put(p + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
	    FADT_F_SLP_BUTTON | FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP, 4);
	gas_io(p + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, ACPITAB_RESET_PORT);
	p[FADT_RESET_VALUE] = ACPITAB_RESET_VALUE;
	put(p + FADT_X_FACS, facs, 8);
	put(p + FADT_X_DSDT, dsdt, 8);
	/* Access size 0 ("undefined", as firmware and QEMU give it): the register widths rule. */
	gas_io(p + FADT_X_PM1A_EVT, 8 * ACPITAB_PM1_EVT_LEN, 0, ACPITAB_PM1A_EVT);
	gas_io(p + FADT_X_PM1A_CNT, 8 * ACPITAB_PM1_CNT_LEN, 0, ACPITAB_PM1A_CNT);
	memcpy(p + FADT_HV_VENDOR, "NANOHV\0\0", 8);
	set_sum(p, FADT_LEN, 9);
	return gpa;
}

/* Appends one MADT entry of len bytes (type, length, then body). */
static uint8_t *madt_entry(uint8_t **at, uint8_t type, uint8_t len)
{
	uint8_t *e = *at;

	e[0] = type;
	e[1] = len;
	*at += len;
	return e;
}

/* An interrupt source override of ISA IRQ irq onto gsi with MPS INTI flags. */
static void madt_iso(uint8_t **at, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t *e = madt_entry(at, MADT_ISO, 10);

	e[2] = 0;                                   /* bus: ISA */
	e[3] = irq;
	put(e + 4, gsi, 4);
	put(e + 8, flags, 2);
}

/* The MADT. Returns its address, or 0. */
static uint32_t tb_madt(struct tb *t, const struct acpitab_cfg *c)
{
	uint32_t len = SDT_HEADER + 8 + 8 * c->ncpus + 12 + 2 * 10 + 6, gpa;
	uint8_t *p = tb_alloc(t, len, TAB_ALIGN, &gpa), *at, *e;

	if (!p)
		return 0;
	sdt_header(p, "APIC", len, MADT_REVISION);
	put(p + 36, ACPITAB_LAPIC_BASE, 4);
	put(p + 40, MADT_PCAT_COMPAT, 4);
	at = p + 44;
	for (unsigned i = 0; i < c->ncpus; i++) {
		e = madt_entry(&at, MADT_LAPIC, 8);
		e[2] = (uint8_t)i;                  /* ACPI processor UID */
		e[3] = (uint8_t)i;                  /* APIC ID */
		put(e + 4, MADT_ENABLED, 4);
	}
	e = madt_entry(&at, MADT_IOAPIC, 12);
	e[2] = ACPITAB_IOAPIC_ID;
	put(e + 4, ACPITAB_IOAPIC_BASE, 4);
	put(e + 8, 0, 4);                           /* GSI base */
	madt_iso(&at, 0, 2, 0);                     /* the PIT: conforms to ISA (edge, high) */
	madt_iso(&at, ACPITAB_SCI_IRQ, ACPITAB_SCI_IRQ, MPS_HIGH_LEVEL);
	e = madt_entry(&at, MADT_LAPIC_NMI, 6);
	e[2] = MADT_ALL_CPUS;
	put(e + 3, 0, 2);                           /* flags: conform to the bus */
	e[5] = 1;                                   /* LINT1 */
	set_sum(p, len, 9);
	return gpa;
}

/* The RSDT (32-bit entries) or XSDT (64-bit) listing n tables. Returns its address, or 0. */
static uint32_t tb_root(struct tb *t, bool x, const uint32_t *tables, unsigned n)
{
	unsigned entry = x ? 8 : 4;
	uint32_t len = SDT_HEADER + entry * n, gpa;
	uint8_t *p = tb_alloc(t, len, TAB_ALIGN, &gpa);

	if (!p)
		return 0;
	sdt_header(p, x ? "XSDT" : "RSDT", len, 1);
	for (unsigned i = 0; i < n; i++)
		put(p + SDT_HEADER + entry * i, tables[i], entry);
	set_sum(p, len, 9);
	return gpa;
}

/* The RSDP (revision 2) at rsdp, naming rsdt and xsdt. */
static void tb_rsdp(uint8_t *p, uint32_t rsdt, uint32_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, acpitab_oem_id, 6);
	p[15] = 2;
	put(p + 16, rsdt, 4);
	put(p + 20, ACPITAB_RSDP_BYTES, 4);
	put(p + 24, xsdt, 8);
	set_sum(p, RSDP_V1_LEN, 8);
	set_sum(p, ACPITAB_RSDP_BYTES, 32);
}

int acpitab_build(void *buf, size_t bytes, const struct acpitab_cfg *c, struct acpitab_out *out)
{
	struct tb t = { buf, bytes, 0, c->gpa };
	uint32_t rsdp, facs, dsdt, tables[2], rsdt, xsdt;
	uint8_t *r;

	if (c->ncpus < 1 || c->ncpus > ACPITAB_MAX_CPUS || c->gpa % TAB_ALIGN ||
	    c->gpa >= (1ull << 32) || bytes > (1ull << 32) - c->gpa)
		return -1;
	memset(buf, 0, bytes);
	r = tb_alloc(&t, ACPITAB_RSDP_BYTES, TAB_ALIGN, &rsdp);
	if (!r || !(dsdt = tb_dsdt(&t)) || !(facs = tb_facs(&t)) ||
	    !(tables[0] = tb_fadt(&t, c, facs, dsdt)) || !(tables[1] = tb_madt(&t, c)) ||
	    !(rsdt = tb_root(&t, false, tables, 2)) || !(xsdt = tb_root(&t, true, tables, 2)))
		return -1;
	tb_rsdp(r, rsdt, xsdt);
	out->rsdp_gpa = rsdp;
	out->bytes = (uint32_t)t.used;
	memcpy(out->rsdp, r, ACPITAB_RSDP_BYTES);
	return 0;
}

int acpitab_install(void *ram, uint64_t ram_bytes, const struct acpitab_cfg *c,
		    struct acpitab_out *out)
{
	uint8_t *low = ram;
	struct acpitab_cfg at = *c;

	if (ram_bytes < (1u << 20) + ACPITAB_BYTES || ram_bytes > (1ull << 32))
		return -1;
	at.gpa = acpitab_gpa(ram_bytes);
	if (acpitab_build(low + at.gpa, ACPITAB_BYTES, &at, out) < 0)
		return -1;
	memcpy(low + ACPITAB_EBDA_GPA, out->rsdp, ACPITAB_RSDP_BYTES);
	put(low + ACPITAB_BDA_EBDA, ACPITAB_EBDA_GPA >> 4, 2);
	return 0;
}
