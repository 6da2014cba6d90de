/*
 * hvcfg: checks an hv.cfg on the host with the hv's own parser (hv/cfg.c, hv/cfg_check.c),
 * so a config that passes here is accepted by the hv at boot.
 *
 *   hvcfg check FILE [--mem-limit SIZE] [--fadt TABLE]
 *                       summary per guest, or FILE:LINE: error: MSG
 *   hvcfg dump FILE     every parsed field, one per line
 *
 * --fadt TABLE also refuses the power-management and reset ports of a FADT
 * (a copy of the target machine's /sys/firmware/acpi/tables/FACP), read by
 * the boot stage's own parser (hv/acpi.c), as the boot stage does at boot.
 *
 * Exit status: 0 valid, 1 invalid config, 2 usage or I/O error or a bad FADT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvcfg.h"
#include "acpi.h"

#define HVCFG_MAX_FILE (1u << 20)

/* Reads the whole file into a malloc'd buffer. Returns NULL on error. */
static char *hvcfg_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		perror(path);
		return NULL;
	}
	buf = malloc(HVCFG_MAX_FILE);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, HVCFG_MAX_FILE, f);
	if (ferror(f) || *len == HVCFG_MAX_FILE) {
		fprintf(stderr, "%s: read error or file over %u bytes\n", path,
			HVCFG_MAX_FILE);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static void hvcfg_print_ports(const struct cfg_guest *g)
{
	int i;

	if (g->nports == 0)
		printf("-");
	for (i = 0; i < g->nports; i++) {
		const struct cfg_range *r = &g->ports[i];

		printf(i ? ",%#x" : "%#x", r->first);
		if (r->last != r->first)
			printf("-%#x", r->last);
	}
}

static void hvcfg_print_irqs(const struct cfg_guest *g)
{
	int i, n = 0;

	for (i = 0; i < CFG_MAX_IRQ; i++)
		if (g->irqs & (1u << i))
			printf(n++ ? ",%d" : "%d", i);
	if (n == 0)
		printf("-");
}

static void hvcfg_print_devices(const struct cfg_guest *g)
{
	uint32_t bit;
	int n = 0;

	for (bit = 1; bit; bit <<= 1)
		if (g->devices & bit)
			printf(n++ ? ",%s" : "%s", cfg_device_name(bit));
	if (n == 0)
		printf("-");
}

/* Sizes in the largest unit that divides them, as hv.cfg writes them. */
static void hvcfg_print_size(uint64_t b)
{
	if (b % (1ull << 20) == 0)
		printf("%lluM", (unsigned long long)(b >> 20));
	else
		printf("%lluK", (unsigned long long)(b >> 10));
}

static void hvcfg_summary(const struct hv_config *c)
{
	int i;

	for (i = 0; i < c->nguests; i++) {
		const struct cfg_guest *g = &c->guests[i];

		printf("guest %s: image %s ", g->name, g->image);
		if (g->boot == CFG_BOOT_LINUX)
			printf("boot linux initrd %s ", g->initrd[0] ? g->initrd : "-");
		printf("memory ");
		hvcfg_print_size(g->mem_bytes);
		printf(" cpu %d ports ", g->cpu);
		hvcfg_print_ports(g);
		printf(" (%u) irqs ", cfg_guest_port_count(g));
		hvcfg_print_irqs(g);
		printf(" devices ");
		hvcfg_print_devices(g);
		printf(" restart %s\n", g->restart == CFG_RESTART_YES ? "yes" : "no");
	}
}

static void hvcfg_dump(const struct hv_config *c)
{
	int i;

	printf("timeslice_us %u\n", c->timeslice_us);
	for (i = 0; i < c->nguests; i++) {
		const struct cfg_guest *g = &c->guests[i];

		printf("guest %s (line %u)\n", g->name, g->line);
		printf("  image      %s\n", g->image);
		printf("  boot       %s\n", g->boot == CFG_BOOT_LINUX ? "linux" : "multiboot");
		printf("  initrd     %s\n", g->initrd[0] ? g->initrd : "-");
		printf("  cmdline    \"%s\"\n", g->cmdline);
		for (int m = 0; m < g->nmodules; m++)
			printf("  module     \"%s\" (line %u)\n", g->modules[m].string, g->modules[m].line);
		printf("  acpi       %s\n", g->acpi ? "on" : "off");
		printf("  lapic      %s\n", g->lapic ? "on" : "off");
		printf("  memory     %llu\n", (unsigned long long)g->mem_bytes);
		printf("  cpu        %d\n", g->cpu);
		printf("  ports      ");
		hvcfg_print_ports(g);
		printf("\n  irqs       ");
		hvcfg_print_irqs(g);
		printf("\n  devices    ");
		hvcfg_print_devices(g);
		printf("\n  restart    %s\n", g->restart ? "yes" : "no");
		printf("  manages    ");
		for (int m = 0, n = 0; m < c->nguests; m++)
			if (g->manages & (1u << m))
				printf("%s%s", n++ ? ", " : "", c->guests[m].name);
		printf("%s\n", g->manages ? "" : "-");
		printf("  test_fault %s\n", g->test_fault ? "vmentry" : "none");
	}
}

/* Parses "64M"-style sizes for --mem-limit. Returns 0, or -1 if bad. */
static int hvcfg_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		n <<= 30, end++;
	*v = n;
	return *end ? -1 : 0;
}

