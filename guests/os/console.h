/* console.h: kernel console = the serial port, optionally mirrored to port 0xe9. */
#ifndef OS_CONSOLE_H
#define OS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sched.h"

/* Sets up the console on the UART at base (0 = none) and the 0xe9 mirror. */
void console_init(uint16_t base, bool e9);
/* Writes n bytes to every console output. */
void console_write(const char *s, size_t n);
/* Formatted output (fmt_vsnprintf), at most 512 bytes per call. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Switches every output to polling (for panics, with interrupts off). */
void console_set_panic(void);
/* Takes one input byte; returns false if none. */
bool console_getc(uint8_t *c);
/* Called from the UART IRQ: wakes tasks waiting for input. */
void console_rx_ready(void);
/* Tasks waiting for console input (woken by console_rx_ready). */
extern struct waitq console_readers;

/* Stops the kernel: prints the message and halts forever (interrupts off). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
