/*
 * A pure checker of the VM-entry rules of the Intel SDM, chapter "VM
 * Entries": "Checks on VMX Controls and Host-State Area" and "Checks on
 * the Guest-State Area". Bochs checks fewer of them than a real CPU or
 * KVM's nested VMX (which hands most of them to the hardware); running
 * this on every state the hv produces (the host unit tests do, and the hv
 * itself with [hv] vmcheck = on) finds the entries a stricter CPU would
 * refuse.
 *
 * Pure: it reads fields through a callback, so the same code checks the
 * real VMCS (VMREAD) and the unit tests' fake one.
 */
#ifndef HV_VMCHECK_H
#define HV_VMCHECK_H

#include <stdint.h>
#include "vmxcap.h"

/* Returns the value of VMCS field (encoding) in the VMCS being checked. */
typedef uint64_t (*vmcheck_read_fn)(void *ctx, uint32_t field);

/* What the CPU is: the capability MSRs and its address widths. */
struct vmcheck_cpu {
	const struct vmx_caps *caps;
	unsigned maxphyaddr;         /* CPUID.80000008H:EAX[7:0] */
	unsigned linear_width;       /* 48 (or 57 with 5-level paging) */
};

/* How VM entry fails when a rule is broken. */
enum vmcheck_kind {
	VMCHECK_OK,
	VMCHECK_CONTROLS,            /* VMfailValid, VM-instruction error 7 */
	VMCHECK_HOST,                /* VMfailValid, VM-instruction error 8 */
	VMCHECK_GUEST,               /* VM exit 33 with bit 31: invalid guest state */
};

struct vmcheck_result {
	enum vmcheck_kind kind;
	const char *rule;            /* the SDM rule broken, in words */
};

/*
 * Checks the VMCS that rd reads against the VM-entry rules, in the SDM's
 * order (controls, host state, guest state). Returns the first rule
 * broken, or kind VMCHECK_OK.
 */
struct vmcheck_result vmcheck(const struct vmcheck_cpu *cpu, vmcheck_read_fn rd, void *ctx);

/* Returns true if addr is canonical for a linear-address width of bits (48 or 57). */
bool vmcheck_canonical(uint64_t addr, unsigned bits);

/* Returns true if every byte of pat is a valid memory type (0, 1, 4, 5, 6, 7). */
bool vmcheck_pat_valid(uint64_t pat);

#endif
