/* SPDX-License-Identifier: MIT */
/*
 * The socket channel's OS half for Windows, used under Wine to reach the
 * Linux sim: a stream, and views of the server's files (guest memory, the
 * host-visible region), which the hello names by their Linux paths and
 * Wine reaches as Z:\ + that path.  Views of them are shared memory with
 * the sim.  The stream is the sim's Unix socket when the address is a
 * path (wine_unix.h: Linux's own calls, without Wine's server in every
 * one), or Winsock TCP for tcp:HOST:PORT.
 *
 * Windows places file views only at multiples of the allocation
 * granularity (64 KiB), in the file and in the address space, while
 * extents are pages.  One extent becomes one view starting at the granule
 * below it; several extents are laid end to end in a freed reservation,
 * which needs every boundary between them on a granule (else the MAP
 * fails with VGPU_E_NO_MEMORY: this is a test channel, and resources
 * the sim backs with one run - the usual case - always map).
 */
#include <winsock2.h>
#include <windows.h>
#include <ws2tcpip.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sock_link.h"
#include "wine_unix.h"

/* Another thread may take a freed reservation before the views fill it: try again. */
#define MAP_ATTEMPTS 8

/* One of the server's files, opened and ready for views. */
struct link_file {
	HANDLE file;
	HANDLE mapping;
};

struct sock_link {
	/* One of the two: the Winsock socket (tcp:), or the Linux descriptor (a path). */
	SOCKET sock;
	wine_unix_fd unix_fd;
	struct link_file files[SOCK_LINK_NUM_FILES]; /* by enum vgpu_sock_mem_file */
	uint64_t granule;
	bool wsa_started;
};

static uint64_t allocation_granule(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwAllocationGranularity;
}

static void set_socket_options(SOCKET sock)
{
	DWORD timeout_ms = SOCK_LINK_REPLY_TIMEOUT_S * 1000;
	BOOL one = TRUE;

	/* Requests are small and answered one by one: do not let Nagle hold them. */
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout_ms, sizeof(timeout_ms));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout_ms, sizeof(timeout_ms));
}

static SOCKET connect_addrinfo(const struct addrinfo *ai)
{
	SOCKET sock = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

	if (sock == INVALID_SOCKET)
		return INVALID_SOCKET;
	if (connect(sock, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
		closesocket(sock);
		return INVALID_SOCKET;
	}
	set_socket_options(sock);
	return sock;
}

/* "tcp:HOST:PORT", HOST possibly in brackets (IPv6). */
static int connect_tcp(struct sock_link *link, const char *address, char *why, size_t why_cap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	const char *host_port = address + 4;
	const char *colon = strrchr(host_port, ':');
	struct addrinfo *list, *ai;
	char host[256];
	size_t len;
	int err;

	if (!colon || colon == host_port || !colon[1])
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "bad address %s (want tcp:HOST:PORT)", address);
	len = (size_t)(colon - host_port);
	if (host_port[0] == '[' && len >= 2 && host_port[len - 1] == ']') {
		host_port++;
		len -= 2;
	}
	if (len >= sizeof(host))
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "host name too long");
	memcpy(host, host_port, len);
	host[len] = '\0';
	err = getaddrinfo(host, colon + 1, &hints, &list);
	if (err)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "resolve %s: error %d", host,
				     err);
	for (ai = list; ai && link->sock == INVALID_SOCKET; ai = ai->ai_next)
		link->sock = connect_addrinfo(ai);
	freeaddrinfo(list);
	if (link->sock == INVALID_SOCKET)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "connect %s: Winsock error %d",
				     address, WSAGetLastError());
	return VGPU_OK;
}

static int connect_winsock(struct sock_link *link, const char *address, char *why, size_t why_cap)
{
	WSADATA wsa;

	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "Winsock does not start");
	link->wsa_started = true;
	return connect_tcp(link, address, why, why_cap);
}

