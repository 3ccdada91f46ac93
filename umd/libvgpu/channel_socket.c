/* SPDX-License-Identifier: MIT */
/*
 * The socket channel (include/vgpu/vgpu_socket.h), the same on every OS:
 * framing of requests, and checks of everything the server sends.  The
 * stream and the memory views are the OS's (sock_link.h).
 *
 * One request/reply pair at a time per connection (a lock serialises
 * them).  WAITs, which may take long, go on a second connection joined to
 * the first's handle (VGPU_SOCK_JOIN), opened by the first WAIT, so that
 * one thread's WAIT does not hold another's SUBMIT behind it, as it does
 * not under Windows; libvgpu also slices WAITs (wait_slice_ns), which
 * keeps WAITs of several threads, or all calls when the server will not
 * join, taking turns.  Any breach of the framing, or a server that closes
 * or stops answering, fails the call with VGPU_E_TRANSPORT and leaves that
 * connection marked broken, since its stream can no longer be trusted to
 * be in step.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "sock_link.h"
#include "channel.h"

#define WAIT_SLICE_NS (50ull * 1000000ull)
/* The request header, the fixed struct and the payload pieces. */
#define MAX_PIECES 6
/*
 * A reply's header, fixed struct and a small payload, read in one go: the
 * server sends a reply at once, and every read is a trip through the OS
 * (under Wine, through its server too).
 */
#define READ_AHEAD 512

/* One connection to the server: its stream, and its current reply. */
struct sock_lane {
	struct vgpu_lock lock;
	struct sock_link *link;
	bool broken;
	/* Bytes of the current reply read but not yet taken: ahead[ahead_at, ahead_len). */
	uint8_t ahead[READ_AHEAD];
	uint32_t ahead_at, ahead_len;
};

struct sock_channel {
	struct vgpu_channel base;
	char *address;
	/* Every call but WAIT; the server's files and the views are this lane's. */
	struct sock_lane main;
	/*
	 * WAITs, once the first WAIT (wait_tried, under wait.lock) has joined
	 * it; its link stays NULL when the server would not join.
	 */
	struct sock_lane wait;
	bool wait_tried;
	/* By enum vgpu_sock_mem_file: bytes of each file extents may name (0: no such file). */
	uint64_t file_size[SOCK_LINK_NUM_FILES];
	uint64_t page_size;
};

static int check_hello(const struct vgpu_sock_hello *hello, char *why, size_t why_cap)
{
	if (hello->magic != VGPU_SOCK_MAGIC)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "not a vgpu server (hello magic 0x%08x)", hello->magic);
	if (hello->version != VGPU_SOCK_VERSION)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "vgpu socket version %u, want %u", hello->version,
				     VGPU_SOCK_VERSION);
	if (!memchr(hello->mem_path, '\0', sizeof(hello->mem_path)))
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "hello: unterminated memory path");
	if (!memchr(hello->region_path, '\0', sizeof(hello->region_path)))
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "hello: unterminated host-visible path");
	if (!hello->mem_size)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "hello: no guest memory");
	return VGPU_OK;
}

/*
 * Opens one of the server's files; extents must lie inside both what the
 * server claims and what the file holds.
 */
static int open_file(struct sock_channel *s, enum vgpu_sock_mem_file file, const char *path,
		     uint64_t claimed, char *why, size_t why_cap)
{
	uint64_t usable = 0;
	int status = sock_link_open_file(s->main.link, file, path, &usable, why, why_cap);

	if (status == VGPU_OK)
		s->file_size[file] = claimed < usable ? claimed : usable;
	return status;
}

static int open_files(struct sock_channel *s, const struct vgpu_sock_hello *hello, char *why,
		      size_t why_cap)
{
	int status = open_file(s, VGPU_SOCK_FILE_GUEST_MEMORY, hello->mem_path, hello->mem_size,
			       why, why_cap);

	if (status == VGPU_OK && hello->region_size)
		status = open_file(s, VGPU_SOCK_FILE_HOST_VISIBLE, hello->region_path,
				   hello->region_size, why, why_cap);
	return status;
}

