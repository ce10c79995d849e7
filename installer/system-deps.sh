#!/usr/bin/env bash
# Installs the Debian packages ExamKiosk needs, if any is missing. Says what to do when it
# cannot (no root and no sudo, or not a Debian-family system) instead of failing obscurely.
set -euo pipefail
missing=()
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "examkiosk: this is not a Debian/Ubuntu system (no dpkg)." >&2
    echo "  Install the equivalents of these packages with your package manager, then re-run:" >&2
    echo "  $*" >&2
    exit 1
fi
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "examkiosk: installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "examkiosk: these system packages are missing and I cannot install them without root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "  Run that once (or run make as root), then run make again." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts services from packages where it can; the tests start private instances of
# pcscd and PostgreSQL and never depend on the system ones.
echo "examkiosk: system packages installed."
