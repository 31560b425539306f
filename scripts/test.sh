#!/usr/bin/env bash
# Installs what is missing, then runs every test: unit and integration tests (cargo), the front
# end's build and lints, and the end-to-end tests in Chromium against the simulated bus.
# The last line is "N passed, N failed" summed over cargo and Playwright.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

passed=0
failed=0
log=$(mktemp)
step_failed() { echo "!! $1"; failed=$((failed + 1)); }

echo "== cargo test (shared, backend, simulator)"
cargo test --locked 2>&1 | tee "$log"
cargo_status=${PIPESTATUS[0]}
read -r cargo_passed cargo_failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$log")
passed=$((passed + cargo_passed))
failed=$((failed + cargo_failed))
if [ "$cargo_status" -ne 0 ] && [ "$cargo_failed" -eq 0 ]; then step_failed "cargo test did not build or run"; fi

echo "== front end: clippy (wasm32) and release build"
cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings || step_failed "front-end clippy"
trunk build --release || step_failed "trunk build"

echo "== end-to-end tests (Playwright in Chromium)"
cargo build --locked -p backend -p simulator || step_failed "debug binaries for e2e"
rm -f e2e/results.json
npx playwright test -c e2e/playwright.config.ts
playwright_status=$?
if [ -f e2e/results.json ]; then
  read -r e2e_passed e2e_failed < <(node -e '
    const stats = require("./e2e/results.json").stats;
    console.log(stats.expected + stats.flaky, stats.unexpected);')
  passed=$((passed + e2e_passed))
  failed=$((failed + e2e_failed))
  if [ "$playwright_status" -ne 0 ] && [ "$e2e_failed" -eq 0 ]; then step_failed "Playwright did not run"; fi
else
  step_failed "Playwright wrote no report"
fi
rm -f "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
