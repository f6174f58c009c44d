# Real keepalived on J and K (Debian's keepalived 2.2.7 in the guest), after the keepalived
# setup of Jool's session-synchronization tutorial: VRRP over unicast peers on each link,
# J priority 200, K priority 100. Sourced by scenarios/failback.sh.
#
#   VI_6    eth0  2001:db8::1 (and the tutorial's link-local VIP)  } one sync group: the
#   VI_4    eth1  192.0.2.1 (pool4)                                } NAT64 moves as a whole
#   VI_SYNC eth2  203.0.113.1: the advertise trigger (see below)
#
# Where the tutorial's hook wiring falls short for failback: it runs the advertise from
# notify_backup of the translating instances, so K advertises only when J preempts them,
# i.e. after J has already taken the traffic without the sessions that were idle since its
# return (their packets are dropped or get new mappings until the table arrives). Here the
# translating instances of J wait preempt_delay before taking over, while J takes VI_SYNC
# back without delay (its master-down interval, ~3.2 s): K's notify_backup of VI_SYNC fires
# soon after J's keepalived is back, K advertises, and J takes the traffic afterwards. A
# backup sends no VRRP adverts, so an instance J takes back at once is the only way
# keepalived alone can tell K "J is back" before J takes the addresses. preempt_delay must
# cover that interval, K's hook and the advertisement (table size / the instance's advertise rate).

readonly VRRP_LOG=$STATE/vrrp-events.log       # "EPOCH NODE INSTANCE|GROUP NAME STATE PRIO"
# FAILBACK_HOOK=tutorial (manual runs only) wires the hook as the tutorial does, on
# notify_backup of the translating instances with no preempt_delay, to show its window.
readonly FAILBACK_HOOK=${FAILBACK_HOOK:-sync-instance}
if [ "$FAILBACK_HOOK" = tutorial ]; then
    readonly VRRP_PREEMPT_DELAY=${VRRP_PREEMPT_DELAY:-0}
else
    readonly VRRP_PREEMPT_DELAY=${VRRP_PREEMPT_DELAY:-25}
fi

# The hook keepalived runs on notify_backup of VI_SYNC, and a notify that logs every
# transition. In /etc/keepalived (root-owned path: keepalived's script security).
keepalived_install_hooks() {
    local kind=$1 cmd
    mkdir -p /etc/keepalived
    # One supervisor runs both gateways' workers in this bench, hence --netns; on a real
    # gateway the hook is `jooldctl advertise default`. Stock tools: the tutorial's
    # `jool session advertise` (`jool joold advertise` before 4.1.13), a no-op before 4.1.11.
    if [ "$kind" = supervisor ]; then
        cmd="$(our_binary jooldctl) --socket $SUPERVISOR_SOCKET advertise default --netns \"\$node\""
    else
        cmd=$(jool_advertise_command "$JOOL_VERSION")
    fi
    cat >/etc/keepalived/joold-advertise.sh <<EOF
#!/bin/bash
# keepalived notify_backup of VI_SYNC: a higher-priority peer is back, possibly empty.
node=\$1
log=$STATE/\$node/advertise.log
echo "start \$EPOCHREALTIME" >>"\$log"
$cmd >>"\$log" 2>&1
echo "end \$EPOCHREALTIME rc=\$?" >>"\$log"
EOF
    cat >/etc/keepalived/vrrp-notify.sh <<EOF
#!/bin/bash
echo "\$EPOCHREALTIME \$*" >>"$VRRP_LOG"
EOF
    chmod 755 /etc/keepalived/joold-advertise.sh /etc/keepalived/vrrp-notify.sh
}

