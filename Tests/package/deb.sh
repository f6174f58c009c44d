#!/usr/bin/env bash
# Host checks of the Debian package scripts/package built: lintian reports no error and
# no warning; systemd-analyze verify accepts the installed unit (in a root made of the
# host's systemd units and the package's files, so ExecStart's program is checked too);
# the package holds what it must, in the right places and modes; its control file.
# The real-kernel case `package` (Tests/e2e/scenarios/package.sh) installs it.
#
#   Tests/package/deb.sh DEB       last line: "deb: N passed, N failed"
set -uo pipefail
deb=${1:?usage: deb.sh DEB}
passed=0 failed=0
check() {
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}
work=$(mktemp -d /tmp/joold-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

# lintian: errors and warnings fail; the informational tags are printed.
no_lintian_errors_or_warnings() {
    local report
    report=$(lintian --display-info "$deb" 2>/dev/null)
    # One line per tag, with its count: "I: hardening-no-bindnow (4)".
    [ -n "$report" ] && awk '{ print $1, $3 }' <<<"$report" | sort | uniq -c |
        awk '{ printf "    lintian: %s %s (%s)\n", $2, $3, $1 }'
    ! grep -qE '^[EW]: ' <<<"$report"
}
check "lintian: no error, no warning" no_lintian_errors_or_warnings

# systemd-analyze verify prints what it ignores (an unknown setting, a missing program)
# yet exits 0: any output fails.
root=$work/root
mkdir -p "$root/lib/systemd" "$root/bin" "$root/tmp"
cp -a /usr/lib/systemd/system "$root/lib/systemd/"
cp /bin/kill "$root/bin/kill"
dpkg-deb -x "$deb" "$root"
unit_verifies() {
    local output
    output=$(systemd-analyze verify --root="$root" /lib/systemd/system/joold-supervisor.service 2>&1 |
        grep -vE 'Failed to parse system call, ignoring: (riscv_hwprobe|uretprobe)')   # newer than the host's libseccomp
    [ -z "$output" ] || { printf '    %s\n' "$output"; return 1; }
}
check "systemd-analyze verify joold-supervisor.service" unit_verifies
unit=$root/lib/systemd/system/joold-supervisor.service
check "the unit is Type=notify" grep -qx 'Type=notify' "$unit"
check "the unit's ExecStart is the packaged supervisor" grep -qE '^ExecStart=/usr/sbin/joold-supervisor( |$)' "$unit"
check "the unit names no /usr/local path" bash -c "! grep -q /usr/local '$unit'"
check "the unit's Documentation= file is in the package" \
    bash -c "f=\$(sed -n 's|^Documentation=file://||p' '$unit'); [ -n \"\$f\" ] && [ -f '$root'\"\$f\" ]"

listing=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
has() {  # has MODE PATH
    grep -qxF -- "$1 ./$2" <<<"$listing" || { echo "    no $2 with mode $1"; return 1; }
}
for f in usr/sbin/joold usr/sbin/joold-supervisor usr/sbin/joold-worker usr/bin/jooldctl \
         usr/share/doc/joold-supervisor/examples/keepalived/joold-advertise; do
    check "$f, mode 755" has -rwxr-xr-x "$f"
done
for f in lib/systemd/system/joold-supervisor.service \
         usr/share/man/man8/joold.8.gz usr/share/man/man8/joold-supervisor.8.gz \
         usr/share/man/man8/joold-worker.8.gz usr/share/man/man8/jooldctl.8.gz \
         usr/share/bash-completion/completions/joold usr/share/bash-completion/completions/joold-supervisor \
         usr/share/bash-completion/completions/jooldctl \
         usr/share/zsh/vendor-completions/_joold usr/share/zsh/vendor-completions/_joold-supervisor \
         usr/share/zsh/vendor-completions/_jooldctl \
         usr/share/fish/vendor_completions.d/joold.fish usr/share/fish/vendor_completions.d/joold-supervisor.fish \
         usr/share/fish/vendor_completions.d/jooldctl.fish \
         usr/share/doc/joold-supervisor/README.md usr/share/doc/joold-supervisor/copyright \
         usr/share/doc/joold-supervisor/changelog.gz \
         usr/share/doc/joold-supervisor/examples/keepalived/keepalived.conf \
         usr/share/doc/joold-supervisor/examples/joold.service \
         usr/share/doc/joold-supervisor/examples/netsocket.json; do
    check "$f, mode 644" has -rw-r--r-- "$f"
done
here=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$here"/docs/*.md; do
    check "docs/$(basename "$f")" has -rw-r--r-- "usr/share/doc/joold-supervisor/docs/$(basename "$f")"
done
check "every file is root's" bash -c "dpkg-deb -c '$deb' | awk '\$2 != \"root/root\" { bad = 1 } END { exit bad }'"
check "nothing in /usr/local or /var/lib (the state directory is postinst's)" \
    bash -c "! grep -qE ' ./(usr/local|var)/' <<<'$listing'"
check "the programs are stripped" bash -c "! file '$root'/usr/sbin/* '$root'/usr/bin/jooldctl | grep -q 'not stripped'"
# The manual page is gzip-compressed man source that man can read.
check "joold.8.gz is this package's page" bash -c "zcat '$root/usr/share/man/man8/joold.8.gz' | grep -q 'drop-in replacement'"

control=$(dpkg-deb -f "$deb")
depends() {  # depends PACKAGE...: each in Depends, libc6 with a version
    local line package
    line=$(grep '^Depends:' <<<"$control")
    grep -qE 'libc6 \(>= [0-9.]+\)' <<<"$line" || { echo "    $line"; return 1; }
    for package; do grep -qE "(: |, )$package( |,|$)" <<<"$line" || { echo "    $line"; return 1; }; done
}
check "Depends: libc6 (>= version), libmnl0, libjansson4" depends libc6 libmnl0 libjansson4
check "Architecture: amd64" grep -qx 'Architecture: amd64' <<<"$control"
check "maintainer scripts: preinst postinst prerm postrm md5sums" \
    bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -t | sort | tr '\n' ' ' | grep -q './md5sums ./postinst ./postrm ./preinst ./prerm'"

echo "deb: $passed passed, $failed failed"
[ $failed -eq 0 ]
