# actord: one Makefile for everything.
#   make            build build/actord and build/actorctl
#   make run        start nginx + actord on 127.0.0.1 (PORT=, DB=, RUNDIR=,
#                   PLUGINS= plugin files to load)
#   make check      format-check, unit tests, unit tests under ASan+UBSan, a
#                   short fuzz run, integration tests
#   make format     format every C file with the checked-in .clang-format
#   make format-check  fail when a C file is not formatted so
#   make valgrind   unit tests under valgrind memcheck
#   make integration-asan       integration tests against build/asan/actord
#   make tsan       integration tests against build/tsan/actord (TSan)
#   make valgrind-integration   integration tests with actord under
#                   valgrind memcheck (not test_kill9, test_crashloop)
#   make check-console  the web console in a real browser: installs
#                   chromium and tests/browser's npm packages (scripts/deps.sh
#                   browser-test), then tests/integration/test_console.sh;
#                   screenshots in build/console-shots/
#   make check-all  check, valgrind, integration-asan, tsan,
#                   valgrind-integration, check-deb and check-console (what
#                   .ci/run runs)
#   IT_TESTS="test_x.sh ..." limits the last three to those tests.
#   make bench      benchmarks
#   make examples   the example plugins (examples/*/: bank.so)
#   make fuzz       the libFuzzer targets of tests/fuzz, FUZZ_SECONDS each
#   make soak       the crash loop test long: 200 kill -9 cycles under load
#   make install    actord, actorctl, the plugin header and actord.pc, man
#                   pages, systemd units, the nginx site and the docs into
#                   PREFIX (/usr/local), under DESTDIR when given
#                   (scripts/install.sh has the list)
#   make uninstall  removes what make install put (same PREFIX, DESTDIR)
#   make deb        the Debian package, built in a copy of the tree, into
#                   build/deb/ (scripts/deb.sh)
#   make check-deb  make deb, then install the package with apt, run the
#                   REST smoke test against /usr/bin/actord, and purge it
#                   (tests/integration/deb/test_deb.sh; in check-all)
# SAN=1 builds everything with ASan and UBSan into build/asan, TSAN=1
# with ThreadSanitizer into build/tsan.

CC      ?= cc
PKGS    := jansson sqlite3 lua5.4
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lsqlite3 -llua5.4)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

B       := build
OPT     := -O2
SANFLAGS :=
ifeq ($(SAN),1)
B        := build/asan
OPT      := -O1
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
endif
ifeq ($(TSAN),1)
B        := build/tsan
OPT      := -O1
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif

# Warnings, all errors; the fuzz and bench builds take the same (WARN=).
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
           -Wold-style-definition -Wwrite-strings -Wshadow -Wformat=2 \
           -Wundef -Wvla -Wpointer-arith
CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -g $(OPT) \
           -I. -Iinclude $(PKG_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
LIBS    := $(PKG_LIBS) -lfcgi -lpthread -lm -ldl

# Programs that load plugins (plugin/plugin.h) export the behaviour API to
# them, and only it (plugin/exports.list), and hold all of libactord.a:
# an archive member nothing in the program calls would otherwise be left
# out, and a plugin calling it would not load.
PLUGIN_HOST := -Wl,--dynamic-list=plugin/exports.list
WHOLE_LIB = -Wl,--whole-archive $(B)/libactord.a -Wl,--no-whole-archive

# Plugins: shared objects built against include/actord/behavior.h alone,
# without the sanitizers (the program that loads them brings its own).
PLUGIN_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O2 -fPIC -shared \
                 -Iinclude $(shell pkg-config --cflags jansson 2>/dev/null)

LIB_SRC := $(wildcard util/*.c) $(wildcard store/*.c) $(wildcard engine/*.c) \
           $(wildcard behaviors/*.c) $(wildcard lua/*.c) $(wildcard plugin/*.c) \
           $(wildcard fcgi/*.c) $(wildcard conf/*.c)
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(B)/sql/migrations.o
# actord, the program: its threads, options, requests and waiters.
DAEMON_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard daemon/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst %.c,$(B)/%,$(UNIT_SRC))

.PHONY: all run check unit unit-asan integration valgrind bench clean deps \
        soak format format-check \
        fuzz fuzz-short examples plugin-fixtures \
        check-all integration-asan tsan valgrind-integration \
        install uninstall deb check-deb check-console

all: $(B)/actord $(B)/actorctl

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The schema: every sql/NNN_*.sql becomes one string in the binary.
$(B)/sql/migrations.c: $(sort $(wildcard sql/*.sql)) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(sort $(wildcard sql/*.sql)) > $@

$(B)/sql/migrations.o: $(B)/sql/migrations.c
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libactord.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/actord: $(DAEMON_OBJ) $(B)/libactord.a plugin/exports.list
	$(CC) $(LDFLAGS) $(PLUGIN_HOST) -o $@ $(DAEMON_OBJ) $(WHOLE_LIB) $(LIBS)

# actorctl, the program: its commands (actorctl.c) and the operator's
# tools (ops.c), and any other file of cli/.
CLI_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c))
$(B)/actorctl: $(CLI_OBJ) $(B)/libactord.a plugin/exports.list
	$(CC) $(LDFLAGS) $(PLUGIN_HOST) -o $@ $(CLI_OBJ) $(WHOLE_LIB) $(LIBS)

$(B)/tests/unit/test_%: $(B)/tests/unit/test_%.o $(B)/libactord.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

# The fixture plugins of tests/unit/test_plugin.c (and
# tests/integration/test_plugin.sh): one per way a plugin is refused, a
# good one that calls every function of behavior.h, and a folder of two.
PLUGIN_FIX := $(B)/tests/unit/plugins
PLUGIN_FIXTURES := $(addprefix $(PLUGIN_FIX)/,good.so abi.so noentry.so \
                     nullinit.so initfail.so taken.so undefined.so twice.so \
                     notso.so two/10-first.so two/20-second.so two/README)

$(PLUGIN_FIX)/%.so: tests/unit/plugins/%.c include/actord/behavior.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@

$(PLUGIN_FIX)/two/10-first.so: tests/unit/plugins/two_first.c \
                               include/actord/behavior.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@

$(PLUGIN_FIX)/two/20-second.so: tests/unit/plugins/two_second.c \
                                include/actord/behavior.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@

# Not a shared object, whatever its name says; and a file the folder
# loader skips.
$(PLUGIN_FIX)/notso.so $(PLUGIN_FIX)/two/README: tests/unit/plugins/notso.txt
	@mkdir -p $(dir $@)
	cp $< $@

plugin-fixtures: $(PLUGIN_FIXTURES)

$(B)/tests/unit/test_plugin.o: CFLAGS += \
    -DPLUGIN_FIXTURES='"$(CURDIR)/$(PLUGIN_FIX)"'

$(B)/tests/unit/test_plugin: $(B)/tests/unit/test_plugin.o $(B)/libactord.a \
                             plugin/exports.list | $(PLUGIN_FIXTURES)
	$(CC) $(LDFLAGS) $(PLUGIN_HOST) -o $@ $< $(WHOLE_LIB) $(LIBS) $(CHECK_LIBS)

examples:
	$(MAKE) -C examples/bank WARN='$(WARN)'

# The load client of tests/integration/test_waiters.sh and bench/http.sh:
# libc only, always the plain build (build/tests/tools/waiters), whatever
# SAN or TSAN say, since it is a client and not the code under test.
WAITERS := build/tests/tools/waiters
$(WAITERS): tests/tools/waiters.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -g -O2 $< -o $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

unit-asan:
	$(MAKE) SAN=1 unit

integration: all examples plugin-fixtures $(WAITERS)
	bash tests/integration/run.sh

# check and run install missing Debian packages first (scripts/deps.sh),
# so that a fresh clone needs nothing else.
check: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz-short
	$(MAKE) integration

# test_oom tries every 13th N here (OOM_STRIDE): every N under valgrind
# takes minutes, and unit-asan tries every N with LeakSanitizer on.
valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
	  OOM_STRIDE=13 CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=1 $$t; done

# The integration suite against other builds of actord, through
# tests/integration/lib.sh's ACTORD_BIN and ACTORD_WRAP: every sanitizer or
# valgrind report that actord writes (to the test's folder) is a failed
# assertion of the test that made it.  A subset: IT_TESTS="test_api.sh ...".
IT_TESTS ?=

# ASan + UBSan (build/asan): memory errors, UB, and leaks at each clean
# stop (LeakSanitizer).
integration-asan: all examples plugin-fixtures $(WAITERS)
	$(MAKE) SAN=1 all
	ACTORD_BIN=$(CURDIR)/build/asan/actord \
	  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
	  bash tests/integration/run.sh $(IT_TESTS)

# ThreadSanitizer (TSAN=1 builds into build/tsan): data races between the
# request threads, the scheduler and the signal thread.  Reports do not
# halt actord, so that one run lists them all; each fails its test.
tsan: all examples plugin-fixtures $(WAITERS)
	$(MAKE) TSAN=1 all
	ACTORD_BIN=$(CURDIR)/build/tsan/actord \
	  TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  bash tests/integration/run.sh $(IT_TESTS)

# valgrind memcheck around the plain build: errors, and definite or
# indirect leaks at each clean stop.  Without IT_TESTS it skips the two
# kill -9 tests: there valgrind's start-up at each restart is most of the
# time (test_kill9 takes 80 s), a killed actord has no leak check, and
# integration-asan and tsan run them.
VALGRIND_IT := valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
               --errors-for-leak-kinds=definite,indirect --num-callers=30
VALGRIND_IT_SKIP := test_kill9.sh test_crashloop.sh
# and the browser test, which make check-console runs.
VALGRIND_IT_SKIP += test_console.sh
valgrind-integration: all examples plugin-fixtures $(WAITERS)
	ACTORD_WRAP="$(VALGRIND_IT)" IT_TIMEOUT=900 \
	  bash tests/integration/run.sh $(or $(IT_TESTS),$(filter-out \
	    $(VALGRIND_IT_SKIP),$(notdir $(wildcard tests/integration/test_*.sh))))

check-all: check valgrind integration-asan tsan valgrind-integration check-deb \
           check-console

# The console's browser test: Debian's chromium driven by playwright-core
# (tests/browser/package-lock.json, npm ci), against nginx and actord
# started by the test.  Not in make check, which needs no browser.
check-console: all
	bash scripts/deps.sh browser-test
	bash tests/integration/run.sh test_console.sh

run: deps
	$(MAKE) all
	bash scripts/run.sh

deps:
	bash scripts/deps.sh

bench: all $(WAITERS)
	[ "$${BENCH_HTTP:-1}" = 0 ] || bash scripts/deps.sh wrk
	WARN='$(WARN)' bash bench/run.sh

# tests/integration/test_crashloop.sh in its long form (make check runs it
# with 12 cycles).
soak: all
	CRASH_CYCLES=200 IT_TIMEOUT=1800 bash tests/integration/run.sh test_crashloop.sh

# The fuzz targets (tests/fuzz/run.sh builds them with clang into
# build/fuzz): a short run of each in check, long runs by hand.
FUZZ_SECONDS ?= 300
fuzz-short:
	WARN='$(WARN)' bash tests/fuzz/run.sh 10

fuzz:
	WARN='$(WARN)' bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# Formatting is mechanical: clang-format with the checked-in
# .clang-format, over every C source and header of the tree (the
# generated build/ aside).
FORMAT_SRC := $(sort $(wildcard util/*.[ch] conf/*.[ch] store/*.[ch] engine/*.[ch] \
                behaviors/*.[ch] lua/*.[ch] fcgi/*.[ch] daemon/*.[ch] cli/*.[ch] bench/*.[ch] \
                plugin/*.[ch] include/actord/*.h tests/unit/*.[ch] \
                tests/unit/plugins/*.[ch] tests/fuzz/*.[ch] tests/tools/*.[ch] \
                examples/*/*.[ch]))
