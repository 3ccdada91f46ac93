/* SPDX-License-Identifier: MIT */
/*
 * File descriptors passed over Unix stream sockets (SCM_RIGHTS), for the
 * sim's vhost-user front-end and client server and for the device model's
 * back-end: one place that lays out and reads the control messages.
 */
#ifndef VGPU_LIB_SCM_RIGHTS_H
#define VGPU_LIB_SCM_RIGHTS_H

#include <stddef.h>
#include <sys/socket.h>

/* Most descriptors one message carries here (vhost-user's limit). */
#define SCM_RIGHTS_MAX_FDS 8

/* Room for the control message of SCM_RIGHTS_MAX_FDS descriptors, aligned for cmsghdr. */
union scm_rights_buf {
	char bytes[CMSG_SPACE(SCM_RIGHTS_MAX_FDS * sizeof(int))];
	struct cmsghdr align;
};

/*
 * Attach `nfds` descriptors (1..SCM_RIGHTS_MAX_FDS) to `mh`, using `buf`
 * for the control message; with nfds 0 the message carries none.
 * Returns 0, or -1 for too many descriptors.
 */
int scm_rights_attach(struct msghdr *mh, union scm_rights_buf *buf, const int *fds, unsigned nfds);

/* Prepare `mh` to receive descriptors into `buf`. */
void scm_rights_prepare(struct msghdr *mh, union scm_rights_buf *buf);

/*
 * Take the descriptors a received message carried: the first ones go to
 * fds[*nfds...] while there is room (`max` in all), the rest are closed.
 * With fds NULL, every one is closed.
 */
void scm_rights_take(struct msghdr *mh, int *fds, unsigned max, unsigned *nfds);

#endif /* VGPU_LIB_SCM_RIGHTS_H */
