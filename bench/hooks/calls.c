/*
 * The guest of the call-handler benchmark (bench/hooks/run.py): makes N
 * WASI calls of one kind straight through the raw preview1 imports and
 * prints the mean time per call, measured with the monotonic clock.
 *
 *   calls.wasm clock N   N clock_time_get(monotonic)
 *   calls.wasm open N    N path_open("f") + fd_close in the first preopen
 *                        (fd 3), which must hold a file named f
 *
 * Prints "ns_per_call=X.XX" and exits 0, or prints the errno and exits 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static uint64_t now(void) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0)
        return 0;
    return t;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: calls.wasm clock|open N\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    if (n <= 0) {
        fprintf(stderr, "N must be above 0\n");
        return 2;
    }
    uint64_t start = now();
    if (strcmp(argv[1], "clock") == 0) {
        volatile __wasi_timestamp_t sink = 0;
        for (long i = 0; i < n; i++) {
            __wasi_timestamp_t t;
            __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
            if (e != 0) {
                printf("clock_time_get: errno %d\n", e);
                return 1;
            }
            sink = t;
        }
        (void)sink;
    } else if (strcmp(argv[1], "open") == 0) {
        for (long i = 0; i < n; i++) {
            __wasi_fd_t fd;
            __wasi_errno_t e = __wasi_path_open(3, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
            if (e != 0) {
                printf("path_open: errno %d\n", e);
                return 1;
            }
            if (__wasi_fd_close(fd) != 0) {
                printf("fd_close: failed\n");
                return 1;
            }
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    uint64_t end = now();
    printf("ns_per_call=%.2f\n", (double)(end - start) / (double)n);
    return 0;
}
