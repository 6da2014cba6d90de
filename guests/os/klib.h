/* klib.h: the few libc-like helpers the kernel needs (freestanding). */
#ifndef OS_KLIB_H
#define OS_KLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONTAINER_OF(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copies at most n-1 chars and always terminates (n > 0). */
void klib_strlcpy(char *d, const char *s, size_t n);
/* Parses an unsigned number (0x prefix = hex, else decimal, or base if != 0).
 * Sets *end past the digits; returns the value. */
uint64_t klib_strtoul(const char *s, const char **end, int base);
/* printf subset: %d %i %u %x %X %p %s %c %%, with l/ll/z, width, 0 and - flags.
 * Returns the length it wanted to write. */
int klib_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int klib_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
