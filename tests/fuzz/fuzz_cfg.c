/*
 * Fuzz target: the hv.cfg parser (hv/cfg.c, hv/cfg_check.c, lib/fmt.c, the
 * very files the EFI image and tools/hvcfg link). The input is the text of
 * a config. Every accepted config must keep the isolation promises of
 * docs/config.md; every rejected one must name a line of the text in a
 * printable, terminated message; the same text must give the same result.
 * A machine with as many CPUs as the config uses takes it, one fewer
 * refuses it at the right cpu line (cfg_check_cpus).
 */
#include <string.h>

#include "fuzz.h"
#include "hvcfg.h"

#define MEM_MIN   (1ull << 20)
#define MEM_MAX   (1ull << 30)

/*
 * Ports no guest may own: the parser's own table (cfg_port_reserved), and
 * independently of it the ones issue 7 names as acting on the whole machine,
 * which must stay in that table whatever it becomes.
 */
static const uint16_t fuzz_machine_ports[] = {
	0x64, 0x92, 0xb2, 0xcf9, 0x8900, 0xf4, 0xf5, 0xf6, 0xf7,
};

/* Returns what port is reserved for, or NULL if a guest may own it. */
static const char *fuzz_port_reserved(unsigned port)
{
	size_t i;

	for (i = 0; i < sizeof(fuzz_machine_ports) / sizeof(fuzz_machine_ports[0]); i++)
		if (port == fuzz_machine_ports[i] && !cfg_port_reserved(port))
			FUZZ_CHECK(0, "port 0x%x acts on the whole machine but the table lets a guest have it",
				   port);
	return cfg_port_reserved(port);
}

/* What each device must expand to (include/hvcfg.h, docs/config.md). */
static const struct {
	uint32_t bit;
	uint16_t ports[2][2];           /* {0,0}: none */
	int irq;                        /* -1: none */
} fuzz_devices[] = {
	{ CFG_DEV_COM1, { { 0x3f8, 0x3ff }, { 0, 0 } }, 4 },
	{ CFG_DEV_COM2, { { 0x2f8, 0x2ff }, { 0, 0 } }, 3 },
	{ CFG_DEV_IDE0, { { 0x1f0, 0x1f7 }, { 0x3f6, 0x3f6 } }, 14 },
	{ CFG_DEV_IDE1, { { 0x170, 0x177 }, { 0x376, 0x376 } }, 15 },
	{ CFG_DEV_VGA, { { 0, 0 }, { 0, 0 } }, -1 },
};

/* The input split into lines as the parser numbers them. */
struct text {
	const uint8_t *p;
	size_t n;
	size_t *start;                  /* start[k]: offset of line k + 1 */
	int lines;
};

/* After a UTF-8 BOM, each LF ends a line; a last unterminated one counts. */
static void text_lines(struct text *t, const uint8_t *p, size_t n)
{
	size_t i = 0, at;

	t->p = p;
	t->n = n;
	t->lines = 0;
	t->start = malloc((n + 1) * sizeof(*t->start));
	FUZZ_CHECK(t->start != NULL, "out of memory");
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	for (at = i; i < n; i++) {
		if (p[i] == '\n' || i == n - 1) {
			t->start[t->lines++] = at;
			at = i + 1;
		}
	}
}

/* True if line (1-based) begins, after blanks, with word a or word b. */
static bool line_is(const struct text *t, int line, const char *a, const char *b)
{
	size_t i = t->start[line - 1];

	while (i < t->n && (t->p[i] == ' ' || t->p[i] == '\t'))
		i++;
	return (t->n - i >= strlen(a) && !memcmp(t->p + i, a, strlen(a))) ||
	       (b && t->n - i >= strlen(b) && !memcmp(t->p + i, b, strlen(b)));
}

/* A line the config names for a grant: in the text and holding that key. */
static void check_line(const struct text *t, int line, const char *a, const char *b)
{
	FUZZ_CHECK(line >= 1 && line <= t->lines, "line %d of %d", line, t->lines);
	FUZZ_CHECK(line_is(t, line, a, b), "line %d does not hold %s%s%s", line, a,
		   b ? " or " : "", b ? b : "");
}

