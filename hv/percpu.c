/* Per-CPU state (hv/percpu.h). */
#include "percpu.h"
#include "cpu.h"

#define MSR_GS_BASE 0xc0000101

struct pcpu pcpus[HV_MAX_CPUS];
unsigned pcpu_count = 1;

#ifdef HOST_TEST
unsigned percpu_host_cpu;
#endif

void percpu_enter(unsigned id, uint32_t apic_id)
{
	struct pcpu *p = &pcpus[id];

	p->self = p;
	p->id = id;
	p->apic_id = apic_id;
	p->online = true;
	cpu_wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
#ifdef HOST_TEST
	percpu_host_cpu = id;
#endif
}
