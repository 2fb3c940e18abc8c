/*
 * A tiny TAP-like harness. A test file defines test functions, lists them in
 * main() with RUN(fn), and ends with `return harness_done();`. Each test
 * prints one line, which tests/run.sh counts:
 *   "ok - name"                 every check held
 *   "not ok - name"             a check failed (each failed check is printed
 *                               before it, with file:line and the expression)
 *   "not ok - name: ran no check"  the test returned before any CHECK: a
 *                               test that cannot fail is a failure
 *   "ok - name # SKIP reason"   the test called SKIP("reason"): it truly
 *                               cannot run here (no root, no tmpfs, ...).
 *                               tests/run.sh counts it apart, and under
 *                               CI=true counts it as a failure.
 * A failed check wins over a later SKIP. Every CHECK_* counts as a check,
 * passed or not, also when it sits in a helper the test calls.
 */
#ifndef DW_TESTS_HARNESS_H
#define DW_TESTS_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int harness_failed_checks;
static long harness_checks;
static int harness_passed, harness_failed, harness_skipped;
static char harness_skip_reason[256];

#define CHECK(cond)                                                            \
	do {                                                                   \
		harness_checks++;                                              \
		if (!(cond)) {                                                 \
			harness_failed_checks++;                               \
			printf("#   %s:%d: check failed: %s\n", __FILE__,        \
			       __LINE__, #cond);                               \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long ha_ = (long long)(a), hb_ = (long long)(b);          \
		harness_checks++;                                              \
		if (ha_ != hb_) {                                              \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s == %s failed: %lld != %lld\n",     \
			       __FILE__, __LINE__, #a, #b, ha_, hb_);          \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *ha_ = (a), *hb_ = (b);                             \
		harness_checks++;                                              \
		if (!ha_ || !hb_ || strcmp(ha_, hb_) != 0) {                   \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s == %s failed:\n#     got  \"%s\"\n" \
			       "#     want \"%s\"\n",                             \
			       __FILE__, __LINE__, #a, #b,                     \
			       ha_ ? ha_ : "(null)", hb_ ? hb_ : "(null)");    \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		harness_checks++;                                              \
		if (memcmp((a), (b), (n)) != 0) {                              \
			harness_failed_checks++;                               \
			printf("#   %s:%d: %s and %s differ\n", __FILE__,        \
			       __LINE__, #a, #b);                              \
		}                                                              \
	} while (0)

/* A failure found outside the CHECK macros (a helper's own comparison):
 * counts as one failed check, with the formatted line after file:line. */
#define FAIL(...) harness_fail(__FILE__, __LINE__, __VA_ARGS__)

static inline void __attribute__((format(printf, 3, 4)))
harness_fail(const char *file, int line, const char *fmt, ...)
{
	harness_checks++;
	harness_failed_checks++;
	printf("#   %s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * SKIP("reason", ...): end the current test as skipped, for a test that
 * truly cannot run here (the environment lacks something: root, a mount,
 * a tool). Only in the test function itself (it returns from it). Never for
 * a failure of the code under test: that is a CHECK.
 */
#define SKIP(...)                                                              \
	do {                                                                   \
		harness_skip(__VA_ARGS__);                                     \
		return;                                                        \
	} while (0)

static inline void __attribute__((format(printf, 1, 2))) harness_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(harness_skip_reason, sizeof harness_skip_reason, fmt, ap);
	va_end(ap);
	if (!harness_skip_reason[0])
		snprintf(harness_skip_reason, sizeof harness_skip_reason, "no reason given");
	/* one line: a reason with a newline would split the TAP line */
	for (char *c = harness_skip_reason; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

static inline void harness_run(void (*fn)(void), const char *name)
{
	int before = harness_failed_checks;
	long checks_before = harness_checks;
	harness_skip_reason[0] = '\0';
	fn();
	if (harness_failed_checks != before) {
		harness_failed++;
		printf("not ok - %s\n", name);
	} else if (harness_skip_reason[0]) {
		harness_skipped++;
		printf("ok - %s # SKIP %s\n", name, harness_skip_reason);
	} else if (harness_checks == checks_before) {
		harness_failed++;
		printf("not ok - %s: ran no check\n", name);
	} else {
		harness_passed++;
		printf("ok - %s\n", name);
	}
	harness_skip_reason[0] = '\0';
	fflush(stdout);
}

#define RUN(fn) harness_run(fn, #fn)

static inline int harness_done(void)
{
	printf("# %d passed, %d failed, %d skipped\n", harness_passed, harness_failed,
	       harness_skipped);
	return harness_failed ? 1 : 0;
}

#endif
