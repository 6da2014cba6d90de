# The guest's local APIC and IOAPIC wired to the hv (hv/lapic.c,
# hv/lapic_io.c): the exit paths on the host with the fake VMCS
# (tests/unit/hvhost). Named to sort after hvhost.mk: it uses hvhost_test.

$(eval $(call hvhost_test,test_lapic_exits))
$(eval $(call hvhost_test,test_cpu_isolation))
