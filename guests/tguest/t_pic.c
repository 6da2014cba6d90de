/*
 * pic: the 8259 pair from inside a guest, driven by PIT channel 0 on IRQ0:
 * IMR read-back, IRR latching while masked, the poll command, ISR while in
 * service and after a specific EOI (OCW2 0x60|irq), an EOI for another
 * level leaving ISR alone, delivery at the programmed rate, a masked IRQ0
 * not arriving, and its latched request arriving when unmasked.
 */
#include "tguest.h"

enum { MODE_COUNT, MODE_LONG };

static struct checks ck = { .prefix = "pic" };
static volatile int mode;
static volatile uint32_t count, long_done;
static volatile uint8_t long_isr, long_irr, long_isr_other_eoi, long_isr_after;
static uint32_t period_us;

static void pic_irq0(struct regs *r)
{
	if (mode == MODE_LONG) {
		mode = MODE_COUNT;
		long_isr = pic_read_isr(0);
		delay_us(period_us * 5 / 2);        /* the PIT keeps ticking: IRR latches again */
		long_irr = pic_read_irr(0);
		outb(0x20, 0x61);                   /* specific EOI for IRQ1, not in service */
		long_isr_other_eoi = pic_read_isr(0);
		outb(0x20, 0x60);                   /* specific EOI for IRQ0 */
		long_isr_after = pic_read_isr(0);
		long_done = 1;
		count++;
		return;
	}
	count++;
	pic_eoi(0);
}

static void wait_periods_sti(uint32_t tenths)
{
	sti();
	delay_us((uint64_t)period_us * tenths / 10);
	cli();
}

void test_pic(void)
{
	uint32_t hz = arg_u32("hz", 100), c0, d;
	uint16_t m1, m2;
	uint8_t irr, isr, v;
	uint64_t t0;

	if (hz < 19 || hz > 2000)
		tg_fail_exit(2, "pic: FAIL hz=%u out of range 19..2000\n", hz);
	period_us = 1000000 / hz;
	cli();
	idt_set_handler(IRQ_BASE + 0, pic_irq0);

	/* IMR read-back: a pattern on both chips, then all masked. */
	pic_set_mask(0x5aa5);
	m1 = pic_get_mask();
	pic_set_mask(0xffff);
	m2 = pic_get_mask();
	check(&ck, "imr readback", m1 == 0x5aa5 && m2 == 0xffff, "wrote 0x5aa5 then 0xffff, read 0x%04x then 0x%04x",
	      m1, m2);
	check(&ck, "slave idle", pic_read_irr(1) == 0 && pic_read_isr(1) == 0, "slave IRR 0x%02x ISR 0x%02x",
	      pic_read_irr(1), pic_read_isr(1));

	/* IRQ0 masked, PIT running: the request latches in IRR, nothing in service. */
	pit_ch0_start(hz, 2);
	delay_us((uint64_t)period_us * 5 / 2);
	irr = pic_read_irr(0);
	isr = pic_read_isr(0);
	check(&ck, "irr latched while masked", (irr & 1) && isr == 0, "after 2.5 PIT periods: IRR 0x%02x ISR 0x%02x",
	      irr, isr);

	/* Poll (OCW3 0x0c), interrupts off: reads 0x80|level and acknowledges. */
	pic_set_mask(0xfffe);
	outb(0x20, 0x0c);
	v = inb(0x20);
	isr = pic_read_isr(0);
	check(&ck, "poll", v == 0x80 && (isr & 1), "poll read 0x%02x (want 0x80), then ISR 0x%02x (want bit 0)", v,
	      isr);
	outb(0x20, 0x60);
	isr = pic_read_isr(0);
	check(&ck, "specific eoi", isr == 0, "ISR 0x%02x after OCW2 0x60", isr);

	/* A long handler: ISR set while in service, IRR latched meanwhile, cleared by EOI 0x60. */
	mode = MODE_LONG;
	long_done = 0;
	count = 0;
	t0 = rdtsc();
	sti();
	while (!long_done && rdtsc() - t0 < tsc_from_us((uint64_t)period_us * 20))
		cpu_relax();
	cli();
	if (!check(&ck, "irq0 arrives", long_done, "no IRQ0 in 20 PIT periods (IRR 0x%02x ISR 0x%02x IMR 0x%02x)",
		   pic_read_irr(0), pic_read_isr(0), pic_get_mask() & 0xff)) {
		mode = MODE_COUNT;
	} else {
		check(&ck, "isr in service", long_isr & 1, "ISR 0x%02x in the handler", long_isr);
		check(&ck, "irr while in service", long_irr & 1, "IRR 0x%02x after 2.5 periods in the handler",
		      long_irr);
		check(&ck, "eoi other level ignored", long_isr_other_eoi & 1, "ISR 0x%02x after OCW2 0x61",
		      long_isr_other_eoi);
		check(&ck, "isr clear after eoi", !(long_isr_after & 1), "ISR 0x%02x after OCW2 0x60",
		      long_isr_after);
	}

	/* Delivery at the programmed rate (the request latched in the long handler comes first). */
	c0 = count;
	wait_periods_sti(50);
	d = count - c0;
	check(&ck, "irq0 rate", d >= 3 && d <= 8, "%u IRQ0 in 5 PIT periods (want 3..8)", d);

	/* Masked: nothing arrives, the request latches; unmasked: it arrives at once. */
	pic_set_mask(0xffff);
	c0 = count;
	wait_periods_sti(35);
	irr = pic_read_irr(0);
	check(&ck, "masked irq0 blocked", count == c0 && (irr & 1), "%u IRQ0 arrived masked, IRR 0x%02x",
	      count - c0, irr);
	sti();
	pic_set_mask(0xfffe);
	delay_us(100);
	cli();
	check(&ck, "unmask delivers pending", count > c0, "no IRQ0 within 100 us of unmasking with IRR set");

	pic_set_mask(0xffff);
	pit_ch0_stop();
	isr = pic_read_isr(0);
	check(&ck, "nothing in service", isr == 0, "ISR 0x%02x at the end", isr);
	checks_finish(&ck);
}
