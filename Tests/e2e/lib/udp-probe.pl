#!/usr/bin/perl
# udp-probe.pl ADDRESS PORT LOCAL_PORT INTERVAL: one UDP flow (fixed local port, so one
# NAT64 session) sending "SEQ SENT_AT" every INTERVAL seconds to an echo server; prints
# "SEQ SENT_AT RECEIVED_AT" for each echo. The gaps between the send times of consecutive
# echoed probes measure an interruption.
use strict;
use warnings;
use Socket qw(AF_INET6 SOCK_DGRAM inet_pton pack_sockaddr_in6 IN6ADDR_ANY);
use Time::HiRes qw(time);

my ($address, $port, $local_port, $interval) = @ARGV;
die "usage: udp-probe.pl ADDRESS PORT LOCAL_PORT INTERVAL\n" unless defined $interval;
socket(my $sock, AF_INET6, SOCK_DGRAM, 0) or die "socket: $!\n";
bind($sock, pack_sockaddr_in6($local_port, IN6ADDR_ANY)) or die "bind to port $local_port: $!\n";
my $dest = pack_sockaddr_in6($port, inet_pton(AF_INET6, $address));
$| = 1;

my ($seq, $next) = (0, time);
while (1) {
    my $now = time;
    if ($now >= $next) {
        $seq++;
        send($sock, sprintf("%d %.6f\n", $seq, $now), 0, $dest);  # no route: lost, as on a wire
        $next += $interval;
        $next = $now + $interval if $next < $now;  # the emulated guest stalled: do not burst
    }
    my $wait = $next - time;
    $wait = 0 if $wait < 0;
    my $rin = '';
    vec($rin, fileno($sock), 1) = 1;
    next unless select(my $rout = $rin, undef, undef, $wait) > 0;
    defined(recv($sock, my $buffer, 4096, 0)) or next;
    my $received = time;
    # The echo server may hand back several probes in one datagram.
    printf "%s %.6f\n", $_, $received for grep { /^\d+ [\d.]+$/ } split /\n/, $buffer;
}
