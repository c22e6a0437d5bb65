#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers that take outside input:
# each target in fuzz/fuzz_targets/ runs bytes through the same functions the server runs
# a request body, query string or upload through (src/fuzzing.rs says which).
#
#   bash scripts/fuzz.sh                      # every target, 600 s each, one after the other
#   bash scripts/fuzz.sh 60 area_file photo   # 60 s each, these targets only
#
# It runs one target at a time (one libFuzzer job: the machine is shared) and prints, per
# target, libFuzzer's figures: executions, executions per second, coverage (`cov:` edges and
# `ft:` features of the last status line), the corpus size, and the crash, timeout or
# out-of-memory inputs written (libFuzzer stops at the first). The summary is also written to
# target/fuzz-summary.txt and each target's full log to target/fuzz-logs/<target>.log.
#
# The corpus grows in fuzz/corpus/<target>/ (not committed), starting from the committed
# seeds in fuzz/seeds/<target>/; the dictionary fuzz/dicts/<target>.dict is used when there
# is one. Crash inputs land in fuzz/artifacts/<target>/ (not committed): minimise one with
# `cargo +nightly fuzz tmin -a <target> <file>`, keep it in fuzz/regressions/<target>/ and
# add a regression test that reads it with include_bytes!.
#
# Settings (environment):
#   FUZZ_TIMEOUT   seconds one input may take before libFuzzer calls it a timeout (10)
#   FUZZ_RSS_MB    memory limit of the fuzzing process, in MB (2048)
#   FUZZ_NIGHTLY   the toolchain cargo-fuzz builds with (nightly)
# It needs a nightly toolchain (`rustup toolchain install nightly`) and installs cargo-fuzz
# with `cargo install cargo-fuzz --locked` when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
all_targets=(area_file rule_spec open311_form photo multipart map_query history_import)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
timeout=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
nightly=${FUZZ_NIGHTLY:-nightly}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

mkdir -p target/fuzz-logs
summary=target/fuzz-summary.txt
{
    echo "# scripts/fuzz.sh $seconds ${targets[*]}"
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(cargo "+$nightly" --version)"
    printf '%-15s %12s %8s %7s %7s %9s %8s %s\n' target executions exec/s cov ft corpus crashes result
} | tee "$summary"

status=0
for target in "${targets[@]}"; do
    log=target/fuzz-logs/$target.log
    artifacts=fuzz/artifacts/$target
    mkdir -p "fuzz/corpus/$target" "$artifacts"
    before=$(find "$artifacts" -type f | sort)
    args=(-max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" -print_final_stats=1
        -artifact_prefix="$PWD/$artifacts/")
    if [ -f "fuzz/dicts/$target.dict" ]; then args+=(-dict="$PWD/fuzz/dicts/$target.dict"); fi
    result=ok
    (cd fuzz && cargo "+$nightly" fuzz run -a "$target" "corpus/$target" "seeds/$target" -- "${args[@]}") \
        >"$log" 2>&1 || result=failed
    found=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | sed '/^$/d')
    crashes=$(grep -c . <<<"$found" || true)
    [ "$crashes" -gt 0 ] && result="stopped: $(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+' "$log" || echo crash)"
    [ "$result" != ok ] && status=1
    # The last status line (`#N DONE cov: … ft: … corp: N/size …`, or the last `pulse`/`NEW`
    # line before a crash) and the final stats.
    last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corpus=$(sed -nE 's/.* corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p' <<<"$last")
    execs=$(sed -nE 's/^stat::number_of_executed_units: +([0-9]+)/\1/p' "$log" | tail -n1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log" | tail -n1)
    printf '%-15s %12s %8s %7s %7s %9s %8s %s\n' "$target" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" \
        "${corpus:--}" "$crashes" "$result" | tee -a "$summary"
    if [ "$crashes" -gt 0 ]; then
        sed 's/^/    /' <<<"$found" | tee -a "$summary"
    fi
done
echo "summary: $summary; logs: target/fuzz-logs/"
exit "$status"
