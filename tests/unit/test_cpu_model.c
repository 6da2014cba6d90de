/*
 * The guest CPU model on the host (hv/cpumodel.h): every CPUID rule and
 * every row of the MSR policy, through the hv's own exit handlers against
 * the fake CPU and VMCS. Each RDMSR/WRMSR either completes (RIP advanced,
 * nothing injected) or raises #GP (vector 13, hardware exception, error
 * code 0, RIP unchanged); after each the SDM's VM-entry checks pass. The
 * same invariant ("a feature shown has MSRs that answer, a hidden one's
 * MSRs #GP") runs on three hosts: the default Haswell-class one, a server
 * with AVX-512, PKU and speculation controls, and a minimal one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "cpumodel.h"
#include "exit.h"
#include "guest.h"
#include "hypercall.h"
#include "vmx.h"
#include "xstate.h"

#define CFG1 "[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\nlapic = off\n"
#define CFG2 CFG1 "[guest b]\nimage = \\b.elf\nmemory = 4M\nlapic = off\n"

#define GP_INJECTED  (13u | (3u << 8) | (1u << 11) | (1u << 31))
#define BIT(n)       (1u << (n))

#define MSR_SPEC_CTRL   0x48
#define MSR_PRED_CMD    0x49
#define MSR_FLUSH_CMD   0x10b
#define MSR_ARCH_CAP    0x10a
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRRCAP     0xfe
#define MSR_DEF_TYPE    0x2ff

/* ---- hosts ------------------------------------------------------------ */

/* Cache, power and topology leaves of a real Intel host, for the rules that reshape them. */
static void host_leaves(void)
{
	fake_set_cpuid(2, 0, 0x76036301, 0, 0, 0x00f0b5ff);
	fake_set_cpuid(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
	fake_set_cpuid(4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0);
	fake_set_cpuid(4, 2, 0x1c004143, 0x01c0003f, 0x1ff, 0);
	fake_set_cpuid(4, 3, 0x1c03c163, 0x03c0003f, 0x1fff, 6);
	fake_set_cpuid(5, 0, 0x40, 0x40, 3, 0x11142120);
	fake_set_cpuid(6, 0, 0x77, 2, 9, 0);
	fake_set_cpuid(0xa, 0, 0x07300403, 0, 0, 0x603);
	fake_set_cpuid(0xb, 0, 1, 2, 0x100, 5);
	fake_set_cpuid(0xb, 1, 4, 8, 0x201, 5);
	fake_set_cpuid(0xb, 2, 0, 0, 2, 5);
}

/* The default host plus its cache, power and topology leaves. */
static void host_haswell(void)
{
	host_leaves();
}

/*
 * A server: every CPUID feature bit set (AVX-512, PKU, WAITPKG, LA57, TSX,
 * MPX, PT, SGX, speculation controls ...), AMX and MPX XSAVE state, LA57
 * and PKE allowed in CR4, 57-bit linear addresses.
 */
static void host_rich(void)
{
	static const struct { uint32_t sub, eax, ebx, ecx; } xs[] = {
		{ 2, 256, 576, 0 }, { 3, 64, 960, 0 }, { 4, 64, 1024, 0 }, { 5, 64, 1088, 0 },
		{ 6, 512, 1152, 0 }, { 7, 1024, 1664, 0 }, { 9, 8, 2688, 0 },
		{ 17, 64, 2752, 2 }, { 18, 8192, 2816, 2 },
	};

	host_leaves();
	fake_set_cpuid(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	fake_set_cpuid(1, 0, 0x00050654, 0x12345678, 0xfffefbff, 0xbfebfbff);
	fake_set_cpuid(7, 0, 2, 0xffffffff, 0xffffffff, 0xffffffff);
	fake_set_cpuid(7, 1, 0xffffffff, 1, 0xffffffff, 0xffffffff);
	fake_set_cpuid(7, 2, 0, 0, 0, 0x3f);
	fake_set_cpuid(0xd, 0, 0x602ff, 0x340, 0x2b00, 0);
	fake_set_cpuid(0xd, 1, 0x1f, 0x988, 0x1800, 0);
	for (unsigned i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		fake_set_cpuid(0xd, xs[i].sub, xs[i].eax, xs[i].ebx, xs[i].ecx, 0);
	fake_set_cpuid(0x15, 0, 2, 0x11c, 0, 0);
	fake_set_cpuid(0x16, 0, 0xa28, 0xe74, 0x64, 0);
	fake_set_cpuid(0x1f, 0, 0x1f1f1f1f, 0, 0, 0);
	fake_set_cpuid(0x80000000u, 0, 0x80000021u, 0, 0, 0);
	fake_set_cpuid(0x80000001u, 0, 0, 0, 0x121 | BIT(6) | BIT(29), 0x2c100800 | BIT(22));
	fake_set_cpuid(0x80000006u, 0, 0, 0, 0x01006040, 0);
	fake_set_cpuid(0x80000007u, 0, 0, 0, 0, 0x1ff);
	fake_set_cpuid(0x80000008u, 0, 0x392e, 0x200, 0, 0);
	fake_set_msr(MSR_IA32_VMX_CR4_FIXED1, 0xff7fff);   /* + UMIP, LA57, PKE, CET */
	fake_set_msr(MSR_ARCH_CAP, 0xffffffffull);
}

/* AVX-512 in CPUID, but no AVX-512 state in XCR0's supported bits. */
static void host_avx512_without_state(void)
{
	host_rich();
	fake_set_cpuid(0xd, 0, 0x207, 0x340, 0x340, 0);
}

/* A CPU with only the VMX features the hv requires: no XSAVE, NX, RDTSCP, INVPCID, leaf 7. */
static void host_minimal(void)
{
	fake_set_cpuid(0, 0, 0xb, 0x756e6547, 0x6c65746e, 0x49656e69);
	fake_set_cpuid(1, 0, 0x000106a5, 0x00010800, 0x00982221, 0x078bfbff);
	fake_set_cpuid(7, 0, 0, 0, 0, 0);
	fake_set_cpuid(0xd, 0, 0, 0, 0, 0);
	fake_set_cpuid(0xd, 1, 0, 0, 0, 0);
	fake_set_cpuid(0xd, 2, 0, 0, 0, 0);
	fake_set_cpuid(0x80000001u, 0, 0, 0, 1, BIT(11) | BIT(29));
	fake_set_cpuid(0x80000008u, 0, 0x3024, 0, 0, 0);
	fake_set_msr(MSR_IA32_VMX_PROCBASED_CTLS2, (uint64_t)(PROC2_ENABLE_EPT | PROC2_ENABLE_VPID |
			PROC2_UNRESTRICTED_GUEST | PROC2_WBINVD_EXITING) << 32);
	fake_set_msr(MSR_IA32_VMX_CR4_FIXED1, 0x27ff);
}

/* The default host whose VMX lacks the RDTSCP and INVPCID controls. */
static void host_no_rdtscp_invpcid(void)
{
	host_haswell();
	fake_set_msr(MSR_IA32_VMX_PROCBASED_CTLS2, (0x001033ffull & ~(uint64_t)(PROC2_ENABLE_RDTSCP |
			PROC2_ENABLE_INVPCID)) << 32);
}

static int boot_with(void (*tweak)(void), const char *cfg)
{
	host_tweak = tweak;
	host_boot(cfg);
	host_vcpu(0);
	return 0;
}

static int setup(void **state) { (void)state; return boot_with(host_haswell, CFG1); }
static int setup_rich(void **state) { (void)state; return boot_with(host_rich, CFG2); }
static int setup_minimal(void **state) { (void)state; return boot_with(host_minimal, CFG1); }
static int setup_noctl(void **state) { (void)state; return boot_with(host_no_rdtscp_invpcid, CFG1); }
static int setup_avx512_nostate(void **state) { (void)state; return boot_with(host_avx512_without_state, CFG1); }

static int teardown(void **state)
{
	(void)state;
	host_teardown();
	host_tweak = NULL;
	return 0;
}

/* ---- the guest's view, through exits ------------------------------------ */

/* Asserts the next entry would pass the SDM's checks. */
static void assert_entry_ok(const char *after)
{
	const char *rule = fake_vmcheck();

	if (rule)
		print_error("entry after %s would fail: %s\n", after, rule);
	assert_null(rule);
}

/* CPUID (leaf, sub) as guest 0 sees it: RIP advances by 2, nothing is injected. */
static struct cpuid_regs guest_cpuid(uint32_t leaf, uint32_t sub)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	v->regs.rax = 0xdead00000000ull | leaf;
	v->regs.rcx = 0xbeef00000000ull | sub;
	assert_int_equal(host_exit(v, EXIT_REASON_CPUID, 0, 2), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 2);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & (1u << 31));
	assert_entry_ok("CPUID");
	assert_true(v->regs.rax >> 32 == 0 && v->regs.rbx >> 32 == 0 &&
		    v->regs.rcx >> 32 == 0 && v->regs.rdx >> 32 == 0);
	return (struct cpuid_regs){ (uint32_t)v->regs.rax, (uint32_t)v->regs.rbx,
				    (uint32_t)v->regs.rcx, (uint32_t)v->regs.rdx };
}

/* Checks what an exit of guest 0 left: completed (0) or #GP (-1); nothing else. */
static int msr_outcome(uint64_t rip, unsigned refusals, const char *what, uint32_t msr)
{
	struct vcpu *v = host_vcpu(0);
	uint32_t info = (uint32_t)fake_vmcs_get(VM_ENTRY_INTR_INFO);

	assert_entry_ok(what);
	if (info & (1u << 31)) {
		if (info != GP_INJECTED)
			print_error("%s 0x%x: injected 0x%x, want #GP 0x%x\n", what, msr, info, GP_INJECTED);
		assert_int_equal(info, GP_INJECTED);
		assert_int_equal(fake_vmcs_get(VM_ENTRY_EXCEPTION_ERROR_CODE), 0);
		assert_int_equal(fake_vmcs_get(GUEST_RIP), rip);          /* a fault: RIP stays */
		assert_int_equal(v->guest->msr_refusals, refusals + 1);
		return -1;
	}
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 2);
	assert_int_equal(v->guest->msr_refusals, refusals);
	return 0;
}

