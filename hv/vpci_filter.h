/*
 * The PCI configuration filter: what guests see through configuration
 * mechanism #1 (ports 0xcf8-0xcff) of the one PCI function they can own,
 * the PIIX IDE controller, whose two channels hv.cfg may give to two
 * guests (ide0: primary, ide1: secondary). Every configuration byte a
 * guest reads or writes is filtered on its own, whatever the size and
 * alignment of the access, against an allow-list per device model:
 *
 *   command 0x04-0x05   the enables (I/O space and bus master; memory space
 *                       too on models not in the table) are emulated: each
 *                       owner reads and writes its own copy, and the
 *                       physical bit is the OR of the owners' copies. The
 *                       other command bits are read-only.
 *   status 0x06-0x07    write-1-to-clear per owner: a 1 written to an error
 *                       bit hides that bit from this owner until it clears
 *                       physically. The physical register is never written.
 *   channel registers   PIIX IDETIM 0x40-0x43, SIDETIM 0x44, PIIX4 UDMACTL
 *                       0x48 and UDMATIM 0x4a-0x4b: an owner writes the bits
 *                       of its channel through; the other channel's bits read
 *                       0 to it and are not writable.
 *   anything else       read-only: IDs, class, header type, BARs, expansion
 *                       ROM, interrupt line/pin, the other chipset registers.
 *
 * Beside it, the identification header (0x00-0x0f) of function 0 of the
 * same device is visible, read-only; every other function reads all ones
 * and takes no writes. What is denied is reported to the caller, which logs.
 *
 * Pure: the physical configuration space is reached through struct
 * vpci_filter_ops, so host tests drive the filter with a fake one.
 */
#ifndef HV_VPCI_FILTER_H
#define HV_VPCI_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#define VPCI_ADDR_PORT    0xcf8          /* CONFIG_ADDRESS */
#define VPCI_DATA_PORT    0xcfc          /* CONFIG_DATA, 4 bytes */
#define VPCI_ENABLE       (1u << 31)     /* CONFIG_ADDRESS: configuration access */
#define VPCI_BDF_MASK     0x00ffff00u    /* CONFIG_ADDRESS: bus, device, function */
#define VPCI_NONE         0xffffffffu
#define VPCI_OWNERS       8              /* owner slots: one per guest */

#define VPCI_CHAN_PRI     1u             /* owns the primary channel (ide0) */
#define VPCI_CHAN_SEC     2u             /* owns the secondary channel (ide1) */

/* Byte access to the physical configuration space; bdf as in CONFIG_ADDRESS bits 23:8. */
struct vpci_filter_ops {
	uint8_t (*read8)(void *ctx, uint32_t bdf, unsigned reg);
	void (*write8)(void *ctx, uint32_t bdf, unsigned reg, uint8_t val);
	void *ctx;
};

/* Registers of a model whose bits belong to one channel or the other. */
struct vpci_chan_reg {
	uint8_t reg;
	uint8_t bits[2];        /* primary's bits, secondary's bits */
};

/* A device model: its allow-list beyond the command and status registers. */
struct vpci_model {
	uint16_t vendor, device;
	const char *name;
	uint16_t cmd_emulated;  /* command bits each owner has its own copy of */
	const struct vpci_chan_reg *chan;
	unsigned nchan;
};

/* One guest's view of the shared function. */
struct vpci_owner {
	unsigned chans;         /* VPCI_CHAN_*; 0: not an owner, sees nothing */
	uint16_t cmd;           /* its copy of the emulated command bits */
	uint8_t status_acked;   /* error bits of status byte 0x07 it has cleared */
};

struct vpci_filter {
	struct vpci_filter_ops ops;
	uint32_t bdf;           /* the shared function, or VPCI_NONE */
	const struct vpci_model *model;
	uint16_t cmd_boot;      /* the command register as firmware left it */
	struct vpci_owner owner[VPCI_OWNERS];
};

/* What an OUT did beyond the plain case: denied bytes, an emulated command register. */
struct vpci_filter_result {
	unsigned denied;        /* bytes of the access refused in whole or in part */
	uint32_t bdf;           /* first refused byte: its function, VPCI_NONE if not a config byte */
	unsigned reg;           /* ... its offset, or its port if not a config byte */
	uint8_t val;            /* ... the value written to it */
	const char *why;        /* ... the rule that refused it */
	bool cmd_differs;       /* the owner's command copy now differs from the physical register */
	uint16_t cmd_copy, cmd_phys;
};

/*
 * Sets f up for the function at bdf (VPCI_NONE: no function, everything
 * reads all ones): picks its model by vendor and device ID and records the
 * command register firmware left. Every owner slot starts as a non-owner.
 */
void vpci_filter_init(struct vpci_filter *f, const struct vpci_filter_ops *ops, uint32_t bdf);

/*
 * (Re)starts owner slot o with the channels it owns (0: none): its copies
 * become what firmware left, and the physical command register is the OR
 * of the owners' copies again.
 */
void vpci_filter_owner_reset(struct vpci_filter *f, unsigned o, unsigned chans);

/* Returns what owner o's IN of size bytes at port (0xcf8-0xcff) reads, addr being its CONFIG_ADDRESS. */
uint32_t vpci_filter_in(struct vpci_filter *f, unsigned o, uint32_t addr, uint16_t port, unsigned size);

/*
 * Carries out owner o's OUT of size bytes of val at port (0xcf8-0xcff):
 * a 32-bit write to 0xcf8 sets *addr; each byte at 0xcfc-0xcff goes
 * through the filter; other bytes are not configuration bytes and are
 * dropped. Fills *res.
 */
void vpci_filter_out(struct vpci_filter *f, unsigned o, uint32_t *addr, uint16_t port, unsigned size,
		     uint32_t val, struct vpci_filter_result *res);

#endif
