#!/usr/bin/env bash
# Packs @alejoamiras/tee-rex with `npm pack`, installs the tarball (and the Aztec peer
# dependencies) into a throwaway sample project, and runs test/sample/sample.test.mjs there.
# Needs scripts/build-wasm.sh, the server binary, bb and the test CRS (see test/dev-server.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=$(pwd -P)
[ -f dist/nodejs/tee_rex_sdk_bg.wasm ] || { echo "pkg/dist missing: run scripts/build-wasm.sh" >&2; exit 1; }

SAMPLE=$(mktemp -d)
trap 'rm -rf "$SAMPLE"' EXIT
cp test/sample/package.json test/sample/sample.test.mjs "$SAMPLE/"
TARBALL=$(npm pack --silent --pack-destination "$SAMPLE")
echo "== packed $TARBALL ($(stat -c %s "$SAMPLE/$TARBALL") bytes): $(tar tzf "$SAMPLE/$TARBALL" | wc -l) files"
cd "$SAMPLE"
npm install --silent --no-audit --no-fund --prefer-offline "./$TARBALL"
TEE_REX_REPO="$PKG/.." node --test sample.test.mjs
