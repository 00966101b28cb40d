#!/usr/bin/env bash
# Text captures of the progress display (issue 15), for the issue note:
#
#   bench/capture_progress.sh [OUT]          # default OUT: /root/captures
#
# migrate run, migrate verify and migrate rollback on a generated legacy state, and a first
# enhanced sync of a generated portal, each as a user sees it:
#   OUT/<name>-bar.txt    the terminal (tmux, 120x30) every few seconds while it runs
#   OUT/<name>-plain.txt  stderr with --progress plain (what a CI log keeps), then stdout
# and a sync under injected 429s (one 60 s wait, slept for real) in both modes.
#
# Env: RECORDS (legacy records, default 300000), SCALE (portal size as in bench/sync.py,
# default 0.1), WAITS=0 skips the two fault runs (about a minute each).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-/root/captures}
RECORDS=${RECORDS:-300000}
SCALE=${SCALE:-0.1}
WAITS=${WAITS:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/capture-progress-XXXXXX")
SESSION="capture-progress-$$"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
BP="python3 -m bridge"
PORTAL_KEY=capture-key-0123456789abcdef  # bridge.scenarios.synthetic.owner_key("capture")
mkdir -p "$OUT"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# bar NAME COMMAND...: run COMMAND in a detached tmux terminal and append its screen to
# OUT/NAME-bar.txt every 3 s until it exits
bar() {
    local name=$1 out="$OUT/$1-bar.txt" t=0 screen
    shift
    : >"$out"
    tmux new-session -d -s "$SESSION" -x 120 -y 30 \
        "cd '$WORK' && export PYTHONPATH='$PYTHONPATH' BRIDGE_ZSC_KEY=$PORTAL_KEY && $* ; echo \"[exit \$?]\"; sleep 3600"
    while sleep 3; do
        t=$((t + 3))
        screen=$(tmux capture-pane -p -t "$SESSION")
        printf '=== %s, t+%ss ===\n%s\n\n' "$name" "$t" "$screen" >>"$out"
        if grep -q '^\[exit ' <<<"$screen"; then break; fi
    done
    tmux kill-session -t "$SESSION"
    echo "wrote $out"
}

# plain NAME COMMAND...: stderr (the progress lines), then stdout (the result)
plain() {
    local name=$1 out="$OUT/$1-plain.txt"
    shift
    (cd "$WORK" && BRIDGE_ZSC_KEY=$PORTAL_KEY "$@" 2>"$WORK/stderr" >"$WORK/stdout") || true
    { echo "\$ $*"; echo "--- stderr ---"; cat "$WORK/stderr"; echo "--- stdout ---"; cat "$WORK/stdout"; } >"$out"
    echo "wrote $out"
}

portal() {  # a home whose sandbox holds a generated portal, connected in enhanced mode
    local home=$1
    [ -f "$WORK/portal.json" ] || python3 - "$WORK/portal.json" "$SCALE" <<'EOF'
import json, sys
from bridge.scenarios.synthetic import portal_scenario
full = {"projects": 1000, "tasks": 20000, "bugs": 5000, "logs": 200000}  # bench/sync.py's FULL
n = {k: max(1, int(v * float(sys.argv[2]))) for k, v in full.items()}
json.dump(portal_scenario("capture", users=25, clients=40, **n), open(sys.argv[1], "w"))
EOF
    $BP --home "$home" sandbox load "$WORK/portal.json" >/dev/null
    BRIDGE_ZSC_KEY=$PORTAL_KEY $BP --home "$home" enhanced connect --email owner@capture.example \
        --portal 70000001 >/dev/null
}

echo "building a legacy state of $RECORDS records in $WORK/legacy"
python3 "$REPO/bench/migrate.py" --prepare "$WORK/legacy" --records "$RECORDS" --projects 200
L="$BP --home $WORK/legacy"
bar migrate-run $L migrate run
bar migrate-verify $L migrate verify
plain migrate-rollback $L --progress plain migrate rollback --yes
plain migrate-run $L --progress plain migrate run
plain migrate-verify $L --progress plain migrate verify

echo "building a portal (scale $SCALE) in $WORK/bar and $WORK/plain"
portal "$WORK/bar"
portal "$WORK/plain"
bar enhanced-sync $BP --home "$WORK/bar" enhanced sync
plain enhanced-sync $BP --home "$WORK/plain" --progress plain enhanced sync

if [ "$WAITS" != 0 ]; then
    # small-agency under 3% 429s: seed 4 draws one Books 429 (a 60 s wait) and one Projects
    # 429 (about 1 s, shown only with -vv)
    for mode in bar plain; do
        home="$WORK/faults-$mode"
        $BP --home "$home" sandbox load small-agency >/dev/null
        BRIDGE_ZSC_KEY=5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f $BP --home "$home" enhanced connect \
            --email dana@northwind.example --portal 64000001 >/dev/null
        $BP --home "$home" sandbox faults --rate 0.03 --kind 429 --seed 4 >/dev/null
    done
    bar enhanced-sync-waits $BP --home "$WORK/faults-bar" --progress bar enhanced sync
    plain enhanced-sync-waits $BP --home "$WORK/faults-plain" --progress plain enhanced sync
fi
