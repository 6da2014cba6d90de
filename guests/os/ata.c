/* ata.c: ATA driver for the primary channel of the PIIX IDE function.
 *
 * DMA: the bus master (base from BAR4) walks a PRD table (physical region
 * descriptors: address, byte count, end bit) that we build in a page we
 * allocated; the buffers are given by physical address, so a process's own
 * pages are the DMA target (under the hv these are guest-physical addresses
 * and the hv translates them). Completion is IRQ 14; the caller sleeps
 * meanwhile. PIO (polled, nIEN set) is the fallback ("disk=pio", or no bus
 * master). One transfer at a time: other callers wait on ata_queue. */
#include "ata.h"
#include "console.h"
#include "errno.h"
#include "io.h"
#include "irq.h"
#include "klib.h"
#include "mem.h"
#include "pci.h"
#include "pit.h"
#include "ports.h"
#include "proc.h"

#define ATA_IO    0x1f0
#define ATA_CTL   0x3f6
#define ATA_DATA  (ATA_IO + 0)
#define ATA_COUNT (ATA_IO + 2)
#define ATA_LBA0  (ATA_IO + 3)
#define ATA_LBA1  (ATA_IO + 4)
#define ATA_LBA2  (ATA_IO + 5)
#define ATA_DRIVE (ATA_IO + 6)
#define ATA_CMD   (ATA_IO + 7)
#define ATA_ST_ERR 0x01
#define ATA_ST_DRQ 0x08
#define ATA_ST_DF  0x20
#define ATA_ST_BSY 0x80
#define ATA_CMD_READ_PIO  0x20
#define ATA_CMD_WRITE_PIO 0x30
#define ATA_CMD_READ_DMA  0xc8
#define ATA_CMD_WRITE_DMA 0xca
#define ATA_CMD_FLUSH     0xe7
#define ATA_CMD_IDENTIFY  0xec
#define BM_CMD    0
#define BM_STATUS 2
#define BM_PRD    4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEM 0x08
#define BM_ST_ERR 0x02
#define BM_ST_IRQ 0x04
#define ATA_TIMEOUT_MS 5000

struct ata_prd {
	uint32_t addr;
	uint16_t count;             /* 0 = 64 KiB */
	uint16_t flags;             /* bit 15: last entry */
} __attribute__((packed));

static bool ata_found, ata_dma;
static uint16_t ata_bm;
static uint64_t ata_nsect, ata_prd_pa;
static bool ata_busy;
static volatile bool ata_done;
static uint8_t ata_bm_status;
static struct proc *ata_waiter;
static struct waitq ata_queue;
static struct ata_stats ata_st;

/* Polls until BSY clears. Returns the status, or 0xff on timeout. */
static uint8_t ata_wait_ready(void)
{
	for (unsigned i = 0; i < 1000000; i++) {
		uint8_t s = inb(ATA_CMD);
		if (!(s & ATA_ST_BSY))
			return s;
	}
	return 0xff;
}

/* Polls for DRQ (data ready). Returns 0 or -EIO. */
static int ata_wait_drq(void)
{
	for (unsigned i = 0; i < 1000000; i++) {
		uint8_t s = inb(ATA_CMD);
		if (s & (ATA_ST_ERR | ATA_ST_DF))
			return -EIO;
		if (!(s & ATA_ST_BSY) && (s & ATA_ST_DRQ))
			return 0;
	}
	return -EIO;
}

static void ata_irq(unsigned irq, bool from_user)
{
	if (ata_bm)
		ata_bm_status = inb(ata_bm + BM_STATUS);
	if (!ata_dma || (ata_bm_status & BM_ST_IRQ)) {
		ata_st.dma_irqs++;
		(void)inb(ATA_CMD);                 /* reading status clears INTRQ */
		if (ata_bm)
			outb(ata_bm + BM_STATUS, BM_ST_IRQ | BM_ST_ERR);
		ata_done = true;
		if (ata_waiter)
			sched_wake(&proc_sched, &ata_waiter->task, proc_now());
	}
}