/* Checks that s is NUL-terminated within max bytes; returns its length. */
static size_t fuzz_str(const char *s, size_t max, const char *what)
{
	size_t n = strnlen(s, max);

	FUZZ_CHECK(n < max, "%s not NUL-terminated within %zu bytes", what, max);
	return n;
}

static bool fuzz_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The strings and scalars of one accepted guest. */
static void check_guest_fields(const struct cfg_guest *g, const struct text *t)
{
	size_t n, i;

	n = fuzz_str(g->name, CFG_NAME_MAX, "name");
	FUZZ_CHECK(n >= 1 && n <= CFG_NAME_MAX - 1, "name length %zu", n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(fuzz_name_char(g->name[i]), "name '%s' char 0x%x", g->name,
			   (unsigned)(unsigned char)g->name[i]);
	n = fuzz_str(g->image, CFG_PATH_MAX, "image");
	FUZZ_CHECK(n >= 1 && g->image[0] == '\\', "image '%s' not from the root", g->image);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(g->image[i] != '/' &&
			   ((unsigned char)g->image[i] >= 0x20 || g->image[i] == '\t'),
			   "image byte 0x%x", (unsigned)(unsigned char)g->image[i]);
	n = fuzz_str(g->cmdline, CFG_CMDLINE_MAX, "cmdline");
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)g->cmdline[i] >= 0x20 || g->cmdline[i] == '\t',
			   "cmdline control byte 0x%x", (unsigned)(unsigned char)g->cmdline[i]);
	FUZZ_CHECK(g->mem_bytes >= MEM_MIN && g->mem_bytes <= MEM_MAX &&
		   g->mem_bytes % 4096 == 0, "guest %s memory %llu", g->name,
		   (unsigned long long)g->mem_bytes);
	FUZZ_CHECK(g->cpu >= 0 && g->cpu < CFG_MAX_CPUS, "cpu %d", g->cpu);
	FUZZ_CHECK(g->restart == CFG_RESTART_NO || g->restart == CFG_RESTART_YES,
		   "restart %d", (int)g->restart);
	FUZZ_CHECK(g->test_fault >= CFG_TEST_NONE && g->test_fault <= CFG_TEST_VMCONTROL,
		   "test_fault %d", (int)g->test_fault);
	check_line(t, g->line, "[", NULL);
	if (g->devices_line)
		check_line(t, g->devices_line, "devices", NULL);
}

/* One guest's ports: sane ranges, none reserved, none twice, the counters agree. */
static void check_guest_ports(const struct cfg_guest *g, const struct text *t)
{
	unsigned count = 0, port;
	int i, j;

	FUZZ_CHECK(g->nports >= 0 && g->nports <= CFG_MAX_PORTS, "nports %d", g->nports);
	for (i = 0; i < g->nports; i++) {
		const struct cfg_range *r = &g->ports[i];

		FUZZ_CHECK(r->first <= r->last, "range 0x%x-0x%x", r->first, r->last);
		check_line(t, r->line, "ports", "devices");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(r->last < g->ports[j].first || g->ports[j].last < r->first,
				   "guest %s owns 0x%x-0x%x twice", g->name, r->first, r->last);
		for (port = r->first; port <= r->last; port++)
			FUZZ_CHECK(!fuzz_port_reserved(port), "guest %s owns port 0x%x (%s)",
				   g->name, port, fuzz_port_reserved(port));
		FUZZ_CHECK(cfg_guest_owns_port(g, r->first) && cfg_guest_owns_port(g, r->last),
			   "cfg_guest_owns_port misses 0x%x-0x%x", r->first, r->last);
		count += (unsigned)r->last - r->first + 1;
	}
	FUZZ_CHECK(cfg_guest_port_count(g) == count, "port count %u, ranges %u",
		   cfg_guest_port_count(g), count);
}

