#!/usr/bin/env bash
# Runs the sdk-wasm wasm-bindgen tests (sdk-wasm/tests/wasm*.rs) in Node, then in headless
# Chromium (Debian's chromium + chromedriver, fresh profile, no background networking).
# tests/wasm_prove.rs needs a server: this starts tee-rex-server --attestation dev on loopback
# (with bb and the test CRS from scripts/provision.sh) and passes its URL, root and PCRs in.
# Needs scripts/setup-wasm.sh run once. WASM_TEST_BROWSER=0 skips the browser run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
WASM_TOOLS=${WASM_TOOLS:-$ROOT/.cache/wasm-tools}
[ -f "$WASM_TOOLS/env.sh" ] || { echo "run scripts/setup-wasm.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
. "$WASM_TOOLS/env.sh"

BB=${TEE_REX_TEST_BB:-$ROOT/.cache/bb/bb}
BB_REAL=${TEE_REX_TEST_BB_REAL:-$ROOT/.cache/bb/4.1.2/bb-real}
CRS_DIR=${TEE_REX_TEST_CRS_DIR:-$ROOT/.cache/crs/insecure-test}
[ -x "$BB" ] && [ -d "$CRS_DIR" ] || { echo "bb or the test CRS missing: run scripts/provision.sh" >&2; exit 1; }
cargo build -q -p tee-rex-server --locked
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SHA_ARGS=(); [ -f "$BB_REAL" ] && SHA_ARGS=(--bb-binary-sha-path "$BB_REAL")
target/debug/tee-rex-server --attestation dev --listen "127.0.0.1:$PORT" --bb "$BB" "${SHA_ARGS[@]}" \
  --crs-dir "$CRS_DIR" --dev-root-out "$WORK/dev-root.pem" >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 150); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/health', timeout=2)" \
    2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
export TEE_REX_WASM_TEST_SERVER="http://127.0.0.1:$PORT"
TEE_REX_WASM_TEST_ROOT_PEM=$(cat "$WORK/dev-root.pem")
TEE_REX_WASM_TEST_PCRS=$(cat "$WORK/dev-root.pem.pcrs.json")
export TEE_REX_WASM_TEST_ROOT_PEM TEE_REX_WASM_TEST_PCRS

TESTS=()
for f in sdk-wasm/tests/wasm*.rs; do TESTS+=(--test "$(basename "$f" .rs)"); done
run() {
  # shellcheck disable=SC2086
  $WASM_CARGO test -p tee-rex-sdk --locked --target wasm32-unknown-unknown --no-default-features \
    $WASM_BUILD_STD_FLAGS "${TESTS[@]}"
}

echo "== wasm tests in Node ($(node --version))"
run

if [ "${WASM_TEST_BROWSER:-1}" = 1 ]; then
  [ -n "${CHROMEDRIVER:-}" ] || { echo "chromedriver missing: scripts/setup-wasm.sh installs it" >&2; exit 1; }
  PROFILE=$WORK/chromium-profile
  CAPS=$WORK/webdriver.json
  mkdir -p "$PROFILE"
  cat >"$CAPS" <<JSON
{"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": ["--headless", "--no-sandbox",
  "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--user-data-dir=$PROFILE"]}}
JSON
  echo "== wasm tests in headless $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON=$CAPS WASM_BINDGEN_TEST_TIMEOUT=300 run
fi
