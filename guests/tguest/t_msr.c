/*
 * msr: RDMSR/WRMSR as the guest platform defines them. Reads and
 * write-read-backs that any x86-64 CPU allows run everywhere, and so does
 * IA32_APIC_BASE, which answers exactly where CPUID shows an APIC; the #GP
 * expectations (MSRs that would reach beyond the partition), TSC writes and
 * the hv's synthetic values run under the hv only (QEMU TCG accepts those
 * writes). tguest `cpumodel` checks the whole CPU model.
 */
#include "tguest.h"

#define MSR_TSC              0x010
#define MSR_APIC_BASE        0x01b
#define MSR_FEATURE_CONTROL  0x03a
#define MSR_BIOS_UPDT_TRIG   0x079
#define MSR_SYSENTER_CS      0x174
#define MSR_DEBUGCTL         0x1d9
#define MSR_PAT              0x277
#define MSR_VMX_BASIC        0x480
#define MSR_EFER             0xc0000080u
#define MSR_FS_BASE          0xc0000100u

#define NOT_HV "not under the hv"

static struct checks ck = { .prefix = "msr" };

static int cpuid_has_apic(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return (d >> 9) & 1;
}

/* A PAT value is valid when each entry is UC, WC, WT, WP, WB or UC-. */
static int pat_valid(uint64_t pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return 0;
	}
	return 1;
}

/* Read-back check of a write that must succeed; restores the old value. */
static void write_readback(const char *name, uint32_t msr, uint64_t val)
{
	uint64_t old = 0, got = 0;

	if (safe_rdmsr(msr, &old) < 0) {
		check(&ck, name, 0, "#GP reading MSR 0x%x", msr);
		return;
	}
	if (safe_wrmsr(msr, val) < 0) {
		check(&ck, name, 0, "#GP writing 0x%llx to MSR 0x%x", val, msr);
		return;
	}
	if (safe_rdmsr(msr, &got) < 0) {
		check(&ck, name, 0, "#GP reading MSR 0x%x back", msr);
		return;
	}
	check(&ck, name, got == val, "wrote 0x%llx, read back 0x%llx", val, got);
	if (safe_wrmsr(msr, old) < 0)
		tg_printf("msr: note: #GP restoring MSR 0x%x to 0x%llx\n", msr, old);
}

/* A read or write that must raise #GP (under the hv only). */
static void expect_gp(const char *name, uint32_t msr, int write, uint64_t val)
{
	uint64_t got = 0;
	int rc;

	if (!tg_under_hv) {
		check_skip(&ck, name, NOT_HV);
		return;
	}
	rc = write ? safe_wrmsr(msr, val) : safe_rdmsr(msr, &got);
	if (write)
		check(&ck, name, rc < 0, "write of 0x%llx to MSR 0x%x did not #GP", val, msr);
	else
		check(&ck, name, rc < 0, "read of MSR 0x%x did not #GP, returned 0x%llx", msr, got);
}

void test_msr(void)
{
	uint64_t v = 0, t1 = 0, t2 = 0;
	int rc;

	rc = safe_rdmsr(MSR_EFER, &v);
	if (rc == 0)
		tg_printf("msr: info efer 0x%llx\n", v);
	check(&ck, "efer read", rc == 0 && !(v & (1u << 8)) && !(v & (1u << 10)),
	      rc ? "#GP" : "LME/LMA set in 32-bit mode: 0x%llx", v);

	rc = safe_rdmsr(MSR_PAT, &v);
	if (rc == 0)
		tg_printf("msr: info pat 0x%llx\n", v);
	check(&ck, "pat read", rc == 0 && pat_valid(v), rc ? "#GP" : "invalid memory type in 0x%llx", v);

	rc = safe_rdmsr(MSR_TSC, &t1);
	delay_us(10);
	rc |= safe_rdmsr(MSR_TSC, &t2);
	if (!tg_under_hv && rc == 0 && t1 == 0 && t2 == 0)
		check_skip(&ck, "tsc read", "not under the hv: MSR 0x10 reads 0, as in QEMU TCG");
	else
		check(&ck, "tsc read", rc == 0 && t2 > t1, rc ? "#GP" : "0x%llx then 0x%llx: not increasing", t1, t2);

	/* IA32_APIC_BASE exists where CPUID shows an APIC (the hv's platform has none). */
	rc = safe_rdmsr(MSR_APIC_BASE, &v);
	if (rc == 0)
		tg_printf("msr: info apic_base 0x%llx\n", v);
	if (cpuid_has_apic())
		check(&ck, "apic_base read", rc == 0 && (v & ~0xfffull) == 0xfee00000ull && (v & (1u << 8)),
		      rc ? "#GP" : "0x%llx: want base 0xfee00000 with BSP (bit 8)", v);
	else
		check(&ck, "apic_base read", rc < 0, "CPUID shows no APIC, yet it read 0x%llx", v);

	write_readback("fs_base write", MSR_FS_BASE, 0x12345000ull);
	write_readback("sysenter_cs write", MSR_SYSENTER_CS, 0x0008);
	rc = safe_rdmsr(MSR_PAT, &v);
	/* Swap entries 1 and 2 (WT <-> UC- on the power-on PAT): a valid PAT either way. */
	write_readback("pat write", MSR_PAT, rc ? 0x0007010600070406ull
				       : (v & ~0xffff00ull) | ((v >> 8) & 0xff) << 16 | ((v >> 16) & 0xff) << 8);
	write_readback("debugctl write 0", MSR_DEBUGCTL, 0);

	if (tg_under_hv) {
		rc = safe_rdmsr(MSR_FEATURE_CONTROL, &v);
		check(&ck, "feature_control read", rc == 0 && (v & 7) == 1,
		      rc ? "#GP" : "0x%llx: want locked (bit 0) with VMX off (bits 1, 2)", v);
	} else {
		check_skip(&ck, "feature_control read", NOT_HV);
	}
	expect_gp("feature_control write #GP", MSR_FEATURE_CONTROL, 1, 5);
	expect_gp("vmx_basic read #GP", MSR_VMX_BASIC, 0, 0);
	expect_gp("ucode trigger write #GP", MSR_BIOS_UPDT_TRIG, 1, 0);
	expect_gp("debugctl write nonzero #GP", MSR_DEBUGCTL, 1, 1);
	expect_gp("efer reserved bit #GP", MSR_EFER, 1, 1u << 1);
	if (tg_under_hv) {
		/* A TSC write moves the guest's TSC (a per-guest offset): RDTSC reads on from it. */
		rc = safe_wrmsr(MSR_TSC, 1ull << 40);
		t1 = rdtsc();
		check(&ck, "tsc write", rc == 0 && t1 >= (1ull << 40) && t1 - (1ull << 40) < tg_tsc_hz,
		      rc ? "#GP" : "wrote 0x10000000000, RDTSC 0x%llx", t1);
	} else {
		check_skip(&ck, "tsc write", NOT_HV);
	}
	checks_finish(&ck);
}
