/* SPDX-License-Identifier: MIT */
/*
 * The sim's interrupt line: a thread that waits on the queues' call
 * eventfds and runs vgpu_device_interrupt(), and that declares the device
 * lost when the backend's connection hangs up.
 */
#ifndef VGPU_SIM_COMPLETION_H
#define VGPU_SIM_COMPLETION_H

#include <pthread.h>
#include <stdbool.h>

#include "vgpu_core.h"
#include "vhost_user_transport.h"

struct completion {
	struct vhost_user_transport *transport;
	int backend_sock; /* watched for hangup only */
	int wake_fd;      /* eventfd: stop, or a device was attached */
	pthread_t thread;
	bool running;

	/* under lock */
	pthread_mutex_t lock;
	struct vgpu_device *dev;
	bool stop;
	bool pending; /* a call arrived while no device was attached */
	bool lost;    /* the backend hung up (reported once a device is attached) */
	bool lost_reported;
};

/* Start the thread; no device yet (calls are remembered).  0 or a negative errno. */
int completion_start(struct completion *c, struct vhost_user_transport *transport,
		     int backend_sock);

/*
 * Deliver interrupts to `dev` from now on (NULL: stop delivering).  When
 * this returns with NULL, no interrupt for the old device is in progress.
 */
void completion_attach(struct completion *c, struct vgpu_device *dev);

/* Has the backend hung up? */
bool completion_backend_lost(struct completion *c);

/* Stop and join the thread. */
void completion_stop(struct completion *c);

#endif /* VGPU_SIM_COMPLETION_H */
