#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain and provisioned bb/CRS. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import cbor2, cryptography.x509.verification' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check 'cryptography>=45' 'cbor2>=5.6'

if [ -f enclave-server/tests/js/package.json ]; then
  (cd enclave-server/tests/js && npm ci --silent --no-audit --no-fund)
fi

# The fuzz smoke run (scripts/fuzz-smoke.sh).
cargo fuzz --version >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
