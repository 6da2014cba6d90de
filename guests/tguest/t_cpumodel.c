/*
 * cpumodel: the guest CPU model seen from inside (docs/architecture.md "The
 * guest CPU model"). What CPUID shows must work and what it hides must
 * not be there:
 *   - OSXSAVE (and OSPKE) track the guest's own CR4;
 *   - every CR4 bit of a feature CPUID hides #GPs, one of a feature shown sets;
 *   - every MSR of a feature CPUID shows answers, one of a hidden feature #GPs;
 *   - XSAVE sizes follow XCR0; leaves above the maximum repeat the highest;
 *   - TSC writes move what RDTSC reads; TSC_AUX is what RDTSCP/RDPID read,
 *     and stays this guest's while others run (aux=N, spin_ms=N);
 *   - values a CPU refuses #GP: PAT reserved types, non-canonical SYSENTER
 *     addresses, MTRR types, read-only MISC_ENABLE bits, DEBUGCTL.LBR.
 * Natively (QEMU TCG) only the CPUID checks run: TCG neither models MSRs
 * this exactly nor refuses reserved CR4 bits cleanly.
 */
#include "tguest.h"

#define NOT_HV   "not under the hv"

enum { EAX, EBX, ECX, EDX };

static struct checks ck = { .prefix = "cpumodel" };
static volatile unsigned fault_vec, skip_len;

static void cpuidex(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Returns true if CPUID (leaf, sub) register reg has any bit of mask, within the maximum leaves. */
static int shown(uint32_t leaf, uint32_t sub, unsigned reg, uint32_t mask)
{
	uint32_t r[4];

	cpuidex(leaf & 0x80000000u, 0, r);
	if (leaf > r[EAX])
		return 0;
	cpuidex(leaf, sub, r);
	return (r[reg] & mask) != 0;
}

static void catch_fault(struct regs *r)
{
	fault_vec = r->vec;
	r->eip += skip_len;
}

/* Runs the asm block (an instruction of len bytes); returns the vector it raised, or 0. */
#define TRY(len, ...) ({ fault_vec = 0; skip_len = (len); __asm__ volatile(__VA_ARGS__); fault_vec; })

static unsigned xsetbv(uint64_t xcr0)
{
	return TRY(3, "xsetbv" :: "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
}

/* ---- CPUID and CR4 --------------------------------------------------- */

/*
 * CPUID.1 as a one-processor PC without MCA, VMX, MONITOR, PMU (under the
 * hv). APIC, x2APIC and TSC-deadline follow the guest's lapic setting
 * (test=lapic checks them); "msrs follow cpuid" checks their MSRs.
 */
static void check_leaf1(void)
{
	uint32_t r[4], hidden_ecx = (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 14) |
				    (1u << 15);
	uint32_t hidden_edx = (1u << 7) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 28) |
			      (1u << 29) | (1u << 31), five;

	if (!tg_under_hv) {
		check_skip(&ck, "cpuid leaf 1 hidden features", NOT_HV);
		check_skip(&ck, "cpuid empty leaves", NOT_HV);
		return;
	}
	cpuidex(1, 0, r);
	tg_printf("cpumodel: info cpuid 1: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x\n", r[0], r[1], r[2], r[3]);
	check(&ck, "cpuid leaf 1 hidden features", !(r[ECX] & hidden_ecx) && !(r[EDX] & hidden_edx) &&
	      (r[ECX] >> 31) && ((r[EBX] >> 16) & 0xff) == 1 && (r[EBX] >> 24) == 0,
	      "ecx 0x%x edx 0x%x ebx 0x%x", r[ECX], r[EDX], r[EBX]);
	cpuidex(5, 0, r);
	five = r[0] | r[1] | r[2] | r[3];
	cpuidex(0xa, 0, r);
	check(&ck, "cpuid empty leaves", !five && !(r[0] | r[1] | r[2] | r[3]),
	      "leaf 5 or 0xa (MONITOR, PMU) not empty: 0xa eax 0x%x", r[0]);
}

/* Leaves above the maximum basic one answer as the maximum one does (Intel). */
static void check_above_max(void)
{
	uint32_t max[4], a[4], b[4], e[4];

	cpuidex(0, 0, max);
	cpuidex(max[EAX], 0, a);
	cpuidex(max[EAX] + 1, 0, b);
	cpuidex(0x80000000u, 0, e);
	tg_printf("cpumodel: info max leaf 0x%x, max extended leaf 0x%x\n", max[EAX], e[EAX]);
	check(&ck, "cpuid above max repeats the highest leaf",
	      a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3],
	      "leaf 0x%x: 0x%x 0x%x 0x%x 0x%x, leaf 0x%x: 0x%x 0x%x 0x%x 0x%x", max[EAX], a[0], a[1], a[2],
	      a[3], max[EAX] + 1, b[0], b[1], b[2], b[3]);
}

