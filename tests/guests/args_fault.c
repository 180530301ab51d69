/*
 * Hostile pointers to args_get / environ_get and their _sizes_get calls.
 * argv[1] is "args" or "env"; the host must give at least 2 items of it.
 * A fresh page at the top of memory is filled with 0xAA before each call
 * and must be untouched after a failing one. One line per case:
 *   <case> errno=E untouched=0|1
 */
#include "util.c"

typedef __wasi_errno_t (*sizes_fn)(__wasi_size_t *, __wasi_size_t *);
typedef __wasi_errno_t (*get_fn)(uint8_t **, uint8_t *);

static uint8_t *page;

static void poison(void) { memset(page, 0xAA, 65536); }

static void report(const char *what, __wasi_errno_t e) {
    say("%s errno=%u untouched=%d\n", what, e, all_eq(page, 65536, 0xAA));
}

int main(int argc, char **argv) {
    int env = argc > 1 && streq(argv[1], "env");
    sizes_fn sizes = env ? __wasi_environ_sizes_get : __wasi_args_sizes_get;
    get_fn get = env ? __wasi_environ_get : __wasi_args_get;
    __wasi_size_t count = 0, size = 0;
    if (sizes(&count, &size) != 0 || count < 2) {
        say("need at least 2 items\n");
        return 1;
    }
    page = top_page();
    uint8_t *end = page + 65536;
    if ((uint32_t)(uintptr_t)end != mem_end()) {
        say("page is not at the end of memory\n");
        return 1;
    }

    /* The pointer array runs 4 bytes past the end of memory. */
    poison();
    report("ptrs_cross_end", get((uint8_t **)(end - 4 * (count - 1)), page));
    /* The string buffer runs 1 byte past the end. */
    poison();
    report("buf_cross_end", get((uint8_t **)page, end - (size - 1)));
    /* Both far out of memory. */
    poison();
    report("ptrs_bad", get((uint8_t **)BAD_PTR, page));
    poison();
    report("buf_bad", get((uint8_t **)page, (uint8_t *)BAD_PTR));
    /* A misaligned pointer array. */
    poison();
    report("ptrs_misaligned", get((uint8_t **)(page + 2), page + 1024));
    /* An exact fit at the end of memory works and writes everything. */
    poison();
    uint8_t **ptrs = (uint8_t **)(end - 4 * count);
    uint8_t *buf = end - 4 * count - size;
    __wasi_errno_t e = get(ptrs, buf);
    int ok = e == 0 && ptrs[0] == buf && end[-4 * (int)count - 1] == 0;
    say("exact_fit errno=%u ok=%d\n", e, ok);

    /* _sizes_get with bad out-pointers: nothing written. */
    poison();
    report("sizes_count_bad", sizes((__wasi_size_t *)BAD_PTR, (__wasi_size_t *)page));
    poison();
    report("sizes_size_bad", sizes((__wasi_size_t *)page, (__wasi_size_t *)BAD_PTR));
    poison();
    report("sizes_size_at_end", sizes((__wasi_size_t *)(end - 4), (__wasi_size_t *)end));
    poison();
    report("sizes_misaligned", sizes((__wasi_size_t *)(page + 1), (__wasi_size_t *)page));
    poison();
    e = sizes((__wasi_size_t *)(end - 8), (__wasi_size_t *)(end - 4));
    ok = e == 0 && ((__wasi_size_t *)end)[-2] == count && ((__wasi_size_t *)end)[-1] == size;
    say("sizes_at_end errno=%u ok=%d\n", e, ok);
    return 0;
}
