# The virtual local APIC and IOAPIC (hv/vlapic.c, hv/vioapic.c): pure
# models, unit-tested on the host like the 8259 and the 8254
# (docs/architecture.md, "The virtual local APIC and IOAPIC (models)").

$(eval $(call unit_test,test_vlapic,tests/unit/test_vlapic.c hv/vlapic.c))
$(eval $(call unit_test,test_vioapic,tests/unit/test_vioapic.c hv/vioapic.c hv/vlapic.c))
$(BUILD)/unit/test_vlapic: hv/vlapic.h
$(BUILD)/unit/test_vioapic: hv/vioapic.h hv/vlapic.h
