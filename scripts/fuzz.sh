#!/usr/bin/env bash
# Bounded fuzz pass over every target in fuzz/ (see docs/fuzzing.md).
#   scripts/fuzz.sh                 every target, FUZZ_SECONDS each (default 10)
#   scripts/fuzz.sh ingest rules    only those targets
#   FUZZ_SECONDS=3600 FUZZ_JOBS=2 scripts/fuzz.sh ingest   a long run
# Seeds are copied from tests/fixtures and ../shared at run time into
# fuzz/corpus/<target>/ (never committed: the shared samples are third-party);
# what the fuzzer learns accumulates there across runs. A crash leaves its
# input in fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(ingest archive rules query patterns)
[ $# -gt 0 ] && TARGETS=("$@")
SECONDS_EACH=${FUZZ_SECONDS:-10}
JOBS=${FUZZ_JOBS:-1}
SHARED=../shared
# cargo-fuzz drives nightly-only rustc flags; the stable 1.95 toolchain
# accepts them with RUSTC_BOOTSTRAP (docs/fuzzing.md says why that is safe here).
export RUSTC_BOOTSTRAP=1
# Safe Rust: no sanitizer needed to see panics, overflows and aborts; it
# would also double the build and slow every execution.
FLAGS=(--sanitizer none --debug-assertions)
PARALLEL=()
[ "$JOBS" -gt 1 ] && PARALLEL=(-jobs="$JOBS" -workers="$JOBS")

# A seed for the chunked targets: one byte choosing the chunking, then the file.
seed() { # seed DIR FILE
  local out="$1/$(basename "$2" | tr -c 'A-Za-z0-9._-' _)-$(cksum <"$2" | cut -d' ' -f1)"
  { printf '\007'; cat "$2"; } >"$out"
}

small_files() { # small_files DIR... : regular files up to 64 KiB
  find "$@" -type f -size -65k 2>/dev/null | LC_ALL=C sort
}

seed_corpus() {
  local t=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $t in
    ingest)
      for f in $(small_files tests/fixtures/ingest tests/fixtures/rules tests/fixtures/rules-noise tests/hostile); do
        case $f in *.expected.json) continue ;; esac
        seed "$dir" "$f"
      done
      for f in $(small_files "$SHARED/data" | head -200); do seed "$dir" "$f"; done ;;
    archive)
      for f in $(find tests/fixtures -type f \( -name '*.tgz' -o -name '*.zip' -o -name '*.tar' \)); do
        seed "$dir" "$f"
        case $f in *.tgz) { printf '\007'; gzip -dc "$f"; } >"$dir/$(basename "$f" .tgz).tar" ;; esac
      done ;;
    rules)
      for f in $(small_files rules tests/fixtures/sigma "$SHARED/sigma" tests/hostile -name '*.yml'); do
        cp "$f" "$dir/$(basename "$f")-$(cksum <"$f" | cut -d' ' -f1)"
      done ;;
    query)
      local i=0
      while IFS= read -r q; do
        i=$((i + 1)); printf '%s' "$q" >"$dir/seed-$i"
      done <<'QUERIES'
user:admin verb:create
ns:kube-system -user:system:* code:>=400
"exec into" pod:web-* ua:kubectl*
resource:secrets,configmaps after:2024-01-01T00:00:00Z before:2024-12-31
ip:10.0.0.* code:<500 name:"a b" -ns:default
QUERIES
      ;;
    patterns)
      for f in $(small_files "$SHARED/data/loghub" tests/fixtures/rules-noise | head -50); do seed "$dir" "$f"; done ;;
  esac
}

command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz missing: run scripts/setup.sh" >&2; exit 1; }
(cd fuzz && cargo fuzz build "${FLAGS[@]}")
for t in "${TARGETS[@]}"; do
  seed_corpus "$t"
  echo "fuzz: $t for ${SECONDS_EACH}s" >&2
  log=fuzz/target/fuzz-$t.log
  mkdir -p fuzz/target
  if ! (cd fuzz && cargo fuzz run "${FLAGS[@]}" "$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=20 -rss_limit_mb=3072 \
      "${PARALLEL[@]}" -print_final_stats=1) >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $t failed: crash input in fuzz/artifacts/$t/, log in $log" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|Done [0-9]+ runs' "$log" | sed "s/^/fuzz: $t: /" >&2 || true
done
