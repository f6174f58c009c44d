# supervisor: one joold-supervisor runs the workers of J and K. Its counters move with
# the traffic; a worker killed during traffic is restarted and sync resumes.
scenario_supervisor() {
    topo_up
    daemon_start J supervisor "$SYNC_FAMILY" || setup_failed "the worker on J did not start"
    daemon_start K supervisor "$SYNC_FAMILY" || setup_failed "the worker on K did not start"
    start_udp_echo_server
    ping_start || setup_failed "ping from n6 through J"
    check "K mirrors J's ICMP session" wait_for "K to mirror J's ICMP session" 20 k_mirrors_j icmp
    check "jooldctl stats shows J sending" wait_for "J's NET_SENT_PKTS" 10 stat_above J NET_SENT_PKTS 0
    check "jooldctl stats shows K handing sessions to its kernel" wait_for "K's KERNEL_SENT_PKTS" 10 stat_above K KERNEL_SENT_PKTS 0
    log "$(jooldctl stats default --netns J | head -6 | tr '\n' ' ')"

    local pid; pid=$(instance_field J default pid)
    kill -9 "$pid"
    log "killed J's worker $pid during traffic"
    check "J's worker is restarted" wait_for "a new worker on J" 60 worker_restarted J "$pid"
    udp_exchange || setup_failed "UDP exchange from n6 through J after the restart"
    check "sync resumes: K mirrors a session made after the restart" wait_for "K to mirror J's UDP session" 20 k_mirrors_j udp
    check "the ping's session is still mirrored" k_mirrors_j icmp
    jooldctl list | sed 's/^/      /'
}

# waiting: prerequisites missing are reported as waiting states, not crash loops.
scenario_waiting() {
    topo_up
    supervisor_start || setup_failed "joold-supervisor did not start"
    write_netsocket J "$SYNC_FAMILY"
    jooldctl add --instance potato --netns J --net "$STATE/J/netsocket.json" >/dev/null
    check "a missing instance is a waiting state" \
        wait_for "potato to wait" 30 waits_for J potato "no NAT64 Jool instance named 'potato'"
    check "and not a crash loop" test "$(instance_field J potato restarts)" = 0

    # An instance with ss-enabled false (a new namespace W: one netfilter instance per namespace).
    add_node W
    plug W eth2 brs
    in_ns W ip addr add 2001:db8:ff08::6/96 dev eth2
    in_ns W ip addr add 203.0.113.6/24 dev eth2
    in_ns W jool instance add --netfilter --pool6 64:ff9b::/96 >/dev/null
    write_netsocket W "$SYNC_FAMILY"
    jooldctl add --instance default --netns W --net "$STATE/W/netsocket.json" >/dev/null
    check "ss-enabled false is a waiting state" wait_for "W to wait" 30 waits_for W default "ss-enabled is false"
    jooldctl remove default --netns W >/dev/null
    jooldctl add --instance default --netns W --net "$STATE/W/netsocket.json" --enable-ss >/dev/null
    check "--enable-ss makes it run" wait_for "W to run" 30 instance_running W
    check "and ss-enabled is now true in the kernel" bash -c "ip netns exec W jool global display | grep -q 'ss-enabled: true'"
    jooldctl list | sed 's/^/      /'
}

stat_above() {  # stat_above NODE NAME VALUE
    local value
    value=$(jooldctl stats default --netns "$1" | sed -n "s/^$2,//p")
    [ -n "$value" ] && [ "$value" -gt "$3" ]
}

worker_restarted() {  # running again, with another pid and a restart counted
    [ "$(instance_state "$1")" = running ] && [ "$(instance_field "$1" default pid)" != "$2" ] &&
        [ "$(instance_field "$1" default restarts)" -ge 1 ]
}

waits_for() {  # waits_for NODE INSTANCE TEXT: waiting, and waiting_for contains TEXT
    # Slurped (-s), so that no output at all is false too.
    jooldctl status --json "$2" --netns "$1" |
        jq -e -s --arg text "$3" '.[0].instances[0] | .state == "waiting" and (.waiting_for // "" | contains($text))' >/dev/null
}
