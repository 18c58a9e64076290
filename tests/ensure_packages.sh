#!/usr/bin/env bash
# The Debian packages the test tiers use, installed when missing (idempotent, quiet; `make test` runs this):
# - chromium: the browser tests drive Debian's chromium through Playwright;
# - fonts-noto-cjk: without a CJK font the ja / zh-CN / zh-Hant screenshots show boxes instead of text;
# - espeak-ng: renders the safe-harbour, opt-out and IVR prompts (dialer/campaign/prompts.py); without it the
#   prompt tests skip.
set -euo pipefail
missing=()
for package in chromium fonts-noto-cjk espeak-ng; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$package")
    fi
done
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
command -v espeak-ng >/dev/null
