/*
 * Benchmark guest for wasihost-bench: calls one WASI function in a tight
 * loop, through the raw preview1 imports (no libc buffering).
 *
 *   bench.wasm OP COUNT
 *
 * OP is one of
 *   write   fd_write of 16 bytes to fd 1 (stdout), COUNT times
 *   clock   clock_time_get(monotonic), COUNT times
 *   random  random_get of 256 bytes, COUNT times
 *
 * COUNT 0 runs the same startup and argument parsing with no call, which
 * the host subtracts as the fixed cost of a run.
 *
 * Exit status: 0 on success; 2 for bad arguments; 4 when a result is not
 * what it must be (short write, clock going back); 100 + errno when a call
 * fails.
 */
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

static const uint8_t message[16] = "0123456789abcde\n";
static uint8_t random_buf[256];

/* Keeps the folded random bytes observable, so nothing is optimised out. */
volatile uint8_t random_sink;

static int parse_count(const char *s, uint64_t *out) {
    uint64_t n = 0;
    if (*s == '\0') return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *out = n;
    return 1;
}

static int bench_write(uint64_t count) {
    __wasi_ciovec_t iov = {.buf = message, .buf_len = sizeof message};
    for (uint64_t i = 0; i < count; i++) {
        __wasi_size_t written;
        __wasi_errno_t e = __wasi_fd_write(1, &iov, 1, &written);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (written != sizeof message) return 4;
    }
    return 0;
}

static int bench_clock(uint64_t count) {
    __wasi_timestamp_t prev = 0;
    for (uint64_t i = 0; i < count; i++) {
        __wasi_timestamp_t now;
        __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (now < prev) return 4;
        prev = now;
    }
    return 0;
}

static int bench_random(uint64_t count) {
    uint8_t fold = 0;
    for (uint64_t i = 0; i < count; i++) {
        __wasi_errno_t e = __wasi_random_get(random_buf, sizeof random_buf);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        fold ^= random_buf[i & (sizeof random_buf - 1)];
    }
    random_sink = fold;
    return 0;
}

int main(int argc, char **argv) {
    uint64_t count;
    if (argc != 3 || !parse_count(argv[2], &count)) return 2;
    const char *op = argv[1];
    if (strcmp(op, "write") == 0) return bench_write(count);
    if (strcmp(op, "clock") == 0) return bench_clock(count);
    if (strcmp(op, "random") == 0) return bench_random(count);
    return 2;
}
