# klaster -- one non-recursive Makefile.
#
#   make            build the program, the library and the built-in plugins
#   make demo       install missing Debian packages, build, run the example
#   make test       install missing Debian packages, build, run every test
#   make asan       the test suite under AddressSanitizer + UBSan
#   make tsan       the threaded paths (parallel loads and steps) under ThreadSanitizer
#   make bench      speed and memory figures against their baselines
#   make torture    every allocation, then every output write, failing in turn, under
#                   ASan (slow; not in test)
#   make fuzz       the libFuzzer harnesses, FUZZ_SECONDS (60) each (clang)
#   make install    PREFIX=/usr/local DESTDIR= (headers, pkg-config, plugins)
#   make clean
#
# SANITIZE=address,undefined builds everything with those sanitizers (into
# build-asan/ unless BUILD is given).

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCDIR = $(PREFIX)/include
PLUGINDIR = $(LIBDIR)/klaster/plugins
SCRIPTDIR = $(PREFIX)/share/klaster/scripts

SANITIZE ?=
ifneq ($(SANITIZE),)
BUILD ?= build-asan
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SAN_FLAGS =
endif

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = lua5.4 zlib
OPT ?= -O2 -g
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

KL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -fPIC \
	-MMD -MP $(OPT) $(SAN_FLAGS) $(DEP_CFLAGS) \
	-DKL_PLUGINDIR='"$(PLUGINDIR)"' -DKL_SCRIPTDIR='"$(SCRIPTDIR)"' $(EXTRA_CFLAGS)
KL_LDFLAGS = $(SAN_FLAGS) -pthread $(LDFLAGS)
KL_LIBS = $(DEP_LIBS) -ldl -lm

# The library: every subsystem, as a file pair each (the program's main
# only parses arguments and dispatches).
CORE_SRCS = \
	core/kl_alloc.c core/kl_io.c core/kl_error.c \
	core/kl_source.c core/kl_csv.c core/kl_number.c \
	core/kl_strpool.c core/kl_table.c core/kl_group.c \
	core/kl_schema.c core/kl_dataset.c core/kl_check.c \
	core/kl_writer.c core/kl_crc32.c core/kl_sha256.c core/kl_log.c \
	core/kl_plugin.c core/kl_step.c core/kl_sched.c core/kl_compute.c \
	core/kl_lua.c core/kl_lua_api.c core/kl_lua_config.c core/kl_lua_desc.c \
	core/kl_lua_group.c core/kl_lua_path.c \
	core/kl_pipeline.c core/kl_run.c core/kl_runs.c core/kl_schedule.c \
	core/kl_fmt.c core/kl_svg.c core/kl_report.c \
	core/kl_cli.c
CORE_OBJS = $(CORE_SRCS:%.c=$(BUILD)/%.o)
PROG_OBJS = $(BUILD)/core/main.o
UNIT_SRCS = \
	tests/unit/runner.c tests/unit/test_source.c tests/unit/test_csv.c \
	tests/unit/test_number.c tests/unit/test_strpool.c tests/unit/test_table.c \
	tests/unit/test_group.c tests/unit/test_dataset.c tests/unit/test_writer.c \
	tests/unit/test_sha256.c tests/unit/test_lua.c tests/unit/test_report.c \
	tests/unit/test_sched.c tests/unit/test_step.c tests/unit/test_alloc.c \
	tests/unit/test_crc32.c
UNIT_OBJS = $(UNIT_SRCS:%.c=$(BUILD)/%.o)
PLUGIN_SRCS = plugins/jobs_created.c plugins/budget_revenue.c plugins/innovation_activity.c \
	plugins/export_diversification.c
PLUGINS = $(PLUGIN_SRCS:plugins/%.c=$(BUILD)/plugins/%.so)
TOOL_SRCS = scripts/gen_dataset.c bench/inflate_floor.c bench/measure.c bench/bench_read.c \
	bench/bench_lua.c tests/tools/csvcmp.c
TOOLS = $(TOOL_SRCS:%.c=$(BUILD)/%)

LIB = $(BUILD)/libklaster.a
PROG = $(BUILD)/klaster
UNIT = $(BUILD)/tests/unit-tests

.PHONY: all deps demo test test-run asan tsan bench install clean
all: $(PROG) $(PLUGINS) $(TOOLS) $(UNIT)

