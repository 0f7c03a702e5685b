#!/usr/bin/env bash
# The insight on people simulated apart from the method (simulate.py), through the real server
# on a fresh SQLite file and a fresh PostgreSQL database. The same journals must get the same
# answers on both engines: the tables are compared, and any difference fails. Arguments go to
# simulate.py:
#
#   bash tests/insight_independent/run.sh --check --runs 40     # what CI runs
#   ENGINES=sqlite PJ_BIN=target/release/pain-journal \
#     bash tests/insight_independent/run.sh --runs 200          # the README's table
set -euo pipefail
cd "$(dirname "$0")/../.."

ENGINES="${ENGINES:-sqlite postgres}"
if [ -z "${PJ_BIN:-}" ]; then
  cargo build --locked --quiet --bin pain-journal
  # Where cargo put it: CARGO_TARGET_DIR when set (a CI rehearsal that shares a build).
  PJ_BIN="${CARGO_TARGET_DIR:-target}/debug/pain-journal"
fi
SCRATCH=$(mktemp -d)
SERVER_PID=
PG_DB=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "$PG_DB" ] && psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$SCRATCH"
  return 0
}
trap cleanup EXIT

# Starts the server on $1 (a DATABASE_URL), runs simulate.py against it, stops it.
check() {
  local database_url=$1 port base status=0
  shift
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  DATABASE_URL="$database_url" BIND_ADDR="127.0.0.1:$port" \
    JWT_SECRET=independent-check-secret-independent-check-0123 \
    ACCESS_TOKEN_TTL_SECS=7200 AUTH_REQUESTS_PER_MINUTE=100000 \
    RUST_LOG=error "$PJ_BIN" >"$SCRATCH/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fs "$base/health/ready" >/dev/null || { cat "$SCRATCH/server.log" >&2; exit 1; }
  python3 tests/insight_independent/simulate.py --base "$base" "$@" || status=$?
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  return "$status"
}

failed=0
for engine in $ENGINES; do
  echo "== the insight on independently simulated people, on $engine"
  case $engine in
    sqlite) url="sqlite://$SCRATCH/independent.db" ;;
    postgres)
      TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1/postgres}"
      PG_DB="pj_independent_$$"
      psql "$TEST_POSTGRES_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
      url=$(python3 -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/$PG_DB')))" "$TEST_POSTGRES_URL")
      ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
  check "$url" "$@" >"$SCRATCH/table-$engine" || failed=1
  cat "$SCRATCH/table-$engine"
done
set -- $ENGINES
if [ $# -eq 2 ] && ! diff "$SCRATCH/table-$1" "$SCRATCH/table-$2"; then
  echo "the same journals got different answers on $1 and $2" >&2
  exit 1
fi
exit "$failed"
