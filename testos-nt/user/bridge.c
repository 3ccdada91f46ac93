/* SPDX-License-Identifier: MIT */
/*
 * The harness's side of user.h: each call is a system call, from the
 * thread's user stack into the I/O manager or the scheduler on its kernel
 * stack (nt_syscall), in plain C types.
 */
#include "iomgr.h"
#include "user.h"

_Static_assert(sizeof(GUID) == 16, "GUID layout");
_Static_assert(sizeof(WCHAR) == sizeof(uint16_t), "WCHAR is UTF-16");

struct call {
	void *handle;
	const uint16_t *path;
	uint32_t code, in_len, out_len, returned, error;
	void *in, *out;
	struct nt_process *from, *to;
	const void *guid;
	const uint16_t **paths;
	unsigned max, count;
	bool ok;
};

static void do_create(void *arg)
{
	struct call *c = arg;
	ULONG err = 0;

	c->handle = io_create_file((const WCHAR *)c->path, &err);
	c->error = err;
}

void *user_create_file(const uint16_t *path, uint32_t *error)
{
	struct call c = { .path = path };

	nt_syscall(do_create, &c);
	*error = c.error;
	return c.handle;
}

static void do_ioctl(void *arg)
{
	struct call *c = arg;
	ULONG got = 0, err = 0;

	c->ok = io_device_control(c->handle, c->code, c->in, c->in_len, c->out, c->out_len, &got,
				  &err);
	c->returned = got;
	c->error = err;
}

bool user_device_control(void *handle, uint32_t code, void *in, uint32_t in_len, void *out,
			 uint32_t out_len, uint32_t *returned, uint32_t *error)
{
	struct call c = { .handle = handle,
			  .code = code,
			  .in = in,
			  .in_len = in_len,
			  .out = out,
			  .out_len = out_len };

	nt_syscall(do_ioctl, &c);
	*returned = c.returned;
	*error = c.error;
	return c.ok;
}

static void do_close(void *arg)
{
	struct call *c = arg;
	ULONG err = 0;

	c->ok = io_close_handle(c->handle, &err);
	c->error = err;
}

bool user_close_handle(void *handle, uint32_t *error)
{
	struct call c = { .handle = handle };

	nt_syscall(do_close, &c);
	*error = c.error;
	return c.ok;
}

static void do_cancel(void *arg)
{
	struct call *c = arg;

	c->ok = io_cancel(c->handle);
}

bool user_cancel_io(void *handle)
{
	struct call c = { .handle = handle };

	nt_syscall(do_cancel, &c);
	return c.ok;
}

static void do_read(void *arg)
{
	struct call *c = arg;
	ULONG got = 0, err = 0;

	c->ok = io_read_file(c->handle, c->out, c->out_len, &got, &err);
	c->returned = got;
	c->error = err;
}

bool user_read_file(void *handle, void *buffer, uint32_t length, uint32_t *read, uint32_t *error)
{
	struct call c = { .handle = handle, .out = buffer, .out_len = length };

	nt_syscall(do_read, &c);
	*read = c.returned;
	*error = c.error;
	return c.ok;
}

static void do_duplicate(void *arg)
{
	struct call *c = arg;

	c->handle = io_duplicate_handle(c->from, c->handle, c->to);
}

void *user_duplicate_handle(struct nt_process *from, void *handle, struct nt_process *to)
{
	struct call c = { .handle = handle, .from = from, .to = to };

	nt_syscall(do_duplicate, &c);
	return c.handle;
}

static void do_interfaces(void *arg)
{
	struct call *c = arg;

	c->count = io_interfaces(c->guid, (const WCHAR **)c->paths, c->max);
}

unsigned user_interfaces(const void *guid, const uint16_t **paths, unsigned max)
{
	struct call c = { .guid = guid, .paths = paths, .max = max };

	nt_syscall(do_interfaces, &c);
	return c.count;
}

void *user_current_thread(void)
{
	return nt_current_thread();
}

bool user_thread_finished(void *thread)
{
	return nt_thread_finished(thread);
}

static void do_yield(void *arg)
{
	nt_yield();
}

void user_yield(void)
{
	nt_syscall(do_yield, NULL);
}

/* A wait on an event nobody sets, with the timeout Sleep would give it. */
static void do_sleep(void *arg)
{
	uint32_t ms = *(const uint32_t *)arg;
	LARGE_INTEGER timeout = { .QuadPart = -10000 * (LONGLONG)ms };
	KEVENT never;

	KeInitializeEvent(&never, NotificationEvent, FALSE);
	KeWaitForSingleObject(&never, UserRequest, UserMode, FALSE, &timeout);
}

void user_sleep_ms(uint32_t ms)
{
	nt_syscall(do_sleep, &ms);
}

uint64_t user_now_ns(void)
{
	return plat_now_ns();
}

void user_misuse(const char *function, const char *what, const void *caller)
{
	nt_violation(function, "user-mode misuse", caller, "%s", what);
}
