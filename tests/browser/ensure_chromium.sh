#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright. Install it when missing (idempotent, quiet), with
# fonts-noto-cjk: without a CJK font the ja / zh-CN / zh-Hant screenshots show boxes instead of text.
set -euo pipefail
missing=()
if [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"; then
    missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
test -x /usr/bin/chromium
