#!/bin/sh
# snapshot-sources <YYYYMMDDTHHMMSSZ>: points apt at snapshot.debian.org frozen at that instant,
# so that an image rebuilt later installs the same package versions and gets the same PCRs.
# Used by Dockerfile.nitro and Dockerfile; apt still checks the archive signatures.
set -eu
stamp=${1:?usage: snapshot-sources YYYYMMDDTHHMMSSZ}
case "$stamp" in
  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
  *) echo "snapshot-sources: '$stamp' is not a YYYYMMDDTHHMMSSZ timestamp" >&2; exit 1 ;;
esac
# shellcheck source=/dev/null
. /etc/os-release
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
cat >/etc/apt/sources.list.d/debian.sources <<SOURCES
Types: deb
URIs: http://snapshot.debian.org/archive/debian/$stamp/
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
Check-Valid-Until: no

Types: deb
URIs: http://snapshot.debian.org/archive/debian-security/$stamp/
Suites: $VERSION_CODENAME-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
Check-Valid-Until: no
SOURCES
