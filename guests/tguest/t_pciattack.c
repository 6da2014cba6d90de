/*
 * pciattack: the owner of one IDE channel attacks the PCI function both
 * channels share; a victim owning the other channel checks that its
 * channel is untouched.
 *
 *   test=pciattack [role=attacker] [delay_ms=300]
 *   test=pciattack role=victim [lba=N] [wait_ms=1500]
 *
 * The attacker (ide0) waits delay_ms (the victim reads its state first),
 * then writes, through configuration mechanism #1: the command register
 * (I/O space and bus master off), the secondary channel's IDETIM (decode
 * enable off) by byte, word and dword, the header, BARs and interrupt
 * bytes by unaligned 16- and 32-bit accesses at 0xcfd-0xcff, BAR sizing
 * patterns, the chipset registers 0x40-0x4b, and a 16-bit write to
 * 0xcf8. After each step it reads back what it can see, prints it, and
 * checks that its own view is what the device would show: its command
 * register reads what it wrote, its own IDETIM takes a new timing, the
 * header and BARs read unchanged, the other channel's registers read 0.
 *
 * The victim (ide1) turns on I/O space and bus master (as a DMA driver
 * does), reads its command register, its IDETIM (secondary: 0x42-0x43)
 * and sector `lba` of the secondary master by PIO and by DMA (the
 * secondary bus master, BAR4 + 8), waits wait_ms, then reads them all
 * again: they must be unchanged, with the decode enable (bit 15) still
 * set and the DMA still reading the sector.
 */
#include "tguest.h"

#define PCI_CMD       0x04
#define PCI_IDETIM    0x40
#define PCI_SIDETIM   0x44
#define PCI_UDMACTL   0x48
#define CMD_IO_BM     0x0005
#define IDETIM_DECODE 0x8000
#define NO_IDE        4

/* ATA, secondary channel. */
#define ATA2_DATA     0x170
#define ATA2_ERROR    0x171
#define ATA2_COUNT    0x172
#define ATA2_LBA0     0x173
#define ATA2_LBA1     0x174
#define ATA2_LBA2     0x175
#define ATA2_DEVICE   0x176
#define ATA2_CMD      0x177
#define ATA2_CTL      0x376
#define ST_ERR        0x01
#define ST_DRQ        0x08
#define ST_DF         0x20
#define ST_BSY        0x80

static struct checks ck = { .prefix = "pciattack" };
static uint32_t ide_dev, ide_fn;

/* The victim's DMA: a one-entry PRD table and a sector buffer (paging off: addresses are guest-physical). */
static struct {
	uint32_t addr;
	uint16_t count, flags;
} __attribute__((packed)) prd2[1] __attribute__((aligned(16)));
static uint8_t sector[512] __attribute__((aligned(512)));


/* Latches the IDE function's dword that holds reg in CONFIG_ADDRESS. */
static void sel(uint32_t reg)
{
	outl(0xcf8, 0x80000000u | (ide_dev << 11) | (ide_fn << 8) | (reg & 0xfc));
}

static uint32_t rd32(uint32_t reg)
{
	sel(reg);
	return inl(0xcfc);
}

static uint16_t rd16(uint32_t reg)
{
	sel(reg);
	return inw((uint16_t)(0xcfc + (reg & 3)));
}

static uint8_t rd8(uint32_t reg)
{
	sel(reg);
	return inb((uint16_t)(0xcfc + (reg & 3)));
}

static void wr32(uint32_t reg, uint32_t v)
{
	sel(reg);
	outl(0xcfc, v);
}

static void wr16(uint32_t reg, uint16_t v)
{
	sel(reg);
	outw((uint16_t)(0xcfc + (reg & 3)), v);
}

static void wr8(uint32_t reg, uint8_t v)
{
	sel(reg);
	outb((uint16_t)(0xcfc + (reg & 3)), v);
}

/* Finds the first IDE function (class 01:01) on bus 0, or exits with status 4. */
static void find_ide(void)
{
	for (uint32_t d = 0; d < 32; d++) {
		for (uint32_t f = 0; f < 8; f++) {
			outl(0xcf8, 0x80000000u | (d << 11) | (f << 8));
			if ((inl(0xcfc) & 0xffff) == 0xffff)
				continue;
			outl(0xcf8, 0x80000000u | (d << 11) | (f << 8) | 8);
			if (inl(0xcfc) >> 16 == 0x0101) {
				ide_dev = d, ide_fn = f;
				tg_printf("pciattack: ide 00:%02x.%u id 0x%08x\n", d, f, rd32(0));
				return;
			}
		}
	}
	tg_fail_exit(NO_IDE, "pciattack: no IDE controller (class 0101) on bus 0\n");
}

