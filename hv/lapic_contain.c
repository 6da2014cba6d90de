/*
 * What a guest's APIC models send to no CPU: counted, and logged once per
 * kind and boot (hv/lapic_contain.h). The log lines are bounded by the
 * kinds (at most 16 IPI, 8 entry and 8 message kinds a boot), which is
 * stricter than the refusal lines' rate limit and keeps them out of its
 * budget, so an I/O or MSR refusal is never suppressed for their sake.
 */
#include "lapic_contain.h"
#include "lapic.h"
#include "log.h"

/* Bits of g->contain.logged: IPIs by (x2APIC, mode), then IOAPIC entries and messages by mode. */
#define KIND_IPI(x2, mode)  (((x2) ? 8u : 0u) + (mode))
#define KIND_ROUTE(mode)    (16u + (mode))
#define KIND_MSG(mode)      (24u + (mode))

#define ICR_DEST_LOGICAL    (1u << 11)

/* "Interrupt Command Register (ICR)": delivery modes 000-111. */
static const char *const ipi_mode[8] = {
	"fixed", "lowest priority", "SMI", "reserved mode 3", "NMI", "INIT", "SIPI", "reserved mode 7",
};

/* "I/O Redirection Table Registers" (82093AA): delivery modes 000-111. */
static const char *const rte_mode[8] = {
	"fixed", "lowest priority", "SMI", "reserved mode 3", "NMI", "INIT", "reserved mode 6", "ExtINT",
};

/* Returns true if kind was not logged yet this boot, and marks it logged. */
static bool contain_first(struct guest *g, unsigned kind)
{
	uint64_t bit = 1ull << kind;

	if (g->contain.logged & bit)
		return false;
	g->contain.logged |= bit;
	return true;
}

/* Writes "APIC ID N", "logical destination 0xN" or the broadcast into buf. */
static void contain_dest(char *buf, size_t n, uint32_t dest, bool logical, bool x2apic)
{
	if (dest == (x2apic ? 0xffffffffu : 0xffu))
		log_snprintf(buf, n, "all APIC IDs (broadcast 0x%x)", dest);
	else if (logical)
		log_snprintf(buf, n, "logical destination 0x%x", dest);
	else
		log_snprintf(buf, n, "APIC ID %u", dest);
}

/* Writes why an IPI reached no one (the vLAPIC's decisions, hv/vlapic.c) into buf. */
static void contain_ipi_why(char *buf, size_t n, unsigned mode, bool self, uint32_t id)
{
	if (mode == VLAPIC_DM_LOWEST)
		log_snprintf(buf, n, "lowest-priority IPIs are not sent (ESR: redirectable IPI)");
	else if (!self)
		log_snprintf(buf, n, "no such CPU, its only CPU has APIC ID %u", id);
	else
		log_snprintf(buf, n, "its only CPU (APIC ID %u) takes no INIT, SIPI or SMI", id);
}

void lapic_contain_ipis(struct guest *g)
{
	static const char *const shorthand[4] = { NULL, "self", "all including self", "all excluding self" };
	struct vlapic_ipi ipi;
	uint32_t n = vlapic_take_dropped_ipi(&g->lapic, &ipi);
	unsigned mode = (unsigned)(ipi.icr >> 8) & 7, sh = (unsigned)(ipi.icr >> 18) & 3;
	char dest[48], why[64];

	if (!n)
		return;
	g->contain.ipis[mode] += n;
	if (!contain_first(g, KIND_IPI(ipi.x2apic, mode)))
		return;
	if (sh)
		log_snprintf(dest, sizeof(dest), "%s", shorthand[sh]);
	else
		contain_dest(dest, sizeof(dest), (uint32_t)(ipi.icr >> (ipi.x2apic ? 32 : 56)),
			     ipi.icr & ICR_DEST_LOGICAL, ipi.x2apic);
	contain_ipi_why(why, sizeof(why), mode, ipi.self, g->lapic.cfg.id);
	log_printf("hv: guest %s: IPI (%s, %s) to %s dropped: %s\n", g->cfg->name, ipi_mode[mode],
		   ipi.x2apic ? "x2APIC MSR" : "xAPIC page", dest, why);
}

