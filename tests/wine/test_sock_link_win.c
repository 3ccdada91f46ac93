/* SPDX-License-Identifier: MIT */
/*
 * libvgpu's Windows views of the server's files, against a scripted server
 * in this process (Winsock on loopback) and files of its own under Z:\tmp
 * (guest memory and a host-visible region): extents laid end to end in one
 * view, in any file order; an extent starting inside a 64 KiB granule;
 * boundaries no view can follow refused; a MAP reply naming the region
 * viewed from the region's file; extents outside the region refused; views
 * gone after UNMAP.  Runs under Wine; needs no sim.
 */
#include <winsock2.h>
#include <windows.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "libvgpu.h"
#include "tap.h"
#include "vgpu/vgpu_socket.h"

#define PAGE 4096u
#define GRANULE 65536u
#define MEM_BYTES (1u << 20)
/* Smaller than guest memory, so that an extent can fit one and not the other. */
#define REGION_BYTES (256u << 10)
/* Region pages are tagged apart from memory pages. */
#define REGION_TAG 0x10000u

/* What MAP answers for each handle: the file, extents and mapping size. */
struct script {
	uint32_t handle;
	uint32_t count;
	struct vgpu_sock_extent ext[2];
	uint32_t mem_file;
};

static const struct script scripts[] = {
	/* Two granule-aligned extents, the later file range first. */
	{ 1,
	  2,
	  { { 3 * GRANULE, GRANULE }, { GRANULE, GRANULE + 2 * PAGE } },
	  VGPU_SOCK_FILE_GUEST_MEMORY },
	/* A boundary inside a granule: no view can be placed there. */
	{ 2, 2, { { 0, PAGE }, { 2 * PAGE, PAGE } }, VGPU_SOCK_FILE_GUEST_MEMORY },
	/* One extent starting a page into a granule. */
	{ 3, 1, { { 5 * GRANULE + PAGE, 2 * PAGE } }, VGPU_SOCK_FILE_GUEST_MEMORY },
	/* Region pages, a page into its second granule. */
	{ 4, 1, { { GRANULE + PAGE, 3 * PAGE } }, VGPU_SOCK_FILE_HOST_VISIBLE },
	/* Inside guest memory, past the end of the region. */
	{ 5, 1, { { REGION_BYTES, PAGE } }, VGPU_SOCK_FILE_HOST_VISIBLE },
};

static char mem_unix_path[128];
static wchar_t mem_path[160];
static char region_unix_path[128];
static wchar_t region_path[160];
static SOCKET listener = INVALID_SOCKET;
static uint16_t port;
static struct vgpu_dev *dev;

