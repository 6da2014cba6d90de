/* hvstat.c: under the hv (include/hypercall.h ABI), ask it for our exit
 * statistics with VMCALL. VMCALL is only issued after the CPUID signature
 * matched: on bare hardware or another hypervisor it would fault. */
#include "hvstat.h"
#include "console.h"
#include "hypercall.h"
#include "io.h"
#include "klib.h"

static struct hc_exit_stats hvstat_buf;
static struct hc_guest_info hvstat_info;

bool hvstat_detect(void)
{
	struct cpuid_regs r;
	char sig[13];
	cpu_cpuid(HV_CPUID_LEAF_BASE, 0, &r);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	return r.eax >= HV_CPUID_LEAF_BASE && !strcmp(sig, HV_CPUID_SIGNATURE);
}

/* VMCALL nr(a, b, c): RAX = nr, RBX, RCX, RDX = arguments; result in RAX. */
static int64_t hvstat_hypercall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	int64_t ret;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

void hvstat_print(void)
{
	if (!hvstat_detect()) {
		kprintf("hv: not running under the nanokernel hv (no CPUID signature)\n");
		return;
	}
	/* Kernel memory is identity-mapped, so its address is guest-physical. */
	int64_t r = hvstat_hypercall(HC_GUEST_INFO, (uint64_t)&hvstat_info, sizeof(hvstat_info), 0);
	if (r > 0)
		kprintf("hv: guest %u of %u \"%s\", %lu MiB, ABI %lx\n", hvstat_info.id, hvstat_info.nguests,
			hvstat_info.name, hvstat_info.ram_bytes >> 20,
			(uint64_t)hvstat_hypercall(HC_VERSION, 0, 0, 0));
	r = hvstat_hypercall(HC_EXIT_STATS, (uint64_t)&hvstat_buf, sizeof(hvstat_buf), 0);
	if (r <= 0) {
		kprintf("hv: exit statistics hypercall failed (%ld)\n", r);
		return;
	}
	kprintf("hv: %lu exits\n%-26s %12s %12s %12s\n", hvstat_buf.total_exits,
		"REASON", "COUNT", "AVG TSC", "MAX TSC");
	for (unsigned i = 0; i < EXIT_REASON_MAX && i < hvstat_buf.nreasons; i++) {
		uint64_t n = hvstat_buf.count[i];
		const char *name = exit_reason_name(i);
		if (n)
			kprintf("%-26s %12lu %12lu %12lu\n", name ? name : "?", n,
				hvstat_buf.tsc_sum[i] / n, hvstat_buf.tsc_max[i]);
	}
}

/* The names of enum hc_guest_state, from 1. */
static const char *const hvstat_states[] = { "?", "running", "halted", "stopped", "exited", "ended" };

int hvstat_guest_ctl(const char *verb, const char *name)
{
	static const char *const verbs[] = { [HC_CTL_STATUS] = "status", [HC_CTL_STOP] = "stop",
					     [HC_CTL_RESTART] = "restart" };
	static char buf[16];
	unsigned op, st;
	int64_t r;

	for (op = 0; op < 3 && strcmp(verb, verbs[op]); op++)
		;
	if (op == 3 || !*name || strlen(name) >= sizeof(buf)) {
		kprintf("usage: guest stop|restart|status NAME\n");
		return -1;
	}
	if (!hvstat_detect()) {
		kprintf("guest: not running under the nanokernel hv\n");
		return -1;
	}
	memcpy(buf, name, strlen(name) + 1);
	r = hvstat_hypercall(HC_GUEST_CTL, op, (uint64_t)buf, 0);
	if (r == HC_EACCES)
		kprintf("guest %s: not ours to manage (hv.cfg: manages)\n", name);
	else if (r == HC_ENOENT)
		kprintf("guest %s: no such guest\n", name);
	else if (r < 0)
		kprintf("guest %s: %s failed (%ld)\n", name, verb, r);
	else if (op == HC_CTL_STATUS) {
		st = HC_CTL_GSTATE(r);
		kprintf("guest %s: boot %u, %s\n", name, HC_CTL_BOOTS(r),
			st < sizeof(hvstat_states) / sizeof(hvstat_states[0]) ? hvstat_states[st] : "?");
	} else
		kprintf("guest %s: %s asked\n", name, verb);
	return r < 0 ? -1 : 0;
}
