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
/* No <signal.h> or <sys/socket.h> here: a libc header included by this module makes
 * Clang attribute its macros (SOCK_SEQPACKET, MSG_TRUNC...) to CShim, and Swift files
 * importing only Glibc then lose them, depending on the build's batching. */

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
int cshim_signalfd_create(const void *mask); /* mask: a sigset_t */
/* Reads one struct signalfd_siginfo. Returns 1 and fills signo/sender_pid,
 * 0 when nothing is pending (EAGAIN), -1 on error (errno set). */
int cshim_signalfd_read(int fd, uint32_t *signo, int32_t *sender_pid);

/* recvmmsg over `count` datagram buffers. struct mmsghdr needs _GNU_SOURCE, which
 * must not leak into Swift's view of the system headers, so the headers live here,
 * behind a handle. `buffers` holds count * buffer_size bytes, `addresses` count
 * entries of address_size bytes (struct sockaddr_storage); both stay the caller's. */
struct cshim_mmsg;
struct cshim_mmsg *cshim_mmsg_create(unsigned int count, void *buffers, size_t buffer_size,
				     void *addresses, size_t address_size);
void cshim_mmsg_destroy(struct cshim_mmsg *batch);
/* One recvmmsg(fd, ..., flags | MSG_TRUNC). Returns the number of datagrams or -1
 * with errno set. */
int cshim_mmsg_receive(int fd, struct cshim_mmsg *batch, int flags);
/* Datagram `index` of the last receive: its real length (larger than the buffer when
 * truncated), its msg_flags and the length of its source address. */
void cshim_mmsg_result(const struct cshim_mmsg *batch, unsigned int index,
		       unsigned int *length, int *flags, unsigned int *address_length);

/* syslog is variadic: syslog(priority, "%s", message). */
void cshim_syslog(int priority, const char *message);
/* ==== END SyncEngine block ==== */


/* ==== BEGIN worker process block ==== */
/* prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` when the parent dies
 * (prctl is variadic and does not import). Returns 0 or -1 with errno set. */
int cshim_set_parent_death_signal(int signal);
/* The namespace files of nsfs (/proc/PID/ns/..., their bind mounts under /run/netns). */
enum {
	CSHIM_NSFS_MAGIC = 0x6e736673,
	CSHIM_CLONE_NEWNET = 0x40000000,
	/* O_PATH (needs _GNU_SOURCE, which must not reach Swift's view of the headers). */
	CSHIM_O_PATH = 010000000,
};
/* fstatfs(fd) f_type (an O_PATH descriptor will do). Returns 0 or -1 with errno set. */
int cshim_filesystem_type(int fd, uint64_t *type);
/* ioctl(fd, NS_GET_NSTYPE) (Linux 4.11+; fd must be really open, not O_PATH): the
 * CLONE_NEW* flag of the namespace, or -1 with errno set. */
int cshim_namespace_type(int fd);
/* ==== END worker process block ==== */

/* ==== BEGIN SupervisorCore block (control socket: accept, peer credentials, epoll write interest) ==== */
enum {
	CSHIM_EPOLLOUT = 0x004,
};
/* epoll_ctl(EPOLL_CTL_MOD) to `events` (level-triggered), data.u64 = token. */
int cshim_epoll_mod(int epfd, int fd, uint32_t events, uint64_t token);
/* accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC). */
int cshim_accept_nonblocking(int fd);
/* getsockopt(SO_PEERCRED): the peer's pid, uid and gid as of connect(). 0 or -1. */
int cshim_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);
/* getsockopt(SO_PEERGROUPS) (Linux 4.13+): the peer's supplementary groups as of
 * connect(). Returns 0 and sets *count; -1 with errno set otherwise. With errno
 * ERANGE, *count is the number of groups needed; ENOPROTOOPT on older kernels. */
int cshim_peer_groups(int fd, uint32_t *groups, uint32_t capacity, uint32_t *count);
/* ==== END SupervisorCore block ==== */

#endif
