# package: the Debian package (scripts/package; suite.sh shares its folder at
# $PACKAGE_DIR) installed in the guest with dpkg. The guest has no systemd: once
# /run/systemd/system exists the maintainer scripts reach lib/fake-systemctl through
# deb-systemd-invoke, which logs each call and runs the unit's ExecStart as the service.
#   install: files in place, Jool's joold(8) set aside, nothing enabled or started;
#   the service (ExecStart) and jooldctl from /usr/bin, on their default paths, run J's
#     and K's workers against the real Jool module and K mirrors J; the example
#     keepalived hook advertises and keepalived accepts the example configuration;
#   upgrade (the same package as the next version): the running service is restarted,
#     the state file kept, the workers come back from it and sync resumes;
#   remove: the service stops, the state stays, Jool's joold(8) is back;
#   purge: the state directory and the enable symlink are gone.
# The 4.1.9 kernel multicast one session packet while no worker listened (the restart);
# it then holds the next packet until an event after ss-flush-deadline (a new session, an
# ACK), so a single UDP exchange may wait for traffic that never comes: each try makes one
# more session, as live traffic would.
mirrored_after_new_traffic() {
    k_mirrors_j udp && return 0
    udp_exchange >/dev/null 2>&1
    sleep 1
    k_mirrors_j udp
}

