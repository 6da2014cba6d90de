/*
 * Unit tests for hv/gwalk.c: the guest page walker, on synthetic page
 * tables in a fake guest RAM. Entries are written by hand from the SDM's
 * formats ("Formats of CR3 and Paging-Structure Entries").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "gwalk.h"

#define RAM_BYTES (1u << 20)
#define P   0x1ull
#define RW  0x2ull
#define US  0x4ull
#define A   0x20ull
#define D   0x40ull
#define PS  0x80ull
#define XD  (1ull << 63)

#define CR0_PG   (1ull << 31)
#define CR0_WP   (1ull << 16)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static uint8_t ram[RAM_BYTES] __attribute__((aligned(4096)));
static unsigned reads;

static void *mem(void *ctx, uint64_t gpa, unsigned bytes)
{
	(void)ctx;
	reads++;
	return gpa + bytes <= RAM_BYTES ? &ram[gpa] : NULL;
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(&ram[gpa], &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(&ram[gpa], &v, 4); }
static uint64_t get64(uint64_t gpa) { uint64_t v; memcpy(&v, &ram[gpa], 8); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, &ram[gpa], 4); return v; }

static struct gwalk_cpu cpu;

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	memset(&cpu, 0, sizeof(cpu));
	cpu.maxphyaddr = 36;
	cpu.gb_pages = true;
	reads = 0;
	return 0;
}

static enum gwalk_result walk(uint64_t lin, unsigned access, struct gwalk_out *o)
{
	return gwalk(&cpu, lin, access, mem, NULL, o);
}

/* Asserts a fault with error code err. */
static void assert_fault(uint64_t lin, unsigned access, uint32_t err)
{
	struct gwalk_out o;
	enum gwalk_result r = walk(lin, access, &o);

	if (r != GWALK_FAULT || o.err != err)
		print_error("linear 0x%llx access 0x%x: result %d err 0x%x, want fault 0x%x\n",
			    (unsigned long long)lin, access, r, o.err, err);
	assert_int_equal(r, GWALK_FAULT);
	assert_int_equal(o.err, err);
}

static uint64_t translate(uint64_t lin, unsigned access)
{
	struct gwalk_out o;

	assert_int_equal(walk(lin, access, &o), GWALK_OK);
	return o.gpa;
}

/* ---- no paging, 32-bit paging --------------------------------------- */

static void test_paging_off_is_identity_on_32_bits(void **state)
{
	(void)state;
	assert_int_equal(translate(0x1234, 0), 0x1234);
	assert_int_equal(translate(0x100000fffull, GWALK_WRITE), 0xfff);
	assert_int_equal(reads, 0);
}

/* 32-bit paging: CR3 0x1000, PD at 0x1000, PT at 0x2000: 0x00401000 -> 0x5000. */
static void map32_4k(uint32_t pde_flags, uint32_t pte_flags)
{
	cpu.cr0 = CR0_PG;
	cpu.cr3 = 0x1000;
	put32(0x1000 + 1 * 4, 0x2000 | pde_flags);
	put32(0x2000 + 1 * 4, 0x5000 | pte_flags);
}

static void test_32bit_paging_4k_page_sets_accessed_and_dirty(void **state)
{
	struct gwalk_out o;

	(void)state;
	map32_4k(P | RW, P | RW);
	assert_int_equal(walk(0x00401abc, 0, &o), GWALK_OK);
	assert_int_equal(o.gpa, 0x5abc);
	assert_int_equal(o.page_bytes, 4096);
	assert_int_equal(get32(0x1004), 0x2000 | P | RW | A);
	assert_int_equal(get32(0x2004), 0x5000 | P | RW | A);     /* a read: not dirty */
	assert_int_equal(translate(0x00401000, GWALK_WRITE), 0x5000);
	assert_int_equal(get32(0x2004), 0x5000 | P | RW | A | D);
	assert_int_equal(get32(0x1004), 0x2000 | P | RW | A);     /* D only on the leaf */
}

static void test_no_ad_leaves_the_flags_alone(void **state)
{
	(void)state;
	map32_4k(P | RW, P | RW);
	assert_int_equal(translate(0x00401000, GWALK_WRITE | GWALK_NO_AD), 0x5000);
	assert_int_equal(get32(0x1004), 0x2000 | P | RW);
	assert_int_equal(get32(0x2004), 0x5000 | P | RW);
}

static void test_32bit_paging_4m_page_needs_cr4_pse(void **state)
{
	(void)state;
	cpu.cr0 = CR0_PG;
	cpu.cr3 = 0x1000;
	put32(0x1000 + 2 * 4, 0x00400000u | 0x3000 | P | RW | PS);    /* 8 MiB -> 4 MiB, bits 12-13 = PAT, 0 */
	/* Without PSE the PS bit is ignored: the entry points at a page table (0x403000 is past RAM). */
	struct gwalk_out o;
	assert_int_equal(walk(0x00812345, 0, &o), GWALK_NO_RAM);
	assert_int_equal(o.gpa, 0x00403000 + 0x12 * 4);
	cpu.cr4 = CR4_PSE;
	put32(0x1000 + 2 * 4, 0x00400000u | P | RW | PS);
	assert_int_equal(walk(0x00812345, 0, &o), GWALK_OK);
	assert_int_equal(o.gpa, 0x00412345);
	assert_int_equal(o.page_bytes, 4u << 20);
}

