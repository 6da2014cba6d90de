; progs.asm: the built-in user programs, embedded as flat binaries linked at
; USER_BASE (build/guests/os/user/*.bin, found through nasm -i). proc.c copies
; one into fresh pages of a new address space; the kernel never runs them in place.

section .rodata
%macro PROG 2
global prog_%1_start
global prog_%1_end
align 16
prog_%1_start:
        incbin %2
prog_%1_end:
%endmacro

PROG hog, "hog.bin"
PROG rt, "rt.bin"
PROG prodcons, "prodcons.bin"
PROG portuser, "portuser.bin"
PROG badport, "badport.bin"
PROG fault, "fault.bin"
PROG disk, "disk.bin"
PROG irquser, "irquser.bin"
PROG memhog, "memhog.bin"
PROG r3attack, "r3attack.bin"
