/*
 * The per-exit trace writer (wire format in include/trace.h): a ring of records
 * appended on every exit, never blocking, drained to port 0xE9 when the
 * CPU would otherwise idle, when the ring fills up, and at the end.
 */
#ifndef HV_TRACER_H
#define HV_TRACER_H

#include "hv.h"

/* Allocates the ring and writes the header and the name table (if [hv] trace = on). */
void trace_init(void);

/* Appends the record of the exit being dispatched (raw exit-reason field, qualification). */
void trace_exit(struct vcpu *v, uint32_t raw_reason, uint64_t qual);

/* Stamps v's last record with the TSC at which v resumes. */
void trace_resume(struct vcpu *v);

/* v will not resume (stopped, exited, restarted): its last record is final as it is. */
void trace_forget(struct vcpu *v);

/* Drains up to max records whose resume is known (more if the ring is filling). */
void trace_drain(unsigned max);

/* On the exit path: drains a batch only if the ring is half full. */
void trace_poll(void);

/* Drains everything and writes the end record and a summary line. */
void trace_finish(void);

#endif
