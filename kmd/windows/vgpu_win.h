/* SPDX-License-Identifier: MIT */
/*
 * vgpu.sys, the WDM shell around the kmd core: what its files share.
 *
 * One function device object per vgpu PCI function.  The core device lives
 * from IRP_MN_START_DEVICE to stop/remove; power-down or surprise removal
 * declare it lost (every call fails with DEVICE_LOST).  The next handle
 * opened after power-down gets a new core; the lost one is kept, detached
 * from the device, until the last handle opened on it closes.
 *
 * Locks and levels:
 *  - win_device.state_mutex (KMUTEX, PASSIVE: interrupts are connected and
 *    IRPs sent down while it is held): state, open_files and the core
 *    pointer's replacement; PnP, power, CREATE and CLEANUP.
 *  - the core's locks (spin locks, os_win.c) at DISPATCH.
 *  - win_file.map_mutex (FAST_MUTEX): a file's user mappings.
 *  - the global file list (user_map.c) for process-exit unmapping.
 */
#ifndef VGPU_WIN_H
#define VGPU_WIN_H

#include <ntddk.h>

#include "os.h"
#include "vgpu_msg.h"
#include "vgpu_core.h"
#include "virtio/virtio_pci.h"

/* An ntoskrnl.exe routine that mingw-w64 declares only in ntifs.h, which ntddk.h excludes. */
NTKERNELAPI BOOLEAN NTAPI PsIsThreadTerminating(PETHREAD Thread);

/* "Vgpu" as pool tools show it (the bytes in memory order). */
#define VGPU_POOL_TAG 0x75706756u
#define VGPU_PCI_BARS 6u
/* The device-wide limit on pinned memory where Windows does not say how much RAM it has. */
#define WIN_PIN_LIMIT_UNKNOWN_RAM (2ull << 30)
/* Mappings bar_map may hand out: one per virtio structure, with room to spare. */
#define VGPU_MAX_IO_MAPS 8u

enum win_state {
	WIN_STOPPED, /* no resources: before start, after stop */
	WIN_STARTED,
	WIN_STOP_PENDING,   /* between QUERY_STOP and STOP / CANCEL_STOP */
	WIN_REMOVE_PENDING, /* between QUERY_REMOVE and REMOVE / CANCEL_REMOVE */
	WIN_SURPRISE_REMOVED,
	WIN_REMOVED,
};

struct win_bar {
	PHYSICAL_ADDRESS phys; /* translated: what the CPU maps */
	ULONGLONG len;         /* 0: no memory BAR here */
};

struct win_io_map {
	PVOID va;
	SIZE_T len;
};

struct win_irq {
	BOOLEAN connected;
	ULONG version;    /* CONNECT_MESSAGE_BASED or CONNECT_LINE_BASED */
	PVOID connection; /* message table or interrupt object */
	KDPC dpc;
};

struct win_device {
	PDEVICE_OBJECT self;
	PDEVICE_OBJECT pdo;
	PDEVICE_OBJECT lower;
	IO_REMOVE_LOCK remove_lock;
	UNICODE_STRING interface_name;

	KMUTEX state_mutex;
	enum win_state state;
	LONG open_files;    /* every handle, on any core */
	LONG core_files;    /* handles opened on `core` */
	BOOLEAN core_stale; /* lost by power-down: the next open builds a new one */
	struct win_retired_core *retired;
	DEVICE_POWER_STATE power;
	/* the D state for each S state, from the bus's capabilities */
	DEVICE_POWER_STATE d_for_s[PowerSystemMaximum];

	/* hardware, valid while started */
	UCHAR pci_cfg[256];
	struct win_bar bars[VGPU_PCI_BARS];
	struct win_io_map io_maps[VGPU_MAX_IO_MAPS];
	ULONG nio_maps;
	struct win_irq irq;
	enum vgpu_personality personality; /* from the PCI ids at start (identity.c) */

	struct vgpu_os os;
	struct vgpu_virtio_pci vp;
	struct vgpu_transport transport;
	/* read by the DPC; replaced only with interrupts quiet (see interrupt.c) */
	struct vgpu_device *volatile core;
};

/* One opened handle (FILE_OBJECT->FsContext). */
struct win_file {
	struct win_device *dev;
	struct vgpu_device *core; /* the one core_file was opened on */
	struct vgpu_file *core_file;
	PEPROCESS owner;      /* referenced; the only process that may call */
	IO_REMOVE_LOCK calls; /* ioctls in flight; CLEANUP drains them */
	FAST_MUTEX map_mutex;
	LIST_ENTRY maps;               /* struct win_user_map, under map_mutex */
	BOOLEAN device_memory_revoked; /* under map_mutex: no device memory may be mapped */
	LIST_ENTRY all_node;           /* in the global list of files, for process exit */
};

