#!/usr/bin/env bash
# End-to-end tests of the demo site (web/) in Debian's Chromium through playwright-core.
#
# Builds what is missing (the wasm SDK in pkg/dist/web, tee-rex-server, the site), starts on
# loopback a dev-attested tee-rex-server, an unattested one and two static servers (the site as
# configured, and the site pointed at a tampering proxy the test starts), runs
# web/test/e2e.test.mjs with node's test runner and prints `N passed, N failed`.
#
# Needs: scripts/provision.sh run once (bb, test CRS), Debian's `chromium`, node >= 20.
# Env: TEST_WEB_LOCAL=0 skips the bb.js local proving run (several minutes on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)

# bb runs in a job folder: every path handed to the server is absolute.
abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BB=$(abs "${TEE_REX_BB:-.cache/bb/bb}")
BB_REAL=$(abs "${TEE_REX_BB_REAL:-.cache/bb/4.1.2/bb-real}")
CRS_DIR=$(abs "${TEE_REX_CRS_DIR:-.cache/crs/insecure-test}")
WORK=$ROOT/target/test-web
ARTIFACTS=$ROOT/web/test-results
log() { printf '[test-web %(%T)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$BB" ] || die "$BB missing: run scripts/provision.sh"
[ -d "$CRS_DIR" ] || die "$CRS_DIR missing: run scripts/provision.sh"
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "/usr/bin/chromium missing: apt-get install chromium"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing: apt-get install chromium"
command -v node >/dev/null || die "node missing"

if [ ! -f pkg/dist/web/tee_rex_sdk_bg.wasm ]; then
  log "pkg/dist/web missing: scripts/build-wasm.sh"
  [ -f .cache/wasm-tools/env.sh ] || scripts/setup-wasm.sh
  WASM_TARGETS=web scripts/build-wasm.sh
fi
log "npm ci (web/)"
(cd web && npm ci --no-audit --no-fund --loglevel=error)
log "cargo build -p tee-rex-server"
cargo build --locked -q -p tee-rex-server
SERVER_BIN=$ROOT/target/debug/tee-rex-server

rm -rf "$WORK" "$ARTIFACTS" && mkdir -p "$WORK" "$ARTIFACTS"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
TEE_PORT=$(free_port); PLAIN_PORT=$(free_port); PROXY_PORT=$(free_port)
SITE_PORT=$(free_port); TAMPERED_PORT=$(free_port)

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

log "starting tee-rex-server --attestation dev on 127.0.0.1:$TEE_PORT and --attestation none on :$PLAIN_PORT"
"$SERVER_BIN" --attestation dev --listen "127.0.0.1:$TEE_PORT" --bb "$BB" --bb-binary-sha-path "$BB_REAL" \
  --crs-dir "$CRS_DIR" --dev-root-out "$WORK/dev-root.pem" >"$WORK/tee-server.log" 2>&1 &
PIDS+=($!)
"$SERVER_BIN" --attestation none --listen "127.0.0.1:$PLAIN_PORT" --bb "$BB" --bb-binary-sha-path "$BB_REAL" \
  --crs-dir "$CRS_DIR" >"$WORK/plain-server.log" 2>&1 &
PIDS+=($!)

wait_http() { # url pid log
  for _ in $(seq 1 900); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "server exited"; }
    sleep 0.2
  done
  die "$1 never answered"
}
# The dev attestor measures the server binary before it listens: slow for a debug build.
wait_http "http://127.0.0.1:$TEE_PORT/health" "${PIDS[0]}" "$WORK/tee-server.log"
wait_http "http://127.0.0.1:$PLAIN_PORT/health" "${PIDS[1]}" "$WORK/plain-server.log"
[ -f "$WORK/dev-root.pem.pcrs.json" ] || die "the dev server wrote no PCRs file"

build_site() { # outdir tee_url prover_url
  (cd web && TEE_URL=$2 PROVER_URL=$3 TEE_EXPECTED_PCRS_FILE=$WORK/dev-root.pem.pcrs.json \
    TEE_INSECURE_ROOT_FILE=$WORK/dev-root.pem CRS_DIR=$CRS_DIR CRS_URL=/crs/ \
    npx vite build --logLevel warn --outDir "$1" --emptyOutDir)
}
log "building the site (and a copy whose TEE_URL is the tampering proxy)"
build_site "$ROOT/web/dist" "http://127.0.0.1:$TEE_PORT" "http://127.0.0.1:$PLAIN_PORT"
build_site "$WORK/dist-tampered" "http://127.0.0.1:$PROXY_PORT" ""

preview() { # outdir port
  # node runs vite itself (not through npx, whose child would outlive the kill below).
  (cd web && CRS_DIR=$CRS_DIR exec node node_modules/vite/bin/vite.js preview --logLevel warn --outDir "$1" \
    --host 127.0.0.1 --port "$2" --strictPort) >"$WORK/preview-$2.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$2/" "$!" "$WORK/preview-$2.log"
}
preview "$ROOT/web/dist" "$SITE_PORT"
preview "$WORK/dist-tampered" "$TAMPERED_PORT"

log "running web/test/e2e.test.mjs"
set +e
(cd web && SITE_URL="http://127.0.0.1:$SITE_PORT/" TAMPERED_SITE_URL="http://127.0.0.1:$TAMPERED_PORT/" \
  PROXY_PORT=$PROXY_PORT TEE_URL="http://127.0.0.1:$TEE_PORT" PCRS_FILE=$WORK/dev-root.pem.pcrs.json \
  ARTIFACTS=$ARTIFACTS node --test --test-timeout=1800000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/e2e.tap" test/e2e.test.mjs)
status=$?
set -e

passed=$(awk '/^# pass /{print $3}' "$WORK/e2e.tap")
failed=$(awk '/^# fail /{print $3}' "$WORK/e2e.tap")
skipped=$(awk '/^# skipped /{print $3}' "$WORK/e2e.tap")
log "screenshots in $ARTIFACTS; server logs in $WORK"
echo "${passed:-0} passed, ${failed:-1} failed, ${skipped:-0} skipped"
[ "$status" -eq 0 ] && [ "${failed:-1}" -eq 0 ]
