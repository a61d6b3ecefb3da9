#!/usr/bin/env bash
# Builds the wasm SDK into pkg/dist/<target>/ for the wasm-bindgen targets web, bundler and nodejs,
# optimises the module once with wasm-opt -Oz, and writes the size report to pkg/dist/size.txt.
# Needs scripts/setup-wasm.sh run once (it writes .cache/wasm-tools/env.sh).
#
# Env knobs: WASM_TOOLS, WASM_TARGETS="web bundler nodejs", WASM_OPT_FLAGS=-Oz (none to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)

WASM_TOOLS=${WASM_TOOLS:-$ROOT/.cache/wasm-tools}
WASM_TARGETS=${WASM_TARGETS:-web bundler nodejs}
WASM_OPT_FLAGS=${WASM_OPT_FLAGS:--Oz}
TARGET=wasm32-unknown-unknown
PROFILE=wasm-release
LIB=tee_rex_sdk
OUT=$ROOT/pkg/dist
log() { printf '[build-wasm %(%T)T] %s\n' -1 "$*" >&2; }

[ -f "$WASM_TOOLS/env.sh" ] || { log "$WASM_TOOLS/env.sh missing: run scripts/setup-wasm.sh"; exit 1; }
# shellcheck disable=SC1091
. "$WASM_TOOLS/env.sh"

# wasm-bindgen refuses a module made by another version of the crate; say so before building.
LOCKED=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock | head -n1)
if [ "$LOCKED" != "$WASM_BINDGEN_VERSION" ]; then
  log "Cargo.lock has wasm-bindgen $LOCKED but the CLI is $WASM_BINDGEN_VERSION: rerun scripts/setup-wasm.sh"
  exit 1
fi

log "cargo build -p tee-rex-sdk --target $TARGET --profile $PROFILE --no-default-features"
# shellcheck disable=SC2086
$WASM_CARGO build -p tee-rex-sdk --locked --target $TARGET --profile $PROFILE --no-default-features \
  $WASM_BUILD_STD_FLAGS
TARGET_DIR=$($WASM_CARGO metadata --format-version 1 --no-deps |
  node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).target_directory)')
RAW=$TARGET_DIR/$TARGET/$PROFILE/$LIB.wasm
[ -f "$RAW" ] || { log "missing $RAW"; exit 1; }

for t in $WASM_TARGETS; do
  rm -rf "${OUT:?}/$t"
  "$WASM_BINDGEN" --target "$t" --out-dir "$OUT/$t" "$RAW"
done

# The nodejs target is CommonJS inside an ESM package ("type": "module").
[ -d "$OUT/nodejs" ] && echo '{ "type": "commonjs" }' >"$OUT/nodejs/package.json"

# Every target's _bg.wasm is the same module: optimise the first one, copy it to the others.
FIRST=
for t in $WASM_TARGETS; do
  f=$OUT/$t/${LIB}_bg.wasm
  if [ -z "$FIRST" ]; then
    FIRST=$f
    if [ "$WASM_OPT_FLAGS" != none ]; then
      log "wasm-opt $WASM_OPT_FLAGS"
      # shellcheck disable=SC2086
      "$WASM_OPT" $WASM_OPT_FLAGS --enable-bulk-memory --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$f" -o "$f.opt"
      mv "$f.opt" "$f"
    fi
  else
    cp "$FIRST" "$f"
  fi
done

sz() { stat -c %s "$1"; }
gz() { gzip -9c "$1" | wc -c; }
{
  echo "tee-rex-sdk wasm ($PROFILE, wasm-opt $WASM_OPT_FLAGS, wasm-bindgen $WASM_BINDGEN_VERSION)"
  echo "cargo output   $LIB.wasm     raw $(sz "$RAW") bytes, gzip -9 $(gz "$RAW") bytes"
  echo "final          ${LIB}_bg.wasm  raw $(sz "$FIRST") bytes, gzip -9 $(gz "$FIRST") bytes"
} >"$OUT/size.txt"
cat "$OUT/size.txt" >&2
