/* SPDX-License-Identifier: MIT */
/*
 * catalog-members CATALOG: the members of a catalog as Windows' catalog
 * API decodes them (CryptCATOpen, CryptCATEnumerateMember), one line each:
 *
 *   member TAG {SIP GUID} DATA-OID DIGEST
 *
 * test_windows.py runs it under Wine on the package's vgpu.cat, so a
 * decoder we did not write reads what vgpu-makecat encodes.  Exit status
 * 1 when the catalog cannot be opened.
 */
#include <stdio.h>
#include <windows.h>
#include <mscat.h>
#include <mssip.h>

static void print_guid(const GUID *g)
{
	printf("{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned long)g->Data1,
	       g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
	       g->Data4[5], g->Data4[6], g->Data4[7]);
}

static void print_member(const CRYPTCATMEMBER *m)
{
	printf("member %ls ", m->pwszReferenceTag);
	print_guid(&m->gSubjectType);
	const SIP_INDIRECT_DATA *id = m->pIndirectData;
	printf(" %s ", id && id->Data.pszObjId ? id->Data.pszObjId : "-");
	for (DWORD i = 0; id && i < id->Digest.cbData; i++)
		printf("%02X", id->Digest.pbData[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	WCHAR path[MAX_PATH];
	if (argc != 2 || !MultiByteToWideChar(CP_ACP, 0, argv[1], -1, path, MAX_PATH)) {
		fprintf(stderr, "usage: catalog-members CATALOG\n");
		return 2;
	}
	HANDLE cat = CryptCATOpen(path, 0, 0, 0, 0);
	if (cat == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "catalog-members: CryptCATOpen failed (%lu)\n", GetLastError());
		return 1;
	}
	for (CRYPTCATMEMBER *m = CryptCATEnumerateMember(cat, NULL); m;
	     m = CryptCATEnumerateMember(cat, m))
		print_member(m);
	CryptCATClose(cat);
	return 0;
}