static int hvcfg_usage(void)
{
	fprintf(stderr, "usage: hvcfg check FILE [--mem-limit SIZE] [--fadt TABLE]\n"
			"       hvcfg dump FILE\n");
	return 2;
}

/* Reads the FADT in path into *ports. Returns 0, or 2 after saying why. */
static int hvcfg_fadt(const char *path, struct acpi_ports *ports)
{
	size_t len;
	char *table = hvcfg_read(path, &len);
	int rc;

	if (!table)
		return 2;
	rc = acpi_fadt_ports(table, len, ports);
	free(table);
	if (rc < 0) {
		fprintf(stderr, "%s: error: %s\n", path, ports->err);
		return 2;
	}
	return 0;
}

/* Parses the options after FILE. Returns 0, or the exit status of a failure. */
static int hvcfg_options(int argc, char **argv, uint64_t *limit, struct acpi_ports *ports)
{
	int i;

	for (i = 3; i < argc; i += 2) {
		if (i + 1 == argc || strcmp(argv[1], "check"))
			return hvcfg_usage();
		if (strcmp(argv[i], "--mem-limit") == 0) {
			if (hvcfg_size(argv[i + 1], limit) < 0)
				return hvcfg_usage();
		} else if (strcmp(argv[i], "--fadt") == 0) {
			if (hvcfg_fadt(argv[i + 1], ports))
				return 2;
		} else {
			return hvcfg_usage();
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct hv_config cfg;
	static struct acpi_ports ports;
	struct cfg_error err;
	uint64_t limit = 0;
	size_t len;
	char *text;
	int rc;

	if (argc < 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "dump")))
		return hvcfg_usage();
	acpi_ports_init(&ports);
	rc = hvcfg_options(argc, argv, &limit, &ports);
	if (rc)
		return rc;
	text = hvcfg_read(argv[2], &len);
	if (!text)
		return 2;
	rc = cfg_parse(text, len, &cfg, &err);
	if (rc == 0)
		rc = cfg_check_memory(&cfg, limit, &err);
	if (rc == 0)
		rc = cfg_check_machine_ports(&cfg, ports.r, ports.n, &err);
	free(text);
	if (rc < 0) {
		if (err.line > 0)
			fprintf(stderr, "%s:%d: error: %s\n", argv[2], err.line, err.msg);
		else
			fprintf(stderr, "%s: error: %s\n", argv[2], err.msg);
		return 1;
	}
	if (strcmp(argv[1], "dump") == 0)
		hvcfg_dump(&cfg);
	else
		hvcfg_summary(&cfg);
	return 0;
}
