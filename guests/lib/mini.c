/* Printing for the small test guests on port 0xE9, with lib/fmt.c. */
#include <stdarg.h>
#include "fmt.h"
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

static void put_e9(void *ctx, char c)
{
	putc_e9(c);
}

void vprintf_e9(const char *fmt, va_list ap)
{
	fmt_vformat(put_e9, NULL, fmt, ap);
}

void printf_e9(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf_e9(fmt, ap);
	va_end(ap);
}
