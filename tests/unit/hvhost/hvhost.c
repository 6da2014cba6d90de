/*
 * Boots the hv on the host (see hvhost.h): a boot_info as uefi/ would
 * build it, guest RAM from the host heap, a tiny Multiboot image per
 * guest, then hv_init.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvhost.h"
#include "percpu.h"
#include "smp.h"
#include "exit.h"
#include "mbload.h"
#include "multiboot.h"
#include "vmx.h"
#include "sched.h"

#define HOST_TSC_HZ    200000000ull      /* 200 MHz, as Bochs' ips=200M */
#define HOST_HEAP      (24u << 20)
#define HOST_ENTRY     0x100020u

void (*host_tweak)(void);
void (*host_bi_tweak)(struct boot_info *bi);
static struct boot_info *bi;
static void *heap;
static void *ram[CFG_MAX_GUESTS];
static uint8_t image[CFG_MAX_GUESTS][64];

/* A Multiboot a.out-kludge image: header at 0x100000, code (HLT) at HOST_ENTRY. */
static void host_image(uint8_t *img)
{
	uint32_t h[8] = {
		MB_HEADER_MAGIC, MB_HF_AOUT_KLUDGE, 0,
		0x100000, 0x100000, 0, 0, HOST_ENTRY,
	};

	h[2] = -(h[0] + h[1]);
	memset(img, 0xf4, 64);            /* HLT */
	memcpy(img, h, sizeof(h));
}

unsigned host_cpus = 1;

void host_boot(const char *cfg_text)
{
	struct cfg_error err;
	unsigned ncpus = host_cpus;

	fake_reset();
	if (host_tweak)
		host_tweak();
	memset(&hv, 0, sizeof(hv));
	bi = calloc(1, sizeof(*bi));
	if (cfg_parse(cfg_text, strlen(cfg_text), &bi->cfg, &err) < 0) {
		fprintf(stderr, "host_boot: hv.cfg:%d: %s\n", err.line, err.msg);
		abort();
	}
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->tsc_hz = HOST_TSC_HZ;
	strcpy(bi->tsc_source, "host test");
	heap = aligned_alloc(4096, HOST_HEAP);
	bi->heap_base = (uintptr_t)heap;
	bi->heap_bytes = HOST_HEAP;
	host_cpus = 1;
	bi->cpus.n = ncpus;
	for (unsigned i = 0; i < ncpus; i++)
		bi->cpus.apic_id[i] = i;
	bi->ap_trampoline = ncpus > 1 ? 0x8000 : 0;
	for (int i = 0; i < bi->cfg.nguests; i++) {
		struct boot_guest *bg = &bi->guests[i];
		struct mbload_result res;
		const char *why = "";

		ram[i] = aligned_alloc(2u << 20, bi->cfg.guests[i].mem_bytes);
		host_image(image[i]);
		bg->ram_hpa = (uintptr_t)ram[i];
		bg->ram_bytes = bi->cfg.guests[i].mem_bytes;
		bg->image_hpa = (uintptr_t)image[i];
		bg->image_bytes = sizeof(image[i]);
		if (mbload(image[i], sizeof(image[i]), ram[i], bg->ram_bytes, bi->cfg.guests[i].cmdline,
			   &res, &why) < 0) {
			fprintf(stderr, "host_boot: mbload: %s\n", why);
			abort();
		}
		bg->entry = res.entry;
		bg->mbi_gpa = res.mbi_gpa;
	}
	if (host_bi_tweak)
		host_bi_tweak(bi);
	hv_init(bi);
}

void host_teardown(void)
{
	for (int i = 0; i < CFG_MAX_GUESTS; i++) {
		free(ram[i]);
		ram[i] = NULL;
	}
	free(heap);
	free(bi);
	heap = NULL;
	bi = NULL;
}

bool host_run(void)
{
	jmp_buf done, halted;

	fake_run.done_jmp = &done;
	fake.halt_jmp = &halted;
	if (setjmp(done)) {
		fake_run.done_jmp = NULL;
		fake.halt_jmp = NULL;
		return false;
	}
	if (setjmp(halted)) {
		fake_run.done_jmp = NULL;
		fake.halt_jmp = NULL;
		return true;
	}
	sched_run();
}

