#!/usr/bin/env bash
# Completeness under bursts, inside the guest (real Jool 4.1.9): n6 opens many new UDP
# flows through J at several rates; after the traffic stops and sync settles, how many of
# J's new sessions K holds. One daemon kind after another on both gateways, same boot.
#
#   guest-completeness.sh   with BENCH_DAEMONS ("stock ours supervisor"), BENCH_RATES
#                           (flows/s, 0 = as fast as the guest can; "200 1000 5000 0"),
#                           BENCH_FLOWS (flows per burst, 2000), UDP_FLOWS (the tool)
#
# Prints one line per daemon kind and rate, then a table. Exit 0, or 2 if a step failed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/topology.sh"
: "${BENCH_DAEMONS:=stock ours supervisor}" "${BENCH_RATES:=200 1000 5000 0}" "${BENCH_FLOWS:=2000}"
: "${UDP_FLOWS:=/project/.build/e2e-tools/udp-flows}"
[ -x "$UDP_FLOWS" ] || die "the flow generator is not built ($UDP_FLOWS)"
readonly SINK_PORT=5000 FIRST_PORT=2000

# Thousands of flows per run: pool4 gets every port of 192.0.2.1, not the tutorial's 4535.
fresh_instances() {
    local n
    for n in J K; do
        in_ns "$n" jool instance remove 2>/dev/null
        jool_instance_up "$n"
        in_ns "$n" jool pool4 add --udp 192.0.2.1 1024-61000
    done
}

# UDP sessions of node $1 whose IPv6 source port (n6's) is in [$2, $3].
count_flows() {
    in_ns "$1" jool session display --udp --numeric --csv |
        awk -F, -v lo="$2" -v hi="$3" 'NR > 1 && $3 >= lo && $3 <= hi' | wc -l
}

# Polls node $1's count for the range until it stops changing for $4 s (at most 90 s);
# prints the last count.
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

rate_name() { if [ "$1" = 0 ]; then echo max; else echo "$1"; fi; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f", 100 * a / b }'; }

topo_up
in_ns n4 socat -u "UDP4-RECV:$SINK_PORT,reuseaddr" /dev/null &
declare -A held    # "kind rate" -> "K/J percent"
port=$FIRST_PORT
for kind in $BENCH_DAEMONS; do
    fresh_instances
    daemon_start J "$kind" 6 || die "the $kind daemon did not start on J"
    daemon_start K "$kind" 6 || die "the $kind daemon did not start on K"
    for rate in $BENCH_RATES; do
        lo=$port hi=$((port + BENCH_FLOWS - 1)) port=$((port + BENCH_FLOWS))
        sent=$(in_ns n6 "$UDP_FLOWS" "$SERVER_VIA_NAT64" "$SINK_PORT" "$lo" "$BENCH_FLOWS" "$rate") ||
            die "udp-flows failed"
        j=$(settled_count J "$lo" "$hi" 2)
        k=$(settled_count K "$lo" "$hi" 5)
        held["$kind $rate"]="$(percent "$k" "$j") % ($k/$j)"
        log "$kind, rate $(rate_name "$rate"): n6 $sent; J has $j, K has $k"
    done
    daemon_stop J
    daemon_stop K
done

echo
echo "Completeness: share of J's new UDP sessions that K holds after sync settles"
echo "(Jool $(cat /sys/module/jool/version), $BENCH_FLOWS flows per burst, emulated guest; compare columns only)"
printf '%-14s' "flows/s"; for kind in $BENCH_DAEMONS; do printf ' %-22s' "$kind"; done; echo
for rate in $BENCH_RATES; do
    printf '%-14s' "$(rate_name "$rate")"
    for kind in $BENCH_DAEMONS; do printf ' %-22s' "${held["$kind $rate"]}"; done
    echo
done
teardown
