/* SPDX-License-Identifier: MIT */
/*
 * Low-resources simulation, as Driver Verifier's: while armed, each
 * allocation the driver asks for fails with probability 1/one_in, from a
 * seeded generator, so that a failing run replays.  Only the driver's
 * calls fail; the harness's own never do.
 */
#include "internal.h"

static bool armed;
static uint64_t state;
static uint32_t one_in;
static uint64_t injected;
/* failures by routine: the few allocating routines the driver imports */
static struct {
	const char *routine;
	uint64_t count;
} by_routine[16];

static uint64_t next_random(void)
{
	/* xorshift64*: small, and the same sequence everywhere for a seed */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 2685821657736338717ull;
}

void nt_faults_arm(uint64_t seed, uint32_t n)
{
	state = seed ? seed : 0x9E3779B97F4A7C15ull;
	one_in = n ? n : 1;
	armed = true;
}

void nt_faults_disarm(void)
{
	armed = false;
}

uint64_t nt_faults_injected(void)
{
	return injected;
}

uint64_t nt_faults_injected_in(const char *routine)
{
	for (unsigned i = 0; i < sizeof(by_routine) / sizeof(by_routine[0]); i++)
		if (by_routine[i].routine && !strcmp(by_routine[i].routine, routine))
			return by_routine[i].count;
	return 0;
}

static void count_for(const char *routine)
{
	for (unsigned i = 0; i < sizeof(by_routine) / sizeof(by_routine[0]); i++) {
		if (!by_routine[i].routine || !strcmp(by_routine[i].routine, routine)) {
			by_routine[i].routine = routine;
			by_routine[i].count++;
			return;
		}
	}
	con_printf("harness: more allocating routines than the low-resources counts hold: %s\n",
		   routine);
	plat_exit(5);
}

bool nt_fault_now(const char *routine, const void *caller)
{
	char where[160];

	if (!armed || !nt_is_driver_address(caller) || next_random() % one_in)
		return false;
	injected++;
	count_for(routine);
	nt_describe_address(caller, where, sizeof(where));
	con_printf("# low resources: %s fails for %s\n", routine, where);
	return true;
}
