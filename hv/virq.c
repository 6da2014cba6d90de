/*
 * Virtual interrupt delivery (SDM "Event Injection", "Interrupt-Window
 * Exiting") and time slicing with the VMX preemption timer (SDM "VMX-
 * Preemption Timer": it counts down at the TSC rate divided by 2^X, X from
 * IA32_VMX_MISC bits 4:0, and exits when it reaches zero, whatever the
 * guest's interrupt flag).
 */
#include "virq.h"
#include "cpu.h"
#include "lapic.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmxcap.h"
#include "vpic.h"
#include "vpit.h"

#define INTR_BLOCK_STI     (1u << 0)
#define INTR_BLOCK_MOV_SS  (1u << 1)
#define INTR_BLOCK_NMI     (1u << 3)
#define INTR_INFO_VALID    (1u << 31)
#define INTR_TYPE_EXT      (0u << 8)
#define INTR_TYPE_NMI      (2u << 8)
#define NMI_VECTOR         2

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

/*
 * The PIT's IRQ 0 with the guest's IOAPIC pin 2 open (a guest in APIC
 * mode): one edge at the pin for the ticks due (they coalesce in the
 * LAPIC's IRR as on a PC; the rest are counted lost), and the 8259's IRR
 * latches its edge as the PIT drives both.
 */
static void virq_pit_ioapic(struct guest *g, unsigned due)
{
	if (!due)
		return;
	lapic_pit_edge(g);
	if (!(g->pic.chip[0].irr & 1))
		vpic_pulse_irq(&g->pic, 0);
	g->ticks_lost += due - 1 + g->tick_backlog;
	g->tick_backlog = 0;
}

/*
 * The PIT's IRQ 0 without its arithmetic on every entry. Channel 0's edges
 * are a pure function of its timing fields and the TSC (hv/vpit.c), so
 * g->pit_seen keeps those fields as they were when the edges due were last
 * taken (at TSC from) and the TSC of the next edge then. While the fields
 * are unchanged and from <= now < next, vpit_irq0_pending(now) would find
 * no edge and change nothing, and vpit_next_irq0(now) would return next:
 * the snapshot answers instead. Any change to the channel (a port write,
 * a reset) differs from the snapshot, so nothing has to invalidate it.
 */
static inline bool virq_pit_seen_holds(const struct guest *g, uint64_t now)
{
	const struct vpit_channel *c = &g->pit.ch[0];
	const struct virq_pit_seen *s = &g->pit_seen;

	return now < s->next && now >= s->from && c->start_tsc == s->start_tsc &&
	       c->edges_done == s->edges_done && c->base_ticks == s->base_ticks &&
	       c->reload == s->reload && c->mode == s->mode && c->loaded == s->loaded &&
	       c->running == s->running;
}

/* vpit_irq0_pending(&g->pit, now), and the snapshot taken afresh when it had to be asked. */
static unsigned virq_pit_due(struct guest *g, uint64_t now)
{
	const struct vpit_channel *c = &g->pit.ch[0];
	unsigned due;

	if (virq_pit_seen_holds(g, now))
		return 0;
	due = vpit_irq0_pending(&g->pit, now);
	g->pit_seen = (struct virq_pit_seen){
		.from = now, .next = vpit_next_irq0(&g->pit, now),
		.start_tsc = c->start_tsc, .base_ticks = c->base_ticks, .edges_done = c->edges_done,
		.reload = c->reload, .mode = c->mode, .loaded = c->loaded, .running = c->running,
	};
	return due;
}

/* vpit_next_irq0(&g->pit, now), from the snapshot while it holds. */
static inline uint64_t virq_pit_next(const struct guest *g, uint64_t now)
{
	return virq_pit_seen_holds(g, now) ? g->pit_seen.next : vpit_next_irq0(&g->pit, now);
}

void virq_update_timer(struct guest *g, uint64_t now, bool catch_up)
{
	unsigned due = virq_pit_due(g, now);
	bool latched = g->pic.chip[0].irr & 1;

	if (g->apic.on) {
		lapic_update_timer(g, now);
		if (lapic_pin_open(g, LAPIC_PIT_PIN)) {
			virq_pit_ioapic(g, due);
			return;
		}
	}
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

/* Returns true if the 8259's INTR reaches the CPU: no LAPIC, or LINT0 in ExtINT mode (virtual wire). */
static inline bool virq_extint_open(const struct guest *g)
{
	return !g->apic.on || vlapic_extint_open(&g->lapic);
}

/*
 * Returns true if the 8259 pair signals INTR (vpic_has_interrupt). It
 * cannot without an unmasked request in the master's IRR, which most
 * entries do not have: that is tested first, inline.
 */
static inline bool virq_pic_pending(const struct guest *g)
{
	const struct vpic_chip *m = &g->pic.chip[0];

	return (m->irr & ~m->imr) && vpic_has_interrupt(&g->pic);
}

/*
 * Returns true if g has an external interrupt it could take with IF = 1
 * (8259 or LAPIC above PPR). The model's TPR must be the page's
 * (lapic_tpr_in). An empty IRR holds nothing above PPR.
 */
static inline bool virq_intr_pending(const struct guest *g)
{
	if (virq_pic_pending(g) && virq_extint_open(g))
		return true;
	return g->apic.on && vlapic_irr_pending(&g->lapic) && vlapic_pending_vector(&g->lapic) >= 0;
}

bool virq_pending(struct guest *g)
{
	if (virq_pic_pending(g) && virq_extint_open(g))
		return true;
	if (!g->apic.on)
		return false;
	lapic_tpr_in(g);
	return (vlapic_irr_pending(&g->lapic) && vlapic_pending_vector(&g->lapic) >= 0) ||
	       vlapic_nmi_pending(&g->lapic);
}

/*
 * Returns true if an IRQ 0 edge would make the 8259 interrupt
 * (vpic_edge_would_interrupt): never while IRQ 0 is masked or latched.
 */
static inline bool virq_pic_edge0_interrupts(const struct guest *g)
{
	const struct vpic_chip *m = &g->pic.chip[0];

	return !((m->imr | m->irr) & 1) && vpic_edge_would_interrupt(&g->pic, 0);
}

static inline uint64_t virq_next_event_inline(const struct guest *g, uint64_t now)
{
	uint64_t pit = UINT64_MAX, apic = lapic_next_event(g, now);

	if (lapic_pin_open(g, LAPIC_PIT_PIN))
		pit = virq_pit_next(g, now);
	else if (virq_pic_edge0_interrupts(g) && virq_extint_open(g))
		pit = g->tick_backlog ? now : virq_pit_next(g, now);   /* a backlogged tick at once */
	return MIN(pit, apic);
}

uint64_t virq_next_event(struct guest *g, uint64_t now)
{
	return virq_next_event_inline(g, now);
}

/* Returns true if the guest can take an external interrupt on this entry. */
static bool virq_can_inject(void)
{
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF))
		return false;
	return !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
}

