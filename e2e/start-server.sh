#!/usr/bin/env bash
# Starts the simulated bus and the debug backend on a fresh data directory, for the e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8091}
run=e2e/.run
rm -rf "$run"
mkdir -p "$run/data"
target=${CARGO_TARGET_DIR:-target}
"$target/debug/simulator" --site-out "$run/site.toml" --control-out "$run/simulator-control" --tick-ms 250 \
  --han-hour-seconds 20 &
simulator=$!
trap 'kill $simulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f "$run/site.toml" ] && break; sleep 0.1; done
"$target/debug/energy-web-server" --data-dir "$run/data" --site "$run/site.toml" \
  --listen "127.0.0.1:$port" --sample-seconds 2 --poll-ms 500 --demo-history
