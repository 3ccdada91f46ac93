/* SPDX-License-Identifier: MIT */
/*
 * The fake OS's synchronisation: locks, one-waiter events, the clock (and
 * Windows' coarse waits, on request) and the periodic timer.
 */
#include "fake_os.h"
#include "fake_os_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct fake_lock {
	pthread_mutex_t mutex;
	pthread_t owner;
	bool held;
};

struct fake_event {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool signalled;
	int waiters;
};

struct fake_timer {
	struct fake_os *f;
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	void (*fn)(void *arg);
	void *arg;
	uint64_t period_ns;
	uint64_t generation; /* bumped by every start and stop */
	bool running, quit;
};

/* ---- locks ---- */

static void *os_lock_create(void *ctx)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_lock *l = fake_os_object_new(f, sizeof(*l), &f->live_locks);

	if (l)
		pthread_mutex_init(&l->mutex, NULL);
	return l;
}

static void os_lock_destroy(void *ctx, void *lock)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_lock *l = lock;

	if (!l)
		return;
	if (l->held)
		fake_os_count_violation(f, "lock destroyed while held");
	pthread_mutex_destroy(&l->mutex);
	fake_os_object_delete(f, l, &f->live_locks);
}

/*
 * A spin lock taken twice by one thread hangs a real machine; here it would
 * hang the test, so it stops the program with a message instead.
 */
static void os_lock(void *ctx, void *lock)
{
	struct fake_lock *l = lock;

	if (__atomic_load_n(&l->held, __ATOMIC_ACQUIRE) &&
	    pthread_equal(l->owner, pthread_self())) {
		fprintf(stderr, "fake_os: lock %p taken again by the thread holding it\n", lock);
		abort();
	}
	pthread_mutex_lock(&l->mutex);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, true, __ATOMIC_RELEASE);
}

static void os_unlock(void *ctx, void *lock)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_lock *l = lock;

	if (!l->held || !pthread_equal(l->owner, pthread_self())) {
		fake_os_count_violation(f, "unlock of a lock this thread does not hold");
		return;
	}
	__atomic_store_n(&l->held, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&l->mutex);
}

/* ---- events ---- */

/* A mutex and a condition timed on CLOCK_MONOTONIC, the clock of deadline_after. */
static void init_sync(pthread_mutex_t *mutex, pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_mutex_init(mutex, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void *os_event_create(void *ctx)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_event *e = fake_os_object_new(f, sizeof(*e), &f->live_events);

	if (!e)
		return NULL;
	init_sync(&e->mutex, &e->cond);
	return e;
}

static void os_event_destroy(void *ctx, void *event)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_event *e = event;

	if (!e)
		return;
	if (e->waiters)
		fake_os_count_violation(f, "event destroyed with a waiter");
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->mutex);
	fake_os_object_delete(f, e, &f->live_events);
}

static void os_event_signal(void *ctx, void *event)
{
	struct fake_event *e = event;

	pthread_mutex_lock(&e->mutex);
	e->signalled = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mutex);
}

static uint64_t os_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec deadline_after(uint64_t timeout_ns)
{
	uint64_t now = os_now_ns(NULL);
	uint64_t at = UINT64_MAX - now < timeout_ns ? UINT64_MAX : now + timeout_ns;
	struct timespec ts = {
		.tv_sec = (time_t)(at / 1000000000ull),
		.tv_nsec = (long)(at % 1000000000ull),
	};

	return ts;
}

/*
 * Windows ends a timed wait at a clock tick on or after its deadline; the
 * fake takes the latest such tick, a whole number of them from the start,
 * so that a test sees the cost of a short wait every time.
 */
static uint64_t coarse_timeout(const struct fake_os *f, uint64_t timeout_ns)
{
	uint64_t tick = f->wait_tick_ns;

	if (!tick || UINT64_MAX - tick < timeout_ns)
		return timeout_ns;
	return (timeout_ns + tick - 1) / tick * tick;
}