static void test_32bit_4m_page_pse36_and_reserved_bit_21(void **state)
{
	(void)state;
	cpu.cr0 = CR0_PG;
	cpu.cr3 = 0x1000;
	cpu.cr4 = CR4_PSE;
	put32(0x1000, 0x00c00000u | (0x3u << 13) | P | PS);           /* address bits 33:32 = 3 */
	assert_int_equal(translate(0x1234, 0), 0x300c01234ull);
	put32(0x1000, 0x00c00000u | (0x10u << 13) | P | PS);          /* bit 36: above MAXPHYADDR 36 */
	assert_fault(0x1234, 0, PF_P | PF_RSVD);
	put32(0x1000, 0x00c00000u | (1u << 21) | P | PS);
	assert_fault(0x1234, GWALK_WRITE, PF_P | PF_RSVD | PF_W);
}

static void test_not_present_entries_fault_with_the_access_bits(void **state)
{
	(void)state;
	map32_4k(P | RW | US, RW | US);                          /* PTE not present */
	assert_fault(0x00401000, GWALK_WRITE | GWALK_USER, PF_W | PF_U);
	map32_4k(RW | US, P | RW | US);                          /* PDE not present */
	assert_fault(0x00401000, 0, 0);
	/* Nothing was marked accessed on the way to a fault. */
	assert_int_equal(get32(0x1004), 0x2000 | RW | US);
}

static void test_rights_accumulate_over_levels(void **state)
{
	(void)state;
	/* The PDE is supervisor-only: a user access faults though the PTE allows it. */
	map32_4k(P | RW, P | RW | US);
	assert_fault(0x00401000, GWALK_USER, PF_P | PF_U);
	/* The PDE is read-only: a supervisor write passes while CR0.WP = 0 and faults with WP. */
	map32_4k(P | US, P | RW | US);
	assert_int_equal(translate(0x00401000, GWALK_WRITE), 0x5000);
	cpu.cr0 |= CR0_WP;
	assert_fault(0x00401000, GWALK_WRITE, PF_P | PF_W);
	assert_fault(0x00401000, GWALK_WRITE | GWALK_USER, PF_P | PF_W | PF_U);
	assert_int_equal(translate(0x00401000, GWALK_USER), 0x5000);
}

static void test_smep_and_smap(void **state)
{
	(void)state;
	map32_4k(P | RW | US, P | RW | US);                      /* a user page */
	cpu.cr4 = CR4_SMEP;
	assert_fault(0x00401000, GWALK_FETCH, PF_P | PF_I);
	assert_int_equal(translate(0x00401000, GWALK_FETCH | GWALK_USER), 0x5000);
	assert_int_equal(translate(0x00401000, 0), 0x5000);      /* SMEP: data access fine */
	cpu.cr4 = CR4_SMAP;
	assert_fault(0x00401000, GWALK_WRITE, PF_P | PF_W);
	assert_int_equal(translate(0x00401000, GWALK_WRITE | GWALK_AC), 0x5000);
	assert_int_equal(translate(0x00401000, GWALK_USER), 0x5000);
	assert_int_equal(translate(0x00401000, GWALK_FETCH), 0x5000);   /* SMAP: fetches are SMEP's */
}

static void test_a_table_outside_ram_is_reported_not_walked(void **state)
{
	struct gwalk_out o;

	(void)state;
	cpu.cr0 = CR0_PG;
	cpu.cr3 = 0x7ffff000;
	assert_int_equal(walk(0x00400000, 0, &o), GWALK_NO_RAM);
	assert_int_equal(o.gpa, 0x7ffff000 + 4);
}

/* ---- PAE ---------------------------------------------------------------- */

static void test_pae_uses_the_pdpte_registers_and_2m_pages(void **state)
{
	(void)state;
	cpu.cr0 = CR0_PG;
	cpu.cr4 = CR4_PAE;
	cpu.efer = EFER_NXE;
	cpu.pdpte[1] = 0x3000 | P;                               /* 1-2 GiB */
	put64(0x3000 + 2 * 8, 0x00200000 | P | RW | PS);        /* PD[2]: 2 MiB page at 2 MiB */
	put64(0x3000 + 3 * 8, 0x4000 | P | RW);                  /* PD[3]: page table */
	put64(0x4000 + 5 * 8, 0x9000 | P | RW | XD);
	assert_int_equal(translate(0x40400000 + 0x1234, 0), 0x00201234);
	assert_int_equal(get64(0x3010), 0x00200000 | P | RW | PS | A);
	assert_int_equal(translate(0x40600000 + 0x5000 + 0x10, 0), 0x9010);
	/* Execute-disable with NXE: a fetch faults with I/D. */
	assert_fault(0x40605000, GWALK_FETCH, PF_P | PF_I);
	/* A PDPTE register that is not present: a not-present fault, nothing read. */
	reads = 0;
	assert_fault(0x00001000, GWALK_WRITE, PF_W);
	assert_int_equal(reads, 0);
	/* XD without EFER.NXE is a reserved bit. */
	cpu.efer = 0;
	assert_fault(0x40605000, 0, PF_P | PF_RSVD);
	/* A 2 MiB page with bits 20:13 set. */
	put64(0x3000 + 2 * 8, 0x00200000 | 0x2000 | P | PS);
	assert_fault(0x40400000, 0, PF_P | PF_RSVD);
}

