/*
 * Attacks on the CPU time of the guests beside this one (issue 7, item 2):
 * each makes the hv do work, or tries to take CPU, through a different
 * channel. tests/system/test_attack_cpu.py runs each beside a CPU-bound
 * victim (`work`) and a 100 Hz heartbeat victim.
 *
 *   test=pitstorm mode=masked|unacked|acked ms=M
 *       PIT channel 0 in mode 2 with count 2 (596591 Hz); IRQ 0 masked in
 *       the IMR, or unmasked and never acknowledged (one interrupt, then in
 *       service for ever), or acknowledged at once; then sti; hlt.
 *   test=comstorm ms=M
 *       owns COM1: THR-empty interrupt on IRQ 4, one character written in
 *       each interrupt (FIFO off, 115200 baud: one interrupt per character).
 *   test=spam mode=e9|hc line=L ms=M
 *       console lines of L bytes (a divisor of 4096 up to 64; default 64)
 *       as fast as it can: OUT to port 0xE9 byte by byte, or HC_CONSOLE
 *       calls of 4096 bytes.
 *   test=clihlt
 *       PIT channel 0 at count 2 with IRQ 0 unmasked, then cli; hlt.
 *
 * ms=M (default 0: for ever) ends the attack after M ms of TSC time,
 * checked each time the guest runs: a guest that never wakes (pitstorm
 * masked or unacked) never ends by itself.
 */
#include "tguest.h"

#define COM1          0x3f8
#define SPAM_LINE     64u
#define SPAM_HC_BYTES 4096u

static volatile uint32_t attack_irqs;
static int attack_eoi;

/* The TSC at which an attack that started at t0 ends (command line ms=M); 0: never. */
static uint64_t attack_end(uint64_t t0)
{
	uint32_t ms = arg_u32("ms", 0);

	return ms ? t0 + udiv64((uint64_t)ms * tg_tsc_hz, 1000, 0) : 0;
}

/* sti; hlt until end (0: for ever); returns with interrupts off. */
static void attack_halt_until(uint64_t end)
{
	do
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	while (!end || rdtsc() < end);
}

/* Prints "NAME: N EVENTS in S s (TSC), rate R Hz" for the window from t0. */
static void attack_report(const char *name, const char *events, uint32_t n, uint64_t t0)
{
	uint64_t elapsed = rdtsc() - t0;
	char sbuf[32], rbuf[32];

	tg_printf("%s: %u %s in %s s (TSC), rate %s Hz\n", name, n, events,
		  fmt_fixed(sbuf, elapsed, tg_tsc_hz, 3), fmt_fixed(rbuf, (uint64_t)n * tg_tsc_hz, elapsed, 1));
}

/* PIT channel 0, mode 2 (rate generator), count 2: the fastest IRQ 0 the chip makes. */
static void attack_pit_fastest(void)
{
	outb(0x43, 0x34);
	outb(0x40, 2);
	outb(0x40, 0);
}

static void attack_irq0(struct regs *r)
{
	attack_irqs++;
	if (attack_eoi)
		pic_eoi(0);
}

void test_pitstorm(void)
{
	const char *mode = arg_str("mode", "masked");
	uint64_t t0, end;

	if (tg_streq(mode, "masked") || tg_streq(mode, "unacked"))
		attack_eoi = 0;
	else if (tg_streq(mode, "acked"))
		attack_eoi = 1;
	else
		tg_fail_exit(2, "pitstorm: FAIL unknown mode \"%s\" (masked, unacked, acked)\n", mode);
	idt_set_handler(IRQ_BASE + 0, attack_irq0);
	pic_set_mask(tg_streq(mode, "masked") ? 0xffff : 0xfffe);
	tg_printf("pitstorm: PIT channel 0 mode 2 count 2 (%u Hz), IRQ 0 %s; sti; hlt\n", PIT_HZ / 2,
		  tg_streq(mode, "masked") ? "masked" : attack_eoi ? "acknowledged" : "never acknowledged");
	t0 = rdtsc();
	end = attack_end(t0);
	attack_pit_fastest();
	attack_halt_until(end);
	pic_set_mask(0xffff);
	pit_ch0_stop();
	attack_report("pitstorm", "IRQ0", attack_irqs, t0);
	guest_exit(0);
}

static volatile uint32_t com_chars;

/* THR empty: the next character (a line of 63 letters and a newline per 64). */
static void attack_com_irq(struct regs *r)
{
	uint8_t iir = inb(COM1 + 2);

	attack_irqs++;
	if ((iir & 0x0f) == 0x02) {
		outb(COM1, (uint8_t)(com_chars % 64 == 63 ? '\n' : 'a' + com_chars % 26));
		com_chars++;
	}
	pic_eoi(4);
}

