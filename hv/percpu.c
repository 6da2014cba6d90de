/* Per-CPU state (hv/percpu.h). */
#include "percpu.h"
#include "cpu.h"
#include "lib.h"

_Static_assert(__builtin_offsetof(struct pcpu, fixup) == 16, "cpu.h CPU_FIXUP_GS");
_Static_assert(__builtin_offsetof(struct pcpu, fixup.resume) == 16 + 8, "cpu.h CPU_ARMED");
_Static_assert(__builtin_offsetof(struct pcpu, fixup.vector) == 16 + 16, "cpu.h CPU_ARMED");

struct pcpu pcpus[HV_MAX_CPUS];
unsigned pcpu_count = 1;

#ifdef HOST_TEST
unsigned percpu_host_cpu;
#endif

void percpu_boot(uint32_t bsp_apic_id)
{
	memset(pcpus, 0, sizeof(pcpus));
	pcpu_count = 1;
	percpu_enter(0, bsp_apic_id);
}

void percpu_enter(unsigned id, uint32_t apic_id)
{
	struct pcpu *p = &pcpus[id];

	p->self = p;
	p->id = id;
	p->apic_id = apic_id;
	p->online = true;
	cpu_wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)p);
#ifdef HOST_TEST
	percpu_host_cpu = id;
#endif
}
