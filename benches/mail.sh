#!/usr/bin/env bash
# Email delivery benchmark: how many queued emails per second `meldpunt worker` delivers to a
# local SMTP server, on SQLite and on PostgreSQL.
#
# First it measures the SMTP sink alone (benches/smtp_sink.py, an asyncio sink that keeps
# only counts and times): two client processes blast it, and its own first-to-last arrival
# rate is printed, so you can see it is not what limits the worker. Then, per backend, on a
# fresh database (SQLite: a file in a temporary directory, synchronous=FULL by default;
# PostgreSQL: a new database meldpunt_mail_<random>, dropped afterwards) it
#   1. creates the schema with `meldpunt migrate`,
#   2. queues N reporter confirmation emails straight into the outbox with one SQL insert,
#   3. starts WORKERS `meldpunt worker` processes against it and the sink,
#   4. waits until no message is pending, stops the workers with SIGTERM and the sink.
#
# Run it from anywhere in the repository:
#   bash benches/mail.sh
# Settings (environment):
#   N=20000                        emails queued per backend
#   BACKENDS="sqlite postgres"     which backends, in order
#   WORKERS=1                      worker processes (several only make sense on PostgreSQL)
#   MELDPUNT_OUTBOX_BATCH=500      messages a worker claims at a time
#   MELDPUNT_OUTBOX_CONCURRENCY=16 messages a worker sends at once (= pooled SMTP connections)
#   MELDPUNT_BENCH_POSTGRES_URL    admin URL used to create and drop the bench database
#                                  (default postgres://postgres@127.0.0.1:5432/postgres)
#   SKIP_BUILD=1                   use the existing binary (MELDPUNT_BIN: another one)
# It builds with `cargo build --release`, and needs python3, sqlite3 and psql.
#
# One row per backend (stdout):
#   msgs/s wall   N / (worker start until nothing is pending), start-up included
#   msgs/s sink   messages / (first to last arrival at the sink): the steady rate
#   p50/p99 s     time from the worker's start until a message is recorded sent (all N are
#                 queued before it starts, so this is queue-to-delivery for a backlog of N)
#   peak MiB      the largest peak resident memory (VmHWM) of the worker processes
#   sink / sent   messages the sink received / rows marked sent: both must equal N (no
#                 message lost, none sent twice); the exit status is non-zero otherwise
# The sink, the workers and the database share the machine's cores; the figures are for all
# of them together.
#
# What limits it: lettre does not set TCP_NODELAY and writes a message's body and its final
# "\r\n.\r\n" separately, so with a receiver that delays its ACKs (Linux does, ~40 ms) each
# message waits one delayed ACK: about 20-25 messages/s per SMTP connection, whatever the
# CPU. Throughput therefore grows with MELDPUNT_OUTBOX_CONCURRENCY (pooled connections) and
# with the number of workers, e.g. MELDPUNT_OUTBOX_CONCURRENCY=128 bash benches/mail.sh.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BIN=${MELDPUNT_BIN:-"${CARGO_TARGET_DIR:-$ROOT/target}/release/meldpunt"}
readonly SINK="$ROOT/benches/smtp_sink.py"
readonly N=${N:-20000}
readonly BACKENDS=${BACKENDS:-sqlite postgres}
readonly WORKERS=${WORKERS:-1}
readonly BATCH=${MELDPUNT_OUTBOX_BATCH:-500}
readonly CONCURRENCY=${MELDPUNT_OUTBOX_CONCURRENCY:-16}
readonly PG_ADMIN_URL=${MELDPUNT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
readonly DRAIN_TIMEOUT_S=600

WORKDIR=""
SINK_PID=""
WORKER_PIDS=()
PG_DB=""
FAILED=0

log() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'mail.sh: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_workers || true
  stop_sink || true
  if [[ -n $PG_DB ]]; then psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  if [[ -n $WORKDIR ]]; then rm -rf -- "$WORKDIR"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

random_hex() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }

# start_sink PORT STATSFILE
start_sink() {
  rm -f -- "$2"
  python3 "$SINK" serve "$1" "$2" &
  SINK_PID=$!
  local deadline=$((SECONDS + 15))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || die "the SMTP sink did not start"
    sleep 0.1
  done
}

