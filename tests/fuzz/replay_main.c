/*
 * Replays a libFuzzer corpus without libFuzzer: every file in each directory
 * (or each file) given is passed once to LLVMFuzzerTestOneInput. Linked with
 * the sanitizer build by `make check`, so each corpus is a regression test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("#   cannot open %s\n", path);
		return -1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	/* A copy of exactly N bytes, so ASan sees reads past the input's end. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		unsigned count = 0;
		if (stat(argv[i], &st) != 0) {
			printf("not ok - corpus %s is missing\n", argv[i]);
			failed = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char path[4096];
				snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
				if (replay_file(path) == 0)
					count++;
				else
					failed = 1;
			}
			if (d)
				closedir(d);
		} else if (replay_file(argv[i]) == 0) {
			count++;
		}
		/* Reaching here means no input crashed (the sanitizers abort). */
		printf("%s - replayed %u inputs of %s\n", count ? "ok" : "not ok", count, argv[i]);
		if (!count)
			failed = 1;
	}
	return failed;
}
