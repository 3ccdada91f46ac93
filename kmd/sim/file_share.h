/* SPDX-License-Identifier: MIT */
/*
 * The sim's opened device handles and the connections that serve them.  A
 * client's connection opens a handle; another connection of the same
 * client may join it with the handle's token (VGPU_SOCK_JOIN), so that
 * two of the client's threads have calls in flight at once, as they do on
 * one handle under Windows.  A handle closes when its last connection
 * lets go of it.
 */
#ifndef VGPU_SIM_FILE_SHARE_H
#define VGPU_SIM_FILE_SHARE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "recorder.h"
#include "user_maps.h"
#include "vgpu/vgpu_socket.h"
#include "vgpu_core.h"

struct file_share {
	struct file_share *next; /* the registry's list */
	unsigned refs;           /* connections serving it; under the registry's lock */
	bool has_token;          /* under the registry's lock */
	uint8_t token[sizeof(((struct vgpu_sock_join *)0)->token)];
	struct vgpu_file *file;
	struct recorder *rec;  /* NULL unless the sim records (recorder.h) */
	struct user_maps maps; /* the file_ctx of `file`: one set for all its connections */
};

/* Every handle of one device that a connection may join. */
struct file_shares {
	pthread_mutex_t lock;
	struct file_share *head;
};

void file_shares_init(struct file_shares *shares);
/* After every connection has let go of its handle. */
void file_shares_fini(struct file_shares *shares);

/* Open a new handle of `dev` for one connection; a VGPU_E_* status. */
int file_share_open(struct file_shares *shares, struct vgpu_device *dev, struct guest_mem *mem,
		    struct file_share **out);

/*
 * The handle's token, made on first use.  VGPU_E_UNSUPPORTED while the
 * handle is recorded: a capture holds one order of calls.
 */
int file_share_token(struct file_shares *shares, struct file_share *share,
		     struct vgpu_sock_join *out);

/* The handle `token` names, for one more connection; NULL if none has it. */
struct file_share *file_share_join(struct file_shares *shares, const struct vgpu_sock_join *token);

/* One connection lets go; the last closes the handle (which may wait for the device). */
void file_share_put(struct file_shares *shares, struct file_share *share);

#endif /* VGPU_SIM_FILE_SHARE_H */
