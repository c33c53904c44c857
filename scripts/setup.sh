#!/usr/bin/env bash
# Installs what building and testing Spoor needs, and only what is missing:
# the wasm32 target and std's sources, wasm-bindgen-cli at the Cargo.lock version, Debian's
# Chromium and chromedriver, the npm tooling (wasm-opt, playwright-core) and
# cargo-fuzz (docs/fuzzing.md).
# Safe to run again: on a ready machine it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# std's sources: the wasm modules are built with their own std (Makefile,
# WASM_STD); without them `make web` builds with the prebuilt std, larger.
if ! rustup component list --installed | grep -qx rust-src; then
  say "adding the rust-src component"
  rustup component add rust-src \
    || say "rust-src could not be added: the wasm modules will be built with the prebuilt std (larger)"
fi

want_wbg=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have_wbg=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wbg" != "$want_wbg" ]; then
  say "installing wasm-bindgen-cli $want_wbg (a few minutes, once)"
  # Without --locked: its own lock file pins a crate the registry lacks.
  cargo install wasm-bindgen-cli --version "$want_wbg"
fi

want_fuzz=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$want_fuzz" ]; then
  say "installing cargo-fuzz $want_fuzz (a few minutes, once)"
  cargo install cargo-fuzz --locked --version "$want_fuzz"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Chromium and chromedriver from Debian"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm tooling (wasm-opt, playwright-core)"
  # playwright-core never downloads a browser; the tests use Debian's Chromium.
  npm ci --no-audit --no-fund --loglevel=error
fi

cargo fetch --locked >/dev/null 2>&1 || cargo fetch --locked
