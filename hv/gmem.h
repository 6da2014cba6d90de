/*
 * Guest memory by segment and linear address, for the vCPU whose VMCS is
 * current: the segment checks the CPU makes (limits, types, canonical
 * addresses), the guest's own paging (hv/gwalk.c, from the VMCS's CR0,
 * CR3, CR4, EFER and PDPTEs) and its EPT. Emulation uses it to read an
 * instruction and to move the data of string I/O, and gets back the fault
 * the CPU would have raised, or the guest-physical address that the CPU
 * would have turned into an EPT violation.
 */
#ifndef HV_GMEM_H
#define HV_GMEM_H

#include "hv.h"
#include "gwalk.h"
#include "insn.h"

enum gmem_status {
	GMEM_OK,
	GMEM_FAULT,                  /* the CPU would raise f->vector (#GP, #SS, #PF) */
	GMEM_STOP,                   /* outside the guest's memory (f->gpa): an EPT violation stops it */
};

struct gmem_fault {
	unsigned vector;             /* EXC_GP, EXC_SS, EXC_PF */
	uint32_t err;                /* its error code */
	uint64_t addr;               /* #PF: the linear address (CR2) */
	uint64_t gpa;                /* GMEM_STOP: where; GMEM_NO_RAM of a paging structure too */
	bool page_table;             /* GMEM_STOP: the guest's paging structure lay there */
};

/* A mapping of guest memory from a linear address to the end of its 4 KiB page. */
struct gmem_map {
	uint8_t *host;               /* the hv's pointer to the first byte (NULL if rom) */
	uint64_t gpa;
	unsigned bytes;              /* bytes from there to the end of the page */
	bool rom;                    /* a write there is dropped: read-only in the EPT (the PC hole) */
};

/* Fills c with the current guest's paging state. */
void gmem_paging(struct gwalk_cpu *c);

/*
 * Returns the linear address of seg:off for an access of size bytes,
 * checking it as the CPU would: in 64-bit mode a canonical address (base 0
 * but for FS and GS); else an unusable segment, a write to a read-only or
 * code segment, a read of an execute-only one, and the limit (expand-up or
 * expand-down). A violation is #GP(0), #SS(0) for SS.
 */
enum gmem_status gmem_linear(enum insn_seg seg, uint64_t off, unsigned size, bool write,
			     uint64_t *lin, struct gmem_fault *f);

/*
 * Maps the guest memory at linear for an access of kind (GWALK_*; CPL 3
 * and RFLAGS.AC are added here): walks the guest's paging (setting
 * accessed and dirty flags unless GWALK_NO_AD) and its EPT.
 */
enum gmem_status gmem_map(struct vcpu *v, uint64_t lin, unsigned access, struct gmem_map *m,
			  struct gmem_fault *f);

/* Copies n bytes of guest memory at linear lin into buf (across pages). */
enum gmem_status gmem_read(struct vcpu *v, uint64_t lin, void *buf, unsigned n, unsigned access,
			   struct gmem_fault *f);

/* The instruction at the guest's CS:RIP, read as the CPU fetched it. */
struct gmem_insn {
	uint8_t bytes[INSN_MAX_LEN];
	unsigned nbytes;             /* bytes read (up to 15; fewer if the next page is not readable) */
	uint64_t rip;
	enum insn_result res;        /* the decoder's verdict */
	struct insn in;
};

/*
 * Reads the instruction at CS:RIP in the current code size (16, 32 or
 * 64-bit) and decodes it (hv/insn.c). The second page is read only if the
 * decoder needs its bytes. Returns GMEM_OK (see gi->res), or the fault or
 * stop of reading the first byte.
 */
enum gmem_status gmem_fetch_insn(struct vcpu *v, struct gmem_insn *gi, struct gmem_fault *f);

/* Gives the guest the fault f (CR2 for a #PF). The instruction is not completed. */
void gmem_inject(struct vcpu *v, const struct gmem_fault *f);

#endif
