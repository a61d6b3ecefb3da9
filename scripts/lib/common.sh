# shellcheck shell=bash
# Helpers for scripts/*.sh. Sourced by bash; defines functions only.

log() { echo "provision: $*"; }
warn() { echo "provision: WARNING: $*" >&2; }
die() {
  echo "provision: ERROR: $*" >&2
  exit 1
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"
}

# Like need_cmd, but installs Debian package $2 when $1 is missing and we are root with apt-get.
need_cmd_or_apt() {
  command -v "$1" >/dev/null 2>&1 && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "'$1' is missing: apt-get install $2"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null ||
      die "apt-get install $2 failed"
  fi
  need_cmd "$1"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# The npm `dist.integrity` string (sha512, base64) of a file.
npm_integrity_of() {
  node -e '
    const data = require("fs").readFileSync(process.argv[1]);
    const digest = require("crypto").createHash("sha512").update(data).digest("base64");
    process.stdout.write("sha512-" + digest);
  ' "$1"
}

# True when dotted version $1 >= $2.
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# Temporary folders live under one folder in .cache/ that is removed when the script exits.
# (make_tmp_dir runs in a command substitution, so it cannot record anything itself.)
_TMP_ROOT=""
_cleanup_tmp_root() { [ -z "$_TMP_ROOT" ] || rm -rf "$_TMP_ROOT"; }
trap _cleanup_tmp_root EXIT
init_tmp_root() {
  _TMP_ROOT=$(mktemp -d "$1/tmp.XXXXXX")
}
make_tmp_dir() {
  mktemp -d "$_TMP_ROOT/XXXXXX"
}