/* ---- attacker ---- */

/* The header dwords (0x00-0x3f) but the command/status one. */
static void read_header(uint32_t h[16])
{
	for (uint32_t i = 0; i < 16; i++)
		h[i] = i == 1 ? 0 : rd32(i * 4);
}

/* One unaligned write: size bytes of v at port (0xcfd-0xcff) with register dword reg latched. */
static void unaligned(uint32_t reg, uint16_t port, unsigned size, uint32_t v)
{
	sel(reg);
	if (size == 4)
		outl(port, v);
	else
		outw(port, (uint16_t)v);
	tg_printf("pciattack: %u bytes 0x%08x at 0x%x, register 0x%02x\n", size, v, port, reg);
}

static void attack_command(void)
{
	uint16_t before = rd16(PCI_CMD), after;

	wr16(PCI_CMD, 0x0000);
	after = rd16(PCI_CMD);
	tg_printf("pciattack: command 0x%04x, wrote 0x0000, reads 0x%04x\n", before, after);
	check(&ck, "own command copy reads back cleared", (after & CMD_IO_BM) == 0, "command 0x%04x", after);
}

static void attack_secondary_idetim(void)
{
	uint16_t before = rd16(PCI_IDETIM + 2), after;

	wr8(PCI_IDETIM + 3, 0x00);                 /* byte at 0xcff: the decode enable's byte */
	wr16(PCI_IDETIM + 2, 0x0000);              /* word at 0xcfe */
	wr32(PCI_IDETIM, ((uint32_t)rd16(PCI_IDETIM)));   /* dword: own half kept, secondary 0 */
	after = rd16(PCI_IDETIM + 2);
	tg_printf("pciattack: secondary idetim reads 0x%04x, cleared, reads 0x%04x\n", before, after);
	check(&ck, "other channel's idetim reads 0", before == 0 && after == 0, "before 0x%04x after 0x%04x",
	      before, after);
}

static void attack_header(void)
{
	uint32_t h0[16], h1[16];
	unsigned same = 1, bad = 0;

	read_header(h0);
	unaligned(0x0c, 0xcfd, 4, 0xffffffffu);    /* latency, header type, BIST, (BAR0 on the old hv) */
	unaligned(0x10, 0xcfd, 4, 0xfffffff0u);    /* BAR0 bytes 1-3 */
	unaligned(0x20, 0xcfe, 2, 0xffff);         /* BAR4 (bus master) bytes 2-3 */
	unaligned(0x20, 0xcfd, 4, 0x00000000u);    /* BAR4 bytes 1-3: bus master to 0x0001 */
	unaligned(0x0c, 0xcff, 4, 0x000000ffu);    /* BIST, (BAR0 bytes 0-2 on the old hv) */
	unaligned(0x1c, 0xcff, 4, 0xffffffffu);    /* BAR3 byte 3, (BAR4 on the old hv) */
	unaligned(0x3c, 0xcfd, 4, 0xffffffffu);    /* interrupt pin, min grant, max latency, (IDETIM) */
	unaligned(0x00, 0xcff, 4, 0xffffffffu);    /* device ID high byte */
	for (uint32_t bar = 0x10; bar < 0x28; bar += 4)
		wr32(bar, 0xffffffffu);                /* BAR sizing, never restored */
	wr32(0x30, 0xfffff800u);                   /* expansion ROM */
	read_header(h1);
	for (unsigned i = 0; i < 16; i++) {
		if (h0[i] != h1[i] && same)
			same = 0, bad = i;
		if (i >= 4 && i < 10)
			tg_printf("pciattack: bar%u 0x%08x\n", i - 4, h1[i]);
	}
	tg_printf("pciattack: header 0x%08x 0x%08x interrupt 0x%08x\n", h1[2], h1[3], h1[15]);
	check(&ck, "header and bars unchanged", same, "dword 0x%02x 0x%08x became 0x%08x", bad * 4, h0[bad],
	      h1[bad]);
}

