/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-gpu's transport side: device status, feature and queue
 * set-up, configuration space, the interrupt line, and the life cycle.
 * Requests are in fake_gpu_requests.c, the command set in
 * fake_gpu_commands.c.
 */
#include "fake_gpu_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED 128u

void fake_gpu_violation(struct fake_gpu *gpu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(gpu->last_violation, sizeof(gpu->last_violation), fmt, ap);
	va_end(ap);
	gpu->stats.violations++;
	fprintf(stderr, "fake_gpu: violation: %s\n", gpu->last_violation);
}

struct fake_gpu_config fake_gpu_default_config(void)
{
	return (struct fake_gpu_config){
		.features = (1ull << VIRTIO_GPU_FEAT_VIRGL) | (1ull << VGPU_VIRTIO_F_VERSION_1) |
			    (1ull << VGPU_VIRTIO_F_INDIRECT_DESC) |
			    (1ull << VGPU_VIRTIO_F_EVENT_IDX),
		.queue_size = 64,
		.num_capsets = 2,
		.num_scanouts = 0,
	};
}

unsigned fake_gpu_read_count(struct fake_gpu *gpu, const unsigned *count)
{
	unsigned n;

	pthread_mutex_lock(&gpu->mutex);
	n = *count;
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

/* ---- interrupt line ---- */

void fake_gpu_raise_irq(struct fake_gpu *gpu, uint16_t queue)
{
	if (!vring_dev_should_interrupt(&gpu->queues[queue]))
		return;
	gpu->isr |= 1;
	gpu->irq_raised++;
	gpu->stats.interrupts++;
	/* Inline, the notify delivers it: waking the thread only to sleep again cost a switch. */
	if (!gpu->irq_inline)
		pthread_cond_broadcast(&gpu->irq_cond);
}

static void *irq_thread_main(void *arg)
{
	struct fake_gpu *gpu = arg;

	pthread_mutex_lock(&gpu->mutex);
	while (!gpu->irq_stop) {
		if (gpu->irq_fn && !gpu->irq_inline && gpu->irq_delivered < gpu->irq_raised) {
			uint64_t upto = gpu->irq_raised;
			fake_gpu_irq_fn fn = gpu->irq_fn;
			void *fn_arg = gpu->irq_arg;

			gpu->irq_busy = true;
			pthread_mutex_unlock(&gpu->mutex);
			fn(fn_arg);
			pthread_mutex_lock(&gpu->mutex);
			gpu->irq_busy = false;
			gpu->irq_delivered = upto;
			pthread_cond_broadcast(&gpu->irq_cond);
			continue;
		}
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	}
	pthread_mutex_unlock(&gpu->mutex);
	return NULL;
}

void fake_gpu_set_irq(struct fake_gpu *gpu, fake_gpu_irq_fn fn, void *arg)
{
	pthread_mutex_lock(&gpu->mutex);
	while (gpu->irq_busy)
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	gpu->irq_fn = fn;
	gpu->irq_arg = arg;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_set_irq_inline(struct fake_gpu *gpu, bool inline_irq)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->irq_inline = inline_irq;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
}

/*
 * Inline mode: run the handler for what this notify raised on the caller's
 * thread.  Called with the mutex held; returns with it released.
 */
void fake_gpu_unlock_and_deliver_inline(struct fake_gpu *gpu)
{
	fake_gpu_irq_fn fn = gpu->irq_fn;
	void *arg = gpu->irq_arg;
	bool deliver = gpu->irq_inline && fn && gpu->irq_delivered < gpu->irq_raised;

	if (deliver)
		gpu->irq_delivered = gpu->irq_raised;
	pthread_mutex_unlock(&gpu->mutex);
	if (deliver)
		fn(arg);
}

void fake_gpu_sync_irq(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	while (gpu->irq_fn && !gpu->irq_stop && !gpu->irq_inline &&
	       (gpu->irq_delivered < gpu->irq_raised || gpu->irq_busy))
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	pthread_mutex_unlock(&gpu->mutex);
}

/* ---- transport ---- */

static struct fake_gpu *to_gpu(void *t)
{
	return t;
}

static void reset_locked(struct fake_gpu *gpu)
{
	fake_gpu_drop_pending(gpu);
	memset(gpu->queue_live, 0, sizeof(gpu->queue_live));
	gpu->stats.leaked_at_reset += fake_gpu_tables_clear(gpu);
	gpu->status = 0;
	gpu->driver_features = 0;
	gpu->isr = 0;
	gpu->last_fence = 0;
}

static int t_begin(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc;

	pthread_mutex_lock(&gpu->mutex);
	reset_locked(gpu);
	gpu->status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	rc = gpu->dead ? VGPU_E_DEVICE : 0;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static uint64_t t_device_features(void *t)
{
	return to_gpu(t)->cfg.features;
}

static int t_set_features(void *t, uint64_t features)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc = 0;

	pthread_mutex_lock(&gpu->mutex);
	if (features & ~gpu->cfg.features) {
		fake_gpu_violation(gpu, "features 0x%llx not offered",
				   (unsigned long long)(features & ~gpu->cfg.features));
		rc = VGPU_E_DEVICE;
	} else if (!(features & (1ull << VGPU_VIRTIO_F_VERSION_1))) {
		fake_gpu_violation(gpu, "VERSION_1 not accepted");
		rc = VGPU_E_DEVICE;
	} else if (gpu->status != (STATUS_ACKNOWLEDGE | STATUS_DRIVER)) {
		fake_gpu_violation(gpu, "set_features in status 0x%x", gpu->status);
		rc = VGPU_E_DEVICE;
	} else {
		gpu->driver_features = features;
		gpu->status |= STATUS_FEATURES_OK;
	}
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_config_read(void *t, uint32_t offset, void *buf, uint32_t len)
{
	struct fake_gpu *gpu = to_gpu(t);
	const void *config = gpu->cfg.mvisor ? (const void *)&gpu->mvisor_config : &gpu->config;
	uint32_t size = gpu->cfg.mvisor ? sizeof(gpu->mvisor_config) : sizeof(gpu->config);

	pthread_mutex_lock(&gpu->mutex);
	if (offset > size || len > size - offset) {
		fake_gpu_violation(gpu, "config read at %u, %u bytes", offset, len);
		memset(buf, 0, len);
	} else {
		memcpy(buf, (const uint8_t *)config + offset, len);
	}
	pthread_mutex_unlock(&gpu->mutex);
}

static void t_config_write(void *t, uint32_t offset, const void *buf, uint32_t len)
{
	struct fake_gpu *gpu = to_gpu(t);
	uint32_t clear;

	pthread_mutex_lock(&gpu->mutex);
	if (offset != offsetof(struct wire_config, events_clear) || len != sizeof(clear)) {
		fake_gpu_violation(gpu, "config write at %u, %u bytes", offset, len);
	} else {
		memcpy(&clear, buf, sizeof(clear));
		gpu->config.events_read &= ~clear;
	}
	pthread_mutex_unlock(&gpu->mutex);
}

static uint16_t t_queue_max_size(void *t, uint16_t index)
{
	return index < FAKE_GPU_QUEUES ? to_gpu(t)->cfg.queue_size : 0;
}

static int t_queue_enable(void *t, uint16_t index, uint16_t size, uint64_t desc_pa,
			  uint64_t avail_pa, uint64_t used_pa)
{
	struct fake_gpu *gpu = to_gpu(t);
	bool indirect, event_idx;
	int rc = VGPU_E_DEVICE;

	pthread_mutex_lock(&gpu->mutex);
	indirect = gpu->driver_features & (1ull << VGPU_VIRTIO_F_INDIRECT_DESC);
	event_idx = gpu->driver_features & (1ull << VGPU_VIRTIO_F_EVENT_IDX);
	if (index >= FAKE_GPU_QUEUES || size > gpu->cfg.queue_size)
		fake_gpu_violation(gpu, "queue %u of size %u", index, size);
	else if (!(gpu->status & STATUS_FEATURES_OK) || (gpu->status & STATUS_DRIVER_OK))
		fake_gpu_violation(gpu, "queue %u enabled in status 0x%x", index, gpu->status);
	else if (vring_dev_init(&gpu->queues[index], size, desc_pa, avail_pa, used_pa, indirect,
				event_idx, fake_os_map_pa, gpu->os) != 0)
		fake_gpu_violation(gpu, "queue %u: rings outside driver memory", index);
	else
		rc = 0;
	gpu->queue_live[index < FAKE_GPU_QUEUES ? index : 0] |= rc == 0;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_queue_notify(void *t, uint16_t index)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	gpu->stats.notifies++;
	if (gpu->dead || (gpu->status & STATUS_FAILED)) {
		pthread_mutex_unlock(&gpu->mutex);
		return;
	}
	if (index >= FAKE_GPU_QUEUES || !gpu->queue_live[index] ||
	    !(gpu->status & STATUS_DRIVER_OK))
		fake_gpu_violation(gpu, "notify of queue %u in status 0x%x", index, gpu->status);
	else {
		/* what was in flight before this notification, not what it carries */
		fake_gpu_poll_fences(gpu);
		fake_gpu_process_queue(gpu, index);
	}
	fake_gpu_unlock_and_deliver_inline(gpu);
}

static int t_driver_ok(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc = 0;

	pthread_mutex_lock(&gpu->mutex);
	if (!(gpu->status & STATUS_FEATURES_OK)) {
		fake_gpu_violation(gpu, "DRIVER_OK before FEATURES_OK");
		rc = VGPU_E_DEVICE;
	}
	gpu->status |= STATUS_DRIVER_OK;
	if (gpu->dead)
		rc = VGPU_E_DEVICE;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_fail(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	gpu->status |= STATUS_FAILED;
	fake_gpu_drop_pending(gpu);
	pthread_mutex_unlock(&gpu->mutex);
}

static uint32_t t_isr(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	uint32_t isr;

	pthread_mutex_lock(&gpu->mutex);
	isr = gpu->isr;
	gpu->isr = 0;
	pthread_mutex_unlock(&gpu->mutex);
	return isr;
}

static void t_reset(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	reset_locked(gpu);
	gpu->stats.resets++;
	/*
	 * A reset device raises nothing more, and its shell disconnects the
	 * interrupt by then: what was raised but not yet delivered is dropped,
	 * and a delivery under way ends before the reset returns, so that no
	 * handler runs into a device its owner is about to free.
	 */
	gpu->irq_delivered = gpu->irq_raised;
	while (gpu->irq_busy)
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	pthread_mutex_unlock(&gpu->mutex);
}

static int t_shm_region(void *t, uint8_t id, uint64_t *pa, uint64_t *len)
{
	struct fake_gpu *gpu = to_gpu(t);

	if (id != VGPU_SHM_ID_HOST_VISIBLE || !gpu->hv_mem || gpu->cfg.hide_shm_region)
		return VGPU_E_UNSUPPORTED;
	*pa = gpu->hv_pa;
	*len = gpu->cfg.host_visible_size;
	return 0;
}

static const struct vgpu_transport_ops fake_gpu_ops = {
	.begin = t_begin,
	.device_features = t_device_features,
	.set_features = t_set_features,
	.config_read = t_config_read,
	.config_write = t_config_write,
	.queue_max_size = t_queue_max_size,
	.queue_enable = t_queue_enable,
	.queue_notify = t_queue_notify,
	.driver_ok = t_driver_ok,
	.fail = t_fail,
	.isr = t_isr,
	.reset = t_reset,
	.shm_region = t_shm_region,
};

/* ---- life cycle and test controls ---- */

/*
 * Real memory (pa = va, the fake OS's convention), shown to the fake OS as
 * the device's memory: at its own address, or for a hidden Mvisor region
 * at the window where Mvisor's VMM places blobs.
 */
static int host_visible_init(struct fake_gpu *gpu)
{
	uint64_t size = gpu->cfg.host_visible_size;
	void *mem;

	if (!size)
		return 0;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	gpu->hv_mem = mem;
	gpu->hv_pa = (uint64_t)(uintptr_t)mem;
	if (gpu->cfg.mvisor && gpu->cfg.hide_shm_region) {
		gpu->hv_pa = FAKE_GPU_MVISOR_WINDOW;
		mem = NULL;
	}
	fake_os_set_device_memory(gpu->os, gpu->hv_pa, size, mem);
	gpu->mvisor_config.capabilities |= 1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB;
	return 0;
}

int fake_gpu_init(struct fake_gpu *gpu, struct fake_os *os, const struct fake_gpu_config *cfg)
{
	memset(gpu, 0, sizeof(*gpu));
	gpu->cfg = cfg ? *cfg : fake_gpu_default_config();
	gpu->os = os;
	gpu->transport.ops = &fake_gpu_ops;
	gpu->transport.priv = gpu;
	gpu->config.num_capsets = gpu->cfg.num_capsets;
	gpu->config.num_scanouts = gpu->cfg.num_scanouts;
	gpu->mvisor_config =
		(struct fake_mvisor_config){ .staging = gpu->cfg.staging,
					     .num_queues = 2,
					     .num_capsets = gpu->cfg.num_capsets,
					     .memory_size = 1ull << 30,
					     .capabilities = 1ull << VIRTIO_GPU_FEAT_VIRGL };
	if (host_visible_init(gpu) != 0)
		return -1;
	if (pthread_mutex_init(&gpu->mutex, NULL) != 0)
		return -1;
	if (pthread_cond_init(&gpu->irq_cond, NULL) != 0 ||
	    pthread_create(&gpu->irq_thread, NULL, irq_thread_main, gpu) != 0) {
		pthread_mutex_destroy(&gpu->mutex);
		return -1;
	}
	return 0;
}

void fake_gpu_fini(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->irq_stop = true;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
	pthread_join(gpu->irq_thread, NULL);
	fake_gpu_drop_pending(gpu);
	fake_gpu_tables_clear(gpu);
	for (unsigned i = 0; i < gpu->nrecords; i++)
		free(gpu->records[i].data);
	pthread_cond_destroy(&gpu->irq_cond);
	pthread_mutex_destroy(&gpu->mutex);
	if (gpu->hv_mem)
		munmap(gpu->hv_mem, gpu->cfg.host_visible_size);
}

void fake_gpu_next_map_answer(struct fake_gpu *gpu, const struct fake_gpu_map_answer *lie)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->map_lie = *lie;
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_die(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->dead = true;
	fake_gpu_drop_pending(gpu);
	pthread_mutex_unlock(&gpu->mutex);
}

struct fake_gpu_stats fake_gpu_stats(struct fake_gpu *gpu)
{
	struct fake_gpu_stats s;

	pthread_mutex_lock(&gpu->mutex);
	s = gpu->stats;
	pthread_mutex_unlock(&gpu->mutex);
	return s;
}

uint64_t fake_gpu_total_commands(struct fake_gpu *gpu)
{
	return fake_gpu_stats(gpu).requests;
}
