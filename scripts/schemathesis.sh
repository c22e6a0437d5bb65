#!/usr/bin/env bash
# The contract fuzzed: schemathesis generates requests from api-spec/openapi.yaml (valid and
# invalid ones) for every operation, sends them to a live meldpunt, and checks each answer:
# no 5xx (a 5xx on bad input is a bug: the server answers problem+json 4xx), the status is
# one the contract declares, and the body matches the declared schema.
#
# For each backend it starts the debug binary (the one `cargo test` builds; `cargo build`
# reuses it) on a fresh database (SQLite: a file in a temporary directory; PostgreSQL: a new
# database meldpunt_fuzz_<random>, dropped afterwards) with an admin token and a bootstrap
# admin, logs that admin in and runs schemathesis with `Authorization: Bearer <session>` on
# every request, so staff and admin operations are exercised past authentication (the admin
# token alone opens the admin operations but not the staff ones that need an account).
#
#   bash scripts/schemathesis.sh                      # the CI run: time-boxed per backend
#   FUZZ_LONG=1 bash scripts/schemathesis.sh          # the long run (docs/robustness.md)
#
# Settings (environment):
#   BACKENDS="sqlite postgres"   which backends, in order
#   FUZZ_LONG=1                  more examples per operation and a longer time budget
#   FUZZ_MAX_EXAMPLES            examples per operation (CI: 5; long: 100)
#   FUZZ_MAX_TIME                seconds per backend (CI: 100; long: 600), plus 10 for logout
#   FUZZ_SEED                    hypothesis seed (CI: fixed, so a CI failure reproduces)
#   MELDPUNT_FUZZ_POSTGRES_URL   admin URL used to create and drop the database
#                                (default postgres://postgres@127.0.0.1:5432/postgres)
#   MELDPUNT_FUZZ_BIN            a server binary to use instead of building one
# It installs schemathesis (the version pinned below) with pip into a virtualenv under the
# cargo target folder (with Python 3.12 or newer when there is one; see pick_python).
#
# Exclusions, each with its reason (everything else runs, including the operations that
# delete data or queue email):
#   - POST /api/v1/auth/logout runs alone, last (10 s): it ends the session the run uses.
#   - the `stateful` phase: it chains operations through OpenAPI links, which the contract
#     does not declare; examples, coverage and fuzzing run.
#   - the checks positive_data_acceptance / negative_data_rejection / ignored_auth and the
#     other optional ones are not asked for: valid-per-schema bodies are refused for reasons
#     a schema cannot express (a point outside the municipality), and access rules are
#     tested by tests/api/staff/matrix.rs.
#   - The abuse limits per address are off: every request comes from one address, and the
#     limits would answer most of them 429 after the first hundred. They are tested by
#     tests/api/platform/limits.rs.
# The exit status is non-zero when schemathesis reports a failure on either backend.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly SCHEMATHESIS_VERSION=4.32.5
readonly SPEC="$ROOT/api-spec/openapi.yaml"
readonly BACKENDS=${BACKENDS:-sqlite postgres}
readonly PG_ADMIN_URL=${MELDPUNT_FUZZ_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [[ -n ${FUZZ_LONG:-} ]]; then
  readonly MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100} MAX_TIME=${FUZZ_MAX_TIME:-600}
else
  readonly MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-5} MAX_TIME=${FUZZ_MAX_TIME:-100}
fi
readonly SEED=${FUZZ_SEED:-17}
readonly ADMIN_TOKEN="fuzz-admin-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
readonly READY_TIMEOUT_S=60

WORKDIR=""
SERVER_PID=""
SCHEMATHESIS=""
PG_DB=""
BASE_URL=""

log() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'schemathesis.sh: %s\n' "$*" >&2
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
    port=$((20000 + RANDOM % 12000))
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
  (cd "$WORKDIR" && exec env -u MELDPUNT_CONFIG \
    MELDPUNT_LISTEN="127.0.0.1:$port" \
    DATABASE_URL="$url" \
    MELDPUNT_ADMIN_TOKEN="$ADMIN_TOKEN" \
    MELDPUNT_BOOTSTRAP_ADMIN_EMAIL="admin@example.nl" \
    MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD="admin-admin-admin" \
    MELDPUNT_MAIL_DIR="$WORKDIR/mail" \
    MELDPUNT_PHOTO_DIR="$WORKDIR/photos" \
    MELDPUNT_RETENTION_AT=off \
    MELDPUNT_LIMIT_REPORTS_PER_HOUR=0 \
    MELDPUNT_LIMIT_SUPPORTS_PER_HOUR=0 \
    MELDPUNT_LIMIT_SUBSCRIPTIONS_PER_HOUR=0 \
    MELDPUNT_LIMIT_ACCESS_REQUESTS_PER_HOUR=0 \
    MELDPUNT_LIMIT_ANSWERS_PER_HOUR=0 \
    MELDPUNT_LIMIT_EMAILS_PER_ADDRESS_PER_HOUR=0 \
    MELDPUNT_LIMIT_LOGIN_FAILURES_PER_ADDRESS=0 \
    MELDPUNT_LIMIT_LOGIN_FAILURES_PER_ACCOUNT=0 \
    "$BIN") >"$logfile" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS -o /dev/null --max-time 2 "$BASE_URL/readyz" 2>/dev/null; do
    if ! alive "$SERVER_PID"; then
      tail -n 20 "$logfile" >&2
      die "the server exited before it was ready (log above)"
    fi
    ((SECONDS < deadline)) || die "the server was not ready within ${READY_TIMEOUT_S}s"
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
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
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
  psql_run "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null ||
    log "WARNING: could not drop database $db"
}

