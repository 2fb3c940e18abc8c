/* Scenario files: the format, the shipped scenarios, and every error the
 * parser reports (each as FILE:LINE: reason, before anything runs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lab/scenario.h"

static struct scn s;
static struct dw_error err;

#define HDR "scenario t\nclock 15:10\n"

static int parse(const char *text)
{
	dw_error_clear(&err);
	return scn_parse(&s, "t.scenario", text, strlen(text), 0, &err);
}

static void test_a_full_file(void)
{
	const char *text =
		"# a comment\n"
		"scenario 2014 the misfire   # trailing comment\n"
		"clock 15:10 China\n"
		"scale 1s=1min\n"
		"wall gfw\n"
		"\n"
		"15:10 mark before\n"
		"15:15 inject load rules/2014.rules\n"
		"15:15:30 mark misfire   on\n"
		"15:39 inject off\n"
		"15:45 rogue up 198.19.66.66 65.49.2.178\n"
		"15:46 zone com hijack 198.19.66.66\n"
		"15:50 zone com restore\n"
		"15:51 rogue down\n"
		"16:00 flush isp public\r\n"
		"16:05 end\n";
	CHECK_EQ(parse(text), 0);
	CHECK_STR(err.text, "");
	CHECK_STR(s.name, "2014");
	CHECK_STR(s.title, "the misfire");
	CHECK_EQ(s.clock_s, 15 * 3600 + 10 * 60);
	CHECK_STR(s.zone, "China");
	CHECK(s.scale == 60.0);
	CHECK_STR(s.scale_text, "1s=1min");
	CHECK_STR(s.wall, "gfw");
	CHECK_EQ(s.uses_inject, 1);
	CHECK_EQ(s.nsteps, 10);
	CHECK_EQ(s.step[0].action, SCN_MARK);
	CHECK_STR(s.step[0].arg, "before");
	CHECK_EQ(s.step[0].offset_s, 0);
	CHECK_EQ(s.step[0].line, 7);
	CHECK_EQ(s.step[1].action, SCN_INJECT_LOAD);
	CHECK_STR(s.step[1].arg, "rules/2014.rules"); /* no directory in the path: as given */
	CHECK_EQ(s.step[1].offset_s, 300);
	CHECK_EQ(s.step[2].offset_s, 330);
	CHECK_STR(s.step[2].arg, "misfire on");
	CHECK_EQ(s.step[3].action, SCN_INJECT_OFF);
	CHECK_EQ(s.step[4].action, SCN_ROGUE_UP);
	CHECK_EQ(s.step[4].addr, 0xc6134242u);
	CHECK_EQ(s.step[4].answer, 0x413102b2u);
	CHECK_EQ(s.step[5].action, SCN_ZONE_HIJACK);
	CHECK_STR(s.step[5].arg, "com");
	CHECK_EQ(s.step[6].action, SCN_ZONE_RESTORE);
	CHECK_EQ(s.step[7].action, SCN_ROGUE_DOWN);
	CHECK_EQ(s.step[8].action, SCN_FLUSH);
	CHECK_STR(s.step[8].arg, "isp public");
	CHECK_EQ(s.step[9].action, SCN_END);
	CHECK_EQ(s.step[9].offset_s, 55 * 60);
}

static void test_defaults_and_paths(void)
{
	CHECK_EQ(scn_parse(&s, "lab/scenarios/x.scenario", HDR "15:10 end\n", strlen(HDR "15:10 end\n"),
			   0, &err), 0);
	CHECK(s.scale == 1.0);
	CHECK_STR(s.scale_text, "1s=1s");
	CHECK_STR(s.wall, "none");
	CHECK_STR(s.zone, "");
	CHECK_EQ(s.uses_inject, 0);
	const char *t = HDR "wall simple\n" "15:10 inject load a.rules\n15:11 inject load /abs/b.rules\n15:12 end\n";
	t = HDR "15:10 inject load a.rules\n15:11 inject load /abs/b.rules\n15:12 end\n";
	CHECK_EQ(scn_parse(&s, "lab/scenarios/x.scenario", t, strlen(t), 0, &err), 0);
	CHECK_STR(s.step[0].arg, "lab/scenarios/a.rules");
	CHECK_STR(s.step[1].arg, "/abs/b.rules");
	CHECK_EQ(s.uses_inject, 1);
	/* no final newline */
	CHECK_EQ(parse(HDR "15:10 end"), 0);
}

