/* SPDX-License-Identifier: MIT */
/*
 * Bring-up and shutdown of the sim's device (sim_device.h), in the order
 * the pieces need: memory, the device process and its vhost-user
 * connection, the completion thread (before the core's first wait), the
 * core.  Shutdown runs it backwards, and no interrupt may reach a core
 * being destroyed.
 */
#include "sim_device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int start_backend(struct sim_device *d, const struct sim_device_config *cfg,
			 const char *program)
{
	int err = backend_spawn_device(cfg->backend_path, cfg->device, &d->backend);

	if (err) {
		fprintf(stderr, "%s: cannot start the device backend %s: %s\n", program,
			cfg->backend_path, strerror(-err));
		return -1;
	}
	err = vut_init(&d->transport, d->backend.sock, d->mem, VUT_DEFAULT_TIMEOUT_MS);
	if (err) {
		fprintf(stderr, "%s: transport setup failed: %s\n", program, strerror(-err));
		return -1;
	}
	d->transport_up = true;
	err = completion_start(&d->completion, &d->transport, d->backend.sock);
	if (err) {
		fprintf(stderr, "%s: cannot start the completion thread: %s\n", program,
			strerror(-err));
		return -1;
	}
	return 0;
}

static void explain_device_failure(struct sim_device *d, const struct sim_device_config *cfg,
				   const char *program, int status)
{
	char how[64];

	fprintf(stderr, "%s: the device did not come up (status %d)\n", program, status);
	if (vut_error(&d->transport)[0])
		fprintf(stderr, "%s: %s\n", program, vut_error(&d->transport));
	/* A backend that died explains more than the protocol error does. */
	completion_stop(&d->completion);
	backend_stop(&d->backend);
	backend_describe_exit(&d->backend, how, sizeof(how));
	fprintf(stderr, "%s: backend %s: %s\n", program, cfg->backend_path, how);
}

static void set_pin_limits(struct sim_device *d)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;

	vgpu_device_set_pin_limits(d->dev, ram / 2, ram / 2 / 4 * 3);
}

static int start_core(struct sim_device *d, const struct sim_device_config *cfg,
		      const char *program)
{
	int status;

	sim_os_init(&d->os, d->mem, vut_host_region(&d->transport), cfg->log_level);
	status = vgpu_device_create(sim_os_table(&d->os), vut_transport(&d->transport),
				    cfg->device->personality, &d->dev);
	if (status != VGPU_OK) {
		d->dev = NULL;
		explain_device_failure(d, cfg, program, status);
		return -1;
	}
	set_pin_limits(d);
	/* Completions must reach the device before bring-up waits for its first answer. */
	completion_attach(&d->completion, d->dev);
	status = vgpu_device_start(d->dev);
	if (status != VGPU_OK) {
		explain_device_failure(d, cfg, program, status);
		return -1;
	}
	return 0;
}

int sim_device_start(struct sim_device *d, const struct sim_device_config *cfg, const char *program)
{
	d->mem = guest_mem_create(cfg->mem_size);
	if (!d->mem) {
		fprintf(stderr, "%s: cannot create guest memory: %s\n", program, strerror(errno));
		return -1;
	}
	if (start_backend(d, cfg, program) != 0)
		return -1;
	return start_core(d, cfg, program);
}

void sim_device_stop(struct sim_device *d)
{
	/* No interrupt may run into a device being destroyed. */
	completion_stop(&d->completion);
	if (d->dev)
		vgpu_device_destroy(d->dev);
	d->dev = NULL;
	if (d->transport_up)
		vut_fini(&d->transport);
	d->transport_up = false;
	backend_stop(&d->backend);
	guest_mem_destroy(d->mem);
	d->mem = NULL;
}
