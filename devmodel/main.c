/* SPDX-License-Identifier: MIT */
/*
 * vgpu-devmodel: a TEST device model, not a product.  A virtio-gpu device
 * on virglrenderer, served as a vhost-user back-end the way QEMU's
 * vhost-user-gpu is (--fd=N or --socket-path=PATH), for the tests no real
 * device here can serve: the Mvisor personality, blob resources with
 * host-visible memory, and injected faults.  It serves one front-end and
 * exits when that one hangs up.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gpu_device.h"
#include "options.h"
#include "vhost_backend.h"

/* Listen on `path`, take one front-end, stop listening. */
static int accept_one(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int lfd, fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "vgpu-devmodel: socket path too long\n");
		return -1;
	}
	strcpy(addr.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1)) {
		fprintf(stderr, "vgpu-devmodel: cannot listen on %s: %s\n", path, strerror(errno));
		close(lfd);
		return -1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	unlink(path);
	return fd;
}

/* Serve until the front-end hangs up or breaks the protocol. */
static void serve(struct vhost_backend *vb, struct gpu_device *dev)
{
	for (;;) {
		struct pollfd pfds[1 + VHOST_BACKEND_NUM_QUEUES] = {
			{ .fd = vb->sock, .events = POLLIN },
		};

		for (unsigned i = 0; i < VHOST_BACKEND_NUM_QUEUES; i++) {
			pfds[1 + i].fd = vb->queues[i].started ? vb->queues[i].kick_fd : -1;
			pfds[1 + i].events = POLLIN;
		}
		if (poll(pfds, 1 + VHOST_BACKEND_NUM_QUEUES, gpu_device_timeout_ms(dev)) < 0 &&
		    errno != EINTR)
			return;
		if (pfds[0].revents && vhost_backend_handle(vb))
			return;
		for (unsigned i = 0; i < VHOST_BACKEND_NUM_QUEUES; i++) {
			if (!(pfds[1 + i].revents & POLLIN))
				continue;
			vhost_backend_drain_kick(vb, i);
			gpu_device_backend_ops.kicked(dev, i);
		}
		gpu_device_tick(dev);
	}
}

int main(int argc, char **argv)
{
	static struct devmodel_options opts;
	static struct gpu_device dev;
	static struct vhost_backend vb;
	int ret = devmodel_parse_options(argc, argv, &opts);
	int sock;

	if (ret)
		return ret > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	sock = opts.socket_path ? accept_one(opts.socket_path) : opts.fd;
	if (sock < 0)
		return 1;
	if (gpu_device_init(&dev, &opts.gpu, &opts.faults))
		return 1;
	vhost_backend_init(&vb, sock, &gpu_device_backend_ops, &dev, opts.gpu.verbose);
	dev.vb = &vb;
	serve(&vb, &dev);
	vhost_backend_fini(&vb);
	gpu_device_fini(&dev);
	close(sock);
	return 0;
}