static int os_event_wait(void *ctx, void *event, uint64_t timeout_ns)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_event *e = event;
	struct timespec deadline = deadline_after(coarse_timeout(f, timeout_ns));
	int rc = 0;

	pthread_mutex_lock(&e->mutex);
	if (++e->waiters > 1)
		fake_os_count_violation(f, "second waiter on a one-waiter event");
	while (!e->signalled && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&e->cond, &e->mutex, &deadline);
	rc = e->signalled ? 0 : VGPU_E_TIMEOUT;
	e->signalled = false;
	e->waiters--;
	pthread_mutex_unlock(&e->mutex);
	return rc;
}

/* ---- the periodic timer ---- */

static void *timer_main(void *arg)
{
	struct fake_timer *t = arg;

	pthread_mutex_lock(&t->mutex);
	while (!t->quit) {
		uint64_t generation = t->generation;
		struct timespec at;
		int rc = 0;

		if (!t->running) {
			pthread_cond_wait(&t->cond, &t->mutex);
			continue;
		}
		at = deadline_after(t->period_ns);
		while (!t->quit && t->generation == generation && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&t->cond, &t->mutex, &at);
		if (t->quit || t->generation != generation)
			continue;
		/* Unlocked: fn takes the core's locks, and the core starts and stops us under them. */
		pthread_mutex_unlock(&t->mutex);
		__atomic_fetch_add(&t->f->timer_calls, 1, __ATOMIC_RELAXED);
		t->fn(t->arg);
		pthread_mutex_lock(&t->mutex);
	}
	pthread_mutex_unlock(&t->mutex);
	return NULL;
}

static void *os_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_timer *t = fake_os_object_new(f, sizeof(*t), &f->live_timers);

	if (!t)
		return NULL;
	*t = (struct fake_timer){ .f = f, .fn = fn, .arg = arg };
	init_sync(&t->mutex, &t->cond);
	if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->mutex);
		fake_os_object_delete(f, t, &f->live_timers);
		return NULL;
	}
	return t;
}

static void timer_set(struct fake_timer *t, bool running, uint64_t period_ns)
{
	pthread_mutex_lock(&t->mutex);
	t->running = running;
	t->period_ns = period_ns;
	t->generation++;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mutex);
}

static void os_timer_start(void *ctx, void *timer, uint64_t period_ns)
{
	struct fake_os *f = to_fake(ctx);

	if (!period_ns)
		fake_os_count_violation(f, "a timer started with no period");
	__atomic_fetch_add(&f->timer_starts, 1, __ATOMIC_RELAXED);
	timer_set(timer, true, period_ns);
}

static void os_timer_stop(void *ctx, void *timer)
{
	struct fake_os *f = to_fake(ctx);

	__atomic_fetch_add(&f->timer_stops, 1, __ATOMIC_RELAXED);
	timer_set(timer, false, 0);
}

static void os_timer_destroy(void *ctx, void *timer)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_timer *t = timer;

	pthread_mutex_lock(&t->mutex);
	if (t->running)
		fake_os_count_violation(f, "a timer destroyed while running");
	t->quit = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mutex);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mutex);
	fake_os_object_delete(f, t, &f->live_timers);
}

void fake_os_offer_timer(struct fake_os *f, uint64_t wait_tick_ns)
{
	f->wait_tick_ns = wait_tick_ns;
	f->os.timer_create = os_timer_create;
	f->os.timer_destroy = os_timer_destroy;
	f->os.timer_start = os_timer_start;
	f->os.timer_stop = os_timer_stop;
}

void fake_os_sync_table(struct vgpu_os *os)
{
	os->lock_create = os_lock_create;
	os->lock_destroy = os_lock_destroy;
	os->lock = os_lock;
	os->unlock = os_unlock;
	os->event_create = os_event_create;
	os->event_destroy = os_event_destroy;
	os->event_signal = os_event_signal;
	os->event_wait = os_event_wait;
	os->now_ns = os_now_ns;
}
