# Scenario library: the topology of Jool's session-synchronization tutorial, in network
# namespaces inside the guest. Sourced by the scenarios; runs as root in the guest.
#
#   n6 (2001:db8::8) --br6-- J eth0 (2001:db8::4, VIP ::1) / K eth0 (2001:db8::5)
#   n4 (192.0.2.8)   --br4-- J eth1 (192.0.2.4, VIP .1)    / K eth1 (192.0.2.5)
#   sync link        --brs-- J eth2 (2001:db8:ff08::4, 203.0.113.4) / K eth2 (::5, .5)
#
# J and K each hold a NAT64 instance "default" (pool6 64:ff9b::/96, pool4 192.0.2.1,
# ss-enabled true). The daemon on each of J and K is pluggable (see daemon_start). What
# differs between Jool versions comes from lib/jool-version.sh, asked with the version
# of the guest's kernel module ($JOOL_VERSION, set by topo_up).
source "$(dirname "${BASH_SOURCE[0]}")/jool-version.sh"

readonly SERVER4=192.0.2.8
readonly SERVER_VIA_NAT64=64:ff9b::c000:208
readonly MCAST6=ff08::db8:64:64 MCAST4=233.252.0.64 MCAST_PORT=6464
readonly STATE=/tmp/e2e

log() { printf '  %s\n' "$*"; }
die() { printf '  error: %s\n' "$*"; exit 2; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

node_index() { case $1 in J) echo 4 ;; K) echo 5 ;; W) echo 6 ;; esac; }

add_bridge() {
    ip link add "$1" type bridge mcast_snooping 0
    ip link set "$1" up
}

# Creates namespace $1 with IPv6 duplicate address detection off (no 2 s waits).
add_node() {
    ip netns add "$1"
    in_ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    in_ns "$1" ip link set lo up
}

# Connects interface $2 of node $1 to bridge $3.
plug() {
    local node=$1 iface=$2 bridge=$3
    ip link add "$node-$iface" type veth peer name "$iface" netns "$node"
    ip link set "$node-$iface" master "$bridge" up
    in_ns "$node" ip link set "$iface" up
}

topo_up() {
    mkdir -p "$STATE"
    modprobe jool || die "cannot load the jool module"
    JOOL_VERSION=$(guest_jool_version)
    log "Jool $JOOL_VERSION kernel module, Linux $(uname -r)"
    add_bridge br6; add_bridge br4; add_bridge brs
    local n
    for n in n6 n4 J K; do add_node "$n"; done

    plug n6 eth0 br6
    in_ns n6 ip addr add 2001:db8::8/96 dev eth0
    in_ns n6 ip route add 64:ff9b::/96 via 2001:db8::1
    plug n4 eth0 br4
    in_ns n4 ip addr add 192.0.2.8/24 dev eth0

    for n in J K; do
        local i; i=$(node_index "$n")
        plug "$n" eth0 br6; plug "$n" eth1 br4; plug "$n" eth2 brs
        in_ns "$n" ip addr add "2001:db8::$i/96" dev eth0
        in_ns "$n" ip addr add "192.0.2.$i/24" dev eth1
        in_ns "$n" ip addr add "2001:db8:ff08::$i/96" dev eth2
        in_ns "$n" ip addr add "203.0.113.$i/24" dev eth2
        in_ns "$n" sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
        jool_instance_up "$n"
    done
    # J is the active translator: it holds the virtual addresses.
    vip_add J
}

# The version of the loaded module, as 4.1.13 (the kernel reads 4.1.13.0).
guest_jool_version() {
    local v; v=$(cat /sys/module/jool/version) || return 1
    echo "${v%.0}"
}

jool_instance_up() {
    local n=$1
    in_ns "$n" jool instance add --netfilter --pool6 64:ff9b::/96 >/dev/null
    in_ns "$n" jool pool4 add --tcp 192.0.2.1 61001-65535
    in_ns "$n" jool pool4 add --udp 192.0.2.1 61001-65535
    in_ns "$n" jool pool4 add --icmp 192.0.2.1 0-65535
    in_ns "$n" jool global update ss-enabled true
}

