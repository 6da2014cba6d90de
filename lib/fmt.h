/*
 * printf-style formatting for freestanding code: the hv's log and config
 * errors, the guest OS's console, the test guests' 0xE9 output, and the
 * host tools and unit tests. Pure: no I/O, no state, no libc, and no
 * 64-bit division on 32-bit CPUs (the 32-bit guests link no libgcc).
 *
 * Conversions: %d %i %u %x %X (length l: long, ll: long long, z: size_t),
 * %p (0x and every hex digit of a pointer), %s (NULL: "(null)"), %c, %%;
 * flags '-' (pad on the right) and '0' (numbers: pad with zeros); a
 * minimum width. An unknown conversion is shown as written.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text one character at a time. */
typedef void fmt_put_fn(void *ctx, char c);

/* Formats into put(ctx, c); returns the number of characters it gave. */
size_t fmt_vformat(fmt_put_fn *put, void *ctx, const char *fmt, va_list ap);

/*
 * Formats into buf (size bytes; always NUL-terminated if size > 0).
 * Returns the length written, at most size - 1 (not the untruncated length).
 */
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Receives formatted text a piece at a time: a console or a log. */
typedef void fmt_write_fn(const char *s, size_t n);

/* The printf of a console: formats into a buffer of FMT_LINE_MAX bytes on the stack, then write(buf, length). */
#define FMT_LINE_MAX 512
void fmt_vwrite(fmt_write_fn *write, const char *fmt, va_list ap);

#endif
