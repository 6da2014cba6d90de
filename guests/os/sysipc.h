/* sysipc.h: message passing and semaphores for processes (lib/ipc underneath). */
#ifndef OS_SYSIPC_H
#define OS_SYSIPC_H

#include <stdint.h>

#define SYSIPC_SEMS 32

struct proc;

/* Cleans up p's IPC state before it dies: senders blocked on its box fail
 * with -ESRCH; a semaphore unit handed to it but not yet used goes back. */
void sysipc_proc_gone(struct proc *p);
/* Returns the number of semaphores created. */
unsigned sysipc_sem_count(void);
/* Returns the number of messages delivered. */
uint64_t sysipc_msg_count(void);

#endif
