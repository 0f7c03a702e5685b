#!/usr/bin/env bash
# The insight on people simulated apart from the method (simulate.py), through the real server
# on a fresh SQLite file. Arguments go to simulate.py:
#
#   bash tests/insight_independent/run.sh --check --runs 40     # what CI runs
#   bash tests/insight_independent/run.sh --runs 200            # the README's table
#   PJ_BIN=target/release/pain-journal bash tests/insight_independent/run.sh --runs 200
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${PJ_BIN:-}" ]; then
  cargo build --locked --quiet --bin pain-journal
  # Where cargo put it: CARGO_TARGET_DIR when set (a CI rehearsal that shares a build).
  PJ_BIN="${CARGO_TARGET_DIR:-target}/debug/pain-journal"
fi
SCRATCH=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$SCRATCH"
  return 0
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
DATABASE_URL="sqlite://$SCRATCH/independent.db" BIND_ADDR="127.0.0.1:$port" \
  JWT_SECRET=independent-check-secret-independent-check-0123 \
  ACCESS_TOKEN_TTL_SECS=7200 AUTH_REQUESTS_PER_MINUTE=100000 \
  RUST_LOG=error "$PJ_BIN" >"$SCRATCH/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$base/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$base/health/ready" >/dev/null || { cat "$SCRATCH/server.log" >&2; exit 1; }

python3 tests/insight_independent/simulate.py --base "$base" "$@"