/* RDMSR by guest 0: 0 and *val, or -1 for #GP. */
static int guest_rdmsr(uint32_t msr, uint64_t *val)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t rip = fake_vmcs_get(GUEST_RIP);
	unsigned refusals = v->guest->msr_refusals;

	v->regs.rcx = msr;
	v->regs.rax = v->regs.rdx = 0x5555555555555555ull;
	assert_int_equal(host_exit(v, EXIT_REASON_RDMSR, 0, 2), EXIT_RESUME);
	if (msr_outcome(rip, refusals, "RDMSR", msr) < 0)
		return -1;
	assert_true(v->regs.rax >> 32 == 0 && v->regs.rdx >> 32 == 0);
	*val = (v->regs.rdx << 32) | v->regs.rax;
	return 0;
}

/* WRMSR by guest 0 (EDX:EAX = val, upper halves garbage): 0, or -1 for #GP. */
static int guest_wrmsr(uint32_t msr, uint64_t val)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t rip = fake_vmcs_get(GUEST_RIP);
	unsigned refusals = v->guest->msr_refusals;

	v->regs.rcx = msr;
	v->regs.rax = 0xabcd000000000000ull | (uint32_t)val;
	v->regs.rdx = 0x1234000000000000ull | (val >> 32);
	assert_int_equal(host_exit(v, EXIT_REASON_WRMSR, 0, 2), EXIT_RESUME);
	return msr_outcome(rip, refusals, "WRMSR", msr);
}

static uint64_t rdmsr_ok(uint32_t msr)
{
	uint64_t val = 0;

	if (guest_rdmsr(msr, &val) < 0)
		print_error("RDMSR 0x%x: #GP\n", msr);
	assert_int_equal(guest_rdmsr(msr, &val), 0);
	return val;
}

#define WR_OK(msr, val)  assert_int_equal(guest_wrmsr(msr, val), 0)
#define WR_GP(msr, val)  assert_int_equal(guest_wrmsr(msr, val), -1)
#define RD_GP(msr)       do { uint64_t v_; assert_int_equal(guest_rdmsr(msr, &v_), -1); } while (0)

/* Returns true if guest 0's MSR bitmap makes a read and a write of msr exit. */
static bool msr_intercepted(uint32_t msr)
{
	const uint8_t *bm = hv.guests[0].msr_bitmap;
	unsigned base = msr >= 0xc0000000u ? 1024 : 0, idx = msr & 0x1fff;
	bool rd = bm[base + idx / 8] & (1u << (idx % 8)), wr = bm[base + 2048 + idx / 8] & (1u << (idx % 8));

	assert_int_equal(rd, wr);
	return rd;
}

static void set_guest_cr4(uint64_t set, uint64_t clear)
{
	host_vcpu(0);
	fake_vmcs_set(GUEST_CR4, (fake_vmcs_get(GUEST_CR4) | set) & ~clear);
}

/* Number of MSRs vmx_switch_msrs switches (its WRMSRs into the CPU). */
static unsigned switched_count(void)
{
	uint64_t before = fake.wrmsr_count;

	vmx_switch_msrs(NULL, &hv.guests[0].vcpu);
	return (unsigned)(fake.wrmsr_count - before);
}

/* ---- CPUID: leaf by leaf ---------------------------------------------- */

static void test_leaf0_clamps_max_leaf_and_passes_vendor(void **state)
{
	struct cpuid_regs r = guest_cpuid(0, 0);

	(void)state;
	assert_int_equal(r.eax, 0xd);                  /* the host's maximum, 0xd */
	assert_int_equal(r.ebx, 0x756e6547);
	assert_int_equal(r.edx, 0x49656e69);
	assert_int_equal(r.ecx, 0x6c65746e);
}

static void test_leaf0_clamps_a_newer_hosts_max_leaf_to_0x16(void **state)
{
	(void)state;
	assert_int_equal(guest_cpuid(0, 0).eax, 0x16);
	assert_int_equal(guest_cpuid(0x15, 0).ecx, 0);
	assert_int_equal(guest_cpuid(0x15, 0).ebx, 0x11c);         /* TSC/crystal ratio passed */
	assert_int_equal(guest_cpuid(0x16, 0).eax, 0xa28);         /* base frequency passed */
}