static int ata_identify(void)
{
	uint16_t id[256];
	outb(ATA_DRIVE, 0xa0);
	outb(ATA_COUNT, 0);
	outb(ATA_LBA0, 0);
	outb(ATA_LBA1, 0);
	outb(ATA_LBA2, 0);
	outb(ATA_CMD, ATA_CMD_IDENTIFY);
	uint8_t s = inb(ATA_CMD);
	if (s == 0 || s == 0xff)
		return -ENODEV;
	if (ata_wait_ready() == 0xff || inb(ATA_LBA1) || inb(ATA_LBA2))
		return -ENODEV;                      /* ATAPI or not ready */
	if (ata_wait_drq() < 0)
		return -ENODEV;
	for (int i = 0; i < 256; i++)
		id[i] = inw(ATA_DATA);
	ata_nsect = id[60] | ((uint64_t)id[61] << 16);
	return 0;
}

/* Finds the bus master and enables I/O decoding and bus mastering. */
static void ata_find_bm(void)
{
	struct pci_dev d;
	if (!pci_find_class(0x8086, 0x01, 0x01, &d))
		return;
	uint32_t bar4 = pci_read32(&d, 0x20);
	if (!(bar4 & 1) || !(bar4 & 0xfffc))
		return;
	pci_write32(&d, 0x04, pci_read32(&d, 0x04) | 0x05);
	ata_bm = (uint16_t)(bar4 & 0xfffc);
	kprintf("ata: PIIX IDE %04x:%04x at pci 0:%u.%u, bus master at %x\n",
		d.vendor, d.device, d.dev, d.fn, ata_bm);
}

int ata_init(bool force_pio)
{
	waitq_init(&ata_queue);
	ata_find_bm();
	if (ata_identify() < 0) {
		kprintf("ata: no drive on the primary channel\n");
		return -ENODEV;
	}
	ata_found = true;
	ata_dma = ata_bm && !force_pio && mem_alloc(0, &ata_prd_pa) == 0;
	ports_reserve_kernel(ATA_IO, ATA_IO + 7, "ide0");
	ports_reserve_kernel(ATA_CTL, ATA_CTL, "ide0");
	if (ata_bm)
		ports_reserve_kernel(ata_bm, ata_bm + 7, "ide0 bus master");
	outb(ATA_CTL, ata_dma ? 0x00 : 0x02);    /* nIEN: PIO polls, DMA interrupts */
	irq_set_kernel(14, "ide0", ata_irq);
	kprintf("ata: master drive, %lu sectors, %s\n", ata_nsect, ata_dma ? "bus-master DMA" : "PIO");
	return 0;
}

bool ata_present(void)
{
	return ata_found;
}

const char *ata_mode(void)
{
	return ata_dma ? "dma" : "pio";
}

uint64_t ata_sectors(void)
{
	return ata_nsect;
}

