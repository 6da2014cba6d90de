/*
 * hv.cfg parser: text -> struct hv_config, with every check the hv needs
 * before it boots anything (include/hvcfg.h has the contract, docs/config.md
 * the format). This file reads sections, keys and values; the ports, irqs
 * and devices keys hand their items to hv/cfg_check.c, which checks them
 * against the other guests and the ports the hv keeps.
 *
 * The same file is linked into the EFI image and into tools/hvcfg, so it is
 * freestanding: no libc, no allocation; the input is a (text, len) slice and
 * never needs a terminating NUL. Every error stops the parse and names the
 * line, the cause and the offending value.
 */
#include "cfg_internal.h"
#include "acpitab.h"
#include "fmt.h"
#include "strmem.h"

#define CFG_PAGE          4096ull
#define CFG_MEM_MIN       (1ull << 20)
#define CFG_MEM_MAX       (1ull << 30)
#define CFG_SLICE_MIN     100u
#define CFG_SLICE_MAX     1000000u
#define CFG_PERIOD_MIN    1000u
#define CFG_PERIOD_MAX    1000000u
#define CFG_MAX_LINES     65535   /* the config keeps line numbers in uint16_t */
#define CFG_ACPI_PM_FIRST ACPITAB_PM1A_EVT
#define CFG_ACPI_PM_LAST  (ACPITAB_PM1A_CNT + ACPITAB_PM1_CNT_LEN - 1)

typedef int (*cfg_setter)(struct cfg_parser *ps, struct cfg_str v);

struct cfg_keydef {
	const char *name;
	enum cfg_section section;
	cfg_setter set;
};

/* ---- small freestanding helpers ------------------------------------- */

/* True if the slice equals the NUL-terminated word. */
bool cfg_eq(struct cfg_str s, const char *word)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (!word[i] || s.p[i] != word[i])
			return false;
	return !word[i];
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

/* ---- error messages -------------------------------------------------- */