vip_add() {
    in_ns "$1" ip addr add 2001:db8::1/96 dev eth0
    in_ns "$1" ip addr add 192.0.2.1/24 dev eth1
}

vip_del() {
    in_ns "$1" ip addr del 2001:db8::1/96 dev eth0
    in_ns "$1" ip addr del 192.0.2.1/24 dev eth1
}

# J dies: its instance goes away with its daemon, K takes the virtual addresses.
fail_over_to_k() {
    daemon_stop J
    in_ns J jool instance remove
    vip_del J
    vip_add K
    local n
    for n in n6 n4 J K; do in_ns "$n" ip neigh flush all; done
}

# ---- sync daemons -------------------------------------------------------------------

# The netsocket file of node $1 for multicast family $2 (6 or 4), in the format of the
# examples of Jool's joold(8).
write_netsocket() {
    local node=$1 family=$2 i file="$STATE/$1/netsocket.json"
    i=$(node_index "$node")
    mkdir -p "$STATE/$node"
    if [ "$family" = 6 ]; then
        printf '{\n  "multicast address": "%s",\n  "multicast port": "%s",\n  "in interface": "eth2",\n  "out interface": "eth2",\n  "reuseaddr": 1,\n  "ttl": 1\n}\n' \
            "$MCAST6" "$MCAST_PORT" >"$file"
    else
        printf '{\n  "multicast address": "%s",\n  "multicast port": "%s",\n  "in interface": "203.0.113.%s",\n  "out interface": "203.0.113.%s",\n  "reuseaddr": 1,\n  "ttl": 1\n}\n' \
            "$MCAST4" "$MCAST_PORT" "$i" "$i" >"$file"
    fi
    printf '{ "instance": "default" }\n' >"$STATE/$node/modsocket.json"
}

# This project's programs, as built on the host (shared at /project); the suite says
# which build with JOOLD_BIN_DIR.
our_binary() {
    local b="${JOOLD_BIN_DIR:-/project/.build/release}/$1"
    [ -x "$b" ] || die "this project's $1 is not built ($b; Tests/e2e/suite.sh builds it)"
    echo "$b"
}

# One joold-supervisor in the guest's root namespace runs the workers of every node
# whose daemon kind is "supervisor"; jooldctl talks to it.
readonly SUPERVISOR_SOCKET=/run/joold/supervisor.sock
jooldctl() { "$(our_binary jooldctl)" --socket "$SUPERVISOR_SOCKET" "$@"; }

supervisor_start() {
    [ -S "$SUPERVISOR_SOCKET" ] && return 0
    "$(our_binary joold-supervisor)" --socket "$SUPERVISOR_SOCKET" --state "$STATE/supervisor-state.json" \
        >"$STATE/supervisor.log" 2>&1 &
    echo $! >"$STATE/supervisor.pid"
    wait_for "joold-supervisor to listen on $SUPERVISOR_SOCKET" 180 supervisor_answers
}

supervisor_answers() { jooldctl list >/dev/null 2>&1; }

# The state of instance $2 (default: default) in namespace $1, as jooldctl status reports it.
instance_state() { instance_field "$1" "${2:-default}" state; }

instance_running() { [ "$(instance_state "$1" "${2:-default}")" = running ]; }

# instance_field NS INSTANCE FIELD: a field of the instance's status object
# (docs/control-protocol.md; `status NAME --json` prints {"instances": [it]}); nothing
# when it is null or the instance is unknown.
instance_field() {
    jooldctl status --json "$2" --netns "$1" 2>/dev/null | jq -r --arg field "$3" '.instances[0][$field] | values'
}

