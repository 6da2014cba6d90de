; linuxstub: a fake bzImage for the system tests of the Linux boot path
; (tests/system/test_linux_boot.py, docs/linux-guest.md). It is not Linux:
; a real setup header (boot protocol 2.15, the fields at the offsets of
; the kernel's Documentation/arch/x86/boot.rst) in front of a flat 32-bit
; stub that reports on port 0xE9 what a kernel entered through the 32-bit
; boot protocol finds: ESI, the segments and GDT, EBX/EBP/EDI, the zero
; page's command line, initrd and e820 map, then ends with status 0
; (port 0xF4). Built with `nasm -f bin` (mk/linux.mk).
;
; Output, one line each (numbers in hex, fixed width):
;   linux-stub: esi=00007000 cmdline=<the command line>
;   linux-stub: cs=0010 ds=0018 es=0018 ss=0018 gdt=00006000/001f
;               ebx|ebp|edi=00000000 if=0 pg=0 eip=<load address>
;   linux-stub: gdt[2]=00cf9b000000ffff gdt[3]=00cf93000000ffff
;   linux-stub: loader=ff loadflags=81 code32_start=<x> heap_end_ptr=de00
;   linux-stub: initrd=<address> size=<bytes> sum=<sum of its bytes, mod 2^32>
;   linux-stub: e820 entries=03
;   linux-stub: e820 <address, 16 digits> <size, 16 digits> <type, 8 digits>  (each)
;   linux-stub: done
; With "linux-stub=restart" on the command line it spoils its initrd,
; command line and e820 map and faults instead of "done" (a restart test).

SETUP_SECTS     equ 1
SETUP_BYTES     equ (SETUP_SECTS + 1) * 512
INIT_SIZE       equ 0x10000             ; the stub, its stack, room to spare
LOAD_ADDRESS    equ 0x100000

; Zero page offsets (boot.rst, zero-page.rst).
ZP_SCRATCH      equ 0x1e4
ZP_E820_ENTRIES equ 0x1e8
ZP_TYPE_LOADER  equ 0x210
ZP_LOADFLAGS    equ 0x211
ZP_CODE32_START equ 0x214
ZP_RAMDISK      equ 0x218
ZP_RAMDISK_SIZE equ 0x21c
ZP_HEAP_END_PTR equ 0x224
ZP_CMD_LINE_PTR equ 0x228
ZP_E820_TABLE   equ 0x2d0

; Pads to offset %1 of the file; a field placed too late makes nasm fail.
%macro pad_to 1
	times (%1) - ($ - $$) db 0
%endmacro

; Prints a string literal (EBP = load address). Clobbers EAX.
%macro print 1
	jmp %%after
%%str:	db %1, 0
%%after:
	push esi
	lea esi, [ebp + %%str - pm_start]
	call puts
	pop esi
%endmacro

; Prints %1 as %2 hex digits. Clobbers EAX, ECX, EDX.
%macro hex 2
	mov eax, %1
	mov ecx, %2
	call puthex
%endmacro

%macro newline 0
	mov al, 10
	out 0xe9, al
%endmacro

	bits 16
	org 0

; ---- boot sector and setup: the header the loader reads --------------
	pad_to 0x1f1
	db SETUP_SECTS                  ; setup_sects
	dw 0                            ; root_flags
	dd PM_BYTES / 16                ; syssize
	dw 0                            ; ram_size
	dw 0xffff                       ; vid_mode
	dw 0                            ; root_dev
	pad_to 0x1fe
	dw 0xaa55                       ; boot_flag
	pad_to 0x200
	db 0xeb, hdr_end - hdr_jump_base ; jump: the header's length from 0x202
hdr_jump_base:
	pad_to 0x202
	db "HdrS"                       ; header
	dw 0x020f                       ; version 2.15
	dd 0                            ; realmode_swtch
	dw 0x1000                       ; start_sys_seg
	dw 0                            ; kernel_version
	db 0                            ; type_of_loader
	db 0x01                         ; loadflags: LOADED_HIGH
	dw 0                            ; setup_move_size
	dd LOAD_ADDRESS                 ; code32_start
	dd 0                            ; ramdisk_image
	dd 0                            ; ramdisk_size
	dd 0                            ; bootsect_kludge
	dw 0                            ; heap_end_ptr
	db 0, 0                         ; ext_loader_ver, ext_loader_type
	dd 0                            ; cmd_line_ptr
	pad_to 0x22c
	dd 0x7fffffff                   ; initrd_addr_max
	dd 0x100000                     ; kernel_alignment
	db 1                            ; relocatable_kernel
	db 12                           ; min_alignment
	dw 0                            ; xloadflags: no 64-bit entry
	dd 2047                         ; cmdline_size
	dd 0                            ; hardware_subarch
	dq 0                            ; hardware_subarch_data
	dd 0, 0                         ; payload_offset, payload_length
	dq 0                            ; setup_data
	pad_to 0x258
	dq LOAD_ADDRESS                 ; pref_address
	dd INIT_SIZE                    ; init_size
	dd 0                            ; handover_offset
	dd 0                            ; kernel_info_offset
hdr_end:
	pad_to SETUP_BYTES

; ---- the protected-mode part: loaded at code32_start ------------------
	bits 32
pm_start:
	; Entry: 32-bit flat, paging off, ESI = zero page. No stack yet: the
	; zero page's scratch field takes the one return address, as Linux does.
	cld
	mov eax, ebx
	or eax, ebp
	or eax, edi                     ; 0 if EBX, EBP and EDI are all 0
	lea esp, [esi + ZP_SCRATCH + 4]
	call .here
.here:	pop ebp
	sub ebp, .here - pm_start       ; EBP = where the loader put us
	lea esp, [ebp + stack_top - pm_start]
	push eax
	mov ebx, esi                    ; EBX = zero page from here on

	print "linux-stub: esi="
	hex ebx, 8
	print " cmdline="
	mov esi, [ebx + ZP_CMD_LINE_PTR]
	call puts
	newline

	print "linux-stub: cs="
	mov ax, cs
	hex eax, 4
	print " ds="
	mov ax, ds
	hex eax, 4
	print " es="
	mov ax, es
	hex eax, 4
	print " ss="
	mov ax, ss
	hex eax, 4
	print " gdt="
	sub esp, 8
	sgdt [esp + 2]                  ; limit at esp+2, base at esp+4
	hex [esp + 4], 8
	print "/"
	movzx eax, word [esp + 2]
	hex eax, 4
	mov edi, [esp + 4]              ; EDI = GDT base
	add esp, 8
	print " ebx|ebp|edi="
	pop eax
	hex eax, 8
	print " if="
	pushfd
	pop eax
	shr eax, 9
	and eax, 1
	hex eax, 1
	print " pg="
	mov eax, cr0
	shr eax, 31
	hex eax, 1
	print " eip="
	hex ebp, 8
	newline

	print "linux-stub: gdt[2]="
	hex [edi + 0x14], 8
	hex [edi + 0x10], 8
	print " gdt[3]="
	hex [edi + 0x1c], 8
	hex [edi + 0x18], 8
	newline

	print "linux-stub: loader="
	movzx eax, byte [ebx + ZP_TYPE_LOADER]
	hex eax, 2
	print " loadflags="
	movzx eax, byte [ebx + ZP_LOADFLAGS]
	hex eax, 2
	print " code32_start="
	hex [ebx + ZP_CODE32_START], 8
	print " heap_end_ptr="
	movzx eax, word [ebx + ZP_HEAP_END_PTR]
	hex eax, 4
	newline

	print "linux-stub: initrd="
	hex [ebx + ZP_RAMDISK], 8
	print " size="
	hex [ebx + ZP_RAMDISK_SIZE], 8
	print " sum="
	mov esi, [ebx + ZP_RAMDISK]
	mov ecx, [ebx + ZP_RAMDISK_SIZE]
	xor edx, edx
	jecxz .summed
.sum:	movzx eax, byte [esi]
	add edx, eax
	inc esi
	loop .sum
.summed:
	hex edx, 8
	newline

	print "linux-stub: e820 entries="
	movzx eax, byte [ebx + ZP_E820_ENTRIES]
	hex eax, 2
	newline
	movzx edi, byte [ebx + ZP_E820_ENTRIES]
	lea esi, [ebx + ZP_E820_TABLE]
.e820:	test edi, edi
	jz .e820_done
	print "linux-stub: e820 "
	hex [esi + 4], 8
	hex [esi], 8
	print " "
	hex [esi + 12], 8
	hex [esi + 8], 8
	print " "
	hex [esi + 16], 8
	newline
	add esi, 20
	dec edi
	jmp .e820
.e820_done:
	call wants_restart
	jnz .scribble
	print "linux-stub: done"
	newline
	xor eax, eax
	out 0xf4, al                    ; end with status 0
.scribble:
	; "linux-stub=restart": spoil the initrd, the command line and the e820
	; map, then fault (an access above RAM): a restart must bring them back.
	print "linux-stub: scribbling and faulting"
	newline
	mov edi, [ebx + ZP_RAMDISK]
	mov ecx, [ebx + ZP_RAMDISK_SIZE]
	mov al, 0xff
	rep stosb
	mov edi, [ebx + ZP_CMD_LINE_PTR]
	mov ecx, 16
	rep stosb
	lea edi, [ebx + ZP_E820_TABLE]
	mov ecx, 60
	rep stosb
	mov dword [0x40000000], eax
.halt:	cli
	hlt
	jmp .halt

; Returns ZF clear if the command line holds "linux-stub=restart". Clobbers EAX, EDX, ESI, EDI.
wants_restart:
	mov esi, [ebx + ZP_CMD_LINE_PTR]
.start:	lea edi, [ebp + restart_word - pm_start]
	mov edx, esi
.cmp:	mov al, [edi]
	test al, al
	jz .found
	cmp al, [edx]
	jne .next
	inc edi
	inc edx
	jmp .cmp
.next:	cmp byte [esi], 0
	je .absent
	inc esi
	jmp .start
.found:	or al, 1                        ; ZF clear
	ret
.absent:
	xor eax, eax                    ; ZF set
	ret
restart_word: db "linux-stub=restart", 0

; Prints the string at ESI up to its NUL. Clobbers EAX, ESI.
puts:
	lodsb
	test al, al
	jz .end
	out 0xe9, al
	jmp puts
.end:	ret

; Prints the low ECX hex digits of EAX. Clobbers EAX, ECX, EDX.
puthex:
	mov edx, eax
	shl ecx, 2
.digit:	sub ecx, 4
	mov eax, edx
	shr eax, cl
	and eax, 0xf
	cmp al, 10
	jb .num
	add al, 'a' - 10
	jmp .out
.num:	add al, '0'
.out:	out 0xe9, al
	test ecx, ecx
	jnz .digit
	ret

	align 16
	times 4096 db 0
stack_top:
PM_BYTES equ $ - pm_start
