# dnswatch: one plain Makefile.
#   make            build/dnswatch and build/libdnswatch.a (release, -O2)
#   make check      sanitizer build (ASan+UBSan) of everything, then every test
#   make fuzz       libFuzzer targets (clang-14) for FUZZ_TIME seconds each
#   make bench      benchmarks under bench/, side by side with their peers
#   make demo       the main job (see README)
#   make deps       install the Debian packages that are missing
#   make clickhouse-up / clickhouse-down   a ClickHouse server for the store (docs/store.md)

CC      ?= cc
FUZZCC  ?= clang-14
CSTD    = -std=c11 -D_GNU_SOURCE
WARN    = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wpointer-arith -Wsign-compare -Wformat=2 -Wvla -Wundef -Wcast-qual
CPPFLAGS = -Isrc -MMD -MP
OPT     ?= -O2 -g
SAN     = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBS    = -lpcap -lnetfilter_queue -lnfnetlink -lsqlite3 -lcurl -lldns -ljansson -lssl -lcrypto -lm -lpthread
TESTLIBS = $(LIBS) -lldns

B       = build
# The libraries (every folder but cli/) and the commands over them (cli/):
# libdnswatch.a never calls up into a command; the tests, fuzzers and
# benchmarks link the libraries, and tests of command code link both.
LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(filter-out src/cli/main.c,$(wildcard src/cli/*.c)))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_TIME ?= 60

REL_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=$(B)/san/obj/%.o)
REL_CLI  := $(CLI_SRC:%.c=$(B)/obj/%.o)
SAN_CLI  := $(CLI_SRC:%.c=$(B)/san/obj/%.o)
FZ_OBJ   := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)
TEST_BIN := $(patsubst tests/%.c,$(B)/san/tests/%,$(TEST_SRC))
REPLAY_BIN := $(patsubst %,$(B)/san/replay/%,$(FUZZ_TARGETS))

.SECONDARY:
.PHONY: all deps deps-check deps-fuzz deps-bench check fuzz bench demo clean clickhouse-up clickhouse-down

all: $(B)/dnswatch $(B)/libdnswatch.a

deps:
	@scripts/deps.sh build test lab clickhouse
deps-fuzz:
	@scripts/deps.sh build fuzz
deps-bench:
	@scripts/deps.sh build lab bench clickhouse

# --- release build ---------------------------------------------------------
$(B)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(OPT) $(CFLAGS) -c $< -o $@

$(B)/libdnswatch.a: $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/dnswatch: $(B)/obj/src/cli/main.o $(REL_CLI) $(B)/libdnswatch.a
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^ $(LIBS)

# --- sanitizer build: what make check runs -----------------------------------
$(B)/san/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -Itests $(SAN) $(CFLAGS) -c $< -o $@

$(B)/san/libdnswatch.a: $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/san/libdwcli.a: $(SAN_CLI)
	@rm -f $@
	ar rcs $@ $^

$(B)/san/dnswatch: $(B)/san/obj/src/cli/main.o $(B)/san/libdwcli.a $(B)/san/libdnswatch.a
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(B)/san/tests/%: $(B)/san/obj/tests/%.o $(B)/san/libdwcli.a $(B)/san/libdnswatch.a
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ $(TESTLIBS)

# Each fuzz target linked with a plain main() that replays its seed corpus.
$(B)/san/replay/%: $(B)/san/obj/tests/fuzz/%.o $(B)/san/obj/tests/fuzz/replay_main.o $(B)/san/libdnswatch.a
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

check: $(B)/san/dnswatch $(TEST_BIN) $(REPLAY_BIN) $(B)/dnswatch
	@tests/run.sh $(B)/san

# --- fuzzing (clang-14 libFuzzer) --------------------------------------------
FZFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
$(B)/fuzz/obj/%.o: %.c | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZCC) $(CSTD) $(WARN) $(CPPFLAGS) $(FZFLAGS) -c $< -o $@

$(B)/fuzz/libdnswatch.a: $(FZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/%: $(B)/fuzz/obj/tests/fuzz/%.o $(B)/fuzz/libdnswatch.a
	$(FUZZCC) -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz: $(patsubst %,$(B)/fuzz/%,$(FUZZ_TARGETS))
	@scripts/fuzz.sh $(B)/fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

# --- benchmarks -----------------------------------------------------------------
# bench/<dir>/bench_<name>.c -> $(B)/bench/bench_<name>, release flags (-O2),
# linked with the release library and the peers it is compared with (libknot).
BENCH_SRC  := $(sort $(wildcard bench/*/bench_*.c))
BENCH_BIN  := $(addprefix $(B)/bench/,$(basename $(notdir $(BENCH_SRC))))
BENCHLIBS   = $(LIBS) -lknot
define bench_rule
$(B)/bench/$(basename $(notdir $(1))): $(1) $(B)/libdnswatch.a | deps-bench
	@mkdir -p $$(@D)
	$$(CC) $$(CSTD) $$(WARN) $$(CPPFLAGS) -O2 -g $$(CFLAGS) -o $$@ $$< $(B)/libdnswatch.a $$(BENCHLIBS)
endef
$(foreach s,$(BENCH_SRC),$(eval $(call bench_rule,$(s))))

# bench/<dir>/tool_<name>.c: helpers a bench/*/run.sh drives (not run alone).
TOOL_SRC := $(sort $(wildcard bench/*/tool_*.c))
TOOL_BIN := $(addprefix $(B)/bench/,$(basename $(notdir $(TOOL_SRC))))
$(foreach s,$(TOOL_SRC),$(eval $(call bench_rule,$(s))))

bench: $(B)/dnswatch $(B)/libdnswatch.a $(BENCH_BIN) $(TOOL_BIN) | deps-bench
	@bench/run.sh $(B)

# Debian's clickhouse-server on 127.0.0.1 (HTTP CH_PORT, default 8123), config
# and data under CH_DIR (default build/clickhouse); no system service.
CH_DIR  ?= $(B)/clickhouse
CH_PORT ?= 8123
clickhouse-up:
	@scripts/clickhouse.sh up $(CH_DIR) $(CH_PORT)
clickhouse-down:
	@scripts/clickhouse.sh down $(CH_DIR)

demo: $(B)/dnswatch | deps
	@scripts/demo.sh $(B)/dnswatch

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
