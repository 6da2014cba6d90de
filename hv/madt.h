/*
 * The machine's CPUs and physical interrupt controllers, from the ACPI
 * MADT (ACPI specification, "Multiple APIC Description Table (MADT)"),
 * and the CPU list the boot stage hands the hv (struct boot_cpus).
 *
 * Pure and freestanding: the table is a byte buffer, so the boot stage,
 * the host unit tests (tests/unit/test_madt.c) and the fuzz target
 * (tests/fuzz/fuzz_madt.c) run the same code.
 */
#ifndef HV_MADT_H
#define HV_MADT_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define MADT_ERR_MAX   128
#define MADT_MAX_BYTES 65536u     /* longest MADT read: 64 KiB holds thousands of entries */

/*
 * Parses the MADT t (avail bytes readable there) into *m (found = 1).
 * Returns 0, or -1 with err (errlen bytes) naming the cause: no "APIC"
 * signature, length shorter than the fixed part or beyond avail, bad
 * checksum, an entry shorter than 2 bytes or running past the table, an
 * entry shorter than its structure, an APIC ID or I/O APIC ID listed
 * twice, more than BOOT_MAX_IOAPICS I/O APICs or BOOT_MAX_ISOS overrides.
 * Enabled processors past BOOT_MAX_CPUS are counted in cpus_beyond.
 */
int madt_parse(const void *t, uint64_t avail, struct boot_madt *m, char *err, size_t errlen);

/*
 * Moves the CPU with APIC ID bsp_apic to index 0 of c, keeping the order
 * of the others. Returns 0, or -1 if c does not list it.
 */
int madt_bsp_first(struct boot_cpus *c, uint32_t bsp_apic);

/* Fills c from the processors of the MADT m with the BSP first. Returns 0, or -1 as madt_bsp_first. */
int madt_cpus(const struct boot_madt *m, uint32_t bsp_apic, struct boot_cpus *c);

/*
 * Chooses the machine's CPU list *out: mp (the list from MP Services, BSP
 * first) if mp is not NULL, else the enabled processors of the MADT m if
 * it lists any (BSP first), else the boot CPU alone (BOOT_CPUS_ASSUMED).
 * here is the APIC ID of the CPU running the boot stage, which must be
 * the BSP. Returns 0, or -1 with err naming the cause (the MADT does not
 * list the boot CPU, the BSP is another CPU).
 */
int madt_choose_cpus(const struct boot_cpus *mp, const struct boot_madt *m, uint32_t here,
		     struct boot_cpus *out, char *err, size_t errlen);

/* Writes "2 (APIC IDs 0, 1; BSP 0) from MP Services" for c into buf. */
void madt_describe_cpus(const struct boot_cpus *c, char *buf, size_t len);

#endif
