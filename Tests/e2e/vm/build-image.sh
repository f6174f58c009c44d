#!/usr/bin/env bash
# Builds the real-kernel test guest for one Jool version, or reuses the cached one when
# nothing changed.
#
#   build-image.sh [--jool VERSION]     (or JOOLD_JOOL=VERSION; default 4.1.9)
#
#   4.1.9   Debian bookworm: jool-dkms and jool-tools 4.1.9, kernel 6.1
#   4.1.13  Debian trixie: jool-dkms and jool-tools 4.1.13, kernel 6.12
#   4.1.15  Debian trixie with sid pinned low: jool-dkms, jool-tools and the libnl they
#           need from sid, everything else (the 6.12 kernel included) from trixie
#
# Everything that differs between the versions (Debian release, where Jool comes from,
# the DKMS module's name, the kernel's compression) is handled here; the scenarios only
# see a guest with `jool`, `joold` and the module.
#
# Output, one folder per version ($JOOLD_VM_CACHE/jool-VERSION, default cache root
# /var/cache/joold-supervisor/vm, outside git):
#   vmlinux            uncompressed guest kernel (PVH entry: boots fast under TCG)
#   initramfs.cpio.gz  busybox + the modules needed to mount the root disk and 9p shares
#   rootfs.ext4        the Debian guest with Jool (the DKMS module built for the guest
#                      kernel, jool-tools), networking tools and keepalived
#   image.key          hash of everything the image is built from; a match means "up to date"
#   kernel-version, jool-version   what the image holds
#
# Everything comes from Debian's package registry. Host prerequisites are installed with apt.
# Exit codes: 0 built or up to date; 3 the package registry could not be reached (callers
# report SKIPPED); 2 usage (unknown version); anything else is a build failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
jool_version=${JOOLD_JOOL:-4.1.9}
while [ $# -gt 0 ]; do
    case $1 in
        --jool) jool_version=$2; shift 2 ;;
        -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
        *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
    esac
done

# suite: the Debian release debootstrap installs. from_sid: packages installed afterwards
# from sid (pinned low, so nothing else comes from there).
from_sid=()
case $jool_version in
    4.1.9) suite=bookworm ;;
    4.1.13) suite=trixie ;;
    4.1.15) suite=trixie from_sid=(jool-dkms jool-tools libnl-3-200 libnl-genl-3-200) ;;
    *) echo "build-image: unknown Jool version '$jool_version' (4.1.9, 4.1.13 or 4.1.15)" >&2; exit 2 ;;
esac
cache=${JOOLD_VM_CACHE:-/var/cache/joold-supervisor/vm}/jool-$jool_version

# Guest packages. libmnl0 and libjansson4 are the runtime libraries the project links;
# the scenarios read jooldctl's JSON with jq.
guest_packages=(
    linux-image-amd64 linux-headers-amd64 jool-dkms jool-tools
    iproute2 iputils-ping socat netcat-openbsd tcpdump keepalived jq
    libmnl0 libjansson4 kmod busybox-static procps psmisc
)
host_packages=(qemu-system-x86 debootstrap kmod cpio xz-utils zstd e2fsprogs)

log() { printf 'build-image %s: %s\n' "$jool_version" "$*" >&2; }

# Bump when the steps that make the root file system change.
rootfs_recipe=2

# The rootfs key covers what goes into the root file system; the image key covers that
# and the files that shape the boot artifacts.
rootfs_key() {
    printf '%s\n' "$rootfs_recipe" "$jool_version" "$suite" "${guest_packages[@]}" "sid:" "${from_sid[@]}" |
        sha256sum | cut -d' ' -f1
}

image_key() {
    { rootfs_key; cat "$here/build-image.sh" "$here/initramfs-init"; } |
        sha256sum | cut -d' ' -f1
}

up_to_date() {
    local f
    for f in vmlinux initramfs.cpio.gz rootfs.ext4 image.key; do
        [ -s "$cache/$f" ] || return 1
    done
    [ "$(cat "$cache/image.key")" = "$(image_key)" ]
}

# Exit 3 when a log shows that the package registry could not be reached.
registry_unreachable_exit() {
    if grep -qE 'Failed getting release file|Couldn.t download|Could not resolve|Temporary failure|Unable to connect|Failed to fetch' "$1"; then
        log "the package registry cannot be reached (see $1)"
        exit 3
    fi
}

install_host_prerequisites() {
    local missing=() p
    for p in "${host_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing host packages: ${missing[*]}"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$cache/apt-host.log" 2>&1; then
        tail -n 20 "$cache/apt-host.log" >&2
        registry_unreachable_exit "$cache/apt-host.log"
        log "apt-get failed (see $cache/apt-host.log)"
        exit 1
    fi
}

