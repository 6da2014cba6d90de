/*
 * A small snprintf for freestanding code: the hv's log and the config
 * parser's error messages. Pure: no I/O, no state, no libc, so the same
 * file builds into the EFI image, tools/hvcfg and the host unit tests.
 */
#ifndef HV_FMT_H
#define HV_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Formats like printf into buf (size bytes; always NUL-terminated if size
 * > 0). Conversions: %d %i %u %x (l or ll: 64 bits), %p, %s, %c, %%; flags:
 * width, '0' (numbers: pad with zeros), '-' (%s: pad on the right).
 * Returns the length written, at most size - 1 (not the untruncated length).
 */
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