static void attack_chipset_registers(void)
{
	uint16_t own = rd16(PCI_IDETIM), t;
	uint8_t sidetim = rd8(PCI_SIDETIM), s;
	uint32_t udma = rd32(PCI_UDMACTL), u;

	/* Its own channel's timing is its own: a new timing (decode kept on) reads back. */
	wr16(PCI_IDETIM, 0xa307);
	t = rd16(PCI_IDETIM);
	wr16(PCI_IDETIM, own);
	check(&ck, "own idetim takes a new timing", t == 0xa307, "wrote 0xa307, reads 0x%04x", t);
	wr8(PCI_SIDETIM, 0xff);
	s = rd8(PCI_SIDETIM);
	wr8(PCI_SIDETIM, sidetim);
	check(&ck, "sidetim shows only its own nibble", (s & 0xf0) == 0, "wrote 0xff, reads 0x%02x", s);
	wr32(PCI_UDMACTL, 0xffffffffu);
	u = rd32(PCI_UDMACTL);
	tg_printf("pciattack: idetim 0x%04x (wrote 0xa307: 0x%04x), sidetim 0x%02x (wrote 0xff: 0x%02x), "
		  "0x48 0x%08x (wrote all ones: 0x%08x)\n", own, t, sidetim, s, udma, u);
	wr32(0x4c, 0xffffffffu);
}

static void attack_address_latch(void)
{
	uint32_t id = rd32(0), v;

	outw(0xcf8, 0x0040);                       /* not a CONFIG_ADDRESS write */
	outb(0xcf9, 0x00);                         /* PIIX reset control, a harmless value */
	v = inl(0xcfc);
	check(&ck, "narrow 0xcf8 write keeps the address latch", v == id, "reads 0x%08x, ID 0x%08x", v, id);
}

static void attacker(void)
{
	uint32_t delay_ms = arg_u32("delay_ms", 300);
	uint16_t cmd;

	find_ide();
	delay_us((uint64_t)delay_ms * 1000);
	tg_printf("pciattack: attacker starts: command 0x%04x idetim 0x%08x\n", rd16(PCI_CMD), rd32(PCI_IDETIM));
	attack_command();
	attack_secondary_idetim();
	attack_header();
	attack_chipset_registers();
	attack_address_latch();
	wr16(PCI_CMD, CMD_IO_BM);
	cmd = rd16(PCI_CMD);
	check(&ck, "own command copy reads back set", (cmd & CMD_IO_BM) == CMD_IO_BM, "command 0x%04x", cmd);
	tg_printf("pciattack: attacker done\n");
	checks_finish(&ck);
}

/* ---- victim ---- */

static int ata2_wait(int want_drq)
{
	uint64_t t0 = rdtsc(), lim = tsc_from_us(2000000);
	uint8_t st;

	for (;;) {
		st = inb(ATA2_CTL);
		if (!(st & ST_BSY) && (!want_drq || (st & (ST_DRQ | ST_ERR | ST_DF))))
			return st;
		if (rdtsc() - t0 > lim)
			return -1;
		cpu_relax();
	}
}

/* CRC-32 (IEEE 802.3, as zlib's) of one more byte. */
static uint32_t crc32_byte(uint32_t c, uint8_t b)
{
	c ^= b;
	for (int k = 0; k < 8; k++)
		c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	return c;
}

/* CRC-32 of a sector buffer. */
static uint32_t crc32_sector(const uint8_t *p)
{
	uint32_t c = 0xffffffffu;

	for (unsigned i = 0; i < 512; i++)
		c = crc32_byte(c, p[i]);
	return ~c;
}