static void test_scale(void)
{
	double f = 0;
	struct dw_error e;
	CHECK_EQ(scn_parse_scale("1s=1min", &f, &e), 0);
	CHECK(f == 60.0);
	CHECK_EQ(scn_parse_scale("2s=1min", &f, &e), 0);
	CHECK(f == 30.0);
	CHECK_EQ(scn_parse_scale("1s=30s", &f, &e), 0);
	CHECK(f == 30.0);
	CHECK_EQ(scn_parse_scale("500ms=1s", &f, &e), 0);
	CHECK(f == 2.0);
	CHECK_EQ(scn_parse_scale("1s=1h", &f, &e), 0);
	CHECK(f == 3600.0);
	CHECK_EQ(scn_parse_scale("1s=1.5min", &f, &e), 0);
	CHECK(f == 90.0);
	CHECK_EQ(scn_parse_scale("1min=1s", &f, &e), 0);
	CHECK(f > 0.0166 && f < 0.0167);
	const char *bad[] = {"", "1s", "=1s", "1s=", "1s=1", "1x=1s", "s=1s", "-1s=1s", "0s=1s",
			     "1s=0s", "1s=1min=1h", "1s= 1min", "nan=1s", "1s=inf"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dw_error_clear(&e);
		CHECK_EQ(scn_parse_scale(bad[i], &f, &e), -1);
		CHECK(e.text[0] != '\0');
	}
	CHECK_EQ(scn_parse_scale("1ms=1h", &f, &e), -1);
	CHECK(strstr(e.text, "out of range") != NULL);
	CHECK_EQ(e.status, DW_E_INVALID);
	CHECK_EQ(scn_parse_scale("1h=1ms", &f, &e), -1);
	CHECK(strstr(e.text, "out of range") != NULL);
}

