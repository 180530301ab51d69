/*
 * A read-only preopen at fd 3 ("/ro") next to a read-write one at fd 4
 * ("/rw"). The host trees (tests/guest_fs_dir.rs): ro/ has f.txt "data",
 * d/inner "in", empty/, lnk -> f.txt; rw/ has w.txt "w".
 * argv[1]:
 *   raw    every write-ish call through the raw API: notcapable; reads work
 *   libc   the same through wasi-libc
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define RO 3
#define RW 4
#define CREAT __WASI_OFLAGS_CREAT
#define DIRECTORY __WASI_OFLAGS_DIRECTORY
#define READ_ASK (ALL_RIGHTS & ~RT(FD_WRITE))

static void raw(void) {
    __wasi_fd_t fd;
    say_rights("preopen", RO);

    /* Opening to write, in every way. */
    fd = open_say("open_creat_new", RO, 0, "new.txt", CREAT, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("open_creat_existing", RO, 0, "f.txt", CREAT, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("open_creat_excl", RO, 0, "new.txt", CREAT | __WASI_OFLAGS_EXCL, RO_RIGHTS, 0,
                  0);
    close_fd(fd);
    fd = open_say("open_trunc", RO, 0, "f.txt", __WASI_OFLAGS_TRUNC, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("open_write", RO, 0, "f.txt", 0, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("open_append", RO, 0, "f.txt", 0, RO_RIGHTS, 0, __WASI_FDFLAGS_APPEND);
    close_fd(fd);
    fd = open_say("open_write_follow", RO, FOLLOW, "lnk", 0, RT(FD_WRITE), 0, 0);
    close_fd(fd);

    /* A file opened for reading: reads, and nothing else. */
    fd = open_say("open_read", RO, 0, "f.txt", 0, READ_ASK, ALL_RIGHTS, 0);
    say_rights("file", fd);
    say_read("file read", fd);
    say_write("file write", fd, "x");
    {
        __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
        __wasi_size_t n;
        say_e("file pwrite", __wasi_fd_pwrite(fd, &iov, 1, 0, &n));
    }
    say_e("file allocate", __wasi_fd_allocate(fd, 0, 100));
    say_e("file set_size", __wasi_fd_filestat_set_size(fd, 0));
    say_e("file set_times", __wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM |
                                                                        __WASI_FSTFLAGS_MTIM));
    say_e("file set_times_now",
          __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    say_e("file add_write", __wasi_fd_fdstat_set_rights(fd, RT(FD_READ) | RT(FD_WRITE), 0));
    say_e("file set_append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    say_write("file write_after_append", fd, "x");
    say_fd_filestat("file filestat", fd);
    close_fd(fd);

    /* A directory opened from it: no more than the preopen. */
    __wasi_fd_t d = open_say("open_dir", RO, 0, "d", DIRECTORY, READ_ASK, ALL_RIGHTS, 0);
    say_rights("dir", d);
    fd = open_say("dir creat", d, 0, "new.txt", CREAT, RO_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("dir open_write", d, 0, "inner", 0, RW_RIGHTS, 0, 0);
    close_fd(fd);
    fd = open_say("dir open_read", d, 0, "inner", 0, RO_RIGHTS, 0, 0);
    say_read("dir read", fd);
    close_fd(fd);
    say_e("dir mkdir", __wasi_path_create_directory(d, "x"));
    say_e("dir unlink", __wasi_path_unlink_file(d, "inner"));
    say_e("dir rename", __wasi_path_rename(d, "inner", d, "moved"));
    say_e("dir set_times", __wasi_fd_filestat_set_times(d, 1, 1, __WASI_FSTFLAGS_ATIM));
    say_e("dir add_rights", __wasi_fd_fdstat_set_rights(d, READ_ASK | RT(PATH_CREATE_FILE), 0));
    close_fd(d);
    /* Nor does a directory opened without the directory flag. */
    d = open_say("open_dir_no_flag", RO, 0, "d", 0, READ_ASK, ALL_RIGHTS, 0);
    say_e("dir_no_flag set_times", __wasi_fd_filestat_set_times(d, 1, 1, __WASI_FSTFLAGS_ATIM));
    say_e("dir_no_flag unlink", __wasi_path_unlink_file(d, "inner"));
    close_fd(d);

    /* Path calls on the preopen. */
    say_e("mkdir", __wasi_path_create_directory(RO, "newdir"));
    say_e("rmdir", __wasi_path_remove_directory(RO, "empty"));
    say_e("unlink", __wasi_path_unlink_file(RO, "f.txt"));
    say_e("unlink_symlink", __wasi_path_unlink_file(RO, "lnk"));
    say_e("rename", __wasi_path_rename(RO, "f.txt", RO, "g.txt"));
    say_e("rename_dir", __wasi_path_rename(RO, "d", RO, "d2"));
    say_e("rename_ro_to_rw", __wasi_path_rename(RO, "f.txt", RW, "stolen.txt"));
    say_e("rename_rw_to_ro", __wasi_path_rename(RW, "w.txt", RO, "planted.txt"));
    say_e("link", __wasi_path_link(RO, 0, "f.txt", RO, "hard"));
    say_e("link_ro_to_rw", __wasi_path_link(RO, 0, "f.txt", RW, "hard"));
    say_e("link_rw_to_ro", __wasi_path_link(RW, 0, "w.txt", RO, "hard"));
    say_e("symlink", __wasi_path_symlink("f.txt", RO, "s"));
    say_e("set_times", __wasi_path_filestat_set_times(RO, FOLLOW, "f.txt", 1, 1,
                                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    say_e("set_times_now", __wasi_path_filestat_set_times(RO, FOLLOW, "f.txt", 0, 0,
                                                          __WASI_FSTFLAGS_MTIM_NOW));
    say_e("set_times_nofollow", __wasi_path_filestat_set_times(RO, 0, "lnk", 1, 1,
                                                               __WASI_FSTFLAGS_MTIM));
    say_e("set_times_dir", __wasi_path_filestat_set_times(RO, 0, "d", 1, 1, __WASI_FSTFLAGS_MTIM));
    say_e("preopen set_times", __wasi_fd_filestat_set_times(RO, 1, 1, __WASI_FSTFLAGS_MTIM));
    say_e("preopen add_rights",
          __wasi_fd_fdstat_set_rights(RO, READ_ASK | RT(PATH_CREATE_DIRECTORY), ALL_RIGHTS));

    /* Reading works. */
    say_path_filestat("stat", RO, 0, "f.txt");
    say_path_filestat("stat_lnk", RO, 0, "lnk");
    {
        char b[16];
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_path_readlink(RO, "lnk", (uint8_t *)b, sizeof b, &n);
        say("readlink errno=%u \"%s\"\n", e, esc(b, e ? 0 : n));
    }
    fd = open_say("open_lnk", RO, FOLLOW, "lnk", 0, RO_RIGHTS, 0, 0);
    say_read("lnk read", fd);
    close_fd(fd);
    {
        uint8_t b[512];
        __wasi_size_t used = 0;
        __wasi_errno_t e = __wasi_fd_readdir(RO, b, sizeof b, 0, &used);
        int count = 0;
        for (size_t pos = 0; pos + sizeof(__wasi_dirent_t) <= used; count++) {
            __wasi_dirent_t de;
            memcpy(&de, b + pos, sizeof de);
            pos += sizeof de + de.d_namlen;
        }
        say("readdir errno=%u entries=%d\n", e, count);
    }
    /* The read-write preopen beside it still writes. */
    fd = open_say("rw creat", RW, 0, "made.txt", CREAT, RW_RIGHTS, 0, 0);
    say_write("rw write", fd, "made");
    close_fd(fd);
}

#define LIBC(label, call)                                                                          \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int r_ = (call);                                                                           \
        say("%s ret=%d errno=%d\n", label, r_, r_ < 0 ? errno : 0);                                \
    } while (0)

/* wasi-libc asks only for the rights the directory can give, so opening
 * to write may succeed, read-only: then writing fails. */
static void try_fopen(const char *mode) {
    errno = 0;
    FILE *f = fopen("/ro/f.txt", mode);
    say("fopen_%s ok=%d errno=%d\n", mode, f != NULL, f ? 0 : errno);
    if (f) {
        fputs("x", f);
        errno = 0;
        int r = fflush(f);
        say("fopen_%s fflush=%d errno=%d\n", mode, r, r ? errno : 0);
        fclose(f);
    }
}

static void try_open(const char *label, int flags) {
    errno = 0;
    int fd = open("/ro/f.txt", flags);
    say("%s ok=%d errno=%d\n", label, fd >= 0, fd >= 0 ? 0 : errno);
    if (fd >= 0) {
        errno = 0;
        ssize_t n = write(fd, "x", 1);
        say("%s write=%zd errno=%d\n", label, n, n < 0 ? errno : 0);
        close(fd);
    }
}

static void libc(void) {
    try_fopen("w");
    try_fopen("a");
    try_fopen("r+");
    try_fopen("w+");
    errno = 0;
    FILE *f = fopen("/ro/new.txt", "w");
    say("fopen_new ok=%d errno=%d\n", f != NULL, f ? 0 : errno);
    try_open("open_rdwr", O_RDWR);
    try_open("open_wronly", O_WRONLY);
    try_open("open_append", O_WRONLY | O_APPEND);
    LIBC("open_creat", open("/ro/new.txt", O_RDONLY | O_CREAT, 0644));
    LIBC("open_trunc", open("/ro/f.txt", O_RDONLY | O_TRUNC));
    LIBC("mkdir", mkdir("/ro/newdir", 0755));
    LIBC("rmdir", rmdir("/ro/empty"));
    LIBC("unlink", unlink("/ro/f.txt"));
    LIBC("rename", rename("/ro/f.txt", "/ro/g.txt"));
    LIBC("rename_out", rename("/ro/f.txt", "/rw/g.txt"));
    LIBC("rename_in", rename("/rw/w.txt", "/ro/w.txt"));
    LIBC("link", link("/ro/f.txt", "/ro/hard"));
    LIBC("symlink", symlink("f.txt", "/ro/s"));
    LIBC("truncate", truncate("/ro/f.txt", 0));
    LIBC("utimensat", utimensat(AT_FDCWD, "/ro/f.txt", NULL, 0));
    int fd = open("/ro/f.txt", O_RDONLY);
    say("open_rdonly ok=%d\n", fd >= 0);
    LIBC("ftruncate", ftruncate(fd, 0));
    LIBC("futimens", futimens(fd, NULL));
    LIBC("write", (int)write(fd, "x", 1));
    say("posix_fallocate ret=%d\n", posix_fallocate(fd, 0, 100));
    char b[16];
    ssize_t n = read(fd, b, sizeof b);
    say("read n=%zd \"%s\"\n", n, esc(b, n > 0 ? (size_t)n : 0));
    close(fd);
    f = fopen("/ro/d/inner", "r");
    say("fopen_r ok=%d\n", f != NULL);
    if (f) {
        char line[16] = {0};
        say("fgets \"%s\"\n", fgets(line, sizeof line, f) ? line : "(null)");
        fclose(f);
    }
    DIR *dir = opendir("/ro");
    int count = 0;
    while (dir && readdir(dir))
        count++;
    if (dir)
        closedir(dir);
    say("readdir count=%d\n", count);
    struct stat st;
    LIBC("stat", stat("/ro/lnk", &st));
    say("stat size=%lld\n", (long long)st.st_size);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "raw"))
        raw();
    else if (streq(mode, "libc"))
        libc();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
