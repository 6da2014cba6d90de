/*
 * A minimal QEMU fw_cfg (QEMU's docs/specs/fw_cfg.rst, "Guest-side Hardware
 * Interface"), as many kernels and test suites use it to count CPUs and
 * RAM: the selector at I/O port 0x510 (16-bit writes), the data register
 * at 0x511 (8-bit reads). No DMA interface (FW_CFG_ID bit 1 clear, port
 * 0x514 absent), no writable items. Pure: one state per guest, unit-tested
 * on the host; hv/vdev.c connects it to the guest's port exits.
 *
 * Items (the byte order of each as QEMU gives it):
 *   0x0000 FW_CFG_SIGNATURE  "QEMU"
 *   0x0001 FW_CFG_ID         1, 32-bit little endian: traditional interface only
 *   0x0003 FW_CFG_RAM_SIZE   the guest's RAM, 64-bit little endian
 *   0x0005 FW_CFG_NB_CPUS    16-bit little endian
 *   0x000f FW_CFG_MAX_CPUS   16-bit little endian
 *   0x0019 FW_CFG_FILE_DIR   the file directory: a big-endian count, 0 (no files)
 * Any other selector is an item of length 0. Reads past the end of an
 * item, and of an unknown one, give 0x00.
 */
#ifndef HV_FWCFG_H
#define HV_FWCFG_H

#include <stdbool.h>
#include <stdint.h>

#define FWCFG_PORT_SEL      0x510u
#define FWCFG_PORT_DATA     0x511u

#define FWCFG_SIGNATURE     0x0000u
#define FWCFG_ID            0x0001u
#define FWCFG_RAM_SIZE      0x0003u
#define FWCFG_NB_CPUS       0x0005u
#define FWCFG_MAX_CPUS      0x000fu
#define FWCFG_FILE_DIR      0x0019u

#define FWCFG_WRITE_CHANNEL 0x4000u      /* selector bit 14: ignored for reads */
#define FWCFG_ARCH_LOCAL    0x8000u      /* selector bit 15: architecture-specific items */

#define FWCFG_ITEM_MAX      8u          /* longest item: RAM_SIZE */

struct fwcfg {
	uint64_t ram_bytes;
	uint16_t ncpus;
	uint16_t sel;              /* selector as written */
	uint32_t off;              /* data offset in the selected item */
};

/* Powers the device on: selector 0 (the signature), offset 0. */
void fwcfg_init(struct fwcfg *f, uint64_t ram_bytes, unsigned ncpus);

/*
 * One access of size bytes to port (FWCFG_PORT_SEL or FWCFG_PORT_DATA), as
 * QEMU's port pair answers it: a 16-bit write to the selector port selects
 * an item (offset 0); an 8-bit read of either port reads the next data byte;
 * 8-bit writes are ignored (data writes are, since QEMU 2.4). Any other
 * access reads 0 and changes nothing. For a read, returns the value; for
 * a write, val is the value written and 0 is returned.
 */
uint32_t fwcfg_io(struct fwcfg *f, uint16_t port, bool in, unsigned size, uint32_t val);

#endif
