/*
 * hv.cfg checks across guests: grants ports, IRQs and devices to the guest
 * being parsed, refusing what the hv emulates itself or another guest owns,
 * and checks limits on the whole config (cfg_check_memory). The parser
 * (hv/cfg.c) calls in here for the ports, irqs and devices keys.
 *
 * Freestanding and linked into tools/hvcfg too, like hv/cfg.c.
 */
#include "cfg_internal.h"
#include "fmt.h"

#define CFG_PORTS_BUF     16     /* "0xffff-0xffff" */

/*
 * Ports no guest may own: those the hv emulates per guest (granting one
 * would bypass the emulation), and those that act on the whole machine (a
 * guest owning one could reset it); machine says which.
 */
static const struct {
	uint16_t first, last;
	const char *what;
	bool machine;
} cfg_reserved[] = {
	{ 0x020, 0x021, "pic", false },   { 0x0a0, 0x0a1, "pic", false },
	{ 0x040, 0x043, "pit", false },   { 0x061, 0x061, "pit", false },
	{ 0x070, 0x071, "cmos", false },  { 0x4d0, 0x4d1, "pic elcr", false },
	{ 0xcf8, 0xcff, "pci config", false },
	{ 0x0e9, 0x0e9, "debug console", false }, { 0x0f4, 0x0f4, "debug exit", false },
	{ 0x092, 0x092, "system control port a: fast reset, a20", true },
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

static bool cfg_overlap(unsigned a1, unsigned a2, unsigned b1, unsigned b2)
{
	return a1 <= b2 && b1 <= a2;
}

static unsigned cfg_max(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* A port or a port range as messages show it: "0x80", "0x3f8-0x3ff". */
static const char *cfg_show_ports(char buf[CFG_PORTS_BUF], unsigned first,
				  unsigned last)
{
	if (first == last)
		fmt_snprintf(buf, CFG_PORTS_BUF, "0x%x", first);
	else
		fmt_snprintf(buf, CFG_PORTS_BUF, "0x%x-0x%x", first, last);
	return buf;
}

#define CFG_SHOW_PORTS(a, b) cfg_show_ports((char[CFG_PORTS_BUF]){ 0 }, (a), (b))

/* ---- ports ----------------------------------------------------------- */

/* Returns -1 (with err) if [first, last] touches a port the hv emulates. */
static int cfg_check_reserved(struct cfg_parser *ps, unsigned first,
			      unsigned last)
{
	size_t i;

	for (i = 0; i < CFG_NELEM(cfg_reserved); i++) {
		unsigned r1 = cfg_reserved[i].first, r2 = cfg_reserved[i].last;

		if (cfg_overlap(first, last, r1, r2))
			return cfg_fail(ps, ps->line, cfg_reserved[i].machine ?
					"port 0x%x controls the whole machine (%s) and cannot be given" :
					"port 0x%x is emulated by the hv (%s) and cannot be given",
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
					"port %s overlaps %s given at line %d",
					CFG_SHOW_PORTS(first, last),
					CFG_SHOW_PORTS(r->first, r->last),
					(int)r->line);
	}
	for (g = ps->cfg->guests; g < me; g++) {
		for (i = 0; i < g->nports; i++) {
			const struct cfg_range *r = &g->ports[i];

			if (cfg_overlap(first, last, r->first, r->last))
				return cfg_fail(ps, ps->line,
						"port 0x%x already given to guest %s (line %d)",
						cfg_max(first, r->first), g->name,
						(int)r->line);
		}
	}
	return 0;
}

int cfg_add_ports(struct cfg_parser *ps, unsigned first, unsigned last)
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

/* ---- IRQs and devices ------------------------------------------------ */

int cfg_add_irq(struct cfg_parser *ps, int irq)
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

int cfg_add_device(struct cfg_parser *ps, struct cfg_str name)
{
	struct cfg_guest *me = ps->guest;
	const struct cfg_guest *g;
	size_t d;
	int i;

	for (d = 0; d < CFG_NELEM(cfg_devices); d++)
		if (cfg_eq(name, cfg_devices[d].name))
			break;
	if (d == CFG_NELEM(cfg_devices))
		return cfg_fail(ps, ps->line,
				"unknown device '%s' (known: com1 com2 ide0 ide1 vga)",
				CFG_SHOW(name));
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

/* ---- public API ------------------------------------------------------ */

/* Returns 0 if the guests' memory fits in limit (0: none), else -1 + err. */
int cfg_check_memory(const struct hv_config *c, uint64_t limit,
		     struct cfg_error *err)
{
	struct cfg_parser ps = { .err = err };
	uint64_t sum = 0;
	int i;

	if (limit == 0)
		return 0;
	for (i = 0; i < c->nguests; i++) {
		sum += c->guests[i].mem_bytes;
		if (sum > limit)
			return cfg_fail(&ps, c->guests[i].line,
					"guest memory total %s over limit %s at guest %s",
					CFG_SHOW_SIZE(sum), CFG_SHOW_SIZE(limit),
					c->guests[i].name);
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
