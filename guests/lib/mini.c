/*
 * Printing for the small test guests: a printf (%s %c %d %u %x, width and
 * 0 flag, 'l' ignored: the guests are 32-bit) on port 0xE9.
 */
#include <stdarg.h>
#include "mini.h"

void putc_e9(char c)
{
	outb(0xe9, (uint8_t)c);
}

void puts_e9(const char *s)
{
	while (*s)
		putc_e9(*s++);
}

static void put_num(uint32_t v, unsigned base, int width, char pad, int neg)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		putc_e9(pad);
	while (n)
		putc_e9(tmp[--n]);
}

void printf_e9(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_e9(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0;
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l')
			fmt++;
		switch (*fmt) {
		case 'd': { int v = va_arg(ap, int); put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, width, pad, v < 0); break; }
		case 'u': put_num(va_arg(ap, uint32_t), 10, width, pad, 0); break;
		case 'x': put_num(va_arg(ap, uint32_t), 16, width, pad, 0); break;
		case 's': puts_e9(va_arg(ap, const char *)); break;
		case 'c': putc_e9((char)va_arg(ap, int)); break;
		default: putc_e9(*fmt); break;
		}
	}
	va_end(ap);
}
