# failover: J dies; the ping (same ICMP id) and an open TCP connection continue through K,
# on the mapping J had made (the sessions K learned).
scenario_failover() {
    topo_up
    daemon_start J "$DAEMON_J" "$SYNC_FAMILY" || setup_failed "the daemon on J did not start"
    daemon_start K "$DAEMON_K" "$SYNC_FAMILY" || setup_failed "the daemon on K did not start"
    start_tcp_echo_server
    ping_start || setup_failed "ping from n6 through J"
    tcp_client_start || setup_failed "TCP connection from n6 through J"
    check "K learned J's ICMP session" wait_for "K to mirror J's ICMP session" 10 k_mirrors_j icmp
    check "K learned J's TCP session" wait_for "K to mirror J's TCP session" 10 k_mirrors_j tcp
    local icmp_before; icmp_before=$(sessions J icmp)
    log "J's ICMP session before the failover: $icmp_before"

    local seq_before t_failover
    t_failover=$(date +%s.%N)
    fail_over_to_k
    seq_before=$(( $(ping_last_seq) + 2 ))
    log "failed over to K at ping seq $seq_before"

    check "the ping continues through K" wait_for "ping replies through K" 20 ping_replies_after "$seq_before" 3
    check "K serves the ping on J's mapping, no new session" test "$(sessions K icmp)" = "$icmp_before"
    check "the TCP connection keeps exchanging data through K" \
        wait_for "TCP exchanges through K" 30 tcp_alive_after "$t_failover" 3
    show_tables icmp tcp
}

ping_replies_after() {  # at least $2 replies with a sequence number above $1
    [ "$(sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' "$STATE/ping.log" | awk -v s="$1" '$1 > s' | wc -l)" -ge "$2" ]
}

tcp_alive_after() {
    ! grep -q '^fail' "$STATE/tcp.log" && [ "$(tcp_exchanges_after "$1")" -ge "$2" ]
}
