; The application processors' start-up code (hv/smp.c copies it to the
; page boot_info.ap_trampoline, below 1 MiB, and fills in its parameters).
;
; A STARTUP IPI with vector VV starts an AP in real mode at VV000h: CS =
; VV00h, IP = 0 (SDM "MP Initialization Protocol Algorithm", "Startup IPI
; Message"). From there the standard road to 64-bit mode (SDM
; "Initializing IA-32e Mode"): a flat protected mode first, then PAE, the
; hv's page tables (below 4 GiB: a 32-bit CR3), EFER.LME, paging on, and a
; far jump into a 64-bit code segment. Then the AP takes its own stack and
; calls smp_ap_entry(cpu index); it never comes back.
;
; Position independent: real-mode code addresses itself through CS, the
; rest through the absolute addresses hv/smp.c writes into the parameters.
; The BSP starts one AP at a time, so one parameter block suffices.

bits 16
default abs

section .text

global ap_tramp_start
global ap_tramp_params
global ap_tramp_end
global tramp_gdt
global tramp_pm32
global tramp_lm64

%define OFF(x) ((x) - ap_tramp_start)

ap_tramp_start:
        cli
        cld
        mov     ax, cs
        mov     ds, ax
        xor     ebx, ebx
        mov     bx, ax
        shl     ebx, 4                  ; ebx = the page's linear address, kept to 64-bit mode
        o32 lgdt [OFF(tramp_gdtr)]
        mov     eax, cr0
        or      eax, 1                  ; PE
        mov     cr0, eax
        o32 jmp far [OFF(tramp_far32)]

bits 32
tramp_pm32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     eax, cr4
        or      eax, 1 << 5             ; PAE
        mov     cr4, eax
        mov     eax, [ebx + OFF(p_cr3)]
        mov     cr3, eax
        mov     ecx, 0xc0000080         ; IA32_EFER
        mov     eax, [ebx + OFF(p_efer)]
        xor     edx, edx
        wrmsr
        mov     eax, cr0
        or      eax, 0x80000001         ; PG | PE
        mov     cr0, eax
        jmp     far [ebx + OFF(tramp_far64)]

bits 64
tramp_lm64:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        xor     eax, eax
        mov     fs, ax
        mov     gs, ax
        mov     rsp, [rel p_stack]
        mov     edi, [rel p_cpu]
        mov     rax, [rel p_entry]
        xor     ebp, ebp
        push    rbp                     ; a zero return address: the entry never returns
        jmp     rax

        align   16
; A flat GDT: 0x08 64-bit code, 0x10 data, 0x18 32-bit code.
tramp_gdt:
        dq      0
        dq      0x00af9a000000ffff
        dq      0x00cf92000000ffff
        dq      0x00cf9a000000ffff
tramp_gdt_end:

; The parameters hv/smp.c writes (struct ap_tramp_params, same order).
        align   16
ap_tramp_params:
tramp_gdtr:     dw      tramp_gdt_end - tramp_gdt - 1
p_gdt_base:     dd      0               ; base + OFF(tramp_gdt)
tramp_far32:    dd      0               ; base + OFF(tramp_pm32)
                dw      0x18
tramp_far64:    dd      0               ; base + OFF(tramp_lm64)
                dw      0x08
p_cr3:          dd      0
p_efer:         dd      0
                dd      0
p_stack:        dq      0
p_entry:        dq      0
p_cpu:          dq      0
ap_tramp_end:

section .note.GNU-stack noalloc noexec nowrite progbits
