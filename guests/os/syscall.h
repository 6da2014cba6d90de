/* syscall.h: system call dispatch (int 0x80). Numbers and ABI: sysnr.h. */
#ifndef OS_SYSCALL_H
#define OS_SYSCALL_H

#include <stdint.h>
#include "trap.h"

/* Runs the system call in tf->rax with tf's argument registers; stores the
 * result in tf->rax. */
void syscall_dispatch(struct trapframe *tf);
/* Returns the number of system calls made. */
uint64_t syscall_count(void);

/* Conversions between milliseconds and timer ticks. */
uint64_t syscall_ms_to_ticks(uint64_t ms);
uint64_t syscall_ticks_to_ms(uint64_t ticks);

#endif
