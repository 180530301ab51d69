/*
 * The fd table on a host with only stdio. argv[1] selects the case:
 *   stat       write "hello file\n" to fd 1, then fdstat/filestat of 0..2
 *   flags      fd_fdstat_set_flags
 *   rights     fd_fdstat_set_rights and what a dropped right forbids
 *   close      fd_close
 *   renumber   fd_renumber
 *   sweep      every fd-taking call on fds that were never open
 *   streams    calls a stream cannot do, on fds 0, 1, 2
 *   wrongdir   fd_read on stdout/stderr, fd_write on stdin
 * Each result is one line "<what> errno=<n> ..." (on stderr where fd 1 is
 * the subject).
 */
#include "util.c"

static uint8_t buf[64];
static __wasi_iovec_t iov = {buf, sizeof buf};
static __wasi_ciovec_t ciov = {(const uint8_t *)"XX", 2};

static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t v = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &v, 1, &n);
}

static void stat_fds(void) {
    __wasi_errno_t e = write_str(1, "hello file\n");
    out_fd = 2;
    say("write errno=%u\n", e);
    for (__wasi_fd_t fd = 0; fd < 3; fd++) {
        __wasi_fdstat_t st;
        memset(&st, 0x55, sizeof st);
        e = __wasi_fd_fdstat_get(fd, &st);
        say("fd %u fdstat errno=%u filetype=%u flags=%u rights=%s", fd, e, st.fs_filetype,
            st.fs_flags, rights_names(st.fs_rights_base));
        say(" inheriting=%s\n", rights_names(st.fs_rights_inheriting));
        __wasi_filestat_t fs;
        memset(&fs, 0x55, sizeof fs);
        e = __wasi_fd_filestat_get(fd, &fs);
        say("fd %u filestat errno=%u filetype=%u size=%llu has_ino=%d has_mtim=%d\n", fd, e,
            fs.filetype, (unsigned long long)fs.size, fs.ino != 0, fs.mtim != 0);
    }
}

static void flags(void) {
    __wasi_fdstat_t st;
#define SHOW(fd)                                                                                   \
    do {                                                                                           \
        __wasi_errno_t e2 = __wasi_fd_fdstat_get(fd, &st);                                         \
        say("  fd %u errno=%u flags=%u\n", fd, e2, st.fs_flags);                                   \
    } while (0)
    say("append errno=%u\n", __wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_APPEND));
    SHOW(1);
    say("undefined_bit errno=%u\n", raw_fd_fdstat_set_flags(1, 0x20));
    SHOW(1);
    say("high_bit errno=%u\n", raw_fd_fdstat_set_flags(1, 0x10001));
    SHOW(1);
    say("clear errno=%u\n", __wasi_fd_fdstat_set_flags(1, 0));
    SHOW(1);
    say("stdin_nonblock errno=%u\n", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));
    SHOW(0);
    say("closed errno=%u\n", __wasi_fd_fdstat_set_flags(3, 0));
    say("closed_undefined_bit errno=%u\n", raw_fd_fdstat_set_flags(100, 0x20));
    say("write_after errno=%u\n", write_str(1, "still writes\n"));
}

