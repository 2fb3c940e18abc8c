/* libFuzzer: `dnswatch probe --control-run FILE` (classify_load_ndjson):
 * our own NDJSON results and zdns's output lines, told apart line by line,
 * into the classifier's controls and forged set. The input is the file;
 * a classifier is made afresh for each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loader reads a path: the input goes to an anonymous file. */
	int fd = memfd_create("control-run", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct classify *c = classify_new(NULL);
	if (!c)
		abort();
	struct dw_error err;
	long n = classify_load_ndjson(c, path, CLASSIFY_LOAD_CONTROL | CLASSIFY_LOAD_FORGED, &err);
	if (n < 0 && !err.text[0])
		abort(); /* a failure always says where and why */
	if (n >= 0 && (size_t)n > size)
		abort(); /* no more taken than lines could hold */
	classify_free(c);
	close(fd);
	return 0;
}
