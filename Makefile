# tee-rex: the two commands README.md promises, and the steps behind them.
#   make demo   prove a real Aztec transaction through a local dev-attested server
#   make test   every test, lint and check CI runs

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

export TEE_REX_TEST_BB ?= $(CURDIR)/.cache/bb/bb
export TEE_REX_TEST_CRS_DIR ?= $(CURDIR)/.cache/crs/insecure-test

.PHONY: demo test provision test-deps lint rust-test fuzz-smoke infra-lint

demo: provision
	scripts/demo.sh

test: provision test-deps lint rust-test fuzz-smoke infra-lint

provision:
	scripts/provision.sh

# Test-only tools: Python's cryptography + cbor2 for the independent attestation check,
# openpgp.js for the interoperability tests.
test-deps:
	scripts/test-deps.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

rust-test:
	cargo test --workspace --locked

fuzz-smoke:
	scripts/fuzz-smoke.sh

infra-lint:
	scripts/lint-infra.sh
