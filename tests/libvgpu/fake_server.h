/* SPDX-License-Identifier: MIT */
/*
 * A scripted vgpu socket server for libvgpu's tests: one thread, one
 * connection, guest memory and a host-visible region in memfds.  It
 * answers every call sensibly, records each request, and can be told to
 * break the framing once.
 */
#ifndef VGPU_TESTS_FAKE_SERVER_H
#define VGPU_TESTS_FAKE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgpu/vgpu_socket.h"

enum fake_fault {
	FAULT_NONE,
	FAULT_HELLO_MAGIC,       /* the hello carries a wrong magic */
	FAULT_HELLO_CLOSE,       /* close instead of sending the hello */
	FAULT_HELLO_VERSION,     /* the hello says socket version 1 */
	FAULT_HELLO_REGION_PATH, /* the hello's region path is not terminated */
	FAULT_REPLY_MAGIC,       /* a reply with a wrong magic */
	FAULT_OUT_TOO_BIG,       /* out_size larger than the request's in_size */
	FAULT_PAYLOAD_TOO_BIG,   /* payload larger than the caller's capacity */
	FAULT_PAYLOAD_UNASKED,   /* a payload on a buffered call */
	FAULT_EXTENT_OUTSIDE,    /* a MAP extent past the end of guest memory */
	FAULT_EXTENT_UNALIGNED,  /* a MAP extent not on a page boundary */
	FAULT_EXTENT_SHORT,      /* MAP extents that do not cover the mapping */
	FAULT_BAD_MEM_FILE,      /* a MAP reply naming a file that does not exist (2) */
	FAULT_MEM_FILE_UNASKED,  /* mem_file 1 on a reply without extents */
	FAULT_CLOSE_MID_REPLY,   /* half a reply header, then close */
	FAULT_CLOSE_NO_REPLY,    /* close instead of replying */
	FAULT_CLOSE_AFTER_REPLY, /* reply properly, then close */
	FAULT_REPLY_TRAILING,    /* a reply and more bytes, in one write */
};

#define FAKE_MAX_LOG 256u
#define FAKE_MAX_PAYLOAD 4096u
#define FAKE_MEM_SIZE (64u * 1024u)
/* Smaller than guest memory: an extent can lie inside one file and outside the other. */
#define FAKE_REGION_SIZE (32u * 1024u)

struct fake_request {
	uint32_t code;
	uint32_t in_size;
	uint32_t payload_size;
	uint8_t in[VGPU_SOCK_MAX_FIXED];
	uint8_t payload[FAKE_MAX_PAYLOAD]; /* the first bytes of an IN_DIRECT payload */
};

struct fake_server {
	/* Set before fake_start. */
	bool pass_fd;          /* send the memfds with the hello (else only paths) */
	bool region;           /* offer a host-visible region */
	char region_path[64];  /* its path in the hello ("": /proc/self/fd/N) */
	enum fake_fault fault; /* applied once, to the first request with fault_code */
	uint32_t fault_code;
	uint32_t info_abi_major;
	int32_t status[16]; /* status per call, by function number - 0x900 */
	struct vgpu_sock_extent extents[4];
	uint32_t num_extents;
	uint64_t map_size;
	uint32_t map_file; /* the MAP reply's mem_file */
	uint8_t capset[512];
	uint32_t capset_size;

	/* Owned by the server. */
	char dir[64];
	char path[128];
	int listen_fd;
	int mem_fd;
	int region_fd;
	pthread_t thread;
	bool serving; /* the thread runs or awaits its join */
	pthread_mutex_t lock;
	struct fake_request log[FAKE_MAX_LOG];
	unsigned int log_count;
};

/*
 * Defaults: fd passing, a region, ABI 1, every call OK, a two-extent
 * mapping of guest memory.
 */
void fake_init(struct fake_server *f);
/*
 * Listens on a fresh Unix socket (f->path) and serves one connection.  The
 * socket file and its directory go once that client has connected (or none
 * came within a few seconds), and at once if the start fails: no path of a
 * test leaves them behind.  0, or -1 with nothing left to stop.
 */
int fake_start(struct fake_server *f);
/* Waits for the server to end its connection. */
void fake_wait_closed(struct fake_server *f);
/* Waits for the connection to end, then closes the socket and memory (after any fake_start). */
void fake_stop(struct fake_server *f);

unsigned int fake_count(struct fake_server *f);
/* A copy of request i (0 = the first after the hello). */
struct fake_request fake_request(struct fake_server *f, unsigned int i);

#endif /* VGPU_TESTS_FAKE_SERVER_H */
