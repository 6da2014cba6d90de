/*
 * What the two halves of the hv.cfg parser share; private to them.
 * hv/cfg.c turns text into struct hv_config (sections, keys, values);
 * hv/cfg_check.c grants ports, IRQs and devices with the checks across
 * guests, and holds the whole-config checks (cfg_check_memory).
 */
#ifndef HV_CFG_INTERNAL_H
#define HV_CFG_INTERNAL_H

#include "hvcfg.h"

#define CFG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A slice of the input text; not NUL-terminated. */
struct cfg_str {
	const char *p;
	size_t n;
};

enum cfg_section { CFG_SEC_NONE, CFG_SEC_HV, CFG_SEC_GUEST };

enum cfg_key {
	CFG_KEY_TIMESLICE, CFG_KEY_IMAGE, CFG_KEY_CMDLINE, CFG_KEY_MEMORY,
	CFG_KEY_CPU, CFG_KEY_PORTS, CFG_KEY_IRQS, CFG_KEY_DEVICES,
	CFG_KEY_RESTART, CFG_KEY_TEST_FAULT, CFG_KEY_TRACE, CFG_KEY_PERIOD,
	CFG_KEY_VMCHECK, CFG_KEY_SHARE, CFG_KEY_TIME_LIMIT, CFG_KEY_BOOT,
	CFG_KEY_INITRD, CFG_KEY_MODULE, CFG_KEY_ACPI, CFG_KEY_LAPIC, CFG_KEY_LAPIC_ACCESS,
	CFG_KEY_IRQ_BACKEND, CFG_KEY_MANAGES, CFG_KEY_COUNT
};

struct cfg_parser {
	struct hv_config *cfg;
	struct cfg_error *err;
	int line;                       /* line being parsed, 1-based */
	enum cfg_section section;
	struct cfg_guest *guest;        /* current [guest] section, or NULL */
	uint16_t key_line[CFG_KEY_COUNT]; /* per section: line of each key seen */
	int hv_line;                    /* line of [hv], 0 if none yet */
	struct cfg_str manages[CFG_MAX_GUESTS]; /* each guest's manages list, resolved at the end */
};

/* ---- cfg.c ----------------------------------------------------------- */

/* True if the slice equals the NUL-terminated word. */
bool cfg_eq(struct cfg_str s, const char *word);

/* Formats (fmt.h) the message of *ps->err and sets its line. Returns -1. */
int cfg_fail(struct cfg_parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Message pieces, each written into a buffer the caller gives and returned
 * for a "%s". The CFG_SHOW* macros give a compound literal as that buffer:
 * it lives until the end of the enclosing block, so for the whole of a
 * `return cfg_fail(..., CFG_SHOW(v));`.
 */
#define CFG_SHOW_MAX      40     /* longest piece of input quoted in a message */
#define CFG_SHOW_BUF      (CFG_SHOW_MAX + 4)
#define CFG_SIZE_BUF      24

/* Input as messages quote it: CFG_SHOW_MAX chars then "...", non-ASCII as '?'. */
const char *cfg_show(char buf[CFG_SHOW_BUF], struct cfg_str s);
/* A memory size in the largest unit (G, M, K) that divides it: "4M". */
const char *cfg_show_size(char buf[CFG_SIZE_BUF], uint64_t v);

#define CFG_SHOW(s)       cfg_show((char[CFG_SHOW_BUF]){ 0 }, (s))
#define CFG_SHOW_SIZE(v)  cfg_show_size((char[CFG_SIZE_BUF]){ 0 }, (v))

/* ---- cfg_check.c: resources of the current guest (ps->guest) ---------- */

/* Grants ports [first, last]. Returns 0, or -1 with err. */
int cfg_add_ports(struct cfg_parser *ps, unsigned first, unsigned last);

/* Grants ISA IRQ line irq (0..CFG_MAX_IRQ-1). Returns 0, or -1 with err. */
int cfg_add_irq(struct cfg_parser *ps, int irq);

/* Grants the device called name with its ports and IRQ. Returns 0, or -1 with err. */
int cfg_add_device(struct cfg_parser *ps, struct cfg_str name);

#endif
