/* SPDX-License-Identifier: MIT */
/*
 * The local APIC (xAPIC, memory mapped at its reset address, uncached in
 * the identity map) and the MSI messages that target it.  The task priority
 * register stays 0: on x64 CR8 is its window, and the executive keeps the
 * IRQL there.  The legacy PIC is masked for good; devices reach us by MSI
 * or through the I/O APIC.
 */
#include "cpu.h"
#include "internal.h"

#define MSR_APIC_BASE 0x1Bu
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ull
#define LAPIC_BASE 0xFEE00000u

#define REG_ID 0x020u
#define REG_TPR 0x080u
#define REG_EOI 0x0B0u
#define REG_SVR 0x0F0u
#define REG_ISR 0x100u
#define REG_LVT_TIMER 0x320u
#define REG_LVT_THERMAL 0x330u
#define REG_LVT_PERF 0x340u
#define REG_LVT_LINT0 0x350u
#define REG_LVT_ERROR 0x370u
#define REG_TIMER_INITIAL 0x380u
#define REG_TIMER_CURRENT 0x390u
#define REG_TIMER_DIVIDE 0x3E0u
#define LVT_MASKED (1u << 16)
#define SVR_ENABLE (1u << 8)
#define TIMER_DIVIDE_16 0x3u
#define TIMER_MAX_COUNT 0xFFFFFFFFu
#define CALIBRATE_NS 10000000ull
#define NS_PER_MS 1000000ull

#define PIC_MASTER_DATA 0x21u
#define PIC_SLAVE_DATA 0xA1u

static uint64_t timer_ticks_per_ms;

static volatile uint32_t *reg(uint32_t offset)
{
	return (volatile uint32_t *)(uintptr_t)(LAPIC_BASE + offset);
}

static uint32_t lapic_read(uint32_t offset)
{
	return *reg(offset);
}

static void lapic_write(uint32_t offset, uint32_t value)
{
	*reg(offset) = value;
}

static void calibrate_timer(void)
{
	uint64_t start;

	lapic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(REG_LVT_TIMER, LVT_MASKED);
	start = plat_now_ns();
	lapic_write(REG_TIMER_INITIAL, TIMER_MAX_COUNT);
	while (plat_now_ns() - start < CALIBRATE_NS)
		cpu_relax();
	timer_ticks_per_ms =
		(TIMER_MAX_COUNT - lapic_read(REG_TIMER_CURRENT)) / (CALIBRATE_NS / NS_PER_MS);
	lapic_write(REG_TIMER_INITIAL, 0);
	if (!timer_ticks_per_ms)
		plat_panic("the local APIC timer does not count");
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_SLAVE_DATA, 0xFF);
	if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2APIC) ||
	    (base & APIC_BASE_ADDR_MASK) != LAPIC_BASE)
		plat_panic("the local APIC is not an enabled xAPIC at 0x%x (MSR 0x%llx)",
			   LAPIC_BASE, base);
	lapic_write(REG_TPR, 0);
	lapic_write(REG_LVT_TIMER, LVT_MASKED);
	lapic_write(REG_LVT_THERMAL, LVT_MASKED);
	lapic_write(REG_LVT_PERF, LVT_MASKED);
	lapic_write(REG_LVT_LINT0, LVT_MASKED); /* the PIC's ExtINT path */
	lapic_write(REG_LVT_ERROR, LVT_MASKED);
	lapic_write(REG_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	calibrate_timer();
}

uint8_t lapic_id(void)
{
	return (uint8_t)(lapic_read(REG_ID) >> 24);
}

void lapic_eoi(void)
{
	lapic_write(REG_EOI, 0);
}

bool lapic_in_service(uint8_t vector)
{
	return lapic_read(REG_ISR + (vector / 32u) * 0x10u) & (1u << (vector % 32u));
}

void lapic_timer_oneshot(uint8_t vector, uint64_t ns)
{
	uint64_t ticks = TIMER_MAX_COUNT;

	/* Rounded up, so that the interrupt never comes before the deadline. */
	if (ns < NS_PER_MS * (TIMER_MAX_COUNT / timer_ticks_per_ms))
		ticks = (ns * timer_ticks_per_ms + NS_PER_MS - 1) / NS_PER_MS;
	lapic_write(REG_LVT_TIMER, vector); /* one-shot, not masked */
	lapic_write(REG_TIMER_INITIAL, ticks ? (uint32_t)ticks : 1u);
}

void lapic_timer_stop(void)
{
	lapic_write(REG_TIMER_INITIAL, 0);
	lapic_write(REG_LVT_TIMER, LVT_MASKED);
}

uint64_t msi_address(void)
{
	return LAPIC_BASE | (uint32_t)lapic_id() << 12; /* physical destination: this CPU */
}

uint32_t msi_data(uint8_t vector)
{
	return vector; /* fixed delivery, edge triggered */
}