stop_sink() {
  [[ -n $SINK_PID ]] || return 0
  kill -TERM "$SINK_PID" 2>/dev/null || true
  wait "$SINK_PID" 2>/dev/null || true
  SINK_PID=""
}

stop_workers() {
  local pid
  for pid in "${WORKER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${WORKER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  WORKER_PIDS=()
}

# peak_mib: the largest VmHWM of the worker processes, in MiB.
peak_mib() {
  local pid kib max=0
  for pid in "${WORKER_PIDS[@]}"; do
    kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((${kib:-0} > max)) && max=$kib
  done
  echo $((max / 1024))
}

# sql BACKEND URL QUERY: runs QUERY, prints unaligned rows.
sql() {
  if [[ $1 == sqlite ]]; then sqlite3 "${2#sqlite://}" "$3"; else psql -qAtX "$2" -c "$3"; fi
}

queue_sql() {
  if [[ $1 == sqlite ]]; then
    cat <<SQL
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $N)
INSERT INTO outbox (id, recipient, language, template, params, status, attempts, next_attempt_at, created_at, channel)
SELECT printf('%08x-0000-7000-8000-%012x', x, x), 'bewoner' || x || '@example.org', 'nl', 'confirmation',
       '{"reference":"MP-2026-' || x || '","follow_token":"bench' || x || '"}', 'pending', 0,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '-1 minute'), strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '-1 minute'), 'email'
FROM n;
SQL
  else
    cat <<SQL
INSERT INTO outbox (id, recipient, language, template, params, status, attempts, next_attempt_at, created_at, channel)
SELECT gen_random_uuid(), 'bewoner' || x || '@example.org', 'nl', 'confirmation',
       '{"reference":"MP-2026-' || x || '","follow_token":"bench' || x || '"}', 'pending', 0,
       now() - interval '1 minute', now() - interval '1 minute', 'email'
FROM generate_series(1, $N) AS x;
SQL
  fi
}

sent_epochs_sql() {
  if [[ $1 == sqlite ]]; then
    echo "SELECT (julianday(sent_at) - 2440587.5) * 86400.0 FROM outbox WHERE status = 'sent'"
  else
    echo "SELECT extract(epoch FROM sent_at) FROM outbox WHERE status = 'sent'"
  fi
}

# percentiles T0: reads epoch seconds on stdin, prints "p50 p99" of (t - T0).
percentiles() {
  python3 -c '
import sys
t0 = float(sys.argv[1])
d = sorted(float(l) - t0 for l in sys.stdin if l.strip())
pick = lambda q: d[min(len(d) - 1, int(q * len(d)))] if d else float("nan")
print(f"{pick(0.50):.2f} {pick(0.99):.2f}")' "$1"
}

measure_sink() {
  local port stats half=$((N / 2))
  port=$(free_port)
  stats="$WORKDIR/sink-alone"
  start_sink "$port" "$stats"
  python3 "$SINK" blast "$port" "$half" 8 >/dev/null &
  local a=$!
  python3 "$SINK" blast "$port" "$half" 8 >/dev/null &
  local b=$!
  wait "$a" "$b"
  stop_sink
  read -r count first last <"$stats"
  python3 -c "import sys; c,f,l=map(float,sys.argv[1:]); print(f'# SMTP sink alone: {int(c)} messages at {c/(l-f):.0f}/s (two python clients, 16 connections)')" \
    "$count" "$first" "$last"
}

