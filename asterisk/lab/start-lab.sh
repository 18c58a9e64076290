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
# files plus its own asterisk.conf, manager.conf and iax.conf, rewritten for that directory and port.
#
# The carrier: `start` also starts a second Asterisk, the lab carrier (asterisk/lab/carrier, run
# directory <root>/carrier, no AMI), which the lab reaches over a real IAX2 trunk on loopback
# (trunk template IAX2/carrier/{number}; see iax.conf). IAX2 ports: 4569 (lab) and 4570 (carrier)
# for the default lab; AMI port + 20000 and + 30000 for another one (or set DIALER_LAB_IAX_PORT and
# DIALER_LAB_CARRIER_PORT). `stop` stops both. Without the carrier the lab works as before; only
# calls over the trunk fail.
set -euo pipefail

DEFAULT_ROOT=/tmp/dialer-asterisk-lab
ROOT=${DIALER_LAB_ROOT:-$DEFAULT_ROOT}
AMI_PORT=${DIALER_LAB_AMI_PORT:-5038}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMAND=${1:-start}
if [[ "$ROOT" == "$DEFAULT_ROOT" && "$AMI_PORT" == 5038 ]]; then
    IAX_PORT=${DIALER_LAB_IAX_PORT:-4569}
    CARRIER_PORT=${DIALER_LAB_CARRIER_PORT:-4570}
else
    IAX_PORT=${DIALER_LAB_IAX_PORT:-$((AMI_PORT + 20000))}
    CARRIER_PORT=${DIALER_LAB_CARRIER_PORT:-$((AMI_PORT + 30000))}
fi
CARRIER_ROOT="$ROOT/carrier"
CARRIER_CONF="$CARRIER_ROOT/etc/asterisk.conf"
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
        rm -f "$ROOT/etc/asterisk.conf" "$ROOT/etc/manager.conf" "$ROOT/etc/iax.conf"
        # The lab's files #include "../<file>" (the production configuration beside asterisk/lab):
        # relative to etc/, that is $ROOT/<file> here.
        for file in "$LAB_DIR"/../*.conf; do
            ln -sfn "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")" "$ROOT/$(basename "$file")"
        done
        sed "s#$DEFAULT_ROOT#$ROOT#g" "$LAB_DIR/asterisk.conf" >"$ROOT/etc/asterisk.conf"
        sed "s#^port = 5038#port = $AMI_PORT#" "$LAB_DIR/manager.conf" >"$ROOT/etc/manager.conf"
        sed -e "s#^bindport = 4569#bindport = $IAX_PORT#" -e "s#^port = 4570#port = $CARRIER_PORT#" \
            "$LAB_DIR/iax.conf" >"$ROOT/etc/iax.conf"
        # the lab's files #include the production ones as ../<file>: relative to etc/, that is $ROOT/<file>
        for file in "$LAB_DIR"/../*.conf; do
            ln -sfn "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")" "$ROOT/$(basename "$file")"
        done
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

prepare_carrier() {  # the lab carrier's run directory: links to carrier/*.conf, its own asterisk.conf and iax.conf
    mkdir -p "$CARRIER_ROOT"/{etc,lib/agi-bin,spool,run,log}
    for file in "$LAB_DIR"/carrier/*.conf "$LAB_DIR/indications.conf"; do
        ln -sfn "$file" "$CARRIER_ROOT/etc/$(basename "$file")"
    done
    rm -f "$CARRIER_ROOT/etc/asterisk.conf" "$CARRIER_ROOT/etc/iax.conf"
    sed "s#$DEFAULT_ROOT/#$ROOT/#g" "$LAB_DIR/carrier/asterisk.conf" >"$CARRIER_ROOT/etc/asterisk.conf"
    sed "s#^bindport = 4570#bindport = $CARRIER_PORT#" "$LAB_DIR/carrier/iax.conf" >"$CARRIER_ROOT/etc/iax.conf"
    # the same XML documentation as the lab (Asterisk's configuration framework needs it)
    if [[ -e "$ROOT/lib/documentation" ]]; then ln -sfn "$(readlink "$ROOT/lib/documentation")" "$CARRIER_ROOT/lib/documentation"; fi
}

running() { "$ASTERISK_BIN" -C "$CONF" -rx "core show version" >/dev/null 2>&1; }
carrier_running() { "$ASTERISK_BIN" -C "$CARRIER_CONF" -rx "core show version" >/dev/null 2>&1; }

booted() {  # the Asterisk of this asterisk.conf ($1) fully booted within 10 s
    for _ in $(seq 1 50); do
        if "$ASTERISK_BIN" -C "$1" -rx "core waitfullybooted" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    return 1
}

start_carrier() {  # a carrier that does not start is reported; the lab runs without it
    prepare_carrier
    if carrier_running; then return 0; fi
    "$ASTERISK_BIN" -C "$CARRIER_CONF" || true
    if booted "$CARRIER_CONF"; then
        echo "lab carrier up: IAX2 127.0.0.1:$CARRIER_PORT (trunk IAX2/carrier/{number}), log $CARRIER_ROOT/log/messages"
    else
        echo "the lab carrier did not start (calls over IAX2/carrier fail): see $CARRIER_ROOT/log/messages" >&2
    fi
}

case "$COMMAND" in
start)
    prepare
    start_carrier
    if running; then echo "already running"; exit 0; fi
    "$ASTERISK_BIN" -C "$CONF"
    if ! booted "$CONF"; then echo "Asterisk did not start: see $ROOT/log/messages" >&2; exit 1; fi
    echo "Asterisk lab up: AMI 127.0.0.1:$AMI_PORT (dialer/dialer-lab), log $ROOT/log/messages"
    ;;
status)
    "$ASTERISK_BIN" -C "$CONF" -rx "core show uptime"
    if carrier_running; then echo "lab carrier: running (IAX2 127.0.0.1:$CARRIER_PORT)"; else echo "lab carrier: not running"; fi
    ;;
cli) exec "$ASTERISK_BIN" -C "$CONF" -r ;;
carrier-cli) exec "$ASTERISK_BIN" -C "$CARRIER_CONF" -r ;;
stop)
    if carrier_running; then "$ASTERISK_BIN" -C "$CARRIER_CONF" -rx "core stop now" || true; fi
    "$ASTERISK_BIN" -C "$CONF" -rx "core stop now"
    ;;
*) echo "usage: $0 start|status|cli|carrier-cli|stop [asterisk binary]" >&2; exit 2 ;;
esac