static bool recv_all(SOCKET s, void *buf, int len)
{
	char *p = buf;

	while (len > 0) {
		int n = recv(s, p, len, 0);

		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static bool send_reply(SOCKET s, int32_t status, const void *out, uint32_t out_size,
		       const struct vgpu_sock_extent *ext, uint32_t count, uint32_t mem_file)
{
	struct vgpu_sock_reply rep = { .magic = VGPU_SOCK_MAGIC,
				       .status = status,
				       .out_size = out_size,
				       .num_extents = count,
				       .mem_file = mem_file };

	return send(s, (const char *)&rep, sizeof(rep), 0) == sizeof(rep) &&
	       (!out_size || send(s, out, (int)out_size, 0) == (int)out_size) &&
	       (!count || send(s, (const char *)ext, (int)(count * sizeof(*ext)), 0) ==
				  (int)(count * sizeof(*ext)));
}

static bool answer_map(SOCKET s, struct vgpu_resource_map *m)
{
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		const struct script *sc = &scripts[i];

		if (sc->handle != m->handle)
			continue;
		m->size = 0;
		for (uint32_t j = 0; j < sc->count; j++)
			m->size += sc->ext[j].len;
		return send_reply(s, VGPU_OK, m, sizeof(*m), sc->ext, sc->count, sc->mem_file);
	}
	return send_reply(s, VGPU_E_BAD_HANDLE, NULL, 0, NULL, 0, 0);
}

static bool serve_one(SOCKET s)
{
	struct vgpu_sock_request req;
	union {
		uint8_t bytes[VGPU_SOCK_MAX_FIXED];
		struct vgpu_get_info info;
		struct vgpu_resource_map map;
	} in;

	if (!recv_all(s, &req, sizeof(req)) || req.in_size > sizeof(in) || req.payload_size ||
	    !recv_all(s, in.bytes, (int)req.in_size))
		return false;
	if (req.code == VGPU_IOCTL_GET_INFO && req.in_size == sizeof(in.info)) {
		in.info.abi_major = VGPU_ABI_VERSION_MAJOR;
		in.info.personality = VGPU_PERSONALITY_STANDARD;
		return send_reply(s, VGPU_OK, &in.info, sizeof(in.info), NULL, 0, 0);
	}
	if (req.code == VGPU_IOCTL_RESOURCE_MAP && req.in_size == sizeof(in.map))
		return answer_map(s, &in.map);
	return send_reply(s, VGPU_OK, NULL, 0, NULL, 0, 0);
}

/* One client at a time, for as long as the program runs. */
static DWORD WINAPI server_main(void *arg)
{
	struct vgpu_sock_hello hello = { .magic = VGPU_SOCK_MAGIC,
					 .version = VGPU_SOCK_VERSION,
					 .mem_size = MEM_BYTES,
					 .region_size = REGION_BYTES };
	SOCKET s;

	(void)arg;
	snprintf(hello.mem_path, sizeof(hello.mem_path), "%s", mem_unix_path);
	snprintf(hello.region_path, sizeof(hello.region_path), "%s", region_unix_path);
	while ((s = accept(listener, NULL, NULL)) != INVALID_SOCKET) {
		if (send(s, (const char *)&hello, sizeof(hello), 0) == sizeof(hello))
			while (serve_one(s))
				;
		closesocket(s);
	}
	return 0;
}

/* A file of `bytes`, each page starting with its own index plus `tag`. */
static bool make_file(const wchar_t *path, uint32_t bytes, uint32_t tag)
{
	HANDLE file, mapping;
	uint8_t *all;

	file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
			   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			   CREATE_ALWAYS, 0, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return false;
	mapping = CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, bytes, NULL);
	all = mapping ? MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, bytes) : NULL;
	if (!all)
		return false;
	for (uint32_t i = 0; i < bytes / PAGE; i++) {
		uint32_t value = i + tag;

		memcpy(all + i * PAGE, &value, sizeof(value));
	}
	return true;
}

static bool make_files(void)
{
	snprintf(mem_unix_path, sizeof(mem_unix_path), "/tmp/vgpu-fake-mem-%lu",
		 GetCurrentProcessId());
	swprintf(mem_path, 160, L"Z:\\tmp\\vgpu-fake-mem-%lu", GetCurrentProcessId());
	snprintf(region_unix_path, sizeof(region_unix_path), "/tmp/vgpu-fake-region-%lu",
		 GetCurrentProcessId());
	swprintf(region_path, 160, L"Z:\\tmp\\vgpu-fake-region-%lu", GetCurrentProcessId());
	return make_file(mem_path, MEM_BYTES, 0) &&
	       make_file(region_path, REGION_BYTES, REGION_TAG);
}

static bool start_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int len = sizeof(sa);
	WSADATA wsa;

	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return false;
	listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (listener == INVALID_SOCKET || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr *)&sa, &len) != 0)
		return false;
	port = ntohs(sa.sin_port);
	return CreateThread(NULL, 0, server_main, NULL, 0, NULL) != NULL;
}

static char sim_address[64];

static void test_open(void)
{
	CHECK(make_files());
	CHECK(start_server());
	snprintf(sim_address, sizeof(sim_address), "tcp:127.0.0.1:%u", port);
	CHECK_EQ(vgpu_open_socket(sim_address, &dev), VGPU_OK);
	if (!dev)
		printf("# %s\n", vgpu_open_error());
}

/* The page at `offset` into a view shows file page `page`. */
static bool shows_page(const uint8_t *view, uint64_t offset, uint32_t page)
{
	uint32_t got;

	memcpy(&got, view + offset, sizeof(got));
	if (got == page)
		return true;
	printf("# view + 0x%llx shows file page %u, want %u\n", (unsigned long long)offset, got,
	       page);
	return false;
}

