/*
 * Benchmark guest for wasihost-bench: calls one WASI function in a tight
 * loop, through the raw preview1 imports (no libc buffering).
 *
 *   bench.wasm OP COUNT
 *
 * OP is one of
 *   write    fd_write of 16 bytes to fd 1 (stdout), COUNT times
 *   clock    clock_time_get(monotonic), COUNT times
 *   random   random_get of 256 bytes, COUNT times
 *
 * and, on the directory preopened as fd 3 (which the host fills, see
 * wasi_calls.rs: `small.txt` of SMALL_SIZE bytes, `big.bin` whose every
 * 8-byte word holds its own offset, `dir1000/` with LIST_ENTRIES entries):
 *   open     path_open of small.txt for reading + fd_close, COUNT times
 *   stat     path_filestat_get of small.txt, COUNT times
 *   readdir  COUNT listings of dir1000: path_open (oflags directory),
 *            fd_readdir with a 4 KiB buffer from cookie 0 until a call
 *            returns less than the buffer, counting the entries, fd_close
 *   fread    open big.bin, read its first COUNT bytes in 64 KiB fd_read
 *            calls, checking the offset stamped in each chunk; when COUNT
 *            is not 0 one more fd_read must report the end of the file
 *   fwrite   create (or truncate) out.bin, write COUNT bytes in 64 KiB
 *            fd_write calls, each chunk stamped with its offset in its
 *            first and last word (the host checks them), close
 *
 * COUNT 0 runs the same startup and argument parsing with no call (for
 * fread and fwrite: the open and close, no data), which the host subtracts
 * as the fixed cost of a run.
 *
 * Exit status: 0 on success; 2 for bad arguments; 4 when a result is not
 * what it must be (short write, clock going back, wrong size, type, data
 * or entry count); 100 + errno when a call fails.
 */
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

/* Shared with wasi_calls.rs. */
#define PREOPEN_FD 3
#define SMALL_FILE "small.txt"
#define SMALL_SIZE 100
#define BIG_FILE "big.bin"
#define OUT_FILE "out.bin"
#define LIST_DIR "dir1000"
#define LIST_ENTRIES 1000 /* plus "." and ".." */
#define CHUNK 65536
#define READDIR_BUF 4096

static const uint8_t message[16] = "0123456789abcde\n";
static uint8_t random_buf[256];
static uint64_t chunk_buf[CHUNK / 8];
static uint8_t readdir_buf[READDIR_BUF] __attribute__((aligned(8)));

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

static int bench_open(uint64_t count) {
    for (uint64_t i = 0; i < count; i++) {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(PREOPEN_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                            SMALL_FILE, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (fd <= PREOPEN_FD) return 4;
        e = __wasi_fd_close(fd);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    }
    return 0;
}

static int bench_stat(uint64_t count) {
    for (uint64_t i = 0; i < count; i++) {
        __wasi_filestat_t st;
        __wasi_errno_t e = __wasi_path_filestat_get(
            PREOPEN_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, SMALL_FILE, &st);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (st.size != SMALL_SIZE || st.filetype != __WASI_FILETYPE_REGULAR_FILE) return 4;
    }
    return 0;
}

/* One listing of LIST_DIR; 0 when it has every entry, "." and "..". */
static int list_once(void) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(PREOPEN_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, LIST_DIR,
                                        __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0,
                                        &fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    __wasi_dircookie_t cookie = 0;
    uint64_t entries = 0, dots = 0;
    for (;;) {
        __wasi_size_t used;
        e = __wasi_fd_readdir(fd, readdir_buf, READDIR_BUF, cookie, &used);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (used > READDIR_BUF) return 4;
        /* Whole entries only: the last one may be cut when the buffer is
           full, and is read again from its cookie. */
        size_t off = 0;
        uint64_t whole = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, readdir_buf + off, sizeof d);
            if (d.d_namlen > used - off - sizeof d) break;
            const uint8_t *name = readdir_buf + off + sizeof d;
            if ((d.d_namlen == 1 && name[0] == '.') ||
                (d.d_namlen == 2 && name[0] == '.' && name[1] == '.'))
                dots++;
            cookie = d.d_next;
            whole++;
            off += sizeof d + d.d_namlen;
        }
        entries += whole;
        if (used < READDIR_BUF) break;
        /* A full buffer without one whole entry would loop for ever. */
        if (whole == 0) return 4;
    }
    e = __wasi_fd_close(fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    return entries == LIST_ENTRIES + 2 && dots == 2 ? 0 : 4;
}

static int bench_readdir(uint64_t count) {
    for (uint64_t i = 0; i < count; i++) {
        int r = list_once();
        if (r != 0) return r;
    }
    return 0;
}

static int bench_fread(uint64_t bytes) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(PREOPEN_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, BIG_FILE,
                                        0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t want = bytes - done < CHUNK ? bytes - done : CHUNK;
        __wasi_iovec_t iov = {.buf = (uint8_t *)chunk_buf, .buf_len = (__wasi_size_t)want};
        __wasi_size_t got;
        e = __wasi_fd_read(fd, &iov, 1, &got);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        /* A regular file gives all that was asked up to its end. */
        if (got != want || got % 8 != 0) return 4;
        if (chunk_buf[0] != done || chunk_buf[got / 8 - 1] != done + got - 8) return 4;
        done += got;
    }
    if (bytes > 0) {
        __wasi_iovec_t iov = {.buf = (uint8_t *)chunk_buf, .buf_len = CHUNK};
        __wasi_size_t got;
        e = __wasi_fd_read(fd, &iov, 1, &got);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (got != 0) return 4;
    }
    e = __wasi_fd_close(fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    return 0;
}

static int bench_fwrite(uint64_t bytes) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(
        PREOPEN_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, OUT_FILE,
        __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t len = bytes - done < CHUNK ? bytes - done : CHUNK;
        if (len % 8 != 0) return 2;
        chunk_buf[0] = done;
        chunk_buf[len / 8 - 1] = done + len - 8;
        __wasi_ciovec_t iov = {.buf = (const uint8_t *)chunk_buf, .buf_len = (__wasi_size_t)len};
        __wasi_size_t written;
        e = __wasi_fd_write(fd, &iov, 1, &written);
        if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
        if (written != len) return 4;
        done += len;
    }
    e = __wasi_fd_close(fd);
    if (e != __WASI_ERRNO_SUCCESS) return 100 + e;
    return 0;
}

int main(int argc, char **argv) {
    uint64_t count;
    if (argc != 3 || !parse_count(argv[2], &count)) return 2;
    const char *op = argv[1];
    if (strcmp(op, "write") == 0) return bench_write(count);
    if (strcmp(op, "clock") == 0) return bench_clock(count);
    if (strcmp(op, "random") == 0) return bench_random(count);
    if (strcmp(op, "open") == 0) return bench_open(count);
    if (strcmp(op, "stat") == 0) return bench_stat(count);
    if (strcmp(op, "readdir") == 0) return bench_readdir(count);
    if (strcmp(op, "fread") == 0) return bench_fread(count);
    if (strcmp(op, "fwrite") == 0) return bench_fwrite(count);
    return 2;
}
