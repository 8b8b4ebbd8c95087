#!/bin/sh
# Run every fuzz target in turn, one at a time, and say for each how long it ran, how
# many inputs it executed and whether it crashed.
#
#   fuzz/run-all.sh [SECONDS [LOG_DIR [TARGET...]]]
#
# SECONDS per target (default 600), logs in LOG_DIR/<target>.log (default fuzz/logs).
# New corpus entries go to fuzz/corpus/<target>/, crashes to fuzz/artifacts/<target>/
# (both ignored by git). Needs a nightly toolchain and cargo-fuzz (docs/fuzzing.md).
set -u

here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-600}
logs=${2:-$here/logs}
[ $# -gt 2 ] && shift 2 || set --
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
cd "$here" || exit 2

targets=${*:-$(cargo +nightly fuzz list)}
# No sanitizer: paved forbids unsafe code, so the checks are the assertions; without
# AddressSanitizer's instrumentation each target runs several times faster. Debug
# assertions stay on, so an arithmetic overflow is a crash too.
flags="--sanitizer none --debug-assertions"
cargo +nightly fuzz build $flags || exit 2

failed=0
printf '%-14s %8s %12s  %s\n' target seconds executions result
for target in $targets; do
    mkdir -p "corpus/$target"
    set -- "corpus/$target"
    [ -d "seeds/$target" ] && set -- "$@" "seeds/$target"
    [ -d "../testdata/hostile/fuzz/$target" ] && set -- "$@" "../testdata/hostile/fuzz/$target"
    log="$logs/$target.log"
    start=$(date +%s)
    cargo +nightly fuzz run $flags "$target" "$@" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        result="CRASH (exit $status) ${artifact:-see $log}"
    fi
    printf '%-14s %8s %12s  %s\n' "$target" "$elapsed" "${executions:-?}" "$result"
done
exit "$failed"
