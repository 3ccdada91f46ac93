/* SPDX-License-Identifier: MIT */
/*
 * What the files of the I/O manager share among themselves (not an
 * interface of the harness: iomgr.h is).  The objects drivers see (IRPs,
 * device, driver and file objects) are the DDK's structures; the I/O
 * manager's own bookkeeping about each sits beside them, never in memory
 * the driver may write.
 */
#ifndef NTH_IO_INTERNAL_H
#define NTH_IO_INTERNAL_H

#include "iomgr.h"

/* A pool tag from its four characters, in the order pool tools print them. */
#define IO_TAG(a, b, c, d) ((ULONG)(a) | (ULONG)(b) << 8 | (ULONG)(c) << 16 | (ULONG)(d) << 24)
#define IO_TAG_BUFFER IO_TAG('I', 'o', 'B', 'f')
#define IO_TAG_NAME IO_TAG('I', 'o', 'N', 'm')
#define IO_TAG_ERROR_LOG IO_TAG('I', 'o', 'E', 'l')
#define IO_TAG_RESOURCES IO_TAG('I', 'o', 'R', 's')
#define IO_TAG_INTERRUPT IO_TAG('I', 'o', 'I', 'n')

/* Where a violation names the harness itself (the I/O manager broke no rule of the driver's). */
#define IO_HERE() __builtin_return_address(0)

/* ---- the I/O manager's own memory (io/memory.c) -------------------------------- */

/* Zeroed harness memory; running out is the harness's failure, reported as such. */
void *io_zalloc(size_t size);
/* Zeroed pages mapped read-write at a fresh system address; their physical address in *pa. */
void *io_pages_map(size_t npages, uint64_t *pa);
/* Unmapped and freed; the address range stays reserved until io_pages_release_va. */
void io_pages_unmap(void *va, size_t npages, uint64_t pa);
void io_pages_release_va(void *va, size_t npages);

/* ---- driver and device objects (io/device.c) ----------------------------------- */

struct io_driver {
	DRIVER_OBJECT obj; /* first: what PDRIVER_OBJECT points to */
	DRIVER_EXTENSION ext;
};

struct io_device {
	DEVICE_OBJECT obj; /* first: what PDEVICE_OBJECT points to */
	DEVOBJ_EXTENSION doe;
	struct io_device *next;     /* every device object made, deleted ones included */
	PDEVICE_OBJECT attached_to; /* the device below this one in its stack */
	bool deleted;               /* IoDeleteDevice was called */
	const void *created_by;
	UNICODE_STRING name;      /* empty for an unnamed device */
	struct pnp_device *pnp;   /* the PCI function, for a PDO */
	DEVICE_POWER_STATE power; /* as PoSetPowerState last recorded it */
				  /* the device extension follows, 16-byte aligned */
};

PDRIVER_OBJECT io_driver_create(const char *name, PDRIVER_DISPATCH dispatch);
bool io_is_driver(const void *object);
/* The device object the I/O manager made at `object`, deleted or not; NULL if none. */
struct io_device *io_device(const void *object);
NTSTATUS io_device_create(PDRIVER_OBJECT driver, ULONG extension_size, PUNICODE_STRING name,
			  DEVICE_TYPE type, ULONG characteristics, BOOLEAN exclusive,
			  const void *caller, PDEVICE_OBJECT *out);
void io_device_delete(PDEVICE_OBJECT device);
/* The highest device attached over `device` (IoGetAttachedDevice). */
PDEVICE_OBJECT io_stack_top(PDEVICE_OBJECT device);
/* Device objects of `driver` not deleted; the first one's creator in *creator. */
unsigned io_driver_devices(PDRIVER_OBJECT driver, const void **creator);

/* ---- UNICODE_STRINGs the I/O manager builds (io/ustring.c) ---------------------- */

/* `s` (ASCII) as a NUL-terminated UNICODE_STRING in harness pool; false if too long. */
bool io_ustring_from_ascii(UNICODE_STRING *out, const char *s);
void io_ustring_free(UNICODE_STRING *s);
/* ASCII rendering of counted UTF-16 text, '?' for what is not ASCII. */
void io_ascii_from_utf16(char *out, size_t cap, const WCHAR *s, size_t chars);
size_t io_wcslen(const WCHAR *s);
bool io_wcs_equal_nocase(const WCHAR *a, const WCHAR *b, size_t chars);