bool host_run_cpu(unsigned id)
{
	jmp_buf done, halted;
	bool ended;

	fake_run.done_jmp = &done;
	fake.halt_jmp = &halted;
	percpu_host_cpu = id;
	if (setjmp(done)) {
		ended = false;
	} else if (setjmp(halted)) {
		ended = true;
	} else {
		if (id)
			smp_ap_run();
		sched_run();
	}
	fake_run.done_jmp = NULL;
	fake.halt_jmp = NULL;
	percpu_host_cpu = 0;
	return ended;
}

struct vcpu *host_vcpu(int i)
{
	vmx_load(&hv.guests[i].vcpu);
	return &hv.guests[i].vcpu;
}

int host_exit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t insn_len)
{
	vmx_load(v);
	fake_vmcs_set(VM_EXIT_REASON, reason);
	fake_vmcs_set(EXIT_QUALIFICATION, qual);
	fake_vmcs_set(VM_EXIT_INSTRUCTION_LEN, insn_len);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, fake_vmcs_get(VM_ENTRY_INTR_INFO) & ~(1ull << 31));
	v->launched = 1;
	v->exit_tsc = cpu_rdtsc();
	return exit_dispatch(v);
}

void *host_gpa(int guest, uint64_t gpa)
{
	return (uint8_t *)ram[guest] + gpa;
}

bool host_log_has(const char *s)
{
	/*
	 * In chunks: log_drain(LOG_DRAIN_ALL) adds its size to the ring's tail
	 * and wraps, draining nothing once the tail is past 0 (hv/log.c).
	 */
	for (unsigned i = 0; i < 256 && log_pending(); i++)
		log_drain(LOG_DRAIN_CHUNK);
	return fake_log_has(s);
}

/* One port exit of one byte; aborts unless the guest goes on. */
static void host_port_exit(struct vcpu *v, uint16_t port, bool in)
{
	int act = host_exit(v, EXIT_REASON_IO_INSTRUCTION, ((uint64_t)port << 16) | (in ? 8 : 0), 1);

	if (act != EXIT_RESUME) {
		fprintf(stderr, "host_port_exit: %s of port 0x%x: action %d\n", in ? "IN" : "OUT", port, act);
		abort();
	}
}

void host_port_out(struct vcpu *v, uint16_t port, uint8_t val)
{
	v->regs.rax = val;
	host_port_exit(v, port, false);
}

uint8_t host_port_in(struct vcpu *v, uint16_t port)
{
	host_port_exit(v, port, true);
	return (uint8_t)v->regs.rax;
}

int host_cmocka_teardown(void **state)
{
	(void)state;
	host_teardown();
	return 0;
}

void host_script(struct fake_exit e)
{
	if (fake_run.nscript == FAKE_MAX_SCRIPT)
		fail_msg("host_script: more than %d exits", FAKE_MAX_SCRIPT);
	fake_run.script[fake_run.nscript++] = e;
}

void host_long_mode(uint64_t cr0, uint64_t cr3, bool cs_l)
{
	fake_vmcs_set(CR0_READ_SHADOW, cr0);
	fake_vmcs_set(GUEST_CR0, cr0);
	fake_vmcs_set(CR4_READ_SHADOW, CR4_PAE);
	fake_vmcs_set(GUEST_CR4, CR4_PAE | CR4_VMXE);
	fake_vmcs_set(GUEST_CR3, cr3);
	fake_vmcs_set(GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	fake_vmcs_set(VM_ENTRY_CONTROLS, fake_vmcs_get(VM_ENTRY_CONTROLS) | ENTRY_IA32E_MODE_GUEST);
	fake_vmcs_set(GUEST_CS_AR_BYTES, cs_l ? HOST_AR_CODE64 : HOST_AR_CODE32);
}

void host_assert_entry_ok(void)
{
	const char *rule = fake_vmcheck();

	if (rule)
		fail_msg("the next VM entry would fail: %s", rule);
}
