/*
 * path_* calls and the per-file metadata calls, through a read-write
 * preopen at fd 3 ("/sandbox") and a second one at fd 4 ("/other"). Each
 * mode expects the host tree its test in tests/guest_fs.rs builds.
 * argv[1]:
 *   mkdir rmdir unlink rename link symlink filestat times size advise
 *   allocate sync dirfd slash
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define SB 3
#define OTHER 4
#define DIR_ASK (ALL_RIGHTS & ~RT(FD_WRITE))

__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("path_filestat_set_times"))) int32_t
raw_path_filestat_set_times(int32_t fd, int32_t flags, int32_t path, int32_t path_len,
                            int64_t atim, int64_t mtim, int32_t fst);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_symlink"))) int32_t
raw_path_symlink(int32_t old, int32_t old_len, int32_t fd, int32_t new_path, int32_t new_len);

static char longname[301];

static __wasi_fd_t open_dir(const char *label, __wasi_fd_t at, const char *path) {
    return open_say(label, at, 0, path, __WASI_OFLAGS_DIRECTORY, DIR_ASK, ALL_RIGHTS, 0);
}

/* Prints "<label> ret=<r> errno=<e>" for a libc call returning -1/0. */
#define LIBC(label, call)                                                                          \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int r_ = (call);                                                                           \
        say("%s ret=%d errno=%d\n", label, r_, r_ < 0 ? errno : 0);                                \
    } while (0)

