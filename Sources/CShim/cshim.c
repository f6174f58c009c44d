#define _GNU_SOURCE /* setns, CLONE_NEWNET; local to this file on purpose */
#include "cshim.h"
#include <sched.h>

int cshim_setns_net(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

json_type cshim_json_typeof(const json_t *json)
{
	return json_typeof(json);
}

const char *cshim_json_error_text(const json_error_t *error)
{
	return error->text;
}

int cshim_json_error_line(const json_error_t *error)
{
	return error->line;
}

int cshim_json_error_column(const json_error_t *error)
{
	return error->column;
}

int cshim_json_error_is_duplicate_key(const json_error_t *error)
{
	return json_error_code(error) == json_error_duplicate_key;
}

/* ==== BEGIN SyncEngine block (event loop, sockets, syslog) ==== */
#include <errno.h>
#include <stddef.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

_Static_assert(CSHIM_EPOLLIN == EPOLLIN, "EPOLLIN mirror");
_Static_assert(CSHIM_EPOLLERR == EPOLLERR, "EPOLLERR mirror");
_Static_assert(CSHIM_EPOLLHUP == EPOLLHUP, "EPOLLHUP mirror");


int cshim_epoll_create(void)
{
	return epoll_create1(EPOLL_CLOEXEC);
}

int cshim_epoll_add(int epfd, int fd, uint32_t events, uint64_t token)
{
	struct epoll_event event = { .events = events, .data.u64 = token };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int cshim_epoll_del(int epfd, int fd)
{
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int cshim_epoll_wait(int epfd, struct cshim_epoll_ready *ready, int max, int timeout_ms)
{
	struct epoll_event events[64];
	int count, i;

	if (max > 64)
		max = 64;
	if (max < 1) {
		errno = EINVAL;
		return -1;
	}
	count = epoll_wait(epfd, events, max, timeout_ms);
	for (i = 0; i < count; i++) {
		ready[i].token = events[i].data.u64;
		ready[i].events = events[i].events;
	}
	return count;
}

int cshim_timerfd_create(void)
{
	return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

int cshim_timerfd_arm(int fd, uint64_t initial_ns, uint64_t interval_ns)
{
	struct itimerspec spec = {
		.it_value = { .tv_sec = initial_ns / 1000000000u, .tv_nsec = initial_ns % 1000000000u },
		.it_interval = { .tv_sec = interval_ns / 1000000000u, .tv_nsec = interval_ns % 1000000000u },
	};
	return timerfd_settime(fd, 0, &spec, NULL);
}

int cshim_signalfd_create(const void *mask)
{
	return signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int cshim_signalfd_read(int fd, uint32_t *signo, int32_t *sender_pid)
{
	struct signalfd_siginfo info;
	ssize_t n = read(fd, &info, sizeof(info));

	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	if (n != sizeof(info)) {
		errno = EIO;
		return -1;
	}
	*signo = info.ssi_signo;
	*sender_pid = (int32_t)info.ssi_pid;
	return 1;
}

struct cshim_mmsg {
	unsigned int count;
	size_t address_size;
	struct iovec *vectors;
	struct mmsghdr *headers;
};

struct cshim_mmsg *cshim_mmsg_create(unsigned int count, void *buffers, size_t buffer_size,
				     void *addresses, size_t address_size)
{
	struct cshim_mmsg *batch = calloc(1, sizeof(*batch));
	if (!batch)
		return NULL;
	batch->count = count;
	batch->address_size = address_size;
	batch->vectors = calloc(count, sizeof(struct iovec));
	batch->headers = calloc(count, sizeof(struct mmsghdr));
	if (!batch->vectors || !batch->headers) {
		cshim_mmsg_destroy(batch);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++) {
		batch->vectors[i].iov_base = (char *)buffers + i * buffer_size;
		batch->vectors[i].iov_len = buffer_size;
		batch->headers[i].msg_hdr.msg_iov = &batch->vectors[i];
		batch->headers[i].msg_hdr.msg_iovlen = 1;
		batch->headers[i].msg_hdr.msg_name = (char *)addresses + i * address_size;
	}
	return batch;
}

void cshim_mmsg_destroy(struct cshim_mmsg *batch)
{
	if (!batch)
		return;
	free(batch->vectors);
	free(batch->headers);
	free(batch);
}

int cshim_mmsg_receive(int fd, struct cshim_mmsg *batch, int flags)
{
	for (unsigned int i = 0; i < batch->count; i++) {
		/* The kernel overwrites these on every call. */
		batch->headers[i].msg_hdr.msg_namelen = batch->address_size;
		batch->headers[i].msg_hdr.msg_flags = 0;
		batch->headers[i].msg_len = 0;
	}
	/* MSG_TRUNC as a flag makes msg_len the datagram's real length. */
	return recvmmsg(fd, batch->headers, batch->count, flags | MSG_TRUNC, NULL);
}

void cshim_mmsg_result(const struct cshim_mmsg *batch, unsigned int index,
		       unsigned int *length, int *flags, unsigned int *address_length)
{
	const struct mmsghdr *header = &batch->headers[index];
	*length = header->msg_len;
	*flags = header->msg_hdr.msg_flags;
	*address_length = header->msg_hdr.msg_namelen;
}

void cshim_syslog(int priority, const char *message)
{
	syslog(priority, "%s", message);
}
/* ==== END SyncEngine block ==== */

/* ==== BEGIN worker process block ==== */
#include <sys/prctl.h>

int cshim_set_parent_death_signal(int signal)
{
	return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>

_Static_assert(CSHIM_NSFS_MAGIC == NSFS_MAGIC, "NSFS_MAGIC mirror");
_Static_assert(CSHIM_CLONE_NEWNET == CLONE_NEWNET, "CLONE_NEWNET mirror");
_Static_assert(CSHIM_O_PATH == O_PATH, "O_PATH mirror");

int cshim_filesystem_type(int fd, uint64_t *type)
{
	struct statfs info;
	if (fstatfs(fd, &info) != 0)
		return -1;
	*type = (uint64_t)info.f_type;
	return 0;
}

int cshim_namespace_type(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE);
}
/* ==== END worker process block ==== */

/* ==== BEGIN SupervisorCore block (control socket: accept, peer credentials, epoll write interest) ==== */

_Static_assert(CSHIM_EPOLLOUT == EPOLLOUT, "EPOLLOUT mirror");
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

int cshim_epoll_mod(int epfd, int fd, uint32_t events, uint64_t token)
{
	struct epoll_event event = { .events = events, .data.u64 = token };
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int cshim_accept_nonblocking(int fd)
{
	return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cshim_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid)
{
	struct ucred credentials;
	socklen_t length = sizeof(credentials);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
		return -1;
	if (length != sizeof(credentials)) {
		errno = EIO;
		return -1;
	}
	*pid = credentials.pid;
	*uid = credentials.uid;
	*gid = credentials.gid;
	return 0;
}

int cshim_peer_groups(int fd, uint32_t *groups, uint32_t capacity, uint32_t *count)
{
	socklen_t length = capacity * sizeof(gid_t);

	_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &length) < 0) {
		if (errno == ERANGE)
			*count = length / sizeof(gid_t);
		return -1;
	}
	*count = length / sizeof(gid_t);
	return 0;
}
/* ==== END SupervisorCore block ==== */
