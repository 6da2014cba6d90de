# Pure-logic parts of the hv (config parser, formatter, virtual
# 8259/8254/CMOS): host unit tests under ASan+UBSan, and the host config
# checker tools/hvcfg, which links the very same hv/cfg*.c the EFI image uses.

# Tests include the hv headers by name ("vpic.h"), as the hv build does.
# (-Ihv is in HOST_CFLAGS already)

CFG_SRCS := hv/cfg.c hv/cfg_check.c lib/fmt.c hv/acpi.c
CFG_HDRS := include/hvcfg.h hv/cfg_internal.h lib/fmt.h hv/acpi.h

$(eval $(call unit_test,test_cfg,tests/unit/test_cfg.c $(CFG_SRCS)))
$(eval $(call unit_test,test_fmt,tests/unit/test_fmt.c lib/fmt.c))
$(eval $(call unit_test,test_vpic,tests/unit/test_vpic.c hv/vpic.c))
$(eval $(call unit_test,test_vpit,tests/unit/test_vpit.c hv/vpit.c))
$(eval $(call unit_test,test_vcmos,tests/unit/test_vcmos.c hv/vcmos.c))

# Explicit header dependencies (the macro tracks include/*.h and hv/*.h; these make it plain).
$(BUILD)/unit/test_vpic: hv/vpic.h
$(BUILD)/unit/test_vpit: hv/vpit.h
$(BUILD)/unit/test_vcmos: hv/vcmos.h

ALL_TARGETS += $(BUILD)/tools/hvcfg

$(BUILD)/tools/hvcfg: tools/hvcfg.c $(CFG_SRCS) $(CFG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_TOOL_CFLAGS) -Ihv -o $@ tools/hvcfg.c $(CFG_SRCS)
