/*
 * hypercall: the VMCALL ABI of include/hypercall.h, under the hv only
 * (natively VMCALL would #UD: the test says it is skipped and passes).
 */
#include "tguest.h"

static struct checks ck = { .prefix = "hc" };
static struct hc_guest_info info;
static struct hc_exit_stats st0, st1;
static const char console_msg[] = "hc: console ok\n";

void test_hypercall(void)
{
	long rc, rc2;
	uint32_t a, b, c, d, i, ram_top;
	uint64_t dcpuid, dvmcall;
	int bad;

	if (!tg_under_hv) {
		puts_e9("hc: skipped (not under the hv)\n");
		guest_exit(0);
	}

	rc = hypercall(HC_VERSION, 0, 0, 0);
	check(&ck, "version", rc == (long)HC_ABI_VERSION, "HC_VERSION returned 0x%lx, want 0x%x", rc,
	      HC_ABI_VERSION);

	rc = hypercall(HC_GUEST_INFO, (uint32_t)&info, sizeof(info), 0);
	if (rc >= 0) {
		char name[sizeof(info.name) + 1];

		for (i = 0; i < sizeof(info.name) && info.name[i]; i++)
			name[i] = info.name[i];
		name[i] = 0;
		tg_printf("hc: info name=%s id=%u nguests=%u ram=%llu tsc_hz=%llu\n", name, info.id, info.nguests,
			  info.ram_bytes, info.tsc_hz);
	}
	check(&ck, "guest info", rc == (long)sizeof(info) && info.nguests >= 1 && info.id < info.nguests &&
	      info.ram_bytes >= (1u << 20) && info.tsc_hz >= 1000000 && info.name[0],
	      "HC_GUEST_INFO returned %ld (want %u) id %u nguests %u ram %llu tsc_hz %llu", rc,
	      (unsigned)sizeof(info), info.id, info.nguests, info.ram_bytes, info.tsc_hz);

	/* Printed by the hypercall itself: the line appears only if HC_CONSOLE works. */
	rc = hypercall(HC_CONSOLE, (uint32_t)console_msg, sizeof(console_msg) - 1, 0);
	if (rc != (long)sizeof(console_msg) - 1)
		check(&ck, "console", 0, "HC_CONSOLE returned %ld, want %u", rc, (unsigned)sizeof(console_msg) - 1);
	else
		ck.n++;

	rc = hypercall(HC_YIELD, 0, 0, 0);
	check(&ck, "yield", rc == 0, "HC_YIELD returned %ld", rc);

	/* Exit statistics: 5 CPUIDs between two snapshots, nothing else that exits for CPUID. */
	rc = hypercall(HC_EXIT_STATS, (uint32_t)&st0, sizeof(st0), 0);
	for (i = 0; i < 5; i++)
		cpuid(0, &a, &b, &c, &d);
	rc2 = hypercall(HC_EXIT_STATS, (uint32_t)&st1, sizeof(st1), 0);
	if (rc != (long)sizeof(st0) || rc2 != (long)sizeof(st1) || st1.nreasons != EXIT_REASON_MAX) {
		check(&ck, "stats", 0, "HC_EXIT_STATS returned %ld, %ld (want %u), nreasons %u (want %u)", rc, rc2,
		      (unsigned)sizeof(st0), st1.nreasons, EXIT_REASON_MAX);
	} else {
		dcpuid = st1.count[EXIT_REASON_CPUID] - st0.count[EXIT_REASON_CPUID];
		dvmcall = st1.count[EXIT_REASON_VMCALL] - st0.count[EXIT_REASON_VMCALL];
		tg_printf("hc: info stats total %llu cpuid %llu vmcall %llu io %llu\n", st1.total_exits,
			  st1.count[EXIT_REASON_CPUID], st1.count[EXIT_REASON_VMCALL],
			  st1.count[EXIT_REASON_IO_INSTRUCTION]);
		if (dcpuid == 5)
			puts_e9("hc: stats cpuid +5 ok\n"), ck.n++;
		else
			check(&ck, "stats cpuid +5", 0, "cpuid count grew by %llu", dcpuid);
		check(&ck, "stats vmcall", dvmcall >= 1 && st1.total_exits >= st0.total_exits + 6,
		      "vmcall count grew by %llu, total by %llu (want >= 1, >= 6)", dvmcall,
		      st1.total_exits - st0.total_exits);
	}

	rc = hypercall(0x7777, 0, 0, 0);
	rc2 = hypercall(HC_MAX, 0, 0, 0);
	check(&ck, "enosys", rc == HC_ENOSYS && rc2 == HC_ENOSYS,
	      "call 0x7777 returned %ld, call HC_MAX returned %ld, want %d", rc, rc2, HC_ENOSYS);

	/* Buffers outside RAM, or straddling its end: -EINVAL. */
	ram_top = info.ram_bytes > 0xfffff000u ? 0xfffff000u : (uint32_t)info.ram_bytes;
	bad = 0;
	rc = hypercall(HC_GUEST_INFO, 0x40000000u, sizeof(info), 0);
	bad |= rc != HC_EINVAL;
	rc2 = hypercall(HC_GUEST_INFO, ram_top - 8, sizeof(info), 0);
	bad |= rc2 != HC_EINVAL;
	check(&ck, "einval", !bad, "HC_GUEST_INFO at 0x40000000 returned %ld, at 0x%x (straddling the end "
	      "of RAM) returned %ld, want %d", rc, ram_top - 8, rc2, HC_EINVAL);
	rc = hypercall(HC_CONSOLE, 0xfffff000u, 16, 0);
	check(&ck, "console einval", rc == HC_EINVAL, "HC_CONSOLE at 0xfffff000 returned %ld, want %d", rc,
	      HC_EINVAL);
	/* The legacy hole 0xA0000-0xFFFFF is not RAM either. */
	rc = hypercall(HC_GUEST_INFO, 0xd0000u, sizeof(info), 0);
	check(&ck, "einval hole", rc == HC_EINVAL, "HC_GUEST_INFO at 0xd0000 returned %ld, want %d", rc, HC_EINVAL);
	checks_finish(&ck);
}