/* A CPUID bit that tracks a CR4 bit (OSXSAVE, OSPKE): off, on, off again. */
static void check_tracks_cr4(const char *name, uint32_t leaf, unsigned reg, uint32_t bit, uint32_t cr4bit)
{
	uint32_t cr4 = read_cr4(), r[4], off1, on, off2;
	int rc;

	write_cr4(cr4 & ~cr4bit);
	cpuidex(leaf, 0, r);
	off1 = r[reg] & bit;
	rc = safe_write_cr4((cr4 & ~cr4bit) | cr4bit | (1u << 9));       /* with OSFXSR */
	cpuidex(leaf, 0, r);
	on = r[reg] & bit;
	write_cr4(cr4 & ~cr4bit);
	cpuidex(leaf, 0, r);
	off2 = r[reg] & bit;
	write_cr4(cr4);
	check(&ck, name, rc == 0 && !off1 && on && !off2, "set CR4 bit 0x%x: %s; CPUID bit off/on/off: %u/%u/%u",
	      cr4bit, rc ? "#GP" : "ok", !!off1, !!on, !!off2);
}

static const struct cr4_feature {
	const char *name;
	uint32_t leaf;
	unsigned reg;
	uint32_t mask, cr4;
} cr4_features[] = {
	{ "mce", 1, EDX, 1u << 7, 1u << 6 },
	{ "umip", 7, ECX, 1u << 2, 1u << 11 },
	{ "la57", 7, ECX, 1u << 16, 1u << 12 },
	{ "vmx", 1, ECX, 1u << 5, 1u << 13 },
	{ "smx", 1, ECX, 1u << 6, 1u << 14 },
	{ "fsgsbase", 7, EBX, 1u << 0, 1u << 16 },
	{ "xsave", 1, ECX, 1u << 26, 1u << 18 },
	{ "smep", 7, EBX, 1u << 7, 1u << 20 },
	{ "smap", 7, EBX, 1u << 20, 1u << 21 },
	{ "pku", 7, ECX, 1u << 3, 1u << 22 },
	{ "cet", 7, ECX, 1u << 7, 1u << 23 },
};

/* Each CR4 bit can be set exactly when CPUID shows its feature (VMX: never, under the hv). */
static void check_cr4_bits(void)
{
	uint32_t cr4 = read_cr4();
	unsigned i, bad = 0, n = 0;

	if (!tg_under_hv) {
		/* QEMU TCG hangs on MOV to CR4 with some bits it lacks (UMIP, LA57) instead of #GP. */
		check_skip(&ck, "cr4 bits follow cpuid", NOT_HV);
		return;
	}
	for (i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		const struct cr4_feature *f = &cr4_features[i];
		int has = shown(f->leaf, 0, f->reg, f->mask), rc;

		if (f->cr4 == (1u << 23))
			has = 0;                        /* CET also needs CR0.WP: only its refusal is checked */
		rc = safe_write_cr4(cr4 | f->cr4 | (f->cr4 == (1u << 18) ? (1u << 9) : 0));
		write_cr4(cr4);
		n++;
		if ((rc == 0) != has) {
			bad++;
			tg_printf("cpumodel: cr4 %s: CPUID %s it, setting CR4 bit 0x%x %s\n", f->name,
				  has ? "shows" : "hides", f->cr4, rc ? "#GP" : "worked");
		}
	}
	tg_printf("cpumodel: info cr4 0x%x, %u feature bits tried\n", cr4, n);
	check(&ck, "cr4 bits follow cpuid", bad == 0, "%u of %u bits inconsistent", bad, n);
}

