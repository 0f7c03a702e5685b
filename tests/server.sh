# Sourced by the scripts that drive the real server over HTTP (tests/schemathesis/run.sh,
# tests/insight_independent/run.sh): the test build's binary, a scratch directory, a server on a
# free port, throw-away PostgreSQL databases, and cleanup of all of them on exit.

# The binary: PJ_BIN when set, else the test build (CARGO_TARGET_DIR when set: a CI rehearsal
# that shares a build).
if [ -z "${PJ_BIN:-}" ]; then
  cargo build --locked --quiet --bin pain-journal
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server DATABASE_URL LOG: serves on a free port (its address in $BASE) with sign-in
# limits out of the way; more settings come from the caller's environment. Fails with the log
# when the server does not get ready.
start_server() {
  local port
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  DATABASE_URL="$1" BIND_ADDR="127.0.0.1:$port" \
    JWT_SECRET="${JWT_SECRET:-test-scripts-secret-test-scripts-secret-0123}" \
    ACCESS_TOKEN_TTL_SECS=7200 AUTH_REQUESTS_PER_MINUTE=100000 LOGIN_MAX_FAILURES=1000 \
    RUST_LOG=error "$PJ_BIN" >"$2" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "$BASE/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$2" >&2
  return 1
}

stop_server() {
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# postgres_database NAME: creates it on TEST_POSTGRES_URL's server (dropped on exit); its URL
# in $PG_URL.
postgres_database() {
  TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1/postgres}"
  PG_DB="$1"
  psql "$TEST_POSTGRES_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
  PG_URL=$(python3 -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/' + sys.argv[2])))" \
    "$TEST_POSTGRES_URL" "$PG_DB")
}