static void test_leaf1_passes_identity_and_allowed_features_only(void **state)
{
	struct cpuid_regs r = guest_cpuid(1, 0);
	uint32_t hidden_ecx = BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(10) |
			      BIT(11) | BIT(14) | BIT(15) | BIT(18) | BIT(21) | BIT(24);
	uint32_t hidden_edx = BIT(7) | BIT(9) | BIT(14) | BIT(18) | BIT(21) | BIT(22) | BIT(28) |
			      BIT(29) | BIT(31);

	(void)state;
	assert_int_equal(r.eax, 0x000306c3);                       /* family/model/stepping */
	assert_int_equal(r.ebx, 0x00010800);                       /* CLFLUSH 64 B, 1 logical, APIC ID 0 */
	assert_int_equal(r.ecx & hidden_ecx, 0);
	assert_true(r.ecx & BIT(31));                              /* hypervisor */
	assert_false(r.ecx & BIT(27));                             /* OSXSAVE: the guest's CR4 has none */
	/* Everything else the host has and the list allows. */
	assert_int_equal(r.ecx & ~(hidden_ecx | BIT(27) | BIT(31)), 0x7ffafbff & ~(hidden_ecx | BIT(27) | BIT(31)));
	assert_int_equal(r.edx & hidden_edx, 0);
	assert_int_equal(r.edx, 0xbfebfbff & ~hidden_edx);
}

static void test_osxsave_follows_the_guests_cr4(void **state)
{
	(void)state;
	set_guest_cr4(0, CR4_OSXSAVE);
	assert_false(guest_cpuid(1, 0).ecx & BIT(27));
	set_guest_cr4(CR4_OSXSAVE, 0);
	assert_true(guest_cpuid(1, 0).ecx & BIT(27));
	set_guest_cr4(0, CR4_OSXSAVE);
	assert_false(guest_cpuid(1, 0).ecx & BIT(27));
}

static void test_ospke_follows_the_guests_cr4_when_pku_is_shown(void **state)
{
	(void)state;
	assert_true(guest_cpuid(7, 0).ecx & BIT(3));               /* PKU */
	set_guest_cr4(0, CR4_PKE);
	assert_false(guest_cpuid(7, 0).ecx & BIT(4));
	set_guest_cr4(CR4_PKE, 0);
	assert_true(guest_cpuid(7, 0).ecx & BIT(4));
}

static void test_leaf2_passed_leaf4_describes_one_thread_on_one_core(void **state)
{
	struct cpuid_regs r;

	(void)state;
	r = guest_cpuid(2, 0);
	assert_int_equal(r.eax, 0x76036301);
	assert_int_equal(r.edx, 0x00f0b5ff);
	r = guest_cpuid(4, 0);
	assert_int_equal(r.eax, 0x121);                            /* EAX[31:14] = 0 */
	assert_int_equal(r.ebx, 0x01c0003f);
	assert_int_equal(r.ecx, 0x3f);
	r = guest_cpuid(4, 3);
	assert_int_equal(r.eax, 0x163);
	assert_int_equal(r.edx, 6);
	assert_int_equal(guest_cpuid(4, 4).eax, 0);                /* no more caches */
}