/* One guest's IRQs and devices: never 0 or 2; a device brings its ports and IRQ. */
static void check_guest_irqs_devices(const struct cfg_guest *g, const struct text *t)
{
	uint32_t known = 0;
	size_t d;
	int irq;

	FUZZ_CHECK(!(g->irqs & 1u) && !(g->irqs & 4u), "guest %s irqs 0x%x", g->name, g->irqs);
	for (irq = 0; irq < CFG_MAX_IRQ; irq++)
		if (g->irqs & (1u << irq))
			check_line(t, g->irq_line[irq], "irqs", "devices");
	for (d = 0; d < sizeof(fuzz_devices) / sizeof(fuzz_devices[0]); d++) {
		int k;

		known |= fuzz_devices[d].bit;
		if (!(g->devices & fuzz_devices[d].bit))
			continue;
		FUZZ_CHECK(g->devices_line >= 1, "device without its line");
		for (k = 0; k < 2; k++) {
			unsigned p, a = fuzz_devices[d].ports[k][0], b = fuzz_devices[d].ports[k][1];

			for (p = a; a && p <= b; p++)
				FUZZ_CHECK(cfg_guest_owns_port(g, (uint16_t)p),
					   "device 0x%x without port 0x%x", fuzz_devices[d].bit, p);
		}
		if (fuzz_devices[d].irq >= 0)
			FUZZ_CHECK(g->irqs & (1u << fuzz_devices[d].irq),
				   "device 0x%x without irq %d", fuzz_devices[d].bit,
				   fuzz_devices[d].irq);
	}
	FUZZ_CHECK(!(g->devices & ~known), "unknown device bits 0x%x", g->devices);
	for (d = 0; d < 32; d++)
		FUZZ_CHECK((strcmp(cfg_device_name(1u << d), "?") != 0) == !!(known & (1u << d)),
			   "cfg_device_name(0x%x) is '%s'", 1u << d, cfg_device_name(1u << d));
}

/* Across guests: names, ports, IRQs and devices each belong to one guest. */
static void check_pair(const struct cfg_guest *a, const struct cfg_guest *b)
{
	int i, j;

	FUZZ_CHECK(strcmp(a->name, b->name) != 0, "two guests named %s", a->name);
	FUZZ_CHECK(!(a->irqs & b->irqs), "guests %s and %s share irqs 0x%x", a->name,
		   b->name, a->irqs & b->irqs);
	FUZZ_CHECK(!(a->devices & b->devices), "guests %s and %s share devices 0x%x",
		   a->name, b->name, a->devices & b->devices);
	for (i = 0; i < a->nports; i++)
		for (j = 0; j < b->nports; j++)
			FUZZ_CHECK(a->ports[i].last < b->ports[j].first ||
				   b->ports[j].last < a->ports[i].first,
				   "guests %s and %s both own 0x%x-0x%x / 0x%x-0x%x", a->name,
				   b->name, a->ports[i].first, a->ports[i].last,
				   b->ports[j].first, b->ports[j].last);
}

/* The memory total check names a guest line when the limit is one byte short. */
static void check_memory_limit(const struct hv_config *c)
{
	struct cfg_error err;
	uint64_t total = 0;
	int i;

	for (i = 0; i < c->nguests; i++)
		total += c->guests[i].mem_bytes;
	FUZZ_CHECK(cfg_check_memory(c, total, &err) == 0, "total %llu refused",
		   (unsigned long long)total);
	FUZZ_CHECK(cfg_check_memory(c, 0, &err) == 0, "no limit refused");
	memset(&err, 0x55, sizeof(err));
	FUZZ_CHECK(cfg_check_memory(c, total - 1, &err) == -1, "over the limit accepted");
	FUZZ_CHECK(err.line == c->guests[c->nguests - 1].line, "limit error at line %d",
		   err.line);
	FUZZ_CHECK(fuzz_str(err.msg, CFG_MSG_MAX, "memory message") > 0, "empty message");
}

/*
 * cfg_check_cpus: a machine of highest cpu + 1 CPUs takes the config; one
 * CPU fewer refuses it at the cpu line of the first guest over the count.
 */
