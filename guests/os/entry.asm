; entry.asm: interrupt/exception/system-call entry stubs, the common trap path,
; and the kernel context switch.
;
; Every vector we install gets a stub that pushes a dummy error code (unless the
; CPU pushed one) and the vector number, then jumps to trap_common, which saves
; the general registers into a struct trapframe (trap.h) and calls
; trap_dispatch(tf). All gates are interrupt gates, so IF = 0 in the kernel:
; the kernel is not preemptible (one CPU, no locks); only ring 3 is preempted.

bits 64
%include "x86.inc"
section .text

extern trap_dispatch

; One stub per installed vector: 0-47 (exceptions and PIC IRQs), 0x80, 0xff.
%assign v 0
%rep 256
%if v < 48 || v == 128 || v == 255
trap_stub_%[v]:
        ISR_STUB v, trap_common
%endif
%assign v v + 1
%endrep

; trap_stubs: table of stub addresses, index = vector (0 where none).
section .rodata
align 8
global trap_stubs
trap_stubs:
%assign v 0
%rep 256
%if v < 48 || v == 128 || v == 255
        dq trap_stub_%[v]
%else
        dq 0
%endif
%assign v v + 1
%endrep

section .text
; trap_common: stack holds vector, error code and the CPU's iret frame.
; Saves registers (trapframe layout in trap.h), calls trap_dispatch(rsp).
trap_common:
        ISR_SAVE_GPRS
        cld
        mov     rdi, rsp
        call    trap_dispatch
global trap_return
; trap_return: rsp points at a trapframe; restores it and returns with iretq.
; New processes start here (their kernel stack is prepared by proc.c).
trap_return:
        ISR_RESTORE_GPRS
        add     rsp, 16                 ; vector and error code
        iretq

; void ctx_switch(uint64_t *save_rsp, uint64_t new_rsp)
; Saves the callee-saved registers on the current stack, stores rsp in
; *save_rsp, loads new_rsp and pops the other context's registers.
; Clobbers: caller-saved registers (it is a normal C call).
global ctx_switch
ctx_switch:
        SAVE_CALLEE_SAVED
        mov     [rdi], rsp
        mov     rsp, rsi
        RESTORE_CALLEE_SAVED
        ret

; ctx_kthread_start: first "return address" of a kernel thread. r12 = function,
; r13 = its argument; calls fn(arg) with interrupts still off (kernel style)
; and then proc_exit_current(0), which does not return.
extern proc_exit_current
global ctx_kthread_start
ctx_kthread_start:
        mov     rdi, r13
        call    r12
        xor     edi, edi
        call    proc_exit_current
.hang:  hlt
        jmp     .hang
