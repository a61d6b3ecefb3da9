#!/usr/bin/env bash
# Lints and checks everything that deploys tee-rex, without AWS or Docker:
#   1. actionlint on .github/workflows (with shellcheck on their run: scripts)
#   2. shellcheck on every *.sh in the repository (everyone's, not only infra's)
#   3. hadolint on Dockerfile and Dockerfile.nitro, and their base-image pins
#   4. infra/check_infra.py on the OpenTofu files, plus mutated copies it must reject
#   5. the CloudFront prefix-stripping function, run under node
#   6. scripts/build-eif.sh against a stand-in nitro-cli (good and bad reports)
#   7. the host's systemd units (systemd-analyze verify) and infra/host/tee-rex-enclave.sh
#      against stand-ins for nitro-cli and the AWS CLI
#   8. enclave/entrypoint.sh against stand-ins for the server, socat and ip
# Tools come from PyPI (infra/lint-requirements.txt) into .cache/lint-venv. Exits non-zero on any
# finding.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/.cache/lint-venv
REQS=$ROOT/infra/lint-requirements.txt
cd "$ROOT"

log() { printf '[lint-infra] %s\n' "$*" >&2; }
failed=()
passed=0
step() {  # step NAME CMD...: runs one check, records the outcome, never stops the script
  local name=$1
  shift
  log "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed+=("$name")
  fi
}

