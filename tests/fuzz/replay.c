/*
 * Replays saved inputs through one fuzz target without libFuzzer, so the
 * crashes found once stay fixed: `make unit` runs it over the target's
 * regression inputs and seed corpus (FUZZ_REPLAY_DIRS, colon-separated,
 * relative to the top of the tree). With arguments it replays those files
 * or folders instead: build/unit/fuzz_replay_cfg crash-1234.
 *
 * Each input goes to LLVMFuzzerTestOneInput in an exact-size heap block,
 * as libFuzzer gives it, so ASan sees a read one byte past its end.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME (the target's name) must be defined"
#endif
#ifndef FUZZ_REPLAY_DIRS
#error "FUZZ_REPLAY_DIRS (folders replayed by default) must be defined"
#endif

static unsigned replay_count;
static const char *replay_current;      /* the input being run */

/* On an abort or a sanitizer report: names the input that caused it. */
static void replay_name_current(void)
{
	static const char pre[] = "replay " FUZZ_NAME ": failing input: ";

	if (!replay_current)
		return;
	if (write(2, pre, sizeof(pre) - 1) < 0 ||
	    write(2, replay_current, strlen(replay_current)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

static void replay_on_abort(int sig)
{
	replay_name_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads path whole and runs it. Returns 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay %s: cannot read %s: %s\n", FUZZ_NAME, path,
			strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay %s: short read of %s\n", FUZZ_NAME, path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	replay_current = path;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	replay_current = NULL;
	free(buf);
	replay_count++;
	return 0;
}

/* Runs every file of a folder (not hidden ones), or one file. Returns 0 or -1. */
static int replay_path(const char *path)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay %s: %s: %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay %s: %s: %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) && replay_file(sub) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	char dirs[] = FUZZ_REPLAY_DIRS;
	char *p, *save = NULL;
	int i, rc = 0;

	signal(SIGABRT, replay_on_abort);
	__sanitizer_set_death_callback(replay_name_current);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_path(argv[i]) < 0)
				rc = 1;
	} else {
		for (p = strtok_r(dirs, ":", &save); p; p = strtok_r(NULL, ":", &save))
			if (replay_path(p) < 0)
				rc = 1;
	}
	printf("replay %s: %u inputs, every invariant held\n", FUZZ_NAME, replay_count);
	return rc;
}
