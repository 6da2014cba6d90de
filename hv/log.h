/*
 * The hv's log: a small printf to port 0xE9 (debug console) and to a
 * 16550 serial port the hv owns (COM1 unless a guest owns it).
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Chooses the serial port (0 = none) and programs it to 115200 8N1. */
void log_init(uint16_t serial_base);

/* Formats like printf: %s %c %d %i %u %x %p %%, with l/ll, width and 0 flag. */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into buf (size bytes, always terminated). Returns the length written. */
size_t log_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t log_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes raw bytes to the log channels. */
void log_write(const char *s, size_t n);

/* Breaks an hv invariant: prints the message and stops the machine. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
