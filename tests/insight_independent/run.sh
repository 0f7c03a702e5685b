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
source tests/server.sh

# Serves on $1 (a DATABASE_URL), runs simulate.py against it, stops the server.
check() {
  local database_url=$1 status=0
  shift
  JWT_SECRET=independent-check-secret-independent-check-0123 \
    start_server "$database_url" "$SCRATCH/server.log"
  python3 tests/insight_independent/simulate.py --base "$BASE" "$@" || status=$?
  stop_server
  return "$status"
}

failed=0
for engine in $ENGINES; do
  echo "== the insight on independently simulated people, on $engine"
  case $engine in
    sqlite) url="sqlite://$SCRATCH/independent.db" ;;
    postgres)
      postgres_database "pj_independent_$$"
      url=$PG_URL
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
