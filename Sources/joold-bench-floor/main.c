/* joold-bench-floor: the floor of the relay benchmark. The system calls a worker must
 * make per session packet, with no logic at all:
 *
 *   k2n: recv (kernel socket) -> sendto (UDP multicast datagram) -> send (ACK)
 *   n2k: recv (UDP datagram)  -> send (JOOLD_ADD to the kernel socket)
 *
 * Usage: joold-bench-floor k2n|n2k KERNEL-SOCKET GROUP6 PORT INTERFACE HEX
 * HEX is the ACK message (k2n) or the 52-byte head of an ADD message (n2k): nlmsghdr,
 * genl header, Jool header, container header; their lengths are patched per datagram.
 * Runs until the kernel socket closes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HEAD 52 /* nlmsghdr 16 + genl 4 + Jool header 28 + attribute header 4 */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static size_t unhex(const char *text, uint8_t *out, size_t capacity)
{
	size_t n = 0;
	for (; text[0] && text[1] && n < capacity; text += 2)
		sscanf(text, "%2hhx", &out[n++]);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s k2n|n2k KERNEL-SOCKET GROUP6 PORT INTERFACE HEX\n", argv[0]);
		return 2;
	}
	int k2n = strcmp(argv[1], "k2n") == 0;
	int kfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un unix_address = { .sun_family = AF_UNIX };
	strncpy(unix_address.sun_path, argv[2], sizeof(unix_address.sun_path) - 1);
	if (kfd < 0 || connect(kfd, (struct sockaddr *)&unix_address, sizeof(unix_address)) != 0)
		die("connect kernel socket");

	struct sockaddr_in6 group = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[4])) };
	if (inet_pton(AF_INET6, argv[3], &group.sin6_addr) != 1)
		die("group address");
	unsigned interface = if_nametoindex(argv[5]);
	if (!interface)
		die("interface");
	int udp = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int zero = 0, one = 1, size = 4 << 20;
	setsockopt(udp, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero));
	setsockopt(udp, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof(one));
	setsockopt(udp, IPPROTO_IPV6, IPV6_MULTICAST_IF, &interface, sizeof(interface));
	setsockopt(udp, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));

	static uint8_t buffer[65536];
	uint8_t fixed[256];
	size_t fixed_length = unhex(argv[6], fixed, sizeof(fixed));

	if (k2n) {
		printf("ready\n");
		fflush(stdout);
		for (;;) {
			ssize_t n = recv(kfd, buffer, sizeof(buffer), 0);
			if (n <= 0)
				return 0;
			if (n < HEAD)
				continue;
			uint16_t container;
			memcpy(&container, buffer + HEAD - 4, 2);
			sendto(udp, buffer + HEAD, (size_t)container - 4, 0, (struct sockaddr *)&group, sizeof(group));
			send(kfd, fixed, fixed_length, MSG_NOSIGNAL);
		}
	}
	if (fixed_length != HEAD) {
		fprintf(stderr, "the ADD head must be %d bytes\n", HEAD);
		return 2;
	}
	setsockopt(udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(udp, (struct sockaddr *)&group, sizeof(group)) != 0)
		die("bind");
	struct ipv6_mreq membership = { .ipv6mr_multiaddr = group.sin6_addr, .ipv6mr_interface = interface };
	if (setsockopt(udp, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &membership, sizeof(membership)) != 0)
		die("IPV6_ADD_MEMBERSHIP");
	memcpy(buffer, fixed, HEAD);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = recv(udp, buffer + HEAD, 2048, 0);
		if (n < 0)
			continue;
		uint32_t total = (uint32_t)(HEAD + n);
		uint16_t container = (uint16_t)(4 + n);
		memcpy(buffer, &total, 4);
		memcpy(buffer + HEAD - 4, &container, 2);
		if (send(kfd, buffer, total, MSG_NOSIGNAL) < 0)
			return 0;
	}
}
