#!/usr/bin/env bash
# Benchmarks of a full run against the floor, measured in the same script run.
#   bench/run.sh [REPEATS]      (default 3; each figure is min / median / max)
# Prints a Markdown report on stdout (BENCHMARKS.md is made from it). Needs /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
SC=scenarios/base.toml
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cargo build --release --quiet --bin dealsim --example floor
BIN=target/release/dealsim
FLOOR=target/release/examples/floor

# One timed run: prints "wall_s rss_kb".
timed() {
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/err" || { cat "$OUT/err" >&2; exit 1; }
  cat "$OUT/time"
}
run() { # paths threads [extra args...]
  local p=$1 t=$2; shift 2
  timed "$BIN" run "$SC" --paths "$p" --threads "$t" --charts none --no-report -q --out "$OUT/o" "$@"
}
floor() { # paths threads
  timed "$FLOOR" "$SC" "$1" "$2"
}
# min / median / max of the first column of stdin lines.
stats() { sort -g | awk '{a[NR]=$1} END {printf "%.3f / %.3f / %.3f", a[1], a[int((NR+1)/2)], a[NR]}'; }

echo "# dealsim benchmarks"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Scenario: $SC, 40 quarters (2026-2035), exact percentiles, all CSVs, charts and report off. $R repeats; figures are min / median / max."
echo
echo "| what | wall s | peak RSS MiB |"
echo "|---|---|---|"
for t in 2 1; do
  : > "$OUT/w"; : > "$OUT/m"; : > "$OUT/fw"
  for _ in $(seq "$R"); do
    read -r w m < <(run 1000000 "$t"); echo "$w" >> "$OUT/w"; echo $((m / 1024)) >> "$OUT/m"
    read -r fw _ < <(floor 1000000 "$t"); echo "$fw" >> "$OUT/fw"
  done
  echo "| dealsim run, 1M paths, $t thread(s) | $(stats < "$OUT/w") | $(stats < "$OUT/m") |"
  echo "| floor, 1M paths, $t thread(s) | $(stats < "$OUT/fw") | |"
  paste "$OUT/w" "$OUT/fw" | awk '{print $1/$2}' > "$OUT/ratio$t"
  cp "$OUT/w" "$OUT/w$t"
done
echo
echo "- run / floor, 2 threads (per repeat, same repeat): $(stats < "$OUT/ratio2")"
echo "- run / floor, 1 thread: $(stats < "$OUT/ratio1")"
echo "- 1-thread / 2-thread speedup of the run: $(paste "$OUT/w1" "$OUT/w2" | awk '{print $1/$2}' | stats)"
echo "- paths per second (2 threads, median): $(stats < "$OUT/w2" | awk -F' / ' '{printf "%.0f", 1000000/$2}')"
echo
echo "## Linearity (2 threads, median of $R)"
echo
echo "| paths | steps/year | periods | wall s | peak RSS MiB | s per million path-periods |"
echo "|---|---|---|---|---|---|"
for spec in "100000 4" "1000000 4" "4000000 4" "1000000 1" "1000000 12"; do
  read -r p s <<< "$spec"
  : > "$OUT/w"; : > "$OUT/m"
  for _ in $(seq "$R"); do
    read -r w m < <(run "$p" 2 --set "simulation.steps_per_year=$s"); echo "$w" >> "$OUT/w"; echo $((m / 1024)) >> "$OUT/m"
  done
  med=$(sort -g "$OUT/w" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rss=$(sort -g "$OUT/m" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  periods=$((10 * s))
  echo "| $p | $s | $periods | $med | $rss | $(awk -v w="$med" -v p="$p" -v k="$periods" 'BEGIN {printf "%.3f", w / (p * k / 1e6)}') |"
done