# --- tools ---------------------------------------------------------------------------------------
stamp=$VENV/.requirements.sha256
want=$(sha256sum "$REQS" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing lint tools into $VENV"
  python3 -m venv "$VENV" || {
    log "python3 -m venv failed; on Debian: apt-get install -y python3-venv"
    exit 1
  }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary :all: -r "$REQS"
  echo "$want" >"$stamp"
fi
export PATH=$VENV/bin:$PATH

# --- 1. workflows ------------------------------------------------------------------------------
lint_workflows() {
  local files=(.github/workflows/*.yml)
  [ -e "${files[0]}" ] || { echo "no workflows under .github/workflows" >&2; return 1; }
  actionlint -no-color "${files[@]}"
}

# --- 2. every shell script ---------------------------------------------------------------------
lint_shell() {
  local scripts=()
  mapfile -t scripts < <(git ls-files --cached --others --exclude-standard -- '*.sh' | sort -u)
  [ "${#scripts[@]}" -gt 0 ] || { echo "no shell scripts found" >&2; return 1; }
  local present=()
  for f in "${scripts[@]}"; do [ -f "$f" ] && present+=("$f"); done
  # warning and above: info/style notes (e.g. SC2016 on intentionally literal strings) do not fail.
  shellcheck --external-sources --severity=warning "${present[@]}"
}

# --- 3. Dockerfiles ----------------------------------------------------------------------------
lint_dockerfiles() {
  hadolint --no-color Dockerfile Dockerfile.nitro || return 1
  python3 - <<'PY'
import re, sys

errors = []
pins = {}
for path in ("Dockerfile", "Dockerfile.nitro"):
    text = open(path, encoding="utf-8").read()
    if "REPLACE_ME" in text:
        errors.append(f"{path}: contains REPLACE_ME")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.M))
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", text, re.M))
    for image in re.findall(r"^FROM (\S+)", text, re.M):
        ref = args.get(image[2:-1], "") if image.startswith("${") else image
        if image in stages:
            continue
        if not re.search(r"@sha256:[0-9a-f]{64}$", ref):
            errors.append(f"{path}: FROM {image} is not pinned by digest ({ref or 'no default'})")
    pins[path] = {k: v for k, v in args.items() if k in ("RUST_IMAGE", "RUNTIME_IMAGE", "DEBIAN_SNAPSHOT")}
if pins["Dockerfile"] != pins["Dockerfile.nitro"]:
    errors.append(f"Dockerfile and Dockerfile.nitro pin different inputs: {pins}")
# Workflow containers run the same pinned Rust image as the build stage.
import glob
for path in sorted(glob.glob(".github/workflows/*.yml")):
    for image in re.findall(r"^\s+image:\s*(\S+)\s*$", open(path, encoding="utf-8").read(), re.M):
        if image != pins["Dockerfile.nitro"].get("RUST_IMAGE"):
            errors.append(f"{path}: container image {image} is not Dockerfile.nitro's RUST_IMAGE")
for error in errors:
    print(error, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# --- 4. OpenTofu -------------------------------------------------------------------------------
check_infra() {
  python3 infra/check_infra.py infra || return 1

  # Each mutation breaks one required setting; the checker must reject every one of them.
  local tmp rc=0
  tmp=$(mktemp -d)
  # shellcheck disable=SC2016  # the ${...} below are OpenTofu template text, not shell
  local -a mutations=(
    'enclave_host.tf|enabled = true|enabled = false'
    'enclave_host.tf|# No key_name: operators use SSM Session Manager.|key_name = "ops"'
    'enclave_host.tf|from_port         = var.api_port|from_port         = 22'
    'enclave_host.tf|http_tokens                 = "required"|http_tokens                 = "optional"'
    'site.tf|value    = "require-corp"|value    = "unsafe-none"'
    'site.tf|value    = "same-origin"\n      override = true\n    }\n    items {\n      header   = "Cross-Origin-Embedder-Policy"|value    = "unsafe-none"\n      override = true\n    }\n    items {\n      header   = "Cross-Origin-Embedder-Policy"'
    'site.tf|path = "/tee/*"|path = "/api/*"'
    'versions.tf|region = var.region|region = "us-east-1"'
    'host/tee-rex-vsock-proxy.service|Restart=always|Restart=on-failure'
    'host/tee-rex-enclave.service|Restart=always|Restart=no'
    'host/user-data.sh.tftpl|cpu_count: ${enclave_cpu_count}|cpu_count: 2'
  )
  for m in "${mutations[@]}"; do
    IFS='|' read -r file from to <<<"$m"
    rm -rf "$tmp/infra"
    cp -r infra "$tmp/infra"
    python3 - "$tmp/infra/$file" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace("\\n", "\n"), sys.argv[3].replace("\\n", "\n")
text = open(path, encoding="utf-8").read()
if old not in text:
    sys.exit(f"mutation target not found in {path}: {old!r}")
open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))
PY
    if python3 infra/check_infra.py "$tmp/infra" 2>/dev/null; then
      echo "check_infra.py accepted a broken config: $file: '$from' -> '$to'" >&2
      rc=1
    fi
  done
  rm -rf "$tmp"
  return "$rc"
}

# --- 5. CloudFront function --------------------------------------------------------------------
check_cloudfront_function() {
  command -v node >/dev/null || { echo "node is needed to test infra/strip-api-prefix.js" >&2; return 1; }
  node - infra/strip-api-prefix.js <<'JS'
const fs = require("fs");
const assert = require("assert");
const handler = new Function(fs.readFileSync(process.argv[2], "utf8") + "\nreturn handler;")();
const cases = {
  "/tee/attestation": "/attestation", "/tee/prove": "/prove", "/prover/health": "/health",
  "/tee": "/", "/index.html": "/index.html", "/teex/prove": "/teex/prove", "/x/tee/prove": "/x/tee/prove",
};
for (const [uri, want] of Object.entries(cases)) {
  const got = handler({ request: { uri, querystring: { nonce: { value: "ab" } } } });
  assert.strictEqual(got.uri, want, `${uri} -> ${got.uri}, want ${want}`);
  assert.deepStrictEqual(got.querystring, { nonce: { value: "ab" } });
}
JS
}

# --- 6. build-eif.sh ---------------------------------------------------------------------------
check_build_eif() {
  local tmp rc=0
  tmp=$(mktemp -d)
  # A stand-in for nitro-cli that writes an EIF and prints the report the way nitro-cli does.
  cat >"$tmp/nitro-cli" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
[ "$1" = build-enclave ] && [ "$2" = --docker-uri ] && [ "$4" = --output-file ] || exit 64
printf 'EIF' >"$5"
echo "Start building the Enclave Image..."
cat "$STUB_REPORT"
STUB
  chmod +x "$tmp/nitro-cli"
  local p0 p1 p2
  p0=$(printf 'a%.0s' {1..96}); p1=$(printf 'B%.0s' {1..96}); p2=$(printf '1%.0s' {1..96})
  printf '{"Measurements":{"HashAlgorithm":"Sha384 { ... }","PCR0":"%s","PCR1":"%s","PCR2":"%s"}}\n' \
    "$p0" "$p1" "$p2" >"$tmp/good.json"
  if STUB_REPORT=$tmp/good.json NITRO_CLI=$tmp/nitro-cli scripts/build-eif.sh --no-build \
    --image test:stub --out-dir "$tmp/out" >/dev/null 2>&1; then
    python3 - "$tmp/out/pcrs.json" "$p0" "${p1,,}" "$p2" <<'PY' || rc=1
import json, sys
got = json.load(open(sys.argv[1]))
want = {"PCR0": sys.argv[2], "PCR1": sys.argv[3], "PCR2": sys.argv[4]}
if got != want:
    sys.exit(f"pcrs.json is {got}, want {want}")
PY
    [ -s "$tmp/out/tee-rex.eif.sha256" ] || { echo "no tee-rex.eif.sha256" >&2; rc=1; }
  else
    echo "build-eif.sh failed on a well-formed report" >&2
    rc=1
  fi

  local bad
  for bad in \
    "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\",\"PCR0\":\"${p0:0:94}\",\"PCR1\":\"$p1\",\"PCR2\":\"$p2\"}}" \
    "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\",\"PCR0\":\"$p0\",\"PCR1\":\"$p1\"}}" \
    "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\",\"PCR0\":\"$(printf '0%.0s' {1..96})\",\"PCR1\":\"$p1\",\"PCR2\":\"$p2\"}}" \
    "{\"Measurements\":{\"HashAlgorithm\":\"Sha256 { ... }\",\"PCR0\":\"$p0\",\"PCR1\":\"$p1\",\"PCR2\":\"$p2\"}}" \
    "Error: no JSON here"; do
    printf '%s\n' "$bad" >"$tmp/bad.json"
    if STUB_REPORT=$tmp/bad.json NITRO_CLI=$tmp/nitro-cli scripts/build-eif.sh --no-build \
      --image test:stub --out-dir "$tmp/bad" >/dev/null 2>&1 || [ ! -e "$tmp/bad/pcrs.json" ]; then
      [ ! -e "$tmp/bad/pcrs.json" ] || { echo "build-eif.sh left a pcrs.json for: $bad" >&2; rc=1; }
    else
      echo "build-eif.sh accepted a bad report: $bad" >&2
      rc=1
    fi
  done
  rm -rf "$tmp"
  return "$rc"
}

# --- 7. host units and enclave script ------------------------------------------------------------
check_host() {
  local tmp rc=0
  tmp=$(mktemp -d)
  command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (apt-get install systemd)" >&2; return 1; }
  # Units as installed, with their executables pointed at files that exist here.
  cp infra/host/*.service "$tmp/"
  printf '[Unit]\nDescription=stand-in\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
    >"$tmp/nitro-enclaves-allocator.service"
  sed -i 's|/usr/local/bin/tee-rex-enclave|/bin/true|; s|/usr/bin/socat|/bin/true|' "$tmp"/tee-rex-*.service
  local out
  out=$(cd "$tmp" && systemd-analyze verify --man=no ./tee-rex-enclave.service ./tee-rex-vsock-proxy.service 2>&1) || rc=1
  [ -z "$out" ] || { echo "$out" >&2; rc=1; }

  # tee-rex-enclave.sh with stand-ins: `aws s3 cp` copies a local file, nitro-cli logs its
  # arguments and reports RUNNING until the counter runs out.
  mkdir -p "$tmp/bin" "$tmp/state"
  cat >"$tmp/bin/aws" <<'STUB'
#!/usr/bin/env bash
[ "$1 $2" = "s3 cp" ] || exit 64
shift 2
[ "$1" = --only-show-errors ] && shift
cp "$STUB_EIF" "$2"
STUB
  cat >"$tmp/bin/nitro-cli" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STUB_LOG"
case "$1" in
  describe-enclaves)
    n=$(cat "$STUB_COUNTER"); echo $((n - 1)) >"$STUB_COUNTER"
    if [ "$n" -gt 0 ]; then echo '[{"EnclaveName":"tee-rex","State":"RUNNING"}]'; else echo '[]'; fi ;;
esac
STUB
  chmod +x "$tmp/bin/aws" "$tmp/bin/nitro-cli"
  printf 'EIF v1' >"$tmp/good.eif"
  local sha
  sha=$(sha256sum "$tmp/good.eif" | cut -d' ' -f1)
  cat >"$tmp/enclave.env" <<ENV
EIF_S3_URI=s3://bucket/eif/x.eif
EIF_SHA256=$sha
ENCLAVE_CPU_COUNT=2
ENCLAVE_MEMORY_MIB=4096
ENCLAVE_CID=16
ENV
  local -a env=(PATH="$tmp/bin:$PATH" TEE_REX_ENV="$tmp/enclave.env" TEE_REX_STATE_DIR="$tmp/state"
    TEE_REX_POLL_SECS=0 STUB_LOG="$tmp/log" STUB_COUNTER="$tmp/counter")
  local script=infra/host/tee-rex-enclave.sh

  # A tampered download is refused and leaves nothing behind.
  printf 'EIF evil' >"$tmp/evil.eif"
  if env "${env[@]}" STUB_EIF="$tmp/evil.eif" bash "$script" fetch >/dev/null 2>&1; then
    echo "tee-rex-enclave.sh fetch accepted an EIF with the wrong hash" >&2; rc=1
  fi
  [ ! -e "$tmp/state/tee-rex.eif" ] || { echo "a refused EIF was left in place" >&2; rc=1; }
  # The right one is installed.
  env "${env[@]}" STUB_EIF="$tmp/good.eif" bash "$script" fetch >/dev/null || rc=1
  cmp -s "$tmp/good.eif" "$tmp/state/tee-rex.eif" || { echo "fetch did not install the EIF" >&2; rc=1; }
  # run starts the enclave without debug mode, stays up while it runs, fails once it stops.
  echo 3 >"$tmp/counter"
  if env "${env[@]}" bash "$script" run 2>/dev/null; then
    echo "tee-rex-enclave.sh run exited 0 after the enclave stopped" >&2; rc=1
  fi
  grep -q -- "run-enclave --enclave-name tee-rex --eif-path $tmp/state/tee-rex.eif --cpu-count 2 --memory 4096 --enclave-cid 16" "$tmp/log" \
    || { echo "run-enclave called wrongly: $(cat "$tmp/log")" >&2; rc=1; }
  ! grep -q -- --debug-mode "$tmp/log" || { echo "enclave started in debug mode" >&2; rc=1; }
  [ "$(grep -c describe-enclaves "$tmp/log")" = 4 ] \
    || { echo "run did not poll until the enclave stopped: $(cat "$tmp/log")" >&2; rc=1; }
  rm -rf "$tmp"
  return "$rc"
}

# --- 8. the enclave's PID 1 ----------------------------------------------------------------------
check_entrypoint() {
  local tmp rc=0
  tmp=$(mktemp -d)
  mkdir -p "$tmp/root/bin" "$tmp/path"
  # Stand-ins log their arguments; each one's lifetime is set by the test.
  cat >"$tmp/path/ip" <<'STUB'
#!/usr/bin/env bash
echo "ip $*" >>"$STUB_LOG"
STUB
  cat >"$tmp/path/socat" <<'STUB'
#!/usr/bin/env bash
echo "socat $*" >>"$STUB_LOG"
echo $$ >"$STUB_DIR/socat.pid"
sleep "$SOCAT_LIFETIME" >/dev/null 2>&1 &
child=$!
trap 'kill "$child" 2>/dev/null; exit 143' TERM
wait "$child"
exit "$SOCAT_STATUS"
STUB
  cat >"$tmp/root/bin/tee-rex-server" <<'STUB'
#!/usr/bin/env bash
echo "server $*" >>"$STUB_LOG"
echo $$ >"$STUB_DIR/server.pid"
sleep "$SERVER_LIFETIME" >/dev/null 2>&1 &
child=$!
trap 'kill "$child" 2>/dev/null; exit 143' TERM
wait "$child"
exit "$SERVER_STATUS"
STUB
  chmod +x "$tmp/path/ip" "$tmp/path/socat" "$tmp/root/bin/tee-rex-server"
  run_entrypoint() {  # run_entrypoint SERVER_LIFETIME SERVER_STATUS SOCAT_LIFETIME SOCAT_STATUS
    rm -f "$tmp/log" "$tmp"/*.pid
    local status=0
    env PATH="$tmp/path:$PATH" TEE_REX_ROOT="$tmp/root" STUB_LOG="$tmp/log" STUB_DIR="$tmp" \
      SERVER_LIFETIME="$1" SERVER_STATUS="$2" SOCAT_LIFETIME="$3" SOCAT_STATUS="$4" \
      timeout 20 bash enclave/entrypoint.sh --concurrency 2 2>/dev/null || status=$?
    echo "$status"
  }

  # The server dies with 3: the enclave stops with 3, and socat is not left running.
  local status
  status=$(run_entrypoint 0.2 3 30 0)
  [ "$status" = 3 ] || { echo "entrypoint exited $status when the server exited 3" >&2; rc=1; }
  [ "$(head -n1 "$tmp/log")" = "ip link set dev lo up" ] || { echo "loopback not brought up first" >&2; rc=1; }
  grep -qx "server --attestation nitro --listen 127.0.0.1:4000 --bb $tmp/root/bin/bb --crs-dir $tmp/root/crs --log-format json --concurrency 2" "$tmp/log" \
    || { echo "server started wrongly: $(cat "$tmp/log")" >&2; rc=1; }
  grep -qx "socat VSOCK-LISTEN:5000,fork,reuseaddr TCP:127.0.0.1:4000" "$tmp/log" \
    || { echo "bridge started wrongly: $(cat "$tmp/log")" >&2; rc=1; }
  if [ -f "$tmp/socat.pid" ] && kill -0 "$(cat "$tmp/socat.pid")" 2>/dev/null; then
    echo "socat still running after the enclave's PID 1 exited" >&2; rc=1
  fi
  # The bridge exits cleanly: that is still a failure of the enclave, so it exits non-zero.
  status=$(run_entrypoint 30 0 0.2 0)
  [ "$status" != 0 ] && [ "$status" != 124 ] || { echo "entrypoint exited $status when socat stopped" >&2; rc=1; }
  if [ -f "$tmp/server.pid" ] && kill -0 "$(cat "$tmp/server.pid")" 2>/dev/null; then
    echo "server still running after the enclave's PID 1 exited" >&2; rc=1
  fi
  rm -rf "$tmp"
  return "$rc"
}

step "actionlint .github/workflows" lint_workflows
step "shellcheck *.sh" lint_shell
step "hadolint and base-image pins" lint_dockerfiles
step "OpenTofu settings (python-hcl2) and mutants" check_infra
step "CloudFront prefix function" check_cloudfront_function
step "build-eif.sh against a stand-in nitro-cli" check_build_eif
step "host units and tee-rex-enclave.sh" check_host
step "enclave entrypoint" check_entrypoint

if [ "${#failed[@]}" -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  log "$passed checks passed, ${#failed[@]} failed"
  exit 1
fi
log "$passed checks passed, 0 failed"
