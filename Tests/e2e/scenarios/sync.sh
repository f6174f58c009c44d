# sync: sessions J creates (ICMP, UDP, TCP) appear identical in K, and every datagram K
# receives holds whole session records of the guest's Jool version (140 bytes up to
# 4.1.11, 40 from 4.1.13).
scenario_sync() {
    topo_up
    sync_link_capture_start K || setup_failed "tcpdump on K's sync link did not start"
    daemon_start J "$DAEMON_J" "$SYNC_FAMILY" || setup_failed "the daemon on J did not start"
    daemon_start K "$DAEMON_K" "$SYNC_FAMILY" || setup_failed "the daemon on K did not start"
    start_udp_echo_server
    start_tcp_echo_server

    in_ns n6 ping -6 -n -c 3 -i 0.2 -W 2 "$SERVER_VIA_NAT64" >/dev/null || setup_failed "ping from n6 through J"
    check "K mirrors J's ICMP session" wait_for "K to mirror J's ICMP session" 10 k_mirrors_j icmp

    udp_exchange || setup_failed "UDP exchange from n6 through J"
    check "K mirrors J's UDP session" wait_for "K to mirror J's UDP session" 10 k_mirrors_j udp

    tcp_client_start || setup_failed "TCP connection from n6 through J"
    check "K mirrors J's TCP session" wait_for "K to mirror J's TCP session" 10 k_mirrors_j tcp
    local size; size=$(jool_session_record_bytes "$JOOL_VERSION")
    log "sync datagrams K received (UDP payload bytes): $(sync_link_sizes K | tr '\n' ' ')"
    check "every sync datagram holds whole $size-byte records (Jool $JOOL_VERSION)" sync_link_whole_records K
    show_tables icmp udp tcp
}
