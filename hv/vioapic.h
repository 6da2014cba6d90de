/*
 * Virtual I/O APIC, one per guest, at 0xfec00000: the register window of
 * the Intel 82093AA (IOREGSEL at 0x00, IOWIN at 0x10) with the EOI
 * register at 0x40 of the later I/O xAPICs (version 0x20), 24 pins. Pure
 * logic like vpic.c: the hv traps the page, feeds pin levels, and carries
 * the interrupt messages the IOAPIC sends to the local APIC.
 *
 * Driving it from the hv:
 *   - MMIO exit:       vioapic_mmio_read / vioapic_mmio_write
 *   - device line:     vioapic_set_irq(io, pin, asserted), or
 *                      vioapic_pulse_irq for an edge (the PIT on pin 2)
 *   - LAPIC EOI:       for each vector vlapic_take_eoi gives,
 *                      vioapic_eoi(io, vector)
 *   - after any of these (before the next entry):
 *         while (vioapic_take(io, &m) >= 0)
 *             if (vlapic_match_dest(lapic, m.dest, m.logical))
 *                 vlapic_accept_irq(lapic, m.delivery_mode, m.vector, m.level);
 *     A message no APIC matches is lost, as on a PC (one vCPU: only
 *     destinations naming APIC ID 0, its logical ID or the broadcast
 *     reach it); a level-triggered one then keeps remote IRR set until
 *     the guest clears it (EOI register, or trigger mode set to edge).
 *
 * Pin levels are assertions: 1 = the device requests an interrupt. The
 * polarity bit is kept for the guest but inverts nothing, as in QEMU and
 * KVM; the hv hands in what the line means, not its voltage.
 */
#ifndef HV_VIOAPIC_H
#define HV_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VIOAPIC_BASE      0xfec00000u
#define VIOAPIC_SIZE      0x1000u
#define VIOAPIC_PINS      24
#define VIOAPIC_VERSION   0x20

/* MMIO offsets. */
#define VIOAPIC_IOREGSEL  0x00
#define VIOAPIC_IOWIN     0x10
#define VIOAPIC_EOI       0x40

/* Indirect registers (IOREGSEL values). */
#define VIOAPIC_REG_ID    0x00
#define VIOAPIC_REG_VER   0x01
#define VIOAPIC_REG_ARB   0x02
#define VIOAPIC_REG_RTE   0x10          /* pin n: 0x10 + 2n (low), 0x11 + 2n (high) */

/* Redirection table entry bits ("I/O Redirection Table Registers"). */
#define VIOAPIC_RTE_DELIVS      (1ull << 12)    /* delivery status (read-only) */
#define VIOAPIC_RTE_POLARITY    (1ull << 13)
#define VIOAPIC_RTE_REMOTE_IRR  (1ull << 14)    /* read-only */
#define VIOAPIC_RTE_LEVEL       (1ull << 15)
#define VIOAPIC_RTE_MASKED      (1ull << 16)
#define VIOAPIC_RTE_LOGICAL     (1ull << 11)

/* The interrupt message a redirection entry sends. */
struct vioapic_msg {
	uint8_t vector;
	uint8_t delivery_mode;  /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
	bool logical;           /* destination mode */
	bool level;             /* trigger mode */
	uint8_t dest;           /* destination field, bits 63:56 */
};

struct vioapic {
	uint8_t id;             /* IOAPIC ID, bits 27:24 of register 0 */
	uint8_t ioregsel;
	uint64_t rte[VIOAPIC_PINS];     /* as written; remote IRR kept here */
	uint32_t lines;         /* bit n: pin n asserted */
	uint32_t edge_latch;    /* bit n: an edge on pin n waiting to be sent */
};

/*
 * Resets the IOAPIC with ID id: every redirection entry masked, edge,
 * vector 0, destination 0 (the 82093AA's reset masks them all), IOREGSEL
 * 0, every pin deasserted (the hv then sets the levels its lines have).
 */
void vioapic_init(struct vioapic *io, uint8_t id);

/*
 * Guest read of len (1, 2 or 4) bytes at offset of the page, not crossing
 * a dword. IOREGSEL and IOWIN as selected; the EOI register and other
 * offsets read 0; a register index without a register reads 0.
 */
uint32_t vioapic_mmio_read(const struct vioapic *io, uint32_t offset, unsigned len);

/*
 * Guest write. IOREGSEL takes the low byte of a write at 0x00 of any
 * width; IOWIN takes 32-bit writes at 0x10 (narrower ones are dropped:
 * the registers are dword registers); the EOI register takes the low byte
 * of a write at 0x40. Read-only registers and bits ignore writes.
 */
void vioapic_mmio_write(struct vioapic *io, uint32_t offset, unsigned len, uint32_t val);

/*
 * Sets pin's input (asserted or not). An edge-triggered pin sends one
 * message per rising edge while unmasked (a masked pin ignores the edge,
 * "Interrupt Mask"); a level-triggered one sends while asserted, unmasked
 * and remote IRR clear. Out-of-range pins are ignored.
 */
void vioapic_set_irq(struct vioapic *io, int pin, int level);

/* Asserts then deasserts pin: one edge. */
void vioapic_pulse_irq(struct vioapic *io, int pin);

/*
 * The local APIC's EOI (its broadcast, or the guest's write of the EOI
 * register): clears remote IRR of every level-triggered entry with this
 * vector, so a pin still asserted sends again.
 */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

/*
 * What the IOAPIC would deliver now: the lowest pin with a message to
 * send, its message in *m. Returns the pin, or -1 (m untouched).
 */
int vioapic_peek(const struct vioapic *io, struct vioapic_msg *m);

/*
 * Sends what vioapic_peek names: an edge is consumed, a level-triggered
 * entry sets remote IRR. Returns the pin, or -1.
 */
int vioapic_take(struct vioapic *io, struct vioapic_msg *m);

#endif