/* ---- 4-level ------------------------------------------------------------ */

/* PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 for linear 0x0000_7f80_4020_3000 + offset. */
#define LIN4 ((0xffull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12))

static void map64(void)
{
	cpu.cr0 = CR0_PG | CR0_WP;
	cpu.cr4 = CR4_PAE;
	cpu.efer = EFER_LMA | EFER_NXE;
	cpu.cr3 = 0x1000 | 0x5;                                  /* PCID / flags in bits 11:0 */
	put64(0x1000 + 0xff * 8, 0x2000 | P | RW | US);
	put64(0x2000 + 1 * 8, 0x3000 | P | RW | US);
	put64(0x3000 + 1 * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 3 * 8, 0x8000 | P | RW | US);
}

static void test_4level_4k_page(void **state)
{
	struct gwalk_out o;

	(void)state;
	map64();
	assert_int_equal(walk(LIN4 + 0x123, GWALK_WRITE | GWALK_USER, &o), GWALK_OK);
	assert_int_equal(o.gpa, 0x8123);
	assert_int_equal(get64(0x1000 + 0xff * 8) & (A | D), A);
	assert_int_equal(get64(0x4000 + 3 * 8) & (A | D), A | D);
	/* The canonical upper half walks PML4 entry 511. */
	assert_true(gwalk_canonical(0xffff800000000000ull));
	assert_false(gwalk_canonical(0x0000800000000000ull));
	assert_true(gwalk_canonical(0x00007fffffffffffull));
}

static void test_4level_large_pages_and_their_reserved_bits(void **state)
{
	(void)state;
	map64();
	put64(0x3000 + 1 * 8, 0x00400000 | P | RW | PS);          /* 2 MiB */
	assert_int_equal(translate(LIN4 + 0x10, 0), 0x00400000 + 0x3000 + 0x10);
	put64(0x2000 + 1 * 8, 0x40000000 | P | RW | PS);          /* 1 GiB */
	assert_int_equal(translate(LIN4 + 0x10, 0), 0x40000000 + 0x203010);
	cpu.gb_pages = false;
	assert_fault(LIN4, 0, PF_P | PF_RSVD);
	cpu.gb_pages = true;
	put64(0x2000 + 1 * 8, 0x40000000 | 0x4000 | P | PS);      /* bits 29:13 of a 1 GiB page */
	assert_fault(LIN4, 0, PF_P | PF_RSVD);
	put64(0x1000 + 0xff * 8, 0x2000 | P | RW | US | PS);      /* PS in a PML4 entry */
	assert_fault(LIN4, 0, PF_P | PF_RSVD);
}

static void test_4level_address_bits_above_maxphyaddr_are_reserved(void **state)
{
	(void)state;
	map64();
	put64(0x4000 + 3 * 8, (1ull << 36) | 0x8000 | P | RW);
	assert_fault(LIN4, GWALK_WRITE, PF_P | PF_RSVD | PF_W);
	cpu.maxphyaddr = 39;
	assert_int_equal(translate(LIN4, 0), (1ull << 36) | 0x8000);
}

static void test_4level_user_and_write_rights(void **state)
{
	(void)state;
	map64();
	put64(0x2000 + 1 * 8, 0x3000 | P | US);                  /* PDPT entry read-only */
	assert_fault(LIN4, GWALK_WRITE, PF_P | PF_W);            /* CR0.WP = 1 */
	put64(0x2000 + 1 * 8, 0x3000 | P | RW);                  /* supervisor-only */
	assert_fault(LIN4, GWALK_USER, PF_P | PF_U);
	assert_fault(LIN4, GWALK_FETCH | GWALK_USER, PF_P | PF_U | PF_I);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_paging_off_is_identity_on_32_bits),
		T(test_32bit_paging_4k_page_sets_accessed_and_dirty),
		T(test_no_ad_leaves_the_flags_alone),
		T(test_32bit_paging_4m_page_needs_cr4_pse),
		T(test_32bit_4m_page_pse36_and_reserved_bit_21),
		T(test_not_present_entries_fault_with_the_access_bits),
		T(test_rights_accumulate_over_levels),
		T(test_smep_and_smap),
		T(test_a_table_outside_ram_is_reported_not_walked),
		T(test_pae_uses_the_pdpte_registers_and_2m_pages),
		T(test_4level_4k_page),
		T(test_4level_large_pages_and_their_reserved_bits),
		T(test_4level_address_bits_above_maxphyaddr_are_reserved),
		T(test_4level_user_and_write_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