static void test_leaf5_monitor_none_leaf6_arat_only_leaf0xa_no_pmu(void **state)
{
	struct cpuid_regs r;

	(void)state;
	r = guest_cpuid(5, 0);
	assert_true(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	r = guest_cpuid(6, 0);
	assert_true(r.eax == BIT(2) && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	r = guest_cpuid(0xa, 0);
	assert_true(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	r = guest_cpuid(3, 0);
	assert_true(r.eax == 0 && r.ecx == 0 && r.edx == 0);
}

static void test_leaf7_allow_list_on_the_default_host(void **state)
{
	struct cpuid_regs r = guest_cpuid(7, 0);

	(void)state;
	/* Host 0x27ab: FSGSBASE, TSC_ADJUST, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID, FCS/FDS: all but TSC_ADJUST. */
	assert_int_equal(r.ebx, 0x27ab & ~BIT(1));
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
}

static void test_leaf7_allow_list_on_a_rich_host(void **state)
{
	struct cpuid_regs r = guest_cpuid(7, 0);
	uint32_t ebx_hidden = BIT(1) | BIT(2) | BIT(4) | BIT(11) | BIT(12) | BIT(14) | BIT(15) | BIT(22) | BIT(25);
	uint32_t ecx_hidden = BIT(5) | BIT(7) | BIT(13) | BIT(15) | (0x1fu << 17) | BIT(23) | BIT(24) |
			      BIT(26) | BIT(29) | BIT(30) | BIT(31);
	uint32_t edx_shown = BIT(2) | BIT(3) | BIT(4) | BIT(8) | BIT(10) | BIT(14) | BIT(23) | BIT(26) |
			     BIT(27) | BIT(28) | BIT(29) | BIT(31);

	(void)state;
	assert_int_equal(r.eax, 1);                                /* subleaves 0 and 1 only */
	assert_int_equal(r.ebx, ~ebx_hidden);
	/* UMIP, PKU are shown (CR4 allows them); OSPKE off with CR4.PKE off; no WAITPKG, LA57, CET. */
	assert_int_equal(r.ecx, ~(ecx_hidden | BIT(4) | BIT(16)));
	assert_int_equal(r.edx, edx_shown);
	r = guest_cpuid(7, 1);
	assert_int_equal(r.eax, BIT(4) | BIT(5) | BIT(10) | BIT(11) | BIT(12));
	assert_true(r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	r = guest_cpuid(7, 2);
	assert_true(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
}

static void test_avx512_needs_its_xsave_state(void **state)
{
	struct cpuid_regs r = guest_cpuid(7, 0);

	(void)state;
	assert_int_equal(r.ebx & (BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31)), 0);
	assert_int_equal(r.ecx & (BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14)), 0);
	assert_int_equal(r.edx & (BIT(2) | BIT(3) | BIT(8) | BIT(23)), 0);
	assert_true(r.ebx & BIT(5));                               /* AVX2 stays: AVX state is there */
	assert_false(guest_cpuid(7, 1).eax & BIT(5));              /* AVX512_BF16 */
	assert_false(cpumodel_has(CPUMODEL_AVX512F));
}

static void test_rdtscp_rdpid_invpcid_only_with_their_controls(void **state)
{
	(void)state;
	assert_false(guest_cpuid(0x80000001u, 0).edx & BIT(27));
	assert_false(guest_cpuid(7, 0).ecx & BIT(22));
	assert_false(guest_cpuid(7, 0).ebx & BIT(10));
	assert_false(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & (PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID));
	/* TSC_AUX: not passed through, #GP, not switched (5 SYSCALL MSRs only). */
	assert_true(msr_intercepted(MSR_IA32_TSC_AUX));
	RD_GP(MSR_IA32_TSC_AUX);
	WR_GP(MSR_IA32_TSC_AUX, 1);
	assert_int_equal(switched_count(), 5);
}

static void test_rdtscp_and_invpcid_controls_on_when_the_host_has_them(void **state)
{
	(void)state;
	assert_true(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & PROC2_ENABLE_RDTSCP);
	assert_true(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & PROC2_ENABLE_INVPCID);
	assert_true(guest_cpuid(0x80000001u, 0).edx & BIT(27));
	assert_true(guest_cpuid(7, 0).ebx & BIT(10));
	assert_false(msr_intercepted(MSR_IA32_TSC_AUX));
	assert_int_equal(switched_count(), 6);                     /* + TSC_AUX */
}

static void test_leaf0xb_is_one_thread(void **state)
{
	struct cpuid_regs r;

	(void)state;
	r = guest_cpuid(0xb, 0);
	assert_true(r.eax == 0 && r.ebx == 1 && r.ecx == 0x100 && r.edx == 0);
	r = guest_cpuid(0xb, 1);
	assert_true(r.eax == 0 && r.ebx == 1 && r.ecx == 0x201 && r.edx == 0);
	r = guest_cpuid(0xb, 2);
	assert_true(r.eax == 0 && r.ebx == 0 && r.ecx == 2 && r.edx == 0);
}

static void test_leaf0xd_sizes_follow_the_guests_xcr0(void **state)
{
	struct vcpu *v = host_vcpu(0);
	struct cpuid_regs r, h;

	(void)state;
	r = guest_cpuid(0xd, 0);
	assert_int_equal(r.eax, 7);
	assert_int_equal(r.edx, 0);
	assert_int_equal(r.ebx, 576);                              /* XCR0 = x87 after reset */
	assert_int_equal(r.ecx, 832);                              /* x87 | SSE | AVX */
	v->xcr0 = 7;
	assert_int_equal(guest_cpuid(0xd, 0).ebx, 832);
	/* The host's own answer for the same XCR0 (live while the guest runs) agrees. */
	fake.xcr0 = 7;
	cpu_cpuid(0xd, 0, &h);
	assert_int_equal(h.ebx, guest_cpuid(0xd, 0).ebx);
	r = guest_cpuid(0xd, 1);
	assert_int_equal(r.eax, 1);                                /* XSAVEOPT */
	assert_true(r.ecx == 0 && r.edx == 0);
	r = guest_cpuid(0xd, 2);
	assert_true(r.eax == 256 && r.ebx == 576);
	r = guest_cpuid(0xd, 3);
	assert_true(r.eax == 0 && r.ebx == 0);
}

static void test_leaf0xd_on_a_rich_host_hides_xsaves_mpx_amx(void **state)
{
	struct vcpu *v = host_vcpu(0);
	struct cpuid_regs r;

	(void)state;
	r = guest_cpuid(0xd, 0);
	assert_int_equal(r.eax, 0x2e7);                            /* x87 SSE AVX AVX-512 PKRU; no MPX, AMX */
	assert_int_equal(r.edx, 0);
	assert_int_equal(r.ecx, 2688 + 8);
	v->xcr0 = 0xe7;
	assert_int_equal(guest_cpuid(0xd, 0).ebx, 1664 + 1024);
	r = guest_cpuid(0xd, 1);
	assert_int_equal(r.eax, 7);                                /* XSAVEOPT XSAVEC XGETBV1; no XSAVES, XFD */
	assert_int_equal(r.ebx, 576 + 256 + 64 + 512 + 1024);      /* compacted, for XCR0 0xe7 */
	assert_true(r.ecx == 0 && r.edx == 0);                     /* no IA32_XSS bits */
	assert_int_equal(guest_cpuid(0xd, 3).eax, 0);              /* MPX */
	assert_int_equal(guest_cpuid(0xd, 9).eax, 8);              /* PKRU */
	assert_int_equal(guest_cpuid(0xd, 17).eax, 0);             /* AMX */
	assert_int_equal(guest_cpuid(0xd, 18).eax, 0);
	assert_false(cpumodel_has(CPUMODEL_XSAVES));
	assert_false(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & PROC2_ENABLE_XSAVES);
}

static void test_leaves_above_the_maximum_answer_as_the_highest_basic_leaf(void **state)
{
	struct cpuid_regs hi = guest_cpuid(0xd, 0), r;

	(void)state;
	r = guest_cpuid(0x14, 0);
	assert_memory_equal(&r, &hi, sizeof(r));
	r = guest_cpuid(0x80000009u, 0);
	assert_memory_equal(&r, &hi, sizeof(r));
	r = guest_cpuid(0x7fffffffu, 0);
	assert_memory_equal(&r, &hi, sizeof(r));
	hi = guest_cpuid(0xd, 1);
	r = guest_cpuid(0x20, 1);
	assert_memory_equal(&r, &hi, sizeof(r));
}

static void test_extended_leaves_on_a_rich_host(void **state)
{
	struct cpuid_regs r, hi = guest_cpuid(0x16, 0);

	(void)state;
	assert_int_equal(guest_cpuid(0x80000000u, 0).eax, 0x80000008u);
	r = guest_cpuid(0x80000021u, 0);
	assert_memory_equal(&r, &hi, sizeof(r));
	r = guest_cpuid(0x1f, 0);
	assert_memory_equal(&r, &hi, sizeof(r));
	r = guest_cpuid(0x80000001u, 0);
	assert_int_equal(r.ecx, 0x121);                            /* LAHF LZCNT PREFETCHW */
	assert_int_equal(r.edx, 0x2c100800);                       /* SYSCALL NX 1G RDTSCP LM */
	assert_int_equal(guest_cpuid(0x80000006u, 0).ecx, 0x01006040);
	r = guest_cpuid(0x80000007u, 0);
	assert_true(r.eax == 0 && r.edx == BIT(8));                /* invariant TSC only */
	r = guest_cpuid(0x80000008u, 0);
	assert_int_equal(r.eax, 0x302e);                           /* 46-bit physical, 48-bit linear */
	assert_int_equal(r.ebx, 0);                                /* no WBNOINVD */
	assert_int_equal(cpumodel_maxphyaddr(), 46);
}

static void test_hypervisor_leaves(void **state)
{
	struct cpuid_regs r = guest_cpuid(0x40000000u, 0);
	char sig[13] = { 0 };

	(void)state;
	memcpy(sig, &r.ebx, 4), memcpy(sig + 4, &r.ecx, 4), memcpy(sig + 8, &r.edx, 4);
	assert_string_equal(sig, "NanoKernelHV");
	assert_int_equal(r.eax, 0x40000001u);
	assert_int_equal(guest_cpuid(0x40000001u, 0).eax, HC_ABI_VERSION);
	assert_int_equal(guest_cpuid(0x40000002u, 0).eax, 0);
}

static void test_minimal_host_shows_no_xsave_nx_rdtscp(void **state)
{
	struct cpuid_regs r = guest_cpuid(1, 0);

	(void)state;
	assert_false(r.ecx & (BIT(26) | BIT(27) | BIT(28)));
	assert_true(fake_vmcs_get(CR4_GUEST_HOST_MASK) & CR4_OSXSAVE);   /* the guest cannot set it */
	assert_int_equal(guest_cpuid(0x80000001u, 0).edx, BIT(11) | BIT(29));
	assert_int_equal(guest_cpuid(7, 0).ebx, 0);
	assert_false(cpumodel_cr4_allowed() & (CR4_OSXSAVE | CR4_FSGSBASE | CR4_PCIDE | CR4_SMEP));
	/* EFER.NXE is refused without NX; SCE and LME are fine. */
	WR_GP(MSR_IA32_EFER, EFER_NXE);
	WR_OK(MSR_IA32_EFER, EFER_SCE | EFER_LME);
}

/* ---- CR4: the bits the model has, and the mask that gives the rest to the hv ---- */

static void test_cr4_mask_owns_every_bit_the_model_lacks(void **state)
{
	uint64_t mask = fake_vmcs_get(CR4_GUEST_HOST_MASK), allowed = cpumodel_cr4_allowed();

	(void)state;
	assert_int_equal(mask, fake_get_msr(MSR_IA32_VMX_CR4_FIXED0) | ~allowed);
	assert_true((mask & (CR4_VMXE | CR4_SMXE | CR4_MCE | CR4_LA57 | CR4_PKE | CR4_CET | (1ull << 32))) ==
		    (CR4_VMXE | CR4_SMXE | CR4_MCE | CR4_LA57 | CR4_PKE | CR4_CET | (1ull << 32)));
	assert_int_equal(mask & (CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE |
				 CR4_FSGSBASE | CR4_SMEP | CR4_PCIDE | CR4_DE | CR4_PSE | CR4_TSD), 0);
	assert_false(allowed & (CR4_VMXE | CR4_SMXE | CR4_MCE | CR4_LA57 | CR4_CET | CR4_UMIP));
}

static void test_cr4_allows_pke_umip_where_shown(void **state)
{
	uint64_t mask = fake_vmcs_get(CR4_GUEST_HOST_MASK);

	(void)state;
	assert_true(cpumodel_cr4_allowed() & CR4_PKE);
	assert_true(cpumodel_cr4_allowed() & CR4_UMIP);
	assert_false(mask & (CR4_PKE | CR4_UMIP));
	assert_true(mask & (CR4_LA57 | CR4_CET));                  /* the host has them; the model does not */
}

/* MOV to CR4 from EAX by guest 0 (through the CR emulation): 0, or -1 for #GP. */
static int guest_mov_cr4(uint64_t val)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t rip = fake_vmcs_get(GUEST_RIP);
	uint32_t info;

	v->regs.rax = val;
	assert_int_equal(host_exit(v, EXIT_REASON_CR_ACCESS, 4, 3), EXIT_RESUME);
	assert_entry_ok("MOV to CR4");
	info = (uint32_t)fake_vmcs_get(VM_ENTRY_INTR_INFO);
	if (info & (1u << 31)) {
		assert_int_equal(info, GP_INJECTED);
		assert_int_equal(fake_vmcs_get(GUEST_RIP), rip);
		return -1;
	}
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 3);
	return 0;
}

static void test_cr4_bits_of_hidden_features_gp_shown_ones_set(void **state)
{
	uint64_t cr4 = fake_vmcs_get(CR4_READ_SHADOW);

	(void)state;
	assert_int_equal(guest_mov_cr4(cr4 | CR4_MCE), -1);        /* MCE hidden */
	assert_int_equal(guest_mov_cr4(cr4 | CR4_PKE), -1);        /* no PKU on this host */
	assert_int_equal(guest_mov_cr4(cr4 | CR4_SMAP), -1);       /* no SMAP on this host */
	assert_int_equal(guest_mov_cr4(cr4 | CR4_LA57), -1);
	assert_int_equal(guest_mov_cr4(cr4 | CR4_SMXE), -1);
	assert_int_equal(fake_vmcs_get(CR4_READ_SHADOW), cr4);
	assert_int_equal(guest_mov_cr4(cr4 | CR4_OSFXSR | CR4_OSXSAVE | CR4_SMEP | CR4_FSGSBASE), 0);
	assert_true(fake_vmcs_get(GUEST_CR4) & CR4_OSXSAVE);
	assert_true(guest_cpuid(1, 0).ecx & BIT(27));
}

/* ---- MSRs: row by row -------------------------------------------------- */

static void test_tsc_reads_and_writes_move_only_the_guests_offset(void **state)
{
	struct vcpu *v = host_vcpu(0);
	uint64_t t;

	(void)state;
	fake.tsc = 1000000;
	t = rdmsr_ok(MSR_IA32_TSC);
	assert_true(t > 1000000 && t < 1000100);                   /* host TSC, offset 0 */
	WR_OK(MSR_IA32_TSC, 0x100000000000ull);
	assert_int_equal(fake_vmcs_get(TSC_OFFSET), v->tsc_offset);
	t = fake.tsc + v->tsc_offset;                              /* what RDTSC in the guest reads now */
	assert_true(t >= 0x100000000000ull && t < 0x100000000000ull + 100);
	t = rdmsr_ok(MSR_IA32_TSC);
	assert_true(t > 0x100000000000ull && t < 0x100000000000ull + 100);
	WR_OK(MSR_IA32_TSC, 5);                                    /* backwards: a negative offset */
	t = rdmsr_ok(MSR_IA32_TSC);
	assert_true(t > 5 && t < 100);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC), 0);           /* the host's TSC was never written */
}

