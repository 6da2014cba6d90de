; boot.asm: Multiboot (v1) header and the 32-bit entry that switches to long mode.
;
; The loader (QEMU -kernel, or the hv) enters boot_entry in 32-bit protected mode,
; paging off, EAX = 0x2BADB002, EBX = physical address of the Multiboot info.
; We build a throw-away identity map of the first 1 GiB (2 MiB pages), enable
; PAE + long mode + paging, load a 64-bit GDT and jump to kmain(magic, info).
; C code (vm.c) replaces these tables with its own right away.

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000003          ; bit 0: page-align modules, bit 1: memory info
MB_CHECKSUM     equ -(MB_MAGIC + MB_FLAGS)

BOOT_STACK_SIZE equ 16384

section .multiboot progbits alloc noexec nowrite align=4
        dd MB_MAGIC
        dd MB_FLAGS
        dd MB_CHECKSUM

section .boot progbits alloc exec nowrite align=16
bits 32
global boot_entry
extern kmain

; boot_entry: inputs EAX = Multiboot magic, EBX = info pointer. Never returns.
boot_entry:
        cli
        cld
        mov     esp, boot_stack_top
        mov     edi, eax                ; keep magic and info for kmain (SysV arg regs)
        mov     esi, ebx

        ; PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (present, writable, large)
        mov     eax, boot_pdpt
        or      eax, 3
        mov     [boot_pml4], eax
        mov     eax, boot_pd
        or      eax, 3
        mov     [boot_pdpt], eax
        xor     ecx, ecx
.fill:  mov     eax, ecx
        shl     eax, 21
        or      eax, 0x83
        mov     [boot_pd + ecx * 8], eax
        mov     dword [boot_pd + ecx * 8 + 4], 0
        inc     ecx
        cmp     ecx, 512
        jne     .fill

        mov     eax, cr4
        or      eax, 1 << 5             ; PAE
        mov     cr4, eax
        ; CR4.OSXSAVE where the CPU has XSAVE: XSETBV and XGETBV become
        ; instructions (privileged ones: ring 3 gets #GP, not #UD).
        mov     eax, 1
        cpuid                           ; clobbers EBX-EDX (magic, info are in EDI, ESI)
        test    ecx, 1 << 26            ; CPUID.1:ECX.XSAVE
        jz      .no_xsave
        mov     eax, cr4
        or      eax, 1 << 18            ; OSXSAVE
        mov     cr4, eax
.no_xsave:
        mov     eax, boot_pml4
        mov     cr3, eax
        mov     ecx, 0xC0000080         ; IA32_EFER
        rdmsr
        or      eax, 1 << 8             ; LME
        wrmsr
        mov     eax, cr0
        or      eax, (1 << 31) | (1 << 18) | (1 << 16) | 1   ; PG, AM, WP, PE (AM: EFLAGS.AC checks ring 3)
        and     eax, ~((1 << 30) | (1 << 29))    ; caches on (CD, NW off)
        mov     cr0, eax

        lgdt    [boot_gdt_ptr]
        jmp     0x08:long_entry

bits 64
long_entry:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        xor     ax, ax
        mov     fs, ax
        mov     gs, ax
        mov     rsp, boot_stack_top
        xor     rbp, rbp
        ; rdi = magic, rsi = info (upper halves are zero from the 32-bit moves)
        mov     edi, edi
        mov     esi, esi
        call    kmain
.hang:  cli
        hlt
        jmp     .hang

section .rodata
align 16
boot_gdt:
        dq 0
        dq 0x00AF9A000000FFFF           ; 0x08: kernel code, 64-bit
        dq 0x00CF92000000FFFF           ; 0x10: kernel data
boot_gdt_end:
boot_gdt_ptr:
        dw boot_gdt_end - boot_gdt - 1
        dq boot_gdt

section .bss
align 4096
boot_pml4:      resb 4096
boot_pdpt:      resb 4096
boot_pd:        resb 4096
global boot_stack_top
boot_stack:     resb BOOT_STACK_SIZE
boot_stack_top:
