#!/usr/bin/env bash
# Provisions what the prover needs into .cache/ (ignored by git). Idempotent; a second run only
# checks hashes.
#
#   scripts/provision.sh [--bb] [--crs] [--all]      (no flag: --all)
#
# --bb   bb from the npm registry, checked against scripts/bb.lock, installed as
#        .cache/bb/<version>/bb-real, with the wrapper .cache/bb/bb (through Debian trixie's
#        runtime in .cache/glibc-trixie/ when the host's glibc is too old) and .cache/bb/bb.sha256.
# --crs  the CRS, in .cache/crs/<name>/, with .cache/crs/current pointing at it. The real one is
#        fetched and verified only when TEE_REX_CRS_URL is set (Aztec's CDN in production:
#        http://crs.aztec-cdn.foundation); otherwise, or when that source cannot be reached, an
#        INSECURE test CRS with a publicly known secret is generated.
#
# Needs: bash, coreutils, tar, npm and node (for the registry and the integrity check; installed with
# apt-get when missing and run as root), apt-get and dpkg (only on hosts with glibc < 2.39), cargo
# (to build tee-rex-crs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bb.lock
source "$ROOT/scripts/bb.lock"
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"

CACHE="$ROOT/.cache"
BB_DIR="$CACHE/bb"
BB_REAL="$BB_DIR/$BB_VERSION/bb-real"
SHIM_DIR="$CACHE/glibc-$GLIBC_SHIM_SUITE"
CRS_ROOT="$CACHE/crs"

do_bb=0
do_crs=0
for arg in "$@"; do
  case "$arg" in
    --bb) do_bb=1 ;;
    --crs) do_crs=1 ;;
    --all) do_bb=1; do_crs=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (expected --bb, --crs or --all)" ;;
  esac
done
if [ "$do_bb" = 0 ] && [ "$do_crs" = 0 ]; then do_bb=1; do_crs=1; fi

mkdir -p "$CACHE"
# One provisioning run at a time (make test and make demo may overlap).
exec 9>"$CACHE/.provision.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
init_tmp_root "$CACHE"

# --- bb ----------------------------------------------------------------------------------------

install_bb_binary() {
  if [ -f "$BB_REAL" ] && [ "$(sha256_of "$BB_REAL")" = "$BB_SHA256" ]; then
    log "bb: $BB_VERSION already installed, sha256 matches the pin"
    return
  fi
  need_cmd_or_apt npm npm
  need_cmd_or_apt node nodejs
  need_cmd tar

  local tmp
  tmp=$(make_tmp_dir)
  log "bb: npm pack $BB_NPM_PACKAGE@$BB_VERSION"
  (cd "$tmp" && npm pack "$BB_NPM_PACKAGE@$BB_VERSION" --silent >/dev/null) ||
    die "bb: npm pack $BB_NPM_PACKAGE@$BB_VERSION failed (is the npm registry reachable?)"
  local tarball
  tarball=$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)
  [ -n "$tarball" ] || die "bb: npm pack produced no tarball"

  local integrity
  integrity=$(npm_integrity_of "$tarball")
  [ "$integrity" = "$BB_NPM_INTEGRITY" ] ||
    die "bb: tarball integrity $integrity does not match the pin $BB_NPM_INTEGRITY in scripts/bb.lock"
  log "bb: tarball integrity matches the pin"

  tar -xzf "$tarball" -C "$tmp" "$BB_TARBALL_PATH" ||
    die "bb: $BB_TARBALL_PATH is missing from the tarball"
  local got
  got=$(sha256_of "$tmp/$BB_TARBALL_PATH")
  [ "$got" = "$BB_SHA256" ] ||
    die "bb: binary sha256 $got does not match the pin $BB_SHA256 in scripts/bb.lock"
  log "bb: binary sha256 matches the pin"

  mkdir -p "$(dirname "$BB_REAL")"
  install -m 0755 "$tmp/$BB_TARBALL_PATH" "$BB_REAL.partial"
  mv -f "$BB_REAL.partial" "$BB_REAL"
  rm -rf "$tmp"
  log "bb: installed $BB_REAL"
}

