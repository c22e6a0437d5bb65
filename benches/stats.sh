#!/usr/bin/env bash
# Statistics benchmark: GET /api/v1/stats/reports over a database of COUNT reports spread
# over ten years (2016-2025), about half in Heerlen (stamped by buurt) and the rest in the
# other municipalities (benches/stats_fixture.py), on SQLite and on PostgreSQL.
#
# For each backend it starts the release server on a fresh database (which migrates it and
# seeds the demo catalog and the 2025 boundaries), bulk-loads the reports straight into the
# database, restarts the server (so nothing of the load is cached) and measures three
# questions an analyst asks, each with benches/stats_load.py: WARMUP requests first (not
# measured), then REQUESTS requests over CONCURRENCY keep-alive connections, closed loop:
#   buurt-month    every buurt of Heerlen, per month of 2025
#                  (level=buurt&area=GM0917&period=month&from=2025-01&to=2025-12)
#   wijk-10y       one wijk, per month over ten years
#                  (level=wijk&area=WK091733&period=month&from=2016-01&to=2025-12)
#   buurt-main     every buurt of Heerlen per main category, per quarter of 2024-2025
#                  (level=buurt&area=GM0917&period=quarter&from=2024-Q1&to=2025-Q4&group_by=main)
#   project-results  a monitoring project's results: wijk WK091733 against the rest of
#                  Heerlen, baseline 2024, intervention 2025-01-01, quarterly follow-up up to
#                  today (GET /api/v1/projects/{id}/results; the project is made first)
#   open-year      the public statistics of Heerlen for 2025, every buurt per month (issue
#                  15: GET /api/v1/open/stats?gemeente=GM0917&year=2025&level=buurt&period=month)
#   open-csv       the aggregates download of Heerlen for 2025 per buurt: every category and
#                  every month, quarter and the year (GET /api/v1/open/aggregates.csv?...)
#                  Both read a protected grid each process keeps for open_cache_seconds; with
#                  MELDPUNT_OPEN_CACHE_SECONDS=0 every request reads and protects it anew.
# Reports written straight into the database bypass the statistics roll-up, so after the
# load (or the copy of a loaded database) `meldpunt stats rebuild` fills it; its time is logged.
# The goals: p50 under 100 ms and p99 under 250 ms on both backends (issue 14); the public
# statistics p99 under 100 ms (issue 15).
#
# Run it from anywhere in the repository (the full measurement):
#   bash benches/stats.sh
# A quick check of the script itself:
#   COUNT=20000 REQUESTS=50 bash benches/stats.sh
# (CARGO_TARGET_DIR is honoured for the release build; SKIP_BUILD=1 uses the binary there,
# MELDPUNT_BENCH_BIN=path another server binary.)
# Settings (environment):
#   COUNT=1000000              reports to load
#   REQUESTS=300               measured requests per question
#   CONCURRENCY=2              connections of the load driver
#   WARMUP=20                  requests before each measurement, not counted
#   BACKENDS="sqlite postgres"
#   ONLY="wijk-10y"            only these questions (default: all six)
#   LOADED_SQLITE              a SQLite database already loaded by benches/stats_fixture.py
#                              (the server migrates it on start): copied and measured instead of
#                              loading a new one (the load takes minutes)
#   LOADED_POSTGRES            the URL of a PostgreSQL database loaded by the fixture: measured
#                              instead of a new one, and kept
#   SAMPLE                     the 311 sample (default ../shared/data/311-sample.csv beside the repository)
#   MELDPUNT_BENCH_POSTGRES_URL  admin URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   Other MELDPUNT_* settings reach the server.
# Output: one row per backend and question: requests, req/s, p50/p90/p99/max ms (from
# sending the request until the whole answer is read), errors (non-200 or socket), the
# answer's size, the server's CPU time per request (user + system, ms; PostgreSQL's own
# backends in a separate column, "-" on SQLite, which runs inside the server), and the
# server's peak RSS during that question's run (VmHWM, reset before each run) and since its
# start. The load driver and the server share the machine's cores.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BIN="${MELDPUNT_BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/meldpunt}"
readonly COUNT=${COUNT:-1000000}
readonly REQUESTS=${REQUESTS:-300}
readonly CONCURRENCY=${CONCURRENCY:-2}
readonly WARMUP=${WARMUP:-20}
readonly BACKENDS=${BACKENDS:-sqlite postgres}
readonly PG_ADMIN_URL=${MELDPUNT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
readonly SAMPLE=${SAMPLE:-$ROOT/../shared/data/311-sample.csv}
readonly STATS=/api/v1/stats/reports
readonly QUESTIONS=(
  "buurt-month $STATS?level=buurt&area=GM0917&period=month&from=2025-01&to=2025-12"
  "wijk-10y $STATS?level=wijk&area=WK091733&period=month&from=2016-01&to=2025-12"
  "buurt-main $STATS?level=buurt&area=GM0917&period=quarter&from=2024-Q1&to=2025-Q4&group_by=main"
  "project-results PROJECT"
  "open-year /api/v1/open/stats?gemeente=GM0917&year=2025&level=buurt&period=month"
  "open-csv /api/v1/open/aggregates.csv?gemeente=GM0917&year=2025&level=buurt"
)
readonly PROJECT='{"name": "Benchmark", "definition": {"areas": ["WK091733"], "baseline_from": "2024-01",
  "baseline_to": "2024-12", "intervention_start": "2025-01-01", "follow_up": "quarter"}}'

