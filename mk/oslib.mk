# Guest OS library: pure, freestanding C shared by the guest kernel and the
# host unit tests.  mk/guest-os.mk compiles OSLIB_SRCS into the kernel with
# KERN_CFLAGS -Iguests/os/lib.

OSLIB_DIR  := guests/os/lib
OSLIB_SRCS := $(OSLIB_DIR)/palloc.c $(OSLIB_DIR)/heap.c $(OSLIB_DIR)/sched.c \
              $(OSLIB_DIR)/ring.c $(OSLIB_DIR)/ipc.c
OSLIB_HDRS := $(wildcard $(OSLIB_DIR)/*.h)

$(eval $(call unit_test,test_palloc,tests/unit/test_palloc.c $(OSLIB_DIR)/palloc.c))
$(eval $(call unit_test,test_heap,tests/unit/test_heap.c $(OSLIB_DIR)/heap.c))
$(eval $(call unit_test,test_sched,tests/unit/test_sched.c $(OSLIB_DIR)/sched.c))
$(eval $(call unit_test,test_ring,tests/unit/test_ring.c $(OSLIB_DIR)/ring.c))
$(eval $(call unit_test,test_ipc,tests/unit/test_ipc.c $(OSLIB_DIR)/ipc.c $(OSLIB_DIR)/sched.c $(OSLIB_DIR)/ring.c))

# The unit_test macro only tracks include/*.h; rebuild on library header edits.
$(BUILD)/unit/test_palloc $(BUILD)/unit/test_heap $(BUILD)/unit/test_sched \
$(BUILD)/unit/test_ring $(BUILD)/unit/test_ipc: $(OSLIB_HDRS)
