/*
 * Filtered PCI configuration space. The hv scans bus 0 once for the
 * functions a guest can own (today: the IDE controller, class 01:01, for
 * ide0/ide1). A guest's accesses go to the physical function only if it
 * owns it; reads elsewhere return all ones, the "no device" answer.
 * Writes that could move the device in the machine (BARs, expansion ROM)
 * or reset it (port 0xcf9) are dropped.
 */
#include "vpci.h"
#include "cpu.h"
#include "log.h"

#define PCI_ADDR      0xcf8
#define PCI_DATA      0xcfc
#define PCI_ENABLE    (1u << 31)
#define PCI_NONE      0xffffffffu

static uint32_t ide_bdf = PCI_NONE;     /* bus/device/function bits 23:8 of the address */

static uint32_t pci_read32(uint32_t addr)
{
	outl(PCI_ADDR, addr & ~3u);
	return inl(PCI_DATA);
}

void vpci_init(void)
{
	for (uint32_t dev = 0; dev < 32; dev++) {
		for (uint32_t fn = 0; fn < 8; fn++) {
			uint32_t bdf = (dev << 11) | (fn << 8);
			uint32_t id = pci_read32(PCI_ENABLE | bdf);
			if (id == PCI_NONE || (uint16_t)id == 0xffff)
				continue;
			uint32_t class = pci_read32(PCI_ENABLE | bdf | 8) >> 16;
			if (class == 0x0101 && ide_bdf == PCI_NONE) {
				ide_bdf = bdf;
				log_printf("hv: PCI 00:%02x.%u IDE controller %04x:%04x\n",
					   dev, fn, id & 0xffff, id >> 16);
			}
		}
	}
}

/* Returns true if g may see the function the address in g->pci_addr selects. */
static bool vpci_visible(const struct guest *g)
{
	uint32_t a = g->pci_addr;

	if (!(a & PCI_ENABLE) || ide_bdf == PCI_NONE || (a & 0x00ffff00u) != ide_bdf)
		return false;
	return (g->cfg->devices & (CFG_DEV_IDE0 | CFG_DEV_IDE1)) != 0;
}

uint32_t vpci_read(struct guest *g, uint16_t port, unsigned size)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << 8 * size) - 1;

	if (port == PCI_ADDR && size == 4)
		return g->pci_addr;
	if (port < PCI_DATA || !vpci_visible(g))
		return PCI_NONE & mask;
	uint32_t v = pci_read32(g->pci_addr);
	/*
	 * BAR4 is the PIIX bus master: a guest that programmed it would reach
	 * all of memory by DMA. Until the hv intercepts DMA, the guest sees
	 * none, and its driver falls back to PIO.
	 */
	if ((g->pci_addr & 0xfc) == 0x20)
		v = 0;
	return (v >> 8 * (port - PCI_DATA)) & mask;
}

void vpci_write(struct guest *g, uint16_t port, unsigned size, uint32_t val)
{
	unsigned reg;

	if (port == PCI_ADDR && size == 4) {
		g->pci_addr = val;
		return;
	}
	if (port < PCI_DATA || !vpci_visible(g))
		return;
	reg = (g->pci_addr & 0xfc) + (port - PCI_DATA);
	if (reg >= 0x10 && reg < 0x34)          /* BARs, CardBus CIS, subsystem, ROM */
		return;
	outl(PCI_ADDR, g->pci_addr & ~3u);
	if (size == 1)
		outb(port, (uint8_t)val);
	else if (size == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
}
