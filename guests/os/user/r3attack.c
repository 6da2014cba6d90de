/* r3attack hc IOPB KMEM | ac | xsetbv: what ring 3 must not get under the hv.
 *
 * hc: VMCALL from ring 3 (issue 7 item 1). HC_GUEST_INFO aimed at IOPB,
 * the kernel's TSS I/O permission bitmap (its 40 bytes, zeros mostly,
 * would open ports 0-319 to this process), HC_CONSOLE aimed at KMEM
 * (kernel-only memory), and HC_VERSION: the hv must answer each with
 * HC_EPERM and do nothing. Then it reads port 0x70, which the bitmap must
 * still refuse: the kernel kills it with #GP.
 * ac: EFLAGS.AC with the kernel's CR0.AM and a misaligned load: #AC (which
 * the hv intercepts and reflects); the kernel kills it.
 * xsetbv: XSETBV at CPL 3 with the kernel's CR4.OSXSAVE: #GP; killed. */
#include "ulib.h"
#include "hypercall.h"

#define EFLAGS_AC (1ul << 18)

static int64_t r3_vmcall(uint64_t nr, uint64_t a1, uint64_t a2)
{
	int64_t ret;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2), "d"(0) : "memory");
	return ret;
}

/* Returns true if CPUID leaf 0x40000000 shows the hv's signature. */
static bool r3_under_hv(void)
{
	uint32_t a = HV_CPUID_LEAF_BASE, sig[3];
	__asm__ volatile("cpuid" : "+a"(a), "=b"(sig[0]), "=c"(sig[1]), "=d"(sig[2]));
	return !memcmp(sig, HV_CPUID_SIGNATURE, 12);
}

static int r3_hypercalls(const char *args)
{
	char w[24];
	uint64_t iopb, kmem;
	uint8_t v;

	if (!u_word(&args, w, sizeof(w)))
		return 2;
	iopb = klib_strtoul(w, NULL, 0);
	if (!u_word(&args, w, sizeof(w)))
		return 2;
	kmem = klib_strtoul(w, NULL, 0);
	if (!r3_under_hv()) {
		u_printf("r3attack: not under the hv, no VMCALL\n");
		return 0;
	}
	u_printf("r3attack: HC_GUEST_INFO at 0x%lx (kernel I/O bitmap) from ring 3: %ld\n", iopb,
		 r3_vmcall(HC_GUEST_INFO, iopb, sizeof(struct hc_guest_info)));
	u_printf("r3attack: HC_CONSOLE of 64 bytes at 0x%lx (kernel memory) from ring 3: %ld\n", kmem,
		 r3_vmcall(HC_CONSOLE, kmem, 64));
	u_printf("r3attack: HC_VERSION from ring 3: %ld\n", r3_vmcall(HC_VERSION, 0, 0));
	u_printf("r3attack: reading port 0x70 (open only if the bitmap was overwritten)\n");
	__asm__ volatile("inb $0x70, %0" : "=a"(v));
	u_printf("r3attack: NOT KILLED: port 0x70 read 0x%02x, the kernel's I/O bitmap was overwritten\n", v);
	return 1;
}

int main(const char *args)
{
	char w[8] = "";
	const char *p = args;

	u_word(&p, w, sizeof(w));
	if (!strcmp(w, "hc"))
		return r3_hypercalls(p);
	if (!strcmp(w, "ac")) {
		volatile uint64_t buf[2] = { 0, 0 };
		u_printf("r3attack: EFLAGS.AC and a misaligned load in ring 3\n");
		__asm__ volatile("pushfq\n\torq %0, (%%rsp)\n\tpopfq" :: "i"(EFLAGS_AC) : "memory", "cc");
		(void)*(volatile uint32_t *)((uintptr_t)buf + 1);
		u_printf("r3attack: survived the misaligned load (BUG: no #AC)\n");
		return 1;
	}
	if (!strcmp(w, "xsetbv")) {
		u_printf("r3attack: XSETBV XCR0 = 1 in ring 3\n");
		__asm__ volatile("xsetbv" :: "c"(0), "a"(1), "d"(0));
		u_printf("r3attack: survived XSETBV (BUG: no #GP)\n");
		return 1;
	}
	u_printf("usage: r3attack hc IOPB KMEM | ac | xsetbv\n");
	return 2;
}
