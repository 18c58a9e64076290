#!/usr/bin/env bash
# Run the dialer's Asterisk lab (asterisk/lab) with an Asterisk you installed yourself.
#
#   asterisk/lab/start-lab.sh start [/path/to/sbin/asterisk]   start it (daemon) on 127.0.0.1:5038
#   asterisk/lab/start-lab.sh status|cli|stop [/path/to/sbin/asterisk]
#
# Asterisk is found as: the argument, $ASTERISK, or `asterisk` on PATH. Its modules
# directory is guessed from its prefix (or set ASTERISK_MODULES). Everything runs under
# /tmp/dialer-asterisk-lab (fixed in asterisk.conf). The AMI login for the dialer and the
# real-Asterisk tests is then  DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-lab
#
# A second lab beside the first (another checkout, another developer): set DIALER_LAB_ROOT
# (its run directory) and DIALER_LAB_AMI_PORT. Its etc/ then holds links to this checkout's
# files plus its own asterisk.conf and manager.conf, rewritten for that directory and port.
set -euo pipefail

DEFAULT_ROOT=/tmp/dialer-asterisk-lab
ROOT=${DIALER_LAB_ROOT:-$DEFAULT_ROOT}
AMI_PORT=${DIALER_LAB_AMI_PORT:-5038}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMAND=${1:-start}
ASTERISK_BIN=${2:-${ASTERISK:-$(command -v asterisk || true)}}

if [[ -z "$ASTERISK_BIN" || ! -x "$ASTERISK_BIN" ]]; then
    echo "no asterisk binary: pass its path or set ASTERISK" >&2
    exit 2
fi
PREFIX=$(cd "$(dirname "$ASTERISK_BIN")/.." && pwd)
CONF="$ROOT/etc/asterisk.conf"

find_dir() {  # first existing directory among the arguments
    for candidate in "$@"; do
        if [[ -n "$candidate" && -d "$candidate" ]]; then echo "$candidate"; return 0; fi
    done
    return 1
}

prepare() {
    mkdir -p "$ROOT"/{lib/agi-bin,spool,run,log,sbin} "$ROOT/lib/sounds/en/dialer"
    if [[ "$ROOT" == "$DEFAULT_ROOT" && "$AMI_PORT" == 5038 ]]; then
        ln -sfn "$LAB_DIR" "$ROOT/etc"
    else
        [[ -L "$ROOT/etc" ]] && rm "$ROOT/etc"
        mkdir -p "$ROOT/etc"
        for file in "$LAB_DIR"/*.conf; do
            ln -sfn "$file" "$ROOT/etc/$(basename "$file")"
        done
        rm -f "$ROOT/etc/asterisk.conf" "$ROOT/etc/manager.conf"
        # The lab's files #include "../<name>.conf": the production files, one level up.
        for file in "$LAB_DIR"/../*.conf; do
            ln -sfn "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")" "$ROOT/$(basename "$file")"
        done
        sed "s#$DEFAULT_ROOT#$ROOT#g" "$LAB_DIR/asterisk.conf" >"$ROOT/etc/asterisk.conf"
        sed "s#^port = 5038#port = $AMI_PORT#" "$LAB_DIR/manager.conf" >"$ROOT/etc/manager.conf"
    fi
    local modules
    if ! modules=$(find_dir "${ASTERISK_MODULES:-}" "$PREFIX/lib/asterisk/modules" \
        "$PREFIX/lib64/asterisk/modules" /usr/lib/x86_64-linux-gnu/asterisk/modules /usr/lib/asterisk/modules); then
        echo "cannot find the Asterisk modules directory: set ASTERISK_MODULES" >&2
        exit 2
    fi
    ln -sfn "$modules" "$ROOT/modules"
    local docs
    if docs=$(find_dir "$PREFIX/var/lib/asterisk/documentation" /var/lib/asterisk/documentation \
        /usr/share/asterisk/documentation); then
        ln -sfn "$docs" "$ROOT/lib/documentation"
    fi
    # The lab's prompts are silence (8 kHz signed linear): the production dialplan plays
    # dialer/safe-harbour, dialer/optout-confirmed and dialer/inbound-closed.
    head -c 48000 /dev/zero >"$ROOT/lib/sounds/en/dialer/safe-harbour.sln"   # 3 s
    head -c 16000 /dev/zero >"$ROOT/lib/sounds/en/dialer/optout-confirmed.sln"  # 1 s
    head -c 16000 /dev/zero >"$ROOT/lib/sounds/en/dialer/inbound-closed.sln"    # 1 s
}

running() { "$ASTERISK_BIN" -C "$CONF" -rx "core show version" >/dev/null 2>&1; }

case "$COMMAND" in
start)
    prepare
    if running; then echo "already running"; exit 0; fi
    "$ASTERISK_BIN" -C "$CONF"
    for _ in $(seq 1 50); do
        if "$ASTERISK_BIN" -C "$CONF" -rx "core waitfullybooted" >/dev/null 2>&1; then
            echo "Asterisk lab up: AMI 127.0.0.1:$AMI_PORT (dialer/dialer-lab), log $ROOT/log/messages"
            exit 0
        fi
        sleep 0.2
    done
    echo "Asterisk did not start: see $ROOT/log/messages" >&2
    exit 1
    ;;
status) "$ASTERISK_BIN" -C "$CONF" -rx "core show uptime" ;;
cli) exec "$ASTERISK_BIN" -C "$CONF" -r ;;
stop) "$ASTERISK_BIN" -C "$CONF" -rx "core stop now" ;;
*) echo "usage: $0 start|status|cli|stop [asterisk binary]" >&2; exit 2 ;;
esac
