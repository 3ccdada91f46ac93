/* SPDX-License-Identifier: MIT */
/*
 * vgpu-sim as a whole: started as a process against QEMU's vhost-user-gpu (and once
 * against the device model, $VGPU_DEVMODEL, for its host-visible region),
 * spoken to over its socket with raw frames, stopped with SIGTERM.
 * Usage: test_sim_server PATH-TO-vgpu-sim
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_client.h"

#define TEST_MEM (64ull << 20)

/* ---- the sim's processes ---- */

/* The pid of the sim's child (the backend), or -1. */
static pid_t child_of(pid_t parent)
{
	char path[300], buf[512];
	pid_t found = -1;
	DIR *dir = opendir("/proc");
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		int ppid = 0;
		FILE *f;
		char *close_paren;

		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == parent)
			found = atoi(de->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return found;
}

static bool process_gone(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- the raw client ---- */

static bool peer_closed(int fd)
{
	char byte;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 5000) == 1 && recv(fd, &byte, 1, 0) == 0;
}

/* ---- the cases (one sim for most of them) ---- */

static struct sim_proc sim;
static pid_t backend_pid;
static char mem_path[VGPU_SOCK_PATH_MAX];

static void test_ready(void)
{
	CHECK(sim_launch(&sim, NULL));
	CHECK(sim_wait_ready(&sim));
	backend_pid = child_of(sim.pid);
	CHECK(backend_pid > 0);
}

static void test_hello(void)
{
	struct client c;
	struct stat st;

	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(c.hello.magic, VGPU_SOCK_MAGIC);
	CHECK_EQ(c.hello.version, VGPU_SOCK_VERSION);
	CHECK_EQ(c.hello.mem_size, TEST_MEM);
	CHECK(memchr(c.hello.mem_path, 0, sizeof(c.hello.mem_path)) != NULL);
	snprintf(mem_path, sizeof(mem_path), "%s", c.hello.mem_path);
	CHECK(stat(mem_path, &st) == 0 && (uint64_t)st.st_size == TEST_MEM);
	CHECK(fstat(c.mem_fd, &st) == 0 && (uint64_t)st.st_size == TEST_MEM);
	/* QEMU's device has no host-visible memory. */
	CHECK_EQ(c.hello.region_size, 0);
	CHECK_EQ(c.hello.region_path[0], 0);
	CHECK_EQ(c.region_fd, -1);
	client_close(&c);
}

static void test_get_info_and_capset(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(r.reply.out_size, sizeof(info));
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK(info.capset_mask & (1u << VGPU_CAPSET_VIRGL));
	CHECK(info.capset_mask & (1u << VGPU_CAPSET_VIRGL2));
	CHECK(info.features & VGPU_FEATURE_VIRGL);
	CHECK_EQ(info.max_submit_bytes, VGPU_MAX_SUBMIT_BYTES);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_OK);
	CHECK_EQ(r.reply.out_size, 0);
	CHECK(r.reply.payload_size > 1000 && r.reply.payload_size <= VGPU_MAX_CAPSET_BYTES);
	/* Too small a buffer: an error, and the connection goes on. */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, 16, &r), VGPU_E_BAD_SIZE);
	CHECK_EQ(r.reply.payload_size, 0);
	/* An unknown call number is refused, and the connection goes on. */
	CHECK_EQ(call(&c, VGPU_CTL_CODE(0x9ff, VGPU_METHOD_BUFFERED), &cs, sizeof(cs), NULL, 0, &r),
		 VGPU_E_UNSUPPORTED);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	client_close(&c);
}

