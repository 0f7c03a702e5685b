#!/usr/bin/env bash
# Load benchmark: the release server on PostgreSQL and on SQLite under wrk, against the same
# work done straight on PostgreSQL by pgbench (prepared statements) in the same run.
#
#   cargo build --release && bash benches/load.sh [seconds per run, default 10] [idle seconds, default 60]
#
# Needs wrk, pgbench and sqlite3 (Debian: apt-get install wrk postgresql-client sqlite3) and PostgreSQL at
# postgres://postgres@127.0.0.1 (TEST_POSTGRES_URL overrides). 200 users sign up and sign in
# (their sign-ups count in the peak memory), then wrk runs each piece of work for 3 s to warm up
# and N s measured, 16 connections, each request with one of the 200 tokens in turn:
#   create    POST /v1/pain-entries (a new entry each time)
#   list-50   GET  /v1/pain-entries?limit=50
#   day view  GET  /v1/days/2026-11-20
#   pull      GET  /v1/sync for a client that is up to date
#   push      POST /v1/sync with 20 records of each of the five kinds (100 records)
#   one user  create with all 16 connections as one person
#   first sync GET /v1/sync?last_pulled_at=0 of a five-year demo journal
# and prints requests/s, p50 and p99, non-2xx answers, the ratio to the ceiling where there is
# one, and the server's peak RSS (VmHWM) after each run. Nothing here asserts a number.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
idle="${2:-60}"
users=200
conns=16
binary="$PWD/target/release/pain-journal"
[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
for tool in wrk pgbench psql curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1/postgres}"
server_root="${admin%/*}"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- wrk scripts --------------------------------------------------------------------------
cat >"$work/common.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
counter = 0
threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function next_token()
  counter = counter + 1
  return tokens[(counter % #tokens) + 1]
end
function headers(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end
function day(n) return string.format("2026-11-%02d", n % 28 + 1) end
function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
LUA
cat >"$work/create.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/common.lua")
request = function()
  local token = next_token()
  local body = string.format(
    '{"id":"load-%d-%d-%d","recorded_at":"%sT08:30:00+01:00","intensity":%d,"back_pain":3,"leg_pain":4}',
    tid, os.time(), counter, day(counter), counter % 11)
  return wrk.format("POST", "/v1/pain-entries", headers(token), body)
end
LUA
cat >"$work/get.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/common.lua")
local path = os.getenv("LOAD_PATH")
request = function()
  return wrk.format("GET", path, headers(next_token()))
end
LUA
cat >"$work/push.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/common.lua")
local T0 = 1795000000000
local function records(make)
  local out = {}
  for i = 1, 20 do out[i] = make(string.format("%d-%d-%d-%d", tid, os.time(), counter, i), i) end
  return '{"created":[' .. table.concat(out, ",") .. ']}'
end
request = function()
  local token = next_token()
  local t = T0 - counter * 3600000
  local body = '{"changes":{'
    .. '"medications":' .. records(function(id) return string.format(
      '{"id":"m%s","name":"Ibuprofen 400","drug_class":"nsaid","strength":400,"strength_unit":"mg","form":"tablet","active":true}', id) end)
    .. ',"pain_entries":' .. records(function(id, i) return string.format(
      '{"id":"p%s","recorded_at":%d,"intensity":%d,"regions":"[]","qualities":"[]","triggers":"[]"}', id, t - i * 60000, i % 11) end)
    .. ',"medication_intakes":' .. records(function(id, i) return string.format(
      '{"id":"i%s","medication_id":"load-med","taken_at":%d,"quantity":1}', id, t - i * 60000) end)
    .. ',"massage_sessions":' .. records(function(id, i) return string.format(
      '{"id":"s%s","started_at":%d,"duration_min":45,"kind":"swedish","regions":"[]"}', id, t - i * 60000) end)
    .. ',"check_ins":' .. records(function(id, i) return string.format(
      '{"id":"c%s","answered_at":%d,"kind":"peg","items":"[5,5,5]"}', id, t - i * 60000) end)
    .. '}}'
  return wrk.format("POST", "/v1/sync?last_pulled_at=999999999999999", headers(token), body)
end
response = function(status, headers, body)
  if status == 200 and not string.find(body, '"rejected":{}', 1, true)
     and not string.find(body, '"rejected":[]', 1, true) and not warned then
    warned = true
    io.stderr:write("push answered: " .. string.sub(body, 1, 300) .. "\n")
  end
end
LUA

