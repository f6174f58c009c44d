#!/usr/bin/env bash
# The real-kernel suite: for each Jool version asked for, builds the guest image if needed,
# then runs every scenario in its own boot of the guest (that version's kernel module,
# stock joold from that version's jool-tools).
#
#   Tests/e2e/suite.sh [--jool VERSION|all]... [--all] [--only REGEX] [--list]
#
# --all adds the cases kept out of the default run (CI): the Debian package case.
#
# --jool (repeatable; or JOOLD_JOOL, space-separated): 4.1.9 (the default), 4.1.13, 4.1.15,
# all. Each case prints PASS or FAIL with its time; the suite ends with one line per
# version ("e2e: Jool V: N passed, N failed in S s") and "e2e: N passed, N failed". If the
# package registry cannot be reached to build an image, that version prints SKIPPED with
# the reason and claims no PASS. Any failed case exits 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/jool-version.sh"
only=.
list=0
all=0
versions=()
while [ $# -gt 0 ]; do
    case $1 in
        --jool) if [ "$2" = all ]; then versions+=($JOOL_VERSIONS); else versions+=("$2"); fi; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --list) list=1; shift ;;
        --all) all=1; shift ;;
        *) echo "suite.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#versions[@]} -gt 0 ] || versions=(${JOOLD_JOOL:-4.1.9})
for v in "${versions[@]}"; do
    jool_known_version "$v" || { echo "suite.sh: unknown Jool version $v ($JOOL_VERSIONS)" >&2; exit 2; }
done

# The cases of Jool version $1, one per line: SCENARIO DAEMON_J DAEMON_K FAMILY EXPECT.
# "stock" is that version's Debian joold, "proxy" its `jool session proxy` (4.1.13+),
# "ours" this project's joold, "supervisor" a worker of this project's joold-supervisor.
# "expect fail" is a negative control: the harness must be able to see a failure.
cases_for() {
    local v=$1 daemons scenario family
    for daemons in "stock stock" "ours ours" "stock ours" "ours stock"; do
        for scenario in sync failover; do
            for family in 6 4; do echo "$scenario $daemons $family pass"; done
        done
    done
    if jool_has_session_proxy "$v"; then
        echo "sync proxy proxy 6 pass"; echo "sync proxy ours 4 pass"
        echo "failover proxy ours 6 pass"; echo "failover ours proxy 4 pass"
    fi
    # One joold-supervisor in the guest runs the workers of J and K ("supervisor").
    printf '%s\n' "sync supervisor supervisor 6 pass" "sync supervisor supervisor 4 pass" \
        "failover supervisor supervisor 6 pass" "failover stock supervisor 4 pass" \
        "supervisor supervisor supervisor 6 pass" "waiting supervisor supervisor 6 pass" \
        "advertise supervisor supervisor 6 pass"
    # Real keepalived moves the NAT64 to K and back; K's hook advertises. With the stock
    # tools the hook's advertise is a no-op before Jool 4.1.11: idle connections break
    # (must FAIL); from 4.1.11 on the kernel's advertise restores them.
    echo "failback supervisor supervisor 6 pass"
    if jool_kernel_advertises "$v"; then echo "failback stock stock 6 pass"; else echo "failback stock stock 6 fail"; fi
    printf '%s\n' "sync stock none 6 fail" "sync stock none 4 fail" "sync ours none 6 fail"
    # The Debian package (scripts/package), checked on the host (Tests/package/deb.sh: lintian,
    # systemd-analyze verify, contents), then installed, upgraded, removed and purged in the
    # guest, running J's and K's workers from the installed paths. Only with --all: its
    # check that sync resumes after the upgrade failed once in three runs (see the README).
    if [ $all = 1 ]; then echo "package supervisor supervisor 6 pass"; fi
}

case_name() { printf '%s %s J=%s K=%s IPv%s' "$1" "$2" "$3" "$4" "$5"; }

if [ $list = 1 ]; then
    for v in "${versions[@]}"; do
        cases_for "$v" | while read -r c; do set -- $c; echo "$(case_name "$v" "$@") (expect $5)"; done
    done
    exit 0
