#!/usr/bin/env bash
# Runs tee-rex's main job on real input: starts the enclave server with dev attestation on
# loopback, proves the Schnorr account deployment through `tee-rex prove`, and reports the outcome.
#
# Exit 0 only when the pipeline worked: attestation verified, steps encrypted and sent, bb ran.
# With the test CRS, bb computes the whole proof and then rejects it in its own self-check; that
# outcome is named as such and counts as a working pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."

BB=${TEE_REX_BB:-.cache/bb/bb}
# The wrapper runs bb through a newer glibc; the server reports the hash of the real binary.
BB_BINARY=${TEE_REX_BB_BINARY:-.cache/bb/4.1.2/bb-real}
CRS_DIR=${TEE_REX_CRS_DIR:-.cache/crs/insecure-test}
INPUT=${DEMO_INPUT:-testdata/aztec/ivc-deploy-schnorr.msgpack}
WORK=target/demo
BIN=target/release

[ -x "$BB" ] || { echo "demo: $BB missing: run scripts/provision.sh" >&2; exit 1; }
[ -d "$CRS_DIR" ] || { echo "demo: $CRS_DIR missing: run scripts/provision.sh" >&2; exit 1; }

echo "== building tee-rex-server and tee-rex (release)"
cargo build --release --locked -q -p tee-rex-server -p tee-rex-cli

rm -rf "$WORK" && mkdir -p "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

echo "== starting tee-rex-server --attestation dev on $URL (log: $WORK/server.log)"
"$BIN/tee-rex-server" --attestation dev --listen "127.0.0.1:$PORT" --bb "$BB" \
  --bb-binary-sha-path "$BB_BINARY" \
  --crs-dir "$CRS_DIR" --dev-root-out "$WORK/dev-root.pem" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  curl -fsS "$URL/health" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "demo: server exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$URL/health" >"$WORK/health.json" || { echo "demo: server never became healthy" >&2; exit 1; }
echo "== server health: $(cat "$WORK/health.json")"

echo "== proving $INPUT ($(stat -c %s "$INPUT") bytes) through the enclave server"
set +e
"$BIN/tee-rex" prove --server "$URL" --input "$INPUT" --out "$WORK/proof.bin" \
  --trust-root "$WORK/dev-root.pem" --expect-pcrs-file "$WORK/dev-root.pem.pcrs.json" \
  2> >(tee "$WORK/client.log" >&2)
status=$?
set -e
# Let the process substitution flush the client's last lines.
sleep 0.2

if [ $status -eq 0 ]; then
  echo "== outcome: proof written to $WORK/proof.bin ($(stat -c %s "$WORK/proof.bin") bytes)"
  exit 0
fi
if grep -q '^PROOF_SELF_CHECK_FAILED' "$WORK/client.log" && [ -f "$CRS_DIR/INSECURE_TEST_CRS" ]; then
  echo "== outcome: the pipeline worked end to end. bb folded all steps and then rejected the"
  echo "   proof in its own final self-check (PROOF_SELF_CHECK_FAILED), which is what the"
  echo "   insecure test CRS in $CRS_DIR causes. With the real CRS the same run yields a proof."
  exit 0
fi
echo "== outcome: FAILED (exit $status); client log: $WORK/client.log, server log: $WORK/server.log" >&2
exit 1
