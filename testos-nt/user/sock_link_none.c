/* SPDX-License-Identifier: MIT */
/*
 * The guest has no sockets: libvgpu's socket channel (the sim's) cannot
 * connect here, with a reason, and so no link ever exists for the other
 * calls to act on.  libvgpu only tries it when given a socket address,
 * which the guest never does (it has no environment).
 */
#include "sock_link.h"

int sock_link_connect(const char *address, struct vgpu_sock_hello *hello, struct sock_link **out,
		      char *why, size_t why_cap)
{
	return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
			     "the NT test guest has no sockets; it talks to vgpu.sys");
}

int sock_link_open_file(struct sock_link *link, enum vgpu_sock_mem_file file, const char *path,
			uint64_t *usable, char *why, size_t why_cap)
{
	return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "no socket link in the guest");
}

uint64_t sock_link_page_size(void)
{
	return 4096;
}

bool sock_link_send(struct sock_link *link, const struct vgpu_piece *pieces, uint32_t count)
{
	return false;
}

bool sock_link_recv(struct sock_link *link, void *buf, size_t len)
{
	return false;
}

size_t sock_link_recv_some(struct sock_link *link, void *buf, size_t cap)
{
	return 0;
}

int sock_link_map(struct sock_link *link, enum vgpu_sock_mem_file file,
		  const struct vgpu_sock_extent *ext, uint32_t count, uint64_t size, void **address)
{
	return VGPU_E_TRANSPORT;
}

void sock_link_unmap(struct sock_link *link, void *address, uint64_t size)
{
}

void sock_link_close(struct sock_link *link)
{
}
