#!/usr/bin/env bash
# Smoke-run every fuzz target for a short time each (default 30 s), seeded with the committed
# corpora (and, for `steps`, the real Aztec fixture in testdata/). New inputs go to temporary
# directories, so the committed corpora stay as they are. All targets are built by one
# `cargo fuzz build` before any runs.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz passes nightly-only flags
# (-Zsanitizer=address); on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
#
# The smoke run builds without a sanitizer (FUZZ_SANITIZER=none) by default: every crate
# forbids unsafe code, and an AddressSanitizer build of the server's dependencies takes several
# times longer on CI's two cores. Longer runs (fuzz/README.md) use FUZZ_SANITIZER=address.
#
# Usage: [FUZZ_SANITIZER=address] scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]
set -euo pipefail

seconds="${1:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root/fuzz"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
cargo fuzz build --sanitizer "$sanitizer"

# target  max_len  extra seed folders (read only)
run() {
    local target="$1" max_len="$2"
    shift 2
    mkdir -p "$work/$target"
    echo "== $target (${seconds}s)"
    cargo fuzz run --sanitizer "$sanitizer" "$target" "$work/$target" "corpus/$target" "$@" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1
}
run attestation_doc 70000
run steps 2000000 "$root/testdata/aztec"
run prove_request 70000
