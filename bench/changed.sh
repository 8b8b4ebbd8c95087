#!/usr/bin/env bash
# Times `--changed-since` on a generated monorepo committed to git, with one service's
# intent changed, next to the full run (medians of 5 runs, warm cache).
#
#   bench/changed.sh [N]      default: 10000
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}

cargo build --release --locked --quiet
paved=$PWD/target/release/paved
out=bench/out
repo="$out/git-$n"
if [ ! -d "$repo/.git" ]; then
  rm -rf "$repo"
  python3 bench/generate.py "$repo" --services "$n"
  git -C "$repo" init -q
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com \
    -c commit.gpgsign=false commit -q -m base
fi
git -C "$repo" checkout -q -- .
intent=$(find "$repo/services" -name '*.yaml' | sort | sed -n 2p)
sed -i 's/^\(  image: .*\)$/\1-changed/' "$intent"
echo "machine: $(nproc) cores; N=$n; changed: ${intent#"$repo"/}"
python3 bench/measure.py --label "  paved check" -- "$paved" check --repo "$repo"
python3 bench/measure.py --label "  paved check --changed-since HEAD" -- \
  "$paved" check --repo "$repo" --changed-since HEAD
python3 bench/measure.py --label "  paved render --changed-since HEAD --check" -- \
  "$paved" render --repo "$repo" --changed-since HEAD --check
"$paved" check --repo "$repo" --changed-since HEAD 2>&1 | head -1
git -C "$repo" checkout -q -- .
