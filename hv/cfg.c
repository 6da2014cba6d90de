/*
 * hv.cfg parser: text -> struct hv_config, with every check the hv needs
 * before it boots anything (include/hvcfg.h has the contract, docs/config.md
 * the format).
 *
 * The same file is linked into the EFI image and into tools/hvcfg, so it is
 * freestanding: no libc, no allocation; the input is a (text, len) slice and
 * never needs a terminating NUL. Every error stops the parse and names the
 * line, the cause and the offending value.
 */
#include "hvcfg.h"

#define CFG_PAGE          4096ull
#define CFG_MEM_MIN       (1ull << 20)
#define CFG_MEM_MAX       (1ull << 30)
#define CFG_SLICE_MIN     100u
#define CFG_SLICE_MAX     1000000u
#define CFG_SHOW_MAX      40     /* longest piece of input quoted in a message */

/* A slice of the input text; not NUL-terminated. */
struct cfg_str {
	const char *p;
	size_t n;
};

enum cfg_section { CFG_SEC_NONE, CFG_SEC_HV, CFG_SEC_GUEST };

enum cfg_key {
	CFG_KEY_TIMESLICE, CFG_KEY_IMAGE, CFG_KEY_CMDLINE, CFG_KEY_MEMORY,
	CFG_KEY_CPU, CFG_KEY_PORTS, CFG_KEY_IRQS, CFG_KEY_DEVICES,
	CFG_KEY_RESTART, CFG_KEY_TEST_FAULT, CFG_KEY_COUNT
};

struct cfg_parser {
	struct hv_config *cfg;
	struct cfg_error *err;
	int line;                       /* line being parsed, 1-based */
	enum cfg_section section;
	struct cfg_guest *guest;        /* current [guest] section, or NULL */
	uint16_t key_line[CFG_KEY_COUNT]; /* per section: line of each key seen */
	int hv_line;                    /* line of [hv], 0 if none yet */
};

typedef int (*cfg_setter)(struct cfg_parser *ps, struct cfg_str v);

struct cfg_keydef {
	const char *name;
	enum cfg_section section;
	cfg_setter set;
};

/* Ports the hv emulates per guest; granting one would bypass the emulation. */
static const struct {
	uint16_t first, last;
	const char *what;
} cfg_reserved[] = {
	{ 0x020, 0x021, "pic" },   { 0x0a0, 0x0a1, "pic" },
	{ 0x040, 0x043, "pit" },   { 0x061, 0x061, "pit" },
	{ 0x070, 0x071, "cmos" },  { 0x4d0, 0x4d1, "pic elcr" },
	{ 0xcf8, 0xcff, "pci config" },
	{ 0x0e9, 0x0e9, "debug console" }, { 0x0f4, 0x0f4, "debug exit" },
};

/* What each device expands to; see enum cfg_device. */
static const struct {
	const char *name;
	uint32_t bit;
	uint16_t ports[2][2];           /* up to two ranges; {0,0} = none */
	int irq;                        /* -1 = none */
} cfg_devices[] = {
	{ "com1", CFG_DEV_COM1, { { 0x3f8, 0x3ff }, { 0, 0 } }, 4 },
	{ "com2", CFG_DEV_COM2, { { 0x2f8, 0x2ff }, { 0, 0 } }, 3 },
	{ "ide0", CFG_DEV_IDE0, { { 0x1f0, 0x1f7 }, { 0x3f6, 0x3f6 } }, 14 },
	{ "ide1", CFG_DEV_IDE1, { { 0x170, 0x177 }, { 0x376, 0x376 } }, 15 },
	{ "vga",  CFG_DEV_VGA,  { { 0, 0 }, { 0, 0 } }, -1 },
};

#define CFG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small freestanding helpers ------------------------------------- */

static size_t cfg_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void cfg_memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
}

/* True if the slice equals the NUL-terminated word. */
static bool cfg_eq(struct cfg_str s, const char *word)
{
	size_t n = cfg_strlen(word);
	size_t i;

	if (s.n != n)
		return false;
	for (i = 0; i < n; i++)
		if (s.p[i] != word[i])
			return false;
	return true;
}

