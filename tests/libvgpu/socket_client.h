/* SPDX-License-Identifier: MIT */
/*
 * What the socket-channel tests share: the scripted server of fake_server.h
 * and libvgpu opened on it.  Header-only, so that its checks count in the
 * including program (tap.h keeps its counts per translation unit).
 */
#ifndef VGPU_TESTS_LIBVGPU_SOCKET_CLIENT_H
#define VGPU_TESTS_LIBVGPU_SOCKET_CLIENT_H

#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_server.h"
#include "libvgpu.h"
#include "tap.h"

#define MS (1000000ull)

static struct fake_server server;

/* Starts the server as configured and opens libvgpu on it; *dev is NULL if the open failed. */
static inline int open_on(struct fake_server *f, struct vgpu_dev **dev)
{
	*dev = NULL;
	if (fake_start(f) < 0) {
		CHECK(!"fake server did not start");
		return VGPU_E_TRANSPORT;
	}
	return vgpu_open_socket(f->path, dev);
}

static inline struct vgpu_dev *open_default(void)
{
	struct vgpu_dev *dev;

	fake_init(&server);
	CHECK_EQ(open_on(&server, &dev), VGPU_OK);
	return dev;
}

static inline void finish(struct vgpu_dev *dev)
{
	vgpu_close(dev);
	fake_stop(&server);
}

/*
 * Opens on the server as configured, expecting `status` and, if `why` is
 * given, that word in the open error; stops the server.  Returns what the
 * open left in its device pointer.
 */
static inline struct vgpu_dev *open_refused(int status, const char *why)
{
	struct vgpu_dev *dev;

	CHECK_EQ(open_on(&server, &dev), status);
	if (why)
		CHECK(strstr(vgpu_open_error(), why) != NULL);
	fake_stop(&server);
	return dev;
}

static inline struct fake_request last_request(void)
{
	return fake_request(&server, fake_count(&server) - 1);
}

static inline void check_view_is_memory(void *ptr)
{
	char a[4096], b[4096];
	char *p = ptr;

	/* Writes through the view land at the extents' offsets, in extent order. */
	memset(p, 'A', 4096);
	memset(p + 4096, 'B', 4096);
	CHECK_EQ(pread(server.mem_fd, a, sizeof(a), 3 * 4096), (ssize_t)sizeof(a));
	CHECK_EQ(pread(server.mem_fd, b, sizeof(b), 1 * 4096), (ssize_t)sizeof(b));
	CHECK(a[0] == 'A' && a[4095] == 'A');
	CHECK(b[0] == 'B' && b[4095] == 'B');
	/* And the other way round. */
	CHECK_EQ(pwrite(server.mem_fd, "xyz", 3, 3 * 4096 + 10), 3);
	CHECK(memcmp(p + 10, "xyz", 3) == 0);
	CHECK_EQ(pwrite(server.mem_fd, "uvw", 3, 1 * 4096 + 20), 3);
	CHECK(memcmp(p + 4096 + 20, "uvw", 3) == 0);
}

static inline bool is_mapped(void *ptr)
{
	unsigned char vec[2];

	return mincore(ptr, 2 * 4096, vec) == 0;
}

#endif /* VGPU_TESTS_LIBVGPU_SOCKET_CLIENT_H */
