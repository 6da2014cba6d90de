/* proc.c: process table, creation, exit/kill and the scheduler loop.
 *
 * Switching is xv6-style: a process gives up the CPU by ctx_switch to the
 * scheduler loop (proc_run, on the boot stack), which asks lib/sched for the
 * next task and switches to it. The kernel is not preemptible: timer
 * preemption happens only when the tick interrupted ring 3 (proc_tick), and
 * a process inside the kernel leaves the CPU only where it blocks. */
#include "proc.h"
#include "console.h"
#include "errno.h"
#include "gdt.h"
#include "io.h"
#include "irq.h"
#include "klib.h"
#include "mem.h"
#include "ports.h"
#include "progs.h"
#include "sysipc.h"
#include "sysmem.h"
#include "trap.h"
#include "vm.h"

struct sched proc_sched;
static struct proc *proc_table[PROC_MAX];
static struct proc *proc_cur;
static uint64_t proc_ticks, proc_sched_rsp;
static int proc_next_pid = 1;
static struct proc_stats proc_st;

void proc_init(enum sched_policy pol, uint64_t quantum)
{
	sched_init(&proc_sched, pol, quantum);
}

struct proc *proc_current(void)
{
	return proc_cur;
}

uint64_t proc_now(void)
{
	return proc_ticks;
}

struct proc *proc_slot(int i)
{
	return (i >= 0 && i < PROC_MAX) ? proc_table[i] : NULL;
}

struct proc *proc_by_pid(int pid)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (proc_table[i] && proc_table[i]->pid == pid && !proc_table[i]->zombie)
			return proc_table[i];
	return NULL;
}

/* Returns a new process struct with a kernel stack, in a free slot, or NULL. */
static struct proc *proc_alloc(const char *name, const char *args)
{
	int slot = -1;
	for (int i = 0; i < PROC_MAX && slot < 0; i++)
		if (!proc_table[i])
			slot = i;
	if (slot < 0)
		return NULL;
	struct proc *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	if (mem_alloc(KSTACK_ORDER, &p->kstack) < 0) {
		kfree(p);
		return NULL;
	}
	p->pid = proc_next_pid++;
	lib_strlcpy(p->name, name, sizeof(p->name));
	lib_strlcpy(p->args, args ? args : "", sizeof(p->args));
	p->sem_waiting = -1;
	p->heap_next = USER_HEAP_BASE;
	p->start_tick = proc_ticks;
	mbox_init(&p->mbox, PROC_MBOX_CAP);
	proc_table[slot] = p;
	return p;
}

static void proc_free_struct(struct proc *p)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (proc_table[i] == p)
			proc_table[i] = NULL;
	mem_free(p->kstack, KSTACK_ORDER);
	kfree(p);
}

/* Lays out p's kernel stack so the first ctx_switch to it "returns" to ret
 * with r12/r13 set, above a trapframe (used by user processes). */
static struct trapframe *proc_prepare_stack(struct proc *p, uint64_t ret, uint64_t r12, uint64_t r13)
{
	uint64_t top = p->kstack + (PAGE_SIZE << KSTACK_ORDER);
	struct trapframe *tf = (struct trapframe *)top - 1;
	memset(tf, 0, sizeof(*tf));
	uint64_t *sp = (uint64_t *)tf;
	*--sp = ret;
	*--sp = 0;                  /* rbp */
	*--sp = 0;                  /* rbx */
	*--sp = r12;
	*--sp = r13;
	*--sp = 0;                  /* r14 */
	*--sp = 0;                  /* r15 */
	p->ctx_rsp = (uint64_t)sp;
	return tf;
}

/* Maps n fresh zeroed pages at va (copying src bytes, if any, into them).
 * Returns 0 or -ENOMEM (pages mapped so far stay, vm_destroy frees them). */
static int proc_map_fresh(struct proc *p, uint64_t va, unsigned n, const uint8_t *src, uint64_t len)
{
	for (unsigned i = 0; i < n; i++, va += PAGE_SIZE) {
		uint64_t pa;
		if (mem_alloc(0, &pa) < 0)
			return -ENOMEM;
		if (vm_map(p->root, va, pa, true) < 0) {
			mem_free(pa, 0);
			return -ENOMEM;
		}
		p->pages++;
		uint64_t off = (uint64_t)i * PAGE_SIZE;
		if (src && off < len)
			memcpy((void *)pa, src + off, len - off < PAGE_SIZE ? len - off : PAGE_SIZE);
	}
	return 0;
}

/* Builds p's address space: program image at USER_BASE, stack below
 * USER_STACK_TOP with the argument string on top. Returns 0 or -ENOMEM. */
static int proc_load(struct proc *p, const struct prog *prog, uint64_t *arg_va)
{
	uint64_t len = (uint64_t)(prog->end - prog->start);
	if (vm_create(&p->root) < 0)
		return -ENOMEM;
	if (proc_map_fresh(p, USER_BASE, (unsigned)((len + PAGE_SIZE - 1) / PAGE_SIZE), prog->start, len) < 0)
		return -ENOMEM;
	uint64_t stack_base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;
	if (proc_map_fresh(p, stack_base, USER_STACK_PAGES, NULL, 0) < 0)
		return -ENOMEM;
	*arg_va = USER_STACK_TOP - ALIGN_UP(PROC_ARGS_MAX, 16);
	return vm_copy_out(p->root, *arg_va, p->args, sizeof(p->args)) < 0 ? -ENOMEM : 0;
}

