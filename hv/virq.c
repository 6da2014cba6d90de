/*
 * Virtual interrupt delivery (SDM "Event Injection", "Interrupt-Window
 * Exiting") and time slicing with the VMX preemption timer (SDM "VMX-
 * Preemption Timer": it counts down at the TSC rate divided by 2^X, X from
 * IA32_VMX_MISC bits 4:0, and exits when it reaches zero, whatever the
 * guest's interrupt flag).
 */
#include "virq.h"
#include "cpu.h"
#include "vmcs.h"
#include "vmxcap.h"
#include "vpic.h"
#include "vpit.h"

#define INTR_BLOCK_STI     (1u << 0)
#define INTR_BLOCK_MOV_SS  (1u << 1)
#define INTR_INFO_VALID    (1u << 31)
#define INTR_TYPE_EXT      (0u << 8)

static unsigned preempt_shift;

void virq_init(unsigned shift)
{
	preempt_shift = shift;
}

/*
 * Timer ticks that fell due while the guest waited for the CPU (another
 * guest held it) are not lost: the 8259 can latch only one edge, so the
 * rest wait in a backlog and are raised one at a time, each once the
 * previous one has left the IRR (the guest took it). Guests counting ticks
 * then keep time under contention (KVM's "reinject" policy for its PIT
 * does the same). Ticks the guest misses by its own doing (IRQ 0 masked,
 * interrupts off, a long handler) are lost as on a PC. The backlog is
 * bounded so that a guest kept off the CPU for long gets no storm.
 */
#define VIRQ_TICK_BACKLOG_MAX 64

void virq_update_timer(struct guest *g, uint64_t now, bool catch_up)
{
	unsigned due = vpit_irq0_pending(&g->pit, now);
	bool latched = g->pic.chip[0].irr & 1;

	if (!due && !g->tick_backlog)
		return;
	if (g->pic.chip[0].imr & 1) {
		/* Masked: the 8259 latches one edge in IRR; the rest are lost, as on a PC. */
		if (due && !latched)
			vpic_pulse_irq(&g->pic, 0), due--;
		g->ticks_lost += due + g->tick_backlog;
		g->tick_backlog = 0;
		return;
	}
	if (due) {
		if (!latched)
			vpic_pulse_irq(&g->pic, 0), due--;
		if (catch_up)
			g->tick_backlog += due;
		else
			g->ticks_lost += due;       /* its own doing: IF=0 or a long handler */
	} else if (!latched) {
		vpic_pulse_irq(&g->pic, 0);
		g->tick_backlog--;
	}
	if (g->tick_backlog > VIRQ_TICK_BACKLOG_MAX) {
		unsigned over = g->tick_backlog - VIRQ_TICK_BACKLOG_MAX;
		g->ticks_lost += over;
		g->ticks_over_backlog += over;
		g->tick_backlog = VIRQ_TICK_BACKLOG_MAX;
	}
}

bool virq_pending(struct guest *g)
{
	return vpic_has_interrupt(&g->pic);
}

uint64_t virq_next_event(struct guest *g, uint64_t now)
{
	if (!vpic_edge_would_interrupt(&g->pic, 0))
		return UINT64_MAX;
	if (g->tick_backlog)
		return now;                 /* a backlogged tick can be raised at once */
	return vpit_next_irq0(&g->pit, now);
}

/* Returns true if the guest can take an external interrupt on this entry. */
static bool virq_can_inject(void)
{
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF))
		return false;
	return !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
}

static void virq_window_exiting(struct vcpu *v, bool on)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t want = on ? proc | PROC_INTR_WINDOW_EXITING : proc & ~PROC_INTR_WINDOW_EXITING;

	if (want != proc)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
}

/* Re-delivers an event whose delivery the last exit interrupted. Returns true if it did. */
static bool virq_redeliver(void)
{
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO);

	if (!(idt & INTR_INFO_VALID))
		return false;
	vmcs_write32(VM_ENTRY_INTR_INFO, idt & ~(1u << 12));
	if (idt & (1u << 11))
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	return true;
}

static void virq_arm_preemption(struct vcpu *v, uint64_t now, uint64_t deadline)
{
	uint64_t ticks;

	deadline = MIN(deadline, virq_next_event(v->guest, now));
	/* Rounded up: the exit comes at the deadline or just after, never a few ticks before it. */
	ticks = deadline > now ? (deadline - now + (1ull << preempt_shift) - 1) >> preempt_shift : 0;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)MIN(ticks, 0xffffffffull));
}

void virq_prepare_entry(struct vcpu *v, uint64_t now, uint64_t deadline)
{
	struct guest *g = v->guest;
	bool want;

	virq_update_timer(g, now, false);
	want = v->reinject_vector >= 0 || virq_pending(g);
	if (vmcs_read32(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) {
		/* The exit's handler queued an exception: it goes first (VM exits clear the valid bit). */
		virq_window_exiting(v, want);
	} else if (!v->fresh && virq_redeliver()) {
		virq_window_exiting(v, want);
	} else if (want && virq_can_inject()) {
		int vec = v->reinject_vector >= 0 ? v->reinject_vector : vpic_ack(&g->pic);
		v->reinject_vector = -1;
		vmcs_write32(VM_ENTRY_INTR_INFO, (uint32_t)vec | INTR_TYPE_EXT | INTR_INFO_VALID);
		g->virqs_injected++;
		virq_window_exiting(v, false);
	} else {
		virq_window_exiting(v, want);
	}
	virq_arm_preemption(v, now, deadline);
}
