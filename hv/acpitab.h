/*
 * The ACPI tables of a guest's platform, built by the hv (ACPI 6.0): what
 * a kernel written for a PC reads to find its CPUs, its interrupt
 * controllers and how to power itself off. Pure: it writes only the
 * buffers it is given, so the hv (at every boot of a guest) and the host
 * unit tests share it. The host's own tables are another matter
 * (hv/acpi.c reads those, and reads these back in the unit tests).
 *
 * Where they live in a guest with acpi = on:
 *
 *   0x00000400 BDA word 0x40e = 0x9fc0: the EBDA's segment
 *   0x0009fc00 EBDA: a copy of the RSDP (the first KiB of the EBDA is
 *              the first place the BIOS-area scan looks)
 *   top - 4 KiB +-------------------------------+  acpitab_gpa(ram_bytes):
 *              | RSDP (rev 2)   -> RSDT, XSDT  |  memory map type 3 (ACPI),
 *              | RSDT, XSDT     -> FADT, MADT  |  Multiboot mmap and Linux
 *              | FACS (64-byte aligned)        |  e820 alike; the RSDP here
 *              | FADT           -> FACS, DSDT  |  is the one the Linux zero
 *              | MADT: LAPIC(s), IOAPIC, ISOs, |  page's acpi_rsdp_addr names
 *              |       LAPIC NMI               |
 *              | DSDT: \_S5 only               |
 *   ram_bytes  +-------------------------------+
 *
 * The platform they describe: one local APIC per CPU at 0xfee00000 (APIC
 * ID = ACPI processor UID = CPU index), an I/O APIC (ID 0, as QEMU gives
 * it) at 0xfec00000 with GSIs from 0, the PC's 8259 pair (PCAT_COMPAT),
 * ISA IRQ 0 on GSI 2 and the SCI on IRQ 9 (level, active high), LINT1 of
 * every CPU as NMI. A classic (not hardware-reduced) FADT: the hv emulates
 * a PM1a event and control block (hv/acpipm.c; a write of SLP_TYP = S5
 * with SLP_EN powers the guest off), reset through 0xcf9 (value 6), the
 * RTC's century byte at CMOS 0x32, no PM timer, no GPEs, no SMI command
 * port (the platform is always in ACPI mode), no 8042, no MSI.
 */
#ifndef HV_ACPITAB_H
#define HV_ACPITAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPITAB_BYTES          0x1000u      /* the tables' range at the top of guest RAM */
#define ACPITAB_RSDP_BYTES     36u          /* an ACPI 2.0+ RSDP */
#define ACPITAB_MAX_CPUS       8u

#define ACPITAB_LAPIC_BASE     0xfee00000u
#define ACPITAB_IOAPIC_BASE    0xfec00000u
#define ACPITAB_IOAPIC_ID      0u
#define ACPITAB_SCI_IRQ        9u
#define ACPITAB_PM1A_EVT       0x600u       /* PM1_STS (2 bytes), PM1_EN (2 bytes) */
#define ACPITAB_PM1A_CNT       0x604u       /* PM1_CNT (2 bytes) */
#define ACPITAB_PM1_EVT_LEN    4u
#define ACPITAB_PM1_CNT_LEN    2u
#define ACPITAB_RESET_PORT     0xcf9u
#define ACPITAB_RESET_VALUE    0x06u        /* PIIX reset control: SYS_RST | RST_CPU */
#define ACPITAB_CENTURY        0x32u        /* CMOS index of the RTC's century */
#define ACPITAB_SLP_TYP_S5     5u           /* \_S5's SLP_TYPa: PM1_CNT bits 12:10 */

#define ACPITAB_BDA_EBDA       0x40eu       /* BIOS data area: the EBDA's segment */
#define ACPITAB_EBDA_GPA       0x9fc00u     /* the EBDA: the RSDP copy the scan finds */
#define ACPITAB_ROM_RSDP_GPA   0xf0000u     /* where a ROM page of the BIOS area would hold it */

/* What the tables describe. */
struct acpitab_cfg {
	uint64_t gpa;              /* guest-physical address of the buffer: 16-byte aligned, below 4 GiB */
	unsigned ncpus;            /* 1..ACPITAB_MAX_CPUS */
	bool vga;                  /* the guest has a VGA text buffer (IAPC_BOOT_ARCH) */
};

struct acpitab_out {
	uint64_t rsdp_gpa;         /* the RSDP in the range (Linux's acpi_rsdp_addr) */
	uint32_t bytes;            /* bytes of the buffer used */
	uint8_t rsdp[ACPITAB_RSDP_BYTES];   /* the RSDP's bytes: copies for the BIOS areas */
};

/* Returns where the tables go in a guest of ram_bytes: the top ACPITAB_BYTES. */
static inline uint64_t acpitab_gpa(uint64_t ram_bytes)
{
	return ram_bytes - ACPITAB_BYTES;
}

/*
 * Builds the RSDP and the tables into buf (bytes long, cleared first),
 * which the guest sees at c->gpa. Returns 0 and fills *out; -1 if c is
 * out of range (CPUs, an address that is not below 4 GiB or not 16-byte
 * aligned) or buf is too small.
 */
int acpitab_build(void *buf, size_t bytes, const struct acpitab_cfg *c, struct acpitab_out *out);

/*
 * Installs the tables into a guest's RAM (ram: guest-physical 0,
 * ram_bytes long, at least 1 MiB): builds them at acpitab_gpa(ram_bytes),
 * copies the RSDP into the EBDA and points the BDA at it. c->gpa is
 * ignored. Returns 0 and fills *out, or -1 as acpitab_build.
 */
int acpitab_install(void *ram, uint64_t ram_bytes, const struct acpitab_cfg *c,
		    struct acpitab_out *out);

#endif