static void test_map_gives_file_ranges(void)
{
	const uint64_t size = 3 * 4096 + 100;
	struct call_result r = { 0 }, again = { 0 };
	struct client c;
	struct vgpu_resource_map m = { 0 };
	uint64_t total = 0;
	uint8_t *view;

	CHECK(client_connect(sim.sock, &c));
	m.handle = make_buffer(&c, size);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK(m.size >= size && m.size % 4096 == 0);
	CHECK_EQ(m.address, 0); /* the client makes its own view */
	CHECK(r.reply.num_extents >= 1);
	for (uint32_t i = 0; i < r.reply.num_extents; i++) {
		CHECK(r.extents[i].offset % 4096 == 0);
		CHECK(r.extents[i].offset + r.extents[i].len <= TEST_MEM);
		total += r.extents[i].len;
	}
	CHECK_EQ(total, m.size);
	/* The pages are the resource's own and were zeroed for it. */
	view = mmap(NULL, r.extents[0].len, PROT_READ | PROT_WRITE, MAP_SHARED, c.mem_fd,
		    (off_t)r.extents[0].offset);
	CHECK(view != MAP_FAILED);
	if (view != MAP_FAILED) {
		CHECK(view[0] == 0 && view[r.extents[0].len - 1] == 0);
		munmap(view, r.extents[0].len);
	}
	/* Mapping again names the same ranges. */
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &again), VGPU_OK);
	CHECK_EQ(again.reply.num_extents, r.reply.num_extents);
	CHECK(memcmp(again.extents, r.extents, r.reply.num_extents * sizeof(r.extents[0])) == 0);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(r.reply.num_extents, 0);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m), NULL, 0, &r), VGPU_E_STATE);
	free(r.payload);
	free(again.payload);
	client_close(&c);
}

/* A malformed header gets an error reply, then the server hangs up. */
static void expect_rejected(struct vgpu_sock_request req, int want)
{
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	CHECK(send(c.fd, &req, sizeof(req), MSG_NOSIGNAL) == sizeof(req));
	CHECK(recv_result(c.fd, &r));
	CHECK_EQ(r.reply.status, want);
	CHECK(peer_closed(c.fd));
	free(r.payload);
	client_close(&c);
}

static void test_malformed_frames(void)
{
	expect_rejected((struct vgpu_sock_request){ 0x12345678, VGPU_IOCTL_GET_INFO, 48, 0 },
			VGPU_E_INVALID);
	expect_rejected((struct vgpu_sock_request){ VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO,
						    VGPU_SOCK_MAX_FIXED + 1, 0 },
			VGPU_E_BAD_SIZE);
	expect_rejected((struct vgpu_sock_request){ VGPU_SOCK_MAGIC, VGPU_IOCTL_SUBMIT, 24,
						    VGPU_MAX_SUBMIT_BYTES +
							    4 * VGPU_MAX_SUBMIT_HANDLES + 1 },
			VGPU_E_BAD_SIZE);
	/* The server itself is unharmed. */
	test_hello();
}

/* Well-framed requests the core refuses: their status, and the connection goes on. */
static void test_refused_requests_keep_connection(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct vgpu_sock_request payload_on_buffered = { VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO,
							 sizeof(info), 1 };
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	/* method bits 3, as in 0x222403, and all bits set: unknown calls */
	CHECK_EQ(call(&c, VGPU_CTL_CODE(0x900, 3), NULL, 0, NULL, 0, &r), VGPU_E_UNSUPPORTED);
	CHECK_EQ(call(&c, 0xFFFFFFFFu, &cs, sizeof(cs), NULL, 16, &r), VGPU_E_UNSUPPORTED);
	/* a buffered call's payload_size is a size error; no payload bytes follow */
	CHECK(send_frame(c.fd, &payload_on_buffered, &info, NULL, 0));
	CHECK(recv_result(c.fd, &r));
	CHECK_EQ(r.reply.status, VGPU_E_BAD_SIZE);
	/* a capset buffer larger than any capset is fine */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES + 1,
		      &r),
		 VGPU_OK);
	CHECK(r.reply.payload_size > 1000 && r.reply.payload_size <= VGPU_MAX_CAPSET_BYTES);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, 0xFFFFFFFFu, &r), VGPU_OK);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	client_close(&c);
}

/* The sim's limit of clients at once (SERVER_MAX_CONNS) and its stall timeout (CONN_STALL_MS). */
#define SIM_MAX_CONNS 256
#define SIM_STALL_MS 5000

