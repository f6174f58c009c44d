#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "benchdriver.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#define BUFFER_SIZE 65536
#define BATCH 64

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 0 = a request for the simulated kernel, 1 = ACK, 2 = ADD. */
static int classify_message(const uint8_t *bytes, ssize_t count, const struct bench_classify *c)
{
	uint16_t type;
	if (count < 20)
		return 0;
	memcpy(&type, bytes + 4, 2);
	if (type != c->family_id)
		return 0;
	if (bytes[16] == c->ack_command)
		return 1;
	if (bytes[16] == c->add_command)
		return 2;
	return 0;
}

static void set_receive_timeout(int fd, int milliseconds)
{
	struct timeval tv = { .tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int bench_pump(int kfd, int simfd, int milliseconds, const struct bench_classify *classify)
{
	static uint8_t buffer[BUFFER_SIZE];
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)milliseconds * 1000000u;
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return 0;
		struct pollfd entry = { .fd = kfd, .events = POLLIN };
		int ready = poll(&entry, 1, (int)((deadline - now) / 1000000u) + 1);
		if (ready < 0 && errno != EINTR)
			return errno;
		if (ready <= 0)
			continue;
		ssize_t count = recv(kfd, buffer, sizeof(buffer), MSG_DONTWAIT);
		if (count == 0)
			return ECONNRESET;
		if (count < 0)
			continue;
		if (classify_message(buffer, count, classify) == 0 && simfd >= 0)
			send(simfd, buffer, (size_t)count, MSG_NOSIGNAL);
	}
}

struct bench_forwarder {
	pthread_t thread;
	int simfd, kfd;
};

static void *forward(void *argument)
{
	struct bench_forwarder *f = argument;
	uint8_t *buffer = malloc(BUFFER_SIZE);
	for (;;) {
		ssize_t count = recv(f->simfd, buffer, BUFFER_SIZE, 0);
		if (count < 0 && errno == EINTR)
			continue;
		if (count <= 0)
			break;
		send(f->kfd, buffer, (size_t)count, MSG_NOSIGNAL);
	}
	free(buffer);
	return NULL;
}

