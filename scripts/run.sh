#!/usr/bin/env bash
# Installs what is missing, builds the product and starts it on the simulated bus.
# The server prints its URL and, on a first start, the one-time setup link.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

echo "== building the web app and the server (release)"
trunk build --release
cargo build --locked --release -p backend -p simulator

data_dir=${DATA_DIR:-data}
listen=${LISTEN:-127.0.0.1:8080}
https_listen=${HTTPS_LISTEN:-127.0.0.1:8443}
mkdir -p "$data_dir"
rm -f "$data_dir/demo-site.toml"

target=${CARGO_TARGET_DIR:-target}
"$target/release/simulator" --site-out "$data_dir/demo-site.toml" &
simulator=$!
trap 'kill $simulator 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do [ -f "$data_dir/demo-site.toml" ] && break; sleep 0.1; done
[ -f "$data_dir/demo-site.toml" ] || { echo "the simulator did not start"; exit 1; }

# HTTPS with a self-signed certificate made on the first start (kept in $data_dir/tls; give your own
# with --tls-certificate/--tls-key); the plain-HTTP address redirects to it.
# The demo records a sample every minute (a real gateway: every 10 minutes) so charts fill quickly,
# and starts with two years of history (written once, into an empty store).
"$target/release/energy-web-server" --data-dir "$data_dir" --site "$data_dir/demo-site.toml" \
  --listen "$listen" --https-listen "$https_listen" --sample-seconds "${SAMPLE_SECONDS:-60}" --demo-history