/* The server hangs up on `fd` within `ms`. */
static bool closed_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char byte;

	return poll(&pfd, 1, ms) == 1 && recv(fd, &byte, 1, 0) == 0;
}

/* Half a frame, then nothing: dropped after the stall timeout; an idle client is not. */
static void test_stalled_frame_dropped(void)
{
	struct vgpu_sock_request req = { VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO, 48, 0 };
	struct client idle, stalled;

	CHECK(client_connect(sim.sock, &idle));
	CHECK(client_connect(sim.sock, &stalled));
	CHECK(send(stalled.fd, &req, 8, MSG_NOSIGNAL) == 8);
	CHECK(!closed_within(stalled.fd, SIM_STALL_MS / 2));
	CHECK(closed_within(stalled.fd, SIM_STALL_MS + 5000));
	CHECK_EQ(get_info(&idle), VGPU_OK);
	client_close(&stalled);
	client_close(&idle);
}

/*
 * As many idle sockets as the sim takes do not lock anyone out: a new client
 * takes the place of the one idle longest, and a client holding objects
 * keeps its place.
 */
static void test_idle_clients_do_not_lock_out(void)
{
	static struct client idle[SIM_MAX_CONNS];
	struct client holder, late;
	uint32_t connected = 0;

	CHECK(client_connect(sim.sock, &holder));
	CHECK(make_buffer(&holder, 4096) != 0);
	for (uint32_t i = 0; i < SIM_MAX_CONNS && client_connect(sim.sock, &idle[i]); i++) {
		/* fewer descriptors in this process: the socket is all we need */
		close(idle[i].mem_fd);
		idle[i].mem_fd = -1;
		connected++;
	}
	CHECK_EQ(connected, SIM_MAX_CONNS);
	CHECK(client_connect(sim.sock, &late));
	CHECK_EQ(get_info(&late), VGPU_OK);
	CHECK(closed_within(idle[0].fd, 5000));
	CHECK(closed_within(idle[1].fd, 5000));
	CHECK_EQ(get_info(&idle[connected - 1]), VGPU_OK);
	CHECK_EQ(get_info(&holder), VGPU_OK);
	client_close(&late);
	for (uint32_t i = 0; i < connected; i++)
		client_close(&idle[i]);
	client_close(&holder);
}

static void test_client_death_cleans_up(void)
{
	struct client dying, watcher;
	struct vgpu_resource_map m = { 0 };
	struct call_result r = { 0 };

	CHECK(client_connect(sim.sock, &watcher));
	CHECK(client_connect(sim.sock, &dying));
	m.handle = make_buffer(&dying, 65536);
	CHECK_EQ(call(&dying, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	/* Half a frame, then gone. */
	CHECK(send(dying.fd, "GPUS", 4, MSG_NOSIGNAL) == 4);
	client_close(&dying);
	CHECK(stats_settle(&watcher, 1, 0, 3000));
	free(r.payload);
	client_close(&watcher);
}

static void test_sigterm_cleans_up(void)
{
	int status;

	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(sim.sock, F_OK) != 0);
	CHECK(access(mem_path, F_OK) != 0);
	CHECK(backend_pid > 0 && process_gone(backend_pid));
}

static void test_backend_death_is_device_lost(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL };
	struct call_result r = { 0 };
	struct client c;
	int status;

	CHECK(sim_launch(&sim, NULL));
	CHECK(sim_wait_ready(&sim));
	backend_pid = child_of(sim.pid);
	CHECK(client_connect(sim.sock, &c));
	CHECK(backend_pid > 0 && kill(backend_pid, SIGKILL) == 0);
	CHECK(process_gone(backend_pid));
	usleep(100000);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_E_DEVICE_LOST);
	/* Calls that need no device still answer. */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	client_close(&c);
	/* The sim does not restart its device: a new client is told the same, not refused. */
	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_E_DEVICE_LOST);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	client_close(&c);
	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(sim.sock, F_OK) != 0);
	free(r.payload);
}

