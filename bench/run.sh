#!/usr/bin/env bash
# Throughput and memory of `spoor scan` beside its peers, in one run on the
# same corpus, so ratios hold on a noisy shared machine.
#   bench/run.sh [SCALE_BYTES]
# SCALE_BYTES (default 1.5 GiB) goes to `spoor generate --scale`: the case
# it writes is the mixed-source corpus, and its audit log (about two thirds
# of it: 1 GiB by default) the audit corpus.
# Writes bench/corpus/ (ignored by git) and prints Markdown tables. The
# peer, the rsigma CLI 0.23.0, is built once into target/peer/ (about ten
# minutes); set RSIGMA=/path/to/rsigma to use another build of it.
# REPEAT=N (default 1) runs each `spoor scan` N times, one and two threads
# in turn, and takes the median: one run on this shared machine drifts by
# ±20 %, so single ratios do too. The two-thread speed-up is also given
# from the fastest run of each.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1610612736}
corpus=bench/corpus
sigma=../shared/sigma/application/kubernetes

if [ ! -x /usr/bin/time ]; then
  echo "bench: needs GNU time at /usr/bin/time for wall, CPU and peak memory (Debian: apt-get install time)" >&2
  exit 1
fi
cargo build --locked --release --bin spoor --example lean_pass --example core_latency >&2
spoor=target/release/spoor
rsigma=${RSIGMA:-target/peer/bin/rsigma}
if [ ! -x "$rsigma" ]; then
  echo "bench: building the rsigma CLI 0.23.0 (peer; once) into target/peer" >&2
  CARGO_TARGET_DIR=target/peer/build cargo install rsigma --version 0.23.0 --locked --root target/peer >&2
fi

# The scale the corpus was made with, beside it (not in it: it is scanned).
stamp=$corpus.scale
if [ "$(cat "$stamp" 2>/dev/null)" != "$scale" ]; then
  rm -rf "$corpus"
  "$spoor" generate --scenario anonymous-to-admin --seed 7 --scale "$scale" --out "$corpus" >&2
  echo "$scale" >"$stamp"
fi
audit="$corpus/kube-apiserver/audit.log"
bytes=$(stat -c %s "$audit")

# The same rules for both: Spoor's built-in pack (exported as Sigma YAML)
# and the SigmaHQ Kubernetes rules. rsigma takes one folder, so both go in
# one (under target/, never into the repository).
rules=target/bench-rules
rm -rf "$rules"
mkdir -p "$rules/builtin"
"$spoor" rules export "$rules/builtin" 2>/dev/null
cp -r "$sigma" "$rules/sigmahq"

# name command...: one table row; wall and CPU (user+sys) seconds, MiB/s of
# CPU time and of wall time, peak RSS. The run's wall and CPU seconds are
# left in last_wall and last_cpu for the ratios.
measure() {
  local name=$1
  shift
  local out
  out=$({ /usr/bin/time -f '%e %U %S %M' "$@" >/dev/null; } 2>&1 | tail -1)
  read -r wall user sys rss <<<"$out"
  awk -v n="$name" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
    'BEGIN { c = u + s; printf "| %s | %.2f | %.2f | %.0f | %.0f | %.1f |\n", n, w, c, b/1048576/c, b/1048576/w, r/1024 }'
  last_wall=$wall
  last_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
}

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# median X...: the median of the numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

repeat=${REPEAT:-1}

# min X...: the smallest of the numbers.
min() { printf '%s\n' "$@" | sort -g | head -1; }

