#!/usr/bin/env bash
# Intake load benchmark: how many new reports per second `POST /api/v1/reports` stores, and
# at what latency, on SQLite and on PostgreSQL.
#
# For each backend it starts the release server on a fresh database (SQLite: a file in a new
# temporary directory, synchronous=FULL as by default; PostgreSQL: a new database
# meldpunt_bench_<random>, dropped afterwards), waits for /readyz, and then, for each number
# of concurrent clients, runs wrk with benches/intake.lua: valid, varied reports for Heerlen,
# each with its own Idempotency-Key, as the mobile app files them. A 201 means the report is
# committed (group commit), so reports/s is durable intake throughput.
#
# Run it from anywhere in the repository:
#   bash benches/intake.sh
# Settings (environment):
#   DURATION=15s                  length of each wrk run
#   BACKENDS="sqlite postgres"    which backends, in order
#   CLIENTS="8 64 256"            concurrent connections, one wrk run each (wrk -t2)
#   MELDPUNT_BENCH_POSTGRES_URL   admin URL used to create and drop the bench database
#                                 (default postgres://postgres@127.0.0.1:5432/postgres)
#   MELDPUNT_SQLITE_SYNCHRONOUS   full (default) or normal
#   MELDPUNT_OUTBOX_IN_SERVER     false (default): the confirmation emails intake queues (in
#                                 the report's transaction, so that cost is measured) are
#                                 left for a separate `meldpunt worker`, as at scale; their
#                                 delivery is what benches/mail.sh measures. true also
#                                 delivers them in the server, into its mail folder.
#   MELDPUNT_BENCH_BIN            a server binary to measure instead of building one
#   Other MELDPUNT_* settings (e.g. MELDPUNT_HTTP_WORKERS, MELDPUNT_LOG) reach the server.
#   The per-address limit on reports is off: wrk sends the whole load from one address.
# It installs wrk, curl, sqlite3 and psql with apt-get when they are missing, and builds
# with `cargo build --release`.
#
# One table row per run (stdout):
#   reports/s   201 responses per second
#   p50/p99 ms  latency of the answered requests, as wrk measures it (closed loop: each
#               client sends its next report when the previous one is answered)
#   errors      non-2xx responses + socket errors (connect, read, write, timeout > 30 s);
#               a note under the row breaks them down and shows the first error body
#   peak MiB    the server's peak resident memory during that run (VmHWM, reset before
#               each run through /proc/PID/clear_refs)
#   cpu us/rep  the server's CPU time (user + system, all threads) during the run divided by
#               its 201 responses: the work per report, much less sensitive to other load on
#               the machine than reports/s (wrk's own CPU time is not in it)
# After each backend it checks that the reports in the database match the 201 responses.
# wrk stops with up to CLIENTS requests unanswered; the server may store those anyway, so
# the check accepts: 201s <= stored <= 201s + sent but not answered. The exit status is
# non-zero when that check fails or the server dies.
#
# wrk and the server share the machine's cores, so the figures are for the pair.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly LUA="$ROOT/benches/intake.lua"
readonly BIN="${MELDPUNT_BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/meldpunt}"
readonly DURATION=${DURATION:-15s}
readonly BACKENDS=${BACKENDS:-sqlite postgres}
readonly CLIENTS=${CLIENTS:-8 64 256}
readonly PG_ADMIN_URL=${MELDPUNT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
readonly SQLITE_SYNCHRONOUS=${MELDPUNT_SQLITE_SYNCHRONOUS:-full}
readonly OUTBOX_IN_SERVER=${MELDPUNT_OUTBOX_IN_SERVER:-false}
readonly WRK_THREADS=2
readonly WRK_TIMEOUT=30s # answers slower than this would be left out of wrk's latency figures
readonly READY_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=40 # the server's own graceful shutdown timeout is 30 s

WORKDIR=""    # temporary directory: SQLite files, server logs, wrk output
SERVER_PID="" # the running server, if any
WRK_PID=""    # the running wrk, if any
BASE_URL=""
PG_DB=""      # the bench database on PostgreSQL, while it exists
FAILED=0

log() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'intake.sh: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then
    kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  stop_server || true
  drop_pg_database || true
  if [[ -n $WORKDIR ]]; then rm -rf -- "$WORKDIR"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools ---------------------------------------------------------------------------------

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  if ! apt-cache show "$2" >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || die "installed $2 but there is still no $1"
}

random_hex() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }

# --- server --------------------------------------------------------------------------------

# Whether PID is a live process (a child that exited but was not reaped yet does not count).
alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

free_port() {
  local port
  for _ in {1..100}; do
    port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768 and up), which a client socket may hold
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free TCP port"
}

