/*
 * path_open through a read-write preopen at fd 3 ("/sandbox"). The host
 * tree (built by tests/guest_fs.rs):
 *   hello.txt "hello", app.txt "hello", trunc.txt "0123456789",
 *   trunc2.txt "abcdef", app2.txt "12", sub/inner.txt "inner",
 *   link -> hello.txt, dirlink -> sub, out -> .., dangling -> nowhere,
 *   loop1 -> loop2, loop2 -> loop1
 * argv[1]:
 *   oflags    creat, excl, trunc, directory; noent, notdir, symlinks
 *   fdflags   append, dsync/sync/rsync, nonblock
 *   rights    narrowing on open, inheriting through a subdirectory,
 *             missing path_open / path_create_file on the directory
 *   hostile   empty/NUL/escaping/too long paths, bad pointers, bad fds
 *   lookupflags  undefined lookupflags bits
 *   libc      the same through wasi-libc's open/fopen
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define SB 3
#define CREAT __WASI_OFLAGS_CREAT
#define DIRECTORY __WASI_OFLAGS_DIRECTORY
#define EXCL __WASI_OFLAGS_EXCL
#define TRUNC __WASI_OFLAGS_TRUNC
#define DIR_ASK (ALL_RIGHTS & ~RT(FD_WRITE))

static void oflags(void) {
    __wasi_fd_t fd;

    fd = open_say("creat_new", SB, 0, "new.txt", CREAT, RW_RIGHTS, 0, 0);
    say_fdstat("creat_new", fd);
    say_write("creat_new write", fd, "abc");
    close_fd(fd);

    fd = open_say("creat_existing", SB, 0, "hello.txt", CREAT, RO_RIGHTS, 0, 0);
    say_read("creat_existing read", fd);
    close_fd(fd);

    fd = open_say("excl_existing", SB, 0, "hello.txt", CREAT | EXCL, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("excl_dir", SB, 0, "sub", CREAT | EXCL, RW_RIGHTS, 0, 0);
    close_fd(fd);
    /* O_EXCL never follows a symlink, even a dangling one. */
    fd = open_say("excl_dangling", SB, FOLLOW, "dangling", CREAT | EXCL, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("excl_new", SB, 0, "excl.txt", CREAT | EXCL, RW_RIGHTS, 0, 0);
    say_fd_filestat("excl_new", fd);
    close_fd(fd);

    fd = open_say("trunc", SB, 0, "trunc.txt", TRUNC, RW_RIGHTS, 0, 0);
    say_fd_filestat("trunc", fd);
    say_write("trunc write", fd, "xy");
    close_fd(fd);

    fd = open_say("creat_on_dir", SB, 0, "sub", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);

    fd = open_say("directory", SB, 0, "sub", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_fdstat("directory", fd);
    close_fd(fd);
    fd = open_say("directory_slash", SB, 0, "sub/", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_fdstat("directory_slash", fd);
    close_fd(fd);
    fd = open_say("directory_dot", SB, 0, ".", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_fdstat("directory_dot", fd);
    close_fd(fd);

    /* Without the directory flag a directory still opens, as a directory. */
    fd = open_say("dir_without_flag", SB, 0, "sub", 0,
                  RO_RIGHTS | RT(FD_READDIR) | RT(PATH_OPEN), RO_RIGHTS, 0);
    say_fdstat("dir_without_flag", fd);
    say_rights("dir_without_flag", fd);
    say_read("dir_without_flag read", fd);
    {
        __wasi_fd_t in = open_say("dir_without_flag inner", fd, 0, "inner.txt", 0, RO_RIGHTS, 0, 0);
        say_read("dir_without_flag inner read", in);
        close_fd(in);
    }
    close_fd(fd);
    /* ... but not for writing. */
    fd = open_say("dir_for_write", SB, 0, "sub", 0, RW_RIGHTS, 0, 0);
    close_fd(fd);

    fd = open_say("directory_on_file", SB, 0, "hello.txt", DIRECTORY, DIR_ASK, 0, 0);
    close_fd(fd);
    fd = open_say("file_slash", SB, 0, "hello.txt/", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("directory_creat", SB, 0, "newdir", DIRECTORY | CREAT, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    fd = open_say("directory_trunc", SB, 0, "sub", DIRECTORY | TRUNC, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    fd = open_say("directory_write", SB, 0, "sub", DIRECTORY, RT(PATH_OPEN) | RT(FD_WRITE), 0, 0);
    close_fd(fd);
    fd = open_say("directory_append", SB, 0, "sub", DIRECTORY, RT(PATH_OPEN), 0,
                  __WASI_FDFLAGS_APPEND);
    close_fd(fd);

    fd = open_say("noent", SB, 0, "missing", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("noent_sub", SB, 0, "sub/missing", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("noent_parent_creat", SB, 0, "nodir/x", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("notdir_parent", SB, 0, "hello.txt/x", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);

    fd = open_say("symlink_nofollow", SB, NOFOLLOW, "link", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("symlink_follow", SB, FOLLOW, "link", 0, RO_RIGHTS, 0, 0);
    say_fdstat("symlink_follow", fd);
    say_read("symlink_follow read", fd);
    close_fd(fd);
    fd = open_say("dirlink_nofollow", SB, NOFOLLOW, "dirlink", DIRECTORY, DIR_ASK, 0, 0);
    close_fd(fd);
    fd = open_say("dirlink_follow", SB, FOLLOW, "dirlink", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_fdstat("dirlink_follow", fd);
    {
        __wasi_fd_t in = open_say("dirlink_follow inner", fd, 0, "inner.txt", 0, RO_RIGHTS, 0, 0);
        say_read("dirlink_follow inner read", in);
        close_fd(in);
    }
    close_fd(fd);
    /* Intermediate symlinks are followed either way. */
    fd = open_say("through_dirlink", SB, NOFOLLOW, "dirlink/inner.txt", 0, RO_RIGHTS, 0, 0);
    say_read("through_dirlink read", fd);
    close_fd(fd);
    fd = open_say("dangling_follow", SB, FOLLOW, "dangling", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("loop_follow", SB, FOLLOW, "loop1", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);

    fd = NO_FD;
    say_e("undefined_oflag",
          (__wasi_errno_t)raw_path_open(SB, 0, PTR("hello.txt"), 9, 0x10, (int64_t)RO_RIGHTS, 0, 0,
                                        PTR(&fd)));
    say_e("undefined_fdflag",
          (__wasi_errno_t)raw_path_open(SB, 0, PTR("hello.txt"), 9, 0, (int64_t)RO_RIGHTS, 0,
                                        0x20, PTR(&fd)));
    say("unchanged_out=%d\n", fd == NO_FD);
}

static void fdflags(void) {
    __wasi_fd_t fd;
    uint8_t buf[64];

    fd = open_say("append", SB, 0, "app.txt", 0, RW_RIGHTS, 0, __WASI_FDFLAGS_APPEND);
    say_fdstat("append", fd);
    say_write("append write", fd, "abc");
    say_tell("append tell", fd);
    say_seek("append seek", fd, 0, __WASI_WHENCE_SET);
    say_write("append write_after_seek", fd, "XY");
    say_tell("append tell", fd);
    {
        __wasi_iovec_t iov = {buf, sizeof buf};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_pread(fd, &iov, 1, 0, &n);
        say("append pread errno=%u \"%s\"\n", e, esc(buf, n));
    }
    say_e("append clear", __wasi_fd_fdstat_set_flags(fd, 0));
    say_fdstat("append cleared", fd);
    say_seek("append seek", fd, 0, __WASI_WHENCE_SET);
    say_write("append overwrite", fd, "Z");
    say_e("append set", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    say_fdstat("append set", fd);
    say_seek("append seek", fd, 1, __WASI_WHENCE_SET);
    say_write("append write_again", fd, "!");
    close_fd(fd);

    static const struct {
        const char *name;
        const char *path;
        __wasi_fdflags_t flags;
    } syncs[] = {
        {"dsync", "dsync.txt", __WASI_FDFLAGS_DSYNC},
        {"sync", "sync.txt", __WASI_FDFLAGS_SYNC},
        {"rsync", "rsync.txt", __WASI_FDFLAGS_RSYNC},
        {"all_sync", "allsync.txt",
         __WASI_FDFLAGS_DSYNC | __WASI_FDFLAGS_SYNC | __WASI_FDFLAGS_RSYNC},
    };
    for (size_t i = 0; i < sizeof syncs / sizeof syncs[0]; i++) {
        char label[64];
        fd = open_say(syncs[i].name, SB, 0, syncs[i].path, CREAT, RW_RIGHTS, 0, syncs[i].flags);
        say_fdstat(syncs[i].name, fd);
        snprintf(label, sizeof label, "%s write", syncs[i].name);
        say_write(label, fd, syncs[i].name);
        snprintf(label, sizeof label, "%s same_flags", syncs[i].name);
        say_e(label, __wasi_fd_fdstat_set_flags(fd, syncs[i].flags));
        snprintf(label, sizeof label, "%s clear", syncs[i].name);
        say_e(label, __wasi_fd_fdstat_set_flags(fd, 0));
        say_fdstat(syncs[i].name, fd);
        close_fd(fd);
    }
    fd = open_say("add_sync", SB, 0, "dsync.txt", 0, RW_RIGHTS, 0, 0);
    say_e("add_sync set", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
    say_fdstat("add_sync", fd);
    close_fd(fd);

    fd = open_say("nonblock", SB, 0, "hello.txt", 0, RO_RIGHTS | RT(FD_FDSTAT_SET_FLAGS), 0,
                  __WASI_FDFLAGS_NONBLOCK);
    say_fdstat("nonblock", fd);
    say_read("nonblock read", fd);
    say_read("nonblock read_eof", fd);
    say_e("nonblock clear", __wasi_fd_fdstat_set_flags(fd, 0));
    say_fdstat("nonblock", fd);
    close_fd(fd);
}

static void rights(void) {
    __wasi_fd_t fd, d;
    __wasi_fdstat_t st;
    uint8_t b[8];
    __wasi_iovec_t iov = {b, sizeof b};
    __wasi_size_t n;

    say_rights("preopen", SB);

    fd = open_say("read_only", SB, 0, "hello.txt", 0, RT(FD_READ), 0, 0);
    say_rights("read_only", fd);
    say_read("read_only read", fd);
    say_write("read_only write", fd, "x");
    say_seek("read_only seek_set", fd, 0, __WASI_WHENCE_SET);
    say_seek("read_only seek_cur0", fd, 0, __WASI_WHENCE_CUR);
    say_tell("read_only tell", fd);
    say_e("read_only pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    say_fd_filestat("read_only filestat", fd);
    say_e("read_only set_flags", __wasi_fd_fdstat_set_flags(fd, 0));
    say_e("read_only add_write",
          __wasi_fd_fdstat_set_rights(fd, RT(FD_READ) | RT(FD_WRITE), 0));
    close_fd(fd);

    /* seek with offset 0 from cur needs only fd_tell. */
    fd = open_say("tell_only", SB, 0, "hello.txt", 0, RT(FD_READ) | RT(FD_TELL), 0, 0);
    say_read("tell_only read", fd);
    say_seek("tell_only seek_cur0", fd, 0, __WASI_WHENCE_CUR);
    say_seek("tell_only seek_cur1", fd, 1, __WASI_WHENCE_CUR);
    say_tell("tell_only tell", fd);
    close_fd(fd);

    /* Everything asked: a file gets the file rights, no more. */
    fd = open_say("file_all", SB, 0, "hello.txt", 0, ALL_RIGHTS, ALL_RIGHTS, 0);
    say_rights("file_all", fd);
    close_fd(fd);
    fd = open_say("dir_all", SB, 0, "sub", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_rights("dir_all", fd);
    close_fd(fd);

    /* A subdirectory that may pass on only fd_read|fd_seek. */
    d = open_say("sub_narrow", SB, 0, "sub", DIRECTORY,
                 RT(PATH_OPEN) | RT(FD_READDIR) | RT(PATH_FILESTAT_GET), RT(FD_READ) | RT(FD_SEEK),
                 0);
    say_rights("sub_narrow", d);
    fd = open_say("sub_narrow write", d, 0, "inner.txt", 0, RT(FD_READ) | RT(FD_WRITE), 0, 0);
    close_fd(fd);
    fd = open_say("sub_narrow append", d, 0, "inner.txt", 0, RT(FD_READ), 0, __WASI_FDFLAGS_APPEND);
    close_fd(fd);
    fd = open_say("sub_narrow creat", d, 0, "new.txt", CREAT, RT(FD_READ), 0, 0);
    close_fd(fd);
    fd = open_say("sub_narrow trunc", d, 0, "inner.txt", TRUNC, RT(FD_READ), 0, 0);
    close_fd(fd);
    fd = open_say("sub_narrow read", d, 0, "inner.txt", 0, RT(FD_READ) | RT(FD_SEEK) | RT(FD_TELL),
                  RT(FD_READ) | RT(FD_WRITE), 0);
    say_rights("sub_narrow read", fd);
    say_read("sub_narrow read read", fd);
    say_tell("sub_narrow read tell", fd);
    say_seek("sub_narrow read seek", fd, 1, __WASI_WHENCE_SET);
    say_read("sub_narrow read read", fd);
    close_fd(fd);
    fd = open_say("sub_narrow dot", d, 0, ".", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_rights("sub_narrow dot", fd);
    close_fd(fd);
    say_e("sub_narrow unlink", __wasi_path_unlink_file(d, "inner.txt"));
    close_fd(d);

    /* A directory fd that gave up path_open. */
    d = open_say("sub_full", SB, 0, "sub", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    (void)__wasi_fd_fdstat_get(d, &st);
    say_e("drop_path_open", __wasi_fd_fdstat_set_rights(d, st.fs_rights_base & ~RT(PATH_OPEN),
                                                        st.fs_rights_inheriting));
    fd = open_say("no_path_open open", d, 0, "inner.txt", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("no_path_open open_dir", d, 0, ".", DIRECTORY, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    say_e("no_path_open add_back",
          __wasi_fd_fdstat_set_rights(d, st.fs_rights_base, st.fs_rights_inheriting));
    close_fd(d);

    /* ... and one without path_create_file, then without
     * path_filestat_set_size, then without fd_write to pass on. */
    d = open_say("sub_full", SB, 0, "sub", DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
    say_e("drop_create_file",
          __wasi_fd_fdstat_set_rights(d, st.fs_rights_base & ~RT(PATH_CREATE_FILE),
                                      st.fs_rights_inheriting));
    fd = open_say("no_create creat_new", d, 0, "c.txt", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("no_create creat_existing", d, 0, "inner.txt", CREAT, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("no_create open_existing", d, 0, "inner.txt", 0, RW_RIGHTS, 0, 0);
    say_write("no_create write", fd, "I");
    close_fd(fd);
    say_e("drop_set_size", __wasi_fd_fdstat_set_rights(
                               d, st.fs_rights_base & ~RT(PATH_CREATE_FILE) &
                                      ~RT(PATH_FILESTAT_SET_SIZE),
                               st.fs_rights_inheriting));
    fd = open_say("no_set_size trunc", d, 0, "inner.txt", TRUNC, RW_RIGHTS, 0, 0);
    close_fd(fd);
    say_e("drop_inherited_write",
          __wasi_fd_fdstat_set_rights(
              d, st.fs_rights_base & ~RT(PATH_CREATE_FILE) & ~RT(PATH_FILESTAT_SET_SIZE),
              st.fs_rights_inheriting & ~RT(FD_WRITE)));
    say_rights("drop_inherited_write", d);
    fd = open_say("no_write write", d, 0, "inner.txt", 0, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("no_write read", d, 0, "inner.txt", 0, RO_RIGHTS, 0, 0);
    say_rights("no_write read", fd);
    say_read("no_write read read", fd);
    close_fd(fd);
    close_fd(d);

    /* The preopen itself, last: wasi-libc's open() then fails too. */
    (void)__wasi_fd_fdstat_get(SB, &st);
    say_e("preopen drop_path_open", __wasi_fd_fdstat_set_rights(SB, st.fs_rights_base & ~RT(PATH_OPEN),
                                                                st.fs_rights_inheriting));
    fd = open_say("preopen open", SB, 0, "hello.txt", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    errno = 0;
    int lfd = open("/sandbox/hello.txt", O_RDONLY);
    say("preopen libc_open ret=%d errno=%d\n", lfd, errno);
}

static void hostile(void) {
    __wasi_fd_t fd;
    static char longname[301];
    /* A page end: the out-pointer may sit right below it but not across. */
    static __wasi_fd_t out[2];

#define RAW_OPEN(label, dirfd, path, len, outp)                                                    \
    say_e(label, (__wasi_errno_t)raw_path_open(dirfd, 0, PTR(path), (int32_t)(len), 0,           \
                                               (int64_t)RO_RIGHTS, 0, 0, outp))
    out[0] = NO_FD;
    RAW_OPEN("empty", SB, "hello.txt", 0, PTR(&out[0]));
    RAW_OPEN("nul_inside", SB, "hello.txt\0x", 11, PTR(&out[0]));
    RAW_OPEN("nul_end", SB, "hello.txt", 10, PTR(&out[0]));
    RAW_OPEN("path_oob", SB, BAD_PTR, 4, PTR(&out[0]));
    RAW_OPEN("path_len_huge", SB, "hello.txt", 0x7fffffff, PTR(&out[0]));
    RAW_OPEN("out_oob", SB, "hello.txt", 9, (int32_t)(uintptr_t)BAD_PTR);
    RAW_OPEN("out_misaligned", SB, "hello.txt", 9, PTR(&out[0]) + 1);
    say("out_untouched=%d\n", out[0] == NO_FD);

    fd = open_say("dotdot", SB, 0, "../x", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("dotdot_creat", SB, 0, "../escaped.txt", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("sub_dotdot_dotdot", SB, 0, "sub/../../x", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("dotdot_dir", SB, 0, "..", DIRECTORY, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    fd = open_say("absolute", SB, 0, "/etc/passwd", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("root", SB, 0, "/", DIRECTORY, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    fd = open_say("symlink_out", SB, FOLLOW, "out/anything", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("symlink_out_dir", SB, FOLLOW, "out", DIRECTORY, RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    fd = open_say("symlink_out_creat", SB, FOLLOW, "out/escaped.txt", CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("symlink_out_nofollow", SB, NOFOLLOW, "out", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("inside_dotdot", SB, 0, "sub/../hello.txt", 0, RO_RIGHTS, 0, 0);
    say_read("inside_dotdot read", fd);
    close_fd(fd);
    fd = open_say("dot_slashes", SB, 0, "./sub//./inner.txt", 0, RO_RIGHTS, 0, 0);
    say_read("dot_slashes read", fd);
    close_fd(fd);

    memset(longname, 'a', 300);
    fd = open_say("name_too_long", SB, 0, longname, CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);

    fd = open_say("bad_fd", 99, 0, "hello.txt", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("stdout_fd", 1, 0, "hello.txt", 0, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("file", SB, 0, "hello.txt", 0, RO_RIGHTS, 0, 0);
    {
        __wasi_fd_t f2 = open_say("file_fd", fd, 0, "hello.txt", 0, RO_RIGHTS, 0, 0);
        close_fd(f2);
    }
    /* Nothing above left an fd behind: the next open takes fd 5. */
    {
        __wasi_fd_t f3;
        __wasi_errno_t e = open_at(SB, 0, "hello.txt", 0, RO_RIGHTS, 0, 0, &f3);
        say("next errno=%u fd=%u (file fd=%u)\n", e, f3, fd);
        close_fd(f3);
    }
    close_fd(fd);
}

/* Undefined lookupflags bits, on every call that takes lookupflags. */
static void lookupflags(void) {
    __wasi_fd_t fd = NO_FD;
    __wasi_filestat_t st;
    say_e("path_open",
          (__wasi_errno_t)raw_path_open(SB, 2, PTR("hello.txt"), 9, 0, (int64_t)RO_RIGHTS, 0, 0,
                                        PTR(&fd)));
    say("path_open no_fd=%d\n", fd == NO_FD);
    close_fd(fd);
    say_e("path_filestat_get", __wasi_path_filestat_get(SB, 0x100, "hello.txt", &st));
    say_e("path_filestat_set_times",
          __wasi_path_filestat_set_times(SB, 0x80000000u, "hello.txt", 0, 0,
                                         __WASI_FSTFLAGS_MTIM_NOW));
    say_e("path_link", __wasi_path_link(SB, 2, "hello.txt", SB, "hello_link"));
}

static void libc(void) {
    char line[64];
    FILE *f = fopen("/sandbox/libc.txt", "w");
    say("fopen_w ok=%d\n", f != NULL);
    fputs("via stdio\n", f);
    say("fclose=%d\n", fclose(f));
    f = fopen("/sandbox/libc.txt", "a");
    fputs("more\n", f);
    fclose(f);
    f = fopen("/sandbox/libc.txt", "r");
    while (fgets(line, sizeof line, f))
        say("fgets \"%s\"\n", esc(line, strlen(line)));
    fclose(f);

    int fd;
#define TRY_OPEN(label, path, flags)                                                               \
    do {                                                                                           \
        errno = 0;                                                                                 \
        fd = open(path, flags, 0644);                                                              \
        say("%s ok=%d errno=%d\n", label, fd >= 0, fd >= 0 ? 0 : errno);                          \
    } while (0)
    TRY_OPEN("excl_existing", "/sandbox/hello.txt", O_WRONLY | O_CREAT | O_EXCL);
    TRY_OPEN("directory_on_file", "/sandbox/hello.txt", O_RDONLY | O_DIRECTORY);
    TRY_OPEN("missing", "/sandbox/missing", O_RDONLY);
    TRY_OPEN("nofollow", "/sandbox/link", O_RDONLY | O_NOFOLLOW);
    TRY_OPEN("escape", "/sandbox/../etc/passwd", O_RDONLY);
    TRY_OPEN("follow", "/sandbox/link", O_RDONLY);
    if (fd >= 0) {
        char b[16];
        ssize_t n = read(fd, b, sizeof b);
        say("follow read \"%s\"\n", esc(b, n > 0 ? (size_t)n : 0));
        close(fd);
    }
    TRY_OPEN("directory", "/sandbox/sub", O_RDONLY | O_DIRECTORY);
    if (fd >= 0)
        close(fd);
    TRY_OPEN("trunc", "/sandbox/trunc2.txt", O_WRONLY | O_TRUNC);
    if (fd >= 0) {
        say("trunc size=%lld\n", (long long)lseek(fd, 0, SEEK_END));
        close(fd);
    }
    TRY_OPEN("append", "/sandbox/app2.txt", O_WRONLY | O_APPEND);
    if (fd >= 0) {
        say("append lseek=%lld\n", (long long)lseek(fd, 0, SEEK_SET));
        say("append write=%zd\n", write(fd, "Z", 1));
        say("append pos=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
        close(fd);
    }
    TRY_OPEN("creat", "/sandbox/created.txt", O_WRONLY | O_CREAT | O_EXCL);
    if (fd >= 0) {
        say("creat write=%zd\n", write(fd, "new", 3));
        close(fd);
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "oflags"))
        oflags();
    else if (streq(mode, "fdflags"))
        fdflags();
    else if (streq(mode, "rights"))
        rights();
    else if (streq(mode, "hostile"))
        hostile();
    else if (streq(mode, "lookupflags"))
        lookupflags();
    else if (streq(mode, "libc"))
        libc();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
