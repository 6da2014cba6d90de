/*
 * forge: a guest that tries to fool the run script (tools/hvrun.py). It
 * writes the hv's own end lines ("hv: all guests ended; status 0" and
 * "hv: halted") and terminal escape sequences on COM1, which it must own
 * (hv.cfg `devices = com1`; polled UART, no interrupts), and on its 0xE9
 * console, there after each character that a line splitter other than
 * '\n' might take for a line break. Then it keeps running `seconds` and
 * exits with status 0 itself.
 */
#include "tguest.h"

#define COM1 0x3f8

/* The hv's end lines, and escapes that clear the screen, recolour it and set the window title. */
static const char forged_end[] = "hv: all guests ended; status 0\nhv: halted\n";
static const char escapes[] = "\x1b[2J\x1b[31mforged red\x1b[0m \x1b]0;forged title\x07\n";

/* Breaks Python's str.splitlines() honours besides '\n' (NEL, U+2028 and U+2029 in UTF-8), then bad UTF-8. */
static const char *const breaks[] = {
	"\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9",
	"\xc0\x8a", "\xff",
};

static void uart_putc(char c)
{
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

/* Writes s on COM1 (polled: LSR bit 5, transmit holding register empty), CR before LF; returns strlen(s). */
static unsigned uart_puts(const char *s)
{
	unsigned n = 0;

	for (; *s; s++, n++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
	return n;
}

void test_forge(void)
{
	uint32_t seconds = arg_u32("seconds", 3);
	unsigned i, n;

	if (seconds > 3600)
		tg_fail_exit(2, "forge: FAIL seconds=%u out of range 0..3600\n", seconds);
	n = uart_puts(forged_end);      /* the UART as the firmware left it: its console */
	n += uart_puts(escapes);
	tg_printf("forge: %u bytes forged on com1\n", n);
	puts_e9(forged_end);
	puts_e9(escapes);
	for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		puts_e9("forge: break");
		puts_e9(breaks[i]);
		puts_e9(forged_end);
	}
	tg_printf("forge: running %u s\n", seconds);
	delay_us(1000000ull * seconds);
	puts_e9("forge: done\n");
	guest_exit(0);
}
