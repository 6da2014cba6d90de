/*
 * PCI configuration space as guests see it. The hv scans bus 0 once for
 * the functions a guest can own (today: the IDE controller, class 01:01,
 * for ide0/ide1) and filters every guest access byte by byte
 * (hv/vpci_filter.c: the rules). This file is the hardware side: physical
 * configuration cycles, the owners, and the log of what was denied (the
 * first few lines per guest, then a count at growing intervals). Its bus
 * master (BAR4) is visible: the hv traps those ports (hv/vdma_io.c).
 */
#include "vpci.h"
#include "spinlock.h"
#include "vpci_filter.h"
#include "cpu.h"
#include "log.h"

#define VPCI_LINES_LOGGED 8

_Static_assert(VPCI_OWNERS >= CFG_MAX_GUESTS, "one PCI owner slot per guest");

static struct vpci_filter ide;          /* the IDE function, shared by ide0's and ide1's owners */
static uint16_t bm_base;                /* BAR4: the bus master's ports */
static unsigned vpci_logged[VPCI_OWNERS];

uint16_t vpci_bm_base(void)
{
	return bm_base;
}

/*
 * The physical configuration mechanism #1 is two ports with state between
 * them: two CPUs must never interleave their 0xCF8 and 0xCFC accesses, so
 * every configuration cycle the hv makes (for itself or on a guest's
 * behalf) holds this lock from the address write to the data access.
 */
static struct spinlock pci_lock;

static uint32_t pci_read32(uint32_t addr)
{
	uint32_t v;

	spin_lock(&pci_lock);
	outl(VPCI_ADDR_PORT, addr & ~3u);
	v = inl(VPCI_DATA_PORT);
	spin_unlock(&pci_lock);
	return v;
}

/* Byte-wide configuration cycles: a byte write never touches its neighbours (status is write-1-to-clear). */
static uint8_t vpci_phys_read8(void *ctx, uint32_t bdf, unsigned reg)
{
	uint8_t v;

	spin_lock(&pci_lock);
	outl(VPCI_ADDR_PORT, VPCI_ENABLE | bdf | (reg & 0xfc));
	v = inb((uint16_t)(VPCI_DATA_PORT + (reg & 3)));
	spin_unlock(&pci_lock);
	return v;
}

static void vpci_phys_write8(void *ctx, uint32_t bdf, unsigned reg, uint8_t val)
{
	spin_lock(&pci_lock);
	outl(VPCI_ADDR_PORT, VPCI_ENABLE | bdf | (reg & 0xfc));
	outb((uint16_t)(VPCI_DATA_PORT + (reg & 3)), val);
	spin_unlock(&pci_lock);
}

static const struct vpci_filter_ops vpci_phys = { vpci_phys_read8, vpci_phys_write8, 0 };

void vpci_init(void)
{
	uint32_t ide_bdf = VPCI_NONE;

	for (uint32_t dev = 0; dev < 32; dev++) {
		for (uint32_t fn = 0; fn < 8; fn++) {
			uint32_t bdf = (dev << 11) | (fn << 8);
			uint32_t id = pci_read32(VPCI_ENABLE | bdf);
			if (id == VPCI_NONE || (uint16_t)id == 0xffff)
				continue;
			uint32_t class = pci_read32(VPCI_ENABLE | bdf | 8) >> 16;
			if (class == 0x0101 && ide_bdf == VPCI_NONE) {
				uint32_t bar4 = pci_read32(VPCI_ENABLE | bdf | 0x20);
				ide_bdf = bdf;
				bm_base = (bar4 & 1) ? (uint16_t)(bar4 & 0xfffc) : 0;
				log_printf("hv: PCI 00:%02x.%u IDE controller %04x:%04x, bus master at 0x%x\n",
					   dev, fn, id & 0xffff, id >> 16, bm_base);
			}
		}
	}
	vpci_filter_init(&ide, &vpci_phys, ide_bdf);
	if (ide_bdf != VPCI_NONE)
		log_printf("hv: PCI IDE filter: model %s, command 0x%04x, IDETIM 0x%04x 0x%04x\n",
			   ide.model->name, ide.cmd_boot, pci_read32(VPCI_ENABLE | ide_bdf | 0x40) & 0xffff,
			   pci_read32(VPCI_ENABLE | ide_bdf | 0x40) >> 16);
}

void vpci_guest_reset(struct guest *g)
{
	unsigned chans = ((g->cfg->devices & CFG_DEV_IDE0) ? VPCI_CHAN_PRI : 0) |
			 ((g->cfg->devices & CFG_DEV_IDE1) ? VPCI_CHAN_SEC : 0);

	g->pci_addr = 0;
	vpci_filter_owner_reset(&ide, (unsigned)g->id, chans);
}

uint32_t vpci_read(struct guest *g, uint16_t port, unsigned size)
{
	return vpci_filter_in(&ide, (unsigned)g->id, g->pci_addr, port, size);
}

/* Logs what the filter did to one OUT: the first lines per guest, then counts at 16, 64, 256, ... */
static void vpci_log(struct guest *g, uint16_t port, unsigned size, const struct vpci_filter_result *r)
{
	unsigned n = ++vpci_logged[g->id];
	uint32_t bdf = r->bdf;

	if (n > VPCI_LINES_LOGGED) {
		if (!(n & (n - 1)) && (n & 0x55555555u))
			log_printf("hv: guest %s: %u PCI configuration writes denied or emulated so far\n",
				   g->cfg->name, n);
		return;
	}
	if (r->denied && bdf != VPCI_NONE)
		log_printf("hv: guest %s: PCI config write denied: %02x:%02x.%u offset 0x%02x value 0x%02x (%s), "
			   "%u of %u byte(s) at port 0x%x%s\n", g->cfg->name, (bdf >> 16) & 0xff,
			   (bdf >> 11) & 0x1f, (bdf >> 8) & 7, r->reg, r->val, r->why, r->denied, size, port,
			   n == VPCI_LINES_LOGGED ? "; further ones counted, not logged" : "");
	else if (r->denied)
		log_printf("hv: guest %s: PCI port write denied: port 0x%x value 0x%02x (%s), %u of %u byte(s) at "
			   "port 0x%x%s\n", g->cfg->name, r->reg, r->val, r->why, r->denied, size, port,
			   n == VPCI_LINES_LOGGED ? "; further ones counted, not logged" : "");
	if (r->cmd_differs)
		log_printf("hv: guest %s: PCI command emulated: its copy 0x%04x, physical 0x%04x (the other owner's "
			   "enables kept)\n", g->cfg->name, r->cmd_copy, r->cmd_phys);
}

void vpci_write(struct guest *g, uint16_t port, unsigned size, uint32_t val)
{
	struct vpci_filter_result res;

	vpci_filter_out(&ide, (unsigned)g->id, &g->pci_addr, port, size, val, &res);
	if (res.denied || res.cmd_differs)
		vpci_log(g, port, size, &res);
}