# threads_pair PATH [audit]: `spoor scan PATH` with one thread then two,
# REPEAT times; leaves the medians of one thread's CPU seconds in one_cpu
# and of the runs' two-thread speed-ups (each pair's own ratio of wall
# times, so both sides of a ratio ran under the same machine load) in
# speedup, and the ratio of the fastest one-thread run to the fastest
# two-thread run in fastest (load from elsewhere only ever adds time, so
# the fastest runs are the least disturbed). With `audit`, each round
# also runs the lean pass first and leaves the median of the rounds'
# one-thread / lean CPU time in lean_ratio; runs two one-thread scans
# side by side and leaves the median of 2 × (one alone) / (the pair) in
# ceiling: the speed-up the machine gives two independent threads at that
# time, the most two threads of one scan could get; and leaves in trips
# the cache-line round trip between the cores (examples/core_latency.rs)
# just before and just after each two-thread scan: two threads of one scan
# pay it for every record they pass, independent scans never do, and on a
# virtual machine it changes with where the host puts the two vCPUs.
threads_pair() {
  local path=$1 audit=${2:-} k label
  local cpus=() ratios=() walls1=() walls2=() ceilings=() leans=()
  trips=()
  for k in $(seq "$repeat"); do
    label=""
    [ "$repeat" -gt 1 ] && label=" (run $k)"
    local lean=""
    if [ -n "$audit" ]; then
      measure "lean serde pass (floor)$label" target/release/examples/lean_pass "$path"
      lean=$last_cpu
    fi
    measure "spoor scan --threads 1$label" "$spoor" scan "$path" --rules "$sigma" --format json --threads 1
    cpus+=("$last_cpu")
    [ -n "$lean" ] && leans+=("$(ratio "$last_cpu" "$lean")")
    # (Not `wall`: measure's `read` would overwrite it.)
    local single=$last_wall
    walls1+=("$single")
    local before=""
    [ -n "$audit" ] && before=$(target/release/examples/core_latency)
    measure "spoor scan --threads 2$label" "$spoor" scan "$path" --rules "$sigma" --format json --threads 2
    [ -n "$audit" ] && trips+=("$before/$(target/release/examples/core_latency)")
    walls2+=("$last_wall")
    ratios+=("$(ratio "$single" "$last_wall")")
    if [ -n "$audit" ]; then
      local start end pair
      start=$(date +%s.%N)
      "$spoor" scan "$path" --rules "$sigma" --format json --threads 1 >/dev/null &
      "$spoor" scan "$path" --rules "$sigma" --format json --threads 1 >/dev/null
      wait
      end=$(date +%s.%N)
      pair=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
      echo "| two spoor scan --threads 1 side by side$label | $pair | | | | |"
      ceilings+=("$(ratio "$(awk -v s="$single" 'BEGIN { print 2 * s }')" "$pair")")
    fi
  done
  ceiling=$(median "${ceilings[@]:-0}")
  lean_ratio=$(median "${leans[@]:-0}")
  one_cpu=$(median "${cpus[@]}")
  speedup=$(median "${ratios[@]}")
  fastest=$(ratio "$(min "${walls1[@]}")" "$(min "${walls2[@]}")")
}

echo "Audit corpus: $audit, $((bytes / 1048576)) MiB of audit JSON lines; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall s | cpu s | MiB/s (cpu) | MiB/s (wall) | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
threads_pair "$audit" audit
measure "rsigma 0.23.0 engine eval" "$rsigma" engine eval -r "$rules" -e "@$audit"
rsigma_cpu=$last_cpu
echo
of=""
[ "$repeat" -gt 1 ] && of=" (medians of $repeat runs)"
echo "Ratios (targets in issue 9)$of: spoor 1 thread vs lean pass, CPU time: ${lean_ratio}× (≤ 2);"
echo "spoor 1 thread throughput vs rsigma, CPU time: $(ratio "$rsigma_cpu" "$one_cpu")× (≥ 3);"
echo "2 threads vs 1, wall time: ${speedup}× (≥ 1.7); fastest runs: ${fastest}×;"
echo "the machine's ceiling in the same rounds (two one-thread scans side by side): ${ceiling}×;"
echo "a cache line's round trip between the two cores before/after each two-thread run: ${trips[*]} ns."

bytes=$(du -sb "$corpus" | cut -f1)
echo
echo "Mixed corpus: $corpus, $((bytes / 1048576)) MiB (audit, container, kubelet, node and Falco logs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| run | wall s | cpu s | MiB/s (cpu) | MiB/s (wall) | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
threads_pair "$corpus"
echo
echo "2 threads vs 1, wall time$of: ${speedup}×; fastest runs: ${fastest}×."