format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

# Installing.  The paths are those the installed programs, units and man
# pages name; DESTDIR stages the tree elsewhere (a package's folder, a
# test's).  The Debian package passes PREFIX=/usr and
# SYSTEMDUNITDIR=/lib/systemd/system (debian/rules).  VERSION is also
# debian/changelog's.
VERSION        := $(shell sed -n 's/^#define ACTORD_VERSION "\(.*\)"$$/\1/p' util/version.h)
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
INCLUDEDIR     ?= $(PREFIX)/include
LIBDIR         ?= $(PREFIX)/lib
PLUGINDIR      ?= $(LIBDIR)/actord/plugins
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
DOCDIR         ?= $(DATADIR)/doc/actord
SHAREDIR       ?= $(DATADIR)/actord
# A header and no library: pkg-config's folder for files of any
# architecture.
PKGCONFIGDIR   ?= $(DATADIR)/pkgconfig
# /usr's configuration is in /etc; /usr/local's in /usr/local/etc.
SYSCONFDIR     ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# systemd reads units and sysusers.d from /usr/local/lib too.
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
SYSUSERSDIR    ?= $(LIBDIR)/sysusers.d
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' \
    INCLUDEDIR='$(INCLUDEDIR)' LIBDIR='$(LIBDIR)' PLUGINDIR='$(PLUGINDIR)' \
    DATADIR='$(DATADIR)' MANDIR='$(MANDIR)' DOCDIR='$(DOCDIR)' \
    SHAREDIR='$(SHAREDIR)' PKGCONFIGDIR='$(PKGCONFIGDIR)' \
    SYSCONFDIR='$(SYSCONFDIR)' SYSTEMDUNITDIR='$(SYSTEMDUNITDIR)' \
    SYSUSERSDIR='$(SYSUSERSDIR)' VERSION='$(VERSION)' B='$(B)'

install: all
	$(INSTALL_ENV) bash scripts/install.sh install

uninstall:
	$(INSTALL_ENV) bash scripts/install.sh uninstall

# The Debian package (debian/), built with dpkg-buildpackage in a copy of
# the tree, so that nothing is written beside it: build/deb/*.deb.
# deps.sh installs what the build needs beyond make check's packages.
DEB_BUILD_PKGS := debhelper build-essential
deb:
	bash scripts/deps.sh $(DEB_BUILD_PKGS)
	bash scripts/deb.sh

check-deb: deb
	bash tests/integration/deb/test_deb.sh

clean:
	rm -rf build
	$(MAKE) -C examples/bank clean

-include $(shell find build -name '*.d' 2>/dev/null)
