/* prodcons [N]: moves N (default 10000) items from a producer (this
 * process) to a consumer process twice: over synchronous messages, then
 * over a shared page guarded by counting semaphores. The consumer checks
 * the order and both sides print a checksum. */
#include "ulib.h"

#define PC_SLOTS 16

struct pc_ring {
	uint64_t slot[PC_SLOTS];
};

static uint64_t pc_value(uint64_t i)
{
	return (i * 2654435761u + 12345) & 0xffffffffu;
}

/* Consumer side of both modes; sends (checksum, in_order) to the producer. */
static int pc_consume(const char *args)
{
	char w[16];
	uint64_t v[6] = { 0 };
	for (int i = 0; i < 6 && u_word(&args, w, sizeof(w)); i++)
		v[i] = klib_strtoul(w, NULL, 10);
	bool sem = v[0] == 1, in_order = true;
	uint64_t n = v[1], bad = 0;
	int parent = (int)v[2];
	struct pc_ring *ring = sem ? (struct pc_ring *)u_shm_map((unsigned)v[3]) : NULL;
	uint32_t h = 0x811c9dc5u;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t val;
		if (sem) {
			u_sem_wait((int)v[5]);
			val = ring->slot[i % PC_SLOTS];
			u_sem_post((int)v[4]);
		} else {
			struct umsg m;
			u_recv(&m);
			val = m.w[1];
			if (m.w[0] != i)
				in_order = false;
		}
		if (val != pc_value(i) && in_order)
			in_order = false, bad = i;
		h = u_fnv(h, &val, sizeof(val));
	}
	u_printf("prodcons %s consumer: %lu items, checksum %08x, %s\n", sem ? "sem" : "msg", n, h,
		 in_order ? "in order" : "OUT OF ORDER");
	if (!in_order)
		u_printf("prodcons: first bad item %lu\n", bad);
	struct umsg r = { 0, { h, in_order, 0, 0 } };
	u_send(parent, &r);
	return 0;
}

/* Producer over messages: one synchronous send per item. */
static uint32_t pc_produce_msg(int cons, uint64_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t val = pc_value(i);
		struct umsg m = { 0, { i, val, 0, 0 } };
		u_send(cons, &m);
		h = u_fnv(h, &val, sizeof(val));
	}
	return h;
}

/* Producer over the shared ring: wait(empty), fill, post(full). */
static uint32_t pc_produce_sem(struct pc_ring *ring, int empty, int full, uint64_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t val = pc_value(i);
		u_sem_wait(empty);
		ring->slot[i % PC_SLOTS] = val;
		u_sem_post(full);
		h = u_fnv(h, &val, sizeof(val));
	}
	return h;
}

static void pc_report(const char *mode, uint32_t mine)
{
	struct umsg r;
	u_recv(&r);
	bool ok = r.w[0] == mine && r.w[1];
	u_printf("prodcons %s: producer checksum %08x, consumer %08x: %s\n", mode, mine,
		 (uint32_t)r.w[0], ok ? "match, in order" : "MISMATCH");
}

int main(const char *args)
{
	char w[16], a[80];
	const char *p = args;
	if (u_word(&p, w, sizeof(w)) && !strcmp(w, "consume"))
		return pc_consume(p);
	uint64_t n = klib_strtoul(w, NULL, 10);
	if (!n)
		n = 10000;
	int me = u_getpid();
	uint64_t t0 = u_time();
	fmt_snprintf(a, sizeof(a), "consume 0 %lu %d", n, me);
	int cons = (int)u_spawn("prodcons", a, 0, 0);
	if (cons < 0)
		return 1;
	pc_report("msg", pc_produce_msg(cons, n));
	unsigned key = (unsigned)me % 8;
	struct pc_ring *ring = (struct pc_ring *)u_shm_map(key);
	int empty = (int)u_sem_create(PC_SLOTS), full = (int)u_sem_create(0);
	if ((int64_t)ring < 0 || empty < 0 || full < 0) {
		u_printf("prodcons: no shared page or semaphores\n");
		return 1;
	}
	fmt_snprintf(a, sizeof(a), "consume 1 %lu %d %u %d %d", n, me, key, empty, full);
	if (u_spawn("prodcons", a, 0, 0) < 0)
		return 1;
	pc_report("sem", pc_produce_sem(ring, empty, full, n));
	u_printf("prodcons: done in %lu ms\n", u_time() - t0);
	return 0;
}