static void rights(void) {
    out_fd = 2;
    __wasi_fdstat_t st;
    __wasi_size_t n;
    __wasi_errno_t e = write_str(1, "before\n");
    say("before errno=%u\n", e);
    e = __wasi_fd_fdstat_get(1, &st);
    __wasi_rights_t r = st.fs_rights_base;
    say("drop_write errno=%u\n", __wasi_fd_fdstat_set_rights(1, r & ~__WASI_RIGHTS_FD_WRITE, 0));
    say("write errno=%u\n", write_str(1, "after\n"));
    e = __wasi_fd_fdstat_get(1, &st);
    say("rights errno=%u %s\n", e, rights_names(st.fs_rights_base));
    say("add_back errno=%u\n", __wasi_fd_fdstat_set_rights(1, r, 0));
    say("add_inheriting errno=%u\n",
        __wasi_fd_fdstat_set_rights(1, r & ~__WASI_RIGHTS_FD_WRITE, __WASI_RIGHTS_FD_READ));
    say("same errno=%u\n", __wasi_fd_fdstat_set_rights(1, r & ~__WASI_RIGHTS_FD_WRITE, 0));
    say("drop_all errno=%u\n", __wasi_fd_fdstat_set_rights(1, 0, 0));
    e = __wasi_fd_fdstat_get(1, &st);
    say("rights errno=%u %s\n", e, rights_names(st.fs_rights_base));
    /* What the stream cannot do at all is reported before missing rights. */
    __wasi_filesize_t pos;
    say("seek errno=%u\n", __wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &pos));
    say("sync errno=%u\n", __wasi_fd_sync(1));
    __wasi_fd_t opened;
    say("path_open errno=%u\n", __wasi_path_open(1, 0, "a", 0, 0, 0, 0, &opened));
    say("sock_send errno=%u\n", __wasi_sock_send(1, &ciov, 1, 0, &n));
    __wasi_filestat_t fs;
    say("filestat errno=%u\n", __wasi_fd_filestat_get(1, &fs));
    say("set_flags errno=%u\n", __wasi_fd_fdstat_set_flags(1, 0));
    say("add_any errno=%u\n", __wasi_fd_fdstat_set_rights(1, __WASI_RIGHTS_FD_DATASYNC, 0));
    say("write errno=%u\n", write_str(1, "after\n"));
    /* stdin without fd_read. */
    e = __wasi_fd_fdstat_get(0, &st);
    say("stdin_drop_read errno=%u\n",
        __wasi_fd_fdstat_set_rights(0, st.fs_rights_base & ~__WASI_RIGHTS_FD_READ, 0));
    say("read errno=%u\n", __wasi_fd_read(0, &iov, 1, &n));
    /* Adding a right to stderr fails and leaves it working. */
    e = __wasi_fd_fdstat_get(2, &st);
    say("stderr_add_read errno=%u\n",
        __wasi_fd_fdstat_set_rights(2, st.fs_rights_base | __WASI_RIGHTS_FD_READ, 0));
    say("closed errno=%u\n", __wasi_fd_fdstat_set_rights(100, 0, 0));
}

static void close_fds(void) {
    out_fd = 2;
    __wasi_size_t n;
    __wasi_fdstat_t st;
    __wasi_filestat_t fs;
    say("before errno=%u\n", write_str(1, "before\n"));
    say("close1 errno=%u\n", __wasi_fd_close(1));
    say("write1 errno=%u\n", write_str(1, "after\n"));
    say("close1_again errno=%u\n", __wasi_fd_close(1));
    say("fdstat1 errno=%u\n", __wasi_fd_fdstat_get(1, &st));
    say("filestat1 errno=%u\n", __wasi_fd_filestat_get(1, &fs));
    say("set_flags1 errno=%u\n", __wasi_fd_fdstat_set_flags(1, 0));
    say("close0 errno=%u\n", __wasi_fd_close(0));
    say("read0 errno=%u\n", __wasi_fd_read(0, &iov, 1, &n));
    say("close0_again errno=%u\n", __wasi_fd_close(0));
    say("close3 errno=%u\n", __wasi_fd_close(3));
}

