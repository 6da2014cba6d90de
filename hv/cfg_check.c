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
 * Ports no guest may own, one table. Two kinds:
 * - CFG_PORT_EMULATED: the hv emulates the device for every guest; an owner
 *   would bypass the emulation and disturb the hv's own use of it.
 * - CFG_PORT_MACHINE: the port acts on the whole machine: it resets or powers
 *   it off, raises an SMI, moves A20, does DMA outside every partition, keeps
 *   firmware settings, or belongs to the emulator (Bochs, QEMU) and can stop
 *   it. Machine-specific ones (the ACPI PM blocks of the FADT, the PM
 *   function's ports) are found at boot: cfg_check_machine_ports.
 *
 * Not here, on purpose: 0x60 (8042 data). Alone it only reaches the
 * keyboard; the reset line and A20 are driven by a byte written to 0x60
 * after a controller command (0xd1, "write output port"), and commands go
 * to 0x64, which no guest may own. 0x80 (POST codes) is harmless.
 * Sorted by port. The emulated ones are those of the hv's handlers
 * (hv/exit_io.c, hv/vdev.c); any other port a guest does not own traps and
 * is refused, so keeping these out of hv.cfg is all the hv needs.
 */
enum cfg_port_kind { CFG_PORT_EMULATED, CFG_PORT_MACHINE };

static const struct cfg_reserved_port {
	uint16_t first, last;
	enum cfg_port_kind kind;
	const char *why;
} cfg_reserved[] = {
	{ 0x0000, 0x001f, CFG_PORT_MACHINE, "8237 DMA controller 1: DMA below 16 MiB, outside any partition" },
	{ 0x0020, 0x0021, CFG_PORT_EMULATED, "pic" },
	{ 0x0040, 0x0043, CFG_PORT_EMULATED, "pit" },
	{ 0x0061, 0x0061, CFG_PORT_EMULATED, "pit" },
	{ 0x0064, 0x0064, CFG_PORT_MACHINE, "8042 controller: reset line, A20" },
	{ 0x0070, 0x0071, CFG_PORT_EMULATED, "cmos" },
	{ 0x0072, 0x0073, CFG_PORT_MACHINE, "CMOS upper bank: firmware settings that outlive a reset" },
	{ 0x0081, 0x008f, CFG_PORT_MACHINE, "8237 DMA page registers" },
	{ 0x0092, 0x0092, CFG_PORT_MACHINE, "system control port A: fast reset, A20" },
	{ 0x00a0, 0x00a1, CFG_PORT_EMULATED, "pic" },
	{ 0x00b2, 0x00b3, CFG_PORT_MACHINE, "APM control and status: raises an SMI" },
	{ 0x00c0, 0x00df, CFG_PORT_MACHINE, "8237 DMA controller 2: DMA below 16 MiB, outside any partition" },
	{ 0x00e9, 0x00e9, CFG_PORT_EMULATED, "debug console" },
	{ 0x00f4, 0x00f7, CFG_PORT_MACHINE, "debug exit: the hv's exit ports; QEMU's isa-debug-exit ends the emulator" },
	{ 0x0400, 0x0403, CFG_PORT_MACHINE, "Bochs BIOS panic and message ports: a panic stops the emulator" },
	{ 0x04d0, 0x04d1, CFG_PORT_EMULATED, "pic elcr" },
	{ 0x0500, 0x0503, CFG_PORT_MACHINE, "Bochs VGA BIOS panic ports, QEMU isa-debug-exit default: stop the emulator" },
	{ 0x0505, 0x0505, CFG_PORT_MACHINE, "QEMU pvpanic: stops or resets the emulator" },
	{ 0x0510, 0x051b, CFG_PORT_MACHINE, "QEMU fw_cfg: firmware configuration, DMA to any address" },
	{ 0x0a00, 0x0a17, CFG_PORT_MACHINE, "QEMU memory hotplug: ejects memory" },
	{ 0x0cd8, 0x0ce3, CFG_PORT_MACHINE, "QEMU ICH9 CPU hotplug: ejects CPUs" },
	{ 0x0cf8, 0x0cf8, CFG_PORT_EMULATED, "pci config" },
	{ 0x0cf9, 0x0cf9, CFG_PORT_MACHINE, "reset control register: hard and soft reset" },
	{ 0x0cfa, 0x0cff, CFG_PORT_EMULATED, "pci config" },
	{ 0x8900, 0x8900, CFG_PORT_MACHINE, "Bochs shutdown port: powers the emulator off" },
	{ 0xae00, 0xae13, CFG_PORT_MACHINE, "QEMU PCI hotplug: ejects devices" },
	{ 0xaf00, 0xaf1f, CFG_PORT_MACHINE, "QEMU PIIX4 CPU hotplug: ejects CPUs" },
	{ 0xafe0, 0xafe3, CFG_PORT_MACHINE, "QEMU ACPI GPE0 block: raises SCIs" },
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

/*
 * Returns the reserved entry holding the lowest port of [first, last] that
 * no guest may own, with that port in *port; NULL if none.
 */
static const struct cfg_reserved_port *cfg_reserved_find(unsigned first,
							 unsigned last,
							 unsigned *port)
{
	const struct cfg_reserved_port *best = NULL;
	size_t i;

	for (i = 0; i < CFG_NELEM(cfg_reserved); i++) {
		const struct cfg_reserved_port *r = &cfg_reserved[i];
		unsigned p = cfg_max(first, r->first);

		if (cfg_overlap(first, last, r->first, r->last) &&
		    (!best || p < *port)) {
			best = r;
			*port = p;
		}
	}
	return best;
}

/* Returns -1 (with err) if [first, last] touches a port no guest may own. */
static int cfg_check_reserved(struct cfg_parser *ps, unsigned first,
			      unsigned last)
{
	unsigned port = 0;
	const struct cfg_reserved_port *r = cfg_reserved_find(first, last, &port);

	if (!r)
		return 0;
	if (r->kind == CFG_PORT_MACHINE)
		return cfg_fail(ps, ps->line,
				"port 0x%x controls the whole machine (%s) and cannot be given",
				port, r->why);
	return cfg_fail(ps, ps->line,
			"port 0x%x is emulated by the hv (%s) and cannot be given",
			port, r->why);
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

const char *cfg_port_reserved(unsigned port)
{
	unsigned p = 0;
	const struct cfg_reserved_port *r;

	if (port > 0xffff)
		return NULL;
	r = cfg_reserved_find(port, port, &p);
	return r ? r->why : NULL;
}

bool cfg_port_machine_wide(unsigned port)
{
	unsigned p = 0;
	const struct cfg_reserved_port *r;

	if (port > 0xffff)
		return false;
	r = cfg_reserved_find(port, port, &p);
	return r && r->kind == CFG_PORT_MACHINE;
}

/*
 * The ranges r come from this machine's firmware (see include/hvcfg.h).
 * Reports the grant with the earliest line, so the message points at the
 * first line a person has to change.
 */
int cfg_check_machine_ports(const struct hv_config *c,
			    const struct cfg_machine_range *r, int n,
			    struct cfg_error *err)
{
	struct cfg_parser ps = { .err = err };
	const struct cfg_machine_range *hit = NULL;
	unsigned port = 0, line = 0;
	int gi, pi, ri;

	for (gi = 0; gi < c->nguests; gi++) {
		const struct cfg_guest *g = &c->guests[gi];

		for (pi = 0; pi < g->nports; pi++) {
			const struct cfg_range *p = &g->ports[pi];

			for (ri = 0; ri < n; ri++) {
				if (!cfg_overlap(p->first, p->last, r[ri].first, r[ri].last))
					continue;
				if (hit && p->line >= line)
					continue;
				hit = &r[ri];
				line = p->line;
				port = cfg_max(p->first, r[ri].first);
			}
		}
	}
	if (!hit)
		return 0;
	return cfg_fail(&ps, (int)line, "port 0x%x is %s and acts on the whole machine",
			port, hit->what);
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

int cfg_check_cpus(const struct hv_config *c, unsigned ncpus, struct cfg_error *err)
{
	struct cfg_parser ps = { .err = err };

	for (int i = 0; i < c->nguests; i++) {
		const struct cfg_guest *g = &c->guests[i];

		if (g->cpu >= 0 && (unsigned)g->cpu < ncpus)
			continue;
		if (ncpus == 1)
			return cfg_fail(&ps, g->cpu_line ? g->cpu_line : g->line,
					"cpu %d: this machine has 1 CPU (0)", g->cpu);
		return cfg_fail(&ps, g->cpu_line ? g->cpu_line : g->line,
				"cpu %d: this machine has %u CPUs (0..%u)", g->cpu, ncpus, ncpus - 1);
	}
	return 0;
}

unsigned cfg_shares_overcommit(const struct hv_config *c, const int *placed, int cpu)
{
	unsigned named = 0, unnamed = 0;

	for (int i = 0; i < c->nguests; i++) {
		if (placed[i] != cpu)
			continue;
		named += c->guests[i].share_permille;
		unnamed += !c->guests[i].share_permille;
	}
	if (named > 1000 || (unnamed && named + 10 * unnamed > 1000))
		return named + 10 * unnamed;
	return 0;
}
