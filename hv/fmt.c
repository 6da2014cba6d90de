/*
 * snprintf for the hv and the config parser (contract in fmt.h). Output
 * beyond the buffer is counted but dropped, so one pass serves every size.
 */
#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Emits v in base with at least width digits, padded with pad. */
static void out_num(struct out *o, uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		out_c(o, '-');
	for (int w = n + (neg ? 1 : 0); w < width; w++)
		out_c(o, pad);
	if (neg && pad != '0')
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
}

/* Emits s (NULL: "(null)") padded with spaces to width, on the left unless left. */
static void out_str(struct out *o, const char *s, int width, bool left)
{
	int n = 0;

	s = s ? s : "(null)";
	while (s[n])
		n++;
	for (int w = n; !left && w < width; w++)
		out_c(o, ' ');
	for (int i = 0; i < n; i++)
		out_c(o, s[i]);
	for (int w = n; left && w < width; w++)
		out_c(o, ' ');
}

/* Formats one conversion at *fmt (after '%'). Returns the advanced fmt. */
static const char *out_conv(struct out *o, const char *fmt, va_list *ap)
{
	char pad = ' ';
	int width = 0, lng = 0;
	bool left = false;

	if (*fmt == '-')
		left = true, fmt++;
	if (*fmt == '0')
		pad = '0', fmt++;
	while (*fmt >= '0' && *fmt <= '9')
		width = width * 10 + (*fmt++ - '0');
	while (*fmt == 'l')
		lng++, fmt++;
	switch (*fmt) {
	case 'd': case 'i': {
		int64_t v = lng ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		out_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
		break;
	}
	case 'u': case 'x': {
		uint64_t v = lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
		out_num(o, v, *fmt == 'u' ? 10 : 16, width, pad, false);
		break;
	}
	case 'p':
		out_c(o, '0'), out_c(o, 'x');
		out_num(o, (uintptr_t)va_arg(*ap, void *), 16, 16, '0', false);
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

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%')
			out_c(&o, *fmt++);
		else
			fmt = out_conv(&o, fmt + 1, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len < size ? o.len : (size ? size - 1 : 0);
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
