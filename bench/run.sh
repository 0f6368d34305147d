#!/usr/bin/env bash
# Benchmarks of a full run against the floor and against a NumPy reference, all measured
# in the same script run (issue 15).
#   bench/run.sh [REPEATS] [BIG]   (default 3 repeats; BIG paths for the memory row,
#                                   default 10000000; each figure is min / median / max)
# Prints a Markdown report on stdout (BENCHMARKS.md is made from it). Needs /usr/bin/time
# and python3; installs numpy with pip when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
BIG=${2:-10000000}
N=1000000
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
python3 -c 'import numpy' 2>/dev/null || pip install --quiet numpy >&2
cargo build --release --quiet --bin dealsim --example floor
BIN=target/release/dealsim
FLOOR=target/release/examples/floor

# One timed command: prints "wall_s rss_kb".
timed() {
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/stdout" 2>"$OUT/err" || { cat "$OUT/err" >&2; exit 1; }
  cat "$OUT/time"
}
run() { # scenario paths threads [extra args...]
  local sc=$1 p=$2 t=$3; shift 3
  timed "$BIN" run "$sc" --paths "$p" --threads "$t" --charts none --no-report -q --out "$OUT/o" "$@"
}
floor() { timed "$FLOOR" "$1" "$2" "$3"; } # scenario paths threads
numpy() { # scenario paths: the JSON goes to $OUT/np.json
  /usr/bin/time -f "%e %M" -o "$OUT/time" python3 bench/numpy_reference.py "$1" "$2" >"$OUT/np.json" 2>"$OUT/err" || { cat "$OUT/err" >&2; exit 1; }
  cat "$OUT/time"
}
# min / median / max of the first column of stdin lines.
stats() { sort -g | awk '{a[NR]=$1} END {printf "%.3f / %.3f / %.3f", a[1], a[int((NR+1)/2)], a[NR]}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Largest |z| of the NumPy means against dealsim's summary.csv ($OUT/o), over the results.
agree() {
  python3 - "$OUT/o/summary.csv" "$OUT/np.json" <<'EOF'
import csv, json, sys
ds = {r["metric"]: r for r in csv.DictReader(open(sys.argv[1]))}
npy = json.load(open(sys.argv[2]))["summary"]
worst = (0.0, "")
for k, v in npy.items():
    se = (float(ds[k]["std_error"]) ** 2 + v["std_error"] ** 2) ** 0.5
    z = abs(v["mean"] - float(ds[k]["mean"])) / se if se > 0 else 0.0
    worst = max(worst, (z, k))
print(f"{worst[0]:.2f} {worst[1]}")
EOF
}

echo "# dealsim benchmarks"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1M paths x 40 quarters, exact percentiles, all CSVs, charts and report off. $R repeats; figures are min / median / max; ratios are per repeat (the same repeat's runs)."

for SC in scenarios/base.toml bench/stress.toml; do
  echo
  echo "## $SC"
  echo
  echo "| what | wall s | peak RSS MiB |"
  echo "|---|---|---|"
  for f in w2 m2 w1 m1 f2 f1 np npm z; do : > "$OUT/$f"; done
  for _ in $(seq "$R"); do
    read -r w m < <(run "$SC" $N 2); echo "$w" >> "$OUT/w2"; echo $((m / 1024)) >> "$OUT/m2"
    read -r w _ < <(floor "$SC" $N 2); echo "$w" >> "$OUT/f2"
    read -r w m < <(run "$SC" $N 1); echo "$w" >> "$OUT/w1"; echo $((m / 1024)) >> "$OUT/m1"
    read -r w _ < <(floor "$SC" $N 1); echo "$w" >> "$OUT/f1"
    read -r w m < <(numpy "$SC" $N); echo "$w" >> "$OUT/np"; echo $((m / 1024)) >> "$OUT/npm"
    agree >> "$OUT/z"  # against the 1-thread run, the same numbers as the 2-thread one
  done
  echo "| dealsim run, 2 threads | $(stats < "$OUT/w2") | $(stats < "$OUT/m2") |"
  echo "| dealsim run, 1 thread | $(stats < "$OUT/w1") | $(stats < "$OUT/m1") |"
  echo "| floor, 2 threads | $(stats < "$OUT/f2") | |"
  echo "| floor, 1 thread | $(stats < "$OUT/f1") | |"
  echo "| NumPy reference (1 thread, vectorised) | $(stats < "$OUT/np") | $(stats < "$OUT/npm") |"
  echo
  echo "- NumPy / dealsim (2 threads): $(paste "$OUT/np" "$OUT/w2" | awk '{print $1/$2}' | stats)"
  echo "- NumPy / dealsim (1 thread): $(paste "$OUT/np" "$OUT/w1" | awk '{print $1/$2}' | stats)"
  echo "- run / floor, 2 threads: $(paste "$OUT/w2" "$OUT/f2" | awk '{print $1/$2}' | stats)"
  echo "- run / floor, 1 thread: $(paste "$OUT/w1" "$OUT/f1" | awk '{print $1/$2}' | stats)"
  echo "- 2-thread speedup of the run (1-thread wall / 2-thread wall): $(paste "$OUT/w1" "$OUT/w2" | awk '{print $1/$2}' | stats)"
  echo "- NumPy agrees: largest |mean difference| / SE over the 13 results, per repeat: $(awk '{print $1}' "$OUT/z" | stats) (worst: $(sort -g "$OUT/z" | tail -1 | cut -d' ' -f2)); $(awk '$1 > 4 {bad = 1} END {print bad ? "FAIL (above 4 SE)" : "ok (all within 4 SE)"}' "$OUT/z")"
done

echo
echo "## Memory and linearity (scenarios/base.toml, 2 threads, median of $R)"
echo
echo "| paths | steps/year | periods | wall s | peak RSS MiB | s per million path-periods | bytes per path |"
echo "|---|---|---|---|---|---|---|"
for spec in "100000 4" "1000000 4" "4000000 4" "$BIG 4" "1000000 1" "1000000 12"; do
  read -r p s <<< "$spec"
  : > "$OUT/w"; : > "$OUT/m"
  reps=$R
  [ "$p" = "$BIG" ] && reps=1  # one run: it is the memory row, and the slowest
  for _ in $(seq "$reps"); do
    read -r w m < <(run scenarios/base.toml "$p" 2 --set "simulation.steps_per_year=$s"); echo "$w" >> "$OUT/w"; echo $((m / 1024)) >> "$OUT/m"
  done
  med=$(median < "$OUT/w"); rss=$(median < "$OUT/m")
  periods=$((10 * s))
  echo "| $p | $s | $periods | $med | $rss | $(awk -v w="$med" -v p="$p" -v k="$periods" 'BEGIN {printf "%.3f", w / (p * k / 1e6)}') | $(awk -v r="$rss" -v p="$p" 'BEGIN {printf "%.0f", r * 1048576 / p}') |"
done
