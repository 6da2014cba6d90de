/*
 * The formatter (contract in fmt.h). One pass, output through a callback:
 * fmt_vsnprintf's callback counts what does not fit and drops it, so one
 * pass serves every buffer size.
 */
#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"

struct fmt_out {
	fmt_put_fn *put;
	void *ctx;
	size_t len;
};

static void out_c(struct fmt_out *o, char c)
{
	o->put(o->ctx, c);
	o->len++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_c(o, c);
}

/*
 * v / base, the remainder in *rem. Where long is 32 bits the division goes
 * in 16-bit steps, so that the compiler emits no call to libgcc's
 * __udivdi3: each step's dividend is below base * 2^16. (FMT_DIV16 forces
 * the steps on a 64-bit host, for the unit tests.)
 */
static uint64_t fmt_div(uint64_t v, unsigned base, unsigned *rem)
{
#if __SIZEOF_LONG__ > 4 && !defined(FMT_DIV16)
	*rem = (unsigned)(v % base);
	return v / base;
#else
	uint32_t r = 0, q[4], part;
	int i;

	for (i = 3; i >= 0; i--) {
		part = (r << 16) | (uint32_t)(v >> (16 * i) & 0xffff);
		q[i] = part / base;
		r = part % base;
	}
	*rem = r;
	return (uint64_t)(q[3] << 16 | q[2]) << 32 | (q[1] << 16 | q[0]);
#endif
}

/* Emits v in base, at least width characters with the sign, padded as asked. */
static void out_num(struct fmt_out *o, uint64_t v, unsigned base, bool upper, bool neg,
		    int width, char pad, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned r;
	int n = 0;

	do {
		v = fmt_div(v, base, &r);
		tmp[n++] = digits[r];
	} while (v);
	width -= n + (neg ? 1 : 0);
	if (left)
		pad = ' ';
	if (neg && pad == '0')
		out_c(o, '-');
	if (!left)
		out_pad(o, pad, width);
	if (neg && pad != '0')
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', width);
}

/* Emits s (NULL: "(null)") padded with spaces to width. */
static void out_str(struct fmt_out *o, const char *s, int width, bool left)
{
	int n = 0;

	s = s ? s : "(null)";
	while (s[n])
		n++;
	if (!left)
		out_pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		out_c(o, s[i]);
	if (left)
		out_pad(o, ' ', width - n);
}

/* Formats one conversion at *fmt (after '%'). Returns the advanced fmt. */
static const char *out_conv(struct fmt_out *o, const char *fmt, va_list *ap)
{
	char pad = ' ';
	int width = 0, lng = 0;
	bool left = false;
	uint64_t u;
	int64_t v;

	for (;; fmt++) {
		if (*fmt == '-')
			left = true;
		else if (*fmt == '0')
			pad = '0';
		else
			break;
	}
	while (*fmt >= '0' && *fmt <= '9')
		width = width * 10 + (*fmt++ - '0');
	for (; *fmt == 'l' || *fmt == 'z'; fmt++)
		lng += *fmt == 'l' ? 1 : 1 + (sizeof(size_t) > sizeof(long));
	switch (*fmt) {
	case 'd': case 'i':
		v = lng > 1 ? va_arg(*ap, long long) : lng ? va_arg(*ap, long) : va_arg(*ap, int);
		out_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, width, pad, left);
		break;
	case 'u': case 'x': case 'X':
		u = lng > 1 ? va_arg(*ap, unsigned long long)
		    : lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned);
		out_num(o, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, pad, left);
		break;
	case 'p':
		out_c(o, '0'), out_c(o, 'x');
		out_num(o, (uintptr_t)va_arg(*ap, void *), 16, false, false,
			2 * sizeof(void *), '0', false);
		break;
	case 's':
		out_str(o, va_arg(*ap, const char *), width, left);
		break;
	case 'c':
		out_c(o, (char)va_arg(*ap, int));
		break;
	case '%':
		out_c(o, '%');
		break;
	default:        /* unknown: shown as written */
		out_c(o, '%');
		if (*fmt)
			out_c(o, *fmt);
	}
	return *fmt ? fmt + 1 : fmt;
}

size_t fmt_vformat(fmt_put_fn *put, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = { put, ctx, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%')
			out_c(&o, *fmt++);
		else
			fmt = out_conv(&o, fmt + 1, &aq);
	}
	va_end(aq);
	return o.len;
}

struct fmt_buf {
	char *buf;
	size_t size, len;
};

static void buf_put(void *ctx, char c)
{
	struct fmt_buf *b = ctx;

	if (b->len + 1 < b->size)
		b->buf[b->len++] = c;
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { buf, size, 0 };

	fmt_vformat(buf_put, &b, fmt, ap);
	if (size)
		buf[b.len] = 0;
	return b.len;
}

size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void fmt_vwrite(fmt_write_fn *write, const char *fmt, va_list ap)
{
	char buf[FMT_LINE_MAX];

	write(buf, fmt_vsnprintf(buf, sizeof(buf), fmt, ap));
}
