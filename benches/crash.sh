#!/usr/bin/env bash
# Crash safety: intake at about 1,000 reports/s with an Idempotency-Key on every report (half
# with a reporter email, so a confirmation is queued), the server killed with SIGKILL at a
# random moment (0.3-2.5 s into the load), restarted on the same database, and every request
# that got no answer (or a 503) retried with the same key and body. After all rounds it
# compares the database with the answers: every key answered 201 and every retried key is
# stored exactly once, no report is stored twice, and the outbox holds exactly one
# confirmation per report with an email.
#
# The driver is the test tests/api/platform/crash.rs (tests/api/support/crash.rs), which runs
# the real `meldpunt` binary (debug, as `cargo test` builds it) as a process; this script runs
# it with more rounds and prints one line per backend:
#   rounds  acknowledged (201 before the kill)  retried (no answer, sent again)
#   replayed (retries the server had stored before the kill)  stored  lost  duplicated
#
#   bash benches/crash.sh                       # 20 rounds per backend
#   ROUNDS=5 BACKENDS=sqlite bash benches/crash.sh
#   PROFILE=release bash benches/crash.sh       # the release binary under the same driver
# Settings: ROUNDS (20), RATE (1000 reports/s offered), BACKENDS ("sqlite postgres"),
# PROFILE (debug: the binary `cargo test` builds; release: built here first).
# PostgreSQL: as for the tests (MELDPUNT_TEST_POSTGRES_URL, else 127.0.0.1:5432, else a
# private cluster). Exit status non-zero when a round loses or duplicates anything.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-20}
RATE=${RATE:-1000}
BACKENDS=${BACKENDS:-sqlite postgres}
PROFILE=${PROFILE:-debug}

case $PROFILE in
debug) ;;
release)
  cargo build --quiet --release --bin meldpunt
  MELDPUNT_TEST_BIN="$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/meldpunt"
  export MELDPUNT_TEST_BIN
  ;;
*) echo "crash.sh: PROFILE is debug or release, not '$PROFILE'" >&2; exit 2 ;;
esac

status=0
for backend in $BACKENDS; do
  case $backend in
  sqlite | postgres) ;;
  *) echo "crash.sh: unknown backend '$backend'" >&2; exit 2 ;;
  esac
  started=$SECONDS
  out=$(MELDPUNT_CRASH_ROUNDS=$ROUNDS MELDPUNT_CRASH_RATE=$RATE cargo test --quiet --test api \
    "platform::crash::reports_acknowledged_or_retried_after_a_sigkill_are_stored_exactly_once_with_one_confirmation_each::on_$backend" \
    -- --exact --nocapture 2>&1) || status=1
  line=$(grep -o 'MELDPUNT_CRASH .*' <<<"$out" || true)
  if [[ -z $line ]]; then
    printf '%s\n' "$out" >&2
    echo "crash.sh: $backend: the test printed no figures (output above)" >&2
    status=1
    continue
  fi
  printf '%s profile=%s seconds=%s\n' "$line" "$PROFILE" "$((SECONDS - started))"
  grep -E 'panicked|assertion' <<<"$out" >&2 || true
done
exit "$status"
