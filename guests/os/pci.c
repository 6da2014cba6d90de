/* pci.c: configuration mechanism #1. Only bus 0 is scanned: the PC's IDE
 * function sits in the south bridge there (PIIX3 on QEMU's pc machine). */
#include "pci.h"
#include "io.h"

static uint32_t pci_addr(const struct pci_dev *d, uint8_t off)
{
	return 0x80000000u | ((uint32_t)d->bus << 16) | ((uint32_t)d->dev << 11) |
	       ((uint32_t)d->fn << 8) | (off & 0xfc);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	outl(0xcf8, pci_addr(d, off));
	return inl(0xcfc);
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	outl(0xcf8, pci_addr(d, off));
	outl(0xcfc, v);
}

bool pci_find_class(uint16_t vendor, uint8_t class_code, uint8_t subclass, struct pci_dev *out)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t fn = 0; fn < 8; fn++) {
			struct pci_dev d = { 0, dev, fn, 0, 0, 0, 0, 0 };
			uint32_t id = pci_read32(&d, 0);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;               /* no device: skip its functions */
				continue;
			}
			uint32_t cls = pci_read32(&d, 8);
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			d.class_code = (uint8_t)(cls >> 24);
			d.subclass = (uint8_t)(cls >> 16);
			d.prog_if = (uint8_t)(cls >> 8);
			if ((vendor == 0xffff || d.vendor == vendor) &&
			    d.class_code == class_code && d.subclass == subclass) {
				*out = d;
				return true;
			}
		}
	}
	return false;
}