int cfg_fail(struct cfg_parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = line;
	va_start(ap, fmt);
	fmt_vsnprintf(ps->err->msg, CFG_MSG_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

const char *cfg_show(char buf[CFG_SHOW_BUF], struct cfg_str s)
{
	size_t i;

	/* Control and non-ASCII bytes would garble a console line. */
	for (i = 0; i < s.n && i < CFG_SHOW_MAX; i++)
		buf[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? s.p[i] : '?';
	if (s.n > CFG_SHOW_MAX) {
		buf[i++] = '.';
		buf[i++] = '.';
		buf[i++] = '.';
	}
	buf[i] = '\0';
	return buf;
}

const char *cfg_show_size(char buf[CFG_SIZE_BUF], uint64_t v)
{
	static const char units[] = "GMK";
	int shift = 30, i;

	for (i = 0; i < 3; i++, shift -= 10) {
		if (v && (v & ((1ull << shift) - 1)) == 0) {
			fmt_snprintf(buf, CFG_SIZE_BUF, "%llu%c",
				     (unsigned long long)(v >> shift), units[i]);
			return buf;
		}
	}
	fmt_snprintf(buf, CFG_SIZE_BUF, "%llu", (unsigned long long)v);
	return buf;
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
		return cfg_fail(ps, ps->line, "bad number '%s' for %s",
				CFG_SHOW(s), what);
	if (*v < lo || *v > hi)
		return cfg_fail(ps, ps->line, "%s %s out of range (%d..%d)",
				what, CFG_SHOW(s), (int)lo, (int)hi);
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

static int cfg_set_period(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (cfg_parse_ranged(ps, v, "period_us", CFG_PERIOD_MIN,
			     CFG_PERIOD_MAX, &n) < 0)
		return -1;
	ps->cfg->period_us = (uint32_t)n;
	return 0;
}

/* Parses on | off into *out; key names the key in the message. */
static int cfg_on_off(struct cfg_parser *ps, struct cfg_str v, const char *key, bool *out)
{
	if (cfg_eq(v, "on"))
		*out = true;
	else if (cfg_eq(v, "off"))
		*out = false;
	else
		return cfg_fail(ps, ps->line, "bad %s value '%s' (on | off)", key, CFG_SHOW(v));
	return 0;
}

static int cfg_set_trace(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_on_off(ps, v, "trace", &ps->cfg->trace);
}

static int cfg_set_vmcheck(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_on_off(ps, v, "vmcheck", &ps->cfg->vmcheck);
}

/* share = N% (1..100): the guest's guaranteed part of every CPU-share period. */
static int cfg_set_share(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (v.n && v.p[v.n - 1] == '%')
		v.n--;
	if (cfg_parse_ranged(ps, cfg_trim(v), "share (percent)", 1, 100, &n) < 0)
		return -1;
	ps->guest->share_permille = (uint16_t)(n * 10);
	ps->guest->share_line = (uint16_t)ps->line;
	return 0;
}

/* ESP paths: '/' or '\' accepted, stored with '\' and from the root; what names the key. */
static int cfg_set_path(struct cfg_parser *ps, struct cfg_str v, char *dst, const char *what)
{
	size_t i, o = 0;

	if (v.n == 0)
		return cfg_fail(ps, ps->line, "empty %s path", what);
	if (v.p[0] != '/' && v.p[0] != '\\')
		dst[o++] = '\\';
	if (o + v.n > CFG_PATH_MAX - 1)
		return cfg_fail(ps, ps->line, "%s path too long (max %d chars)", what,
				CFG_PATH_MAX - 1);
	for (i = 0; i < v.n; i++)
		dst[o++] = v.p[i] == '/' ? '\\' : v.p[i];
	dst[o] = '\0';
	return 0;
}

static int cfg_set_image(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_set_path(ps, v, ps->guest->image, "image");
}

/* initrd = PATH: the initramfs of a boot = linux guest (checked when the section ends). */
static int cfg_set_initrd(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_set_path(ps, v, ps->guest->initrd, "initrd");
}

/* boot = multiboot | linux: the protocol the image is loaded and entered with. */
static int cfg_set_boot(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "multiboot"))
		ps->guest->boot = CFG_BOOT_MULTIBOOT;
	else if (cfg_eq(v, "linux"))
		ps->guest->boot = CFG_BOOT_LINUX;
	else
		return cfg_fail(ps, ps->line, "bad boot value '%s' (multiboot | linux)",
				CFG_SHOW(v));
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
		return cfg_fail(ps, ps->line, "bad memory size '%s'", CFG_SHOW(v));
	shift = cfg_size_shift(cfg_trim(suffix));
	if (shift < 0)
		return cfg_fail(ps, ps->line,
				"bad memory suffix '%s' in '%s' (use K, M or G)",
				CFG_SHOW(suffix), CFG_SHOW(v));
	if (n > (CFG_MEM_MAX >> shift))
		return cfg_fail(ps, ps->line, "memory %s above maximum %s",
				CFG_SHOW(v), CFG_SHOW_SIZE(CFG_MEM_MAX));
	n <<= shift;
	if (n < CFG_MEM_MIN)
		return cfg_fail(ps, ps->line, "memory %s below minimum %s",
				CFG_SHOW(v), CFG_SHOW_SIZE(CFG_MEM_MIN));
	if (n % CFG_PAGE)
		return cfg_fail(ps, ps->line, "memory %s not a multiple of 4K",
				CFG_SHOW(v));
	ps->guest->mem_bytes = n;
	return 0;
}

static int cfg_set_cpu(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (cfg_parse_ranged(ps, v, "cpu", 0, CFG_MAX_CPUS - 1, &n) < 0)
		return -1;
	ps->guest->cpu = (int)n;
	ps->guest->cpu_line = (uint16_t)ps->line;
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
		return cfg_fail(ps, ps->line, "bad port '%s'", CFG_SHOW(it));
	if (i == it.n)
		last = first;
	if (first > 0xffff || last > 0xffff)
		return cfg_fail(ps, ps->line, "port %s out of range (0..0xffff)",
				CFG_SHOW(it));
	if (first > last)
		return cfg_fail(ps, ps->line, "bad port range %s (first > last)",
				CFG_SHOW(it));
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
	int r;

	ps->guest->devices_line = (uint16_t)ps->line;
	while ((r = cfg_next_item(ps, &v, &it)) > 0)
		if (cfg_add_device(ps, it) < 0)
			return -1;
	return r;
}

static int cfg_set_restart(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "no"))
		ps->guest->restart = CFG_RESTART_NO;
	else if (cfg_eq(v, "yes"))
		ps->guest->restart = CFG_RESTART_YES;
	else
		return cfg_fail(ps, ps->line, "bad restart value '%s' (no | yes)",
				CFG_SHOW(v));
	return 0;
}

