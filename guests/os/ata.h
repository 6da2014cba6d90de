/* ata.h: ATA disk on the PIIX IDE primary channel, bus-master DMA or PIO. */
#ifndef OS_ATA_H
#define OS_ATA_H

#include <stdbool.h>
#include <stdint.h>

#define ATA_SECTOR 512
#define ATA_MAX_SEGS 40
#define ATA_MAX_SECTORS 128          /* per command: 64 KiB */

/* A piece of a transfer buffer: physical address (identity-mapped) and length. */
struct ata_seg {
	uint64_t pa;
	uint32_t len;
};

/* Finds the IDE controller on PCI (vendor 8086, class 01:01), the bus-master
 * base (BAR4) and the master drive on the primary channel. force_pio: never
 * use DMA. Returns 0 if a drive is ready, -ENODEV otherwise. */
int ata_init(bool force_pio);
/* Returns true if a drive was found. */
bool ata_present(void);
/* Returns "dma" or "pio". */
const char *ata_mode(void);
/* Returns the drive's size in sectors. */
uint64_t ata_sectors(void);
/* Reads (write = false) or writes count (1..ATA_MAX_SECTORS) sectors at lba
 * through the buffer segs (total count * 512 bytes; each segment a multiple
 * of 2 bytes). Blocks the calling process until the transfer ends.
 * Returns 0, -EINVAL, -EIO or -ENODEV. */
int ata_rw(uint64_t lba, unsigned count, const struct ata_seg *segs, unsigned nsegs, bool write);

struct ata_stats {
	uint64_t reads, writes, sectors, dma_irqs, errors, timeouts;
};
/* Fills *st with the driver counters. */
void ata_get_stats(struct ata_stats *st);

#endif
