# Host fuzzing with libFuzzer (docs/fuzzing.md). Each target tests/fuzz/fuzz_NAME.c
# is linked with the very hv sources the EFI image uses, compiled for the host
# with -DHOST_TEST like the unit tests, under clang's libFuzzer, ASan and UBSan:
#
#   make fuzz          every target for FUZZ_SECONDS each, FUZZ_PARALLEL at a time
#   make fuzz-short    every target for FUZZ_SHORT_SECONDS each (part of make test)
#   make fuzz-NAME     one target for FUZZ_SECONDS
#
# The same sources are also linked with tests/fuzz/replay.c (gcc, no libFuzzer)
# into build/unit/fuzz_replay_NAME, which `make unit` runs over the committed
# regression inputs (tests/fuzz/regressions/NAME) and seeds (tests/fuzz/corpus/NAME).

FUZZ_CC            := clang
FUZZ_CFLAGS        := -std=gnu11 -O1 -g $(WARN) -Iinclude -Ihv -Ilib -DHOST_TEST \
                      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                      -fno-omit-frame-pointer
FUZZ_SECONDS       ?= 600
FUZZ_SHORT_SECONDS ?= 45
FUZZ_PARALLEL      ?= 2
FUZZ_TARGETS       :=

# $(call fuzz_target,NAME,HV SOURCES): build/fuzz/fuzz_NAME and its replay test.
define fuzz_target
FUZZ_TARGETS += $(1)
UNIT_TESTS += $(BUILD)/unit/fuzz_replay_$(1)

$(BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz.h $(2) $(wildcard include/*.h hv/*.h lib/*.h)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ tests/fuzz/fuzz_$(1).c $(2)

$(BUILD)/unit/fuzz_replay_$(1): tests/fuzz/replay.c tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz.h $(2) \
		$(wildcard include/*.h hv/*.h lib/*.h) | $(BUILD)/unit
	$(CC) $(HOST_CFLAGS) -DHOST_TEST -Itests/fuzz -DFUZZ_NAME='"$(1)"' \
		-DFUZZ_REPLAY_DIRS='"tests/fuzz/regressions/$(1):tests/fuzz/corpus/$(1)"' \
		-o $$@ tests/fuzz/replay.c tests/fuzz/fuzz_$(1).c $(2)

.PHONY: fuzz-$(1)
fuzz-$(1): $(BUILD)/fuzz/fuzz_$(1)
	tests/fuzz/run $(FUZZ_SECONDS) 1 $(1)
endef

$(eval $(call fuzz_target,cfg,hv/cfg.c hv/cfg_check.c lib/fmt.c hv/acpi.c))
$(eval $(call fuzz_target,vpci,hv/vpci_filter.c))
$(eval $(call fuzz_target,linuxload,hv/linuxload.c lib/fmt.c))
$(eval $(call fuzz_target,mbload,hv/mbload.c))
$(eval $(call fuzz_target,vdma,hv/vdma.c))
$(eval $(call fuzz_target,vpic,hv/vpic.c))
$(eval $(call fuzz_target,vpit,hv/vpit.c))
$(eval $(call fuzz_target,vcmos,hv/vcmos.c))
$(eval $(call fuzz_target,vlapic,hv/vlapic.c))
$(eval $(call fuzz_target,vioapic,hv/vioapic.c))
$(eval $(call fuzz_target,madt,hv/madt.c lib/fmt.c))

# Deferred: mk files read after this one (platform.mk, vuart.mk, ...) add targets too.
FUZZ_BINS = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: fuzz fuzz-short fuzz-build
fuzz-build: deps-quiet
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_PARALLEL) $(FUZZ_TARGETS)

fuzz-short: fuzz-build
	tests/fuzz/run $(FUZZ_SHORT_SECONDS) $(FUZZ_PARALLEL) $(FUZZ_TARGETS)
