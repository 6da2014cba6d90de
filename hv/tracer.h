/*
 * The per-exit trace writer (wire format in include/trace.h): one ring of
 * records per CPU, appended on every exit by that CPU alone, never
 * blocking; drained, the rings merged in TSC order, to port 0xE9 when a CPU
 * would otherwise idle, when a ring fills up, and at the end.
 */
#ifndef HV_TRACER_H
#define HV_TRACER_H

#include "hv.h"

/* Allocates the rings (CPU 0's and each CPU a guest is placed on) and writes the header and names (if [hv] trace = on). */
void trace_init(void);

/* Appends the record of the exit being dispatched to this CPU's ring (raw exit-reason field, qualification). No lock. */
void trace_exit(struct vcpu *v, uint32_t raw_reason, uint64_t qual);

/* Stamps v's last record with the TSC at which v resumes (on v's CPU, before its entry). */
void trace_resume(struct vcpu *v);

/* v will not resume (stopped, exited, restarted): its last record is final as it is. */
void trace_forget(struct vcpu *v);

/* On any CPU: drains up to max records whose resume is known (more from a ring that is filling), merged. */
void trace_drain(unsigned max);

/* On the exit path, after trace_exit: drains a batch only if this CPU's ring was half full after it. */
void trace_poll(void);

/* At the end (every guest ended): drains everything, then an L and an E line per CPU and the summary lines. */
void trace_finish(void);

#endif
