#!/usr/bin/env bash
# Part 3 of the benchmarks: completeness against the real Jool kernel module. Builds what
# is missing (guest image, release binaries, the flow generator), boots the guest once and
# runs Tests/e2e/bench/guest-completeness.sh there: stock joold, this project's joold and
# joold-supervisor workers, each on both gateways, under the same bursts.
#
#   Tests/e2e/bench/completeness.sh   (BENCH_DAEMONS, BENCH_RATES, BENCH_FLOWS, BENCH_ROUNDS pass through)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

bash "$here/../vm/build-image.sh" || { echo "completeness: the guest image could not be built" >&2; exit 1; }
(cd "$root" && swift build -c release --static-swift-stdlib >/tmp/joold-bench-build.log 2>&1) ||
    { tail -n 30 /tmp/joold-bench-build.log; echo "completeness: cannot build the release binaries" >&2; exit 1; }
mkdir -p "$root/.build/e2e-tools"
cc -O2 -static -Wall -Werror -o "$root/.build/e2e-tools/udp-flows" "$root/Tests/e2e/tools/udp-flows.c" ||
    { echo "completeness: cannot build udp-flows" >&2; exit 1; }

exec bash "$here/../vm/run.sh" --timeout 3600 -- \
    env BENCH_DAEMONS="${BENCH_DAEMONS:-stock ours supervisor}" BENCH_RATES="${BENCH_RATES:-250 500 1000 1500}" \
    BENCH_FLOWS="${BENCH_FLOWS:-1000}" BENCH_ROUNDS="${BENCH_ROUNDS:-3}" JOOLD_BIN_DIR=/project/.build/release \
    /project/Tests/e2e/bench/guest-completeness.sh
