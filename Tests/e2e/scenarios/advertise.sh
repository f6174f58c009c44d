# advertise: J comes back empty (instance removed and added again, its worker restarted),
# traffic stopped; K advertises its table and J then holds every session K has, those
# created before J's restart included. First the stock tools' advertise: before Jool 4.1.11
# the kernel's advertise is a no-op and J stays empty; from 4.1.11 on it restores J. Then
# `jooldctl advertise`, whose method follows the kernel: the worker's own (before 4.1.11)
# or the kernel's.
scenario_advertise() {
    topo_up
    # ICMP sessions last 60 s by default: less than two worker restarts under emulation.
    long_icmp_timeout J
    long_icmp_timeout K
    daemon_start J supervisor "$SYNC_FAMILY" || setup_failed "the worker on J did not start"
    daemon_start K supervisor "$SYNC_FAMILY" || setup_failed "the worker on K did not start"
    start_udp_echo_server
    start_tcp_echo_server
    in_ns n6 ping -6 -n -c 3 -i 0.2 "$SERVER_VIA_NAT64" >/dev/null || setup_failed "ping from n6 through J"
    udp_exchange || setup_failed "UDP exchange through J"
    tcp_client_start || setup_failed "TCP connection through J"
    for p in icmp udp tcp; do
        wait_for "K to mirror J's $p session" 30 k_mirrors_j "$p" || setup_failed "K did not learn J's $p session"
    done
    traffic_stop

    restart_j_empty
    local stock_command p; stock_command=$(jool_advertise_command "$JOOL_VERSION")
    stock_advertise K || setup_failed "$stock_command failed in K"
    if jool_kernel_advertises "$JOOL_VERSION"; then
        for p in icmp udp tcp; do
            check "stock advertise ($stock_command) restores every $p session on Jool $JOOL_VERSION" \
                wait_for "J to learn K's $p sessions" 30 j_mirrors_k "$p"
        done
    else
        sleep 5
        check "stock advertise ($stock_command) leaves J empty on Jool $JOOL_VERSION" j_is_empty
    fi

    restart_j_empty
    local answer method=worker
    jool_kernel_advertises "$JOOL_VERSION" && method=kernel
    answer=$(jooldctl advertise default --netns K) || setup_failed "jooldctl advertise failed: $answer"
    log "$answer"
    check "jooldctl advertise uses the $method's method on Jool $JOOL_VERSION" eval '[[ $answer == *"method $method"* ]]'
    for p in icmp udp tcp; do
        check "J holds every $p session K has" wait_for "J to learn K's $p sessions" 30 j_mirrors_k "$p"
    done
    show_tables icmp udp tcp
}

restart_j_empty() {
    jooldctl remove default --netns J >/dev/null
    in_ns J jool instance remove
    jool_instance_up J
    long_icmp_timeout J
    jooldctl add --instance default --netns J --net "$STATE/J/netsocket.json" >/dev/null
    wait_for "J's worker to run" 180 instance_running J || setup_failed "J's worker did not come back"
    j_is_empty || setup_failed "J is not empty after its restart"
}

long_icmp_timeout() { in_ns "$1" jool global update icmp-timeout 20:00; }

j_is_empty() { [ -z "$(sessions J icmp)$(sessions J udp)$(sessions J tcp)" ]; }

# True when K has sessions for protocol $1 and J has every one of them (state included).
j_mirrors_k() { mirrors K J "$1"; }
