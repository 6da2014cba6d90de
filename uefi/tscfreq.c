/*
 * The TSC frequency from CPUID (uefi/tscfreq.h has the contract). Pure:
 * linked into the EFI image and into the host unit tests.
 *
 * Leaf 15H: SDM, CPUID "Time Stamp Counter and Nominal Core Crystal Clock
 * Information Leaf": EAX = denominator and EBX = numerator of the TSC /
 * core crystal clock ratio (EBX = 0: ratio not enumerated), ECX = nominal
 * crystal frequency in Hz (0: not enumerated). The SDM's "Determining the
 * Processor Base Frequency" gives TSC = ECX * EBX / EAX, and for processors
 * that enumerate the ratio but not the crystal, a table of nominal crystal
 * frequencies by model. For other models the crystal is derived from the
 * base frequency of leaf 16H (crystal = base * EAX / EBX, as Linux does),
 * which makes the TSC frequency the nominal base frequency.
 */
#include <stdbool.h>
#include "tscfreq.h"

#define HV_PRESENT      (1u << 31)            /* CPUID.1:ECX: a hypervisor is present */
#define RATIO_MAX       1000u                  /* TSC / crystal above this is not believed */

/* The SDM's table "Nominal Core Crystal Clock Frequency", by family 6 model. */
static const struct {
	uint32_t model;
	uint32_t crystal_hz;
} tscfreq_crystal[] = {
	{ 0x55, 25000000 },   /* Xeon Scalable */
	{ 0x4e, 24000000 },   /* 6th and 7th generation Core */
	{ 0x5e, 24000000 },
	{ 0x8e, 24000000 },
	{ 0x9e, 24000000 },
	{ 0x5c, 19200000 },   /* Atom (Goldmont) */
};

/* Returns a * b / c for b, c < 2^32 when the result fits, without a 128-bit product. */
static uint64_t tscfreq_muldiv(uint64_t a, uint32_t b, uint32_t c)
{
	return a / c * b + a % c * b / c;
}

/* Returns the display model (SDM, CPUID leaf 1 "Version Information") if family 6, else 0. */
static uint32_t tscfreq_model6(uint32_t eax)
{
	uint32_t family = (eax >> 8) & 0xf;

	if (family != 6)
		return 0;
	return ((eax >> 4) & 0xf) | (((eax >> 16) & 0xf) << 4);
}

/* Returns the crystal frequency in Hz, 0 if unknown; *source says where it came from. */
static uint64_t tscfreq_crystal_hz(const struct tscfreq_cpuid *c, const char **source)
{
	uint32_t model = tscfreq_model6(c->leaf1_eax);
	uint64_t base_mhz = c->l16_eax & 0xffff;

	if (c->l15_ecx) {
		*source = "cpuid 0x15";
		return c->l15_ecx;
	}
	for (unsigned i = 0; model && i < sizeof(tscfreq_crystal) / sizeof(tscfreq_crystal[0]); i++) {
		if (tscfreq_crystal[i].model == model) {
			*source = "cpuid 0x15, SDM crystal table";
			return tscfreq_crystal[i].crystal_hz;
		}
	}
	if (c->max_basic >= 0x16 && base_mhz) {
		*source = "cpuid 0x15, crystal from cpuid 0x16";
		return tscfreq_muldiv(base_mhz * 1000000, c->l15_eax, c->l15_ebx);
	}
	return 0;
}

/* Returns the TSC frequency leaf 0x15 gives, 0 if none. */
static uint64_t tscfreq_leaf15(const struct tscfreq_cpuid *c, const char **source)
{
	uint64_t crystal;

	/* The TSC runs at least at the crystal's rate: EBX >= EAX. */
	if (c->max_basic < 0x15 || !c->l15_eax || c->l15_ebx < c->l15_eax ||
	    c->l15_ebx / c->l15_eax > RATIO_MAX)
		return 0;
	crystal = tscfreq_crystal_hz(c, source);
	if (crystal > UINT32_MAX)
		return 0;
	return tscfreq_muldiv(crystal, c->l15_ebx, c->l15_eax);
}

/* Returns the TSC frequency the hypervisor's timing leaf gives, 0 if none. */
static uint64_t tscfreq_hv_leaf(const struct tscfreq_cpuid *c)
{
	if (!(c->leaf1_ecx & HV_PRESENT) || c->hv_max < TSCFREQ_HV_LEAF ||
	    c->hv_max > 0x400000ffu)
		return 0;
	return (uint64_t)c->hv_tsc_khz * 1000;
}

static bool tscfreq_plausible(uint64_t hz)
{
	return hz >= TSCFREQ_MIN_HZ && hz <= TSCFREQ_MAX_HZ;
}

uint64_t tscfreq_choose(const struct tscfreq_cpuid *c, uint64_t calibrated_hz,
			const char **source)
{
	const char *src = "cpuid 0x15";
	uint64_t hz = tscfreq_hv_leaf(c);

	if (tscfreq_plausible(hz)) {
		*source = "cpuid 0x40000010 (hypervisor)";
		return hz;
	}
	hz = tscfreq_leaf15(c, &src);
	if (tscfreq_plausible(hz)) {
		*source = src;
		return hz;
	}
	*source = TSCFREQ_CALIBRATED;
	return calibrated_hz;
}