static void ata_issue(uint64_t lba, unsigned count, uint8_t cmd)
{
	outb(ATA_DRIVE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	outb(ATA_COUNT, (uint8_t)count);         /* 256 is written as 0 */
	outb(ATA_LBA0, (uint8_t)lba);
	outb(ATA_LBA1, (uint8_t)(lba >> 8));
	outb(ATA_LBA2, (uint8_t)(lba >> 16));
	outb(ATA_CMD, cmd);
}

/* Builds the PRD table from segs, splitting at 64 KiB boundaries.
 * Returns 0, or -EINVAL if it does not fit or memory is above 4 GiB. */
static int ata_build_prd(const struct ata_seg *segs, unsigned nsegs)
{
	struct ata_prd *prd = (struct ata_prd *)ata_prd_pa;
	unsigned n = 0, max = (unsigned)(PAGE_SIZE / sizeof(*prd));
	for (unsigned i = 0; i < nsegs; i++) {
		uint64_t pa = segs[i].pa, left = segs[i].len;
		while (left) {
			uint64_t chunk = 0x10000 - (pa & 0xffff);
			if (chunk > left)
				chunk = left;
			if (n >= max || pa + chunk > 0x100000000ull)
				return -EINVAL;
			prd[n++] = (struct ata_prd){ (uint32_t)pa, (uint16_t)chunk, 0 };
			pa += chunk, left -= chunk;
		}
	}
	if (!n)
		return -EINVAL;
	prd[n - 1].flags = 0x8000;
	return 0;
}

/* Sleeps until the completion IRQ or the timeout. Returns 0 or -EIO. */
static int ata_wait_irq(void)
{
	uint64_t deadline = proc_now() + (uint64_t)ATA_TIMEOUT_MS * pit_hz() / 1000;
	while (!ata_done) {
		if (proc_now() >= deadline) {
			ata_st.timeouts++;
			return -EIO;
		}
		ata_waiter = proc_current();
		proc_sleep_until(deadline);
		ata_waiter = NULL;
	}
	return 0;
}

static int ata_rw_dma(uint64_t lba, unsigned count, const struct ata_seg *segs, unsigned nsegs, bool write)
{
	if (ata_build_prd(segs, nsegs) < 0)
		return -EINVAL;
	if (ata_wait_ready() & (ATA_ST_BSY | ATA_ST_DRQ))
		return -EIO;
	outb(ata_bm + BM_CMD, 0);
	outl(ata_bm + BM_PRD, (uint32_t)ata_prd_pa);
	outb(ata_bm + BM_STATUS, BM_ST_IRQ | BM_ST_ERR);
	ata_done = false;
	ata_bm_status = 0;
	ata_issue(lba, count, write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA);
	outb(ata_bm + BM_CMD, (uint8_t)(BM_CMD_START | (write ? 0 : BM_CMD_TO_MEM)));
	int r = ata_wait_irq();
	outb(ata_bm + BM_CMD, 0);
	uint8_t st = inb(ATA_CMD);
	if (r == 0 && ((ata_bm_status & BM_ST_ERR) || (st & (ATA_ST_ERR | ATA_ST_DF))))
		r = -EIO;
	return r;
}

/* Cursor over a segment list, one 16-bit word at a time (PIO). */
struct ata_cursor {
	const struct ata_seg *segs;
	unsigned n, i;
	uint32_t off;
};

static uint16_t *ata_cursor_next(struct ata_cursor *c)
{
	while (c->i < c->n && c->off >= c->segs[c->i].len)
		c->i++, c->off = 0;
	if (c->i >= c->n)
		return NULL;
	uint16_t *w = (uint16_t *)(c->segs[c->i].pa + c->off);
	c->off += 2;
	return w;
}

static int ata_rw_pio(uint64_t lba, unsigned count, const struct ata_seg *segs, unsigned nsegs, bool write)
{
	struct ata_cursor c = { segs, nsegs, 0, 0 };
	if (ata_wait_ready() & ATA_ST_BSY)
		return -EIO;
	ata_issue(lba, count, write ? ATA_CMD_WRITE_PIO : ATA_CMD_READ_PIO);
	for (unsigned s = 0; s < count; s++) {
		if (ata_wait_drq() < 0)
			return -EIO;
		for (int i = 0; i < 256; i++) {
			uint16_t *w = ata_cursor_next(&c);
			if (!w)
				return -EINVAL;
			if (write)
				outw(ATA_DATA, *w);
			else
				*w = inw(ATA_DATA);
		}
	}
	if (write) {
		ata_wait_ready();
		outb(ATA_CMD, ATA_CMD_FLUSH);
	}
	return (ata_wait_ready() & (ATA_ST_ERR | ATA_ST_DF)) ? -EIO : 0;
}

int ata_rw(uint64_t lba, unsigned count, const struct ata_seg *segs, unsigned nsegs, bool write)
{
	if (!ata_found)
		return -ENODEV;
	if (!count || count > ATA_MAX_SECTORS || lba + count > ata_nsect || lba + count > (1u << 28))
		return -EINVAL;
	struct proc *p = proc_current();
	while (ata_busy)
		proc_block_on(&ata_queue);
	ata_busy = true;
	p->disk_busy++;
	int r = ata_dma ? ata_rw_dma(lba, count, segs, nsegs, write)
			: ata_rw_pio(lba, count, segs, nsegs, write);
	p->disk_busy--;
	ata_busy = false;
	proc_wake_all(&ata_queue);
	if (r < 0)
		ata_st.errors++;
	write ? ata_st.writes++ : ata_st.reads++;
	ata_st.sectors += count;
	return r;
}

void ata_get_stats(struct ata_stats *st)
{
	*st = ata_st;
}
