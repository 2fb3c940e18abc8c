/*
 * A tiny TAP-like harness. A test file defines test functions, lists them in
 * main() with RUN(fn), and ends with `return harness_done();`. Each test
 * prints "ok - name" or "not ok - name" (after the failed checks, each with
 * file:line and the expression); tests/run.sh counts these lines.
 */
#ifndef DW_TESTS_HARNESS_H
#define DW_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_failed_checks;
static int harness_passed, harness_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			harness_failed_checks++;                               \
			printf("#   %s:%d: check failed: %s\n", __FILE__,        \
			       __LINE__, #cond);                               \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long ha_ = (long long)(a), hb_ = (long long)(b);          \
		if (ha_ != hb_) {                                              \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s == %s failed: %lld != %lld\n",     \
			       __FILE__, __LINE__, #a, #b, ha_, hb_);          \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *ha_ = (a), *hb_ = (b);                             \
		if (strcmp(ha_, hb_) != 0) {                                   \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s == %s failed:\n#     got  \"%s\"\n" \
			       "#     want \"%s\"\n",                             \
			       __FILE__, __LINE__, #a, #b, ha_, hb_);          \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0) {                              \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s and %s differ\n", __FILE__,        \
			       __LINE__, #a, #b);                              \
		}                                                              \
	} while (0)

static inline void harness_run(void (*fn)(void), const char *name)
{
	int before = harness_failed_checks;
	fn();
	if (harness_failed_checks == before) {
		harness_passed++;
		printf("ok - %s\n", name);
	} else {
		harness_failed++;
		printf("not ok - %s\n", name);
	}
	fflush(stdout);
}

#define RUN(fn) harness_run(fn, #fn)

static inline int harness_done(void)
{
	printf("# %d passed, %d failed\n", harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

#endif
