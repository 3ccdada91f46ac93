/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: the model can be told to misbehave on chosen commands so
 * that tests can prove the driver survives a bad device.  A fault is
 *
 *   ACTION[,cmd=TYPE][,nth=N|,every=N][,resp=TYPE][,ms=MS]
 *
 * ACTION is error (answer with `resp`, default ERR_UNSPEC, without running
 * the command), drop (run it, never answer), delay (answer `ms`
 * milliseconds late, default 1000) or die (exit at once, status 3).  cmd
 * names a command (SUBMIT_3D, 0x0207...; default any); nth=N fires on the
 * Nth matching command only, every=N on every Nth (default: every one).
 * TYPE names are the virtio-gpu ones without the VIRTIO_GPU_CMD_/RESP_
 * prefix, case-insensitive, or numbers.
 */
#ifndef VGPU_DEVMODEL_FAULTS_H
#define VGPU_DEVMODEL_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#define FAULTS_MAX 8

enum fault_action {
	FAULT_NONE = 0,
	FAULT_ERROR,
	FAULT_DROP,
	FAULT_DELAY,
	FAULT_DIE,
};

struct fault {
	enum fault_action action;
	uint32_t cmd;      /* 0: any command */
	uint32_t nth;      /* 0: not "only the Nth" */
	uint32_t every;    /* fire on every Nth match (1: all) */
	uint32_t resp;     /* FAULT_ERROR's answer */
	uint32_t delay_ms; /* FAULT_DELAY's lateness */
	uint32_t seen;     /* matching commands so far */
};

struct faults {
	unsigned count;
	struct fault list[FAULTS_MAX];
};

/* What to do with one command. */
struct fault_verdict {
	enum fault_action action;
	uint32_t resp;
	uint32_t delay_ms;
};

/* Add one fault from its text; false (after saying why on stderr) if malformed. */
bool faults_add(struct faults *f, const char *spec);

/* Add every ';'-separated fault of `specs` (an environment variable's value). */
bool faults_add_list(struct faults *f, const char *specs);

/* Count the command and decide its fate: the first fault that fires wins. */
struct fault_verdict faults_check(struct faults *f, uint32_t cmd_type);

/* Command or response type by name ("SUBMIT_3D", "err_unspec", "0x0207"); 0 if unknown. */
uint32_t faults_type_by_name(const char *name);

/* A command or response type's name, or NULL. */
const char *faults_type_name(uint32_t type);

#endif /* VGPU_DEVMODEL_FAULTS_H */