# daemon_start NODE KIND FAMILY: KIND is stock (the guest's Debian joold: deprecated from
# 4.1.13 on, the same code as proxy), proxy (`jool session proxy`, Jool 4.1.13 and later,
# the same settings on its command line), ours (this project's joold, stock's command
# line), supervisor (a worker of this project's joold-supervisor, added with jooldctl) or
# none.
daemon_start() {
    local node=$1 kind=$2 family=$3
    [ "$kind" = none ] && return 0
    write_netsocket "$node" "$family"
    if [ "$kind" = supervisor ]; then
        supervisor_start || return 1
        jooldctl add --instance default --netns "$node" --net "$STATE/$node/netsocket.json" >/dev/null || return 1
        wait_for "$node's worker to run" 180 instance_running "$node"
        return
    fi
    local command=()
    case $kind in
        stock) command=("$(command -v joold)" netsocket.json modsocket.json) ;;
        ours) command=("$(our_binary joold)" netsocket.json modsocket.json) ;;
        proxy) jool_has_session_proxy "$JOOL_VERSION" || die "Jool $JOOL_VERSION has no 'jool session proxy'"
               command=(jool -i default session proxy $(proxy_arguments "$node" "$family")) ;;
        *) die "unknown daemon kind '$kind'" ;;
    esac
    (cd "$STATE/$node" && exec ip netns exec "$node" "${command[@]}" >"$STATE/$node/daemon.log" 2>&1) &
    echo $! >"$STATE/$node/daemon.pid"
    # Generous: a Swift program starts in seconds under emulation on a loaded host.
    wait_for "$node's daemon to listen on UDP port $MCAST_PORT" 180 daemon_listening "$node"
}

# write_netsocket's settings as `jool session proxy` options.
proxy_arguments() {
    local i; i=$(node_index "$1")
    if [ "$2" = 6 ]; then
        echo "--net.dev.in=eth2 --net.dev.out=eth2 --net.mcast.port=$MCAST_PORT --net.ttl=1 $MCAST6"
    else
        echo "--net.dev.in=203.0.113.$i --net.dev.out=203.0.113.$i --net.mcast.port=$MCAST_PORT --net.ttl=1 $MCAST4"
    fi
}

# The stock tools' advertise in node $1 (`jool joold advertise` before 4.1.13).
stock_advertise() { in_ns "$1" $(jool_advertise_command "$JOOL_VERSION"); }

daemon_listening() { in_ns "$1" ss -Hlun "sport = :$MCAST_PORT" | grep -q .; }

daemon_stop() {
    if [ -S "$SUPERVISOR_SOCKET" ] && [ -n "$(instance_state "$1")" ]; then
        jooldctl remove default --netns "$1" >/dev/null
        return
    fi
    local pidfile="$STATE/$1/daemon.pid"
    [ -f "$pidfile" ] || return 0
    kill "$(cat "$pidfile")" 2>/dev/null || true
    wait "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
}

daemon_describe() {
    printf 'Jool %s, J=%s K=%s, IPv%s multicast' "${JOOL_VERSION:-?}" "$DAEMON_J" "$DAEMON_K" "$SYNC_FAMILY"
}

# ---- observation ----------------------------------------------------------------------

# wait_for DESCRIPTION SECONDS COMMAND...: polls every 0.2 s.
wait_for() {
    local what=$1 limit=$2; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || { log "timed out after ${limit} s waiting for $what"; return 1; }
        sleep 0.2
    done
}

# Sessions of node $1 for protocol $2 (tcp, udp, icmp), one per line, without the
# remaining lifetime (which differs between nodes by nature).
sessions() {
    local out
    out=$(in_ns "$1" jool session display "--$2" --numeric --csv) || return 1
    tail -n +2 <<<"$out" | cut -d, -f1-9,11- | sort
}

# mirrors FROM TO PROTOCOL: true when node FROM has sessions for the protocol and node
# TO has every one of them, identical.
mirrors() {
    local from="$STATE/sessions.$1.$3" to="$STATE/sessions.$2.$3" missing
    sessions "$1" "$3" >"$from" && sessions "$2" "$3" >"$to" || return 1
    [ -s "$from" ] || return 1
    missing=$(comm -23 "$from" "$to") || return 1
    [ -z "$missing" ]
}

k_mirrors_j() { mirrors J K "$1"; }

