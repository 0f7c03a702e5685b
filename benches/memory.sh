#!/usr/bin/env bash
# Memory of the release server through sign-ups and logins, and after it sits idle:
# peak RSS (VmHWM) and RSS a while later, with glibc tuned as the server does at start-up
# (src/memory.rs) and, for comparison, with glibc's defaults (KEEP_GLIBC_MALLOC_DEFAULTS=1).
#
#   cargo build --release && bash benches/memory.sh [users] [idle seconds]
#
# SQLite in a temporary directory; 16 clients at once (curl through xargs).
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-200}"
idle="${2:-60}"
binary=target/release/pain-journal
[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

run() {
  local label="$1" keep="$2" dir port pid base
  dir=$(mktemp -d)
  port=$(( 20000 + RANDOM % 20000 ))
  base="http://127.0.0.1:$port"
  KEEP_GLIBC_MALLOC_DEFAULTS="$keep" DATABASE_URL="sqlite://$dir/memory.db" \
    JWT_SECRET=memory-bench-secret-memory-bench-secret-01 BIND_ADDR="127.0.0.1:$port" \
    AUTH_REQUESTS_PER_MINUTE=100000 RUST_LOG=warn "$binary" serve >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  local started; started=$(field VmRSS "$pid")
  for action in register login; do
    local extra=""
    [ "$action" = register ] && extra=',"timezone":"UTC"'
    seq 1 "$users" | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
      -H 'content-type: application/json' \
      -d "{\"email\":\"user{}@example.com\",\"password\":\"correct horse battery staple\"$extra}" \
      "$base/v1/auth/$action" | sort | uniq -c | sed "s/^/    $action: /" >&2
  done
  local after peak; after=$(field VmRSS "$pid"); peak=$(field VmHWM "$pid")
  sleep "$idle"
  local rested; rested=$(field VmRSS "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  printf '| %s | %s MiB | %s MiB | %s MiB | %s MiB |\n' "$label" "$(mib "$started")" \
    "$(mib "$peak")" "$(mib "$after")" "$(mib "$rested")"
}

echo "## Server memory: $users sign-ups then $users logins (16 at once), SQLite"
echo "| allocator | at start | peak (VmHWM) | after | ${idle} s idle |"
echo "|---|---|---|---|---|"
run "glibc, large blocks returned (default)" 0
run "glibc defaults (KEEP_GLIBC_MALLOC_DEFAULTS=1)" 1
