/*
 * The native column of bench/cli/run.py's per-call rows: the operations of
 * calls.c with their POSIX equivalents (gcc -O2), timed the same way
 * (CLOCK_MONOTONIC around the loop, setup outside it).
 *
 *   calls-native MODE N DATA
 *
 *   seek   lseek(fd, 0, SEEK_CUR) on DATA/f, opened once
 *   poll   poll(NULL, 0, 0): a syscall that returns at once (the WASI row's
 *          host may answer a zero clock timeout without a syscall)
 *   open   openat(dirfd(DATA), "f", O_RDONLY) + close
 *   clock  clock_gettime(CLOCK_MONOTONIC) (the vDSO, no syscall)
 *   write  write(fd, 16 bytes) to /dev/null
 *
 * Prints "ns_per_call=X.XX" and exits 0, or prints what failed and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what) {
    printf("%s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: calls-native seek|poll|open|clock|write N DATA\n");
        return 2;
    }
    const char *mode = argv[1];
    long n = strtol(argv[2], NULL, 10);
    if (n <= 0) {
        fprintf(stderr, "N must be above 0\n");
        return 2;
    }
    int dir = open(argv[3], O_RDONLY | O_DIRECTORY);
    if (dir < 0)
        return fail(argv[3]);
    uint64_t start, end;
    if (strcmp(mode, "seek") == 0) {
        int fd = openat(dir, "f", O_RDONLY);
        if (fd < 0)
            return fail("openat");
        volatile off_t sink = 0;
        start = now();
        for (long i = 0; i < n; i++) {
            off_t pos = lseek(fd, 0, SEEK_CUR);
            if (pos < 0)
                return fail("lseek");
            sink = pos;
        }
        end = now();
        (void)sink;
    } else if (strcmp(mode, "poll") == 0) {
        start = now();
        for (long i = 0; i < n; i++) {
            if (poll(NULL, 0, 0) < 0)
                return fail("poll");
        }
        end = now();
    } else if (strcmp(mode, "open") == 0) {
        start = now();
        for (long i = 0; i < n; i++) {
            int fd = openat(dir, "f", O_RDONLY);
            if (fd < 0)
                return fail("openat");
            if (close(fd) != 0)
                return fail("close");
        }
        end = now();
    } else if (strcmp(mode, "clock") == 0) {
        volatile uint64_t sink = 0;
        start = now();
        for (long i = 0; i < n; i++) {
            struct timespec ts;
            if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
                return fail("clock_gettime");
            sink = (uint64_t)ts.tv_nsec;
        }
        end = now();
        (void)sink;
    } else if (strcmp(mode, "write") == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0)
            return fail("/dev/null");
        static const char buf[16] = "0123456789abcde";
        start = now();
        for (long i = 0; i < n; i++) {
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                return fail("write");
        }
        end = now();
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("ns_per_call=%.2f\n", (double)(end - start) / (double)n);
    return 0;
}
