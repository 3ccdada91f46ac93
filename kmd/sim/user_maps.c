/* SPDX-License-Identifier: MIT */
/* Per-connection mapping records: a small list, one entry per mapped resource. */
#include "user_maps.h"

#include <stdlib.h>
#include <string.h>

/* Cookies look like page-aligned addresses, so nothing mistakes them for offsets. */
#define COOKIE_STEP 0x1000u

struct user_map {
	struct user_map *next;
	uint64_t cookie;
	struct user_map_kind kind;
	uint32_t n;
	struct vgpu_sock_extent ranges[];
};

void user_maps_init(struct user_maps *maps)
{
	pthread_mutex_init(&maps->lock, NULL);
	maps->head = NULL;
	maps->next_cookie = COOKIE_STEP;
}

void user_maps_fini(struct user_maps *maps)
{
	while (maps->head) {
		struct user_map *map = maps->head;

		maps->head = map->next;
		free(map);
	}
	pthread_mutex_destroy(&maps->lock);
}

struct user_map *user_maps_add(struct user_maps *maps, struct user_map_kind kind,
			       const struct vgpu_sock_extent *ranges, uint32_t n, uint64_t *cookie)
{
	struct user_map *map;

	if (!maps || !ranges || n == 0 || !cookie ||
	    (kind.file != VGPU_SOCK_FILE_GUEST_MEMORY && kind.file != VGPU_SOCK_FILE_HOST_VISIBLE))
		return NULL;
	map = malloc(sizeof(*map) + (size_t)n * sizeof(map->ranges[0]));
	if (!map)
		return NULL;
	map->kind = kind;
	map->n = n;
	memcpy(map->ranges, ranges, n * sizeof(map->ranges[0]));
	pthread_mutex_lock(&maps->lock);
	map->cookie = maps->next_cookie;
	maps->next_cookie += COOKIE_STEP;
	map->next = maps->head;
	maps->head = map;
	pthread_mutex_unlock(&maps->lock);
	*cookie = map->cookie;
	return map;
}

void user_maps_remove(struct user_maps *maps, struct user_map *map)
{
	struct user_map **link;

	if (!maps || !map)
		return;
	pthread_mutex_lock(&maps->lock);
	for (link = &maps->head; *link; link = &(*link)->next) {
		if (*link == map) {
			*link = map->next;
			free(map);
			break;
		}
	}
	pthread_mutex_unlock(&maps->lock);
}

int user_maps_lookup(struct user_maps *maps, uint64_t cookie, struct vgpu_sock_extent **ranges,
		     uint32_t *n, struct user_map_kind *kind)
{
	int ret = -1;

	if (!maps || !ranges || !n)
		return -1;
	pthread_mutex_lock(&maps->lock);
	for (struct user_map *map = maps->head; map; map = map->next) {
		if (map->cookie != cookie)
			continue;
		*ranges = malloc((size_t)map->n * sizeof(map->ranges[0]));
		if (*ranges) {
			memcpy(*ranges, map->ranges, map->n * sizeof(map->ranges[0]));
			*n = map->n;
			if (kind)
				*kind = map->kind;
			ret = 0;
		}
		break;
	}
	pthread_mutex_unlock(&maps->lock);
	return ret;
}
