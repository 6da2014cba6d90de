; Multiboot (v1) entry for the small 32-bit test guests.
; The loader jumps to _start in 32-bit protected mode, paging off,
; EAX = 0x2BADB002, EBX = Multiboot info. We set a stack and call
; guest_main(magic, info); if it returns, we end through port 0xF4.

bits 32

%define MB_MAGIC 0x1BADB002
%define MB_FLAGS 0x00000002            ; memory info wanted

section .multiboot
align 4
        dd      MB_MAGIC
        dd      MB_FLAGS
        dd      -(MB_MAGIC + MB_FLAGS)

section .text
global _start
extern guest_main
_start:
        mov     esp, stack_top
        push    ebx
        push    eax
        call    guest_main
        mov     dx, 0xf4
        out     dx, al
.hang:  hlt
        jmp     .hang

section .bss
align 16
stack:  resb    16384
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
