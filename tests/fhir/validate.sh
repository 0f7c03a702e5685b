#!/usr/bin/env bash
# Runs tests/fhir/validate.py on the files given, with fhir.resources 6.4.0 installed on first
# use into target/fhir-venv (one install even when several tests start at once).
set -euo pipefail
files=()
for f in "$@"; do files+=("$(realpath "$f")"); done
cd "$(dirname "$0")/../.."
venv=target/fhir-venv
mkdir -p target
exec 9>target/fhir-venv.lock
flock 9
if ! "$venv/bin/python" -c 'import fhir.resources' >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'fhir.resources==6.4.0' 'pydantic<2' >&2
fi
flock -u 9
exec "$venv/bin/python" tests/fhir/validate.py ${files[@]+"${files[@]}"}
