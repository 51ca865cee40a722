# actord: one Makefile for everything.
#   make            build build/actord and build/actorctl
#   make run        start nginx + actord on 127.0.0.1 (PORT=, DB=, RUNDIR=)
#   make check      unit tests, unit tests under ASan+UBSan, integration tests
#   make valgrind   unit tests under valgrind memcheck
#   make bench      benchmarks
# SAN=1 builds everything with ASan and UBSan into build/asan.

CC      ?= cc
PKGS    := jansson sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lsqlite3)
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

CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) \
           -I. -Iinclude $(PKG_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS)
LIBS    := $(PKG_LIBS) -lfcgi -lpthread -lm

LIB_SRC := $(wildcard util/*.c) $(wildcard store/*.c) $(wildcard engine/*.c) \
           $(wildcard behaviors/*.c) \
           $(filter-out fcgi/main.c,$(wildcard fcgi/*.c))
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(B)/sql/migrations.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst %.c,$(B)/%,$(UNIT_SRC))

.PHONY: all run check unit unit-asan integration valgrind bench clean deps \
        check-all

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

$(B)/actord: $(B)/fcgi/main.o $(B)/libactord.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/actorctl: $(B)/cli/actorctl.o $(B)/libactord.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/unit/test_%: $(B)/tests/unit/test_%.o $(B)/libactord.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

unit-asan:
	$(MAKE) SAN=1 unit

integration: all
	bash tests/integration/run.sh

# check and run install missing Debian packages first (scripts/deps.sh),
# so that a fresh clone needs nothing else.
check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) integration

valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
	  CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=1 $$t; done

check-all: check valgrind

run: deps
	$(MAKE) all
	bash scripts/run.sh

deps:
	bash scripts/deps.sh

bench: all
	bash bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
