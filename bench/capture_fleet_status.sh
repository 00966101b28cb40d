#!/usr/bin/env bash
# A run of `bpbridge fleet status` while a small fleet works, for the README's "Many
# organizations" section (issue 18):
#
#   bench/capture_fleet_status.sh [SECONDS]     # status taken SECONDS after the worker starts (default 25)
#
# Five sandbox organizations on a fresh queue database (made next to BRIDGE_TEST_DATABASE_URL's,
# dropped after): a shipped scenario, two generated portals reached over real HTTP, one paced
# under its plan's 100 Books calls a minute (so it is still running, mid-step), and one
# rehearsing a 20-call Books day (so it waits for its next UTC day). One worker of 3.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
AFTER=${1:-25}
ADMIN=${BRIDGE_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
DB="bridge_capture_fleet_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/capture-fleet-XXXXXX")
PSQL_URL="${ADMIN/+psycopg/}"
psql "$PSQL_URL" -qc "CREATE DATABASE $DB"
trap 'kill $WORKER 2>/dev/null || true; wait 2>/dev/null || true; psql "$PSQL_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$WORK"' EXIT
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export BRIDGE_FLEET_DB="${PSQL_URL%/*}/$DB" BRIDGE_FLEET_DIR="$WORK/fleet" BRIDGE_HOME="$WORK/home"
cat >"$WORK/fleet.json" <<'JSON'
{"organizations": [
  {"name": "agency", "scenario": "small-agency", "action": "migrate+reenable"},
  {"name": "gen-small", "synthetic": {"projects": 2, "tasks": 6, "logs": 20}, "action": "sync",
   "options": {"served": true}},
  {"name": "gen-served", "synthetic": {"projects": 3, "tasks": 12, "bugs": 2, "logs": 60}, "action": "sync",
   "options": {"served": true}},
  {"name": "gen-paced", "synthetic": {"projects": 4, "tasks": 20, "bugs": 2, "logs": 300}, "action": "sync",
   "options": {"pace": true, "plan": "standard", "batch": 50}},
  {"name": "gen-capped", "synthetic": {"projects": 2, "tasks": 8, "logs": 40}, "action": "sync",
   "options": {"plan": "free", "books_daily_cap": 20}}
]}
JSON
BP="python3 -m bridge"
$BP fleet submit "$WORK/fleet.json"
$BP fleet worker --concurrency 3 2>"$WORK/worker.log" &
WORKER=$!
sleep "$AFTER"
echo "\$ bpbridge fleet status"
COLUMNS=200 $BP fleet status