static bool is_mapped(const void *address)
{
	MEMORY_BASIC_INFORMATION mbi;

	return VirtualQuery(address, &mbi, sizeof(mbi)) && mbi.Type == MEM_MAPPED;
}

static void test_two_extents_end_to_end(void)
{
	void *ptr = NULL;
	uint8_t *view;
	uint64_t size = 0;
	bool all = true;

	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, &size), VGPU_OK);
	CHECK_EQ(size, 2 * GRANULE + 2 * PAGE);
	if (!ptr)
		return;
	view = ptr;
	for (uint32_t p = 0; p < GRANULE / PAGE; p++)
		all = shows_page(view, p * PAGE, 3 * GRANULE / PAGE + p) && all;
	for (uint32_t p = 0; p < (GRANULE + 2 * PAGE) / PAGE; p++)
		all = shows_page(view, GRANULE + p * PAGE, GRANULE / PAGE + p) && all;
	CHECK(all);
	CHECK_EQ(vgpu_resource_unmap(dev, 1), VGPU_OK);
	CHECK(!is_mapped(view));
	CHECK(!is_mapped(view + GRANULE + PAGE));
}

static void test_unplaceable_boundary_refused(void)
{
	void *ptr = NULL;

	CHECK_EQ(vgpu_resource_map(dev, 2, &ptr, NULL), VGPU_E_NO_MEMORY);
	CHECK(ptr == NULL);
	/* The connection goes on. */
	CHECK_EQ(vgpu_resource_map(dev, 3, &ptr, NULL), VGPU_OK);
	CHECK_EQ(vgpu_resource_unmap(dev, 3), VGPU_OK);
}

static void test_extent_inside_granule(void)
{
	void *ptr = NULL;
	uint8_t *view;
	uint64_t size = 0;

	CHECK_EQ(vgpu_resource_map(dev, 3, &ptr, &size), VGPU_OK);
	CHECK_EQ(size, 2 * PAGE);
	if (!ptr)
		return;
	view = ptr;
	CHECK(((uintptr_t)view % GRANULE) == PAGE);
	CHECK(shows_page(view, 0, 5 * GRANULE / PAGE + 1));
	CHECK(shows_page(view, PAGE, 5 * GRANULE / PAGE + 2));
	vgpu_close(dev);
	dev = NULL;
	CHECK(!is_mapped(view));
}

/* A reply naming the region: the view is of the region's file, opened by its path. */
static void test_region_view(void)
{
	void *ptr = NULL;
	uint8_t *view;
	uint64_t size = 0;

	CHECK_EQ(vgpu_resource_map(dev, 4, &ptr, &size), VGPU_OK);
	CHECK_EQ(size, 3 * PAGE);
	if (!ptr)
		return;
	view = ptr;
	for (uint32_t p = 0; p < 3; p++)
		CHECK(shows_page(view, p * PAGE, REGION_TAG + GRANULE / PAGE + 1 + p));
	CHECK_EQ(vgpu_resource_unmap(dev, 4), VGPU_OK);
	CHECK(!is_mapped(view));
}

/* Extents outside the region are refused before any view; that connection is done. */
static void test_extent_outside_region_refused(void)
{
	struct vgpu_dev *second = NULL;
	void *ptr = NULL;

	CHECK_EQ(vgpu_open_socket(sim_address, &second), VGPU_OK);
	if (!second)
		return;
	CHECK_EQ(vgpu_resource_map(second, 5, &ptr, NULL), VGPU_E_TRANSPORT);
	CHECK(ptr == NULL);
	CHECK_EQ(vgpu_resource_map(second, 4, &ptr, NULL), VGPU_E_TRANSPORT);
	vgpu_close(second);
}

int main(void)
{
	RUN(test_open);
	if (dev) {
		RUN(test_two_extents_end_to_end);
		RUN(test_unplaceable_boundary_refused);
		RUN(test_region_view);
		RUN(test_extent_inside_granule);
		RUN(test_extent_outside_region_refused);
	}
	DeleteFileW(mem_path);
	DeleteFileW(region_path);
	return tap_done();
}
