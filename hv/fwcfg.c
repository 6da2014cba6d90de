/*
 * The guest's fw_cfg (hv/fwcfg.h has the items). An item's bytes are made
 * when they are read, from the state: nothing is stored but the selector
 * and the offset.
 */
#include "lib.h"
#include "fwcfg.h"

void fwcfg_init(struct fwcfg *f, uint64_t ram_bytes, unsigned ncpus)
{
	*f = (struct fwcfg){ .ram_bytes = ram_bytes, .ncpus = (uint16_t)ncpus };
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Writes the selected item into item; returns its length (0: no such item).
 * Bit 14 of the selector (the old write channel) does not change the item
 * read, as in QEMU; bit 15 selects architecture-specific items: none here.
 */
static unsigned fwcfg_item(const struct fwcfg *f, uint8_t item[FWCFG_ITEM_MAX])
{
	if (f->sel & FWCFG_ARCH_LOCAL)
		return 0;
	switch (f->sel & ~FWCFG_WRITE_CHANNEL) {
	case FWCFG_SIGNATURE:
		memcpy(item, "QEMU", 4);
		return 4;
	case FWCFG_ID:
		put_le(item, 1, 4);
		return 4;
	case FWCFG_RAM_SIZE:
		put_le(item, f->ram_bytes, 8);
		return 8;
	case FWCFG_NB_CPUS:
	case FWCFG_MAX_CPUS:
		put_le(item, f->ncpus, 2);
		return 2;
	case FWCFG_FILE_DIR:
		memset(item, 0, 4);                     /* count 0, big endian */
		return 4;
	}
	return 0;
}

/* Returns the next byte of the selected item, 0 past its end. */
static uint8_t fwcfg_read_byte(struct fwcfg *f)
{
	uint8_t item[FWCFG_ITEM_MAX];
	unsigned len = fwcfg_item(f, item);

	if (f->off >= len)
		return 0;
	return item[f->off++];
}

uint32_t fwcfg_io(struct fwcfg *f, uint16_t port, bool in, unsigned size, uint32_t val)
{
	if (port != FWCFG_PORT_SEL && port != FWCFG_PORT_DATA)
		return 0;
	if (in)
		return size == 1 ? fwcfg_read_byte(f) : 0;
	if (size == 2 && port == FWCFG_PORT_SEL) {
		f->sel = (uint16_t)val;
		f->off = 0;
	}
	return 0;
}
