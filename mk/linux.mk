# Linux guests (issue 9): the boot-protocol loader's host unit tests.

$(eval $(call unit_test,test_linuxload,tests/unit/test_linuxload.c hv/linuxload.c hv/fmt.c))
$(BUILD)/unit/test_linuxload: tests/unit/bzimage.h
