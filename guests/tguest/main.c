/*
 * tguest entry: checks the Multiboot handover, sets up its own GDT and IDT
 * (PIC remapped, every line masked), finds out whether the hv runs it
 * (CPUID leaf 0x40000000 = "NanoKernelHV"), gets the TSC frequency (the
 * hv's HC_GUEST_INFO, else PIT channel 2) and runs the test the command
 * line names: "test=NAME key=value ...".
 */
#include "tguest.h"

void guest_main(uint32_t magic, const struct mb_info *mbi);

int tg_under_hv;
uint64_t tg_tsc_hz;
const char *tg_tsc_source = "pit2";
const char *tg_name = "native";
const struct mb_info *tg_mbi;
struct hc_guest_info tg_info;

static char name_buf[sizeof(tg_info.name) + 1];

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "heartbeat", test_heartbeat },
	{ "spin", test_spin },
	{ "wild", test_wild },
	{ "msr", test_msr },
	{ "cr", test_cr },
	{ "pic", test_pic },
	{ "hypercall", test_hypercall },
	{ "cmos", test_cmos },
	{ "dma", test_dma },
	{ "pci", test_pci },
	{ "calibrate", test_calibrate },
	{ "triple", test_triple },
	{ "fpu", test_fpu },
	{ "bench", test_bench },
	{ "insn", test_insn },
	{ "forge", test_forge },
	{ "pciattack", test_pciattack },
	{ "machine", test_machine },
	{ "cpumodel", test_cpumodel },
	{ "cpustate", test_cpustate },
	{ "exact", test_exact },
	{ "work", test_work },
	{ "pitstorm", test_pitstorm },
	{ "comstorm", test_comstorm },
	{ "spam", test_spam },
	{ "clihlt", test_clihlt },
	{ "pcplatform", test_pcplatform },
	{ "modules", test_modules },
	{ "acpi", test_acpi },
	{ "lapic", test_lapic },
	{ "ipiattack", test_ipiattack },
	{ "control", test_control },
};

int tg_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int detect_hv(void)
{
	uint32_t a, sig[4] = { 0 };

	cpuid(HV_CPUID_LEAF_BASE, &a, &sig[0], &sig[1], &sig[2]);
	return tg_streq((const char *)sig, HV_CPUID_SIGNATURE);
}

/* The median of 5 PIT channel 2 measurements: an emulator thread preempted mid-measurement skews one. */
static uint64_t calibrate(void)
{
	uint64_t s[5], t;
	unsigned i, j;

	for (i = 0; i < 5; i++) {
		s[i] = tsc_calibrate_pit2();
		for (j = i; j > 0 && s[j - 1] > s[j]; j--)
			t = s[j], s[j] = s[j - 1], s[j - 1] = t;
	}
	return s[2];
}

static void usage(void)
{
	unsigned i;

	puts_e9("tguest: usage: test=NAME [key=value ...]; tests:");
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tg_printf(" %s", tests[i].name);
	puts_e9("\n");
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmdline, *test;
	unsigned i;

	gdt_init();
	idt_init();
	if (magic != MB_BOOT_MAGIC)
		tg_fail_exit(2, "tguest: FAIL bad Multiboot magic 0x%x\n", magic);
	tg_mbi = mbi;
	cmdline = (mbi->flags & MB_IF_CMDLINE) ? (const char *)mbi->cmdline : "";
	tg_printf("tguest: cmdline \"%s\"\n", cmdline);
	args_parse(cmdline);
	pic_init();

	tg_under_hv = detect_hv();
	if (tg_under_hv) {
		long rc = hypercall(HC_GUEST_INFO, (uint32_t)&tg_info, sizeof(tg_info), 0);

		if (rc < 0)
			tg_fail_exit(2, "tguest: FAIL HC_GUEST_INFO returned %ld\n", rc);
		for (i = 0; i < sizeof(tg_info.name) && tg_info.name[i]; i++)
			name_buf[i] = tg_info.name[i];
		name_buf[i] = 0;
		tg_name = name_buf;
		if (tg_info.tsc_hz) {
			tg_tsc_hz = tg_info.tsc_hz;
			tg_tsc_source = "hv";
		}
	}
	if (!tg_tsc_hz)
		tg_tsc_hz = calibrate();
	if (tg_tsc_hz < 1000000)
		tg_fail_exit(2, "tguest: FAIL implausible TSC frequency %llu Hz (source %s)\n",
			     tg_tsc_hz, tg_tsc_source);
	tg_printf("tguest: %s, name %s, tsc_hz %llu source %s\n", tg_under_hv ? "under the hv" : "native",
		  tg_name, tg_tsc_hz, tg_tsc_source);

	test = arg_str("test", 0);
	if (!test) {
		puts_e9("tguest: FAIL no test= on the command line\n");
		usage();
		guest_exit(2);
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (tg_streq(test, tests[i].name)) {
			tg_printf("tguest: test %s\n", test);
			tests[i].fn();
			tg_fail_exit(2, "tguest: FAIL test %s returned\n", test);
		}
	}
	tg_printf("tguest: FAIL unknown test \"%s\"\n", test);
	usage();
	guest_exit(2);
}