run_backend() {
  local backend=$1 url
  if [[ $backend == sqlite ]]; then
    url="sqlite://$WORKDIR/mail-bench.sqlite3"
  else
    PG_DB="meldpunt_mail_$(random_hex)"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    url="${PG_ADMIN_URL%/*}/$PG_DB"
  fi
  env -u MELDPUNT_CONFIG DATABASE_URL="$url" MELDPUNT_SEED_DEMO=false MELDPUNT_OUTBOX_IN_SERVER=false \
    MELDPUNT_LOG=warn "$BIN" migrate >"$WORKDIR/migrate-$backend.log" 2>&1 || die "migrate failed: $(tail -5 "$WORKDIR/migrate-$backend.log")"
  queue_sql "$backend" | if [[ $backend == sqlite ]]; then sqlite3 "${url#sqlite://}"; else psql -q "$url" >/dev/null; fi
  local pending
  pending=$(sql "$backend" "$url" "SELECT count(*) FROM outbox WHERE status = 'pending'")
  [[ $pending == "$N" ]] || die "queued $pending messages, wanted $N"

  local port stats
  port=$(free_port)
  stats="$WORKDIR/sink-$backend"
  start_sink "$port" "$stats"
  local t0 t1 i
  t0=$(date +%s.%N)
  for ((i = 0; i < WORKERS; i++)); do
    env -u MELDPUNT_CONFIG DATABASE_URL="$url" MELDPUNT_SMTP_URL="smtp://127.0.0.1:$port" \
      MELDPUNT_OUTBOX_BATCH="$BATCH" MELDPUNT_OUTBOX_CONCURRENCY="$CONCURRENCY" MELDPUNT_OUTBOX_POLL_MS=50 \
      MELDPUNT_LOG="${MELDPUNT_LOG:-warn}" "$BIN" worker >"$WORKDIR/worker-$backend-$i.log" 2>&1 &
    WORKER_PIDS+=($!)
  done
  local deadline=$((SECONDS + DRAIN_TIMEOUT_S))
  while :; do
    pending=$(sql "$backend" "$url" "SELECT count(*) FROM outbox WHERE status = 'pending'")
    [[ $pending == 0 ]] && break
    ((SECONDS < deadline)) || die "$pending messages still pending after ${DRAIN_TIMEOUT_S}s"
    sleep 0.1
  done
  t1=$(date +%s.%N)
  local peak
  peak=$(peak_mib)
  stop_workers
  stop_sink
  local count first last sent p50 p99
  read -r count first last <"$stats"
  sent=$(sql "$backend" "$url" "SELECT count(*) FROM outbox WHERE status = 'sent'")
  read -r p50 p99 < <(sql "$backend" "$url" "$(sent_epochs_sql "$backend")" | percentiles "$t0")
  python3 -c '
import sys
b, n, w, t0, t1, c, f, l, p50, p99, peak, sent = sys.argv[1:]
wall = int(n) / (float(t1) - float(t0))
sink = (float(c) - 1) / (float(l) - float(f)) if float(l) > float(f) else float("nan")
print(f"{b:<9} {n:>7} {w:>7} {wall:>12.0f} {sink:>12.0f} {p50:>7} {p99:>7} {peak:>9} {c:>7} / {sent}")' \
    "$backend" "$N" "$WORKERS" "$t0" "$t1" "$count" "$first" "$last" "$p50" "$p99" "$peak" "$sent"
  if [[ $count != "$N" || $sent != "$N" ]]; then
    log "$backend: the sink received $count and $sent rows are sent; both should be $N"
    FAILED=1
  fi
  if grep -q '@example.org' "$WORKDIR"/worker-"$backend"-*.log; then
    log "$backend: a worker log contains an address"
    FAILED=1
  fi
  if [[ $backend == postgres ]]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE $PG_DB" >/dev/null
    PG_DB=""
  fi
}

main() {
  command -v python3 >/dev/null || die "python3 is needed"
  if [[ -z ${SKIP_BUILD:-} ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --quiet)
  fi
  [[ -x $BIN ]] || die "no release binary at $BIN"
  WORKDIR=$(mktemp -d)
  log "$(uptime)"
  measure_sink
  log "N=$N WORKERS=$WORKERS outbox_batch=$BATCH outbox_concurrency=$CONCURRENCY"
  printf '%-9s %7s %7s %12s %12s %7s %7s %9s %s\n' backend N workers "msgs/s wall" "msgs/s sink" "p50 s" "p99 s" "peak MiB" "sink / sent"
  local backend
  for backend in $BACKENDS; do
    command -v "$([[ $backend == sqlite ]] && echo sqlite3 || echo psql)" >/dev/null || die "$backend needs its client"
    run_backend "$backend"
  done
  log "$(uptime)"
  exit "$FAILED"
}

main "$@"
