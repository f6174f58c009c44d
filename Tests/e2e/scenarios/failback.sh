# failback: real keepalived (lib/keepalived.sh) moves the NAT64 from J to K when J fails,
# and back to J when J returns empty; K's notify_backup hook advertises its session table
# before J takes the traffic again (preempt_delay). Connections opened through J before the
# failure, some of them idle while J was away, work through K and again through J. Probes
# every 0.1 s through the NAT64 measure each interruption.
#
# J's failure, as a crash: its cables are pulled (the bridge-side veth ends go down), then
# keepalived is SIGKILLed, its daemon stopped, its Jool instance removed and its virtual
# addresses deleted (what a reboot loses). Its return, as a reboot: cables back, addresses,
# instance, daemon, then keepalived, in that order (the tutorial: J's NAT64 must be ready
# before it can receive K's advertisement).
#
# Why idle connections: Jool sends a session to the daemons on every translated packet, so
# the sessions of flows that stay active while J is back reach J by the ordinary sync; only
# the advertisement brings J the sessions that see no packet until after the failback.
# With stock joold and `jool joold advertise` (a no-op on Jool 4.1.9) these break.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/keepalived.sh"

readonly UDP_PROBE=$(dirname "${BASH_SOURCE[0]}")/../lib/udp-probe.pl