/* XSAVE area sizes (CPUID 0xd.0 EBX) follow the guest's XCR0. */
static void check_xsave_sizes(void)
{
	uint32_t cr4 = read_cr4(), d0[4], d2[4] = { 0 }, base, avx = 0;
	unsigned v1, v2 = 0;

	if (!shown(1, 0, ECX, 1u << 26)) {
		check_skip(&ck, "xsave size follows xcr0", "no XSAVE");
		return;
	}
	idt_set_handler(6, catch_fault);
	idt_set_handler(13, catch_fault);
	write_cr4(cr4 | (1u << 9) | (1u << 18));
	v1 = xsetbv(3);
	cpuidex(0xd, 0, d0);
	base = d0[EBX];
	if (d0[EAX] & 4) {
		cpuidex(0xd, 2, d2);
		v2 = xsetbv(7);
		cpuidex(0xd, 0, d0);
		avx = d0[EBX];
		xsetbv(3);
	}
	write_cr4(cr4);
	idt_set_handler(6, 0);
	idt_set_handler(13, 0);
	tg_printf("cpumodel: info xsave bytes: x87|sse %u, +avx %u (max %u)\n", base, avx, d0[ECX]);
	check(&ck, "xsave size follows xcr0", !v1 && !v2 && base == 576 &&
	      (!(d0[EAX] & 4) || avx == d2[EAX] + d2[EBX]),
	      "xsetbv vectors %u/%u, sizes %u/%u", v1, v2, base, avx);
}

/* ---- MSRs --------------------------------------------------------------- */

static const struct msr_feature {
	const char *name;
	uint32_t msr;
	uint32_t leaf, sub;
	unsigned reg;
	uint32_t mask;
	int write_only;
} msr_features[] = {
	{ "tsc", 0x10, 1, 0, EDX, 1u << 4, 0 },
	{ "apic_base", 0x1b, 1, 0, EDX, 1u << 9, 0 },
	{ "tsc_adjust", 0x3b, 7, 0, EBX, 1u << 1, 0 },
	{ "spec_ctrl", 0x48, 7, 0, EDX, 1u << 26, 0 },
	{ "pred_cmd", 0x49, 7, 0, EDX, 1u << 26, 1 },
	{ "pmc0", 0xc1, 0xa, 0, EAX, 0xff, 0 },
	{ "umwait_control", 0xe1, 7, 0, ECX, 1u << 5, 0 },
	{ "mtrrcap", 0xfe, 1, 0, EDX, 1u << 12, 0 },
	{ "arch_capabilities", 0x10a, 7, 0, EDX, 1u << 29, 0 },
	{ "flush_cmd", 0x10b, 7, 0, EDX, 1u << 28, 1 },
	{ "sysenter_cs", 0x174, 1, 0, EDX, 1u << 11, 0 },
	{ "mcg_cap", 0x179, 1, 0, EDX, 1u << 14, 0 },
	{ "perfevtsel0", 0x186, 0xa, 0, EAX, 0xff, 0 },
	{ "mtrr_physbase0", 0x200, 1, 0, EDX, 1u << 12, 0 },
	{ "pat", 0x277, 1, 0, EDX, 1u << 16, 0 },
	{ "mtrr_def_type", 0x2ff, 1, 0, EDX, 1u << 12, 0 },
	{ "perf_capabilities", 0x345, 1, 0, ECX, 1u << 15, 0 },
	{ "vmx_basic", 0x480, 1, 0, ECX, 1u << 5, 0 },
	{ "ds_area", 0x600, 1, 0, EDX, 1u << 21, 0 },
	{ "tsc_deadline", 0x6e0, 1, 0, ECX, 1u << 24, 0 },
	{ "xss", 0xda0, 0xd, 1, EAX, 1u << 3, 0 },
	{ "efer", 0xc0000080u, 0x80000001u, 0, EDX, 1u << 29, 0 },
	{ "star", 0xc0000081u, 0x80000001u, 0, EDX, 1u << 29, 0 },
	{ "lstar", 0xc0000082u, 0x80000001u, 0, EDX, 1u << 29, 0 },
	{ "kernel_gs_base", 0xc0000102u, 0x80000001u, 0, EDX, 1u << 29, 0 },
	{ "tsc_aux", 0xc0000103u, 0x80000001u, 0, EDX, 1u << 27, 0 },
};