/*
 * Interrupt-window exiting while an interrupt waits, NMI-window exiting
 * while an NMI waits ("NMI-Window Exiting": only with virtual NMIs; without
 * them the NMI waits for the guest's next exit).
 */
static void virq_window_exiting(struct vcpu *v, bool on, bool nmi)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t want = on ? proc | PROC_INTR_WINDOW_EXITING : proc & ~PROC_INTR_WINDOW_EXITING;

	if (nmi && !(vmx_controls()->pin & PIN_VIRTUAL_NMIS))
		nmi = false;
	want = nmi ? want | PROC_NMI_WINDOW_EXITING : want & ~PROC_NMI_WINDOW_EXITING;
	if (want != proc)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
}

/* Returns true if an NMI can be injected now: no NMI, STI or MOV-SS blocking ("Event Injection"). */
static bool virq_nmi_open(void)
{
	return !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		 (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS | INTR_BLOCK_NMI));
}

/*
 * The interrupt acknowledge: the 8259's vector through LINT0 (ExtINT,
 * first, as KVM orders them), else the LAPIC's highest vector above PPR
 * (IRR to ISR; "Interrupt Acceptance for Fixed Interrupts").
 */
static int virq_ack(struct guest *g)
{
	if (virq_extint_open(g) && vpic_has_interrupt(&g->pic))
		return vpic_ack(&g->pic);
	g->apic.dirty = true;                /* IRR and ISR changed: the page follows */
	return vlapic_ack(&g->lapic);
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
	uint64_t next = virq_next_event_inline(v->guest, now), ticks;

	deadline = MIN(deadline, next);         /* not MIN(deadline, call): MIN evaluates it twice */
	/* Rounded up: the exit comes at the deadline or just after, never a few ticks before it. */
	ticks = deadline > now ? (deadline - now + (1ull << preempt_shift) - 1) >> preempt_shift : 0;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)MIN(ticks, 0xffffffffull));
}

/*
 * virq_update_timer(g, now, false) at an entry: nothing to do, and nothing
 * done, while no PIT edge is due (the snapshot holds), no tick waits in
 * the backlog and the LAPIC timer's next expiry is still ahead.
 */
static inline void virq_update_timer_entry(struct guest *g, uint64_t now)
{
	if (virq_pit_seen_holds(g, now) && !g->tick_backlog &&
	    (!g->apic.on || lapic_guest_tsc(g, now) < g->apic.next))
		return;
	virq_update_timer(g, now, false);
}

void virq_prepare_entry(struct vcpu *v, uint64_t now, uint64_t deadline)
{
	struct guest *g = v->guest;
	bool want, nmi;

	virq_update_timer_entry(g, now);
	if (g->apic.on)
		lapic_tpr_in(g);
	want = v->reinject_vector >= 0 || virq_intr_pending(g);
	nmi = g->apic.on && vlapic_nmi_pending(&g->lapic);
	if (vmcs_read32(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) {
		/* The exit's handler queued an exception: it goes first (VM exits clear the valid bit). */
		virq_window_exiting(v, want, nmi);
	} else if (!v->fresh && virq_redeliver()) {
		virq_window_exiting(v, want, nmi);
	} else if (nmi && virq_nmi_open()) {
		/* An NMI goes before maskable interrupts ("Priorities of Concurrent Events"). */
		vlapic_take_nmi(&g->lapic);
		vmcs_write32(VM_ENTRY_INTR_INFO, NMI_VECTOR | INTR_TYPE_NMI | INTR_INFO_VALID);
		g->apic.nmis++;
		virq_window_exiting(v, want, false);
	} else if (want && virq_can_inject()) {
		int vec = v->reinject_vector >= 0 ? v->reinject_vector : virq_ack(g);
		v->reinject_vector = -1;
		vmcs_write32(VM_ENTRY_INTR_INFO, (uint32_t)vec | INTR_TYPE_EXT | INTR_INFO_VALID);
		g->virqs_injected++;
		virq_window_exiting(v, false, nmi);
	} else {
		virq_window_exiting(v, want, nmi);
	}
	if (g->apic.on)
		lapic_finish_entry(v);
	virq_arm_preemption(v, now, deadline);
}
