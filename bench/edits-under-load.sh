#!/usr/bin/env bash
# How long an edit waits while new messages flood in: the `direct` load (50 pairs)
# on a fresh SQLite file, and one more person editing a message of theirs every
# 20 ms for 10 s; prints the edits' ack latency and the load's messages/s.
#
#   bench/edits-under-load.sh [server binary=target/release/parley]     (from the checkout)
#
# Edits go through the pool's writer connection, new messages through the
# message writer's thread: this is where the two meet (docs/PERFORMANCE-HISTORY.md,
# "Two writers, one queue"). Needs target/release/parley-bench, node, and
# frontend/node_modules (socket.io-client).
set -euo pipefail
server=${1:-target/release/parley}
port=$((45000 + RANDOM % 2000))
tmp=$(mktemp -d)
trap 'kill "$(cat "$tmp/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$tmp"' EXIT
(exec env PARLEY_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$tmp/p.db?mode=rwc" \
  PARLEY_EVENTS_PER_SECOND=1000000 PARLEY_EVENT_BURST=1000000 PARLEY_SIGNUPS_PER_HOUR=0 \
  RUST_LOG=warn LEPTOS_SITE_ROOT=target/site "$server" >"$tmp/server.log" 2>&1) &
echo $! >"$tmp/pid"
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
target/release/parley-bench --scenario direct --pairs 50 --addr "127.0.0.1:$port" \
  --messages 1000000 --seconds 20 >"$tmp/bench.txt" 2>&1 &
bench=$!
sleep 5   # the load's sign-ups and first messages
node "$(dirname "$0")/edits-under-load.mjs" "127.0.0.1:$port" 10
wait "$bench"
grep "^messages/s" "$tmp/bench.txt"
