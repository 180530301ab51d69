/*
 * Helpers shared by the guest programs; each guest does `#include "util.c"`.
 * Not a program of its own (no main).
 *
 * Results are printed with say(), which formats into a stack buffer and
 * writes it with one raw fd_write to `out_fd` (1 unless a test moves it):
 * no stdio buffering, no malloc, so it is safe around proc_exit, after
 * closing fds, and next to a page the test pokes at.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t out_fd = 1;

#define UTIL static __attribute__((unused))

__attribute__((format(printf, 1, 2))) UTIL void say(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof buf - 1)
        n = sizeof buf - 1;
    __wasi_ciovec_t iov = {(const uint8_t *)buf, (size_t)n};
    __wasi_size_t done;
    (void)__wasi_fd_write(out_fd, &iov, 1, &done);
}

/* Writes `len` bytes as lowercase hex, then a newline. */
UTIL void say_hex(const char *label, const uint8_t *p, size_t len) {
    static const char digits[] = "0123456789abcdef";
    char buf[512];
    size_t n = 0;
    size_t l = strlen(label);
    memcpy(buf, label, l);
    n = l;
    buf[n++] = ' ';
    for (size_t i = 0; i < len; i++) {
        if (n + 3 > sizeof buf) {
            __wasi_ciovec_t iov = {(const uint8_t *)buf, n};
            __wasi_size_t done;
            (void)__wasi_fd_write(out_fd, &iov, 1, &done);
            n = 0;
        }
        buf[n++] = digits[p[i] >> 4];
        buf[n++] = digits[p[i] & 15];
    }
    buf[n++] = '\n';
    __wasi_ciovec_t iov = {(const uint8_t *)buf, n};
    __wasi_size_t done;
    (void)__wasi_fd_write(out_fd, &iov, 1, &done);
}

/* The current size of linear memory in bytes. */
UTIL uint32_t mem_end(void) {
    return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

/*
 * A fresh 64 KiB page at the very top of memory, which malloc does not know
 * about (wasi-libc's sbrk only ever grows memory, it keeps no break of its
 * own). As long as nothing mallocs meanwhile, its end is the end of memory.
 */
UTIL uint8_t *top_page(void) {
    size_t old = __builtin_wasm_memory_grow(0, 1);
    if (old == (size_t)-1) {
        say("memory.grow failed\n");
        abort();
    }
    return (uint8_t *)(old * 65536);
}

/* 1 if all `len` bytes at `p` equal `v`. */
UTIL int all_eq(const uint8_t *p, size_t len, uint8_t v) {
    for (size_t i = 0; i < len; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* A top_page() filled with 0xAA, for calls that must fail without writing. */
UTIL uint8_t *poisoned_top_page(void) {
    uint8_t *page = top_page();
    memset(page, 0xAA, 65536);
    return page;
}

/* Prints "<name> errno=<e> untouched=<d>": the errno of a call, and whether
 * the 64 KiB at `page` (from poisoned_top_page()) are still all 0xAA after it.
 * Pass the call itself as `e`: it runs before the page is checked. */
UTIL void say_untouched(const char *name, __wasi_errno_t e, const uint8_t *page) {
    say("%s errno=%u untouched=%d\n", name, e, all_eq(page, 65536, 0xAA));
}

UTIL int streq(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* A pointer no memory can contain. */
#define BAD_PTR ((void *)0xFFFFFFF0u)

/* Raw imports the header lacks or declares with narrower types. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("sock_accept")))
int32_t raw_sock_accept(int32_t fd, int32_t flags, int32_t out_fd);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_fdstat_set_flags")))
int32_t raw_fd_fdstat_set_flags(int32_t fd, int32_t flags);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get")))
int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_res_get")))
int32_t raw_clock_res_get(int32_t id, int32_t out);

UTIL uint64_t now_ns(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    __wasi_errno_t e = __wasi_clock_time_get(id, 1, &t);
    if (e != 0) {
        say("clock_time_get(%u) failed: %u\n", (unsigned)id, (unsigned)e);
        abort();
    }
    return t;
}

/* The names of the rights in `r`, joined with '|', from the header's bits;
 * "none" for no rights. */
UTIL const char *rights_names(__wasi_rights_t r) {
    static char buf[1024];
    static const struct {
        __wasi_rights_t bit;
        const char *name;
    } table[] = {
#define R(n) {__WASI_RIGHTS_##n, #n}
        R(FD_DATASYNC), R(FD_READ), R(FD_SEEK), R(FD_FDSTAT_SET_FLAGS), R(FD_SYNC),
        R(FD_TELL), R(FD_WRITE), R(FD_ADVISE), R(FD_ALLOCATE), R(PATH_CREATE_DIRECTORY),
        R(PATH_CREATE_FILE), R(PATH_LINK_SOURCE), R(PATH_LINK_TARGET), R(PATH_OPEN),
        R(FD_READDIR), R(PATH_READLINK), R(PATH_RENAME_SOURCE), R(PATH_RENAME_TARGET),
        R(PATH_FILESTAT_GET), R(PATH_FILESTAT_SET_SIZE), R(PATH_FILESTAT_SET_TIMES),
        R(FD_FILESTAT_GET), R(FD_FILESTAT_SET_SIZE), R(FD_FILESTAT_SET_TIMES),
        R(PATH_SYMLINK), R(PATH_REMOVE_DIRECTORY), R(PATH_UNLINK_FILE),
        R(POLL_FD_READWRITE), R(SOCK_SHUTDOWN), R(SOCK_ACCEPT),
#undef R
    };
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (r & table[i].bit) {
            n += snprintf(buf + n, sizeof buf - n, "%s%s", n ? "|" : "", table[i].name);
            r &= ~table[i].bit;
        }
    }
    if (r)
        n += snprintf(buf + n, sizeof buf - n, "%sunknown:%llx", n ? "|" : "",
                      (unsigned long long)r);
    if (n == 0)
        snprintf(buf, sizeof buf, "none");
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p += 'a' - 'A';
    return buf;
}
