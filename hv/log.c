/*
 * Log output. Port 0xE9 is Bochs' and QEMU's debug console; the serial
 * port reaches a file or terminal on every backend. Output is polled: the
 * hv logs rarely and must never depend on interrupts to do it.
 */
#include "lib.h"
#include "log.h"
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

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Emits v in base with at least width digits, padded with pad. */
static void out_num(struct out *o, uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		out_c(o, '-');
	for (int w = n + (neg ? 1 : 0); w < width; w++)
		out_c(o, pad);
	if (neg && pad != '0')
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
}

/* Formats one conversion at *fmt (after '%'). Returns the advanced fmt. */
static const char *out_conv(struct out *o, const char *fmt, va_list *ap)
{
	char pad = ' ';
	int width = 0, lng = 0;
	bool left = false;

	if (*fmt == '-')
		left = true, fmt++;
	if (*fmt == '0')
		pad = '0', fmt++;
	while (*fmt >= '0' && *fmt <= '9')
		width = width * 10 + (*fmt++ - '0');
	while (*fmt == 'l')
		lng++, fmt++;
	switch (*fmt) {
	case 'd': case 'i': {
		int64_t v = lng ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		out_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
		break;
	}
	case 'u': case 'x': {
		uint64_t v = lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
		out_num(o, v, *fmt == 'u' ? 10 : 16, width, pad, false);
		break;
	}
	case 'p':
		out_c(o, '0'), out_c(o, 'x');
		out_num(o, (uintptr_t)va_arg(*ap, void *), 16, 16, '0', false);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		int n = 0;
		s = s ? s : "(null)";
		while (s[n])
			n++;
		for (int w = n; !left && w < width; w++)
			out_c(o, ' ');
		for (int i = 0; i < n; i++)
			out_c(o, s[i]);
		for (int w = n; left && w < width; w++)
			out_c(o, ' ');
		break;
	}
	case 'c':
		out_c(o, (char)va_arg(*ap, int));
		break;
	default:
		out_c(o, '%');
		if (*fmt)
			out_c(o, *fmt);
	}
	return *fmt ? fmt + 1 : fmt;
}

size_t log_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%')
			out_c(&o, *fmt++);
		else
			fmt = out_conv(&o, fmt + 1, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len < size ? o.len : (size ? size - 1 : 0);
}

size_t log_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = log_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void log_vprintf(const char *fmt, va_list ap)
{
	char buf[512];

	log_write(buf, log_vsnprintf(buf, sizeof(buf), fmt, ap));
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
