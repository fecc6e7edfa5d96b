#!/usr/bin/env bash
# A deploy's restart under load, Parley and the seed's Node stack side by side
# (same machine, same parley-bench, one after the other):
#
#   bench/avalanche.sh [users=100] [sockets-each=50] [rounds=1]     (from the checkout)
#
# Starts each server on a fresh SQLite file, connects users × sockets-each
# sockets, restarts the server with SIGTERM on the same address and database,
# and prints one JSON row per run (see `parley-bench --scenario avalanche`).
# Needs target/release/parley, target/release/parley-bench, and the Node peer
# installed by ../shared/peers/compare.sh (in ~/.cache/parley-node-peer).
set -euo pipefail
users=${1:-100}; each=${2:-50}; rounds=${3:-1}
peer=${PARLEY_PEER_DIR:-$HOME/.cache/parley-node-peer}
ulimit -n 20000 2>/dev/null || true
tmp=$(mktemp -d)
trap 'kill "$(cat "$tmp/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$tmp"' EXIT

run() {  # who port
  local who=$1 port=$2
  rm -f "$tmp"/*.db*
  case $who in
    parley) start="env PARLEY_ADDR=127.0.0.1:$port DATABASE_URL='sqlite://$tmp/parley.db?mode=rwc' \
      PARLEY_EVENTS_PER_SECOND=1000000 PARLEY_EVENT_BURST=1000000 PARLEY_SIGNUPS_PER_HOUR=0 \
      RUST_LOG=warn LEPTOS_SITE_ROOT=target/site target/release/parley" ;;
    node) start="cd '$peer' && PORT=$port DB='$tmp/node.db' PEER_RATE=0 exec node server.mjs" ;;
  esac
  cat >"$tmp/start.sh" <<START
($start) >>"$tmp/$who.log" 2>&1 &
echo \$! >"$tmp/pid"
for _ in \$(seq 1 200); do curl -fsS -o /dev/null http://127.0.0.1:$port/healthz 2>/dev/null && exit 0; sleep 0.05; done
exit 1
START
  cat >"$tmp/restart.sh" <<RESTART
pid=\$(cat "$tmp/pid"); kill -TERM "\$pid"
while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done
sh "$tmp/start.sh"
RESTART
  sh "$tmp/start.sh"
  target/release/parley-bench --scenario avalanche --addr "127.0.0.1:$port" \
    --users "$users" --sockets-each "$each" --restart-command "sh $tmp/restart.sh" --json \
    | tail -n 1 >"$tmp/report.json"
  # The restarted server's CPU, start to now: starting, taking everyone back,
  # answering their chat lists (it is idle after that).
  cpu=$(awk -v t="$(getconf CLK_TCK)" '{ print ($14 + $15) / t }' "/proc/$(cat "$tmp/pid")/stat")
  python3 -c "import json,sys; r=json.load(open('$tmp/report.json')); r['who']='$who'; r['server_cpu_after_restart_s']=$cpu; print(json.dumps(r))"
  kill "$(cat "$tmp/pid")" 2>/dev/null || true
  while kill -0 "$(cat "$tmp/pid")" 2>/dev/null; do sleep 0.05; done
}

for round in $(seq 1 "$rounds"); do
  for who in ${WHO:-node parley}; do
    # Below the ephemeral range: thousands of client sockets must not hold it.
    run "$who" $((21000 + RANDOM % 1000))
  done
done
