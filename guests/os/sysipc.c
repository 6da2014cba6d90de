/* sysipc.c: send/recv and semaphores.
 *
 * Each process has one receive box of capacity PROC_MBOX_CAP (0: rendezvous,
 * so send is fully synchronous: it returns when the receiver has the
 * message). lib/ipc uses hand-off: a blocked call is completed by the other
 * side, so after proc_switch_out returns the operation is done. */
#include "sysipc.h"
#include "errno.h"
#include "irq.h"
#include "klib.h"
#include "proc.h"
#include "sysfn.h"
#include "sysnr.h"
#include "vm.h"

struct sysipc_sem {
	bool used;
	struct sem sem;
};

static struct sysipc_sem sysipc_sems[SYSIPC_SEMS];
static unsigned sysipc_nsems;
static uint64_t sysipc_msgs;

void sysipc_proc_gone(struct proc *p)
{
	struct sched_task *t;
	while ((t = waitq_peek(&p->mbox.senders)) != NULL) {
		((struct proc *)t->owner)->ipc_error = -ESRCH;
		sched_wake(&proc_sched, t, proc_now());
	}
	if (p->sem_waiting >= 0 && p->task.state == SCHED_READY)
		sem_post(&proc_sched, &sysipc_sems[p->sem_waiting].sem);
}

unsigned sysipc_sem_count(void)
{
	return sysipc_nsems;
}

uint64_t sysipc_msg_count(void)
{
	return sysipc_msgs;
}

SYSFN(sys_send)
{
	struct proc *to = proc_by_pid((int)a0);
	struct umsg um;
	if (!to || to->kernel)
		return -ESRCH;
	if (vm_copy_in(p->root, &um, a1, sizeof(um)) < 0)
		return -EFAULT;
	memcpy(p->msgbuf.w, um.w, sizeof(um.w));
	p->ipc_error = 0;
	if (mbox_send(&proc_sched, &to->mbox, &p->task, &p->msgbuf) == 1)
		proc_switch_out();
	if (p->ipc_error)
		return p->ipc_error;
	sysipc_msgs++;
	return 0;
}

/* Delivers a pending (coalesced) IRQ as a message, if any. */
static bool sysipc_take_irq(struct proc *p, struct msg *m)
{
	for (unsigned i = 0; i < IRQ_LINES; i++) {
		if (p->irq_pending & (1u << i)) {
			p->irq_pending &= (uint16_t)~(1u << i);
			*m = (struct msg){ .from = -1, .w = { IRQ_MSG_TAG, i, 0, 0 } };
			return true;
		}
	}
	return false;
}

SYSFN(sys_recv)
{
	if (!sysipc_take_irq(p, &p->msgbuf) &&
	    mbox_recv(&proc_sched, &p->mbox, &p->task, &p->msgbuf) == 1)
		proc_switch_out();
	struct umsg um = { .from = p->msgbuf.from };   /* task id == pid */
	memcpy(um.w, p->msgbuf.w, sizeof(um.w));
	return vm_copy_out(p->root, a0, &um, sizeof(um)) < 0 ? -EFAULT : um.from;
}

SYSFN(sys_sem_create)
{
	for (int i = 0; i < SYSIPC_SEMS; i++) {
		if (!sysipc_sems[i].used) {
			sysipc_sems[i].used = true;
			sem_init(&sysipc_sems[i].sem, (int)a0);
			sysipc_nsems++;
			return i;
		}
	}
	return -ENOMEM;
}

static struct sem *sysipc_sem(uint64_t id)
{
	return id < SYSIPC_SEMS && sysipc_sems[id].used ? &sysipc_sems[id].sem : NULL;
}

SYSFN(sys_sem_wait)
{
	struct sem *s = sysipc_sem(a0);
	if (!s)
		return -EINVAL;
	if (sem_wait(&proc_sched, s, &p->task) == 1) {
		p->sem_waiting = (int)a0;
		proc_switch_out();
		p->sem_waiting = -1;
	}
	return 0;
}

SYSFN(sys_sem_post)
{
	struct sem *s = sysipc_sem(a0);
	if (!s)
		return -EINVAL;
	sem_post(&proc_sched, s);
	return 0;
}
