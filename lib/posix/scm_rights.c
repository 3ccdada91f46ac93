/* SPDX-License-Identifier: MIT */
/* SCM_RIGHTS control messages, laid out and read in one place. */
#include "scm_rights.h"

#include <string.h>
#include <unistd.h>

int scm_rights_attach(struct msghdr *mh, union scm_rights_buf *buf, const int *fds, unsigned nfds)
{
	struct cmsghdr *cm;

	if (nfds > SCM_RIGHTS_MAX_FDS || (nfds && !fds))
		return -1;
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	if (nfds == 0)
		return 0;
	memset(buf, 0, sizeof(*buf));
	mh->msg_control = buf->bytes;
	mh->msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	return 0;
}

void scm_rights_prepare(struct msghdr *mh, union scm_rights_buf *buf)
{
	mh->msg_control = buf->bytes;
	mh->msg_controllen = sizeof(buf->bytes);
}

void scm_rights_take(struct msghdr *mh, int *fds, unsigned max, unsigned *nfds)
{
	if (!mh->msg_control)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds && nfds && *nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
}