/* Selects the secondary master, one sector at lba, drive interrupt off; exits with 1 if there is no drive. */
static void ata2_setup(uint32_t lba)
{
	int st;

	outb(ATA2_CTL, 0x02);                      /* nIEN: polled */
	outb(ATA2_DEVICE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	for (int i = 0; i < 4; i++)
		(void)inb(ATA2_CTL);
	st = ata2_wait(0);
	if (st < 0 || st == 0x00 || st == 0xff)
		tg_fail_exit(1, "pciattack: FAIL no secondary master (status 0x%02x)\n", inb(ATA2_CTL));
	outb(ATA2_COUNT, 1);
	outb(ATA2_LBA0, (uint8_t)lba);
	outb(ATA2_LBA1, (uint8_t)(lba >> 8));
	outb(ATA2_LBA2, (uint8_t)(lba >> 16));
}

/* PIO READ SECTORS of sector lba of the secondary master into sector; exits with 1 on a drive error. */
static void ata2_pio_read(uint32_t lba)
{
	int st;

	ata2_setup(lba);
	outb(ATA2_CMD, 0x20);                      /* READ SECTORS */
	st = ata2_wait(1);
	if (st < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
		tg_fail_exit(1, "pciattack: FAIL read lba %u: status 0x%02x error 0x%02x\n", lba, inb(ATA2_CTL),
			     inb(ATA2_ERROR));
	for (unsigned i = 0; i < 512; i += 2) {
		uint16_t w = inw(ATA2_DATA);

		sector[i] = (uint8_t)w;
		sector[i + 1] = (uint8_t)(w >> 8);
	}
	(void)inb(ATA2_CMD);
}

/*
 * READ DMA of sector lba into sector through the secondary channel's bus
 * master (BAR4 + 8: command, status, PRD pointer). Returns the bus-master
 * status at the end: interrupt (bit 2) set and error (bit 1) clear is a
 * completed transfer; 0xff: timeout.
 */
static uint8_t ata2_dma_read(uint32_t lba)
{
	uint16_t bm = (uint16_t)((rd32(0x20) & 0xfffc) + 8);
	uint64_t t0, lim = tsc_from_us(2000000);
	uint8_t st;

	prd2[0].addr = (uint32_t)sector;
	prd2[0].count = 512;
	prd2[0].flags = 0x8000;                    /* end of table */
	outb(bm, 0x00);
	outl((uint16_t)(bm + 4), (uint32_t)prd2);
	outb((uint16_t)(bm + 2), (uint8_t)((inb((uint16_t)(bm + 2)) & 0x60) | 0x06));
	outb(bm, 0x08);                            /* device to memory */
	ata2_setup(lba);
	outb(ATA2_CMD, 0xc8);                      /* READ DMA */
	outb(bm, 0x09);
	for (t0 = rdtsc();; cpu_relax()) {
		st = inb((uint16_t)(bm + 2));
		if ((st & 0x06) || !(st & 0x01))
			break;
		if (rdtsc() - t0 > lim) {
			st = 0xff;
			break;
		}
	}
	outb(bm, 0x00);
	(void)ata2_wait(0);
	(void)inb(ATA2_CMD);
	outb((uint16_t)(bm + 2), (uint8_t)((inb((uint16_t)(bm + 2)) & 0x60) | 0x06));
	return st;
}

/* The victim's state: its view of the function, and its sector by PIO and by DMA. */
struct victim_view {
	uint16_t cmd, idetim;
	uint32_t pio, dma;
	uint8_t dma_status;
};

static void victim_read(struct victim_view *v, uint32_t lba, const char *when)
{
	v->cmd = rd16(PCI_CMD);
	v->idetim = rd16(PCI_IDETIM + 2);
	ata2_pio_read(lba);
	v->pio = crc32_sector(sector);
	for (unsigned i = 0; i < 512; i++)
		sector[i] = 0xee;
	v->dma_status = ata2_dma_read(lba);
	v->dma = crc32_sector(sector);
	tg_printf("pciattack: victim %s: command 0x%04x idetim 0x%04x lba %u dma status 0x%02x crc 0x%08x "
		  "dma crc 0x%08x\n", when, v->cmd, v->idetim, lba, v->dma_status, v->pio, v->dma);
}

static void victim(void)
{
	uint32_t lba = arg_u32("lba", 100), wait_ms = arg_u32("wait_ms", 1500);
	struct victim_view a, b;

	find_ide();
	wr16(PCI_CMD, (uint16_t)(rd16(PCI_CMD) | CMD_IO_BM));
	victim_read(&a, lba, "before");
	check(&ck, "secondary decode enabled before", a.idetim & IDETIM_DECODE, "idetim 0x%04x", a.idetim);
	check(&ck, "dma reads the sector before", (a.dma_status & 0x07) == 0x04 && a.dma == a.pio,
	      "status 0x%02x crc 0x%08x, pio 0x%08x", a.dma_status, a.dma, a.pio);
	delay_us((uint64_t)wait_ms * 1000);
	victim_read(&b, lba, "after");
	check(&ck, "idetim unchanged", b.idetim == a.idetim && (b.idetim & IDETIM_DECODE), "0x%04x became 0x%04x",
	      a.idetim, b.idetim);
	check(&ck, "command unchanged", b.cmd == a.cmd, "0x%04x became 0x%04x", a.cmd, b.cmd);
	check(&ck, "sector reads the same", b.pio == a.pio, "crc 0x%08x became 0x%08x", a.pio, b.pio);
	check(&ck, "dma reads the sector after", (b.dma_status & 0x07) == 0x04 && b.dma == b.pio,
	      "status 0x%02x crc 0x%08x, pio 0x%08x", b.dma_status, b.dma, b.pio);
	checks_finish(&ck);
}

void test_pciattack(void)
{
	const char *role = arg_str("role", "attacker");

	if (tg_streq(role, "victim"))
		victim();
	else if (tg_streq(role, "attacker"))
		attacker();
	else
		tg_fail_exit(2, "pciattack: FAIL role=%s: attacker or victim\n", role);
}
