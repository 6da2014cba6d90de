/*
 * tguest's small library: command-line key=value parsing, 64-bit division
 * (we link without libgcc: no 64-bit `/` or `%` anywhere in tguest),
 * printf with 64-bit conversions, the pass/fail check lines, TSC timing.
 */
#include "tguest.h"

/* ---- command line ---- */

#define ARGS_MAX     32
#define CMDLINE_MAX  512

static char args_buf[CMDLINE_MAX];
static const char *args_key[ARGS_MAX], *args_val[ARGS_MAX];
static unsigned args_n;

/* Splits "path key=value key2=value2 ..." into pairs; words without '=' are ignored. */
void args_parse(const char *cmdline)
{
	unsigned i = 0;
	char *p;

	while (cmdline && cmdline[i] && i < CMDLINE_MAX - 1) {
		args_buf[i] = cmdline[i];
		i++;
	}
	args_buf[i] = 0;
	p = args_buf;
	while (*p) {
		char *word, *eq = 0;

		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		word = p;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		if (*p)
			*p++ = 0;
		if (!eq || args_n == ARGS_MAX)
			continue;
		*eq = 0;
		args_key[args_n] = word;
		args_val[args_n] = eq + 1;
		args_n++;
	}
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

const char *arg_str(const char *key, const char *def)
{
	unsigned i;

	for (i = args_n; i-- > 0;)          /* the last one given wins */
		if (str_eq(args_key[i], key))
			return args_val[i];
	return def;
}

uint32_t arg_u32(const char *key, uint32_t def)
{
	const char *s = arg_str(key, 0);
	uint32_t v = 0, base = 10;
	const char *p;

	if (!s)
		return def;
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		uint32_t d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			goto bad;
		v = v * base + d;
	}
	return v;
bad:
	tg_fail_exit(2, "tguest: bad value \"%s\" for %s (want a number)\n", s, key);
}

/* ---- 64-bit division ---- */

uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	int i;

	if (d == 0) {
		if (rem)
			*rem = 0;
		return ~0ull;
	}
	if ((n >> 32) == 0 && (d >> 32) == 0) {
		uint32_t n32 = (uint32_t)n, d32 = (uint32_t)d;

		if (rem)
			*rem = n32 % d32;
		return n32 / d32;
	}
	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

/* ---- printing (lib/fmt.c, on the 0xE9 console) ---- */

void tg_vprintf(const char *fmt, va_list ap)
{
	vprintf_e9(fmt, ap);
}

void tg_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
}

void tg_fail_exit(uint8_t status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
	guest_exit(status);
}

char *fmt_fixed(char *buf, uint64_t num, uint64_t den, int decimals)
{
	uint64_t scale = 1, v, ip, fp;
	char tmp[24];
	int i, n = 0, k = 0;

	for (i = 0; i < decimals; i++)
		scale *= 10;
	v = udiv64(num * scale, den, 0);   /* callers keep num * 10^decimals below 2^64 */
	ip = udiv64(v, scale, &fp);
	do {
		uint64_t r;

		ip = udiv64(ip, 10, &r);
		tmp[n++] = (char)('0' + r);
	} while (ip);
	while (n)
		buf[k++] = tmp[--n];
	if (decimals) {
		buf[k++] = '.';
		for (i = decimals - 1; i >= 0; i--) {
			uint64_t r;

			fp = udiv64(fp, 10, &r);
			buf[k + i] = (char)('0' + r);
		}
		k += decimals;
	}
	buf[k] = 0;
	return buf;
}

/* ---- checks ---- */

int check(struct checks *c, const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	c->n++;
	if (ok) {
		tg_printf("%s: %s ok\n", c->prefix, name);
		return 1;
	}
	c->failed++;
	tg_printf("%s: %s FAIL (", c->prefix, name);
	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
	puts_e9(")\n");
	return 0;
}

void check_skip(struct checks *c, const char *name, const char *why)
{
	c->skipped++;
	tg_printf("%s: %s skipped (%s)\n", c->prefix, name, why);
}

void checks_finish(struct checks *c)
{
	tg_printf("%s: %u checks, %u failed\n", c->prefix, c->n, c->failed);
	guest_exit(c->failed ? 1 : 0);
}

/* ---- time ---- */

/*
 * PIT channel 2, mode 0, ~10 ms: gate on (port 0x61 bit 0), speaker off
 * (bit 1), then poll OUT (port 0x61 bit 5), which goes high at terminal count.
 */
uint64_t tsc_calibrate_pit2(void)
{
	const uint32_t count = (PIT_HZ + 50) / 100;          /* 10 ms */
	uint64_t t0, t1, limit;
	uint32_t spins = 0;
	uint8_t p61 = inb(0x61);

	outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
	outb(0x43, 0xb0);                                     /* ch2, lo/hi, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	t0 = rdtsc();
	limit = 100000000;                                    /* port reads: a generous bound */
	while (!(inb(0x61) & 0x20)) {
		if (++spins == limit) {
			outb(0x61, p61);
			tg_fail_exit(2, "tguest: FAIL PIT channel 2 OUT never went high (port 0x61 = 0x%x)\n",
				     inb(0x61));
		}
	}
	t1 = rdtsc();
	outb(0x61, p61);
	return udiv64((t1 - t0) * PIT_HZ, count, 0);
}

uint64_t tsc_from_us(uint64_t us)
{
	return udiv64(us * tg_tsc_hz, 1000000, 0);
}

void delay_us(uint64_t us)
{
	uint64_t t0 = rdtsc(), n = tsc_from_us(us);

	while (rdtsc() - t0 < n)
		cpu_relax();
}