static void add_piece(struct vgpu_piece *pieces, uint32_t *count, const void *base, uint32_t len)
{
	if (!len)
		return;
	pieces[*count].base = base;
	pieces[*count].len = len;
	(*count)++;
}

static int send_request(struct sock_lane *lane, const struct vgpu_call *call)
{
	uint32_t method = VGPU_CTL_METHOD(call->code);
	struct vgpu_sock_request req = {
		.magic = VGPU_SOCK_MAGIC,
		.code = call->code,
		.in_size = call->fixed_size,
	};
	struct vgpu_piece pieces[MAX_PIECES];
	uint64_t payload = 0;
	uint32_t count = 0, i;

	if (call->fixed_size > VGPU_SOCK_MAX_FIXED || call->num_pieces > MAX_PIECES - 2 ||
	    (call->num_pieces && method != VGPU_METHOD_IN_DIRECT))
		return VGPU_E_INVALID;
	for (i = 0; i < call->num_pieces; i++)
		payload += call->payload_in[i].len;
	if (method == VGPU_METHOD_OUT_DIRECT)
		payload = call->payload_out_cap;
	if (payload > UINT32_MAX)
		return VGPU_E_INVALID;
	req.payload_size = (uint32_t)payload;
	add_piece(pieces, &count, &req, sizeof(req));
	add_piece(pieces, &count, call->fixed, call->fixed_size);
	for (i = 0; i < call->num_pieces; i++)
		add_piece(pieces, &count, call->payload_in[i].base, call->payload_in[i].len);
	return sock_link_send(lane->link, pieces, count) ? VGPU_OK : VGPU_E_TRANSPORT;
}

/*
 * `len` bytes of the reply: first what was read ahead, then from the link,
 * reading ahead when what is wanted is small.  Nothing but the reply can
 * arrive (one request at a time), so reading ahead never takes another's.
 */
static bool recv_exact(struct sock_lane *lane, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t take;

		if (lane->ahead_at == lane->ahead_len) {
			if (len >= sizeof(lane->ahead))
				return sock_link_recv(lane->link, p, len);
			lane->ahead_at = 0;
			lane->ahead_len = (uint32_t)sock_link_recv_some(lane->link, lane->ahead,
									sizeof(lane->ahead));
			if (!lane->ahead_len)
				return false;
		}
		take = lane->ahead_len - lane->ahead_at;
		if (take > len)
			take = len;
		memcpy(p, lane->ahead + lane->ahead_at, take);
		lane->ahead_at += (uint32_t)take;
		p += take;
		len -= take;
	}
	return true;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static bool extent_ok(const struct sock_channel *s, uint64_t file_size,
		      const struct vgpu_sock_extent *e)
{
	return e->len && e->offset % s->page_size == 0 && e->len % s->page_size == 0 &&
	       e->offset <= file_size && e->len <= file_size - e->offset;
}

/*
 * Reads the extents of a MAP reply and checks them against their file
 * (opened, so file_size is known) and the mapping size.  Returns them (to
 * free), or NULL on a breach.
 */
static struct vgpu_sock_extent *recv_extents(struct sock_channel *s, uint64_t file_size,
					     uint32_t count, uint64_t map_size)
{
	uint64_t max_count = VGPU_MAX_RESOURCE_BYTES / s->page_size;
	struct vgpu_sock_extent *ext;
	uint64_t total = 0;
	uint32_t i;

	if (!count || count > max_count || !map_size || map_size > VGPU_MAX_RESOURCE_BYTES)
		return NULL;
	ext = calloc(count, sizeof(*ext));
	if (!ext)
		return NULL;
	for (i = 0; i < count; i++) {
		if (!recv_exact(&s->main, &ext[i], sizeof(ext[i])) ||
		    !extent_ok(s, file_size, &ext[i]))
			break;
		total += ext[i].len;
		if (total > round_up(map_size, s->page_size))
			break;
	}
	if (i < count || total != round_up(map_size, s->page_size)) {
		free(ext);
		return NULL;
	}
	return ext;
}

