#!/usr/bin/env bash
# Builds the wasm SDK as scripts/build-wasm.sh does but with opt-level 3 instead of "z" (a profile
# defined on the command line, so the shipped build's artifacts are left alone), into
# target/bench/wasm-o3/ laid out like pkg/ (node.js + dist/nodejs/), and times its cryptography
# against openpgp.js with crypto-wasm.mjs, alternating with the shipped build in pkg/. Answers
# "is it the size optimisation?". Prints one JSON line per run.
#
#   bench/wasm-variant.sh <server-url> <dev-root.pem>
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
. "$ROOT/.cache/wasm-tools/env.sh"
OUT=$ROOT/target/bench/wasm-o3

cargo build -q -p tee-rex-sdk --locked --target wasm32-unknown-unknown --no-default-features \
  --config 'profile.bench-wasm-o3.inherits="wasm-release"' --config 'profile.bench-wasm-o3.opt-level=3' \
  --profile bench-wasm-o3
rm -rf "$OUT" && mkdir -p "$OUT/dist"
"$WASM_BINDGEN" --target nodejs --out-dir "$OUT/dist/nodejs" \
  "$ROOT/target/wasm32-unknown-unknown/bench-wasm-o3/tee_rex_sdk.wasm"
"$WASM_OPT" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/dist/nodejs/tee_rex_sdk_bg.wasm" -o "$OUT/dist/nodejs/tee_rex_sdk_bg.wasm"
echo '{ "type": "commonjs" }' >"$OUT/dist/nodejs/package.json"
cp pkg/node.js "$OUT/node.js"
# Shipped build and variant alternately, twice each, so the machine's drift hits both alike.
for round in 1 2; do
  for dir in pkg "$OUT"; do
    printf '{"round":%s,"build":"%s","result":' "$round" "$([ "$dir" = pkg ] && echo shipped-Oz || echo opt-level-3)"
    node bench/crypto-wasm.mjs "$dir" "$1" testdata/aztec/ivc-deploy-schnorr.msgpack "$2" 5 | tr -d '\n'
    echo '}'
  done
done
