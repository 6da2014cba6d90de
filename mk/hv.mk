# The EFI image (uefi/ + hv/), the small 32-bit test guests, the ESP image,
# and the unit tests of the hv's pure pieces.

EFI_INC     := -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_LDS     := /usr/lib/elf_x86_64_efi.lds
EFI_CRT0    := /usr/lib/crt0-efi-x86_64.o
EFI_LIBDIR  := /usr/lib

# hv/ and uefi/ link into one position-independent image that gnu-efi's
# crt0 relocates at load time.
HV_CFLAGS   := $(KERN_CFLAGS) -fpic -fvisibility=hidden -Ihv -mcmodel=small
UEFI_CFLAGS := $(HV_CFLAGS) $(EFI_INC) -DGNU_EFI_USE_MS_ABI -fshort-wchar \
               -maccumulate-outgoing-args -Wno-strict-prototypes -Wno-missing-prototypes

HV_SRCS     := $(wildcard hv/*.c)
HV_ASM      := $(wildcard hv/*.asm)
UEFI_SRCS   := $(wildcard uefi/*.c)
HV_OBJS     := $(HV_SRCS:%.c=$(BUILD)/%.o) $(HV_ASM:%.asm=$(BUILD)/%.asm.o)
UEFI_OBJS   := $(UEFI_SRCS:%.c=$(BUILD)/%.o)
DEPS        += $(HV_OBJS:.o=.d) $(UEFI_OBJS:.o=.d)

$(BUILD)/hv/%.o: hv/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/hv/%.asm.o: hv/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -i lib/ -MD $(@:.o=.d) -MP -o $@ $<

$(BUILD)/uefi/%.o: uefi/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UEFI_CFLAGS) $(DEPFLAGS) -c $< -o $@

# lib/ comes after gnu-efi's libraries: memset/memcpy are libefi's (lib/mem.c is not linked).
$(BUILD)/hv.so: $(UEFI_OBJS) $(HV_OBJS) $(LIB_HV_A)
	$(LD) -nostdlib -znocombreloc -T $(EFI_LDS) -shared -Bsymbolic -L$(EFI_LIBDIR) \
		$(EFI_CRT0) $(filter %.o,$^) -o $@ -lefi -lgnuefi $(LIB_HV_A)
	@if nm -u $@ | grep -q .; then echo "undefined symbols in $@:"; nm -u $@; rm -f $@; exit 1; fi

$(BUILD)/BOOTX64.EFI: $(BUILD)/hv.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 \
		--subsystem=10 $< $@

# Small 32-bit Multiboot test guests: guests/NAME/*.c + guests/lib.
GUEST32_CFLAGS := -m32 -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin \
                  -fno-stack-protector -fno-pic -mno-sse -mno-mmx -mno-80387 \
                  -fno-asynchronous-unwind-tables -Iinclude -Ilib -Iguests/lib
GUEST32_NAMES  := $(filter-out os lib linuxstub,$(notdir $(wildcard guests/*)))
GUEST32_ELFS   := $(GUEST32_NAMES:%=$(BUILD)/guests/%.elf)
GUEST32_LIB    := $(BUILD)/guests/lib/start32.asm.o $(BUILD)/guests/lib/mini.o $(LIB_G32_A)
DEPS           += $(patsubst %.c,$(BUILD)/%.d,$(wildcard guests/lib/*.c $(GUEST32_NAMES:%=guests/%/*.c)))

$(BUILD)/guests/lib/%.asm.o: guests/lib/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -o $@ $<

$(BUILD)/guests/lib/%.o: guests/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST32_CFLAGS) $(DEPFLAGS) -c $< -o $@

define guest32
$(BUILD)/guests/$(1)/%.o: guests/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(GUEST32_CFLAGS) $$(DEPFLAGS) -c $$< -o $$@
$(BUILD)/guests/$(1).elf: $(patsubst %.c,$(BUILD)/%.o,$(wildcard guests/$(1)/*.c)) $(GUEST32_LIB) guests/lib/guest32.ld
	$$(LD) -m elf_i386 -nostdlib -T guests/lib/guest32.ld -o $$@ $$(filter %.o,$$^) $$(LIB_G32_A)
endef
$(foreach g,$(GUEST32_NAMES),$(eval $(call guest32,$(g))))

# The ESP image `make run` boots: the EFI image, configs/default.cfg as
# \hv.cfg, and every guest image under \guests\.
GUEST_IMAGES := $(GUEST32_ELFS) $(filter $(BUILD)/guests/os/os.elf,$(ALL_TARGETS))
$(BUILD)/esp.img: $(BUILD)/BOOTX64.EFI configs/default.cfg $(GUEST32_ELFS) tools/mkesp
	tools/mkesp $@ configs/default.cfg $(GUEST32_ELFS) $(wildcard $(BUILD)/guests/os/os.elf)

ALL_TARGETS += $(BUILD)/BOOTX64.EFI $(GUEST32_ELFS) $(BUILD)/esp.img

# Unit tests of the hv's pure pieces.
$(eval $(call unit_test,test_mbload,tests/unit/test_mbload.c hv/mbload.c))
$(eval $(call unit_test,test_ept,tests/unit/test_ept.c hv/ept.c))
$(eval $(call unit_test,test_vmxcap,tests/unit/test_vmxcap.c hv/vmxcap.c))
$(eval $(call unit_test,test_exit_reasons,tests/unit/test_exit_reasons.c))

# Figures, not tests: exit round trips measured by a guest, hv aggregates, sizes.
.PHONY: bench
bench: all
	tools/bench
$(eval $(call unit_test,test_vdma,tests/unit/test_vdma.c hv/vdma.c))
