/*
 * Time-slicing tests: heartbeat (PIT IRQ0 through the PIC, sti;hlt between
 * ticks) and spin (interrupts off, busy on the TSC).
 */
#include "tguest.h"

static volatile uint32_t hb_ticks, hb_target;
static volatile uint64_t hb_first_tsc, hb_last_tsc;

/* Counts ticks up to the target (the ones after it are acknowledged only). */
static void hb_irq0(struct regs *r)
{
	uint64_t t = rdtsc();

	if (hb_ticks < hb_target) {
		if (hb_ticks == 0)
			hb_first_tsc = t;
		hb_last_tsc = t;
		hb_ticks++;
	}
	pic_eoi(0);
}

void test_heartbeat(void)
{
	uint32_t hz = arg_u32("hz", 100), seconds = arg_u32("seconds", 3);
	uint32_t every, total, next, n;
	uint64_t t0, first_deadline, deadline, elapsed, first, last;
	char sbuf[32], rbuf[32];

	if (hz < 19 || hz > 10000)
		tg_fail_exit(2, "heartbeat: FAIL hz=%u out of range 19..10000\n", hz);
	if (seconds < 1 || seconds > 3600)
		tg_fail_exit(2, "heartbeat: FAIL seconds=%u out of range 1..3600\n", seconds);
	every = arg_u32("every", hz / 2 ? hz / 2 : 1);
	if (!every)
		every = 1;
	total = hz * seconds;
	tg_printf("pit: tsc_hz %llu source %s\n", tg_tsc_hz, tg_tsc_source);
	tg_printf("heartbeat: hz %u seconds %u every %u ticks %u\n", hz, seconds, every, total);

	hb_target = total;
	idt_set_handler(IRQ_BASE + 0, hb_irq0);
	pic_set_mask(0xfffe);                   /* IRQ0 only */
	t0 = rdtsc();
	pit_ch0_start(hz, 2);
	/* The first tick is due after one period: allow 20 periods (at least 200 ms). */
	first_deadline = t0 + tsc_from_us(20000000u / hz + 200000);
	sti();
	while (hb_ticks == 0) {
		if (rdtsc() > first_deadline) {
			cli();
			tg_fail_exit(1, "heartbeat: FAIL no IRQ0 within %u ms of programming the PIT "
				     "(IRR 0x%x ISR 0x%x IMR 0x%x)\n",
				     20000 / hz + 200, pic_read_irr(0), pic_read_isr(0), pic_get_mask() & 0xff);
		}
		cpu_relax();
	}
	/* Twice the expected time, plus a second: then the ticks are too slow (or stopped). */
	deadline = t0 + tsc_from_us(2000000ull * seconds + 1000000);
	next = every;
	for (;;) {
		uint32_t t;

		__asm__ volatile("sti; hlt" ::: "memory");
		t = hb_ticks;
		while (next <= t) {
			tg_printf("heartbeat %s %u\n", tg_name, next);
			next += every;
		}
		if (t >= total)
			break;
		if (rdtsc() > deadline) {
			cli();
			tg_fail_exit(1, "heartbeat: FAIL only %u of %u ticks after %u s\n",
				     hb_ticks, total, 2 * seconds + 1);
		}
	}
	cli();
	pic_set_mask(0xffff);
	pit_ch0_stop();
	n = hb_ticks;
	first = hb_first_tsc;
	last = hb_last_tsc;
	elapsed = last - first;
	if (!elapsed)
		elapsed = 1;
	/* First to last tick is n - 1 periods. */
	tg_printf("pit: IRQ0 %u in %s s (TSC), rate %s Hz\n", n, fmt_fixed(sbuf, elapsed, tg_tsc_hz, 3),
		  fmt_fixed(rbuf, (uint64_t)(n - 1) * tg_tsc_hz, elapsed, 1));
	puts_e9("heartbeat done\n");
	guest_exit(0);
}

void test_spin(void)
{
	uint32_t seconds = arg_u32("seconds", 3), forever = arg_u32("spin_forever", 0);
	uint64_t t0, n, elapsed;
	char buf[32];

	if (forever) {
		puts_e9("spin: cli, spinning forever\n");
		cli();
		for (;;)
			(void)rdtsc();
	}
	tg_printf("spin: cli, spinning for %u s\n", seconds);
	cli();
	n = (uint64_t)seconds * tg_tsc_hz;
	t0 = rdtsc();
	while (rdtsc() - t0 < n)
		;
	elapsed = rdtsc() - t0;
	tg_printf("spin done after %u s\n", seconds);
	tg_printf("spin: elapsed %s s (TSC)\n", fmt_fixed(buf, elapsed, tg_tsc_hz, 3));
	guest_exit(0);
}