int sock_link_connect(const char *address, struct vgpu_sock_hello *hello, struct sock_link **out,
		      char *why, size_t why_cap)
{
	struct sock_link *link = calloc(1, sizeof(*link));
	int status;

	if (!link)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "out of memory");
	link->sock = INVALID_SOCKET;
	link->unix_fd = -1;
	for (unsigned i = 0; i < SOCK_LINK_NUM_FILES; i++)
		link->files[i].file = INVALID_HANDLE_VALUE;
	link->granule = allocation_granule();
	if (strncmp(address, "tcp:", 4) == 0)
		status = connect_winsock(link, address, why, why_cap);
	else if (address[0] == '/')
		status = wine_unix_connect(address, &link->unix_fd, why, why_cap);
	else
		status = vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				       "%s: on Windows the sim is reached as tcp:HOST:PORT, or "
				       "under Wine as the absolute path of its Unix socket",
				       address);
	if (status == VGPU_OK && !sock_link_recv(link, hello, sizeof(*hello)))
		status = vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "no hello from the server");
	if (status != VGPU_OK) {
		sock_link_close(link);
		return status;
	}
	*out = link;
	return VGPU_OK;
}

/* "/dev/shm/x" -> L"Z:\dev\shm\x": Wine's drive Z: is the Unix root. */
static bool windows_path(const char *unix_path, wchar_t *out, int cap)
{
	char path[VGPU_SOCK_PATH_MAX + 2];
	size_t i;

	if (unix_path[0] != '/' || strlen(unix_path) + 2 >= sizeof(path))
		return false;
	snprintf(path, sizeof(path), "Z:%s", unix_path);
	for (i = 0; path[i]; i++)
		if (path[i] == '/')
			path[i] = '\\';
	return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, out, cap) > 0;
}

int sock_link_open_file(struct sock_link *link, enum vgpu_sock_mem_file file, const char *path,
			uint64_t *usable, char *why, size_t why_cap)
{
	wchar_t wpath[VGPU_SOCK_PATH_MAX + 2];
	struct link_file *f;
	LARGE_INTEGER size;

	if ((unsigned)file >= SOCK_LINK_NUM_FILES || !path)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "no such server file (%d)",
				     (int)file);
	f = &link->files[file];
	if (f->file != INVALID_HANDLE_VALUE)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "server file %d opened twice",
				     (int)file);
	if (!windows_path(path, wpath, VGPU_SOCK_PATH_MAX + 2))
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "hello: file path '%s' is not an absolute path", path);
	f->file = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE,
			      FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (f->file == INVALID_HANDLE_VALUE)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "open Z:%s: error %lu", path,
				     GetLastError());
	if (!GetFileSizeEx(f->file, &size) || size.QuadPart <= 0)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "server file Z:%s: no size",
				     path);
	f->mapping = CreateFileMappingW(f->file, NULL, PAGE_READWRITE, 0, 0, NULL);
	if (!f->mapping)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "server file Z:%s: cannot map (error %lu)", path,
				     GetLastError());
	*usable = (uint64_t)size.QuadPart;
	return VGPU_OK;
}

uint64_t sock_link_page_size(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwPageSize;
}

size_t sock_link_recv_some(struct sock_link *link, void *buf, size_t cap)
{
	int n;

	if (link->unix_fd >= 0)
		return wine_unix_recv_some(link->unix_fd, buf, cap);
	n = recv(link->sock, buf, cap > INT_MAX ? INT_MAX : (int)cap, 0);
	return n > 0 ? (size_t)n : 0;
}

