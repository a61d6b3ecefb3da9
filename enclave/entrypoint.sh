#!/bin/bash
# PID 1 of the tee-rex enclave. The enclave has no network, only vsock, and tee-rex-server speaks
# TCP, so socat bridges the vsock port the host proxy dials to the server's loopback port. If
# either process exits, so does the enclave, and the host's systemd unit starts a new one.
#
# Extra arguments go to tee-rex-server (e.g. --concurrency 2).
set -euo pipefail

readonly vsock_port=${TEE_REX_VSOCK_PORT:-5000}
readonly listen=127.0.0.1:4000
# Fixed in the image; an override exists only for scripts/lint-infra.sh's test of this script.
readonly root=${TEE_REX_ROOT:-/opt/tee-rex}

# Loopback starts down inside a Nitro Enclave.
ip link set dev lo up

"$root/bin/tee-rex-server" \
  --attestation nitro \
  --listen "$listen" \
  --bb "$root/bin/bb" \
  --crs-dir "$root/crs" \
  --log-format json \
  "$@" &
server=$!

socat "VSOCK-LISTEN:${vsock_port},fork,reuseaddr" "TCP:${listen}" &
bridge=$!

trap 'kill -TERM "$server" "$bridge" 2>/dev/null || true' TERM INT

status=0
wait -n "$server" "$bridge" || status=$?
echo "tee-rex enclave: a child exited (status $status), stopping" >&2
kill -TERM "$server" "$bridge" 2>/dev/null || true
wait || true
exit "$(( status == 0 ? 1 : status ))"
