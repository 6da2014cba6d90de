/*
 * The little of libc the hv uses. In the EFI image memset/memcpy/memmove
 * come from gnu-efi's libefi (the compiler also emits calls to them); on the
 * host (unit tests) from the C library.
 */
#ifndef HV_LIB_H
#define HV_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef HOST_TEST
#include <string.h>
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
#endif

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

/* Returns the length of s, at most max. */
static inline size_t lib_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* Copies at most size-1 bytes of src into dst, always NUL-terminating. */
static inline void lib_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = lib_strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

#endif
