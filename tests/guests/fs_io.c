/*
 * File data calls through a read-write preopen at fd 3 ("/sandbox"). The
 * host tree (built by tests/guest_fs.rs): data.txt "0123456789", d/.
 * argv[1]:
 *   io     fd_read/fd_write/fd_pread/fd_pwrite/fd_seek/fd_tell on a file
 *   dir    the same on directory fds (isdir), and missing rights
 *   libc   stdio and unistd over the same calls
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define SB 3

static void say_pread(const char *label, __wasi_fd_t fd, size_t len, uint64_t off) {
    uint8_t buf[64];
    __wasi_iovec_t iov = {buf, len};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_pread(fd, &iov, 1, off, &n);
    say("%s errno=%u n=%u \"%s\"\n", label, e, (unsigned)n, esc(buf, e ? 0 : n));
}

static void say_pwrite(const char *label, __wasi_fd_t fd, const char *s, uint64_t off) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_pwrite(fd, &iov, 1, off, &n);
    say("%s errno=%u n=%u\n", label, e, (unsigned)n);
}

static void io(void) {
    uint8_t a[4], b[8];
    __wasi_size_t n;
    __wasi_errno_t e;
    __wasi_fd_t fd = open_say("open", SB, 0, "data.txt", 0, RW_RIGHTS, 0, 0);

    {
        __wasi_iovec_t iov = {a, 4};
        e = __wasi_fd_read(fd, &iov, 1, &n);
        say("read4 errno=%u n=%u \"%s\"\n", e, (unsigned)n, esc(a, n));
    }
    say_tell("tell", fd);
    say_seek("seek_cur+2", fd, 2, __WASI_WHENCE_CUR);
    say_read("read_rest", fd);
    say_read("read_at_eof", fd);
    say_seek("seek_end0", fd, 0, __WASI_WHENCE_END);
    say_seek("seek_end-3", fd, -3, __WASI_WHENCE_END);
    say_seek("seek_cur-8", fd, -8, __WASI_WHENCE_CUR);
    say_tell("tell_after_failed_seek", fd);
    say_seek("seek_set-1", fd, -1, __WASI_WHENCE_SET);
    say_seek("seek_end-11", fd, -11, __WASI_WHENCE_END);
    say_seek("seek_end_min", fd, INT64_MIN, __WASI_WHENCE_END);
    say_tell("tell_after_failed_seeks", fd);
    say_seek("seek_whence3", fd, 0, 3);
    say_seek("seek_whence256", fd, 0, 256);
    say_seek("seek_set100", fd, 100, __WASI_WHENCE_SET);
    say_read("read_past_eof", fd);
    say_tell("tell_past_eof", fd);
    say_fd_filestat("size_unchanged", fd);

    say_seek("seek_set2", fd, 2, __WASI_WHENCE_SET);
    say_pread("pread_1_3", fd, 3, 1);
    say_pread("pread_8_10", fd, 10, 8);
    say_pread("pread_20", fd, 10, 20);
    say_pread("pread_huge_offset", fd, 10, UINT64_MAX - 4);
    {
        __wasi_iovec_t iov[2] = {{a, 3}, {b, 3}};
        e = __wasi_fd_pread(fd, iov, 2, 0, &n);
        say("pread_two_iovecs errno=%u n=%u \"%s\" \"%s\"\n", e, (unsigned)n, esc(a, 3),
            esc(b, 3));
    }
    say_tell("tell_after_preads", fd);

    say_pwrite("pwrite_14", fd, "AB", 14);
    say_tell("tell_after_pwrite", fd);
    say_fd_filestat("size_after_pwrite", fd);
    {
        __wasi_ciovec_t iov[2] = {{(const uint8_t *)"cd", 2}, {(const uint8_t *)"ef", 2}};
        e = __wasi_fd_pwrite(fd, iov, 2, 4, &n);
        say("pwrite_two_iovecs errno=%u n=%u\n", e, (unsigned)n);
    }
    say_tell("tell_after_pwrite", fd);

    say_write("write_at_2", fd, "xy");
    say_tell("tell_after_write", fd);
    {
        __wasi_ciovec_t iov[3] = {
            {(const uint8_t *)"P", 1}, {(const uint8_t *)"", 0}, {(const uint8_t *)"Q", 1}};
        e = __wasi_fd_write(fd, iov, 3, &n);
        say("writev errno=%u n=%u\n", e, (unsigned)n);
    }
    say_tell("tell_after_writev", fd);
    {
        memset(a, '#', sizeof a);
        memset(b, '#', sizeof b);
        __wasi_iovec_t iov[3] = {{a, 2}, {b, 0}, {b, 3}};
        e = __wasi_fd_read(fd, iov, 3, &n);
        say("readv errno=%u n=%u \"%s\" \"%s\"\n", e, (unsigned)n, esc(a, 2), esc(b, 3));
    }
    {
        __wasi_ciovec_t iov = {(const uint8_t *)"", 0};
        e = __wasi_fd_write(fd, &iov, 1, &n);
        say("write_empty errno=%u n=%u\n", e, (unsigned)n);
        e = __wasi_fd_write(fd, &iov, 0, &n);
        say("write_no_iovecs errno=%u n=%u\n", e, (unsigned)n);
        __wasi_iovec_t r = {a, 0};
        e = __wasi_fd_read(fd, &r, 1, &n);
        say("read_empty errno=%u n=%u\n", e, (unsigned)n);
    }
    say_tell("tell_end", fd);
    say_pread("final", fd, 64, 0);
    say_fd_filestat("final", fd);
    close_fd(fd);

    /* A second fd on the same file has its own offset. */
    __wasi_fd_t f1 = open_say("open_twice", SB, 0, "data.txt", 0, RO_RIGHTS, 0, 0);
    __wasi_fd_t f2 = open_say("open_twice", SB, 0, "data.txt", 0, RO_RIGHTS, 0, 0);
    {
        __wasi_iovec_t iov = {a, 2};
        (void)__wasi_fd_read(f1, &iov, 1, &n);
    }
    say_tell("f1", f1);
    say_tell("f2", f2);
    close_fd(f1);
    close_fd(f2);
}