bool sock_link_recv(struct sock_link *link, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		size_t n = sock_link_recv_some(link, p, len);

		if (!n)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static size_t winsock_send_some(void *stream, const struct vgpu_piece *pieces, uint32_t count)
{
	WSABUF bufs[SOCK_LINK_MAX_PIECES];
	SOCKET *sock = stream;
	DWORD sent = 0;
	uint32_t i;

	for (i = 0; i < count; i++) {
		bufs[i].buf = (char *)pieces[i].base;
		bufs[i].len = pieces[i].len;
	}
	return WSASend(*sock, bufs, count, &sent, 0, NULL, NULL) == 0 ? sent : 0;
}

bool sock_link_send(struct sock_link *link, const struct vgpu_piece *pieces, uint32_t count)
{
	if (link->unix_fd >= 0)
		return wine_unix_send(link->unix_fd, pieces, count);
	return sock_link_send_all(&link->sock, winsock_send_some, pieces, count);
}

/* A view of [offset, offset + len) of the file at `at` (NULL: anywhere) and its start. */
static char *map_range(struct sock_link *link, HANDLE mapping, uint64_t offset, uint64_t len,
		       char *at)
{
	uint64_t start = offset - offset % link->granule;
	char *view;

	view = MapViewOfFileEx(mapping, FILE_MAP_READ | FILE_MAP_WRITE, (DWORD)(start >> 32),
			       (DWORD)start, (SIZE_T)(offset - start + len),
			       at ? at - (offset - start) : NULL);
	return view ? view + (offset - start) : NULL;
}

/* Every boundary between extents must fall on a granule to be placeable. */
static bool extents_placeable(const struct sock_link *link, const struct vgpu_sock_extent *ext,
			      uint32_t count)
{
	uint64_t lead = ext[0].offset % link->granule;
	uint64_t pos = 0;
	uint32_t i;

	for (i = 1; i < count; i++) {
		pos += ext[i - 1].len;
		if ((lead + pos) % link->granule || ext[i].offset % link->granule)
			return false;
	}
	return true;
}

/*
 * Finds an address range for the whole layout, frees it and places the
 * views in it; false if another thread took part of it meanwhile.
 */
static bool map_in_freed_range(struct sock_link *link, HANDLE mapping,
			       const struct vgpu_sock_extent *ext, uint32_t count, uint64_t total,
			       char **address)
{
	uint64_t lead = ext[0].offset % link->granule;
	uint64_t pos = 0;
	char *range, *base;
	uint32_t i;

	range = VirtualAlloc(NULL, (SIZE_T)(lead + total), MEM_RESERVE, PAGE_NOACCESS);
	if (!range)
		return false;
	VirtualFree(range, 0, MEM_RELEASE);
	base = range + lead;
	for (i = 0; i < count; i++) {
		if (map_range(link, mapping, ext[i].offset, ext[i].len, base + pos) != base + pos)
			break;
		pos += ext[i].len;
	}
	if (i == count) {
		*address = base;
		return true;
	}
	if (pos)
		sock_link_unmap(link, base, pos);
	return false;
}

static char *map_laid_out(struct sock_link *link, HANDLE mapping,
			  const struct vgpu_sock_extent *ext, uint32_t count)
{
	uint64_t total = 0;
	char *base = NULL;
	uint32_t i;

	if (!extents_placeable(link, ext, count))
		return NULL;
	for (i = 0; i < count; i++)
		total += ext[i].len;
	for (i = 0; i < MAP_ATTEMPTS; i++)
		if (map_in_freed_range(link, mapping, ext, count, total, &base))
			return base;
	return NULL;
}

int sock_link_map(struct sock_link *link, enum vgpu_sock_mem_file file,
		  const struct vgpu_sock_extent *ext, uint32_t count, uint64_t size, void **address)
{
	HANDLE mapping;
	char *base;

	(void)size; /* the extents, checked to cover it, say all */
	if ((unsigned)file >= SOCK_LINK_NUM_FILES || !link->files[file].mapping)
		return VGPU_E_INVALID;
	mapping = link->files[file].mapping;
	if (count == 1)
		base = map_range(link, mapping, ext[0].offset, ext[0].len, NULL);
	else
		base = map_laid_out(link, mapping, ext, count);
	if (!base)
		return VGPU_E_NO_MEMORY;
	*address = base;
	return VGPU_OK;
}

/* Each view in the range, found by asking the system where the view holding each byte starts. */
void sock_link_unmap(struct sock_link *link, void *address, uint64_t size)
{
	char *p = address, *end = p + size;

	(void)link;
	while (p < end) {
		MEMORY_BASIC_INFORMATION mbi;

		if (!VirtualQuery(p, &mbi, sizeof(mbi)) || mbi.Type != MEM_MAPPED ||
		    !UnmapViewOfFile(mbi.AllocationBase))
			return;
		p = (char *)mbi.BaseAddress + mbi.RegionSize;
	}
}

void sock_link_close(struct sock_link *link)
{
	for (unsigned i = 0; i < SOCK_LINK_NUM_FILES; i++) {
		if (link->files[i].mapping)
			CloseHandle(link->files[i].mapping);
		if (link->files[i].file != INVALID_HANDLE_VALUE)
			CloseHandle(link->files[i].file);
	}
	if (link->sock != INVALID_SOCKET)
		closesocket(link->sock);
	if (link->unix_fd >= 0)
		wine_unix_close(link->unix_fd);
	if (link->wsa_started)
		WSACleanup();
	free(link);
}
