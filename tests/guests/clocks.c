/*
 * clock_res_get / clock_time_get. argv[1] selects the case:
 *   basic            every clock id: errno, res > 0, time > 0
 *   mono             1000 monotonic reads never go back
 *   realtime NS      realtime against the host's time NS (decimal)
 *   invalid          unknown ids give inval and write nothing
 *   fault            bad result pointers
 */
#include "util.c"

#define POISON 0x5A5A5A5A5A5A5A5Aull

static void basic(void) {
    for (__wasi_clockid_t id = 0; id < 4; id++) {
        __wasi_timestamp_t res = 0, t = 0;
        __wasi_errno_t e1 = __wasi_clock_res_get(id, &res);
        __wasi_errno_t e2 = __wasi_clock_time_get(id, 0, &t);
        say("clock %u res_errno=%u res_pos=%d res_le_1s=%d time_errno=%u time_pos=%d\n", id, e1,
            res > 0, res <= 1000000000ull, e2, t > 0);
    }
    /* The precision argument is only a hint: any value works. */
    __wasi_timestamp_t t = 0;
    __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, UINT64_MAX, &t);
    say("precision_max errno=%u time_pos=%d\n", e, t > 0);
}

static void mono(void) {
    uint64_t prev = now_ns(__WASI_CLOCKID_MONOTONIC);
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        uint64_t t = now_ns(__WASI_CLOCKID_MONOTONIC);
        if (t < prev)
            ok = 0;
        prev = t;
    }
    say("mono reads=1000 nondecreasing=%d\n", ok);
}

static void realtime(const char *host) {
    uint64_t h = strtoull(host, NULL, 10);
    uint64_t t = now_ns(__WASI_CLOCKID_REALTIME);
    uint64_t diff = t > h ? t - h : h - t;
    say("realtime_within_5s=%d\n", diff < 5000000000ull);
    say("realtime_ns=%llu\n", (unsigned long long)t);
}

static void invalid(void) {
    static const uint32_t ids[] = {4, 5, 100, 0x7FFFFFFF, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        __wasi_timestamp_t res = POISON, t = POISON;
        __wasi_errno_t e1 = __wasi_clock_res_get(ids[i], &res);
        __wasi_errno_t e2 = __wasi_clock_time_get(ids[i], 0, &t);
        say("id %u res_errno=%u time_errno=%u untouched=%d\n", ids[i], e1, e2,
            res == POISON && t == POISON);
    }
}

static void fault(void) {
    uint8_t *page = poisoned_top_page();
    uint8_t *end = page + 65536;
#define CASE(name, call) say_untouched(name, (call), page)
    CASE("time_bad_ptr", raw_clock_time_get(0, 0, (int32_t)0xFFFFFFF0));
    CASE("time_at_end", __wasi_clock_time_get(0, 0, (__wasi_timestamp_t *)end));
    CASE("time_past_end", __wasi_clock_time_get(1, 0, (__wasi_timestamp_t *)(end + 4096)));
    CASE("time_misaligned", __wasi_clock_time_get(1, 0, (__wasi_timestamp_t *)(page + 4)));
    CASE("time_bad_id_bad_ptr", raw_clock_time_get(99, 0, (int32_t)0xFFFFFFF0));
    CASE("res_bad_ptr", raw_clock_res_get(0, (int32_t)0xFFFFFFF0));
    CASE("res_at_end", __wasi_clock_res_get(1, (__wasi_timestamp_t *)end));
    CASE("res_misaligned", __wasi_clock_res_get(1, (__wasi_timestamp_t *)(page + 2)));
    /* The last 8 bytes of memory are fine. */
    __wasi_errno_t e = __wasi_clock_time_get(1, 0, (__wasi_timestamp_t *)(end - 8));
    say("time_last_8 errno=%u written=%d\n", e, !all_eq(end - 8, 8, 0xAA));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "basic"))
        basic();
    else if (streq(mode, "mono"))
        mono();
    else if (streq(mode, "realtime") && argc > 2)
        realtime(argv[2]);
    else if (streq(mode, "invalid"))
        invalid();
    else if (streq(mode, "fault"))
        fault();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
