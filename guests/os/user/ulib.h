/* ulib.h: what user programs get: system call wrappers and printf. */
#ifndef OS_ULIB_H
#define OS_ULIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errno.h"
#include "klib.h"
#include "sysnr.h"

int main(const char *args);

/* Raw system call: int 0x80, number in rax, arguments in rdi, rsi, rdx, r10. */
int64_t sys_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

void u_exit(int status) __attribute__((noreturn));
static inline void u_yield(void) { sys_call(SYS_YIELD, 0, 0, 0, 0); }
static inline void u_sleep(uint64_t ms) { sys_call(SYS_SLEEP, ms, 0, 0, 0); }
static inline int64_t u_page_alloc(uint64_t n) { return sys_call(SYS_PAGE_ALLOC, n, 0, 0, 0); }
static inline int64_t u_page_free(uint64_t va, uint64_t n) { return sys_call(SYS_PAGE_FREE, va, n, 0, 0); }
static inline int64_t u_port_grant(uint16_t f, uint16_t l) { return sys_call(SYS_PORT_GRANT, f, l, 0, 0); }
static inline int64_t u_port_release(uint16_t f, uint16_t l) { return sys_call(SYS_PORT_RELEASE, f, l, 0, 0); }
static inline int64_t u_irq_attach(unsigned irq) { return sys_call(SYS_IRQ_ATTACH, irq, 0, 0, 0); }
static inline int64_t u_irq_detach(unsigned irq) { return sys_call(SYS_IRQ_DETACH, irq, 0, 0, 0); }
static inline int64_t u_send(int pid, const struct umsg *m) { return sys_call(SYS_SEND, (uint64_t)pid, (uint64_t)m, 0, 0); }
static inline int64_t u_recv(struct umsg *m) { return sys_call(SYS_RECV, (uint64_t)m, 0, 0, 0); }
static inline int64_t u_sem_create(int count) { return sys_call(SYS_SEM_CREATE, (uint64_t)count, 0, 0, 0); }
static inline int64_t u_sem_wait(int id) { return sys_call(SYS_SEM_WAIT, (uint64_t)id, 0, 0, 0); }
static inline int64_t u_sem_post(int id) { return sys_call(SYS_SEM_POST, (uint64_t)id, 0, 0, 0); }
static inline int64_t u_write(const void *b, uint64_t n) { return sys_call(SYS_WRITE, (uint64_t)b, n, 0, 0); }
static inline int64_t u_read(void *b, uint64_t n) { return sys_call(SYS_READ, (uint64_t)b, n, 0, 0); }
static inline int64_t u_disk_read(uint64_t lba, uint64_t n, void *b) { return sys_call(SYS_DISK_READ, lba, n, (uint64_t)b, 0); }
static inline int64_t u_disk_write(uint64_t lba, uint64_t n, const void *b) { return sys_call(SYS_DISK_WRITE, lba, n, (uint64_t)b, 0); }
static inline int u_getpid(void) { return (int)sys_call(SYS_GETPID, 0, 0, 0, 0); }
static inline uint64_t u_time(void) { return (uint64_t)sys_call(SYS_TIME, 0, 0, 0, 0); }
static inline uint64_t u_cputime(void) { return (uint64_t)sys_call(SYS_CPUTIME, 0, 0, 0, 0); }
static inline int64_t u_job_done(void) { return sys_call(SYS_JOB_DONE, 0, 0, 0, 0); }
static inline int64_t u_spawn(const char *name, const char *args, uint64_t period_ms, uint64_t wcet_ms)
{ return sys_call(SYS_SPAWN, (uint64_t)name, (uint64_t)args, period_ms, wcet_ms); }
static inline int64_t u_shm_map(unsigned key) { return sys_call(SYS_SHM_MAP, key, 0, 0, 0); }
static inline int64_t u_task_info(struct task_info *ti) { return sys_call(SYS_TASK_INFO, (uint64_t)ti, 0, 0, 0); }

/* printf to the console; one write system call per call (lines stay whole). */
int u_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Splits the next space-separated word of *s into w (size n); returns false at the end. */
bool u_word(const char **s, char *w, unsigned n);
/* FNV-1a 32-bit checksum over n bytes, continuing from h (start: 0x811c9dc5). */
uint32_t u_fnv(uint32_t h, const void *p, uint64_t n);

#endif
