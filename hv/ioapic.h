/*
 * The machine's I/O APICs, which the hv owns with the IOAPIC backend of
 * its physical interrupt layer (hv/pirq.h). Register layout: Intel
 * 82093AA I/O APIC datasheet, "Register Description": an indirect window
 * (IOREGSEL at offset 0x00 selects, IOWIN at 0x10 reads and writes), the
 * ID (0x00), version (0x01: version in bits 7:0, maximum redirection entry
 * in bits 23:16) and one 64-bit redirection entry per pin (0x10 + 2n low,
 * 0x11 + 2n high; "I/O Redirection Table Registers").
 *
 * Which pin an ISA IRQ reaches, and with what trigger and polarity, comes
 * from the ACPI MADT's interrupt source overrides (ACPI specification,
 * "Interrupt Source Override Structure", MPS INTI flags), else the ISA
 * defaults (GSI = IRQ, edge, active high); without a MADT (OVMF under
 * Bochs) from the PIIX ELCR: a line it calls level-triggered is a PCI
 * line, level and active high as the PIIX passes it on (Linux's ELCR
 * fallback in mpparse.c does the same).
 *
 * The pure parts (entry encoding, line resolution, GSI lookup) take no
 * hardware; the rest reads and writes the window through pirq_hw.h under
 * a lock per IOAPIC (the window is two accesses; two CPUs must not
 * interleave them).
 */
#ifndef HV_IOAPIC_H
#define HV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "spinlock.h"

#define IOAPIC_ARCH_BASE   0xfec00000u    /* the PC's IOAPIC when no MADT says otherwise */
#define IOAPIC_MAX         BOOT_MAX_IOAPICS

/* Window offsets and registers (82093AA "Register Description"). */
#define IOAPIC_IOREGSEL    0x00
#define IOAPIC_IOWIN       0x10
#define IOAPIC_REG_ID      0x00
#define IOAPIC_REG_VER     0x01
#define IOAPIC_REG_RTE     0x10           /* pin n: 0x10 + 2n (bits 31:0), 0x11 + 2n (bits 63:32) */

/* Redirection entry, bits 31:0 ("I/O Redirection Table Registers"). */
#define IOAPIC_RTE_DELMOD_FIXED  (0u << 8)
#define IOAPIC_RTE_DESTMOD_LOG   (1u << 11)  /* 0: physical destination */
#define IOAPIC_RTE_DELIVS        (1u << 12)  /* read-only */
#define IOAPIC_RTE_ACTIVE_LOW    (1u << 13)  /* INTPOL */
#define IOAPIC_RTE_REMOTE_IRR    (1u << 14)  /* read-only */
#define IOAPIC_RTE_LEVEL         (1u << 15)  /* trigger mode */
#define IOAPIC_RTE_MASKED        (1u << 16)
#define IOAPIC_RTE_DEST_SHIFT    56          /* destination, bits 63:56 */

/* MPS INTI flags of an interrupt source override. */
#define IOAPIC_INTI_POLARITY(f)  ((f) & 3u)          /* 0 bus default, 1 high, 3 low */
#define IOAPIC_INTI_TRIGGER(f)   (((f) >> 2) & 3u)   /* 0 bus default, 1 edge, 3 level */

struct ioapic_chip {
	uint32_t id;
	uint32_t addr;             /* register page, physical */
	uint32_t gsi_base;         /* GSI of pin 0 */
	uint32_t pins;             /* maximum redirection entry + 1 */
	uint32_t version;          /* the whole version register */
	struct spinlock lock;      /* IOREGSEL/IOWIN pairs */
};

/* How an ISA IRQ reaches the IOAPICs. */
struct ioapic_line {
	uint32_t gsi;
	bool level;                /* trigger mode */
	bool active_low;           /* polarity */
	bool override;             /* a MADT interrupt source override said so */
};

/*
 * Returns the redirection entry for a fixed, physical-destination
 * interrupt: vector, trigger, polarity, the mask bit, and destination
 * APIC ID dest (8 bits: bits 63:56).
 */
uint64_t ioapic_rte(uint8_t vector, uint8_t dest, bool level, bool active_low, bool masked);

/*
 * Fills *l for ISA IRQ irq: from m's interrupt source override for bus 0
 * (ISA) and source irq if there is one (a flag left at "conforms to the
 * bus" takes the ISA default: edge, active high), else GSI irq, edge,
 * active high; with no MADT (m->found == 0) GSI irq, level and active
 * high if elcr_level (the PIIX ELCR bit), else edge, active high.
 */
void ioapic_isa_line(const struct boot_madt *m, unsigned irq, bool elcr_level, struct ioapic_line *l);

/*
 * Returns the index in chips[0..n) of the IOAPIC whose pins cover gsi and
 * sets *pin, or returns -1 if none does.
 */
int ioapic_find(const struct ioapic_chip *chips, unsigned n, uint32_t gsi, unsigned *pin);

/*
 * Returns true if ver (a version register read) is an IOAPIC's: not all
 * ones (nothing answers), version 0x10-0x2f (82093AA 0x11, later I/O
 * xAPICs 0x20), at least one redirection entry and at most 240.
 */
bool ioapic_version_ok(uint32_t ver);

/*
 * Reads the version register of the IOAPIC at addr (mapped uncacheable)
 * and fills *c (id from its ID register, gsi_base as given). Returns 0, or
 * -1 if ioapic_version_ok refuses it (c->version says what was read).
 */
int ioapic_probe(uint32_t addr, uint32_t gsi_base, struct ioapic_chip *c);

/* Writes redirection entry pin: bits 63:32 first, then bits 31:0 (with the mask bit). */
void ioapic_write_rte(struct ioapic_chip *c, unsigned pin, uint64_t rte);

/* Writes bits 31:0 of redirection entry pin only (mask and unmask). */
void ioapic_write_rte_low(struct ioapic_chip *c, unsigned pin, uint32_t low);

uint64_t ioapic_read_rte(struct ioapic_chip *c, unsigned pin);

/* Masks every redirection entry of c (edge, vector 0, destination 0), as the 82093AA after reset. */
void ioapic_mask_all(struct ioapic_chip *c);

#endif
