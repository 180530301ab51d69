/*
 * random_get. argv[1]:
 *   dump N     N random bytes from one call, as "random <hex>"
 *   edge       zero length, bad pointers, huge lengths
 */
#include "util.c"

static void dump(size_t n) {
    uint8_t *buf = malloc(n ? n : 1);
    __wasi_errno_t e = __wasi_random_get(buf, n);
    say("errno %u\n", e);
    say_hex("random", buf, n);
}

static void edge(void) {
    uint8_t *page = poisoned_top_page();
    uint8_t *end = page + 65536;
#define CASE(name, call) say_untouched(name, (call), page)
    CASE("len0", __wasi_random_get(page + 100, 0));
    CASE("cross_end", __wasi_random_get(end - 8, 16));
    CASE("bad_ptr", __wasi_random_get((uint8_t *)BAD_PTR, 16));
    CASE("huge_len", __wasi_random_get(page, 0xFFFFFFFFu));
    CASE("huge_len_at_0", __wasi_random_get((uint8_t *)0, 0xFFFFFFFFu));
    CASE("len_past_end", __wasi_random_get(page, 65537));
    /* The last 16 bytes of memory are fine (2^-128 odds of a false fail). */
    __wasi_errno_t e = __wasi_random_get(end - 16, 16);
    say("last_16 errno=%u written=%d\n", e, !all_eq(end - 16, 16, 0xAA));
    /* 4096 bytes are not all the same. */
    e = __wasi_random_get(page, 4096);
    int same = 1;
    for (int i = 1; i < 4096; i++)
        if (page[i] != page[0])
            same = 0;
    say("4096 errno=%u all_equal=%d\n", e, same);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "dump") && argc > 2)
        dump(strtoul(argv[2], NULL, 10));
    else if (streq(mode, "edge"))
        edge();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
