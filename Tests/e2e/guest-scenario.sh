#!/usr/bin/env bash
# Runs one scenario inside the guest and prints one PASS/FAIL line.
#   guest-scenario.sh SCENARIO   with DAEMON_J, DAEMON_K (stock|ours|none), SYNC_FAMILY (6|4)
# Exit: 0 PASS, 1 FAIL (a check failed), 2 the scenario could not be set up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=$1
: "${DAEMON_J:=stock}" "${DAEMON_K:=stock}" "${SYNC_FAMILY:=6}"
source "$here/lib/topology.sh"
for file in "$here"/scenarios/*.sh; do source "$file"; done
declare -F "scenario_$scenario" >/dev/null || { echo "FAIL $scenario: no such scenario"; exit 2; }

failures=()
# check DESCRIPTION COMMAND...: records a failed check; the scenario goes on.
check() {
    local what=$1; shift
    if "$@"; then log "ok: $what"; else log "FAILED: $what"; failures+=("$what"); fi
}
setup_failed() {
    log "setup failed: $*"
    diagnostics
    echo "FAIL $scenario ($(daemon_describe)): setup failed: $*"
    exit 2
}
diagnostics() {
    local n
    [ -s "$STATE/supervisor.log" ] && { log "joold-supervisor output:"; tail -n 30 "$STATE/supervisor.log" | sed 's/^/      /'; }
    for n in J K; do
        [ -s "$STATE/$n/daemon.log" ] && { log "$n daemon output:"; sed 's/^/      /' "$STATE/$n/daemon.log" | tail -n 20; }
    done
    log "syslog (joold, Jool):"
    grep -aE 'joold|Jool' /var/log/syslog | grep -av 'daemon.debug' 2>/dev/null | tail -n 20 | sed 's/^/      /'
}

start=$SECONDS
"scenario_$scenario"
teardown
if [ ${#failures[@]} -eq 0 ]; then
    echo "PASS $scenario ($(daemon_describe)) in $((SECONDS - start)) s"
    exit 0
fi
diagnostics
echo "FAIL $scenario ($(daemon_describe)): $(IFS=';'; echo "${failures[*]}")"
exit 1
