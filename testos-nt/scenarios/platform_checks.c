/* SPDX-License-Identifier: MIT */
/* Console, memory, paging, traps, clock and contexts, each checked through platform.h only. */
#include "platform_checks.h"

#define PAGE_FAULT 14u
#define PF_PRESENT 0x1u
#define PF_WRITE 0x2u
#define PF_FETCH 0x10u
#define USER_TEST_VA (USER_VA_BASE + 0x10000u)
#define CONTEXT_STACK_PAGES 4u
#define CONTEXT_ROUNDS 5u
#define XMM6_MAIN 0x1122334455667788ull
#define XMM6_OTHER 0x99AABBCCDDEEFF00ull
#define IDLE_NS 20000000ull

static uint8_t zero_at_boot[8192]; /* .bss: the boot stub clears it */

void check_console(void)
{
	char buf[160], small[4];
	const char *want = "-42|    7|3   |0beef|ABC|10|z|str|a  |0x1234|-5|123456789abc|99|-3|200|"
			   "ffffffff|%";
	int n = str_format(buf, sizeof(buf),
			   "%d|%5i|%-4u|%05x|%X|%o|%c|%s|%-3s|%p|%lld|%llx|%zu|%hd|%hhu|%lx|%%",
			   -42, 7, 3u, 0xBEEFu, 0xABCu, 8u, 'z', "str", "a", (void *)0x1234, -5ll,
			   0x123456789ABCull, (size_t)99, (short)-3, (unsigned char)200,
			   0xFFFFFFFFul);

	if (strcmp(buf, want))
		con_printf("# got  %s\n# want %s\n", buf, want);
	check_case("platform.printf", !strcmp(buf, want) && n == (int)strlen(want));
	n = str_format(small, sizeof(small), "abcdef");
	check_case("platform.printf_truncates", n == 6 && !strcmp(small, "abc"));
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

void check_memory(void)
{
	size_t free_before = page_free_count();
	const void *base;
	const char *cmdline;
	size_t len;
	uint8_t *run, *scattered[8], *small, *large;
	bool apart = true, zeroed = true;

	con_printf("# RAM %llu MiB, %zu pages free, command line \"%s\"\n", plat_ram_bytes() >> 20,
		   free_before, plat_cmdline());
	for (unsigned i = 0; plat_module(i, &base, &len, &cmdline) == 0; i++)
		con_printf("# module %u: %zu bytes at %p: \"%s\"\n", i, len, base, cmdline);
	check_case("platform.bss_zeroed", all_zero(zero_at_boot, sizeof(zero_at_boot)));

	run = page_alloc(3);
	check_case("platform.page_alloc", run && all_zero(run, 3 * PLAT_PAGE_SIZE) &&
						  page_free_count() == free_before - 3);
	for (unsigned i = 0; i < 8; i++) {
		scattered[i] = page_alloc_scattered();
		zeroed = zeroed && scattered[i] && all_zero(scattered[i], PLAT_PAGE_SIZE);
		if (i && (scattered[i] + PLAT_PAGE_SIZE == scattered[i - 1] ||
			  scattered[i - 1] + PLAT_PAGE_SIZE == scattered[i]))
			apart = false;
	}
	con_printf("# scattered pages from %p down to %p\n", scattered[0], scattered[7]);
	check_case("platform.page_alloc_scattered", zeroed && apart);
	for (unsigned i = 0; i < 8; i++)
		page_free(scattered[i], 1);
	page_free(run, 3);
	check_case("platform.page_free", page_free_count() == free_before);

	small = heap_alloc(100);
	large = heap_alloc(3 * PLAT_PAGE_SIZE);
	check_case("platform.heap_alloc", small && large && (uintptr_t)small % 16 == 0 &&
						  all_zero(small, 100) &&
						  all_zero(large, 3 * PLAT_PAGE_SIZE));
	heap_free(small);
	heap_free(large);
	check_case("platform.heap_free", page_free_count() >= free_before - 1);
}

static bool mapped_as(uint64_t va, uint64_t want_pa, unsigned want_flags)
{
	uint64_t pa;
	unsigned flags;

	return vm_translate(va, &pa, &flags) == 0 && pa == want_pa && flags == want_flags;
}

static void check_user_spaces(void)
{
	struct vm_space *one = vm_space_create(), *two = vm_space_create();
	char *page_one = page_alloc(1), *page_two = page_alloc(1);
	char *va = (char *)(uintptr_t)USER_TEST_VA;
	const unsigned flags = VM_WRITE | VM_USER | VM_NX;
	bool ok = one && two && page_one && page_two;

	vm_space_switch(one);
	ok = ok && vm_map(USER_TEST_VA, (uintptr_t)page_one, 1, flags) == 0;
	memcpy(va, "space one", 10);
	vm_space_switch(two);
	ok = ok && !mapped_as(USER_TEST_VA, (uintptr_t)page_one, flags);
	ok = ok && vm_map(USER_TEST_VA, (uintptr_t)page_two, 1, flags) == 0;
	memcpy(va, "space two", 10);
	vm_space_switch(one);
	ok = ok && !strcmp(va, "space one") && mapped_as(USER_TEST_VA, (uintptr_t)page_one, flags);
	vm_space_switch(two);
	ok = ok && !strcmp(va, "space two") && mapped_as(USER_TEST_VA, (uintptr_t)page_two, flags);
	ok = ok && vm_space_current() == two && !strcmp(page_one, "space one");
	vm_space_switch(NULL);
	ok = ok && !mapped_as(USER_TEST_VA, (uintptr_t)page_two, flags);
	vm_space_destroy(one);
	vm_space_destroy(two);
	page_free(page_one, 1);
	page_free(page_two, 1);
	check_case("platform.user_spaces", ok);
}

static void check_system_range(void)
{
	uint64_t va = sysva_alloc(2);
	uint8_t *pages = page_alloc(2);
	const unsigned flags = VM_WRITE | VM_NX | VM_WRITE_COMBINED;
	bool ok = va && pages && vm_map(va, (uintptr_t)pages, 2, flags) == 0;

	ok = ok && mapped_as(va + PLAT_PAGE_SIZE + 5, (uintptr_t)pages + PLAT_PAGE_SIZE + 5, flags);
	if (ok)
		((volatile uint8_t *)(uintptr_t)va)[PLAT_PAGE_SIZE] = 0x5A;
	ok = ok && pages[PLAT_PAGE_SIZE] == 0x5A;
	ok = ok && vm_map(va, (uintptr_t)pages, 1, flags) == -1;     /* mapped already */
	ok = ok && vm_map(va + 0x80000000ull, 0, 1, VM_WRITE) == -1; /* outside */
	vm_unmap(va, 2);
	ok = ok && !mapped_as(va, (uintptr_t)pages, flags);
	sysva_free(va, 2);
	page_free(pages, 2);
	check_case("platform.system_range", ok);
	ok = mapped_as(SHARED_DATA_VA, (uintptr_t)plat_shared_data(), VM_NX);
	((volatile uint32_t *)plat_shared_data())[2] = 0xC0FFEE;
	ok = ok && ((volatile uint32_t *)(uintptr_t)SHARED_DATA_VA)[2] == 0xC0FFEE;
	check_case("platform.shared_data", ok);
}

void check_paging(void)
{
	check_user_spaces();
	check_system_range();
}

/* What the trap hook saw; it resumes at the address the probe left in rdx. */
static struct {
	bool armed;
	unsigned faults;
	uint64_t cr2, error;
} probe;

static bool probe_hook(struct trap_frame *frame, uint64_t cr2)
{
	if (!probe.armed || frame->vector != PAGE_FAULT)
		return false;
	probe.faults++;
	probe.cr2 = cr2;
	probe.error = frame->error;
	frame->rip = frame->rdx;
	return true;
}

enum probe_kind {
	PROBE_READ,
	PROBE_WRITE,
	PROBE_FETCH
};

static bool probe_faults(uint64_t addr, enum probe_kind kind, uint64_t want_error)
{
	probe.armed = true;
	probe.faults = 0;
	if (kind == PROBE_READ)
		__asm__ volatile("lea 1f(%%rip), %%rdx; movb (%0), %%al; 1:"
				 :
				 : "r"(addr)
				 : "rax", "rdx", "memory");
	else if (kind == PROBE_WRITE)
		__asm__ volatile("lea 1f(%%rip), %%rdx; movb $1, (%0); 1:"
				 :
				 : "r"(addr)
				 : "rdx", "memory");
	else
		__asm__ volatile("lea 1f(%%rip), %%rdx; jmp *%0; 1:"
				 :
				 : "r"(addr)
				 : "rdx", "memory");
	probe.armed = false;
	con_printf("# probe %p: %u fault(s), cr2 %p, error 0x%llx\n", (void *)(uintptr_t)addr,
		   probe.faults, (void *)(uintptr_t)probe.cr2, probe.error);
	return probe.faults == 1 && probe.cr2 == addr && probe.error == want_error;
}

void check_traps(void)
{
	uint8_t *data = page_alloc(1);

	plat_set_trap_hook(probe_hook);
	check_case("platform.fault_null", probe_faults(0, PROBE_READ, 0));
	check_case("platform.fault_shared_data_readonly",
		   probe_faults(SHARED_DATA_VA, PROBE_WRITE, PF_PRESENT | PF_WRITE));
	data[0] = 0xC3; /* ret: never reached, the identity map is not executable */
	check_case("platform.fault_nx",
		   probe_faults((uintptr_t)data, PROBE_FETCH, PF_PRESENT | PF_FETCH));
	check_case("platform.fault_unmapped_user",
		   probe_faults(USER_TEST_VA, PROBE_WRITE, PF_WRITE));
	plat_set_trap_hook(NULL);
	page_free(data, 1);
}

void check_clock(void)
{
	uint64_t start = plat_now_ns(), end;

	irq_idle(start + IDLE_NS); /* nothing else pending: the LAPIC timer wakes it */
	end = plat_now_ns();
	con_printf("# irq_idle for %llu ns took %llu ns\n", IDLE_NS, end - start);
	check_case("platform.irq_idle_deadline",
		   end - start >= IDLE_NS && end - start < 50 * IDLE_NS);
}

static struct plat_context main_context, other_context;
static unsigned other_rounds;

static void other_entry(void *arg)
{
	unsigned *rounds = arg;

	for (;;) {
		(*rounds)++;
		/* xmm6 is callee-saved: the switch must bring main's value back. */
		__asm__ volatile("movq %0, %%xmm6" : : "r"(XMM6_OTHER) : "xmm6");
		plat_context_switch(&other_context, &main_context);
	}
}

void check_contexts(void)
{
	uint8_t *stack = page_alloc(CONTEXT_STACK_PAGES);
	bool ok = stack != NULL;
	uint64_t xmm6 = 0;

	plat_context_init(&other_context, stack, CONTEXT_STACK_PAGES * PLAT_PAGE_SIZE, other_entry,
			  &other_rounds);
	for (unsigned i = 0; ok && i < CONTEXT_ROUNDS; i++) {
		__asm__ volatile("movq %0, %%xmm6" : : "r"(XMM6_MAIN) : "xmm6");
		plat_context_switch(&main_context, &other_context);
		__asm__ volatile("movq %%xmm6, %0" : "=r"(xmm6));
		ok = other_rounds == i + 1 && xmm6 == XMM6_MAIN;
	}
	con_printf("# %u switches each way, xmm6 0x%llx\n", other_rounds, xmm6);
	check_case("platform.contexts", ok);
	page_free(stack, CONTEXT_STACK_PAGES);
}
