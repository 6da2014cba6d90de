/* klib.h: the kernel's small helpers, and lib/'s strings and formatter. */
#ifndef OS_KLIB_H
#define OS_KLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "fmt.h"
#include "strmem.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONTAINER_OF(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* Parses an unsigned number (0x prefix = hex, else decimal, or base if != 0).
 * Sets *end past the digits; returns the value. */
uint64_t klib_strtoul(const char *s, const char **end, int base);

#endif
