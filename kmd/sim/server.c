/* SPDX-License-Identifier: MIT */
/* The listening socket and the lifecycle of client connections and their threads. */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

/* How long stop waits for clients to finish their calls before failing them. */
#define STOP_GRACE_SEC 3

/* Replace a socket left by an earlier run, never any other kind of file. */
static int remove_stale_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return unlink(path) == 0 ? 0 : -errno;
}

int server_start(struct server *srv, const char *path, struct vgpu_device *dev,
		 struct guest_mem *mem, const struct host_region *region)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int err;

	if (!srv || !path || !dev || !mem)
		return -EINVAL;
	if (strlen(path) >= sizeof(addr.sun_path) || strlen(path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = -1;
	srv->tcp_fd = -1;
	srv->dev = dev;
	srv->mem = mem;
	srv->region = region;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	err = remove_stale_socket(path);
	if (err)
		return err;
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0)
		return -errno;
	if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(srv->listen_fd, 16) != 0) {
		err = -errno;
		close(srv->listen_fd);
		srv->listen_fd = -1;
		return err;
	}
	pthread_mutex_init(&srv->lock, NULL);
	file_shares_init(&srv->shares);
	return 0;
}

int server_listen_tcp(struct server *srv, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int one = 1;
	int fd, err;

	if (!srv || srv->listen_fd < 0 || srv->tcp_fd >= 0 || !bound)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A port left in TIME_WAIT by the previous run must not stop this one. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	srv->tcp_fd = fd;
	*bound = ntohs(addr.sin_port);
	return 0;
}

/* Join and free connections whose thread has finished.  Caller holds srv->lock. */
static void reap_locked(struct server *srv)
{
	struct conn **link = &srv->conns;

	while (*link) {
		struct conn *conn = *link;

		if (!atomic_load(&conn->done)) {
			link = &conn->next;
			continue;
		}
		*link = conn->next;
		pthread_join(conn->thread, NULL);
		close(conn->fd);
		if (!conn->evicted)
			srv->nconns--;
		free(conn);
	}
}

/*
 * Full: make room by dropping the connection idle longest among those
 * waiting between requests without objects (no context), which lose
 * nothing but the socket.  Its thread ends on its own and is reaped later;
 * it no longer counts.  False if every connection is busy or holds objects.
 */
static bool evict_idle_locked(struct server *srv)
{
	struct conn *victim = NULL;

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (c->evicted || atomic_load(&c->done) || !atomic_load(&c->between_frames) ||
		    atomic_load(&c->has_context))
			continue;
		if (!victim || atomic_load(&c->idle_since) < atomic_load(&victim->idle_since))
			victim = c;
	}
	if (!victim)
		return false;
	victim->evicted = true;
	srv->nconns--;
	shutdown(victim->fd, SHUT_RDWR);
	fprintf(stderr, "vgpu-sim: full: dropping the client idle longest, which held nothing\n");
	return true;
}

static struct conn *conn_new(struct server *srv, int fd)
{
	struct conn *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return NULL;
	conn->fd = fd;
	conn->dev = srv->dev;
	conn->mem = srv->mem;
	conn->region = srv->region;
	conn->shares = &srv->shares;
	atomic_init(&conn->done, false);
	atomic_init(&conn->between_frames, false);
	atomic_init(&conn->has_context, false);
	atomic_init(&conn->idle_since, conn_now_ns());
	return conn;
}

void server_accept(struct server *srv, int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct conn *conn;
	int one = 1;

	if (fd < 0)
		return;
	/* Replies are small and awaited one by one: Nagle would only delay them. */
	if (listen_fd == srv->tcp_fd)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&srv->lock);
	reap_locked(srv);
	if (srv->nconns >= SERVER_MAX_CONNS)
		evict_idle_locked(srv);
	conn = srv->nconns < SERVER_MAX_CONNS ? conn_new(srv, fd) : NULL;
	if (conn && pthread_create(&conn->thread, NULL, conn_main, conn) != 0) {
		free(conn);
		conn = NULL;
	}
	if (conn) {
		conn->next = srv->conns;
		srv->conns = conn;
		srv->nconns++;
	}
	pthread_mutex_unlock(&srv->lock);
	if (!conn) {
		fprintf(stderr,
			"vgpu-sim: turning a client away (%d clients all busy or holding "
			"objects, or out of memory)\n",
			SERVER_MAX_CONNS);
		close(fd);
	}
}

static bool all_done_within(struct server *srv, int seconds)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000 };

	for (int i = 0; i < seconds * 100; i++) {
		bool done = true;

		for (struct conn *c = srv->conns; c; c = c->next)
			done = done && atomic_load(&c->done);
		if (done)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

void server_stop(struct server *srv)
{
	if (!srv || srv->listen_fd < 0)
		return;
	close(srv->listen_fd);
	srv->listen_fd = -1;
	if (srv->tcp_fd >= 0)
		close(srv->tcp_fd);
	srv->tcp_fd = -1;
	unlink(srv->path);
	pthread_mutex_lock(&srv->lock);
	/* Wakes every connection thread blocked on its socket. */
	for (struct conn *c = srv->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	if (!all_done_within(srv, STOP_GRACE_SEC)) {
		fprintf(stderr, "vgpu-sim: clients still busy at shutdown: failing their calls\n");
		vgpu_device_mark_lost(srv->dev);
	}
	for (struct conn *c = srv->conns; c; c = c->next)
		pthread_join(c->thread, NULL);
	while (srv->conns) {
		struct conn *c = srv->conns;

		srv->conns = c->next;
		close(c->fd);
		free(c);
	}
	srv->nconns = 0;
	pthread_mutex_unlock(&srv->lock);
	pthread_mutex_destroy(&srv->lock);
	file_shares_fini(&srv->shares);
}
