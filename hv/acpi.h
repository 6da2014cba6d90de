/*
 * The I/O ports of this machine's power-management hardware, which act on
 * the whole machine (sleep and power off, reset, SMIs, GPEs that raise the
 * SCI): read from the ACPI FADT and from the PCI configuration of the
 * chipset's power-management functions. The boot stage refuses an hv.cfg
 * that gives any of them to a guest (cfg_check_machine_ports).
 *
 * Pure and freestanding: tables are reached through a map callback
 * (identity in the boot stage, where memory is identity-mapped; a fake
 * physical memory in the host tests), PCI configuration through a read
 * callback. Linked into the EFI image and tools/hvcfg.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include "hvcfg.h"

#define ACPI_MAX_RANGES   32
#define ACPI_ERR_MAX      96
#define ACPI_FADT_MAX     4096      /* longest FADT read (ACPI 6.5: 276 bytes) */
#define ACPI_SDT_MAX      65536     /* longest RSDT/XSDT read */

/* The ranges found so far, and why the last call failed. */
struct acpi_ports {
	int n;
	struct cfg_machine_range r[ACPI_MAX_RANGES];
	char err[ACPI_ERR_MAX];
};

/* Returns len readable bytes at physical address pa, or NULL if there are none. */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t pa, uint64_t len);

/* Returns the dword at offset reg of PCI function 00:dev.fn (all ones if absent). */
typedef uint32_t (*acpi_pci_read_fn)(void *ctx, unsigned dev, unsigned fn, unsigned reg);

/* Empties p. */
void acpi_ports_init(struct acpi_ports *p);

/*
 * Adds the I/O ranges of one FADT (avail bytes readable at fadt): SMI_CMD,
 * the PM1a/PM1b event and control blocks, PM2 control, the PM timer, GPE0
 * and GPE1, from the 32-bit fields and from the X_ fields and RESET_REG,
 * SLEEP_CONTROL_REG and SLEEP_STATUS_REG when they are in system I/O space
 * and the table is long enough to hold them. Returns 0, or -1 with p->err
 * (bad signature or checksum, length short or beyond avail, a block
 * outside the 64 KiB I/O space, too many ranges).
 */
int acpi_fadt_ports(const void *fadt, uint64_t avail, struct acpi_ports *p);

/*
 * Walks the tables from the RSDP at rsdp_pa (the XSDT when revision >= 2
 * lists one, else the RSDT) and adds the ranges of every FADT listed.
 * A machine without a FADT adds nothing. Returns 0, or -1 with p->err
 * when a table on the way is unreadable or malformed.
 */
int acpi_rsdp_ports(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_ports *p);

/*
 * Finds the table with signature sig (4 characters, e.g. "APIC" for the
 * MADT) that the RSDT or XSDT of the RSDP at rsdp_pa lists. Returns the
 * whole table (*len bytes, at most max), or NULL: p->err empty when no
 * table has that signature, else naming what on the way is unreadable or
 * malformed. The table's own checksum is the caller's to check.
 */
const void *acpi_find_table(uint64_t rsdp_pa, const char *sig, uint32_t max, acpi_map_fn map,
			    void *ctx, struct acpi_ports *p, uint32_t *len);

/*
 * Adds the enabled I/O ranges of the power-management functions found on
 * PCI bus 0: PIIX4 PM (8086:7113: PMBA, SMBus base), ICH9 LPC (8086:2918:
 * PMBASE, GPIOBASE) and ICH9 SMBus (8086:2930). The firmware sets these
 * bases, so no fixed table can hold them. Returns 0, or -1 with p->err if
 * there are too many ranges.
 */
int acpi_pci_ports(acpi_pci_read_fn rd, void *ctx, struct acpi_ports *p);

#endif
