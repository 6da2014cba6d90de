/*
 * cmos: the RTC (MC146818) time, read until two reads agree with no update
 * in progress, in BCD or binary and 12- or 24-hour format per status B; and
 * the memory-size bytes of the PC/AT CMOS map, checked against each other
 * and against the Multiboot memory info.
 */
#include "tguest.h"

static struct checks ck = { .prefix = "cmos" };

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

struct rtc {
	uint8_t sec, min, hour, day, mon, year, century;
};

static void rtc_read(struct rtc *t)
{
	uint32_t spins = 0;

	while ((cmos_read(0x0a) & 0x80) && ++spins < 1000000)   /* update in progress */
		;
	t->sec = cmos_read(0x00);
	t->min = cmos_read(0x02);
	t->hour = cmos_read(0x04);
	t->day = cmos_read(0x07);
	t->mon = cmos_read(0x08);
	t->year = cmos_read(0x09);
	t->century = cmos_read(0x32);
}

static int rtc_same(const struct rtc *a, const struct rtc *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->mon == b->mon && a->year == b->year;
}

static int bcd_ok(uint8_t v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static uint8_t from_bcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 0x0f));
}

static uint16_t cmos_read16(uint8_t lo)
{
	return (uint16_t)(cmos_read(lo) | (cmos_read((uint8_t)(lo + 1)) << 8));
}

void test_cmos(void)
{
	struct rtc t, t2;
	uint8_t sb, pm = 0, raw_hour;
	int binary, h24, tries, bcd_valid = 1;
	uint32_t base, ext1, ext2, hi64k, want_ext, cmos_kb, mb_kb;

	sb = cmos_read(0x0b);
	binary = sb & 0x04;
	h24 = sb & 0x02;
	tg_printf("cmos: status a 0x%02x b 0x%02x d 0x%02x (%s, %s)\n", cmos_read(0x0a), sb, cmos_read(0x0d),
		  binary ? "binary" : "bcd", h24 ? "24-hour" : "12-hour");
	rtc_read(&t);
	for (tries = 0; tries < 5; tries++) {
		rtc_read(&t2);
		if (rtc_same(&t, &t2))
			break;
		t = t2;
	}
	check(&ck, "time stable", tries < 5, "5 pairs of reads disagreed");
	raw_hour = t.hour;
	if (!h24) {
		pm = t.hour & 0x80;
		t.hour &= 0x7f;
	}
	if (!binary) {
		bcd_valid = bcd_ok(t.sec) && bcd_ok(t.min) && bcd_ok(t.hour) && bcd_ok(t.day) && bcd_ok(t.mon) &&
			    bcd_ok(t.year);
		t.sec = from_bcd(t.sec);
		t.min = from_bcd(t.min);
		t.hour = from_bcd(t.hour);
		t.day = from_bcd(t.day);
		t.mon = from_bcd(t.mon);
		t.year = from_bcd(t.year);
	}
	if (!h24)
		t.hour = (uint8_t)(t.hour % 12 + (pm ? 12 : 0));
	tg_printf("cmos: time 20%02u-%02u-%02u %02u:%02u:%02u\n", t.year, t.mon, t.day, t.hour, t.min, t.sec);
	check(&ck, "time in range",
	      bcd_valid && t.sec < 60 && t.min < 60 && t.hour < 24 && t.day >= 1 && t.day <= 31 && t.mon >= 1 &&
	      t.mon <= 12 && t.year <= 99,
	      "%s raw hour 0x%02x, decoded %02u-%02u-%02u %02u:%02u:%02u", bcd_valid ? "" : "bad BCD,", raw_hour,
	      t.year, t.mon, t.day, t.hour, t.min, t.sec);
	tg_printf("cmos: info century 0x%02x\n", t.century);

	base = cmos_read16(0x15);
	ext1 = cmos_read16(0x17);
	ext2 = cmos_read16(0x30);
	hi64k = cmos_read16(0x34);
	tg_printf("cmos: base memory %u KiB\n", base);
	tg_printf("cmos: extended memory %u KiB (0x17), %u KiB (0x30), above 16M %u x 64 KiB (0x34)\n", ext1, ext2,
		  hi64k);
	check(&ck, "base memory", base == 640, "0x15/0x16 = %u KiB, want 640", base);
	/* Extended memory counts from 1 MiB, capped at 65535 KiB; 0x34/0x35 counts from 16 MiB. */
	want_ext = hi64k ? 15360 + hi64k * 64 : ext1;
	if (want_ext > 65535)
		want_ext = 65535;
	check(&ck, "extended memory", ext1 == ext2 && ext1 >= 1024 && ext1 == want_ext,
	      "0x17/0x18 = %u KiB, 0x30/0x31 = %u KiB, 0x34/0x35 = %u blocks (wants %u KiB)", ext1, ext2, hi64k,
	      want_ext);
	cmos_kb = 1024 + (hi64k ? 15360 + hi64k * 64 : ext1);
	if (tg_mbi->flags & MB_IF_MEMORY) {
		mb_kb = 1024 + tg_mbi->mem_upper;
		tg_printf("cmos: memory %u KiB (CMOS), %u KiB (Multiboot: mem_lower %u mem_upper %u)\n", cmos_kb,
			  mb_kb, tg_mbi->mem_lower, tg_mbi->mem_upper);
		/* Multiboot's mem_upper is the first RAM run above 1 MiB: a loader may keep the top for itself. */
		check(&ck, "memory matches multiboot", mb_kb <= cmos_kb && cmos_kb <= mb_kb + 1024,
		      "CMOS says %u KiB, Multiboot %u KiB (want CMOS - Multiboot in 0..1024 KiB)", cmos_kb, mb_kb);
	} else {
		tg_printf("cmos: memory %u KiB (CMOS)\n", cmos_kb);
		check_skip(&ck, "memory matches multiboot", "no Multiboot memory info");
	}
	checks_finish(&ck);
}