# start_server DATABASE_URL LOGFILE
start_server() {
  local url=$1 logfile=$2 port
  port=$(free_port)
  BASE_URL="http://127.0.0.1:$port"
  env -u MELDPUNT_CONFIG \
    MELDPUNT_LISTEN="127.0.0.1:$port" \
    DATABASE_URL="$url" \
    MELDPUNT_SQLITE_SYNCHRONOUS="$SQLITE_SYNCHRONOUS" \
    MELDPUNT_OUTBOX_IN_SERVER="$OUTBOX_IN_SERVER" \
    MELDPUNT_LIMIT_REPORTS_PER_HOUR=0 \
    "$BIN" >"$logfile" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS -o /dev/null --max-time 2 "$BASE_URL/readyz" 2>/dev/null; do
    if ! alive "$SERVER_PID"; then
      log_tail "$logfile" 20 >&2
      die "the server exited before it was ready (log above)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$logfile" 20 >&2
      die "the server was not ready within ${READY_TIMEOUT_S}s (log above)"
    fi
    sleep 0.2
  done
}

# Stops the server with SIGTERM (SIGKILL if it does not stop in time) and reaps it.
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  local pid=$SERVER_PID status=0
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    log "WARNING: the server did not stop within ${STOP_TIMEOUT_S}s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  if ((status != 0)); then
    log "WARNING: the server exited with status $status after SIGTERM"
  fi
}

# log_tail FILE LINES: the end of a server log, without colour codes, indented as a note.
log_tail() { tail -n "$2" "$1" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 | sed 's/^/#     /'; }

# cpu_ticks PID: user + system CPU time of the process (all threads), in clock ticks.
cpu_ticks() {
  # The fields after the command name (which may hold spaces) start at field 3: state.
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0
}

peak_rss_mib() {
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# --- databases -----------------------------------------------------------------------------

psql_run() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# pg_url_with_db URL DBNAME: URL with its database name replaced.
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
  psql_run "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" ||
    log "WARNING: could not drop database $db"
}

# count_reports BACKEND DATABASE (file or URL)
count_reports() {
  case $1 in
  sqlite) sqlite3 -init /dev/null -batch -noheader -list "$2" 'SELECT count(*) FROM reports;' ;;
  postgres) psql_run "$2" -c 'SELECT count(*) FROM reports' ;;
  esac
}

# --- one wrk run ---------------------------------------------------------------------------

TOTAL_CREATED=0
TOTAL_UNANSWERED=0