static int recv_mapping(struct sock_channel *s, struct vgpu_call *call,
			const struct vgpu_sock_reply *rep)
{
	struct vgpu_resource_map *m = call->fixed;
	struct vgpu_sock_extent *ext;
	void *address = NULL;
	int status;

	/* A file the hello did not announce is as much a breach as an extent outside one. */
	if (call->fixed_size != sizeof(*m) || rep->mem_file >= SOCK_LINK_NUM_FILES ||
	    !s->file_size[rep->mem_file])
		return VGPU_E_TRANSPORT;
	ext = recv_extents(s, s->file_size[rep->mem_file], rep->num_extents, m->size);
	if (!ext)
		return VGPU_E_TRANSPORT;
	status = sock_link_map(s->main.link, (enum vgpu_sock_mem_file)rep->mem_file, ext,
			       rep->num_extents, m->size, &address);
	free(ext);
	if (status == VGPU_OK)
		m->address = (uint64_t)(uintptr_t)address;
	return status;
}

static bool status_known(int32_t status)
{
	return status <= VGPU_OK && status > VGPU_E_TRANSPORT;
}

/*
 * Reads one reply into the call.  Returns the server's status, or
 * VGPU_E_TRANSPORT with *broken set when the reply breaks the framing.
 * A MAP comes only on the main lane, whose link opened the files.
 */
static int recv_reply(struct sock_channel *s, struct sock_lane *lane, struct vgpu_call *call,
		      bool *broken)
{
	bool out_direct = VGPU_CTL_METHOD(call->code) == VGPU_METHOD_OUT_DIRECT;
	struct vgpu_sock_reply rep;
	bool mapping;
	int status;

	*broken = true;
	if (!recv_exact(lane, &rep, sizeof(rep)) || rep.magic != VGPU_SOCK_MAGIC ||
	    !status_known(rep.status) || rep.out_size > call->fixed_size ||
	    rep.payload_size > (out_direct ? call->payload_out_cap : 0))
		return VGPU_E_TRANSPORT;
	mapping = call->code == VGPU_IOCTL_RESOURCE_MAP && rep.status == VGPU_OK;
	if ((rep.num_extents != 0) != mapping || (!mapping && rep.mem_file))
		return VGPU_E_TRANSPORT;
	if (!recv_exact(lane, call->fixed, rep.out_size) ||
	    !recv_exact(lane, call->payload_out, rep.payload_size))
		return VGPU_E_TRANSPORT;
	call->payload_written = rep.payload_size;
	status = mapping ? recv_mapping(s, call, &rep) : rep.status;
	/* bytes past the reply: the server does not keep to the framing */
	if (lane->ahead_at != lane->ahead_len)
		status = VGPU_E_TRANSPORT;
	*broken = status == VGPU_E_TRANSPORT;
	return status;
}

/* One request and its reply on `lane`, whose lock the caller holds. */
static int lane_call(struct sock_channel *s, struct sock_lane *lane, struct vgpu_call *call)
{
	bool broken = false;
	int status;

	call->payload_written = 0;
	if (lane->broken)
		return VGPU_E_TRANSPORT;
	status = send_request(lane, call);
	if (status == VGPU_E_TRANSPORT)
		broken = true;
	else if (status == VGPU_OK)
		status = recv_reply(s, lane, call, &broken);
	lane->broken = broken;
	return status;
}

static int main_call(struct sock_channel *s, struct vgpu_call *call)
{
	int status;

	vgpu_lock_take(&s->main.lock);
	status = lane_call(s, &s->main, call);
	vgpu_lock_release(&s->main.lock);
	return status;
}

