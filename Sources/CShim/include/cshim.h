#ifndef JOOLD_CSHIM_H
#define JOOLD_CSHIM_H
/* Plain C wrappers for the Linux interfaces that Glibc's Swift module does not
 * expose (setns, SO_PEERCRED, ...) and for libmnl/jansson macros that do not import. */
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

/* setns(fd, CLONE_NEWNET). Returns 0 or -1 with errno set. */
int cshim_setns_net(int fd);

/* jansson: json_typeof() is a macro. */
json_type cshim_json_typeof(const json_t *json);

/* jansson: json_error_t fields; text is a fixed char array that imports as a tuple. */
const char *cshim_json_error_text(const json_error_t *error);
int cshim_json_error_line(const json_error_t *error);
int cshim_json_error_column(const json_error_t *error);
/* 1 when the error is a duplicate object key (JSON_REJECT_DUPLICATES), else 0. */
int cshim_json_error_is_duplicate_key(const json_error_t *error);

/* ==== BEGIN SyncEngine block (event loop, sockets, syslog) ==== */
#include <signal.h>
#include <sys/socket.h>

/* epoll without the packed struct epoll_event (awkward in Swift). Readiness is
 * reported as (token, events); the token is whatever the caller registered. */
enum {
	CSHIM_EPOLLIN = 0x001,
	CSHIM_EPOLLERR = 0x008,
	CSHIM_EPOLLHUP = 0x010,
};
struct cshim_epoll_ready {
	uint64_t token;
	uint32_t events;
};
/* epoll_create1(EPOLL_CLOEXEC). */
int cshim_epoll_create(void);
/* epoll_ctl(EPOLL_CTL_ADD) level-triggered for `events`, data.u64 = token. */
int cshim_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
/* epoll_ctl(EPOLL_CTL_DEL). */
int cshim_epoll_del(int epfd, int fd);
/* epoll_wait into `ready` (at most `max`, capped at 64). Returns the count or -1. */
int cshim_epoll_wait(int epfd, struct cshim_epoll_ready *ready, int max, int timeout_ms);

/* timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC). */
int cshim_timerfd_create(void);
/* timerfd_settime, relative. initial_ns = 0 disarms; interval_ns = 0 means one-shot. */
int cshim_timerfd_arm(int fd, uint64_t initial_ns, uint64_t interval_ns);

/* signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC). */
int cshim_signalfd_create(const sigset_t *mask);
/* Reads one struct signalfd_siginfo. Returns 1 and fills signo/sender_pid,
 * 0 when nothing is pending (EAGAIN), -1 on error (errno set). */
int cshim_signalfd_read(int fd, uint32_t *signo, int32_t *sender_pid);

/* struct mmsghdr needs _GNU_SOURCE, which must not leak into Swift's view of
 * the system headers; this mirror has the same layout (checked in cshim.c). */
struct cshim_mmsghdr {
	struct msghdr msg_hdr;
	unsigned int msg_len;
};
/* recvmmsg(fd, v, n, flags, NULL). */
int cshim_recvmmsg(int fd, struct cshim_mmsghdr *v, unsigned int n, int flags);

/* syslog is variadic: syslog(priority, "%s", message). */
void cshim_syslog(int priority, const char *message);
/* ==== END SyncEngine block ==== */

#endif