# run_schemathesis NAME TOKEN MAX_TIME FILTER...: one schemathesis run against BASE_URL.
run_schemathesis() {
  local name=$1 token=$2 max_time=$3
  shift 3
  # From the temporary folder: schemathesis keeps a cache (.schemathesis/) where it runs.
  (cd "$WORKDIR" && "$SCHEMATHESIS" run "$SPEC" --url "$BASE_URL" "$@" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" --max-time "$max_time" --seed "$SEED" \
    --continue-on-failure --suppress-health-check all --request-timeout 30 \
    --workers 2 --no-color --warnings off --report junit --report-dir "$WORKDIR/report-$name")
}

# fuzz BACKEND: one schemathesis run against a fresh server on BACKEND; returns its status.
fuzz() {
  local backend=$1 url
  case $backend in
  sqlite)
    url="sqlite://$WORKDIR/$backend.sqlite3"
    ;;
  postgres)
    PG_DB="meldpunt_fuzz_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    psql_run "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    url=$(pg_url_with_db "$PG_ADMIN_URL" "$PG_DB")
    ;;
  *) die "unknown backend '$backend' (use sqlite or postgres)" ;;
  esac
  start_server "$url" "$WORKDIR/server-$backend.log"
  # The bootstrap admin's session opens every staff and admin operation (the admin token
  # alone opens the admin ones but not those that need an account, such as notes).
  local token
  token=$(curl -fsS "$BASE_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.nl","password":"admin-admin-admin"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    die "$backend: the bootstrap admin could not log in"
  log "$backend: schemathesis, at most $MAX_EXAMPLES examples per operation, at most ${MAX_TIME}s"
  local started=$SECONDS status=0
  # Logout ends the session the run authenticates with, so it runs alone, last.
  run_schemathesis "$backend" "$token" "$MAX_TIME" --exclude-operation-id logout || status=$?
  run_schemathesis "$backend-logout" "$token" 10 --include-operation-id logout || status=$?
  log "$backend: schemathesis finished in $((SECONDS - started))s with status $status"
  if ((status != 0)); then
    log "$backend: server log (5xx causes):"
    grep -E 'ERROR|panicked' "$WORKDIR/server-$backend.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-400 | head -40 >&2 || true
  fi
  stop_server
  drop_pg_database
  return "$status"
}

# The Python that runs schemathesis: 3.12 or newer if there is one. On CPython 3.11.7,
# hypothesis's lambda descriptions trip a CPython bug (gh-106905, "SystemError: AST
# constructor recursion depth mismatch") on the larger request schemas.
pick_python() {
  local candidate
  for candidate in ${SCHEMATHESIS_PYTHON:-} python3 python3.13 python3.12 \
    "$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3; do
    [[ -n $candidate ]] || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  log "WARNING: no Python 3.12 or newer found; using python3 (see gh-106905 above)"
  echo python3
}

# Installs the pinned schemathesis into a virtualenv under the cargo target folder.
install_schemathesis() {
  local venv
  venv="$(realpath -m -- "${CARGO_TARGET_DIR:-$ROOT/target}")/schemathesis-venv"
  SCHEMATHESIS="$venv/bin/schemathesis"
  if [[ -x $SCHEMATHESIS && $("$SCHEMATHESIS" --version 2>/dev/null) == *"$SCHEMATHESIS_VERSION"* ]]; then
    return 0
  fi
  log "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf -- "$venv"
  "$(pick_python)" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

main() {
  install_schemathesis
  if [[ -n ${MELDPUNT_FUZZ_BIN:-} ]]; then
    BIN=$MELDPUNT_FUZZ_BIN
  else
    (cd "$ROOT" && cargo build --bin meldpunt --quiet)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/meldpunt"
  fi
  # Absolute: the server starts in its temporary folder.
  BIN=$(realpath -- "$BIN")
  readonly BIN
  WORKDIR=$(mktemp -d -t meldpunt-fuzz.XXXXXX)
  local failed=0 backend
  for backend in $BACKENDS; do
    fuzz "$backend" || failed=1
  done
  ((failed == 0)) || die "schemathesis found failures (above)"
  log "schemathesis: no failures on $BACKENDS"
}

main "$@"
