#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after another, on one core,
# and prints a summary. Not part of CI: it needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). docs/fuzzing.md explains the targets and the findings.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        default: 300 s each, all targets
#
# Environment:
#   JIT_FUZZ_SKIP_KNOWN=1   skip inputs that hit the defects of issue 8 items 4-6 and 10 (see
#                           fuzz_targets/common.rs); leave unset once those fixes are merged.
#   JIT_FUZZ_STRICT=1       also stop at panics jit catches inside the `cel` parser.
#   KEEP_GOING=1            after a crash, start the target again until its time is used up
#                           (every crash input is kept in fuzz/artifacts/TARGET).
#
# The corpus grows in fuzz/corpus/TARGET (not committed), starting from the committed seeds in
# fuzz/seeds/TARGET; crashes go to fuzz/artifacts/TARGET; logs to fuzz/logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")"

secs=${1:-300}
shift || true
if [ $# -gt 0 ]; then targets=("$@"); else targets=(condition policy timespec emulator); fi

declare -A max_len=([condition]=4096 [policy]=16384 [timespec]=512 [emulator]=8192)

# -s none: no AddressSanitizer (jit has no unsafe code; the sanitizer only slows the run). jit
# itself is built with overflow checks (fuzz/Cargo.toml), so an arithmetic overflow is a crash.
build=(cargo +nightly fuzz build -s none)
"${build[@]}"

mkdir -p logs
summary=()
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    dict=()
    [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
    echo "== $t: ${secs}s" >&2
    : >"logs/$t.log"
    start=$(date +%s)
    left=$secs
    rc=0
    while [ "$left" -gt 0 ]; do
        set +e
        # One process, one core: the machine is shared. (`-jobs=1` would be the same worker
        # count, with libFuzzer's own log file in the current directory instead of this one.)
        cargo +nightly fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
            -max_total_time="$left" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=1536 \
            -artifact_prefix="artifacts/$t/" -print_final_stats=1 "${dict[@]}" \
            >>"logs/$t.log" 2>&1
        rc=$?
        set -e
        left=$((secs - ($(date +%s) - start)))
        # A crash ends libFuzzer's run; with KEEP_GOING=1 the rest of the time goes on.
        [ "$rc" != 0 ] && [ "${KEEP_GOING:-0}" = 1 ] || break
    done
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | awk '{s+=$2} END {print s+0}')
    last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || true)
    crashes=$(grep -c 'Test unit written to' "logs/$t.log" || true)
    line="$t: $(($(date +%s) - start))s, exit $rc, $execs executions, ${last:-no stats}, $crashes crash/timeout file(s)"
    summary+=("$line")
    [ "$crashes" = 0 ] || status=1
    if [ "$crashes" != 0 ]; then
        grep -E 'panicked at|Test unit written to' "logs/$t.log" | sort | uniq -c | sed 's/^/    /' >&2
    fi
done
echo
echo "Summary ($(date -u +%Y-%m-%dT%H:%MZ)):"
printf '  %s\n' "${summary[@]}"
exit $status
