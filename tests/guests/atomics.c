/*
 * C11 atomics on a shared memory (the threads proposal), run on the one
 * thread a WASI preview1 host gives. Built with
 *   -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=1048576
 *   -Wl,--no-check-features
 * so the module defines and exports a shared memory (2 to 16 pages) and
 * uses atomic instructions. --no-check-features: the wasm32-wasi libc is
 * built without atomics, and wasm-ld refuses --shared-memory with such
 * objects unless told not to check; single-threaded, libc's plain loads
 * and stores are right on a shared memory too.
 *
 * argv[1] is N (default 1000). Prints, for any host:
 *   sum N*(N+1)/2         atomic_fetch_add of 1..N on a shared counter
 *   cas ok=1 now=7        compare-exchange from the sum to 7
 *   cas ok=0 seen=7       a compare-exchange that fails sees 7
 *   xchg old=7 now=N      exchange
 *   bits 0xf0f0 -> 0x0ff0 fetch_or 0xff00, fetch_and 0x0ff0 from 0x00f0
 *   u64 4294967296000     64-bit fetch_add of 2^32, 1000 times
 *   notify woken=0        memory.atomic.notify: nobody waits
 *   wait not_equal=1 timed_out=2
 *                         memory.atomic.wait32 on a wrong value returns 1;
 *                         on the right value with a 0 ns timeout, 2 (it
 *                         traps on an unshared memory)
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic uint32_t counter;
static _Atomic uint64_t wide;
static int32_t futex_word = 5;

int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000;
    for (uint32_t i = 1; i <= n; i++)
        atomic_fetch_add(&counter, i);
    uint32_t sum = atomic_load(&counter);
    printf("sum %u\n", sum);

    uint32_t expected = sum;
    int ok = atomic_compare_exchange_strong(&counter, &expected, 7);
    printf("cas ok=%d now=%u\n", ok, atomic_load(&counter));
    expected = sum + 1;
    ok = atomic_compare_exchange_strong(&counter, &expected, 9);
    printf("cas ok=%d seen=%u\n", ok, expected);

    uint32_t old = atomic_exchange(&counter, n);
    printf("xchg old=%u now=%u\n", old, atomic_load(&counter));

    atomic_store(&counter, 0x00f0);
    uint32_t before_or = atomic_fetch_or(&counter, 0xff00);
    atomic_fetch_and(&counter, 0x0ff0);
    printf("bits 0x%04x -> 0x%04x\n", before_or | 0xff00, atomic_load(&counter));

    for (int i = 0; i < 1000; i++)
        atomic_fetch_add(&wide, (uint64_t)1 << 32);
    atomic_thread_fence(memory_order_seq_cst);
    printf("u64 %llu\n", (unsigned long long)atomic_load(&wide));

    unsigned woken = __builtin_wasm_memory_atomic_notify(&futex_word, 1);
    printf("notify woken=%u\n", woken);
    int not_equal = __builtin_wasm_memory_atomic_wait32(&futex_word, 6, -1);
    int timed_out = __builtin_wasm_memory_atomic_wait32(&futex_word, 5, 0);
    printf("wait not_equal=%d timed_out=%d\n", not_equal, timed_out);
    return 0;
}