/* Bad options and a backend that cannot run: a message, exit status, no leftovers. */
static void test_startup_failures(void)
{
	static const char *const bad_device[] = { "--device", "mvisor", NULL };
	static const char *const bad_backend[] = { "--backend", "/nonexistent/vhost-user-gpu",
						   NULL };
	static const char *const dying_backend[] = { "--backend", "/bin/false", NULL };
	int status;

	CHECK(sim_launch(&sim, bad_device));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);

	CHECK(sim_launch(&sim, bad_backend));
	CHECK(!sim_wait_ready(&sim));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CHECK(access(sim.sock, F_OK) != 0);

	CHECK(sim_launch(&sim, dying_backend));
	CHECK(!sim_wait_ready(&sim));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* The device model's region: its descriptor with the hello, and a path that opens the same file. */
static void test_hello_with_region(void)
{
	static const char *const model[] = { "--device", "model", NULL };
	const uint64_t region_bytes = 256ull << 20;
	struct client c;
	struct stat st;
	char byte = 0;
	int by_path, status;

	CHECK(getenv("VGPU_DEVMODEL") != NULL);
	CHECK(sim_launch(&sim, model));
	CHECK(sim_wait_ready(&sim));
	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(c.hello.region_size, region_bytes);
	CHECK(c.region_fd >= 0 && fstat(c.region_fd, &st) == 0 &&
	      (uint64_t)st.st_size == region_bytes);
	CHECK(memchr(c.hello.region_path, 0, sizeof(c.hello.region_path)) != NULL);
	by_path = open(c.hello.region_path, O_RDWR | O_CLOEXEC);
	CHECK(by_path >= 0);
	if (by_path >= 0 && c.region_fd >= 0) {
		CHECK_EQ(pwrite(c.region_fd, "v", 1, 12345), 1);
		CHECK_EQ(pread(by_path, &byte, 1, 12345), 1);
		CHECK_EQ(byte, 'v');
		close(by_path);
	}
	client_close(&c);
	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A client that hangs up while its WAIT waits frees its connection and file
 * at once, not when the wait would have timed out (a minute).
 */
static void test_hang_up_ends_wait(void)
{
	struct client waiter, watcher;

	CHECK(launch_dropping_submits(&sim));
	CHECK(client_connect(sim.sock, &watcher));
	CHECK(client_connect(sim.sock, &waiter));
	make_buffer(&waiter, 4096);
	start_endless_wait(&waiter);
	client_close(&waiter);
	/* closing gives the file's last submit the command timeout (5 s) to finish */
	CHECK(stats_settle(&watcher, 1, 0, 15000));
	client_close(&watcher);
	stop_sim(&sim);
}

/* None of our runs may leave guest memory files behind. */
static void test_no_shm_left(void)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *de;
	char prefix[64];
	int left = 0;

	CHECK(dir != NULL);
	snprintf(prefix, sizeof(prefix), "vgpu-sim-%ld-", (long)sim.pid);
	while (dir && (de = readdir(dir)) != NULL)
		left += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	if (dir)
		closedir(dir);
	CHECK_EQ(left, 0);
}

int main(int argc, char **argv)
{
	if (!sim_from_args(argc, argv, &sim))
		return 2;
	RUN(test_ready);
	RUN(test_hello);
	RUN(test_get_info_and_capset);
	RUN(test_map_gives_file_ranges);
	RUN(test_malformed_frames);
	RUN(test_refused_requests_keep_connection);
	RUN(test_stalled_frame_dropped);
	RUN(test_idle_clients_do_not_lock_out);
	RUN(test_client_death_cleans_up);
	RUN(test_sigterm_cleans_up);
	RUN(test_backend_death_is_device_lost);
	RUN(test_startup_failures);
	RUN(test_hello_with_region);
	RUN(test_hang_up_ends_wait);
	RUN(test_no_shm_left);
	return tap_done();
}
