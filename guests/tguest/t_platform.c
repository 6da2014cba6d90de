/*
 * pci, calibrate, triple: the filtered PCI configuration space, PIT
 * channel 2 as a calibration source, and a triple fault.
 *
 *   test=pci expect=none|ide   which functions the guest must see on bus 0
 *   test=calibrate             PIT channel 2 against the hv's TSC frequency
 *   test=triple                loads an empty IDT and raises #BP
 */
#include "tguest.h"

static struct checks ck_pci = { .prefix = "pci" };
static struct checks ck_cal = { .prefix = "calibrate" };

static uint32_t pci_read(uint32_t dev, uint32_t fn, uint32_t reg)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfc));
	return inl(0xcfc);
}

static void pci_write(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t val)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfc));
	outl(0xcfc, val);
}

void test_pci(void)
{
	const char *expect = arg_str("expect", "none");
	unsigned visible = 0, ide = 0, ide_dev = 0, ide_fn = 0;

	for (uint32_t dev = 0; dev < 32; dev++) {
		for (uint32_t fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read(dev, fn, 0);
			if ((id & 0xffff) == 0xffff)
				continue;
			uint32_t class = pci_read(dev, fn, 8) >> 16;
			tg_printf("pci: 00:%02x.%u %04x:%04x class %04x\n", dev, fn, id & 0xffff, id >> 16, class);
			visible++;
			if (class == 0x0101)
				ide++, ide_dev = dev, ide_fn = fn;
		}
	}
	tg_printf("pci: visible %u function(s)\n", visible);
	if (tg_streq(expect, "none")) {
		check(&ck_pci, "nothing visible", visible == 0, "%u functions visible", visible);
	} else {
		/* The IDE function, and function 0 of its device (identification only). */
		check(&ck_pci, "only the ide controller", visible == 2 && ide == 1,
		      "%u functions, %u IDE", visible, ide);
		if (ide) {
			uint32_t bar0 = pci_read(ide_dev, ide_fn, 0x10), bar4 = pci_read(ide_dev, ide_fn, 0x20);
			pci_write(ide_dev, ide_fn, 0x10, 0xfffffff0u);
			check(&ck_pci, "bar write dropped", pci_read(ide_dev, ide_fn, 0x10) == bar0,
			      "BAR0 0x%x became 0x%x", bar0, pci_read(ide_dev, ide_fn, 0x10));
			check(&ck_pci, "bus master visible", (bar4 & 1) && (bar4 & ~3u), "BAR4 0x%x", bar4);
		}
	}
	checks_finish(&ck_pci);
}

void test_calibrate(void)
{
	char a[24], b[24];
	uint64_t hv = tg_info.tsc_hz, pit2 = 0, t;
	uint64_t s[5];

	if (!tg_under_hv) {
		check_skip(&ck_cal, "pit2 matches the hv", "not under the hv");
		checks_finish(&ck_cal);
	}
	for (unsigned i = 0; i < 5; i++) {
		s[i] = tsc_calibrate_pit2();
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--)
			t = s[j], s[j] = s[j - 1], s[j - 1] = t;
	}
	pit2 = s[2];
	uint64_t diff = pit2 > hv ? pit2 - hv : hv - pit2;
	tg_printf("calibrate: pit2 %s MHz, hv %s MHz\n", fmt_fixed(a, pit2, 1000000, 3),
		  fmt_fixed(b, hv, 1000000, 3));
	/* Within 1%: diff * 100 <= hv. */
	check(&ck_cal, "pit2 matches the hv", hv && diff * 100 <= hv, "off by %s MHz",
	      fmt_fixed(a, diff, 1000000, 3));
	checks_finish(&ck_cal);
}

void test_triple(void)
{
	static const struct __attribute__((packed)) { uint16_t limit; uint32_t base; } empty = { 0, 0 };

	tg_printf("triple: empty IDT, int3\n");
	__asm__ volatile("lidt %0\n int3" :: "m"(empty));
	tg_printf("triple: survived\n");
	guest_exit(3);
}