# The sync datagrams node $1 receives on eth2, one tcpdump line each, in $STATE/sync-link.$1.
sync_link_capture_start() {
    in_ns "$1" tcpdump -i eth2 -nn -l -Q in "udp port $MCAST_PORT" >"$STATE/sync-link.$1" 2>"$STATE/sync-link.$1.err" &
    wait_for "tcpdump in $1" 20 grep -q 'listening on' "$STATE/sync-link.$1.err"
}

# The UDP payload sizes of the captured datagrams (a fragmented one counts once, by its
# UDP header).
sync_link_sizes() {
    sed -n 's/.*UDP, \(bad \)\{0,1\}length \([0-9]*\).*/\2/p' "$STATE/sync-link.$1"
}

# True when node $1 received sync datagrams and each holds whole records of the size the
# guest's Jool version uses.
sync_link_whole_records() {
    local size; size=$(jool_session_record_bytes "$JOOL_VERSION")
    sync_link_sizes "$1" | awk -v s="$size" '{ n++; if ($1 % s) bad++ } END { exit !(n > 0 && bad == 0) }'
}

show_tables() {
    local p
    for p in "$@"; do
        log "J $p sessions:"; sessions J "$p" | sed 's/^/      /'
        log "K $p sessions:"; sessions K "$p" | sed 's/^/      /'
    done
}

# ---- traffic ---------------------------------------------------------------------------

start_tcp_echo_server() {
    in_ns n4 socat TCP4-LISTEN:1234,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
    echo $! >"$STATE/tcp-server.pid"
    wait_for "the TCP echo server" 5 bash -c "ip netns exec n4 ss -Hltn 'sport = :1234' | grep -q ."
}

start_udp_echo_server() {
    in_ns n4 socat UDP4-RECVFROM:5000,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
    wait_for "the UDP echo server" 5 bash -c "ip netns exec n4 ss -Hlun 'sport = :5000' | grep -q ."
}

# One UDP exchange from n6 through the NAT64; true if the echo came back.
udp_exchange() {
    # socat forks and execs cat per datagram: seconds under emulation on a loaded host.
    [ "$(echo hello | in_ns n6 socat -T10 - "UDP6:[$SERVER_VIA_NAT64]:5000")" = hello ]
}

# Stops the client traffic (ping, TCP client), leaving daemons and servers alone.
traffic_stop() {
    local f
    for f in "$STATE/ping.pid" "$STATE/tcp-client.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
        rm -f "$f"
    done
    return 0
}

teardown() {
    jobs -p | xargs -r kill 2>/dev/null || true
}

# A TCP client in n6 that keeps one connection through the NAT64 open and exchanges a
# line every 0.3 s, logging "ok N TIME" or "fail N" to $STATE/tcp.log.
tcp_client_start() {
    in_ns n6 bash -c '
        exec 3<>"/dev/tcp/$0/1234" || { echo "fail connect"; exit 1; }
        n=0
        while :; do
            n=$((n + 1))
            echo "msg $n" >&3
            if read -r -t 20 line <&3 && [ "$line" = "msg $n" ]; then
                echo "ok $n $(date +%s.%N)"
            else
                echo "fail $n"; exit 1
            fi
            sleep 0.3
        done' "$SERVER_VIA_NAT64" >"$STATE/tcp.log" 2>&1 &
    echo $! >"$STATE/tcp-client.pid"
    wait_for "the first TCP exchange" 10 grep -q '^ok 1 ' "$STATE/tcp.log"
}

tcp_exchanges_after() {  # count of successful exchanges after time $1 (epoch seconds)
    awk -v t="$1" '$1 == "ok" && $3 > t' "$STATE/tcp.log" | wc -l
}

ping_start() {
    in_ns n6 ping -6 -n -i 0.2 "$SERVER_VIA_NAT64" >"$STATE/ping.log" 2>&1 &
    echo $! >"$STATE/ping.pid"
    wait_for "the first ping reply" 10 grep -q 'icmp_seq=' "$STATE/ping.log"
}

ping_last_seq() {
    sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' "$STATE/ping.log" | sort -n | tail -n1
}
