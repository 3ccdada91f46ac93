/* SPDX-License-Identifier: MIT */
/*
 * The socket channel of the vgpu ABI: the same calls as the Windows
 * DeviceIoControl path, framed over a stream socket, for the Linux sim (and
 * for Windows programs under Wine, which reach it over TCP on loopback).
 *
 * One connection serves one opened device handle (a second may join it,
 * below).  On connect the server sends
 * a hello; then the client sends requests and reads one reply per request.
 * A client that shuts its sending side (or goes away) is gone: a call that
 * waits ends as cancelled, with no reply, and the connection closes.
 * All integers little-endian.
 */
#ifndef VGPU_SOCKET_H
#define VGPU_SOCKET_H

#include <stdint.h>

#include "vgpu_abi.h"

#define VGPU_SOCK_MAGIC 0x53555047u /* "GPUS" */
#define VGPU_SOCK_VERSION 2u
#define VGPU_SOCK_PATH_MAX 256u

/*
 * Sent by the server right after accept.  Guest memory is a shared file:
 * on Unix sockets its descriptor also arrives with the hello (SCM_RIGHTS);
 * otherwise the client opens mem_path.  When the device has host-visible
 * memory (region_size > 0), the region is a second shared file: its
 * descriptor follows the guest memory's in the same SCM_RIGHTS message,
 * and region_path names it for clients that open files by name.
 * Resource mappings are views of these files (see the MAP reply).
 */
struct vgpu_sock_hello {
	uint32_t magic;
	uint32_t version;
	uint64_t mem_size;
	char mem_path[VGPU_SOCK_PATH_MAX];
	uint64_t region_size;
	char region_path[VGPU_SOCK_PATH_MAX];
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_sock_hello, 536);

/*
 * A request: this header, `in_size` bytes of the call's fixed struct, then
 * (IN_DIRECT calls) `payload_size` bytes of payload.  For OUT_DIRECT calls
 * payload_size is the capacity of the caller's buffer (any size: no call
 * writes more than VGPU_MAX_CAPSET_BYTES) and no bytes follow; for other
 * methods no bytes follow either.  Only a frame the server cannot read
 * (wrong magic, in_size over VGPU_SOCK_MAX_FIXED, an IN_DIRECT payload over
 * the largest SUBMIT) gets an error reply and ends the connection; any
 * other request gets the call's status (an unknown code UNSUPPORTED, wrong
 * sizes BAD_SIZE) and the connection goes on.
 */
struct vgpu_sock_request {
	uint32_t magic;
	uint32_t code; /* VGPU_IOCTL_* */
	uint32_t in_size;
	uint32_t payload_size;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_sock_request, 16);

/*
 * A reply: this header, `out_size` bytes of the fixed struct, then
 * `payload_size` bytes of payload (OUT_DIRECT calls), then `num_extents`
 * struct vgpu_sock_extent.  Extents come only with a successful
 * RESOURCE_MAP: the mapping is those ranges of the file `mem_file` names
 * laid end to end, and the client itself makes that view and writes its
 * address into struct vgpu_resource_map.address.
 */
enum vgpu_sock_mem_file {
	VGPU_SOCK_FILE_GUEST_MEMORY = 0,
	VGPU_SOCK_FILE_HOST_VISIBLE = 1,
};
struct vgpu_sock_reply {
	uint32_t magic;
	int32_t status;
	uint32_t out_size;
	uint32_t payload_size;
	uint32_t num_extents;
	uint32_t mem_file; /* enum vgpu_sock_mem_file; 0 without extents */
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_sock_reply, 24);

struct vgpu_sock_extent {
	uint64_t offset; /* in the reply's mem_file */
	uint64_t len;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_sock_extent, 16);

/*
 * Joining a handle (sim only; answered by the server, never by the driver).
 * Under Windows, calls two threads make on one opened handle run side by
 * side; one connection carries one call at a time.  So a client may open a
 * second connection that serves the same handle:
 *
 *   JOIN_TOKEN on the first connection answers with a token naming its
 *   handle (the same token every time), or UNSUPPORTED when the server
 *   keeps the handle's calls in one order (it records them);
 *   JOIN, as the first request of a new connection, makes that connection
 *   serve the handle the token names in place of its own (BAD_HANDLE: no
 *   open handle has that token; STATE: not the first request).
 *
 * The token is unguessable and only the client that asked for it learns
 * it.  A handle closes when the last connection serving it ends.
 */
struct vgpu_sock_join {
	uint8_t token[32];
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_sock_join, 32);
#define VGPU_SOCK_JOIN_TOKEN VGPU_CTL_CODE(0xA00, VGPU_METHOD_BUFFERED)
#define VGPU_SOCK_JOIN VGPU_CTL_CODE(0xA01, VGPU_METHOD_BUFFERED)

/* Largest fixed struct any call has: bounds what a server reads. */
#define VGPU_SOCK_MAX_FIXED 256u

#endif /* VGPU_SOCKET_H */