# The Debian mirror the host's apt already uses for its own release (no host name is
# written into this project); the same mirror serves every Debian release.
debian_mirror() {
    local host_release uri
    host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    uri=$(awk -v r="$host_release" '/^URIs:/ {u=$2} /^Suites:/ && u && $0 ~ "(^| )" r "( |$)" {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk -v r="$host_release" '$1=="deb" && $3==r {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    printf '%s' "${uri:-http://deb.debian.org/debian}"
}

# Packages debootstrap installs: those from sid come later.
debootstrap_packages() {
    local p s skip
    for p in "${guest_packages[@]}"; do
        skip=0
        for s in "${from_sid[@]}"; do [ "$p" = "$s" ] && skip=1; done
        [ $skip = 1 ] || printf '%s\n' "$p"
    done
}

build_rootfs() {
    local root=$1 mirror packages
    rm -rf "$root"
    mirror=$(debian_mirror)
    packages=$(debootstrap_packages | paste -sd,)
    log "debootstrap $suite from $mirror ($(debootstrap_packages | wc -l) extra packages)"
    if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
            >"$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log" >&2
        registry_unreachable_exit "$cache/debootstrap.log"
        log "debootstrap failed (see $cache/debootstrap.log)"
        exit 1
    fi
    # The guest's own sources (the host's lists only its own release).
    echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
    [ ${#from_sid[@]} -eq 0 ] || install_from_sid "$root" "$mirror"
}

# sid with a low pin: only the packages named "/sid" come from there. sid's Release file is
# valid for a week only; a mirror or snapshot that lags behind would be refused without
# Check-Valid-Until=false (the signature is still checked).
install_from_sid() {
    local root=$1 mirror=$2 p names=()
    echo "deb $mirror sid main" >>"$root/etc/apt/sources.list"
    printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >"$root/etc/apt/preferences.d/sid-low"
    for p in "${from_sid[@]}"; do names+=("$p/sid"); done
    log "installing from sid: ${names[*]}"
    mount -t proc proc "$root/proc"
    if ! { chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -q &&
           chroot "$root" env DEBIAN_FRONTEND=noninteractive \
               apt-get install -y -q --no-install-recommends "${names[@]}"; } >"$cache/apt-sid.log" 2>&1; then
        umount "$root/proc"
        tail -n 20 "$cache/apt-sid.log" >&2
        registry_unreachable_exit "$cache/apt-sid.log"
        log "installing from sid failed (see $cache/apt-sid.log)"
        exit 1
    fi
    umount "$root/proc"
}

# The Jool the release really ships must be the one asked for (a point release may move on).
check_jool_version() {
    local root=$1 tools
    tools=$(chroot "$root" dpkg-query -W -f='${Version}' jool-tools)
    case $tools in
        "$jool_version"-*) ;;
        *) log "$suite${from_sid:+ + sid} now ships jool-tools $tools, not $jool_version"; exit 1 ;;
    esac
}

# The jool modules for the guest kernel. The package's DKMS AUTOINSTALL normally built
# them during debootstrap or apt-get; if not (DKMS in a chroot builds only for the kernel
# given explicitly), build them under the name the package registered: jool-dkms/4.1.9 in
# bookworm, jool/4.1.13 in trixie, jool/4.1.15 in sid (PACKAGE_NAME of its dkms.conf).
build_jool_module() {
    local root=$1 kv=$2 conf name version
    if ! has_jool_module "$root" "$kv"; then
        conf=$(ls "$root"/usr/src/jool*/dkms.conf | head -n1)
        name=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$conf")
        version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$conf")
        log "building DKMS module $name/$version for guest kernel $kv"
        mount -t proc proc "$root/proc"
        if ! chroot "$root" dkms install "$name/$version" -k "$kv" >"$cache/dkms.log" 2>&1; then
            umount "$root/proc"
            tail -n 30 "$cache/dkms.log" >&2; log "DKMS build failed"; exit 1
        fi
        umount "$root/proc"
    fi
    chroot "$root" depmod "$kv"
    has_jool_module "$root" "$kv" || { log "no jool module after DKMS"; exit 1; }
}

has_jool_module() { [ -n "$(find "$1/lib/modules/$2" -name 'jool.ko*')" ]; }

configure_rootfs() {
    local root=$1
    echo guest >"$root/etc/hostname"
    printf '127.0.0.1 localhost guest\n::1 localhost\n' >"$root/etc/hosts"
    mkdir -p "$root/job" "$root/project" "$root/opt/swift" "$root/run/netns"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# The uncompressed kernel has a PVH entry point and skips decompression at boot. The
# bzImage header says where the compressed payload is (payload_offset at 0x248 and
# payload_length at 0x24c, from the protected-mode code at (setup_sects + 1) * 512); its
# first bytes say how it is compressed: xz in bookworm, zstd in trixie.
extract_vmlinux() {
    local vmlinuz=$1 out=$2 setup_sects start offset length payload magic
    setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$vmlinuz" | tr -d ' ')
    start=$(( (setup_sects + 1) * 512 ))
    offset=$(od -An -tu4 -j $((0x248)) -N4 "$vmlinuz" | tr -d ' ')
    length=$(od -An -tu4 -j $((0x24c)) -N4 "$vmlinuz" | tr -d ' ')
    payload=$(mktemp)
    dd if="$vmlinuz" of="$payload" bs=64K skip=$((start + offset)) count="$length" \
        iflag=skip_bytes,count_bytes status=none
    magic=$(head -c 4 "$payload" | od -An -tx1 | tr -d ' ')
    case $magic in
        fd377a58) xz -dc --single-stream <"$payload" >"$out" 2>/dev/null || true ;;
        28b52ffd) zstd -dcq <"$payload" >"$out" 2>/dev/null || true ;;
        1f8b*) gzip -dc <"$payload" >"$out" 2>/dev/null || true ;;
        *) rm -f "$payload"; log "unknown kernel compression (payload magic $magic) in $vmlinuz"; exit 1 ;;
    esac
    rm -f "$payload"
    [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { log "extracted kernel is not ELF"; exit 1; }
}

