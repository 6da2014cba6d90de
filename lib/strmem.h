/*
 * String and memory functions for freestanding code. Hosted builds (the
 * unit tests and host tools: __STDC_HOSTED__) take them from the C
 * library; freestanding ones from lib/ (mem.c, strlen.c, strcmp.c: one
 * archive member per need, so a program links only what it calls), but
 * the EFI image takes memset/memcpy/memmove from gnu-efi's libefi (linked
 * before lib/, see mk/lib.mk).
 */
#ifndef LIB_STRMEM_H
#define LIB_STRMEM_H

#include <stddef.h>

#if __STDC_HOSTED__
#include <string.h>
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

/* Returns the length of s, at most max. */
static inline size_t lib_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* Copies at most size - 1 bytes of src into dst, always NUL-terminating (size > 0). */
static inline void lib_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = lib_strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

#endif