static bool cfg_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static struct cfg_str cfg_trim(struct cfg_str s)
{
	while (s.n && cfg_is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && cfg_is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static void cfg_copy(char *dst, struct cfg_str s)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		dst[i] = s.p[i];
	dst[s.n] = '\0';
}

/* ---- error messages: a tiny printf for the few formats we need ------- */

struct cfg_out {
	char *buf;
	size_t len, cap;
};

static void cfg_put(struct cfg_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
	o->buf[o->len] = '\0';
}

static void cfg_put_str(struct cfg_out *o, const char *s, size_t n)
{
	size_t i;

	/* Input text is shown clipped and with control bytes made visible. */
	for (i = 0; i < n && i < CFG_SHOW_MAX; i++)
		cfg_put(o, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
	if (n > CFG_SHOW_MAX)
		cfg_put_str(o, "...", 3);
}

static void cfg_put_num(struct cfg_out *o, uint64_t v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		cfg_put_str(o, "0x", 2);
	while (n)
		cfg_put(o, tmp[--n]);
}

/* Memory sizes are shown in the largest unit that divides them exactly. */
static void cfg_put_size(struct cfg_out *o, uint64_t v)
{
	static const char units[] = "GMK";
	int shift = 30, i;

	for (i = 0; i < 3; i++, shift -= 10) {
		if (v && (v & ((1ull << shift) - 1)) == 0) {
			cfg_put_num(o, v >> shift, 10);
			cfg_put(o, units[i]);
			return;
		}
	}
	cfg_put_num(o, v, 10);
}

/*
 * One conversion of cfg_fail's format: %s C string, %S struct cfg_str *,
 * %d int, %x unsigned as 0x.., %R two unsigned (a port or a port range),
 * %m uint64_t memory size. Uses the compiler's va_list builtins: no
 * <stdarg.h> in freestanding hv code.
 */
static void cfg_put_conv(struct cfg_out *o, char conv, __builtin_va_list *ap)
{
	const struct cfg_str *str;
	const char *s;
	unsigned a, b;
	int v;

	switch (conv) {
	case 's':
		s = __builtin_va_arg(*ap, const char *);
		cfg_put_str(o, s, cfg_strlen(s));
		break;
	case 'S':
		str = __builtin_va_arg(*ap, const struct cfg_str *);
		cfg_put_str(o, str->p, str->n);
		break;
	case 'd':
		v = __builtin_va_arg(*ap, int);
		if (v < 0)
			cfg_put(o, '-');
		cfg_put_num(o, v < 0 ? 0u - (unsigned)v : (unsigned)v, 10);
		break;
	case 'x':
		cfg_put_num(o, __builtin_va_arg(*ap, unsigned), 16);
		break;
	case 'R':
		a = __builtin_va_arg(*ap, unsigned);
		b = __builtin_va_arg(*ap, unsigned);
		cfg_put_num(o, a, 16);
		if (b != a) {
			cfg_put(o, '-');
			cfg_put_num(o, b, 16);
		}
		break;
	case 'm':
		cfg_put_size(o, __builtin_va_arg(*ap, uint64_t));
		break;
	}
}

/* Formats a message (see cfg_put_conv) into the error at line; returns -1. */
static int cfg_fail(struct cfg_parser *ps, int line, const char *fmt, ...)
{
	struct cfg_out o = { ps->err->msg, 0, CFG_MSG_MAX };
	__builtin_va_list ap;

	ps->err->line = line;
	o.buf[0] = '\0';
	__builtin_va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt == '%' && fmt[1])
			cfg_put_conv(&o, *++fmt, &ap);
		else
			cfg_put(&o, *fmt);
	}
	__builtin_va_end(ap);
	return -1;
}

/* ---- numbers --------------------------------------------------------- */

/*
 * Parses a leading decimal or 0x-hex number of s; *rest gets what follows.
 * Returns 0 on success, -1 if there are no digits or it overflows 64 bits.
 */