# ---- helpers ------------------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

# wrk_run SCRIPT TOKENS [PATH]: a 3 s warm-up, then the measured run; prints
# "rps p50 p99 errors" and the server's peak RSS so far in MiB.
wrk_run() {
  local script="$1" tokens="$2" path="${3:-}"
  WORK="$work" TOKENS="$tokens" LOAD_PATH="$path" \
    wrk -t2 -c"$conns" --timeout 30s -d3s -s "$work/$script" "$base" >/dev/null
  WORK="$work" TOKENS="$tokens" LOAD_PATH="$path" \
    wrk -t2 -c"$conns" --timeout 30s -d"${secs}s" -s "$work/$script" "$base" | awk '/^RESULT/ { printf "%s %s %s %s ", $2, $3, $4, $5 }'
  mib "$(field VmHWM "$pid")"
}

# pgbench_run SQL: the same work on the load database, prepared; prints requests/s.
pgbench_run() {
  printf '%s\n' "$1" >"$work/pgbench.sql"
  pgbench -n -M prepared -c "$conns" -j 2 -T "$secs" -f "$work/pgbench.sql" "$db_url" 2>/dev/null |
    awk '/^tps/ { printf "%.0f", $3 }'
}

# sqlite_run N SQL: N statements straight on the SQLite file by one connection in one process
# (the sqlite3 shell; WAL and synchronous=NORMAL as the server sets them; each INSERT is a
# transaction of its own); prints statements/s. SQLite has one writer at a time, so one
# connection is its write ceiling.
sqlite_run() {
  local n="$1" file="${db_url#sqlite://}"
  {
    echo ".output /dev/null"
    echo "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;"
    # Each statement for a user drawn at random (@U@: the user's rowid, 1 to $users).
    awk -v n="$n" -v users="$users" -v sql="$2" \
      'BEGIN { srand(); for (i = 0; i < n; i++) { s = sql; gsub(/@U@/, int(rand() * users) + 1, s); print s } }'
  } >"$work/sqlite.sql"
  local started ended
  started=$(date +%s.%N)
  sqlite3 "$file" <"$work/sqlite.sql"
  ended=$(date +%s.%N)
  awk -v n="$n" -v a="$started" -v b="$ended" 'BEGIN { printf "%.0f", n / (b - a) }'
}

