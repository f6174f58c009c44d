#!/usr/bin/env bash
# Completeness under bursts, inside the guest (real Jool 4.1.9): n6 opens many new UDP
# flows through J at several rates; after the traffic stops and sync settles, how many of
# J's new sessions K holds. Every daemon kind runs on both gateways in turn, in the same
# boot, for several rounds (the order rotates each round), each round on fresh instances.
#
#   guest-completeness.sh   with BENCH_DAEMONS ("stock ours supervisor"), BENCH_RATES
#                           (flows/s, 0 = as fast as the guest can; "250 500 1000 1500"),
#                           BENCH_FLOWS (flows per burst, 1000), BENCH_ROUNDS (3),
#                           UDP_FLOWS (the flow generator)
#
# Prints one line per burst, then the table. Exit 0, or 2 if a step failed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/topology.sh"
: "${BENCH_DAEMONS:=stock ours supervisor}" "${BENCH_RATES:=250 500 1000 1500}"
: "${BENCH_FLOWS:=1000}" "${BENCH_ROUNDS:=3}" "${UDP_FLOWS:=/project/.build/e2e-tools/udp-flows}"
[ -x "$UDP_FLOWS" ] || die "the flow generator is not built ($UDP_FLOWS)"
readonly SINK_PORT=5000 FIRST_PORT=2000
kinds=($BENCH_DAEMONS) rates=($BENCH_RATES)
[ $((${#rates[@]} * BENCH_FLOWS)) -le 5000 ] || die "rates x flows must stay under 5000 per round (see fresh_instances)"

# Empty tables on J and K, for each daemon kind and round: the 4.1.9 module in this guest
# stops creating new UDP sessions from n6 to n4 (JSTAT_BIB6_NOT_FOUND) after 4,600 to 6,300
# of them, whatever the pool4 range and max-iterations, so rates x flows stay below that.
# pool4 gets every port of 192.0.2.1, not the tutorial's 4535, and no limit on the search
# for a free port (every flow of a burst starts its search at the same place).
fresh_instances() {
    local n
    for n in J K; do
        in_ns "$n" jool instance remove 2>/dev/null
        jool_instance_up "$n"
        in_ns "$n" jool pool4 add --udp 192.0.2.1 1024-61000 --max-iterations infinity
    done
}

# UDP sessions of node $1 whose IPv6 source port (n6's) is in [$2, $3].
count_flows() {
    in_ns "$1" jool session display --udp --numeric --csv |
        awk -F, -v lo="$2" -v hi="$3" 'NR > 1 && $3 >= lo && $3 <= hi' | wc -l
}

# Node $1's count for the range once it has not changed for $4 polls 1 s apart (at
# most 90 s).
settled_count() {
    local node=$1 lo=$2 hi=$3 quiet=$4 last=-1 count stable=0 deadline=$((SECONDS + 90))
    while [ $SECONDS -lt $deadline ]; do
        count=$(count_flows "$node" "$lo" "$hi")
        if [ "$count" = "$last" ]; then
            stable=$((stable + 1))
            [ $stable -ge "$quiet" ] && break
        else
            stable=0 last=$count
        fi
        sleep 1
    done
    echo "$last"
}

# The pid of node $1's daemon of kind $2 (joold, or the supervisor's worker).
daemon_pid() {
    if [ "$2" = supervisor ]; then
        instance_field "$1" default pid
    else
        cat "$STATE/$1/daemon.pid"
    fi
}

# Nanoseconds process $1 has run on a CPU, all threads together.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ n += $1 } END { printf "%.0f\n", n }'; }

# Datagrams K's kernel dropped for want of socket buffer (UDP and UDP6 RcvbufErrors).
k_receive_buffer_drops() {
    in_ns K nstat -az 2>/dev/null | awk '$1 ~ /^Udp6?RcvbufErrors$/ { n += $2 } END { print n + 0 }'
}

rate_name() { if [ "$1" = 0 ]; then echo max; else echo "$1"; fi; }

topo_up
# Let J see every datagram of a burst: the default backlog (1000 packets) overflows
# while the emulated CPU translates, and what J never sees is not J's session anyway.
sysctl -qw net.core.netdev_max_backlog=100000
# One server port per burst, so that each burst's search for free pool4 ports starts
# somewhere else; n4 swallows the datagrams (no ICMP errors back through J).
for i in "${!rates[@]}"; do in_ns n4 socat -u "UDP4-RECV:$((SINK_PORT + i)),reuseaddr" /dev/null & done

declare -A j_total k_total rounds_percent sent_rate j_cpu_ns
for ((round = 0; round < BENCH_ROUNDS; round++)); do
    for ((r = 0; r < ${#kinds[@]}; r++)); do
        kind=${kinds[$(((r + round) % ${#kinds[@]}))]}
        fresh_instances
        daemon_start J "$kind" 6 || die "the $kind daemon did not start on J"
        daemon_start K "$kind" 6 || die "the $kind daemon did not start on K"
        j_pid=$(daemon_pid J "$kind")
        [ -n "$j_pid" ] || die "no pid for J's $kind daemon"
        for i in "${!rates[@]}"; do
            rate=${rates[$i]} lo=$((FIRST_PORT + i * BENCH_FLOWS)) hi=$((FIRST_PORT + (i + 1) * BENCH_FLOWS - 1))
            drops_before=$(k_receive_buffer_drops) cpu_before=$(cpu_ns "$j_pid")
            sent=$(in_ns n6 "$UDP_FLOWS" "$SERVER_VIA_NAT64" $((SINK_PORT + i)) "$lo" "$BENCH_FLOWS" "$rate") ||
                die "udp-flows failed"
            sleep 3   # ss-flush-deadline is 2 s: let the tail go out before reading tables
            j=$(settled_count J "$lo" "$hi" 2)
            k=$(settled_count K "$lo" "$hi" 3)
            key="$kind $rate"
            j_cpu_ns[$key]=$((${j_cpu_ns[$key]:-0} + $(cpu_ns "$j_pid") - cpu_before))
            j_total[$key]=$((${j_total[$key]:-0} + j)) k_total[$key]=$((${k_total[$key]:-0} + k))
            rounds_percent[$key]+="$(awk -v a="$k" -v b="$j" 'BEGIN { printf "%.0f ", b ? 100 * a / b : 0 }')"
            sent_rate[$rate]+="$(sed -n 's/.*(\([0-9]*\) flows\/s).*/\1/p' <<<"$sent") "
            log "round $((round + 1)) $kind, rate $(rate_name "$rate"): n6 $sent; J has $j, K has $k" \
                "(K receive-buffer drops: $(($(k_receive_buffer_drops) - drops_before)))"
        done
        daemon_stop J
        daemon_stop K
    done
done

echo
echo "Completeness: share of J's new UDP sessions that K holds once sync settles"
echo "(Jool $(cat /sys/module/jool/version), $BENCH_ROUNDS rounds of $BENCH_FLOWS flows per rate and daemon;"
echo " all rounds together, each round's share in brackets; emulated guest: compare columns only)"
printf '%-10s %-18s' "flows/s" "achieved flows/s"; for kind in "${kinds[@]}"; do printf ' %-30s' "$kind"; done; echo
for rate in "${rates[@]}"; do
    printf '%-10s %-18s' "$(rate_name "$rate")" "$(tr ' ' '\n' <<<"${sent_rate[$rate]}" | grep . | sort -n | sed -n '1p;$p' | paste -sd-)"
    for kind in "${kinds[@]}"; do
        key="$kind $rate"
        printf ' %-30s' "$(awk -v a="${k_total[$key]}" -v b="${j_total[$key]}" 'BEGIN { printf "%.1f %%", b ? 100 * a / b : 0 }') [${rounds_percent[$key]% }]"
    done
    echo
done
echo
echo "CPU time of J's daemon per session of the burst, µs (emulated: compare columns only)"
printf '%-10s' "flows/s"; for kind in "${kinds[@]}"; do printf ' %-12s' "$kind"; done; echo
for rate in "${rates[@]}"; do
    printf '%-10s' "$(rate_name "$rate")"
    for kind in "${kinds[@]}"; do
        key="$kind $rate"
        printf ' %-12s' "$(awk -v ns="${j_cpu_ns[$key]}" -v n="${j_total[$key]}" 'BEGIN { printf "%.0f", n ? ns / n / 1000 : 0 }')"
    done
    echo
done
teardown
