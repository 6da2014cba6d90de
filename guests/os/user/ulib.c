/* ulib.c: the user-side runtime. */
#include "ulib.h"

int64_t sys_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r10 __asm__("r10") = a3;
	int64_t ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
			 : "memory");
	return ret;
}

void u_exit(int status)
{
	sys_call(SYS_EXIT, (uint64_t)status, 0, 0, 0);
	for (;;)
		;
}

int u_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = (int)fmt_vsnprintf(buf, sizeof(buf), fmt, ap);     /* at most 255 */
	va_end(ap);
	u_write(buf, (uint64_t)n);
	return n;
}

bool u_word(const char **s, char *w, unsigned n)
{
	const char *p = *s;
	unsigned len = 0;
	while (*p == ' ')
		p++;
	if (!*p)
		return false;
	while (*p && *p != ' ') {
		if (len + 1 < n)
			w[len++] = *p;
		p++;
	}
	w[len] = 0;
	*s = p;
	return true;
}

uint32_t u_fnv(uint32_t h, const void *p, uint64_t n)
{
	const uint8_t *b = p;
	while (n--)
		h = (h ^ *b++) * 0x01000193u;
	return h;
}