static int cfg_parse_prefix(struct cfg_str s, uint64_t *v, struct cfg_str *rest)
{
	unsigned base = 10;
	size_t i = 0, start;
	uint64_t acc = 0;

	if (s.n > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (start = i; i < s.n; i++) {
		char c = s.p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (acc > (UINT64_MAX - d) / base)
			return -1;
		acc = acc * base + d;
	}
	if (i == start)
		return -1;
	*v = acc;
	rest->p = s.p + i;
	rest->n = s.n - i;
	return 0;
}

/* Returns 0 and *v if s is exactly one number, else -1. */
static int cfg_parse_num(struct cfg_str s, uint64_t *v)
{
	struct cfg_str rest;

	if (cfg_parse_prefix(s, v, &rest) < 0 || rest.n != 0)
		return -1;
	return 0;
}

/* Parses a number in [lo, hi] for key `what`. Returns 0, or -1 with err. */
static int cfg_parse_ranged(struct cfg_parser *ps, struct cfg_str s,
			    const char *what, uint64_t lo, uint64_t hi,
			    uint64_t *v)
{
	if (cfg_parse_num(s, v) < 0)
		return cfg_fail(ps, ps->line, "bad number '%S' for %s", &s, what);
	if (*v < lo || *v > hi)
		return cfg_fail(ps, ps->line, "%s %S out of range (%d..%d)",
				what, &s, (int)lo, (int)hi);
	return 0;
}

/* ---- lists ----------------------------------------------------------- */

/*
 * Takes the next comma-separated item of *list into *item (trimmed).
 * Returns 1 if there was one, 0 at the end, -1 (with err) if it is empty.
 */
static int cfg_next_item(struct cfg_parser *ps, struct cfg_str *list,
			 struct cfg_str *item)
{
	size_t i = 0;

	if (list->p == NULL)
		return 0;
	while (i < list->n && list->p[i] != ',')
		i++;
	item->p = list->p;
	item->n = i;
	*item = cfg_trim(*item);
	if (i < list->n) {
		list->p += i + 1;
		list->n -= i + 1;
	} else {
		list->p = NULL;
	}
	if (item->n == 0)
		return cfg_fail(ps, ps->line, "empty item in list");
	return 1;
}

/* ---- resources: ports, IRQs, devices --------------------------------- */

static bool cfg_overlap(unsigned a1, unsigned a2, unsigned b1, unsigned b2)
{
	return a1 <= b2 && b1 <= a2;
}

static unsigned cfg_max(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* Returns -1 (with err) if [first, last] touches a port the hv emulates. */
static int cfg_check_reserved(struct cfg_parser *ps, unsigned first,
			      unsigned last)
{
	size_t i;

	for (i = 0; i < CFG_NELEM(cfg_reserved); i++) {
		unsigned r1 = cfg_reserved[i].first, r2 = cfg_reserved[i].last;

		if (cfg_overlap(first, last, r1, r2))
			return cfg_fail(ps, ps->line,
					"port %x is emulated by the hv (%s) and cannot be given",
					cfg_max(first, r1), cfg_reserved[i].what);
	}
	return 0;
}

/* Returns -1 (with err) if [first, last] is already owned by any guest. */
static int cfg_check_port_owner(struct cfg_parser *ps, unsigned first,
				unsigned last)
{
	const struct cfg_guest *me = ps->guest;
	const struct cfg_guest *g;
	int i;

	for (i = 0; i < me->nports; i++) {
		const struct cfg_range *r = &me->ports[i];

		if (cfg_overlap(first, last, r->first, r->last))
			return cfg_fail(ps, ps->line,
					"port %R overlaps %R given at line %d",
					first, last, (unsigned)r->first,
					(unsigned)r->last, (int)r->line);
	}
	for (g = ps->cfg->guests; g < me; g++) {
		for (i = 0; i < g->nports; i++) {
			const struct cfg_range *r = &g->ports[i];

			if (cfg_overlap(first, last, r->first, r->last))
				return cfg_fail(ps, ps->line,
						"port %x already given to guest %s (line %d)",
						cfg_max(first, r->first), g->name,
						(int)r->line);
		}
	}
	return 0;
}

/* Grants [first, last] to the current guest. Returns 0, or -1 with err. */
static int cfg_add_ports(struct cfg_parser *ps, unsigned first, unsigned last)
{
	struct cfg_guest *g = ps->guest;
	struct cfg_range *r;

	if (cfg_check_reserved(ps, first, last) < 0 ||
	    cfg_check_port_owner(ps, first, last) < 0)
		return -1;
	if (g->nports == CFG_MAX_PORTS)
		return cfg_fail(ps, ps->line, "too many port ranges (max %d)",
				CFG_MAX_PORTS);
	r = &g->ports[g->nports++];
	r->first = (uint16_t)first;
	r->last = (uint16_t)last;
	r->line = (uint16_t)ps->line;
	return 0;
}

/* Grants IRQ line irq to the current guest. Returns 0, or -1 with err. */
static int cfg_add_irq(struct cfg_parser *ps, int irq)
{
	struct cfg_guest *me = ps->guest;
	const struct cfg_guest *g;

	/* The hv owns the PIT (IRQ 0) and the 8259 cascade input (IRQ 2). */
	if (irq == 0)
		return cfg_fail(ps, ps->line,
				"irq 0 is the timer, owned by the hv");
	if (irq == 2)
		return cfg_fail(ps, ps->line,
				"irq 2 is the pic cascade and cannot be given");
	if (me->irqs & (1u << irq))
		return cfg_fail(ps, ps->line, "irq %d given twice (line %d)",
				irq, (int)me->irq_line[irq]);
	for (g = ps->cfg->guests; g < me; g++)
		if (g->irqs & (1u << irq))
			return cfg_fail(ps, ps->line,
					"irq %d already given to guest %s (line %d)",
					irq, g->name, (int)g->irq_line[irq]);
	me->irqs |= (uint16_t)(1u << irq);
	me->irq_line[irq] = (uint16_t)ps->line;
	return 0;
}

/* Grants device d (index into cfg_devices) with its ports and IRQ. */
static int cfg_add_device(struct cfg_parser *ps, size_t d)
{
	struct cfg_guest *me = ps->guest;
	const struct cfg_guest *g;
	int i;

	if (me->devices & cfg_devices[d].bit)
		return cfg_fail(ps, ps->line, "device %s listed twice",
				cfg_devices[d].name);
	for (g = ps->cfg->guests; g < me; g++)
		if (g->devices & cfg_devices[d].bit)
			return cfg_fail(ps, ps->line,
					"device %s already given to guest %s (line %d)",
					cfg_devices[d].name, g->name,
					(int)g->devices_line);
	me->devices |= cfg_devices[d].bit;
	for (i = 0; i < 2; i++) {
		const uint16_t *r = cfg_devices[d].ports[i];

		if (r[0] && cfg_add_ports(ps, r[0], r[1]) < 0)
			return -1;
	}
	if (cfg_devices[d].irq >= 0)
		return cfg_add_irq(ps, cfg_devices[d].irq);
	return 0;
}

/* ---- key setters ----------------------------------------------------- */

static int cfg_set_timeslice(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (cfg_parse_ranged(ps, v, "timeslice_us", CFG_SLICE_MIN,
			     CFG_SLICE_MAX, &n) < 0)
		return -1;
	ps->cfg->timeslice_us = (uint32_t)n;
	return 0;
}

/* ESP paths: '/' or '\' accepted, stored with '\' and from the root. */
static int cfg_set_image(struct cfg_parser *ps, struct cfg_str v)
{
	char *dst = ps->guest->image;
	size_t i, o = 0;

	if (v.n == 0)
		return cfg_fail(ps, ps->line, "empty image path");
	if (v.p[0] != '/' && v.p[0] != '\\')
		dst[o++] = '\\';
	if (o + v.n > CFG_PATH_MAX - 1)
		return cfg_fail(ps, ps->line, "image path too long (max %d chars)",
				CFG_PATH_MAX - 1);
	for (i = 0; i < v.n; i++)
		dst[o++] = v.p[i] == '/' ? '\\' : v.p[i];
	dst[o] = '\0';
	return 0;
}

static int cfg_set_cmdline(struct cfg_parser *ps, struct cfg_str v)
{
	if (v.n > CFG_CMDLINE_MAX - 1)
		return cfg_fail(ps, ps->line, "cmdline too long (max %d chars)",
				CFG_CMDLINE_MAX - 1);
	cfg_copy(ps->guest->cmdline, v);
	return 0;
}

/* Returns the shift for a K/M/G suffix (any case), 0 for none, -1 if bad. */
static int cfg_size_shift(struct cfg_str suffix)
{
	if (suffix.n == 0)
		return 0;
	if (suffix.n != 1)
		return -1;
	switch (suffix.p[0]) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	}
	return -1;
}

static int cfg_set_memory(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_str suffix;
	uint64_t n;
	int shift;

	if (cfg_parse_prefix(v, &n, &suffix) < 0)
		return cfg_fail(ps, ps->line, "bad memory size '%S'", &v);
	shift = cfg_size_shift(cfg_trim(suffix));
	if (shift < 0)
		return cfg_fail(ps, ps->line,
				"bad memory suffix '%S' in '%S' (use K, M or G)",
				&suffix, &v);
	if (n > (CFG_MEM_MAX >> shift))
		return cfg_fail(ps, ps->line, "memory %S above maximum %m",
				&v, CFG_MEM_MAX);
	n <<= shift;
	if (n < CFG_MEM_MIN)
		return cfg_fail(ps, ps->line, "memory %S below minimum %m",
				&v, CFG_MEM_MIN);
	if (n % CFG_PAGE)
		return cfg_fail(ps, ps->line, "memory %S not a multiple of 4K",
				&v);
	ps->guest->mem_bytes = n;
	return 0;
}

static int cfg_set_cpu(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (cfg_parse_ranged(ps, v, "cpu", 0, CFG_MAX_CPUS - 1, &n) < 0)
		return -1;
	ps->guest->cpu = (int)n;
	return 0;
}

/* One item of a ports list: "0x80" or "0x3f8-0x3ff". */
static int cfg_port_item(struct cfg_parser *ps, struct cfg_str it)
{
	struct cfg_str a = it, b = it;
	uint64_t first, last;
	size_t i;

	for (i = 0; i < it.n && it.p[i] != '-'; i++)
		;
	a.n = i;
	b.p = it.p + i + 1;
	b.n = i < it.n ? it.n - i - 1 : 0;
	a = cfg_trim(a);
	b = cfg_trim(b);
	if (cfg_parse_num(a, &first) < 0 ||
	    (i < it.n && cfg_parse_num(b, &last) < 0))
		return cfg_fail(ps, ps->line, "bad port '%S'", &it);
	if (i == it.n)
		last = first;
	if (first > 0xffff || last > 0xffff)
		return cfg_fail(ps, ps->line, "port %S out of range (0..0xffff)",
				&it);
	if (first > last)
		return cfg_fail(ps, ps->line, "bad port range %S (first > last)",
				&it);
	return cfg_add_ports(ps, (unsigned)first, (unsigned)last);
}

static int cfg_set_ports(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_str it;
	int r;

	while ((r = cfg_next_item(ps, &v, &it)) > 0)
		if (cfg_port_item(ps, it) < 0)
			return -1;
	return r;
}

static int cfg_set_irqs(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_str it;
	uint64_t n;
	int r;

	while ((r = cfg_next_item(ps, &v, &it)) > 0) {
		if (cfg_parse_ranged(ps, it, "irq", 0, CFG_MAX_IRQ - 1, &n) < 0 ||
		    cfg_add_irq(ps, (int)n) < 0)
			return -1;
	}
	return r;
}

static int cfg_set_devices(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_str it;
	size_t d;
	int r;

	ps->guest->devices_line = (uint16_t)ps->line;
	while ((r = cfg_next_item(ps, &v, &it)) > 0) {
		for (d = 0; d < CFG_NELEM(cfg_devices); d++)
			if (cfg_eq(it, cfg_devices[d].name))
				break;
		if (d == CFG_NELEM(cfg_devices))
			return cfg_fail(ps, ps->line,
					"unknown device '%S' (known: com1 com2 ide0 ide1 vga)",
					&it);
		if (cfg_add_device(ps, d) < 0)
			return -1;
	}
	return r;
}

static int cfg_set_restart(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "no"))
		ps->guest->restart = CFG_RESTART_NO;
	else if (cfg_eq(v, "yes"))
		ps->guest->restart = CFG_RESTART_YES;
	else
		return cfg_fail(ps, ps->line, "bad restart value '%S' (no | yes)",
				&v);
	return 0;
}