/*
 * Connects the wait lane and joins it to the main lane's handle.  Leaves
 * wait.link NULL if the server will not (one that records keeps a handle's
 * calls in one order) or cannot; the main lane is as it was unless it broke.
 */
static void join_wait_lane(struct sock_channel *s)
{
	struct vgpu_sock_join token;
	struct vgpu_call call = { .code = VGPU_SOCK_JOIN_TOKEN,
				  .fixed = &token,
				  .fixed_size = sizeof(token) };
	struct vgpu_sock_hello hello;
	char why[160];

	if (main_call(s, &call) != VGPU_OK ||
	    sock_link_connect(s->address, &hello, &s->wait.link, why, sizeof(why)) != VGPU_OK)
		return;
	call.code = VGPU_SOCK_JOIN;
	if (check_hello(&hello, why, sizeof(why)) != VGPU_OK ||
	    lane_call(s, &s->wait, &call) != VGPU_OK) {
		sock_link_close(s->wait.link);
		s->wait.link = NULL;
	}
}

/* A WAIT on the wait lane, joined by the first; false if WAITs share the main lane. */
static bool wait_lane_call(struct sock_channel *s, struct vgpu_call *call, int *status)
{
	bool joined;

	vgpu_lock_take(&s->wait.lock);
	if (!s->wait_tried) {
		s->wait_tried = true;
		join_wait_lane(s);
	}
	joined = s->wait.link != NULL;
	if (joined)
		*status = lane_call(s, &s->wait, call);
	vgpu_lock_release(&s->wait.lock);
	return joined;
}

static int sock_call(struct vgpu_channel *base, struct vgpu_call *call)
{
	struct sock_channel *s = (struct sock_channel *)base;
	int status;

	if (call->code == VGPU_IOCTL_WAIT && wait_lane_call(s, call, &status))
		return status;
	return main_call(s, call);
}

static void sock_unmap_view(struct vgpu_channel *base, void *address, uint64_t size)
{
	struct sock_channel *s = (struct sock_channel *)base;

	sock_link_unmap(s->main.link, address, size);
}

static void sock_close(struct vgpu_channel *base)
{
	struct sock_channel *s = (struct sock_channel *)base;

	if (s->wait.link)
		sock_link_close(s->wait.link);
	if (s->main.link)
		sock_link_close(s->main.link);
	vgpu_lock_fini(&s->wait.lock);
	vgpu_lock_fini(&s->main.lock);
	free(s->address);
	free(s);
}

static const struct vgpu_channel_ops sock_ops = {
	.call = sock_call,
	.unmap_view = sock_unmap_view,
	.close = sock_close,
};

int vgpu_channel_socket_open(const char *address, struct vgpu_channel **out, char *why,
			     size_t why_cap)
{
	struct sock_channel *s = calloc(1, sizeof(*s));
	struct vgpu_sock_hello hello;
	int status;

	if (!s)
		return VGPU_E_NO_MEMORY;
	s->base.ops = &sock_ops;
	s->base.wait_slice_ns = WAIT_SLICE_NS;
	s->page_size = sock_link_page_size();
	vgpu_lock_init(&s->main.lock);
	vgpu_lock_init(&s->wait.lock);
	s->address = malloc(strlen(address) + 1);
	if (!s->address) {
		sock_close(&s->base);
		return VGPU_E_NO_MEMORY;
	}
	memcpy(s->address, address, strlen(address) + 1);
	status = sock_link_connect(address, &hello, &s->main.link, why, why_cap);
	if (status == VGPU_OK)
		status = check_hello(&hello, why, why_cap);
	if (status == VGPU_OK)
		status = open_files(s, &hello, why, why_cap);
	if (status != VGPU_OK) {
		sock_close(&s->base);
		return status;
	}
	*out = &s->base;
	return VGPU_OK;
}
