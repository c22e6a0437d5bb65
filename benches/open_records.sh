#!/usr/bin/env bash
# Open-data records benchmark: one full-year download of GET /api/v1/open/records.csv and
# .geojson over COUNT reports (default 1,000,000, all received in 2025, all in public
# categories), on SQLite and on PostgreSQL, with the time, the records per second and the
# server's peak resident memory (VmHWM) before and after each download.
#
# For each backend it starts the release server on a fresh database (which migrates it and
# seeds the demo catalog), stops it, bulk-loads the reports straight into the database,
# starts it again and downloads with curl. Needs sqlite3, psql (PostgreSQL on
# 127.0.0.1:5432, user postgres, trust) and curl.
#
# Run it from anywhere in the repository:
#   bash benches/open_records.sh
#   COUNT=100000 bash benches/open_records.sh
# (CARGO_TARGET_DIR is honoured; SKIP_BUILD=1 uses the binary already built.)
set -euo pipefail
COUNT=${COUNT:-1000000}
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/meldpunt
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --bin meldpunt --manifest-path "$ROOT/Cargo.toml"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PORT=18779
export MELDPUNT_LISTEN=127.0.0.1:$PORT MELDPUNT_LOG=error

start() { "$BIN" > "$WORK/server.log" 2>&1 & PID=$!; for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.2; done; echo "server did not start"; exit 1; }
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }
download() {
  echo "$1: $(grep VmHWM /proc/$PID/status) before"
  for format in csv geojson; do
    local t0 t1; t0=$(date +%s.%N)
    curl -sf -o "$WORK/out.$format" "http://127.0.0.1:$PORT/api/v1/open/records.$format?year=2025"
    t1=$(date +%s.%N)
    echo "$1 $format: $(stat -c %s "$WORK/out.$format") bytes in $(echo "$t1 - $t0" | bc) s," \
      "$(echo "$COUNT / ($t1 - $t0)" | bc) records/s, $(grep VmHWM /proc/$PID/status)"
  done
}

# SQLite
export DATABASE_URL="sqlite://$WORK/bench.sqlite3"
start; stop
sqlite3 "$WORK/bench.sqlite3" <<SQL
CREATE TEMP TABLE cats AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM categories WHERE is_public AND parent_id IS NOT NULL;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $COUNT)
INSERT INTO reports (id, reference, category_id, description, lat, lon, status, priority, source, answers, created_at,
  updated_at, routing_reason, department_locked, lifecycle, me_too, gemeente_code, wijk_code, buurt_code, area_year)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)
    || '-a' || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
  printf('R%07d', n), (SELECT id FROM cats WHERE k = n % (SELECT count(*) FROM cats)), 'x',
  50.88 + (n % 1000) * 0.00001, 5.97 + (n % 777) * 0.00001, 'new', 'normal', 'web', '{}',
  strftime('%Y-%m-%dT%H:%M:%f000Z', '2025-01-01', '+' || (n * 30) || ' seconds'), '2025-06-01T00:00:00.000000Z',
  'x', 0, '', 0, 'GM0917', 'WK091710', 'BU09171000', 2025
FROM g;
SQL
start; download sqlite; stop

# PostgreSQL
NAME=meldpunt_bench_open_$$
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $NAME"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$NAME"
start; stop
psql -h 127.0.0.1 -U postgres -d "$NAME" -q <<SQL
SET session_replication_role = replica;
CREATE TEMP TABLE cats AS SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS k FROM categories WHERE is_public AND parent_id IS NOT NULL;
INSERT INTO reports (id, reference, category_id, description, lat, lon, status, source, created_at, updated_at,
  gemeente_code, wijk_code, buurt_code, area_year)
SELECT gen_random_uuid(), 'R' || lpad(g::text, 7, '0'), (SELECT id FROM cats WHERE k = g % (SELECT count(*) FROM cats)), 'x',
  50.88 + (g % 1000) * 0.00001, 5.97 + (g % 777) * 0.00001, 'new', 'web',
  timestamptz '2025-01-01 00:00:00+01' + g * interval '30 seconds', timestamptz '2025-06-01',
  'GM0917', 'WK091710', 'BU09171000', 2025
FROM generate_series(1, $COUNT) g;
ANALYZE reports;
SQL
start; download postgres; stop
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $NAME WITH (FORCE)"
