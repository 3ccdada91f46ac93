/* SPDX-License-Identifier: MIT */
/* Status messages, and the Windows status table (include/vgpu/vgpu_windows.h) being a bijection. */
#include <string.h>

#include "libvgpu.h"
#include "tap.h"
#include "vgpu/vgpu_windows.h"

static void test_every_status_has_its_message(void)
{
	int status;

	for (status = VGPU_OK; status >= VGPU_E_LOWEST; status--) {
		const char *s = vgpu_status_str(status);

		CHECK(s != NULL && strncmp(s, "VGPU_", 5) == 0);
		CHECK(strstr(s, ": ") != NULL);
	}
	CHECK(strncmp(vgpu_status_str(VGPU_E_BAD_HANDLE), "VGPU_E_BAD_HANDLE:", 18) == 0);
	CHECK(strncmp(vgpu_status_str(VGPU_E_TRANSPORT), "VGPU_E_TRANSPORT:", 17) == 0);
	CHECK(strncmp(vgpu_status_str(VGPU_OK), "VGPU_OK:", 8) == 0);
}

static void test_messages_are_distinct(void)
{
	int a, b;

	for (a = VGPU_OK; a >= VGPU_E_LOWEST; a--)
		for (b = a - 1; b >= VGPU_E_LOWEST; b--)
			CHECK(strcmp(vgpu_status_str(a), vgpu_status_str(b)) != 0);
}

static void test_unknown_status(void)
{
	CHECK(strcmp(vgpu_status_str(1), "unknown vgpu status") == 0);
	CHECK(strcmp(vgpu_status_str(VGPU_E_LOWEST - 1), "unknown vgpu status") == 0);
	CHECK(strcmp(vgpu_status_str(-1000000), "unknown vgpu status") == 0);
}

/* Every status the kernel returns crosses DeviceIoControl and comes back as itself. */
static void test_windows_table_is_a_bijection(void)
{
	unsigned int i, j;
	int status;

	CHECK_EQ(VGPU_WIN_STATUS_COUNT, 13);
	for (status = VGPU_OK; status >= VGPU_E_LOWEST; status--) {
		uint32_t nt, err = 0;

		if (status == VGPU_E_TRANSPORT) /* user mode only: never crosses */
			continue;
		nt = vgpu_win_status_to_ntstatus(status);
		for (i = 0; i < VGPU_WIN_STATUS_COUNT; i++)
			if (vgpu_win_status_table[i].ntstatus == nt)
				err = vgpu_win_status_table[i].win32_error;
		CHECK_EQ(vgpu_win_error_to_status(err), status);
	}
	for (i = 0; i < VGPU_WIN_STATUS_COUNT; i++)
		for (j = i + 1; j < VGPU_WIN_STATUS_COUNT; j++) {
			CHECK(vgpu_win_status_table[i].status != vgpu_win_status_table[j].status);
			CHECK(vgpu_win_status_table[i].ntstatus !=
			      vgpu_win_status_table[j].ntstatus);
			CHECK(vgpu_win_status_table[i].win32_error !=
			      vgpu_win_status_table[j].win32_error);
		}
}

static void test_windows_foreign_errors(void)
{
	/* ERROR_GEN_FAILURE and ERROR_INVALID_FUNCTION are not the driver's words. */
	CHECK_EQ(vgpu_win_error_to_status(31), VGPU_E_TRANSPORT);
	CHECK_EQ(vgpu_win_error_to_status(1), VGPU_E_TRANSPORT);
	CHECK_EQ(vgpu_win_status_to_ntstatus(VGPU_E_TRANSPORT), 0xC0000185u);
	CHECK_EQ(vgpu_win_status_to_ntstatus(VGPU_E_INVALID), 0xC000000Du);
	CHECK_EQ(vgpu_win_status_to_ntstatus(VGPU_E_BUSY), 0x80000011u);
}

int main(void)
{
	RUN(test_every_status_has_its_message);
	RUN(test_messages_are_distinct);
	RUN(test_unknown_status);
	RUN(test_windows_table_is_a_bijection);
	RUN(test_windows_foreign_errors);
	return tap_done();
}