static int cfg_set_test_fault(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "none"))
		ps->guest->test_fault = CFG_TEST_NONE;
	else if (cfg_eq(v, "vmentry"))
		ps->guest->test_fault = CFG_TEST_VMENTRY;
	else if (cfg_eq(v, "vmcontrol"))
		ps->guest->test_fault = CFG_TEST_VMCONTROL;
	else
		return cfg_fail(ps, ps->line,
				"bad test_fault value '%S' (none | vmentry | vmcontrol)", &v);
	return 0;
}

/* Indexed by enum cfg_key. */
static const struct cfg_keydef cfg_keys[CFG_KEY_COUNT] = {
	[CFG_KEY_TIMESLICE]  = { "timeslice_us", CFG_SEC_HV, cfg_set_timeslice },
	[CFG_KEY_IMAGE]      = { "image", CFG_SEC_GUEST, cfg_set_image },
	[CFG_KEY_CMDLINE]    = { "cmdline", CFG_SEC_GUEST, cfg_set_cmdline },
	[CFG_KEY_MEMORY]     = { "memory", CFG_SEC_GUEST, cfg_set_memory },
	[CFG_KEY_CPU]        = { "cpu", CFG_SEC_GUEST, cfg_set_cpu },
	[CFG_KEY_PORTS]      = { "ports", CFG_SEC_GUEST, cfg_set_ports },
	[CFG_KEY_IRQS]       = { "irqs", CFG_SEC_GUEST, cfg_set_irqs },
	[CFG_KEY_DEVICES]    = { "devices", CFG_SEC_GUEST, cfg_set_devices },
	[CFG_KEY_RESTART]    = { "restart", CFG_SEC_GUEST, cfg_set_restart },
	[CFG_KEY_TEST_FAULT] = { "test_fault", CFG_SEC_GUEST, cfg_set_test_fault },
};