static void test_tsc_offset_starts_fresh_on_restart(void **state)
{
	struct guest *g = &hv.guests[0];

	(void)state;
	WR_OK(MSR_IA32_TSC, 0x100000000000ull);
	WR_OK(MSR_MISC_ENABLE, 0x1800);
	WR_OK(0x200, 0x80000006);
	assert_int_equal(guest_restart(g), 0);
	host_vcpu(0);
	assert_int_equal(g->vcpu.tsc_offset, 0);
	assert_int_equal(fake_vmcs_get(TSC_OFFSET), 0);
	assert_int_equal(rdmsr_ok(MSR_MISC_ENABLE), 0x1801);
	assert_int_equal(rdmsr_ok(0x200), 0);
	assert_entry_ok("restart");
}

static void test_apic_base_gp_the_platform_shows_no_apic(void **state)
{
	(void)state;
	assert_false(guest_cpuid(1, 0).edx & BIT(9));
	RD_GP(MSR_IA32_APIC_BASE);
	WR_GP(MSR_IA32_APIC_BASE, 0xfee00900);
	assert_true(fake_log_has("read of MSR 0x1b refused (#GP)"));
}

static void test_feature_control_locked_vmx_off_writes_gp(void **state)
{
	(void)state;
	assert_int_equal(rdmsr_ok(MSR_IA32_FEATURE_CONTROL), 1);
	WR_GP(MSR_IA32_FEATURE_CONTROL, 5);
	WR_GP(MSR_IA32_FEATURE_CONTROL, 1);
	assert_int_equal(fake_get_msr(MSR_IA32_FEATURE_CONTROL) & 1, 1);   /* the host's: as VMXON left it */
}

static void test_platform_id_microcode_signature_and_trigger(void **state)
{
	(void)state;
	assert_int_equal(rdmsr_ok(0x17), 0);
	WR_GP(0x17, 0);
	WR_OK(0x8b, 0);                                            /* Linux, before CPUID */
	assert_int_equal(rdmsr_ok(0x8b), 1ull << 32);              /* revision 1, latched again */
	WR_OK(0x8b, 1ull << 32);
	RD_GP(0x79);
	WR_GP(0x79, 0x12345000);                                   /* no microcode updates */
}

static void test_mtrrcap_consistent_with_def_type_and_ranges(void **state)
{
	uint64_t cap, def;

	(void)state;
	assert_true(guest_cpuid(1, 0).edx & BIT(12));
	cap = rdmsr_ok(MSR_MTRRCAP);
	assert_int_equal(cap, 8 | (1u << 8) | (1u << 10));         /* 8 variable, fixed, WC */
	WR_GP(MSR_MTRRCAP, cap);
	def = rdmsr_ok(MSR_DEF_TYPE);
	assert_int_equal(def, 0xc06);                              /* enabled, fixed enabled, WB */
	assert_int_equal(rdmsr_ok(0x250), 0x0606060606060606ull);
	assert_int_equal(rdmsr_ok(0x259), 0);                      /* A0000-BFFFF UC */
	assert_int_equal(rdmsr_ok(0x26f), 0x0606060606060606ull);
	for (uint32_t m = 0x200; m < 0x210; m++)
		assert_int_equal(rdmsr_ok(m), 0);
	RD_GP(0x210);                                              /* beyond VCNT */
	RD_GP(0x251);                                              /* not a fixed-range MTRR */
}

