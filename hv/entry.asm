; The hv's assembly: stack switch at entry, GDT reload, the VM-exit stub,
; VM entry, and the host exception stubs. Everything else is C.
;
; Offsets into struct vcpu (hv/hv.h); vmx.c checks them with _Static_assert.

bits 64
%include "x86.inc"
default rel

%define VCPU_RAX        0
%define VCPU_RBX        8
%define VCPU_RCX        16
%define VCPU_RDX        24
%define VCPU_RSI        32
%define VCPU_RDI        40
%define VCPU_RBP        48
%define VCPU_R8         56
%define VCPU_R9         64
%define VCPU_R10        72
%define VCPU_R11        80
%define VCPU_R12        88
%define VCPU_R13        96
%define VCPU_R14        104
%define VCPU_R15        112
%define VCPU_EXIT_TSC   120
%define VCPU_RESUME_TSC 128
%define VCPU_HOST_RSP   136
%define VCPU_LAUNCHED   144

section .text

extern hv_main
extern hv_exception

; hv_start(struct boot_info *bi, void *stack_top)
; Switches to the hv's own stack and calls hv_main(bi). Never returns.
; In: rdi = boot_info, rsi = 16-byte aligned stack top.
global hv_start
hv_start:
        cli                             ; the hv runs with interrupts off from its first instruction
        mov     rsp, rsi
        xor     ebp, ebp
        call    hv_main
.hang:  cli
        hlt
        jmp     .hang

; cpu_load_gdt(const struct desc_ptr *gdtr, uint16_t cs, uint16_t ds)
; Loads the GDT and reloads every segment register: CS by a far return.
; In: rdi = gdtr, si = code selector, dx = data selector. Clobbers rax.
global cpu_load_gdt
cpu_load_gdt:
        lgdt    [rdi]
        mov     ds, dx
        mov     es, dx
        mov     ss, dx
        xor     eax, eax
        mov     fs, ax
        mov     gs, ax
        pop     rax                     ; return address
        movzx   rsi, si
        push    rsi
        push    rax
        retfq

; int vmx_run(struct vcpu *v)
; Enters v with VMLAUNCH (v->launched == 0) or VMRESUME, and returns when
; it leaves: 0 after a VM exit (v's general registers and exit TSC saved in
; v), 1 on VMfailInvalid, 2 on VMfailValid (the entry did not happen). The
; caller has made v's VMCS current. Preserves the SysV callee-saved
; registers: they wait on this stack, whose top becomes HOST_RSP (written
; only when it moves), and vmx_exit_stub returns through them.
global vmx_run
vmx_run:
        SAVE_CALLEE_SAVED
        push    rdi                     ; [HOST_RSP]: the vcpu, for the exit stub
        cmp     rsp, [rdi + VCPU_HOST_RSP]
        je      .rsp_ok
        mov     [rdi + VCPU_HOST_RSP], rsp
        mov     eax, 0x6c14             ; HOST_RSP
        vmwrite rax, rsp
.rsp_ok:
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        mov     [rdi + VCPU_RESUME_TSC], rax
        cmp     byte [rdi + VCPU_LAUNCHED], 0
        mov     rax, [rdi + VCPU_RAX]   ; mov leaves the flags alone
        mov     rbx, [rdi + VCPU_RBX]
        mov     rcx, [rdi + VCPU_RCX]
        mov     rdx, [rdi + VCPU_RDX]
        mov     rsi, [rdi + VCPU_RSI]
        mov     rbp, [rdi + VCPU_RBP]
        mov     r8,  [rdi + VCPU_R8]
        mov     r9,  [rdi + VCPU_R9]
        mov     r10, [rdi + VCPU_R10]
        mov     r11, [rdi + VCPU_R11]
        mov     r12, [rdi + VCPU_R12]
        mov     r13, [rdi + VCPU_R13]
        mov     r14, [rdi + VCPU_R14]
        mov     r15, [rdi + VCPU_R15]
        mov     rdi, [rdi + VCPU_RDI]
        je      .launch
        vmresume
        jmp     .failed
