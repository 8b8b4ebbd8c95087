#!/usr/bin/env bash
# Times `paved check` on generated monorepos (medians of 5 runs, warm cache), next to
# the floor of reading every intent file.
#
#   bench/check.sh [N...]      default: 1000 10000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)

cargo build --release --locked --quiet
paved=target/release/paved
out=bench/out
mkdir -p "$out"
echo "machine: $(nproc) cores, $(python3 -c 'import platform; print(platform.processor() or platform.machine())')"
for n in "${sizes[@]}"; do
  repo="$out/repo-$n"
  [ -d "$repo" ] || python3 bench/generate.py "$repo" --services "$n"
  files=$(find "$repo" -name '*.yaml' | wc -l)
  echo "N=$n ($files YAML files)"
  python3 bench/measure.py --label "  cat every intent file" -- \
    sh -c "find '$repo' -name '*.yaml' -print0 | xargs -0 cat > /dev/null"
  python3 bench/measure.py --label "  paved check" -- "$paved" check --repo "$repo"
done