void test_comstorm(void)
{
	uint64_t t0, end;

	outb(COM1 + 1, 0x00);           /* no interrupts while it is set up */
	outb(COM1 + 3, 0x80);           /* DLAB */
	outb(COM1 + 0, 0x01);           /* divisor 1: 115200 baud, the fastest */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);           /* 8N1 */
	outb(COM1 + 2, 0x00);           /* FIFO off: one interrupt per character */
	outb(COM1 + 4, 0x0b);           /* DTR, RTS, OUT2 (the PC's interrupt enable) */
	idt_set_handler(IRQ_BASE + 4, attack_com_irq);
	pic_set_mask(0xffef);
	tg_printf("comstorm: COM1 at 115200 baud, THR-empty interrupt on IRQ 4, "
		  "one character per interrupt; sti; hlt\n");
	t0 = rdtsc();
	end = attack_end(t0);
	outb(COM1 + 1, 0x02);           /* THR-empty interrupt: it is empty, so one comes at once */
	attack_halt_until(end);
	outb(COM1 + 1, 0x00);
	pic_set_mask(0xffff);
	attack_report("comstorm", "interrupts", attack_irqs, t0);
	tg_printf("comstorm: %u characters written\n", com_chars);
	guest_exit(0);
}

/* Writes line n of the spam (len bytes, newline included: a prefix of the text) into buf. */
static void spam_line(char *buf, uint32_t n, unsigned len)
{
	static const char text[SPAM_LINE + 1] =
		"spam line 00000000 the quick brown fox jumps over the lazy dog.\n";

	for (unsigned i = 0; i < len - 1; i++)
		buf[i] = text[i];
	for (int i = 17; i >= 10; i--, n /= 10)
		if ((unsigned)i < len - 1)
			buf[i] = (char)('0' + n % 10);
	buf[len - 1] = '\n';
}

void test_spam(void)
{
	static char buf[SPAM_HC_BYTES];
	const char *mode = arg_str("mode", "e9");
	uint32_t lines = 0, calls = 0, bytes = 0, accepted = 0;
	uint64_t t0, end;
	char sbuf[32];
	int hc = tg_streq(mode, "hc");
	unsigned len = arg_u32("line", SPAM_LINE);

	if (len < 1 || len > SPAM_LINE || SPAM_HC_BYTES % len)
		tg_fail_exit(2, "spam: FAIL line=%u: want a divisor of 4096 up to 64\n", len);
	if (!hc && !tg_streq(mode, "e9"))
		tg_fail_exit(2, "spam: FAIL unknown mode \"%s\" (e9, hc)\n", mode);
	if (hc && !tg_under_hv)
		tg_fail_exit(2, "spam: FAIL mode hc needs the hv\n");
	tg_printf("spam: %u-byte lines %s as fast as it can\n", len,
		  hc ? "by HC_CONSOLE, 4096 bytes a call," : "on port 0xE9");
	t0 = rdtsc();
	end = attack_end(t0);
	while (!end || rdtsc() < end) {
		if (hc) {
			for (unsigned i = 0; i < SPAM_HC_BYTES; i += len)
				spam_line(buf + i, lines++, len);
			long rc = hypercall(HC_CONSOLE, (uint32_t)buf, SPAM_HC_BYTES, 0);
			if (rc < 0)
				tg_fail_exit(1, "spam: FAIL HC_CONSOLE returned %ld\n", rc);
			accepted += (uint32_t)rc;
			bytes += SPAM_HC_BYTES;
			calls++;
		} else {
			spam_line(buf, lines++, len);
			for (unsigned i = 0; i < len; i++)
				outb(0xe9, (uint8_t)buf[i]);
			bytes += len;
		}
	}
	fmt_fixed(sbuf, rdtsc() - t0, tg_tsc_hz, 3);
	if (hc)
		tg_printf("spam: mode hc, %u calls, %u bytes offered, %u accepted in %s s (TSC)\n",
			  calls, bytes, accepted, sbuf);
	else
		tg_printf("spam: mode e9, %u lines, %u bytes in %s s (TSC)\n", lines, bytes, sbuf);
	guest_exit(0);
}

void test_clihlt(void)
{
	uint32_t woken = 0;

	attack_eoi = 1;
	idt_set_handler(IRQ_BASE + 0, attack_irq0);
	pic_set_mask(0xfffe);
	tg_printf("clihlt: PIT channel 0 mode 2 count 2, IRQ 0 unmasked; cli; hlt\n");
	attack_pit_fastest();
	cli();
	for (;;) {
		__asm__ volatile("hlt" ::: "memory");
		/* Only an NMI, SMI, INIT or reset ends a halt with IF = 0 (SDM "HLT"). */
		if (!woken++)
			tg_printf("clihlt: FAIL hlt with interrupts off returned\n");
	}
}
