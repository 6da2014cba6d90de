/*
 * Guest scheduling on one CPU, and CPU time as a resource: each guest has
 * a guaranteed share of every period; time the hv spends because of a
 * guest is charged to that guest. hv/sched.c describes the policy.
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include "hv.h"

/* Gives each guest its budget from hv.cfg (shares of [hv] period_us). */
void sched_init(void);

/* The run loop: pick a vCPU, prepare its entry, enter it, dispatch its exit, repeat. */
void sched_run(void) __attribute__((noreturn));

/*
 * Charges the time since the last charge to g (NULL: to nobody, e.g. idle).
 * A guest of another CPU gets it through its remote_tsc, which its own CPU
 * folds into its budget: this CPU's guests are charged none of it.
 */
void sched_account(struct guest *g, uint64_t now);

/* All root-mode time spent on g's behalf: by its CPU, and by others not yet folded in. */
uint64_t sched_hv_time(const struct guest *g);

/*
 * An interrupt arrived through the IDT (interrupts are on only while a CPU
 * idles or parks): the CPU's idle time ends now, and the handling is the
 * line's owner's time (NULL: nobody's, as a wake-up timer's).
 */
void sched_idle_interrupt(struct guest *owner);

/*
 * The current exit's root-mode time is g's doing (a device interrupt of
 * g's, g's wake-up); g may be another CPU's guest (its line taken here).
 */
void sched_blame(struct guest *g);

/*
 * g's virtual PIC got a device interrupt: a halted g wakes if it can take
 * it, and preempts the running guest if it also has budget left.
 */
void sched_kick(struct guest *g);

/* Returns true (once) if a woken guest with budget should preempt the running one. */
bool sched_preempt_wanted(void);

/* The running v's preemption timer expired at now: returns true if v must yield. */
bool sched_timer(struct vcpu *v, uint64_t now);

/* log.c's hook: draining a guest's console line is charged to that guest, whatever its CPU. */
void sched_charge_log(int owner, bool start);

/* g boots (first boot or restart) at now: its time limit starts. */
void sched_boot_started(struct guest *g, uint64_t now);

/*
 * A manager's request (HC_GUEST_CTL op: stop or restart g) on behalf of
 * guest from: g's own CPU carries it out at its next scheduling point;
 * another CPU is kicked by IPI (a parked one comes back for it). Returns
 * true if g is on this CPU (the caller's exit should end its turn).
 */
bool sched_request(struct guest *g, unsigned op, const struct guest *from);

/* A kick arrived: if a request waits for this CPU, the running guest yields to the scheduler. */
void sched_requests_arrived(void);

/* Returns true if g has budget left in the current period. */
bool sched_has_budget(const struct guest *g);

#endif