# keepalived_conf NODE PRIORITY PEER_NODE: writes $STATE/NODE/keepalived.conf.
keepalived_conf() {
    local node=$1 prio=$2 i p traffic_hook= sync_hook
    i=$(node_index "$1"); p=$(node_index "$3")
    sync_hook="notify_backup \"/etc/keepalived/joold-advertise.sh $node\""
    [ "$FAILBACK_HOOK" = tutorial ] && { traffic_hook=$sync_hook; sync_hook=; }
    mkdir -p "$STATE/$node"
    cat >"$STATE/$node/keepalived.conf" <<EOF
global_defs {
    router_id $node
    script_user root
    enable_script_security
}

vrrp_sync_group NAT64 {
    group {
        VI_6
        VI_4
    }
    notify "/etc/keepalived/vrrp-notify.sh $node"
}

# state BACKUP everywhere: preempt_delay works only from that initial state.
vrrp_instance VI_6 {
    state BACKUP
    interface eth0
    virtual_router_id 64
    priority $prio
    advert_int 1
    preempt_delay $VRRP_PREEMPT_DELAY
    unicast_src_ip 2001:db8::$i
    unicast_peer {
        2001:db8::$p
    }
    virtual_ipaddress {
        fe80::800:2000:104:2/64 dev eth0
        2001:db8::1/96 dev eth0
    }
    notify "/etc/keepalived/vrrp-notify.sh $node"
    $traffic_hook
}

vrrp_instance VI_4 {
    state BACKUP
    interface eth1
    virtual_router_id 46
    priority $prio
    advert_int 1
    preempt_delay $VRRP_PREEMPT_DELAY
    unicast_src_ip 192.0.2.$i
    unicast_peer {
        192.0.2.$p
    }
    virtual_ipaddress {
        192.0.2.1/24 dev eth1
    }
    notify "/etc/keepalived/vrrp-notify.sh $node"
    $traffic_hook
}

# No preempt_delay: J takes it back at once, and K's notify_backup advertises.
vrrp_instance VI_SYNC {
    state BACKUP
    interface eth2
    virtual_router_id 65
    priority $prio
    advert_int 1
    unicast_src_ip 203.0.113.$i
    unicast_peer {
        203.0.113.$p
    }
    virtual_ipaddress {
        203.0.113.1/24 dev eth2
    }
    $sync_hook
    notify "/etc/keepalived/vrrp-notify.sh $node"
}
EOF
}

# keepalived_start NODE: VRRP only (-P), in the foreground of a background job (-n),
# logging to $STATE/NODE/keepalived.log; pid files per node since /run is shared.
keepalived_start() {
    local node=$1
    # ip netns exec directly (not in_ns, a function): $! is then keepalived's own pid.
    ip netns exec "$node" keepalived -n -l -D -P -f "$STATE/$node/keepalived.conf" \
        -p "/run/keepalived-$node.pid" -r "/run/keepalived-vrrp-$node.pid" \
        >>"$STATE/$node/keepalived.log" 2>&1 &
    echo $! >"$STATE/$node/keepalived.pid"
}

# A crash: SIGKILL to keepalived's VRRP process and its parent at once (no priority-0
# advert, no address clean-up; a parent left alive would restart its VRRP child).
keepalived_kill() {
    local node=$1 pids
    pids="$(cat "$STATE/$node/keepalived.pid") $(cat "/run/keepalived-$node.pid" "/run/keepalived-vrrp-$node.pid" 2>/dev/null)"
    kill -9 $pids 2>/dev/null
    wait "$(cat "$STATE/$node/keepalived.pid")" 2>/dev/null
    rm -f "/run/keepalived-$node.pid" "/run/keepalived-vrrp-$node.pid"
    return 0
}

# True when no keepalived process runs in namespace $1.
keepalived_gone() {
    local pid
    for pid in $(pgrep -x keepalived); do
        [ "$(ip netns identify "$pid" 2>/dev/null)" = "$1" ] && return 1
    done
    return 0
}

keepalived_stop_all() {
    local n
    for n in J K; do
        [ -f "$STATE/$n/keepalived.pid" ] && kill "$(cat "$STATE/$n/keepalived.pid")" 2>/dev/null
    done
    return 0
}

# True when node $1 holds both translating virtual addresses.
holds_vips() {
    in_ns "$1" ip -6 addr show dev eth0 | grep -q 'inet6 2001:db8::1/' &&
        in_ns "$1" ip -4 addr show dev eth1 | grep -q 'inet 192.0.2.1/'
}

holds_no_vip() {
    ! in_ns "$1" ip -6 addr show dev eth0 | grep -q 'inet6 2001:db8::1/' &&
        ! in_ns "$1" ip -4 addr show dev eth1 | grep -q 'inet 192.0.2.1/'
}

# vrrp_event_time NODE NAME STATE AFTER: the first time (epoch) after AFTER at which
# keepalived on NODE reported NAME (instance or group) in STATE; empty if none.
vrrp_event_time() {
    awk -v n="$1" -v name="$2" -v s="$3" -v t="$4" \
        '$2 == n && $4 == name && $5 == s && $1 > t { print $1; exit }' "$VRRP_LOG" 2>/dev/null
}

vrrp_event_seen() { [ -n "$(vrrp_event_time "$@")" ]; }

show_vrrp_events() {
    log "keepalived transitions (notify):"
    sed 's/^/      /' "$VRRP_LOG" 2>/dev/null
    log "keepalived warnings and errors (J, K; of $(cat "$STATE/J/keepalived.log" "$STATE/K/keepalived.log" 2>/dev/null | wc -l) log lines):"
    cat "$STATE/J/keepalived.log" "$STATE/K/keepalived.log" 2>/dev/null |
        grep -iE 'warn|error|unknown|secur|fail' | sed 's/^[A-Z][a-z]* [A-Z][a-z]* *[0-9]* [0-9:]* [0-9]* //' |
        sort | uniq -c | sed 's/^/      /' | head -n 20
}
