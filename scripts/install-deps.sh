#!/bin/sh
# install-deps.sh -- installs the Debian packages klaster needs to build and
# test, if any is missing.  Run by `make demo`, `make test` and CI, so a fresh
# Debian machine needs nothing installed by hand.  Needs root (or sudo) only
# when something is actually missing.  KLASTER_EXTRA_PACKAGES adds packages;
# KLASTER_WITH_VALGRIND=1 adds valgrind (CI runs the demo under it).
set -eu

packages="gcc make libc6-dev pkg-config liblua5.4-dev zlib1g-dev ${KLASTER_EXTRA_PACKAGES:-}"
[ "${KLASTER_WITH_VALGRIND:-0}" = 1 ] && packages="$packages valgrind"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-deps: missing packages:$missing -- run as root or install them" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