/* ---- lines ----------------------------------------------------------- */

/* True if s is empty or only a comment (after trimming). */
static bool cfg_is_blank(struct cfg_str s)
{
	s = cfg_trim(s);
	return s.n == 0 || s.p[0] == '#';
}

/*
 * Splits the text after '=' into the value: a "quoted string" (no escapes,
 * so ESP paths keep their backslashes) or the rest of the line up to '#'.
 */
static int cfg_value(struct cfg_parser *ps, struct cfg_str s,
		     struct cfg_str *v)
{
	size_t i;

	s = cfg_trim(s);
	if (s.n && s.p[0] == '"') {
		for (i = 1; i < s.n && s.p[i] != '"'; i++)
			;
		if (i == s.n)
			return cfg_fail(ps, ps->line, "unterminated quote");
		v->p = s.p + 1;
		v->n = i - 1;
		s.p += i + 1;
		s.n -= i + 1;
		if (!cfg_is_blank(s))
			return cfg_fail(ps, ps->line,
					"unexpected text after quoted string");
		return 0;
	}
	for (i = 0; i < s.n && s.p[i] != '#'; i++)
		;
	v->p = s.p;
	v->n = i;
	*v = cfg_trim(*v);
	return 0;
}

/* Returns the index of key k in cfg_keys, or CFG_KEY_COUNT if unknown. */
static int cfg_key_find(struct cfg_str k, enum cfg_section sec)
{
	int i;

	for (i = 0; i < CFG_KEY_COUNT; i++)
		if (cfg_keys[i].section == sec && cfg_eq(k, cfg_keys[i].name))
			return i;
	return CFG_KEY_COUNT;
}

