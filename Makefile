# Top-level build. Out-of-tree into build/. Each part of the tree adds its
# own rules in mk/*.mk; this file holds the shared flags and the targets a
# person types: all, run, test, unit, systest, clean.

BUILD      := build
PYTHON     := /usr/bin/python3

CC         := gcc
LD         := ld
NASM       := nasm
OBJCOPY    := objcopy

WARN       := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow \
              -Wstrict-prototypes -Wno-unused-parameter
DEPFLAGS    = -MMD -MP

# Freestanding code that runs in the hv or a guest kernel.
KERN_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin \
               -fno-stack-protector -fno-strict-aliasing -mno-red-zone \
               -mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-asynchronous-unwind-tables \
               -Iinclude -Ilib

# Host code: unit tests and tools, under ASan and UBSan.
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -Ihv -Ilib \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
HOST_TOOL_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -Ilib

UNIT_TESTS :=
ALL_TARGETS :=
DEPS :=

# lib/: the freestanding library of the hv and the guests, one archive per
# flavour (mk/lib.mk builds them; docs/architecture.md "The shared library").
LIB_HV_A   := $(BUILD)/lib/hv/lib.a
LIB_OS_A   := $(BUILD)/lib/os/lib.a
LIB_G32_A  := $(BUILD)/lib/g32/lib.a
# The hosted builds (unit tests, fuzz targets) take strings from the C library.
LIB_HOST_SRCS := lib/fmt.c

# $(call unit_test,NAME,SOURCES): build/unit/NAME from SOURCES, linked with cmocka.
define unit_test
UNIT_TESTS += $(BUILD)/unit/$(1)
$(BUILD)/unit/$(1): $(2) $(wildcard include/*.h hv/*.h lib/*.h) | $(BUILD)/unit
	$(CC) $(HOST_CFLAGS) -DHOST_TEST -o $$@ $(2) -lcmocka
endef

.PHONY: all run test unit systest clean deps
all: deps-quiet
	@$(MAKE) --no-print-directory build-all

include $(sort $(wildcard mk/*.mk))

.PHONY: build-all deps-quiet
build-all: $(ALL_TARGETS)

deps-quiet:
	@tools/deps --check-only >/dev/null 2>&1 || tools/deps

deps:
	tools/deps

$(BUILD)/unit:
	mkdir -p $@

# The unit tests build in parallel, one job per CPU (they are many, and independent).
NPROC := $(shell nproc 2>/dev/null || echo 2)
unit: deps-quiet
	@$(MAKE) --no-print-directory -j$(NPROC) $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

systest: all
	$(PYTHON) -m pytest -v tests/system

test: unit fuzz-short systest

# make run CONFIG=FILE boots FILE instead of configs/default.cfg (e.g.
# configs/linux.cfg: Linux beside the guest OS; tools/run fetches the kernel).
run: all
	tools/run $(if $(CONFIG),--config $(CONFIG))

clean:
	rm -rf $(BUILD)

-include $(DEPS)
