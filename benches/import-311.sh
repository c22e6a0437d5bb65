#!/usr/bin/env bash
# History import on real data: the 311 sample (37,128 MyLA311 service requests, City of Los
# Angeles open data via hackforla/311-data; see ../shared/data/README.md for its attribution)
# moved onto Heerlen by benches/import_311.py, its service types mapped with
# benches/311-categories.csv, imported with `meldpunt import reports` into a fresh database.
#
# For each backend it:
#   1. migrates and seeds a fresh database (`meldpunt migrate`: Heerlen's departments,
#      categories and the 2025 CBS areas);
#   2. imports all or nothing: the sample has rows the import refuses (points that land
#      outside the municipality, closed requests without a close time), so this exits
#      non-zero and stores nothing;
#   3. imports with --skip-invalid (timed): the valid rows are stored, the refused ones listed
#      (each problem of a refused row on its own line);
#   4. imports again (timed): everything is skipped as imported before;
#   5. counts what is stored: imported reports by status, and how many have their closing in
#      the statistics columns (lifecycle, settled_at).
#
# Run it from anywhere in the repository:
#   bash benches/import-311.sh
# Settings (environment):
#   BACKENDS="sqlite"          add postgres to import into PostgreSQL too
#   MELDPUNT_BENCH_POSTGRES_URL  admin URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   SAMPLE=../shared/data/311-sample.csv
# (CARGO_TARGET_DIR is honoured for the release build.)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/meldpunt"
readonly BACKENDS=${BACKENDS:-sqlite}
readonly PG_ADMIN_URL=${MELDPUNT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
readonly SAMPLE=${SAMPLE:-$ROOT/../shared/data/311-sample.csv}
readonly MAP="$ROOT/benches/311-categories.csv"

WORKDIR=""
PG_DB=""

log() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'import-311.sh: %s\n' "$*" >&2
  exit 1
}

psql_run() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

drop_pg_database() {
  [[ -n $PG_DB ]] || return 0
  local db=$PG_DB
  PG_DB=""
  psql_run "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || log "WARNING: could not drop database $db"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  drop_pg_database || true
  if [[ -n $WORKDIR ]]; then rm -rf -- "$WORKDIR"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_url_with_db() {
  local url=$1 db=$2 query=""
  if [[ $url == *\?* ]]; then
    query="?${url#*\?}"
    url=${url%%\?*}
  fi
  local scheme=${url%%://*} rest=${url#*://}
  printf '%s://%s/%s%s\n' "$scheme" "${rest%%/*}" "$db" "$query"
}

meldpunt() {
  env -u MELDPUNT_CONFIG RUST_BACKTRACE=0 DATABASE_URL="$DB_URL" MELDPUNT_LOG="${MELDPUNT_LOG:-warn}" \
    MELDPUNT_PHOTO_DIR="$WORKDIR/photos" "$WORKDIR/meldpunt" "$@"
}

# Runs the import with the given extra arguments, timed (wall clock, seconds), refused rows to
# $WORKDIR/refused.txt. Prints "seconds exit_status".
timed_import() {
  local started ended status=0
  started=$(date +%s.%N)
  meldpunt import reports "$WORKDIR/history.csv" --category-map "$MAP" "$@" \
    >"$WORKDIR/stdout.txt" 2>"$WORKDIR/refused.txt" || status=$?
  ended=$(date +%s.%N)
  printf '%s %s\n' "$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.2f", b - a }')" "$status"
}

# Imported reports by status, and those with a closing in the statistics columns.
counts() {
  local sql="SELECT status, COUNT(*), SUM(CASE WHEN lifecycle <> '' AND settled_at IS NOT NULL THEN 1 ELSE 0 END) \
             FROM reports WHERE source = 'import' GROUP BY status ORDER BY status"
  case $1 in
  sqlite) python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row, sep="\t")' "$WORKDIR/meldpunt.sqlite3" "$sql" ;;
  postgres) psql_run -F $'\t' "$DB_URL" -c "$sql" ;;
  esac
}

bench_backend() {
  local backend=$1
  case $backend in
  sqlite) DB_URL="sqlite://$WORKDIR/meldpunt.sqlite3" ;;
  postgres)
    command -v psql >/dev/null || die "psql is needed for PostgreSQL (apt-get install postgresql-client)"
    PG_DB="meldpunt_bench_import_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    psql_run "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB"
    DB_URL=$(pg_url_with_db "$PG_ADMIN_URL" "$PG_DB")
    ;;
  *) die "unknown backend '$backend'" ;;
  esac
  meldpunt migrate
  local -a r
  read -r -a r <<<"$(timed_import)"
  ((r[1] != 0)) || die "$backend: the all-or-nothing import should have refused the sample"
  local stored
  stored=$(counts "$backend" | awk -F'\t' '{ n += $2 } END { print n + 0 }')
  printf '%-8s %-22s %6s s  exit %s, %s problems listed, %s reports stored\n' "$backend" "all or nothing" "${r[0]}" \
    "${r[1]}" "$(grep -c '^line ' "$WORKDIR/refused.txt" || true)" "$stored"
  read -r -a r <<<"$(timed_import --skip-invalid)"
  ((r[1] == 0)) || { cat "$WORKDIR/stdout.txt" "$WORKDIR/refused.txt" >&2; die "$backend: the import failed"; }
  printf '%-8s %-22s %6s s  %s\n' "$backend" "--skip-invalid" "${r[0]}" "$(cat "$WORKDIR/stdout.txt")"
  log "$backend: the problems of the refused rows, by reason (a row may have two):"
  sed -E 's/^line [0-9]+: \/rows\/[0-9]+\/([a-z_]+): /\1: /; s/ lies in (GM[0-9]+ [^,]+),.*/ lies in \1 (not served)/' \
    "$WORKDIR/refused.txt" | sort | uniq -c | sort -rn >&2
  read -r -a r <<<"$(timed_import --skip-invalid)"
  printf '%-8s %-22s %6s s  %s\n' "$backend" "again (idempotent)" "${r[0]}" "$(cat "$WORKDIR/stdout.txt")"
  log "$backend: imported reports by status (status, reports, with their closing in lifecycle and settled_at):"
  counts "$backend" >&2
  if [[ $backend == postgres ]]; then drop_pg_database; fi
}

main() {
  [[ -f $SAMPLE ]] || die "no 311 sample at $SAMPLE (set SAMPLE=path/to/311-sample.csv)"
  log "building the release binary"
  (cd "$ROOT" && cargo build --release --quiet)
  [[ -x $BIN ]] || die "no binary at $BIN"
  WORKDIR=$(mktemp -d -t meldpunt-import-bench.XXXXXX)
  # A copy: another checkout building into a shared CARGO_TARGET_DIR replaces $BIN.
  cp "$BIN" "$WORKDIR/meldpunt"
  python3 "$ROOT/benches/import_311.py" "$SAMPLE" >"$WORKDIR/history.csv"
  printf '# meldpunt history import of the 311 sample: %s, commit %s, %s cores, %s rows (%s bytes), load %s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
    "$(nproc)" "$(($(wc -l <"$WORKDIR/history.csv") - 1))" "$(wc -c <"$WORKDIR/history.csv")" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  local backend
  for backend in $BACKENDS; do bench_backend "$backend"; done
}

main "$@"
