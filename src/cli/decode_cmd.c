/* `dnswatch decode` (usage in decode_cmd.h). */
#include "cli/decode_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/input.h"
#include "decode/present.h"
#include "wire/msg.h"

struct decode_run {
	bool json;
	struct wire_rr *rr; /* WIRE_RR_MAX records, allocated once */
	unsigned long ok, failed;
};

static int on_message(void *ctx, const struct decode_origin *o, const uint8_t *raw, size_t len)
{
	struct decode_run *run = ctx;
	struct wire_msg msg;
	enum dw_status st = wire_msg_parse(&msg, raw, len, run->rr, WIRE_RR_MAX);
	if (st)
		run->failed++;
	else
		run->ok++;
	if (run->json)
		present_json(stdout, o, &msg, st);
	else
		present_text(stdout, o, &msg, st);
	return 0;
}

static int decode_one(struct decode_run *run, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct dw_error err = {0};
	if (!f) {
		dw_error_set(&err, DW_E_IO, "%s: %s", path, strerror(errno));
		fprintf(stderr, "dnswatch decode: %s\n", err.text);
		/* --json: one object for every input, this one too. */
		if (run->json)
			present_json_file_error(stdout, path, NULL,
						decode_failure_word(DECODE_FAIL_UNREADABLE), &err);
		return -1;
	}
	struct decode_counts counts = {0};
	const char *name = is_stdin ? "<stdin>" : path;
	int rc = decode_read(f, name, on_message, run, &counts, &err);
	if (!is_stdin)
		fclose(f);
	if (rc) {
		fprintf(stderr, "dnswatch decode: %s\n", err.text);
		if (run->json)
			present_json_file_error(stdout, name,
						counts.format_known ? &counts.format : NULL,
						decode_failure_word(counts.failure), &err);
	}
	if (counts.packets && !run->json) {
		printf(";; %s: %lu packets, %lu DNS messages", is_stdin ? "<stdin>" : path,
		       counts.packets, counts.messages);
		if (counts.not_dns)
			printf(", %lu not UDP port 53", counts.not_dns);
		present_reasm_text(stdout, &counts);
		if (counts.undecodable)
			printf(", %lu undecodable frames", counts.undecodable);
		printf("\n");
	}
	if (counts.fragments && run->json) /* keys of its own: only with fragments */
		present_summary_json(stdout, is_stdin ? "<stdin>" : path, &counts);
	return rc;
}

int decode_cmd(int argc, char **argv)
{
	struct decode_run run = {0};
	int first = 1;
	for (; first < argc; first++) {
		if (strcmp(argv[first], "--json") == 0)
			run.json = true;
		else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else if (argv[first][0] == '-' && argv[first][1] != '\0') {
			fprintf(stderr, "dnswatch decode: unknown option '%s' (see `dnswatch help decode`)\n",
				argv[first]);
			return 2;
		} else
			break;
	}
	run.rr = malloc(sizeof *run.rr * WIRE_RR_MAX);
	if (!run.rr) {
		fprintf(stderr, "dnswatch decode: out of memory\n");
		return 1;
	}
	int bad_files = 0;
	if (first == argc)
		bad_files += decode_one(&run, "-") != 0;
	for (int i = first; i < argc; i++)
		bad_files += decode_one(&run, argv[i]) != 0;
	free(run.rr);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "dnswatch decode: writing output: %s\n", strerror(errno));
		return 1;
	}
	return (bad_files || run.failed) ? 1 : 0;
}
