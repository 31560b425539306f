#!/usr/bin/env bash
# Installs everything the product and its tests need on a fresh Debian/Ubuntu machine with Rust.
# Idempotent: each step checks first, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0

log() { printf '\033[1m== %s\033[0m\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for the browser tests, socat for virtual serial lines.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# Trunk links OpenSSL.
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
# Python with pip, for pymodbus below.
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION (about 5 minutes the first time)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must be exactly the version the front end links against.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes the first time)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# npm: Playwright for e2e and binaryen's wasm-opt (Debian's binaryen builds broken wasm, see TOOLCHAIN).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ]; then
  log "npm ci (Playwright, binaryen $BINARYEN_VERSION)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# pymodbus: an independent Modbus implementation that plays meters in backend/tests/interop_pymodbus.rs.
PYMODBUS_VERSION=3.16.1
if ! python3 -c "import pymodbus, sys; sys.exit(pymodbus.__version__ != \"$PYMODBUS_VERSION\")" 2>/dev/null; then
  log "pip install pymodbus==$PYMODBUS_VERSION"
  # Debian's own Python refuses pip outside a virtual environment (PEP 668): override it then.
  if ! pip_errors=$(python3 -m pip install --quiet "pymodbus==$PYMODBUS_VERSION" 2>&1); then
    if grep -q externally-managed-environment <<<"$pip_errors"; then
      python3 -m pip install --quiet --break-system-packages "pymodbus==$PYMODBUS_VERSION"
    else
      printf '%s\n' "$pip_errors" >&2
      exit 1
    fi
  fi
fi

log "cargo fetch"
cargo fetch --locked >/dev/null
