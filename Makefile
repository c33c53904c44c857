# Spoor: two commands on a fresh machine —
#   make serve   install what is missing, build the page, serve it with a sample incident
#   make test    install what is missing, run every test
# Both are idempotent: on a ready machine they only rebuild what changed.

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
WASM_OUT := target/wasm32-unknown-unknown
PORT ?= 8080

.PHONY: setup dist web serve test test-native test-wasm test-e2e cli fuzz

setup:
	@scripts/setup.sh

## The release page: dist/index.html (+ app.js, worker.js, tools.js) and dist/spoor.html.
dist: setup web

## The page (app), the analysis worker (worker) and the tools worker
## (tools: samples and exports, loaded on first use): one wasm module each,
## as bin:profile. The page and the tools worker are built for size
## (profile web, opt-level z), the analysis worker at opt-level s, which keeps
## the inlining its hot path needs (profile web-worker).
## WASM_OPT_FLAGS=-g keeps function names, for bench/browser-profile.mjs.
WEB_BUILDS := app:web worker:web-worker tools:web
WASM_OPT_FLAGS ?=
## Each module is built with its own std (cargo's build-std, from the rust-src
## component that scripts/setup.sh adds), so std is compiled for size as well
## (std's optimize_for_size: merge and heap sorts, plainer number formatting),
## and panics abort at once (panic=immediate-abort: no message formatting in
## the module; the page already says only that a worker stopped). Together
## 10 % off the analysis worker's module at the same speed (docs/performance.md).
## These are unstable cargo and rustc flags: RUSTC_BOOTSTRAP=1 allows them on
## the stable toolchain for these builds (and, in scripts/fuzz.sh, for
## cargo-fuzz); the CLI and the test builds never see it.
WASM_STD := -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
## Cargo adds these to .cargo/config.toml's wasm32 rustflags (simd128).
WASM_RUSTFLAGS := -Zunstable-options -Cpanic=immediate-abort

## Without std's sources (rust-src could not be added) the modules are built
## with the prebuilt std, as before: the same page, larger modules.
web:
	@mkdir -p target/web
	std="$(WASM_STD)"; flags="$(WASM_RUSTFLAGS)"; \
	if [ ! -d "$$(rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]; then \
	  echo "web: std's sources (rust-src) are missing: building with the prebuilt std, larger" >&2; \
	  std=""; flags=""; \
	fi; \
	for build in $(WEB_BUILDS); do \
	  bin=$${build%%:*}; profile=$${build##*:}; \
	  RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$$flags" \
	    cargo build --locked --profile $$profile --target wasm32-unknown-unknown --bin $$bin $$std && \
	  wasm-bindgen --target no-modules --no-typescript --out-dir target/web $(WASM_OUT)/$$profile/$$bin.wasm && \
	  wasm-opt -Oz $(WASM_OPT_FLAGS) --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types target/web/$${bin}_bg.wasm -o target/web/$${bin}_bg.wasm || exit 1; \
	done
	node scripts/build-web.mjs

cli:
	cargo build --locked --release --bin spoor

serve: dist
	node scripts/serve.mjs dist

## Every test: format, lints, native tests, wasm tests in headless Chromium, end-to-end,
## and a bounded fuzz pass.
test: setup test-native test-wasm dist test-e2e fuzz

test-native:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings
	cargo test --locked

## The browser code (src/web, wasm32 only) is linted here: the native
## clippy above never compiles it.
test-wasm:
	cargo clippy --locked --target wasm32-unknown-unknown --bin app --bin worker --bin tools --test web -- -D warnings
	cargo test --locked --target wasm32-unknown-unknown --test web

test-e2e:
	node --test --test-concurrency=1 tests/e2e/

## A bounded pass over every fuzz target (docs/fuzzing.md: FUZZ_SECONDS per target).
fuzz:
	scripts/fuzz.sh