.launch:
        vmlaunch
.failed:
        ; CF = VMfailInvalid, ZF = VMfailValid (SDM "Conventions" for VMX instructions)
        mov     eax, 2
        mov     ecx, 1
        cmovc   eax, ecx
        jmp     vmx_return

; vmx_exit_stub: HOST_RIP of every VMCS. RSP = HOST_RSP, where [rsp] holds
; the vcpu pointer and above it vmx_run's saved registers. Takes the TSC
; first, saves the guest's general registers into the vcpu and returns 0
; from vmx_run.
global vmx_exit_stub
vmx_exit_stub:
        push    rax
        push    rdx
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        mov     rdx, [rsp + 16]         ; vcpu
        mov     [rdx + VCPU_EXIT_TSC], rax
        pop     rax
        mov     [rdx + VCPU_RDX], rax
        pop     rax
        mov     [rdx + VCPU_RAX], rax
        mov     [rdx + VCPU_RBX], rbx
        mov     [rdx + VCPU_RCX], rcx
        mov     [rdx + VCPU_RSI], rsi
        mov     [rdx + VCPU_RDI], rdi
        mov     [rdx + VCPU_RBP], rbp
        mov     [rdx + VCPU_R8], r8
        mov     [rdx + VCPU_R9], r9
        mov     [rdx + VCPU_R10], r10
        mov     [rdx + VCPU_R11], r11
        mov     [rdx + VCPU_R12], r12
        mov     [rdx + VCPU_R13], r13
        mov     [rdx + VCPU_R14], r14
        mov     [rdx + VCPU_R15], r15
        xor     eax, eax
vmx_return:
        add     rsp, 8                  ; the vcpu
        RESTORE_CALLEE_SAVED
        ret

;; Host exception stubs: 32 entries of 16 bytes each, at isr_stubs + 16*n.
; Each pushes an error code (0 where the CPU pushes none) and the vector,
; then jumps to isr_common, which calls hv_exception(frame). hv_exception
; panics unless the exception is one the hv expects (an NMI, an armed
; instruction's fault): then it returns and isr_common resumes with IRETQ.
%macro ISR 1
        align   16
        ISR_STUB %1, isr_common
%endmacro

        align   16
global isr_stubs
isr_stubs:
%assign i 0
%rep 32
        ISR i
%assign i i+1
%endrep

; Host interrupt stubs for vectors 32-255, 16 bytes each at irq_stubs +
; 16*(vector-32): push the vector and jump to irq_common, which calls
; hv_irq(vector) with the caller-saved registers preserved and returns with
; IRETQ. A VM exit sets the IDTR limit to 0xFFFF (SDM "Loading Host Segment
; and Descriptor-Table Registers"), so every vector has a gate: the PIC's
; 0x20-0x2f are routed, anything else is counted as unexpected.
        align   16
global irq_stubs
irq_stubs:
%assign i 0x20
%rep 224
        align   16
        push    qword i
        jmp     irq_common
%assign i i+1
%endrep

extern hv_irq_idle
irq_common:
        push    rax
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    r8
        push    r9
        push    r10
        push    r11
        push    rbp
        mov     rbp, rsp
        mov     rdi, [rsp + 80]         ; the vector
        and     rsp, -16
        call    hv_irq_idle
        mov     rsp, rbp
        pop     rbp
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rax
        add     rsp, 8
        iretq

isr_common:
        ISR_SAVE_GPRS
        mov     rdi, rsp
        mov     rbx, rsp                ; callee-saved: the frame
        and     rsp, -16
        call    hv_exception            ; returns only for an expected exception
        mov     rsp, rbx
        ISR_RESTORE_GPRS
        add     rsp, 16                 ; vector and error code
        iretq

section .note.GNU-stack noalloc noexec nowrite progbits
