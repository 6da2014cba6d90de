/*
 * The hv's log: a small printf to port 0xE9 (debug console) and to a
 * 16550 serial port the hv owns (COM1 unless a guest owns it).
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "fmt.h"

/* Chooses the serial port (0 = none) and programs it to 115200 8N1. */
void log_init(uint16_t serial_base);

/* Formats like printf (the conversions of fmt.h) to the log channels. */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into buf: the hv's names for fmt_vsnprintf and fmt_snprintf. */
#define log_vsnprintf fmt_vsnprintf
#define log_snprintf  fmt_snprintf

/* Writes raw bytes to port 0xE9 only (the trace channel shares it with the log). */
void log_write_debugcon(const char *s, size_t n);

/* Writes raw bytes to the log channels. */
void log_write(const char *s, size_t n);

/* Breaks an hv invariant: prints the message and stops the machine. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
