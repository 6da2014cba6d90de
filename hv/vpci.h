/*
 * PCI configuration space (mechanism #1, ports 0xcf8-0xcff) as a guest
 * sees it: only the functions of devices it owns, filtered byte by byte
 * (hv/vpci_filter.h); everything else reads as absent (all ones).
 */
#ifndef HV_VPCI_H
#define HV_VPCI_H

#include "hv.h"

/* Finds the PCI functions behind the devices hv.cfg can give (the PIIX IDE controller). */
void vpci_init(void);

/* Returns the I/O base of the IDE bus master (BAR4), 0 if there is none. */
uint16_t vpci_bm_base(void);

/* (Re)starts g's view: CONFIG_ADDRESS 0, its copies of the emulated registers as firmware left them. */
void vpci_guest_reset(struct guest *g);

/* Returns what g's IN of size bytes at port (0xcf8-0xcff) reads. */
uint32_t vpci_read(struct guest *g, uint16_t port, unsigned size);

/* Carries out g's OUT of size bytes at port (0xcf8-0xcff) through the filter; logs denials. */
void vpci_write(struct guest *g, uint16_t port, unsigned size, uint32_t val);

#endif