static bool cfg_is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* "key = value" inside a section. */
static int cfg_keyval(struct cfg_parser *ps, struct cfg_str s)
{
	struct cfg_str k = s, v;
	size_t i = 0;
	int key;

	while (i < s.n && cfg_is_key_char(s.p[i]))
		i++;
	k.n = i;
	while (i < s.n && cfg_is_space(s.p[i]))
		i++;
	if (k.n == 0)
		return cfg_fail(ps, ps->line, "expected key = value or [section]");
	if (i == s.n || s.p[i] != '=')
		return cfg_fail(ps, ps->line, "missing '=' after key %S", &k);
	if (ps->section == CFG_SEC_NONE)
		return cfg_fail(ps, ps->line, "key %S outside a section", &k);
	key = cfg_key_find(k, ps->section);
	if (key == CFG_KEY_COUNT)
		return cfg_fail(ps, ps->line, "unknown key %S in [%s]", &k,
				ps->section == CFG_SEC_HV ? "hv" : "guest");
	if (ps->key_line[key])
		return cfg_fail(ps, ps->line, "duplicate key %S (first at line %d)",
				&k, (int)ps->key_line[key]);
	ps->key_line[key] = (uint16_t)ps->line;
	s.p += i + 1;
	s.n -= i + 1;
	if (cfg_value(ps, s, &v) < 0)
		return -1;
	if (v.n == 0 && key != CFG_KEY_CMDLINE)
		return cfg_fail(ps, ps->line, "missing value for key %S", &k);
	return cfg_keys[key].set(ps, v);
}

