/* SPDX-License-Identifier: MIT */
/*
 * Device interfaces: a PDO's instance of an interface class, named by a
 * symbolic link under \??\ built from the device's hardware and instance
 * ids and the class GUID (as Windows names them), enabled and disabled by
 * the function driver, listed to user mode (SetupDi*) in the \\?\ form
 * that CreateFileW takes.
 */
#include "io_internal.h"

#define NAME_MAX_CHARS 160u

struct device_interface {
	PDEVICE_OBJECT pdo;
	GUID guid;
	char link[NAME_MAX_CHARS]; /* "\??\PCI#...#{guid}[\reference]" */
	WCHAR user_path[NAME_MAX_CHARS];
	bool enabled;
	struct device_interface *next;
};

static struct device_interface *interfaces;

static bool same_guid(const GUID *a, const GUID *b)
{
	return memcmp(a, b, sizeof(GUID)) == 0;
}

static void format_link(struct device_interface *itf, struct pnp_device *dev, const GUID *g,
			PCUNICODE_STRING reference)
{
	char ref[64] = "";
	uint32_t bdf = dev->bdf;
	size_t n;

	if (reference && reference->Length) {
		ref[0] = '\\';
		io_ascii_from_utf16(ref + 1, sizeof(ref) - 1, reference->Buffer,
				    reference->Length / sizeof(WCHAR));
	}
	str_format(itf->link, sizeof(itf->link),
		   "\\??\\PCI#VEN_%04X&DEV_%04X&SUBSYS_%04X%04X&REV_%02X#3&%08x&0&%02X#"
		   "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}%s",
		   pci_cfg_read(bdf, 0x00, 2), pci_cfg_read(bdf, 0x02, 2),
		   pci_cfg_read(bdf, 0x2E, 2), pci_cfg_read(bdf, 0x2C, 2),
		   pci_cfg_read(bdf, 0x08, 1), 0x2411e6feu ^ (bdf >> 8), bdf & 0xFFu,
		   (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
		   g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7], ref);
	/* User mode reaches \??\X as \\?\X. */
	n = strlen(itf->link);
	for (size_t i = 0; i <= n; i++)
		itf->user_path[i] = (WCHAR)(unsigned char)itf->link[i];
	itf->user_path[1] = '\\';
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The interface a symbolic link name (any case) names. */
static struct device_interface *find_link(PCUNICODE_STRING name)
{
	size_t chars = name->Length / sizeof(WCHAR);
	char ascii[NAME_MAX_CHARS];

	if (chars >= NAME_MAX_CHARS)
		return NULL;
	io_ascii_from_utf16(ascii, sizeof(ascii), name->Buffer, chars);
	for (struct device_interface *itf = interfaces; itf; itf = itf->next) {
		size_t i = 0;

		while (itf->link[i] && upper(itf->link[i]) == upper(ascii[i]))
			i++;
		if (!itf->link[i] && !ascii[i])
			return itf;
	}
	return NULL;
}

/* learn.microsoft.com: wdm/nf-wdm-ioregisterdeviceinterface */
NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject,
				   CONST GUID *InterfaceClassGuid, PUNICODE_STRING ReferenceString,
				   PUNICODE_STRING SymbolicLinkName)
{
	const void *caller = __builtin_return_address(0);
	struct pnp_device *dev = pnp_device_of_pdo(PhysicalDeviceObject);
	struct device_interface probe, *itf;
	size_t chars;
	WCHAR *buf;

	nt_require_irql("IoRegisterDeviceInterface", PASSIVE_LEVEL, caller);
	if (!dev || io_device(PhysicalDeviceObject)->deleted)
		nt_violation("IoRegisterDeviceInterface",
			     "PhysicalDeviceObject must be the device's PDO", caller,
			     "%p is not a PDO", (void *)PhysicalDeviceObject);
	if (!InterfaceClassGuid || !SymbolicLinkName)
		nt_violation("IoRegisterDeviceInterface",
			     "InterfaceClassGuid and SymbolicLinkName are required", caller,
			     "guid %p, name %p", (const void *)InterfaceClassGuid,
			     (void *)SymbolicLinkName);
	format_link(&probe, dev, InterfaceClassGuid, ReferenceString);
	for (itf = interfaces; itf && strcmp(itf->link, probe.link); itf = itf->next)
		;
	if (!itf) {
		itf = io_zalloc(sizeof(*itf));
		*itf = probe;
		itf->pdo = PhysicalDeviceObject;
		itf->guid = *InterfaceClassGuid;
		itf->enabled = false;
		itf->next = interfaces;
		interfaces = itf;
	}
	/* The caller owns the name and frees it with RtlFreeUnicodeString. */
	chars = strlen(itf->link);
	buf = nt_pool_alloc_for_driver(PagedPool, (chars + 1) * sizeof(WCHAR), IO_TAG_NAME, caller);
	if (!buf)
		return STATUS_INSUFFICIENT_RESOURCES;
	for (size_t i = 0; i <= chars; i++)
		buf[i] = (WCHAR)(unsigned char)itf->link[i];
	SymbolicLinkName->Buffer = buf;
	SymbolicLinkName->Length = (USHORT)(chars * sizeof(WCHAR));
	SymbolicLinkName->MaximumLength = (USHORT)((chars + 1) * sizeof(WCHAR));
	return STATUS_SUCCESS;
}

/* learn.microsoft.com: wdm/nf-wdm-iosetdeviceinterfacestate */
NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)
{
	const void *caller = __builtin_return_address(0);
	struct device_interface *itf;

	nt_require_irql("IoSetDeviceInterfaceState", PASSIVE_LEVEL, caller);
	if (!SymbolicLinkName || !SymbolicLinkName->Buffer)
		nt_violation("IoSetDeviceInterfaceState", "SymbolicLinkName is required", caller,
			     "%p", (void *)SymbolicLinkName);
	itf = find_link(SymbolicLinkName);
	if (!itf)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	if (Enable && itf->enabled)
		return STATUS_OBJECT_NAME_EXISTS;
	if (!Enable && !itf->enabled)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	itf->enabled = Enable;
	con_printf("pnp: interface %s: %s\n", Enable ? "enabled" : "disabled", itf->link);
	return STATUS_SUCCESS;
}

unsigned io_interfaces(const GUID *guid, const WCHAR **paths, unsigned max)
{
	unsigned n = 0;

	for (struct device_interface *itf = interfaces; itf; itf = itf->next) {
		if (!itf->enabled || !same_guid(&itf->guid, guid))
			continue;
		if (n < max)
			paths[n] = itf->user_path;
		n++;
	}
	return n;
}

bool io_interface_resolve(const WCHAR *path, PDEVICE_OBJECT *pdo, const WCHAR **rest)
{
	for (struct device_interface *itf = interfaces; itf; itf = itf->next) {
		size_t n = io_wcslen(itf->user_path);

		if (!itf->enabled || !io_wcs_equal_nocase(itf->user_path, path, n))
			continue;
		if (path[n] != 0 && path[n] != '\\')
			continue;
		*pdo = itf->pdo;
		*rest = path + n;
		return true;
	}
	return false;
}

void io_interfaces_removed(PDEVICE_OBJECT pdo, bool forget)
{
	struct device_interface **link = &interfaces;

	while (*link) {
		struct device_interface *itf = *link;

		if (itf->pdo != pdo) {
			link = &itf->next;
			continue;
		}
		itf->enabled = false;
		if (forget) {
			*link = itf->next;
			heap_free(itf);
		} else {
			link = &itf->next;
		}
	}
}