/* time_limit_ms = N: a watchdog; the guest is stopped N ms after each boot. */
static int cfg_set_time_limit(struct cfg_parser *ps, struct cfg_str v)
{
	uint64_t n;

	if (cfg_parse_ranged(ps, v, "time_limit_ms", 1, 86400000u, &n) < 0)
		return -1;
	ps->guest->time_limit_ms = (uint32_t)n;
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
	else if (cfg_eq(v, "vmresume"))
		ps->guest->test_fault = CFG_TEST_VMRESUME;
	else
		return cfg_fail(ps, ps->line,
				"bad test_fault value '%s' (none | vmentry | vmcontrol | vmresume)",
				CFG_SHOW(v));
	return 0;
}

/*
 * Splits module arguments: a "quoted string" (nothing may follow it) or
 * the rest of the value as it is. Returns 0 with *args, or -1 with err.
 */
static int cfg_module_args(struct cfg_parser *ps, struct cfg_str *args)
{
	size_t i;

	if (args->n == 0 || args->p[0] != '"')
		return 0;
	for (i = 1; i < args->n && args->p[i] != '"'; i++)
		;
	if (i == args->n)
		return cfg_fail(ps, ps->line, "unterminated quote");
	if (i + 1 != args->n)
		return cfg_fail(ps, ps->line, "unexpected text after quoted string");
	args->p++;
	args->n = i - 1;
	return 0;
}

/* module = PATH ["ARGS"]: a Multiboot module; repeatable, in file order. */
static int cfg_set_module(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_guest *g = ps->guest;
	struct cfg_module *m = &g->modules[g->nmodules];
	struct cfg_str path = v, args;
	size_t i = 0, n;

	if (g->nmodules == CFG_MAX_MODULES)
		return cfg_fail(ps, ps->line, "too many modules (max %d)", CFG_MAX_MODULES);
	while (i < v.n && !cfg_is_space(v.p[i]))
		i++;
	path.n = i;
	args.p = v.p + i;
	args.n = v.n - i;
	args = cfg_trim(args);
	if (cfg_module_args(ps, &args) < 0 || cfg_set_path(ps, path, m->path, "module") < 0)
		return -1;
	if (args.n > CFG_MODARGS_MAX - 1)
		return cfg_fail(ps, ps->line, "module arguments too long (max %d chars)",
				CFG_MODARGS_MAX - 1);
	n = lib_strnlen(m->path, sizeof(m->path));
	cfg_copy(m->string, (struct cfg_str){ m->path, n });
	if (args.n) {
		m->string[n] = ' ';
		cfg_copy(m->string + n + 1, args);
	}
	m->line = (uint16_t)ps->line;
	g->nmodules++;
	return 0;
}

/* acpi = on | off: the guest gets ACPI tables and the PM1 registers they name. */
static int cfg_set_acpi(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_on_off(ps, v, "acpi", &ps->guest->acpi);
}

/* lapic = on | off: a virtual local APIC and IOAPIC (off: the bare 8259 platform). */
static int cfg_set_lapic(struct cfg_parser *ps, struct cfg_str v)
{
	return cfg_on_off(ps, v, "lapic", &ps->guest->lapic);
}

/*
 * [hv] lapic_access = auto | decode: how guests reach their xAPIC page;
 * auto uses the CPU's APIC virtualization where it offers it, decode
 * always decodes the instruction behind an EPT violation.
 */
static int cfg_set_lapic_access(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "auto"))
		ps->cfg->lapic_decode = false;
	else if (cfg_eq(v, "decode"))
		ps->cfg->lapic_decode = true;
	else
		return cfg_fail(ps, ps->line, "bad lapic_access value '%s' (auto | decode)", CFG_SHOW(v));
	return 0;
}

/*
 * [hv] irq_backend = auto | pic | ioapic: the physical interrupt
 * controllers the hv drives (hv/pirq.h chooses for auto).
 */