# True when the host's C and C++ runtimes are new enough for bb.
host_runtime_is_new_enough() {
  local glibc
  glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$glibc" ] && version_at_least "$glibc" "$BB_GLIBC_MIN" || return 1
  local libstdcxx
  libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
  [ -n "$libstdcxx" ] && grep -aq "GLIBCXX_$BB_GLIBCXX_MIN" "$libstdcxx"
}

install_runtime_shim() {
  local stamp="$SHIM_DIR/.provisioned"
  if [ -f "$stamp" ] && [ -x "$SHIM_DIR/usr/lib64/ld-linux-x86-64.so.2" ]; then
    log "glibc: $GLIBC_SHIM_SUITE runtime already in $SHIM_DIR ($(tr '\n' ' ' <"$stamp"))"
    return
  fi
  need_cmd apt-get
  need_cmd dpkg

  local tmp
  tmp=$(make_tmp_dir)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
  echo "deb $GLIBC_SHIM_MIRROR $GLIBC_SHIM_SUITE main" >"$tmp/sources.list"
  # A private sources list, list and cache directory: the host's apt state stays untouched.
  local apt_opts=(
    -o "Dir::Etc::SourceList=$tmp/sources.list"
    -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::Cache=$tmp/cache"
    -o "APT::Sandbox::User=root"
  )
  log "glibc: apt-get update for $GLIBC_SHIM_SUITE (private lists)"
  apt-get -qq "${apt_opts[@]}" update ||
    die "glibc: apt-get update for $GLIBC_SHIM_SUITE failed (is the Debian archive reachable?)"
  log "glibc: apt-get download $GLIBC_SHIM_PACKAGES"
  # shellcheck disable=SC2086 # the package list is meant to split
  (cd "$tmp/debs" && apt-get -qq "${apt_opts[@]}" download $GLIBC_SHIM_PACKAGES) ||
    die "glibc: apt-get download $GLIBC_SHIM_PACKAGES from $GLIBC_SHIM_SUITE failed"

  rm -rf "$SHIM_DIR.partial"
  mkdir -p "$SHIM_DIR.partial"
  local deb
  for deb in "$tmp"/debs/*.deb; do
    dpkg -x "$deb" "$SHIM_DIR.partial" || die "glibc: dpkg -x $(basename "$deb") failed"
    basename "$deb" >>"$SHIM_DIR.partial/.provisioned"
  done
  [ -x "$SHIM_DIR.partial/usr/lib64/ld-linux-x86-64.so.2" ] ||
    die "glibc: the extracted packages have no usr/lib64/ld-linux-x86-64.so.2"
  rm -rf "$SHIM_DIR"
  mv "$SHIM_DIR.partial" "$SHIM_DIR"
  rm -rf "$tmp"
  log "glibc: $GLIBC_SHIM_SUITE runtime in $SHIM_DIR ($(tr '\n' ' ' <"$SHIM_DIR/.provisioned"))"
}

# Writes .cache/bb/bb. It finds its files relative to itself, so the cache can move.
write_wrapper() {
  local mode=$1 wrapper="$BB_DIR/bb"
  {
    echo '#!/bin/sh'
    echo "# Written by scripts/provision.sh: runs bb $BB_VERSION ($mode). Arguments pass through."
    echo 'here=$(dirname "$(readlink -f "$0")")'
    if [ "$mode" = direct ]; then
      echo "exec \"\$here/$BB_VERSION/bb-real\" \"\$@\""
    else
      echo "shim=\"\$here/../glibc-$GLIBC_SHIM_SUITE\""
      echo "exec \"\$shim/usr/lib64/ld-linux-x86-64.so.2\" --argv0 \"\$0\" \\"
      echo "  --library-path \"\$shim/usr/lib/x86_64-linux-gnu\" \"\$here/$BB_VERSION/bb-real\" \"\$@\""
    fi
  } >"$wrapper.partial"
  chmod 0755 "$wrapper.partial"
  mv -f "$wrapper.partial" "$wrapper"
  echo "$BB_SHA256" >"$BB_DIR/bb.sha256.partial"
  mv -f "$BB_DIR/bb.sha256.partial" "$BB_DIR/bb.sha256"
}

provision_bb() {
  local start=$SECONDS
  install_bb_binary

  local mode
  if host_runtime_is_new_enough; then
    mode=direct
    log "glibc: host runtime is new enough (glibc >= $BB_GLIBC_MIN, GLIBCXX_$BB_GLIBCXX_MIN)"
  else
    mode="through the $GLIBC_SHIM_SUITE loader"
    log "glibc: host has glibc $(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}'), bb needs $BB_GLIBC_MIN"
    install_runtime_shim
  fi
  write_wrapper "$mode"

  local version
  version=$("$BB_DIR/bb" --version 2>&1) ||
    die "bb: '$BB_DIR/bb --version' failed: $version"
  case "$version" in
    *"$BB_VERSION"*) ;;
    *) die "bb: '$BB_DIR/bb --version' printed '$version', expected $BB_VERSION" ;;
  esac
  log "bb: $BB_DIR/bb --version -> $version ($mode; $((SECONDS - start)) s)"
}

# --- CRS ---------------------------------------------------------------------------------------

crs_tool() {
  need_cmd cargo
  log "crs: cargo build --release -p tee-rex-crs" >&2
  (cd "$ROOT" && cargo build --quiet --release -p tee-rex-crs) ||
    die "crs: building tee-rex-crs failed"
  echo "${CARGO_TARGET_DIR:-$ROOT/target}/release/tee-rex-crs"
}

# True when DIR holds a CRS whose files still match the SHA256SUMS tee-rex-crs wrote.
crs_is_complete() {
  local dir=$1
  [ -f "$dir/SHA256SUMS" ] && (cd "$dir" && sha256sum --quiet --status -c SHA256SUMS)
}

point_crs_at() {
  ln -sfn "$1" "$CRS_ROOT/current"
  log "crs: $CRS_ROOT/current -> $1"
}

provision_crs() {
  local start=$SECONDS
  mkdir -p "$CRS_ROOT"

  if [ -n "${TEE_REX_CRS_URL:-}" ]; then
    local real="$CRS_ROOT/ignition"
    if crs_is_complete "$real"; then
      log "crs: verified Ignition CRS already in $real"
      point_crs_at ignition
      return
    fi
    local tool status=0
    tool=$(crs_tool)
    log "crs: fetching the real CRS from $TEE_REX_CRS_URL ($CRS_G1_POINTS G1 points)"
    "$tool" fetch --base-url "$TEE_REX_CRS_URL" --out "$real" \
      --g1-points "$CRS_G1_POINTS" --grumpkin-points "$CRS_GRUMPKIN_POINTS" || status=$?
    if [ "$status" = 0 ]; then
      log "crs: real CRS verified into $real ($((SECONDS - start)) s)"
      point_crs_at ignition
      return
    fi
    # Exit status 3 means the source could not be reached; anything else (a CRS that failed
    # verification included) stops provisioning.
    [ "$status" = 3 ] || die "crs: fetching or verifying the real CRS failed (exit $status)"
    warn "crs: $TEE_REX_CRS_URL is unreachable: falling back to an INSECURE test CRS"
  fi

  local test_dir="$CRS_ROOT/insecure-test"
  if crs_is_complete "$test_dir"; then
    log "crs: INSECURE test CRS already in $test_dir (hashes match)"
  else
    local tool
    tool=$(crs_tool)
    log "crs: generating an INSECURE test CRS (known secret) in $test_dir"
    "$tool" gen-test --out "$test_dir" \
      --g1-points "$CRS_G1_POINTS" --grumpkin-points "$CRS_GRUMPKIN_POINTS" ||
      die "crs: tee-rex-crs gen-test failed"
  fi
  warn "crs: using the INSECURE test CRS: proofs made with it prove nothing ($((SECONDS - start)) s)"
  point_crs_at insecure-test
}

# --- main --------------------------------------------------------------------------------------

total=$SECONDS
[ "$do_bb" = 1 ] && provision_bb
[ "$do_crs" = 1 ] && provision_crs
log "done in $((SECONDS - total)) s; $(du -sh "$CACHE" 2>/dev/null | cut -f1) in $CACHE"
