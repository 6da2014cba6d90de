/* pci.h: PCI configuration space through mechanism #1 (ports 0xcf8/0xcfc). */
#ifndef OS_PCI_H
#define OS_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if;
};

/* Reads/writes a 32-bit config register (off aligned to 4). */
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
/* Finds the first function with vendor (0xffff = any) and class/subclass on
 * bus 0. Returns true and fills *out if found. */
bool pci_find_class(uint16_t vendor, uint8_t class_code, uint8_t subclass, struct pci_dev *out);

#endif
