# models, unit-tested on the host like the 8259 and the 8254
# (docs/architecture.md, "The virtual local APIC and IOAPIC (models)").

$(eval $(call unit_test,test_vlapic,tests/unit/test_vlapic.c hv/vlapic.c))
$(BUILD)/unit/test_vlapic: hv/vlapic.h
