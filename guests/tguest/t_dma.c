/*
 * dma: PIIX IDE bus-master DMA on the primary channel master drive.
 *
 *   test=dma [lba=N] [write=1] [evil=1] [addr=0xADDR]
 *
 * Finds the IDE controller (class 01:01) on bus 0 by configuration
 * mechanism #1, takes the bus-master I/O base from BAR4 and enables I/O and
 * bus mastering. Reads sector `lba` by PIO (the reference) and then by DMA,
 * and compares. write=1 DMA-writes a pattern (byte i = i * 7 + lba) to the
 * sector and PIO-reads it back. evil=1 (under the hv only) points a PRD
 * entry outside the guest's RAM: the hv must refuse to start the transfer
 * (bus-master status: error set, active clear), the guest's RAM must be
 * untouched, and a legitimate DMA read must still work afterwards.
 *
 * Paging is off: a static buffer's address is its guest-physical address.
 * The drive runs with nIEN set (no IRQ 14); completion is polled in the
 * bus-master status register. Status 4: no bus master (BAR4 reads 0).
 */
#include "tguest.h"

#define DMA_NO_BUS_MASTER 4

/* ATA command block (primary channel) and control block. */
#define ATA_DATA    0x1f0
#define ATA_ERROR   0x1f1
#define ATA_COUNT   0x1f2
#define ATA_LBA0    0x1f3
#define ATA_LBA1    0x1f4
#define ATA_LBA2    0x1f5
#define ATA_DEVICE  0x1f6
#define ATA_CMD     0x1f7          /* write: command; read: status (clears the drive's interrupt) */
#define ATA_CTL     0x3f6          /* write: device control; read: alternate status */

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DF   0x20
#define ST_BSY  0x80

#define CTL_NIEN 0x02
#define CTL_SRST 0x04

#define CMD_READ_SECTORS 0x20
#define CMD_READ_DMA     0xc8
#define CMD_WRITE_DMA    0xca
#define CMD_FLUSH_CACHE  0xe7

/* Bus-master registers, from the BAR4 base. */
#define BM_CMD     0
#define BM_STATUS  2
#define BM_PRD     4

#define BM_CMD_START  0x01
#define BM_CMD_READ   0x08         /* device to memory */
#define BM_ST_ACTIVE  0x01
#define BM_ST_ERROR   0x02
#define BM_ST_IRQ     0x04
#define BM_ST_CAPABLE 0x60         /* drive 0/1 DMA capable: plain read/write bits, kept */

#define PRD_EOT 0x8000u
#define SECTOR  512u

struct prd {
	uint32_t addr;
	uint16_t count;
	uint16_t flags;
} __attribute__((packed));

/* 16-byte aligned and 16 bytes long: cannot cross 64 KiB. Sector buffers: 512-aligned, likewise. */
static struct prd prd_tab[2] __attribute__((aligned(16)));
static uint8_t buf_pio[SECTOR] __attribute__((aligned(SECTOR)));
static uint8_t buf_dma[SECTOR] __attribute__((aligned(SECTOR)));
static uint8_t buf_pat[SECTOR] __attribute__((aligned(SECTOR)));

static struct checks ck = { .prefix = "dma" };
static uint16_t bm;                /* bus-master I/O base */

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* ---- PCI ---- */

static uint32_t pci_addr(uint32_t dev, uint32_t fn, uint32_t reg)
{
	return 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfc);
}

static uint32_t pci_rd(uint32_t dev, uint32_t fn, uint32_t reg)
{
	outl(0xcf8, pci_addr(dev, fn, reg));
	return inl(0xcfc);
}

static void pci_wr(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t val)
{
	outl(0xcf8, pci_addr(dev, fn, reg));
	outl(0xcfc, val);
}

