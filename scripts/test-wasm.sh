#!/usr/bin/env bash
# Runs the sdk-wasm wasm-bindgen tests (sdk-wasm/tests/wasm*.rs) in Node, then in headless
# Chromium (Debian's chromium + chromedriver, fresh profile, no background networking).
# Needs scripts/setup-wasm.sh run once. WASM_TEST_BROWSER=0 skips the browser run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
WASM_TOOLS=${WASM_TOOLS:-$ROOT/.cache/wasm-tools}
[ -f "$WASM_TOOLS/env.sh" ] || { echo "run scripts/setup-wasm.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
. "$WASM_TOOLS/env.sh"

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
  PROFILE=$(mktemp -d)
  CAPS=$(mktemp --suffix=.json)
  trap 'rm -rf "$PROFILE" "$CAPS"' EXIT
  cat >"$CAPS" <<JSON
{"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": ["--headless", "--no-sandbox",
  "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--user-data-dir=$PROFILE"]}}
JSON
  echo "== wasm tests in headless $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON=$CAPS WASM_BINDGEN_TEST_TIMEOUT=300 run
fi
