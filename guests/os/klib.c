/* klib.c: the kernel's own helpers beside lib/ (strings, formatting: lib/). */
#include "klib.h"

static int klib_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

uint64_t klib_strtoul(const char *s, const char **end, int base)
{
	uint64_t v = 0;
	if (!base) {
		base = 10;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			base = 16, s += 2;
	} else if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	while (klib_digit(*s) < base)
		v = v * (uint64_t)base + (uint64_t)klib_digit(*s++);
	if (end)
		*end = s;
	return v;
}
