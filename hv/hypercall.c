/*
 * VMCALL: the hypercall ABI of include/hypercall.h. Only the guest's
 * kernel may call (CPL 0); a call from CPL > 0 returns HC_EPERM and does
 * nothing else, as Jailhouse and KVM answer. Outside 64-bit mode only the
 * low 32 bits of the argument registers count (their upper halves are
 * undefined after a mode switch).
 */
#include "exit.h"
#include "cpu.h"
#include "guest.h"
#include "hypercall.h"
#include "log.h"
#include "sched.h"
#include "vmcs.h"

static int64_t hc_console(struct guest *g, uint64_t gpa, uint64_t len)
{
	const char *s = guest_gpa_ptr(g, gpa, len);
	uint64_t dropped = g->con_dropped;

	if (!s || len > HC_CONSOLE_MAX)
		return HC_EINVAL;
	for (uint64_t i = 0; i < len; i++)
		guest_con_putc(g, s[i]);
	/* What its log quota did not take is gone: say how much went out. */
	dropped = g->con_dropped - dropped;
	return dropped >= len ? 0 : (int64_t)(len - dropped);
}

static int64_t hc_exit_stats(struct guest *g, uint64_t gpa, uint64_t size)
{
	struct hc_exit_stats *out = guest_gpa_ptr(g, gpa, sizeof(*out));

	if (!out || size < sizeof(*out))
		return HC_EINVAL;
	out->nreasons = EXIT_REASON_MAX;
	out->reserved = 0;
	out->total_exits = g->stats.total;
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		out->count[r] = g->stats.count[r];
		out->tsc_sum[r] = g->stats.tsc_sum[r];
		out->tsc_max[r] = g->stats.tsc_max[r];
	}
	return sizeof(*out);
}

static int64_t hc_guest_info(struct guest *g, uint64_t gpa, uint64_t size)
{
	struct hc_guest_info *out = guest_gpa_ptr(g, gpa, sizeof(*out));

	if (!out || size < sizeof(*out))
		return HC_EINVAL;
	memset(out, 0, sizeof(*out));
	lib_strlcpy(out->name, g->cfg->name, sizeof(out->name));
	out->id = (uint32_t)g->id;
	out->nguests = (uint32_t)hv.nguests;
	out->ram_bytes = g->boot->ram_bytes;
	out->tsc_hz = hv.tsc_hz;
	return sizeof(*out);
}

/* g's state as HC_CTL_STATUS shows it (read from any CPU: one word, its latest value). */
static unsigned hc_state(const struct guest *g)
{
	switch (__atomic_load_n(&g->state, __ATOMIC_RELAXED)) {
	case GUEST_RUNNABLE:   return HC_GS_RUNNING;
	case GUEST_HALTED:     return HC_GS_HALTED;
	case GUEST_STOPPED:    return HC_GS_STOPPED;
	case GUEST_EXITED:     return HC_GS_EXITED;
	default:               return HC_GS_ENDED;
	}
}

/*
 * HC_GUEST_CTL: g manages the guests its `manages` key names. The name is
 * read byte by byte (it may end right at the top of g's RAM) and copied
 * before use. Stops and restarts are requests to the target's CPU.
 */
static int64_t hc_guest_ctl(struct guest *g, uint64_t op, uint64_t gpa, enum exit_action *act)
{
	char name[sizeof(((struct hc_guest_info *)0)->name)];
	static const char *const verbs[] = { [HC_CTL_STOP] = "stop", [HC_CTL_RESTART] = "restart" };
	struct guest *t = NULL;
	unsigned i;

	for (i = 0; i < sizeof(name); i++) {
		const char *c = guest_gpa_ptr(g, gpa + i, 1);

		if (!c)
			return HC_EINVAL;
		if (!(name[i] = *c))
			break;
	}
	if (i == sizeof(name) || op > HC_CTL_RESTART)
		return HC_EINVAL;
	if (!g->cfg->manages) {
		guest_log_refusal(g, "HC_GUEST_CTL refused: hv.cfg lets it manage no guest (HC_EACCES)");
		return HC_EACCES;
	}
	for (int k = 0; k < hv.nguests; k++)
		if (!strcmp(hv.guests[k].cfg->name, name))
			t = &hv.guests[k];
	if (!t)
		return HC_ENOENT;
	if (!(g->cfg->manages & (1u << t->id))) {
		guest_log_refusal(g, "HC_GUEST_CTL on guest %s refused: hv.cfg does not let it manage "
				  "that guest (HC_EACCES)", t->cfg->name);
		return HC_EACCES;
	}
	if (op == HC_CTL_STATUS)
		return HC_CTL_STATE(__atomic_load_n(&t->boots, __ATOMIC_RELAXED), hc_state(t));
	/* Rate-limited as refusals are: a manager calling in a loop does not flood the log. */
	if (log_limit_allow(&g->refusal_limit, cpu_rdtsc(), hv.tsc_hz, 8))
		log_printf("hv: guest %s asks to %s guest %s (CPU %u)\n", g->cfg->name, verbs[op],
			   t->cfg->name, t->cpu);
	if (sched_request(t, (unsigned)op, g))
		*act = EXIT_YIELD;         /* on this CPU: the scheduler carries it out now */
	return 0;
}

enum exit_action exit_vmcall(struct vcpu *v, struct exit_info *x)
{
	struct guest_regs *r = &v->regs;
	struct guest *g = v->guest;
	enum exit_action act = EXIT_RESUME;
	uint64_t nr = r->rax, a1 = r->rbx, a2 = r->rcx;
	int64_t ret;

	if (!exit_guest_64bit()) {
		nr = (uint32_t)nr, a1 = (uint32_t)a1, a2 = (uint32_t)a2;
	}
	if (exit_guest_cpl() != 0) {
		if (log_limit_allow(&g->refusal_limit, v->exit_tsc, hv.tsc_hz, 8))
			log_printf("hv: guest %s: hypercall %lu from CPL %u refused (HC_EPERM)\n",
				   g->cfg->name, nr, exit_guest_cpl());
		ret = HC_EPERM;
	} else {
		switch (nr) {
		case HC_VERSION:    ret = HC_ABI_VERSION; break;
		case HC_YIELD:      ret = 0; act = EXIT_YIELD; break;
		case HC_CONSOLE:    ret = hc_console(g, a1, a2); break;
		case HC_EXIT_STATS: ret = hc_exit_stats(g, a1, a2); break;
		case HC_GUEST_INFO: ret = hc_guest_info(g, a1, a2); break;
		case HC_GUEST_CTL:  ret = hc_guest_ctl(g, a1, a2, &act); break;
		default:            ret = HC_ENOSYS; break;
		}
	}
	r->rax = (uint64_t)ret;
	exit_skip_insn(v);
	guest_test_fault_on_exit(g);
	return act;
}
