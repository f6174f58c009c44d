# What differs between the Jool versions the real-kernel bench runs, in one place: the
# host (suite.sh: which cases, what to expect) and the guest (lib/topology.sh: which
# command) both source it. The guest asks its own kernel (/sys/module/jool/version);
# how each version's image is made is vm/build-image.sh's business.

readonly JOOL_VERSIONS="4.1.9 4.1.13 4.1.15"

jool_known_version() { [[ " $JOOL_VERSIONS " == *" $1 "* ]]; }

# jool_at_least VERSION MINIMUM (dotted numbers; 4.1.13.0 counts as 4.1.13)
jool_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# 4.1.11 fixed the kernel's advertise: 4.1.9 and 4.1.10 answer JNLOP_JOOLD_ADVERTISE with
# success and send nothing, so stock advertise restores nothing there.
jool_kernel_advertises() { jool_at_least "$1" 4.1.11; }

# 4.1.13 made the daemon `jool session proxy` (joold stays, deprecated, same code) and
# spells advertise `jool session advertise` (`jool joold advertise` stays, hidden).
jool_has_session_proxy() { jool_at_least "$1" 4.1.13; }

jool_advertise_command() {
    if jool_has_session_proxy "$1"; then echo "jool session advertise"; else echo "jool joold advertise"; fi
}

# The bytes of one session record on the sync link (a datagram holds whole records and
# nothing else): 140 (nested attributes) up to 4.1.11, 52 in 4.1.12, 40 from 4.1.13 on
# (packed, without the IPv6 destination).
jool_session_record_bytes() {
    if jool_at_least "$1" 4.1.13; then echo 40; elif jool_at_least "$1" 4.1.12; then echo 52; else echo 140; fi
}
