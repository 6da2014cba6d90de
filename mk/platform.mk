# The PC platform every guest gets (issue 9 item 3): the instruction decoder
# and guest page walker the exit path uses to complete instructions and
# emulate string I/O, the virtual 16550 UARTs and 8042. Pure modules have
# unit tests of their own; the exit-path work runs on the host harness
# (tests/unit/hvhost) in test_string_io and test_platform_exits.

$(eval $(call unit_test,test_insn,tests/unit/test_insn.c hv/insn.c))
$(eval $(call unit_test,test_gwalk,tests/unit/test_gwalk.c hv/gwalk.c))
$(eval $(call hvhost_test,test_string_io))
$(eval $(call hvhost_test,test_platform_exits))

# Fuzz targets (mk/fuzz.mk): guest-controlled instruction bytes and page tables.
$(eval $(call fuzz_target,insn,hv/insn.c))
$(eval $(call fuzz_target,gwalk,hv/gwalk.c))
