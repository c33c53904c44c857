#!/usr/bin/env bash
# Throughput and memory of `spoor scan` beside its peers, in one run on the
# same corpus, so ratios hold on a noisy shared machine.
#   bench/run.sh [SCALE_BYTES]      (default 1 GiB of generated logs)
# Writes bench/corpus/ (ignored by git) and prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1073741824}
corpus=bench/corpus
sigma=../shared/sigma/application/kubernetes/audit

cargo build --locked --release --bin spoor --example lean_pass >&2
if ! command -v rsigma >/dev/null || ! rsigma --version 2>/dev/null | grep -q 0.23.0; then
  echo "bench: installing the rsigma CLI 0.23.0 (peer; once)" >&2
  cargo install rsigma --version 0.23.0 --locked >&2
fi

if [ ! -f "$corpus/.scale-$scale" ]; then
  rm -rf "$corpus"
  target/release/spoor generate --scenario anonymous-to-admin --seed 7 --scale "$scale" --out "$corpus" >&2
  touch "$corpus/.scale-$scale"
fi
audit="$corpus/kube-apiserver/audit.log"
bytes=$(stat -c %s "$audit")

measure() { # name command...
  local name=$1; shift
  local out; out=$( { /usr/bin/time -f '%e %U %M' "$@" >/dev/null; } 2>&1 | tail -1)
  read -r wall user rss <<<"$out"
  awk -v n="$name" -v b="$bytes" -v w="$wall" -v u="$user" -v r="$rss" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.1f | %.1f |\n", n, w, u, b/1048576/u, r/1024 }'
}

echo "Corpus: $audit, $((bytes / 1048576)) MiB of audit JSON lines"
echo
echo "| run | wall s | cpu s | MiB/s (cpu) | peak RSS MiB |"
echo "|---|---|---|---|---|"
measure "lean serde pass (floor)" target/release/examples/lean_pass "$audit"
measure "spoor scan, built-in pack + SigmaHQ k8s" target/release/spoor scan "$audit" --rules "$sigma" --format json
measure "spoor scan, SigmaHQ k8s only" target/release/spoor scan "$audit" --no-builtin --rules "$sigma" --format json
measure "rsigma 0.23.0 CLI, SigmaHQ k8s" rsigma engine eval -r "$sigma" -e "@$audit"
