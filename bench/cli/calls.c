/*
 * The per-call guest of bench/cli/run.py: makes N WASI calls of one kind
 * straight through the raw preview1 imports and prints the mean time per
 * call, measured in the guest with clock_time_get(monotonic) around the
 * loop (setup, such as opening the file, is outside the timed loop).
 *
 *   calls.wasm MODE N
 *
 *   seek   fd_seek(fd, 0, CUR) on a regular file the guest opened: /data/f
 *   poll   poll_oneoff with one relative monotonic-clock subscription,
 *          timeout 0 (returns at once with one event)
 *   open   path_open("f") in the /data preopen + fd_close
 *   clock  clock_time_get(monotonic)
 *   write  fd_write of 16 bytes to "null" opened in the /dev preopen
 *
 * The preopens are found by name (/data and /dev), so the order of the
 * --dir options does not matter. Prints "ns_per_call=X.XX" and exits 0,
 * or prints what failed and exits 1 (2 for a usage error).
 * native.c does the same operations with POSIX calls.
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

/* The preopen named name (fd 3 upwards), or -1. */
static int preopen(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t st;
        if (__wasi_fd_prestat_get(fd, &st) != 0)
            return -1;
        char buf[256];
        size_t len = st.u.dir.pr_name_len;
        if (len >= sizeof buf || __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0)
            continue;
        buf[len] = 0;
        if (strcmp(buf, name) == 0)
            return (int)fd;
    }
    return -1;
}

static int fail(const char *what, __wasi_errno_t e) {
    printf("%s: errno %d\n", what, e);
    return 1;
}

static int open_in(const char *dir, const char *path, __wasi_rights_t rights, __wasi_fd_t *fd) {
    int pre = preopen(dir);
    if (pre < 0) {
        printf("no preopen %s\n", dir);
        return 1;
    }
    __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)pre, 0, path, 0, rights, 0, 0, fd);
    return e ? fail("path_open", e) : 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: calls.wasm seek|poll|open|clock|write N\n");
        return 2;
    }
    const char *mode = argv[1];
    long n = strtol(argv[2], NULL, 10);
    if (n <= 0) {
        fprintf(stderr, "N must be above 0\n");
        return 2;
    }
    uint64_t start, end;
    if (strcmp(mode, "seek") == 0) {
        __wasi_fd_t fd;
        if (open_in("/data", "f", __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, &fd))
            return 1;
        volatile __wasi_filesize_t sink = 0;
        start = now();
        for (long i = 0; i < n; i++) {
            __wasi_filesize_t pos;
            __wasi_errno_t e = __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos);
            if (e != 0)
                return fail("fd_seek", e);
            sink = pos;
        }
        end = now();
        (void)sink;
    } else if (strcmp(mode, "poll") == 0) {
        __wasi_subscription_t sub;
        memset(&sub, 0, sizeof sub);
        sub.userdata = 42;
        sub.u.tag = __WASI_EVENTTYPE_CLOCK;
        sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        sub.u.u.clock.timeout = 0;
        sub.u.u.clock.precision = 1;
        sub.u.u.clock.flags = 0; /* relative */
        start = now();
        for (long i = 0; i < n; i++) {
            __wasi_event_t ev;
            __wasi_size_t nevents = 0;
            __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &nevents);
            if (e != 0)
                return fail("poll_oneoff", e);
            if (nevents != 1 || ev.userdata != 42 || ev.error != 0) {
                printf("poll_oneoff: %u events, userdata %llu, error %d\n", (unsigned)nevents,
                       (unsigned long long)ev.userdata, ev.error);
                return 1;
            }
        }
        end = now();
    } else if (strcmp(mode, "open") == 0) {
        int pre = preopen("/data");
        if (pre < 0) {
            printf("no preopen /data\n");
            return 1;
        }
        start = now();
        for (long i = 0; i < n; i++) {
            __wasi_fd_t fd;
            __wasi_errno_t e =
                __wasi_path_open((__wasi_fd_t)pre, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
            if (e != 0)
                return fail("path_open", e);
            e = __wasi_fd_close(fd);
            if (e != 0)
                return fail("fd_close", e);
        }
        end = now();
    } else if (strcmp(mode, "clock") == 0) {
        volatile __wasi_timestamp_t sink = 0;
        start = now();
        for (long i = 0; i < n; i++) {
            __wasi_timestamp_t t;
            __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
            if (e != 0)
                return fail("clock_time_get", e);
            sink = t;
        }
        end = now();
        (void)sink;
    } else if (strcmp(mode, "write") == 0) {
        __wasi_fd_t fd;
        if (open_in("/dev", "null", __WASI_RIGHTS_FD_WRITE, &fd))
            return 1;
        static const uint8_t buf[16] = "0123456789abcde";
        __wasi_ciovec_t iov = {buf, sizeof buf};
        start = now();
        for (long i = 0; i < n; i++) {
            __wasi_size_t written;
            __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &written);
            if (e != 0)
                return fail("fd_write", e);
            if (written != sizeof buf) {
                printf("fd_write: wrote %u bytes\n", (unsigned)written);
                return 1;
            }
        }
        end = now();
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("ns_per_call=%.2f\n", (double)(end - start) / (double)n);
    return 0;
}