/* Checks the guest section that just ended for required keys. */
static int cfg_close_section(struct cfg_parser *ps)
{
	const struct cfg_guest *g = ps->guest;

	if (ps->section == CFG_SEC_GUEST) {
		if (!ps->key_line[CFG_KEY_IMAGE])
			return cfg_fail(ps, g->line, "guest %s has no image",
					g->name);
		if (!ps->key_line[CFG_KEY_MEMORY])
			return cfg_fail(ps, g->line, "guest %s has no memory size",
					g->name);
	}
	cfg_memset(ps->key_line, 0, sizeof(ps->key_line));
	ps->section = CFG_SEC_NONE;
	ps->guest = NULL;
	return 0;
}

/* Names are [a-z0-9_-], 1..CFG_NAME_MAX-1 chars: they tag console output. */
static bool cfg_name_ok(struct cfg_str n)
{
	size_t i;

	if (n.n == 0 || n.n > CFG_NAME_MAX - 1)
		return false;
	for (i = 0; i < n.n; i++) {
		char c = n.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Opens [guest NAME]. */
static int cfg_open_guest(struct cfg_parser *ps, struct cfg_str name)
{
	struct hv_config *c = ps->cfg;
	struct cfg_guest *g;
	int i;

	if (!cfg_name_ok(name))
		return cfg_fail(ps, ps->line,
				"bad guest name '%S' (use a-z 0-9 _ -, 1..%d chars)",
				&name, CFG_NAME_MAX - 1);
	for (i = 0; i < c->nguests; i++)
		if (cfg_eq(name, c->guests[i].name))
			return cfg_fail(ps, ps->line,
					"duplicate guest name %S (first at line %d)",
					&name, (int)c->guests[i].line);
	if (c->nguests == CFG_MAX_GUESTS)
		return cfg_fail(ps, ps->line, "too many guests (max %d)",
				CFG_MAX_GUESTS);
	g = &c->guests[c->nguests++];
	cfg_copy(g->name, name);
	g->line = (uint16_t)ps->line;
	ps->section = CFG_SEC_GUEST;
	ps->guest = g;
	return 0;
}

/* "[hv]" or "[guest NAME]", optionally followed by a comment. */
static int cfg_section(struct cfg_parser *ps, struct cfg_str s)
{
	struct cfg_str in = s, word, rest;
	size_t i;

	for (i = 1; i < s.n && s.p[i] != ']'; i++)
		;
	if (i == s.n)
		return cfg_fail(ps, ps->line, "missing ']' in section header");
	rest.p = s.p + i + 1;
	rest.n = s.n - i - 1;
	if (!cfg_is_blank(rest))
		return cfg_fail(ps, ps->line,
				"unexpected text after section header");
	in.p = s.p + 1;
	in.n = i - 1;
	in = cfg_trim(in);
	for (i = 0; i < in.n && !cfg_is_space(in.p[i]); i++)
		;
	word.p = in.p;
	word.n = i;
	rest.p = in.p + i;
	rest.n = in.n - i;
	rest = cfg_trim(rest);
	if (cfg_close_section(ps) < 0)
		return -1;
	if (cfg_eq(word, "guest"))
		return cfg_open_guest(ps, rest);
	if (!cfg_eq(word, "hv") || rest.n)
		return cfg_fail(ps, ps->line, "unknown section [%S]", &in);
	if (ps->hv_line)
		return cfg_fail(ps, ps->line,
				"duplicate section [hv] (first at line %d)",
				ps->hv_line);
	ps->hv_line = ps->line;
	ps->section = CFG_SEC_HV;
	return 0;
}

/* One physical line, without its '\n' (and '\r'). */
static int cfg_line(struct cfg_parser *ps, struct cfg_str s)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 && s.p[i] != '\t')
			return cfg_fail(ps, ps->line, "bad character %x",
					(unsigned)(unsigned char)s.p[i]);
	s = cfg_trim(s);
	if (s.n == 0 || s.p[0] == '#')
		return 0;
	if (s.p[0] == '[')
		return cfg_section(ps, s);
	return cfg_keyval(ps, s);
}