static void proc_start(struct proc *p, int prio, uint64_t period, uint64_t deadline, uint64_t wcet)
{
	sched_task_init(&p->task, p->pid, prio, period, deadline, wcet);
	p->task.owner = p;
	sched_add(&proc_sched, &p->task, proc_ticks);
	proc_st.spawned++;
}

int proc_spawn(const char *name, const char *args, uint64_t period_t, uint64_t deadline_t,
	       uint64_t wcet_t, int ppid)
{
	const struct prog *prog = progs_find(name);
	if (!prog)
		return -ENOENT;
	struct proc *p = proc_alloc(name, args);
	if (!p)
		return -ENOMEM;
	p->ppid = ppid;
	uint64_t arg_va;
	if (proc_load(p, prog, &arg_va) < 0) {
		if (p->root)
			vm_destroy(p->root, sysmem_release_page, p);
		proc_free_struct(p);
		return -ENOMEM;
	}
	struct trapframe *tf = proc_prepare_stack(p, (uint64_t)trap_return, 0, 0);
	tf->rip = USER_BASE;
	tf->cs = SEL_UCODE;
	tf->rflags = 0x202;         /* IF on, IOPL 0: ports only via the TSS bitmap */
	tf->rsp = arg_va;
	tf->ss = SEL_UDATA;
	tf->rdi = arg_va;
	tf->rsi = (uint64_t)p->pid;
	proc_start(p, period_t ? 1 : 0, period_t, deadline_t, wcet_t);
	return p->pid;
}

int proc_kthread(const char *name, void (*fn)(void *), void *arg)
{
	struct proc *p = proc_alloc(name, "");
	if (!p)
		return -ENOMEM;
	p->kernel = true;
	p->root = vm_kernel_root();
	proc_prepare_stack(p, (uint64_t)ctx_kthread_start, (uint64_t)fn, (uint64_t)arg);
	proc_start(p, 0, 0, 0, 0);
	return p->pid;
}

void proc_switch_out(void)
{
	ctx_switch(&proc_cur->ctx_rsp, proc_sched_rsp);
}

void proc_yield(void)
{
	sched_yield(&proc_sched);
	proc_switch_out();
}

void proc_sleep_until(uint64_t tick)
{
	sched_sleep_until(&proc_sched, &proc_cur->task, tick);
	proc_switch_out();
}

void proc_block_on(struct waitq *q)
{
	sched_block_on(&proc_sched, &proc_cur->task, q, NULL);
	proc_switch_out();
}

void proc_wake_all(struct waitq *q)
{
	waitq_wake_all(&proc_sched, q);
}

void proc_tick(bool from_user)
{
	proc_ticks++;
	proc_st.ticks++;
	if (sched_tick(&proc_sched, proc_ticks) && from_user && proc_cur)
		proc_switch_out();
}

/* Gives back everything p holds except its kernel stack and struct. */
static void proc_release(struct proc *p)
{
	sysipc_proc_gone(p);
	sched_remove(&proc_sched, &p->task);
	ports_release_all(p);
	irq_release_all(p);
	if (!p->kernel && p->root) {
		if (cpu_read_cr3() == p->root)
			cpu_write_cr3(vm_kernel_root());
		vm_destroy(p->root, sysmem_release_page, p);
		p->root = 0;
	}
}

void proc_exit_current(int status)
{
	struct proc *p = proc_cur;
	if (!p)
		panic("proc_exit_current: no process");
	p->exit_status = status;
	kprintf("[os] pid %d (%s) exited, status %d\n", p->pid, p->name, status);
	proc_release(p);
	p->zombie = true;
	proc_st.exited++;
	ctx_switch(&p->ctx_rsp, proc_sched_rsp);
	panic("proc_exit_current: zombie ran");
}

int proc_kill(int pid, const char *why)
{
	struct proc *p = proc_by_pid(pid);
	if (!p)
		return -ESRCH;
	if (p->kernel)
		return -EPERM;
	proc_st.killed++;
	if (p == proc_cur || p->disk_busy) {
		/* It is inside the kernel: it dies on its way back to ring 3. */
		p->killed = true;
		kprintf("[os] pid %d (%s) killed (%s), when its transfer ends\n", p->pid, p->name, why);
		return 0;
	}
	kprintf("[os] pid %d (%s) killed: %s\n", p->pid, p->name, why);
	proc_release(p);
	proc_free_struct(p);
	return 0;
}

void proc_check_killed(void)
{
	if (proc_cur && proc_cur->killed)
		proc_exit_current(-9);
}

/* Makes p the running process: its kernel stack for traps, its page tables,
 * its I/O ports. */
static void proc_enter(struct proc *p)
{
	proc_cur = p;
	gdt_set_kernel_stack(p->kstack + (PAGE_SIZE << KSTACK_ORDER));
	if (cpu_read_cr3() != p->root)
		cpu_write_cr3(p->root);
	ports_enter(p);
}

static void proc_reap(void)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (proc_table[i] && proc_table[i]->zombie)
			proc_free_struct(proc_table[i]);
}

void proc_run(void)
{
	for (;;) {
		struct sched_task *t = sched_pick(&proc_sched, proc_ticks);
		if (!t) {
			proc_st.idle_halts++;
			cpu_sti_hlt();
			cpu_cli();
			continue;
		}
		struct proc *p = t->owner;
		proc_enter(p);
		ctx_switch(&proc_sched_rsp, p->ctx_rsp);
		if (!p->zombie)
			ports_leave(p);
		proc_cur = NULL;
		proc_reap();
	}
}

void proc_get_stats(struct proc_stats *st)
{
	*st = proc_st;
	st->switches = proc_sched.switches;
}

void proc_halt_system(void)
{
	cpu_cli();
	for (;;)
		cpu_hlt();
}
