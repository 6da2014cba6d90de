# (Named to sort after hvhost.mk: it uses the hvhost_test macro.)
# Discovery (issue 10, item 5): the guest's ACPI tables (hv/acpitab.c), read
# back by the host's own parser (hv/acpi.c) in the unit tests; the guest's
# minimal QEMU fw_cfg (hv/fwcfg.c) and ACPI PM1 registers (hv/acpipm.c).

$(eval $(call unit_test,test_acpitab,tests/unit/test_acpitab.c hv/acpitab.c hv/acpi.c lib/fmt.c))
$(BUILD)/unit/test_acpitab: hv/acpitab.h hv/acpi.h
$(eval $(call unit_test,test_fwcfg,tests/unit/test_fwcfg.c hv/fwcfg.c))
$(BUILD)/unit/test_fwcfg: hv/fwcfg.h
$(eval $(call unit_test,test_acpipm,tests/unit/test_acpipm.c hv/acpipm.c))
$(BUILD)/unit/test_acpipm: hv/acpipm.h hv/acpitab.h
# The hv's side on the host: tables at boot and restart, module reload, the ports.
$(eval $(call hvhost_test,test_discovery))
