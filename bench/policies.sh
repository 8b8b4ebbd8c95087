#!/usr/bin/env bash
# The policy stage of `paved check` on a generated monorepo: wall-clock and CPU time of
# "policies on intents" as `--timings` reports it, over several runs (min and median;
# shared CI machines are noisy), with all cores and with one.
#
#   bench/policies.sh [SERVICES] [RUNS]      default: 10000 9
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-9}

cargo build --release --locked --quiet
repo=bench/out/repo-$n
[ -d "$repo" ] || python3 bench/generate.py "$repo" --services "$n"
echo "machine: $(nproc) cores; $n services"
for threads in "$(nproc)" 1; do
  for _ in $(seq "$runs"); do
    RAYON_NUM_THREADS=$threads target/release/paved check --repo "$repo" --timings 2>&1 >/dev/null |
      awk '/^policies on intents/ {print $4, $6}'
  done | sort -n -k2 | awk -v t="$threads" '
    {wall[NR] = $1; cpu[NR] = $2}
    END {
      m = int((NR + 1) / 2)
      printf "  %s thread(s): policies on intents  cpu min %.3f s, median %.3f s; wall median %.3f s\n", t, cpu[1], cpu[m], wall[m]
    }'
done