static void on_fd(const char *what, __wasi_fd_t fd) {
    char label[64];
    uint8_t buf[4];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_filesize_t pos;
#define ON(name, call)                                                                             \
    do {                                                                                           \
        snprintf(label, sizeof label, "%s %s", what, name);                                        \
        say_e(label, call);                                                                        \
    } while (0)
    ON("read", __wasi_fd_read(fd, &iov, 1, &n));
    ON("write", __wasi_fd_write(fd, &ciov, 1, &n));
    ON("pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    ON("pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    ON("seek", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    ON("seek_cur0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
    ON("tell", __wasi_fd_tell(fd, &pos));
    ON("advise", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL));
    ON("allocate", __wasi_fd_allocate(fd, 0, 1));
    ON("set_size", __wasi_fd_filestat_set_size(fd, 0));
#undef ON
}

static void dir(void) {
    __wasi_fd_t d = open_say("open_dir", SB, 0, "d", __WASI_OFLAGS_DIRECTORY,
                             ALL_RIGHTS & ~RT(FD_WRITE), ALL_RIGHTS, 0);
    on_fd("dir", d);
    close_fd(d);
    on_fd("preopen", SB);

    /* Rights: pread needs fd_read and fd_seek, pwrite fd_write and fd_seek. */
    __wasi_fd_t f = open_say("read_only", SB, 0, "data.txt", 0, RT(FD_READ), 0, 0);
    on_fd("read_only", f);
    close_fd(f);
    f = open_say("write_only", SB, 0, "data.txt", 0, RT(FD_WRITE) | RT(FD_SEEK), 0, 0);
    on_fd("write_only", f);
    close_fd(f);
    on_fd("closed", 42);
}

static void libc(void) {
    char line[32];
    FILE *f = fopen("/sandbox/stdio.txt", "w+");
    for (int i = 1; i <= 3; i++)
        fprintf(f, "line %d\n", i);
    say("fflush=%d ftell=%ld\n", fflush(f), ftell(f));
    say("fseek=%d\n", fseek(f, 0, SEEK_SET));
    while (fgets(line, sizeof line, f))
        say("fgets \"%s\" ftell=%ld\n", esc(line, strlen(line)), ftell(f));
    say("feof=%d\n", feof(f) != 0);
    say("fseek_end=%d\n", fseek(f, -7, SEEK_END));
    size_t got = fread(line, 1, sizeof line, f);
    say("fread n=%zu \"%s\"\n", got, esc(line, got));
    say("fclose=%d\n", fclose(f));

    int fd = open("/sandbox/data.txt", O_RDWR);
    char b[8];
    ssize_t n = pread(fd, b, 4, 3);
    say("pread n=%zd \"%s\"\n", n, esc(b, n > 0 ? (size_t)n : 0));
    say("lseek_cur=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    say("pwrite n=%zd\n", pwrite(fd, "Z", 1, 12));
    errno = 0;
    off_t r = lseek(fd, -1, SEEK_SET);
    say("lseek_negative=%lld errno=%d\n", (long long)r, errno);
    say("lseek_end=%lld\n", (long long)lseek(fd, 0, SEEK_END));
    say("read_at_eof=%zd\n", read(fd, b, sizeof b));
    close(fd);

    fd = open("/sandbox/d", O_RDONLY);
    errno = 0;
    n = read(fd, b, sizeof b);
    say("read_dir=%zd errno=%d\n", n, errno);
    close(fd);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "io"))
        io();
    else if (streq(mode, "dir"))
        dir();
    else if (streq(mode, "libc"))
        libc();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