# run_clients BACKEND CLIENTS: one wrk run against the running server, one table row.
run_clients() {
  local backend=$1 clients=$2 out="$WORKDIR/wrk-$1-$2.txt"
  { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null || true # resets VmHWM
  log "$backend: $clients clients for $DURATION"
  local ticks_before
  ticks_before=$(cpu_ticks "$SERVER_PID")
  # In the background so that Ctrl-C reaches this script's trap (and so the cleanup) at once.
  wrk -t"$WRK_THREADS" -c"$clients" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
    -s "$LUA" "$BASE_URL" -- "$RUN_ID-$backend-c$clients" >"$out" 2>&1 &
  WRK_PID=$!
  local wrk_status=0
  wait "$WRK_PID" || wrk_status=$?
  WRK_PID=""
  if ((wrk_status != 0)); then
    cat "$out" >&2
    die "wrk failed with status $wrk_status (output above)"
  fi
  local rss ticks_after
  rss=$(peak_rss_mib "$SERVER_PID")
  ticks_after=$(cpu_ticks "$SERVER_PID")
  local line
  line=$(grep '^MELDPUNT_BENCH ' "$out") || {
    cat "$out" >&2
    die "wrk printed no MELDPUNT_BENCH summary (output above)"
  }
  local -A r=()
  local fields field
  read -r -a fields <<<"${line#MELDPUNT_BENCH }"
  for field in "${fields[@]}"; do r[${field%%=*}]=${field#*=}; done

  local errors=$((r[non2xx] + r[socket_errors])) cpu_per_report="?"
  if ((r[created] > 0)); then
    cpu_per_report=$(awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v n="${r[created]}" \
      'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
  fi
  printf '%-9s %7s %10s %8s %8s %7s %9s %10s\n' \
    "$backend" "$clients" "${r[reports_per_s]}" "${r[p50_ms]}" "${r[p99_ms]}" "$errors" "$rss" "$cpu_per_report"
  if ((errors > 0 || r[other2xx] > 0)); then
    printf '#   %s c=%s: responses %s, 201 %s, other 2xx %s, non-2xx %s (by status %s); socket errors: connect %s, read %s, write %s, timeout %s\n' \
      "$backend" "$clients" "${r[requests]}" "${r[created]}" "${r[other2xx]}" "${r[non2xx]}" "${r[statuses]}" \
      "${r[connect]}" "${r[read]}" "${r[write]}" "${r[timeout]}"
    if [[ ${r[first_error]} != - ]]; then
      printf '#   first error body (status:body, URL-escaped): %s\n' "${r[first_error]}"
    fi
  fi
  TOTAL_CREATED=$((TOTAL_CREATED + r[created]))
  TOTAL_UNANSWERED=$((TOTAL_UNANSWERED + r[sent] - r[requests]))
}

# --- one backend ---------------------------------------------------------------------------

bench_backend() {
  local backend=$1 url database
  case $backend in
  sqlite)
    mkdir -p "$WORKDIR/sqlite"
    database="$WORKDIR/sqlite/meldpunt.sqlite3"
    url="sqlite://$database"
    ;;
  postgres)
    local db
    db="meldpunt_bench_$(random_hex)"
    psql_run "$PG_ADMIN_URL" -c "CREATE DATABASE $db"
    PG_DB=$db
    url=$(pg_url_with_db "$PG_ADMIN_URL" "$db")
    database=$url
    ;;
  *) die "unknown backend '$backend' (use sqlite or postgres)" ;;
  esac

  local logfile="$WORKDIR/server-$backend.log"
  start_server "$url" "$logfile"
  local before
  before=$(count_reports "$backend" "$database")
  TOTAL_CREATED=0
  TOTAL_UNANSWERED=0
  local clients died=0
  for clients in $CLIENTS; do
    run_clients "$backend" "$clients"
    if ! alive "$SERVER_PID"; then
      printf '#   %s: the server died during the run with %s clients; last log lines:\n' "$backend" "$clients"
      log_tail "$logfile" 5
      died=1
      FAILED=1
      break
    fi
  done
  stop_server

  # Every 201 must be a stored report; unanswered requests may or may not have been stored.
  local after stored
  after=$(count_reports "$backend" "$database")
  stored=$((after - before))
  local verdict="OK"
  if ((stored < TOTAL_CREATED || stored > TOTAL_CREATED + TOTAL_UNANSWERED)); then
    verdict="MISMATCH"
    FAILED=1
  fi
  printf '#   %s: %s reports stored, %s answered 201, %s sent but not answered -> %s\n' \
    "$backend" "$stored" "$TOTAL_CREATED" "$TOTAL_UNANSWERED" "$verdict"

  # Warnings and errors the server logged (colour codes stripped).
  local problems
  problems=$(sed 's/\x1b\[[0-9;]*m//g' "$logfile" | grep -E '^[^ ]+ +(WARN|ERROR) ' || true)
  if [[ -n $problems ]]; then
    printf '#   %s: the server logged %s warnings/errors; first ones:\n' "$backend" "$(wc -l <<<"$problems")"
    head -n 5 <<<"$problems" | cut -c1-300 | sed 's/^/#     /'
  fi
  ((died == 0)) || log "$backend: stopped early because the server died"

  if [[ $backend == postgres ]]; then drop_pg_database; fi
  rm -rf -- "$WORKDIR/sqlite" "$logfile"
}

# --- main ----------------------------------------------------------------------------------

main() {
  local backend
  for backend in $BACKENDS; do
    case $backend in sqlite | postgres) ;; *) die "unknown backend '$backend' (use sqlite or postgres)" ;; esac
  done
  need wrk wrk
  need curl curl
  [[ " $BACKENDS " != *" sqlite "* ]] || need sqlite3 sqlite3
  if [[ " $BACKENDS " == *" postgres "* ]]; then
    need psql postgresql-client
    psql_run "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null ||
      die "cannot connect to PostgreSQL (set MELDPUNT_BENCH_POSTGRES_URL to an admin URL)"
  fi

  if [[ -z ${MELDPUNT_BENCH_BIN:-} ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release)
  fi
  [[ -x $BIN ]] || die "no binary at $BIN after the build"

  WORKDIR=$(mktemp -d -t meldpunt-bench.XXXXXX)
  RUN_ID="$(date +%s)-$(random_hex)"

  printf '# meldpunt intake benchmark: %s, commit %s, %s cores, wrk -t%s, %s per run, SQLite synchronous=%s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
    "$(nproc)" "$WRK_THREADS" "$DURATION" "$SQLITE_SYNCHRONOUS"
  printf '%-9s %7s %10s %8s %8s %7s %9s %10s\n' backend clients reports/s "p50 ms" "p99 ms" errors "peak MiB" "cpu us/rep"
  for backend in $BACKENDS; do
    bench_backend "$backend"
  done
  return "$FAILED"
}

main "$@"