scenario_failback() {
    topo_up
    vip_del J    # keepalived owns the virtual addresses from here on
    daemon_start J "$DAEMON_J" "$SYNC_FAMILY" || setup_failed "the daemon on J did not start"
    daemon_start K "$DAEMON_K" "$SYNC_FAMILY" || setup_failed "the daemon on K did not start"
    keepalived_install_hooks "$DAEMON_K"   # one /etc in the guest: K's kind decides the hook
    keepalived_conf J 200 K
    keepalived_conf K 100 J
    keepalived_start J
    wait_for "J's keepalived to take the virtual addresses" 60 holds_vips J ||
        setup_failed "J's keepalived did not become master ($(tail -n 5 "$STATE/J/keepalived.log"))"
    keepalived_start K
    # K's first notify_backup advertises its (empty) table: let it finish before measuring.
    wait_for "K's keepalived to settle as backup" 60 advertise_ended_after K 0 ||
        setup_failed "K's keepalived did not run its notify_backup hook ($(tail -n 5 "$STATE/K/keepalived.log"))"

    start_tcp_echo_server
    start_udp_pipe_server 5001   # the probe
    start_udp_pipe_server 5002   # the idle UDP flow
    probe_start || setup_failed "UDP probe from n6 through J"
    ping_start_timestamped || setup_failed "ping from n6 through J"
    tcp_client_start || setup_failed "TCP connection from n6 through J"
    idle_flow_start tcp "TCP6:[$SERVER_VIA_NAT64]:1234"
    idle_flow_start udp "UDP6:[$SERVER_VIA_NAT64]:5002,sourceport=40002"
    idle_exchange tcp 1 20 || setup_failed "idle TCP connection through J"
    idle_exchange udp 1 20 || setup_failed "idle UDP flow through J"
    for p in icmp udp tcp; do
        check "K learned J's $p sessions" wait_for "K to mirror J's $p sessions" 30 k_mirrors_j "$p"
    done
    local icmp_before; icmp_before=$(sessions J icmp)

    # ---- J fails
    local t_fail=$EPOCHREALTIME
    j_crash
    log "J crashed (cables pulled, keepalived killed, daemon and instance gone)"
    keepalived_gone J || setup_failed "a keepalived still runs in J after the crash"
    check "K's keepalived took the virtual addresses" wait_for "K to hold the virtual addresses" 30 holds_vips K
    check "the UDP probe resumes through K" wait_for "probe echoes through K" 30 probe_echoes_after "$t_fail" 10
    check "the ping resumes through K" wait_for "ping replies through K" 30 ping_replies_after_time "$t_fail" 5
    check "the TCP connection keeps exchanging data through K" \
        wait_for "TCP exchanges through K" 30 tcp_alive_after "$t_fail" 3
    check "K serves the ping on J's mapping, no new session" test "$(sessions K icmp)" = "$icmp_before"
    check "the idle TCP connection opened through J works through K" idle_exchange tcp 2 20
    check "the idle UDP flow opened through J works through K" idle_exchange udp 2 20
    # From here the idle flows stay silent until after the failback.

    # ---- J returns empty
    local t_return=$EPOCHREALTIME
    j_reboot || setup_failed "J did not come back"
    # The ordinary sync brings back the sessions of the active flows, not the idle ones.
    check "J, back, lacks the idle flows' sessions before its keepalived starts" \
        eval '! j_mirrors_k udp && ! j_mirrors_k tcp'
    keepalived_start J
    local t_keepalived=$EPOCHREALTIME
    log "J is back (instance, daemon) and its keepalived started $(elapsed "$t_return" "$t_keepalived") s after"
    check "K's notify_backup hook ran its advertise command" \
        wait_for "K's advertisement" 90 advertise_ended_after K "$t_keepalived"
    sed -n 's/^advertised/      K: advertised/p' "$STATE/K/advertise.log" | tail -n 1
    check "J's keepalived took the virtual addresses back" \
        wait_for "J to hold the virtual addresses" 90 holds_vips J
    local p missing=()
    for p in icmp udp tcp; do j_mirrors_k "$p" || missing+=("$p"); done   # right at the takeover
    check "J held every session K had when it took the traffic (missing: ${missing[*]:-none})" \
        test ${#missing[@]} -eq 0
    check "K's keepalived released them" wait_for "K to release the virtual addresses" 10 holds_no_vip K
    local t_j_master t_ad_end
    t_j_master=$(vrrp_event_time J VI_6 MASTER "$t_keepalived")
    t_ad_end=$(advertise_end_time K "$t_keepalived")
    check "J took the traffic only after K's advertisement ended" before "$t_ad_end" "$t_j_master"
    check "n6 and n4 now reach the virtual addresses at J's interfaces" \
        wait_for "the neighbours to learn J's addresses" 20 neighbours_point_at J
    [ -n "$t_j_master" ] || t_j_master=$EPOCHREALTIME
    check "the UDP probe resumes through J" wait_for "probe echoes through J" 30 probe_echoes_after "$t_j_master" 10
    check "the ping continues through J" wait_for "ping replies through J" 30 ping_replies_after_time "$t_j_master" 5
    check "the TCP connection opened before the failure exchanges data through J" \
        wait_for "TCP exchanges through J" 30 tcp_alive_after "$t_j_master" 3
    check "the idle TCP connection opened before the failure works after the failback" idle_exchange tcp 3 20
    check "the idle UDP flow opened before the failure works after the failback" idle_exchange udp 3 20
    check "J serves the ping on its original mapping" test "$(sessions J icmp)" = "$icmp_before"
    local t_end=$EPOCHREALTIME

    show_vrrp_events
    log "timeline: K master $(elapsed "$t_fail" "$(vrrp_event_time K VI_6 MASTER "$t_fail")") s after J's crash;" \
        "K's advertisement ended $(elapsed "$t_keepalived" "$t_ad_end") s and J master" \
        "$(elapsed "$t_keepalived" "$t_j_master") s after J's keepalived started (preempt_delay $VRRP_PREEMPT_DELAY)"
    log "interruption, failover (longest gap, emulated guest): $(gaps "$t_fail" "$t_return")"
    log "interruption, failback (longest gap, emulated guest): $(gaps "$t_return" "$t_end")"
    show_tables icmp udp tcp
    traffic_stop
    keepalived_stop_all
}

# ---- J's crash and reboot -------------------------------------------------------------

j_crash() {
    local i
    for i in eth0 eth1 eth2; do ip link set "J-$i" down; done
    keepalived_kill J
    daemon_stop J
    in_ns J jool instance remove
    in_ns J ip addr del 2001:db8::1/96 dev eth0 2>/dev/null
    in_ns J ip addr del fe80::800:2000:104:2/64 dev eth0 2>/dev/null
    in_ns J ip addr del 192.0.2.1/24 dev eth1 2>/dev/null
    in_ns J ip addr del 203.0.113.1/24 dev eth2 2>/dev/null
    return 0
}

j_reboot() {
    local i
    for i in eth0 eth1 eth2; do ip link set "J-$i" up; done
    in_ns J ip addr replace 2001:db8::4/96 dev eth0
    in_ns J ip addr replace 192.0.2.4/24 dev eth1
    in_ns J ip addr replace 2001:db8:ff08::4/96 dev eth2
    in_ns J ip addr replace 203.0.113.4/24 dev eth2
    jool_instance_up J
    daemon_start J "$DAEMON_J" "$SYNC_FAMILY"
}

# ---- flows ------------------------------------------------------------------------------

start_udp_pipe_server() {  # one UDP peer per server, echoed; another source port is refused
    in_ns n4 socat "UDP4-LISTEN:$1,reuseaddr" PIPE >/dev/null 2>&1 &
    wait_for "the UDP echo server on port $1" 5 bash -c "ip netns exec n4 ss -Hlun 'sport = :$1' | grep -q ."
}

probe_start() {
    in_ns n6 perl "$UDP_PROBE" "$SERVER_VIA_NAT64" 5001 40001 0.1 >"$STATE/probe.log" 2>&1 &
    echo $! >"$STATE/probe.pid"
    wait_for "the first probe echo" 20 grep -q '^1 ' "$STATE/probe.log"
}

probe_echoes_after() {  # at least $2 echoes of probes sent after time $1
    [ "$(awk -v t="$1" '$2 > t' "$STATE/probe.log" | wc -l)" -ge "$2" ]
}

ping_start_timestamped() {
    in_ns n6 ping -6 -n -D -i 0.1 "$SERVER_VIA_NAT64" >"$STATE/ping.log" 2>&1 &
    echo $! >"$STATE/ping.pid"
    wait_for "the first ping reply" 20 grep -q 'icmp_seq=' "$STATE/ping.log"
}

ping_reply_times() { sed -n 's/^\[\([0-9.]*\)\].*icmp_seq=.*/\1/p' "$STATE/ping.log"; }

ping_replies_after_time() { [ "$(ping_reply_times | awk -v t="$1" '$1 > t' | wc -l)" -ge "$2" ]; }

tcp_alive_after() {
    ! grep -q '^fail' "$STATE/tcp.log" && [ "$(tcp_exchanges_after "$1")" -ge "$2" ]
}

# A connection that stays silent between exchanges: socat in n6 reading lines from a FIFO.
idle_flow_start() {
    local name=$1 address=$2
    mkfifo "$STATE/idle-$name.in"
    in_ns n6 socat - "$address" <>"$STATE/idle-$name.in" >"$STATE/idle-$name.out" 2>"$STATE/idle-$name.err" &
}

idle_exchange() {  # idle_exchange NAME N SECONDS: one line there and back
    echo "$1 $2" >"$STATE/idle-$1.in"
    wait_for "the idle $1 flow's echo $2" "$3" grep -qx "$1 $2" "$STATE/idle-$1.out"
}

# ---- observation ------------------------------------------------------------------------

advertise_end_time() {  # the first end of NODE's advertise hook after time $2
    awk -v t="$2" '$1 == "end" && $2 > t { print $2; exit }' "$STATE/$1/advertise.log" 2>/dev/null
}

advertise_ended_after() { [ -n "$(advertise_end_time "$1" "$2")" ]; }

before() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

elapsed() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }' || echo '?'; }

