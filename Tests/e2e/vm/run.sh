#!/usr/bin/env bash
# Boots the guest built by build-image.sh, runs one command in it as root, prints the
# command's output (stdout and stderr together) and exits with the command's exit code.
#
#   run.sh [--jool VERSION] [--timeout SECONDS] [--share HOST_DIR:GUEST_DIR]... [--artifacts DIR]
#          [--] COMMAND...
#
# --jool (or JOOLD_JOOL) picks the image: 4.1.9 (default), 4.1.13 or 4.1.15.
# The project root is shared read-only at /project, and /opt/swift (the Swift runtime of
# host-built binaries) at /opt/swift. Each run starts from the pristine image (the disk is
# opened with snapshot=on), so runs are independent and may run side by side.
# Exit codes: the command's own; 124 on timeout; 125 if the guest ended without one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../../.." && pwd)
jool_version=${JOOLD_JOOL:-4.1.9}
timeout=${JOOLD_VM_TIMEOUT:-600}
memory=${JOOLD_VM_MEMORY:-2048}
shares=("$project:/project")
[ -d /opt/swift ] && shares+=("/opt/swift:/opt/swift")
artifacts=

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --jool) jool_version=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --share) shares+=("$2"); shift 2 ;;
        --artifacts) artifacts=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage ;;
        -*) echo "run.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage
cache=${JOOLD_VM_CACHE:-/var/cache/joold-supervisor/vm}/jool-$jool_version
for f in vmlinux initramfs.cpio.gz rootfs.ext4; do
    [ -s "$cache/$f" ] ||
        { echo "run.sh: no Jool $jool_version guest image in $cache (run build-image.sh --jool $jool_version first)" >&2; exit 125; }
done

job=$(mktemp -d /tmp/joold-vm-job.XXXXXX)
trap 'rm -rf "$job"' EXIT
cp "$here/guest-init" "$job/guest-init"
printf '%q ' "$@" >"$job/cmd"; echo >>"$job/cmd"

qemu_shares=()
i=0
: >"$job/shares"
for s in "${shares[@]}"; do
    host=${s%%:*} guest=${s#*:}
    [ -d "$host" ] || { echo "run.sh: shared folder $host does not exist" >&2; exit 2; }
    qemu_shares+=(-virtfs "local,path=$host,mount_tag=share$i,security_model=none,readonly=on")
    echo "share$i $guest" >>"$job/shares"
    i=$((i + 1))
done

# TCG unless the CPU really offers hardware virtualization (this machine's /dev/kvm is a
# software variant that is far slower than TCG).
accel=(-accel tcg,thread=multi -cpu max)
if grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -w /dev/kvm ]; then accel=(-accel kvm -cpu host); fi

set +e
timeout --kill-after=5 "$timeout" qemu-system-x86_64 \
    -machine pc "${accel[@]}" -smp 2 -m "$memory" \
    -nodefaults -no-reboot -display none \
    -serial "file:$job/console.log" \
    -serial "file:$job/output" \
    -kernel "$cache/vmlinux" -initrd "$cache/initramfs.cpio.gz" \
    -append "console=ttyS0 loglevel=3 tsc=reliable panic=-1 rootwait" \
    -drive "file=$cache/rootfs.ext4,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$job,mount_tag=job,security_model=none" \
    "${qemu_shares[@]}" </dev/null &
qemu_pid=$!
# Stream the command's output as it comes (QEMU writes it to a file of its own).
touch "$job/output"
tail -n +1 -f --pid=$qemu_pid "$job/output"
wait $qemu_pid
qemu_rc=$?
set -e

if [ -n "$artifacts" ]; then
    mkdir -p "$artifacts"
    cp -f "$job"/console.log "$job"/dmesg "$job"/syslog "$artifacts"/ 2>/dev/null || true
fi
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
    echo "run.sh: the guest did not finish within ${timeout} s" >&2
    exit 124
fi
if [ ! -s "$job/rc" ]; then
    echo "run.sh: the guest ended without an exit code (qemu exit $qemu_rc); its console:" >&2
    tail -n 30 "$job/console.log" >&2
    exit 125
fi
exit "$(cat "$job/rc")"
