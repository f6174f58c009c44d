#!/usr/bin/env bash
# Builds the real-kernel test guest, or reuses the cached one when nothing changed.
#
# Output (in $JOOLD_VM_CACHE, default /var/cache/joold-supervisor/vm, outside git):
#   vmlinux            uncompressed guest kernel (PVH entry: boots fast under TCG)
#   initramfs.cpio.gz  busybox + the modules needed to mount the root disk and 9p shares
#   rootfs.ext4        Debian bookworm with Jool 4.1.9 (jool-dkms built for the guest
#                      kernel, jool-tools), networking tools and keepalived
#   image.key          hash of everything the image is built from; a match means "up to date"
#
# Everything comes from Debian's package registry. Host prerequisites are installed with apt.
# Exit codes: 0 built or up to date; 3 the package registry could not be reached (callers
# report SKIPPED); anything else is a build failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${JOOLD_VM_CACHE:-/var/cache/joold-supervisor/vm}
suite=bookworm

# Guest packages. libmnl0 and libjansson4 are the runtime libraries the project links;
# the scenarios read jooldctl's JSON with jq.
guest_packages=(
    linux-image-amd64 linux-headers-amd64 jool-dkms jool-tools
    iproute2 iputils-ping socat netcat-openbsd tcpdump keepalived jq
    libmnl0 libjansson4 kmod busybox-static procps psmisc
)
host_packages=(qemu-system-x86 debootstrap kmod cpio xz-utils e2fsprogs)

log() { printf 'build-image: %s\n' "$*" >&2; }

# Bump when the steps that make the root file system change.
rootfs_recipe=1

# The rootfs key covers what goes into the root file system; the image key covers that
# and the files that shape the boot artifacts.
rootfs_key() {
    printf '%s\n' "$rootfs_recipe" "$suite" "${guest_packages[@]}" | sha256sum | cut -d' ' -f1
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
        if grep -qE 'Could not resolve|Failed to fetch|Temporary failure|Unable to connect' "$cache/apt-host.log"; then
            log "the package registry cannot be reached (see $cache/apt-host.log)"
            exit 3
        fi
        log "apt-get failed (see $cache/apt-host.log)"
        exit 1
    fi
}

# The Debian mirror the host's apt already uses (no host name is written into this project).
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && u && $0 ~ /(^| )bookworm( |$)/ {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    printf '%s' "$uri"   # empty: debootstrap's own default
}

build_rootfs() {
    local root=$1 mirror
    rm -rf "$root"
    mirror=$(debian_mirror)
    log "debootstrap $suite (${#guest_packages[@]} extra packages)"
    if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${guest_packages[*]}")" \
            "$suite" "$root" $mirror >"$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log" >&2
        if grep -qE 'Failed getting release file|Couldn.t download|Could not resolve|Temporary failure' "$cache/debootstrap.log"; then
            log "the package registry cannot be reached (see $cache/debootstrap.log)"
            exit 3
        fi
        log "debootstrap failed (see $cache/debootstrap.log)"
        exit 1
    fi
}

# DKMS in a chroot only builds for the guest kernel when asked explicitly.
build_jool_module() {
    local root=$1 kv=$2 dkms_version
    dkms_version=$(basename "$(ls -d "$root"/usr/src/jool-dkms-* | head -n1)" | sed 's/^jool-dkms-//')
    log "building jool-dkms $dkms_version for guest kernel $kv"
    mount -t proc proc "$root/proc"
    trap 'umount "$root/proc" 2>/dev/null || true' RETURN
    chroot "$root" dkms install "jool-dkms/$dkms_version" -k "$kv" >"$cache/dkms.log" 2>&1 ||
        { tail -n 30 "$cache/dkms.log" >&2; log "DKMS build failed"; exit 1; }
    chroot "$root" depmod "$kv"
    find "$root/lib/modules/$kv" -name 'jool*.ko*' | grep -q . || { log "no jool module after DKMS"; exit 1; }
}

configure_rootfs() {
    local root=$1
    echo guest >"$root/etc/hostname"
    printf '127.0.0.1 localhost guest\n::1 localhost\n' >"$root/etc/hosts"
    mkdir -p "$root/job" "$root/project" "$root/opt/swift" "$root/run/netns"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# The uncompressed kernel has a PVH entry point and skips xz decompression at boot.
extract_vmlinux() {
    local vmlinuz=$1 out=$2 offset
    offset=$(grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
    [ -n "$offset" ] || { log "no xz payload in $vmlinuz"; exit 1; }
    tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream >"$out" 2>/dev/null || true
    [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { log "extracted kernel is not ELF"; exit 1; }
}

# busybox and the modules for virtio disk, ext4 and 9p, in dependency order.
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
            local name; name=$(basename "$path")
            grep -qx "$name" "$dir/modules/order" && continue
            cp "$path" "$dir/modules/$name"
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
        trap 'umount "'"$root"'/proc" 2>/dev/null || true' EXIT
        build_rootfs "$root.new"
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
    chroot "$root" dpkg-query -W -f='${Version}' jool-tools >"$cache/jool-version"
    make_ext4 "$root" "$cache/rootfs.ext4"
    image_key >"$cache/image.key"
    log "guest image built in $((SECONDS - start)) s: kernel $kv, jool $(cat "$cache/jool-version")"
}

guest_kernel() { basename "$(ls -d "$1"/lib/modules/* | sort -V | tail -n1)"; }

main "$@"
