/*
 * Physical 8259A pair and 8254 channel 0 (Intel 8259A and 8254 data
 * sheets): the PIC backend of the physical interrupt layer (hv/pirq.c).
 * Under OVMF the legacy PICs exist (Bochs, QEMU, most PCs); with that
 * backend the hv uses them for routed device lines and CPU 0's idle
 * wake-up; with the IOAPIC backend they are remapped and masked whole.
 */
#include "lib.h"
#include "cpu.h"
#include "pic.h"
#include "pic8259.h"
#include "spinlock.h"

#define PIC1_CMD  PIC8259_CMD1
#define PIC2_CMD  PIC8259_CMD2
#define ELCR1     0x4d0
#define ELCR2     0x4d1

static uint16_t pic_imr = 0xffff;
static struct spinlock pic_lock;        /* pic_imr and the IMR writes it shadows */

static void pic_write_imr(void)
{
	pic8259_write_imr(pic_imr);
}

/* Every line masked but the cascade (IR2): the hv opens routed lines one by one. */
void pic_init(void)
{
	pic_imr = 0xffff & ~(1u << 2);
	pic8259_init(PIC_VECTOR_BASE, pic_imr);
}

void pic_mask(unsigned irq)
{
	spin_lock(&pic_lock);
	pic_imr |= (uint16_t)(1u << irq);
	pic_write_imr();
	spin_unlock(&pic_lock);
}

void pic_unmask(unsigned irq)
{
	spin_lock(&pic_lock);
	pic_imr &= (uint16_t)~(1u << irq);
	pic_write_imr();
	spin_unlock(&pic_lock);
}

void pic_mask_all(void)
{
	spin_lock(&pic_lock);
	pic_imr = 0xffff;
	pic_write_imr();
	spin_unlock(&pic_lock);
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8) {
		outb(PIC2_CMD, 0x60 | (irq & 7));
		outb(PIC1_CMD, 0x60 | 2);
	} else {
		outb(PIC1_CMD, 0x60 | irq);
	}
}

bool pic_is_spurious(unsigned irq)
{
	uint16_t cmd = irq >= 8 ? PIC2_CMD : PIC1_CMD;

	bool in_service = pic8259_read_reg(cmd, 1) & (1u << (irq & 7));

	outb(cmd, 0x0a);                /* OCW3: back to the IRR */
	return !in_service;
}

bool pic_is_level(unsigned irq)
{
	return (irq >= 8 ? inb(ELCR2) >> (irq - 8) : inb(ELCR1) >> irq) & 1;
}

void pit_oneshot(uint64_t tsc_delta, uint64_t tsc_hz)
{
	uint64_t ticks;

	if (tsc_delta > tsc_hz / 10)
		tsc_delta = tsc_hz / 10;        /* longer than the 16-bit counter anyway */
	ticks = tsc_hz ? tsc_delta * PIT_HZ / tsc_hz : 0xffff;

	if (ticks < 2)
		ticks = 2;
	if (ticks > 0xffff)
		ticks = 0xffff;
	outb(0x43, 0x30);               /* channel 0, lobyte/hibyte, mode 0 */
	outb(0x40, (uint8_t)ticks);
	outb(0x40, (uint8_t)(ticks >> 8));
}
