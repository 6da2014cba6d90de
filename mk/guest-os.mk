# Guest OS kernel (guests/os): a Multiboot v1 kernel, linked as ELF64 at 1 MiB
# (identity-mapped, so -mcmodel=small fits) and converted to ELF32 because
# Multiboot loaders (QEMU -kernel) only take ELF32. User programs are built as
# flat binaries linked at the user base and embedded in the kernel (progs.asm).

OS_SRC   := guests/os
OS_OUT   := $(BUILD)/guests/os
OS_CFLAGS := $(KERN_CFLAGS) -mcmodel=small -fno-pic -fno-pie -mgeneral-regs-only \
             -I$(OS_SRC) -I$(OS_SRC)/lib
OS_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

OS_C     := $(wildcard $(OS_SRC)/*.c)
OS_ASM   := $(wildcard $(OS_SRC)/*.asm)
OS_OBJS  := $(OS_C:$(OS_SRC)/%.c=$(OS_OUT)/%.o) $(OS_ASM:$(OS_SRC)/%.asm=$(OS_OUT)/%.asm.o)
# mk/oslib.mk is read after this file: expand its list only inside recipes,
# and depend on every library source (all are freestanding).
OS_LIB_PREREQ := $(patsubst $(OS_SRC)/lib/%.c,$(OS_OUT)/lib/%.o,$(wildcard $(OS_SRC)/lib/*.c))
OS_LIB_OBJS    = $(patsubst $(OS_SRC)/lib/%.c,$(OS_OUT)/lib/%.o,$(OSLIB_SRCS))

OS_UPROGS := hog rt prodcons portuser badport fault disk irquser memhog r3attack
OS_ULIB   := $(OS_OUT)/user/ulib.o $(OS_OUT)/user/ustart.asm.o $(OS_OUT)/user/klib.o
OS_UBINS  := $(OS_UPROGS:%=$(OS_OUT)/user/%.bin)

ALL_TARGETS += $(OS_OUT)/os.elf
DEPS += $(OS_OBJS:.o=.d) $(OS_LIB_PREREQ:.o=.d) $(OS_ULIB:.o=.d) $(OS_UPROGS:%=$(OS_OUT)/user/%.d)

$(OS_OUT)/os.elf: $(OS_OUT)/os64.elf
	$(OBJCOPY) -O elf32-i386 $< $@

$(OS_OUT)/os64.elf: $(OS_OBJS) $(OS_LIB_PREREQ) $(OS_SRC)/os.ld $(LIB_OS_A)
	$(LD) $(OS_LDFLAGS) -T $(OS_SRC)/os.ld -o $@ $(OS_OBJS) $(OS_LIB_OBJS) $(LIB_OS_A)

$(OS_OUT)/%.o: $(OS_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(OS_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OS_OUT)/%.asm.o: $(OS_SRC)/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -i $(OS_OUT)/user/ -i lib/ -MD $(@:.o=.d) -MP -o $@ $<

$(OS_OUT)/progs.asm.o: $(OS_UBINS)

# User side: same freestanding flags; klib.c is shared with the kernel.
$(OS_OUT)/user/klib.o: $(OS_SRC)/klib.c
	@mkdir -p $(dir $@)
	$(CC) $(OS_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OS_OUT)/user/%.elf: $(OS_OUT)/user/%.o $(OS_ULIB) $(OS_SRC)/user/user.ld $(LIB_OS_A)
	$(LD) $(OS_LDFLAGS) -T $(OS_SRC)/user/user.ld -o $@ $(OS_OUT)/user/ustart.asm.o $< \
		$(OS_OUT)/user/ulib.o $(OS_OUT)/user/klib.o $(LIB_OS_A)

$(OS_OUT)/user/%.bin: $(OS_OUT)/user/%.elf
	$(OBJCOPY) -O binary $< $@

.PRECIOUS: $(OS_OUT)/user/%.elf $(OS_OUT)/user/%.o
