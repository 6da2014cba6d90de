# lib/ (docs/architecture.md "The shared library"): freestanding code with
# no policy, built once per flavour with that side's flags:
#   hv   64-bit, position-independent, for the EFI image (HV_CFLAGS); no
#        mem.c: the image takes memset/memcpy/memmove from gnu-efi's libefi
#   os   64-bit kernel and user programs of the guest OS (OS_CFLAGS)
#   g32  the 32-bit test guests (GUEST32_CFLAGS)
# and compiled from source into the hosted unit tests (LIB_HOST_SRCS).
# Archives: a program links only the members it uses.

LIB_SRCS     := $(wildcard lib/*.c)
LIB_HV_OBJS  := $(patsubst lib/%.c,$(BUILD)/lib/hv/%.o,$(filter-out lib/mem.c,$(LIB_SRCS)))
LIB_OS_OBJS  := $(patsubst lib/%.c,$(BUILD)/lib/os/%.o,$(LIB_SRCS))
LIB_G32_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/g32/%.o,$(LIB_SRCS))
DEPS += $(LIB_HV_OBJS:.o=.d) $(LIB_OS_OBJS:.o=.d) $(LIB_G32_OBJS:.o=.d)

$(BUILD)/lib/hv/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/lib/os/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(OS_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/lib/g32/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST32_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIB_HV_A): $(LIB_HV_OBJS)
$(LIB_OS_A): $(LIB_OS_OBJS)
$(LIB_G32_A): $(LIB_G32_OBJS)
$(LIB_HV_A) $(LIB_OS_A) $(LIB_G32_A):
	rm -f $@
	$(AR) rcs $@ $^

# The formatter once more with the 32-bit guests' 16-bit division steps.
UNIT_TESTS += $(BUILD)/unit/test_fmt_div16
$(BUILD)/unit/test_fmt_div16: tests/unit/test_fmt.c lib/fmt.c lib/fmt.h | $(BUILD)/unit
	$(CC) $(HOST_CFLAGS) -DHOST_TEST -DFMT_DIV16 -o $@ tests/unit/test_fmt.c lib/fmt.c -lcmocka