static void test_mtrr_writes_validated(void **state)
{
	(void)state;
	WR_OK(MSR_DEF_TYPE, 0x800);                                /* enabled, UC default */
	assert_int_equal(rdmsr_ok(MSR_DEF_TYPE), 0x800);
	WR_GP(MSR_DEF_TYPE, 0xc02);                                /* type 2 reserved */
	WR_GP(MSR_DEF_TYPE, 0xc07);                                /* UC- is a PAT type only */
	WR_GP(MSR_DEF_TYPE, 0xe06);                                /* bit 9 reserved */
	WR_OK(0x250, 0x0605040100060504ull);
	assert_int_equal(rdmsr_ok(0x250), 0x0605040100060504ull);
	WR_GP(0x268, 0x0606060606060603ull);
	WR_GP(0x268, 0x0806060606060606ull);
	WR_OK(0x200, 0x80000006);                                  /* PHYSBASE0: 2 GiB, WB */
	WR_OK(0x201, 0xfff80000800ull);                            /* PHYSMASK0: 512 MiB, valid */
	assert_int_equal(rdmsr_ok(0x201), 0xfff80000800ull);
	WR_GP(0x200, 0x80000002);                                  /* type */
	WR_GP(0x200, 0x80000106);                                  /* bits 11:8 */
	WR_GP(0x202, 1ull << 52);                                  /* above MAXPHYADDR (52) */
	WR_GP(0x201, 0xfff80000801ull);                            /* PHYSMASK bits 10:0 */
	WR_GP(0x20f, 1ull << 63);
	WR_GP(0x210, 0);
}

static void test_sysenter_msrs_live_in_the_vmcs_and_must_be_canonical(void **state)
{
	(void)state;
	WR_OK(MSR_IA32_SYSENTER_CS, 0x10);
	assert_int_equal(fake_vmcs_get(GUEST_SYSENTER_CS), 0x10);
	assert_int_equal(rdmsr_ok(MSR_IA32_SYSENTER_CS), 0x10);
	WR_OK(MSR_IA32_SYSENTER_EIP, 0xffff800000001000ull);
	assert_int_equal(fake_vmcs_get(GUEST_SYSENTER_EIP), 0xffff800000001000ull);
	WR_GP(MSR_IA32_SYSENTER_EIP, 0x8000000000000000ull);       /* EDX:EAX 0x80000000:0 */
	WR_GP(MSR_IA32_SYSENTER_ESP, 0x0000800000000000ull);
	assert_int_equal(fake_vmcs_get(GUEST_SYSENTER_EIP), 0xffff800000001000ull);
	WR_OK(MSR_IA32_SYSENTER_ESP, 0x7ffffffff000ull);
	assert_int_equal(rdmsr_ok(MSR_IA32_SYSENTER_ESP), 0x7ffffffff000ull);
}

static void test_machine_check_msrs_gp_without_mca(void **state)
{
	(void)state;
	assert_false(guest_cpuid(1, 0).edx & (BIT(7) | BIT(14)));
	RD_GP(0x179);
	RD_GP(0x17a);
	WR_GP(0x17a, 0);
	RD_GP(0x17b);
}

static void test_misc_enable_keeps_only_the_writable_bits(void **state)
{
	(void)state;
	assert_int_equal(rdmsr_ok(MSR_MISC_ENABLE), 0x1801);       /* fast strings, no BTS, no PEBS */
	WR_OK(MSR_MISC_ENABLE, 0x1801);
	WR_OK(MSR_MISC_ENABLE, 0x1800);                            /* fast strings off */
	assert_int_equal(rdmsr_ok(MSR_MISC_ENABLE), 0x1800);
	WR_GP(MSR_MISC_ENABLE, 0x1800 | (1ull << 34));             /* XD disable */
	WR_GP(MSR_MISC_ENABLE, 0x0800);                            /* PEBS unavailable is read-only */
	WR_GP(MSR_MISC_ENABLE, 0x1800 | (1ull << 16));             /* EIST */
	WR_GP(MSR_MISC_ENABLE, 0x1800 | (1ull << 18));             /* MONITOR */
	assert_int_equal(rdmsr_ok(MSR_MISC_ENABLE), 0x1800);
}

static void test_misc_enable_limit_cpuid_maxval(void **state)
{
	(void)state;
	WR_OK(MSR_MISC_ENABLE, 0x1801 | (1ull << 22));
	assert_int_equal(guest_cpuid(0, 0).eax, 2);
	WR_OK(MSR_MISC_ENABLE, 0x1801);
	assert_int_equal(guest_cpuid(0, 0).eax, 0xd);
}

static void test_debugctl_allows_btf_only(void **state)
{
	(void)state;
	WR_OK(MSR_IA32_DEBUGCTL, 2);
	assert_int_equal(fake_vmcs_get(GUEST_IA32_DEBUGCTL), 2);
	assert_int_equal(rdmsr_ok(MSR_IA32_DEBUGCTL), 2);
	WR_GP(MSR_IA32_DEBUGCTL, 1);                               /* LBR */
	WR_GP(MSR_IA32_DEBUGCTL, 1u << 6);                         /* TR */
	WR_GP(MSR_IA32_DEBUGCTL, 1u << 7);                         /* BTS */
	WR_OK(MSR_IA32_DEBUGCTL, 0);
}

static void test_btf_single_steps_branches_only_not_emulated_instructions(void **state)
{
	struct vcpu *v = host_vcpu(0);

	(void)state;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) | RFLAGS_TF);
	v->regs.rax = 0;
	host_exit(v, EXIT_REASON_CPUID, 0, 2);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), 1u | (3u << 8) | (1u << 31));   /* #DB */
	WR_OK(MSR_IA32_DEBUGCTL, DEBUGCTL_BTF);
	v->regs.rax = 0;
	host_exit(v, EXIT_REASON_CPUID, 0, 2);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & (1u << 31));                        /* no #DB */
}

static void test_pat_entries_must_be_memory_types(void **state)
{
	(void)state;
	WR_OK(MSR_IA32_PAT, 0x0007010600070406ull);
	assert_int_equal(fake_vmcs_get(GUEST_IA32_PAT), 0x0007010600070406ull);
	WR_GP(MSR_IA32_PAT, 0x0007040600070402ull);                /* type 2 */
	WR_GP(MSR_IA32_PAT, 0x0003040600070406ull);                /* type 3 in entry 6 */
	WR_GP(MSR_IA32_PAT, 0x0007040600070408ull);                /* bits 7:3 */
	WR_GP(MSR_IA32_PAT, 0x8007040600070406ull);
	assert_int_equal(rdmsr_ok(MSR_IA32_PAT), 0x0007010600070406ull);
}