struct bench_forwarder *bench_forwarder_start(int simfd, int kfd)
{
	struct bench_forwarder *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->simfd = simfd;
	f->kfd = kfd;
	if (pthread_create(&f->thread, NULL, forward, f) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

void bench_forwarder_stop(struct bench_forwarder *f)
{
	if (!f)
		return;
	shutdown(f->simfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	free(f);
}

/* ---- kernel to network ---- */

struct listener {
	pthread_t thread;
	int fd;
	uint64_t count;
	size_t index_offset; /* where the packet number sits in the datagram */
	uint64_t *arrival;   /* CLOCK_REALTIME ns, by packet number; 0 = not seen */
	uint64_t seen;
};

static void *listen_datagrams(void *argument)
{
	struct listener *l = argument;
	static uint8_t buffers[BATCH][2048];
	static uint8_t controls[BATCH][256];
	struct mmsghdr headers[BATCH];
	struct iovec vectors[BATCH];
	while (l->seen < l->count) {
		for (int i = 0; i < BATCH; i++) {
			vectors[i] = (struct iovec){ .iov_base = buffers[i], .iov_len = sizeof(buffers[i]) };
			headers[i].msg_hdr = (struct msghdr){ .msg_iov = &vectors[i], .msg_iovlen = 1,
							      .msg_control = controls[i],
							      .msg_controllen = sizeof(controls[i]) };
		}
		int got = recvmmsg(l->fd, headers, BATCH, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break; /* the 1 s receive timeout: the rest is lost */
		}
		for (int i = 0; i < got; i++) {
			uint32_t index;
			uint64_t stamp = 0;
			if (headers[i].msg_len < l->index_offset + 4)
				continue;
			memcpy(&index, buffers[i] + l->index_offset, 4);
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&headers[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&headers[i].msg_hdr, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					stamp = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
				}
			}
			if (!stamp)
				stamp = now_ns(CLOCK_REALTIME);
			if (index < l->count && !l->arrival[index]) {
				l->arrival[index] = stamp;
				l->seen++;
			}
		}
	}
	return NULL;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void drain_socket(int fd)
{
	uint8_t buffer[2048];
	while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0)
		;
}

/* Receives one message from the worker on the kernel socket: returns its class (see
 * classify_message), forwarding class 0 (anything else the worker sent) to the simulator,
 * -2 to retry (EINTR) or -1 with result->error set (EAGAIN: nothing within the timeout). */
static int receive_from_worker(int kfd, int simfd, uint8_t *buffer, size_t size,
			       const struct bench_classify *classify, struct bench_result *result)
{
	ssize_t got = recv(kfd, buffer, size, 0);
	if (got < 0 && errno == EINTR)
		return -2;
	if (got <= 0) {
		result->error = got == 0 ? ECONNRESET : errno;
		return -1;
	}
	int kind = classify_message(buffer, got, classify);
	if (kind == 0 && simfd >= 0) {
		send(simfd, buffer, (size_t)got, MSG_NOSIGNAL);
		result->forwarded++;
	}
	return kind;
}

int bench_kernel_to_network(int kfd, int simfd, int listenfd, uint8_t *message, size_t length,
			    size_t index_offset, uint64_t count, unsigned window,
			    const struct bench_classify *classify, struct bench_result *result)
{
	static uint8_t buffer[BUFFER_SIZE];
	size_t payload_offset = 16 + 4 + 28 + 4; /* nlmsghdr, genl, Jool header, container */
	memset(result, 0, sizeof(*result));
	if (index_offset + 4 > length || index_offset < payload_offset || window == 0)
		return result->error = EINVAL;
	uint64_t *sent_at = calloc(count, sizeof(uint64_t));
	struct listener l = { .fd = listenfd, .count = count, .index_offset = index_offset - payload_offset,
			      .arrival = calloc(count, sizeof(uint64_t)) };
	if (!sent_at || !l.arrival)
		return result->error = ENOMEM;
	int on = 1;
	setsockopt(listenfd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	set_receive_timeout(listenfd, 1000);
	set_receive_timeout(kfd, 1000);
	drain_socket(listenfd);
	pthread_create(&l.thread, NULL, listen_datagrams, &l);

	uint64_t sent = 0, acked = 0;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	while (acked < count) {
		while (sent < count && sent - acked < window) {
			uint32_t index = (uint32_t)sent;
			memcpy(message + index_offset, &index, 4);
			sent_at[sent] = now_ns(CLOCK_REALTIME);
			if (send(kfd, message, length, MSG_NOSIGNAL) < 0) {
				result->error = errno;
				goto done;
			}
			sent++;
		}
		int kind = receive_from_worker(kfd, simfd, buffer, sizeof(buffer), classify, result);
		if (kind == -2)
			continue;
		if (kind == -1)
			break; /* EAGAIN: no ACK within 1 s */
		if (kind == 1)
			acked++;
	}
done:
	result->seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	result->completed = acked;
	pthread_join(l.thread, NULL);
	result->datagrams_seen = l.seen;
	uint64_t *latencies = sent_at; /* reused in place */
	uint64_t n = 0;
	for (uint64_t i = 0; i < count && i < sent; i++)
		if (l.arrival[i] && l.arrival[i] >= sent_at[i])
			latencies[n++] = l.arrival[i] - sent_at[i];
	if (n) {
		qsort(latencies, n, sizeof(uint64_t), compare_u64);
		result->latency_p50_us = latencies[n / 2] / 1e3;
		result->latency_p99_us = latencies[(n * 99) / 100] / 1e3;
		result->latency_max_us = latencies[n - 1] / 1e3;
	}
	free(sent_at);
	free(l.arrival);
	return result->error;
}

/* ---- network to kernel ---- */

int bench_network_to_kernel(int kfd, int simfd, int sendfd, const uint8_t *payload, size_t length,
			    const void *destination, unsigned destination_length, uint64_t count,
			    unsigned window, const struct bench_classify *classify,
			    struct bench_result *result)
{
	static uint8_t buffer[BUFFER_SIZE];
	struct mmsghdr headers[BATCH];
	struct iovec vector = { .iov_base = (void *)payload, .iov_len = length };
	memset(result, 0, sizeof(*result));
	if (window == 0)
		return result->error = EINVAL;
	for (int i = 0; i < BATCH; i++)
		headers[i].msg_hdr = (struct msghdr){ .msg_name = (void *)destination,
						      .msg_namelen = destination_length,
						      .msg_iov = &vector, .msg_iovlen = 1 };
	set_receive_timeout(kfd, 1000);
	uint64_t sent = 0, added = 0;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	while (added < count) {
		uint64_t room = window - (sent - added);
		if (room > count - sent)
			room = count - sent;
		if (room > BATCH)
			room = BATCH;
		if (room > 0) {
			int done = sendmmsg(sendfd, headers, (unsigned)room, 0);
			if (done < 0) {
				if (errno == EINTR)
					continue;
				result->error = errno;
				break;
			}
			sent += (uint64_t)done;
		}
		int kind = receive_from_worker(kfd, simfd, buffer, sizeof(buffer), classify, result);
		if (kind == -2)
			continue;
		if (kind == -1)
			break; /* EAGAIN: a datagram was lost */
		if (kind == 2)
			added++;
	}
	result->seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	result->completed = added;
	return result->error;
}

/* ---- CPU time ---- */

double bench_process_cpu_us(int pid)
{
	/* schedstat (ns on the CPU, per thread) is exact; /proc/PID/stat counts clock ticks. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *tasks = opendir(path);
	if (!tasks)
		return -1;
	double total = 0;
	int found = 0;
	struct dirent *entry;
	while ((entry = readdir(tasks))) {
		if (entry->d_name[0] == '.')
			continue;
		char file[128];
		snprintf(file, sizeof(file), "/proc/%d/task/%s/schedstat", pid, entry->d_name);
		FILE *f = fopen(file, "r");
		if (!f)
			continue;
		unsigned long long ns;
		if (fscanf(f, "%llu", &ns) == 1) {
			total += ns / 1e3;
			found = 1;
		}
		fclose(f);
	}
	closedir(tasks);
	if (found)
		return total;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char text[1024];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	char *close = strrchr(text, ')');
	unsigned long long utime, stime;
	if (!close || sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}
