# The PCI configuration filter (hv/vpci_filter.c): pure, so its unit tests
# drive it through the guest's ports against a fake configuration space.

$(eval $(call unit_test,test_vpci,tests/unit/test_vpci.c hv/vpci_filter.c))
$(BUILD)/unit/test_vpci: hv/vpci_filter.h
