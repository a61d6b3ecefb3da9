#!/usr/bin/env bash
# Benchmarks tee-rex on this machine, in one run, and writes docs/benchmarks.md and
# bench/results/latest.json. Not part of the test suite (nothing here asserts a number).
#
#   scripts/bench.sh [--quick] [--runs N] [--skip LIST]
#
# --quick      one run of each contender (default: 3, medians reported)
# --runs N     N runs of each contender
# --skip LIST  comma-separated parts to leave out: criterion, crypto, npm, local, chromium,
#              throughput
#
# What it measures (see docs/benchmarks.md for the results and how to read them):
#  1. remote proving end to end (`tee-rex prove`, and the npm package in Node) against bare
#     `bb prove` on the same fixture, alternating, with each phase's share;
#  2. local proving with bb.js (WASM, in Node and in headless Chromium) against remote;
#  3. the SDK's cryptography: criterion benches (native) and the wasm build against openpgp.js 6,
#     in Node and in headless Chromium;
#  4. sizes: the SDK's `_bg.wasm` against the TypeScript SDK's runtime dependencies;
#  5. the server: RSS idle and during a proof, /health and /attestation latency while a proof runs,
#     proofs per hour at concurrency 1..2.
#
# Needs: what scripts/provision.sh installs (bb, test CRS), node >= 20 and npm, cargo, and the
# wasm package in pkg/dist/ (scripts/setup-wasm.sh && scripts/build-wasm.sh) for the npm and wasm
# parts. Network: the npm registry once, for bench/'s dependencies. Every server it starts listens
# on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
skip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) runs=1 ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --skip) skip=${2:?--skip needs a list}; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$runs" in ''|*[!0-9]*|0) echo "bench: --runs takes a positive number" >&2; exit 2 ;; esac
has_skip() { case ",$skip," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

export BENCH_BB=${TEE_REX_BB:-.cache/bb/bb}
export BENCH_BB_BINARY=${TEE_REX_BB_BINARY:-.cache/bb/4.1.2/bb-real}
export BENCH_CRS_DIR=${TEE_REX_CRS_DIR:-.cache/crs/insecure-test}
export BENCH_INPUT=${BENCH_INPUT:-testdata/aztec/ivc-deploy-schnorr.msgpack}
export BENCH_RUNS=$runs
export BENCH_SKIP=$skip

[ -x "$BENCH_BB" ] || { echo "bench: $BENCH_BB missing: run scripts/provision.sh" >&2; exit 1; }
[ -d "$BENCH_CRS_DIR" ] || { echo "bench: $BENCH_CRS_DIR missing: run scripts/provision.sh" >&2; exit 1; }
command -v node >/dev/null || { echo "bench: node missing" >&2; exit 1; }

echo "== building tee-rex-server and tee-rex (release)"
cargo build --release --locked -q -p tee-rex-server -p tee-rex-cli

echo "== bench/ dependencies"
(cd bench && { npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --loglevel=error; })

if ! has_skip criterion; then
  echo "== criterion: SDK encryption/decryption and attestation verification (native)"
  rm -rf target/criterion/encrypt target/criterion/decrypt target/criterion/verify_attestation \
    target/criterion/attestation
  cargo bench --locked -q -p tee-rex-sdk --bench crypto -- --noplot
  cargo bench --locked -q -p tee-rex-attestation --bench verify -- --noplot
fi

echo "== proving runs ($runs of each contender, alternating; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
node bench/run.mjs

node bench/report.mjs bench/results/latest.json docs/benchmarks.md
echo "== wrote docs/benchmarks.md and bench/results/latest.json"
