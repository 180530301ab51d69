/*
 * Standard streams. argv[1] selects the case; reports go to stderr unless
 * said otherwise.
 *   iovecs            gathered writes, zero-length iovecs, bad iovecs
 *   writes            three writes: "one", {"two","three"}, "four"
 *   chunks N...       one write per N, of N copies of 'A', 'B', ...
 *   echo N            copy stdin to stdout with raw reads of N bytes
 *   readv             scattered reads from stdin (expects "abcdefghij")
 *   copy              copy stdin to stdout with read(2)/write(2)
 *   filter            upper-case stdin lines to stdout with stdio
 *   libc              printf / fputs / fprintf(stderr) / puts
 *   nonblock          two raw reads of stdin with fdflags::nonblock set
 */
#include <ctype.h>
#include <unistd.h>

#include "util.c"

static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    return __wasi_fd_write(fd, &iov, 1, n);
}

static void iovecs(void) {
    out_fd = 2;
    __wasi_ciovec_t iov[5] = {
        {(const uint8_t *)"ab", 2}, {(const uint8_t *)"", 0}, {(const uint8_t *)"cde", 3},
        {(const uint8_t *)"", 0},   {(const uint8_t *)"f\n", 2},
    };
    __wasi_size_t n = 12345;
    __wasi_errno_t e = __wasi_fd_write(1, iov, 5, &n);
    say("write5 errno=%u n=%u\n", e, (unsigned)n);
    n = 12345;
    e = __wasi_fd_write(1, iov, 0, &n);
    say("write0 errno=%u n=%u\n", e, (unsigned)n);
    n = 12345;
    e = __wasi_fd_write(1, iov + 1, 1, &n);
    say("write_empty errno=%u n=%u\n", e, (unsigned)n);

    /* More iovecs than fit on the host's stack. */
    static __wasi_ciovec_t many[41];
    for (int i = 0; i < 40; i++)
        many[i] = (__wasi_ciovec_t){(const uint8_t *)"xyz" + (i % 3), 1};
    many[40] = (__wasi_ciovec_t){(const uint8_t *)"\n", 1};
    n = 12345;
    e = __wasi_fd_write(1, many, 41, &n);
    say("write41 errno=%u n=%u\n", e, (unsigned)n);

    /* A bad buffer anywhere in the list: nothing written at all. */
    __wasi_ciovec_t bad[3] = {
        {(const uint8_t *)"BAD", 3}, {(const uint8_t *)BAD_PTR, 4}, {(const uint8_t *)"BAD", 3}};
    n = 12345;
    e = __wasi_fd_write(1, bad, 3, &n);
    say("write_bad_buf errno=%u n=%u\n", e, (unsigned)n);
    bad[1] = (__wasi_ciovec_t){(const uint8_t *)(uintptr_t)(mem_end() - 2), 4};
    e = __wasi_fd_write(1, bad, 3, &n);
    say("write_buf_cross_end errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD_PTR, 1, &n);
    say("write_bad_iovs errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_fd_write(1, iov, 1, (__wasi_size_t *)BAD_PTR);
    say("write_bad_nwritten errno=%u\n", e);
    e = __wasi_fd_write(1, iov, 0x10000000, &n);
    say("write_huge_iovs_len errno=%u n=%u\n", e, (unsigned)n);
    /* IOV_MAX (1024) iovecs of the same 4 MiB + 1: over 4 GiB in all, more
     * than the u32 result can say. (The host takes at most 1024.) */
    enum { BIG = (4 << 20) + 1 };
    __wasi_ciovec_t *big = malloc(1024 * sizeof *big);
    uint8_t *page = malloc(BIG);
    memset(page, 'Q', BIG);
    for (int i = 0; i < 1024; i++)
        big[i] = (__wasi_ciovec_t){page, BIG};
    e = __wasi_fd_write(1, big, 1024, &n);
    say("write_total_4g errno=%u n=%u\n", e, (unsigned)n);
    free(big);
    free(page);

    /* stderr takes gathered writes too. */
    __wasi_ciovec_t err[2] = {{(const uint8_t *)"err", 3}, {(const uint8_t *)"!\n", 2}};
    n = 12345;
    e = __wasi_fd_write(2, err, 2, &n);
    say("stderr errno=%u n=%u\n", e, (unsigned)n);
}

static void writes(void) {
    out_fd = 2;
    __wasi_size_t n = 999;
    __wasi_errno_t e = write_str(1, "one", &n);
    say("w1 errno=%u n=%u\n", e, (unsigned)n);
    __wasi_ciovec_t two[3] = {
        {(const uint8_t *)"two", 3}, {(const uint8_t *)"", 0}, {(const uint8_t *)"three", 5}};
    n = 999;
    e = __wasi_fd_write(1, two, 3, &n);
    say("w2 errno=%u n=%u\n", e, (unsigned)n);
    n = 999;
    e = write_str(1, "four", &n);
    say("w3 errno=%u n=%u\n", e, (unsigned)n);
}

static void chunks(int argc, char **argv) {
    out_fd = 2;
    static uint8_t buf[1 << 16];
    for (int i = 2; i < argc; i++) {
        size_t len = strtoul(argv[i], NULL, 10);
        memset(buf, 'A' + (i - 2), len);
        __wasi_ciovec_t iov = {buf, len};
        __wasi_size_t n = 999;
        __wasi_errno_t e = __wasi_fd_write(1, &iov, 1, &n);
        say("chunk %d errno=%u n=%u\n", i - 2, e, (unsigned)n);
    }
}

static void echo(size_t chunk) {
    out_fd = 2;
    static uint8_t buf[1 << 16];
    for (;;) {
        __wasi_iovec_t iov = {buf, chunk};
        __wasi_size_t n = 999;
        __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
        if (e != 0) {
            say("read errno=%u\n", e);
            return;
        }
        say("read %u\n", (unsigned)n);
        if (n == 0)
            break;
        __wasi_ciovec_t out = {buf, n};
        __wasi_size_t w;
        e = __wasi_fd_write(1, &out, 1, &w);
        if (e != 0 || w != n) {
            say("write errno=%u n=%u\n", e, (unsigned)w);
            return;
        }
    }
    /* End of file stays end of file. */
    __wasi_iovec_t iov = {buf, chunk};
    __wasi_size_t n = 999;
    __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
    say("again errno=%u n=%u\n", e, (unsigned)n);
}

static void readv(void) {
    uint8_t a[3], b[4], c[10];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    __wasi_size_t n = 999;
    /* A bad buffer: fault, and no input consumed. */
    __wasi_iovec_t bad[2] = {{a, 3}, {(uint8_t *)BAD_PTR, 4}};
    __wasi_errno_t e = __wasi_fd_read(0, bad, 2, &n);
    say("bad_buf errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_fd_read(0, (const __wasi_iovec_t *)BAD_PTR, 1, &n);
    say("bad_iovs errno=%u n=%u\n", e, (unsigned)n);
    __wasi_iovec_t ok1[1] = {{a, 3}};
    e = __wasi_fd_read(0, ok1, 1, (__wasi_size_t *)BAD_PTR);
    say("bad_nread errno=%u\n", e);
    /* Scattered: 3, 0, 4 bytes. */
    __wasi_iovec_t iov[3] = {{a, 3}, {c, 0}, {b, 4}};
    e = __wasi_fd_read(0, iov, 3, &n);
    say("readv errno=%u n=%u\n", e, (unsigned)n);
    say_hex("a", a, 3);
    say_hex("b", b, 4);
    __wasi_iovec_t rest = {c, 10};
    e = __wasi_fd_read(0, &rest, 1, &n);
    say("rest errno=%u n=%u\n", e, (unsigned)n);
    say_hex("c", c, n);
    e = __wasi_fd_read(0, &rest, 1, &n);
    say("eof errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_fd_read(0, iov, 0, &n);
    say("no_iovs errno=%u n=%u\n", e, (unsigned)n);
    /* Over 4 GiB of buffers in all (IOV_MAX times the same 4 MiB + 1). */
    enum { BIG = (4 << 20) + 1 };
    __wasi_iovec_t *big = malloc(1024 * sizeof *big);
    uint8_t *page = malloc(BIG);
    for (int i = 0; i < 1024; i++)
        big[i] = (__wasi_iovec_t){page, BIG};
    n = 999;
    e = __wasi_fd_read(0, big, 1024, &n);
    say("read_total_4g errno=%u n=%u\n", e, (unsigned)n);
}

static void copy(void) {
    static char buf[1 << 16];
    size_t total = 0;
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0) {
            perror("read");
            exit(1);
        }
        if (r == 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(1, buf + off, r - off);
            if (w <= 0) {
                perror("write");
                exit(1);
            }
            off += w;
        }
        total += r;
    }
    out_fd = 2;
    say("copied %zu\n", total);
}

static void filter(void) {
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        for (char *p = line; *p; p++)
            *p = toupper((unsigned char)*p);
        fputs(line, stdout);
    }
    if (ferror(stdin)) {
        perror("stdin");
        exit(1);
    }
}

static void libc(void) {
    printf("printf %d %s\n", 42, "x");
    fputs("fputs\n", stdout);
    fprintf(stderr, "to stderr %d\n", 7);
    puts("puts");
    fflush(stdout);
    int w = (int)write(1, "write\n", 6);
    printf("write returned %d\n", w);
}

static void nonblock(void) {
    say("set errno=%u\n", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));
    for (int i = 0; i < 2; i++) {
        uint8_t b[16];
        __wasi_iovec_t iov = {b, sizeof b};
        __wasi_size_t n = 999;
        __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
        say("read errno=%u n=%u\n", e, (unsigned)n);
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "iovecs"))
        iovecs();
    else if (streq(mode, "writes"))
        writes();
    else if (streq(mode, "chunks"))
        chunks(argc, argv);
    else if (streq(mode, "echo") && argc > 2)
        echo(strtoul(argv[2], NULL, 10));
    else if (streq(mode, "readv"))
        readv();
    else if (streq(mode, "copy"))
        copy();
    else if (streq(mode, "filter"))
        filter();
    else if (streq(mode, "libc"))
        libc();
    else if (streq(mode, "nonblock"))
        nonblock();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
