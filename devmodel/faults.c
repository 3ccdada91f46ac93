/* SPDX-License-Identifier: MIT */
/* Parsing and firing the model's injected faults (faults.h). */
#include "faults.h"

#include <errno.h>
#include <linux/virtio_gpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_DELAY_MS 1000u
#define MAX_DELAY_MS 600000u

struct type_name {
	uint32_t type;
	const char *name;
};

#define TYPE(prefix, n)                                                                            \
	{                                                                                          \
		VIRTIO_GPU_##prefix##_##n, #n                                                      \
	}
static const struct type_name type_names[] = {
	TYPE(CMD, GET_DISPLAY_INFO),
	TYPE(CMD, RESOURCE_CREATE_2D),
	TYPE(CMD, RESOURCE_UNREF),
	TYPE(CMD, SET_SCANOUT),
	TYPE(CMD, RESOURCE_FLUSH),
	TYPE(CMD, TRANSFER_TO_HOST_2D),
	TYPE(CMD, RESOURCE_ATTACH_BACKING),
	TYPE(CMD, RESOURCE_DETACH_BACKING),
	TYPE(CMD, GET_CAPSET_INFO),
	TYPE(CMD, GET_CAPSET),
	TYPE(CMD, GET_EDID),
	TYPE(CMD, RESOURCE_ASSIGN_UUID),
	TYPE(CMD, RESOURCE_CREATE_BLOB),
	TYPE(CMD, SET_SCANOUT_BLOB),
	TYPE(CMD, CTX_CREATE),
	TYPE(CMD, CTX_DESTROY),
	TYPE(CMD, CTX_ATTACH_RESOURCE),
	TYPE(CMD, CTX_DETACH_RESOURCE),
	TYPE(CMD, RESOURCE_CREATE_3D),
	TYPE(CMD, TRANSFER_TO_HOST_3D),
	TYPE(CMD, TRANSFER_FROM_HOST_3D),
	TYPE(CMD, SUBMIT_3D),
	TYPE(CMD, RESOURCE_MAP_BLOB),
	TYPE(CMD, RESOURCE_UNMAP_BLOB),
	TYPE(CMD, UPDATE_CURSOR),
	TYPE(CMD, MOVE_CURSOR),
	TYPE(RESP, OK_NODATA),
	TYPE(RESP, OK_DISPLAY_INFO),
	TYPE(RESP, OK_CAPSET_INFO),
	TYPE(RESP, OK_CAPSET),
	TYPE(RESP, OK_EDID),
	TYPE(RESP, OK_RESOURCE_UUID),
	TYPE(RESP, OK_MAP_INFO),
	TYPE(RESP, ERR_UNSPEC),
	TYPE(RESP, ERR_OUT_OF_MEMORY),
	TYPE(RESP, ERR_INVALID_SCANOUT_ID),
	TYPE(RESP, ERR_INVALID_RESOURCE_ID),
	TYPE(RESP, ERR_INVALID_CONTEXT_ID),
	TYPE(RESP, ERR_INVALID_PARAMETER),
};
#undef TYPE

static bool parse_u32(const char *text, uint32_t max, uint32_t *value)
{
	unsigned long v;
	char *end;

	if (!text[0] || text[0] == '-')
		return false;
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || *end || v > max)
		return false;
	*value = (uint32_t)v;
	return true;
}

uint32_t faults_type_by_name(const char *name)
{
	uint32_t number;

	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcasecmp(name, type_names[i].name))
			return type_names[i].type;
	return parse_u32(name, 0xffff, &number) ? number : 0;
}

const char *faults_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

static bool parse_action(const char *word, enum fault_action *action)
{
	static const char *const names[] = {
		[FAULT_ERROR] = "error",
		[FAULT_DROP] = "drop",
		[FAULT_DELAY] = "delay",
		[FAULT_DIE] = "die",
	};

	for (unsigned a = FAULT_ERROR; a <= FAULT_DIE; a++) {
		if (!strcmp(word, names[a])) {
			*action = (enum fault_action)a;
			return true;
		}
	}
	return false;
}

static bool parse_key(struct fault *f, const char *key, const char *value)
{
	if (!strcmp(key, "cmd")) {
		f->cmd = strcasecmp(value, "any") ? faults_type_by_name(value) : 0;
		return f->cmd != 0 || !strcasecmp(value, "any");
	}
	if (!strcmp(key, "nth"))
		return parse_u32(value, UINT32_MAX, &f->nth) && f->nth > 0;
	if (!strcmp(key, "every"))
		return parse_u32(value, UINT32_MAX, &f->every) && f->every > 0;
	if (!strcmp(key, "resp")) {
		f->resp = faults_type_by_name(value);
		return f->resp >= VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	if (!strcmp(key, "ms"))
		return parse_u32(value, MAX_DELAY_MS, &f->delay_ms);
	return false;
}

static bool parse_fault(struct fault *f, char *text)
{
	char *save = NULL;
	char *word = strtok_r(text, ",", &save);

	*f = (struct fault){ .every = 1,
			     .resp = VIRTIO_GPU_RESP_ERR_UNSPEC,
			     .delay_ms = DEFAULT_DELAY_MS };
	if (!word || !parse_action(word, &f->action))
		return false;
	while ((word = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(word, '=');

		if (!eq)
			return false;
		*eq = '\0';
		if (!parse_key(f, word, eq + 1))
			return false;
	}
	return true;
}

bool faults_add(struct faults *f, const char *spec)
{
	char text[256];

	if (f->count >= FAULTS_MAX || strlen(spec) >= sizeof(text)) {
		fprintf(stderr, "vgpu-devmodel: too many or too long faults: %s\n", spec);
		return false;
	}
	strcpy(text, spec);
	if (!parse_fault(&f->list[f->count], text)) {
		fprintf(stderr, "vgpu-devmodel: bad fault \"%s\" (see --help)\n", spec);
		return false;
	}
	f->count++;
	return true;
}

bool faults_add_list(struct faults *f, const char *specs)
{
	char text[1024];
	char *save = NULL;

	if (strlen(specs) >= sizeof(text)) {
		fprintf(stderr, "vgpu-devmodel: fault list too long\n");
		return false;
	}
	strcpy(text, specs);
	for (char *one = strtok_r(text, ";", &save); one; one = strtok_r(NULL, ";", &save))
		if (!faults_add(f, one))
			return false;
	return true;
}

static bool fires(struct fault *f, uint32_t cmd_type)
{
	if (f->cmd && f->cmd != cmd_type)
		return false;
	f->seen++;
	if (f->nth)
		return f->seen == f->nth;
	return f->seen % f->every == 0;
}

struct fault_verdict faults_check(struct faults *f, uint32_t cmd_type)
{
	struct fault_verdict v = { .action = FAULT_NONE };

	/* Every fault counts the command, even when an earlier one fires. */
	for (unsigned i = 0; i < f->count; i++) {
		if (fires(&f->list[i], cmd_type) && v.action == FAULT_NONE) {
			v.action = f->list[i].action;
			v.resp = f->list[i].resp;
			v.delay_ms = f->list[i].delay_ms;
		}
	}
	return v;
}
