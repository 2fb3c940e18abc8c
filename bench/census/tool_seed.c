/* The seeded blocklist and its names for bench/census/run.sh
 * (census/seeded.h), and a 600-address pool rule:
 *   tool_seed seeded SEED NAMES_SEED PER_KIND INNOCENT RULES NAMES EXPECT
 *   tool_seed pool N RULES    (a pool of N documentation addresses over *.pool.test) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/seeded.h"

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pool")) {
		int n = atoi(argv[2]);
		FILE *f = fopen(argv[3], "w");
		if (!f || n < 1 || n > 768)
			return 2;
		fprintf(f, "pool big");
		static const char *const net[] = {"192.0.2", "198.51.100", "203.0.113"};
		for (int i = 0; i < n; i++)
			fprintf(f, " %s.%d", net[i / 256], i % 256);
		fprintf(f, "\n*.pool.test a=@big\n");
		return fclose(f) ? 1 : 0;
	}
	if (argc != 9 || strcmp(argv[1], "seeded")) {
		fprintf(stderr, "usage: tool_seed seeded SEED NAMES_SEED PER_KIND INNOCENT RULES NAMES EXPECT\n"
				"       tool_seed pool N RULES\n");
		return 2;
	}
	struct census_seeded_opts o = {.seed = strtoull(argv[2], NULL, 10),
				       .names_seed = strtoull(argv[3], NULL, 10),
				       .per_kind = (unsigned)atoi(argv[4]), .innocent = (unsigned)atoi(argv[5])};
	FILE *r = fopen(argv[6], "w"), *n = fopen(argv[7], "w"), *e = fopen(argv[8], "w");
	struct dw_error err;
	if (!r || !n || !e) {
		perror("tool_seed");
		return 1;
	}
	if (census_seeded_write(&o, r, n, e, &err)) {
		fprintf(stderr, "tool_seed: %s\n", err.text);
		return 1;
	}
	return fclose(r) | fclose(n) | fclose(e) ? 1 : 0;
}
