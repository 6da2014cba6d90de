/*
 * Log output. Port 0xE9 is Bochs' and QEMU's debug console; the serial
 * port reaches a file or terminal on every backend. Output is polled: the
 * hv logs rarely and must never depend on interrupts to do it.
 */
#include "lib.h"
#include "log.h"
#include "fmt.h"
#include "cpu.h"

static uint16_t log_serial;

void log_init(uint16_t serial_base)
{
	log_serial = serial_base;
	if (!serial_base)
		return;
	outb(serial_base + 1, 0x00);    /* no interrupts */
	outb(serial_base + 3, 0x80);    /* DLAB */
	outb(serial_base + 0, 0x01);    /* divisor 1: 115200 baud */
	outb(serial_base + 1, 0x00);
	outb(serial_base + 3, 0x03);    /* 8N1 */
	outb(serial_base + 2, 0xc7);    /* FIFO on, cleared */
	outb(serial_base + 4, 0x03);    /* DTR, RTS */
}

static void serial_putc(char c)
{
	for (int spin = 0; spin < 100000 && !(inb(log_serial + 5) & 0x20); spin++)
		cpu_pause();
	outb(log_serial, (uint8_t)c);
}

void log_write_debugcon(const char *s, size_t n)
{
	/* REP OUTSB: one instruction, however long the line. */
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((uint16_t)0xe9) : "memory");
}

void log_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		outb(0xe9, (uint8_t)s[i]);
		if (log_serial) {
			if (s[i] == '\n')
				serial_putc('\r');
			serial_putc(s[i]);
		}
	}
}

static void log_vprintf(const char *fmt, va_list ap)
{
	char buf[512];

	log_write(buf, fmt_vsnprintf(buf, sizeof(buf), fmt, ap));
}

void log_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	log_write("hv: PANIC: ", 11);
	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
	log_write("\nhv: halted\n", 12);
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}