/* Every MSR of a feature CPUID shows answers; every one of a hidden feature #GPs. */
static void check_msr_features(void)
{
	unsigned i, bad = 0, nshown = 0;

	if (!tg_under_hv) {
		check_skip(&ck, "msrs follow cpuid", NOT_HV);
		return;
	}
	for (i = 0; i < sizeof(msr_features) / sizeof(msr_features[0]); i++) {
		const struct msr_feature *f = &msr_features[i];
		int has = shown(f->leaf, f->sub, f->reg, f->mask), rc;
		uint64_t v = 0;

		rc = f->write_only ? safe_wrmsr(f->msr, 0) : safe_rdmsr(f->msr, &v);
		nshown += has;
		if ((rc == 0) != has) {
			bad++;
			tg_printf("cpumodel: msr %s (0x%x): CPUID %s the feature, %s %s\n", f->name, f->msr,
				  has ? "shows" : "hides", f->write_only ? "write of 0" : "read", rc ? "#GP" : "answered");
		}
	}
	tg_printf("cpumodel: info %u msrs tried, %u of them shown\n", i, nshown);
	check(&ck, "msrs follow cpuid", bad == 0, "%u of %u inconsistent", bad, i);
}

/* WRMSR to the TSC moves what RDTSC reads, forwards and backwards. */
static void check_tsc_write(void)
{
	const uint64_t far = 1ull << 44, near = 1ull << 24, slack = tg_tsc_hz;   /* 1 s */
	uint64_t t1, t2, m, t3;
	int rc;

	rc = safe_wrmsr(0x10, far);
	t1 = rdtsc();
	check(&ck, "tsc write forwards", rc == 0 && t1 >= far && t1 < far + slack,
	      "wrote 0x%llx (%s), RDTSC then 0x%llx", far, rc ? "#GP" : "ok", t1);
	rc = safe_wrmsr(0x10, near);
	t2 = rdtsc();
	rc |= safe_rdmsr(0x10, &m);
	t3 = rdtsc();
	check(&ck, "tsc write backwards", rc == 0 && t2 >= near && t2 < near + slack && t2 <= m && m <= t3,
	      "wrote 0x%llx, RDTSC 0x%llx, RDMSR 0x%llx, RDTSC 0x%llx", near, t2, m, t3);
}

/* Values a CPU refuses #GP, and nothing of them sticks. */
static void check_refused_values(void)
{
	uint64_t pat = 0, after = 0, v = 0, misc = 0;
	int ok;

	safe_rdmsr(0x277, &pat);
	ok = safe_wrmsr(0x277, (pat & ~0xffull) | 2) < 0 && safe_wrmsr(0x277, pat | (8ull << 56)) < 0;
	safe_rdmsr(0x277, &after);
	check(&ck, "pat reserved type #GP", ok && after == pat, "PAT 0x%llx, after 0x%llx", pat, after);

	/* EDX:EAX = 0x80000000:0, as a 32-bit guest writes it: non-canonical. */
	ok = safe_wrmsr(0x176, 0x8000000000000000ull) < 0 && safe_wrmsr(0x175, 0x0000800000000000ull) < 0;
	ok = ok && safe_wrmsr(0x176, 0xffff800000001000ull) == 0 && safe_rdmsr(0x176, &v) == 0 &&
	     v == 0xffff800000001000ull;
	safe_wrmsr(0x176, 0);
	check(&ck, "sysenter non-canonical #GP", ok, "SYSENTER_EIP reads 0x%llx", v);

	ok = safe_rdmsr(0x1a0, &misc) == 0 && safe_wrmsr(0x1a0, misc) == 0 &&
	     safe_wrmsr(0x1a0, misc ^ 1) == 0 && safe_wrmsr(0x1a0, misc) == 0 &&
	     safe_wrmsr(0x1a0, misc | (1ull << 34)) < 0 && safe_wrmsr(0x1a0, misc ^ (1ull << 16)) < 0;
	check(&ck, "misc_enable writable bits only", ok, "MISC_ENABLE 0x%llx", misc);

	ok = safe_wrmsr(0x1d9, 2) == 0 && safe_rdmsr(0x1d9, &v) == 0 && v == 2 &&
	     safe_wrmsr(0x1d9, 0) == 0 && safe_wrmsr(0x1d9, 1) < 0;
	check(&ck, "debugctl btf only", ok, "DEBUGCTL read 0x%llx after writing BTF", v);
}

