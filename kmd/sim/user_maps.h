/* SPDX-License-Identifier: MIT */
/*
 * The mappings of one client connection.  The sim cannot map memory into
 * another process: a "mapping" is the list of file ranges a resource
 * occupies (in the guest memory file, or for a blob in the host-visible
 * region's file), and its user address is a cookie the server uses to find
 * those ranges for the RESOURCE_MAP reply.  The client maps the ranges
 * itself and replaces the cookie with its own address.
 */
#ifndef VGPU_SIM_USER_MAPS_H
#define VGPU_SIM_USER_MAPS_H

#include <pthread.h>
#include <stdint.h>

#include "vgpu/vgpu_socket.h"

struct user_map;

struct user_maps {
	pthread_mutex_t lock;
	struct user_map *head;
	uint64_t next_cookie;
};

void user_maps_init(struct user_maps *maps);
/* Frees what is left (a core that unmapped everything leaves nothing). */
void user_maps_fini(struct user_maps *maps);

/* Where a mapping's ranges lie and how the core asked to cache it. */
struct user_map_kind {
	enum vgpu_sock_mem_file file;
	/*
	 * The cache type the device asked for (enum vgpu_cache_type; 0 for
	 * guest memory).  Recorded as asked: the client always gets ordinary
	 * shared, cached file pages.
	 */
	uint32_t cache;
};

/*
 * Record `n` ranges (copied) of the file `kind` names; returns the new
 * mapping and its cookie (never 0, page aligned, unique in this
 * connection), or NULL when out of memory or given a bad argument.
 */
struct user_map *user_maps_add(struct user_maps *maps, struct user_map_kind kind,
			       const struct vgpu_sock_extent *ranges, uint32_t n, uint64_t *cookie);
void user_maps_remove(struct user_maps *maps, struct user_map *map);

/*
 * The ranges of the mapping named by `cookie`: a malloc'd copy in *ranges
 * (to free()) and, if `kind` is not NULL, what they lie in; -1 if there is
 * no such mapping or memory is short.
 */
int user_maps_lookup(struct user_maps *maps, uint64_t cookie, struct vgpu_sock_extent **ranges,
		     uint32_t *n, struct user_map_kind *kind);

#endif /* VGPU_SIM_USER_MAPS_H */
