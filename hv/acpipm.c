/*
 * The guest's ACPI PM1a registers (hv/acpipm.h). Each 16-bit register is
 * reached a byte at a time; SLP_EN and SLP_TYP both lie in PM1_CNT's high
 * byte, so a word write acts when that byte is written, with its own
 * SLP_TYP.
 */
#include "acpipm.h"
#include "acpitab.h"

void acpipm_init(struct acpipm *p)
{
	p->en = 0;
	p->cnt = 0;
}

uint8_t acpipm_read(const struct acpipm *p, unsigned off)
{
	uint16_t reg;

	switch (off / 2) {
	case 0:
		reg = 0;                                /* PM1_STS: nothing ever happens */
		break;
	case 1:
		reg = p->en;
		break;
	case 2:
		reg = p->cnt | PM1_CNT_SCI_EN;
		break;
	default:
		return 0xff;
	}
	return (uint8_t)(reg >> (8 * (off % 2)));
}

/* Sets the low (hi false) or high byte of *reg to v within mask. */
static void set_byte(uint16_t *reg, bool hi, uint8_t v, uint16_t mask)
{
	unsigned shift = hi ? 8 : 0;
	uint16_t m = (uint16_t)(mask & (0xffu << shift));

	*reg = (uint16_t)((*reg & ~m) | (((uint16_t)v << shift) & m));
}

enum acpipm_action acpipm_write(struct acpipm *p, unsigned off, uint8_t v)
{
	bool hi = off % 2;

	switch (off / 2) {
	case 1:
		set_byte(&p->en, hi, v, PM1_EN_MASK);
		break;
	case 2:
		set_byte(&p->cnt, hi, v, PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP);
		if (hi && ((uint16_t)v << 8 & PM1_CNT_SLP_EN))
			return ((p->cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_SHIFT) == ACPITAB_SLP_TYP_S5 ?
			       ACPIPM_POWER_OFF : ACPIPM_SLEEP;
		break;
	}
	return ACPIPM_NONE;                             /* PM1_STS: no bit to clear */
}