WORKDIR=""
SERVER_PID=""
BASE_URL=""
PG_DB=""   # a database this script created (dropped at the end)
PG_NAME="" # the database measured
TOKEN="bench-admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
readonly TOKEN

log() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'stats.sh: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_server || true
  drop_pg_database || true
  if [[ -n $WORKDIR ]]; then rm -rf -- "$WORKDIR"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

free_port() {
  local port
  for _ in {1..100}; do
    port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768 and up)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free TCP port"
}

start_server() {
  local url=$1 logfile=$2 port
  port=$(free_port)
  BASE_URL="http://127.0.0.1:$port"
  env -u MELDPUNT_CONFIG MELDPUNT_LISTEN="127.0.0.1:$port" DATABASE_URL="$url" MELDPUNT_LOG="${MELDPUNT_LOG:-warn}" \
    MELDPUNT_ADMIN_TOKEN="$TOKEN" MELDPUNT_PHOTO_DIR="$WORKDIR/photos" "$WORKDIR/meldpunt" >>"$logfile" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null --max-time 2 "$BASE_URL/readyz" 2>/dev/null; do
    alive "$SERVER_PID" || { tail -n 20 "$logfile" >&2; die "the server exited before it was ready"; }
    ((SECONDS < deadline)) || die "the server was not ready within 60 s"
    sleep 0.2
  done
}

stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  local pid=$SERVER_PID
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 40))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

psql_run() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

pg_url_with_db() {
  local url=$1 db=$2 query=""
  if [[ $url == *\?* ]]; then
    query="?${url#*\?}"
    url=${url%%\?*}
  fi
  local scheme=${url%%://*} rest=${url#*://}
  printf '%s://%s/%s%s\n' "$scheme" "${rest%%/*}" "$db" "$query"
}

drop_pg_database() {
  [[ -n $PG_DB ]] || return 0
  local db=$PG_DB
  PG_DB=""
  psql_run "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || log "WARNING: could not drop database $db"
}

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

cpu_ticks() {
  local pid total=0 fields
  for pid in "$@"; do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a fields <<<"$fields"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

postgres_pids() {
  psql_run "$PG_ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$PG_NAME'" 2>/dev/null || true
}

per_request_ms() {
  awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1000 / hz / n : 0) }'
}

row() {
  printf '%-8s %-15s %6s %7s %8s %8s %8s %8s %6s %9s %8s %8s %9s %9s\n' "$@"
}

# The peak RSS since the server started (VmHWM is reset before each run, so kept here).
PEAK_KIB=0