scenario_package() {
    local deb
    deb=$(ls "${PACKAGE_DIR:-/packages}"/joold-supervisor_*_amd64.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || setup_failed "no joold-supervisor .deb in ${PACKAGE_DIR:-/packages} (scripts/package makes it)"
    topo_up
    mkdir -p /run/systemd/system /etc/systemd/system/multi-user.target.wants /etc/keepalived
    install -m 755 /project/Tests/e2e/lib/fake-systemctl /usr/local/sbin/systemctl
    export FAKE_SYSTEMD_LOG=$STATE/systemctl.log FAKE_SYSTEMD_OUTPUT=$STATE/supervisor.log
    : >"$FAKE_SYSTEMD_LOG"
    # The installed jooldctl on its default socket, which must be the unit's.
    jooldctl() { /usr/bin/jooldctl "$@"; }

    log "installing $(basename "$deb")"
    package_dpkg -i "$deb" || setup_failed "dpkg -i $(basename "$deb") failed"
    check "its files are where they belong" installed_files_present
    check "every file dpkg lists for it exists" dpkg_files_exist
    check "the installed programs run" \
        bash -c "{ /usr/sbin/joold --version && /usr/bin/jooldctl --version && /usr/sbin/joold-supervisor --version; } >/dev/null"
    check "Jool's joold(8) is set aside as joold.stock(8), ours is joold(8)" man_page_diverted
    check "the state directory exists, mode 700" test "$(stat -c %a /var/lib/joold-supervisor)" = 700
    check "nothing is enabled" test ! -e /etc/systemd/system/multi-user.target.wants/joold-supervisor.service
    check "nothing is started (systemctl only reloaded)" only_daemon_reload
    check "no supervisor runs" service_stopped

    # The operator: systemctl enable --now joold-supervisor.
    ln -s /lib/systemd/system/joold-supervisor.service /etc/systemd/system/multi-user.target.wants/
    systemctl start joold-supervisor.service
    wait_for "the service to answer on /run/joold/supervisor.sock" 180 supervisor_answers ||
        setup_failed "the service (the unit's ExecStart) did not answer"
    start_udp_echo_server
    local n
    for n in J K; do
        write_netsocket "$n" "$SYNC_FAMILY"
        jooldctl add --instance default --netns "$n" --net "$STATE/$n/netsocket.json" >/dev/null ||
            setup_failed "jooldctl add for $n"
    done
    check "J's worker runs" wait_for "J's worker to run" 180 instance_running J
    check "K's worker runs" wait_for "K's worker to run" 180 instance_running K
    ping_start || setup_failed "ping from n6 through J"
    check "K mirrors J's ICMP session" wait_for "K to mirror J's ICMP session" 60 k_mirrors_j icmp
    check "the socket is 0660 in a 0750 directory" \
        test "$(stat -c %a /run/joold)-$(stat -c %a /run/joold/supervisor.sock)" = 750-660
    check "the state file holds J and K" \
        bash -c "jq -e '[.instances[].netns] | sort == [\"J\", \"K\"]' /var/lib/joold-supervisor/state.json >/dev/null"
    install -m 755 /usr/share/doc/joold-supervisor/examples/keepalived/joold-advertise /etc/keepalived/
    check "the example hook advertises K's table" /etc/keepalived/joold-advertise default K
    check "and logs jooldctl's answer to syslog" wait_for "the hook's syslog line" 10 \
        grep -q 'joold-advertise: jooldctl advertise default --netns K: ' /var/log/syslog
    check "keepalived accepts the example configuration (keepalived -t in J)" \
        ip netns exec J keepalived -t -f /usr/share/doc/joold-supervisor/examples/keepalived/keepalived.conf

    local state pid next
    state=$(cat /var/lib/joold-supervisor/state.json)
    pid=$(service_pid)
    next=$(next_version "$deb") || setup_failed "cannot repack the package as the next version"
    : >"$FAKE_SYSTEMD_LOG"
    log "upgrading to $(basename "$next")"
    check "dpkg -i upgrades to the next version" package_dpkg -i "$next"
    check "dpkg has the next version" test "$(dpkg-query -W -f '${Version}' joold-supervisor)" = "$(dpkg-deb -f "$next" Version)"
    check "the upgrade restarted the running service (try-restart)" restarted_since "$pid"
    check "the upgrade kept the state file" test "$(cat /var/lib/joold-supervisor/state.json)" = "$state"
    check "the upgrade kept the service enabled" test -L /etc/systemd/system/multi-user.target.wants/joold-supervisor.service
    wait_for "the new service to answer" 180 supervisor_answers
    check "J's worker is back from the state file" wait_for "J's worker to run" 180 instance_running J
    check "K's worker is back from the state file" wait_for "K's worker to run" 180 instance_running K
    udp_exchange || setup_failed "UDP exchange from n6 through J after the upgrade"
    check "sync resumes: K mirrors a UDP session made after the upgrade" wait_for "K to mirror J's UDP session" 60 \
        mirrored_after_new_traffic
    jooldctl list | sed 's/^/      /'

    : >"$FAKE_SYSTEMD_LOG"
    check "dpkg -r removes the package" package_dpkg -r joold-supervisor
    check "removing stopped the service (stop)" grep -qx 'stop joold-supervisor.service' "$FAKE_SYSTEMD_LOG"
    check "no supervisor or worker runs after remove" service_stopped
    check "the programs are gone" test ! -e /usr/sbin/joold-supervisor -a ! -e /usr/bin/jooldctl
    check "remove keeps the state file" test "$(cat /var/lib/joold-supervisor/state.json 2>/dev/null)" = "$state"
    check "Jool's joold(8) is back" man_page_restored

    check "dpkg -P purges the package" package_dpkg -P joold-supervisor
    check "purge removed the state directory" test ! -e /var/lib/joold-supervisor
    check "purge removed the enable symlink" test ! -L /etc/systemd/system/multi-user.target.wants/joold-supervisor.service
    check "dpkg forgot the package" bash -c "! dpkg-query -W -f '\${Status}' joold-supervisor 2>/dev/null | grep -q installed"
}

package_dpkg() {  # dpkg with its output in $STATE/dpkg.log, shown when it fails
    DEBIAN_FRONTEND=noninteractive dpkg "$@" >>"$STATE/dpkg.log" 2>&1 && return 0
    tail -n 20 "$STATE/dpkg.log" | sed 's/^/      /'
    return 1
}

installed_files_present() {
    local f missing=()
    for f in /usr/sbin/joold /usr/sbin/joold-supervisor /usr/sbin/joold-worker /usr/bin/jooldctl \
             /lib/systemd/system/joold-supervisor.service \
             /usr/share/man/man8/{joold,joold-supervisor,joold-worker,jooldctl}.8.gz \
             /usr/share/bash-completion/completions/{joold,joold-supervisor,jooldctl} \
             /usr/share/zsh/vendor-completions/_{joold,joold-supervisor,jooldctl} \
             /usr/share/fish/vendor_completions.d/{joold,joold-supervisor,jooldctl}.fish \
             /usr/share/doc/joold-supervisor/{README.md,copyright,changelog.gz} \
             /usr/share/doc/joold-supervisor/docs/control-protocol.md \
             /usr/share/doc/joold-supervisor/examples/keepalived/{keepalived.conf,joold-advertise}; do
        [ -e "$f" ] || missing+=("$f")
    done
    [ ${#missing[@]} -eq 0 ] || { log "missing: ${missing[*]}"; return 1; }
}

dpkg_files_exist() {
    local f
    while read -r f; do
        [ -e "$f" ] || { log "dpkg lists $f, which is not there"; return 1; }
    done < <(dpkg -L joold-supervisor | grep '^/')   # not "package diverts others to: ..."
}

man_page_diverted() {
    dpkg-divert --list | grep -q '^diversion of /usr/share/man/man8/joold.8.gz to /usr/share/man/man8/joold.stock.8.gz by joold-supervisor$' &&
        zcat /usr/share/man/man8/joold.8.gz | grep -q 'drop-in replacement' &&
        zcat /usr/share/man/man8/joold.stock.8.gz | grep -qi jool &&
        ! zcat /usr/share/man/man8/joold.stock.8.gz | grep -q 'drop-in replacement'
}

man_page_restored() {
    ! dpkg-divert --list | grep -q joold-supervisor &&
        test ! -e /usr/share/man/man8/joold.stock.8.gz &&
        test "$(dpkg -S /usr/share/man/man8/joold.8.gz | cut -d: -f1)" = jool-tools
}

only_daemon_reload() {
    grep -q . "$FAKE_SYSTEMD_LOG" && ! grep -qvx -- '--system daemon-reload' "$FAKE_SYSTEMD_LOG" ||
        { log "systemctl calls: $(tr '\n' ';' <"$FAKE_SYSTEMD_LOG")"; return 1; }
}

service_pid() { cat /run/fake-systemd-joold-supervisor.pid 2>/dev/null; }

restarted_since() {  # restarted_since PID: try-restart asked, and the service runs under another pid
    local now; now=$(service_pid)
    grep -qx 'try-restart joold-supervisor.service' "$FAKE_SYSTEMD_LOG" &&
        [ -n "$now" ] && [ "$now" != "$1" ] && kill -0 "$now"
}

service_stopped() {
    ! pgrep -f '^/usr/sbin/joold-supervisor' >/dev/null && ! pgrep -f '/joold-worker --control-fd' >/dev/null
}

# The package as the next version (VERSION+e2e1): what an upgrade installs.
next_version() {
    local dir=$STATE/repack version
    rm -rf "$dir"
    dpkg-deb -R "$1" "$dir" || return 1
    version=$(sed -n 's/^Version: //p' "$dir/DEBIAN/control")+e2e1
    sed -i "s/^Version: .*/Version: $version/" "$dir/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip -z1 -b "$dir" "$STATE/joold-supervisor_${version}_amd64.deb" >/dev/null || return 1
    echo "$STATE/joold-supervisor_${version}_amd64.deb"
}
