/* SPDX-License-Identifier: MIT */
/*
 * The completion thread.  The device lock of the core is taken inside
 * vgpu_device_interrupt(); ours (c->lock) is held around that call so that
 * detaching a device waits for an interrupt in progress.
 */
#include "completion.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum {
	POLL_WAKE,
	POLL_SOCK,
	POLL_CALL0
};
#define NUM_POLLFDS (POLL_CALL0 + VUT_NUM_QUEUES)

/* An eventfd's read takes its whole count at once: one read empties it. */
static bool drain(int fd)
{
	uint64_t count;

	return read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count);
}

/* Under c->lock: hand what happened to the attached device, if any. */
static void deliver_locked(struct completion *c, bool called)
{
	if (called) {
		vut_note_interrupt(c->transport);
		c->pending = true;
	}
	if (!c->dev)
		return;
	if (c->lost && !c->lost_reported) {
		c->lost_reported = true;
		vgpu_device_mark_lost(c->dev);
	}
	if (c->pending) {
		c->pending = false;
		vgpu_device_interrupt(c->dev);
	}
}

static void *completion_main(void *arg)
{
	struct completion *c = arg;
	struct pollfd pfds[NUM_POLLFDS];

	pfds[POLL_WAKE] = (struct pollfd){ .fd = c->wake_fd, .events = POLLIN };
	pfds[POLL_SOCK] = (struct pollfd){ .fd = c->backend_sock, .events = POLLRDHUP };
	for (unsigned i = 0; i < VUT_NUM_QUEUES; i++)
		pfds[POLL_CALL0 + i] =
			(struct pollfd){ .fd = vut_call_fd(c->transport, i), .events = POLLIN };
	for (;;) {
		bool called = false, hung_up = false;

		if (poll(pfds, NUM_POLLFDS, -1) < 0 && errno != EINTR)
			break;
		if (pfds[POLL_WAKE].revents & POLLIN)
			drain(c->wake_fd);
		for (unsigned i = 0; i < VUT_NUM_QUEUES; i++) {
			if (pfds[POLL_CALL0 + i].revents & POLLIN)
				called |= drain(pfds[POLL_CALL0 + i].fd);
			if (pfds[POLL_CALL0 + i].revents & POLLNVAL)
				pfds[POLL_CALL0 + i].fd = -1;
		}
		if (pfds[POLL_SOCK].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
			hung_up = true;
			pfds[POLL_SOCK].fd = -1; /* reported once; stop watching */
		}
		pthread_mutex_lock(&c->lock);
		if (hung_up) {
			c->lost = true;
			fprintf(stderr, "vgpu-sim: the device backend closed its connection\n");
		}
		deliver_locked(c, called);
		if (c->stop) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

int completion_start(struct completion *c, struct vhost_user_transport *transport, int backend_sock)
{
	int err;

	if (!c || !transport)
		return -EINVAL;
	*c = (struct completion){ .transport = transport, .backend_sock = backend_sock };
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&c->lock, NULL);
	err = pthread_create(&c->thread, NULL, completion_main, c);
	if (err) {
		pthread_mutex_destroy(&c->lock);
		close(c->wake_fd);
		return -err;
	}
	c->running = true;
	return 0;
}

static void wake(struct completion *c)
{
	uint64_t one = 1;

	/* A full counter already means "wake up". */
	if (write(c->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return;
}

void completion_attach(struct completion *c, struct vgpu_device *dev)
{
	pthread_mutex_lock(&c->lock);
	c->dev = dev;
	pthread_mutex_unlock(&c->lock);
	/* The thread delivers what arrived while nothing was attached. */
	if (dev)
		wake(c);
}

bool completion_backend_lost(struct completion *c)
{
	bool lost;

	pthread_mutex_lock(&c->lock);
	lost = c->lost;
	pthread_mutex_unlock(&c->lock);
	return lost;
}

void completion_stop(struct completion *c)
{
	if (!c->running)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_mutex_unlock(&c->lock);
	wake(c);
	pthread_join(c->thread, NULL);
	c->running = false;
	pthread_mutex_destroy(&c->lock);
	close(c->wake_fd);
}
