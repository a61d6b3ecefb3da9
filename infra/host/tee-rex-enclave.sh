#!/bin/bash
# tee-rex-enclave fetch|run|stop: the host side of the tee-rex enclave, driven by
# tee-rex-enclave.service. Settings come from /etc/tee-rex/enclave.env (written by user data,
# updated by the deploy workflow through SSM).
#
#   fetch  download the EIF from S3 and refuse it unless its SHA-256 is EIF_SHA256
#   run    start the enclave (never in debug mode: debug enclaves attest all-zero PCRs, which
#          clients refuse) and stay in the foreground while it runs, so systemd restarts it
#   stop   terminate it
set -euo pipefail

set -a
# shellcheck source=/dev/null
. "${TEE_REX_ENV:-/etc/tee-rex/enclave.env}"
set +a
: "${EIF_S3_URI:?}" "${EIF_SHA256:?}" "${ENCLAVE_CPU_COUNT:?}" "${ENCLAVE_MEMORY_MIB:?}" "${ENCLAVE_CID:?}"
readonly eif=${TEE_REX_STATE_DIR:-/var/lib/tee-rex}/tee-rex.eif
readonly name=tee-rex
readonly poll_secs=${TEE_REX_POLL_SECS:-5}

enclave_state() {
  nitro-cli describe-enclaves | python3 -c '
import json, sys
states = [e.get("State", "") for e in json.load(sys.stdin) if e.get("EnclaveName") == sys.argv[1]]
print(states[0] if states else "ABSENT")' "$name"
}

case "${1:-}" in
  fetch)
    if [ -f "$eif" ] && echo "$EIF_SHA256  $eif" | sha256sum --quiet -c - 2>/dev/null; then
      echo "EIF $EIF_SHA256 already in place"
      exit 0
    fi
    mkdir -p "$(dirname "$eif")"
    aws s3 cp --only-show-errors "$EIF_S3_URI" "$eif.new"
    if ! echo "$EIF_SHA256  $eif.new" | sha256sum --quiet -c -; then
      rm -f "$eif.new"
      echo "EIF from $EIF_S3_URI does not have SHA-256 $EIF_SHA256: refusing it" >&2
      exit 1
    fi
    mv -f "$eif.new" "$eif"
    ;;
  run)
    nitro-cli terminate-enclave --enclave-name "$name" >/dev/null 2>&1 || true
    nitro-cli run-enclave \
      --enclave-name "$name" \
      --eif-path "$eif" \
      --cpu-count "$ENCLAVE_CPU_COUNT" \
      --memory "$ENCLAVE_MEMORY_MIB" \
      --enclave-cid "$ENCLAVE_CID"
    while [ "$(enclave_state)" = RUNNING ]; do
      sleep "$poll_secs"
    done
    echo "enclave $name is no longer running" >&2
    exit 1
    ;;
  stop)
    nitro-cli terminate-enclave --enclave-name "$name" || true
    ;;
  *)
    echo "usage: tee-rex-enclave fetch|run|stop" >&2
    exit 2
    ;;
esac