/* ---- IRPs (io/irp.c) ------------------------------------------------------------- */

#define IO_MAX_STACK 16
#define IO_MAX_FRAMES 16

enum io_irp_state {
	IO_IRP_NEW,        /* built, not sent yet */
	IO_IRP_DISPATCHED, /* in some driver's hands */
	IO_IRP_COMPLETING, /* IoCompleteRequest is walking its completion routines */
	IO_IRP_HELD,       /* a completion routine returned STATUS_MORE_PROCESSING_REQUIRED */
	IO_IRP_DONE,       /* completed; its memory is unmapped and quarantined */
};

/* One call of a dispatch routine with the IRP (IofCallDriver). */
struct io_frame {
	bool used;
	bool returned;
	CCHAR location;
	PDRIVER_DISPATCH dispatch;
	NTSTATUS status; /* what the dispatch routine returned */
};

/* What the IRP held when its completion ended: the issuer reads it after the IRP is gone. */
struct io_irp_result {
	IO_STATUS_BLOCK iosb;
	PVOID system_buffer;
	PMDL mdl;
	ULONG flags;
	PVOID user_buffer;
};

struct io_irp {
	PIRP irp;    /* its own page(s), unmapped once it is done */
	uint64_t pa; /* the pages behind it */
	size_t npages;
	enum io_irp_state state;
	const char *origin; /* who built it, for messages */
	/* The issuer's part of completion, after the I/O manager's, where the completion ends. */
	void (*on_done)(struct io_irp *rec);
	void *issuer; /* the issuer's context for on_done */
	bool driver_built;
	bool sent;
	struct io_irp_result result;
	/* for CancelIoEx */
	struct nt_process *process;
	PFILE_OBJECT file;
	/* the pending protocol and PoStartNextPowerIrp, per stack location (1..StackCount) */
	struct io_frame frames[IO_MAX_FRAMES];
	const void *sender[IO_MAX_STACK + 2];
	bool walked[IO_MAX_STACK + 2];
	bool pending_at_walk[IO_MAX_STACK + 2];
	bool power_started[IO_MAX_STACK + 2];
	uint64_t epoch; /* bumped at every dispatch and completion */
	unsigned holds; /* references of the I/O manager itself: not evicted while > 0 */
	struct io_irp *hash_next;
	struct io_irp *list_next; /* in flight, or in the quarantine */
};

/*
 * A zeroed IRP with `stack_size` locations in a page of its own, its
 * current location above the first (the issuer fills
 * IoGetNextIrpStackLocation).
 */
PIRP io_irp_alloc(CCHAR stack_size, const char *origin, struct io_irp **rec);
/* An IRP no driver has seen yet, given up by its builder. */
void io_irp_discard(struct io_irp *rec);
/* The record of an IRP the I/O manager made (in flight or quarantined), NULL otherwise. */
struct io_irp *io_irp_lookup(const void *irp);
void io_irp_hold(struct io_irp *rec);
void io_irp_release(struct io_irp *rec);
NTSTATUS io_call_driver(PDEVICE_OBJECT device, PIRP irp, const void *caller);
void io_complete_request(PIRP irp, const void *caller);
/*
 * Send a harness-built IRP to `device` and wait for its completion: the
 * final status, and what the IRP held then in *result.
 */
NTSTATUS io_send_and_wait(PDEVICE_OBJECT device, PIRP irp, struct io_irp *rec,
			  struct io_irp_result *result);
/* Who passed the IRP to its current stack location (the last IofCallDriver's caller). */
const void *io_irp_sender(PIRP irp);
/* IRPs in flight: the first after `prev` (NULL: the first). */
struct io_irp *io_irp_next_in_flight(struct io_irp *prev);
unsigned io_irps_in_flight(void);

/* ---- the error log (io/error_log.c) ----------------------------------------------- */

/* Entries allocated and neither written nor freed; the first one's allocator. */
unsigned io_error_log_outstanding(const void **allocated_by);

