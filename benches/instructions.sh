#!/usr/bin/env bash
# Server instructions per list-50 request, counted by callgrind (repeatable where timings on a
# shared machine are not): one person with 60 entries on a fresh PostgreSQL database, then for
# each binary given, 20 warm-up requests and 300 counted `GET /v1/pain-entries?limit=50`,
# every server thread counted.
#
#   cargo build --release && bash benches/instructions.sh [BINARY…]   (default: the release build)
#
# Needs valgrind and curl, and PostgreSQL at postgres://postgres@127.0.0.1 (TEST_POSTGRES_URL
# overrides). Compare two builds by copying the first binary aside before building the second.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- "$PWD/target/release/pain-journal"
for tool in valgrind callgrind_control curl psql; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1/postgres}"
name="pj_instr_$(date +%s)_$RANDOM"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -q "$admin" -c "CREATE DATABASE $name"
export DATABASE_URL="${admin%/*}/$name" JWT_SECRET=instructions-bench-secret-0123456789abcdef \
  AUTH_REQUESTS_PER_MINUTE=100000 RUST_LOG=warn
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export BIND_ADDR="127.0.0.1:$port"

wait_ready() {
  for _ in $(seq 1 600); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && return
    sleep 0.2
  done
  echo "the server did not start" >&2; exit 1
}

"$1" serve >"$work/seed.log" 2>&1 &
pid=$!
wait_ready
curl -s -o /dev/null -H 'content-type: application/json' \
  -d '{"email":"count@example.com","password":"correct horse battery staple","timezone":"Europe/Berlin"}' \
  "$base/v1/auth/register"
token=$(curl -s -H 'content-type: application/json' \
  -d '{"email":"count@example.com","password":"correct horse battery staple"}' \
  "$base/v1/auth/login" | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4)
for i in $(seq 1 60); do
  curl -s -o /dev/null -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"recorded_at\":\"2026-11-$(printf %02d $((i % 28 + 1)))T08:30:00.25+01:00\",\"intensity\":5,\"regions\":[\"lower_back\"]}" \
    "$base/v1/pain-entries"
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

list() {
  for _ in $(seq 1 "$1"); do
    curl -sf -o /dev/null -H "authorization: Bearer $token" "$base/v1/pain-entries?limit=50"
  done
}
echo "| binary | server instructions per list-50 |"
echo "|---|---|"
for binary in "$@"; do
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.%p" \
    "$binary" serve >"$work/server.log" 2>&1 &
  pid=$!
  wait_ready
  list 20
  callgrind_control -i on "$pid" >/dev/null 2>&1
  list 300
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The dump taken right after the counted requests (the file written at exit is not read).
  total=$(awk '/^summary:/ { print $2 }' "$work/cg.$pid.1")
  pid=""
  rm -f "$work"/cg.*
  echo "| $binary | $((total / 300)) |"
done
