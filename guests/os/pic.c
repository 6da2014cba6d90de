/* pic.c: 8259A programmable interrupt controller pair (master 0x20, slave 0xa0). */
#include "pic.h"
#include "io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

static uint16_t pic_mask = 0xffff;

static void pic_write_mask(void)
{
	outb(PIC1_DATA, (uint8_t)pic_mask);
	outb(PIC2_DATA, (uint8_t)(pic_mask >> 8));
}

void pic_init(void)
{
	outb(PIC1_CMD, 0x11);                    /* ICW1: edge, cascade, ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, PIC_VECTOR_BASE);        /* ICW2: vector offsets */
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 0x04);                   /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);                   /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	pic_mask = 0xffff & ~(1u << 2);          /* cascade line stays open */
	pic_write_mask();
}

void pic_set_mask(unsigned irq, bool on)
{
	if (on)
		pic_mask &= (uint16_t)~(1u << irq);
	else
		pic_mask |= (uint16_t)(1u << irq);
	pic_write_mask();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);
	outb(PIC1_CMD, 0x20);
}

static uint8_t pic_isr(uint16_t cmd)
{
	outb(cmd, 0x0b);                         /* OCW3: read ISR */
	return inb(cmd);
}

bool pic_is_spurious(unsigned irq)
{
	if (irq == 7 && !(pic_isr(PIC1_CMD) & 0x80))
		return true;
	if (irq == 15 && !(pic_isr(PIC2_CMD) & 0x80)) {
		outb(PIC1_CMD, 0x20);            /* the master did see IRQ 2 */
		return true;
	}
	return false;
}