/* ---- the driver image (io/driver_load.c) ----------------------------------------- */

bool io_in_driver_image(const void *address);

/* ---- running as the PnP manager's worker does (io/system_context.c) -------------- */

/* fn(arg) in the system process at PASSIVE_LEVEL: here, or in a system thread joined. */
void io_in_system_context(void (*fn)(void *arg), void *arg);

/* ---- the PCI functions (io/pnp.c, io/pci_function.c) ----------------------------- */

#define IO_MAX_MESSAGES 8
#define IO_DEVICE_IRQL 5 /* the DIRQL the harness gives device interrupts */

enum pnp_state {
	PNP_ADDED, /* AddDevice done, not started (or a START failed) */
	PNP_STARTED,
	PNP_STOP_PENDING,   /* QUERY_STOP succeeded */
	PNP_STOPPED,        /* STOP done: no resources */
	PNP_REMOVE_PENDING, /* QUERY_REMOVE succeeded */
	PNP_SURPRISE_REMOVED,
	PNP_REMOVED, /* REMOVE done: the FDO is gone */
};

struct io_interrupt; /* io/interrupt.c: what a PKINTERRUPT points to */

struct pnp_irq {
	bool assigned;     /* resources given at START, taken back at STOP/REMOVE */
	bool msix;         /* messages; otherwise the line */
	unsigned messages; /* MSI-X messages granted */
	uint8_t vectors[IO_MAX_MESSAGES];
	unsigned gsi; /* the line's */
	uint8_t line_vector;
	/* the driver's connection, if any */
	ULONG version;
	PIO_INTERRUPT_MESSAGE_INFO table;
	struct io_interrupt *objects; /* one per message, or the line's */
	unsigned nobjects;
	unsigned unclaimed; /* line interrupts in a row that no ISR claimed */
	bool held;          /* pnp_hold_interrupts: messages wait in `pending` */
	uint32_t pending;   /* held messages, by connection object */
};

struct pnp_device {
	unsigned index;
	uint32_t bdf;
	PDEVICE_OBJECT pdo;
	PDEVICE_OBJECT fdo; /* what AddDevice attached, until REMOVE */
	enum pnp_state state;
	enum pnp_state before_query_remove; /* where CANCEL_REMOVE returns to */
	enum pnp_irq_mode irq_mode;
	struct pci_bar bars[6];
	bool gone;         /* surprise removed: config space and BARs read as all ones */
	bool bars_revoked; /* the BARs' mappings fault (no resources assigned) */
	bool remove_when_closed;
	unsigned open_files;       /* file objects opened on the PDO, until their CLOSE */
	DEVICE_POWER_STATE dstate; /* as the bus driver last set it */
	uint16_t saved_command;    /* the command register, restored on the way back to D0 */
	struct pnp_irq irq;
	/* the PnP request in progress and what the bus driver did with it */
	bool request_active;
	UCHAR request_minor;
	bool bus_saw_request;
	bool bus_started; /* the bus driver completed START and has not stopped since */
	/* the START lists, while START is in progress */
	PCM_RESOURCE_LIST raw, translated;
	uint64_t raw_pa, translated_pa;
	unsigned list_count;
};

/* Every enumerated function, for lookups by PDO. */
struct pnp_device *pnp_device_of_pdo(PDEVICE_OBJECT pdo);
/* The REMOVE a surprise removal deferred, once the last file object on the PDO closed. */
void pnp_file_closed(struct pnp_device *dev);

/* io/pci_function.c: the function's registers, as the bus driver touches them */
uint32_t pci_function_config(struct pnp_device *dev, uint32_t offset, unsigned width);
/* The offset of capability `id` in config space, 0 if the function has none. */
unsigned pci_function_capability(uint32_t bdf, uint8_t id);
/* A pointer to [offset, offset + len) of memory BAR `bar`, NULL if it is not there. */
volatile uint8_t *pci_function_bar(struct pnp_device *dev, unsigned bar, uint64_t offset,
				   uint64_t len);