/* Returns true if g's vCPU takes an IOAPIC message (dest, logical, mode), as lapic_commit hands it over. */
static bool contain_reaches(const struct guest *g, uint8_t dest, bool logical, unsigned mode)
{
	/* vlapic_accept_irq takes fixed, lowest priority and NMI; SMI, INIT and ExtINT are dropped. */
	return (mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST || mode == VLAPIC_DM_NMI) &&
	       vlapic_match_dest(&g->lapic, dest, logical);
}

/* Writes why an IOAPIC entry or message reaches no CPU of g into buf. */
static void contain_rte_why(const struct guest *g, char *buf, size_t n, uint8_t dest, bool logical)
{
	if (!vlapic_match_dest(&g->lapic, dest, logical))
		log_snprintf(buf, n, "no such CPU, its only CPU has APIC ID %u", g->lapic.cfg.id);
	else
		log_snprintf(buf, n, "its only CPU (APIC ID %u) takes no SMI, INIT or ExtINT message",
			     g->lapic.cfg.id);
}

bool lapic_contain_msg(struct guest *g, int pin, const struct vioapic_msg *m)
{
	char dest[48], why[72];

	if (contain_reaches(g, m->dest, m->logical, m->delivery_mode))
		return false;
	if (!vlapic_hw_enabled(&g->lapic))
		return true;                    /* no APIC to take it: lost, as on a PC */
	g->contain.msgs++;
	if (!contain_first(g, KIND_MSG(m->delivery_mode & 7)))
		return true;
	contain_dest(dest, sizeof(dest), m->dest, m->logical, false);
	contain_rte_why(g, why, sizeof(why), m->dest, m->logical);
	log_printf("hv: guest %s: IOAPIC pin %d message (%s, vector 0x%x) to %s dropped: %s\n",
		   g->cfg->name, pin, rte_mode[m->delivery_mode & 7], m->vector, dest, why);
	return true;
}

void lapic_contain_route(struct guest *g, uint32_t off)
{
	unsigned r = g->ioapic.ioregsel, pin, mode;
	uint64_t e;
	uint8_t dest;
	bool logical;
	char where[48], why[72];

	if ((off & ~3u) != VIOAPIC_IOWIN || r < VIOAPIC_REG_RTE || r >= VIOAPIC_REG_RTE + 2 * VIOAPIC_PINS)
		return;
	pin = (r - VIOAPIC_REG_RTE) / 2;
	e = g->ioapic.rte[pin];
	dest = (uint8_t)(e >> 56);
	logical = e & VIOAPIC_RTE_LOGICAL;
	mode = (unsigned)(e >> 8) & 7;
	if ((e & VIOAPIC_RTE_MASKED) || !vlapic_hw_enabled(&g->lapic) || contain_reaches(g, dest, logical, mode))
		return;
	g->contain.routes++;
	if (!contain_first(g, KIND_ROUTE(mode)))
		return;
	contain_dest(where, sizeof(where), dest, logical, false);
	contain_rte_why(g, why, sizeof(why), dest, logical);
	log_printf("hv: guest %s: IOAPIC pin %u routed to %s (%s, vector 0x%x): %s; its interrupts go nowhere\n",
		   g->cfg->name, pin, where, rte_mode[mode], (unsigned)(e & 0xff), why);
}

void lapic_contain_print(const struct guest *g)
{
	const struct guest_contain *c = &g->contain;
	char modes[256] = "";
	uint64_t ipis = 0;
	size_t n = 0;

	for (unsigned m = 0; m < 8; m++) {
		if (!c->ipis[m])
			continue;
		ipis += c->ipis[m];
		n += log_snprintf(modes + n, sizeof(modes) - n, "%s%s %lu", n ? ", " : " (", ipi_mode[m],
				  c->ipis[m]);
	}
	if (!ipis && !c->routes && !c->msgs)
		return;
	log_printf("hv: guest %s APIC containment: %lu IPIs dropped%s%s, %lu IOAPIC entries routed to no CPU, "
		   "%lu IOAPIC messages dropped\n", g->cfg->name, ipis, modes, n ? ")" : "", c->routes, c->msgs);
}
