#!/usr/bin/env bash
# A/B of two dealsim binaries on the same machine, alternating, in one script run:
#   bench/ab.sh OLD_BIN NEW_BIN [REPEATS] [PATHS]
# Prints per scenario: wall s and peak RSS MiB of each (min / median / max) and new/old.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 R=${3:-3} N=${4:-1000000}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
stats() { sort -g | awk '{a[NR]=$1} END {printf "%.3f / %.3f / %.3f", a[1], a[int((NR+1)/2)], a[NR]}'; }
for sc in scenarios/base.toml bench/stress.toml; do
  : > "$T/ow"; : > "$T/nw"; : > "$T/om"; : > "$T/nm"
  for _ in $(seq "$R"); do
    for which in o n; do
      bin=$OLD; [ $which = n ] && bin=$NEW
      /usr/bin/time -f "%e %M" -o "$T/t" "$bin" run "$sc" --paths "$N" --threads 2 --charts none --no-report -q --out "$T/out" >/dev/null 2>&1
      read -r w m < "$T/t"; echo "$w" >> "$T/${which}w"; echo $((m / 1024)) >> "$T/${which}m"
    done
  done
  echo "$sc, $N paths, 2 threads: old $(stats < "$T/ow") s, $(stats < "$T/om") MiB; new $(stats < "$T/nw") s, $(stats < "$T/nm") MiB; new/old wall $(paste "$T/nw" "$T/ow" | awk '{print $1/$2}' | stats)"
done