static int cfg_set_irq_backend(struct cfg_parser *ps, struct cfg_str v)
{
	if (cfg_eq(v, "auto"))
		ps->cfg->irq_backend = CFG_IRQ_AUTO;
	else if (cfg_eq(v, "pic"))
		ps->cfg->irq_backend = CFG_IRQ_PIC;
	else if (cfg_eq(v, "ioapic"))
		ps->cfg->irq_backend = CFG_IRQ_IOAPIC;
	else
		return cfg_fail(ps, ps->line, "bad irq_backend value '%s' (auto | pic | ioapic)", CFG_SHOW(v));
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

/*
 * manages = NAME, ...: the guests this one may stop and restart
 * (HC_GUEST_CTL). The names may be of guests defined further down: they
 * are resolved when the whole file is read (cfg_resolve_manages).
 */
static int cfg_set_manages(struct cfg_parser *ps, struct cfg_str v)
{
	struct cfg_str list = v, it;
	int r;

	while ((r = cfg_next_item(ps, &list, &it)) > 0)
		if (!cfg_name_ok(it))
			return cfg_fail(ps, ps->line, "manages: bad guest name '%s'", CFG_SHOW(it));
	if (r < 0)
		return -1;
	ps->guest->manages_line = (uint16_t)ps->line;
	ps->manages[ps->cfg->nguests - 1] = v;
	return 0;
}

/* Indexed by enum cfg_key. */
static const struct cfg_keydef cfg_keys[CFG_KEY_COUNT] = {
	[CFG_KEY_TIMESLICE]  = { "timeslice_us", CFG_SEC_HV, cfg_set_timeslice },
	[CFG_KEY_TRACE]      = { "trace", CFG_SEC_HV, cfg_set_trace },
	[CFG_KEY_IMAGE]      = { "image", CFG_SEC_GUEST, cfg_set_image },
	[CFG_KEY_CMDLINE]    = { "cmdline", CFG_SEC_GUEST, cfg_set_cmdline },
	[CFG_KEY_MEMORY]     = { "memory", CFG_SEC_GUEST, cfg_set_memory },
	[CFG_KEY_CPU]        = { "cpu", CFG_SEC_GUEST, cfg_set_cpu },
	[CFG_KEY_PORTS]      = { "ports", CFG_SEC_GUEST, cfg_set_ports },
	[CFG_KEY_IRQS]       = { "irqs", CFG_SEC_GUEST, cfg_set_irqs },
	[CFG_KEY_DEVICES]    = { "devices", CFG_SEC_GUEST, cfg_set_devices },
	[CFG_KEY_RESTART]    = { "restart", CFG_SEC_GUEST, cfg_set_restart },
	[CFG_KEY_TEST_FAULT] = { "test_fault", CFG_SEC_GUEST, cfg_set_test_fault },
	[CFG_KEY_PERIOD]     = { "period_us", CFG_SEC_HV, cfg_set_period },
	[CFG_KEY_VMCHECK]    = { "vmcheck", CFG_SEC_HV, cfg_set_vmcheck },
	[CFG_KEY_SHARE]      = { "share", CFG_SEC_GUEST, cfg_set_share },
	[CFG_KEY_TIME_LIMIT] = { "time_limit_ms", CFG_SEC_GUEST, cfg_set_time_limit },
	[CFG_KEY_BOOT]       = { "boot", CFG_SEC_GUEST, cfg_set_boot },
	[CFG_KEY_INITRD]     = { "initrd", CFG_SEC_GUEST, cfg_set_initrd },
	[CFG_KEY_MODULE]     = { "module", CFG_SEC_GUEST, cfg_set_module },
	[CFG_KEY_ACPI]       = { "acpi", CFG_SEC_GUEST, cfg_set_acpi },
	[CFG_KEY_LAPIC]      = { "lapic", CFG_SEC_GUEST, cfg_set_lapic },
	[CFG_KEY_LAPIC_ACCESS] = { "lapic_access", CFG_SEC_HV, cfg_set_lapic_access },
	[CFG_KEY_IRQ_BACKEND] = { "irq_backend", CFG_SEC_HV, cfg_set_irq_backend },
	[CFG_KEY_MANAGES]    = { "manages", CFG_SEC_GUEST, cfg_set_manages },
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
	bool quoted;
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
	/* A '#' inside a quoted part ("ARGS" of a module) is not a comment. */
	for (i = 0, quoted = false; i < s.n && (quoted || s.p[i] != '#'); i++)
		quoted ^= s.p[i] == '"';
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
		return cfg_fail(ps, ps->line, "missing '=' after key %s", CFG_SHOW(k));
	if (ps->section == CFG_SEC_NONE)
		return cfg_fail(ps, ps->line, "key %s outside a section", CFG_SHOW(k));
	key = cfg_key_find(k, ps->section);
	if (key == CFG_KEY_COUNT)
		return cfg_fail(ps, ps->line, "unknown key %s in [%s]", CFG_SHOW(k),
				ps->section == CFG_SEC_HV ? "hv" : "guest");
	if (ps->key_line[key] && key != CFG_KEY_MODULE)
		return cfg_fail(ps, ps->line, "duplicate key %s (first at line %d)",
				CFG_SHOW(k), (int)ps->key_line[key]);
	if (!ps->key_line[key])
		ps->key_line[key] = (uint16_t)ps->line;
	s.p += i + 1;
	s.n -= i + 1;
	if (cfg_value(ps, s, &v) < 0)
		return -1;
	if (v.n == 0 && key != CFG_KEY_CMDLINE)
		return cfg_fail(ps, ps->line, "missing value for key %s", CFG_SHOW(k));
	return cfg_keys[key].set(ps, v);
}

/*
 * A guest with acpi = on reaches its ACPI PM1a registers through the hv:
 * it may not own their ports. Returns 0, or -1 naming the line that grants one.
 */
static int cfg_check_acpi_ports(struct cfg_parser *ps)
{
	const struct cfg_guest *g = ps->guest;

	for (int i = 0; i < g->nports; i++) {
		const struct cfg_range *r = &g->ports[i];

		if (r->first <= CFG_ACPI_PM_LAST && r->last >= CFG_ACPI_PM_FIRST)
			return cfg_fail(ps, r->line, "ports 0x%x-0x%x are the ACPI PM1a registers "
					"the hv emulates for guest %s (acpi = on at line %d)",
					CFG_ACPI_PM_FIRST, CFG_ACPI_PM_LAST, g->name,
					(int)ps->key_line[CFG_KEY_ACPI]);
	}
	return 0;
}

/* Checks the guest section that just ended for required keys. */
static int cfg_close_section(struct cfg_parser *ps)
{
	struct cfg_guest *g = ps->guest;

	if (ps->section == CFG_SEC_GUEST) {
		if (!ps->key_line[CFG_KEY_IMAGE])
			return cfg_fail(ps, g->line, "guest %s has no image",
					g->name);
		if (!ps->key_line[CFG_KEY_MEMORY])
			return cfg_fail(ps, g->line, "guest %s has no memory size",
					g->name);
		if (ps->key_line[CFG_KEY_INITRD] && g->boot != CFG_BOOT_LINUX)
			return cfg_fail(ps, ps->key_line[CFG_KEY_INITRD],
					"initrd without boot = linux (guest %s)", g->name);
		if (g->nmodules && g->boot != CFG_BOOT_MULTIBOOT)
			return cfg_fail(ps, g->modules[0].line,
					"module without boot = multiboot (guest %s)", g->name);
		if (g->acpi && cfg_check_acpi_ports(ps) < 0)
			return -1;
		if (g->acpi && !g->lapic)
			return cfg_fail(ps, ps->key_line[CFG_KEY_ACPI], "acpi = on needs the local APIC its "
					"MADT describes (lapic = off at line %d, guest %s)",
					(int)ps->key_line[CFG_KEY_LAPIC], g->name);
		g->image_line = ps->key_line[CFG_KEY_IMAGE];
		g->initrd_line = ps->key_line[CFG_KEY_INITRD];
		g->cmdline_line = ps->key_line[CFG_KEY_CMDLINE];
	}
	memset(ps->key_line, 0, sizeof(ps->key_line));
	ps->section = CFG_SEC_NONE;
	ps->guest = NULL;
	return 0;
}

/* Opens [guest NAME]. */
static int cfg_open_guest(struct cfg_parser *ps, struct cfg_str name)
{
	struct hv_config *c = ps->cfg;
	struct cfg_guest *g;
	int i;

	if (!cfg_name_ok(name))
		return cfg_fail(ps, ps->line,
				"bad guest name '%s' (use a-z 0-9 _ -, 1..%d chars)",
				CFG_SHOW(name), CFG_NAME_MAX - 1);
	for (i = 0; i < c->nguests; i++)
		if (cfg_eq(name, c->guests[i].name))
			return cfg_fail(ps, ps->line,
					"duplicate guest name %s (first at line %d)",
					CFG_SHOW(name), (int)c->guests[i].line);
	if (c->nguests == CFG_MAX_GUESTS)
		return cfg_fail(ps, ps->line, "too many guests (max %d)",
				CFG_MAX_GUESTS);
	g = &c->guests[c->nguests++];
	cfg_copy(g->name, name);
	g->line = (uint16_t)ps->line;
	g->lapic = true;
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
		return cfg_fail(ps, ps->line, "unknown section [%s]", CFG_SHOW(in));
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
			return cfg_fail(ps, ps->line, "bad character 0x%x",
					(unsigned)(unsigned char)s.p[i]);
	s = cfg_trim(s);
	if (s.n == 0 || s.p[0] == '#')
		return 0;
	if (s.p[0] == '[')
		return cfg_section(ps, s);
	return cfg_keyval(ps, s);
}

/*
 * The shares of the guests on each CPU add up to at most 100%, and leave
 * something for the guests on it that name none. Returns 0, or -1 (with
 * err) naming the line of the share that does not fit.
 */
static int cfg_check_shares(struct cfg_parser *ps)
{
	const struct hv_config *c = ps->cfg;

	for (int i = 0; i < c->nguests; i++) {
		const struct cfg_guest *g = &c->guests[i];
		unsigned sum = 0, total = 0, unnamed = 0, last_line = 0;

		if (!g->share_permille)
			continue;
		for (int j = 0; j < c->nguests; j++) {
			const struct cfg_guest *o = &c->guests[j];
			if (o->cpu != g->cpu)
				continue;
			total += o->share_permille;
			sum += j <= i ? o->share_permille : 0;
			unnamed += !o->share_permille;
			last_line = o->share_permille ? o->share_line : last_line;
		}
		if (sum > 1000)
			return cfg_fail(ps, g->share_line, "shares of the guests on cpu %d add up to "
					"%u%% (over 100%%)", g->cpu, sum / 10);
		if (g->share_line == last_line && unnamed && total + 10 * unnamed > 1000)
			return cfg_fail(ps, g->share_line, "shares on cpu %d add up to %u%%: less than "
					"1%% is left for each of the %u guest(s) there without a share",
					g->cpu, total / 10, unnamed);
	}
	return 0;
}

/*
 * Turns each guest's manages list into the bits of the guests it names:
 * every name must be another guest of the file.
 */
static int cfg_resolve_manages(struct cfg_parser *ps)
{
	struct hv_config *c = ps->cfg;

	for (int i = 0; i < c->nguests; i++) {
		struct cfg_guest *g = &c->guests[i];
		struct cfg_str list = ps->manages[i], it;
		int j;

		if (!g->manages_line)
			continue;
		ps->line = g->manages_line;      /* cfg_next_item's errors name it */
		while (cfg_next_item(ps, &list, &it) > 0) {
			for (j = 0; j < c->nguests && !cfg_eq(it, c->guests[j].name); j++)
				;
			if (j == c->nguests)
				return cfg_fail(ps, g->manages_line, "manages: no guest named %s",
						CFG_SHOW(it));
			if (j == i)
				return cfg_fail(ps, g->manages_line, "manages: guest %s cannot manage itself",
						g->name);
			g->manages |= (uint8_t)(1u << j);
		}
	}
	return 0;
}

/* ---- public API ------------------------------------------------------ */

/* Returns 0 and fills *out on success; -1 with *err on the first error. */
int cfg_parse(const char *text, size_t len, struct hv_config *out,
	      struct cfg_error *err)
{
	struct cfg_parser ps;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	memset(err, 0, sizeof(*err));
	out->timeslice_us = 10000;
	out->period_us = 10000;
	out->trace = true;
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
		if (++ps.line > CFG_MAX_LINES)
			return cfg_fail(&ps, ps.line, "config too long (max %d lines)",
					CFG_MAX_LINES);
		if (cfg_line(&ps, s) < 0)
			return -1;
	}
	if (cfg_close_section(&ps) < 0)
		return -1;
	if (out->nguests == 0)
		return cfg_fail(&ps, ps.line ? ps.line : 1, "no guests defined");
	if (cfg_resolve_manages(&ps) < 0)
		return -1;
	return cfg_check_shares(&ps);
}
