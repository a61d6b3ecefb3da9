#!/usr/bin/env bash
# Smoke-run the attestation_doc fuzz target for a short time (default 30 s), seeded with the
# committed corpus. New inputs go to a temporary directory, so the committed corpus stays as is.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz passes nightly-only flags
# (-Zsanitizer=address); on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
#
# Usage: scripts/fuzz-smoke.sh [SECONDS]
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root/fuzz"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
cargo fuzz build attestation_doc
cargo fuzz run attestation_doc "$work" corpus/attestation_doc -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=70000
