/* klib.c: string and formatting helpers for a freestanding kernel. */
#include "klib.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void klib_strlcpy(char *d, const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n && s[i]; i++)
		d[i] = s[i];
	d[i] = 0;
}

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

struct klib_out {
	char *buf;
	size_t n, len;
};

static void klib_put(struct klib_out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void klib_put_num(struct klib_out *o, uint64_t v, int base, bool neg,
			 int width, bool zero, bool left, bool upper)
{
	char tmp[24];
	int i = 0;
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		tmp[i++] = dig[v % (uint64_t)base];
		v /= (uint64_t)base;
	} while (v);
	int len = i + (neg ? 1 : 0);
	if (neg && zero)
		klib_put(o, '-');
	for (; !left && len < width; len++)
		klib_put(o, zero ? '0' : ' ');
	if (neg && !zero)
		klib_put(o, '-');
	while (i)
		klib_put(o, tmp[--i]);
	for (; left && len < width; len++)
		klib_put(o, ' ');
}

static void klib_put_str(struct klib_out *o, const char *s, int width, bool left)
{
	int len = (int)strlen(s);
	for (; !left && len < width; width--)
		klib_put(o, ' ');
	while (*s)
		klib_put(o, *s++);
	for (; left && len < width; width--)
		klib_put(o, ' ');
}

int klib_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct klib_out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			klib_put(&o, *fmt);
			continue;
		}
		fmt++;
		bool zero = false, left = false;
		int width = 0, lng = 0;
		for (; *fmt == '0' || *fmt == '-'; fmt++)
			*fmt == '0' ? (zero = true) : (left = true);
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		uint64_t u;
		switch (*fmt) {
		case 'd': case 'i': {
			int64_t s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			u = s < 0 ? (uint64_t)-s : (uint64_t)s;
			klib_put_num(&o, u, 10, s < 0, width, zero, left, false);
			break;
		}
		case 'u': case 'x': case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			klib_put_num(&o, u, *fmt == 'u' ? 10 : 16, false, width, zero, left, *fmt == 'X');
			break;
		case 'p':
			klib_put(&o, '0');
			klib_put(&o, 'x');
			klib_put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, 16, true, false, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			klib_put_str(&o, s ? s : "(null)", width, left);
			break;
		}
		case 'c':
			klib_put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			klib_put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			klib_put(&o, '%');
			klib_put(&o, *fmt);
		}
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}

int klib_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = klib_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
