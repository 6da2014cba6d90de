# The virtual 16550 UART (hv/vuart.c) and 8042 (hv/v8042.c): pure models,
# unit-tested on the host like the virtual 8259.

$(eval $(call unit_test,test_vuart,tests/unit/test_vuart.c hv/vuart.c))
$(BUILD)/unit/test_vuart: hv/vuart.h
$(eval $(call unit_test,test_v8042,tests/unit/test_v8042.c hv/v8042.c))
$(BUILD)/unit/test_v8042: hv/v8042.h

# Fuzz targets (mk/fuzz.mk), with oracles for the bytes in flight and the reset line.
$(eval $(call fuzz_target,vuart,hv/vuart.c))
$(eval $(call fuzz_target,v8042,hv/v8042.c))