/* MTRRs: the capability agrees with the default type, and ranges take valid types only. */
static void check_mtrrs(void)
{
	uint64_t cap = 0, def = 0, base = 0;
	int ok;

	if (!shown(1, 0, EDX, 1u << 12)) {
		check_skip(&ck, "mtrr consistent", "no MTRR");
		return;
	}
	ok = safe_rdmsr(0xfe, &cap) == 0 && safe_rdmsr(0x2ff, &def) == 0;
	tg_printf("cpumodel: info mtrrcap 0x%llx def_type 0x%llx\n", cap, def);
	ok = ok && (cap & 0xff) >= 1 && (!(def & (1u << 10)) || (cap & (1u << 8)));
	ok = ok && safe_wrmsr(0x200, 0x00400006) == 0 && safe_rdmsr(0x200, &base) == 0 && base == 0x00400006;
	ok = ok && safe_wrmsr(0x200, 0x00400002) < 0 && safe_wrmsr(0x200, 0x00400106) < 0 &&
	     safe_wrmsr(0x2ff, def | 7) < 0;
	safe_wrmsr(0x200, 0);
	check(&ck, "mtrr consistent", ok, "MTRRcap 0x%llx, def_type 0x%llx, PHYSBASE0 read 0x%llx", cap, def, base);
}

static uint32_t rdtscp_aux(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile(".byte 0x0f, 0x01, 0xf9" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

/* TSC_AUX is what RDTSCP and RDPID read, and stays this guest's for spin_ms. */
static void check_tsc_aux(void)
{
	uint32_t aux = arg_u32("aux", 0x1234), ms = arg_u32("spin_ms", 0), got, pid = aux;
	uint64_t end, n = 0, wrong = 0;

	if (!shown(0x80000001u, 0, EDX, 1u << 27)) {
		check_skip(&ck, "tsc_aux rdtscp", "no RDTSCP");
		return;
	}
	if (safe_wrmsr(0xc0000103u, aux) < 0) {
		check(&ck, "tsc_aux rdtscp", 0, "WRMSR TSC_AUX #GP");
		return;
	}
	got = rdtscp_aux();
	if (shown(7, 0, ECX, 1u << 22))
		__asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(pid));     /* rdpid eax */
	check(&ck, "tsc_aux rdtscp", got == aux && pid == aux, "wrote 0x%x, RDTSCP 0x%x, RDPID 0x%x", aux, got, pid);
	if (!ms)
		return;
	end = rdtsc() + tsc_from_us(ms * 1000ull);
	while (rdtsc() < end) {
		n++;
		wrong += rdtscp_aux() != aux;
	}
	tg_printf("cpumodel: info tsc_aux 0x%x over %u ms: %llu reads, %llu wrong\n", aux, ms, n, wrong);
	check(&ck, "tsc_aux kept while others run", wrong == 0 && n > 0, "%llu of %llu reads wrong", wrong, n);
}

/* Speculation controls, where shown: IBRS sticks, IBPB runs. */
static void check_spec_ctrl(void)
{
	uint64_t v = 0;
	int ok;

	if (!shown(7, 0, EDX, 1u << 26)) {
		check_skip(&ck, "spec_ctrl", "no IBRS/IBPB");
		return;
	}
	ok = safe_wrmsr(0x48, 1) == 0 && safe_rdmsr(0x48, &v) == 0 && v == 1 && safe_wrmsr(0x48, 0) == 0 &&
	     safe_wrmsr(0x49, 1) == 0 && safe_wrmsr(0x48, 1ull << 40) < 0;
	check(&ck, "spec_ctrl", ok, "SPEC_CTRL read 0x%llx after writing IBRS", v);
}

void test_cpumodel(void)
{
	check_leaf1();
	check_above_max();
	if (shown(1, 0, ECX, 1u << 26))
		check_tracks_cr4("osxsave tracks cr4", 1, ECX, 1u << 27, 1u << 18);
	else
		check_skip(&ck, "osxsave tracks cr4", "no XSAVE");
	if (shown(7, 0, ECX, 1u << 3))
		check_tracks_cr4("ospke tracks cr4", 7, ECX, 1u << 4, 1u << 22);
	else
		check_skip(&ck, "ospke tracks cr4", "no PKU");
	check_cr4_bits();
	check_xsave_sizes();
	check_msr_features();
	if (!tg_under_hv) {
		check_skip(&ck, "msr values", NOT_HV);
		checks_finish(&ck);
	}
	check_tsc_write();
	check_refused_values();
	check_mtrrs();
	check_spec_ctrl();
	check_tsc_aux();
	checks_finish(&ck);
}
