/* SPDX-License-Identifier: MIT */
/*
 * Per-call accounting and the clock it uses.  Relaxed atomics: the counters
 * are independent sums, read once the calls are over.
 */
#include "call_stats.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

uint64_t vgpu_now_ns(void)
{
#ifdef _WIN32
	LARGE_INTEGER now, freq;

	QueryPerformanceCounter(&now);
	QueryPerformanceFrequency(&freq);
	/* split so that the product cannot overflow over a long uptime */
	return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000000ull +
	       (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000000ull / (uint64_t)freq.QuadPart;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t payload_bytes(const struct vgpu_call *call)
{
	uint64_t bytes = call->payload_written;
	uint32_t i;

	for (i = 0; i < call->num_pieces; i++)
		bytes += call->payload_in[i].len;
	return bytes;
}

void vgpu_call_stats_add(struct vgpu_call_stats *stats, const struct vgpu_call *call, uint64_t ns)
{
	uint32_t kind = VGPU_CTL_FN(call->code) - VGPU_STATS_FIRST_FN;

	if (kind >= VGPU_STATS_KINDS)
		return;
	__atomic_fetch_add(&stats->calls[kind], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats->ns[kind], ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats->bytes[kind], payload_bytes(call), __ATOMIC_RELAXED);
}

void vgpu_call_stats_read(const struct vgpu_call_stats *stats, struct vgpu_call_stats *out)
{
	uint32_t i;

	for (i = 0; i < VGPU_STATS_KINDS; i++) {
		out->calls[i] = __atomic_load_n(&stats->calls[i], __ATOMIC_RELAXED);
		out->ns[i] = __atomic_load_n(&stats->ns[i], __ATOMIC_RELAXED);
		out->bytes[i] = __atomic_load_n(&stats->bytes[i], __ATOMIC_RELAXED);
	}
}

static const char *const kind_names[VGPU_STATS_KINDS] = {
	"GET_INFO",
	"GET_CAPSET",
	"CONTEXT_CREATE",
	"RESOURCE_CREATE",
	"RESOURCE_DESTROY",
	"RESOURCE_MAP",
	"RESOURCE_UNMAP",
	"TRANSFER_TO_HOST",
	"TRANSFER_FROM_HOST",
	"SUBMIT",
	"WAIT",
	"GET_STATS",
	"RESOURCE_CREATE_BLOB",
	"GET_LIMITS",
};

const char *vgpu_stats_kind_name(uint32_t kind)
{
	return kind < VGPU_STATS_KINDS ? kind_names[kind] : "?";
}
