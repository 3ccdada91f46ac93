/* SPDX-License-Identifier: MIT */
/* Opened handles shared by the connections that joined them (file_share.h). */
#include "file_share.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void file_shares_init(struct file_shares *shares)
{
	pthread_mutex_init(&shares->lock, NULL);
	shares->head = NULL;
}

void file_shares_fini(struct file_shares *shares)
{
	pthread_mutex_destroy(&shares->lock);
}

int file_share_open(struct file_shares *shares, struct vgpu_device *dev, struct guest_mem *mem,
		    struct file_share **out)
{
	struct file_share *share = calloc(1, sizeof(*share));
	int status;

	if (!share)
		return VGPU_E_NO_MEMORY;
	user_maps_init(&share->maps);
	status = vgpu_file_open(dev, &share->maps, &share->file);
	if (status != VGPU_OK) {
		user_maps_fini(&share->maps);
		free(share);
		return status;
	}
	share->rec = recorder_create(share->file, &share->maps, mem);
	share->refs = 1;
	pthread_mutex_lock(&shares->lock);
	share->next = shares->head;
	shares->head = share;
	pthread_mutex_unlock(&shares->lock);
	*out = share;
	return VGPU_OK;
}

/* The kernel's random bytes: a token must not be guessable by another client. */
static bool fill_random(uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

int file_share_token(struct file_shares *shares, struct file_share *share,
		     struct vgpu_sock_join *out)
{
	int status = VGPU_OK;

	if (share->rec)
		return VGPU_E_UNSUPPORTED;
	pthread_mutex_lock(&shares->lock);
	if (!share->has_token)
		share->has_token = fill_random(share->token, sizeof(share->token));
	if (share->has_token)
		memcpy(out->token, share->token, sizeof(out->token));
	else
		status = VGPU_E_NO_MEMORY;
	pthread_mutex_unlock(&shares->lock);
	return status;
}

/* Every byte compared, so that the time taken says nothing of where they differ. */
static bool token_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

struct file_share *file_share_join(struct file_shares *shares, const struct vgpu_sock_join *token)
{
	struct file_share *found = NULL;

	pthread_mutex_lock(&shares->lock);
	for (struct file_share *s = shares->head; s && !found; s = s->next) {
		if (s->has_token && token_equal(s->token, token->token, sizeof(s->token)))
			found = s;
	}
	if (found)
		found->refs++;
	pthread_mutex_unlock(&shares->lock);
	return found;
}

void file_share_put(struct file_shares *shares, struct file_share *share)
{
	struct file_share **link;
	bool last;

	pthread_mutex_lock(&shares->lock);
	last = --share->refs == 0;
	for (link = &shares->head; last && *link; link = &(*link)->next) {
		if (*link == share) {
			*link = share->next;
			break;
		}
	}
	pthread_mutex_unlock(&shares->lock);
	if (!last)
		return;
	/* Outside the lock: closing waits for the handle's work on the device. */
	recorder_destroy(share->rec);
	vgpu_file_close(share->file);
	user_maps_fini(&share->maps);
	free(share);
}
