#!/usr/bin/env bash
# Map A/B: two meldpunt binaries, one after the other and ROUNDS times over, answering the
# same sequence of shifted boxes (as benches/map.sh's "shifted" mode makes them) on the same
# database, at a fixed offered rate (oha, open loop). Prints per run: req/s achieved, p50/p99
# latency and the server's CPU time per request (user + system, from /proc). With the
# database and the box sequence fixed, the CPU time per request is the figure to compare:
# the difference between two builds, measured minutes apart on the same machine.
#
#   bash benches/map_ab.sh DATABASE_URL BBOX BINARY_A BINARY_B
#
# DATABASE_URL: a database loaded by benches/map_fixture.py (start meldpunt on it once so it
# is migrated and seeded, then run the fixture; it prints the BBOX holding ~4,000 reports).
# SQLite is the case this is made for; with PostgreSQL the database's CPU is not counted.
# Settings (environment): RATE=600 (req/s offered), DURATION=15s, ROUNDS=3, CLIENTS=64.

set -euo pipefail

[[ $# -eq 4 ]] || {
  sed -n '2,16p' "$0" >&2
  exit 2
}
readonly URL=$1 BBOX=$2
readonly -a BINARIES=("$3" "$4")
readonly RATE=${RATE:-600} DURATION=${DURATION:-15s} ROUNDS=${ROUNDS:-3} CLIENTS=${CLIENTS:-64}
command -v oha >/dev/null || {
  echo "map_ab.sh needs oha: cargo install oha --locked" >&2
  exit 1
}

WORKDIR=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf -- "$WORKDIR"
}
trap cleanup EXIT

PORT=$((20000 + RANDOM % 10000))
python3 "$(dirname "$0")/map_urls.py" "http://127.0.0.1:$PORT" "$BBOX" 100000 7 >"$WORKDIR/urls.txt"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for round in $(seq 1 "$ROUNDS"); do
  for binary in "${BINARIES[@]}"; do
    env -u MELDPUNT_CONFIG MELDPUNT_LISTEN="127.0.0.1:$PORT" DATABASE_URL="$URL" MELDPUNT_LOG=warn \
      MELDPUNT_PHOTO_DIR="$WORKDIR/photos" MELDPUNT_MAIL_DIR="$WORKDIR/mail" "$binary" >"$WORKDIR/server.log" 2>&1 &
    SERVER_PID=$!
    until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; do
      kill -0 "$SERVER_PID" 2>/dev/null || {
        tail -n 20 "$WORKDIR/server.log" >&2
        exit 1
      }
      sleep 0.2
    done
    # Warm the page cache and the prepared statements.
    oha --no-tui -z 5s -q "$RATE" -c "$CLIENTS" --urls-from-file "$WORKDIR/urls.txt" >/dev/null 2>&1
    before=$(ticks "$SERVER_PID")
    oha --no-tui --output-format json -z "$DURATION" -w -q "$RATE" --latency-correction -c "$CLIENTS" \
      --urls-from-file "$WORKDIR/urls.txt" >"$WORKDIR/oha.json" 2>/dev/null
    after=$(ticks "$SERVER_PID")
    python3 - "$round" "$binary" "$WORKDIR/oha.json" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
round_, binary, path, ticks, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
d = json.load(open(path))
m = d["metrics"]
total = sum(d["statusCodeDistribution"].values()) + sum(d["errorDistribution"].values())
ok = d["statusCodeDistribution"].get("200", 0)
print(f"round {round_} {binary}: {m['requests_per_sec']:.0f} req/s, p50 {m['latency_ms']['p50']:.2f} ms, "
      f"p99 {m['latency_ms']['p99']:.2f} ms, CPU {ticks * 1000 / hz / max(total, 1):.3f} ms/request, not 200: {total - ok}")
PY
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  done
done
