/*
 * udp-flows: opens COUNT new UDP flows to one server, each from its own source port,
 * at RATE flows per second (0: as fast as possible). Each flow is one datagram from its
 * own socket bound to the next source port, so each makes one new NAT64 session. The
 * sockets are opened before the clock starts, so the timed loop is one sendto a flow.
 * Used by the completeness benchmark (Tests/e2e/bench) inside the guest.
 *
 *   udp-flows SERVER_IPV6 PORT FIRST_SOURCE_PORT COUNT RATE
 *
 * Prints "sent N flows in S s (R flows/s), F failed" and exits 0, or 2 on bad usage.
 * Failed sends are counted, never hidden.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long number(const char *text, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || value < min || value > max) {
        fprintf(stderr, "udp-flows: %s must be a number from %ld to %ld, not '%s'\n", what, min, max, text);
        exit(2);
    }
    return value;
}

/* A UDP socket bound to source port `port`, or -1. */
static int bound_socket(int port)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in6 local = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any };
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Room for COUNT descriptors at once, as far as the hard limit allows. */
static void raise_descriptor_limit(long count)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    rlim_t wanted = (rlim_t)count + 16;
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = wanted < limit.rlim_max ? wanted : limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: udp-flows SERVER_IPV6 PORT FIRST_SOURCE_PORT COUNT RATE\n");
        return 2;
    }
    struct sockaddr_in6 server = { .sin6_family = AF_INET6 };
    if (inet_pton(AF_INET6, argv[1], &server.sin6_addr) != 1) {
        fprintf(stderr, "udp-flows: '%s' is not an IPv6 address\n", argv[1]);
        return 2;
    }
    server.sin6_port = htons(number(argv[2], "PORT", 1, 65535));
    long first = number(argv[3], "FIRST_SOURCE_PORT", 1024, 65535);
    long count = number(argv[4], "COUNT", 1, 65535 - first + 1);
    long rate = number(argv[5], "RATE", 0, 10000000);

    raise_descriptor_limit(count);
    int *sockets = calloc(count, sizeof(int));
    if (!sockets) {
        fprintf(stderr, "udp-flows: out of memory\n");
        return 1;
    }
    for (long i = 0; i < count; i++)
        sockets[i] = bound_socket((int)(first + i));

    double start = now();
    long failed = 0;
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            /* Absolute schedule: a late flow does not delay the ones after it. */
            double due = start + (double)i / rate, wait = due - now();
            if (wait > 0) {
                struct timespec t = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
                nanosleep(&t, NULL);
            }
        }
        if (sockets[i] < 0
            || sendto(sockets[i], "flow", 4, 0, (const struct sockaddr *)&server, sizeof(server)) != 4)
            failed++;
    }
    double elapsed = now() - start;
    for (long i = 0; i < count; i++)
        if (sockets[i] >= 0)
            close(sockets[i]);
    free(sockets);
    printf("sent %ld flows in %.3f s (%.0f flows/s), %ld failed\n",
           count - failed, elapsed, elapsed > 0 ? (count - failed) / elapsed : 0.0, failed);
    return 0;
}
