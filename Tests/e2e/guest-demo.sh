#!/usr/bin/env bash
# The demo, inside the guest: the tutorial's topology, a daemon on J and on K, traffic
# from n6 through J, and J's and K's session tables side by side.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/topology.sh"
: "${DAEMON_J:=supervisor}" "${DAEMON_K:=supervisor}" "${SYNC_FAMILY:=6}"
setup_failed() {
    echo "demo failed: $*"
    for n in J K; do [ -s "$STATE/$n/daemon.log" ] && { echo "$n daemon output:"; tail -n 20 "$STATE/$n/daemon.log"; }; done
    exit 1
}

modprobe jool
echo "Real Jool $(cat /sys/module/jool/version) kernel module on Linux $(uname -r), in a QEMU guest"
topo_up
echo "Sync daemons: $(daemon_describe)"
daemon_start J "$DAEMON_J" "$SYNC_FAMILY" || setup_failed "the daemon on J did not start"
daemon_start K "$DAEMON_K" "$SYNC_FAMILY" || setup_failed "the daemon on K did not start"
start_udp_echo_server
start_tcp_echo_server

echo "n6 pings 64:ff9b::192.0.2.8, sends a UDP datagram and opens a TCP connection, all through J..."
in_ns n6 ping -6 -n -c 3 -i 0.2 "$SERVER_VIA_NAT64" | sed 's/^/  /'
udp_exchange && echo "  UDP echo received"
tcp_client_start && echo "  TCP connection open and echoing"
for p in icmp udp tcp; do wait_for "K to mirror J's $p session" 20 k_mirrors_j "$p"; done

side_by_side() {
    local p=$1
    echo
    echo "=== $p sessions ==="
    pr -m -t -w 140 \
        <(echo "J (active translator)"; in_ns J jool session display "--$p" --numeric | expand) \
        <(echo "K (backup, learned through sync)"; in_ns K jool session display "--$p" --numeric | expand) | expand
}
for p in icmp udp tcp; do side_by_side "$p"; done
echo
for p in icmp udp tcp; do
    if k_mirrors_j "$p"; then echo "$p: K holds every session J has"; else echo "$p: K is missing sessions"; fi
done
if [ -S "$SUPERVISOR_SOCKET" ]; then
    echo
    echo "=== jooldctl list ==="
    jooldctl list
    echo
    echo "=== jooldctl stats default --netns J (J sends) / --netns K (K hands them to its kernel) ==="
    pr -m -t -w 100 <(jooldctl stats default --netns J | head -n 6) <(jooldctl stats default --netns K | head -n 6) | expand
fi
teardown