static void renumber(void) {
    __wasi_fdstat_t st;
    say("stderr errno=%u\n", write_str(2, "stderr before\n"));
    (void)__wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_APPEND);
    __wasi_errno_t e = __wasi_fd_renumber(1, 2);
    out_fd = 2; /* now the old stdout */
    say("renumber_1_2 errno=%u\n", e);
    e = __wasi_fd_fdstat_get(2, &st);
    say("fdstat2 errno=%u flags=%u rights=%s\n", e, st.fs_flags, rights_names(st.fs_rights_base));
    say("write1 errno=%u\n", write_str(1, "lost\n"));
    say("fdstat1 errno=%u\n", __wasi_fd_fdstat_get(1, &st));
    say("same_fd errno=%u\n", __wasi_fd_renumber(2, 2));
    say("closed_source errno=%u\n", __wasi_fd_renumber(1, 2));
    say("closed_target errno=%u\n", __wasi_fd_renumber(2, 1));
    say("target_100 errno=%u\n", __wasi_fd_renumber(2, 100));
    say("source_100 errno=%u\n", __wasi_fd_renumber(100, 2));
    say("source_max errno=%u\n", __wasi_fd_renumber(0xFFFFFFFF, 2));
    say("target_max errno=%u\n", __wasi_fd_renumber(2, 0xFFFFFFFF));
    /* Move the old stdout on to fd 0, closing stdin. */
    e = __wasi_fd_renumber(2, 0);
    out_fd = 0;
    say("renumber_2_0 errno=%u\n", e);
    say("fdstat2 errno=%u\n", __wasi_fd_fdstat_get(2, &st));
    e = __wasi_fd_fdstat_get(0, &st);
    say("fdstat0 errno=%u flags=%u rights=%s\n", e, st.fs_flags, rights_names(st.fs_rights_base));
}

/* Every call that takes an fd, on `fd`, with every other argument valid.
 * `other` is an open fd for the second fd of two-fd calls. */