/* ---- public API ------------------------------------------------------ */

/* Returns 0 and fills *out on success; -1 with *err on the first error. */
int cfg_parse(const char *text, size_t len, struct hv_config *out,
	      struct cfg_error *err)
{
	struct cfg_parser ps;
	size_t pos = 0;

	cfg_memset(out, 0, sizeof(*out));
	cfg_memset(&ps, 0, sizeof(ps));
	cfg_memset(err, 0, sizeof(*err));
	out->timeslice_us = 10000;
	ps.cfg = out;
	ps.err = err;
	/* A UTF-8 byte order mark, as some editors write, is not content. */
	if (len >= 3 && (unsigned char)text[0] == 0xef &&
	    (unsigned char)text[1] == 0xbb && (unsigned char)text[2] == 0xbf)
		pos = 3;
	while (pos < len) {
		struct cfg_str s = { text + pos, 0 };

		while (pos + s.n < len && text[pos + s.n] != '\n')
			s.n++;
		pos += s.n + 1;
		if (s.n && s.p[s.n - 1] == '\r')
			s.n--;
		ps.line++;
		if (cfg_line(&ps, s) < 0)
			return -1;
	}
	if (cfg_close_section(&ps) < 0)
		return -1;
	if (out->nguests == 0)
		return cfg_fail(&ps, ps.line ? ps.line : 1, "no guests defined");
	return 0;
}

/* Returns 0 if the guests' memory fits in limit (0: none), else -1 + err. */
int cfg_check_memory(const struct hv_config *c, uint64_t limit,
		     struct cfg_error *err)
{
	struct cfg_parser ps;
	uint64_t sum = 0;
	int i;

	if (limit == 0)
		return 0;
	cfg_memset(&ps, 0, sizeof(ps));
	ps.err = err;
	for (i = 0; i < c->nguests; i++) {
		sum += c->guests[i].mem_bytes;
		if (sum > limit)
			return cfg_fail(&ps, c->guests[i].line,
					"guest memory total %m over limit %m at guest %s",
					sum, limit, c->guests[i].name);
	}
	return 0;
}

/* Returns the config name of one enum cfg_device bit, or "?". */
const char *cfg_device_name(uint32_t dev)
{
	size_t i;

	for (i = 0; i < CFG_NELEM(cfg_devices); i++)
		if (cfg_devices[i].bit == dev)
			return cfg_devices[i].name;
	return "?";
}

/* Returns the number of ports in the guest's port ranges. */
unsigned cfg_guest_port_count(const struct cfg_guest *g)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < g->nports; i++)
		n += (unsigned)g->ports[i].last - g->ports[i].first + 1;
	return n;
}

/* Returns true if guest g owns port (after device expansion). */
bool cfg_guest_owns_port(const struct cfg_guest *g, uint16_t port)
{
	int i;

	for (i = 0; i < g->nports; i++)
		if (port >= g->ports[i].first && port <= g->ports[i].last)
			return true;
	return false;
}
