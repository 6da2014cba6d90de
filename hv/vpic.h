/*
 * Virtual 8259A PIC pair, one per guest: master at 0x20/0x21, slave at
 * 0xa0/0xa1 cascaded on master IR2, edge/level control (ELCR, as on the
 * PIIX) at 0x4d0/0x4d1. Pure logic: the hv traps the ports, feeds input
 * line levels with vpic_set_irq, and injects what vpic_ack returns.
 *
 * Driving it from the hv:
 *   - port exit:      vpic_write / vpic_read for any port vpic_handles_port
 *   - device line:    vpic_set_irq(p, irq, level), or vpic_pulse_irq for an
 *                     edge (rising edges latch; see vpic.c for why a falling
 *                     edge does not un-latch)
 *   - before entry:   if vpic_has_interrupt(p): if the guest can take it
 *                     (RFLAGS.IF=1, no STI/MOV-SS blocking) inject
 *                     vpic_ack(p) as an external interrupt, else turn on
 *                     interrupt-window exiting
 *   - after an exit:  vpic_take_eois(p) says which lines the guest has
 *                     acknowledged (EOI or auto-EOI): unmask them again at
 *                     the physical controller (level lines stay masked there
 *                     until then)
 */
#ifndef HV_VPIC_H
#define HV_VPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VPIC_MASTER_CMD   0x20
#define VPIC_MASTER_DATA  0x21
#define VPIC_SLAVE_CMD    0xa0
#define VPIC_SLAVE_DATA   0xa1
#define VPIC_ELCR_MASTER  0x4d0
#define VPIC_ELCR_SLAVE   0x4d1
#define VPIC_CASCADE_IRQ  2

/* One 8259A. Bit n of each mask is input IRn. */
struct vpic_chip {
	uint8_t irr;            /* interrupt request register */
	uint8_t isr;            /* in-service register */
	uint8_t imr;            /* interrupt mask register (OCW1) */
	uint8_t lines;          /* current input levels (edge detection) */
	uint8_t elcr;           /* per-line level trigger (PIIX ELCR) */
	uint8_t vector_base;    /* ICW2 & 0xf8 */
	uint8_t icw3;
	uint8_t lowest;         /* rotation: IR (lowest+1)&7 has top priority */
	uint8_t init_step;      /* 0 ready; 2, 3, 4 = next ICW expected */
	bool icw4_needed, single, ltim;
	bool auto_eoi, rotate_aeoi, sfnm;
	bool read_isr;          /* OCW3 RR/RIS: reads of the cmd port give ISR */
	bool poll;              /* OCW3 P: next read is a poll */
	bool special_mask;      /* OCW3 SMM */
};

struct vpic {
	struct vpic_chip chip[2];       /* [0] master, [1] slave */
	uint16_t eoi_pending;           /* lines whose ISR bit was cleared */
};

/*
 * Resets both chips to what a PC BIOS hands over: vectors 0x08 and 0x70,
 * edge triggered, all lines masked (a Multiboot kernel reprograms the PIC
 * before it unmasks anything), cascade configured.
 */
void vpic_init(struct vpic *p);

/* Returns true if port belongs to the PIC pair (cmd, data or ELCR). */
bool vpic_handles_port(uint16_t port);

/* Guest OUT to a PIC port. Other ports are ignored. */
void vpic_write(struct vpic *p, uint16_t port, uint8_t val);

/* Guest IN from a PIC port. Returns 0xff for ports it does not handle. */
uint8_t vpic_read(struct vpic *p, uint16_t port);

/* Sets input line irq (0..15) to level (0/1). Out-of-range irq is ignored. */
void vpic_set_irq(struct vpic *p, int irq, int level);

/* Raises then lowers line irq: one edge, as a device interrupt or the PIT. */
void vpic_pulse_irq(struct vpic *p, int irq);

/* Returns true if an unmasked request would be delivered to the CPU now. */
bool vpic_has_interrupt(const struct vpic *p);

/*
 * Returns true if an edge on line irq would make the pair interrupt the
 * CPU where it does not now: the line is unmasked, its request is not
 * latched already and no request of equal or higher priority is in
 * service. A halted guest is woken only by such an edge.
 */
bool vpic_edge_would_interrupt(const struct vpic *p, int irq);
/* INTA cycle. Returns the vector (0..255) and moves the request IRR -> ISR. */
int vpic_ack(struct vpic *p);

/* Returns (and clears) the mask of lines 0..15 acknowledged since last call. */
uint16_t vpic_take_eois(struct vpic *p);

#endif