static void test_msrs_of_hidden_features_gp(void **state)
{
	static const uint32_t gp[] = {
		0x345,           /* PERF_CAPABILITIES: no PDCM */
		0x3b,            /* TSC_ADJUST */
		0x600,           /* DS_AREA */
		0x6e0,           /* TSC_DEADLINE */
		0xce,            /* PLATFORM_INFO */
		0x140,           /* MISC_FEATURE_ENABLES */
		0xe1,            /* UMWAIT_CONTROL */
		0xda0,           /* XSS */
		0x480, 0x48b,    /* VMX capabilities */
		0xc1, 0x186, 0x38f,   /* PMU */
		0xe7, 0xe8,      /* MPERF/APERF */
		0x1c4,           /* XFD */
		MSR_SPEC_CTRL, MSR_PRED_CMD, MSR_FLUSH_CMD, MSR_ARCH_CAP,   /* no speculation controls on this host */
		0x12345678u, 0xc0001000u,
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(gp) / sizeof(gp[0]); i++) {
		RD_GP(gp[i]);
		WR_GP(gp[i], 0);
	}
	assert_int_equal(guest_cpuid(7, 0).edx, 0);
}

static void test_speculation_controls_on_a_host_that_has_them(void **state)
{
	uint64_t writes;

	(void)state;
	WR_OK(MSR_SPEC_CTRL, 7);                                   /* IBRS STIBP SSBD */
	assert_int_equal(fake_get_msr(MSR_SPEC_CTRL), 7);
	assert_int_equal(rdmsr_ok(MSR_SPEC_CTRL), 7);
	writes = fake.wrmsr_count;
	WR_GP(MSR_SPEC_CTRL, 8);                                   /* not shown: never reaches the CPU */
	WR_GP(MSR_SPEC_CTRL, 1ull << 32);
	assert_int_equal(fake.wrmsr_count, writes);
	assert_int_equal(fake_get_msr(MSR_SPEC_CTRL), 7);

	WR_OK(MSR_PRED_CMD, 1);                                    /* IBPB, executed */
	assert_int_equal(fake.wrmsr_count, writes + 1);
	assert_int_equal(fake_get_msr(MSR_PRED_CMD), 1);
	WR_OK(MSR_PRED_CMD, 0);
	WR_GP(MSR_PRED_CMD, 2);
	RD_GP(MSR_PRED_CMD);
	fake_set_msr(MSR_FLUSH_CMD, 0);
	WR_OK(MSR_FLUSH_CMD, 1);                                   /* L1D flush */
	assert_int_equal(fake_get_msr(MSR_FLUSH_CMD), 1);
	WR_GP(MSR_FLUSH_CMD, 3);
	RD_GP(MSR_FLUSH_CMD);
	/* ARCH_CAPABILITIES: the host's "not affected" bits, read-only. */
	assert_int_equal(rdmsr_ok(MSR_ARCH_CAP), 0x1d1ae173ull);
	WR_GP(MSR_ARCH_CAP, 0);
	assert_true(msr_intercepted(MSR_SPEC_CTRL));
}

static void test_a_faulting_ibpb_is_the_guests_gp_not_the_hvs(void **state)
{
	(void)state;
	fake_set_msr(MSR_PRED_CMD, 0);
	for (unsigned i = 0; i < fake.nmsr; i++)
		if (fake.msr[i].msr == MSR_PRED_CMD)
			fake.msr[i].gp_on_write = true;
	WR_GP(MSR_PRED_CMD, 1);
}

static void test_spec_ctrl_and_tsc_aux_switched_between_guests(void **state)
{
	struct vcpu *a = &hv.guests[0].vcpu, *b = &hv.guests[1].vcpu;

	(void)state;
	assert_int_equal(switched_count(), 7);                     /* SYSCALL MSRs, TSC_AUX, SPEC_CTRL */
	WR_OK(MSR_SPEC_CTRL, 1);
	WR_OK(MSR_IA32_TSC_AUX, 0x11);
	vmx_switch_msrs(a, b);
	assert_int_equal(fake_get_msr(MSR_SPEC_CTRL), 0);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_AUX), 0);
	fake_set_msr(MSR_IA32_TSC_AUX, 0x22);                      /* b writes it directly (passed through) */
	vmx_switch_msrs(b, a);
	assert_int_equal(fake_get_msr(MSR_SPEC_CTRL), 1);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_AUX), 0x11);
	vmx_switch_msrs(a, b);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_AUX), 0x22);
	host_vcpu(0);
}

static void test_tsc_aux_reserved_bits(void **state)
{
	(void)state;
	WR_OK(MSR_IA32_TSC_AUX, 0xffffffffu);
	WR_GP(MSR_IA32_TSC_AUX, 1ull << 32);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_AUX), 0xffffffffu);
}

static void test_efer_rules(void **state)
{
	(void)state;
	WR_OK(MSR_IA32_EFER, EFER_SCE | EFER_NXE | EFER_LME);
	assert_int_equal(fake_vmcs_get(GUEST_IA32_EFER), EFER_SCE | EFER_NXE | EFER_LME);
	WR_GP(MSR_IA32_EFER, 1u << 1);
	WR_GP(MSR_IA32_EFER, 1u << 12);
	WR_OK(MSR_IA32_EFER, EFER_SCE | EFER_NXE | EFER_LME | EFER_LMA);      /* LMA is the CPU's: ignored */
	assert_int_equal(fake_vmcs_get(GUEST_IA32_EFER), EFER_SCE | EFER_NXE | EFER_LME);
	WR_OK(MSR_IA32_EFER, EFER_SCE);
	fake_vmcs_set(GUEST_CR0, fake_vmcs_get(GUEST_CR0) | CR0_PG);
	WR_GP(MSR_IA32_EFER, EFER_SCE | EFER_LME);                 /* LME change with paging on */
	WR_OK(MSR_IA32_EFER, EFER_SCE | EFER_NXE);
}

