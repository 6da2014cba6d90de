/* console.c: console output fan-out and blocking input support. */
#include "console.h"
#include "io.h"
#include "klib.h"
#include "proc.h"
#include "uart.h"

struct waitq console_readers;
static bool console_e9, console_panicking;

void console_init(uint16_t base, bool e9)
{
	console_e9 = e9;
	waitq_init(&console_readers);
	if (base && !uart_init(base)) {
		/* No UART there (e.g. under the hv without a COM port): 0xe9 only. */
		console_e9 = true;
	}
}

void console_write(const char *s, size_t n)
{
	if (console_e9)
		for (size_t i = 0; i < n; i++)
			outb(0xe9, (uint8_t)s[i]);
	if (console_panicking)
		uart_write_polled(s, n);
	else
		uart_write(s, n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vwrite(console_write, fmt, ap);
	va_end(ap);
}

void console_set_panic(void)
{
	console_panicking = true;
}

bool console_getc(uint8_t *c)
{
	return uart_getc(c);
}

void console_rx_ready(void)
{
	proc_wake_all(&console_readers);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	cpu_cli();
	console_set_panic();
	kprintf("\nKERNEL PANIC: ");
	va_start(ap, fmt);
	fmt_vwrite(console_write, fmt, ap);
	va_end(ap);
	kprintf("\n");
	proc_halt_system();
}
