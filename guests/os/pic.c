/* pic.c: 8259A programmable interrupt controller pair (master 0x20, slave 0xa0). */
#include "pic.h"
#include "io.h"
#include "pic8259.h"

#define PIC1_CMD PIC8259_CMD1
#define PIC2_CMD PIC8259_CMD2

static uint16_t pic_mask = 0xffff;

static void pic_write_mask(void)
{
	pic8259_write_imr(pic_mask);
}

void pic_init(void)
{
	pic_mask = 0xffff & ~(1u << 2);          /* cascade line stays open */
	pic8259_init(PIC_VECTOR_BASE, pic_mask);
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
	return pic8259_read_reg(cmd, 1);
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