/* routines.c: kernel routines resolved at load time */
typedef PVOID (*win_map_io_space_ex_fn)(PHYSICAL_ADDRESS address, SIZE_T size, ULONG protect);
typedef PVOID (*win_alloc_contiguous_node_fn)(SIZE_T size, PHYSICAL_ADDRESS low,
					      PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS boundary,
					      ULONG protect, ULONG preferred_node);
typedef PPHYSICAL_MEMORY_RANGE (*win_memory_ranges_fn)(PVOID partition, ULONG flags);
typedef PEX_TIMER(NTAPI *win_allocate_timer_fn)(PEXT_CALLBACK callback, PVOID context,
						ULONG attributes);
typedef BOOLEAN(NTAPI *win_set_timer_fn)(PEX_TIMER timer, LONGLONG due, LONGLONG period,
					 PEXT_SET_PARAMETERS params);
typedef BOOLEAN(NTAPI *win_cancel_timer_fn)(PEX_TIMER timer, PEXT_CANCEL_PARAMETERS params);
typedef BOOLEAN(NTAPI *win_delete_timer_fn)(PEX_TIMER timer, BOOLEAN cancel, BOOLEAN wait,
					    PEXT_DELETE_PARAMETERS params);
struct win_routines {
	win_map_io_space_ex_fn map_io_space_ex;             /* NULL before Windows 10 */
	win_alloc_contiguous_node_fn alloc_contiguous_node; /* never NULL once loaded */
	win_memory_ranges_fn memory_ranges;                 /* NULL before Windows 10 2004 */
	/* The high-resolution timer (Windows 8.1): all four, or all NULL. */
	win_allocate_timer_fn allocate_timer;
	win_set_timer_fn set_timer;
	win_cancel_timer_fn cancel_timer;
	win_delete_timer_fn delete_timer;
};
extern struct win_routines win_routines;
NTSTATUS win_resolve_routines(void);

/* driver.c */
NTSTATUS win_forward_sync(struct win_device *dev, PIRP irp);
NTSTATUS win_complete(PIRP irp, NTSTATUS status, ULONG_PTR information);
void win_state_lock(struct win_device *dev);
void win_state_unlock(struct win_device *dev);

/* pnp.c / power.c */
DRIVER_DISPATCH win_dispatch_pnp;
DRIVER_DISPATCH win_dispatch_power;

/* file_io.c */
DRIVER_DISPATCH win_dispatch_create;
DRIVER_DISPATCH win_dispatch_cleanup;
DRIVER_DISPATCH win_dispatch_close;
DRIVER_DISPATCH win_dispatch_ioctl;

/* hw.c: config space, BARs */
NTSTATUS win_hw_read_config(struct win_device *dev);
NTSTATUS win_hw_find_bars(struct win_device *dev, PCM_RESOURCE_LIST raw,
			  PCM_RESOURCE_LIST translated);
void win_hw_unmap_all(struct win_device *dev);
volatile void *win_bar_map(void *ctx, uint32_t bar, uint64_t offset, uint64_t len);
/* Device memory into the system range with `cache`: MmMapIoSpaceEx where it exists. */
PVOID win_map_io(PHYSICAL_ADDRESS phys, SIZE_T len, MEMORY_CACHING_TYPE cache);
uint32_t win_pci_cfg_read(void *ctx, uint32_t offset, uint32_t width);

/* interrupt.c */
NTSTATUS win_irq_connect(struct win_device *dev);
void win_irq_disconnect(struct win_device *dev);

/* core_life.c: the core device's life */
NTSTATUS win_core_start(struct win_device *dev);
void win_core_quiesce(struct win_device *dev);
void win_core_destroy(struct win_device *dev);
NTSTATUS win_core_renew(struct win_device *dev);
void win_core_file_closed(struct win_device *dev, struct vgpu_device *core);

/* os_win.c */
void win_os_init(struct win_device *dev);

/* user_map.c */
NTSTATUS win_user_map_init(void);
void win_user_map_fini(void);
void win_user_map_track(struct win_file *file);
/* The device's memory is gone or handed out anew: out of every process, none mapped again. */
void win_user_map_revoke_device(struct win_device *dev);
void win_user_map_untrack(struct win_file *file);
int win_map_user(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
		 void **mapping);
int win_map_device_user(void *ctx, void *file_ctx, uint64_t pa, uint64_t size,
			enum vgpu_cache_type cache, uint64_t *address, void **mapping);
void win_unmap_user(void *ctx, void *file_ctx, void *mapping);

/* backing.c */
int win_backing_alloc(void *ctx, uint64_t size, struct vgpu_backing **out);
int win_backing_alloc_contig(void *ctx, uint64_t size, struct vgpu_backing **out);
void win_backing_free(void *ctx, struct vgpu_backing *backing);
/* The MDL that describes a backing's pages, for mapping them. */
PMDL win_backing_mdl(const struct vgpu_backing *backing);

/* eventlog.c */
void win_event_log(struct win_device *dev, NTSTATUS code, const char *text);

#endif /* VGPU_WIN_H */
