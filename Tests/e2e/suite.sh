#!/usr/bin/env bash
# The real-kernel suite: builds the guest image if needed, then runs every scenario in
# its own boot of the guest (Jool 4.1.9 kernel module, stock joold from jool-tools).
#
#   Tests/e2e/suite.sh [--only REGEX] [--list]
#
# Each case prints PASS or FAIL; the last line is "e2e: N passed, N failed". If the
# package registry cannot be reached to build the image, the suite prints SKIPPED with
# the reason and exits 0 without claiming any PASS. Any failed case exits 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
only=.
list=0
while [ $# -gt 0 ]; do
    case $1 in
        --only) only=$2; shift 2 ;;
        --list) list=1; shift ;;
        *) echo "suite.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# The cases: SCENARIO DAEMON_J DAEMON_K FAMILY EXPECT. "stock" is Debian's joold 4.1.9,
# "ours" this project's joold, "supervisor" a worker of this project's joold-supervisor. "expect fail" is a negative control: the harness must be
# able to see a failure.
cases=()
for daemons in "stock stock" "ours ours" "stock ours" "ours stock"; do
    for scenario in sync failover; do
        for family in 6 4; do cases+=("$scenario $daemons $family pass"); done
    done
done
# One joold-supervisor in the guest runs the workers of J and K ("supervisor").
cases+=("sync supervisor supervisor 6 pass" "sync supervisor supervisor 4 pass"
        "failover supervisor supervisor 6 pass" "failover stock supervisor 4 pass"
        "supervisor supervisor supervisor 6 pass" "waiting supervisor supervisor 6 pass"
        "advertise supervisor supervisor 6 pass")
# Real keepalived moves the NAT64 to K and back; K's hook advertises. With stock joold the
# hook's `jool joold advertise` is a no-op on Jool 4.1.9: idle connections break (must FAIL).
cases+=("failback supervisor supervisor 6 pass" "failback stock stock 6 fail")
cases+=("sync stock none 6 fail" "sync stock none 4 fail" "sync ours none 6 fail")
# The Debian package (scripts/package), checked on the host (Tests/package/deb.sh: lintian,
# systemd-analyze verify, contents), then installed, upgraded, removed and purged in the
# guest, running J's and K's workers from the installed paths.
cases+=("package supervisor supervisor 6 pass")

case_name() { printf '%s J=%s K=%s IPv%s' "$1" "$2" "$3" "$4"; }

if [ $list = 1 ]; then
    for c in "${cases[@]}"; do set -- $c; echo "$(case_name "$@") (expect $5)"; done
    exit 0
fi

t0=$SECONDS
bash "$here/vm/build-image.sh"
rc=$?
if [ $rc -eq 3 ]; then
    echo "e2e: SKIPPED: the guest image could not be built because the package registry cannot be reached"
    echo "e2e: SKIPPED: no real-kernel scenario ran; nothing here passed"
    exit 0
elif [ $rc -ne 0 ]; then
    echo "e2e: FAIL: the guest image could not be built (build-image.sh exit $rc)"
    exit 1
fi
echo "e2e: guest image ready in $((SECONDS - t0)) s"

# This project's programs as the guest runs them: a release build with the Swift runtime
# linked in (one self-contained file each, as a deployment would ship them).
if printf '%s\n' "${cases[@]}" | grep -qE 'ours|supervisor'; then
    t=$SECONDS
    (cd "$here/../.." && swift build -c release --static-swift-stdlib >/tmp/joold-e2e-build.log 2>&1) ||
        { tail -n 30 /tmp/joold-e2e-build.log; echo "e2e: FAIL: cannot build the release binaries"; exit 1; }
    echo "e2e: release binaries built in $((SECONDS - t)) s"
fi

passed=0 failed=0 failed_names=()
artifacts=${E2E_ARTIFACTS:-/tmp/joold-e2e-artifacts}

# The package, built from the same release binaries and shared with the guest at /packages.
package_dir=
wants_package=0
for c in "${cases[@]}"; do
    set -- $c
    [ "$1" = package ] && [[ $(case_name "$@") =~ $only ]] && wants_package=1
done
if [ $wants_package = 1 ]; then
    t=$SECONDS
    package_dir=$(mktemp -d /tmp/joold-e2e-package.XXXXXX)
    if deb=$(bash "$here/../../scripts/package" --output "$package_dir" 2>/tmp/joold-e2e-package.log) &&
            bash "$here/../package/deb.sh" "$deb"; then
        echo "PASS package (host): built, lintian, systemd-analyze verify, contents ($((SECONDS - t)) s)"
        passed=$((passed + 1))
    else
        tail -n 20 /tmp/joold-e2e-package.log
        echo "FAIL package (host): scripts/package or Tests/package/deb.sh ($((SECONDS - t)) s)"
        failed=$((failed + 1)); failed_names+=("package (host)")
    fi
fi

for c in "${cases[@]}"; do
    set -- $c
    name=$(case_name "$@")
    [[ $name =~ $only ]] || continue
    echo "=== $name (expect $5)"
    t=$SECONDS
    extra=()
    [ "$1" = package ] && extra=(--share "$package_dir:/packages")
    bash "$here/vm/run.sh" --timeout 300 --artifacts "$artifacts/${name// /_}" "${extra[@]}" -- \
        env DAEMON_J="$2" DAEMON_K="$3" SYNC_FAMILY="$4" JOOLD_BIN_DIR=/project/.build/release \
        PACKAGE_DIR=/packages /project/Tests/e2e/guest-scenario.sh "$1"
    rc=$?
    dt=$((SECONDS - t))
    if [ "$5" = pass ] && [ $rc -eq 0 ]; then
        echo "PASS $name (${dt} s with boot)"; passed=$((passed + 1))
    elif [ "$5" = fail ] && [ $rc -eq 1 ]; then
        echo "PASS negative control: $name FAILed as it must (${dt} s with boot)"; passed=$((passed + 1))
    else
        echo "FAIL $name: scenario exit $rc, expected $5 (${dt} s with boot; guest logs in $artifacts)"
        failed=$((failed + 1)); failed_names+=("$name")
    fi
done
echo "e2e: total $((SECONDS - t0)) s"
[ -n "$package_dir" ] && rm -rf "$package_dir"
[ $failed -eq 0 ] || printf 'e2e: failed: %s\n' "${failed_names[@]}"
echo "e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
