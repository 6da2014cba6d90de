# The hv on the host: every hv/*.c compiled with -DHOST_TEST against the fake
# CPU and VMCS of tests/unit/hvhost (hv/cpu.h and hv/vmcs.h declare the
# functions the fake implements). Tests of the exit path, the scheduler and
# the VM-entry checker link it.

HVHOST_SRCS := $(wildcard hv/*.c) $(LIB_HOST_SRCS) \
               tests/unit/hvhost/fake_hw.c tests/unit/hvhost/hvhost.c
HVHOST_HDRS := $(wildcard tests/unit/hvhost/*.h)
# Compiled once, linked into every test below.
HVHOST_OBJS := $(HVHOST_SRCS:%.c=$(BUILD)/hvhost/%.o)
DEPS += $(HVHOST_OBJS:.o=.d)

$(BUILD)/hvhost/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DHOST_TEST -Itests/unit/hvhost $(DEPFLAGS) -c $< -o $@

# $(call hvhost_test,NAME): build/unit/NAME from tests/unit/NAME.c and the whole hv.
define hvhost_test
UNIT_TESTS += $(BUILD)/unit/$(1)
$(BUILD)/unit/$(1): tests/unit/$(1).c $(HVHOST_OBJS) $(HVHOST_HDRS) $(wildcard include/*.h hv/*.h lib/*.h) | $(BUILD)/unit
	$(CC) $(HOST_CFLAGS) -DHOST_TEST -Itests/unit/hvhost -o $$@ tests/unit/$(1).c $(HVHOST_OBJS) -lcmocka
endef

$(eval $(call hvhost_test,test_exit_path))
$(eval $(call hvhost_test,test_vmcheck))
$(eval $(call hvhost_test,test_run_loop))
$(eval $(call hvhost_test,test_cpu_model))
$(eval $(call hvhost_test,test_smp))
$(eval $(call hvhost_test,test_pirq))