static void test_syscall_and_base_msrs_pass_through(void **state)
{
	static const uint32_t pass[] = {
		MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK, MSR_IA32_FS_BASE,
		MSR_IA32_GS_BASE, MSR_IA32_KERNEL_GS_BASE, MSR_IA32_TSC_AUX,
	};
	static const uint32_t trapped[] = {
		MSR_IA32_TSC, MSR_IA32_EFER, MSR_IA32_PAT, MSR_IA32_SYSENTER_EIP, MSR_IA32_DEBUGCTL,
		MSR_MISC_ENABLE, 0x200, MSR_DEF_TYPE, MSR_IA32_APIC_BASE, 0x3b, 0x12345,
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		assert_false(msr_intercepted(pass[i]));
	for (unsigned i = 0; i < sizeof(trapped) / sizeof(trapped[0]); i++)
		assert_true(msr_intercepted(trapped[i]));
	/* Should one exit anyway, the same rules hold: canonical addresses, the VMCS for FS/GS. */
	WR_GP(MSR_IA32_LSTAR, 0x0000800000000000ull);
	WR_GP(MSR_IA32_FS_BASE, 0x0000800000000000ull);
	WR_OK(MSR_IA32_GS_BASE, 0xffff888000000000ull);
	assert_int_equal(fake_vmcs_get(GUEST_GS_BASE), 0xffff888000000000ull);
	WR_OK(MSR_IA32_KERNEL_GS_BASE, 0x1000);
	assert_int_equal(fake_get_msr(MSR_IA32_KERNEL_GS_BASE), 0x1000);
}

/* ---- the invariant, on each host ---------------------------------------- */

/* Returns true if the guest's CPUID shows feature f (within the maximum leaves it reports). */
static bool shown_by_cpuid(enum cpumodel_feature f)
{
	const struct cpumodel_bit *b = cpumodel_feature_bit(f);
	uint32_t max = guest_cpuid(b->leaf & 0x80000000u, 0).eax;
	struct cpuid_regs r;
	uint32_t reg;

	if (b->leaf > max)
		return false;
	r = guest_cpuid(b->leaf, b->sub);
	reg = b->reg == 0 ? r.eax : b->reg == 1 ? r.ebx : b->reg == 2 ? r.ecx : r.edx;
	return (reg & b->mask) != 0;
}

/* Checks one MSR of a policy row against the features the guest's CPUID shows. */
static void check_msr_row(const struct msr_policy *p, uint32_t msr)
{
	bool shown = p->feature == CPUMODEL_ALWAYS || (p->feature != CPUMODEL_NONE && shown_by_cpuid(p->feature));
	uint64_t val = 0;
	int rd, wr;

	rd = guest_rdmsr(msr, &val);
	if (rd != (shown && p->read ? 0 : -1))
		print_error("%s (0x%x): read %s\n", p->name, msr, rd ? "#GP" : "answered");
	assert_int_equal(rd, shown && p->read ? 0 : -1);
	wr = guest_wrmsr(msr, val);
	if (wr != (shown && p->write ? 0 : -1))
		print_error("%s (0x%x): write of 0x%lx %s\n", p->name, msr, val, wr ? "#GP" : "accepted");
	assert_int_equal(wr, shown && p->write ? 0 : -1);
	assert_int_equal(msr_intercepted(msr), !(shown && (p->flags & MSR_PASS)));
}

static void check_invariant(void)
{
	static const struct { enum cpumodel_feature f; uint64_t cr4; } cr4_bits[] = {
		{ CPUMODEL_VMX, CR4_VMXE }, { CPUMODEL_MCE, CR4_MCE }, { CPUMODEL_LA57, CR4_LA57 },
		{ CPUMODEL_UMIP, CR4_UMIP }, { CPUMODEL_FSGSBASE, CR4_FSGSBASE }, { CPUMODEL_PCID, CR4_PCIDE },
		{ CPUMODEL_XSAVE, CR4_OSXSAVE }, { CPUMODEL_SMEP, CR4_SMEP }, { CPUMODEL_SMAP, CR4_SMAP },
		{ CPUMODEL_PKU, CR4_PKE },
	};
	unsigned n;
	const struct msr_policy *t = msr_policy_table(&n);

	for (enum cpumodel_feature f = CPUMODEL_NONE + 1; f < CPUMODEL_NFEATURES; f++) {
		if (cpumodel_has(f) != shown_by_cpuid(f))
			print_error("feature %s: cpumodel_has %d, CPUID shows %d\n", cpumodel_feature_bit(f)->name,
				    cpumodel_has(f), shown_by_cpuid(f));
		assert_int_equal(cpumodel_has(f), shown_by_cpuid(f));
	}
	for (unsigned i = 0; i < n; i++) {
		assert_true(t[i].first <= t[i].last);
		assert_ptr_equal(msr_policy_find(t[i].first), &t[i]);
		assert_ptr_equal(msr_policy_find(t[i].last), &t[i]);
		if (i && t[i].first > t[i - 1].last + 1)
			assert_null(msr_policy_find(t[i].first - 1));   /* between rows: no MSR */
		check_msr_row(&t[i], t[i].first);
		if (t[i].last != t[i].first)
			check_msr_row(&t[i], t[i].last);
	}
	for (unsigned i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		bool has = cpumodel_has(cr4_bits[i].f);
		assert_int_equal(!!(cpumodel_cr4_allowed() & cr4_bits[i].cr4), has);
		assert_int_equal(!!(fake_vmcs_get(CR4_GUEST_HOST_MASK) & cr4_bits[i].cr4), !has);
	}
}

static void test_every_feature_shown_has_its_msrs_and_hidden_ones_gp(void **state)
{
	(void)state;
	check_invariant();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define RICH(f) cmocka_unit_test_setup_teardown(f, setup_rich, teardown)
#define MINI(f) cmocka_unit_test_setup_teardown(f, setup_minimal, teardown)
		T(test_leaf0_clamps_max_leaf_and_passes_vendor),
		RICH(test_leaf0_clamps_a_newer_hosts_max_leaf_to_0x16),
		T(test_leaf1_passes_identity_and_allowed_features_only),
		T(test_osxsave_follows_the_guests_cr4),
		RICH(test_ospke_follows_the_guests_cr4_when_pku_is_shown),
		T(test_leaf2_passed_leaf4_describes_one_thread_on_one_core),
		T(test_leaf5_monitor_none_leaf6_arat_only_leaf0xa_no_pmu),
		T(test_leaf7_allow_list_on_the_default_host),
		RICH(test_leaf7_allow_list_on_a_rich_host),
		cmocka_unit_test_setup_teardown(test_avx512_needs_its_xsave_state, setup_avx512_nostate, teardown),
		cmocka_unit_test_setup_teardown(test_rdtscp_rdpid_invpcid_only_with_their_controls, setup_noctl,
						teardown),
		T(test_rdtscp_and_invpcid_controls_on_when_the_host_has_them),
		T(test_leaf0xb_is_one_thread),
		T(test_leaf0xd_sizes_follow_the_guests_xcr0),
		RICH(test_leaf0xd_on_a_rich_host_hides_xsaves_mpx_amx),
		T(test_leaves_above_the_maximum_answer_as_the_highest_basic_leaf),
		RICH(test_extended_leaves_on_a_rich_host),
		T(test_hypervisor_leaves),
		MINI(test_minimal_host_shows_no_xsave_nx_rdtscp),
		T(test_cr4_mask_owns_every_bit_the_model_lacks),
		RICH(test_cr4_allows_pke_umip_where_shown),
		T(test_cr4_bits_of_hidden_features_gp_shown_ones_set),
		T(test_tsc_reads_and_writes_move_only_the_guests_offset),
		T(test_tsc_offset_starts_fresh_on_restart),
		T(test_apic_base_gp_the_platform_shows_no_apic),
		T(test_feature_control_locked_vmx_off_writes_gp),
		T(test_platform_id_microcode_signature_and_trigger),
		T(test_mtrrcap_consistent_with_def_type_and_ranges),
		T(test_mtrr_writes_validated),
		T(test_sysenter_msrs_live_in_the_vmcs_and_must_be_canonical),
		T(test_machine_check_msrs_gp_without_mca),
		T(test_misc_enable_keeps_only_the_writable_bits),
		T(test_misc_enable_limit_cpuid_maxval),
		T(test_debugctl_allows_btf_only),
		T(test_btf_single_steps_branches_only_not_emulated_instructions),
		T(test_pat_entries_must_be_memory_types),
		T(test_msrs_of_hidden_features_gp),
		RICH(test_speculation_controls_on_a_host_that_has_them),
		RICH(test_a_faulting_ibpb_is_the_guests_gp_not_the_hvs),
		RICH(test_spec_ctrl_and_tsc_aux_switched_between_guests),
		T(test_tsc_aux_reserved_bits),
		T(test_efer_rules),
		T(test_syscall_and_base_msrs_pass_through),
		T(test_every_feature_shown_has_its_msrs_and_hidden_ones_gp),
		RICH(test_every_feature_shown_has_its_msrs_and_hidden_ones_gp),
		MINI(test_every_feature_shown_has_its_msrs_and_hidden_ones_gp),
		cmocka_unit_test_setup_teardown(test_every_feature_shown_has_its_msrs_and_hidden_ones_gp,
						setup_noctl, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