static void mkdir_mode(void) {
    say_e("new", __wasi_path_create_directory(SB, "new"));
    say_e("new_again", __wasi_path_create_directory(SB, "new"));
    say_e("on_file", __wasi_path_create_directory(SB, "f.txt"));
    say_e("on_symlink", __wasi_path_create_directory(SB, "lnk"));
    say_e("on_dangling", __wasi_path_create_directory(SB, "dangling"));
    say_e("missing_parent", __wasi_path_create_directory(SB, "missing/x"));
    say_e("file_parent", __wasi_path_create_directory(SB, "f.txt/x"));
    say_e("nested", __wasi_path_create_directory(SB, "new/child"));
    say_e("trailing_slash", __wasi_path_create_directory(SB, "new/slash/"));
    say_e("dotdot", __wasi_path_create_directory(SB, "../up"));
    say_e("absolute", __wasi_path_create_directory(SB, "/abs"));
    say_e("through_symlink_out", __wasi_path_create_directory(SB, "out/x"));
    say_e("empty", (__wasi_errno_t)raw_path_create_directory(SB, PTR("x"), 0));
    say_e("nul", (__wasi_errno_t)raw_path_create_directory(SB, PTR("nul\0x"), 5));
    say_e("path_oob", (__wasi_errno_t)raw_path_create_directory(SB, PTR(BAD_PTR), 8));
    memset(longname, 'a', 300);
    say_e("too_long", __wasi_path_create_directory(SB, longname));
    say_e("bad_fd", __wasi_path_create_directory(77, "x"));
    say_e("stdout", __wasi_path_create_directory(1, "x"));
    __wasi_fd_t f = open_say("open_file", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_e("file_fd", __wasi_path_create_directory(f, "x"));
    close_fd(f);
    __wasi_fd_t d = open_dir("open_new", SB, "new");
    say_e("via_dir_fd", __wasi_path_create_directory(d, "via_fd"));
    close_fd(d);
    LIBC("libc_mkdir", mkdir("/sandbox/libc_dir", 0755));
    LIBC("libc_mkdir_again", mkdir("/sandbox/libc_dir", 0755));
}

static void rmdir_mode(void) {
    say_e("nonempty", __wasi_path_remove_directory(SB, "d"));
    say_e("file", __wasi_path_remove_directory(SB, "f.txt"));
    say_e("missing", __wasi_path_remove_directory(SB, "missing"));
    say_e("symlink_to_file", __wasi_path_remove_directory(SB, "lnk"));
    say_e("symlink_to_dir", __wasi_path_remove_directory(SB, "dlnk"));
    say_e("dot", __wasi_path_remove_directory(SB, "."));
    say_e("dotdot", __wasi_path_remove_directory(SB, ".."));
    say_e("escape", __wasi_path_remove_directory(SB, "../x"));
    say_e("empty", __wasi_path_remove_directory(SB, "empty"));
    say_e("empty_again", __wasi_path_remove_directory(SB, "empty"));
    say_e("bad_fd", __wasi_path_remove_directory(77, "d"));
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_e("via_dir_fd", __wasi_path_remove_directory(d, "inner"));
    close_fd(d);
    LIBC("libc_rmdir_nonempty", rmdir("/sandbox/d"));
    LIBC("libc_unlink", unlink("/sandbox/d/x"));
    LIBC("libc_rmdir", rmdir("/sandbox/d"));
}

static void unlink_mode(void) {
    say_e("dir", __wasi_path_unlink_file(SB, "d"));
    say_e("empty_dir", __wasi_path_unlink_file(SB, "empty"));
    say_e("missing", __wasi_path_unlink_file(SB, "missing"));
    say_e("file_slash", __wasi_path_unlink_file(SB, "f.txt/"));
    say_e("escape", __wasi_path_unlink_file(SB, "../x"));
    say_e("symlink", __wasi_path_unlink_file(SB, "lnk"));
    say_e("dir_symlink", __wasi_path_unlink_file(SB, "dlnk"));
    say_e("dangling", __wasi_path_unlink_file(SB, "dangling"));
    say_e("out_symlink", __wasi_path_unlink_file(SB, "out"));
    say_e("file", __wasi_path_unlink_file(SB, "f.txt"));
    say_e("file_again", __wasi_path_unlink_file(SB, "f.txt"));
    say_e("empty_path", (__wasi_errno_t)raw_path_unlink_file(SB, PTR("x"), 0));
    say_e("bad_fd", __wasi_path_unlink_file(77, "g.txt"));
    /* An open file can be unlinked; its fd still reads. */
    __wasi_fd_t f = open_say("open_h", SB, 0, "h.txt", 0, RO_RIGHTS, 0, 0);
    say_e("open_file", __wasi_path_unlink_file(SB, "h.txt"));
    say_read("read_unlinked", f);
    say_fd_filestat("stat_unlinked", f);
    close_fd(f);
    LIBC("libc_unlink", unlink("/sandbox/g.txt"));
    LIBC("libc_unlink_dir", unlink("/sandbox/d"));
}

static void rename_mode(void) {
    __wasi_fdstat_t st;
    say_e("file", __wasi_path_rename(SB, "a.txt", SB, "b.txt"));
    say_e("file_again", __wasi_path_rename(SB, "a.txt", SB, "b.txt"));
    say_e("over_file", __wasi_path_rename(SB, "b.txt", SB, "c.txt"));
    say_e("dir", __wasi_path_rename(SB, "d", SB, "d2"));
    say_e("dir_over_file", __wasi_path_rename(SB, "d2", SB, "c.txt"));
    say_e("file_over_dir", __wasi_path_rename(SB, "c.txt", SB, "empty"));
    say_e("dir_over_nonempty", __wasi_path_rename(SB, "d2", SB, "full"));
    say_e("dir_into_itself", __wasi_path_rename(SB, "full", SB, "full/inner"));
    say_e("dir_over_empty", __wasi_path_rename(SB, "d2", SB, "empty"));
    say_e("same", __wasi_path_rename(SB, "c.txt", SB, "c.txt"));
    say_e("missing", __wasi_path_rename(SB, "missing", SB, "x"));
    say_e("missing_target_dir", __wasi_path_rename(SB, "c.txt", SB, "nodir/x"));
    say_e("escape_source", __wasi_path_rename(SB, "../x", SB, "x"));
    say_e("escape_target", __wasi_path_rename(SB, "c.txt", SB, "../escaped"));
    say_e("symlink", __wasi_path_rename(SB, "lnk", SB, "lnk2"));
    say_e("other_preopen", __wasi_path_rename(SB, "m.txt", OTHER, "m_moved.txt"));
    __wasi_fd_t sub = open_dir("open_sub", SB, "sub");
    say_e("into_dir_fd", __wasi_path_rename(SB, "n.txt", sub, "n_in_sub.txt"));
    say_e("from_dir_fd", __wasi_path_rename(sub, "n_in_sub.txt", OTHER, "n_other.txt"));
    (void)__wasi_fd_fdstat_get(sub, &st);
    say_e("drop_rename_target",
          __wasi_fd_fdstat_set_rights(sub, st.fs_rights_base & ~RT(PATH_RENAME_TARGET), 0));
    say_e("no_rename_target", __wasi_path_rename(SB, "c.txt", sub, "c.txt"));
    say_e("still_rename_source", __wasi_path_rename(sub, "s.txt", SB, "s_out.txt"));
    say_e("drop_rename_source",
          __wasi_fd_fdstat_set_rights(
              sub, st.fs_rights_base & ~RT(PATH_RENAME_TARGET) & ~RT(PATH_RENAME_SOURCE), 0));
    say_e("no_rename_source", __wasi_path_rename(sub, "t.txt", SB, "t_out.txt"));
    close_fd(sub);
    say_e("bad_fd", __wasi_path_rename(77, "c.txt", SB, "x"));
    say_e("bad_new_fd", __wasi_path_rename(SB, "c.txt", 77, "x"));
    say_e("new_fd_stdout", __wasi_path_rename(SB, "c.txt", 1, "x"));
    LIBC("libc_rename", rename("/sandbox/c.txt", "/sandbox/libc_renamed.txt"));
    LIBC("libc_rename_across", rename("/other/m_moved.txt", "/sandbox/m_back.txt"));
}

static void link_mode(void) {
    __wasi_filestat_t a, b;
    say_e("hard", __wasi_path_link(SB, 0, "f.txt", SB, "hard"));
    __wasi_fd_t f = open_say("open_f", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_fd_filestat("fd_filestat", f);
    say_path_filestat("hard_filestat", SB, 0, "hard");
    (void)__wasi_path_filestat_get(SB, 0, "f.txt", &a);
    (void)__wasi_path_filestat_get(SB, 0, "hard", &b);
    say("same_ino=%d same_dev=%d\n", a.ino == b.ino, a.dev == b.dev);
    say_e("follow_flag", __wasi_path_link(SB, FOLLOW, "f.txt", SB, "hard_follow"));
    say_e("follow_flag_symlink", __wasi_path_link(SB, FOLLOW, "lnk", SB, "hard_follow"));
    say_e("existing", __wasi_path_link(SB, 0, "f.txt", SB, "hard"));
    say_e("missing", __wasi_path_link(SB, 0, "missing", SB, "x"));
    say_e("dir", __wasi_path_link(SB, 0, "d", SB, "d_hard"));
    say_e("symlink", __wasi_path_link(SB, 0, "lnk", SB, "lnk_hard"));
    say_e("escape_source", __wasi_path_link(SB, 0, "../x", SB, "x"));
    say_e("escape_target", __wasi_path_link(SB, 0, "f.txt", SB, "../escaped"));
    say_e("other_preopen", __wasi_path_link(SB, 0, "f.txt", OTHER, "hard_other"));
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_e("into_dir_fd", __wasi_path_link(SB, 0, "f.txt", d, "hard_in_d"));
    close_fd(d);
    say_e("bad_fd", __wasi_path_link(77, 0, "f.txt", SB, "x"));
    say_e("bad_new_fd", __wasi_path_link(SB, 0, "f.txt", 77, "x"));
    LIBC("libc_link", link("/sandbox/f.txt", "/sandbox/libc_hard"));
    say_fd_filestat("fd_filestat_after", f);
    close_fd(f);
    /* One inode: a write through one name shows through the others. */
    f = open_say("open_hard", SB, 0, "hard", 0, RW_RIGHTS, 0, 0);
    say_write("write_hard", f, "FILE");
    close_fd(f);
    f = open_say("open_libc_hard", SB, 0, "libc_hard", 0, RO_RIGHTS, 0, 0);
    say_read("read_libc_hard", f);
    close_fd(f);
}

static void say_readlink(const char *label, __wasi_fd_t fd, const char *path, size_t len) {
    char buf[64];
    memset(buf, '#', sizeof buf);
    __wasi_size_t n = 999;
    __wasi_errno_t e = __wasi_path_readlink(fd, path, (uint8_t *)buf, len, &n);
    say("%s errno=%u n=%u \"%s\" next=%c\n", label, e, e ? 0 : (unsigned)n,
        esc(buf, e ? 0 : n), e ? '-' : buf[n]);
}

static void symlink_mode(void) {
    say_e("create", __wasi_path_symlink("f.txt", SB, "s1"));
    say_readlink("readlink", SB, "s1", 64);
    say_readlink("readlink_short", SB, "s1", 3);
    say_readlink("readlink_exact", SB, "s1", 5);
    say_readlink("readlink_zero", SB, "s1", 0);
    say_path_filestat("s1_nofollow", SB, 0, "s1");
    say_e("create_nested_target", __wasi_path_symlink("d/x", SB, "s2"));
    __wasi_fd_t f = open_say("open_s2", SB, FOLLOW, "s2", 0, RO_RIGHTS, 0, 0);
    say_read("read_s2", f);
    close_fd(f);
    say_e("create_up", __wasi_path_symlink("../f.txt", SB, "d/up"));
    f = open_say("open_up", SB, FOLLOW, "d/up", 0, RO_RIGHTS, 0, 0);
    say_read("read_up", f);
    close_fd(f);
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_readlink("readlink_via_dir_fd", d, "up", 64);
    say_e("create_via_dir_fd", __wasi_path_symlink("x", d, "x_link"));
    close_fd(d);
    say_e("create_dangling", __wasi_path_symlink("nowhere", SB, "s3"));
    say_readlink("readlink_dangling", SB, "s3", 64);
    say_e("create_dir_link", __wasi_path_symlink("d", SB, "s4"));
    say_e("absolute_target", __wasi_path_symlink("/etc/passwd", SB, "abs"));
    say_e("escaping_target", __wasi_path_symlink("../../outside", SB, "esc"));
    f = open_say("open_esc", SB, FOLLOW, "esc", 0, RO_RIGHTS, 0, 0);
    close_fd(f);
    say_e("existing_file", __wasi_path_symlink("x", SB, "f.txt"));
    say_e("existing_link", __wasi_path_symlink("x", SB, "s1"));
    say_e("existing_dir", __wasi_path_symlink("x", SB, "d"));
    say_e("missing_parent", __wasi_path_symlink("x", SB, "missing/s"));
    say_e("escape_link_path", __wasi_path_symlink("x", SB, "../s"));
    say_e("empty_target", (__wasi_errno_t)raw_path_symlink(PTR("x"), 0, SB, PTR("e"), 1));
    say_e("nul_target", (__wasi_errno_t)raw_path_symlink(PTR("a\0b"), 3, SB, PTR("e"), 1));
    say_e("bad_fd", __wasi_path_symlink("x", 77, "s"));
    say_readlink("readlink_file", SB, "f.txt", 64);
    say_readlink("readlink_dir", SB, "d", 64);
    say_readlink("readlink_missing", SB, "missing", 64);
    say_readlink("readlink_escape", SB, "../x", 64);
    say_readlink("readlink_bad_fd", 77, "s1", 64);
    {
        __wasi_size_t n = 999;
        say_e("readlink_buf_oob", (__wasi_errno_t)raw_path_readlink(SB, PTR("s1"), 2, PTR(BAD_PTR),
                                                                   16, PTR(&n)));
        say("readlink_buf_oob n_untouched=%d\n", n == 999);
        say_e("readlink_out_oob", (__wasi_errno_t)raw_path_readlink(SB, PTR("s1"), 2, PTR(&n), 4,
                                                                   PTR(BAD_PTR)));
    }
    LIBC("libc_symlink", symlink("f.txt", "/sandbox/libc_s"));
    {
        char buf[32];
        ssize_t n = readlink("/sandbox/libc_s", buf, sizeof buf);
        say("libc_readlink n=%zd \"%s\"\n", n, esc(buf, n > 0 ? (size_t)n : 0));
        n = readlink("/sandbox/libc_s", buf, 2);
        say("libc_readlink_short n=%zd \"%s\"\n", n, esc(buf, n > 0 ? (size_t)n : 0));
        errno = 0;
        n = readlink("/sandbox/f.txt", buf, sizeof buf);
        say("libc_readlink_file n=%zd errno=%d\n", n, errno);
    }
}

static void say_stat_ino(const char *label, __wasi_fd_t fd, __wasi_lookupflags_t lf,
                         const char *path) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    __wasi_errno_t e = __wasi_path_filestat_get(fd, lf, path, &st);
    if (e)
        say("%s errno=%u\n", label, e);
    else if (st.filetype == __WASI_FILETYPE_DIRECTORY)
        /* A directory's size and nlink depend on the filesystem. */
        say("%s errno=0 type=%u ino=%llu\n", label, st.filetype, (unsigned long long)st.ino);
    else
        say("%s errno=0 type=%u size=%llu nlink=%llu ino=%llu\n", label, st.filetype,
            (unsigned long long)st.size, (unsigned long long)st.nlink, (unsigned long long)st.ino);
}

static void filestat_mode(void) {
    __wasi_filestat_t st;
    say_stat_ino("file", SB, FOLLOW, "f.txt");
    say_stat_ino("file_nofollow", SB, 0, "f.txt");
    say_stat_ino("symlink_nofollow", SB, 0, "lnk");
    say_stat_ino("symlink_follow", SB, FOLLOW, "lnk");
    say_stat_ino("dirlink_nofollow", SB, 0, "dlnk");
    say_stat_ino("dirlink_follow", SB, FOLLOW, "dlnk");
    say_stat_ino("dangling_nofollow", SB, 0, "dangling");
    say_stat_ino("dangling_follow", SB, FOLLOW, "dangling");
    say_stat_ino("dir", SB, 0, "d");
    say_stat_ino("dir_file", SB, 0, "d/x");
    say_stat_ino("dot", SB, 0, ".");
    say_stat_ino("missing", SB, 0, "missing");
    say_stat_ino("escape", SB, 0, "../x");
    say_stat_ino("escape_symlink", SB, FOLLOW, "out");
    say_stat_ino("bad_fd", 77, 0, "f.txt");
    say_stat_ino("stdout", 1, 0, "f.txt");
    say_e("empty", (__wasi_errno_t)raw_path_filestat_get(SB, 0, PTR("x"), 0, PTR(&st)));
    say_e("out_oob",
          (__wasi_errno_t)raw_path_filestat_get(SB, 0, PTR("f.txt"), 5, (int32_t)0xFFFFFFF0u));
    say_e("out_misaligned",
          (__wasi_errno_t)raw_path_filestat_get(SB, 0, PTR("f.txt"), 5, PTR(&st) + 4));

    /* The times the host set (tests/guest_fs.rs). */
    memset(&st, 0, sizeof st);
    (void)__wasi_path_filestat_get(SB, 0, "f.txt", &st);
    say("file atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);

    __wasi_fd_t f = open_say("open_f", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    memset(&st, 0, sizeof st);
    __wasi_errno_t e = __wasi_fd_filestat_get(f, &st);
    say("fd_file errno=%u type=%u size=%llu nlink=%llu ino=%llu mtim=%llu\n", e, st.filetype,
        (unsigned long long)st.size, (unsigned long long)st.nlink, (unsigned long long)st.ino,
        (unsigned long long)st.mtim);
    close_fd(f);
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    memset(&st, 0, sizeof st);
    e = __wasi_fd_filestat_get(d, &st);
    say("fd_dir errno=%u type=%u ino=%llu\n", e, st.filetype, (unsigned long long)st.ino);
    say_stat_ino("via_dir_fd", d, 0, "x");
    close_fd(d);
    memset(&st, 0, sizeof st);
    e = __wasi_fd_filestat_get(SB, &st);
    say("fd_preopen errno=%u type=%u ino=%llu\n", e, st.filetype, (unsigned long long)st.ino);

    /* No path_filestat_get / fd_filestat_get right. */
    d = open_say("open_d_narrow", SB, 0, "d", __WASI_OFLAGS_DIRECTORY, RT(PATH_OPEN), 0, 0);
    say_stat_ino("no_right", d, 0, "x");
    say_fd_filestat("no_right_fd", d);
    close_fd(d);

    struct stat s;
    LIBC("libc_stat", stat("/sandbox/lnk", &s));
    say("libc_stat reg=%d size=%lld nlink=%llu\n", S_ISREG(s.st_mode), (long long)s.st_size,
        (unsigned long long)s.st_nlink);
    LIBC("libc_lstat", lstat("/sandbox/lnk", &s));
    say("libc_lstat lnk=%d size=%lld\n", S_ISLNK(s.st_mode), (long long)s.st_size);
    LIBC("libc_stat_dir", stat("/sandbox/d", &s));
    say("libc_stat_dir dir=%d\n", S_ISDIR(s.st_mode));
    LIBC("libc_stat_missing", stat("/sandbox/missing", &s));
    int fd = open("/sandbox/f.txt", O_RDONLY);
    LIBC("libc_fstat", fstat(fd, &s));
    say("libc_fstat reg=%d size=%lld mtime=%lld.%09ld\n", S_ISREG(s.st_mode),
        (long long)s.st_size, (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
    close(fd);
}

#define T1 1000000000123456789ull
#define T2 1100000000987654321ull
#define T3 1200000000000000001ull
#define T4 1300000000000000000ull
#define T5 1400000000555555555ull
#define T6 1500000000000000999ull
#define ATIM __WASI_FSTFLAGS_ATIM
#define ATIM_NOW __WASI_FSTFLAGS_ATIM_NOW
#define MTIM __WASI_FSTFLAGS_MTIM
#define MTIM_NOW __WASI_FSTFLAGS_MTIM_NOW

static void say_times(const char *label, __wasi_fd_t fd, __wasi_lookupflags_t lf,
                      const char *path) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    __wasi_errno_t e = path ? __wasi_path_filestat_get(fd, lf, path, &st)
                            : __wasi_fd_filestat_get(fd, &st);
    say("%s errno=%u atim=%llu mtim=%llu\n", label, e, (unsigned long long)st.atim,
        (unsigned long long)st.mtim);
}

static void times_mode(void) {
    say_e("both", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T1, T2, ATIM | MTIM));
    say_times("both", SB, 0, "f.txt");
    say_e("mtim_only", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T5, T3, MTIM));
    say_times("mtim_only", SB, 0, "f.txt");
    say_e("atim_only", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T4, T5, ATIM));
    say_times("atim_only", SB, 0, "f.txt");
    say_e("none", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T1, T1, 0));
    say_times("none", SB, 0, "f.txt");
    say_e("atim_and_now", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T1, T1,
                                                         ATIM | ATIM_NOW));
    say_e("mtim_and_now", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T1, T1,
                                                         MTIM | MTIM_NOW));
    say_e("undefined_bit", __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt", T1, T1, 0x10));
    say_e("over_width", (__wasi_errno_t)raw_path_filestat_set_times(SB, FOLLOW, PTR("f.txt"), 5,
                                                                    (int64_t)T1, (int64_t)T1,
                                                                    0x10004));
    say_times("after_errors", SB, 0, "f.txt");
    say_e("now", __wasi_path_filestat_set_times(SB, FOLLOW, "g.txt", 0, 0, ATIM_NOW | MTIM_NOW));
    say_e("symlink_nofollow",
          __wasi_path_filestat_set_times(SB, 0, "lnk", T2, T6, ATIM | MTIM));
    say_times("symlink_nofollow target", SB, 0, "f.txt");
    say_times("symlink_nofollow link", SB, 0, "lnk");
    say_e("symlink_follow", __wasi_path_filestat_set_times(SB, FOLLOW, "lnk2", T2, T6,
                                                           ATIM | MTIM));
    say_times("symlink_follow target", SB, 0, "h.txt");
    say_e("dir", __wasi_path_filestat_set_times(SB, 0, "d", T1, T5, ATIM | MTIM));
    say_times("dir", SB, 0, "d");
    say_e("missing", __wasi_path_filestat_set_times(SB, 0, "missing", T1, T1, ATIM));
    say_e("escape", __wasi_path_filestat_set_times(SB, 0, "../x", T1, T1, ATIM));
    say_e("bad_fd", __wasi_path_filestat_set_times(77, 0, "f.txt", T1, T1, ATIM));

    __wasi_fd_t f = open_say("open_i", SB, 0, "i.txt", 0, RW_RIGHTS, 0, 0);
    say_e("fd_both", __wasi_fd_filestat_set_times(f, T3, T4, ATIM | MTIM));
    say_times("fd_both", f, 0, NULL);
    say_e("fd_mtim_only", __wasi_fd_filestat_set_times(f, T1, T6, MTIM));
    say_times("fd_mtim_only", f, 0, NULL);
    say_e("fd_atim_and_now", __wasi_fd_filestat_set_times(f, T1, T1, ATIM | ATIM_NOW));
    say_e("fd_mtim_and_now", __wasi_fd_filestat_set_times(f, T1, T1, MTIM | MTIM_NOW));
    say_e("fd_undefined_bit", __wasi_fd_filestat_set_times(f, T1, T1, 0x20));
    say_times("fd_after_errors", f, 0, NULL);
    close_fd(f);
    f = open_say("open_j", SB, 0, "j.txt", 0, RW_RIGHTS, 0, 0);
    say_e("fd_now", __wasi_fd_filestat_set_times(f, 0, 0, ATIM_NOW | MTIM_NOW));
    close_fd(f);
    f = open_say("open_f_ro", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_e("fd_no_right", __wasi_fd_filestat_set_times(f, T1, T1, ATIM));
    close_fd(f);
    say_e("fd_stdout", __wasi_fd_filestat_set_times(1, T1, T1, ATIM));
    say_e("fd_bad", __wasi_fd_filestat_set_times(77, T1, T1, ATIM));

    /* wasi-libc: utimensat and futimens. */
    struct timespec ts[2] = {{1600000000, 1}, {1600000001, 2}};
    LIBC("libc_utimensat", utimensat(AT_FDCWD, "/sandbox/k.txt", ts, 0));
    int fd = open("/sandbox/k.txt", O_RDWR);
    struct timespec ts2[2] = {{0, UTIME_OMIT}, {1700000000, 3}};
    LIBC("libc_futimens", futimens(fd, ts2));
    close(fd);
    say_times("libc", SB, 0, "k.txt");
}

static void size_mode(void) {
    __wasi_fd_t f = open_say("open", SB, 0, "f.txt", 0, RW_RIGHTS, 0, 0);
    say_e("shrink", __wasi_fd_filestat_set_size(f, 2));
    say_fd_filestat("shrink", f);
    say_e("grow", __wasi_fd_filestat_set_size(f, 10));
    say_fd_filestat("grow", f);
    {
        uint8_t buf[16];
        __wasi_iovec_t iov = {buf, sizeof buf};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_pread(f, &iov, 1, 0, &n);
        say("grow pread errno=%u \"%s\"\n", e, esc(buf, n));
    }
    say_tell("offset_unchanged", f);
    say_e("too_big", __wasi_fd_filestat_set_size(f, 0x8000000000000000ull));
    say_e("max", __wasi_fd_filestat_set_size(f, UINT64_MAX));
    say_fd_filestat("after_errors", f);
    say_e("same", __wasi_fd_filestat_set_size(f, 10));
    close_fd(f);
    f = open_say("open_ro", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_e("no_right", __wasi_fd_filestat_set_size(f, 0));
    close_fd(f);
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_e("dir", __wasi_fd_filestat_set_size(d, 0));
    close_fd(d);
    say_e("preopen", __wasi_fd_filestat_set_size(SB, 0));
    say_e("stdout", __wasi_fd_filestat_set_size(1, 0));
    say_e("bad_fd", __wasi_fd_filestat_set_size(77, 0));
    int fd = open("/sandbox/f.txt", O_RDWR);
    LIBC("libc_ftruncate", ftruncate(fd, 6));
    close(fd);
    LIBC("libc_truncate", truncate("/sandbox/f.txt", 7));
    say_path_filestat("final", SB, 0, "f.txt");
}

static void advise_mode(void) {
    __wasi_fd_t f = open_say("open", SB, 0, "f.txt", 0, RO_RIGHTS | RT(FD_ADVISE), 0, 0);
    for (int a = 0; a <= 5; a++) {
        char label[32];
        snprintf(label, sizeof label, "advice%d", a);
        say_e(label, __wasi_fd_advise(f, 0, 4, (__wasi_advice_t)a));
    }
    say_e("advice6", __wasi_fd_advise(f, 0, 4, 6));
    say_e("advice7", __wasi_fd_advise(f, 0, 4, 7));
    say_e("advice255", __wasi_fd_advise(f, 0, 4, 255));
    say_e("advice256", (__wasi_errno_t)raw_fd_advise((int32_t)f, 0, 4, 256));
    say_e("whole_file", __wasi_fd_advise(f, 0, 0, __WASI_ADVICE_WILLNEED));
    say_e("past_end", __wasi_fd_advise(f, 1000, 1000, __WASI_ADVICE_DONTNEED));
    close_fd(f);
    f = open_say("open_no_right", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_e("no_right", __wasi_fd_advise(f, 0, 4, 0));
    close_fd(f);
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_e("dir", __wasi_fd_advise(d, 0, 4, 0));
    close_fd(d);
    say_e("stdout", __wasi_fd_advise(1, 0, 4, 0));
    say_e("bad_fd", __wasi_fd_advise(77, 0, 4, 0));
    int fd = open("/sandbox/f.txt", O_RDONLY);
    say("libc_fadvise ret=%d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    close(fd);
}

static void allocate_mode(void) {
    __wasi_fd_t f = open_say("open", SB, 0, "f.txt", 0, RW_RIGHTS, 0, 0);
    say_e("grow", __wasi_fd_allocate(f, 100, 50));
    say_fd_filestat("grow", f);
    say_e("inside", __wasi_fd_allocate(f, 0, 10));
    say_fd_filestat("inside", f);
    say_e("len0", __wasi_fd_allocate(f, 0, 0));
    say_e("overflow", __wasi_fd_allocate(f, UINT64_MAX - 5, 10));
    say_e("past_i64", __wasi_fd_allocate(f, 0x8000000000000000ull, 1));
    say_fd_filestat("after_errors", f);
    say_tell("offset_unchanged", f);
    close_fd(f);
    f = open_say("open_no_right", SB, 0, "f.txt", 0, RO_RIGHTS | RT(FD_WRITE), 0, 0);
    say_e("no_right", __wasi_fd_allocate(f, 0, 1000));
    close_fd(f);
    __wasi_fd_t d = open_dir("open_d", SB, "d");
    say_e("dir", __wasi_fd_allocate(d, 0, 1));
    close_fd(d);
    say_e("stdout", __wasi_fd_allocate(1, 0, 1));
    say_e("bad_fd", __wasi_fd_allocate(77, 0, 1));
    int fd = open("/sandbox/f.txt", O_RDWR);
    say("libc_fallocate ret=%d\n", posix_fallocate(fd, 0, 200));
    close(fd);
    say_path_filestat("final", SB, 0, "f.txt");
}

static void sync_mode(void) {
    __wasi_fd_t f = open_say("open", SB, 0, "f.txt", 0, RW_RIGHTS, 0, 0);
    say_write("write", f, "synced");
    say_e("file_sync", __wasi_fd_sync(f));
    say_e("file_datasync", __wasi_fd_datasync(f));
    close_fd(f);
    f = open_say("open_no_right", SB, 0, "f.txt", 0, RO_RIGHTS, 0, 0);
    say_e("no_right_sync", __wasi_fd_sync(f));
    say_e("no_right_datasync", __wasi_fd_datasync(f));
    close_fd(f);
    say_e("stdout_sync", __wasi_fd_sync(1));
    say_e("stdout_datasync", __wasi_fd_datasync(1));
    say_e("bad_sync", __wasi_fd_sync(77));
    say_e("bad_datasync", __wasi_fd_datasync(77));
    int fd = open("/sandbox/f.txt", O_RDWR);
    LIBC("libc_fsync", fsync(fd));
    LIBC("libc_fdatasync", fdatasync(fd));
    close(fd);
}

/* Calls on the host fd of directories: the preopen, one opened with
 * oflags::directory, one opened without it. */
static void dirfd_mode(void) {
    struct {
        const char *name;
        __wasi_fd_t fd;
    } dirs[3] = {
        {"preopen", SB},
        {"flag", open_dir("open_flag", SB, "d")},
        {"no_flag", open_say("open_no_flag", SB, 0, "e", 0, DIR_ASK, ALL_RIGHTS, 0)},
    };
    for (int i = 0; i < 3; i++) {
        char label[64];
        __wasi_fd_t d = dirs[i].fd;
#define ON(what, call)                                                                             \
    do {                                                                                           \
        snprintf(label, sizeof label, "%s %s", dirs[i].name, what);                                \
        say_e(label, call);                                                                        \
    } while (0)
        say_fdstat(dirs[i].name, d);
        ON("sync", __wasi_fd_sync(d));
        ON("datasync", __wasi_fd_datasync(d));
        ON("set_times", __wasi_fd_filestat_set_times(d, T1 + (uint64_t)i, T2 + (uint64_t)i,
                                                     ATIM | MTIM));
        say_times(dirs[i].name, d, 0, NULL);
        ON("set_flags_same", __wasi_fd_fdstat_set_flags(d, 0));
        ON("set_flags_nonblock", __wasi_fd_fdstat_set_flags(d, __WASI_FDFLAGS_NONBLOCK));
        say_fdstat(dirs[i].name, d);
#undef ON
    }
}

/* A trailing slash on a path naming a regular file: ENOTDIR in POSIX. */
static void slash_mode(void) {
    __wasi_filestat_t st;
    say_e("filestat_nofollow", __wasi_path_filestat_get(SB, 0, "f.txt/", &st));
    say_e("filestat_follow", __wasi_path_filestat_get(SB, FOLLOW, "f.txt/", &st));
    say_e("set_times_nofollow",
          __wasi_path_filestat_set_times(SB, 0, "f.txt/", T1, T1, ATIM | MTIM));
    say_e("set_times_follow",
          __wasi_path_filestat_set_times(SB, FOLLOW, "f.txt/", T1, T1, ATIM | MTIM));
    say_e("open", open_at(SB, 0, "f.txt/", 0, RO_RIGHTS, 0, 0, &(__wasi_fd_t){0}));
    say_e("unlink", __wasi_path_unlink_file(SB, "f.txt/"));
    say_e("rename_source", __wasi_path_rename(SB, "f.txt/", SB, "g.txt"));
    say_e("link_source", __wasi_path_link(SB, 0, "f.txt/", SB, "h.txt"));
    say_e("rmdir", __wasi_path_remove_directory(SB, "f.txt/"));
    say_e("mkdir", __wasi_path_create_directory(SB, "f.txt/"));
    say_times("unchanged", SB, 0, "f.txt");
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*run)(void);
    } modes[] = {
        {"mkdir", mkdir_mode},       {"rmdir", rmdir_mode},   {"unlink", unlink_mode},
        {"rename", rename_mode},     {"link", link_mode},     {"symlink", symlink_mode},
        {"filestat", filestat_mode}, {"times", times_mode},   {"size", size_mode},
        {"advise", advise_mode},     {"allocate", allocate_mode}, {"sync", sync_mode},
        {"dirfd", dirfd_mode},       {"slash", slash_mode},
    };
    const char *mode = argc > 1 ? argv[1] : "";
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (streq(mode, modes[i].name)) {
            modes[i].run();
            return 0;
        }
    }
    say("unknown mode %s\n", mode);
    return 2;
}
