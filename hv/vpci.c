/*
 * Filtered PCI configuration space. The hv scans bus 0 once for the
 * functions a guest can own (today: the IDE controller, class 01:01, for
 * ide0/ide1). A guest's accesses go to the physical function only if it
 * owns it; reads elsewhere return all ones, the "no device" answer. Its
 * bus master (BAR4) is visible: the hv traps those ports (hv/vdma_io.c).
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
static uint16_t bm_base;                /* BAR4: the bus master's ports */

uint16_t vpci_bm_base(void)
{
	return bm_base;
}

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
				uint32_t bar4 = pci_read32(PCI_ENABLE | bdf | 0x20);
				ide_bdf = bdf;
				bm_base = (bar4 & 1) ? (uint16_t)(bar4 & 0xfffc) : 0;
				log_printf("hv: PCI 00:%02x.%u IDE controller %04x:%04x, bus master at 0x%x\n",
					   dev, fn, id & 0xffff, id >> 16, bm_base);
			}
		}
	}
}

enum vpci_view { VPCI_NONE, VPCI_HEADER, VPCI_FULL };

/*
 * What g may see of the function g->pci_addr selects: all of an owned
 * function; the identification header (offsets 0-0xf: IDs, class, header
 * type) of function 0 of the same device, read-only, because scanners skip
 * a device's other functions when function 0 is absent; else nothing.
 */
static enum vpci_view vpci_view(const struct guest *g)
{
	uint32_t a = g->pci_addr, bdf = a & 0x00ffff00u;

	if (!(a & PCI_ENABLE) || ide_bdf == PCI_NONE ||
	    !(g->cfg->devices & (CFG_DEV_IDE0 | CFG_DEV_IDE1)))
		return VPCI_NONE;
	if (bdf == ide_bdf)
		return VPCI_FULL;
	if (bdf == (ide_bdf & ~0x700u) && (a & 0xfc) < 0x10)
		return VPCI_HEADER;
	return VPCI_NONE;
}

uint32_t vpci_read(struct guest *g, uint16_t port, unsigned size)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << 8 * size) - 1;

	if (port == PCI_ADDR && size == 4)
		return g->pci_addr;
	if (port < PCI_DATA || vpci_view(g) == VPCI_NONE)
		return PCI_NONE & mask;
	uint32_t v = pci_read32(g->pci_addr);
	return (v >> 8 * (port - PCI_DATA)) & mask;
}

void vpci_write(struct guest *g, uint16_t port, unsigned size, uint32_t val)
{
	unsigned reg;

	if (port == PCI_ADDR && size == 4) {
		g->pci_addr = val;
		return;
	}
	if (port < PCI_DATA || vpci_view(g) != VPCI_FULL)
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