run_question() {
  local backend=$1 name=$2 path=$3 out="$WORKDIR/load-$1-$2.txt"
  if [[ $path == PROJECT ]]; then
    local id
    id=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      --data "$PROJECT" "$BASE_URL/api/v1/projects" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') ||
      die "could not make the benchmark project"
    path="/api/v1/projects/$id/results"
  fi
  local hwm
  hwm=$(status_kib "$SERVER_PID" VmHWM)
  ((hwm > PEAK_KIB)) && PEAK_KIB=$hwm
  { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null || true
  # The warm-up runs inside the driver; CPU is counted over both and divided accordingly.
  local server_before db_before=0
  server_before=$(cpu_ticks "$SERVER_PID")
  # shellcheck disable=SC2046 # one pid per word
  [[ $backend == postgres ]] && db_before=$(cpu_ticks $(postgres_pids))
  python3 "$ROOT/benches/stats_load.py" --url "$BASE_URL$path" --token "$TOKEN" \
    --requests "$REQUESTS" --concurrency "$CONCURRENCY" --warmup "$WARMUP" >"$out" ||
    { cat "$out" >&2; die "the load driver failed"; }
  local server db="-"
  server=$(per_request_ms "$(($(cpu_ticks "$SERVER_PID") - server_before))" "$((REQUESTS + WARMUP))")
  if [[ $backend == postgres ]]; then
    # shellcheck disable=SC2046
    db=$(per_request_ms "$(($(cpu_ticks $(postgres_pids)) - db_before))" "$((REQUESTS + WARMUP))")
  fi
  hwm=$(status_kib "$SERVER_PID" VmHWM)
  ((hwm > PEAK_KIB)) && PEAK_KIB=$hwm
  local -A r=()
  local fields field
  read -r -a fields <<<"$(cat "$out")"
  for field in "${fields[@]}"; do r[${field%%=*}]=${field#*=}; done
  row "$backend" "$name" "${r[requests]}" "${r[rps]}" "${r[p50_ms]}" "${r[p90_ms]}" "${r[p99_ms]}" "${r[max_ms]}" \
    "${r[errors]}" "${r[bytes]}" "$server" "$db" "$(kib_to_mib "$hwm")" "$(kib_to_mib "$PEAK_KIB")"
}

bench_backend() {
  local backend=$1 url
  case $backend in
  sqlite) url="sqlite://$WORKDIR/meldpunt.sqlite3" ;;
  postgres)
    if [[ -n ${LOADED_POSTGRES:-} ]]; then
      url=$LOADED_POSTGRES
      PG_NAME=${url##*/}
      PG_NAME=${PG_NAME%%\?*}
    else
      PG_DB="meldpunt_bench_stats_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
      PG_NAME=$PG_DB
      psql_run "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB"
      url=$(pg_url_with_db "$PG_ADMIN_URL" "$PG_DB")
    fi
    ;;
  *) die "unknown backend '$backend'" ;;
  esac
  local logfile="$WORKDIR/server-$backend.log"
  if [[ $backend == sqlite && -n ${LOADED_SQLITE:-} ]]; then
    log "$backend: copying the loaded database $LOADED_SQLITE"
    sqlite3 "$LOADED_SQLITE" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$LOADED_SQLITE" "$WORKDIR/meldpunt.sqlite3"
  elif [[ $backend == postgres && -n ${LOADED_POSTGRES:-} ]]; then
    log "$backend: measuring the loaded database $PG_NAME (kept)"
  else
    start_server "$url" "$logfile"
    log "$backend: loading $COUNT reports"
    local started=$SECONDS fixture
    fixture=$(python3 "$ROOT/benches/stats_fixture.py" --database "$url" --count "$COUNT" --sample "$SAMPLE")
    log "$backend: loaded in $((SECONDS - started)) s; $fixture"
    stop_server
  fi
  log "$backend: filling the statistics roll-up (meldpunt stats rebuild)"
  local rebuilt=$SECONDS
  env -u MELDPUNT_CONFIG DATABASE_URL="$url" MELDPUNT_LOG=warn MELDPUNT_PHOTO_DIR="$WORKDIR/photos" \
    "$WORKDIR/meldpunt" stats rebuild >&2 || die "meldpunt stats rebuild failed"
  log "$backend: roll-up filled in $((SECONDS - rebuilt)) s"
  if [[ $backend == postgres ]]; then
    # As in map.sh: VACUUM again now that no older snapshot holds the visibility map back.
    psql_run "$url" -c "VACUUM (ANALYZE) reports"
  fi
  start_server "$url" "$logfile"
  PEAK_KIB=0
  local question
  for question in "${QUESTIONS[@]}"; do
    [[ -z ${ONLY:-} || " $ONLY " == *" ${question%% *} "* ]] || continue
    run_question "$backend" "${question%% *}" "${question#* }"
  done
  stop_server
  if grep -qE ' (WARN|ERROR) ' "$logfile"; then
    log "$backend: the server logged warnings/errors:"
    grep -E ' (WARN|ERROR) ' "$logfile" | head -5 | cut -c1-300 >&2
  fi
  if [[ $backend == postgres ]]; then drop_pg_database; fi
  rm -f "$WORKDIR/meldpunt.sqlite3"*
}

main() {
  command -v curl >/dev/null || die "curl is needed"
  command -v python3 >/dev/null || die "python3 is needed"
  [[ -f $SAMPLE ]] || die "no 311 sample at $SAMPLE (set SAMPLE=path/to/311-sample.csv)"
  if [[ " $BACKENDS " == *" postgres "* ]]; then
    command -v psql >/dev/null || die "psql is needed (apt-get install postgresql-client)"
    psql_run "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null || die "cannot connect to PostgreSQL at $PG_ADMIN_URL"
  fi
  if [[ -z ${SKIP_BUILD:-} && -z ${MELDPUNT_BENCH_BIN:-} ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --quiet)
  fi
  [[ -x $BIN ]] || die "no binary at $BIN"
  WORKDIR=$(mktemp -d -t meldpunt-stats-bench.XXXXXX)
  # A copy: another checkout building into a shared CARGO_TARGET_DIR replaces $BIN.
  cp "$BIN" "$WORKDIR/meldpunt"
  printf '# meldpunt statistics benchmark: %s, commit %s, %s cores, %s reports, %s requests (+%s warm-up) per question at concurrency %s, load %s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
    "$(nproc)" "$COUNT" "$REQUESTS" "$WARMUP" "$CONCURRENCY" "$(cut -d' ' -f1-3 /proc/loadavg)"
  row backend question reqs req/s "p50 ms" "p90 ms" "p99 ms" "max ms" errors bytes "srv ms/r" "db ms/r" "run MiB" "peak MiB"
  local backend
  for backend in $BACKENDS; do bench_backend "$backend"; done
}

main "$@"
