/* SPDX-License-Identifier: MIT */
/*
 * The Unix socket stream of wine_unix.h.  Wine runs Windows code in
 * ordinary Linux threads, and the `syscall` instruction from them reaches
 * the Linux kernel itself (Wine 8 does not intercept it), so the stream is
 * a Linux descriptor that wineserver never sees.  The structures below are
 * Linux x86-64's, spelt with fixed-size types: Windows's `long` is 32 bits.
 * A signal Wine sends the thread (suspending it, say) interrupts a call
 * with EINTR, which is retried.
 */
#include <windows.h>
#include <string.h>

#include "sock_link.h"
#include "wine_unix.h"

#define LINUX_SYS_CLOSE 3
#define LINUX_SYS_SOCKET 41
#define LINUX_SYS_CONNECT 42
#define LINUX_SYS_RECVFROM 45
#define LINUX_SYS_SENDMSG 46
#define LINUX_SYS_SETSOCKOPT 54

#define LINUX_AF_UNIX 1
#define LINUX_SOCK_STREAM 1
#define LINUX_SOCK_CLOEXEC 02000000
#define LINUX_SOL_SOCKET 1
#define LINUX_SO_RCVTIMEO 20
#define LINUX_SO_SNDTIMEO 21
#define LINUX_MSG_NOSIGNAL 0x4000
#define LINUX_EINTR 4
#define LINUX_ENOENT 2
#define LINUX_EACCES 13
#define LINUX_ECONNREFUSED 111

struct linux_sockaddr_un {
	uint16_t family;
	char path[108];
};

struct linux_iovec {
	const void *base;
	uint64_t len;
};

struct linux_msghdr {
	void *name;
	uint32_t namelen;
	struct linux_iovec *iov;
	uint64_t iovlen;
	void *control;
	uint64_t controllen;
	int32_t flags;
};

struct linux_timeval {
	int64_t sec;
	int64_t usec;
};

typedef void(__cdecl *host_version_fn)(const char **sysname, const char **release);

#if !defined(__x86_64__)
#error "wine_unix.c speaks Linux x86-64's system calls; Windows builds of vgpu are x86-64"
#endif

/* Returns the result, or -errno. */
static int64_t linux_call(int64_t nr, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e)
{
	register int64_t r10 __asm__("r10") = d;
	register int64_t r8 __asm__("r8") = e;
	int64_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static int64_t linux_call_retried(int64_t nr, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e)
{
	int64_t ret;

	do
		ret = linux_call(nr, a, b, c, d, e);
	while (ret == -LINUX_EINTR);
	return ret;
}

/* Only Wine's ntdll has wine_get_host_version; it names the kernel underneath. */
static bool under_wine_on_linux(void)
{
	HMODULE ntdll = GetModuleHandleA("ntdll.dll");
	host_version_fn host_version = NULL;
	const char *sysname = NULL, *release = NULL;

	if (ntdll)
		host_version = (host_version_fn)(void (*)(void))GetProcAddress(
			ntdll, "wine_get_host_version");
	if (!host_version)
		return false;
	host_version(&sysname, &release);
	return sysname && strcmp(sysname, "Linux") == 0;
}

static const char *error_name(int64_t err)
{
	switch (err) {
	case LINUX_ENOENT:
		return " (no such file)";
	case LINUX_EACCES:
		return " (permission denied)";
	case LINUX_ECONNREFUSED:
		return " (connection refused: no server listening)";
	default:
		return "";
	}
}

static void set_timeouts(wine_unix_fd fd)
{
	struct linux_timeval tv = { .sec = SOCK_LINK_REPLY_TIMEOUT_S };

	linux_call(LINUX_SYS_SETSOCKOPT, fd, LINUX_SOL_SOCKET, LINUX_SO_RCVTIMEO,
		   (int64_t)(uintptr_t)&tv, sizeof(tv));
	linux_call(LINUX_SYS_SETSOCKOPT, fd, LINUX_SOL_SOCKET, LINUX_SO_SNDTIMEO,
		   (int64_t)(uintptr_t)&tv, sizeof(tv));
}

int wine_unix_connect(const char *path, wine_unix_fd *out, char *why, size_t why_cap)
{
	struct linux_sockaddr_un addr = { .family = LINUX_AF_UNIX };
	int64_t fd, err;

	if (!under_wine_on_linux())
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "%s: a Unix socket is reachable only under Wine on Linux; use "
				     "tcp:HOST:PORT",
				     path);
	if (path[0] != '/' || strlen(path) >= sizeof(addr.path))
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "%s: want an absolute Unix socket path under %u bytes", path,
				     (unsigned)sizeof(addr.path));
	memcpy(addr.path, path, strlen(path) + 1);
	fd = linux_call(LINUX_SYS_SOCKET, LINUX_AF_UNIX, LINUX_SOCK_STREAM | LINUX_SOCK_CLOEXEC, 0,
			0, 0);
	if (fd < 0)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "socket: Linux error %lld",
				     (long long)-fd);
	err = linux_call_retried(LINUX_SYS_CONNECT, fd, (int64_t)(uintptr_t)&addr, sizeof(addr), 0,
				 0);
	if (err < 0) {
		wine_unix_close(fd);
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "connect %s: Linux error %lld%s", path, (long long)-err,
				     error_name(-err));
	}
	set_timeouts(fd);
	*out = fd;
	return VGPU_OK;
}

static size_t send_some(void *stream, const struct vgpu_piece *pieces, uint32_t count)
{
	struct linux_iovec iov[SOCK_LINK_MAX_PIECES];
	struct linux_msghdr msg = { .iov = iov, .iovlen = count };
	wine_unix_fd *fd = stream;
	int64_t n;
	uint32_t i;

	for (i = 0; i < count; i++)
		iov[i] = (struct linux_iovec){ pieces[i].base, pieces[i].len };
	n = linux_call_retried(LINUX_SYS_SENDMSG, *fd, (int64_t)(uintptr_t)&msg, LINUX_MSG_NOSIGNAL,
			       0, 0);
	return n > 0 ? (size_t)n : 0;
}

bool wine_unix_send(wine_unix_fd fd, const struct vgpu_piece *pieces, uint32_t count)
{
	return sock_link_send_all(&fd, send_some, pieces, count);
}

/*
 * Descriptors the server passes with its hello (to Linux clients) are not
 * taken: with no room for them, Linux closes them.  The files are reached
 * by the paths the hello names.
 */
size_t wine_unix_recv_some(wine_unix_fd fd, void *buf, size_t cap)
{
	int64_t n = linux_call_retried(LINUX_SYS_RECVFROM, fd, (int64_t)(uintptr_t)buf,
				       (int64_t)cap, 0, 0);

	return n > 0 ? (size_t)n : 0;
}

void wine_unix_close(wine_unix_fd fd)
{
	linux_call(LINUX_SYS_CLOSE, fd, 0, 0, 0, 0);
}