static void every_call(__wasi_fd_t fd, __wasi_fd_t other) {
    __wasi_size_t n;
    __wasi_fdstat_t st;
    __wasi_filestat_t fs;
    __wasi_prestat_t ps;
    __wasi_filesize_t pos;
    __wasi_fd_t got;
    __wasi_roflags_t ro;
#define C(name, call) say("fd=%u %s errno=%u\n", fd, name, (call))
    C("fd_advise", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL));
    C("fd_allocate", __wasi_fd_allocate(fd, 0, 1));
    C("fd_datasync", __wasi_fd_datasync(fd));
    C("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &st));
    C("fd_fdstat_set_flags", __wasi_fd_fdstat_set_flags(fd, 0));
    C("fd_fdstat_set_rights", __wasi_fd_fdstat_set_rights(fd, 0, 0));
    C("fd_filestat_get", __wasi_fd_filestat_get(fd, &fs));
    C("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 0));
    C("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
    C("fd_pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    C("fd_prestat_get", __wasi_fd_prestat_get(fd, &ps));
    C("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(fd, buf, sizeof buf));
    C("fd_pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    C("fd_read", __wasi_fd_read(fd, &iov, 1, &n));
    C("fd_readdir", __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n));
    C("fd_renumber_from", __wasi_fd_renumber(fd, other));
    C("fd_renumber_to", __wasi_fd_renumber(other, fd));
    C("fd_seek", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
    C("fd_sync", __wasi_fd_sync(fd));
    C("fd_tell", __wasi_fd_tell(fd, &pos));
    C("fd_write", __wasi_fd_write(fd, &ciov, 1, &n));
    C("path_create_directory", __wasi_path_create_directory(fd, "d"));
    C("path_filestat_get", __wasi_path_filestat_get(fd, 0, "a", &fs));
    C("path_filestat_set_times", __wasi_path_filestat_set_times(fd, 0, "a", 0, 0, 0));
    C("path_link_old", __wasi_path_link(fd, 0, "a", other, "b"));
    C("path_link_new", __wasi_path_link(other, 0, "a", fd, "b"));
    C("path_open", __wasi_path_open(fd, 0, "a", 0, 0, 0, 0, &got));
    C("path_readlink", __wasi_path_readlink(fd, "a", buf, sizeof buf, &n));
    C("path_remove_directory", __wasi_path_remove_directory(fd, "d"));
    C("path_rename_old", __wasi_path_rename(fd, "a", other, "b"));
    C("path_rename_new", __wasi_path_rename(other, "a", fd, "b"));
    C("path_symlink", __wasi_path_symlink("a", fd, "b"));
    C("path_unlink_file", __wasi_path_unlink_file(fd, "a"));
    C("sock_accept", raw_sock_accept(fd, 0, (int32_t)(uintptr_t)&got));
    C("sock_recv", __wasi_sock_recv(fd, &iov, 1, 0, &n, &ro));
    C("sock_send", __wasi_sock_send(fd, &ciov, 1, 0, &n));
    C("sock_shutdown", __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
    C("fd_close", __wasi_fd_close(fd));
}

static void sweep(void) {
    static const __wasi_fd_t bad[] = {3, 4, 100, 1024, 0x7FFFFFFF, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        every_call(bad[i], 1);
}

/* Calls a stream cannot do, on a stream. */
static void stream_calls(__wasi_fd_t fd) {
    __wasi_size_t n;
    __wasi_filestat_t fs;
    __wasi_prestat_t ps;
    __wasi_filesize_t pos;
    __wasi_fd_t got;
    __wasi_roflags_t ro;
    C("fd_advise", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL));
    C("fd_allocate", __wasi_fd_allocate(fd, 0, 1));
    C("fd_seek", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
    C("fd_seek_end", __wasi_fd_seek(fd, -1, __WASI_WHENCE_END, &pos));
    C("fd_tell", __wasi_fd_tell(fd, &pos));
    C("fd_pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    C("fd_pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    C("fd_datasync", __wasi_fd_datasync(fd));
    C("fd_sync", __wasi_fd_sync(fd));
    C("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 0));
    C("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
    C("fd_filestat_get", __wasi_fd_filestat_get(fd, &fs));
    C("fd_prestat_get", __wasi_fd_prestat_get(fd, &ps));
    C("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(fd, buf, sizeof buf));
    C("fd_readdir", __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n));
    C("path_create_directory", __wasi_path_create_directory(fd, "d"));
    C("path_filestat_get", __wasi_path_filestat_get(fd, 0, "a", &fs));
    C("path_filestat_set_times", __wasi_path_filestat_set_times(fd, 0, "a", 0, 0, 0));
    C("path_link", __wasi_path_link(fd, 0, "a", fd, "b"));
    C("path_open", __wasi_path_open(fd, 0, "a", 0, 0, 0, 0, &got));
    C("path_readlink", __wasi_path_readlink(fd, "a", buf, sizeof buf, &n));
    C("path_remove_directory", __wasi_path_remove_directory(fd, "d"));
    C("path_rename", __wasi_path_rename(fd, "a", fd, "b"));
    C("path_symlink", __wasi_path_symlink("a", fd, "b"));
    C("path_unlink_file", __wasi_path_unlink_file(fd, "a"));
    C("sock_accept", raw_sock_accept(fd, 0, (int32_t)(uintptr_t)&got));
    C("sock_recv", __wasi_sock_recv(fd, &iov, 1, 0, &n, &ro));
    C("sock_send", __wasi_sock_send(fd, &ciov, 1, 0, &n));
    C("sock_shutdown", __wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR));
}

static void streams(void) {
    for (__wasi_fd_t fd = 0; fd < 3; fd++)
        stream_calls(fd);
}

static void wrongdir(void) {
    __wasi_size_t n;
    __wasi_fd_t fd = 1;
    C("fd_read", __wasi_fd_read(1, &iov, 1, &n));
    fd = 2;
    C("fd_read", __wasi_fd_read(2, &iov, 1, &n));
    fd = 0;
    C("fd_write", __wasi_fd_write(0, &ciov, 1, &n));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "stat"))
        stat_fds();
    else if (streq(mode, "flags"))
        flags();
    else if (streq(mode, "rights"))
        rights();
    else if (streq(mode, "close"))
        close_fds();
    else if (streq(mode, "renumber"))
        renumber();
    else if (streq(mode, "sweep"))
        sweep();
    else if (streq(mode, "streams"))
        streams();
    else if (streq(mode, "wrongdir"))
        wrongdir();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
