# The boot stage's pure pieces: the machine's power-management ports (ACPI
# FADT, PCI), shared with tools/hvcfg; their host unit tests.

$(eval $(call unit_test,test_acpi,tests/unit/test_acpi.c hv/acpi.c hv/fmt.c))