deps:
	@sh scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(KL_CFLAGS) -Icore -c $< -o $@

$(LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(PROG): $(PROG_OBJS) $(LIB)
	$(CC) $(KL_LDFLAGS) $^ $(KL_LIBS) -o $@

# Plugins see only the public header and export only their entry symbol.
$(BUILD)/plugins/%.so: plugins/%.c core/klaster.h
	@mkdir -p $(@D)
	$(CC) $(KL_CFLAGS) -fvisibility=hidden -Icore -shared $< -o $@ $(KL_LDFLAGS) -lm

$(BUILD)/scripts/%: scripts/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(KL_CFLAGS) -Icore $< $(LIB) $(KL_LDFLAGS) $(KL_LIBS) -o $@
$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(KL_CFLAGS) -Icore $< $(LIB) $(KL_LDFLAGS) $(KL_LIBS) -o $@
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(KL_CFLAGS) -Icore $< $(LIB) $(KL_LDFLAGS) $(KL_LIBS) -o $@

$(UNIT): $(UNIT_OBJS) $(LIB)
	$(CC) $(KL_LDFLAGS) $(UNIT_OBJS) $(LIB) $(KL_LIBS) -o $@

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory test-run

test-run: all
	@sh tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined test-run

# ThreadSanitizer over the threaded paths (tests/tsan.sh): parallel loads
# and steps sharing the string pool and the grouping cache.
TSAN_BUILD ?= $(BUILD)-tsan
tsan: deps
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) SANITIZE=thread all
	@sh tests/tsan.sh $(TSAN_BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)

# The fault-injection sweeps (tests/torture/run.sh): a fault-injection
# build under ASan+UBSan, then each representative command with its Nth
# allocation failing, for every N (TORTURE_STRIDE=S: every Sth), and with
# its Nth output call (write, fsync, rename, mkdir...: core/kl_io.h) failing,
# for every N (TORTURE_FAULTS=alloc or write runs one sweep only).
TORTURE_BUILD ?= $(BUILD)-torture
.PHONY: torture fuzz fuzz-build
torture: deps
	@$(MAKE) --no-print-directory BUILD=$(TORTURE_BUILD) SANITIZE=address,undefined \
		EXTRA_CFLAGS=-DKL_FAULT_INJECTION all
	@sh tests/torture/run.sh $(TORTURE_BUILD)

# libFuzzer harnesses (tests/fuzz/): the library built with clang and
# ASan+UBSan plus fuzzer coverage, each harness run FUZZ_SECONDS seconds over
# its seeds and the kept regression inputs.  New corpus entries go to
# $(FUZZ_BUILD)/corpus-NAME; crashes to $(FUZZ_BUILD)/crash-NAME-*.
FUZZ_SECONDS ?= 60
FUZZ_BUILD ?= $(BUILD)-fuzz
FUZZ_CC ?= clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZERS = $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) FUZZ_BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SANITIZE= \
		EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" LDFLAGS="$(FUZZ_SAN)" $(FUZZ_BUILD)/libklaster.a
	@$(MAKE) --no-print-directory FUZZ_BUILD=$(FUZZ_BUILD) fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
fuzz-build: $(FUZZERS)
$(FUZZ_BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(FUZZ_BUILD)/libklaster.a
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror $(FUZZ_SAN) -fsanitize=fuzzer \
		$(DEP_CFLAGS) -Icore $< $(FUZZ_BUILD)/libklaster.a $(DEP_LIBS) -ldl -lm -pthread -o $@

install: $(PROG) $(PLUGINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PLUGINDIR) \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(SCRIPTDIR)
	install -m 755 $(PROG) $(DESTDIR)$(BINDIR)/klaster
	install -m 644 core/klaster.h $(DESTDIR)$(INCDIR)/klaster.h
	for p in $(PLUGINS); do install -m 755 $$p $(DESTDIR)$(PLUGINDIR)/; done
	for s in scripts/*.lua; do install -m 644 $$s $(DESTDIR)$(SCRIPTDIR)/; done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define KLASTER_VERSION "\(.*\)"/\1/p' core/klaster.h)|g' \
		klaster.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/klaster.pc

clean:
	rm -rf build build-asan

-include $(CORE_OBJS:.o=.d) $(PROG_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
