/*
 * Helpers shared by the filesystem guests (fs_*.c); each does
 *   #include "util.c"
 *   #include "fs_util.c"
 * Not a program of its own (no main).
 *
 * Conventions: one result per line, "<label> errno=<n> ...", printed with
 * say() (raw fd_write, no stdio buffering). Paths are relative to a
 * directory fd, as the raw calls take them.
 */
#include <wasi/api.h>

#define RT(x) __WASI_RIGHTS_##x
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define NOFOLLOW 0

/* Rights a file opened for reading and writing asks for. */
#define RW_RIGHTS                                                                                  \
    (RT(FD_READ) | RT(FD_WRITE) | RT(FD_SEEK) | RT(FD_TELL) | RT(FD_FILESTAT_GET) |                \
     RT(FD_FILESTAT_SET_SIZE) | RT(FD_FILESTAT_SET_TIMES) | RT(FD_ADVISE) | RT(FD_ALLOCATE) |      \
     RT(FD_SYNC) | RT(FD_DATASYNC) | RT(FD_FDSTAT_SET_FLAGS))
/* Rights a file opened for reading only asks for. */
#define RO_RIGHTS (RT(FD_READ) | RT(FD_SEEK) | RT(FD_TELL) | RT(FD_FILESTAT_GET))
/* Every right the header names. */
#define ALL_RIGHTS ((__wasi_rights_t)0x3fffffff)

/* An fd no call succeeded for. */
#define NO_FD ((__wasi_fd_t)0xffffffffu)

/* Imports with explicit path lengths, for paths strlen cannot describe
 * (empty, embedded NUL, out of memory). Same wasm signatures as libc's. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
              int64_t base, int64_t inheriting, int32_t fdflags, int32_t out_fd);
__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("path_create_directory"))) int32_t
raw_path_create_directory(int32_t fd, int32_t path, int32_t path_len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_filestat_get"))) int32_t
raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t path_len, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_unlink_file"))) int32_t
raw_path_unlink_file(int32_t fd, int32_t path, int32_t path_len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_readlink"))) int32_t
raw_path_readlink(int32_t fd, int32_t path, int32_t path_len, int32_t buf, int32_t buf_len,
                  int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_seek"))) int32_t
raw_fd_seek(int32_t fd, int64_t offset, int32_t whence, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_advise"))) int32_t
raw_fd_advise(int32_t fd, int64_t offset, int64_t len, int32_t advice);

#define PTR(p) ((int32_t)(uintptr_t)(p))

/* path_open with the result fd, NO_FD on failure; prints nothing. */
UTIL __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path,
                            __wasi_oflags_t of, __wasi_rights_t base, __wasi_rights_t inh,
                            __wasi_fdflags_t ff, __wasi_fd_t *fd) {
    *fd = NO_FD;
    __wasi_errno_t e = __wasi_path_open(dir, lf, path, of, base, inh, ff, fd);
    if (e != 0)
        *fd = NO_FD;
    return e;
}

/* Opens `path` read-write (creating it if `of` says so) and prints
 * "<label> errno=<e>"; gives the fd or NO_FD. */
UTIL __wasi_fd_t open_say(const char *label, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                          const char *path, __wasi_oflags_t of, __wasi_rights_t base,
                          __wasi_rights_t inh, __wasi_fdflags_t ff) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(dir, lf, path, of, base, inh, ff, &fd);
    say("%s errno=%u\n", label, e);
    return fd;
}

/* `n` bytes at `p` with non-printable bytes as \xNN, in a rotating set of
 * static buffers (up to 4 results usable in one say()). */
UTIL const char *esc(const void *p, size_t n) {
    static char bufs[4][1100];
    static int next;
    char *out = bufs[next++ & 3];
    const uint8_t *b = p;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof bufs[0]; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' && b[i] != '"') {
            out[o++] = (char)b[i];
        } else {
            o += (size_t)snprintf(out + o, sizeof bufs[0] - o, "\\x%02x", b[i]);
        }
    }
    out[o] = 0;
    return out;
}

/* Prints "<label> filetype=<t> flags=<f>" from fd_fdstat_get. */
UTIL void say_fdstat(const char *label, __wasi_fd_t fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
    say("%s fdstat errno=%u filetype=%u flags=%u\n", label, e, st.fs_filetype, st.fs_flags);
}

/* Prints "<label> base=<rights>" and "<label> inheriting=<rights>". */
UTIL void say_rights(const char *label, __wasi_fd_t fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
    say("%s rights errno=%u base=%s\n", label, e, rights_names(st.fs_rights_base));
    say("%s rights inheriting=%s\n", label, rights_names(st.fs_rights_inheriting));
}

/* Reads up to 200 bytes with fd_read; prints "<label> errno=<e> n=<n> "<bytes>"". */
UTIL void say_read(const char *label, __wasi_fd_t fd) {
    uint8_t buf[200];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
    say("%s errno=%u n=%u \"%s\"\n", label, e, (unsigned)n, esc(buf, e ? 0 : n));
}

/* One fd_write of the string `s`; prints "<label> errno=<e> n=<n>". */
UTIL void say_write(const char *label, __wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &n);
    say("%s errno=%u n=%u\n", label, e, (unsigned)n);
}

/* fd_write of `s`, no output. */
UTIL __wasi_errno_t write_s(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n = 0;
    return __wasi_fd_write(fd, &iov, 1, &n);
}

/* fd_seek; prints "<label> errno=<e> pos=<p>". */
UTIL void say_seek(const char *label, __wasi_fd_t fd, int64_t off, int whence) {
    __wasi_filesize_t pos = 12345;
    __wasi_errno_t e = (__wasi_errno_t)raw_fd_seek((int32_t)fd, off, whence, PTR(&pos));
    say("%s errno=%u pos=%llu\n", label, e, e ? 0ull : (unsigned long long)pos);
}

/* fd_tell; prints "<label> errno=<e> pos=<p>". */
UTIL void say_tell(const char *label, __wasi_fd_t fd) {
    __wasi_filesize_t pos = 12345;
    __wasi_errno_t e = __wasi_fd_tell(fd, &pos);
    say("%s errno=%u pos=%llu\n", label, e, e ? 0ull : (unsigned long long)pos);
}

/* Prints "<label> errno=<e> type=<t> size=<s> nlink=<n>" from a filestat. */
UTIL void say_filestat(const char *label, __wasi_errno_t e, const __wasi_filestat_t *st) {
    if (e)
        say("%s errno=%u\n", label, e);
    else
        say("%s errno=0 type=%u size=%llu nlink=%llu\n", label, st->filetype,
            (unsigned long long)st->size, (unsigned long long)st->nlink);
}

UTIL void say_fd_filestat(const char *label, __wasi_fd_t fd) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    say_filestat(label, __wasi_fd_filestat_get(fd, &st), &st);
}

UTIL void say_path_filestat(const char *label, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                            const char *path) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    say_filestat(label, __wasi_path_filestat_get(dir, lf, path, &st), &st);
}

/* Prints "<label> errno=<e>" for a call that returns only an errno. */
UTIL void say_e(const char *label, __wasi_errno_t e) { say("%s errno=%u\n", label, e); }

/* Closes `fd` unless it is NO_FD; a failure is printed. */
UTIL void close_fd(__wasi_fd_t fd) {
    if (fd == NO_FD)
        return;
    __wasi_errno_t e = __wasi_fd_close(fd);
    if (e)
        say("close %u errno=%u\n", fd, e);
}
