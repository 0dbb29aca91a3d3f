# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# pyleak-bpf build. `make` builds ./pyleak-bpf (BPF objects embedded through
# bpftool skeletons); `make test` runs unit and end-to-end tests; `make bench`
# runs the overhead benchmark. V=1 shows full commands.

OUTPUT := .output
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
PYTHON ?= /usr/bin/python3

ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
ifneq ($(ARCH),x86)
$(error pyleak-bpf supports x86-64 only (CPython offsets and FS-base thread matching), got $(ARCH))
endif

VMLINUX := vmlinux/vmlinux.h
# user/ is grouped by pipeline stage (README "Source map"); headers are
# included by name, so each stage's folder is on the include path.
USER_DIRS := user user/target user/python user/capture user/judge user/out
INCLUDES := -Iinclude -I$(OUTPUT) $(addprefix -I,$(USER_DIRS))
# -target bpf loses the arch-specific system include dirs on Debian; add them
# back after our own (the libbpf-bootstrap recipe).
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

CFLAGS ?= -g -O2
# Truncating display strings to their buffers is intended, hence no format-truncation.
WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-format-truncation -Werror
DEPFLAGS = -MMD -MP
# STATIC_LIBBPF=1 links libbpf.a (libbpf-dev ships it): the container
# image's runtime stage then needs no libbpf (deploy/Containerfile)
LIBBPF_LDLIBS := -lbpf
ifeq ($(STATIC_LIBBPF),1)
LIBBPF_LDLIBS := -Wl,-Bstatic -lbpf -Wl,-Bdynamic
endif
LDLIBS := $(LIBBPF_LDLIBS) -lelf -lz -lm -lprotobuf-c
# compare reads the JSON lines of two runs (README "Dependencies and why")
LDLIBS += -ljansson
# --listen serves /metrics and /healthz with libmicrohttpd (README "Dependencies and why")
LDLIBS += -lmicrohttpd
PROTOC_C ?= protoc-c

BPF_APPS := alloc growth oom
BPF_SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_APPS))

