#!/usr/bin/env bash
# Part 3 of the benchmarks: completeness against the real Jool kernel module. Builds what
# is missing (guest image, release binaries, the flow generator), boots the guest once and
# runs Tests/e2e/bench/guest-completeness.sh there: stock joold, this project's joold and
# joold-supervisor workers, each on both gateways, under the same bursts.
#
#   Tests/e2e/bench/completeness.sh [--jool VERSION]   (or JOOLD_JOOL; default 4.1.9;
#       BENCH_DAEMONS, BENCH_RATES, BENCH_FLOWS, BENCH_ROUNDS pass through)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
jool_version=${JOOLD_JOOL:-4.1.9}
if [ "${1:-}" = --jool ]; then jool_version=$2; shift 2; fi
[ $# -eq 0 ] || { echo "usage: completeness.sh [--jool VERSION]" >&2; exit 2; }

bash "$here/../vm/build-image.sh" --jool "$jool_version" || { echo "completeness: the guest image could not be built" >&2; exit 1; }
(cd "$root" && swift build -c release --static-swift-stdlib >/tmp/joold-bench-build.log 2>&1) ||
    { tail -n 30 /tmp/joold-bench-build.log; echo "completeness: cannot build the release binaries" >&2; exit 1; }
mkdir -p "$root/.build/e2e-tools"
cc -O2 -static -Wall -Werror -o "$root/.build/e2e-tools/udp-flows" "$root/Tests/e2e/tools/udp-flows.c" ||
    { echo "completeness: cannot build udp-flows" >&2; exit 1; }

exec bash "$here/../vm/run.sh" --jool "$jool_version" --timeout 3600 -- \
    env BENCH_DAEMONS="${BENCH_DAEMONS:-stock ours supervisor}" BENCH_RATES="${BENCH_RATES:-250 500 1000 1500}" \
    BENCH_FLOWS="${BENCH_FLOWS:-1000}" BENCH_ROUNDS="${BENCH_ROUNDS:-3}" JOOLD_BIN_DIR=/project/.build/release \
    /project/Tests/e2e/bench/guest-completeness.sh