# busybox and the modules for virtio disk, ext4 and 9p, in dependency order, uncompressed
# (trixie's kernel ships its modules xz-compressed; busybox insmod takes them plain).
build_initramfs() {
    local root=$1 kv=$2 out=$3 dir line mod
    dir=$(mktemp -d)
    mkdir -p "$dir"/{bin,proc,sys,dev,newroot,modules}
    cp "$root/bin/busybox" "$dir/bin/busybox"
    for line in sh mount umount mkdir insmod switch_root cat echo sleep; do ln -s busybox "$dir/bin/$line"; done
    : >"$dir/modules/order"
    for mod in virtio_pci virtio_blk ext4 9p 9pnet_virtio; do
        modprobe -d "$root" -S "$kv" --show-depends "$mod" | while read -r kind path _; do
            [ "$kind" = insmod ] || continue
            local name; name=$(basename "$path"); name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
            grep -qx "$name" "$dir/modules/order" && continue
            case $path in
                *.xz) xz -dc "$path" >"$dir/modules/$name" ;;
                *.zst) zstd -dcq "$path" >"$dir/modules/$name" ;;
                *.gz) gzip -dc "$path" >"$dir/modules/$name" ;;
                *) cp "$path" "$dir/modules/$name" ;;
            esac
            echo "$name" >>"$dir/modules/order"
        done
    done
    install -m 755 "$here/initramfs-init" "$dir/init"
    (cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
    rm -rf "$dir"
}

make_ext4() {
    local root=$1 out=$2 size_mb
    size_mb=$(( $(du -sm "$root" | cut -f1) * 12 / 10 + 512 ))
    rm -f "$out"
    mke2fs -q -t ext4 -L guestroot -d "$root" "$out" "${size_mb}M"
}

main() {
    mkdir -p "$cache"
    if up_to_date; then
        log "guest image up to date ($cache)"
        return 0
    fi
    local start=$SECONDS kv root="$cache/rootfs"
    install_host_prerequisites
    if [ "$(cat "$cache/rootfs.key" 2>/dev/null)" != "$(rootfs_key)" ]; then
        rm -rf "$root" "$cache/rootfs.key"
        trap 'umount "'"$root"'.new/proc" 2>/dev/null || true' EXIT
        build_rootfs "$root.new"
        check_jool_version "$root.new"
        kv=$(guest_kernel "$root.new")
        build_jool_module "$root.new" "$kv"
        configure_rootfs "$root.new"
        mv "$root.new" "$root"
        rootfs_key >"$cache/rootfs.key"
    fi
    kv=$(guest_kernel "$root")
    extract_vmlinux "$root/boot/vmlinuz-$kv" "$cache/vmlinux"
    build_initramfs "$root" "$kv" "$cache/initramfs.cpio.gz"
    echo "$kv" >"$cache/kernel-version"
    chroot "$root" dpkg-query -W -f='${Version}\n' jool-tools >"$cache/jool-version"
    make_ext4 "$root" "$cache/rootfs.ext4"
    image_key >"$cache/image.key"
    log "guest image built in $((SECONDS - start)) s: kernel $kv, jool-tools $(cat "$cache/jool-version") ($cache)"
}

guest_kernel() { basename "$(ls -d "$1"/lib/modules/* | sort -V | tail -n1)"; }

main "$@"
