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
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

_Static_assert(CSHIM_EPOLLIN == EPOLLIN, "EPOLLIN mirror");
_Static_assert(CSHIM_EPOLLERR == EPOLLERR, "EPOLLERR mirror");
_Static_assert(CSHIM_EPOLLHUP == EPOLLHUP, "EPOLLHUP mirror");
_Static_assert(sizeof(struct cshim_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr mirror size");
_Static_assert(offsetof(struct cshim_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
	       "mmsghdr mirror layout");

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

int cshim_signalfd_create(const sigset_t *mask)
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

int cshim_recvmmsg(int fd, struct cshim_mmsghdr *v, unsigned int n, int flags)
{
	return recvmmsg(fd, (struct mmsghdr *)v, n, flags, NULL);
}

void cshim_syslog(int priority, const char *message)
{
	syslog(priority, "%s", message);
}
/* ==== END SyncEngine block ==== */
