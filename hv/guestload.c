/*
 * A guest's files into its RAM (hv/guestload.h): hv/mbload.c or
 * hv/linuxload.c with what hv.cfg and the boot stage give, and the hv.cfg
 * line of whatever does not load.
 */
#include "guestload.h"
#include "acpitab.h"
#include "fmt.h"
#include "linuxload.h"
#include "mbload.h"

/* Records the failure at hv.cfg line. Returns -1. */
__attribute__((format(printf, 3, 4)))
static int guestload_fail(struct guestload_result *r, int line, const char *fmt, ...)
{
	va_list ap;

	r->line = line;
	va_start(ap, fmt);
	fmt_vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t guestload_acpi_gpa(const struct cfg_guest *cg, const struct boot_guest *bg)
{
	return cg->acpi ? acpitab_gpa(bg->ram_bytes) : 0;
}

static int guestload_multiboot(const struct cfg_guest *cg, struct boot_guest *bg,
			       struct guestload_result *r)
{
	struct mbload_module mods[CFG_MAX_MODULES];
	struct mbload_result res;
	const char *err = "";
	const struct mbload_args a = {
		.image = (const void *)(uintptr_t)bg->image_hpa, .image_bytes = bg->image_bytes,
		.ram = (void *)(uintptr_t)bg->ram_hpa, .ram_bytes = bg->ram_bytes,
		.cmdline = cg->cmdline, .mods = mods, .nmods = bg->nmodules,
		.acpi_gpa = guestload_acpi_gpa(cg, bg),
	};

	for (unsigned i = 0; i < bg->nmodules && i < CFG_MAX_MODULES; i++)
		mods[i] = (struct mbload_module){ (const void *)(uintptr_t)bg->modules[i].hpa,
						  bg->modules[i].bytes, cg->modules[i].string };
	if (mbload_guest(&a, &res, &err) < 0) {
		if (res.bad_module >= 0)
			return guestload_fail(r, cg->modules[res.bad_module].line, "module %s (%llu KiB): %s",
					      cg->modules[res.bad_module].path,
					      (unsigned long long)bg->modules[res.bad_module].bytes >> 10, err);
		return guestload_fail(r, cg->image_line, "image %s: %s", cg->image, err);
	}
	bg->entry = res.entry;
	bg->mbi_gpa = res.mbi_gpa;
	r->elf_class = res.elf_class;
	for (unsigned i = 0; i < bg->nmodules && i < CFG_MAX_MODULES; i++)
		r->mods_gpa[i] = res.mods_gpa[i];
	return 0;
}

static int guestload_linux(const struct cfg_guest *cg, struct boot_guest *bg,
			   struct guestload_result *r)
{
	struct linuxload_result res;
	const struct linuxload_args a = {
		.image = (const void *)(uintptr_t)bg->image_hpa, .image_bytes = bg->image_bytes,
		.initrd = (const void *)(uintptr_t)bg->initrd_hpa, .initrd_bytes = bg->initrd_bytes,
		.cmdline = cg->cmdline,
		.acpi_rsdp = guestload_acpi_gpa(cg, bg), .acpi_gpa = guestload_acpi_gpa(cg, bg),
		.ram = (void *)(uintptr_t)bg->ram_hpa, .ram_bytes = bg->ram_bytes,
	};

	if (linuxload(&a, &res) < 0) {
		if (res.bad == LINUXLOAD_PART_INITRD)
			return guestload_fail(r, cg->initrd_line, "initrd %s: %s", cg->initrd, res.err);
		if (res.bad == LINUXLOAD_PART_CMDLINE)
			return guestload_fail(r, cg->cmdline_line, "cmdline: %s", res.err);
		return guestload_fail(r, cg->image_line, "image %s: %s", cg->image, res.err);
	}
	bg->entry = res.entry;
	bg->zero_page_gpa = res.zero_page;
	bg->gdt_gpa = res.gdt_base;
	bg->gdt_limit = res.gdt_limit;
	r->version = res.version;
	r->initrd_gpa = res.initrd_gpa;
	return 0;
}

int guestload(const struct cfg_guest *cg, struct boot_guest *bg, struct guestload_result *r)
{
	*r = (struct guestload_result){ .line = cg->line };
	return cg->boot == CFG_BOOT_LINUX ? guestload_linux(cg, bg, r) : guestload_multiboot(cg, bg, r);
}