# True when n6's neighbour entry for 2001:db8::1 and n4's for 192.0.2.1 carry node $1's MACs.
neighbours_point_at() {
    local mac6 mac4
    mac6=$(in_ns "$1" cat /sys/class/net/eth0/address)
    mac4=$(in_ns "$1" cat /sys/class/net/eth1/address)
    in_ns n6 ip -6 neigh show 2001:db8::1 | grep -q "lladdr $mac6" &&
        in_ns n4 ip -4 neigh show 192.0.2.1 | grep -q "lladdr $mac4"
}

# The longest gap between consecutive times (one per line on stdin) that ends in (FROM, TO].
longest_gap() {
    sort -n | awk -v a="$1" -v b="$2" '
        prev != "" && $1 > a && $1 <= b && $1 - prev > max { max = $1 - prev }
        { prev = $1 } END { printf "%.2f", max }'
}

gaps() {
    local from=$1 to=$2 udp lost
    udp=$(awk '{ print $2 }' "$STATE/probe.log" | longest_gap "$from" "$to")
    lost=$(sort -n "$STATE/probe.log" | awk -v a="$from" -v b="$to" '
        prev != "" && $2 > a && $2 <= b { lost += $1 - prev - 1 } { prev = $1 } END { print lost + 0 }')
    printf 'UDP probe %s s (%s of its 0.1 s probes lost), ping %s s, TCP %s s' "$udp" "$lost" \
        "$(ping_reply_times | longest_gap "$from" "$to")" \
        "$(awk '$1 == "ok" { print $3 }' "$STATE/tcp.log" | longest_gap "$from" "$to")"
}
