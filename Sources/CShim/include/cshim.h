#ifndef JOOLD_CSHIM_H
#define JOOLD_CSHIM_H
/* Plain C wrappers for the Linux interfaces that Glibc's Swift module does not
 * expose (setns, SO_PEERCRED, ...) and for libmnl/jansson macros that do not import. */
#include <stdint.h>
#include <sys/types.h>

/* setns(fd, CLONE_NEWNET). Returns 0 or -1 with errno set. */
int cshim_setns_net(int fd);

#endif
