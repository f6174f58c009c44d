#ifndef JOOLD_BENCHDRIVER_H
#define JOOLD_BENCHDRIVER_H
/* The lean side of joold-bench: plays the Jool kernel at full speed over the Unix
 * seqpacket socket a worker (or the floor loop) is connected to, and times the
 * multicast datagrams it emits. Plain C with pre-built bytes so that the driver is
 * never what limits the measurement. No system headers here (see cshim.h). */
#include <stddef.h>
#include <stdint.h>

/* How the driver tells the worker's messages apart: netlink type = family id, then the
 * generic-netlink command. Anything else is a request for the simulated kernel. */
struct bench_classify {
	uint16_t family_id;
	uint8_t ack_command;
	uint8_t add_command;
};

struct bench_result {
	double seconds;          /* first send to last ACK / ADD */
	uint64_t completed;      /* ACKs (kernel to network) or ADDs (network to kernel) */
	uint64_t forwarded;      /* other requests handed to the simulated kernel */
	uint64_t datagrams_seen; /* datagrams the listener received (kernel to network) */
	double latency_p50_us;   /* kernel message sent -> datagram received (kernel timestamp) */
	double latency_p99_us;
	double latency_max_us;
	int error;               /* 0, or an errno: the run stopped early */
};

/* Copies whatever the worker sends on kfd to simfd (requests for the simulated kernel),
 * dropping ACK and ADD, for `milliseconds`. Used while the worker starts and between runs. */
int bench_pump(int kfd, int simfd, int milliseconds, const struct bench_classify *classify);

/* A thread copying the simulated kernel's answers (simfd) back to the worker (kfd).
 * Ends when simfd is shut down (bench_forwarder_stop) or closed by the simulator. */
struct bench_forwarder;
struct bench_forwarder *bench_forwarder_start(int simfd, int kfd);
void bench_forwarder_stop(struct bench_forwarder *forwarder);

/* Kernel to network: sends `count` copies of the session packet `message` (its 4 bytes
 * at `index_offset` replaced by the packet's number), at most `window` unACKed (1 is
 * Jool's behaviour), and times their datagrams on `listenfd` (a UDP socket joined to
 * the group; SO_TIMESTAMPNS is turned on here). simfd may be -1 (no simulated kernel). */
int bench_kernel_to_network(int kfd, int simfd, int listenfd, uint8_t *message, size_t length,
			    size_t index_offset, uint64_t count, unsigned window,
			    const struct bench_classify *classify, struct bench_result *result);

/* Network to kernel: sends `count` copies of `payload` from `sendfd` to `destination`
 * (a struct sockaddr of `destination_length` bytes), at most `window` datagrams ahead of
 * the ADDs received on kfd. */
int bench_network_to_kernel(int kfd, int simfd, int sendfd, const uint8_t *payload, size_t length,
			    const void *destination, unsigned destination_length, uint64_t count,
			    unsigned window, const struct bench_classify *classify,
			    struct bench_result *result);

/* utime + stime of a process (all its threads) in microseconds, from /proc/PID/stat;
 * -1 when unreadable. */
double bench_process_cpu_us(int pid);

#endif
