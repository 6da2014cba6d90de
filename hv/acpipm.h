/*
 * The ACPI PM1a event and control registers the guest's FADT names
 * (hv/acpitab.h), for guests with acpi = on: what an ACPI OS needs to
 * start its interpreter and to power itself off (ACPI specification,
 * "PM1 Event Grouping", "PM1 Control Grouping"). Pure and byte-wide:
 * hv/vdev.c splits wider accesses and acts on the result.
 *
 *   +0 PM1_STS  write 1 to clear; no event ever sets a bit (no PM timer,
 *               no buttons, no RTC alarm, no wake): reads 0
 *   +2 PM1_EN   the enable bits of those events: read/write, never raise
 *               the SCI (nothing sets a status bit)
 *   +4 PM1_CNT  SCI_EN reads 1 (no SMI command port: always in ACPI mode),
 *               BM_RLD read/write, GBL_RLS write-only, SLP_TYP read/write,
 *               SLP_EN write-only: with SLP_TYP = S5 it powers the guest off
 */
#ifndef HV_ACPIPM_H
#define HV_ACPIPM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPIPM_BYTES       6u          /* PM1a event (4) then control (2) */

#define PM1_EN_MASK        0x4721u     /* TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS */
#define PM1_CNT_SCI_EN     0x0001u
#define PM1_CNT_BM_RLD     0x0002u
#define PM1_CNT_GBL_RLS    0x0004u
#define PM1_CNT_SLP_TYP    0x1c00u
#define PM1_CNT_SLP_SHIFT  10
#define PM1_CNT_SLP_EN     0x2000u

struct acpipm {
	uint16_t en;
	uint16_t cnt;              /* BM_RLD and SLP_TYP as written */
};

enum acpipm_action {
	ACPIPM_NONE,
	ACPIPM_POWER_OFF,          /* SLP_EN with SLP_TYP = S5 */
	ACPIPM_SLEEP,              /* SLP_EN with a sleep type the DSDT does not offer: ignored */
};

/* Powers the registers on. */
void acpipm_init(struct acpipm *p);

/* Returns the byte at offset off (0..ACPIPM_BYTES-1) of the block. */
uint8_t acpipm_read(const struct acpipm *p, unsigned off);

/* Writes byte v at offset off; returns what the guest asked the platform to do. */
enum acpipm_action acpipm_write(struct acpipm *p, unsigned off, uint8_t v);

#endif