static void test_clock(void)
{
	long c;
	char b[16];
	CHECK_EQ(scn_parse_clock("15:15", &c), 0);
	CHECK_EQ(c, 54900);
	CHECK_EQ(scn_parse_clock("9:05", &c), 0);
	CHECK_EQ(c, 9 * 3600 + 300);
	CHECK_EQ(scn_parse_clock("23:59:59", &c), 0);
	CHECK_EQ(c, 86399);
	CHECK_EQ(scn_parse_clock("00:00", &c), 0);
	CHECK_EQ(c, 0);
	const char *bad[] = {"", "1515", "24:00", "15:60", "15:15:60", "15:5", "15:15:5", "-1:00",
			     "15:15:", ":15:15", "1:2:3", "15.15", "15:15:15:15", "a5:15", "15:1a"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ(scn_parse_clock(bad[i], &c), -1);
	scn_format_clock(54930, b, sizeof b);
	CHECK_STR(b, "15:15:30");
}

/* Every error: the text, then the exact message. */
static const struct {
	const char *text, *want;
} errors[] = {
	/* whole file */
	{"", "t.scenario: no scenario line (scenario NAME [TITLE])"},
	{"# only a comment\n", "t.scenario: no scenario line (scenario NAME [TITLE])"},
	{"scenario t\n15:10 end\n", "t.scenario:2: a timed line before the clock line (clock HH:MM comes first)"},
	{"scenario t\n", "t.scenario: no clock line (clock HH:MM [ZONE])"},
	{HDR, "t.scenario: no end line (HH:MM end): a replay must be bounded"},
	{HDR "15:10 mark x\n", "t.scenario: no end line (HH:MM end): a replay must be bounded"},
	{"scenario t\nclock 00:00\nscale 1s=1s\n23:59 end\n", ""}, /* 86340 s: over 6 h real */
	/* lines */
	{HDR "bogus x\n", "t.scenario:3: unknown directive 'bogus' (scenario, clock, scale, wall, or a time HH:MM[:SS] and an action)"},
	{HDR "15:10 mark a\x01\n", "t.scenario:3: control character in the line"},
	{"scenario t\nclock 15:10\n15:10 bogus\n15:11 end\n", "t.scenario:3: unknown action 'bogus' (inject, flush, rogue, zone, mark, end)"},
	{HDR "15:10\n", "t.scenario:3: missing action after the time"},
	{HDR "15:10 # comment\n", "t.scenario:3: missing action after the time"},
	/* header */
	{"scenario\n", "t.scenario:1: scenario needs a name"},
	{"scenario a/b\n", "t.scenario:1: bad scenario name 'a/b' (1 to 32 of A-Z a-z 0-9 . _ -)"},
	{"scenario 0123456789012345678901234567890123\n", "t.scenario:1: bad scenario name '0123456789012345678901234567890123' (1 to 32 of A-Z a-z 0-9 . _ -)"},
	{"scenario a\nscenario b\n", "t.scenario:2: scenario given twice (line 1)"},
	{"scenario a " "0123456789012345678901234567890123456789012345678901234567890123"
	 "0123456789012345678901234567890123456789012345678901234567890123\n",
	 "t.scenario:1: scenario title too long (at most 127 bytes)"},
	{"scenario t\nclock\n", "t.scenario:2: clock wants HH:MM[:SS] and an optional zone label (clock 15:10 China)"},
	{"scenario t\nclock 15:10 a b\n", "t.scenario:2: clock wants HH:MM[:SS] and an optional zone label (clock 15:10 China)"},
	{"scenario t\nclock 25:10\n", "t.scenario:2: bad clock '25:10' (HH:MM or HH:MM:SS)"},
	{"scenario t\nclock 15:10 Asia/Shanghai+08\n", "t.scenario:2: zone label 'Asia/Shanghai+08' too long (at most 15 bytes)"},
	{HDR "clock 15:11\n", "t.scenario:3: clock given twice (line 2)"},
	{HDR "scale\n", "t.scenario:3: scale wants one REAL=SCENARIO, e.g. 1s=1min"},
	{HDR "scale 1s 1min\n", "t.scenario:3: scale wants one REAL=SCENARIO, e.g. 1s=1min"},
	{HDR "scale 1s=1m=1\n", "t.scenario:3: scale wants REAL=SCENARIO, e.g. 1s=1min"},
	{HDR "scale 1s=1day\n", "t.scenario:3: bad scale '1s=1day': durations are a number and ms, s, min or h (1s=1min)"},
	{HDR "scale 1h=1ms\n", "t.scenario:3: scale '1h=1ms' out of range (1s=1ms to 1s=100000s)"},
	{HDR "scale 1s=1min\nscale 1s=1min\n", "t.scenario:4: scale given twice (line 3)"},
	{HDR "wall\n", "t.scenario:3: wall wants gfw, simple or none (the preset of the wall replay starts)"},
	{HDR "wall china\n", "t.scenario:3: wall wants gfw, simple or none (the preset of the wall replay starts)"},
	{HDR "wall gfw\nwall gfw\n", "t.scenario:4: wall given twice (line 3)"},
	{HDR "15:10 mark x\nwall gfw\n", "t.scenario:4: 'wall' after the first timed line (header lines come first)"},
	/* times */
	{HDR "15:61 end\n", "t.scenario:3: bad time '15:61' (HH:MM or HH:MM:SS)"},
	{HDR "1e5 end\n", "t.scenario:3: bad time '1e5' (HH:MM or HH:MM:SS)"},
	{HDR "15:09:59 end\n", "t.scenario:3: time 15:09:59 is before the clock start 15:10:00"},
	{HDR "15:20 mark a\n15:19 end\n", "t.scenario:4: time 15:19:00 is before the line above (15:20:00): lines must be in time order"},
	{HDR "15:10 end\n15:11 mark late\n", "t.scenario:4: a line after end (line 3)"},
	{HDR "15:10 end x\n", "t.scenario:3: end takes nothing more"},
	/* inject */
	{HDR "15:10 inject\n", "t.scenario:3: inject wants load FILE or off"},
	{HDR "15:10 inject on\n", "t.scenario:3: inject wants load FILE or off"},
	{HDR "15:10 inject off now\n", "t.scenario:3: inject off takes nothing more"},
	{HDR "15:10 inject load\n", "t.scenario:3: inject load wants one rule file"},
	{HDR "15:10 inject load a b\n", "t.scenario:3: inject load wants one rule file"},
	/* flush */
	{HDR "15:10 flush\n", "t.scenario:3: flush needs a resolver (isp, public)"},
	{HDR "15:10 flush isp com\n", "t.scenario:3: unknown resolver 'com' (isp, public)"},
	{HDR "15:10 flush google\n", "t.scenario:3: unknown resolver 'google' (isp, public)"},
	/* rogue */
	{HDR "15:10 rogue\n", "t.scenario:3: rogue wants up ADDR ANSWER or down"},
	{HDR "15:10 rogue sideways\n", "t.scenario:3: rogue wants up ADDR ANSWER or down"},
	{HDR "15:10 rogue up 198.19.66.66\n", "t.scenario:3: rogue up wants ADDR ANSWER (rogue up 198.19.66.66 65.49.2.178)"},
	{HDR "15:10 rogue up 198.19.66 1.2.3.4\n", "t.scenario:3: bad address '198.19.66'"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3\n", "t.scenario:3: bad answer address '1.2.3'"},
	{HDR "15:10 rogue up 198.18.66.66 1.2.3.4\n", "t.scenario:3: rogue address 198.18.66.66 is not outside the border (198.19.0.0/16)"},
	{HDR "15:10 rogue up 65.49.2.178 1.2.3.4\n", "t.scenario:3: rogue address 65.49.2.178 is not outside the border (198.19.0.0/16)"},
	{HDR "15:10 rogue up 198.19.8.8 1.2.3.4\n", "t.scenario:3: rogue address 198.19.8.8 is a lab server's address"},
	{HDR "15:10 rogue up 198.19.1.7 1.2.3.4\n", "t.scenario:3: rogue address 198.19.1.7 is on a lab link"},
	{HDR "15:10 rogue up 198.19.9.7 1.2.3.4\n", "t.scenario:3: rogue address 198.19.9.7 is on a lab link"},
	{HDR "15:10 rogue up 198.19.200.1 1.2.3.4\n", "t.scenario:3: rogue address 198.19.200.1 is among the population's answer addresses (198.19.128.0/17)"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3.4\n15:11 rogue up 198.19.66.67 1.2.3.4\n", "t.scenario:4: a rogue server is already up (line 3)"},
	{HDR "15:10 rogue down\n", "t.scenario:3: rogue down, but no rogue server is up"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3.4\n15:11 rogue down now\n", "t.scenario:4: rogue down takes nothing more"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3.4\n15:11 zone com hijack 198.19.66.66\n15:12 rogue down\n",
	 "t.scenario:5: rogue down while a zone still points to it (hijacked at line 4)"},
	/* zone */
	{HDR "15:10 zone com\n", "t.scenario:3: zone wants TLD hijack ADDR or TLD restore"},
	{HDR "15:10 zone cn restore\n", "t.scenario:3: zone: unknown TLD 'cn' (com, net, org)"},
	{HDR "15:10 zone com steal 1.2.3.4\n", "t.scenario:3: zone wants TLD hijack ADDR or TLD restore"},
	{HDR "15:10 zone com hijack\n", "t.scenario:3: zone com hijack wants the rogue address"},
	{HDR "15:10 zone com hijack 1.2.3.4 x\n", "t.scenario:3: zone com hijack wants the rogue address"},
	{HDR "15:10 zone com hijack 1.2.3\n", "t.scenario:3: bad address '1.2.3'"},
	{HDR "15:10 zone com hijack 198.19.66.66\n", "t.scenario:3: zone com hijack 198.19.66.66: no rogue server is up at that address (rogue up 198.19.66.66 ANSWER first)"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3.4\n15:11 zone net hijack 198.19.66.67\n", "t.scenario:4: zone net hijack 198.19.66.67: no rogue server is up at that address (rogue up 198.19.66.67 ANSWER first)"},
	{HDR "15:10 rogue up 198.19.66.66 1.2.3.4\n15:11 zone org hijack 198.19.66.66\n15:12 zone org hijack 198.19.66.66\n", "t.scenario:5: zone org is already hijacked (line 4)"},
	{HDR "15:10 zone com restore\n", "t.scenario:3: zone com is not hijacked"},
	{HDR "15:10 zone com restore now\n", "t.scenario:3: zone com restore takes nothing more"},
	/* mark */
	{HDR "15:10 mark\n", "t.scenario:3: mark needs a label"},
	{HDR "15:10 mark " "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 "
	 "0123456789 0123456789 0123456789 0123456789 x\n", "t.scenario:3: label too long (at most 120 bytes)"},
	{HDR "15:10 mark a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a\n", "t.scenario:3: too many words (at most 32)"},
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		int r = parse(errors[i].text);
		if (errors[i].want[0] == '\0') {
			CHECK_EQ(r, -1);
			continue;
		}
		if (r != -1 || strcmp(err.text, errors[i].want) != 0)
			printf("#   case %zu\n", i);
		CHECK_EQ(r, -1);
		CHECK_STR(err.text, errors[i].want);
	}
	/* over 6 h of real time */
	CHECK_EQ(parse("scenario t\nclock 00:00\nscale 1s=1s\n23:59 end\n"), -1);
	CHECK_STR(err.text, "t.scenario: the replay would take 86340 s at scale 1s=1s (at most 21600 s)");
	CHECK_EQ(parse("scenario t\nclock 00:00\nscale 1s=4s\n23:59 end\n"), 0);
}

static void test_limits(void)
{
	/* a line of 511 bytes is fine, 512 is not */
	static char text[SCN_FILE_MAX + 2];
	char mark[600];
	memset(mark, 'x', sizeof mark);
	snprintf(text, sizeof text, HDR "# %.*s\n15:10 end\n", SCN_LINE_MAX - 3, mark);
	CHECK_EQ(parse(text), 0);
	snprintf(text, sizeof text, HDR "# %.*s\n15:10 end\n", SCN_LINE_MAX - 2, mark);
	CHECK_EQ(parse(text), -1);
	CHECK_STR(err.text, "t.scenario:3: line too long (at most 511 bytes)");
	CHECK_EQ(err.status, DW_E_TOO_LARGE);
	/* too many timed lines */
	size_t len = (size_t)snprintf(text, sizeof text, HDR);
	for (int i = 0; i < SCN_STEPS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "15:10 mark %d\n", i);
	snprintf(text + len, sizeof text - len, "15:10 end\n");
	CHECK_EQ(parse(text), -1);
	CHECK_STR(err.text, "t.scenario:259: too many timed lines (at most 256)");
	/* too large */
	memset(text, '#', SCN_FILE_MAX + 1);
	dw_error_clear(&err);
	CHECK_EQ(scn_parse(&s, "t.scenario", text, SCN_FILE_MAX + 1, 0, &err), -1);
	CHECK_STR(err.text, "t.scenario: file too large (over 262144 bytes)");
	CHECK_EQ(err.status, DW_E_TOO_LARGE);
	/* a NUL byte */
	const char nul[] = "scenario t\nclock 15:10\n15:10 mark a\0b\n15:11 end\n";
	CHECK_EQ(scn_parse(&s, "t.scenario", nul, sizeof nul - 1, 0, &err), -1);
	CHECK_STR(err.text, "t.scenario:3: NUL byte in the line");
	CHECK_EQ(err.status, DW_E_SYNTAX);
	/* more than 24 h */
	CHECK_EQ(parse(HDR "15:10 end\n"), 0);
}

/* With check_files, a rule file an `inject load` names is read and checked
 * with the injector's own parser. */
static void test_rule_files(void)
{
	char dir[] = "/tmp/dw-scn-test.XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	char good[128], bad[128], scen[128];
	snprintf(good, sizeof good, "%s/good.rules", dir);
	snprintf(bad, sizeof bad, "%s/bad.rules", dir);
	snprintf(scen, sizeof scen, "%s/x.scenario", dir);
	FILE *f = fopen(good, "w");
	fputs("*.com a=65.49.2.178\n", f);
	fclose(f);
	f = fopen(bad, "w");
	fputs("*.com a=65.49.2.178\n*.net bogus\n", f);
	fclose(f);
	const char *t1 = HDR "15:10 inject load good.rules\n15:11 end\n";
	f = fopen(scen, "w");
	fputs(t1, f);
	fclose(f);
	CHECK_EQ(scn_load(&s, scen, &err), 0);
	CHECK_STR(s.step[0].arg, good);
	const char *t2 = HDR "15:10 inject load bad.rules\n15:11 end\n";
	f = fopen(scen, "w");
	fputs(t2, f);
	fclose(f);
	CHECK_EQ(scn_load(&s, scen, &err), -1);
	char want[512];
	snprintf(want, sizeof want, "%s:3: rules %s:2: unknown word 'bogus'", scen, bad);
	CHECK(strncmp(err.text, want, strlen(want)) == 0);
	if (strncmp(err.text, want, strlen(want)) != 0)
		printf("#   got %s\n", err.text);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	const char *t3 = HDR "15:10 inject load missing.rules\n15:11 end\n";
	f = fopen(scen, "w");
	fputs(t3, f);
	fclose(f);
	CHECK_EQ(scn_load(&s, scen, &err), -1);
	snprintf(want, sizeof want, "%s:3: rules %s/missing.rules", scen, dir);
	CHECK(strncmp(err.text, want, strlen(want)) == 0);
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
	unlink(scen);
	CHECK_EQ(scn_load(&s, scen, &err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", scen);
	CHECK_STR(err.text, want);
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
	unlink(good);
	unlink(bad);
	rmdir(dir);
}

/* The scenarios shipped in lab/scenarios parse and say what they should. */
static void test_shipped(void)
{
	const char *root = getenv("DW_ROOT");
	char path[512];
	snprintf(path, sizeof path, "%s/lab/scenarios/2014.scenario", root ? root : ".");
	CHECK_EQ(scn_load(&s, path, &err), 0);
	if (err.text[0])
		printf("#   %s\n", err.text);
	CHECK_STR(s.name, "2014");
	CHECK_STR(s.wall, "gfw");
	CHECK(s.scale == 60.0);
	int load = -1, off = -1, flush = -1;
	for (size_t i = 0; i < s.nsteps; i++) {
		char c[16];
		scn_format_clock(s.step[i].clock_s, c, sizeof c);
		if (s.step[i].action == SCN_INJECT_LOAD)
			load = strcmp(c, "15:15:00") == 0;
		if (s.step[i].action == SCN_INJECT_OFF)
			off = strcmp(c, "15:39:00") == 0;
		if (s.step[i].action == SCN_FLUSH)
			flush = strcmp(c, "16:00:00") == 0 && strcmp(s.step[i].arg, "isp") == 0;
	}
	CHECK_EQ(load, 1);
	CHECK_EQ(off, 1);
	CHECK_EQ(flush, 1);
	snprintf(path, sizeof path, "%s/lab/scenarios/tld-compromise.scenario", root ? root : ".");
	CHECK_EQ(scn_load(&s, path, &err), 0);
	if (err.text[0])
		printf("#   %s\n", err.text);
	CHECK_STR(s.name, "tld-compromise");
	CHECK_EQ(s.uses_inject, 0);
	int hijack = -1, restore = -1;
	for (size_t i = 0; i < s.nsteps; i++) {
		char c[16];
		scn_format_clock(s.step[i].clock_s, c, sizeof c);
		if (s.step[i].action == SCN_ZONE_HIJACK)
			hijack = strcmp(c, "15:15:00") == 0 && strcmp(s.step[i].arg, "com") == 0;
		if (s.step[i].action == SCN_ZONE_RESTORE)
			restore = strcmp(c, "15:39:00") == 0;
	}
	CHECK_EQ(hijack, 1);
	CHECK_EQ(restore, 1);
}

int main(void)
{
	RUN(test_a_full_file);
	RUN(test_defaults_and_paths);
	RUN(test_scale);
	RUN(test_clock);
	RUN(test_errors);
	RUN(test_limits);
	RUN(test_rule_files);
	RUN(test_shipped);
	return harness_done();
}
