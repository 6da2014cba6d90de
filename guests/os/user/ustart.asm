; ustart.asm: entry of every user program (first bytes of the image).
; Inputs: rdi = argument string (on the user stack), rsi = pid, rsp = just
; below the argument string. Calls main(args) and exits with its result.
bits 64
section .text.start
global _start
extern main
_start:
        and     rsp, -16
        call    main
        mov     rdi, rax
        xor     eax, eax                ; SYS_EXIT
        int     0x80
.hang:  jmp     .hang
