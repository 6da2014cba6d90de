# Linux guests (issue 9): the boot-protocol loader's host unit tests, the
# hv's start state for a Linux guest on the host, and the fake bzImage the
# system tests boot (a flat 32-bit stub behind a real setup header).

$(eval $(call unit_test,test_linuxload,tests/unit/test_linuxload.c hv/linuxload.c lib/fmt.c))
$(BUILD)/unit/test_linuxload: tests/unit/bzimage.h
$(eval $(call hvhost_test,test_linux_start))
$(BUILD)/unit/test_linux_start: tests/unit/bzimage.h

# The fake bzImage: guests/linuxstub is not a Multiboot guest (mk/hv.mk leaves it out).
LINUXSTUB := $(BUILD)/guests/linuxstub.bzimage
ALL_TARGETS += $(LINUXSTUB)

$(LINUXSTUB): guests/linuxstub/stub.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
