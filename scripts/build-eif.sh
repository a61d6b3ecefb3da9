#!/usr/bin/env bash
# Builds the tee-rex enclave image (Dockerfile.nitro), turns it into an EIF with nitro-cli and
# writes its PCR0, PCR1 and PCR2 as the expected-PCR policy clients pin:
#
#   scripts/build-eif.sh [--image TAG] [--out-dir DIR] [--no-build] [--nitro-cli-in-docker]
#
# Outputs, in --out-dir (default artifacts/eif):
#   tee-rex.eif            the enclave image file
#   pcrs.json              {"PCR0":"<96 hex>","PCR1":"…","PCR2":"…"}: `tee-rex prove
#                          --expect-pcrs-file pcrs.json` and the SDK's expectedPcrs accept it
#   nitro-cli-build.json   nitro-cli's own report (Measurements), kept for comparison
#   tee-rex.eif.sha256     the EIF's SHA-256
#
# Options:
#   --image TAG             docker image to build and convert (default tee-rex-enclave:local)
#   --no-build              convert an image that already exists locally
#   --nitro-cli-in-docker   run nitro-cli inside Amazon Linux 2023 (NITRO_CLI_IMAGE), for hosts
#                           without it, e.g. GitHub's Ubuntu runners; needs the docker socket
# Environment:
#   CRS_BASE_URL            where the image build fetches the CRS (required unless --no-build)
#   DEBIAN_SNAPSHOT         overrides the Dockerfile's snapshot date (leave unset to reproduce)
#   SOURCE_DATE_EPOCH       passed to docker build (default: the commit time of HEAD)
#   NITRO_CLI, DOCKER       the commands to run (default nitro-cli, docker)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=tee-rex-enclave:local
OUT_DIR=$ROOT/artifacts/eif
BUILD=1
IN_DOCKER=0
NITRO_CLI=${NITRO_CLI:-nitro-cli}
DOCKER=${DOCKER:-docker}
# Amazon Linux 2023 with aws-nitro-enclaves-cli from its own repository. The digest is the
# multi-arch index stated for amazonlinux:2023 by public sources; the container checks its
# os-release before use.
NITRO_CLI_IMAGE=${NITRO_CLI_IMAGE:-amazonlinux:2023@sha256:694092ae18877ed4e3cb9b643759ba95df1f12af12528fefa18f60f79d4c1568}

log() { printf '[build-eif] %s\n' "$*" >&2; }
die() { printf '[build-eif] error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --image) IMAGE=${2:?--image needs a value}; shift 2 ;;
    --out-dir) OUT_DIR=${2:?--out-dir needs a value}; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --nitro-cli-in-docker) IN_DOCKER=1; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
EIF=$OUT_DIR/tee-rex.eif
REPORT=$OUT_DIR/nitro-cli-build.json
rm -f "$EIF" "$REPORT" "$OUT_DIR/pcrs.json" "$OUT_DIR/tee-rex.eif.sha256"

# 1. The docker image, from the committed tree only.
if [ "$BUILD" = 1 ]; then
  [ -n "${CRS_BASE_URL:-}" ] || die "set CRS_BASE_URL (docs/deploy.md names the source)"
  epoch=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}
  args=(--build-arg "CRS_BASE_URL=$CRS_BASE_URL" --build-arg "SOURCE_DATE_EPOCH=$epoch")
  [ -z "${DEBIAN_SNAPSHOT:-}" ] || args+=(--build-arg "DEBIAN_SNAPSHOT=$DEBIAN_SNAPSHOT")
  # rewrite-timestamp clamps every file's mtime to SOURCE_DATE_EPOCH: the EIF's ramdisk keeps
  # mtimes, so without it two builds of the same commit would measure differently.
  log "docker buildx build -f Dockerfile.nitro ($IMAGE, SOURCE_DATE_EPOCH=$epoch)"
  SOURCE_DATE_EPOCH=$epoch "$DOCKER" buildx build -f "$ROOT/Dockerfile.nitro" "${args[@]}" \
    --output "type=docker,name=$IMAGE,rewrite-timestamp=true" "$ROOT" >&2
fi

# 2. The EIF. nitro-cli prints progress and then the JSON report on stdout.
log "nitro-cli build-enclave --docker-uri $IMAGE"
if [ "$IN_DOCKER" = 1 ]; then
  # The script runs in the container, so its variables stay unexpanded here.
  # shellcheck disable=SC2016
  "$DOCKER" run --rm \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$OUT_DIR:/out" \
    -e IMAGE="$IMAGE" \
    "$NITRO_CLI_IMAGE" \
    bash -euo pipefail -c '
      grep -q "^VERSION_ID=\"2023\"$" /etc/os-release || { echo "not Amazon Linux 2023" >&2; exit 1; }
      dnf install -q -y aws-nitro-enclaves-cli aws-nitro-enclaves-cli-devel >&2
      export NITRO_CLI_ARTIFACTS=/tmp/nitro-artifacts
      mkdir -p "$NITRO_CLI_ARTIFACTS"
      nitro-cli build-enclave --docker-uri "$IMAGE" --output-file /out/tee-rex.eif' >"$REPORT"
else
  command -v "$NITRO_CLI" >/dev/null || die "$NITRO_CLI not found (install aws-nitro-enclaves-cli, or use --nitro-cli-in-docker)"
  "$NITRO_CLI" build-enclave --docker-uri "$IMAGE" --output-file "$EIF" >"$REPORT"
fi
[ -s "$EIF" ] || die "nitro-cli wrote no EIF at $EIF"

# 3. pcrs.json from the report, refusing anything that is not three SHA-384 values.
python3 - "$REPORT" "$OUT_DIR/pcrs.json" <<'PY'
import json, re, sys

report_path, out_path = sys.argv[1], sys.argv[2]
text = open(report_path, encoding="utf-8").read()
start = text.find("{")
if start < 0:
    sys.exit(f"[build-eif] error: no JSON in nitro-cli's output ({report_path})")
try:
    report = json.loads(text[start:])
except json.JSONDecodeError as err:
    sys.exit(f"[build-eif] error: nitro-cli's output is not JSON: {err}")
measurements = report.get("Measurements") if isinstance(report, dict) else None
if not isinstance(measurements, dict):
    sys.exit("[build-eif] error: nitro-cli's report has no Measurements object")
if not str(measurements.get("HashAlgorithm", "")).startswith("Sha384"):
    sys.exit(f"[build-eif] error: unexpected HashAlgorithm {measurements.get('HashAlgorithm')!r}")
pcrs = {}
for name in ("PCR0", "PCR1", "PCR2"):
    value = measurements.get(name)
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{96}", value):
        sys.exit(f"[build-eif] error: {name} is not 48 bytes of hex: {value!r}")
    if set(value) == {"0"}:
        sys.exit(f"[build-eif] error: {name} is all zeros")
    pcrs[name] = value.lower()
with open(out_path, "w", encoding="utf-8") as out:
    json.dump(pcrs, out, indent=2)
    out.write("\n")
PY

(cd "$OUT_DIR" && sha256sum tee-rex.eif >tee-rex.eif.sha256)
log "wrote $EIF ($(cut -d' ' -f1 "$OUT_DIR/tee-rex.eif.sha256"))"
log "wrote $OUT_DIR/pcrs.json:"
cat "$OUT_DIR/pcrs.json"