/* Reset the virtio function (device_status := 0): what losing power does to it. */
void pci_function_virtio_reset(struct pnp_device *dev);
/* D3: memory decoding stops; D0: the command register as it was. */
void pci_function_power_down(struct pnp_device *dev);
void pci_function_power_up(struct pnp_device *dev);
/* Memory decoding and bus mastering on, as the bus driver does at start. */
void pci_function_enable(struct pnp_device *dev);
/* MSI-X table size (0: no MSI-X capability). */
unsigned pci_function_msix_size(uint32_t bdf);
bool pci_function_msix_program(struct pnp_device *dev, unsigned entry, uint64_t address,
			       uint32_t data);
void pci_function_msix_enable(struct pnp_device *dev, bool enable);
void pci_function_use_intx(struct pnp_device *dev);
/* Whether the function asserts its INTx (status register, interrupt status bit). */
bool pci_function_intx_asserted(struct pnp_device *dev);
/* The function vanishes from the bus: no DMA, no interrupts, BARs not decoded. */
void pci_function_disappear(struct pnp_device *dev);

/* io/pci_bus.c: the bus driver's dispatch and its PDOs */
PDEVICE_OBJECT pci_bus_create_pdo(struct pnp_device *dev);
void pci_bus_delete_pdo(struct pnp_device *dev);

/* io/resources.c: the START lists */
void io_resources_build(struct pnp_device *dev);
void io_resources_free(struct pnp_device *dev);

/* io/interrupt.c: interrupt resources the PnP manager assigns and takes back */
bool io_irq_assign(struct pnp_device *dev);
void io_irq_release(struct pnp_device *dev);
bool io_irq_connected(const struct pnp_device *dev);

/* io/interface.c */
/* The device interface `path` names ("\\?\..."): its PDO and what follows the name. */
bool io_interface_resolve(const WCHAR *path, PDEVICE_OBJECT *pdo, const WCHAR **rest);
/* What the PnP manager does at removal: the PDO's interfaces disabled (and forgotten if gone). */
void io_interfaces_removed(PDEVICE_OBJECT pdo, bool forget);

/* ---- power (io/power.c) ------------------------------------------------------------ */

/* A power IRP from the power manager to the top of the device's stack, waited for. */
NTSTATUS power_send(struct pnp_device *dev, UCHAR minor, POWER_STATE_TYPE type, POWER_STATE state);

/* ---- files and handles (io/file.c, io/handles.c, io/buffers.c) --------------------- */

struct io_file {
	FILE_OBJECT obj; /* first: what PFILE_OBJECT points to */
	unsigned handles;
	bool opened; /* CREATE succeeded: CLEANUP and CLOSE are owed */
	struct pnp_device *dev;
};

/* CreateFile's object: CREATE sent; NULL and *status on failure. */
PFILE_OBJECT io_file_open(const WCHAR *path, NTSTATUS *status);
/* A handle to `file` appeared or went away (the last one sends CLEANUP). */
void io_file_handle_added(PFILE_OBJECT file);
void io_file_handle_closed(PFILE_OBJECT file);
/* The device stack a file object's IRPs go to. */
PDEVICE_OBJECT io_file_device(PFILE_OBJECT file);

/* The file object behind a handle of `proc`, referenced; NULL if none. */
PFILE_OBJECT io_handle_reference(struct nt_process *proc, HANDLE handle);
HANDLE io_handle_insert(struct nt_process *proc, PFILE_OBJECT file);

/* Whether [p, p + len) is user memory of the current process, mapped (and writable). */
bool io_user_range(const void *p, size_t len, bool write);
/* A zeroed system buffer of `size` bytes starting with a copy of the input; NULL for 0. */
PVOID io_system_buffer(const void *input, ULONG input_len, ULONG size);
/* An MDL over `buffer` (none for 0 bytes), its pages probed and locked; the probe's failure. */
NTSTATUS io_lock_buffer(PVOID buffer, ULONG length, KPROCESSOR_MODE mode, LOCK_OPERATION operation,
			PMDL *out);
/*
 * What completion owes the issuer's buffers, in the issuer's context: the
 * system buffer copied back (at most max_copy bytes) for an input
 * operation that did not fail, the MDL unlocked and freed, the system
 * buffer freed.
 */
void io_buffers_finish(const struct io_irp_result *result, ULONG max_copy);

#endif /* NTH_IO_INTERNAL_H */
