# wasihost: build, run and test.
#   make run      build the library and the C CLI; run the bundled guest program
#   make test     every test: Rust, C (ASan/UBSan), the CLI, Python, Go,
#                 the official WASI test suite through the three CLIs
#                 (installs the C-to-wasm toolchain if missing)
#   make install  the library, header, pkg-config file and CLI under PREFIX
#   make bench    the WASI call benchmark against wasmtime-wasi

CARGO ?= cargo
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
GUEST_CC ?= clang
GUEST_CFLAGS ?= --target=wasm32-wasi -O2 -Wall -Wextra -Werror
BUILD := build
GUEST_SRCS := $(wildcard examples/guests/*.c)
GUEST_WASM := $(patsubst examples/guests/%.c,$(BUILD)/guests/%.wasm,$(GUEST_SRCS))

.PHONY: all deps guests run test test-rust test-c test-cli test-python test-go test-wasi-suite lint bench \
	bench-smoke bench-compute bench-cli bench-hooks clean lib lib-debug header examples-c install

PREFIX ?= /usr/local

# The C library staged for C programs: build/lib/<profile>/ holds
# libwasihost_core.so, its SONAME link libwasihost_core.so.0 and
# libwasihost_core.a; the header is include/wasihost.h.
LIB_RELEASE := $(BUILD)/lib/release
LIB_DEBUG := $(BUILD)/lib/debug

define stage_lib
	@mkdir -p $(2)
	@ln -sf ../../../target/$(1)/libwasihost_core.so $(2)/libwasihost_core.so
	@ln -sf ../../../target/$(1)/libwasihost_core.a $(2)/libwasihost_core.a
	@ln -sf libwasihost_core.so $(2)/libwasihost_core.so.0
endef

lib:
	$(CARGO) build --release --lib
	$(call stage_lib,release,$(LIB_RELEASE))

lib-debug:
	$(CARGO) build --lib
	$(call stage_lib,debug,$(LIB_DEBUG))

# Refreshes the committed header from src/ffi (a test fails when it drifts).
header:
	$(CARGO) build --lib
	cp "$$(ls -t target/debug/build/wasihost_core-*/out/wasihost.h | head -1)" include/wasihost.h
	cp include/wasihost.h bindings/go/wasihost.h

all: guests
	$(CARGO) build --release

deps:
	@scripts/ensure-wasi-toolchain.sh

$(BUILD)/guests/%.wasm: examples/guests/%.c | deps
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -o $@ $<

guests: $(GUEST_WASM)

# The main job: word frequencies of the bundled text, computed by a C
# program compiled to wasm, run in the sandbox by the C CLI (linked to the
# release library). It reads its input from a read-only preopen, writes its
# result into a read-write one, and prints a summary.
run: guests lib examples-c
	@mkdir -p $(BUILD)/out
	$(BUILD)/examples-c/wasihost-run --cache-dir $(BUILD)/cache --env LANG=C \
		--ro-dir examples/data::/data --dir $(BUILD)/out::/out \
		$(BUILD)/guests/wordfreq.wasm 10 /data/sample.txt /out/wordfreq.txt
	@echo "--- $(BUILD)/out/wordfreq.txt:"
	@cat $(BUILD)/out/wordfreq.txt

# The C CLI and the embedding example, against the release library.
examples-c: lib
	$(MAKE) -C examples-c all

install: lib
	DESTDIR="$(DESTDIR)" scripts/install.sh $(PREFIX) $(LIB_RELEASE) include

test: deps guests lint test-rust test-c test-cli test-python test-go test-wasi-suite test-differential test-battery

# The C API suite under AddressSanitizer + UBSan (tests-c/).
test-c: lib-debug
	$(MAKE) -C tests-c test

# The CLI case table (tests/cli) through the C CLI and the embedding
# example: plain, under ASan + UBSan, and installed with pkg-config.
test-cli: lib-debug guests
	$(MAKE) -C examples-c test LIBDIR=../build/lib/debug OUT=../build/examples-c-debug

test-python: lib-debug test-cli
	WASIHOST_C_CLI=$(CURDIR)/$(BUILD)/examples-c-debug/wasihost-run bindings/python/test.sh

test-go: lib-debug
	bindings/go/test.sh

# The official WASI test suite (tests/wasi-testsuite) through the C, the
# Python and the Go CLI, default and strict errnos: 6 runs of 72 tests.
test-wasi-suite: lib-debug
	$(MAKE) -C examples-c all LIBDIR=../build/lib/debug OUT=../build/examples-c-debug
	cd bindings/go && $(GO) build -tags wasihost_debug -o bin/wasihost-run ./cmd/wasihost-run
	scripts/wasi-testsuite.sh

test-rust:
	$(CARGO) test --all-targets
	$(CARGO) test --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p wasihost_core

bench: deps
	$(CARGO) bench -p wasihost-bench

# The benchmark at 1% of its counts: checks that it builds and runs (CI).
bench-smoke: deps
	WASIHOST_BENCH_SCALE=0.01 WASIHOST_BENCH_REPS=2 $(CARGO) bench -p wasihost-bench

# The C guests under wasihost and under wasmtime-wasi's preview1: same
# output, exit and files, except the listed differences (bench/tests/differential.rs).
.PHONY: test-differential
test-differential: deps
	$(CARGO) test -p wasihost-bench --release --test differential

# Every preview1 function, byte for byte, under wasihost and wasmtime-wasi p1
# (raw calls; listed differences in bench/tests/battery.rs).
.PHONY: test-battery
test-battery:
	$(CARGO) test -p wasihost-bench --release --test battery -- --nocapture

clean:
	rm -rf $(BUILD)
	$(CARGO) clean

# The compute-bound benchmark (bench/compute/README.md): a C guest (a SAT
# solver, an interpreter, hashing) under the C CLI with and without
# --timeout, the wasmtime 49 CLI with and without -W timeout (downloaded
# from PyPI unless WASMTIME=path) and natively, interleaved, warm caches.
# BENCH_ROUNDS (default 7), BENCH_SCALE, BENCH_SIDES, BENCH_CACHE=0.
# The cost of a call with no handler and with a pass-through handler from
# C, Python and Go (bench/hooks/run.py; --before DIR: a baseline checkout).
bench-hooks: deps
	python3 bench/hooks/run.py $(BENCH_HOOKS_ARGS)

bench-compute: deps examples-c
	GUEST_CC="$(GUEST_CC)" GUEST_CFLAGS="$(GUEST_CFLAGS)" python3 bench/compute/run.py

# The C CLI against the wasmtime 49 CLI and native code (bench/cli/README.md):
# start-up of a tiny module, CPython -c pass, yosys -V (wall time, warm
# caches) and five WASI calls timed in the guest, interleaved rounds.
# BENCH_CLI_ARGS: e.g. --quick, --only hello,clock, --rounds 21, --before PATH.
bench-cli: deps examples-c
	GUEST_CC="$(GUEST_CC)" GUEST_CFLAGS="$(GUEST_CFLAGS)" python3 bench/cli/run.py $(BENCH_CLI_ARGS)