fi

t0=$SECONDS
# This project's programs as the guest runs them: a release build with the Swift runtime
# linked in (one self-contained file each, as a deployment would ship them).
# (grep reads everything: with pipefail, grep -q closing early could fail the writer with SIGPIPE.)
if for v in "${versions[@]}"; do cases_for "$v"; done | grep -E 'ours|supervisor' >/dev/null; then
    t=$SECONDS
    (cd "$here/../.." && swift build -c release --static-swift-stdlib >/tmp/joold-e2e-build.log 2>&1) ||
        { tail -n 30 /tmp/joold-e2e-build.log; echo "e2e: FAIL: cannot build the release binaries"; exit 1; }
    echo "e2e: release binaries built in $((SECONDS - t)) s"
fi

passed=0 failed=0 failed_names=() summaries=()
artifacts=${E2E_ARTIFACTS:-/tmp/joold-e2e-artifacts}

# The package, built from the same release binaries and shared with the guest at /packages.
package_dir=
wants_package=0
for v in "${versions[@]}"; do
    while read -r c; do
        set -- $c
        [ "$1" = package ] && [[ $(case_name "$v" "$@") =~ $only ]] && wants_package=1
    done < <(cases_for "$v")
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

for v in "${versions[@]}"; do
    tv=$SECONDS
    bash "$here/vm/build-image.sh" --jool "$v"
    rc=$?
    if [ $rc -eq 3 ]; then
        echo "e2e: SKIPPED Jool $v: the guest image could not be built because the package registry cannot be reached"
        summaries+=("e2e: Jool $v: SKIPPED, no real-kernel scenario ran; nothing here passed")
        continue
    elif [ $rc -ne 0 ]; then
        echo "e2e: FAIL Jool $v: the guest image could not be built (build-image.sh exit $rc)"
        failed=$((failed + 1)); failed_names+=("Jool $v guest image")
        summaries+=("e2e: Jool $v: image build FAILED")
        continue
    fi
    echo "e2e: Jool $v guest image ready in $((SECONDS - tv)) s"
    vpassed=0 vfailed=0
    while read -r c; do
        set -- $c
        name=$(case_name "$v" "$@")
        [[ $name =~ $only ]] || continue
        echo "=== $name (expect $5)"
        t=$SECONDS
        extra=()
        [ "$1" = package ] && extra=(--share "$package_dir:/packages")
        bash "$here/vm/run.sh" --jool "$v" --timeout 300 --artifacts "$artifacts/${name// /_}" "${extra[@]}" -- \
            env DAEMON_J="$2" DAEMON_K="$3" SYNC_FAMILY="$4" JOOLD_BIN_DIR=/project/.build/release \
            PACKAGE_DIR=/packages /project/Tests/e2e/guest-scenario.sh "$1" </dev/null
        rc=$?
        dt=$((SECONDS - t))
        if [ "$5" = pass ] && [ $rc -eq 0 ]; then
            echo "PASS $name (${dt} s with boot)"; vpassed=$((vpassed + 1))
        elif [ "$5" = fail ] && [ $rc -eq 1 ]; then
            echo "PASS negative control: $name FAILed as it must (${dt} s with boot)"; vpassed=$((vpassed + 1))
        else
            echo "FAIL $name: scenario exit $rc, expected $5 (${dt} s with boot; guest logs in $artifacts)"
            vfailed=$((vfailed + 1)); failed_names+=("$name")
        fi
    done < <(cases_for "$v")
    passed=$((passed + vpassed)) failed=$((failed + vfailed))
    summaries+=("e2e: Jool $v: $vpassed passed, $vfailed failed in $((SECONDS - tv)) s")
done
printf '%s\n' "${summaries[@]}"
echo "e2e: total $((SECONDS - t0)) s"
[ -n "$package_dir" ] && rm -rf "$package_dir"
[ $failed -eq 0 ] || printf 'e2e: failed: %s\n' "${failed_names[@]}"
echo "e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
