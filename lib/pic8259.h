/*
 * The programming sequences of the 8259A interrupt controller pair
 * (Intel 8259A data sheet: ICW1-ICW4, OCW1, OCW3) at the PC's ports,
 * inline: each kernel runs them from one place.
 * The kernels keep their policy (which lines they open, how they
 * acknowledge): hv/pic.c, guests/os/pic.c, guests/tguest/idt.c.
 */
#ifndef LIB_PIC8259_H
#define LIB_PIC8259_H

#include <stdint.h>
#include "x86.h"

#define PIC8259_CMD1  0x20
#define PIC8259_DATA1 0x21
#define PIC8259_CMD2  0xa0
#define PIC8259_DATA2 0xa1

/* OCW1: bit n of mask masks IRQ n (bits 8-15: the slave). */
static inline void pic8259_write_imr(uint16_t mask)
{
	outb(PIC8259_DATA1, (uint8_t)mask);
	outb(PIC8259_DATA2, (uint8_t)(mask >> 8));
}

/* OCW3: the in-service (isr != 0) or the request register of one chip. */
static inline uint8_t pic8259_read_reg(uint16_t cmd_port, int isr)
{
	outb(cmd_port, isr ? 0x0b : 0x0a);
	return inb(cmd_port);
}

/*
 * Initializes both: edge-triggered, cascaded (the slave on IR2), 8086
 * mode, normal EOI; vectors base..base+15; then the mask as OCW1.
 */
static inline void pic8259_init(uint8_t base, uint16_t mask)
{
	outb(PIC8259_CMD1, 0x11);               /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC8259_CMD2, 0x11);
	outb(PIC8259_DATA1, base);              /* ICW2: vector offsets */
	outb(PIC8259_DATA2, (uint8_t)(base + 8));
	outb(PIC8259_DATA1, 0x04);              /* ICW3: slave on IR2 */
	outb(PIC8259_DATA2, 0x02);
	outb(PIC8259_DATA1, 0x01);              /* ICW4: 8086 mode, normal EOI */
	outb(PIC8259_DATA2, 0x01);
	pic8259_write_imr(mask);
}

#endif
