# The boot stage's pure pieces: the machine's power-management ports (ACPI
# FADT, PCI), shared with tools/hvcfg; their host unit tests.

$(eval $(call unit_test,test_acpi,tests/unit/test_acpi.c hv/acpi.c lib/fmt.c))

# Pure files of the boot stage (uefi/), tested on the host; the tests include
# them by name ("bootmem.h"), hence -Iuefi (the shared unit_test macro has no
# per-test flags).
define boot_unit_test
UNIT_TESTS += $(BUILD)/unit/$(1)
$(BUILD)/unit/$(1): tests/unit/$(1).c uefi/$(2).c uefi/$(2).h include/boot_info.h include/hvcfg.h | $(BUILD)/unit
	$$(CC) $$(HOST_CFLAGS) -Iuefi -DHOST_TEST -o $$@ $$(filter %.c,$$^) -lcmocka
endef
$(eval $(call boot_unit_test,test_tscfreq,tscfreq))
$(eval $(call boot_unit_test,test_bootmem,bootmem))

# The MADT parser and the boot CPU list (issue 11): fixtures written in the test.
$(eval $(call unit_test,test_madt,tests/unit/test_madt.c hv/madt.c hv/acpi.c hv/acpitab.c lib/fmt.c))
$(BUILD)/unit/test_madt: hv/madt.h hv/acpi.h hv/acpitab.h include/boot_info.h
