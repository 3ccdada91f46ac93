/* SPDX-License-Identifier: MIT */
/* A plain mutex for libvgpu on both platforms, without a threads runtime on Windows. */
#ifndef LIBVGPU_LOCK_H
#define LIBVGPU_LOCK_H

#ifdef _WIN32
#include <windows.h>

struct vgpu_lock {
	SRWLOCK srw;
};

static inline void vgpu_lock_init(struct vgpu_lock *l)
{
	InitializeSRWLock(&l->srw);
}

static inline void vgpu_lock_fini(struct vgpu_lock *l)
{
	(void)l;
}

static inline void vgpu_lock_take(struct vgpu_lock *l)
{
	AcquireSRWLockExclusive(&l->srw);
}

static inline void vgpu_lock_release(struct vgpu_lock *l)
{
	ReleaseSRWLockExclusive(&l->srw);
}
#else
#include <pthread.h>

struct vgpu_lock {
	pthread_mutex_t mutex;
};

static inline void vgpu_lock_init(struct vgpu_lock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
}

static inline void vgpu_lock_fini(struct vgpu_lock *l)
{
	pthread_mutex_destroy(&l->mutex);
}

static inline void vgpu_lock_take(struct vgpu_lock *l)
{
	pthread_mutex_lock(&l->mutex);
}

static inline void vgpu_lock_release(struct vgpu_lock *l)
{
	pthread_mutex_unlock(&l->mutex);
}
#endif

#endif /* LIBVGPU_LOCK_H */