/* Sets bm, or exits with status 4. */
static void find_bus_master(void)
{
	uint32_t dev = 32, fn = 0, id = 0, bar4, cmd;

	for (uint32_t d = 0; d < 32 && dev == 32; d++) {
		for (uint32_t f = 0; f < 8; f++) {
			uint32_t v = pci_rd(d, f, 0);

			if ((v & 0xffff) != 0xffff && pci_rd(d, f, 8) >> 16 == 0x0101) {
				dev = d, fn = f, id = v;
				break;
			}
		}
	}
	if (dev == 32) {
		tg_printf("dma: no IDE controller (class 0101) on bus 0\n");
		tg_fail_exit(DMA_NO_BUS_MASTER, "dma: no bus master (BAR4 0x%08x)\n", 0u);
	}
	bar4 = pci_rd(dev, fn, 0x20);
	cmd = pci_rd(dev, fn, 4) & 0xffff;
	tg_printf("dma: ide 00:%02x.%u %04x:%04x bar4 0x%08x command 0x%04x\n", dev, fn, id & 0xffff, id >> 16,
		  bar4, cmd);
	if (!(bar4 & 1) || !(bar4 & ~3u) || bar4 == 0xffffffffu)
		tg_fail_exit(DMA_NO_BUS_MASTER, "dma: no bus master (BAR4 0x%08x)\n", bar4);
	bm = (uint16_t)(bar4 & ~3u);
	if ((cmd & 0x05) != 0x05) {
		/* Zeros in the status half: its bits are write-1-to-clear. */
		pci_wr(dev, fn, 4, cmd | 0x05);
		tg_printf("dma: enabled i/o and bus master: command 0x%04x\n", pci_rd(dev, fn, 4) & 0xffff);
	}
}

/* ---- ATA ---- */

static void ata_delay400(void)
{
	for (int i = 0; i < 4; i++)
		(void)inb(ATA_CTL);
}

/* Waits for BSY clear (and, if want_drq, for DRQ or ERR). Returns the status, or -1 on timeout. */
static int ata_wait(int want_drq, uint64_t us)
{
	uint64_t t0 = rdtsc(), lim = tsc_from_us(us);
	uint8_t st;

	for (;;) {
		st = inb(ATA_CTL);
		if (!(st & ST_BSY) && (!want_drq || (st & (ST_DRQ | ST_ERR | ST_DF))))
			return st;
		if (rdtsc() - t0 > lim)
			return -1;
		cpu_relax();
	}
}

