#!/usr/bin/env bash
# The scale benchmark: paved on generated monorepos of N services, next to the floor
# (copying the generated tree, reading every intent file) and a peer (check-jsonschema
# validating the same service files against the same schema), as whole processes with
# medians over several runs and the peak memory of each (bench/measure.py, wait4).
#
#   bench/run.sh [N...]        default: 1000 10000
#   RUNS=5 bench/run.sh 10000  runs per measurement (default 3)
#
# Results: a table on stdout, and JSON lines in bench/out/results-N.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
runs=${RUNS:-3}

cargo build --release --locked --quiet
paved=$PWD/target/release/paved
out=$PWD/bench/out
mkdir -p "$out"

# The peer, pinned, in its own virtual environment.
venv=$out/venv
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet check-jsonschema==0.33.2
fi

# The same schemas for it, without their `$id`: their references then resolve to the
# files beside them instead of to paved.dev, offline.
mkdir -p "$out/schemas"
for schema in schemas/*.schema.json; do
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s.pop("$id",None); json.dump(s,open(sys.argv[2],"w"))' \
    "$schema" "$out/schemas/$(basename "$schema")"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "paved $("$paved" --version | cut -d' ' -f2), $("$venv/bin/check-jsonschema" --version)"
for n in "${sizes[@]}"; do
  repo=$out/scale-$n
  results=$out/results-$n.jsonl
  rm -f "$results"
  if [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"
    python3 bench/generate.py "$repo" --services "$n"
    git -C "$repo" init -q
    git -C "$repo" add -A
    git -C "$repo" -c user.name=bench -c user.email=bench@example.com \
      -c commit.gpgsign=false commit -q -m "intents"
  fi
  git -C "$repo" checkout -q -- .
  rm -rf "$repo/generated" "$repo/.git/paved"
  measure() { python3 bench/measure.py --runs "$runs" --json "$results" "$@"; }
  files=$(find "$repo/services" "$repo/teams" -name '*.yaml' | wc -l)
  echo
  echo "N=$n: $files intent files"
  measure --label "floor: cat every intent file" -- \
    sh -c "find '$repo/services' '$repo/teams' -name '*.yaml' -print0 | xargs -0 cat > /dev/null"
  measure --label "paved check" -- "$paved" check --repo "$repo"
  # Each run from an empty output folder (emptied before the run, untimed), with the
  # previous runs' writes flushed: a run must not pay for writing back another's files.
  measure --no-warm --prepare "rm -rf '$repo/generated' '$repo/.git/paved' && sync" \
    --label "paved render (from scratch)" -- "$paved" render --repo "$repo"
  generated=$(find "$repo/generated" -type f | wc -l)
  size=$(du -sh --apparent-size "$repo/generated" | cut -f1)
  echo "  ($generated generated files, $size)"
  measure --prepare "rm -rf '$out/copy' && sync" \
    --label "floor: cp -r of the generated tree" -- cp -r "$repo/generated" "$out/copy"
  rm -rf "$out/copy"
  measure --label "paved render (nothing changed)" -- "$paved" render --repo "$repo"
  measure --label "paved render --check" -- "$paved" render --check --repo "$repo"
  # The record of the last render lives in the clone; a fresh clone (CI) has none.
  measure --prepare "rm -rf '$repo/.git/paved'" \
    --label "paved render --check (fresh clone)" -- "$paved" render --check --repo "$repo"
  git -C "$repo" add generated
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com \
    -c commit.gpgsign=false commit -q -m "generated" || true
  intent=$(find "$repo/services" -name service.yaml | sort | sed -n 2p)
  sed -i 's/^\(  image: .*[0-9]\)$/\1-changed/' "$intent"
  measure --label "paved diff --base HEAD (one intent changed)" -- \
    "$paved" diff --repo "$repo" --base HEAD --format markdown
  measure --label "paved check --changed-since HEAD" -- \
    "$paved" check --repo "$repo" --changed-since HEAD
  git -C "$repo" checkout -q -- .
  mapfile -t services < <(find "$repo/services" -name service.yaml | sort)
  # The peer is slow: one run, no warm-up (PEER_RUNS to change).
  python3 bench/measure.py --runs "${PEER_RUNS:-1}" --no-warm --json "$results" \
    --label "peer: check-jsonschema (service files)" -- \
    "$venv/bin/check-jsonschema" --schemafile "$out/schemas/service.schema.json" "${services[@]}"
  measure --label "paved check (same repository)" -- "$paved" check --repo "$repo"
done
