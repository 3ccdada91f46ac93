/* SPDX-License-Identifier: MIT */
/*
 * The sim's client side: the IOCTL ABI framed over a Unix stream socket
 * (include/vgpu/vgpu_socket.h) and, optionally, over TCP on loopback for
 * clients that have no Unix sockets (Windows programs under Wine).  Each
 * connection is served by its own thread and serves one opened device
 * handle (a struct vgpu_file): its own, or one it joined (file_share.h).
 */
#ifndef VGPU_SIM_SERVER_H
#define VGPU_SIM_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "file_share.h"
#include "guest_mem.h"
#include "host_region.h"
#include "vgpu_core.h"

/*
 * Clients at once.  When full, a new client takes the place of the one
 * idle longest among those that hold no objects; if there is none, it is
 * turned away.
 */
#define SERVER_MAX_CONNS 256

struct conn;

struct server {
	int listen_fd;
	int tcp_fd; /* -1 unless server_listen_tcp() */
	char path[108];
	struct vgpu_device *dev;
	struct guest_mem *mem;
	const struct host_region *region;

	pthread_mutex_t lock;
	struct conn *conns;
	unsigned nconns; /* not counting connections evicted and not yet reaped */
	struct file_shares shares;
};

/*
 * Listen on `path` (a stale socket there is replaced; any other file is
 * left alone and is an error).  Clients are told of `mem` and of `region`
 * (NULL or not present: none) in the hello.  Returns 0 or a negative errno.
 */
int server_start(struct server *srv, const char *path, struct vgpu_device *dev,
		 struct guest_mem *mem, const struct host_region *region);

/*
 * Also listen on 127.0.0.1:`port` (0: a free port chosen by the system).
 * Loopback only: the sim is a test device, not a network service.  Returns
 * 0 and the port actually bound in *bound, or a negative errno.
 */
int server_listen_tcp(struct server *srv, uint16_t port, uint16_t *bound);

static inline int server_listen_fd(const struct server *srv)
{
	return srv->listen_fd;
}

static inline int server_tcp_fd(const struct server *srv)
{
	return srv->tcp_fd;
}

/* Accept one pending client on `listen_fd` (one of the above) and start its thread. */
void server_accept(struct server *srv, int listen_fd);

/*
 * Stop listening (both sockets), remove the Unix socket, disconnect every client and wait for
 * their threads (their files are closed).  Clients stuck in a long call are
 * released by declaring the device lost.
 */
void server_stop(struct server *srv);

#endif /* VGPU_SIM_SERVER_H */