# Userspace modules, one concern each (see README "Source map").
USER_SRCS := $(wildcard $(addsuffix /*.c,$(USER_DIRS)))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# pprof's profile.proto (a verbatim copy in proto/, see README
# "Dependencies"), compiled to C by protoc-c at build time.
PROTO_OBJS := $(OUTPUT)/profile.pb-c.o
USER_OBJS += $(PROTO_OBJS)
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean test unit e2e bench install deps chroots demo check soak
all: pyleak-bpf

# One-command set-ups (README): dependencies, build, and a demo or the tests.
deps:
	$(Q)scripts/install-deps.sh

chroots:
	$(Q)tests/setup_chroots.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	scripts/demo.sh

check: deps
	$(Q)$(MAKE) --no-print-directory chroots
	$(Q)$(MAKE) --no-print-directory test

# BPF: compile, link (bpftool gen object), then generate the skeleton.
$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ $(DEPFLAGS) -MT $@ \
		-Ivmlinux $(INCLUDES) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Userspace objects depend on the skeletons (only the ones that include them
# really need to, but ordering here keeps the first build simple).
$(OUTPUT)/user/%.o: user/%.c | $(BPF_SKELS) $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEPFLAGS) $(INCLUDES) -c $< -o $@

# Generated code: compiled without our -Werror set (its style is protoc-c's).
$(OUTPUT)/%.pb-c.c $(OUTPUT)/%.pb-c.h: proto/%.proto | $(OUTPUT)
	$(call msg,PROTOC-C,$@)
	$(Q)$(PROTOC_C) --c_out=$(OUTPUT) --proto_path=proto $<

$(OUTPUT)/%.pb-c.o: $(OUTPUT)/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -I$(OUTPUT) -c $< -o $@

$(OUTPUT)/user/out/out_pprof.o: $(OUTPUT)/profile.pb-c.h

pyleak-bpf: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: each tests/unit/test_X.c links against the userspace modules
# (all but main.c) and cmocka.
$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEPFLAGS) $(INCLUDES) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

unit: $(UNIT_BINS)
	$(Q)tests/run_unit.sh $(UNIT_BINS)

e2e: pyleak-bpf
	$(Q)$(PYTHON) -m pytest -p no:cacheprovider -v -rs tests/e2e

# the safety checks run after the functional tests (README "Safety")
test: unit e2e fuzz-ci asan valgrind

# make bench BENCH="verdict peers" runs only those parts (overhead, verdict, peers, node)
bench: pyleak-bpf
	$(Q)$(PYTHON) bench/bench.py $(BENCH)

# make soak MINUTES=30: the profiler's own RSS, CPU and map entries over a
# long session in both modes; fails if RSS does not plateau (README "Safety").
# Not in CI.
MINUTES ?= 30
soak: pyleak-bpf
	$(Q)$(PYTHON) bench/soak.py $(MINUTES)

# Fuzzing (README "Safety"): each tests/fuzz/fuzz_X.c is a libFuzzer harness
# linked with the userspace modules built again by clang with ASan, UBSan and
# coverage into .output/fuzz/; corpus/X/ holds its checked-in seeds. make fuzz
# runs each for FUZZ_SECONDS, make fuzz-ci (part of make test) for 20 s.
FUZZ_CC ?= clang-14
FUZZ_OUT := $(OUTPUT)/fuzz
FUZZ_SAN := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
# clang has no -Wformat-truncation (gcc only)
FUZZ_WARNINGS := $(filter-out -Wno-format-truncation,$(WARNINGS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/%,$(LIB_OBJS))
FUZZ_SECONDS ?= 300
FUZZ_CI_SECONDS ?= 20

$(FUZZ_OUT)/user/%.o: user/%.c | $(BPF_SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_WARNINGS) $(DEPFLAGS) $(INCLUDES) \
		-c $< -o $@

$(FUZZ_OUT)/profile.pb-c.o: $(OUTPUT)/profile.pb-c.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -I$(OUTPUT) -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_WARNINGS) $(DEPFLAGS) $(INCLUDES) -Itests/unit \
		$< $(FUZZ_LIB_OBJS) $(FUZZ_LDFLAGS) $(LDLIBS) -o $@

$(FUZZ_OUT)/user/out/out_pprof.o: $(OUTPUT)/profile.pb-c.h

# the allocator-switch harness is the target: its reads and writes are fakes
$(FUZZ_OUT)/fuzz_allocswitch: FUZZ_LDFLAGS = -Wl,--wrap=pm_read,--wrap=pm_read_u64,--wrap=pm_write
# the escaper harness parses the JSON it gets with jansson (linked already)

.PHONY: fuzz-build fuzz fuzz-ci
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-ci: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_CI_SECONDS) $(FUZZ_BINS)

# Sanitisers (README "Safety"): make asan builds the userspace with gcc's
# ASan+UBSan into .output-asan/ and ./pyleak-bpf-asan (the BPF objects and
# skeletons are .output's, copied with their times so none is rebuilt), runs
# every unit test under it, then the end-to-end tests marked asan
# (tests/e2e/conftest.py ASAN_SUBSET) against that binary. Any report fails.
ASAN_OUT := .output-asan
ASAN_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ASAN_UNIT_BINS := $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(UNIT_BINS))

.PHONY: asan asan-build asan-unit asan-e2e asan-unit-bins
pyleak-bpf-asan: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

asan-unit-bins: $(UNIT_BINS)

asan-build: $(BPF_SKELS)
	$(Q)mkdir -p $(ASAN_OUT)
	$(Q)cp -p $(OUTPUT)/*.bpf.o $(OUTPUT)/*.skel.h $(ASAN_OUT)/
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(ASAN_OUT) CFLAGS="$(ASAN_CFLAGS)" \
		pyleak-bpf-asan asan-unit-bins

asan-unit: asan-build
	$(Q)$(ASAN_ENV) tests/run_unit.sh $(ASAN_UNIT_BINS)

# Reports also go to files ($(ASAN_OUT)/reports): a report in a run whose
# exit status a test does not check still fails make asan.
ASAN_REPORTS := $(abspath $(ASAN_OUT))/reports
asan-e2e: asan-build
	$(Q)rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(ASAN_REPORTS)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(ASAN_REPORTS)/ubsan \
	PYLEAK_BINARY=./pyleak-bpf-asan $(PYTHON) -m pytest -p no:cacheprovider \
		-v -rs -m asan tests/e2e; rc=$$?; \
	if [ -n "$$(ls -A $(ASAN_REPORTS))" ]; then \
		echo "asan: sanitizer reports:"; cat $(ASAN_REPORTS)/*; exit 1; fi; exit $$rc

asan: asan-unit asan-e2e

# valgrind memcheck (README "Safety"): two short sessions (growth mode
# attached with windows, alloc mode in run mode) with no error and no
# definite or indirect leak; tests/valgrind/pyleak.supp holds the few
# suppressions for kernel interfaces valgrind does not model.
.PHONY: valgrind
valgrind: pyleak-bpf
	$(Q)tests/valgrind/run.sh ./pyleak-bpf

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

prefix ?= /usr/local
install: pyleak-bpf
	install -D -m 0755 pyleak-bpf $(DESTDIR)$(prefix)/sbin/pyleak-bpf

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) pyleak-bpf $(ASAN_OUT) pyleak-bpf-asan

# A failed recipe must not leave a half-written target behind.
.DELETE_ON_ERROR:
# Keep the intermediate BPF objects and skeletons (make would delete them).
.SECONDARY:

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/tests/*.d)
-include $(wildcard $(FUZZ_OUT)/user/*.d $(FUZZ_OUT)/user/*/*.d $(FUZZ_OUT)/*.d)