row() { # work rps p50 p99 errors peak ceiling
  local ratio="—"
  [ -n "${7:-}" ] && ratio=$(awk -v a="$2" -v b="$7" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  printf '| %s | %s | %.0f/s | %.2f ms | %.2f ms | %s | %s | %s | %s MiB |\n' "$engine" "$1" "$2" "$3" "$4" \
    "$5" "${7:-—}" "$ratio" "$6"
}

start_server() {
  local port=$(( 20000 + RANDOM % 20000 ))
  base="http://127.0.0.1:$port"
  DATABASE_URL="$db_url" JWT_SECRET=load-bench-secret-load-bench-secret-0123 \
    BIND_ADDR="127.0.0.1:$port" AUTH_REQUESTS_PER_MINUTE=100000 RUST_LOG=warn \
    "$binary" serve >"$work/server-$engine.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the server did not start:" >&2; cat "$work/server-$engine.log" >&2; exit 1
}

sign_up_and_in() {
  seq 1 "$users" | xargs -P "$conns" -I{} curl -s -o /dev/null -H 'content-type: application/json' \
    -d '{"email":"load{}@example.com","password":"correct horse battery staple","timezone":"Europe/Berlin"}' \
    "$base/v1/auth/register"
  seq 1 "$users" | xargs -P "$conns" -I{} curl -s -H 'content-type: application/json' \
    -d '{"email":"load{}@example.com","password":"correct horse battery staple"}' \
    "$base/v1/auth/login" | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4 >"$work/tokens"
  [ "$(wc -l <"$work/tokens")" -eq "$users" ] || { echo "sign-in failed" >&2; exit 1; }
  head -1 "$work/tokens" >"$work/one-token"
  # The medication every pushed intake is taken of.
  xargs -P "$conns" -I{} curl -s -o /dev/null -H "authorization: Bearer {}" \
    -H 'content-type: application/json' \
    -d '{"id":"load-med","name":"Oxycodone 5","drug_class":"opioid","opioid":"oxycodone","strength":5,"form":"tablet"}' \
    "$base/v1/medications" <"$work/tokens"
  # A five-year journal for the first-sync run, of a person none of the other runs writes to
  # (the one-user creates had been adding 10–40k rows to the journal it pulled).
  curl -s -o /dev/null -H 'content-type: application/json' \
    -d '{"email":"five-years@example.com","password":"correct horse battery staple","timezone":"Europe/Berlin"}' \
    "$base/v1/auth/register"
  DATABASE_URL="$db_url" JWT_SECRET=load-bench-secret-load-bench-secret-0123 \
    "$binary" demo-data --email five-years@example.com --weeks 260 >/dev/null 2>&1
  curl -s -H 'content-type: application/json' \
    -d '{"email":"five-years@example.com","password":"correct horse battery staple"}' \
    "$base/v1/auth/login" | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4 >"$work/five-years-token"
  [ -s "$work/five-years-token" ] || { echo "five-years sign-in failed" >&2; exit 1; }
}

run_engine() {
  engine="$1" db_url="$2"
  start_server
  sign_up_and_in
  local signed_up; signed_up=$(mib "$(field VmHWM "$pid")")
  local create list day pull push one first
  create=$(wrk_run create.lua "$work/tokens")
  list=$(wrk_run get.lua "$work/tokens" "/v1/pain-entries?limit=50")
  day=$(wrk_run get.lua "$work/tokens" "/v1/days/2026-11-20")
  pull=$(wrk_run get.lua "$work/tokens" "/v1/sync?last_pulled_at=999999999999999")
  push=$(wrk_run push.lua "$work/tokens")
  one=$(wrk_run create.lua "$work/one-token")
  first=$(wrk_run get.lua "$work/five-years-token" "/v1/sync?last_pulled_at=0")
  sleep "$idle"
  local rested; rested=$(mib "$(field VmRSS "$pid")")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

  local create_ceiling="" list_ceiling=""
  if [ "$engine" = PostgreSQL ]; then
    psql -q "$db_url" -c "CREATE TABLE pgb_users AS SELECT row_number() OVER () AS n, id FROM users;
                          CREATE UNIQUE INDEX ON pgb_users (n); ANALYZE pgb_users;"
    create_ceiling=$(pgbench_run "\set u random(1, $users)
\set r random(1, 1000000000000)
INSERT INTO pain_entries (user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, version, created_at, updated_at)
  SELECT id, 'pgb-' || :client_id || '-' || :r, now(), current_date, 5, 3, 4, '[]', '[]', '[]', :r, now(), now()
  FROM pgb_users WHERE n = :u;")
    list_ceiling=$(pgbench_run "\set u random(1, $users)
SELECT * FROM pain_entries WHERE user_id = (SELECT id FROM pgb_users WHERE n = :u)
  ORDER BY recorded_at DESC, id DESC LIMIT 50;")
  else
    create_ceiling=$(sqlite_run 20000 "INSERT INTO pain_entries (user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, version, created_at, updated_at) SELECT id, 'sq-' || lower(hex(randomblob(8))), datetime('now'), date('now'), 5, 3, 4, '[]', '[]', '[]', abs(random()), datetime('now'), datetime('now') FROM users WHERE rowid = @U@;")
    list_ceiling=$(sqlite_run 20000 "SELECT * FROM pain_entries WHERE user_id = (SELECT id FROM users WHERE rowid = @U@) ORDER BY recorded_at DESC, id DESC LIMIT 50;")
  fi
  echo "| $engine | sign-ups and sign-ins (peak so far) | | | | | | | $signed_up MiB |" >>"$work/table"
  # shellcheck disable=SC2086
  {
    row "create (200 users)" $create "$create_ceiling"
    row "list-50" $list "$list_ceiling"
    row "day view" $day
    row "up-to-date pull" $pull
    row "push of 100 records (20 per kind)" $push
    row "create, one user on 16 connections" $one "$create_ceiling"
    row "first sync, five-year journal" $first
  } >>"$work/table"
  echo "| $engine | RSS after ${idle} s idle | | | | | | | $rested MiB |" >>"$work/table"
}

name="pj_load_$(date +%s)_$RANDOM"
psql -q "$admin" -c "CREATE DATABASE $name"
trap 'cleanup; psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
run_engine PostgreSQL "$server_root/$name"
run_engine SQLite "sqlite://$work/load.db"

echo "## Load: $users users, $conns connections, ${secs} s after a 3 s warm-up ($(nproc) cores)"
echo "| engine | work | requests | p50 | p99 | non-2xx/errors | ceiling (pgbench / sqlite3) | of ceiling | server peak RSS so far |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$work/table"