/* Selects drive 0 in LBA mode and sets up a one-sector transfer at lba. Returns 0, or the status on timeout. */
static int ata_setup(uint32_t lba)
{
	int st;

	outb(ATA_CTL, CTL_NIEN);
	outb(ATA_DEVICE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	ata_delay400();
	st = ata_wait(0, 2000000);
	if (st < 0)
		return inb(ATA_CTL) | 0x100;
	outb(ATA_COUNT, 1);
	outb(ATA_LBA0, (uint8_t)lba);
	outb(ATA_LBA1, (uint8_t)(lba >> 8));
	outb(ATA_LBA2, (uint8_t)(lba >> 16));
	return 0;
}

/* PIO READ SECTORS of one sector into buf; exits with status 1 if the drive fails. */
static void pio_read(uint32_t lba, uint8_t *buf)
{
	int st;

	st = ata_setup(lba);
	if (st)
		tg_fail_exit(1, "dma: FAIL pio read lba %u: drive busy (status 0x%02x)\n", lba, st & 0xff);
	st = inb(ATA_CTL);
	if (st == 0x00 || st == 0xff)   /* floating bus or no device: never ready */
		tg_fail_exit(1, "dma: FAIL pio read lba %u: no drive 0 (status 0x%02x)\n", lba, st);
	outb(ATA_CMD, CMD_READ_SECTORS);
	ata_delay400();
	st = ata_wait(1, 2000000);
	if (st < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
		tg_fail_exit(1, "dma: FAIL pio read lba %u: status 0x%02x error 0x%02x%s\n", lba,
			     inb(ATA_CTL), inb(ATA_ERROR), st < 0 ? " (timeout)" : "");
	for (unsigned i = 0; i < SECTOR; i += 2) {
		uint16_t w = inw(ATA_DATA);

		buf[i] = (uint8_t)w;
		buf[i + 1] = (uint8_t)(w >> 8);
	}
	(void)inb(ATA_CMD);             /* clears the drive's interrupt */
}

/* ---- bus master ---- */

static void bm_clear_status(void)
{
	outb((uint16_t)(bm + BM_STATUS), (uint8_t)((inb((uint16_t)(bm + BM_STATUS)) & BM_ST_CAPABLE) |
						    BM_ST_ERROR | BM_ST_IRQ));
}

struct xfer {
	int setup_status;       /* ata_setup's answer, 0 = fine */
	int timed_out;
	uint8_t bm_status;      /* when the poll ended */
	uint8_t ata_status;     /* read after the stop (clears the drive's interrupt) */
	uint8_t ata_error;
};

/* Points the bus master at a one-entry table and issues ata_cmd; direction per bm_dir. Does not start. */
static int dma_prepare(uint32_t lba, uint32_t addr, uint8_t ata_cmd, uint8_t bm_dir)
{
	int st;

	prd_tab[0].addr = addr;
	prd_tab[0].count = SECTOR;
	prd_tab[0].flags = PRD_EOT;
	barrier();
	outb((uint16_t)(bm + BM_CMD), 0x00);
	outl((uint16_t)(bm + BM_PRD), (uint32_t)prd_tab);
	bm_clear_status();
	outb((uint16_t)(bm + BM_CMD), bm_dir);
	st = ata_setup(lba);
	if (st)
		return st;
	outb(ATA_CMD, ata_cmd);
	return 0;
}

/*
 * Polls bus-master status (2 s) until the transfer ended: interrupt or error
 * set, or active clear. With nIEN set the drive's INTRQ is off, and some
 * bus masters (QEMU's PIIX) then never set the interrupt bit: the end of the
 * last PRD entry shows only as active going clear. Then stops the engine
 * and reads the drive's status.
 */
static void dma_finish(struct xfer *x)
{
	uint64_t t0 = rdtsc(), lim = tsc_from_us(2000000);
	uint8_t st;

	for (;;) {
		st = inb((uint16_t)(bm + BM_STATUS));
		if ((st & (BM_ST_IRQ | BM_ST_ERROR)) || !(st & BM_ST_ACTIVE))
			break;
		if (rdtsc() - t0 > lim) {
			x->timed_out = 1;
			break;
		}
		cpu_relax();
	}
	x->bm_status = st;
	outb((uint16_t)(bm + BM_CMD), 0x00);
	barrier();
	/* The drive may still be finishing its side (status) after the bus master's interrupt. */
	(void)ata_wait(0, 100000);
	x->ata_status = inb(ATA_CMD);
	x->ata_error = inb(ATA_ERROR);
	bm_clear_status();
}

/* One-sector DMA between the sector and memory at addr; to_memory: READ DMA, else WRITE DMA. */
static void dma_xfer(uint32_t lba, uint32_t addr, int to_memory, struct xfer *x)
{
	uint8_t dir = to_memory ? BM_CMD_READ : 0x00;

	x->timed_out = 0;
	x->setup_status = dma_prepare(lba, addr, to_memory ? CMD_READ_DMA : CMD_WRITE_DMA, dir);
	if (x->setup_status) {
		x->bm_status = inb((uint16_t)(bm + BM_STATUS));
		x->ata_status = (uint8_t)x->setup_status;
		x->ata_error = inb(ATA_ERROR);
		return;
	}
	barrier();
	outb((uint16_t)(bm + BM_CMD), (uint8_t)(dir | BM_CMD_START));
	dma_finish(x);
}

static int xfer_ok(const struct xfer *x)
{
	return !x->setup_status && !x->timed_out && !(x->bm_status & (BM_ST_ERROR | BM_ST_ACTIVE)) &&
	       !(x->ata_status & (ST_BSY | ST_DRQ | ST_ERR | ST_DF));
}

static int xfer_check(const char *name, const struct xfer *x)
{
	return check(&ck, name, xfer_ok(x), "%sbus master status 0x%02x, ata status 0x%02x error 0x%02x",
		     x->setup_status ? "drive busy before the command, " : x->timed_out ? "timeout, " : "",
		     x->bm_status, x->ata_status, x->ata_error);
}

/* ---- helpers ---- */

/* CRC-32 (IEEE 802.3, as zlib's crc32). */
static uint32_t crc32(const uint8_t *p, uint32_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* Offset of the first difference, or -1. */
static int first_diff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (int)i;
	return -1;
}

static void fill(uint8_t *p, uint8_t v, uint32_t n)
{
	while (n--)
		*p++ = v;
}

static int compare_check(const char *name, const uint8_t *want, const uint8_t *got)
{
	int d = first_diff(want, got, SECTOR);

	return check(&ck, name, d < 0, "first difference at offset %d: want 0x%02x, got 0x%02x", d,
		     d < 0 ? 0 : want[d], d < 0 ? 0 : got[d]);
}

/*
 * A hash of the guest's RAM that tguest does not use: conventional memory
 * above the first page, and from 2 MiB (tguest is loaded at 1 MiB and is far
 * smaller) to the end of the first RAM run above 1 MiB. Under the hv both
 * runs are the guest's RAM (its Multiboot memory info says so).
 */
static uint32_t ram_hash(uint32_t *bytes)
{
	uint32_t lo_end = 0x9f000, hi_end = 0, h = 0x811c9dc5u, n = 0;

	if (tg_mbi->flags & MB_IF_MEMORY) {
		lo_end = tg_mbi->mem_lower * 1024;
		hi_end = 0x100000 + tg_mbi->mem_upper * 1024;
	} else if (tg_info.ram_bytes > 0x100000) {
		hi_end = (uint32_t)tg_info.ram_bytes;
	}
	for (uint32_t a = 0x1000; a + 4 <= lo_end; a += 4, n += 4)
		h = (h ^ *(volatile const uint32_t *)a) * 0x01000193u;
	for (uint32_t a = 0x200000; a + 4 <= hi_end; a += 4, n += 4)
		h = (h ^ *(volatile const uint32_t *)a) * 0x01000193u;
	*bytes = n;
	return h;
}

/*
 * A refused or abandoned READ DMA can leave the drive waiting to transfer
 * (BSY or DRQ set): a software reset (SRST) of the channel ends that.
 */
static void drive_recover(void)
{
	uint8_t st = inb(ATA_CTL);
	int after;

	if (!(st & (ST_BSY | ST_DRQ))) {
		tg_printf("dma: info drive idle after the evil command (status 0x%02x)\n", st);
		return;
	}
	outb(ATA_CTL, CTL_NIEN | CTL_SRST);
	delay_us(10);
	outb(ATA_CTL, CTL_NIEN);
	delay_us(2000);
	after = ata_wait(0, 5000000);
	(void)inb(ATA_CMD);
	tg_printf("dma: info drive status 0x%02x after the evil command, software reset: status 0x%02x%s\n", st,
		  inb(ATA_CTL), after < 0 ? " (still busy)" : "");
}

/* "PRE N POST" into a static buffer, for check names that carry the LBA. */
static const char *name_n(const char *pre, uint32_t n, const char *post)
{
	static char buf[64];
	char digits[12];
	unsigned k = 0, d = 0;

	while (*pre && k < 20)
		buf[k++] = *pre++;
	do {
		digits[d++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (d)
		buf[k++] = digits[--d];
	while (*post && k < sizeof(buf) - 1)
		buf[k++] = *post++;
	buf[k] = 0;
	return buf;
}

/* ---- the test ---- */

static void evil(uint32_t lba, uint32_t addr)
{
	struct xfer x = { 0 };
	uint32_t h0, h1, n0, n1;
	uint8_t st;
	int refused, guard = -1, d;

	tg_printf("dma: evil prd at 0x%08x, %u bytes\n", addr, SECTOR);
	fill(buf_dma, 0x5a, SECTOR);
	h0 = ram_hash(&n0);
	barrier();
	x.setup_status = dma_prepare(lba, addr, CMD_READ_DMA, BM_CMD_READ);
	if (x.setup_status)
		tg_fail_exit(1, "dma: FAIL drive busy before the evil command (status 0x%02x)\n",
			     x.setup_status & 0xff);
	outb((uint16_t)(bm + BM_CMD), BM_CMD_READ | BM_CMD_START);
	st = inb((uint16_t)(bm + BM_STATUS));
	refused = (st & BM_ST_ERROR) && !(st & BM_ST_ACTIVE);
	check(&ck, "refused outside ram", refused, "status 0x%02x", st);
	if (!refused) {
		dma_finish(&x);          /* it started: let it end (or time out) and stop the engine */
		tg_printf("dma: info unrefused transfer ended: bus master status 0x%02x ata status 0x%02x%s\n",
			  x.bm_status, x.ata_status, x.timed_out ? " (timeout)" : "");
	} else {
		outb((uint16_t)(bm + BM_CMD), 0x00);
		bm_clear_status();
	}
	drive_recover();
	barrier();
	h1 = ram_hash(&n1);
	for (uint32_t i = 0; i < SECTOR && guard < 0; i++)
		if (buf_dma[i] != 0x5a)
			guard = (int)i;
	tg_printf("dma: info ram hash over %u bytes 0x%08x\n", n0, h0);
	check(&ck, "guest ram untouched", h0 == h1 && n0 == n1 && guard < 0,
	      "hash 0x%08x became 0x%08x, guard buffer %s at offset %d", h0, h1,
	      guard < 0 ? "intact" : "changed", guard);

	fill(buf_dma, 0, SECTOR);
	dma_xfer(lba, (uint32_t)buf_dma, 1, &x);
	d = first_diff(buf_pio, buf_dma, SECTOR);
	check(&ck, "legit read after refusal", xfer_ok(&x) && d < 0,
	      "bus master status 0x%02x, ata status 0x%02x error 0x%02x%s, first difference at offset %d",
	      x.bm_status, x.ata_status, x.ata_error, x.timed_out ? " (timeout)" : "", d);
}

static void write_test(uint32_t lba)
{
	struct xfer x;
	int st;

	for (uint32_t i = 0; i < SECTOR; i++)
		buf_pat[i] = (uint8_t)(i * 7 + lba);
	dma_xfer(lba, (uint32_t)buf_pat, 0, &x);
	xfer_check(name_n("write lba ", lba, " transfer"), &x);
	/* FLUSH CACHE, so the sector is on the medium (the image file) before the guest exits. */
	outb(ATA_CTL, CTL_NIEN);
	outb(ATA_DEVICE, 0xe0);
	ata_delay400();
	outb(ATA_CMD, CMD_FLUSH_CACHE);
	ata_delay400();
	st = ata_wait(0, 5000000);
	(void)inb(ATA_CMD);
	if (st < 0 || (st & (ST_ERR | ST_DF)))
		tg_printf("dma: info flush cache: status 0x%02x error 0x%02x%s\n", inb(ATA_CTL), inb(ATA_ERROR),
			  st < 0 ? " (timeout)" : "");
	fill(buf_dma, 0xee, SECTOR);
	pio_read(lba, buf_dma);
	compare_check(name_n("write lba ", lba, ""), buf_pat, buf_dma);
}

void test_dma(void)
{
	uint32_t lba = arg_u32("lba", 0), do_write = arg_u32("write", 0), do_evil = arg_u32("evil", 0);
	uint32_t addr = arg_u32("addr", 0x40000000u);
	struct xfer x;

	if (lba >= 0x10000000u)
		tg_fail_exit(2, "dma: FAIL lba=%u beyond LBA28\n", lba);
	find_bus_master();
	tg_printf("dma: bus master 0x%04x status 0x%02x, lba %u write %u evil %u\n", bm,
		  inb((uint16_t)(bm + BM_STATUS)), lba, do_write, do_evil);

	fill(buf_pio, 0xee, SECTOR);
	pio_read(lba, buf_pio);
	fill(buf_dma, 0x11, SECTOR);
	dma_xfer(lba, (uint32_t)buf_dma, 1, &x);
	tg_printf("dma: pio checksum 0x%08x\n", crc32(buf_pio, SECTOR));
	tg_printf("dma: dma checksum 0x%08x\n", crc32(buf_dma, SECTOR));
	tg_printf("dma: sector %u:", lba);
	for (unsigned i = 0; i < 16; i++)
		tg_printf(" %02x", buf_dma[i]);
	tg_printf("\n");
	xfer_check(name_n("read lba ", lba, " transfer"), &x);
	compare_check(name_n("read lba ", lba, " matches pio"), buf_pio, buf_dma);

	if (do_write)
		write_test(lba);
	if (do_evil && !tg_under_hv)
		check_skip(&ck, "evil", "not under the hv");
	else if (do_evil)
		evil(lba, addr);
	checks_finish(&ck);
}