static void check_cpus(const struct hv_config *c, const struct text *t)
{
	struct cfg_error err;
	int i, top = 0;

	for (i = 0; i < c->nguests; i++) {
		if (c->guests[i].cpu_line)
			check_line(t, c->guests[i].cpu_line, "cpu", NULL);
		else
			FUZZ_CHECK(c->guests[i].cpu == 0, "cpu %d without a cpu line", c->guests[i].cpu);
		top = c->guests[i].cpu > top ? c->guests[i].cpu : top;
	}
	FUZZ_CHECK(cfg_check_cpus(c, (unsigned)top + 1, &err) == 0, "%d CPUs refused", top + 1);
	FUZZ_CHECK(cfg_check_cpus(c, CFG_MAX_CPUS, &err) == 0, "%d CPUs refused", CFG_MAX_CPUS);
	if (!top)
		return;
	memset(&err, 0x55, sizeof(err));
	FUZZ_CHECK(cfg_check_cpus(c, (unsigned)top, &err) == -1, "cpu %d on %d CPUs accepted",
		   top, top);
	for (i = 0; c->guests[i].cpu < top; i++)
		;
	FUZZ_CHECK(err.line == c->guests[i].cpu_line, "cpu error at line %d, want %d", err.line,
		   c->guests[i].cpu_line);
	FUZZ_CHECK(fuzz_str(err.msg, CFG_MSG_MAX, "cpu message") > 0, "empty message");
}

/* manages: only guests of the file, never itself, and a key line behind any right. */
static void check_manages(const struct hv_config *c, const struct text *t)
{
	for (int i = 0; i < c->nguests; i++) {
		const struct cfg_guest *g = &c->guests[i];

		FUZZ_CHECK(!(g->manages >> c->nguests), "guest %s manages 0x%x of %d guests", g->name,
			   g->manages, c->nguests);
		FUZZ_CHECK(!(g->manages & (1u << i)), "guest %s manages itself", g->name);
		FUZZ_CHECK(!g->manages || g->manages_line, "guest %s manages without a key", g->name);
		if (g->manages_line)
			check_line(t, g->manages_line, "manages", NULL);
	}
}

static void check_accepted(const struct hv_config *c, const struct text *t)
{
	int i, j;

	FUZZ_CHECK(c->nguests >= 1 && c->nguests <= CFG_MAX_GUESTS, "nguests %d", c->nguests);
	FUZZ_CHECK(c->timeslice_us >= 100 && c->timeslice_us <= 1000000, "timeslice %u",
		   c->timeslice_us);
	for (i = 0; i < c->nguests; i++) {
		check_guest_fields(&c->guests[i], t);
		check_guest_ports(&c->guests[i], t);
		check_guest_irqs_devices(&c->guests[i], t);
		for (j = 0; j < i; j++)
			check_pair(&c->guests[j], &c->guests[i]);
	}
	check_memory_limit(c);
	check_cpus(c, t);
	check_manages(c, t);
}

/* A refusal names a line of the text in a printable, terminated message. */
static void check_rejected(const struct cfg_error *err, int lines)
{
	size_t n = fuzz_str(err->msg, CFG_MSG_MAX, "error message"), i;

	FUZZ_CHECK(n > 0, "empty error message");
	FUZZ_CHECK(err->line >= 1 && err->line <= (lines ? lines : 1),
		   "error line %d, text has %d lines: %s", err->line, lines, err->msg);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(err->msg[i] >= 0x20 && err->msg[i] < 0x7f,
			   "unprintable byte 0x%x in '%s'", (unsigned)(unsigned char)err->msg[i],
			   err->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_config c1, c2;
	static struct cfg_error e1, e2;
	struct text t;
	int rc1, rc2;

	text_lines(&t, data, size);
	rc1 = cfg_parse((const char *)data, size, &c1, &e1);
	FUZZ_CHECK(rc1 == 0 || rc1 == -1, "cfg_parse returned %d", rc1);
	memset(&c2, 0xa5, sizeof(c2));
	memset(&e2, 0xa5, sizeof(e2));
	rc2 = cfg_parse((const char *)data, size, &c2, &e2);
	FUZZ_CHECK(rc1 == rc2, "second parse returned %d, first %d", rc2, rc1);
	if (rc1 == 0) {
		FUZZ_CHECK(memcmp(&c1, &c2, sizeof(c1)) == 0, "second parse differs");
		check_accepted(&c1, &t);
	} else {
		FUZZ_CHECK(memcmp(&e1, &e2, sizeof(e1)) == 0, "second error differs: '%s' / '%s'",
			   e1.msg, e2.msg);
		check_rejected(&e1, t.lines);
	}
	free(t.start);
	return 0;
}
