# tee-rex: the two commands README.md promises, and the steps behind them.
#   make demo   prove a real Aztec transaction through a local dev-attested server
#   make test   every test, lint and check CI runs

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

export TEE_REX_TEST_BB ?= $(CURDIR)/.cache/bb/bb
export TEE_REX_TEST_CRS_DIR ?= $(CURDIR)/.cache/crs/insecure-test

.PHONY: demo test provision test-deps lint rust-test wasm-test pkg-test web-test fuzz-smoke \
	infra-lint bench-test bench

demo: provision
	scripts/demo.sh

test: provision test-deps lint rust-test wasm-test pkg-test web-test bench-test fuzz-smoke \
	infra-lint

provision:
	scripts/provision.sh

# Test-only tools: Python's cryptography + cbor2 for the independent attestation check,
# openpgp.js for the interoperability tests, the wasm toolchain and Chromium.
test-deps:
	scripts/test-deps.sh
	scripts/setup-wasm.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo check -p tee-rex-attestation -p tee-rex-sdk --no-default-features \
		--target wasm32-unknown-unknown --locked

rust-test:
	cargo test --workspace --locked

# The SDK compiled to wasm, tested in Node and headless Chromium against a dev-attested server.
wasm-test:
	scripts/build-wasm.sh
	scripts/test-wasm.sh

# The npm package: types, Node tests, and `npm pack` installed into a throwaway project.
# `npm install` (from the committed lock) rather than `npm ci`: npm 11 leaves other platforms'
# optional packages of an Aztec dependency out of the lock, and `npm ci` then refuses it.
pkg-test: wasm-test
	cd pkg && npm install --no-audit --no-fund && npm run typecheck && npm test && npm run test:pack

# The demo site in headless Chromium.
web-test: wasm-test
	scripts/test-web.sh

fuzz-smoke:
	scripts/fuzz-smoke.sh

infra-lint:
	scripts/lint-infra.sh

# The benchmark harness's own tests (parsing, report rendering, the Chromium plumbing); the
# benchmarks themselves are not tests.
bench-test:
	cd bench && npm install --no-audit --no-fund && node --test test

# Benchmarks: kept out of `make test`; writes docs/benchmarks.md.
bench: provision
	scripts/setup-wasm.sh
	scripts/build-wasm.sh
	scripts/bench.sh
